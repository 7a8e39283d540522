"""report and schedule (with the signal handlers that stop the scheduler)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from salessheet.cli.app import (
    Ctx,
    _parse_today,
    data_options,
    emit,
    guarded,
    main,
    working,
)


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

    with working(f"report {source}"):
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
    from salessheet.analytics.text import render_text

    text = render_text(rep)
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
@click.option(
    "--state-dir",
    metavar="DIR",
    help="Folder of the JSON-lines run log (default: .salessheet beside a file, else "
    "~/.local/state/salessheet). The lock file stays there, whatever DIR is.",
)
@click.option("--notify", is_flag=True, help="Send the digest after each run.")
@click.option("--notify-email", "notify_email", multiple=True, metavar="ADDR")
@click.option("--webhook", multiple=True, metavar="[KIND=]URL")
@click.option(
    "--allow-link-local-webhooks",
    "allow_link_local",
    is_flag=True,
    help="Let webhooks post to link-local addresses (169.254.0.0/16, fe80::/10).",
)
@data_options(today=False)
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
    allow_link_local: bool,
    **_: Any,
) -> int:
    """Run `salessheet run SOURCE` every day at HH:MM, in the foreground.

    \b
    Each run's date is that day's date where `run` takes it (the Google Sheet's
    own time zone, else the profile's); --tz is only the zone of --at.
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

    if c.opts.get("today"):
        from salessheet.core.errors import UsageError

        raise UsageError(
            "schedule takes no --today: a scheduler runs on each day's date",
            hint="to run once as of a given date, use `salessheet run SOURCE --today YYYY-MM-DD`",
        )
    wants = notify or notify_email or webhook

    def echo(message: str) -> None:
        click.echo(message, err=True)

    stop = threading.Event()
    with stop_on_signals(stop, echo):
        code = api_schedule(
            source,
            at=at,
            tz=tz,
            profile=c.profile,
            sheet=c.sheet,
            credentials=c.credentials,
            state_dir=Path(state_dir) if state_dir else None,
            notify_options={
                "email_to": notify_email,
                "webhooks": webhook,
                "allow_link_local": allow_link_local,
            }
            if wants
            else None,
            env=os.environ,
            echo=echo,
            stop=stop,
        )
    if c.fmt == "json":  # the one JSON object --format json promises, once it has stopped
        emit({"source": source, "at": at, "status": "stopped", "exit_code": code}, "", c.fmt)
    return code


@contextmanager
def stop_on_signals(stop: threading.Event, echo: Callable[[str], None]) -> Iterator[None]:
    """While in the block, SIGTERM and Ctrl-C set ``stop`` (the scheduler finishes the current
    run, then returns); a second Ctrl-C aborts (KeyboardInterrupt). The previous handlers are
    put back on leaving. Off the main thread (where Python allows no handlers) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        echo(f"{signal.Signals(signum).name}: stopping after the current run")

    saved = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, previous in saved.items():
            if previous is not None:  # None: a handler not set from Python, cannot be restored
                signal.signal(sig, previous)
