"""Result types of the analytics report; each has ``to_dict()`` giving JSON-safe values.

Data only: the report is rendered by ``analytics.text.render_text(report)`` and
``analytics.html.render_html(report)``, which import this module, never the other way round.

Money is kept exact (``Decimal``) and serialised as a string (``"12345.60"``); shares and rates
are floats rounded to 4 places; days are numbers; dates are ISO strings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypedDict

from salessheet.core.money import round_money


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def money_str(amount: Decimal, currency: str) -> str:
    """An exact sum rounded once, half up, to the currency's minor units: ``"1200.50"``."""
    return str(round_money(amount, currency))


def _rate(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _days(x: float | None) -> float | int | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else round(float(x), 1)


@dataclass
class Money:
    """A sum over deals that may be in several currencies.

    ``by_currency`` sums each deal in its own currency. With a rate table, ``converted`` is the
    sum in ``base`` of the deals whose currency has a rate; ``unpriced`` counts deals with an
    amount but no rate (counted in the figure's deal count, left out of ``converted``).
    ``missing`` counts deals without an amount.
    """

    by_currency: dict[str, Decimal] = field(default_factory=dict)
    base: str | None = None  # set when a rate table converts
    converted: Decimal | None = None
    unpriced: int = 0
    missing: int = 0

    def primary(self, currency: str) -> Decimal:
        """The one number to chart: converted if there is a rate table, else ``currency``."""
        if self.converted is not None:
            return self.converted
        return self.by_currency.get(currency, Decimal(0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "by_currency": {k: money_str(v, k) for k, v in sorted(self.by_currency.items())},
            "base": self.base,
            "converted": None
            if self.converted is None or self.base is None
            else money_str(self.converted, self.base),
            "unpriced_deals": self.unpriced,
            "deals_without_amount": self.missing,
        }


@dataclass
class StageRef:
    id: str
    label: str
    label_zh: str | None  # None when the profile gives no Chinese label
    outcome: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "label_zh": self.label_zh}


@dataclass
class ProbabilityBasis:
    """Where weighted amounts took their probability from."""

    column: str | None  # header of the probability column, None if the sheet has none
    scale: str | None  # "0-1" | "0-100" | None (no values)
    from_column: int = 0
    from_stage: int = 0
    out_of_range: int = 0  # values outside the assumed scale: stage probability used instead
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "scale": self.scale,
            "deals_from_column": self.from_column,
            "deals_from_stage": self.from_stage,
            "out_of_range": self.out_of_range,
            "note": self.note,
        }


@dataclass
class FunnelRow:
    stage: StageRef
    deals: int
    amount: Money
    weighted: Money

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage.id,
            "label": self.stage.label,
            "label_zh": self.stage.label_zh,
            "outcome": self.stage.outcome,
            "deals": self.deals,
            "amount": self.amount.to_dict(),
            "weighted": self.weighted.to_dict(),
        }


@dataclass
class Funnel:
    rows: list[FunnelRow]
    deals: int  # deals with a known stage
    unstaged: int  # rows whose stage is blank or unknown (left out)
    amount: Money
    weighted: Money
    probability: ProbabilityBasis

    def to_dict(self) -> dict[str, Any]:
        return {
            "deals": self.deals,
            "unstaged_rows": self.unstaged,
            "amount": self.amount.to_dict(),
            "weighted": self.weighted.to_dict(),
            "probability": self.probability.to_dict(),
            "stages": [r.to_dict() for r in self.rows],
        }


@dataclass
class ConversionRow:
    stage: StageRef
    next_stage: StageRef
    reached: int  # deals known to have reached this stage
    advanced: int  # of those, deals that reached the next stage
    still_here: int  # open deals whose furthest stage is this one
    lost_here: int  # lost deals whose last stage before lost was this one

    @property
    def rate(self) -> float | None:
        return self.advanced / self.reached if self.reached else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage.id,
            "next_stage": self.next_stage.id,
            "label": self.stage.label,
            "label_zh": self.stage.label_zh,
            "deals": self.reached,
            "advanced": self.advanced,
            "still_here": self.still_here,
            "lost_here": self.lost_here,
            "rate": _rate(self.rate),
        }


@dataclass
class WinRate:
    won: int
    lost: int

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def rate(self) -> float | None:
        return self.won / self.closed if self.closed else None

    def to_dict(self) -> dict[str, Any]:
        return {"won": self.won, "lost": self.lost, "deals": self.closed, "rate": _rate(self.rate)}


