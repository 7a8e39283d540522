"""One money rounding: half up to the currency's minor unit, wherever money is rounded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salessheet.analytics.model import Money
from salessheet.core.formatting import format_money
from salessheet.core.money import minor_unit, round_money
from salessheet.documents.chinese_amount import chinese_uppercase
from salessheet.documents.money import LineItem, compute_totals, line_total


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("2.345", "CNY", "2.35"),
        ("2.344999", "CNY", "2.34"),
        ("0.125", "EUR", "0.13"),  # half up, not half even (0.12)
        ("-2.345", "CNY", "-2.35"),  # halves go away from zero
        ("5", "CNY", "5.00"),  # always the minor unit's places
        ("2.5", "JPY", "3"),  # no minor unit
        ("1234.49", "JPY", "1234"),
        ("1.0005", "BHD", "1.001"),  # three places
        ("7.1234", "USD", "7.12"),
    ],
)
def test_round_money(amount: str, currency: str, rounded: str) -> None:
    assert str(round_money(Decimal(amount), currency)) == rounded


def test_minor_units_come_from_babel() -> None:
    assert (minor_unit("CNY"), minor_unit("JPY"), minor_unit("BHD")) == (
        Decimal("0.01"), Decimal("1"), Decimal("0.001"))  # fmt: skip


def test_every_place_that_rounds_money_rounds_alike() -> None:
    # formatting, the analytics JSON, document line totals and 大写 all round 0.125 up
    assert format_money(Decimal("0.125"), "EUR", "en_US") == "€0.13"
    assert format_money(Decimal("2.5"), "JPY", "en_US") == "¥3"
    money = Money(by_currency={"CNY": Decimal("0.125"), "JPY": Decimal("2.5"),
                               "BHD": Decimal("1.0005")})  # fmt: skip
    assert money.to_dict()["by_currency"] == {"BHD": "1.001", "CNY": "0.13", "JPY": "3"}
    assert line_total(LineItem(Decimal(1), Decimal("0.125")), "CNY") == Decimal("0.13")
    assert line_total(LineItem(Decimal(3), Decimal("0.5")), "JPY") == Decimal(2)
    assert chinese_uppercase(Decimal("0.125")) == "壹角叁分"


def test_document_totals_carry_the_minor_unit() -> None:
    totals = compute_totals([LineItem(Decimal(2), Decimal(50), tax_rate=Decimal("0.13"))], "CNY")
    assert [str(v) for v in (totals.subtotal, totals.tax, totals.total)] == [
        "100.00", "13.00", "113.00"]  # fmt: skip
    totals = compute_totals([LineItem(Decimal(3), Decimal("333.5"))], "JPY")
    assert str(totals.total) == "1001"  # 1000.5 rounded once, on the line
