"""The built-in gavel backends, one registration each (see :mod:`hardware.registry`).

Openers import their source module when called: pyserial and hidapi load only when a gavel
that needs them is opened. Registration order is matching order: ``serial`` comes last
because it also claims bare device paths and pyserial URLs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from .registry import GavelBackend, GavelSpec, OpenArgs, register
from .source import BaseSource, NullSource

if TYPE_CHECKING:
    from .serial_source import Mode

MODES = ("frame", "byte", "line")  # the DIY gavel protocol, any byte, any line
URL_SCHEMES = ("loop://", "socket://", "rfc2217://", "spy://", "alt://", "hwgrep://", "cp2110://")


def _open_none(spec: GavelSpec, a: OpenArgs) -> BaseSource:
    return NullSource("none", a.loop, a.on_event, test_mode=a.test_mode, clock=a.clock)


NONE = register(
    GavelBackend(
        name="none",
        title="None: on-screen Hammer button only",
        description="no gavel; the auctioneer hammers on screen",
        example="none",
        open=_open_none,
    )
)


def _open_keyboard(spec: GavelSpec, a: OpenArgs) -> BaseSource:
    from .keyboard_source import KeyboardGavelSource

    return KeyboardGavelSource(
        a.loop,
        a.on_event,
        spec.target,
        name=spec.raw or spec.text,
        config=a.config,
        test_mode=a.test_mode,
        clock=a.clock,
    )


def _check_key(key: str) -> str:
    if not key.strip():
        raise ValueError("a keyboard pedal needs a key (try F12 or F13)")
    return key


KEYBOARD = register(
    GavelBackend(
        name="keyboard",
        title="Keyboard pedal",
        description="a USB foot pedal or key that types a key (the app feeds its presses)",
        example="keyboard:F12",
        open=_open_keyboard,
        target="key",
        default_target="F12",
        check_target=_check_key,
    )
)


def _check_vid_pid(text: str) -> str:
    from .hid_source import parse_vid_pid  # light: hidapi itself loads on open

    parse_vid_pid(text)
    return text


def _open_hid(spec: GavelSpec, a: OpenArgs) -> BaseSource:
    from .hid_source import HidGavelSource, parse_vid_pid

    vid, pid = parse_vid_pid(spec.target)
    return HidGavelSource(
        vid,
        pid,
        a.loop,
        a.on_event,
        name=f"hid:{spec.target}",
        skip=int(spec.option("skip", "0")),
        config=a.config,
        backoff=a.backoff,
        test_mode=a.test_mode,
        clock=a.clock,
    )


HID = register(
    GavelBackend(
        name="hid",
        title="USB-HID pedal or button",
        description="a raw USB-HID device by vendor:product id (needs the optional hidapi)",
        example="hid:0c45:7403[,skip=1]",
        open=_open_hid,
        options={"skip": None},
        target="VID:PID",
        check_target=_check_vid_pid,
    )
)


def _open_pty(spec: GavelSpec, a: OpenArgs) -> BaseSource:
    from .simulated import SimulatedSource

    return SimulatedSource(
        a.loop,
        a.on_event,
        mode=cast("Mode", spec.option("mode", "frame")),
        config=a.config,
        backoff=a.backoff,
        test_mode=a.test_mode,
        clock=a.clock,
    )


PTY = register(
    GavelBackend(
        name="pty",
        title="Simulated gavel (demo)",
        description="a simulated gavel on a pty pair (POSIX), for demos and tests",
        example="pty[,mode=byte]",
        open=_open_pty,
        options={"mode": MODES},
    )
)


def _looks_like_port(port: str) -> bool:
    return port.startswith(URL_SCHEMES) or "/" in port or "\\" in port or port[:3] == "COM"


def _check_port(port: str) -> str:
    if not _looks_like_port(port):
        raise ValueError(f"unknown gavel spec {port!r}")
    return port


def _claims_serial(spec: str) -> bool:
    return spec.startswith("serial:") or _looks_like_port(spec)


def _format_serial(spec: GavelSpec) -> str:
    # A pyserial URL stands alone; a device path gets the scheme.
    head = spec.target if "://" in spec.target else f"serial:{spec.target}"
    return ",".join([head, *(f"{k}={v}" for k, v in spec.options.items())])


def _open_serial(spec: GavelSpec, a: OpenArgs) -> BaseSource:
    from .serial_source import SerialGavelSource

    return SerialGavelSource(
        spec.target,
        a.loop,
        a.on_event,
        name=f"serial:{spec.target}",
        mode=cast("Mode", spec.option("mode", "frame")),
        baudrate=int(spec.option("baud", "115200")),
        config=a.config,
        backoff=a.backoff,
        test_mode=a.test_mode,
        clock=a.clock,
    )


SERIAL = register(
    GavelBackend(
        name="serial",
        title="Serial port or URL",
        description="the DIY gavel or any serial device (USB CDC, FTDI, Bluetooth SPP) or URL",
        example="serial:/dev/ttyACM0[,mode=line][,baud=9600]",
        open=_open_serial,
        options={"mode": MODES, "baud": None},
        target="port or URL",
        check_target=_check_port,
        claims=_claims_serial,
        format=_format_serial,
    )
)
