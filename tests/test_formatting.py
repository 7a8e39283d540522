"""Locale-aware money, number, percent and date formatting (Babel)."""

import datetime as dt
from decimal import Decimal

import pytest

from salessheet.core.formatting import (
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


@pytest.mark.parametrize("locale", ["zh_CN", "en_US", "de_DE", "fr_FR", "de_CH", "en_IN", "ja_JP"])
@pytest.mark.parametrize("currency", ["CNY", "EUR", "USD", "JPY", "CHF"])
def test_money_matches_babel_everywhere(locale: str, currency: str) -> None:
    from babel.numbers import format_currency

    digits = currency_digits(currency)
    for text in ("0", "0.01", "7", "1234.5", "-98765432.1", "1000000", "12345678901.25"):
        value = Decimal(text).quantize(Decimal(1).scaleb(-digits))
        assert format_money(value, currency, locale) == format_currency(
            value, currency, locale=locale
        )


def test_money_rounds_extra_digits_half_up() -> None:
    assert format_money(Decimal("0.125"), "CNY", "zh_CN") == "¥0.13"
    assert format_money(Decimal("2.5"), "JPY", "ja_JP") == "￥3"
    assert format_money(Decimal("1234.565"), "EUR", "en_IN") == "€1,234.57"


@pytest.mark.parametrize(
    ("price", "currency", "locale", "expected"),
    [
        ("0.125", "USD", "en_US", "$0.125"),
        ("0.125", "EUR", "de_DE", "0,125\xa0€"),
        ("0.1250", "CNY", "zh_CN", "¥0.125"),
        ("1234.5678", "JPY", "en_US", "¥1,234.5678"),
        ("0.1234567", "USD", "en_US", "$0.123457"),  # at most 6 decimals
        ("5", "USD", "en_US", "$5.00"),  # as format_money
        ("0.1", "CNY", "zh_CN", "¥0.10"),
    ],
)
def test_unit_prices_keep_their_own_decimals(price, currency, locale, expected) -> None:
    from salessheet.core.formatting import format_price

    assert format_price(Decimal(price), currency, locale) == expected
