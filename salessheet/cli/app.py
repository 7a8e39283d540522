"""The command group, the options every data command shares, and the one place that maps
exceptions to exit codes and prints errors."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import importlib
import json
import os
import re
import shlex
import sys
import traceback
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from salessheet import __version__
from salessheet.cli.gcpause import paused_gc
from salessheet.cli.ticker import Ticker
from salessheet.core.errors import ConfigError, OutputError, SalessheetError

if TYPE_CHECKING:
    from salessheet.settings.profile import Profile

FORMAT_CHOICE = click.Choice(["text", "json"])


class Ctx:
    """Options every data command takes, resolved once."""

    def __init__(self, opts: dict[str, Any]):
        self.opts = opts

    @functools.cached_property
    def profile(self) -> Profile:
        from salessheet.settings.profile import load_profile  # pydantic: only when needed

        # an empty value (`--config "$CFG"` with CFG unset) is refused: read as "not given",
        # the run quietly checked the sheet against b2b instead of the team's config
        for option in ("config", "profile"):
            if self.opts.get(option) is not None and not str(self.opts[option]).strip():
                from salessheet.core.errors import UsageError

                raise UsageError(
                    f"--{option} is empty",
                    hint=f"give the {'config file' if option == 'config' else 'profile'} "
                    f"(is the variable that holds it unset?), or leave --{option} out to use "
                    "the b2b profile",
                )
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
        given: dt.date | None = self.opts.get("today")
        if given:
            return given
        return lambda tz: dt.datetime.now(ZoneInfo(tz)).date()

    def today_date(self) -> dt.date:
        """--today, else today in the profile's time zone (no source to ask)."""
        today = self.today()
        return today if isinstance(today, dt.date) else today(self.profile.timezone)


# The dates --today may name: a run's dates reach a year or so either side of today (quote
# validity, forecast months, stall clocks), which year 1 or 9999 takes past what Python's dates
# hold ("internal error: year 10000 is out of range", exit 70, for a typo).
TODAY_RANGE = (dt.date(1900, 1, 1), dt.date(2999, 12, 31))


def _parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None
    first, last = TODAY_RANGE
    if param.name == "today" and not first <= day <= last:
        raise click.BadParameter(
            f"{value!r} is not a date salessheet can run on: give one from {first} to {last}"
        )
    return day


findings_limit = click.option(
    "--limit",
    default=50,
    show_default=True,
    help="Findings shown per severity in text output (0: all).",
)


