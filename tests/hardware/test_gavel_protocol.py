"""Frame encoder and incremental parser: pure, no port."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardware.protocol import (
    EOF,
    MAX_FRAME_LEN,
    SOF,
    Frame,
    FrameParser,
    FrameType,
    HelloFeature,
    StrikeFlag,
    crc16,
    encode,
    encode_heartbeat,
    encode_hello,
    encode_release,
    encode_strike,
    heartbeat_info,
    hello_info,
    parse_all,
    strike_info,
)

HYP = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # same examples every run: deterministic CI
    suppress_health_check=[HealthCheck.too_slow],
)


def sample_frames() -> list[bytes]:
    return [
        encode_hello(7, 1, HelloFeature.SWITCH, "gavel 1.0"),
        encode_heartbeat(7, 2, 1000, held=False),
        encode_strike(7, 3, 1234, 812, make=True),
        encode_release(7, 4, 1300),
        encode_heartbeat(7, 5, 2000, held=True),
        encode_strike(0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFF),
    ]


def test_crc16_check_value() -> None:
    # the CRC-16/CCITT-FALSE catalogue check value; the firmware test vector in PROTOCOL.md
    assert crc16(b"123456789") == 0x29B1


def test_known_strike_frame_bytes() -> None:
    # pinned bytes: PROTOCOL.md shows this frame; the firmware must produce the same
    body = "03 00 01 00 02 07 00 00 03 e8 02 00 00"
    assert encode_strike(1, 2, 1000, 512, make=False).hex(" ") == f"a5 {body} {crc_of(body)} 5a"


def crc_of(hexbytes: str) -> str:
    c = crc16(bytes.fromhex(hexbytes))
    return f"{c >> 8:02x} {c & 0xFF:02x}"


def test_roundtrip_and_payload_fields() -> None:
    frames = parse_all(sample_frames())
    assert [f.type for f in frames] == [
        FrameType.HELLO,
        FrameType.HEARTBEAT,
        FrameType.STRIKE,
        FrameType.RELEASE,
        FrameType.HEARTBEAT,
        FrameType.STRIKE,
    ]
    h = hello_info(frames[0])
    assert (h.version, h.features, h.firmware) == (1, HelloFeature.SWITCH, "gavel 1.0")
    s = strike_info(frames[2])
    assert (s.device_ms, s.strength, s.flags) == (1234, 812, StrikeFlag.MAKE)
    assert heartbeat_info(frames[4]).flags == 1
    assert (frames[5].device_id, frames[5].seq) == (0xFFFF, 0xFFFF)
    assert all(f.encode() == raw for f, raw in zip(frames, sample_frames(), strict=True))


def test_encoder_refuses_bad_fields() -> None:
    with pytest.raises(ValueError):
        encode(0x09, 1, 1, b"")
    with pytest.raises(ValueError):
        encode(FrameType.STRIKE, 1, 1, b"\x00")  # payload too short for a strike
    with pytest.raises(ValueError):
        encode(FrameType.HELLO, 1, 1, b"\x01" * 33)
    with pytest.raises(ValueError):
        encode_strike(0x10000, 1)


def test_split_at_every_byte_boundary_parses_the_same() -> None:
    stream = b"".join(sample_frames())
    whole = parse_all([stream])
    assert len(whole) == 6
    for cut in range(len(stream) + 1):
        assert parse_all([stream[:cut], stream[cut:]]) == whole, cut
    assert parse_all([bytes([b]) for b in stream]) == whole


@HYP
@given(st.lists(st.integers(0, len(b"".join(sample_frames()))), max_size=12))
def test_split_at_any_set_of_boundaries(cuts: list[int]) -> None:
    stream = b"".join(sample_frames())
    points = sorted(set(cuts))
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    assert parse_all(chunks) == parse_all([stream])


@HYP
@given(st.binary(max_size=600), st.lists(st.integers(1, 64), max_size=8))
def test_random_bytes_only_yield_frames_found_in_the_input(data: bytes, sizes: list[int]) -> None:
    """The safety property: every frame the parser yields is a byte-exact substring of the
    input with a valid CRC, so noise can never invent a strike."""
    p = FrameParser()
    out: list[Frame] = []
    pos = 0
    for n in sizes:
        out += p.feed(data[pos : pos + n])
        pos += n
    out += p.feed(data[pos:])
    out += p.expire()
    for f in out:
        assert f.encode() in data
    # accounting: every input byte is either in a frame or counted as garbage
    assert sum(len(f.encode()) for f in out) + p.stats.garbage_bytes == len(data)


# Noise made of protocol-looking bytes is far nastier than uniform random bytes.
nasty = st.lists(
    st.one_of(
        st.sampled_from([SOF, EOF, *FrameType, 0x07, 0x05, 0x00, 0xFF]),
        st.integers(0, 255),
    ),
    max_size=300,
).map(bytes)


@HYP
@given(nasty)
def test_protocol_looking_noise_never_strikes(noise: bytes) -> None:
    frames = parse_all([noise])
    assert all(f.encode() in noise for f in frames)


@HYP
@given(nasty, nasty, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_valid_frame_embedded_in_noise_is_found(
    before: bytes, after: bytes, dev: int, seq: int
) -> None:
    frame = encode_strike(dev, seq, 42, 300)
    stream = before + frame + after + bytes(MAX_FRAME_LEN)  # zeros flush any false candidate
    frames = parse_all([stream])
    assert Frame(FrameType.STRIKE, dev, seq, struct.pack(">IHB", 42, 300, 0)) in frames


def test_corrupted_frames_never_parse() -> None:
    """Every single-bit flip of a valid strike frame is rejected (CRC-16 catches all of them)."""
    good = encode_strike(3, 9, 100, 500)
    for i in range(len(good)):
        for bit in range(8):
            bad = bytearray(good)
            bad[i] ^= 1 << bit
            assert parse_all([bytes(bad)]) == [], (i, bit)


def test_oversized_length_is_rejected_and_resyncs() -> None:
    dev, seq = 1, 5
    payload = bytes(200)
    body = bytes([FrameType.STRIKE, 0, dev, 0, seq, len(payload)]) + payload
    oversized = bytes([SOF]) + body + crc16(body).to_bytes(2, "big") + bytes([EOF])
    good = encode_strike(dev, 6)
    p = FrameParser()
    out = p.feed(oversized + good)
    assert [f.seq for f in out] == [6]
    assert p.stats.bad_header >= 1


def test_buffer_stays_bounded_under_endless_false_starts() -> None:
    p = FrameParser()
    # a start byte + strike type + max length, then nothing valid: the worst case for buffering
    chunk = bytes([SOF, FrameType.STRIKE, 0, 1, 0, 1, 16]) + bytes(range(40))
    for _ in range(2000):
        assert p.feed(chunk) == []
        assert p.pending <= MAX_FRAME_LEN
    rng = random.Random(1)
    for _ in range(200):
        p.feed(rng.randbytes(rng.randint(1, 5000)))
        assert p.pending <= MAX_FRAME_LEN


def test_expire_drops_stalled_candidate_and_finds_frame_behind_it() -> None:
    p = FrameParser()
    false_start = bytes([SOF, FrameType.HELLO, 0, 1, 0, 1, 32])  # promises 32 payload bytes
    frame = encode_heartbeat(1, 2)
    assert p.feed(false_start + frame) == []  # still waiting for the false candidate to finish
    assert [f.seq for f in p.expire()] == [2]
    assert p.pending == 0


def test_stats_count_garbage_and_frames() -> None:
    p = FrameParser()
    p.feed(b"hello world" + encode_strike(1, 1))
    assert p.stats.frames == 1
    assert p.stats.garbage_bytes == len(b"hello world")
