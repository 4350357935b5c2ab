"""Unified social credit code (统一社会信用代码) check, GB 32100-2015.

18 characters: registration authority (1), organisation type (1), administrative
division code (6), organisation code body (9, itself GB 11714 with its own check
character) and a final check character computed modulo 31 over the first 17.
"""

from __future__ import annotations

# GB 32100-2015 table 1: the 31 characters allowed (no I, O, S, V, Z) and their values.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 32100-2015 5.2: weights W_i = 3^(i-1) mod 31 for positions 1..17.
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code (GB 32100-2015, 5.2)."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """None when ``code`` is a valid USCC, else a sentence saying what is wrong."""
    if len(code) != 18:
        return f"must have 18 characters, has {len(code)}"
    bad = [f"{ch!r} at position {i + 1}" for i, ch in enumerate(code) if ch not in USCC_ALPHABET]
    if bad:
        return (
            "characters not allowed by GB 32100 (I, O, S, V, Z and lower case are not): "
            + ", ".join(bad)
        )
    if not code[2:8].isdigit():
        return "positions 3-8 must be the 6-digit administrative division code"
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]!r}, expected {expected!r}"
    return None
