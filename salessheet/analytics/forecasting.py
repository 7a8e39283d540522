"""Forecast snapshots (written by every `run`) and forecast accuracy (in `report`).

Snapshot: the open pipeline on the day of a run per owner, expected-close month and currency:
deals, amount and weighted amount, weighted exactly as `report` weighs (the probability column
when it has a usable value, else the stage's probability). The sheet format and how it is kept
small are in ``salessheet.history.snapshots``.

Accuracy: for each past month with snapshots, the forecast made 1, 4 and 8 weeks before the
month ended (from the last snapshot on or before that day, if it is at most a week older) —
weighted, and unweighted (every open deal expected to close in the month) — against the amount
won in that month (deals whose ledger win — the run that saw the deal move into a won stage,
or the stage date it gave — falls in it, at their amount then), per owner and in total, with
error = (forecast - won) / won in %.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from salessheet.analytics import figures as fig
from salessheet.analytics.model import RateTable
from salessheet.core.currency import currency_code
from salessheet.core.money import round_money
from salessheet.core.owned import FORECAST_SHEET
from salessheet.history.fields import as_decimal
from salessheet.history.ledger import Ledger, Replay
from salessheet.history.ownership import is_ours
from salessheet.history.snapshots import (
    FORECAST_HEADER,
    SCORED_WEEKS,
    ForecastHistory,
    SnapshotRow,
    bucket,
    month_end,
    month_key,
)
from salessheet.history.transitions import current_rows

ZERO = Decimal(0)
MONTHS_SHOWN = 12
MAX_SNAPSHOT_AGE = dt.timedelta(days=7)  # a snapshot older than its target day by more: none


def snapshot_rows(p: Any) -> list[SnapshotRow]:
    """Today's snapshot of the open pipeline of a loaded pipeline."""
    deals = list(current_rows(p).values())
    column = p.layout.header_of.get("probability") if "probability" in p.layout.col_of else None
    basis, divisor = fig.probability_basis(
        [d.values.get("probability") for d in deals], column, fig.configured_scale(p.profile)
    )
    facts = fig.deal_facts(deals, p.profile, {}, basis, divisor)
    groups: dict[tuple[str, str, str], list[fig.DealFacts]] = defaultdict(list)
    for f in facts:
        if f.outcome == "open":
            groups[(f.owner, bucket(f.expected_close, p.today), f.currency)].append(f)
    rows = []
    for (owner, month, currency), fs in groups.items():
        # rounded per deal, as the report and `changes` add amounts up
        amount = sum((round_money(f.amount, currency) for f in fs if f.amount is not None), ZERO)
        weighted = sum((f.weighted for f in fs if f.weighted is not None), ZERO)
        rows.append(
            SnapshotRow(
                p.today,
                owner,
                month,
                currency,
                len(fs),
                round_money(amount, currency),
                round_money(weighted, currency),
            )
        )
    return rows


def read_history(p: Any) -> ForecastHistory:
    sheet = p.sheets.get(FORECAST_SHEET)
    if sheet is None or not is_ours(sheet, [FORECAST_HEADER]):
        return ForecastHistory()
    return ForecastHistory.from_sheet(sheet)


def forecast_sheet(p: Any) -> list[list[Any]]:
    """The `salessheet forecast` sheet's rows after today's snapshot (thinned)."""
    history = read_history(p).with_snapshot(p.today, snapshot_rows(p), p.profile.currency)
    return history.sheet_rows()


# ------------------------------------------------------------------------------ accuracy


@dataclass
class Point:
    weeks: int
    snapshot: dt.date | None = None
    weighted: Decimal | None = None
    unweighted: Decimal | None = None
    deals: int = 0

    def error(self, won: Decimal, weighted: bool = True) -> float | None:
        forecast = self.weighted if weighted else self.unweighted
        if forecast is None or not won:
            return None
        return round(float((forecast - won) / won * 100), 1)

    def to_dict(self, won: Decimal, currency: str) -> dict[str, Any]:
        def m(x: Decimal | None) -> str | None:
            return None if x is None else str(round_money(x, currency))

        return {
            "weeks": self.weeks,
            "snapshot": self.snapshot.isoformat() if self.snapshot else None,
            "deals": self.deals,
            "weighted": m(self.weighted),
            "unweighted": m(self.unweighted),
            "error_percent": self.error(won),
            "error_percent_unweighted": self.error(won, weighted=False),
        }


