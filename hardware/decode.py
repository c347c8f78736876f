"""Pure glue from raw input (bytes, HID reports, key presses) to typed gavel events.

A decoder owns a :class:`~hardware.debounce.Debouncer` and the link state of one device. It is
driven by a backend's I/O thread (or the loop, for the keyboard) with the receipt time passed
in, so the whole path from bytes to ``Strike`` is tested without a port or a clock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Literal

from .debounce import DebounceConfig, Debouncer, HeartbeatWatch, Signal
from .events import Connected, Disconnected, GavelEvent, Heartbeat, Strike, Stuck, Unstuck
from .protocol import (
    Frame,
    FrameParser,
    FrameType,
    HelloInfo,
    StrikeFlag,
    heartbeat_info,
    hello_info,
    strike_info,
)

SimpleMode = Literal["byte", "line"]


class Decoder:
    """Base: debouncer + connected flag. Subclasses add ``feed``."""

    def __init__(self, source: str, config: DebounceConfig | None = None) -> None:
        self.source = source
        self.config = config or DebounceConfig()
        self.debouncer = Debouncer(self.config)
        self.connected = False

    def opened(self, at: float) -> list[GavelEvent]:
        """The port opened. Simple devices count as connected now; framed ones on a frame."""
        return self._connect(at)

    def feed(self, data: bytes, at: float) -> list[GavelEvent]:
        raise NotImplementedError

    def tick(self, at: float) -> list[GavelEvent]:
        return self._signals(self.debouncer.tick(at), at)

    def closed(self, at: float, reason: str) -> list[GavelEvent]:
        out: list[GavelEvent] = []
        if self.debouncer.reset():
            out.append(Unstuck(at, self.source))
        if self.connected:
            self.connected = False
            out.append(Disconnected(at, self.source, reason))
        return out

    def _connect(
        self, at: float, device_id: int | None = None, detail: str = ""
    ) -> list[GavelEvent]:
        if self.connected:
            return []
        self.connected = True
        return [Connected(at, self.source, device_id, detail)]

    def _signals(
        self,
        signals: Iterable[Signal],
        at: float,
        device_id: int | None = None,
        seq: int | None = None,
        strength: int | None = None,
    ) -> list[GavelEvent]:
        out: list[GavelEvent] = []
        for s in signals:
            if s is Signal.STRIKE:
                out.append(Strike(at, self.source, device_id, seq, strength=strength))
            elif s is Signal.STUCK:
                out.append(Stuck(at, self.source, self.debouncer.stuck_reason or "stuck"))
            else:
                out.append(Unstuck(at, self.source))
        return out


class FrameDecoder(Decoder):
    """The framed protocol (PROTOCOL.md): strikes, releases, heartbeats, duplicate seqs."""

    DUP_WINDOW_S = 30.0  # a repeated STRIKE seq within this window is the same strike
    DUP_MAX = 256

    def __init__(self, source: str, config: DebounceConfig | None = None) -> None:
        super().__init__(source, config)
        self.parser = FrameParser()
        self.watch = HeartbeatWatch(self.config.heartbeat_timeout_s)
        self.last_data_at = 0.0
        self.device_id: int | None = None
        self.hello: HelloInfo | None = None
        self.duplicates = 0
        self.lost_frames = 0
        self._recent: OrderedDict[tuple[int, int], float] = OrderedDict()
        self._last_seq: dict[int, int] = {}
        self._last_uptime: dict[int, int] = {}

    def opened(self, at: float) -> list[GavelEvent]:
        self.parser.reset()
        self.watch.reset()
        return []  # connected only once the device speaks: an open port may be the wrong device

    def feed(self, data: bytes, at: float) -> list[GavelEvent]:
        if not data:
            return []
        self.last_data_at = at
        return self._frames(self.parser.feed(data), at)

    def tick(self, at: float) -> list[GavelEvent]:
        out: list[GavelEvent] = []
        if self.parser.pending and at - self.last_data_at >= self.config.idle_resync_s:
            out += self._frames(self.parser.expire(), at)
        if self.connected and self.watch.expired(at):
            self._forget()
            out += super().closed(at, f"no heartbeat for {self.config.heartbeat_timeout_s:g} s")
        out += super().tick(at)
        return out

    def closed(self, at: float, reason: str) -> list[GavelEvent]:
        self.parser.reset()
        self._forget()
        return super().closed(at, reason)

    def _forget(self) -> None:
        # a replugged or silent device has usually rebooted: its seq starts again
        self.watch.reset()
        self._recent.clear()
        self._last_seq.clear()
        self._last_uptime.clear()

    def _rebooted(self, dev: int) -> None:
        for key in [k for k in self._recent if k[0] == dev]:
            del self._recent[key]
        self._last_seq.pop(dev, None)

    def _frames(self, frames: list[Frame], at: float) -> list[GavelEvent]:
        out: list[GavelEvent] = []
        for f in frames:
            dev = f.device_id
            self.watch.seen(at)
            self.device_id = dev
            if f.type is FrameType.HELLO:
                self.hello = hello_info(f)
                self._rebooted(dev)
                self._last_uptime.pop(dev, None)
            out += self._connect(at, dev, self.hello.firmware if self.hello else "")
            last = self._last_seq.get(dev)
            if last is not None:
                gap = (f.seq - last) & 0xFFFF
                if 1 < gap < 0x8000:
                    self.lost_frames += gap - 1
            self._last_seq[dev] = f.seq
            if f.type is FrameType.HEARTBEAT:
                hb = heartbeat_info(f)
                prev_up = self._last_uptime.get(dev)
                if prev_up is not None and hb.uptime_ms < prev_up:
                    self._rebooted(dev)  # uptime went backwards: rebooted and we missed HELLO
                self._last_uptime[dev] = hb.uptime_ms
                held = bool(hb.flags & 1)
                out += self._signals(self.debouncer.held(at, held), at, dev)
                out.append(Heartbeat(at, self.source, dev, f.seq, held))
            elif f.type is FrameType.STRIKE:
                if self._is_duplicate(dev, f.seq, at):
                    self.duplicates += 1
                    continue
                info = strike_info(f)
                signals = self.debouncer.press(at, make=bool(info.flags & StrikeFlag.MAKE))
                out += self._signals(signals, at, dev, f.seq, info.strength)
            elif f.type is FrameType.RELEASE:
                out += self._signals(self.debouncer.release(at), at, dev)
        return out

    def _is_duplicate(self, dev: int, seq: int, at: float) -> bool:
        recent = self._recent
        while recent:
            key, t = next(iter(recent.items()))
            if at - t <= self.DUP_WINDOW_S and len(recent) <= self.DUP_MAX:
                break
            del recent[key]
        if (dev, seq) in recent:
            return True
        recent[(dev, seq)] = at
        return False


class SimpleDecoder(Decoder):
    """Devices without the protocol: any byte (``byte``) or any line end (``line``) is a press.

    Still debounced and stuck-checked. There is no heartbeat, so "connected" means "port open".
    A line ends at CR, LF or CRLF; a device that sends ``"SOLD\\r\\n"`` presses once.
    """

    def __init__(
        self, source: str, config: DebounceConfig | None = None, mode: SimpleMode = "byte"
    ) -> None:
        super().__init__(source, config)
        if mode not in ("byte", "line"):
            raise ValueError(f"simple mode must be 'byte' or 'line', not {mode!r}")
        self.mode = mode
        self._after_cr = False

    def feed(self, data: bytes, at: float) -> list[GavelEvent]:
        if not data:
            return []
        if self.mode == "byte":
            presses = 1
        else:
            presses = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
            if self._after_cr and data[:1] == b"\n":
                presses -= 1
            self._after_cr = data[-1:] == b"\r"
        out: list[GavelEvent] = []
        if presses:
            # several presses in one read share one receipt time: one chain, one strike at most
            out += self._signals(self.debouncer.press(at), at)
        return out


class SwitchDecoder(Decoder):
    """A push-button with press/release calls (keyboard pedal, HID report edges)."""

    def press(self, at: float, *, make: bool = False) -> list[GavelEvent]:
        return self._signals(self.debouncer.press(at, make=make), at)

    def release(self, at: float) -> list[GavelEvent]:
        return self._signals(self.debouncer.release(at), at)

    def held(self, at: float, is_held: bool) -> list[GavelEvent]:
        return self._signals(self.debouncer.held(at, is_held), at)

    def feed(self, data: bytes, at: float) -> list[GavelEvent]:
        return self.press(at) if data else []


class HidReportDecoder(SwitchDecoder):
    """Raw HID input reports: a report with any non-zero byte (after ``skip`` leading bytes,
    e.g. a report id) means "down", an all-zero report means "up". Edges become make/break."""

    def __init__(self, source: str, config: DebounceConfig | None = None, skip: int = 0) -> None:
        super().__init__(source, config)
        self.skip = skip
        self.down = False

    def feed(self, data: bytes, at: float) -> list[GavelEvent]:
        if not data:
            return []
        down = any(data[self.skip :])
        if down == self.down:
            return []
        self.down = down
        return self.press(at, make=True) if down else self.release(at)

    def closed(self, at: float, reason: str) -> list[GavelEvent]:
        self.down = False
        return super().closed(at, reason)
