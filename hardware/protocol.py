"""The gavel's framed serial protocol (see PROTOCOL.md): encoder and incremental parser.

Frame (all integers big-endian)::

    SOF  TYPE  DEVICE_ID  SEQ   LEN  PAYLOAD   CRC16  EOF
    A5   u8    u16        u16   u8   LEN bytes u16    5A

CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xor-out) over TYPE..PAYLOAD.

The parser is pure (no I/O, no clock): bytes in, frames out. Bytes that are not part of a
valid frame are counted and dropped; a bad candidate costs only its start byte, so a real frame
that follows noise is still found. The retained buffer never exceeds one maximal frame.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, IntFlag

SOF = 0xA5
EOF = 0x5A
PROTOCOL_VERSION = 1
HEADER_LEN = 7  # SOF TYPE DEV(2) SEQ(2) LEN
TRAILER_LEN = 3  # CRC(2) EOF
MAX_PAYLOAD = 32
MIN_FRAME_LEN = HEADER_LEN + TRAILER_LEN
MAX_FRAME_LEN = HEADER_LEN + MAX_PAYLOAD + TRAILER_LEN
BAUDRATE = 115200
_HEADER = struct.Struct(">BBHHB")


class FrameType(IntEnum):
    HELLO = 0x01
    HEARTBEAT = 0x02
    STRIKE = 0x03
    RELEASE = 0x04


# Allowed payload lengths per type: tight ranges reject false start bytes early (fast resync),
# the slack above the v1 size leaves room for fields a later firmware may append.
_LEN_RANGE: dict[int, tuple[int, int]] = {
    FrameType.HELLO: (2, MAX_PAYLOAD),
    FrameType.HEARTBEAT: (5, 16),
    FrameType.STRIKE: (7, 16),
    FrameType.RELEASE: (4, 16),
}


class HelloFeature(IntFlag):
    SWITCH = 0x01  # contact switch: every STRIKE (make) is followed by a RELEASE (break)
    PIEZO = 0x02  # piezo knock sensor: STRIKE only, strength is the ADC peak


class StrikeFlag(IntFlag):
    MAKE = 0x01  # a RELEASE frame will follow when the switch opens


class HeartbeatFlag(IntFlag):
    HELD = 0x01  # the switch is closed right now


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_TABLE = _crc_table()


def crc16(data: bytes | bytearray | memoryview, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE; ``crc16(b"123456789") == 0x29B1``."""
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[((crc >> 8) ^ b) & 0xFF]
    return crc


@dataclass(frozen=True, slots=True)
class Frame:
    type: FrameType
    device_id: int
    seq: int
    payload: bytes = b""

    def encode(self) -> bytes:
        return encode(self.type, self.device_id, self.seq, self.payload)


@dataclass(frozen=True, slots=True)
class HelloInfo:
    version: int
    features: HelloFeature
    firmware: str


@dataclass(frozen=True, slots=True)
class StrikeInfo:
    device_ms: int
    strength: int
    flags: StrikeFlag


@dataclass(frozen=True, slots=True)
class HeartbeatInfo:
    uptime_ms: int
    flags: HeartbeatFlag


def encode(ftype: int, device_id: int, seq: int, payload: bytes = b"") -> bytes:
    """One frame as bytes. Raises ValueError on out-of-range fields (never sends a bad frame)."""
    if ftype not in _LEN_RANGE:
        raise ValueError(f"unknown frame type {ftype:#x}")
    lo, hi = _LEN_RANGE[ftype]
    if not lo <= len(payload) <= hi:
        raise ValueError(f"payload of {len(payload)} bytes outside {lo}..{hi} for type {ftype:#x}")
    if not 0 <= device_id <= 0xFFFF or not 0 <= seq <= 0xFFFF:
        raise ValueError("device_id and seq are u16")
    body = _HEADER.pack(SOF, ftype, device_id, seq, len(payload))[1:] + bytes(payload)
    return bytes((SOF,)) + body + crc16(body).to_bytes(2, "big") + bytes((EOF,))


def encode_hello(
    device_id: int, seq: int, features: int = HelloFeature.SWITCH, firmware: str = "gavel"
) -> bytes:
    name = firmware.encode("ascii", "replace")[: MAX_PAYLOAD - 2]
    return encode(FrameType.HELLO, device_id, seq, bytes((PROTOCOL_VERSION, features)) + name)


def encode_heartbeat(device_id: int, seq: int, uptime_ms: int = 0, held: bool = False) -> bytes:
    flags = HeartbeatFlag.HELD if held else 0
    payload = struct.pack(">IB", uptime_ms & 0xFFFFFFFF, flags)
    return encode(FrameType.HEARTBEAT, device_id, seq, payload)


