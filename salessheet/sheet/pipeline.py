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
from salessheet.sheet.stagenames import StageNames, stage_names


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
    _superseded: set[int] | None = field(default=None, repr=False)
    _id_counts: Counter[str] | None = field(default=None, repr=False)
    _stage_names: StageNames | None = field(default=None, repr=False)
    _finding_cells: set[tuple[int | None, str | None]] | None = field(default=None, repr=False)

    @property
    def stage_names(self) -> StageNames:
        """How this sheet names each stage (``sheet.stagenames``): what messages say."""
        if self._stage_names is None:
            self._stage_names = stage_names(self.profile, self.deals)
        return self._stage_names

    def finding_cells(self) -> set[tuple[int | None, str | None]]:
        """(row, A1) of each cell a reading finding is about (a bad-value, ...): the rules
        leave such a cell to that finding rather than report it again."""
        if self._finding_cells is None:
            self._finding_cells = {(f.row, f.cell) for f in self.findings}
        return self._finding_cells

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
            deals = self.deals
            counts = self.id_counts()
            repeated = {k for k, n in counts.items() if n > 1 and k}
            if not repeated:
                self._counted, self._superseded = deals, set()
            else:
                last = {d.id: i for i, d in enumerate(deals) if d.id in repeated}
                self._counted = []
                self._superseded = set()
                for i, d in enumerate(deals):
                    if d.id in repeated and last[d.id] != i:
                        self._superseded.add(d.row)
                    else:
                        self._counted.append(d)
        return self._counted

    def superseded(self) -> set[int]:
        """Rows of a repeated id other than its last row."""
        self.counted()
        return self._superseded  # type: ignore[return-value]

    def id_counts(self) -> Counter[str]:
        """How many rows hold each id (rows without one under "")."""
        if self._id_counts is None:
            self._id_counts = Counter([d.id for d in self.deals])
        return self._id_counts

    def duplicates(self) -> tuple[int, int]:
        """(rows that share an id, how many ids they share)."""
        repeated = [n for k, n in self.id_counts().items() if n > 1 and k]
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
