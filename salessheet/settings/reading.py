"""How a sheet is read: the config keys that describe a sheet's shape, and their checks.

Top level: ``header_row``, ``header: none`` with ``first_row``, ``layout_rows`` and
``skip_rows``; per column: ``date_order``, ``scale``, ``currency`` and ``column``. The checks
that need more than one key (``column:`` only with ``header: none``; ``scale`` only on money,
number and percent columns, ``currency`` on money, ``date_order`` on dates; a
``date_formats`` list that reads ``02-01-17`` both day first and month first needs a
``date_order`` on every date column) are ``reading_problems``, run once the whole file has
validated.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic.json_schema import WithJsonSchema

from salessheet.core.currency import known_currency
from salessheet.settings.base import ConfigModel, Expect, item, problems, to_decimal

DateOrderName = Literal["dmy", "mdy", "ymd"]
LayoutMode = Literal["auto", "none"]
MAX_COLUMN = 16384  # XFD, Excel's last column
_LETTERS = re.compile(r"^[A-Za-z]{1,3}$")
_RANGE = re.compile(r"^\s*(\d+)\s*[-–]\s*(\d+)\s*$")


def column_number(value: Any) -> Any:
    """``E`` -> 5, ``5`` -> 5; anything else is returned for the type check to refuse."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and _LETTERS.match(value.strip()):
        n = 0
        for ch in value.strip().upper():
            n = n * 26 + ord(ch) - 64
        return n
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _row_spec(value: Any) -> Any:
    """A row number or an ``a-b`` range, as written (checked here, expanded at read time)."""
    if isinstance(value, bool):
        raise ValueError("not a row")
    if isinstance(value, int) and value >= 1:
        return value
    if isinstance(value, str):
        m = _RANGE.match(value)
        if m and 1 <= int(m.group(1)) <= int(m.group(2)):
            return value.strip()
    raise ValueError("not a row")


def _regex(value: Any) -> Any:
    if isinstance(value, str):
        try:
            re.compile(value)
        except re.error as exc:
            raise problems([item(f"a regular expression ({exc})")]) from None
    return value


DateOrder = Annotated[
    DateOrderName, Expect("dmy, mdy or ymd (how numeric text dates such as 1/08/26 read)")
]
ColumnPosition = Annotated[
    int,
    BeforeValidator(column_number),
    Field(ge=1, le=MAX_COLUMN),
    WithJsonSchema({"type": ["string", "integer"]}),
    Expect("a column letter such as E, or a column number from 1"),
]
Scale = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    Field(gt=0),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0}),
    Expect("a number above 0, e.g. 10000 for amounts written in 万 (ten thousands)"),
]
# how a team may write a currency where the code goes, and the code it means
_CURRENCY = "an ISO 4217 code such as CNY, USD or EUR"


def _currency_code(value: str) -> str:
    if re.fullmatch(r"[A-Z]{3}", value) and value != "RMB":  # RMB: a name, not the code
        return value
    said = value.strip()
    code = known_currency(said) or (said.upper() if re.fullmatch(r"[A-Za-z]{3}", said) else None)
    hint = f" (did you mean {code!r}?)" if code else ""
    raise problems([item(_CURRENCY, hint=hint)])


CurrencyCode = Annotated[str, AfterValidator(_currency_code), Expect(_CURRENCY)]
RowNumber = Annotated[
    Any,
    BeforeValidator(_row_spec),
    WithJsonSchema({"type": ["integer", "string"]}),
    Expect('a row number such as 3, or a range such as "120-135"'),
]
Pattern = Annotated[
    str,
    BeforeValidator(_regex),
    Expect("a regular expression such as (?i)^(sub)?total"),
]


class SkipWhereModel(ConfigModel):
    """Skip a row when a column's text matches a pattern (Python regex, searched)."""

    column: Annotated[
        str,
        BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v),
        Expect("a header, a field name or a column letter"),
    ]
    matches: Pattern


class SkipRowsModel(ConfigModel):
    """Rows that are not deals, named by the user (on top of the automatic layout rows)."""

    rows: Annotated[list[RowNumber], Expect('a list of row numbers or ranges ("120-135")')] = []
    where: Annotated[list[SkipWhereModel], Expect("a list of {column, matches}")] = []


# ------------------------------------------------------------------------- runtime objects


@dataclass(frozen=True)
class SkipRows:
    rows: frozenset[int] = frozenset()
    ranges: tuple[tuple[int, int], ...] = ()
    where: tuple[tuple[str, str], ...] = ()  # (column: header, field or letter; pattern)

    def __bool__(self) -> bool:
        return bool(self.rows or self.ranges or self.where)

    def named(self, row: int) -> bool:
        return row in self.rows or any(a <= row <= b for a, b in self.ranges)


@dataclass(frozen=True)
class SheetReading:
    """The sheet's shape as the config gives it (defaults: header searched, layout rows
    recognised)."""

    header_row: int | None = None  # 1-based; None: searched in the first 30 rows
    headerless: bool = False  # header: none (columns by position)
    first_row: int = 1  # with header: none, the first data row
    layout_rows: bool = True  # layout_rows: auto
    skip: SkipRows = SkipRows()


