"""Commands that set things up: demo, init, config."""

from __future__ import annotations

from typing import Any

import click

from salessheet.cli.app import (
    FORMAT_CHOICE,
    Ctx,
    _parse_today,
    data_options,
    emit,
    guarded,
    main,
    to_stdout,
)


@main.command()
@click.option(
    "--out",
    metavar="DIR",
    help="Folder for the demo's copy and documents (default: a new temporary folder).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@guarded
def demo(c: Ctx, out: str | None, **_: Any) -> int:
    """The whole tour on the bundled example workbook, no set-up.

    The example is copied first; the installed copy is never modified.

    \b
    Example:
      salessheet demo
      salessheet demo --out ./salessheet-demo
    """
    from salessheet.cli.demo import run_demo

    run_demo(out, echo=click.echo)
    return 0


@main.command()
@click.argument("path")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the headers, stage dropdown and instructions.",
)
@data_options
@guarded
def init(c: Ctx, path: str, lang: str, **_: Any) -> int:
    """Create a new pipeline workbook ready for a team. Never overwrites a file.

    \b
    PATH is a new .xlsx file, or gsheet:KEY / the URL of a blank Google Sheet.
    You get the profile's columns (headers in --lang), a stage dropdown, date and
    money formats, a frozen header, an autofilter, a `Line Items` sheet, an
    instructions sheet and two example deals; `validate` reports no problems on it.
    In English (the bundled profiles are Chinese), also NAME.salessheet.yaml beside
    it: the profile in English, with your country's currency and time zone.

    \b
    Examples:
      salessheet init pipeline.xlsx
      salessheet init 商机.xlsx --lang zh
      salessheet init small-team.xlsx --profile lite
      salessheet init gsheet:1AbC... --credentials sa.json
    """
    from salessheet.api import init as api_init

    profile = c.profile
    done = api_init(
        path,
        profile=profile,
        lang=lang,
        today=c.today_date(),
        credentials=c.credentials,
        local_zone=this_computers_zone(),
        sheet=c.sheet,
    )
    made = done.workbook
    if done.config is not None:
        option = f"--config {done.config}"
    elif c.opts.get("config"):
        option = f"--config {c.opts['config']}"
    else:
        option = f"--profile {profile.name}"
    text = (
        f"created {made} ({profile.name} profile, {lang}): sheets {c.sheet or 'Pipeline'}, "
        "Line Items and instructions, two example deals"
    )
    if done.config is not None:
        from salessheet.init.adopt.vocabulary import LANGUAGE_NAMES

        language = LANGUAGE_NAMES.get(lang, lang)
        text += f"\nand {done.config}: the {profile.name} profile for a team working in {language}"
        text += "".join(f"\n  check: {c}" for c in done.checks)
    text += f"\nnext: fill it in, then run  salessheet validate {made} {option}"
    config = str(done.config) if done.config is not None else None
    out = {"created": str(made), "profile": profile.name, "lang": lang, "config": config}
    emit(out, text, c.fmt)
    return 0


@main.group()
def config() -> None:
    """Pipeline configs (profiles)."""


@config.command("check")
@click.argument("file")
@click.option("--format", "fmt", type=FORMAT_CHOICE, default="text", show_default=True)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@guarded
def config_check(c: Ctx, file: str, fmt: str, **_: Any) -> int:
    """Validate a pipeline config; list every problem with its key path.

    \b
    Examples:
      salessheet config check config/b2b.yaml
      salessheet config check my-team.yaml --format json
    """
    from salessheet.cli.app import config_hint
    from salessheet.core.errors import ConfigError
    from salessheet.settings.profile import load_profile

    try:
        prof = load_profile(file)
    except ConfigError as exc:
        # every problem found is listed: the hint says to run this again, not another command
        exc.hint = exc.hint or config_hint(exc, file, checking=True)
        raise
    stages = " → ".join(s.id for s in prof.stages if s.outcome != "lost")
    # (a broken config raises ConfigError: every problem as file:line: key.path: found, expected)
    text = (
        f"{file}: OK — profile {prof.name!r}, {len(prof.stages)} stages ({stages}; lost), "
        f"{len(prof.columns)} columns, currency {prof.currency}, time zone {prof.timezone}"
    )
    obj = {
        "file": file,
        "ok": True,
        "profile": prof.name,
        "stages": [s.id for s in prof.stages],
        "problems": [],
    }
    emit(obj, text, fmt)
    return 0


