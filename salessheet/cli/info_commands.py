"""Commands about salessheet itself: `rules`, the catalogue of finding codes (and a profile's
own rules beside them)."""

from __future__ import annotations

from typing import Any

import click

from salessheet.cli.app import Ctx, emit, guarded, main, to_stdout
from salessheet.core.catalogue import CATALOGUE, Check, markdown_table
from salessheet.core.display import ljust


def render_rules(checks: list[Check], team: list[Check] | None = None) -> str:
    team = team or []
    width = max(len(c.code) for c in [*checks, *team])
    head = f"{ljust('code', width)}  {'severity':<8}  meaning"
    lines = [head]
    lines += [f"{ljust(c.code, width)}  {c.severity:<8}  {c.meaning}" for c in checks]
    if team:
        lines += ["", "The team's rules (the profile's rules:):"]
        lines += [f"{ljust(c.code, width)}  {c.severity:<8}  {c.meaning}" for c in team]
    lines += [
        "",
        "Every finding also has a status: new (first seen this run), persisting, or resolved "
        "(there last run, gone now).",
    ]
    return "\n".join(lines)


@main.command("rules")
@click.option("--config", "config", metavar="FILE", help="Also list this config's own rules.")
@click.option(
    "--profile", "profile", metavar="NAME", help="Also list a built-in profile's own rules."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people; json: a list of {code, severity, meaning, source}; markdown: a table.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@guarded
def rules(c: Ctx, fmt: str, **_: Any) -> int:
    """Every finding code, its default severity and what it means.

    The codes are stable: scripts and checks may rely on them. A profile sets the severity of
    the transition checks (its `transitions:` section); the others are fixed. With --config or
    --profile, the profile's own rules (its `rules:`) follow the built-in codes, with
    "source": "profile" in the JSON.

    \b
    Examples:
      salessheet rules
      salessheet rules --format json
      salessheet rules --config my-team.yaml
      salessheet rules --format json | jq -r '.[] | select(.severity == "error") | .code'
      salessheet rules --format markdown > finding-codes.md
    """
    checks = list(CATALOGUE.values())
    team: list[Check] = []
    if c.opts.get("config") is not None or c.opts.get("profile") is not None:
        team = [r.check for r in c.profile.rules]
    if fmt == "markdown":
        to_stdout(markdown_table([*checks, *team]), nl=False)
        return 0
    emit(lambda: [x.to_dict() for x in [*checks, *team]], lambda: render_rules(checks, team), fmt)
    return 0