def build_reading(m: Any) -> SheetReading:
    skip = SkipRows()
    if m.skip_rows is not None:
        rows: set[int] = set()
        ranges: list[tuple[int, int]] = []
        for spec in m.skip_rows.rows:
            if isinstance(spec, int):
                rows.add(spec)
            else:
                # a text spec is a range _row_spec matched: the match is not None
                a, b = (int(x) for x in _RANGE.match(spec).groups())  # type: ignore[union-attr]
                ranges.append((a, b))
        where = tuple((w.column, w.matches) for w in m.skip_rows.where)
        skip = SkipRows(frozenset(rows), tuple(ranges), where)
    return SheetReading(
        header_row=m.header_row,
        headerless=m.header == "none",
        first_row=m.first_row or 1,
        layout_rows=m.layout_rows == "auto",
        skip=skip,
    )


# ------------------------------------------------------------------------- checks across keys

# column keys that say how values of some types read, and those types: on another column the
# key would be accepted and do nothing, so it is refused
_TYPED_KEYS = {
    "scale": (("money", "number", "percent"), "a money, number or percent column"),
    "currency": (("money",), "a money column"),
    "date_order": (("date",), "a date column"),
}


def _misplaced_keys(m: Any) -> list[dict[str, Any]]:
    """``scale: 0.01`` on a text column (and the like): accepted, it would change nothing."""
    found = []
    for fname, col in m.columns.items():
        for key, (types, where) in _TYPED_KEYS.items():
            value = getattr(col, key)
            if value is None or col.type in types:
                continue
            found.append(
                item(
                    note=f"found {key}: {value} on a {col.type} column, expected {key} only on "
                    f"{where} (give the column a type: that reads it, or drop {key}:)",
                    at=("columns", fname, key),
                    reads=(("columns", fname, "type"),),
                )
            )
    return found


_PROBE = dt.date(2017, 2, 1)  # day and month both <= 12: a text both orders can read


def conflicting_formats(formats: list[str]) -> list[tuple[str, str, str]]:
    """Pairs of formats that read one text as two dates, day and month swapped:
    ``[("%m-%d-%y", "%d-%m-%y", "02-01-17")]``."""
    out: list[tuple[str, str, str]] = []
    seen: set[frozenset[str]] = set()
    for a in formats:
        try:
            text = _PROBE.strftime(a)
        except ValueError:
            continue
        for b in formats:
            if b == a or frozenset((a, b)) in seen:
                continue
            try:
                got = dt.datetime.strptime(text, b).date()
            except ValueError:
                continue
            if got != _PROBE:
                seen.add(frozenset((a, b)))
                out.append((a, b, text))
    return out


_SHAPE = (("header",), ("header_row",), ("first_row",))  # what says where the rows are


def reading_problems(m: Any) -> list[dict[str, Any]]:
    """Problems no single key shows: positional columns without ``header: none`` (and the
    reverse), and a ``date_formats`` list that admits both day and month first."""
    found = []
    headerless = m.header == "none"
    if headerless and m.header_row is not None:
        found.append(
            item(
                note=f"found header_row: {m.header_row} with header: none, expected one of "
                "them (header: none means the sheet has no header row; first_row: says where "
                "the data starts)",
                at=("header_row",),
                reads=_SHAPE,
            )
        )
    if m.first_row is not None and not headerless:
        found.append(
            item(
                note=f"found first_row: {m.first_row} without header: none, expected first_row "
                "only for a sheet without a header row (the data starts below the header)",
                at=("first_row",),
                reads=_SHAPE,
            )
        )
    found += _misplaced_keys(m)
    taken: dict[int, str] = {}
    for fname, col in m.columns.items():
        if col.column is None:
            continue
        if not headerless:
            found.append(
                item(
                    note=f"found column: {col.column}, expected header: none at the top level "
                    "for columns mapped by position (otherwise columns are found by header)",
                    at=("columns", fname, "column"),
                    reads=_SHAPE,
                )
            )
        elif col.column in taken:
            found.append(
                item(
                    note=f"found column: {col.column}, also the column of "
                    f"{taken[col.column]!r}, expected each column to hold one field",
                    at=("columns", fname, "column"),
                    reads=(*_SHAPE, ("columns", taken[col.column], "column")),
                )
            )
        taken.setdefault(col.column, fname)
    if headerless:
        for needed in ("deal_id", "stage"):
            col = m.columns.get(needed)
            if col is not None and col.column is None:
                found.append(
                    item(
                        note=f"found no column: for {needed}, expected a column letter or "
                        "number (with header: none columns are mapped by position)",
                        at=("columns", needed),
                        reads=_SHAPE,
                    )
                )
    pairs = conflicting_formats(list(m.date_formats))
    if pairs:
        undated = [f for f, c in m.columns.items() if c.type == "date" and c.date_order is None]
        if undated:
            a, b, text = pairs[0]
            one = dt.datetime.strptime(text, a).date()
            other = dt.datetime.strptime(text, b).date()
            found.append(
                item(
                    note=f"found {a!r} and {b!r}, which read {text} as "
                    f"{one:%d %B %Y} and as {other:%d %B %Y}, expected formats that agree on "
                    "the order of day and month: drop one, or give every date column a "
                    f"date_order (dmy, mdy or ymd); without one: {', '.join(undated)}",
                    at=("date_formats",),
                    reads=(("columns",),),
                )
            )
    return found
