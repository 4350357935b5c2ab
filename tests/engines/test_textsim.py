"""Duplicate-detection helpers on Chinese complaint texts and addresses."""

from __future__ import annotations

import datetime as dt

import pytest

from coact.engines.textsim import (
    ComplaintText,
    address_similarity,
    char_ngrams,
    dice,
    likely_duplicates,
    normalise_address,
    normalise_text,
    text_similarity,
)


def test_normalise_text_folds_full_width_and_drops_punctuation() -> None:
    assert normalise_text("ＡＢＣ化工，排放废水！ １２３") == "abc化工排放废水123"
    assert normalise_text("  \t") == ""


def test_normalise_address_drops_administrative_prefixes() -> None:
    assert normalise_address("江苏省 南通市 崇川区工农路１００号") == "崇川区工农路100号"
    assert normalise_address("南通市通州区") == "通州区"


def test_reordered_complaint_dice_by_hand() -> None:
    # A = 夜间化工厂排放刺鼻异味 (11 chars, 10 bigrams); B = 化工厂夜间排放刺鼻异味 (10 bigrams).
    # Shared: 夜间 化工 工厂 排放 放刺 刺鼻 鼻异 异味 = 8, so Dice = 2*8 / (10+10) = 0.8.
    assert text_similarity("夜间化工厂排放刺鼻异味", "化工厂夜间排放刺鼻异味") == pytest.approx(0.8)


def test_unrelated_complaints_score_low() -> None:
    # Only 夜间 is shared: A has 10 bigrams, B (工地夜间施工噪声扰民) 9: 2*1/19 = 0.105.
    score = text_similarity("夜间化工厂排放刺鼻异味", "工地夜间施工噪声扰民")
    assert score == pytest.approx(2 / 19)


def test_formatting_differences_do_not_matter() -> None:
    assert text_similarity("ＡＢＣ化工，排放废水！", "abc化工 排放废水") == 1.0


def test_ngram_helpers_edge_cases() -> None:
    assert char_ngrams("a") == {"a": 1}
    assert dice(char_ngrams(""), char_ngrams("")) == 0.0


def test_address_similarity() -> None:
    # Same place written with prefixes, spaces and full-width digits.
    assert address_similarity("江苏省南通市崇川区工农路100号", "崇川区 工农路１００号") == 1.0
    # One contains the other (long enough to trust a partial match).
    assert address_similarity("崇川区工农路100号", "工农路100号") == 1.0
    # A different house number is a different place.
    assert address_similarity("崇川区工农路100号", "崇川区工农路108号") < 0.85
    # A bare number is too short for a partial match.
    assert address_similarity("工农路100号", "100号") < 0.85
    assert address_similarity("", "工农路100号") == 0.0


def _complaint(cid: str, days_before: float, text: str, address: str = "", **kw) -> ComplaintText:
    base = dt.datetime(2025, 6, 30, 12, 0)
    return ComplaintText(cid, base - dt.timedelta(days=days_before), text, address, **kw)


def test_likely_duplicates_finds_and_ranks() -> None:
    new = _complaint(
        "new",
        0,
        "夜间化工厂排放刺鼻异味",
        "崇川区工农路100号",
        enterprise_id="E1",
        category="air.odour",
    )
    candidates = [
        _complaint("new", 0, "夜间化工厂排放刺鼻异味"),  # itself: skipped
        _complaint("reordered", 2, "化工厂夜间排放刺鼻异味", "工农路100号", category="air.odour"),
        _complaint("same-firm", 10, "厂区雨水排口排放黄色废水", "海门区", enterprise_id="E1"),
        _complaint("same-place", 5, "工地夜间施工噪声扰民", "南通市崇川区工农路100号"),
        _complaint("too-old", 40, "夜间化工厂排放刺鼻异味", "崇川区工农路100号"),
        _complaint("unrelated", 1, "小区生活垃圾无人清运", "通州区金沙镇"),
    ]
    found = likely_duplicates(new, candidates, days=30, threshold=0.6)
    assert [m.candidate_id for m in found] == ["reordered", "same-place", "same-firm"]
    first = found[0]
    assert first.reasons == ("same_address", "similar_text")
    # score = 0.5*0.8 (text) + 0.25*1.0 (address) + 0.15*0 (enterprise) + 0.10*1 (category)
    assert first.score == pytest.approx(0.75)
    assert found[1].reasons == ("same_address",)
    assert found[2].reasons == ("same_enterprise",) and found[2].days_apart == 10


def test_window_is_symmetric_and_threshold_applies() -> None:
    new = _complaint("new", 0, "河道黑臭", "")
    later = _complaint("later", -3, "河道黑臭严重", "")
    # Bigrams 河道 道黑 黑臭 (3) vs 河道 道黑 黑臭 臭严 严重 (5): 2*3/8 = 0.75.
    assert [m.candidate_id for m in likely_duplicates(new, [later], days=5)] == ["later"]
    assert likely_duplicates(new, [later], days=5, threshold=0.8) == []
    assert likely_duplicates(new, [later], days=2) == []
