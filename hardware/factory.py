"""``open_source(spec, loop, on_event)``: one config string → a started gavel source.

Specs (case-sensitive scheme, options after commas)::

    none | ""                         no gavel (on-screen hammer only)
    serial:/dev/ttyACM0[,mode=line][,baud=9600]
    /dev/ttyACM0 | COM7               same as serial:...
    loop:// | socket://h:p | spy://…  any pyserial URL (mode/baud options allowed)
    pty[,mode=byte]                   simulated gavel on a pty pair (POSIX); ``source.device``
    keyboard:F12                      key presses fed by the app (``source.press()``)
    hid:0c45:7403[,skip=1]            raw USB-HID (needs the optional hidapi)

``mode`` is ``frame`` (the DIY gavel protocol, default), ``byte`` (any byte presses) or
``line`` (any line presses).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, cast

from .debounce import DebounceConfig
from .source import Backoff, BaseSource, Clock, EventCallback, NullSource

if TYPE_CHECKING:  # keeps pyserial out of ``import hardware`` until a serial gavel is opened
    from .serial_source import Mode as SerialMode

_URL_SCHEMES = ("loop://", "socket://", "rfc2217://", "spy://", "alt://", "hwgrep://", "cp2110://")


def _split_options(rest: str) -> tuple[str, dict[str, str]]:
    head, *opts = rest.split(",")
    options: dict[str, str] = {}
    for o in opts:
        key, sep, value = o.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"bad gavel option {o!r} (expected key=value)")
        options[key.strip()] = value.strip()
    return head, options


def _check(options: dict[str, str], allowed: set[str], spec: str) -> None:
    unknown = set(options) - allowed
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)} in gavel spec {spec!r}")


def open_source(
    spec: str,
    loop: asyncio.AbstractEventLoop,
    on_event: EventCallback,
    *,
    test_mode: bool = False,
    config: DebounceConfig | None = None,
    backoff: Backoff | None = None,
    clock: Clock = time.monotonic,
    start: bool = True,
) -> BaseSource:
    """Create (and by default start) the gavel source a config string names.

    Raises ``ValueError`` for a malformed spec and ``HidUnavailable`` for ``hid:`` without
    hidapi — at configuration time, so the settings dialog can show it. A port that does not
    exist yet is *not* an error: the source keeps retrying and reports ``Disconnected``.
    """
    spec = spec.strip()
    src: BaseSource
    if spec in ("", "none"):
        src = NullSource("none", loop, on_event, test_mode=test_mode, clock=clock)
    elif spec.startswith("keyboard:") or spec == "keyboard":
        from .keyboard_source import KeyboardGavelSource

        key = spec.partition(":")[2] or "F12"
        src = KeyboardGavelSource(
            loop, on_event, key, name=spec, config=config, test_mode=test_mode, clock=clock
        )
    elif spec.startswith("hid:"):
        from .hid_source import HidGavelSource, parse_vid_pid

        head, options = _split_options(spec[4:])
        _check(options, {"skip"}, spec)
        vid, pid = parse_vid_pid(head)
        src = HidGavelSource(
            vid,
            pid,
            loop,
            on_event,
            name=f"hid:{head}",
            skip=int(options.get("skip", "0")),
            config=config,
            backoff=backoff,
            test_mode=test_mode,
            clock=clock,
        )
    elif spec == "pty" or spec.startswith("pty,"):
        from .simulated import SimulatedSource

        _, options = _split_options(spec)
        _check(options, {"mode"}, spec)
        src = SimulatedSource(
            loop,
            on_event,
            mode=cast("SerialMode", options.get("mode", "frame")),
            config=config,
            backoff=backoff,
            test_mode=test_mode,
            clock=clock,
        )
    else:
        from .serial_source import SerialGavelSource

        rest = spec[len("serial:") :] if spec.startswith("serial:") else spec
        if not rest:
            raise ValueError("serial gavel spec needs a port: serial:/dev/ttyACM0")
        if not (rest.startswith(_URL_SCHEMES) or "/" in rest or "\\" in rest or rest[:3] == "COM"):
            raise ValueError(f"unknown gavel spec {spec!r}")
        port, options = _split_options(rest)
        _check(options, {"mode", "baud"}, spec)
        src = SerialGavelSource(
            port,
            loop,
            on_event,
            name=spec.split(",")[0] if spec.startswith("serial:") else f"serial:{port}",
            mode=cast("SerialMode", options.get("mode", "frame")),
            baudrate=int(options.get("baud", "115200")),
            config=config,
            backoff=backoff,
            test_mode=test_mode,
            clock=clock,
        )
    if start:
        src.start()
    return src
