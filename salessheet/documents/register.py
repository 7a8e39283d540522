"""The register of issued documents (the tool-owned ``salessheet documents`` sheet).

Numbers come from a pattern per kind (``Q-{year}-{seq:04d}``); the sequence restarts every year.
Issuing a deal's document again with the same inputs (same input hash) reuses the number and
adds no row; changed inputs add revision 2, 3... of the same number, shown as ``Q-2026-0007-R2``.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass
from decimal import Decimal

from salessheet.core.cells import CellError, RawSheet, RawValue, WriteValue
from salessheet.history.ownership import ownership, refuse_foreign
from salessheet.settings.documents import REGISTER_HEADER, REGISTER_SHEET


@dataclass(frozen=True)
class Entry:
    index: int  # position in Register.rows (0 = first data row)
    number: str
    revision: int
    deal_id: str
    kind: str
    issue_date: dt.date | None
    valid_until: dt.date | None
    input_hash: str
    file: str


@dataclass(frozen=True)
class Assignment:
    number: str  # base number, e.g. Q-2026-0007
    revision: int
    issue_date: dt.date
    valid_until: dt.date | None
    new_row: bool  # False: the same inputs were registered before; nothing new to write

    @property
    def display_number(self) -> str:
        return display_number(self.number, self.revision)


def display_number(number: str, revision: int) -> str:
    return number if revision <= 1 else f"{number}-R{revision}"


def pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for literal, name, _spec, _conv in string.Formatter().parse(pattern):
        parts.append(re.escape(literal))
        if name == "year":
            parts.append(r"(?P<year>\d{4})")
        elif name == "yy":
            parts.append(r"(?P<yy>\d{2})")
        elif name == "month":
            parts.append(r"\d{1,2}")
        elif name == "seq":
            parts.append(r"(?P<seq>\d+)")
    return re.compile("^" + "".join(parts) + "$")


def _text(value: RawValue | WriteValue) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value: RawValue | WriteValue) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _int(value: RawValue | WriteValue) -> int:
    text = _text(value).upper().lstrip("R")
    return int(text) if text.isdigit() else 1


def _writable(value: RawValue) -> WriteValue:
    """A value read from the sheet, as it can be written back unchanged."""
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.time, dt.timedelta, CellError)):
        return str(value)
    if isinstance(value, bool):
        return str(value).upper()
    return value


# A register this tool wrote carries its mark; an unmarked one (older versions) is known by
# these columns, whatever their order or case and whichever others were added or deleted.
_REGISTER_KEY_COLUMNS = {"number", "deal id", "kind"}


def check_register(sheet: RawSheet | None) -> None:
    """Raise WriteRefused (exit 3) when a sheet called ``salessheet documents`` is the user's
    own: numbering documents into it would rewrite their sheet."""
    if ownership(sheet, [REGISTER_HEADER]) != "foreign" or sheet is None:
        return
    first = sheet.head(1)
    header = {_text(v).lower() for v in first[0]} if first else set()
    if not _REGISTER_KEY_COLUMNS <= header:
        raise refuse_foreign(REGISTER_SHEET)


class Register:
    """In-memory copy of the register sheet; ``rows_for_write()`` gives the sheet to replace."""

    def __init__(self, sheet: RawSheet | None = None):
        raw_rows = [list(r) for r in (sheet.rows if sheet else [])]
        while raw_rows and all(v in (None, "") for v in raw_rows[-1]):
            raw_rows.pop()
        header = [_text(v).lower() for v in raw_rows[0]] if raw_rows else []
        self.header: list[WriteValue] = [_writable(v) for v in raw_rows[0]] if raw_rows else []
        for name in REGISTER_HEADER:  # a column someone deleted comes back at the end
            if name not in header:
                header.append(name)
                self.header.append(name)
        self._col = {name: header.index(name) for name in REGISTER_HEADER}
        self.rows: list[list[WriteValue]] = [[_writable(v) for v in row] for row in raw_rows[1:]]
        self.changed = False
        self._index()

    @classmethod
    def from_sheets(cls, sheets: dict[str, RawSheet]) -> Register:
        return cls(sheets.get(REGISTER_SHEET))

    def _get(self, row: list[WriteValue], name: str) -> WriteValue:
        i = self._col[name]
        return row[i] if i < len(row) else None

    def _entry(self, i: int, row: list[WriteValue]) -> Entry | None:
        number = _text(self._get(row, "number"))
        if not number:
            return None
        return Entry(
            index=i,
            number=number,
            revision=_int(self._get(row, "revision")),
            deal_id=_text(self._get(row, "deal id")),
            kind=_text(self._get(row, "kind")).lower(),
            issue_date=_date(self._get(row, "issue date")),
            valid_until=_date(self._get(row, "valid until")),
            input_hash=_text(self._get(row, "input hash")),
            file=_text(self._get(row, "file")),
        )

    def _index(self) -> None:
        self._entries: list[Entry] = []
        self._latest: dict[tuple[str, str], Entry] = {}
        self._taken: set[str] = set()
        for i, row in enumerate(self.rows):
            e = self._entry(i, row)
            if e is not None:
                self._note(e)

    def _note(self, e: Entry) -> None:
        self._entries.append(e)
        self._taken.add(e.number)
        key = (e.deal_id, e.kind)
        old = self._latest.get(key)
        if old is None or (e.revision, e.index) >= (old.revision, old.index):
            self._latest[key] = e

    def entries(self) -> list[Entry]:
        return list(self._entries)

    def latest(self, deal_id: str, kind: str) -> Entry | None:
        return self._latest.get((deal_id, kind))

    def next_number(self, kind: str, pattern: str, issue_date: dt.date) -> str:
        regex = pattern_regex(pattern)
        highest = 0
        for e in self._entries:
            if e.kind != kind:
                continue
            m = regex.match(e.number)
            if not m:
                continue
            groups = m.groupdict()
            if groups.get("year"):
                year = int(groups["year"])
            elif groups.get("yy"):
                year = 2000 + int(groups["yy"])
            else:
                year = e.issue_date.year if e.issue_date else issue_date.year
            if year == issue_date.year:
                highest = max(highest, int(m.group("seq")))
        seq = highest + 1
        while True:
            number = pattern.format(
                year=issue_date.year, yy=issue_date.year % 100, month=issue_date.month, seq=seq
            )
            if number not in self._taken:
                return number
            seq += 1

    def assign(
        self,
        *,
        kind: str,
        deal_id: str,
        pattern: str,
        today: dt.date,
        input_hash: str,
        valid_until: dt.date | None,
    ) -> Assignment:
        """The number this issue gets. Reuses the latest registration when nothing changed
        (and, for a quote, it is still valid); else a new revision or a new number.
        ``valid_until`` is what a fresh issue today would say (None: no validity date)."""
        latest = self.latest(deal_id, kind)
        fresh_until = valid_until
        if latest is not None:
            still_valid = latest.valid_until is None or latest.valid_until >= today
            if latest.input_hash == input_hash and still_valid:
                return Assignment(
                    latest.number,
                    latest.revision,
                    latest.issue_date or today,
                    latest.valid_until if valid_until is not None else None,
                    new_row=False,
                )
            return Assignment(latest.number, latest.revision + 1, today, fresh_until, True)
        number = self.next_number(kind, pattern, today)
        return Assignment(number, 1, today, fresh_until, True)

    def add(
        self,
        *,
        assignment: Assignment,
        deal_id: str,
        kind: str,
        currency: str,
        subtotal: Decimal,
        tax: Decimal,
        total: Decimal,
        input_hash: str,
        file: str,
    ) -> None:
        values: dict[str, WriteValue] = {
            "number": assignment.number,
            "revision": assignment.revision,
            "deal id": deal_id,
            "kind": kind,
            "issue date": assignment.issue_date,
            "valid until": assignment.valid_until,
            "currency": currency,
            "subtotal": subtotal,
            "tax": tax,
            "total": total,
            "input hash": input_hash,
            "file": file,
        }
        row: list[WriteValue] = [None] * len(self.header)
        for name, value in values.items():
            row[self._col[name]] = value
        self.rows.append(row)
        entry = self._entry(len(self.rows) - 1, row)
        assert entry is not None
        self._note(entry)
        self.changed = True

    def note_file(
        self, entry_number: str, revision: int, deal_id: str, kind: str, file: str
    ) -> None:
        """Record another format of an already registered document in its ``file`` cell."""
        for pos, e in enumerate(self._entries):
            if (e.number, e.revision, e.deal_id, e.kind) == (entry_number, revision, deal_id, kind):
                names = [n.strip() for n in e.file.split(";") if n.strip()]
                if file not in names:
                    row = self.rows[e.index]
                    while len(row) <= self._col["file"]:
                        row.append(None)
                    row[self._col["file"]] = "; ".join(names + [file])
                    entry = self._entry(e.index, row)
                    assert entry is not None  # the row keeps its number
                    self._entries[pos] = entry
                    if self._latest.get((e.deal_id, e.kind)) == e:
                        self._latest[(e.deal_id, e.kind)] = self._entries[pos]
                    self.changed = True
                return

    def rows_for_write(self) -> list[list[WriteValue]]:
        return [list(self.header)] + [list(r) for r in self.rows]

    def copy(self) -> Register:
        other = Register.__new__(Register)
        other.header = list(self.header)
        other._col = dict(self._col)
        other.rows = [list(r) for r in self.rows]
        other.changed = self.changed
        other._index()
        return other
