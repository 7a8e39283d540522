"""Forecast snapshots: the `salessheet forecast` sheet every `run` appends its snapshot to.

A snapshot is the open pipeline on the day of a run, per owner, expected-close month and
currency: how many open deals, their amount and their weighted amount (weighted as `report`
weighs). Months before the snapshot's month are one ``overdue`` bucket, months more than 11
after it one ``later`` bucket, deals without an expected close ``none``.

The sheet is kept small (thinning, applied on every run):

- the newest snapshot is kept whole;
- every older snapshot keeps only the months its forecast is scored on: those ending on or
  after the snapshot day and at most 8 weeks after it (forecast accuracy compares the forecast
  made 1, 4 and 8 weeks before a month ended with what was won in it) — at most two months;
- snapshots older than 14 days are thinned out to one a week: the last one of each ISO week
  (Monday to Sunday) — except that a week holding a scoring day (1, 4 or 8 weeks before some
  month's end) keeps the last snapshot on or before that day instead, so the forecast scored
  is the one made closest before it;
- a scored month without any open deal still gets a row of zeros (a forecast of nothing).

For 50 owners in one currency that is at most 50 x 15 rows for the newest snapshot, 50 x 2 for
each of the 13 other days of the last fortnight and 50 x 2 for each week before: two years of
nightly runs with every owner in every bucket leave 12,501 rows of 7 cells (87,507 cells, under
100,000; tests/test_forecast_snapshots.py). Each more currency adds its own rows. Rows that
cannot be read are kept as they are, below the snapshots.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from salessheet.core.cells import CellError, RawSheet, RawValue, WriteValue
from salessheet.history.fields import date_candidates
from salessheet.history.ledger import writable

FORECAST_HEADER = ["Snapshot", "Owner", "Close Month", "Currency", "Deals", "Amount", "Weighted"]
KEEP_DAILY_DAYS = 14
SCORED_WEEKS = (1, 4, 8)
HORIZON_MONTHS = 11  # months after the snapshot's own month kept apart; later ones: "later"
SPECIAL_BUCKETS = ("overdue", "later", "none")


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_end(key: str) -> dt.date | None:
    """Last day of a ``YYYY-MM`` month (None for the special buckets or anything else)."""
    if len(key) != 7 or key[4] != "-" or not (key[:4] + key[5:]).isdigit():
        return None
    y, m = int(key[:4]), int(key[5:7])
    if not 1 <= m <= 12 or y < 1:
        return None
    first_next = dt.date(y + m // 12, m % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def bucket(close: dt.date | None, day: dt.date) -> str:
    """The snapshot bucket of a deal expected to close on ``close``, seen on ``day``."""
    if close is None:
        return "none"
    months = (close.year - day.year) * 12 + close.month - day.month
    if months < 0:
        return "overdue"
    if months > HORIZON_MONTHS:
        return "later"
    return month_key(close)


def scored(day: dt.date, key: str) -> bool:
    """True if the forecast a snapshot of ``day`` makes for month ``key`` is ever scored."""
    end = month_end(key)
    return end is not None and day <= end <= day + dt.timedelta(weeks=max(SCORED_WEEKS))


def scored_months(day: dt.date) -> list[str]:
    """The months a snapshot of ``day`` is scored on (those ending within 8 weeks)."""
    out, first = [], dt.date(day.year, day.month, 1)
    for i in range(3):
        m = first.month - 1 + i
        key = month_key(dt.date(first.year + m // 12, m % 12 + 1, 1))
        if scored(day, key):
            out.append(key)
    return out


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    day: dt.date
    owner: str  # "" when the deals have no owner
    month: str  # "YYYY-MM" or one of SPECIAL_BUCKETS
    currency: str
    deals: int
    amount: Decimal
    weighted: Decimal

    def row(self) -> list[WriteValue]:
        return [
            self.day.isoformat(),
            self.owner,
            self.month,
            self.currency,
            self.deals,
            self.amount,
            self.weighted,
        ]

    def key(self) -> tuple[dt.date, str, str, str, str]:
        return (self.day, self.owner.casefold(), self.owner, self.month, self.currency)


@dataclass
class ForecastHistory:
    rows: list[SnapshotRow] = field(default_factory=list)
    kept: list[list[RawValue]] = field(default_factory=list)  # unreadable rows, as they were
    problems: list[str] = field(default_factory=list)
    _by_day: tuple[int, dict[dt.date, list[SnapshotRow]]] | None = field(
        default=None, repr=False, compare=False
    )

    @classmethod
    def from_sheet(cls, sheet: RawSheet | None) -> ForecastHistory:
        out = cls()
        if sheet is None:
            return out
        for i, raw in enumerate(sheet.rows[1:], start=2):
            if all(v is None or v == "" for v in raw):
                continue
            row = _parse(raw)
            if row is None:
                out.kept.append(list(raw))
                out.problems.append(f"{sheet.name!r} row {i} could not be read; kept as it is")
            else:
                out.rows.append(row)
        return out

    def _index(self) -> dict[dt.date, list[SnapshotRow]]:
        if self._by_day is None or self._by_day[0] != len(self.rows):
            by_day: dict[dt.date, list[SnapshotRow]] = {}
            for r in self.rows:
                by_day.setdefault(r.day, []).append(r)
            self._by_day = (len(self.rows), dict(sorted(by_day.items())))
        return self._by_day[1]

    def days(self) -> list[dt.date]:
        return list(self._index())

    def at(self, day: dt.date) -> list[SnapshotRow]:
        return self._index().get(day, [])

    def latest_on_or_before(self, day: dt.date) -> dt.date | None:
        days = self.days()
        i = bisect.bisect_right(days, day)
        return days[i - 1] if i else None

    def with_snapshot(
        self, day: dt.date, rows: Iterable[SnapshotRow], currency: str
    ) -> ForecastHistory:
        """This history with ``day``'s snapshot replaced by ``rows``, thinned (module doc).
        A scored month without an open deal gets a row of zeros (owner blank, ``currency``):
        a forecast of nothing is a forecast, and the row keeps the snapshot's day."""
        rows = list(rows)
        present = {r.month for r in rows}
        rows += [
            SnapshotRow(day, "", key, currency, 0, Decimal(0), Decimal(0))
            for key in scored_months(day)
            if key not in present
        ]
        older = [r for r in self.rows if r.day != day]
        kept = thin([*older, *rows], day)
        return ForecastHistory(kept, list(self.kept), list(self.problems))

    def sheet_rows(self) -> list[list[WriteValue]]:
        out: list[list[WriteValue]] = [list(FORECAST_HEADER)]
        out += [r.row() for r in sorted(self.rows, key=SnapshotRow.key)]
        out += [[writable(v) for v in raw] for raw in self.kept]
        return out


