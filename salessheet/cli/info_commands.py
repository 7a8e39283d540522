"""Commands about salessheet itself: `rules`, the catalogue of finding codes."""

from __future__ import annotations

import click

from salessheet.cli.app import emit, main
from salessheet.core.catalogue import CATALOGUE, Check, markdown_table
from salessheet.core.display import ljust


def render_rules(checks: list[Check]) -> str:
    width = max(len(c.code) for c in checks)
    lines = [f"{ljust('code', width)}  {'severity':<8}  meaning"]
    lines += [f"{ljust(c.code, width)}  {c.severity:<8}  {c.meaning}" for c in checks]
    lines += [
        "",
        "Every finding also has a status: new (first seen this run), persisting, or resolved "
        "(there last run, gone now).",
    ]
    return "\n".join(lines)


@main.command("rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people; json: a list of {code, severity, meaning, source}; markdown: a table.",
)
def rules(fmt: str) -> None:
    """Every finding code, its default severity and what it means.

    The codes are stable: scripts and checks may rely on them. A profile sets the severity of
    the transition checks (its `transitions:` section); the others are fixed.

    \b
    Examples:
      salessheet rules
      salessheet rules --format json
      salessheet rules --format json | jq -r '.[] | select(.severity == "error") | .code'
      salessheet rules --format markdown > finding-codes.md
    """
    checks = list(CATALOGUE.values())
    if fmt == "markdown":
        click.echo(markdown_table(), nl=False)
        return
    emit(lambda: [c.to_dict() for c in checks], lambda: render_rules(checks), fmt)
