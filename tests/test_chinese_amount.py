"""Chinese uppercase amounts (大写金额) against known values, per the PBOC writing rules."""

from decimal import Decimal

import pytest

from salessheet.documents.chinese_amount import chinese_uppercase


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("10005.00", "壹万零伍元整"),
        ("12345.60", "壹万贰仟叁佰肆拾伍元陆角整"),
        ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
        ("1409.02", "壹仟肆佰零玖元零贰分"),  # zero 角 before 分 is written 零
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("0.55", "伍角伍分"),
        ("0", "零元整"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),  # 壹拾, never 拾
        ("15", "壹拾伍元整"),
        ("100", "壹佰元整"),
        ("101", "壹佰零壹元整"),
        ("110", "壹佰壹拾元整"),
        ("1001", "壹仟零壹元整"),
        ("1010", "壹仟零壹拾元整"),
        ("10100", "壹万零壹佰元整"),
        ("100010", "壹拾万零壹拾元整"),
        ("105000", "壹拾万伍仟元整"),
        ("1000000", "壹佰万元整"),
        ("1000001", "壹佰万零壹元整"),
        ("20000000", "贰仟万元整"),
        ("100000000", "壹亿元整"),
        ("100010000", "壹亿零壹万元整"),
        ("100001000", "壹亿零壹仟元整"),
        ("110000000", "壹亿壹仟万元整"),
        ("1000000000000", "壹万亿元整"),
        ("65200", "陆万伍仟贰佰元整"),
        ("70057.00", "柒万零伍拾柒元整"),
        ("20.10", "贰拾元壹角整"),
        ("-3.01", "负叁元零壹分"),
    ],
)
def test_known_values(amount: str, expected: str) -> None:
    assert chinese_uppercase(Decimal(amount)) == expected


def test_rounds_half_up_to_the_fen_first() -> None:
    assert chinese_uppercase(Decimal("0.005")) == "壹分"
    assert chinese_uppercase(Decimal("0.004")) == "零元整"
    assert chinese_uppercase(Decimal("9.995")) == "壹拾元整"


def test_accepts_int_and_text() -> None:
    assert chinese_uppercase(10005) == "壹万零伍元整"
    assert chinese_uppercase("12345.6") == "壹万贰仟叁佰肆拾伍元陆角整"


def test_rejects_what_is_not_an_amount() -> None:
    with pytest.raises(ValueError, match="not an amount"):
        chinese_uppercase("abc")
    with pytest.raises(ValueError, match="too large"):
        chinese_uppercase(Decimal(10) ** 16)