def data_options(
    func: Callable[..., Any] | None = None, *, output_format: bool = True, today: bool = True
) -> Callable[..., Any]:
    """--config/--profile, --sheet, --today, --format, --credentials, --debug.

    ``today=False``: a command whose runs take each day's own date (``schedule``); its --today
    is hidden from --help and still parsed, so that the command can refuse it with a reason."""
    if func is None:
        return functools.partial(data_options, output_format=output_format, today=today)
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
            hidden=not today,
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


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command; every failure becomes the documented contract (see ``classify``)."""

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> None:
        debug = kwargs.get("debug", False)
        fmt = "json" if kwargs.get("json_out") else kwargs.get("fmt") or "text"
        try:
            code = func(Ctx(kwargs), **kwargs)
        except (click.exceptions.Exit, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - the one place every failure is mapped
            config = kwargs.get("config")
            fail(exc, fmt, debug, config if isinstance(config, str) else None)
        sys.exit(code or 0)

    return wrapper


# Errors of the environment a user can fix (a name too long, a folder that is a file, no
# permission, a full or read-only disk): exit 2 with the file named, never "internal error".
_USER_OS_ERRORS = {
    errno.ENAMETOOLONG: "the file name is too long",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "no such file or folder",
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the disk is read-only",
    errno.EEXIST: "already exists",
}
_DEFAULT_HINTS = {
    2: "see `{command} --help` for usage and examples",
    3: "nothing was written; close the file in Excel or LibreOffice (or wait for the other run) "
    "and run again",
    4: "check the network connection and the credentials, then run again",
    70: "this is a bug in salessheet: run again with --debug and report the traceback",
    130: "nothing more was done; run the command again to finish",
}


def config_hint(exc: ConfigError, config: str | None, checking: bool = False) -> str:
    """What to do about a config that does not load: every problem found is listed, so fix
    them and run again (``checking``: the command was `config check` itself)."""
    what = "the keys named" if exc.problems else "the file where named"
    if checking and config:
        return f"fix {what}, then run `salessheet config check {shlex.quote(config)}` again"
    if config:
        check = f"salessheet config check {shlex.quote(config)}"
        return f"fix {what} and run again; `{check}` checks the config on its own"
    return f"fix {what}; `salessheet config check FILE` checks a config on its own"


def classify(
    exc: BaseException, command: str = "salessheet", config: str | None = None
) -> tuple[int, str, list[str], str]:
    """(exit code, message, problems, hint) for any exception that ends a command.

    ``command``: the command as typed so far (``salessheet validate``), for the hint that
    points at its help; ``config``: the --config file given, for the hint on a config error."""
    if isinstance(exc, click.exceptions.UsageError) and exc.ctx is not None:
        command = exc.ctx.command_path  # raised while the command line was parsed
    usage_hint = _DEFAULT_HINTS[2].format(command=command)
    if isinstance(exc, ConfigError) and not exc.hint:
        return exc.exit_code, exc.message, list(exc.problems), config_hint(exc, config)
    if isinstance(exc, SalessheetError):
        code = exc.exit_code
        default = usage_hint if code == 2 else _DEFAULT_HINTS.get(code, "")
        return code, exc.message, list(exc.problems), exc.hint or default
    if isinstance(exc, (KeyboardInterrupt, click.exceptions.Abort)):
        return 130, "interrupted", [], _DEFAULT_HINTS[130]
    if isinstance(exc, click.exceptions.ClickException):  # bad option, missing argument
        return 2, exc.format_message(), [], usage_hint
    if isinstance(exc, OSError) and exc.errno in _USER_OS_ERRORS:
        reason = _USER_OS_ERRORS[exc.errno]
        if exc.errno == errno.ENOSPC:
            hint = "free some space on that disk (and in the temp folder, $TMPDIR) and run again"
        elif exc.errno == errno.EROFS:
            hint = "choose a path on a disk that can be written"
        else:
            hint = "choose another path, or fix the folder's permissions"
        if exc.filename is None:  # a write to an open file: the disk is the same for all
            return 2, f"could not write a file: {reason}", [], hint
        return 2, f"{exc.filename}: {reason}", [], hint
    if isinstance(exc, MemoryError):
        return 70, "internal error: out of memory", [], _DEFAULT_HINTS[70]
    name = type(exc).__name__
    return 70, f"internal error: {name}: {exc}", [], _DEFAULT_HINTS[70]


def _silence_stdout() -> None:
    """Point standard output at the null device once writing to it failed: what could not be
    written stays buffered, and Python's last flush would fail (and print) a second time."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def to_stdout(text: str = "", *, nl: bool = True, color: bool | None = None) -> None:
    """Write ``text`` to standard output; a failed write is an OutputError (exit 2) that says
    why (a full disk, a pipe such as ``| head`` that stopped reading), not an internal error."""
    try:
        click.echo(text, nl=nl, color=color)
    except OSError as exc:
        _silence_stdout()
        if exc.errno == errno.EPIPE:
            raise OutputError(
                "the output was cut short: the program reading it stopped (a pipe such as | head)",
                hint="nothing else is affected; to keep the whole output, send it to a file "
                "(> FILE)",
            ) from exc
        reason = _USER_OS_ERRORS.get(exc.errno or 0) or exc.strerror or str(exc)
        raise OutputError(
            f"could not write the output: {reason}",
            hint="free some space, or send the output to a file on another disk (> FILE)",
        ) from exc


def fail(exc: BaseException, fmt: str, debug: bool, config: str | None = None) -> None:
    ctx = click.get_current_context(silent=True)
    command = ctx.command_path if ctx is not None else "salessheet"
    code, message, problems, hint = classify(exc, command, config)
    if debug:
        traceback.print_exception(exc)
    if fmt == "json" and not isinstance(exc, OutputError):
        err = {"code": code, "message": message, "problems": problems, "hint": hint}
        try:
            click.echo(json.dumps({"error": err}, ensure_ascii=False))
        except OSError:
            _silence_stdout()  # the message still goes to stderr
    lines = [f"salessheet: {message}"] + [f"  - {p}" for p in problems]
    if hint:
        lines.append(f"  hint: {hint}")
    click.echo(terminal_safe("\n".join(lines)), err=True)
    sys.exit(code)


