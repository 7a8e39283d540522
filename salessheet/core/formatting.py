"""Locale-aware formatting of money, numbers, percentages and dates (the one Babel module).

Documents and the analytics report format through these functions so a figure looks the same
everywhere: ``format_money(Decimal("1234.5"), "CNY", "zh_CN")`` -> ``¥1,234.50``;
``format_money(Decimal("1234.5"), "EUR", "de_DE")`` -> ``1.234,50 €``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from salessheet.core.money import round_money

if TYPE_CHECKING:
    from babel import Locale

# Babel is imported where it is first used, not with this module: `validate` and the other
# sheet commands import this module (for header units) but rarely format anything, and Babel
# takes longer to import than it takes them to check a thousand deals.

__all__ = [
    "count",
    "country_currency",
    "currency_digits",
    "currency_name",
    "currency_symbol",
    "format_date",
    "format_money",
    "format_number",
    "format_percent",
    "format_price",
    "is_known_currency",
    "is_known_locale",
    "official_locale",
    "territory_currency",
    "territory_zones",
    "zone_country",
]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """How a message counts things, in English: ``1 error``, ``2 errors``, ``0 deals``
    (``plural`` for a noun that does not take an s: ``count(n, "push", "pushes")``; "info"
    and "stalled" do not change)."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


@lru_cache(maxsize=64)
def _locale(name: str) -> Locale:
    from babel import Locale

    return Locale.parse(name.replace("-", "_"))


def is_known_locale(name: str) -> bool:
    from babel import UnknownLocaleError

    try:
        _locale(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


def is_known_currency(code: str) -> bool:
    """True for ISO 4217 codes Babel knows (``CNY``, ``EUR``...)."""
    if not isinstance(code, str) or len(code) != 3 or not code.isalpha() or not code.isupper():
        return False
    from babel.numbers import get_currency_name

    return get_currency_name(code, locale="en") != code


def territory_currency(locale: str, on: dt.date) -> str | None:
    """The currency in use on ``on`` in the territory of ``locale`` (``en_US`` -> USD, ``de_DE`` ->
    EUR, ``en_GB`` -> GBP), by the Unicode CLDR data Babel ships; None for a locale without a
    territory or with no single currency there."""
    try:
        territory = _locale(locale).territory
    except (ValueError, TypeError, LookupError):
        return None
    return country_currency(territory, on) if territory else None


def territory_of(locale: str) -> str | None:
    """The territory of ``locale`` (``en_US`` -> US), None for one without (``en``)."""
    try:
        territory = _locale(locale).territory
    except (ValueError, TypeError, LookupError):
        return None
    return str(territory) if territory else None


def country_name(territory: str | None) -> str:
    """A territory's English name (``CN`` -> China), by CLDR; the code when unknown."""
    if not territory:
        return "its country"
    return str(_locale("en").territories.get(territory, territory))


def country_currency(territory: str, on: dt.date) -> str | None:
    """The one currency in use on ``on`` in ``territory`` (``GB`` -> GBP), else None."""
    from babel.numbers import get_territory_currencies

    found = get_territory_currencies(territory, start_date=on)
    return str(found[0]) if len(found) == 1 else None


def zone_country(zone: str) -> str | None:
    """The territory an IANA time zone lies in (``Europe/London`` -> GB); None for one that
    lies nowhere (``Etc/UTC``) or is unknown."""
    from babel.core import get_global

    found = get_global("zone_territories").get(zone)
    return str(found) if found and found != "ZZ" else None


def official_locale(language: str, territory: str) -> str | None:
    """``language``'s locale in ``territory`` where the language is official there (``en`` in
    GB -> ``en_GB``; in DE -> None), by CLDR."""
    from babel.core import get_global

    spoken = get_global("territory_languages").get(territory, {}).get(language) or {}
    if spoken.get("official_status") not in ("official", "de_facto_official"):
        return None
    locale = f"{language}_{territory}"
    return locale if is_known_locale(locale) else None


def territory_zones(locale: str) -> tuple[tuple[str, ...], str | None]:
    """The IANA time zones of the territory of ``locale`` (CLDR, by Babel), and the one that
    stands for all of them when they keep one time (``de_DE``: Europe/Berlin; ``en_US``: None,
    six times from Hawaii to New York). ((), None) for a locale without a territory."""
    from babel.core import get_global

    try:
        territory = _locale(locale).territory
    except (ValueError, TypeError, LookupError):
        return (), None
    zones = tuple(get_global("territory_zones").get(territory or "", ()))
    metazone = get_global("meta_zones")
    times = {metazone.get(z, z) for z in zones}
    return zones, (zones[0] if zones and len(times) == 1 else None)


@lru_cache(maxsize=64)
def currency_digits(currency: str) -> int:
    """Minor-unit digits of a currency: CNY 2, JPY 0, BHD 3."""
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(currency))