@dataclass
class Conversion:
    rows: list[ConversionRow]
    deals: int  # deals the conversion rests on
    lost_unknown_stage: int  # lost deals whose stage before the loss is not recorded (left out)
    win_rate: WinRate
    closed_undated: int  # closed deals left out of a window because their close date is unknown
    note: str = ""
    unused: list[str] = field(default_factory=list)  # open stages no deal is or was in: no row

    def name_unused(self, names: dict[str, str]) -> None:
        """Add to the note the stages left out, named as the report names them."""
        if not self.unused:
            return
        said = (
            f"no deal is or was in {', '.join(names.get(s, s) for s in self.unused)}: left out "
            "of the conversion (a deal first seen further on is not counted as having passed it)"
        )
        self.note = f"{self.note}; {said}" if self.note else said

    def to_dict(self) -> dict[str, Any]:
        return {
            "deals": self.deals,
            "lost_unknown_stage": self.lost_unknown_stage,
            "closed_undated": self.closed_undated,
            "win_rate": self.win_rate.to_dict(),
            "stages": [r.to_dict() for r in self.rows],
            "note": self.note,
        }


@dataclass
class StageTime:
    stage: StageRef
    basis: str  # "ledger" (completed stays) | "current" (deals now in the stage) | "none"
    completed: list[int]  # days of completed stays with a known entry date
    current: list[int]  # days so far of deals now in the stage with a known entry date
    unknown_entry: int  # deals now in the stage whose entry date is unknown
    median: float | None = None
    p90: int | None = None
    note: str = ""

    @property
    def deals(self) -> int:
        if self.basis == "ledger":
            return len(self.completed)
        if self.basis == "current":
            return len(self.current)
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage.id,
            "label": self.stage.label,
            "label_zh": self.stage.label_zh,
            "basis": self.basis,
            "deals": self.deals,
            "median_days": _days(self.median),
            "p90_days": self.p90,
            "completed_stays": len(self.completed),
            "current_deals": len(self.current),
            "unknown_entry": self.unknown_entry,
            "note": self.note,
        }


@dataclass
class Bottleneck:
    worst_conversion: ConversionRow | None
    longest_time: StageTime | None

    def to_dict(self) -> dict[str, Any]:
        c, t = self.worst_conversion, self.longest_time
        return {
            "worst_conversion": None
            if c is None
            else {"stage": c.stage.id, "rate": _rate(c.rate), "deals": c.reached},
            "longest_time": None
            if t is None
            else {
                "stage": t.stage.id,
                "median_days": _days(t.median),
                "basis": t.basis,
                "deals": t.deals,
            },
        }


@dataclass
class ForecastBucket:
    key: str  # "overdue" | "YYYY-MM" | "later" | "no-date"
    start: dt.date | None
    deals: int
    amount: Money
    weighted: Money

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "deals": self.deals,
            "amount": self.amount.to_dict(),
            "weighted": self.weighted.to_dict(),
        }


class RateTable(TypedDict):
    """A checked rate table: 1 unit of each currency is ``rates[code]`` units of ``base``."""

    as_of: dt.date
    base: str
    rates: dict[str, Decimal]


class RatesShown(TypedDict):
    """A rate table as the report shows it (the date and the rates as text)."""

    as_of: str
    base: str
    rates: dict[str, str]


@dataclass
class Forecast:
    buckets: list[ForecastBucket]
    deals: int  # open deals
    weighted: Money
    rates: RatesShown | None  # the rates used, or None

    def to_dict(self) -> dict[str, Any]:
        return {
            "deals": self.deals,
            "weighted": self.weighted.to_dict(),
            "rates": self.rates,
            "buckets": [b.to_dict() for b in self.buckets],
        }


@dataclass
class OwnerRow:
    owner: str  # "" for deals without an owner
    deals: int
    open: int
    open_amount: Money
    weighted: Money
    won: int
    lost: int
    cycle_days: list[int]
    stalled: int

    @property
    def win_rate(self) -> float | None:
        return self.won / (self.won + self.lost) if self.won + self.lost else None

    @property
    def cycle_median(self) -> float | None:
        from statistics import median

        return median(self.cycle_days) if self.cycle_days else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner or None,
            "deals": self.deals,
            "open": self.open,
            "open_amount": self.open_amount.to_dict(),
            "weighted": self.weighted.to_dict(),
            "won": self.won,
            "lost": self.lost,
            "win_rate": _rate(self.win_rate),
            "cycle_median_days": _days(self.cycle_median),
            "cycle_deals": len(self.cycle_days),
            "stalled": self.stalled,
        }


