"""Write-back plan of a run: ledger, findings and the tool-owned flag columns, as one batch."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from salessheet.core import catalogue as C
from salessheet.core.cells import CellError, RawValue, WriteValue, a1, col_letter
from salessheet.core.cellsafe import clip_cell_text, clip_rows
from salessheet.core.findings import SEVERITY_ORDER, Finding
from salessheet.core.owned import (
    FINDINGS_SHEET,
    FORECAST_SHEET,
    HISTORY_SHEET,
    OWNED_COLUMN_PREFIX,
)
from salessheet.history.ledger import HEADER as LEDGER_HEADER
from salessheet.history.ledger import LedgerEvent
from salessheet.history.ownership import check_replaceable
from salessheet.history.snapshots import FORECAST_HEADER
from salessheet.rules.engine import FINDINGS_HEADER, Evaluation
from salessheet.settings.reading import MAX_COLUMN
from salessheet.sheet.parsing import cell_text
from salessheet.stores.base import CellWrite, RowGuard, SheetReplace, WriteBatch

FLAG_HEADER = "⚑ salessheet: flags"
DAYS_HEADER = "⚑ salessheet: days in stage"
MARKS = {"error": "✖", "warning": "⚠", "info": "ℹ"}
FLAG_MAX = 250
_TRANSITION_CODES = frozenset(c.code for c in C.TRANSITION_CHECKS)
# the sheets run replaces, with the header row that identifies them when they carry no mark
OWNED_HEADERS = {
    HISTORY_SHEET: LEDGER_HEADER,
    FINDINGS_SHEET: FINDINGS_HEADER,
    FORECAST_SHEET: FORECAST_HEADER,
}


@dataclass
class Change:
    where: str  # A1 or sheet name
    old: object
    new: object


@dataclass
class WritePlan:
    batch: WriteBatch
    changes: list[Change] = field(default_factory=list)
    note: str | None = None  # why something usually written is not (no room for the flags)
    # deal rows whose flag cells hold a person's text, kept: (sheet, row, why), as a store's
    # skipped rows are reported
    kept: list[tuple[str, int, str]] = field(default_factory=list)

    def describe(self) -> list[str]:
        return [f"{c.where}: {c.old!r} → {c.new!r}" for c in self.changes]


def _same(old: RawValue, new: WriteValue) -> bool:
    if old in (None, "") and new in (None, ""):
        return True
    if isinstance(new, Decimal) and isinstance(old, (int, float)) and not isinstance(old, bool):
        return Decimal(repr(old) if isinstance(old, float) else old) == new
    if isinstance(new, (int, float)) and isinstance(old, (int, float)):
        return float(old) == float(new)
    if old is None or new is None or isinstance(old, CellError):
        return False  # an error value typed over our cell is rewritten
    return cell_text(old) == str(new)


def _sheet_equal(old_rows: list[list[RawValue]] | None, new_rows: list[list[WriteValue]]) -> bool:
    if old_rows is None:
        return False
    old = [[v for v in r] for r in old_rows]
    while old and all(v in (None, "") for v in old[-1]):
        old.pop()
    if len(old) != len(new_rows):
        return False
    for o, n in zip(old, new_rows, strict=True):
        width = max(len(o), len(n))
        o2 = list(o) + [None] * (width - len(o))
        n2 = list(n) + [None] * (width - len(n))
        if not all(_same(a, b) for a, b in zip(o2, n2, strict=True)):
            return False
    return True


def flag_text(findings: list[Finding]) -> str | None:
    if not findings:
        return None
    parts = []
    for f in sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity]):
        detail = ""
        if f.code == C.STALLED_DEAL.code:
            detail = f" {f.details.get('days')}d>{f.details.get('threshold')}d"
        elif f.code in _TRANSITION_CODES:
            det = f.details  # the stages as the sheet writes them (ids from older findings)
            detail = (
                f" {det.get('from_label', det.get('from'))}→{det.get('to_label', det.get('to'))}"
            )
        elif f.code == C.MISSING_FIELD.code and f.column:
            detail = f" {f.column}"
        parts.append(f"{MARKS[f.severity]} {f.code}{detail}")
    text = "; ".join(parts)
    return text if len(text) <= FLAG_MAX else text[: FLAG_MAX - 1] + "…"


def plan_write(
    ev: Evaluation,
    *,
    cells: bool = True,
    forecast: list[list[WriteValue]] | None = None,
    actions: Sequence[LedgerEvent] = (),
    register: SheetReplace | None = None,
    row_guards: bool = True,
    describe: bool = True,
    formula_columns: Callable[[], frozenset[int]] | None = None,
) -> WritePlan:
    """Every text written is clipped to what a cell holds (with "…"), here and only here: a
    32,767-character cell quoted in a message must not stop the whole run from writing.

    ``forecast``: the rows of the `salessheet forecast` sheet after this run's snapshot.
    ``actions``: the ledger's ``action`` rows of tonight's on_enter actions (nightly.actions),
    added after this run's events; ``register``: the document register after their documents;
    ``row_guards``: each changed row's cells as read, for a store that checks them (a copy of
    every written row: 100 MB at 100,000 deals, so not made for a store that does not);
    ``describe``: note each cell's change for ``WritePlan.describe`` (a dry run shows them);
    ``formula_columns``: the pipeline sheet's columns holding a formula from the header row
    down (the store's ``formula_columns``), asked only when a flag column is new: a formula
    whose value reads as empty still makes its column the user's.
    Raises WriteRefused (exit 3) before anything is written if a sheet with the name of a
    tool-owned sheet is not the tool's (see ``history.ownership``)."""
    p = ev.pipeline
    batch = WriteBatch()
    plan = WritePlan(batch)
    for name, owned_header in OWNED_HEADERS.items():
        check_replaceable(p.sheets.get(name), name, [owned_header])
    # tool-owned sheets
    if ev.events or actions:
        ledger = ev.new_ledger.extended(list(actions)) if actions else ev.new_ledger
        rows = clip_rows(ledger.rows())
        batch.sheets.append(SheetReplace(HISTORY_SHEET, rows))
        added = len(ev.events) + len(actions)
        plan.changes.append(
            Change(
                HISTORY_SHEET,
                f"{len(ev.ledger.events)} events",
                f"{len(ledger.events)} events (+{added})",
            )
        )
    if register is not None:
        batch.sheets.append(register)
        plan.changes.append(Change(register.name, "", f"{len(register.rows) - 1} documents"))
    frows = clip_rows(ev.findings_rows())  # before comparing: a clipped message is unchanged
    old = p.sheets.get(FINDINGS_SHEET)
    if not _sheet_equal(old.rows if old else None, frows):
        batch.sheets.append(SheetReplace(FINDINGS_SHEET, frows))
        plan.changes.append(
            Change(
                FINDINGS_SHEET,
                f"{len(old.rows) - 1 if old else 0} findings",
                f"{len(frows) - 1} findings",
            )
        )
    if forecast is not None:
        rows = clip_rows(forecast)
        old = p.sheets.get(FORECAST_SHEET)
        if not _sheet_equal(old.rows if old else None, rows):
            batch.sheets.append(SheetReplace(FORECAST_SHEET, rows))
            plan.changes.append(
                Change(
                    FORECAST_SHEET,
                    f"{len(old.rows) - 1 if old else 0} rows",
                    f"{len(rows) - 1} rows",
                )
            )
    if not cells:
        return plan
    # flag columns, to the right of the table
    header_row = p.layout.header_row
    header = p.raw.rows[header_row - 1] if len(p.raw.rows) >= header_row else []
    owned = {
        str(v).strip(): c
        for c, v in enumerate(header, start=1)
        if isinstance(v, str) and v.strip().startswith(OWNED_COLUMN_PREFIX)
    }
    user_width = max(
        (
            c
            for c, v in enumerate(header, start=1)
            if v not in (None, "")
            and not (isinstance(v, str) and v.strip().startswith(OWNED_COLUMN_PREFIX))
        ),
        default=0,
    )
    # New flag columns go where nothing is, from the header row down: a note typed right of
    # the table without a header above it is the user's, never overwritten.
    flag_col, days_col = owned.get(FLAG_HEADER), owned.get(DAYS_HEADER)
    if flag_col is None or days_col is None:  # (every night after the first: both are there)
        start = max([user_width, *owned.values()]) + 1
        formulas = formula_columns() if formula_columns is not None else frozenset()
        free = _free_columns(p.raw.rows, p.raw.merged, header_row, start, formulas)
        flag_col = flag_col or next(free)
        days_col = days_col or next(c for c in free if c > flag_col)
    if max(flag_col, days_col) > MAX_COLUMN:
        # A sheet used out to XFD: the ledger and findings still go to the tool's sheets (a
        # refused write would lose tonight's stage history, every night), the flags cannot.
        end = col_letter(MAX_COLUMN)
        if user_width >= MAX_COLUMN - 1:
            why = f"the header row ends at {a1(header_row, user_width)}: {header[user_width - 1]!r}"
        else:
            why = (
                f"every column from {col_letter(user_width + 1)} to {end} holds a value or part "
                f"of a merged range from row {header_row} down"
            )
        plan.note = (
            f"sheet {p.sheet!r}: no flag columns written: they need two empty columns right "
            f"of the table and there are not two left up to column {end}, the sheet's last "
            f"({why}). The ledger and findings are in the tool's sheets; clear two columns "
            "right of the table to get the flags."
        )
        return plan
    by_row: dict[int, list[Finding]] = defaultdict(list)
    for f in ev.findings:
        if f.status != "resolved" and f.row and f.sheet == p.sheet and f.row != header_row:
            by_row[f.row].append(f)
    days = ev.days_in_stage()
    id_col = p.layout.col_of.get("deal_id")

    grid = p.raw.rows  # (a property that waits for every piece of a big sheet: asked once)

    def cell(row: int, col: int) -> RawValue:
        r = grid[row - 1] if row - 1 < len(grid) else []
        return r[col - 1] if col - 1 < len(r) else None

    def put(row: int, col: int, value: WriteValue) -> bool:
        value = clip_cell_text(value)
        old_v = cell(row, col)
        if _same(old_v, value):
            return False
        batch.cells.append(CellWrite(p.sheet, row, col, value))
        if describe:
            plan.changes.append(Change(a1(row, col), old_v, value))
        return True

    put(header_row, flag_col, FLAG_HEADER)
    put(header_row, days_col, DAYS_HEADER)
    deal_rows = {d.row for d in p.deals}
    for d in p.deals:
        typed = _typed_over(d.row, flag_col, days_col, cell)
        if typed is not None:  # a person's note in our column: theirs, never overwritten
            plan.kept.append((p.sheet, d.row, typed))
            continue
        changed = put(d.row, flag_col, flag_text(by_row.get(d.row, [])))
        changed |= put(d.row, days_col, days.get(d.row))
        if changed and id_col and row_guards:
            # the whole row as read: a store that sees concurrent edits (Google Sheets) skips
            # a row someone changed while the run was working, instead of flagging stale data
            expected = {c: v for c, v in enumerate(d.raw_row, start=1) if c <= user_width}
            expected[flag_col] = cell(d.row, flag_col)
            expected[days_col] = cell(d.row, days_col)
            batch.guards.append(RowGuard(p.sheet, d.row, expected))

    # clear flags left on rows that no longer hold a deal: only what this tool wrote there (a
    # flag text; a day count on a row with nothing else in it), never on a layout row (a
    # total, a section title), never a user's cell
    if FLAG_HEADER not in owned:
        return plan  # the columns are new: nothing of ours below the header yet
    layout_rows = p.skipped_rows
    for r in range(header_row + 1, len(grid) + 1):
        if r in deal_rows or r in layout_rows:
            continue
        flag = cell(r, flag_col)
        ours = flag in (None, "") or _is_flag(flag)
        if ours:
            put(r, flag_col, None)
        if DAYS_HEADER in owned and ours and _is_days(cell(r, days_col)):
            row = grid[r - 1] if r - 1 < len(grid) else []
            if all(v in (None, "") for v in row[:user_width]):
                put(r, days_col, None)
    return plan


def _typed_over(
    row: int, flag_col: int, days_col: int, cell: Callable[[int, int], RawValue]
) -> str | None:
    """Why a deal row's flag cells are left alone: someone typed their own text into the flag
    or days column (a note, "call back Monday"), which a flag would erase; None if they hold
    only what this tool writes there (a flag, a day count, nothing, or an error value)."""
    for col, ours in ((flag_col, _is_flag), (days_col, _is_days)):
        value = cell(row, col)
        if value in (None, "") or ours(value) or isinstance(value, CellError):
            continue
        shown = cell_text(value)
        shown = shown if len(shown) <= 60 else shown[:59] + "…"
        return (
            f"{a1(row, col)} holds {shown!r}, typed over salessheet's "
            f"{'flag' if col == flag_col else 'days-in-stage'} cell: kept, and this row is not "
            "flagged until it is moved to a column of your own (or cleared)"
        )
    return None


def _free_columns(
    rows: list[list[RawValue]],
    merged: list[tuple[tuple[int, int], tuple[int, int]]],
    header_row: int,
    start: int,
    formulas: frozenset[int] = frozenset(),
) -> Iterator[int]:
    """The columns from ``start`` on (1-based) holding no value in the header row or below,
    no formula (``formulas``) and no part of a merged range there (a note box right of the
    table: a flag written into its hidden cells would never be seen), in order."""
    used: set[int] = set(formulas)
    for row in rows[header_row - 1 :]:
        for c in range(start - 1, len(row)):
            if row[c] not in (None, ""):
                used.add(c + 1)
    for (_top, left), (bottom, right) in merged:
        if bottom + 1 >= header_row and right + 1 >= start:
            used.update(range(max(left + 1, start), right + 2))
    return (c for c in itertools.count(start) if c not in used)


_FLAG_TEXT = re.compile(rf"^[{''.join(MARKS.values())}] {C.RULE_CODE}")


def _is_flag(value: RawValue) -> bool:
    """A flag this tool wrote: "✖ missing-field Owner; ⚠ stalled-deal 40d>14d"."""
    return isinstance(value, str) and bool(_FLAG_TEXT.match(value))


def _is_days(value: RawValue) -> bool:
    return value in (None, "") or (isinstance(value, (int, float)) and not isinstance(value, bool))
