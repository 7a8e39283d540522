"""Where a team works, when its sheet does not say: the currency and time zone of its locale's
country, or of this computer, each with the evidence and, where the guess is weak, what to check;
and the tax its quotes carry and its name (the built-in profiles' is China's VAT).

Used by `config init` (a sheet of another country than the profile's: an English HubSpot export
under the Chinese b2b profile) and by `init` (a new English workbook on that profile).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from salessheet.core.formatting import (
    country_name,
    territory_currency,
    territory_of,
    territory_zones,
)
from salessheet.init.adopt.model import CurrencyGuess, TaxGuess, ZoneGuess
from salessheet.settings.profile import Profile

WHY_ZONE = "it decides when today starts and when the nightly run runs"
# What quotes call the tax in countries whose tax is not a VAT (documents.tax_name, and
# tax_name_zh on Chinese ones; documents say VAT / 增值税 unless they are set). Elsewhere the
# config offers the key in a comment.
TAX_NAMES = {
    "US": ("sales tax", "销售税"),
    "CA": ("GST/HST", "商品及服务税/统一销售税"),
    "AU": ("GST", "商品及服务税"),
    "NZ": ("GST", "商品及服务税"),
    "IN": ("GST", "商品及服务税"),
    "SG": ("GST", "商品及服务税"),
    "MY": ("SST", "销售及服务税"),
    "JP": ("consumption tax", "消费税"),
}


def locale_currency(locale: str, profile: Profile, today: dt.date) -> CurrencyGuess:
    """The currency of amounts nothing names: the profile's, unless ``locale`` is another
    country's than the profile's; then that country's currency (on ``today``), to be checked."""
    if locale != profile.locale:
        code = territory_currency(locale, today)
        if code and code != profile.currency:
            return CurrencyGuess(
                code,
                f"no currency in the headers or values: {code}, the currency of the locale "
                f"guess {locale} (not the profile's {profile.currency})",
                check=f"the sheet names no currency: amounts are read as {code} (the currency of "
                f"{locale}); change the currency line below if they are not",
            )
    return CurrencyGuess(
        profile.currency,
        f"no currency in the headers or values: the profile's {profile.currency}",
    )


def zone_guess(
    locale: str, profile: Profile, local_zone: str | None, sheet_zone: str | None = None
) -> ZoneGuess:
    """The team's time zone: the spreadsheet's own (a Google Sheet's); else, for a sheet of
    another country than the profile's, that country's (when it keeps one time) or this
    computer's (``local_zone``) when it lies there; "today" and the nightly schedule follow it
    (the b2b profile's Asia/Shanghai is 13 hours ahead of New York: its today starts at 11:00
    there)."""
    profile_zone = profile.timezone
    if sheet_zone:  # the spreadsheet says: nothing to guess
        if sheet_zone == profile_zone:
            return ZoneGuess(None, "the spreadsheet's own time zone, the profile's")
        return ZoneGuess(sheet_zone, "the spreadsheet's own time zone")
    if locale == profile.locale:
        return ZoneGuess(None, f"the profile's {profile_zone}")
    zones, single = territory_zones(locale)
    if local_zone and local_zone in zones:
        return ZoneGuess(local_zone, f"this computer's time zone, in the country of {locale}")
    if single:
        return ZoneGuess(single, f"the time zone of the country of {locale}")
    if local_zone and local_zone != profile_zone:
        return ZoneGuess(
            local_zone,
            f"this computer's time zone ({locale}'s country has several)",
            f"the time zone is this computer's, {local_zone}: set timezone: to the team's if it "
            f"differs ({WHY_ZONE})",
        )
    return ZoneGuess(
        None,
        f"the profile's {profile_zone}",
        f"the time zone is the profile's {profile_zone}, but the sheet looks like {locale}: "
        f"set timezone: to the team's ({WHY_ZONE})",
    )


def tax_guess(country: str | None, profile: Profile) -> TaxGuess | None:
    """No tax on quotes until the team sets its own, for a team in another ``country`` (a
    territory code) than the profile's, when the profile charges one: the b2b profile's 13 %
    VAT in prices that include it is China's, and an American quote read "incl. VAT 13%".
    None when the countries are the same or unknown, or the profile charges no tax."""
    docs = profile.documents
    rate = getattr(docs, "default_tax_rate", Decimal(0))
    home = territory_of(profile.locale)
    if not rate or country is None or country == home:
        return None
    mode = getattr(docs, "tax_mode", "exclusive")
    was = f"the {profile.name} profile's {rate * 100:.0f}% {mode} tax is {country_name(home)}'s VAT"
    name, name_zh = TAX_NAMES.get(country, (None, None))
    said = "what documents call the tax"
    if name:
        where = f"{country} ({country_name(country)})"
        name_lines: tuple[str, ...] = (
            f"  tax_name: {name}  # {said}: {name} in {where}, not VAT",
            f"  tax_name_zh: {name_zh}  # and on Chinese documents (not 增值税)",
        )
    else:
        name_lines = (f"  # tax_name: VAT  # {said} (VAT unless set: sales tax, GST ...)",)
    return TaxGuess(
        (
            "documents:",
            "  # seller: {name: Your Company Ltd.}  # quotes and contracts need it: fill it in",
            f"  tax_mode: exclusive  # prices before tax, the tax added on the document ({was})",
            "  default_tax_rate: 0%  # CHECK: no tax until you set yours here, or a Tax Rate on "
            "each line item",
            *name_lines,
        ),
        f"quotes and contracts carry no tax until you set yours ({was}): set documents: "
        "default_tax_rate (and tax_mode), or give each line item a Tax Rate",
        name,
        name_zh,
    )
