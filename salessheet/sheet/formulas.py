"""Cells whose formula result was never saved: one finding per column, the cells left unread.

A workbook written by a program that does not calculate (openpyxl, pandas, a script, some
exporters) holds formulas but no results until Excel or LibreOffice opens and saves it. Read as
it is, ``=D2*E2`` in Amount is a blank amount, and the report's totals come out short without
a word. Each mapped column holding such cells (on deal rows; a table's totals row is no deal)
gets one ``formula-not-calculated`` error naming the column, how many cells and the first of
them; the cells are left unread (``unread_cells``), so no ``missing-field`` per row repeats it.
"""

from __future__ import annotations

from collections.abc import Sequence

from salessheet.core.catalogue import FORMULA_NOT_CALCULATED
from salessheet.core.cells import a1, col_letter
from salessheet.core.findings import Finding
from salessheet.core.records import Record, TableLayout

SHOWN = 3  # cells named in the message


def unsaved_formula_findings(
    records: Sequence[Record], layout: TableLayout, unsaved: dict[tuple[int, int], str]
) -> tuple[list[Finding], set[tuple[int, str]]]:
    """The findings, one per mapped column, and the (row, A1) cells left unread (their
    records' values are set to None)."""
    findings: list[Finding] = []
    unread: set[tuple[int, str]] = set()
    if not unsaved:
        return findings, unread
    for field, col in sorted(layout.col_of.items(), key=lambda fc: fc[1]):
        c0 = col - 1
        rows = []
        for rec in records:
            if (rec.row - 1, c0) in unsaved:
                rows.append(rec.row)
                # unread: xlsxwriter saves a placeholder 0 that calamine reads as a value
                rec.values[field] = None
        if not rows:
            continue
        unread.update((r, a1(r, col)) for r in rows)
        header = layout.header_of.get(field, field)
        n = len(rows)
        shown = ", ".join(
            f"{a1(r, col)} ={unsaved[(r - 1, c0)]}" if unsaved[(r - 1, c0)] else a1(r, col)
            for r in rows[:SHOWN]
        )
        more = f" and {n - SHOWN:,} more" if n > SHOWN else ""
        findings.append(
            Finding.of(
                FORMULA_NOT_CALCULATED,
                f"{header} (column {col_letter(col)}): {n:,} cell{'s' if n > 1 else ''} "
                f"{'hold' if n > 1 else 'holds'} a formula whose result was never saved "
                f"({shown}{more}), so {'they read' if n > 1 else 'it reads'} as blank. The "
                "file was written by a program that does not calculate formulas (a script, "
                "openpyxl, an export tool): open it in Excel or LibreOffice, save it, and run "
                "again",
                sheet=layout.sheet,
                col=col,
                column=header,
                details={"cells": [a1(r, col) for r in rows[:10]], "count": n},
            )
        )
    return findings, unread