@config.command("show")
@click.option(
    "--profile", "profile", metavar="NAME", help="Built-in profile: b2b (default), b2c or lite."
)
@click.option("--config", "config", metavar="FILE", help="Pipeline config (YAML).")
@click.option(
    "--format",
    "fmt",
    type=FORMAT_CHOICE,
    default="text",
    show_default=True,
    help="text: YAML; json: one JSON object.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@guarded
def config_show(c: Ctx, fmt: str, **_: Any) -> int:
    """Print the effective profile: extends resolved, ready to copy and edit.

    The output is a complete config (no `extends:`) that loads to the same profile.
    Keys it does not list take their defaults (see `salessheet config schema`).

    \b
    Examples:
      salessheet config show                          # the b2b profile
      salessheet config show --profile lite > my-team.yaml
      salessheet config show --config my-team.yaml    # after extends: b2b
      salessheet config show --profile b2c --format json
    """
    import json

    from salessheet.settings.source import anchored, dump_yaml

    prof = c.profile
    data = anchored(prof.raw, prof.path.parent.resolve()) if prof.path else prof.raw
    if fmt == "json":
        to_stdout(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return 0
    source = prof.path.name if prof.path else "<config>"
    header = f"salessheet profile {prof.name!r}, effective config (from {source}, extends resolved)"
    to_stdout(dump_yaml(data, header), nl=False)
    return 0


@config.command("schema")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@guarded
def config_schema(c: Ctx, **_: Any) -> int:
    """Print the JSON Schema (draft 2020-12) of a pipeline config, for editors.

    Save it and point your editor at it for completion and checks while you type,
    e.g. with the YAML language server (VS Code and others), as the first line:
    `# yaml-language-server: $schema=salessheet.schema.json`

    \b
    Examples:
      salessheet config schema > salessheet.schema.json
    """
    import json

    from salessheet.settings.schema import config_schema as schema

    to_stdout(json.dumps(schema(), ensure_ascii=False, indent=2))
    return 0


@config.command("init")
@click.argument("source")
@click.option("--sheet", metavar="NAME", help="The sheet holding the deals (default: guessed).")
@click.option(
    "--out",
    metavar="FILE",
    help="Where to write the config (default: <source name>.salessheet.yaml beside the source). "
    "Never overwrites a file.",
)
@click.option(
    "--profile",
    "base",
    default="b2b",
    show_default=True,
    metavar="NAME",
    help="The profile the config extends: b2b, b2c, lite, or a config file.",
)
@click.option(
    "--today",
    metavar="YYYY-MM-DD",
    callback=_parse_today,
    help="The date validate believes it is (default: today in the time zone the config is "
    "written with).",
)
@click.option("--format", "fmt", type=FORMAT_CHOICE, default="text", show_default=True)
@click.option(
    "--credentials",
    metavar="FILE",
    help="Google service-account or OAuth token file (Google Sheets sources).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@guarded
def config_init(
    c: Ctx, source: str, sheet: str | None, out: str | None, base: str, fmt: str, **_: Any
) -> int:
    """Write a config for a sheet salessheet has never seen, from its headers and values.

    \b
    It picks the sheet and the header row, maps each column to a field (by name,
    CRM export vocabulary in English, Chinese, Spanish, German and French, and by
    the values), maps the stage values to the profile's stages (won / lost / open),
    reads date order, units (万元, $000s) and null markers from the values, and
    writes each guess with its evidence as a comment. Then it runs validate with
    the new config and shows the summary. Exit 0 when the config reads the sheet
    (findings do not change that: this is a set-up command); exit 2, nothing
    written, when no working config could be made or the file exists.

    \b
    Examples:
      salessheet config init deals.csv
      salessheet config init "Sales Pipeline.xlsx" --out team.yaml
      salessheet config init 商机.xlsx --sheet Pipeline --profile lite
      salessheet config init export.csv --format json
    """
    import datetime as dt

    from salessheet.api import config_init as api_config_init
    from salessheet.cli.render import render_config_init

    today = c.opts.get("today")
    result = api_config_init(
        source,
        profile=base,
        sheet=sheet,
        out=out,
        today=today,
        now=None if today else dt.datetime.now(dt.UTC),
        credentials=c.credentials,
        local_zone=this_computers_zone(),
    )
    emit(result.to_dict, lambda: render_config_init(result), fmt)
    return 0


def this_computers_zone() -> str | None:
    """This computer's IANA time zone (TZ, /etc/localtime, the registry on Windows), or None
    when the machine does not say or says something unknown."""
    from zoneinfo import ZoneInfo

    import tzlocal

    try:
        name = tzlocal.get_localzone_name()
        ZoneInfo(name or "")  # a name this Python's time zone data does not know: no guess
    except (LookupError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None
    return name or None
