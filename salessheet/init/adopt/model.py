"""The Guess: what ``config init`` believes about a sheet, each decision with its evidence.

Plain frozen dataclasses, so a config writer can read them and a CLI can print them
(``Guess.lines()``) or dump them (``Guess.to_dict()``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from salessheet.core.cells import col_letter
from salessheet.init.adopt.stages import ExtraStage, StageGuess
from salessheet.init.adopt.values import DateOrder
from salessheet.sheet.layout import LayoutRow


@dataclass(frozen=True)
class SheetChoice:
    name: str
    evidence: str  # "Opportunities: 18 rows with a stage column; Converter: 3 rows, no stage"


@dataclass(frozen=True)
class MoneyGuess:
    """How a money column is written: scale and currency (header or values), decimal mark."""

    scale: Decimal | int  # the header's unit; 1 (an int, JSON 1) when it names none
    currency: str | None
    decimal: str | None  # "," or "." when the values show it, None when they do not
    evidence: str
    note: str | None = None  # bracketed header text that is not a unit


@dataclass(frozen=True)
class PercentGuess:
    scale: str  # "fraction" (0–1) | "points" (0–100)
    evidence: str
    numbers: bool = True  # the values show it (False: only the header does, no values yet)


@dataclass(frozen=True)
class ColumnGuess:
    """One column of the sheet: the field it holds (or None) and why."""

    column: int  # 1-based
    header: str | None  # None on a sheet without a header row
    field: str | None
    type: str | None  # the field's type: id|text|stage|money|number|percent|date
    evidence: str
    strength: float = 0.0  # how sure the name (or the values) made us: 1.0 profile alias
    date: DateOrder | None = None
    money: MoneyGuess | None = None
    percent: PercentGuess | None = None
    boolean: str | None = None  # "si/no" when the column is a yes/no flag
    second_header: str | None = None  # the key under the label (a second header row)

    @property
    def letter(self) -> str:
        return col_letter(self.column)

    @property
    def name(self) -> str:
        return f"{self.letter} ({self.header!r})" if self.header else self.letter


@dataclass(frozen=True)
class NullMarkerGuess:
    text: str
    count: int  # cells (in the rows examined)
    columns: tuple[str, ...]  # headers (or letters) of the columns holding it
    scope: str  # "sheet": safe as a profile null marker | "columns": only in these columns
    evidence: str


@dataclass(frozen=True)
class LocaleGuess:
    locale: str
    evidence: str


@dataclass(frozen=True)
class TaxGuess:
    """The ``documents:`` lines of a config for a team outside the profile's country."""

    lines: tuple[str, ...]  # YAML, from "documents:" on
    check: str
    name: str | None = None  # documents.tax_name, where the country's tax is not a VAT
    name_zh: str | None = None  # documents.tax_name_zh: its name on Chinese documents


@dataclass(frozen=True)
class ZoneGuess:
    """The team's time zone ("today" and the schedule's clock); None: the profile's."""

    zone: str | None
    evidence: str
    check: str | None = None  # what to check, when the guess is weak


@dataclass(frozen=True)
class CurrencyGuess:
    currency: str | None
    evidence: str
    check: str | None = None  # what to check: nothing in the sheet says, the locale's country's


@dataclass(frozen=True)
class RelaxGuess:
    """A profile stage requiring fields the sheet has no column for."""

    stage: str
    missing: tuple[str, ...]
    evidence: str


@dataclass(frozen=True)
class Unplaced:
    kind: str  # column | field | stage
    name: str
    evidence: str


@dataclass(frozen=True)
class Guess:
    source: str
    profile: str
    sheet: SheetChoice
    header_row: int  # 1-based; 0 = no header row (columns mapped by position)
    header_evidence: str
    first_data_row: int
    data_rows: int  # rows below the header that are not layout
    columns: tuple[ColumnGuess, ...]
    stages: tuple[StageGuess, ...]
    extra_stages: tuple[ExtraStage, ...]
    currency: CurrencyGuess
    locale: LocaleGuess
    zone: ZoneGuess
    null_markers: tuple[NullMarkerGuess, ...]
    layout: tuple[LayoutRow, ...]
    relax: tuple[RelaxGuess, ...]
    unplaced: tuple[Unplaced, ...]
    warnings: tuple[str, ...] = ()
    tax: TaxGuess | None = None  # no tax on documents until the team sets its own (place.py)
    fields: dict[str, ColumnGuess] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.fields.update({c.field: c for c in self.columns if c.field})

    def column_for(self, field_name: str) -> ColumnGuess | None:
        return self.fields.get(field_name)

    def stage_of(self, value: str) -> StageGuess | None:
        return next((s for s in self.stages if s.value == value), None)

    def dates(self) -> dict[str, DateOrder]:
        """Header (or letter) -> date order, for every column holding dates."""
        return {(c.header or c.letter): c.date for c in self.columns if c.date is not None}

    def layout_rows(self, *kinds: str) -> list[int]:
        return [r.row for r in self.layout if not kinds or r.kind in kinds]

    def lines(self) -> list[str]:
        """The guess for people: one decision per line, each with its evidence."""
        out = [f"sheet: {self.sheet.name} ({self.sheet.evidence})"]
        where = f"row {self.header_row}" if self.header_row else "none"
        out.append(f"header: {where} ({self.header_evidence})")
        for c in self.columns:
            target = c.field or "-"
            out.append(f"column {c.name} → {target}: {c.evidence}")
            if c.date is not None:
                out.append(f"  dates: {c.date.evidence}")
            if c.money is not None:
                out.append(f"  money: {c.money.evidence}")
            if c.percent is not None:
                out.append(f"  percent: {c.percent.evidence}")
        for s in self.stages:
            out.append(f"stage {s.evidence}")
        out.append(f"currency: {self.currency.currency or '-'} ({self.currency.evidence})")
        out.append(f"locale: {self.locale.locale} ({self.locale.evidence})")
        if self.zone.zone:
            out.append(f"timezone: {self.zone.zone} ({self.zone.evidence})")
        out += [f"null marker {m.text!r}: {m.evidence}" for m in self.null_markers]
        out += [f"layout row {r.row} ({r.kind}): {r.evidence}" for r in self.layout]
        out += [f"relax {r.stage}: {r.evidence}" for r in self.relax]
        out += [f"unplaced {u.kind} {u.name}: {u.evidence}" for u in self.unplaced]
        out += [f"warning: {w}" for w in self.warnings]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (Decimal as text)."""

        def clean(x: Any) -> Any:
            if isinstance(x, Decimal):
                return str(x)
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [clean(v) for v in x]
            return x

        data = dataclasses.asdict(self)
        data.pop("fields")  # the columns again, by field
        return {k: clean(v) for k, v in data.items()}