def currency_symbol(currency: str, locale: str) -> str:
    from babel.numbers import get_currency_symbol

    return get_currency_symbol(currency, locale=_locale(locale))


@lru_cache(maxsize=64)
def currency_name(currency: str, locale: str) -> str:
    from babel.numbers import get_currency_name

    return get_currency_name(currency, locale=_locale(locale))


@lru_cache(maxsize=64)
def _fast_money(currency: str, locale: str) -> Callable[[Decimal], str] | None:
    """A formatter equal to Babel's for this currency and locale, built from two probes;
    None when the locale's pattern is not plain 3-digit grouping (Babel is used then)."""
    from babel.numbers import format_currency, get_decimal_symbol, get_group_symbol

    loc = _locale(locale)
    digits = currency_digits(currency)
    group, decimal = get_group_symbol(loc), get_decimal_symbol(loc)
    table = str.maketrans({",": group, ".": decimal})

    def plain(value: Decimal) -> str:
        return f"{abs(value):,.{digits}f}".translate(table)

    affixes = {}
    for sign, probe in (("+", Decimal("1234567.891")), ("-", Decimal("-1234567.891"))):
        probe = round_money(probe, currency)
        text = format_currency(probe, currency, locale=loc)
        number = plain(probe)
        if text.count(number) != 1:
            return None
        affixes[sign] = tuple(text.split(number))
    for probe in (Decimal("5"), Decimal("-0.5"), Decimal("123")):
        probe = round_money(probe, currency)
        prefix, suffix = affixes["-" if probe < 0 else "+"]
        if prefix + plain(probe) + suffix != format_currency(probe, currency, locale=loc):
            return None

    def fmt(amount: Decimal) -> str:
        q = round_money(amount, currency)
        prefix, suffix = affixes["-" if q < 0 else "+"]
        return prefix + plain(q) + suffix

    return fmt


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """``¥1,234.50`` / ``1.234,50 €`` / ``CN¥1,234.50``: the currency's minor units, always
    (rounded half up when the amount has more digits)."""
    fast = _fast_money(currency, locale)
    if fast is not None:
        return fast(Decimal(amount))
    from babel.numbers import format_currency

    value = round_money(Decimal(amount), currency)
    return format_currency(value, currency, locale=_locale(locale))


PRICE_MAX_DIGITS = 6  # a unit price shows at most this many decimals (0.125, 0.000125)


def format_price(amount: Decimal, currency: str, locale: str) -> str:
    """A unit price as it was set: the currency's minor units at least, more when the price has
    more (``$0.125``, ``¥3.1416``), up to PRICE_MAX_DIGITS decimals (rounded half up beyond),
    so a line's quantity x price visibly makes its total. Otherwise as ``format_money``."""
    value = Decimal(amount)
    digits = currency_digits(currency)
    exponent = value.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else 0
    if places <= digits:
        return format_money(value, currency, locale)
    from babel.numbers import format_currency

    shown = value.quantize(Decimal(1).scaleb(-max(digits, PRICE_MAX_DIGITS)), ROUND_HALF_UP)
    return format_currency(
        shown.normalize(), currency, locale=_locale(locale), decimal_quantization=False
    )


def format_number(value: Decimal | int, locale: str) -> str:
    """A quantity as written: ``1,000``, ``2.5`` (``2,5`` in German); no trailing zeros."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    if -1000 < value < 1000 and value == int(value):
        return str(int(value))  # no grouping, no decimal separator: the same in every locale
    from babel.numbers import format_decimal

    return format_decimal(value, locale=_locale(locale), decimal_quantization=False)


@lru_cache(maxsize=256)
def format_percent(fraction: Decimal, locale: str) -> str:
    """``Decimal("0.13")`` -> ``13%``; ``Decimal("0.125")`` -> ``12.5%``."""
    from babel.numbers import format_percent

    return format_percent(fraction, locale=_locale(locale), decimal_quantization=False)


def format_date(value: dt.date, locale: str, style: str = "long") -> str:
    """``2026年11月28日`` (zh_CN, long) / ``November 28, 2026`` (en_US, long)."""
    from babel.dates import format_date as babel_format_date

    return babel_format_date(value, format=style, locale=_locale(locale))
