"""Rows of a table's area that are not records: layout rows and the rows a config names.

``layout.classify_rows`` finds section titles, subtotal and total rows, a repeated or second
header, instruction and example rows; ``classify_above_header`` finds totals and figures above
the header (a ``=SUBTOTAL(...)`` on row 1). A config adds rows by number (``skip_rows.rows``)
or by a column matching a pattern (``skip_rows.where``), and turns the automatic ones off with
``layout_rows: none``. The totals row of an Excel table is skipped whatever it holds: the
workbook's table definition says what it is. The mapper drops those rows and lists them once
(``rows-skipped``).

Blank separator rows are skipped silently, as before: an empty row holds nothing that could
be taken for a deal or lost, and listing them would put a finding on nearly every hand-made
sheet, hiding the rows that matter (totals, sections, instructions). Titles above the header
are not listed either; figures above it are (a total there could be taken for data).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from salessheet.core.catalogue import ROWS_SKIPPED
from salessheet.core.cells import RawValue, TotalsRow, col_letter
from salessheet.core.errors import StructureError
from salessheet.core.findings import Finding
from salessheet.core.records import Record, TableLayout
from salessheet.core.textnorm import normalise
from salessheet.sheet.layout import (
    LABEL_INITIALS,
    LayoutRow,
    TableShape,
    classify_above_header,
    classify_rows,
    declared_totals,
    is_label_not_id,
)

_LETTERS = re.compile(r"^[A-Z]{1,3}$")
ABOVE_HEADER_KINDS = frozenset(("subtotal", "summary"))
SHOWN = 6  # rows described in the finding's message


class NamedRows(Protocol):
    """The rows a config names (settings.reading.SkipRows): false when it names none."""

    @property
    def where(self) -> tuple[tuple[str, str], ...]: ...  # (column, pattern)

    def named(self, row: int) -> bool: ...

    def __bool__(self) -> bool: ...


@dataclass(frozen=True)
class SkipOptions:
    layout_rows: bool  # layout_rows: auto
    skip: NamedRows
    known_stages: frozenset[str] = frozenset()  # normalised stage spellings of the profile


def _shape(layout: TableLayout, options: SkipOptions) -> TableShape:
    col_of = layout.col_of
    amount = col_of.get("amount")
    return TableShape(
        layout.header_row,
        col_of.get("deal_id"),
        col_of.get("stage"),
        (amount,) if amount else (),
        options.known_stages,
    )


def _column(ref: str, rows: Sequence[Sequence[RawValue]], layout: TableLayout) -> int | None:
    """0-based column of a skip_rows.where entry: a header text, a field name or a letter."""
    if layout.header_row and not layout.headerless:
        header = rows[layout.header_row - 1] if layout.header_row <= len(rows) else []
        want = normalise(ref)
        for c, v in enumerate(header):
            if isinstance(v, str) and normalise(v) == want:
                return c
    if ref in layout.col_of:
        return layout.col_of[ref] - 1
    if _LETTERS.match(ref.strip()):
        n = 0
        for ch in ref.strip():
            n = n * 26 + ord(ch) - 64
        return n - 1
    return None


def _filled_column(row: Sequence[RawValue]) -> int:
    """1-based column of the first filled cell."""
    for c, v in enumerate(row, start=1):
        if v is not None and not (isinstance(v, str) and not v.strip()):
            return c
    return 0


def _first_header_column(rows: Sequence[Sequence[RawValue]], layout: TableLayout) -> int:
    if layout.headerless or not layout.header_row or layout.header_row > len(rows):
        return min(layout.col_of.values(), default=1)
    return _filled_column(rows[layout.header_row - 1]) or 1


def _text(v: RawValue) -> str:
    if v.__class__ is float and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _every_row_a_deal(
    rows: Sequence[Sequence[RawValue]], layout: TableLayout, records: Sequence[Record]
) -> bool:
    """True when every filled row below the header holds an id and a stage the profile
    knows: ``classify_rows`` protects each such row, so it would find nothing to skip (the
    usual case, checked in a few cheap passes instead of classifying 100,000 rows)."""
    if "deal_id" not in layout.col_of or "stage" not in layout.col_of or not records:
        return False
    values = [rec.values for rec in records]
    # a stage the profile does not know is the UNKNOWN_STAGE marker, none is None
    if any(s.__class__ is not str for s in {v.get("stage") for v in values}):
        return False
    ids: list[str] = [v.get("deal_id") or "" for v in values]
    if not all(ids):
        return False
    initials = LABEL_INITIALS
    maybe = [i for i in ids if i[0] in initials or i[-1] in "lL"]
    if any(is_label_not_id(i) for i in maybe):
        return False
    first = layout.header_row + 1
    if records[0].row != first or records[-1].row != first + len(records) - 1:
        expected = first  # rows the mapper found empty: blank, or a title in another column?
        for rec in records:
            for r0 in range(expected - 1, rec.row - 1):
                if not _blank_row(rows[r0]):
                    return False
            expected = rec.row + 1
    return all(_blank_row(row) for row in rows[records[-1].row :])


def _blank_row(row: Sequence[RawValue]) -> bool:
    return all(c is None or c == "" or (c.__class__ is str and not c.strip()) for c in row)


def skipped_rows(
    rows: Sequence[Sequence[RawValue]],
    layout: TableLayout,
    options: SkipOptions,
    where: str,
    records: Sequence[Record] | None = None,
    totals: Sequence[TotalsRow] = (),
) -> dict[int, LayoutRow]:
    """1-based row -> why it is not a record (blank separators excluded). ``records``: the
    mapped rows, for the fast path when each of them is plainly a deal. ``totals``: the
    sheet's Excel-table totals rows (the workbook declares them: skipped even with
    ``layout_rows: none``, which turns off guesses only)."""
    out: dict[int, LayoutRow] = {}
    hr = layout.header_row
    declared = []
    if totals and not layout.headerless:
        declared = declared_totals(totals, _shape(layout, options))
    plain = records is not None and _every_row_a_deal(rows, layout, records)
    if options.layout_rows and plain and not layout.headerless and hr > 1:
        for lr in classify_above_header(rows, _shape(layout, options)):
            if lr.kind in ABOVE_HEADER_KINDS:
                out[lr.row] = lr
    elif options.layout_rows and not plain:
        col_of = layout.col_of
        shape = _shape(layout, options)
        # a section title heads the rows (column A, or up to the id column); a lone text
        # further right is a note on a row that still has data (reported as missing an id)
        lead = max(col_of.get("deal_id") or 1, _first_header_column(rows, layout))
        for lr in classify_rows(rows, shape):
            if lr.kind == "blank":
                continue
            if lr.kind == "section" and _filled_column(rows[lr.row - 1]) > lead:
                continue
            out[lr.row] = lr
        if not layout.headerless:
            for lr in classify_above_header(rows, shape):
                if lr.kind in ABOVE_HEADER_KINDS:
                    out[lr.row] = lr
    out.update((lr.row, lr) for lr in declared)  # (its evidence says the most)
    skip = options.skip
    if not skip:
        return dict(sorted(out.items()))
    for r in range(hr + 1, len(rows) + 1):
        if skip.named(r):
            out[r] = LayoutRow(r, "configured", f"row {r}: named in skip_rows.rows")
    problems = []
    for ref, pattern in skip.where:
        c = _column(ref, rows, layout)
        if c is None:
            problems.append(
                f"skip_rows.where: no column {ref!r} (expected a header of row {hr}, a field "
                "name or a column letter)"
            )
            continue
        rx = re.compile(pattern)
        for r0 in range(hr, len(rows)):
            row = rows[r0]
            v = row[c] if c < len(row) else None
            if v is None or v == "":
                continue
            if rx.search(_text(v)):
                out[r0 + 1] = LayoutRow(
                    r0 + 1,
                    "configured",
                    f"row {r0 + 1}: {col_letter(c + 1)}{r0 + 1} matches {pattern!r}",
                )
    if problems:
        raise StructureError(f"{where}: skip_rows cannot be applied", problems)
    return dict(sorted(out.items()))


def skipped_rows_finding(sheet: str, skipped: dict[int, LayoutRow]) -> Finding:
    kinds = Counter(lr.kind for lr in skipped.values())
    rows = list(skipped)
    shown = "; ".join(lr.evidence for lr in list(skipped.values())[:SHOWN])
    more = f"; and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    n = len(rows)
    return Finding.of(
        ROWS_SKIPPED,
        f"{n} row{'s' if n > 1 else ''} not read as deals: {shown}{more}",
        sheet=sheet,
        details={"rows": rows, "kinds": dict(kinds)},
    )
