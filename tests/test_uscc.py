"""GB 32100-2015 unified social credit code check character."""

import pytest

from coact.engines.uscc import uscc_check_character, uscc_problem


def test_published_example_code_is_valid() -> None:
    # 91350100M000100Y43 is the example code printed in GB 32100-2015.
    assert uscc_problem("91350100M000100Y43") is None


def test_check_character_by_hand() -> None:
    # first17 = "9132068200000000X" (invented); X = 29; weights 1,3,9,27,19,26,16,17,...,28:
    # 9*1 + 1*3 + 3*9 + 2*27 + 0*19 + 6*26 + 8*16 + 2*17 + 0 ... + 29*28
    #   = 9 + 3 + 27 + 54 + 156 + 128 + 34 + 812 = 1223; 1223 mod 31 = 14; 31 - 14 = 17 -> 'H'
    assert uscc_check_character("9132068200000000X") == "H"


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100YI3", "not allowed"),
        ("9135A100M000100Y43", "division code"),
        ("91350100M000100Y44", "check character"),
    ],
)
def test_bad_codes_say_what_is_wrong(code: str, fragment: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None and fragment in problem
