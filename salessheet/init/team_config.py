"""The config `init` writes beside a new workbook made in another language than its profile's.

The built-in profiles are Chinese (zh_CN, CNY, Asia/Shanghai). A team that runs
``salessheet init pipeline.xlsx`` (English headers, the default) would otherwise get quotes in
Chinese, amounts in CN¥ and a "today" that starts at 11:00 in New York. So `init` also writes
``pipeline.salessheet.yaml``: the profile, in the team's locale, with the currency and time zone
of its country (by the same guesses as `config init`), each with its evidence and, where the
guess is weak, a CHECK line. Every command then takes ``--config pipeline.salessheet.yaml``.
A team's own config (``--config``) is left to govern: nothing is written then.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from salessheet.core.errors import UsageError
from salessheet.core.formatting import (
    country_currency,
    official_locale,
    territory_of,
    zone_country,
)
from salessheet.init.adopt.model import ZoneGuess
from salessheet.init.adopt.place import locale_currency, tax_guess, zone_guess
from salessheet.init.adopt.service import default_out, write_new_config
from salessheet.init.adopt.vocabulary import LANGUAGE_NAMES, LOCALE_OF_LANGUAGE
from salessheet.settings.profile import Profile, parse_profile
from salessheet.settings.source import is_bundled, read_yaml_text


@dataclass(frozen=True)
class TeamConfig:
    path: Path
    text: str
    profile: Profile  # the config as loaded: the workbook is drawn with it
    checks: tuple[str, ...]  # what the team should look at (also CHECK lines in the file)


def team_config(
    target: str, profile: Profile, lang: str, *, today: dt.date, local_zone: str | None
) -> TeamConfig | None:
    """The config for a new workbook at ``target`` in ``lang``, or None when the profile's own
    locale speaks ``lang`` or the profile is the team's own file. Raises UsageError when the
    config file exists already (nothing is written then)."""
    locale = LOCALE_OF_LANGUAGE.get(lang)
    bundled = is_bundled(profile.name, profile.path)
    if locale is None or not bundled or profile.locale.split("_")[0] == lang:
        return None
    out = default_out(target)
    if out.exists() or out.is_symlink():
        raise UsageError(
            f"{out} already exists: init never overwrites a file (it writes the team's config "
            "there, beside the new workbook)",
            hint="move or delete the old config first, or give the workbook another name",
        )
    # This computer's country, where its time zone says: the team's, most likely (a laptop in
    # London: en_GB, GBP, Europe/London; in Berlin: en_US for English, EUR, Europe/Berlin).
    country = zone_country(local_zone) if local_zone else None
    locale_why = f"--lang {lang}"
    if country and (here := official_locale(lang, country)):
        locale, locale_why = here, f"--lang {lang}, in {country} (this computer's country)"
    currency = country_currency(country, today) if country else None
    currency_why = f"the currency of {country}, where this computer is"
    if currency is None:
        currency = locale_currency(locale, profile, today).currency or profile.currency
        currency_why = f"the currency of {locale}"
    if country and local_zone:
        zone = ZoneGuess(local_zone, f"this computer's time zone, in {country}")
    else:
        zone = zone_guess(locale, profile, local_zone)
    checks: tuple[str, ...] = ()
    if currency != profile.currency:
        checks += (
            f"amounts without a currency are taken as {currency}, {currency_why}: change the "
            "currency line if the team sells in another",
        )
    if zone.check:
        checks += (zone.check,)
    tax = tax_guess(country or territory_of(locale), profile)  # the team's country
    if tax is not None:
        checks += (tax.check,)
    name = out.name.removesuffix(".salessheet.yaml") or profile.name
    language = LANGUAGE_NAMES[lang]
    lines = [
        f"# salessheet config for {target}, written by `salessheet init` on {today.isoformat()}:",
        f"# the {profile.name} profile for a team working in {language}. Pass it to every command:",
        f"#   salessheet validate {target} --config {out}",
        *[f"# CHECK: {c}" for c in checks],
        "",
        f"extends: {profile.name}  # the {profile.name} profile; this file says what differs",
        f"name: {_plain(name)}",
        f"locale: {locale}  # {locale_why}: documents in {language}, its dates and numbers",
        f"currency: {currency}  # {currency_why}; the example deals use it",
    ]
    if zone.zone and zone.zone != profile.timezone:
        lines.append(f"timezone: {zone.zone}  # {zone.evidence}")
    if tax is not None:
        lines += tax.lines
    text = "\n".join(lines) + "\n"
    data, where = read_yaml_text(text, out)
    return TeamConfig(out, text, parse_profile(data, out, where), checks)


def write_team_config(config: TeamConfig) -> None:
    write_new_config(config.path, config.text)


def _plain(text: str) -> str:
    """A YAML scalar for a name (quoted unless plainly safe)."""
    return text if text.replace("-", "").replace("_", "").isalnum() else json.dumps(text)
