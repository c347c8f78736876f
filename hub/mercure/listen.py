"""Listen backlogs, set deliberately: how many finished handshakes may wait for `accept()`.

aiohttp's `TCPSite` listens with a backlog of 128. When a venue's Wi-Fi comes back and
thousands of browsers reconnect at once, that queue overflows, the kernel drops the SYNs and
the clients sit in TCP's retry backoff (1 s, 3 s, 7 s...) while the server idles (issue 17).
Every listening socket of the stage, the standalone hub and the relay node asks for
`DEFAULT_BACKLOG`. Linux silently caps the request at `net.core.somaxconn`; we read that cap
and log it when it is lower than asked, so the operator knows which knob to turn.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger("hub.mercure")

DEFAULT_BACKLOG = 4096
MAX_BACKLOG = 1 << 20  # far above any sane request; refuses typos like 40960000
SOMAXCONN = Path("/proc/sys/net/core/somaxconn")


def somaxconn(path: Path = SOMAXCONN) -> int | None:
    """The kernel's cap on a listen backlog, or None where it cannot be read (not Linux)."""
    try:
        value = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return value if value > 0 else None


def check_backlog(value: object, what: str = "listen_backlog") -> int:
    """`value` as a backlog, or ValueError with a sentence the operator can act on."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be a whole number, not {str(value)[:40]!r}")
    if not 1 <= value <= MAX_BACKLOG:
        raise ValueError(f"{what} must be between 1 and {MAX_BACKLOG}, not {value}")
    return value


def backlog_flag(text: str) -> int:
    """An argparse `type` for `--backlog`: ASCII digits only (int() would also take "٣")."""
    value: object = int(text) if text.isascii() and text.isdigit() else text
    try:
        return check_backlog(value, "--backlog")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def listen_backlog(asked: int = DEFAULT_BACKLOG, *, cap_path: Path = SOMAXCONN) -> int:
    """The backlog to pass to `listen()`: `asked`, or the kernel's cap when that is lower
    (logged: the operator raises `net.core.somaxconn` or lowers the setting)."""
    check_backlog(asked)
    cap = somaxconn(cap_path)
    if cap is not None and cap < asked:
        log.warning(
            "listen backlog %d asked, but the kernel caps it at net.core.somaxconn = %d "
            "(raise it with: sysctl -w net.core.somaxconn=%d)",
            asked,
            cap,
            asked,
        )
        return cap
    return asked


__all__ = ["DEFAULT_BACKLOG", "backlog_flag", "check_backlog", "listen_backlog", "somaxconn"]