# C0 and C1 control characters other than newline and tab: a cell or a lock file's user name
# holding an escape sequence must not reach the terminal as one. Nor may the bidirectional
# embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069), which reorder how
# the rest of a line is shown ("Trojan Source"): a deal id or a stage would read as another.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escaped(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """Text for a terminal: control characters shown as visible escapes (``\\x1b``,
    ``\\u202e``)."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_escaped, text)


# Each command's module (in salessheet.cli), imported only when the command is looked up: to
# run it, or for --help to list it. `salessheet --version` or a quick validate then loads
# neither the other commands nor what they import. tests/test_cli_startup.py checks that this
# table names exactly the commands the modules register.
COMMAND_MODULES = {
    "validate": "check_commands",
    "stalled": "check_commands",
    "run": "check_commands",
    "quote": "document_commands",
    "contract": "document_commands",
    "changes": "history_commands",
    "rules": "info_commands",
    "report": "report_commands",
    "schedule": "report_commands",
    "demo": "setup_commands",
    "init": "setup_commands",
    "config": "setup_commands",
}


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name, as click keeps them, but a command's module is imported
    (and registers its commands with ``@main.command``) the first time the command is
    looked up. Listing the names imports nothing."""

    def __init__(self, modules: dict[str, str]) -> None:
        self._modules = dict(modules)
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded and name in self._modules:
            importlib.import_module(f"salessheet.cli.{self._modules[name]}")
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        known = name in self._loaded or name in self._modules
        self._loaded.pop(name, None)
        self._modules.pop(name, None)
        if not known:
            raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return name in self._loaded or name in self._modules

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._modules, *self._loaded]))

    def __len__(self) -> int:
        return len(self._modules.keys() | self._loaded.keys())


class _Group(click.Group):
    """The command group; click's own usage errors (an unknown option, a missing argument)
    follow the same contract as every other failure: exit 2, and with ``--format json`` the
    error object on stdout."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,  # click's parameter: errors are always handled here
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            return super().main(
                argv, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
            )
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except SystemExit:
            raise
        except BaseException as exc:  # noqa: BLE001 - errors raised before a command runs
            fmt = _format_in(argv)
            if isinstance(exc, click.exceptions.UsageError) and fmt == "text":
                exc.show()  # click's usage line and "Try ... --help" for people
                sys.exit(2)
            fail(exc, fmt, "--debug" in argv)


def _format_in(argv: list[str]) -> str:
    for i, a in enumerate(argv):
        if (
            a == "--json"
            or a == "--format=json"
            or (a == "--format" and argv[i + 1 : i + 2] == ["json"])
        ):
            return "json"
    return "text"


Lazy = Callable[[], Any]


def emit(obj: Any, text: str | Lazy, fmt: str) -> None:
    """Print the JSON value ``obj`` (``--format json``) or the text; each may be given as a
    function so that only the one asked for is made. A CheckReport is streamed: its head, then its
    findings a few thousand at a time, never the whole document in memory."""
    if fmt != "json":
        to_stdout(terminal_safe(text() if callable(text) else text))
        return
    if callable(obj):
        obj = obj()
    from salessheet.core.report import CheckReport

    if isinstance(obj, CheckReport):
        # color=True: the JSON has no raw escape characters, so spare click's ANSI-stripping
        # pass over megabytes of text when stdout is not a terminal.
        for piece in obj.iter_json():
            to_stdout(piece, nl=False, color=True)
        to_stdout()
    else:
        to_stdout(json.dumps(obj, ensure_ascii=False, indent=None))


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Run `salessheet demo` for a tour on the bundled example.",
)
@click.version_option(__version__, prog_name="salessheet")
def main() -> None:
    """salessheet: a governed sales pipeline in the spreadsheet your team already uses.

    \b
    Exit codes: 0 no errors, 1 error findings, 2 bad usage/config/source,
                3 refused to write, 4 store unreachable, 70 internal error
                (a bug: --debug shows the traceback), 130 interrupted.
    """


main.commands = LazyCommands(COMMAND_MODULES)


@contextlib.contextmanager
def working(label: str) -> Iterator[None]:
    """Around a command's bulk work: the 'working... N s' line on a terminal, and the cyclic
    collector paused (process state, so it is set here in the CLI, never in the library)."""
    with Ticker(label), paused_gc():
        yield