def scoring_days(first: dt.date, last: dt.date) -> set[dt.date]:
    """The days forecasts are scored from: 1, 4 and 8 weeks before each month's end."""
    out: set[dt.date] = set()
    month = dt.date(first.year, first.month, 1)
    stop = last + dt.timedelta(weeks=max(SCORED_WEEKS) + 5)
    while month <= stop:
        end = month_end(month_key(month))
        assert end is not None
        out |= {end - dt.timedelta(weeks=w) for w in SCORED_WEEKS}
        month = end + dt.timedelta(days=1)
    return out


def thin(rows: list[SnapshotRow], newest: dt.date) -> list[SnapshotRow]:
    """Apply the retention rules of the module doc (``newest``: the day of this run)."""
    days = sorted({r.day for r in rows if r.day <= newest})  # later ones: the clock went back
    keep_days: set[dt.date] = set()
    weeks: dict[tuple[int, int], list[dt.date]] = {}
    for d in days:
        if (newest - d).days < KEEP_DAILY_DAYS:
            keep_days.add(d)
        else:
            iso = d.isocalendar()
            weeks.setdefault((iso[0], iso[1]), []).append(d)
    targets = scoring_days(days[0], newest) if days else set()
    for week_days in weeks.values():
        monday = week_days[0] - dt.timedelta(days=week_days[0].weekday())
        chosen = {
            max(d for d in week_days if d <= t)
            for t in (monday + dt.timedelta(days=i) for i in range(7))
            if t in targets and week_days[0] <= t
        }
        keep_days |= chosen or {week_days[-1]}
    return [r for r in rows if r.day in keep_days and (r.day == newest or scored(r.day, r.month))]


def _number(v: RawValue) -> Decimal | None:
    if isinstance(v, bool) or isinstance(v, CellError) or v is None:
        return None
    try:
        if isinstance(v, float):
            return Decimal(repr(v)) if v == v else None
        d = Decimal(str(v).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _parse(raw: list[RawValue]) -> SnapshotRow | None:
    cells = list(raw[:7]) + [None] * (7 - len(raw[:7]))
    if any(v not in (None, "") for v in raw[7:]):
        return None
    days = date_candidates(cells[0])
    if len(days) != 1:
        return None
    texts = []
    for v in cells[1:4]:
        if isinstance(v, bool):
            return None
        # an error value (#N/A typed over an owner) is read as the text it is written back as
        texts.append("" if v is None else (v.code if isinstance(v, CellError) else str(v)).strip())
    owner, month, currency = texts
    if month not in SPECIAL_BUCKETS and month_end(month) is None:
        return None
    deals, amount, weighted = (_number(v) for v in cells[4:7])
    if deals is None or amount is None or weighted is None or deals != deals.to_integral_value():
        return None
    return SnapshotRow(days[0], owner, month, currency, int(deals), amount, weighted)
