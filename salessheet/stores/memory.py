"""An in-memory store: for the Python API and for tests of the rules."""

from __future__ import annotations

import copy

from salessheet.core.cells import RawSheet, SheetInfo, WriteValue
from salessheet.stores.base import WriteBatch, WriteReport


class MemoryStore:
    kind = "memory"
    writable = True
    checks_rows = False

    def __init__(self, sheets: dict[str, list[list[WriteValue]]], source: str = "memory:"):
        self.source = source
        self.data = {name: [list(r) for r in rows] for name, rows in sheets.items()}
        self.locale: str | None = None
        self.timezone: str | None = None

    def sheets(self) -> list[SheetInfo]:
        return [SheetInfo(n, not n.startswith("salessheet ")) for n in self.data]

    def read(self, names: list[str]) -> dict[str, RawSheet]:
        # a memory sheet reads back what was written into it (a Decimal stays a Decimal)
        return {n: RawSheet(n, copy.deepcopy(self.data[n])) for n in names if n in self.data}  # type: ignore[arg-type]

    def formula_columns(self, sheet: str, first_row: int) -> frozenset[int]:
        return frozenset()  # values only: no formulas here

    def write(self, batch: WriteBatch) -> WriteReport:
        report = WriteReport()
        for cw in batch.cells:
            rows = self.data.setdefault(cw.sheet, [])
            while len(rows) < cw.row:
                rows.append([])
            row = rows[cw.row - 1]
            while len(row) < cw.col:
                row.append(None)
            row[cw.col - 1] = cw.value
            report.written_cells += 1
        for sr in batch.sheets:
            self.data[sr.name] = [list(r) for r in sr.rows]
            report.written_sheets.append(sr.name)
        return report
