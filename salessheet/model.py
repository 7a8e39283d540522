"""Typed records the rules, documents and analytics work on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from salessheet.cells import RawValue


@dataclass
class Record:
    """One mapped row of a table (a deal, a line item, a product).

    ``values`` holds the parsed value per field (``str`` for ids and text, ``Decimal`` for
    money and numbers, ``datetime.date`` for dates, the stage id for stages); a field that is
    blank *or* could not be parsed is ``None`` (the parse problem is a separate finding).
    """

    sheet: str
    row: int  # 1-based sheet row
    values: dict[str, Any]
    raw: dict[str, RawValue]  # field -> raw cell as read
    cells: dict[str, str]  # field -> A1 reference
    headers: dict[str, str]  # field -> header text as written in the sheet
    extra: dict[str, RawValue] = field(default_factory=dict)  # unmapped header -> raw value

    def get(self, name: str, default: Any = None) -> Any:
        v = self.values.get(name)
        return default if v is None else v


@dataclass
class Deal(Record):
    """A pipeline row. ``id`` is always text; ``stage`` is the profile's stage id or None."""

    id: str = ""
    stage: str | None = None


@dataclass(frozen=True)
class StageSpan:
    """A deal's stay in one stage, from the ledger (or the sheet's stage-date column)."""

    deal_id: str
    stage: str
    entered: dt.date
    left: dt.date | None  # None: still there
    entered_from_sheet: bool = False  # True when 'entered' came from the sheet's own column
