"""changes: what changed in the pipeline between two runs (the ledger's movement)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from salessheet.cli.app import Ctx, _parse_today, data_options, emit, guarded, main, working


@main.command()
@click.argument("source")
@click.option(
    "--since",
    callback=_parse_today,
    metavar="YYYY-MM-DD",
    help="Window start: the state after the last run on or before this date.",
)
@click.option(
    "--days",
    type=click.IntRange(min=0),
    metavar="N",
    help="Window start N days before --until (default 7; not with --since).",
)
@click.option(
    "--until",
    callback=_parse_today,
    metavar="YYYY-MM-DD",
    help="Window end: the state after the last run on or before it (default: the last run).",
)
@click.option(
    "--close-by",
    "close_by",
    callback=_parse_today,
    metavar="YYYY-MM-DD",
    help="Only deals expected to close on or before this date (adds pushed out / pulled in).",
)
@click.option("--owner", metavar="NAME", help="Only the deals of this owner (at the window's end).")
@click.option("--html", "html", metavar="FILE", help="Also write the waterfall as an HTML page.")
@click.option(
    "--rates",
    "rates",
    metavar="FILE",
    help="Exchange rates JSON (as for `report`): convert every deal into its base.",
)
@data_options
@guarded
def changes(
    c: Ctx,
    source: str,
    since: dt.date | None,
    days: int | None,
    until: dt.date | None,
    close_by: dt.date | None,
    owner: str | None,
    html: str | None,
    rates: str | None,
    **_: Any,
) -> int:
    """What changed in the open pipeline between two runs, from the ledger `run` keeps.

    \b
    A waterfall in the profile's currency, per deal so it always balances:
    opening + new + increased - decreased - won - lost - pushed out + pulled in
    - removed + restored + reopened = closing (in deals and in amount), and
    the deals behind each line. Never writes the source.

    \b
    Examples:
      salessheet changes pipeline.xlsx                  # the last 7 days
      salessheet changes pipeline.xlsx --days 30 --html changes.html
      salessheet changes pipeline.xlsx --since 2026-10-01 --until 2026-10-31
      salessheet changes pipeline.xlsx --close-by 2026-12-31 --owner 王芳
      salessheet changes pipeline.xlsx --format json
    """
    from salessheet.api import changes as api_changes

    if since is not None and days is not None:
        raise click.UsageError("give --since or --days, not both")
    with working(f"changes {source}"):
        result = api_changes(
            source,
            profile=c.profile,
            sheet=c.sheet,
            today=c.today(),
            since=since,
            until=until,
            days=days,
            close_by=close_by,
            owner=owner,
            rates_file=rates,
            credentials=c.credentials,
        )
    from salessheet.analytics.changes_text import render_changes

    text = render_changes(result)
    if html:
        from salessheet.analytics.changes_html import save_changes_html

        text += f"\n\nHTML: {save_changes_html(result, html)}"
    emit(result.to_dict(), text, c.fmt)
    return 0