@dataclass
class OwnerAccuracy:
    owner: str
    won: Decimal
    won_deals: int
    points: list[Point]

    def to_dict(self, currency: str) -> dict[str, Any]:
        return {
            "owner": self.owner or None,
            "won": {"deals": self.won_deals, "amount": str(round_money(self.won, currency))},
            "forecasts": [p.to_dict(self.won, currency) for p in self.points],
        }


@dataclass
class MonthAccuracy:
    month: str
    won: Decimal
    won_deals: int
    points: list[Point]
    owners: list[OwnerAccuracy] = field(default_factory=list)
    note: str = ""

    @property
    def error_1w(self) -> float | None:
        p = next((p for p in self.points if p.weeks == 1), None)
        return p.error(self.won) if p else None

    def to_dict(self, currency: str) -> dict[str, Any]:
        return {
            "month": self.month,
            "won": {"deals": self.won_deals, "amount": str(round_money(self.won, currency))},
            "forecasts": [p.to_dict(self.won, currency) for p in self.points],
            "owners": [o.to_dict(currency) for o in self.owners],
            "note": self.note,
        }


@dataclass
class ForecastAccuracy:
    currency: str
    months: list[MonthAccuracy] = field(default_factory=list)
    snapshots: int = 0
    first_snapshot: dt.date | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "snapshots": self.snapshots,
            "first_snapshot": self.first_snapshot.isoformat() if self.first_snapshot else None,
            "months": [m.to_dict(self.currency) for m in self.months],
            "notes": list(self.notes),
        }


@dataclass
class Win:
    deal: str
    day: dt.date
    amount: Decimal | None
    currency: str
    owner: str


def ledger_wins(ledger: Ledger, profile: Any, sheet: dict[str, Any]) -> list[Win]:
    """Each deal's last move into a won stage (from an open or lost one), at its amount then.
    ``sheet``: deal id -> its row now, for amounts and owners the ledger has not recorded."""
    won = {s.id for s in profile.stages if s.outcome == "won"}
    replay = Replay()
    wins: dict[str, Win] = {}
    for e in ledger.ordered():
        before = replay.states.get(e.deal_id)
        old = before.stage if before is not None else None
        st = replay.apply(e)
        if e.event != "stage" or st is None or e.to not in won or old in won or old is None:
            continue
        row = sheet.get(e.deal_id)
        values = row.values if row is not None else {}
        amount = as_decimal(st.values.get("amount", "")) if "amount" in st.known else None
        if amount is None and "amount" not in st.known:
            amount = values.get("amount") if isinstance(values.get("amount"), Decimal) else None
        currency = st.values.get("currency") or values.get("currency") or profile.currency
        owner = st.values.get("owner") if "owner" in st.known else values.get("owner")
        wins[e.deal_id] = Win(
            e.deal_id,
            e.effective or e.run_date,
            amount,
            currency_code(currency, profile.currency),
            str(owner or "").strip(),
        )
    return list(wins.values())


