"""The command line: parse options, call one API function, print. No logic of its own."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import click

from salessheet import __version__
from salessheet.core.errors import SalessheetError, UsageError
from salessheet.settings.profile import Profile, load_profile
from salessheet.cli.ticker import Ticker

FORMAT_CHOICE = click.Choice(["text", "json"])


class Ctx:
    """Options every data command takes, resolved once."""

    def __init__(self, opts: dict[str, Any]):
        self.opts = opts

    @functools.cached_property
    def profile(self) -> Profile:
        if self.opts.get("config"):
            return load_profile(self.opts["config"])
        return load_profile(self.opts.get("profile") or "b2b")

    @property
    def sheet(self) -> str | None:
        return self.opts.get("sheet")

    @property
    def fmt(self) -> str:
        return "json" if self.opts.get("json_out") else self.opts.get("fmt") or "text"

    @property
    def credentials(self) -> str | None:
        return self.opts.get("credentials")

    def today(self) -> dt.date | Callable[[str], dt.date]:
        """--today, else "today in the source's time zone" (a Google Sheet's own, else the
        profile's), resolved once the source is open: the clock is read here, in the CLI."""
        if self.opts.get("today"):
            return self.opts["today"]
        return lambda tz: dt.datetime.now(ZoneInfo(tz)).date()

    def today_date(self) -> dt.date:
        if self.opts.get("today"):
            return self.opts["today"]
        return dt.datetime.now(ZoneInfo(self.profile.timezone)).date()


def _parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


findings_limit = click.option(
    "--limit",
    default=50,
    show_default=True,
    help="Findings shown per severity in text output (0: all).",
)


def data_options(func: Callable | None = None, *, output_format: bool = True) -> Callable:
    """--config/--profile, --sheet, --today, --format, --credentials, --debug."""
    if func is None:
        return functools.partial(data_options, output_format=output_format)
    fmt_option = click.option(
        "--format",
        "fmt",
        type=FORMAT_CHOICE,
        default="text",
        show_default=True,
        help="text for people, json for machines (one object on stdout).",
    )
    decorators = [
        click.option("--config", "config", metavar="FILE", help="Pipeline config (YAML)."),
        click.option(
            "--profile",
            "profile",
            metavar="NAME",
            help="Built-in profile: b2b (default), b2c or lite.",
        ),
        click.option("--sheet", metavar="NAME", help="Sheet (tab) holding the pipeline."),
        click.option(
            "--today",
            metavar="YYYY-MM-DD",
            callback=_parse_today,
            help="The date the run believes it is (default: today in the profile's time zone).",
        ),
        fmt_option,
        click.option(
            "--credentials",
            metavar="FILE",
            help="Google service-account or OAuth token file (Google Sheets sources).",
        ),
        click.option("--debug", is_flag=True, help="Show tracebacks."),
    ]
    if not output_format:
        decorators = [d for d in decorators if d is not fmt_option]
    for dec in reversed(decorators):
        func = dec(func)
    return func


def guarded(func: Callable) -> Callable:
    """Map the exception hierarchy to exit codes; no traceback unless --debug."""

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> None:
        debug = kwargs.get("debug", False)
        fmt = "json" if kwargs.get("json_out") else kwargs.get("fmt") or "text"
        try:
            code = func(Ctx(kwargs), **kwargs)
        except SalessheetError as exc:
            _fail(exc.exit_code, exc.message, exc.problems, exc.hint, fmt, debug)
        except KeyboardInterrupt:
            _fail(130, "interrupted", [], None, fmt, debug)
        except click.exceptions.Exit:
            raise
        except Exception as exc:  # noqa: BLE001 - last line of defence against tracebacks
            _fail(
                2,
                f"internal error: {type(exc).__name__}: {exc}",
                [],
                "run again with --debug and report the traceback",
                fmt,
                debug,
            )
        sys.exit(code or 0)

    return wrapper


def _fail(
    code: int, message: str, problems: list[str], hint: str | None, fmt: str, debug: bool
) -> None:
    if debug:
        traceback.print_exc()
    if fmt == "json":
        err = {"code": code, "message": message, "problems": problems}
        if hint:
            err["hint"] = hint
        click.echo(json.dumps({"error": err}, ensure_ascii=False))
    lines = [f"salessheet: {message}"] + [f"  - {p}" for p in problems]
    if hint:
        lines.append(f"  hint: {hint}")
    click.echo("\n".join(lines), err=True)
    sys.exit(code)


def emit(obj: dict[str, Any] | None, text: str, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(obj, ensure_ascii=False, indent=None))
    else:
        click.echo(text)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Run `salessheet demo` for a tour on the bundled example.",
)
@click.version_option(__version__, prog_name="salessheet")
def main() -> None:
    """salessheet: a governed sales pipeline in the spreadsheet your team already uses.

    \b
    Exit codes: 0 no errors, 1 error findings, 2 bad usage/config/source,
                3 refused to write, 4 store unreachable.
    """


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

    \b
    Examples:
      salessheet init pipeline.xlsx
      salessheet init 商机.xlsx --lang zh
      salessheet init small-team.xlsx --profile lite
      salessheet init gsheet:1AbC... --credentials sa.json
    """
    from salessheet.api import init as api_init

    profile = c.profile
    made = api_init(
        path, profile=profile, lang=lang, today=c.today_date(), credentials=c.credentials
    )
    option = f"--config {c.opts['config']}" if c.opts.get("config") else f"--profile {profile.name}"
    text = (
        f"created {made} ({profile.name} profile, {lang}): sheets Pipeline, Line Items and "
        f"instructions, two example deals\nnext: fill it in, then run  "
        f"salessheet validate {made} {option}"
    )
    emit({"created": str(made), "profile": profile.name, "lang": lang}, text, c.fmt)
    return 0


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
      salessheet validate pipeline.xlsx --sheet 商机 --today 2026-11-28
      salessheet validate deals.csv --config examples/maven.yaml --format json
    """
    from salessheet.api import validate as api_validate
    from salessheet.cli.render import render_report

    with Ticker(f"validate {source}"):
        report = api_validate(
            source, profile=c.profile, sheet=c.sheet, today=c.today(), credentials=c.credentials
        )
    emit(report.to_dict(), render_report(report, title="validate", limit=limit), c.fmt)
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

    with Ticker(f"stalled {source}"):
        report = api_stalled(
            source, profile=c.profile, sheet=c.sheet, today=c.today(), credentials=c.credentials
        )
    emit(report.to_dict(), render_stalled(report, limit=limit), c.fmt)
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
    **_: Any,
) -> int:
    """The nightly job: validate, record stage history, write flags back.

    \b
    Writes only tool-owned parts: the `salessheet history` and `salessheet findings`
    sheets and two flag columns right of the table. Every other byte of the workbook
    stays as it was. Refuses (exit 3) if the file is open in Excel/LibreOffice or
    changed during the run. A second run with no edits in between changes nothing.

    \b
    Examples:
      salessheet run pipeline.xlsx
      salessheet run pipeline.xlsx --dry-run
      salessheet run pipeline.xlsx --today 2026-11-28 --format json
    """
    from salessheet.api import run as api_run
    from salessheet.cli.render import render_run

    with Ticker(f"run {source}"):
        report = api_run(
            source,
            profile=c.profile,
            sheet=c.sheet,
            today=c.today(),
            dry_run=dry_run,
            credentials=c.credentials,
        )
    results = []
    if (notify or notify_email or webhook) and not dry_run:
        from salessheet.api import notify as api_notify

        results = api_notify(
            report, c.profile, email_to=notify_email, webhooks=webhook, env=os.environ
        )
        report.extra["notifications"] = [r.to_dict() for r in results]
    emit(report.to_dict(), render_run(report, limit=limit), c.fmt)
    for r in results:
        click.echo(r.render(), err=True)
    return report.exit_code  # a failed notification never changes the exit code


