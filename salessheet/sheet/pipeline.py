"""A pipeline as the rules see it: the deals, where they sit in the sheet, the profile and the
date of the run. It holds no store: reading and writing belong to ``sheet.load`` and the api."""

from __future__ import annotations

import datetime as dt
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
    deals: list[Deal]
    findings: list[Finding]  # cell-level problems found while reading (bad-value, ...)
    sheets: dict[str, RawSheet]  # every sheet read in the one read batch
    layout: TableLayout
    unknown_stage_rows: set[int] = field(default_factory=set)
    _index: dict[str, Deal] = field(default_factory=dict, repr=False)

    def deal(self, deal_id: str) -> Deal | None:
        if not self._index:
            for d in self.deals:
                self._index.setdefault(d.id, d)
        return self._index.get(deal_id)

    @property
    def raw(self) -> RawSheet:
        return self.sheets[self.sheet]