def accuracy(
    history: ForecastHistory,
    wins: list[Win],
    today: dt.date,
    currency: str,
    rates: RateTable | None = None,
) -> ForecastAccuracy:
    """Forecast vs won for the past months the snapshots cover (module doc)."""
    table = dict(rates["rates"]) if rates else {}
    base = rates["base"] if rates else currency
    if rates:
        table[base] = Decimal(1)

    def value(amount: Decimal, cur: str) -> Decimal | None:
        if rates:
            return amount * table[cur] if cur in table else None
        return amount if cur == base else None

    out = ForecastAccuracy(base)
    days = history.days()
    out.snapshots = len(days)
    out.first_snapshot = days[0] if days else None
    if not days:
        out.notes.append(
            "No forecast snapshots yet: every `run` records one in the `salessheet forecast` "
            "sheet; accuracy needs a month that ended after the first one."
        )
        return out
    skipped: set[str] = set()
    won_by: dict[str, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for w in wins:
        v = value(w.amount or ZERO, w.currency)
        if v is None:
            skipped.add(w.currency)
            continue
        won_by[month_key(w.day)][w.owner].append(v)
    first_month = month_key(days[0])
    month = first_month
    keys = []
    while (end := month_end(month)) is not None and end < today:
        keys.append(month)
        month = month_key(end + dt.timedelta(days=1))
    for key in keys[-MONTHS_SHOWN:]:
        end = month_end(key)
        assert end is not None
        month_won = won_by.get(key, {})
        used: dict[int, tuple[dt.date, list[SnapshotRow]] | None] = {}
        for weeks in SCORED_WEEKS:
            target = end - dt.timedelta(weeks=weeks)
            day = history.latest_on_or_before(target)
            if day is None or target - day > MAX_SNAPSHOT_AGE:
                used[weeks] = None
            else:
                used[weeks] = (day, [r for r in history.at(day) if r.month == key])
        owners = sorted(
            set(month_won) | {r.owner for u in used.values() if u for r in u[1]},
            key=lambda o: (o == "", o.casefold(), o),
        )
        points: list[Point] = []
        owner_points: dict[str, list[Point]] = {o: [] for o in owners}
        missing = [weeks for weeks, u in used.items() if u is None]
        for weeks, u in used.items():
            if u is None:
                points.append(Point(weeks))
                for o in owners:
                    owner_points[o].append(Point(weeks))
                continue
            day, rows = u
            points.append(_point(weeks, day, rows, value, skipped))
            for o in owners:
                mine = [r for r in rows if r.owner == o]
                owner_points[o].append(_point(weeks, day, mine, value, skipped))
        won_total = sum((sum(v, ZERO) for v in month_won.values()), ZERO)
        m = MonthAccuracy(key, won_total, sum(len(v) for v in month_won.values()), points)
        m.owners = [
            OwnerAccuracy(o, sum(month_won.get(o, []), ZERO), len(month_won.get(o, [])), pts)
            for o, pts in owner_points.items()
        ]
        if missing:
            m.note = (
                "too little history: no snapshot "
                + ", ".join(f"{w} week{'s' if w > 1 else ''}" for w in missing)
                + f" before the month ended (snapshots start {days[0].isoformat()})"
            )
        out.months.append(m)
    if not out.months:
        out.notes.append(
            f"Forecast snapshots start {days[0].isoformat()}: accuracy needs a month that ended "
            "after that (too little history so far)."
        )
    if skipped:
        out.notes.append(
            f"Deals in {', '.join(sorted(skipped))} are left out of the accuracy (another "
            "currency; pass --rates FILE to convert)."
        )
    out.notes.append(
        "Forecast: the last snapshot on or before 1, 4 and 8 weeks before the month ended (at "
        "most a week older). Won: deals whose win the ledger recorded in the month. Error = "
        "(forecast − won) / won."
    )
    return out


def _point(
    weeks: int, day: dt.date, rows: list[SnapshotRow], value: Any, skipped: set[str]
) -> Point:
    weighted = unweighted = ZERO
    deals = 0
    for r in rows:
        w, a = value(r.weighted, r.currency), value(r.amount, r.currency)
        if w is None or a is None:
            skipped.add(r.currency)
            continue
        weighted += w
        unweighted += a
        deals += r.deals
    return Point(weeks, day, weighted, unweighted, deals)


def forecast_accuracy(evaluation: Any, rates: RateTable | None = None) -> ForecastAccuracy:
    """Accuracy from an evaluation (the report's): its snapshots, ledger and sheet."""
    p = evaluation.pipeline
    history = read_history(p)
    wins = ledger_wins(evaluation.new_ledger, p.profile, current_rows(p))
    return accuracy(history, wins, p.today, p.profile.currency, rates)