def _document_command(kind: str) -> None:
    title = {"quote": "a quote", "contract": "a contract"}[kind]

    @main.command(
        kind,
        help=f"""Generate {title} for a deal: numbered, registered, as HTML, DOCX or PDF.

    \b
    Deal fields come from the pipeline row, line items from the `Line Items` sheet
    (optional `Products` price list). The number is registered in the tool-owned
    `salessheet documents` sheet: the same inputs reuse the number; changed inputs
    issue a new revision (-R2). A preflight refuses (exit 2, listing every problem)
    a deal whose stage does not allow {title}, whose fields are missing or whose
    line items do not add up to the deal amount.

    \b
    Examples:
      salessheet {kind} pipeline.xlsx D-0042
      salessheet {kind} pipeline.xlsx D-0042 --format pdf --out quotes/
      salessheet {kind} pipeline.xlsx --stage negotiation --format docx
      salessheet {kind} pipeline.xlsx --all --dry-run
      salessheet {kind} --fields --lang zh
    """,
    )
    @click.argument("source", required=False)
    @click.argument("deal_ids", nargs=-1, metavar="[DEAL_ID]...")
    @click.option(
        "--format",
        "doc_format",
        type=click.Choice(["html", "docx", "pdf"]),
        default="html",
        show_default=True,
        help="Document format.",
    )
    @click.option(
        "--out",
        "out",
        default=".",
        show_default=True,
        metavar="DIR",
        help="Output folder (created if needed).",
    )
    @click.option("--stage", "stage", metavar="STAGE", help="Every deal in this stage.")
    @click.option("--all", "all_deals", is_flag=True, help="Every deal whose stage allows it.")
    @click.option("--dry-run", is_flag=True, help="Render, but register nothing.")
    @click.option(
        "--allow-mismatch",
        is_flag=True,
        help="Issue even if line items do not add up to the deal amount.",
    )
    @click.option("--lang", type=click.Choice(["en", "zh"]), help="Override the deal's language.")
    @click.option("--fields", is_flag=True, help="List every variable the template can use.")
    @click.option("--json", "json_out", is_flag=True, help="One JSON object on stdout.")
    @data_options(output_format=False)
    @guarded
    def command(
        c: Ctx,
        source: str | None,
        deal_ids: tuple[str, ...],
        doc_format: str,
        out: str,
        stage: str | None,
        all_deals: bool,
        dry_run: bool,
        allow_mismatch: bool,
        lang: str | None,
        fields: bool,
        json_out: bool,
        **_: Any,
    ) -> int:
        from pathlib import Path

        from salessheet.api import documents_fields, issue_documents

        if fields:
            rows = documents_fields(kind, lang or "en")
            text = "\n".join(f"  {name:<28} {desc}" for name, desc in rows)
            emit(
                {"kind": kind, "fields": [{"name": n, "description": d} for n, d in rows]},
                f"Variables a {kind} template can use:\n{text}",
                c.fmt,
            )
            return 0
        if not source:
            raise UsageError("give the SOURCE (and a DEAL_ID, --stage or --all)")
        if not deal_ids and not stage and not all_deals:
            raise UsageError("give a DEAL_ID, --stage STAGE or --all")
        bar = None
        show_bar = c.fmt == "text" and (stage or all_deals or len(deal_ids) > 1)

        def progress(done: int, total: int, deal_id: str) -> None:
            nonlocal bar
            if not show_bar:
                return
            if bar is None:
                bar = click.progressbar(length=total, label=f"{kind}s", file=sys.stderr)
                bar.__enter__()
            bar.update(1)

        try:
            result = issue_documents(
                source,
                kind,
                list(deal_ids) or None,
                profile=c.profile,
                sheet=c.sheet,
                today=c.today(),
                credentials=c.credentials,
                stage=stage,
                all_deals=all_deals,
                fmt=doc_format,
                out_dir=Path(out),
                dry_run=dry_run,
                allow_mismatch=allow_mismatch,
                lang=lang,
                progress=progress,
            )
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        lines = []
        for d in result.issued:
            state = "new" if d.registered else "unchanged, number reused"
            if dry_run:
                state = "dry run, not registered"
            lines.append(
                f"  {d.number:<18} {d.deal_id:<10} {d.currency} {d.total}  {d.path}  ({state})"
            )
        text = f"{len(result.issued)} {kind}(s) written to {result.out_dir}:\n" + "\n".join(lines)
        if not result.issued:
            text = f"no {kind} written"
        emit(result.to_dict(), text, c.fmt)
        err = result.error()
        if err is not None:
            raise err
        return 0


