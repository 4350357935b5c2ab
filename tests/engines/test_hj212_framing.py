"""HJ 212 Framer: split/coalesced packets, garbage, missing CR LF, bounded memory; hypothesis
property tests on random and mutated byte streams (framer and parser never raise)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coact.engines.hj212 import Framer, Tolerance, parse_frame
from coact.engines.hj212 import errors as rc
from coact.engines.hj212.reply import encode_packet

A = encode_packet(
    {
        "QN": "20160801085857223",
        "ST": "32",
        "CN": "1062",
        "PW": "100000",
        "MN": "010000A8900016F000169DC0",
        "Flag": 5,
    },
    {"RtdInterval": "30"},
)
B = encode_packet(
    {"QN": "20240123123950241", "ST": "31", "CN": "2011", "PW": "123456", "MN": "8173", "Flag": 4},
    [("DataTime", "20240122081600"), ("a00000-Rtd", "5.407"), ("a00000-Flag", "N")],
)


def frames(results: list) -> list[bytes]:
    return [r.frame for r in results if r.ok]


def feed_all(framer: Framer, stream: bytes, cuts: list[int]) -> list:
    out, start = [], 0
    for cut in sorted(set(cuts)):
        out += framer.feed(stream[start:cut])
        start = cut
    return out + framer.feed(stream[start:]) + framer.flush()


def test_appendix_a_frame_is_what_the_standard_prints() -> None:
    assert A.endswith(b"&&1C80\r\n")


def test_coalesced_and_split_packets() -> None:
    stream = A + B + A
    assert frames(feed_all(Framer(), stream, [])) == [A[:-2], B[:-2], A[:-2]]
    byte_by_byte = feed_all(Framer(), stream, list(range(len(stream))))
    assert frames(byte_by_byte) == [A[:-2], B[:-2], A[:-2]]


def test_garbage_between_packets_is_reported_and_skipped() -> None:
    results = feed_all(Framer(), b"\x00\xffjunk" + A + b"more junk#" + B + b"\r\n\r\n", [])
    assert frames(results) == [A[:-2], B[:-2]]
    garbage = [r.error.code for r in results if r.error]
    assert garbage == [rc.GARBAGE, rc.GARBAGE]  # blank CR LF filler is not reported


def test_bad_length_field_resynchronises() -> None:
    results = feed_all(Framer(), b"##12x4" + A, [])
    assert frames(results) == [A[:-2]]
    assert results[0].error.code == rc.BAD_LENGTH_FIELD


def test_missing_crlf_strict_and_tolerated() -> None:
    stream = A[:-2] + B  # A has no CR LF, B follows at once
    strict = feed_all(Framer(), stream, [])
    assert strict[0].frame == A[:-2] and strict[0].error.code == rc.MISSING_CRLF
    assert frames(strict) == [B[:-2]]
    tolerant = Framer(Tolerance.from_names("missing-crlf"))
    results = feed_all(tolerant, A[:-2] + b"\n" + B[:-2] + A, [])
    assert frames(results) == [A[:-2], B[:-2], A[:-2]]
    assert results[0].quirks == ("missing-crlf",)


def test_length_field_too_large_does_not_stall() -> None:
    # tang0-0 client: length field = real length + 6. The frame is handed out as soon as its
    # CR LF arrives, and parse_frame judges the length.
    segment = A[6:-6]
    wrong = b"##%04d" % (len(segment) + 6) + A[6:]
    framer = Framer()
    results = framer.feed(wrong)
    assert frames(results) == [wrong[:-2]]
    assert parse_frame(results[0].frame).code == rc.LENGTH_MISMATCH
    assert parse_frame(results[0].frame, Tolerance.from_names("wrong-length")).ok


def test_length_field_too_small_uses_the_crlf() -> None:
    wrong = b"##%04d" % (len(A) - 10 - 5) + A[6:]
    assert frames(feed_all(Framer(), wrong + B, [])) == [wrong[:-2], B[:-2]]


def test_oversize_length_field_and_unterminated_flood_stay_bounded() -> None:
    framer = Framer(max_segment=1024)
    results = framer.feed(b"##5000" + b"x" * 100)
    assert results[0].error.code == rc.OVERSIZE
    flood = framer.feed(b"##0900" + b"y" * 50_000)  # no terminator, no "##" ever
    assert framer.buffered <= 2 * framer.max_frame
    assert any(r.error and r.error.code == rc.OVERSIZE for r in flood)
    assert frames(framer.feed(A)) == [A[:-2]]


def test_truncated_stream_reported_on_flush() -> None:
    framer = Framer()
    assert framer.feed(A[:40]) == []
    results = framer.flush()
    assert results[0].error.code == rc.TRUNCATED and framer.buffered == 0


# --- property tests ------------------------------------------------------------------------

SAFE = st.text(alphabet="ABCDEFabcdef0123456789.-", min_size=1, max_size=12)
CODE = st.from_regex(r"[aw][0-9]{5}", fullmatch=True)


@st.composite
def packets(draw: st.DrawFn) -> bytes:
    header = {
        "QN": draw(st.from_regex(r"[0-9]{17}", fullmatch=True)),
        "ST": draw(st.sampled_from(["22", "31", "32", "91"])),
        "CN": draw(st.sampled_from(["2011", "2051", "2061", "9014"])),
        "PW": draw(SAFE),
        "MN": draw(SAFE),
        "Flag": draw(st.sampled_from([4, 5, 8, 9])),
    }
    codes = draw(st.lists(CODE, max_size=8, unique=True))
    cp = [("DataTime", "20240101000000")]
    for code in codes:
        cp += [(f"{code}-Rtd", draw(SAFE)), (f"{code}-Flag", "N")]
    return encode_packet(header, cp)


GARBAGE = st.binary(max_size=40).map(lambda b: b.replace(b"#", b""))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(GARBAGE, packets()), min_size=1, max_size=6),
    st.lists(st.integers(0, 4000), max_size=12),
)
def test_every_valid_frame_is_recovered_after_garbage_and_random_cuts(
    pieces: list[tuple[bytes, bytes]], cuts: list[int]
) -> None:
    stream = b"".join(garbage + packet for garbage, packet in pieces)
    framer = Framer()
    results = feed_all(framer, stream, [c for c in cuts if c < len(stream)])
    assert frames(results) == [packet[:-2] for _, packet in pieces]
    assert framer.buffered == 0
    for frame in frames(results):
        parsed = parse_frame(frame)
        assert parsed.ok and parsed.crc_ok and parsed.length_ok


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=8))
def test_random_bytes_never_raise_and_memory_stays_bounded(data: bytes, cuts: list[int]) -> None:
    framer = Framer(Tolerance.lenient(), max_segment=200)
    start = 0
    for cut in [*sorted(c for c in cuts if c < len(data)), len(data)]:
        for result in framer.feed(data[start:cut]):
            if result.frame is not None:
                parse_frame(result.frame, Tolerance.lenient())
        assert framer.buffered <= 2 * framer.max_frame
        start = cut
    framer.flush()


@settings(max_examples=120, deadline=None)
@given(
    packets(),
    st.lists(st.tuples(st.integers(0, 600), st.integers(0, 255)), max_size=4),
    st.sampled_from(["flip", "insert", "delete"]),
    st.booleans(),
)
def test_mutated_packets_never_raise(
    packet: bytes, edits: list[tuple[int, int]], how: str, lenient: bool
) -> None:
    data = bytearray(packet)
    for position, value in edits:
        position %= len(data)
        if how == "flip":
            data[position] ^= value or 1
        elif how == "insert":
            data.insert(position, value)
        else:
            del data[position]
    tolerance = Tolerance.lenient() if lenient else Tolerance()
    result = parse_frame(bytes(data), tolerance)
    assert result.ok in (True, False)
    if not result.ok:
        assert result.code in rc.ALL_CODES and result.message
    for framed in Framer(tolerance).feed(bytes(data) + A):
        if framed.frame is not None:
            parse_frame(framed.frame, tolerance)
