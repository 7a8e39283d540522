"""`salessheet config init`: read a sheet once, guess a config, check that it reads the sheet,
then (and only then) write it. Never overwrites a file."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from salessheet.core.cells import RawSheet, SheetInfo
from salessheet.core.errors import (
    ConfigError,
    SalessheetError,
    SourceError,
    StructureError,
    UsageError,
)
from salessheet.core.files import fsync_dir
from salessheet.core.owned import OWNED_SHEETS
from salessheet.core.report import CheckReport
from salessheet.init.adopt.guess import guess_config
from salessheet.init.adopt.model import Guess
from salessheet.init.adopt.writer import NoWorkingConfig, Written, build_config
from salessheet.rules.engine import evaluate
from salessheet.settings.profile import BUILTIN_PROFILES, Profile, load_profile, parse_profile
from salessheet.settings.source import read_yaml_text
from salessheet.sheet.load import load_pipeline
from salessheet.stores.base import Store, WriteBatch, WriteReport
from salessheet.stores.registry import EMPTY_SOURCE_HINT, is_gsheets, open_store

CONFIG_SUFFIX = ".salessheet.yaml"


class _ReadOnce:
    """The sheets already read, handed to the mapper again (no second read of the file)."""

    kind = "memory"
    writable = False
    checks_rows = False

    def __init__(self, store: Store, infos: list[SheetInfo], sheets: dict[str, RawSheet]):
        self.source = store.source
        self._infos = infos
        self._sheets = sheets
        self.locale = getattr(store, "locale", None)
        self.timezone = getattr(store, "timezone", None)

    def sheets(self) -> list[SheetInfo]:
        return self._infos

    def read(self, names: list[str]) -> dict[str, RawSheet]:
        return {n: self._sheets[n] for n in names if n in self._sheets}

    def formula_columns(self, sheet: str, first_row: int) -> frozenset[int]:  # pragma: no cover
        return frozenset()  # never asked: config init writes nothing into the source

    def write(self, batch: WriteBatch) -> WriteReport:  # pragma: no cover - never called
        raise UsageError("config init never writes to the source")


@dataclass
class ConfigInit:
    """What `config init` did: the file it wrote, the guess, and what validate finds with it."""

    path: Path
    guess: Guess
    written: Written
    report: CheckReport
    profile: Profile

    def to_dict(self) -> dict[str, Any]:
        g = self.guess
        columns: dict[str, Any] = {}
        for c in g.columns:
            if c.field:
                where = {"header": c.header} if c.header else {"column": c.letter}
                columns[c.field] = {**where, "evidence": c.evidence}
        stages = {
            s.value: {"stage": s.stage, "outcome": s.outcome, "evidence": s.evidence}
            for s in g.stages
        }
        return {
            "config": str(self.path),
            "source": g.source,
            "profile": g.profile,
            "sheet": g.sheet.name,
            "header_row": g.header_row or None,
            "columns": columns,
            "stages": stages,
            "unplaced": [
                {"kind": u.kind, "name": u.name, "evidence": u.evidence} for u in g.unplaced
            ],
            "layout_rows": [
                {"row": r.row, "kind": r.kind, "evidence": r.evidence} for r in g.layout
            ],
            "warnings": list(g.warnings),
            "validate": self.report.summary(),
        }


def default_out(source: str) -> Path:
    """``<source name>.salessheet.yaml`` beside the source (a Google Sheet: in this folder)."""
    if not source.strip():
        raise SourceError("no source given: SOURCE is empty", hint=EMPTY_SOURCE_HINT)
    if is_gsheets(source):
        key = source.split("gsheet:", 1)[-1].split("/d/", 1)[-1].split("/", 1)[0]
        return Path(f"{key[:40]}{CONFIG_SUFFIX}")
    path = Path(source)
    return path.with_name(path.stem + CONFIG_SUFFIX)


def _refuse_existing(out: Path) -> None:
    if out.exists() or out.is_symlink():
        raise UsageError(
            f"{out} already exists: config init never overwrites a file",
            hint="give another name with --out FILE, or delete the old config first",
        )
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent}: no such folder", hint="create it, or choose another --out")


def write_new_config(out: Path, text: str) -> None:
    """Create ``out`` with ``text``; refuses a file that appeared meanwhile (O_EXCL)."""
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        _refuse_existing(out)
        raise
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    fsync_dir(out.parent)


def config_init(
    source: str,
    *,
    profile: str = "b2b",
    sheet: str | None = None,
    out: str | Path | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    credentials: str | None = None,
    local_zone: str | None = None,
) -> ConfigInit:
    """Write a config for the sheet at ``source``, extending ``profile`` (b2b, b2c, lite or a
    file). Raises SalessheetError (exit 2, nothing written) when no working config can be made.

    ``today``: the date validate believes it is; or ``now`` (an aware instant): today is then
    taken in the time zone the config is written with (the team's, as guessed), not the
    profile's (Asia/Shanghai's today starts at 11:00 the day before in New York)."""
    if (today is None) == (now is None):
        raise ValueError("give today or now")
    target = Path(out) if out is not None else default_out(source)
    _refuse_existing(target)
    base = load_profile(profile)
    extends = (
        profile
        if profile in BUILTIN_PROFILES
        else os.path.relpath(Path(profile).resolve(), target.resolve().parent)
    )
    store = open_store(source, credentials=credentials)
    infos = store.sheets()
    names = [i.name for i in infos if i.name not in OWNED_SHEETS]
    if sheet is not None and sheet not in names:
        raise UsageError(
            f"{source}: no sheet named {sheet!r}",
            hint=f"sheets in this file: {', '.join(repr(n) for n in names)}",
        )
    sheets = store.read([sheet] if sheet else names)
    if not sheets:
        raise SalessheetError(f"{source}: no sheet to read")
    guess = guess_config(
        sheets,
        base,
        source=source,
        today=today or _date_in(now, base.timezone),
        sheet=sheet,
        local_zone=local_zone,
        sheet_zone=getattr(store, "timezone", None),  # a Google Sheet's own
    )
    if not any(c.field for c in guess.columns):  # nothing to map: not a table read right
        heads = [c.header for c in guess.columns if c.header][:4]
        shown = ", ".join(repr(h[:30]) for h in heads) or "nothing"
        raise SalessheetError(
            f"{source}: no column names or holds a deal field (the header read: {shown}), so "
            "no config could be made",
            hint="if the headers above look garbled or run together, the file's encoding or "
            "delimiter is not one salessheet reads (UTF-8, UTF-16, GB18030 or cp1252; , ; tab "
            "or |): save it again as CSV UTF-8 (comma delimited); else " + _manual_hint(source),
        )
    if today is None:
        today = _date_in(now, guess.zone.zone or base.timezone)
    try:
        written = build_config(
            guess,
            base,
            profile_name=extends,
            source_name=Path(source).name if not is_gsheets(source) else source,
            source_arg=source,
            out_name=str(target),
            today=today,
        )
    except NoWorkingConfig as exc:
        raise SalessheetError(
            f"{source}: no working config could be made: {exc}", hint=_manual_hint(source)
        ) from None
    try:  # exactly the text that will be written must load
        data, where = read_yaml_text(written.text, target)
        prof = parse_profile(data, target, where)
    except ConfigError as exc:
        raise SalessheetError(
            f"{source}: the config guessed for this sheet does not load (a bug in config init)",
            exc.problems,
            hint=_manual_hint(source),
        ) from None
    reader = _ReadOnce(store, infos, sheets)
    try:
        pipeline = load_pipeline(
            source, profile=prof, sheet=guess.sheet.name, today=today, store=reader
        )
    except StructureError as exc:
        raise SalessheetError(
            f"{source}: no working config could be made: {exc.message}",
            exc.problems,
            hint=_manual_hint(source),
        ) from None
    ev = evaluate(pipeline, record=False)
    report = ev.check_report()
    write_new_config(target, written.text)
    return ConfigInit(target, guess, written, report, prof)


def _date_in(now: dt.datetime | None, zone: str) -> dt.date:
    assert now is not None
    return now.astimezone(ZoneInfo(zone)).date()


def _manual_hint(source: str) -> str:
    return (
        "write the config by hand: `salessheet config show --profile b2b` prints one to copy; "
        f"then `salessheet validate {source} --config FILE`"
    )