for _kind in ("quote", "contract"):
    _document_command(_kind)


@main.command()
@click.argument("source")
@data_options
@click.option("--html", "html", metavar="FILE", help="Also write a self-contained HTML report.")
@click.option(
    "--since",
    callback=_parse_today,
    metavar="YYYY-MM-DD",
    help="Window start for conversion, win rate and lost reasons.",
)
@click.option("--until", callback=_parse_today, metavar="YYYY-MM-DD", help="Window end.")
@click.option(
    "--rates",
    "rates",
    metavar="FILE",
    help='Exchange rates JSON: {"as_of": "2026-11-28", "base": "CNY", "rates": {"USD": "7.1"}}.',
)
@guarded
def report(
    c: Ctx,
    source: str,
    html: str | None,
    since: dt.date | None,
    until: dt.date | None,
    rates: str | None,
    **_: Any,
) -> int:
    """Funnel, conversion, time in stage, weighted forecast, per-owner performance.

    \b
    Figures come from the pipeline and its stage history (the `salessheet history`
    sheet that `run` keeps); each says how many deals it rests on, and a figure that
    needs more history than the ledger has says so. Never writes the source.

    \b
    Examples:
      salessheet report pipeline.xlsx
      salessheet report pipeline.xlsx --html report.html
      salessheet report pipeline.xlsx --since 2026-01-01 --format json
      salessheet report pipeline.xlsx --rates rates.json
    """
    from salessheet.api import report as api_report

    with Ticker(f"report {source}"):
        rep = api_report(
            source,
            profile=c.profile,
            sheet=c.sheet,
            today=c.today(),
            since=since,
            until=until,
            rates_file=rates,
            credentials=c.credentials,
        )
    text = rep.render_text()
    if html:
        from salessheet.analytics.service import save_html

        path = save_html(rep, html)
        text += f"\n\nHTML report: {path}"
    emit(rep.to_dict(), text, c.fmt)
    return 0


