"""Locale-aware money, number, percent and date formatting (Babel)."""

import datetime as dt
from decimal import Decimal

import pytest

from salessheet.formatting import (
    currency_digits,
    format_date,
    format_money,
    format_number,
    format_percent,
    is_known_currency,
    is_known_locale,
)


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "CNY", "zh_CN", "¥1,234.50"),
        ("1234.5", "EUR", "de_DE", "1.234,50\xa0€"),
        ("1234.5", "USD", "en_US", "$1,234.50"),
        ("1234.5", "CNY", "en_US", "CN¥1,234.50"),
        ("-48155", "CNY", "zh_CN", "-¥48,155.00"),
        ("1234", "JPY", "ja_JP", "￥1,234"),
    ],
)
def test_money(amount: str, currency: str, locale: str, expected: str) -> None:
    assert format_money(Decimal(amount), currency, locale) == expected


def test_numbers_keep_their_digits_and_drop_trailing_zeros() -> None:
    assert format_number(Decimal("1000.000"), "en_US") == "1,000"
    assert format_number(Decimal("2.50"), "de_DE") == "2,5"
    assert format_number(Decimal("0.125"), "zh_CN") == "0.125"


def test_percent() -> None:
    assert format_percent(Decimal("0.13"), "zh_CN") == "13%"
    assert format_percent(Decimal("0.125"), "en_US") == "12.5%"
    assert format_percent(Decimal("0.06"), "de_DE") == "6\xa0%"


def test_dates_by_locale() -> None:
    day = dt.date(2026, 11, 28)
    assert format_date(day, "zh_CN") == "2026年11月28日"
    assert format_date(day, "en_US") == "November 28, 2026"
    assert format_date(day, "de_DE") == "28. November 2026"
    assert format_date(day, "en_GB", "medium") == "28 Nov 2026"


def test_currency_and_locale_checks() -> None:
    assert currency_digits("CNY") == 2
    assert currency_digits("JPY") == 0
    assert is_known_currency("CNY") and is_known_currency("EUR")
    assert not is_known_currency("RMB") and not is_known_currency("cny")
    assert is_known_locale("zh_CN") and is_known_locale("en-GB")
    assert not is_known_locale("xx_YY")
