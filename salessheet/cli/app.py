"""The command group, the options every data command shares, and the one place that maps
exceptions to exit codes and prints errors."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import click

from salessheet import __version__
from salessheet.cli.gcpause import paused_gc
from salessheet.cli.ticker import Ticker
from salessheet.core.errors import SalessheetError
from salessheet.core.report import CheckReport
from salessheet.settings.profile import Profile, load_profile

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


Lazy = Callable[[], Any]


def emit(obj: Any, text: str | Lazy, fmt: str) -> None:
    """Print the JSON value ``obj`` (``--format json``) or the text; each may be given as a
    function so that only the one asked for is made. A CheckReport is streamed: its head, then its
    findings a few thousand at a time, never the whole document in memory."""
    if fmt != "json":
        click.echo(text() if callable(text) else text)
        return
    if callable(obj):
        obj = obj()
    if isinstance(obj, CheckReport):
        # color=True: the JSON has no raw escape characters, so spare click's ANSI-stripping
        # pass over megabytes of text when stdout is not a terminal.
        for piece in obj.iter_json():
            click.echo(piece, nl=False, color=True)
        click.echo("")
    else:
        click.echo(json.dumps(obj, ensure_ascii=False, indent=None))


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


@contextlib.contextmanager
def working(label: str) -> Iterator[None]:
    """Around a command's bulk work: the 'working... N s' line on a terminal, and the cyclic
    collector paused (process state, so it is set here in the CLI, never in the library)."""
    with Ticker(label), paused_gc():
        yield