def encode_strike(
    device_id: int, seq: int, device_ms: int = 0, strength: int = 0, make: bool = False
) -> bytes:
    flags = StrikeFlag.MAKE if make else 0
    payload = struct.pack(">IHB", device_ms & 0xFFFFFFFF, strength & 0xFFFF, flags)
    return encode(FrameType.STRIKE, device_id, seq, payload)


def encode_release(device_id: int, seq: int, device_ms: int = 0) -> bytes:
    return encode(FrameType.RELEASE, device_id, seq, struct.pack(">I", device_ms & 0xFFFFFFFF))


def hello_info(frame: Frame) -> HelloInfo:
    p = frame.payload
    return HelloInfo(p[0], HelloFeature(p[1] & 0x03), p[2:].decode("ascii", "replace"))


def strike_info(frame: Frame) -> StrikeInfo:
    ms, strength, flags = struct.unpack_from(">IHB", frame.payload)
    return StrikeInfo(ms, strength, StrikeFlag(flags & 0x01))


def heartbeat_info(frame: Frame) -> HeartbeatInfo:
    uptime, flags = struct.unpack_from(">IB", frame.payload)
    return HeartbeatInfo(uptime, HeartbeatFlag(flags & 0x01))


@dataclass(slots=True)
class ParserStats:
    frames: int = 0
    garbage_bytes: int = 0  # bytes dropped because they belong to no valid frame
    bad_crc: int = 0  # complete candidates rejected by CRC or end byte
    bad_header: int = 0  # candidates rejected by type or length


class FrameParser:
    """Incremental frame parser. ``feed(bytes) -> list[Frame]``; never raises on input."""

    _CHUNK = 4096  # caps the transient buffer when a huge block of noise arrives at once

    def __init__(self) -> None:
        self._buf = bytearray()
        self.stats = ParserStats()

    @property
    def pending(self) -> int:
        """Bytes held as the start of a frame that has not completed yet (≤ MAX_FRAME_LEN)."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        out: list[Frame] = []
        view = memoryview(data)
        for i in range(0, len(view), self._CHUNK):
            self._buf += view[i : i + self._CHUNK]
            self._scan(out)
        return out

    def expire(self) -> list[Frame]:
        """Give up on a partial frame (call after the line was idle): a real frame arrives in one
        burst, so a candidate that stalls is noise. Frames found behind it are still returned."""
        out: list[Frame] = []
        while self._buf:
            del self._buf[0]
            self.stats.garbage_bytes += 1
            self._scan(out)
        return out

    def reset(self) -> None:
        """Forget a partial frame (the port was closed; the next bytes start a fresh stream)."""
        self._buf.clear()

    def _scan(self, out: list[Frame]) -> None:
        buf = self._buf
        st = self.stats
        n = len(buf)
        i = 0
        while i < n:
            j = buf.find(SOF, i)
            if j < 0:
                st.garbage_bytes += n - i
                i = n
                break
            st.garbage_bytes += j - i
            i = j
            avail = n - i
            if avail < 2:
                break
            ftype = buf[i + 1]
            if ftype not in _LEN_RANGE:
                st.bad_header += 1
                st.garbage_bytes += 1
                i += 1
                continue
            if avail < HEADER_LEN:
                break
            plen = buf[i + 6]
            lo, hi = _LEN_RANGE[ftype]
            if not lo <= plen <= hi:
                st.bad_header += 1
                st.garbage_bytes += 1
                i += 1
                continue
            total = HEADER_LEN + plen + TRAILER_LEN
            if avail < total:
                break
            end = i + total
            crc = (buf[end - 3] << 8) | buf[end - 2]
            if buf[end - 1] != EOF or crc16(memoryview(buf)[i + 1 : end - 3]) != crc:
                st.bad_crc += 1
                st.garbage_bytes += 1
                i += 1  # resync on the next start byte, which may begin the real frame
                continue
            _, _, dev, seq, _ = _HEADER.unpack_from(buf, i)
            out.append(Frame(FrameType(ftype), dev, seq, bytes(buf[i + HEADER_LEN : end - 3])))
            st.frames += 1
            i = end
        del buf[:i]


def parse_all(chunks: Iterable[bytes]) -> list[Frame]:
    """Convenience for tests and tools: parse a sequence of chunks, then expire leftovers."""
    p = FrameParser()
    out: list[Frame] = []
    for c in chunks:
        out += p.feed(c)
    return out + p.expire()
