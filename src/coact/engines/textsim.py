"""Duplicate-detection helpers for complaints: Chinese text and address similarity.

Chinese has no spaces between words, so text similarity is measured on character bigrams
(the Dice coefficient of the two bigram multisets: 2·|A∩B| / (|A| + |B|), 0..1), which is
robust to word order ("夜间化工厂排放异味" vs "化工厂夜间排放异味"). Addresses are compared with
rapidfuzz edit-distance ratios after normalisation. Normalisation: Unicode NFKC (full-width
letters, digits and punctuation become half-width), lower case, and only letters and digits
kept (spaces, punctuation and symbols dropped).

:func:`likely_duplicates` flags earlier complaints within ``days`` of a new one that have the
same enterprise, a matching address or similar text (management-modules.md §3 (d): "repeat
complaints about the same enterprise or address within N days"), scored for ranking. It is a
screening aid for the dispatcher, who decides whether to merge.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

# Administrative prefixes that add nothing when all addresses are in Nantong, Jiangsu.
DEFAULT_ADDRESS_PREFIXES = ("中华人民共和国", "中国", "江苏省", "江苏", "南通市")
# Below this length a partial (substring) address match is too weak to trust ("100号").
MIN_PARTIAL_ADDRESS_CHARS = 6
# Factor applied when two addresses carry different house numbers ("100号" vs "108号").
NUMBER_MISMATCH_FACTOR = 0.6
# Ranking weights of the score (heuristic; they sum to 1 so a full match scores 1.0).
SCORE_WEIGHTS = {"text": 0.5, "address": 0.25, "enterprise": 0.15, "category": 0.10}

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class ComplaintText:
    """What duplicate detection needs from a complaint."""

    id: str
    received_at: dt.datetime
    text: str
    address: str = ""
    enterprise_id: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class DuplicateMatch:
    candidate_id: str
    score: float  # 0..1, for ranking
    text_similarity: float
    address_similarity: float
    same_enterprise: bool
    same_category: bool
    days_apart: float
    reasons: tuple[str, ...]  # same_enterprise | same_address | similar_text


def normalise_text(text: str) -> str:
    """NFKC (full-width to half-width), lower case, letters and digits only."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def normalise_address(address: str, drop_prefixes: Sequence[str] = DEFAULT_ADDRESS_PREFIXES) -> str:
    """:func:`normalise_text`, then leading administrative prefixes removed (in order)."""
    text = normalise_text(address)
    for prefix in drop_prefixes:
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text


def char_ngrams(text: str, n: int = 2) -> Counter[str]:
    """Multiset of character n-grams of already-normalised ``text`` (the whole text if it is
    shorter than ``n``)."""
    if len(text) < n:
        return Counter([text]) if text else Counter()
    return Counter(text[i : i + n] for i in range(len(text) - n + 1))


def dice(a: Counter[str], b: Counter[str]) -> float:
    """Dice coefficient of two multisets: 2·|a∩b| / (|a|+|b|); 0 when both are empty."""
    total = sum(a.values()) + sum(b.values())
    if total == 0:
        return 0.0
    common = sum((a & b).values())
    return 2.0 * common / total


def text_similarity(a: str, b: str, n: int = 2) -> float:
    """Character n-gram Dice similarity (0..1) of two texts after normalisation."""
    return dice(char_ngrams(normalise_text(a), n), char_ngrams(normalise_text(b), n))


def address_similarity(a: str, b: str) -> float:
    """Similarity (0..1) of two addresses after :func:`normalise_address`.

    rapidfuzz ``ratio``; ``partial_ratio`` too when the shorter address has at least
    ``MIN_PARTIAL_ADDRESS_CHARS`` characters (one address contains the other); multiplied by
    ``NUMBER_MISMATCH_FACTOR`` when both carry numbers and the shorter's are not all in the
    longer's (a different house number is a different place)."""
    x, y = normalise_address(a), normalise_address(b)
    if not x or not y:
        return 0.0
    score = fuzz.ratio(x, y)
    if min(len(x), len(y)) >= MIN_PARTIAL_ADDRESS_CHARS:
        score = max(score, fuzz.partial_ratio(x, y))
    short, long = sorted((x, y), key=len)
    short_numbers, long_numbers = set(_DIGITS.findall(short)), set(_DIGITS.findall(long))
    if short_numbers and long_numbers and not short_numbers <= long_numbers:
        score *= NUMBER_MISMATCH_FACTOR
    return score / 100.0


def likely_duplicates(
    new: ComplaintText,
    candidates: Iterable[ComplaintText],
    days: float = 30,
    threshold: float = 0.6,
    address_threshold: float = 0.85,
) -> list[DuplicateMatch]:
    """Candidates received within ``days`` of ``new`` that share its enterprise, have an
    address similarity >= ``address_threshold`` or a text similarity >= ``threshold``;
    best score first."""
    new_grams = char_ngrams(normalise_text(new.text))
    matches = []
    for other in candidates:
        if other.id == new.id:
            continue
        apart = abs((new.received_at - other.received_at).total_seconds()) / 86_400
        if apart > days:
            continue
        match = _compare(new, new_grams, other, apart, threshold, address_threshold)
        if match.reasons:
            matches.append(match)
    return sorted(matches, key=lambda m: (-m.score, m.days_apart, m.candidate_id))


def _compare(
    new: ComplaintText,
    new_grams: Counter[str],
    other: ComplaintText,
    apart: float,
    threshold: float,
    address_threshold: float,
) -> DuplicateMatch:
    text_sim = dice(new_grams, char_ngrams(normalise_text(other.text)))
    address_sim = address_similarity(new.address, other.address)
    same_enterprise = bool(new.enterprise_id) and new.enterprise_id == other.enterprise_id
    same_category = bool(new.category) and new.category == other.category
    reasons = []
    if same_enterprise:
        reasons.append("same_enterprise")
    if address_sim >= address_threshold:
        reasons.append("same_address")
    if text_sim >= threshold:
        reasons.append("similar_text")
    score = (
        SCORE_WEIGHTS["text"] * text_sim
        + SCORE_WEIGHTS["address"] * address_sim
        + SCORE_WEIGHTS["enterprise"] * same_enterprise
        + SCORE_WEIGHTS["category"] * same_category
    )
    return DuplicateMatch(
        other.id,
        round(score, 4),
        round(text_sim, 4),
        round(address_sim, 4),
        same_enterprise,
        same_category,
        round(apart, 3),
        tuple(reasons),
    )
