"""The figures: pure functions over deals, the profile and the ledger's stage spans.

Definitions (the report's notes repeat the ones a reader needs):

- Progression: the profile's stages that are not ``lost``, in profile order. A deal has
  *reached* every stage up to the furthest one it is or was in (a deal first seen in
  negotiation is taken to have passed the stages before it). An open stage no deal is or was
  in (in the sheet or the ledger) is left out: the team does not use it.
- A lost deal's furthest stage comes from the ledger (the stages it was seen in before it was
  lost); a deal first seen already lost has none and is left out of the conversion.
- Close date of a won/lost deal: the day it entered its won/lost stage when the ledger saw the
  move or the sheet's stage date says so; else the sheet's expected close; else unknown.
- Start of a deal (cycle length): its created date; else the day it was first seen, if it was
  open then.
- Window (since/until): win rates, won/lost counts, cycle lengths and lost reasons count deals
  *closed* in the window; the conversion counts deals *active* in the window (started on or
  before ``until``, and open or closed on or after ``since``). Funnel, forecast, stalled and
  slips are as of today.
- Weighted amount: open deals take the sheet's probability column when it has a usable value
  (scale 0–1 or 0–100, detected from the largest value), else their stage's probability; won
  and lost deals weigh their stage's probability (1 and 0 in the bundled profiles).
- Percentiles: median is the middle value (mean of the two middle ones); p90 is the
  nearest-rank 90th percentile (the ceil(0.9·n)-th smallest value).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median
from typing import Any

from salessheet.analytics.model import (
    Bottleneck,
    Conversion,
    ConversionRow,
    Forecast,
    ForecastBucket,
    Funnel,
    FunnelRow,
    LostReasons,
    Money,
    OwnerRow,
    ProbabilityBasis,
    RatesShown,
    RateTable,
    Slips,
    StageRef,
    StageTime,
    StalledDeal,
    WinRate,
)
from salessheet.core.catalogue import STALLED_DEAL
from salessheet.core.currency import currency_code
from salessheet.core.formatting import count
from salessheet.core.money import round_money
from salessheet.core.records import StageSpan
from salessheet.settings.profile import Profile, Stage

MIN_COMPLETED = 3  # completed stays needed before time in stage uses the ledger alone
MIN_CONVERSION_DEALS = 5  # deals a stage needs to be named the conversion bottleneck
FORECAST_MONTHS = 6
HUNDRED = Decimal(100)
ONE = Decimal(1)
ZERO = Decimal(0)


def p90(values: Sequence[int]) -> int | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    xs = sorted(values)
    return xs[max(math.ceil(0.9 * len(xs)), 1) - 1]


def med(values: Sequence[int]) -> float | None:
    return median(values) if values else None


def stage_ref(s: Stage) -> StageRef:
    return StageRef(s.id, s.label, s.label_zh, s.outcome)


# --------------------------------------------------------------------------------- money


class Pricing:
    """Sums amounts per currency and, with a rate table, converts them into its base."""

    def __init__(self, rates: RateTable | None):
        self.table = rates
        self.base: str | None = rates["base"] if rates else None
        self.rates: dict[str, Decimal] = dict(rates["rates"]) if rates else {}
        if self.base:
            self.rates[self.base] = ONE

    def pair(self, facts: Iterable[DealFacts]) -> tuple[Money, Money]:
        """(amount, weighted amount) of the deals, in one pass."""
        amount, weighted = Money(base=self.base), Money(base=self.base)
        a_by, w_by = amount.by_currency, weighted.by_currency
        rates, convert, base = self.rates, self.base is not None, self.base or ""
        a_conv = w_conv = ZERO
        unpriced = missing = 0
        for f in facts:
            x, w = f.amount, f.weighted
            if x is None or w is None:  # both or neither: weighted is amount x probability
                missing += 1
                continue
            c = f.currency
            # each deal's amount rounded once to the currency's minor unit, as `changes` values
            # it: the report's open pipeline is the changes' closing, to the cent
            a_by[c] = a_by.get(c, ZERO) + round_money(x, c)
            w_by[c] = w_by.get(c, ZERO) + w
            if convert:
                rate = rates.get(c)
                if rate is None:
                    unpriced += 1
                else:  # rounded once per deal, as above
                    a_conv += round_money(x * rate, base)
                    w_conv += round_money(w * rate, base)
        for m, conv in ((amount, a_conv), (weighted, w_conv)):
            m.unpriced, m.missing = unpriced, missing
            m.converted = conv if convert else None
        return amount, weighted

    def merge(self, parts: Iterable[Money]) -> Money:
        out = Money(base=self.base, converted=ZERO if self.base else None)
        for m in parts:
            for k, v in m.by_currency.items():
                out.by_currency[k] = out.by_currency.get(k, ZERO) + v
            if out.converted is not None and m.converted is not None:
                out.converted += m.converted
            out.unpriced += m.unpriced
            out.missing += m.missing
        return out


# --------------------------------------------------------------------------------- deals


@dataclass(slots=True)
class DealFacts:
    """What the figures need to know about one deal, worked out once."""

    id: str
    owner: str
    customer: str | None
    stage: Stage
    outcome: str  # the stage's: open | won | lost
    index: int | None  # position in the progression (None for lost)
    amount: Decimal | None
    currency: str
    probability: Decimal  # 0..1, as used for the weighted amount
    weighted: Decimal | None  # amount x probability
    expected_close: dt.date | None
    started: dt.date | None
    closed_on: dt.date | None
    reach: int | None  # furthest progression index reached (None: unknown)


def probability_basis(
    values: Sequence[Decimal | None], column: str | None, configured: Decimal | None = None
) -> tuple[ProbabilityBasis, Decimal | None]:
    """Detect the scale of a probability column: 0–1 unless some value is above 1. With
    ``configured`` (the config's scale, applied when the column was read) the values are
    fractions, whatever the largest one."""
    present = [v for v in values if v is not None]
    if column is None:
        return ProbabilityBasis(None, None, note="no probability column: stage probabilities"), None
    if not present:
        note = f"column {column!r} is empty: stage probabilities used"
        return ProbabilityBasis(column, None, note=note), None
    top = max(present)
    if configured is not None:  # the values were scaled as they were read: fractions now
        scale, shown = {
            Decimal("0.01"): ("0-100", "0–100"),
            ONE: ("0-1", "fractions 0–1"),
        }.get(configured, (f"x{configured}", f"values × {configured}"))
        note = f"column {column!r} read as {shown} (scale: {configured} in the config)"
        return ProbabilityBasis(column, scale, note=note), ONE
    if top > ONE:
        divisor, scale = HUNDRED, "0-100"
        note = f"column {column!r} read as 0–100 (values up to {top} found)"
    else:
        divisor, scale = ONE, "0-1"  # identity: ``ONE`` is checked with ``is``
        note = f"column {column!r} read as fractions 0–1 (no value above 1)"
    return ProbabilityBasis(column, scale, note=note), divisor


def configured_scale(profile: Profile) -> Decimal | None:
    """The ``scale`` the config gives the probability column (None: detect it)."""
    col = profile.column("probability")
    return col.scale if col is not None else None


def spans_by_deal(spans: Iterable[StageSpan]) -> dict[str, list[StageSpan]]:
    """Spans per deal in the order they happened (Ledger.spans() lists closed ones first)."""
    out: dict[str, list[StageSpan]] = defaultdict(list)
    for s in spans:
        out[s.deal_id].append(s)
    return out


def entry_known(spans: Sequence[StageSpan], i: int) -> bool:
    """The first stay's entry is known only from the sheet's stage date; later ones from the
    transition the ledger recorded."""
    return i > 0 or spans[i].entered_from_sheet


def closed_on(
    stage: Stage,
    spans: Sequence[StageSpan],
    profile_stages: dict[str, Stage],
    values: dict[str, Any],
) -> dt.date | None:
    if stage.outcome == "open":
        return None
    start: dt.date | None = None
    known = False
    for i, s in enumerate(spans):
        st = profile_stages.get(s.stage)
        if st is None or st.outcome != stage.outcome:
            start, known = None, False
        elif start is None:
            start, known = s.entered, entry_known(spans, i)
    if start is not None and known:
        return start
    sd = values.get("stage_date")
    if isinstance(sd, dt.date):
        return sd
    ec = values.get("expected_close")
    return ec if isinstance(ec, dt.date) else None


def deal_facts(
    deals: Sequence[Any],
    profile: Profile,
    spans: dict[str, list[StageSpan]],
    basis: ProbabilityBasis,
    divisor: Decimal | None,
) -> list[DealFacts]:
    by_id = {s.id: s for s in profile.stages}
    order = {s.id: i for i, s in enumerate(s for s in profile.stages if s.outcome != "lost")}
    default_currency = profile.currency
    date = dt.date
    out: list[DealFacts] = []
    append = out.append
    no_history: tuple[StageSpan, ...] = ()
    from_stage = from_column = out_of_range = 0
    for d in deals:
        stage = by_id.get(d.stage) if d.stage is not None else None
        if stage is None:
            continue
        v = d.values
        history = spans.get(d.id, no_history) if d.id else no_history
        idx = order.get(stage.id)
        reach = idx
        started = v.get("created")
        if not isinstance(started, date):
            started = None
        if history:
            for s in history:
                j = order.get(s.stage)
                if j is not None and (reach is None or j > reach):
                    reach = j
            if started is None:
                first = by_id.get(history[0].stage)
                if first is not None and first.outcome == "open":
                    started = history[0].entered
        amount = v.get("amount")
        if not isinstance(amount, Decimal):
            amount = None
        # the amount header's currency (Amount (USD), 预计金额（万元）), else the currency column
        cur = d.layout.currency_of.get("amount") or v.get("currency")
        currency = currency_code(cur, default_currency)
        ec = v.get("expected_close")
        raw = v.get("probability") if divisor is not None else None
        if raw is None or stage.outcome != "open":
            prob = stage.probability
            from_stage += 1
        else:
            prob = raw if divisor is ONE else raw / divisor
            if prob < ZERO or prob > ONE:
                prob = stage.probability
                out_of_range += 1
                from_stage += 1
            else:
                from_column += 1
        append(
            DealFacts(
                d.id,
                (v.get("owner") or "").strip(),
                v.get("customer"),
                stage,
                stage.outcome,
                idx,
                amount,
                currency,
                prob,
                # rounded once, per deal, as the changes report values amounts: the funnel's
                # stage rows then add up to its total, to the cent
                None if amount is None else round_money(amount * prob, currency),
                ec if isinstance(ec, date) else None,
                started,
                None if stage.outcome == "open" else closed_on(stage, history, by_id, v),
                reach,
            )
        )
    basis.from_stage += from_stage
    basis.from_column += from_column
    basis.out_of_range += out_of_range
    return out


# --------------------------------------------------------------------------------- window


@dataclass(frozen=True)
class Window:
    since: dt.date | None = None
    until: dt.date | None = None

    @property
    def open_ended(self) -> bool:
        return self.since is None and self.until is None

    def holds(self, day: dt.date | None) -> bool:
        if self.open_ended:
            return True
        if day is None:
            return False
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )

    def closed_in(self, f: DealFacts) -> bool:
        return f.outcome != "open" and self.holds(f.closed_on)

    def active_in(self, f: DealFacts) -> bool:
        if self.open_ended:
            return True
        if self.until is not None and f.started is not None and f.started > self.until:
            return False
        if f.outcome != "open" and self.since is not None and f.closed_on is not None:
            return f.closed_on >= self.since
        return True


# --------------------------------------------------------------------------------- figures


def funnel(
    facts: Sequence[DealFacts],
    profile: Profile,
    pricing: Pricing,
    unstaged: int,
    basis: ProbabilityBasis,
) -> Funnel:
    by_stage: dict[str, list[DealFacts]] = defaultdict(list)
    for f in facts:
        by_stage[f.stage.id].append(f)
    rows = []
    for s in profile.stages:
        amount, weighted = pricing.pair(by_stage[s.id])
        rows.append(FunnelRow(stage_ref(s), len(by_stage[s.id]), amount, weighted))
    return Funnel(
        rows,
        len(facts),
        unstaged,
        pricing.merge(r.amount for r in rows),
        pricing.merge(r.weighted for r in rows),
        basis,
    )


def conversion(
    facts: Sequence[DealFacts],
    profile: Profile,
    window: Window,
    seen: Iterable[str] | None = None,
) -> Conversion:
    """``seen``: the stages some deal is or was in (the sheet and the ledger). An open stage
    no deal was ever seen in gets no row: a deal first seen further on is taken to have passed
    it, so its row would read 100% of every deal for a stage the team does not use."""
    progression = [s for s in profile.stages if s.outcome != "lost"]
    open_count = sum(1 for s in progression if s.outcome == "open")
    used = set(seen) if seen is not None else {s.id for s in progression}
    # the stages a row starts or ends at: the used ones, and the first won stage (the goal)
    kept = [i for i, s in enumerate(progression) if s.id in used or i == open_count]
    unused = [s for s in progression[:open_count] if s.id not in used]
    active = [f for f in facts if window.active_in(f)]
    at: Counter[int] = Counter()  # furthest stage -> deals
    open_at: Counter[int] = Counter()
    lost_at: Counter[int] = Counter()
    lost_unknown = 0
    for f in active:
        if f.reach is None:
            lost_unknown += 1
            continue
        at[f.reach] += 1
        if f.outcome == "open":
            open_at[f.reach] += 1
        elif f.outcome == "lost":
            lost_at[f.reach] += 1
    known = sum(at.values())

    def reached(i: int) -> int:
        return sum(n for j, n in at.items() if j >= i)

    rows = [
        ConversionRow(
            stage_ref(progression[i]),
            stage_ref(progression[j]),
            reached=reached(i),
            advanced=reached(j),
            still_here=open_at[i],
            lost_here=lost_at[i],
        )
        for i, j in zip(kept, kept[1:], strict=False)
        if i < open_count
    ]
    closed = [f for f in facts if f.outcome != "open"]
    in_window = [f for f in closed if window.closed_in(f)]
    undated = 0 if window.open_ended else sum(1 for f in closed if f.closed_on is None)
    wr = WinRate(
        sum(1 for f in in_window if f.outcome == "won"),
        sum(1 for f in in_window if f.outcome == "lost"),
    )
    notes = []
    if lost_unknown:
        notes.append(
            f"{count(lost_unknown, 'lost deal')} first seen already lost: "
            "the stage lost at is unknown, so they are left out of the stage conversion (the "
            "ledger records it for deals lost from now on)"
        )
    return Conversion(
        rows,
        known,
        lost_unknown,
        wr,
        undated,
        "; ".join(notes),
        [s.id for s in unused] if known else [],
    )


def time_in_stage(
    spans: dict[str, list[StageSpan]],
    facts: Sequence[DealFacts],
    profile: Profile,
    today: dt.date,
    entered_now: dict[str, tuple[dt.date | None, bool]],
) -> list[StageTime]:
    """Completed stays from the ledger; the age of the deals now in a stage as the fallback.

    ``entered_now``: deal id -> (entry date of its current stage, entry known) for the deals in
    the sheet.
    """
    tracked = [s for s in profile.stages if s.outcome == "open" or not s.terminal]
    ids = {s.id for s in tracked}
    completed: dict[str, list[int]] = defaultdict(list)
    for history in spans.values():
        for i, s in enumerate(history):
            if s.left is None or s.stage not in ids or not entry_known(history, i):
                continue
            days = (s.left - s.entered).days
            if days >= 0:
                completed[s.stage].append(days)
    current: dict[str, list[int]] = defaultdict(list)
    unknown: Counter[str] = Counter()
    for f in facts:
        if f.stage.id not in ids:
            continue
        entered, known = entered_now.get(f.id, (None, False))
        if entered is None or not known or entered > today:
            unknown[f.stage.id] += 1
        else:
            current[f.stage.id].append((today - entered).days)
    out = []
    for stage in tracked:
        done, now = completed[stage.id], current[stage.id]
        if len(done) >= MIN_COMPLETED:
            basis, xs, note = "ledger", done, f"{len(done)} completed stays recorded in the ledger"
        elif now:
            basis, xs = "current", now
            note = (
                f"days so far of the {len(now)} deals now in this stage (entry dates from the "
                f"sheet or the ledger); completed stays recorded: {len(done)}, need "
                f"{MIN_COMPLETED}+ (more runs)"
            )
        elif done:
            basis, xs = "ledger", done
            note = f"only {len(done)} completed stays recorded in the ledger and no deal there now"
        else:
            basis, xs = "none", []
            note = "no entry dates: needs a stage-date column or 2+ runs"
        out.append(
            StageTime(stage_ref(stage), basis, done, now, unknown[stage.id], med(xs), p90(xs), note)
        )
    return out


def bottleneck(
    conv: Conversion, times: Sequence[StageTime], open_stages: Iterable[str] | None = None
) -> Bottleneck:
    """``open_stages``: the stages the slowest one is chosen from. A won stage is no bottleneck:
    its deals' days there are days since the win (Closed Won, 696 days, read as the slowest)."""
    rows = [r for r in conv.rows if r.rate is not None]
    solid = [r for r in rows if r.reached >= MIN_CONVERSION_DEALS]  # else too few to name one
    worst = min(solid, key=lambda r: (r.rate, -r.reached)) if solid else None
    pick = set(open_stages) if open_stages is not None else None
    timed = [t for t in times if t.median is not None and (pick is None or t.stage.id in pick)]
    ledger = [t for t in timed if t.basis == "ledger" and len(t.completed) >= MIN_COMPLETED]
    pool = ledger or timed
    longest = max(pool, key=lambda t: (t.median, t.p90 or 0)) if pool else None
    return Bottleneck(worst, longest)


def month_start(day: dt.date, add: int = 0) -> dt.date:
    m = day.month - 1 + add
    return dt.date(day.year + m // 12, m % 12 + 1, 1)


def forecast(facts: Sequence[DealFacts], today: dt.date, pricing: Pricing) -> Forecast:
    open_deals = [f for f in facts if f.outcome == "open"]
    starts = [month_start(today, i) for i in range(FORECAST_MONTHS)]
    later = month_start(today, FORECAST_MONTHS)
    groups: dict[str, list[DealFacts]] = defaultdict(list)
    for f in open_deals:
        ec = f.expected_close
        if ec is None:
            key = "no-date"
        elif ec < today:
            key = "overdue"
        elif ec >= later:
            key = "later"
        else:
            key = f"{ec.year:04d}-{ec.month:02d}"
        groups[key].append(f)
    keys: list[tuple[str, dt.date | None]] = [("overdue", None)]
    keys += [(f"{s.year:04d}-{s.month:02d}", s) for s in starts]
    keys += [("later", later), ("no-date", None)]
    buckets = [
        ForecastBucket(k, start, len(groups[k]), *pricing.pair(groups[k])) for k, start in keys
    ]
    table: RatesShown | None = None
    if pricing.table:
        table = {
            "as_of": pricing.table["as_of"].isoformat(),
            "base": pricing.table["base"],
            "rates": {k: str(v) for k, v in sorted(pricing.table["rates"].items())},
        }
    weighted = pricing.merge(b.weighted for b in buckets)
    return Forecast(buckets, len(open_deals), weighted, table)


def owners(
    facts: Sequence[DealFacts], window: Window, pricing: Pricing, stalled: Counter[str]
) -> list[OwnerRow]:
    groups: dict[str, list[DealFacts]] = defaultdict(list)
    for f in facts:
        groups[f.owner].append(f)
    for name in stalled:
        groups.setdefault(name, [])
    rows = []
    for name, fs in groups.items():
        open_ = [f for f in fs if f.outcome == "open"]
        closed = [f for f in fs if window.closed_in(f)]
        won = [f for f in closed if f.outcome == "won"]
        cycles = [
            (f.closed_on - f.started).days
            for f in won
            if f.started and f.closed_on and f.closed_on >= f.started
        ]
        open_amount, weighted = pricing.pair(open_)
        rows.append(
            OwnerRow(
                owner=name,
                deals=len(fs),
                open=len(open_),
                open_amount=open_amount,
                weighted=weighted,
                won=len(won),
                lost=len(closed) - len(won),
                cycle_days=cycles,
                stalled=stalled.get(name, 0),
            )
        )
    return rows


def sort_owners(rows: list[OwnerRow], currency: str) -> list[OwnerRow]:
    return sorted(
        rows, key=lambda r: (-r.weighted.primary(currency), -r.deals, r.owner == "", r.owner)
    )


def slips(
    slip_counts: dict[str, int],
    facts: Sequence[DealFacts],
    runs: int,
    today: dt.date,
    limit: int = 10,
) -> Slips:
    open_deals = [f for f in facts if f.outcome == "open"]
    passed = sum(1 for f in open_deals if f.expected_close and f.expected_close < today)
    available = runs >= 1
    counts = {f.id: slip_counts.get(f.id, 0) for f in open_deals if f.id}
    slipped = {k: v for k, v in counts.items() if v}
    by_id = {f.id: f for f in open_deals}
    top_ids = sorted(slipped, key=lambda k: (-slipped[k], k))[:limit]
    top: list[dict[str, Any]] = []
    for k in top_ids:
        close = by_id[k].expected_close
        top.append(
            {
                "deal_id": k,
                "owner": by_id[k].owner or None,
                "slips": slipped[k],
                "expected_close": close.isoformat() if close else None,
            }
        )
    note = (
        f"pushes of the expected close date over {runs} recorded runs"
        if available
        else "needs 2+ runs: the ledger has no earlier run to compare expected close dates with"
    )
    return Slips(
        available,
        runs,
        len(open_deals),
        len(slipped),
        sum(slipped.values()),
        dict(Counter(slipped.values())),
        top,
        passed,
        note,
        sum(1 for f in open_deals if f.expected_close is None),
    )


def lost_reasons(
    facts: Sequence[DealFacts], reasons: dict[str, str | None], window: Window, limit: int = 10
) -> LostReasons:
    lost = [f for f in facts if f.outcome == "lost" and window.closed_in(f)]
    spelled: dict[str, Counter[str]] = defaultdict(Counter)
    counts: Counter[str] = Counter()
    without = 0
    for f in lost:
        text = " ".join((reasons.get(f.id) or "").split())
        if not text:
            without += 1
            continue
        key = text.casefold()
        counts[key] += 1
        spelled[key][text] += 1
    top = [(spelled[k].most_common(1)[0][0], n) for k, n in counts.most_common(limit)]
    return LostReasons(len(lost), without, top)


def stalled_deals(
    findings: Iterable[Any], facts_by_id: dict[str, DealFacts], profile: Profile
) -> list[StalledDeal]:
    stages = {s.id: s for s in profile.stages}
    out = []
    for f in findings:
        if f.code != STALLED_DEAL.code or f.status == "resolved":
            continue
        fact = facts_by_id.get(f.deal_id or "")
        stage_id = f.details.get("stage") or (fact.stage.id if fact else None)
        st = stages.get(stage_id) if stage_id else None
        out.append(
            StalledDeal(
                deal_id=f.deal_id or "",
                customer=fact.customer if fact else None,
                owner=f.owner or (fact.owner if fact else None) or None,
                stage=stage_ref(st) if st else None,
                days=f.details.get("days"),
                threshold=f.details.get("threshold"),
                since=f.details.get("since"),
                clock=f.details.get("clock"),
                amount=fact.amount if fact else None,
                currency=fact.currency if fact else profile.currency,
                cell=f.cell,
                stage_label=f.details.get("stage_label"),
            )
        )

    def over(s: StalledDeal) -> int:
        return (s.days or 0) - (s.threshold or 0)

    return sorted(out, key=lambda s: (-over(s), s.deal_id))
