"""What changed in the pipeline: the movement of the open pipeline between two runs.

``movement(ledger, profile, ...)`` replays the ledger to the state after the last run on or
before ``since`` (the opening) and on to the state after the last run on or before ``until``
(the closing), and explains the difference deal by deal. Definitions (per deal, so it always
balances, in deals and in amount):

- *opening* / *closing*: deals open at each end (present in the sheet, in an open stage; with
  ``close_by``, expected to close on or before that date), at their amount then;
- *new*: first seen after the opening run, at the amount first seen (the deals of the first
  run ever are the opening, never new);
- *increased* / *decreased*: amount changes while the deal was open in the window (positive
  numbers; a deal can be in both, and also in *won*);
- *won* / *lost*: left the open stages for a won / lost stage, at its amount then;
- *pushed_out* / *pulled_in* (with ``close_by``): the expected close moved from on-or-before the
  date to after it (or was cleared), or back;
- *removed* / *restored*: the row disappeared from / came back to the sheet; *reopened*: a won
  or lost deal back in an open stage.

opening + new + increased - decreased - won - lost - pushed_out + pulled_in - removed + restored
+ reopened = closing, exactly (each amount is rounded once, to the currency's minor unit, as
it is valued; sums of those are exact); the same for deal counts without increased/decreased.

Within one run a deal's changes count in this order: back in the sheet, amount (and other
fields), expected close, stage, gone from the sheet. So a deal won at a new amount is
*increased* by the difference, then *won* at the new amount.

Currencies: each deal counts in its latest currency; with a rate table (``--rates``) deals
whose currencies all have a rate are converted into its base (a change of currency is then a
change of amount) and the others stay in their own currency under ``other_currencies``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeGuard

from salessheet.analytics.model import RateTable
from salessheet.core.currency import currency_code
from salessheet.core.errors import UsageError
from salessheet.core.formatting import count
from salessheet.core.money import round_money
from salessheet.history.fields import UNKNOWN, as_decimal
from salessheet.history.ledger import DealState, Ledger, LedgerEvent, Replay
from salessheet.settings.notify import normalize_owner
from salessheet.settings.profile import Profile

MOVEMENT_KEYS = (
    "opening",
    "new",
    "increased",
    "decreased",
    "won",
    "lost",
    "pushed_out",
    "pulled_in",
    "removed",
    "restored",
    "reopened",
    "closing",
)
SIGN = {
    "new": 1,
    "increased": 1,
    "decreased": -1,
    "won": -1,
    "lost": -1,
    "pushed_out": -1,
    "pulled_in": 1,
    "removed": -1,
    "restored": 1,
    "reopened": 1,
}
INFO_KINDS = ("stage_forward", "stage_backward", "owner_changed", "close_moved")
KINDS = (*MOVEMENT_KEYS[1:-1], *INFO_KINDS)
# a deal's moves within one run listed in the order they count (_RANK): back in the sheet,
# then its amount, then its close date, then its stage, then out of the sheet
_LISTED = ("new", "restored", "increased", "decreased", "owner_changed", "close_moved",
           "pushed_out", "pulled_in", "stage_forward", "stage_backward", "won", "lost",
           "reopened", "removed")  # fmt: skip
# order of a deal's events within one run (see the module doc)
_RANK = {"seen": 0, "returned": 1, "values": 2, "close": 4, "stage": 5, "removed": 6}
_STAGED = frozenset(("seen", "stage", "returned", "removed"))  # events whose From/To are stages
ZERO = Decimal(0)


@dataclass
class Line:
    deals: int = 0
    amount: Decimal = ZERO


@dataclass
class Movement:
    currency: str
    lines: dict[str, Line] = field(default_factory=lambda: {k: Line() for k in MOVEMENT_KEYS})

    def balance(self) -> tuple[int, Decimal]:
        """(deals, amount) of opening +/- every flow; equals the closing line when balanced."""
        lines = self.lines
        deals = lines["opening"].deals + sum(
            SIGN[k] * lines[k].deals for k in SIGN if k not in ("increased", "decreased")
        )
        amount = lines["opening"].amount + sum(SIGN[k] * lines[k].amount for k in SIGN)
        return deals, amount

    @property
    def balanced(self) -> bool:
        closing = self.lines["closing"]
        return self.balance() == (closing.deals, closing.amount)

    @property
    def moved(self) -> bool:
        return any(self.lines[k].deals or self.lines[k].amount for k in SIGN)

    def to_dict(self) -> dict[str, Any]:
        return {
            k: {
                "deals": line.deals,
                "amount": str(round_money(line.amount, self.currency)),
            }
            for k, line in self.lines.items()
        }


@dataclass
class DealChange:
    deal_id: str
    kind: str  # a movement key or one of INFO_KINDS
    from_: str
    to: str
    amount_change: Decimal  # signed: positive adds to the open pipeline
    currency: str
    date: dt.date
    run: str
    owner: str = ""
    before: Decimal | None = None  # amount before an increase/decrease (for percentages)
    stages: bool = False  # from and to are stage ids (a stage move, a deal new or gone)
    # from and to as the sheet writes those stages (``name_stages``); None: not stages
    from_label: str | None = None
    to_label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "deal_id": self.deal_id,
            "kind": self.kind,
            "from": self.from_,
            "to": self.to,
            "amount_change": str(round_money(self.amount_change, self.currency)),
            "date": self.date.isoformat(),
            "run": self.run,
            "currency": self.currency,
            "owner": self.owner or None,
        }
        if self.from_label is not None:
            out["from_label"], out["to_label"] = self.from_label, self.to_label
        return out


def name_stages(changes: list[DealChange], name: Callable[[str], str]) -> None:
    """Give each change of stage its stages as the sheet writes them (``name``: a pipeline's
    ``stage_names``): what a user reads, beside the ids scripts read."""
    for c in changes:
        if c.stages:
            c.from_label = name(c.from_) if c.from_ else ""
            c.to_label = name(c.to) if c.to else ""


@dataclass
class RunRef:
    run: str
    date: dt.date

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run, "date": self.date.isoformat()}


@dataclass
class Changes:
    since: dt.date | None
    until: dt.date | None
    close_by: dt.date | None
    owner: str | None
    currency: str
    movement: Movement
    other_currencies: dict[str, Movement]
    deals: list[DealChange]
    notes: list[str]
    since_run: RunRef | None = None
    until_run: RunRef | None = None
    source: str = ""
    sheet: str = ""
    profile: str = ""
    locale: str = "en_US"
    rates: RateTable | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sheet": self.sheet,
            "profile": self.profile,
            "since": _iso(self.since),
            "until": _iso(self.until),
            "close_by": _iso(self.close_by),
            "owner": self.owner,
            "currency": self.currency,
            "runs": {
                "since": self.since_run.to_dict() if self.since_run else None,
                "until": self.until_run.to_dict() if self.until_run else None,
            },
            "movement": self.movement.to_dict(),
            "other_currencies": {k: m.to_dict() for k, m in sorted(self.other_currencies.items())},
            "deals": [d.to_dict() for d in self.deals],
            "notes": list(self.notes),
        }


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


# ----------------------------------------------------------------------------- the window


def window_runs(
    runs: list[tuple[str, dt.date]],
    since: dt.date | None,
    until: dt.date | None,
    days: int | None,
) -> tuple[dt.date | None, dt.date | None, int | None, int | None, list[str]]:
    """(since date, until date, since run index, until run index, notes) for a window given
    as dates (``until`` defaults to the last run, ``since`` to ``days`` before ``until``)."""
    if since is not None and days is not None:
        raise UsageError("give --since or --days, not both")
    if days is not None and days < 0:
        raise UsageError(f"--days {days}: expected a number of days ≥ 0")
    if since is not None and until is not None and since > until:
        raise UsageError(
            f"--since {since.isoformat()} is after --until {until.isoformat()}",
            hint="give a window whose start is on or before its end",
        )
    notes: list[str] = []
    if not runs:
        notes.append("The ledger has no run yet: run `salessheet run` to start the history.")
        return since, until, None, None, notes
    end = until or runs[-1][1]
    start = since if since is not None else end - dt.timedelta(days=7 if days is None else days)
    if start > end:
        raise UsageError(
            f"--since {start.isoformat()} is after the last run ({end.isoformat()})",
            hint="give an earlier --since, or --until",
        )
    until_idx = max((i for i, (_, d) in enumerate(runs) if d <= end), default=None)
    if until_idx is None:
        notes.append(
            f"No run on or before {end.isoformat()}: the ledger starts on "
            f"{runs[0][1].isoformat()} (run {runs[0][0]})."
        )
        return start, end, None, None, notes
    since_idx = max((i for i, (_, d) in enumerate(runs) if d <= start), default=None)
    if since_idx is None:
        since_idx = 0
        notes.append(
            f"The ledger begins with run {runs[0][0]} on {runs[0][1].isoformat()}: the window "
            "starts there (the deals of that first run are the opening)."
        )
    return start, end, min(since_idx, until_idx), until_idx, notes


# ----------------------------------------------------------------------------- the replay


@dataclass
class _Flow:
    deal: str
    kind: str
    from_: str
    to: str
    run: str
    date: dt.date
    pair: tuple[Decimal | None, str] | None = None  # (amount, currency) entering or leaving
    before: tuple[Decimal | None, str] | None = None  # amount change: before and after
    after: tuple[Decimal | None, str] | None = None
    stages: bool = False  # from_ and to are stage ids


class _Valuer:
    """Amounts and currencies of deal states, with the first recorded value standing in for a
    time before the field was recorded (worked out on first need: a ledger that has tracked
    fields from its first run never needs it)."""

    def __init__(
        self,
        profile: Profile,
        first: Callable[[], dict[str, dict[str, str]]],
        ever_tracked: set[str],
    ):
        self.default_currency = profile.currency
        self._first = first  # () -> deal -> field -> first recorded value
        self.first: dict[str, dict[str, str]] | None = None
        self.ever_tracked = ever_tracked

    def _value(self, st: DealState, name: str) -> str:
        values = st.values
        if name in values:
            return values[name]
        if name in st.known or name not in self.ever_tracked:
            return ""
        if self.first is None:
            self.first = self._first()
        return self.first.get(st.deal_id, {}).get(name, "")

    def pair(self, st: DealState) -> tuple[Decimal | None, str]:
        amount = as_decimal(self._value(st, "amount"))
        currency = currency_code(self._value(st, "currency"), self.default_currency)
        return amount, currency

    def owner(self, st: DealState) -> str:
        return self._value(st, "owner")


def _first_values(
    events: list[LedgerEvent], until_pos: int, pos: dict[str, int]
) -> dict[str, dict[str, str]]:
    """deal -> field -> its first recorded value (amount, currency, owner)."""
    first: dict[str, dict[str, str]] = defaultdict(dict)
    wanted = ("amount", "currency", "owner")
    for e in events:
        if pos.get(e.run, until_pos + 1) > until_pos:
            continue
        if e.event in ("seen", "values"):
            for k, v in e.values().items():
                if k in wanted and v != UNKNOWN:
                    first[e.deal_id].setdefault(k, v)
        elif e.event in wanted:
            first[e.deal_id].setdefault(e.event, e.from_)
    return first


def movement(
    ledger: Ledger,
    profile: Profile,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    days: int | None = None,
    close_by: dt.date | None = None,
    owner: str | None = None,
    rates: RateTable | None = None,
    sheet_owners: dict[str, str] | None = None,
    runs_between: tuple[int, int] | None = None,
) -> Changes:
    """The movement of the open pipeline (see the module doc). ``runs_between``: (since,
    until) run indexes instead of dates (the nightly digest: the previous run and this one).
    ``sheet_owners``: deal id -> owner in the sheet now, for deals whose owner the ledger has
    not recorded."""
    runs = ledger.runs()
    if runs_between is None:
        start, end, s_idx, u_idx, notes = window_runs(runs, since, until, days)
    else:
        s_idx, u_idx = runs_between
        start, end, notes = runs[s_idx][1], runs[u_idx][1], []
    base = rates["base"] if rates else profile.currency
    out = Changes(start, end, close_by, owner, base, Movement(base), {}, [], notes)
    out.rates = rates
    if s_idx is None or u_idx is None:
        return out
    out.since_run = RunRef(*runs[s_idx])
    out.until_run = RunRef(*runs[u_idx])
    pos = {run: i for i, (run, _) in enumerate(runs)}
    events = ledger.ordered()
    ever = {
        f.strip() for e in events if e.event == "tracking" for f in e.to.split(",") if f.strip()
    }
    valuer = _Valuer(profile, lambda: _first_values(events, u_idx, pos), ever)
    outcome = {s.id: s.outcome for s in profile.stages}
    order = {s.id: i for i, s in enumerate(s for s in profile.stages if s.outcome != "lost")}

    def member(st: DealState | None) -> TypeGuard[DealState]:
        if st is None or not st.present or outcome.get(st.stage) != "open":
            return False
        if close_by is None:
            return True
        return st.expected_close is not None and st.expected_close <= close_by

    replay = Replay()
    opening: dict[str, tuple[Decimal | None, str]] = {}
    flows: list[_Flow] = []
    seen_currencies: dict[str, set[str]] = defaultdict(set)
    owner_changed: set[str] = set()
    i, n = 0, len(events)
    while i < n and pos[events[i].run] <= s_idx:
        replay.apply(events[i])
        i += 1
    for deal, st in replay.states.items():
        if member(st):
            opening[deal] = valuer.pair(st)
            seen_currencies[deal].add(opening[deal][1])
    while i < n and pos[events[i].run] <= u_idx:
        j = i
        run = events[i].run
        while j < n and events[j].run == run:
            j += 1
        groups: dict[str, list[LedgerEvent]] = defaultdict(list)
        for e in events[i:j]:
            if e.event == "tracking":
                replay.apply(e)
            else:
                groups[e.deal_id].append(e)
        for deal, group in groups.items():
            group.sort(key=lambda e: _RANK.get(e.event, 3))
            for e in group:
                flows += _step(replay, e, member, valuer, outcome, order, seen_currencies)
                if e.event == "owner":
                    owner_changed.add(deal)
        i = j
    closing = {d: valuer.pair(st) for d, st in replay.states.items() if member(st)}
    for d, pair in closing.items():
        seen_currencies[d].add(pair[1])
    final_owner = {d: valuer.owner(st) for d, st in replay.states.items()}
    for d, who in (sheet_owners or {}).items():
        if not final_owner.get(d):
            final_owner[d] = who
    _aggregate(out, opening, closing, flows, seen_currencies, final_owner, rates, profile)
    out.notes += _notes(ledger, runs, s_idx, out, close_by, owner, owner_changed, rates)
    switched = sorted(
        d
        for d, codes in seen_currencies.items()
        if len(codes) > 1 and not (rates and codes <= set(rates["rates"]) | {base})
    )
    if switched:
        shown = ", ".join(switched[:5]) + (f" and {len(switched) - 5} more" if switched[5:] else "")
        out.notes.append(
            f"{shown} changed currency in the window: without a rate for each currency such a "
            "deal counts in its latest currency from the opening on, at the amounts it had; "
            "pass --rates FILE to convert."
        )
    return out


def _step(
    replay: Replay,
    e: LedgerEvent,
    member: Callable[[DealState | None], TypeGuard[DealState]],
    valuer: _Valuer,
    outcome: dict[str, str],
    order: dict[str, int],
    currencies: dict[str, set[str]],
) -> list[_Flow]:
    before = replay.states.get(e.deal_id)
    old_pair = valuer.pair(before) if (was_in := member(before)) else None
    old_stage = before.stage if before is not None else ""
    old_owner = valuer.owner(before) if before is not None and e.event == "owner" else ""
    existed = before is not None
    st = replay.apply(e)
    if st is None:
        return []
    now_in = member(st)
    pair = valuer.pair(st) if now_in else (None, "")
    if now_in:
        currencies[e.deal_id].add(pair[1])
    flow = _Flow(e.deal_id, "", e.from_, e.to, e.run, e.run_date, stages=e.event in _STAGED)
    if not was_in and now_in:
        flow.pair = pair
        if e.event == "seen":
            flow.kind = "new" if not existed else "restored"
        elif e.event == "stage" and outcome.get(old_stage) in ("won", "lost"):
            flow.kind = "reopened"
        elif e.event == "close":
            flow.kind = "pulled_in"
        else:
            flow.kind = "restored"
            if e.event == "returned":
                flow.from_, flow.to = "", st.stage
        return [flow]
    if was_in and not now_in:
        flow.pair = old_pair
        if e.event == "stage":
            flow.kind = {"won": "won", "lost": "lost"}.get(outcome.get(st.stage, ""), "removed")
        elif e.event == "close":
            flow.kind = "pushed_out"
        else:
            flow.kind = "removed"
            if e.event == "removed":
                flow.from_, flow.to = e.from_ or old_stage, ""
        return [flow]
    if was_in and now_in and old_pair is not None and old_pair != pair:
        flow.kind, flow.before, flow.after, flow.stages = "amount", old_pair, pair, False
        return [flow]
    if not existed:
        return []
    if e.event == "stage" and e.from_ != e.to:
        a, b = order.get(e.from_), order.get(e.to)
        forward = a is not None and b is not None and b > a
        flow.kind = "stage_forward" if forward else "stage_backward"
        return [flow]
    if e.event == "owner":
        flow.kind, flow.from_, flow.to = "owner_changed", old_owner or e.from_, e.to
        return [flow]
    if e.event == "close" and e.from_ != e.to:
        flow.kind = "close_moved"
        return [flow]
    return []


def _aggregate(
    out: Changes,
    opening: dict[str, tuple[Decimal | None, str]],
    closing: dict[str, tuple[Decimal | None, str]],
    flows: list[_Flow],
    currencies: dict[str, set[str]],
    owners: dict[str, str],
    rates: RateTable | None,
    profile: Profile,
) -> None:
    table = dict(rates["rates"]) if rates else {}
    base = out.currency
    if rates:
        table[base] = Decimal(1)
    want = normalize_owner(out.owner) if out.owner is not None else None
    latest: dict[str, str] = {}
    for d, pair in opening.items():
        latest[d] = pair[1]
    for f in flows:
        for p in (f.pair, f.after):
            if p is not None:
                latest[f.deal] = p[1]
    for d, pair in closing.items():
        latest[d] = pair[1]

    buckets: dict[str, str] = {}

    def bucket(deal: str) -> str:
        found = buckets.get(deal)
        if found is None:
            final = latest.get(deal, profile.currency)
            found = final
            if rates and all(c in table for c in currencies.get(deal, {final}) | {final}):
                found = base
            buckets[deal] = found
        return found

    def value(pair: tuple[Decimal | None, str] | None, where: str) -> Decimal:
        amount, cur = pair or (None, "")
        if amount is None:
            return ZERO
        if where == base and rates:
            return round_money(amount * table[cur], base)
        return round_money(amount, where)

    def movement_for(code: str) -> Movement:
        if code == base:
            return out.movement
        return out.other_currencies.setdefault(code, Movement(code))

    def keep(deal: str) -> bool:
        return want is None or normalize_owner(owners.get(deal, "")) == want

    for key, side in (("opening", opening), ("closing", closing)):
        for d, pair in side.items():
            if keep(d):
                where = bucket(d)
                line = movement_for(where).lines[key]
                line.deals += 1
                line.amount += value(pair, where)
    counted: set[tuple[str, str]] = set()
    for f in flows:
        if not keep(f.deal):
            continue
        where = bucket(f.deal)
        m = movement_for(where)
        change = DealChange(
            f.deal, f.kind, f.from_, f.to, ZERO, where, f.date, f.run, owners.get(f.deal, ""),
            stages=f.stages,
        )  # fmt: skip
        if f.kind == "amount":
            old, new = value(f.before, where), value(f.after, where)
            delta = new - old
            if delta == 0:
                continue
            change.kind = "increased" if delta > 0 else "decreased"
            change.amount_change, change.before = delta, old
            # a change of currency shows its currencies: "5000 MXN" → "5000 USD"
            named = f.before is not None and f.after is not None and f.before[1] != f.after[1]
            change.from_ = _amount_text(f.before, named)
            change.to = _amount_text(f.after, named)
            m.lines[change.kind].amount += abs(delta)
            if (f.deal, change.kind) not in counted:  # deals, not changes
                counted.add((f.deal, change.kind))
                m.lines[change.kind].deals += 1
        elif f.kind in SIGN:
            amount = value(f.pair, where)
            change.amount_change = SIGN[f.kind] * amount
            m.lines[f.kind].amount += amount
            m.lines[f.kind].deals += 1
        out.deals.append(change)
    run_pos: dict[str, int] = {}
    for c in out.deals:
        run_pos.setdefault(c.run, len(run_pos))
    out.deals.sort(key=lambda c: (run_pos[c.run], c.deal_id, _LISTED.index(c.kind)))


def _amount_text(pair: tuple[Decimal | None, str] | None, named: bool = False) -> str:
    if pair is None or pair[0] is None:
        return ""
    return format(pair[0], "f") + (f" {pair[1]}" if named else "")


def _notes(
    ledger: Ledger,
    runs: list[tuple[str, dt.date]],
    s_idx: int,
    out: Changes,
    close_by: dt.date | None,
    owner: str | None,
    owner_changed: set[str],
    rates: RateTable | None,
) -> list[str]:
    notes: list[str] = []
    pos = {run: i for i, (run, _) in enumerate(runs)}
    started = None
    for e in ledger.ordered():
        if e.event == "tracking" and "amount" in [f.strip() for f in e.to.split(",")]:
            started = e.run
            break
    if started is None:
        notes.append(
            "The ledger records no amounts (no amount column, or every run predates field "
            "history): amounts count as 0; deal counts are exact."
        )
    elif pos[started] > s_idx:
        notes.append(
            f"Amounts were first recorded by run {started} on {runs[pos[started]][1].isoformat()}"
            ": the window begins before that, so amount changes before then are not known and "
            "not counted (opening amounts are the first recorded ones)."
        )
    if close_by is not None:
        notes.append(
            f"--close-by {close_by.isoformat()}: a deal counts while its expected close is on or "
            "before that date; a deal without an expected close does not count."
        )
    if owner is not None:
        extra = f" ({len(owner_changed)} changed owner in the window)" if owner_changed else ""
        notes.append(f"Only the deals of {owner} at the end of the window{extra}.")
    if out.other_currencies:
        codes = ", ".join(sorted(out.other_currencies))
        if rates:
            notes.append(f"No rate for {codes}: those deals move in their own currency.")
        else:
            notes.append(
                f"Deals in {codes} move under other_currencies; pass --rates FILE to convert."
            )
    elif rates:
        as_of = rates["as_of"]
        shown = as_of.isoformat() if hasattr(as_of, "isoformat") else as_of
        notes.append(f"Amounts converted to {rates['base']} at rates as of {shown}.")
    notes.append(
        "Within one run a deal's amount change counts before its stage and close changes "
        "(a deal won at a new amount is increased, then won at that amount)."
    )
    return notes


def changes_of(
    p: Any,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    days: int | None = None,
    close_by: dt.date | None = None,
    owner: str | None = None,
    rates: RateTable | None = None,
) -> Changes:
    """``movement`` of a loaded pipeline's ledger (the `salessheet history` sheet read with it);
    never writes anything."""
    from salessheet.analytics.forecasting import read_history
    from salessheet.core.owned import HISTORY_SHEET
    from salessheet.history.ledger import HEADER
    from salessheet.history.ownership import is_ours
    from salessheet.history.transitions import current_rows

    sheet = p.sheets.get(HISTORY_SHEET)
    notes: list[str] = []
    if sheet is not None and not is_ours(sheet, [HEADER]):
        notes.append(
            f"The sheet {HISTORY_SHEET!r} is not salessheet's (no mark, another header): it is "
            "not read as the ledger; rename it so `run` can start one."
        )
        sheet = None
    ledger = Ledger.from_sheet(sheet)
    rows = current_rows(p)
    owners = {d_id: str(d.values.get("owner") or "").strip() for d_id, d in rows.items()}
    out = movement(
        ledger,
        p.profile,
        since=since,
        until=until,
        days=days,
        close_by=close_by,
        owner=owner,
        rates=rates,
        sheet_owners=owners,
    )
    if ledger.problems:
        notes.append(
            f"{len(ledger.problems)} ledger row(s) could not be read and are left out (they are "
            "kept in the sheet; `validate` lists them as ledger-unreadable)."
        )
    known = {s.id for s in p.profile.stages}
    unstaged_ids = {d_id for d_id, d in rows.items() if d.stage not in known}
    unstaged = len(unstaged_ids & {e.deal_id for e in ledger.events}) if unstaged_ids else 0
    if unstaged:  # the report leaves them out: say why the two totals differ
        notes.append(
            f"{count(unstaged, 'deal')} in the sheet now with a blank or unknown stage "
            f"{'is' if unstaged == 1 else 'are'} counted in {'its' if unstaged == 1 else 'their'} "
            "last stage the ledger knows (`report` leaves them out of its figures)."
        )
    runs = ledger.runs()
    if until is None and runs and runs[-1][1] < p.today:
        last_id, last = runs[-1]
        # a run that found nothing new adds no ledger row, but every run leaves its forecast
        # snapshot: a quiet night is not a nightly job that stopped
        quiet = [d for d in read_history(p).days() if last < d <= p.today]
        if quiet:
            notes.append(
                f"Nothing changed after run {last_id} of {last.isoformat()}: the runs since, "
                f"the last on {quiet[-1].isoformat()}, found nothing new to record."
            )
        if not quiet or quiet[-1] < p.today:
            seen = quiet[-1] if quiet else last
            gap = (p.today - seen).days
            which = f"The last run, {last_id}," if seen == last else "The last run"
            notes.append(
                f"{which} was on {seen.isoformat()}, {gap} day{'s' * (gap != 1)} "
                f"before today ({p.today.isoformat()}): the window ends there. What changed "
                "since is recorded by the next `salessheet run` (is the nightly job still "
                "running?)."
            )
    out.notes = notes + out.notes
    name_stages(out.deals, p.stage_names)
    out.source, out.sheet, out.profile = str(p.source), p.sheet, p.profile.name
    out.locale = p.profile.locale
    return out
