"""The pipeline checks: validate, stalled, run (the nightly job)."""

from __future__ import annotations

import os
from typing import Any

import click

from salessheet.cli.app import Ctx, data_options, emit, findings_limit, guarded, main, working
from salessheet.cli.gcpause import leave_to_exit


@main.command()
@click.argument("source")
@data_options
@findings_limit
@guarded
def validate(c: Ctx, source: str, limit: int, **_: Any) -> int:
    """Read-only checks of a pipeline. Never writes.

    SOURCE is a .xlsx/.xlsm/.csv file, a Google Sheets URL or gsheet:KEY.

    \b
    Examples:
      salessheet validate pipeline.xlsx
      salessheet validate pipeline.xlsx --sheet Pipeline --today 2026-11-28
      salessheet validate deals.csv --config examples/maven.yaml --format json
    """
    from salessheet.api import config_beside, validate_evaluation
    from salessheet.cli.render import render_report

    with working(f"validate {source}"):
        ev = validate_evaluation(
            source, profile=c.profile, sheet=c.sheet, today=c.today(), credentials=c.credentials
        )
        report = ev.check_report()
    beside = None if c.opts.get("config") else config_beside(source)
    emit(
        report,
        lambda: render_report(report, title="validate", limit=limit, beside=beside),
        c.fmt,
    )
    leave_to_exit((ev, report))  # the deals and cells too: 2 million objects
    return report.exit_code


@main.command()
@click.argument("source")
@data_options
@click.option("--limit", default=50, show_default=True, help="Deals shown in text output (0: all).")
@guarded
def stalled(c: Ctx, source: str, limit: int, **_: Any) -> int:
    """Stalled deals only, worst first, with owner, stage, days and threshold. Never writes.

    \b
    A deal is stalled when it sits in a stage longer than the stage's stall_days
    (clock: days in stage, days since last activity, or a next-step date passed),
    its expected close has passed, or its close date slipped too many times.

    \b
    Examples:
      salessheet stalled pipeline.xlsx
      salessheet stalled pipeline.xlsx --today 2026-12-15 --format json
    """
    from salessheet.api import stalled as api_stalled
    from salessheet.cli.render import render_stalled

    with working(f"stalled {source}"):
        report = api_stalled(
            source, profile=c.profile, sheet=c.sheet, today=c.today(), credentials=c.credentials
        )
    emit(report, lambda: render_stalled(report, limit=limit), c.fmt)
    leave_to_exit(report)
    return report.exit_code


@main.command()
@click.argument("source")
@data_options
@click.option(
    "--dry-run", is_flag=True, help="Print exactly which cells would change; write nothing."
)
@click.option(
    "--notify", is_flag=True, help="Send the digest to the profile's notification targets."
)
@click.option(
    "--notify-email",
    "notify_email",
    multiple=True,
    metavar="ADDR",
    help="E-mail the digest to ADDR (repeatable; SMTP from the profile or SALESSHEET_SMTP_*).",
)
@click.option(
    "--webhook",
    multiple=True,
    metavar="[KIND=]URL",
    help="Post the digest: URL, or slack|teams|feishu|dingtalk|wecom=URL, or KIND=env:VAR.",
)
@click.option(
    "--allow-link-local-webhooks",
    "allow_link_local",
    is_flag=True,
    help="Let webhooks post to link-local addresses (169.254.0.0/16, fe80::/10), "
    "refused by default: cloud metadata services live there.",
)
@click.option(
    "--documents-out",
    "documents_out",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Where on_enter actions put their quotes and contracts (default: the profile's "
    "documents.out_dir, else a documents folder beside the file, or here for a Google Sheet).",
)
@findings_limit
@guarded
def run(
    c: Ctx,
    source: str,
    dry_run: bool,
    limit: int,
    notify: bool,
    notify_email: tuple[str, ...],
    webhook: tuple[str, ...],
    allow_link_local: bool,
    documents_out: str | None,
    **_: Any,
) -> int:
    """The nightly job: validate, record stage history, carry out on_enter actions, write
    flags back.

    \b
    Writes only tool-owned parts: the `salessheet history` and `salessheet findings`
    sheets and two flag columns right of the table. Every other byte of the workbook
    stays as it was. Refuses (exit 3) if the file is open in Excel/LibreOffice or
    changed during the run. A second run with no edits in between changes nothing.

    \b
    A stage's on_enter actions (issue a quote or contract, notify an address or a
    chat target) are done once for each deal that entered the stage since the last
    run; a failed one is tried again on the next three nights. --dry-run lists them.

    \b
    Examples:
      salessheet run pipeline.xlsx
      salessheet run pipeline.xlsx --dry-run
      salessheet run pipeline.xlsx --today 2026-11-28 --format json
    """
    from salessheet.api import config_beside, notification_settings
    from salessheet.api import run as api_run
    from salessheet.cli.render import render_run

    notifying: dict[str, Any] = {
        "email_to": notify_email,
        "webhooks": webhook,
        "allow_link_local": allow_link_local,
    }
    if notify or notify_email or webhook:  # bad options: exit 2 before anything is written
        notification_settings(c.profile, env=os.environ, **notifying)
    with working(f"run {source}"):
        report = api_run(
            source,
            profile=c.profile,
            sheet=c.sheet,
            today=c.today(),
            dry_run=dry_run,
            credentials=c.credentials,
            documents_out=documents_out,
            env=os.environ,
            allow_link_local=allow_link_local,
        )
    results = []
    if (notify or notify_email or webhook) and not dry_run:
        from salessheet.api import notify as api_notify

        results = api_notify(report, c.profile, env=os.environ, **notifying)
        report.extra["notifications"] = [r.to_dict() for r in results]
    beside = None if c.opts.get("config") else config_beside(source)
    emit(report, lambda: render_run(report, limit=limit, beside=beside), c.fmt)
    for r in results:
        click.echo(r.render(), err=True)
    return report.exit_code  # a failed notification or action never changes the exit code
