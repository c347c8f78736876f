"""Gavel backends register themselves here: a name, a human description, spec parsing and an
opener. ``open_source`` and the app's settings tab both read this registry, so the spec grammar
lives in one place.

A spec is ``NAME[:TARGET][,key=value...]`` (``serial:/dev/ttyACM0,mode=byte``, ``hid:0c45:7403``,
``keyboard:F13``, ``pty``, ``none``); a backend may also claim bare forms (the serial backend
takes ``/dev/ttyACM0``, ``COM7`` and pyserial URLs). Adding a backend = its source module plus a
:func:`register` call (the built-in ones are in :mod:`hardware.backends`, imported by the
package so that this module imports no backend: no circle); the opener imports
the source module lazily, so ``import hardware`` stays cheap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .debounce import DebounceConfig
from .source import Backoff, BaseSource, Clock, EventCallback


@dataclass(frozen=True, slots=True)
class GavelSpec:
    """A parsed spec. ``target`` is the port, key or VID:PID; ``raw`` the text it came from."""

    backend: str
    target: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    raw: str = ""

    def option(self, name: str, default: str) -> str:
        return self.options.get(name, default)

    @property
    def text(self) -> str:
        """The canonical spec text (what a config file or the settings tab stores)."""
        return get(self.backend).format(self)


@dataclass(frozen=True, slots=True)
class OpenArgs:
    """What every opener gets besides the spec: time and delivery are inputs."""

    loop: asyncio.AbstractEventLoop
    on_event: EventCallback
    test_mode: bool = False
    config: DebounceConfig | None = None
    backoff: Backoff | None = None
    clock: Clock = time.monotonic


Opener = Callable[[GavelSpec, OpenArgs], BaseSource]


def _named(name: str) -> Callable[[str], bool]:
    return lambda spec: spec == name or spec.startswith((name + ":", name + ","))


def _plain_format(spec: GavelSpec) -> str:
    head = f"{spec.backend}:{spec.target}" if spec.target else spec.backend
    return ",".join([head, *(f"{k}={v}" for k, v in spec.options.items())])


@dataclass(frozen=True, slots=True)
class GavelBackend:
    """One kind of gavel.

    Args:
        name: the spec's scheme ("serial", "hid", ...).
        title: what a person picks in a list ("USB-HID pedal or button").
        description: one line on what it is and what it needs.
        example: a spec, for help texts.
        open: builds the (unstarted) source for a parsed spec.
        options: allowed ``key=value`` options → the values each accepts (None: any text).
        target: how the target is called ("port or URL", "key", "VID:PID"), "" if none.
        default_target: used when the spec names none (``keyboard`` → F12).
        check_target: validates (and may normalise) a target; raises ValueError.
        claims: does this (stripped) spec text belong to the backend? Default: ``name`` or
            ``name:…`` or ``name,…``.
        format: a parsed spec back to text (the inverse of parsing).
    """

    name: str
    title: str
    description: str
    example: str
    open: Opener
    options: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    target: str = ""
    default_target: str = ""
    check_target: Callable[[str], str] | None = None
    claims: Callable[[str], bool] | None = None
    format: Callable[[GavelSpec], str] = _plain_format

    def owns(self, spec: str) -> bool:
        return (self.claims or _named(self.name))(spec)

    def parse(self, spec: str) -> GavelSpec:
        """Raises ValueError with a reason a person can act on."""
        head, options = _split_options(spec)
        prefix = self.name + ":"
        target = (
            head[len(prefix) :] if head.startswith(prefix) else ("" if head == self.name else head)
        )
        if not self.target and target:
            raise ValueError(f"gavel spec {spec!r}: {self.name} takes no target")
        target = target or self.default_target
        if self.target and not target:
            raise ValueError(f"{self.name} gavel spec needs a {self.target}: {self.example}")
        if self.check_target is not None:
            target = self.check_target(target)
        unknown = set(options) - set(self.options)
        if unknown:
            raise ValueError(f"unknown option(s) {sorted(unknown)} in gavel spec {spec!r}")
        for key, value in options.items():
            allowed = self.options[key]
            if allowed is not None and value not in allowed:
                raise ValueError(f"gavel option {key}={value!r}: expected one of {allowed}")
        return GavelSpec(self.name, target, options, spec)


_REGISTRY: dict[str, GavelBackend] = {}
_ORDER: list[str] = []  # registration order: the first backend that claims a spec wins


def register(backend: GavelBackend) -> GavelBackend:
    """Add (or replace, by name) a backend. Returns it, so a module can keep a reference."""
    if backend.name not in _REGISTRY:
        _ORDER.append(backend.name)
    _REGISTRY[backend.name] = backend
    return backend


def all_backends() -> list[GavelBackend]:
    """Every registered backend, in registration order."""
    return [_REGISTRY[name] for name in _ORDER]


def get(name: str) -> GavelBackend:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"no gavel backend {name!r}") from None


def parse_spec(spec: str) -> GavelSpec:
    """A spec text → the backend it names and its parsed target and options.

    Raises ``ValueError`` for a malformed or unknown spec. ``""`` means ``none``.
    """
    text = (spec or "").strip() or "none"
    for backend in all_backends():
        if backend.owns(text):
            return backend.parse(text)
    raise ValueError(f"unknown gavel spec {spec!r}")


def open_spec(spec: str | GavelSpec, args: OpenArgs, *, start: bool = True) -> BaseSource:
    """Create (and by default start) the source a spec names."""
    parsed = spec if isinstance(spec, GavelSpec) else parse_spec(spec)
    source = get(parsed.backend).open(parsed, args)
    if start:
        source.start()
    return source


def _split_options(rest: str) -> tuple[str, dict[str, str]]:
    head, *opts = rest.split(",")
    options: dict[str, str] = {}
    for o in opts:
        key, sep, value = o.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"bad gavel option {o!r} (expected key=value)")
        options[key.strip()] = value.strip()
    return head.strip(), options
