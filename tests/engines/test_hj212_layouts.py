"""The remembered-layout path of parse_frame (layouts.py) gives exactly what the general path
gives: for packets laid out like the device's last one, for packets that are not, and for
values the general path would refuse; and the cache stays within its bounds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coact.engines.hj212 import packet as packet_module
from coact.engines.hj212 import parse_frame
from coact.engines.hj212.layouts import LayoutCache, device_key
from coact.engines.hj212.reply import encode_packet

HEADER = {"QN": "20240123124000123", "ST": "31", "CN": "2061", "PW": "123456"}
CODES = ("a21026", "a21002", "a34013", "a19001", "a01012", "a00000", "w01018")
SUFFIXES = ("Min", "Avg", "Max", "Cou", "Flag", "ZsAvg")


def hourly(mn: str, cp: list[tuple[str, str]]) -> bytes:
    return encode_packet({**HEADER, "MN": mn, "Flag": 5}, [("DataTime", "20240123120000"), *cp])


def parsed(frame: bytes) -> tuple:
    """What parse_frame returns, reduced to comparable values."""
    result = parse_frame(frame.rstrip(b"\r\n"))
    if not result.ok:
        return ("rejected", result.code)
    return (result.header, result.cp, result.cp_body, result.flag, result.edition, result.warnings)


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> LayoutCache:
    cache = LayoutCache()
    monkeypatch.setattr(packet_module, "LAYOUTS", cache)
    return cache


def without_cache(frame: bytes) -> tuple:
    """The general path alone: a cache that never learns anything."""
    saved = packet_module.LAYOUTS
    packet_module.LAYOUTS = LayoutCache(max_keys=0, max_layouts=0)
    try:
        return parsed(frame)
    finally:
        packet_module.LAYOUTS = saved


values = st.text(alphabet="0123456789.-NFMDCTB", max_size=8)
layouts = st.lists(
    st.tuples(st.sampled_from(CODES), st.sampled_from(SUFFIXES)), min_size=1, max_size=12
).map(lambda names: list(dict.fromkeys(f"{code}-{suffix}" for code, suffix in names)))


@settings(max_examples=150, deadline=None)
@given(names=layouts, first=st.data(), second=st.data())
def test_a_packet_laid_out_like_the_last_parses_as_the_general_path_does(
    names: list[str], first: st.DataObject, second: st.DataObject
) -> None:
    saved = packet_module.LAYOUTS
    packet_module.LAYOUTS = LayoutCache()
    try:
        one = hourly("MNLAYOUT0000000000000001", [(n, first.draw(values)) for n in names])
        two = hourly("MNLAYOUT0000000000000001", [(n, second.draw(values)) for n in names])
        assert parsed(one) == without_cache(one)  # learns the layout when accepted
        assert parsed(two) == without_cache(two)  # parsed through it when it matches
    finally:
        packet_module.LAYOUTS = saved


def test_the_second_packet_goes_through_the_remembered_layout(fresh_cache: LayoutCache) -> None:
    mn = "MNLAYOUT0000000000000002"
    one = hourly(mn, [("a21026-Avg", "12.5"), ("a21026-Flag", "N"), ("a19001-Avg", "8.1")])
    parse_frame(one)
    layout = fresh_cache.get(one[6:-6])
    assert layout is not None and layout.cp_names == (
        "DataTime",
        "a21026-Avg",
        "a21026-Flag",
        "a19001-Avg",
    )
    two = hourly(mn, [("a21026-Avg", "99"), ("a21026-Flag", "T"), ("a19001-Avg", "")])
    assert layout.pattern.fullmatch(two[6:-6].decode()) is not None
    assert parse_frame(two).cp == {
        "DataTime": "20240123120000",
        "a21026-Avg": "99",
        "a21026-Flag": "T",
        "a19001-Avg": "",
    }


def test_a_changed_layout_or_a_bad_value_takes_the_general_path(fresh_cache: LayoutCache) -> None:
    mn = "MNLAYOUT0000000000000003"
    parse_frame(hourly(mn, [("a21026-Avg", "1"), ("a19001-Avg", "2")]))
    fewer = hourly(mn, [("a21026-Avg", "1")])
    assert parsed(fewer) == without_cache(fewer)
    assert fresh_cache.get(fewer[6:-6]).cp_names == ("DataTime", "a21026-Avg")  # re-learnt
    bad = hourly(mn, [("a21026-Avg", "1=2")])  # "=" in a value: the careful path decides
    assert parsed(bad) == without_cache(bad)
    comma = encode_packet({**HEADER, "MN": mn, "Flag": 5}, "DataTime=20240123120000;a21026-Avg=1,")
    assert parsed(comma) == without_cache(comma)


def test_the_cache_stays_within_its_bounds() -> None:
    cache = LayoutCache(max_keys=3, max_layouts=2)
    for n in range(5):
        frame = hourly(f"MNBOUND{n:017d}", [(f"a2102{n}-Avg", "1")])  # 5 devices, 5 layouts
        segment = frame[6:-6]
        result = parse_frame(frame)
        cache.learn(segment, result.header, result.cp, result.cp_body)
    assert len(cache) == 2  # two shapes compiled, then nothing new
    assert [cache.get(hourly(f"MNBOUND{n:017d}", [])[6:-6]) is not None for n in range(5)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert device_key(b"QN=1;ST=31;CN=2061;PW=1;MN=ABC;Flag=5;CP=&&&&") == (
        b"ST=31;CN=2061;PW=1;MN=ABC;Flag=5;"
    )
    assert device_key(b"ST=31;CN=2061;QN=1;PW=1;MN=ABC;Flag=5;CP=&&&&") == b"ABC|2061"