@main.command()
@click.argument("source")
@click.option("--at", "at", required=True, metavar="HH:MM", help="Time of day to run.")
@click.option("--tz", metavar="ZONE", help="Time zone of --at (default: the profile's).")
@click.option("--state-dir", metavar="DIR", help="Lock file and JSON-lines run log folder.")
@click.option("--notify", is_flag=True, help="Send the digest after each run.")
@click.option("--notify-email", "notify_email", multiple=True, metavar="ADDR")
@click.option("--webhook", multiple=True, metavar="[KIND=]URL")
@data_options
@guarded
def schedule(
    c: Ctx,
    source: str,
    at: str,
    tz: str | None,
    state_dir: str | None,
    notify: bool,
    notify_email: tuple[str, ...],
    webhook: tuple[str, ...],
    **_: Any,
) -> int:
    """Run `salessheet run SOURCE` every day at HH:MM, in the foreground.

    \b
    One run at a time: a second scheduler on the same source refuses to start.
    A failed run is logged and the next run is the next day. Ctrl-C or SIGTERM
    stop it after the current run. Each run is one JSON line in the run log.
    For cron or systemd, call `salessheet run` instead (see the README).

    \b
    Examples:
      salessheet schedule pipeline.xlsx --at 02:00
      salessheet schedule pipeline.xlsx --at 07:30 --tz Asia/Shanghai --notify
    """
    from pathlib import Path

    from salessheet.api import schedule as api_schedule

    wants = notify or notify_email or webhook
    return api_schedule(
        source,
        at=at,
        tz=tz,
        profile=c.profile,
        sheet=c.sheet,
        credentials=c.credentials,
        state_dir=Path(state_dir) if state_dir else None,
        notify_options={"email_to": notify_email, "webhooks": webhook} if wants else None,
        env=os.environ,
        echo=lambda m: click.echo(m, err=True),
    )


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
    prof = load_profile(file)
    stages = " → ".join(s.id for s in prof.stages if s.outcome != "lost")
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


def _usage(message: str) -> UsageError:
    return UsageError(message)


if __name__ == "__main__":  # pragma: no cover
    main()
