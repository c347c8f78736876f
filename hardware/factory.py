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

from .debounce import DebounceConfig
from .registry import OpenArgs, open_spec
from .source import Backoff, BaseSource, Clock, EventCallback


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

    The backends and their grammar are in :mod:`hardware.registry` (built-ins:
    :mod:`hardware.backends`). Raises ``ValueError`` for a malformed spec and ``HidUnavailable``
    for ``hid:`` without hidapi — at configuration time, so the settings dialog can show it. A
    port that does not exist yet is *not* an error: the source keeps retrying and reports
    ``Disconnected``.
    """
    args = OpenArgs(
        loop, on_event, test_mode=test_mode, config=config, backoff=backoff, clock=clock
    )
    return open_spec(spec, args, start=start)
