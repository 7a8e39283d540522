"""A pipeline as the rules see it: the deals, where they sit in the sheet, the profile and the
date of the run. It holds no store: reading and writing belong to ``sheet.load`` and the api.

Duplicate ids follow one rule everywhere: rows sharing an id are one deal, counted once, and
the LAST such row (lowest in the sheet) is that deal for the report, the ledger, stalls and
documents; validate reports ``duplicate-id`` on every such row, and documents refuse the id.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from salessheet.core.cells import RawSheet
from salessheet.core.findings import Finding
from salessheet.core.records import Deal, TableLayout
from salessheet.settings.profile import Profile


@dataclass
class Pipeline:
    source: str
    profile: Profile
    sheet: str
    today: dt.date
    deals: list[Deal]  # every deal row, in sheet order (duplicated ids included)
    findings: list[Finding]  # cell-level problems found while reading (bad-value, ...)
    sheets: dict[str, RawSheet]  # every sheet read in the one read batch
    layout: TableLayout
    unknown_stage_rows: set[int] = field(default_factory=set)
    skipped_rows: dict[int, str] = field(default_factory=dict)  # layout rows: row -> kind
    unread_cells: set[tuple[int, str]] = field(default_factory=set)  # (row, A1): ambiguous dates
    _index: dict[str, Deal] = field(default_factory=dict, repr=False)
    _counted: list[Deal] | None = field(default=None, repr=False)

    def deal(self, deal_id: str) -> Deal | None:
        """The deal with this id (the last row holding it)."""
        if not self._index:
            for d in self.deals:
                self._index[d.id] = d
        return self._index.get(deal_id)

    def counted(self) -> list[Deal]:
        """Each deal once: a repeated id is its last row (in sheet order of those rows); rows
        without an id are each counted."""
        if self._counted is None:
            last: dict[str, int] = {}
            for i, d in enumerate(self.deals):
                if d.id:
                    last[d.id] = i
            if len(last) == sum(1 for d in self.deals if d.id):
                self._counted = self.deals
            else:
                self._counted = [d for i, d in enumerate(self.deals) if not d.id or last[d.id] == i]
        return self._counted

    def superseded(self) -> set[int]:
        """Rows of a repeated id other than its last row."""
        if len(self.counted()) == len(self.deals):
            return set()
        kept = {d.row for d in self.counted()}
        return {d.row for d in self.deals if d.row not in kept}

    def duplicates(self) -> tuple[int, int]:
        """(rows that share an id, how many ids they share)."""
        counts = Counter(d.id for d in self.deals if d.id)
        repeated = [n for n in counts.values() if n > 1]
        return sum(repeated), len(repeated)

    def duplicate_note(self) -> str | None:
        """ "N rows share M ids; each id counted once, the last row wins" (None: no repeats)."""
        rows, ids = self.duplicates()
        if not rows:
            return None
        return (
            f"{rows} rows share {ids} id{'s' if ids > 1 else ''}; each id counted once, "
            "the last row wins"
        )

    @property
    def raw(self) -> RawSheet:
        return self.sheets[self.sheet]