@dataclass
class StalledDeal:
    deal_id: str
    customer: str | None
    owner: str | None
    stage: StageRef | None
    days: int | None
    threshold: int | None
    since: str | None
    clock: str | None
    amount: Decimal | None
    currency: str
    cell: str | None
    stage_label: str | None = None  # the stage as the deal's cell writes it

    def to_dict(self) -> dict[str, Any]:
        return {
            "deal_id": self.deal_id,
            "customer": self.customer,
            "owner": self.owner,
            "stage": self.stage.id if self.stage else None,
            "stage_label": self.stage_label,
            "days": self.days,
            "threshold": self.threshold,
            "since": self.since,
            "clock": self.clock,
            "amount": None if self.amount is None else money_str(self.amount, self.currency),
            "currency": self.currency,
            "cell": self.cell,
        }


@dataclass
class Slips:
    available: bool  # False until the ledger has a previous run to compare with
    runs: int
    open_deals: int
    deals_slipped: int
    total_slips: int
    by_count: dict[int, int]  # slips -> deals
    top: list[dict[str, Any]]  # {"deal_id", "owner", "slips", "expected_close"}
    close_date_passed: int  # open deals whose expected close is before today
    note: str = ""
    close_date_unknown: int = 0  # open deals without an expected close (neither past nor not)

    def to_dict(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "runs": self.runs,
            "deals": self.open_deals,
            "deals_slipped": self.deals_slipped if self.available else None,
            "total_slips": self.total_slips if self.available else None,
            "by_count": {str(k): v for k, v in sorted(self.by_count.items())},
            "top": self.top,
            "close_date_passed": self.close_date_passed,
            "close_date_unknown": self.close_date_unknown,
            "note": self.note,
        }


@dataclass
class LostReasons:
    deals: int
    without_reason: int
    reasons: list[tuple[str, int]]  # most common first

    def to_dict(self) -> dict[str, Any]:
        return {
            "deals": self.deals,
            "without_reason": self.without_reason,
            "reasons": [{"reason": r, "deals": n} for r, n in self.reasons],
        }


@dataclass
class History:
    runs: int  # runs recorded in the ledger before this one
    first_run: dt.date | None
    last_run: dt.date | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "first_run": _iso(self.first_run),
            "last_run": _iso(self.last_run),
        }


@dataclass
class AnalyticsReport:
    source: str
    sheet: str
    profile: str
    today: dt.date
    since: dt.date | None
    until: dt.date | None
    currency: str  # the profile's currency (display default)
    locale: str
    history: History
    funnel: Funnel
    conversion: Conversion
    time_in_stage: list[StageTime]
    bottleneck: Bottleneck
    forecast: Forecast
    owners: list[OwnerRow]
    stalled: list[StalledDeal]
    slips: Slips
    lost_reasons: LostReasons
    notes: list[str] = field(default_factory=list)
    # stage id -> its name for this report's reader: the sheet's own word for it, else the
    # profile's label in the report's language (``StageNames.for_reader``)
    stage_names: dict[str, str] = field(default_factory=dict)
    accuracy: Any = None  # forecasting.ForecastAccuracy: forecast made before a month vs won

    def summary(self) -> dict[str, Any]:
        open_rows = [r for r in self.funnel.rows if r.stage.outcome == "open"]
        wr = self.conversion.win_rate
        return {
            "deals": self.funnel.deals,
            "open": sum(r.deals for r in open_rows),
            "won": wr.won,
            "lost": wr.lost,
            "win_rate": _rate(wr.rate),
            "stalled": len(self.stalled),
            "open_weighted": self.forecast.weighted.to_dict(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sheet": self.sheet,
            "today": self.today.isoformat(),
            "profile": self.profile,
            "window": {"since": _iso(self.since), "until": _iso(self.until)},
            "currency": self.currency,
            "history": self.history.to_dict(),
            "summary": self.summary(),
            "funnel": self.funnel.to_dict(),
            "conversion": self.conversion.to_dict(),
            "time_in_stage": [t.to_dict() for t in self.time_in_stage],
            "bottleneck": self.bottleneck.to_dict(),
            "forecast": self.forecast.to_dict(),
            "owners": [o.to_dict() for o in self.owners],
            "stalled": [s.to_dict() for s in self.stalled],
            "slips": self.slips.to_dict(),
            "lost_reasons": self.lost_reasons.to_dict(),
            "forecast_accuracy": self.accuracy.to_dict() if self.accuracy is not None else None,
            "notes": list(self.notes),
            "stage_labels": dict(self.stage_names),
        }
