"""The backend registry: one grammar for the factory and the settings tab; a new backend is a
source plus one registration."""

from __future__ import annotations

import asyncio

import pytest
from gavel_testkit import Collector

from hardware import open_source
from hardware.events import Strike
from hardware.registry import (
    _ORDER,
    _REGISTRY,
    GavelBackend,
    GavelSpec,
    OpenArgs,
    all_backends,
    get,
    parse_spec,
    register,
)
from hardware.source import BaseSource


def test_every_builtin_is_registered_with_a_description() -> None:
    names = [b.name for b in all_backends()]
    assert names == ["none", "keyboard", "hid", "pty", "serial"]  # serial, the catch-all, last
    for backend in all_backends():
        assert all((backend.title, backend.description, backend.example)), backend.name


@pytest.mark.parametrize(
    ("text", "backend", "target", "options", "canonical"),
    [
        ("", "none", "", {}, "none"),
        (" none ", "none", "", {}, "none"),
        ("keyboard", "keyboard", "F12", {}, "keyboard:F12"),
        ("keyboard:F13", "keyboard", "F13", {}, "keyboard:F13"),
        ("hid:0c45:7403,skip=1", "hid", "0c45:7403", {"skip": "1"}, "hid:0c45:7403,skip=1"),
        ("pty,mode=byte", "pty", "", {"mode": "byte"}, "pty,mode=byte"),
        ("serial:/dev/ttyACM0", "serial", "/dev/ttyACM0", {}, "serial:/dev/ttyACM0"),
        (
            "/dev/ttyUSB1,mode=line",
            "serial",
            "/dev/ttyUSB1",
            {"mode": "line"},
            "serial:/dev/ttyUSB1,mode=line",
        ),
        ("COM7", "serial", "COM7", {}, "serial:COM7"),
        (
            "socket://h:9,baud=9600",
            "serial",
            "socket://h:9",
            {"baud": "9600"},
            "socket://h:9,baud=9600",
        ),
    ],
)
def test_specs_parse_and_format_back(
    text: str, backend: str, target: str, options: dict[str, str], canonical: str
) -> None:
    spec = parse_spec(text)
    assert (spec.backend, spec.target, dict(spec.options)) == (backend, target, options)
    assert spec.text == canonical
    assert parse_spec(spec.text) == GavelSpec(backend, target, options, canonical)


@pytest.mark.parametrize(
    "text",
    ["bogus", "serial:", "serial:nowhere", "hid:zz", "hid", "pty:x", "pty,mode=weird", "none,x=1"],
)
def test_bad_specs_say_why(text: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        parse_spec(text)


class OneShotSource(BaseSource):
    """A made-up backend: strikes once when started."""

    def start(self) -> None:
        self._post([Strike(self._clock(), self.name, test=False)])

    def close(self) -> None:
        self.closed = True


async def test_a_new_backend_is_one_registration(collector: Collector) -> None:
    def opener(spec: GavelSpec, a: OpenArgs) -> BaseSource:
        return OneShotSource(f"oneshot:{spec.target}", a.loop, a.on_event, clock=a.clock)

    backend = register(
        GavelBackend(
            name="oneshot",
            title="One shot",
            description="strikes once",
            example="oneshot:x",
            open=opener,
            target="label",
        )
    )
    try:
        assert get("oneshot") is backend
        assert parse_spec("oneshot:x").text == "oneshot:x"
        src = open_source("oneshot:x", asyncio.get_running_loop(), collector, clock=lambda: 7.0)
        strike = await collector.wait_for(Strike)
        assert (strike.source, strike.at) == ("oneshot:x", 7.0)
        await src.aclose()
    finally:
        del _REGISTRY["oneshot"]
        _ORDER.remove("oneshot")
