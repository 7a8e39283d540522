"""The ledger: tool-owned deal history, kept in the `salessheet history` sheet (or a sidecar).

One row per event, nothing for a deal that did not change:

- ``seen``: a deal first seen (To: its stage; Note: ``close=...; amount=...; owner=...``, the
  values of its tracked fields then); ``removed`` / ``returned``: the row left / came back;
- ``stage``, ``close``: a stage change, an expected-close change;
- ``amount``, ``currency``, ``probability``, ``owner`` and ``field`` (Note: the field name, for
  a column the profile marks ``track: true``): a tracked field changed From -> To;
- ``tracking`` (no deal): from this run on these fields (To) are tracked; ``values``: the
  values of newly tracked fields for a deal seen before they were (a ledger from an earlier
  version gets one per deal on its first run with field history, then only changes);
- ``action``: what the nightly run did about an ``on_enter`` action of a deal that entered a
  stage (From: the stage; To: done, failed or skipped; Note: ``action=...; attempt=N;
  entered=RUN`` and the document's number and file or the error; see history.actions). It
  changes no deal's state.

Current state, time in stage, slips and field values at any run are derived by replaying the
events in run order. The header row is the one every version has written, so ledgers of earlier
versions are read as they are and upgrade in place. A row that cannot be read (a date nobody
can read, an unknown event, an error value) is kept exactly where it is, reported
(``ledger-unreadable``) and written back unchanged; it never disappears.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from salessheet.core.cells import CellError, RawSheet, RawValue, WriteValue
from salessheet.core.records import StageSpan
from salessheet.history.fields import UNKNOWN, date_candidates, decode_values
from salessheet.sheet.parsing import visible_id

HEADER = [
    "Run",
    "Run Date",
    "Deal ID",
    "Event",
    "From",
    "To",
    "Effective Date",
    "Date Source",
    "Note",
]
FIELD_EVENTS = ("amount", "currency", "probability", "owner")
EVENTS = (
    "seen",
    "stage",
    "close",
    "removed",
    "returned",
    *FIELD_EVENTS,
    "field",
    "values",
    "tracking",
    "action",
)
_EVENT_SET = frozenset(EVENTS)
_RUN_SOURCED = frozenset(("seen", "stage", "close", "removed", "returned"))  # always had one
_WIDTH = len(HEADER)


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    run: str
    run_date: dt.date
    deal_id: str
    event: str  # one of EVENTS
    from_: str = ""
    to: str = ""
    effective: dt.date | None = None  # when it happened (stage entered / close date set)
    date_source: str = "run"  # run | sheet ("" for field events)
    note: str = ""

    def row(self) -> list[WriteValue]:
        return [
            self.run,
            self.run_date.isoformat(),
            self.deal_id,
            self.event,
            self.from_,
            self.to,
            self.effective.isoformat() if self.effective else "",
            self.date_source,
            self.note,
        ]

    @property
    def field(self) -> str | None:
        """The tracked field a field event changes (None for other events)."""
        if self.event in FIELD_EVENTS:
            return self.event
        if self.event == "field":
            return self.note.strip() or None
        return None

    def values(self) -> dict[str, str]:
        """The field values a ``seen`` or ``values`` row lists in its Note."""
        return decode_values(self.note) if self.event in ("seen", "values") else {}


@dataclass
class DealState:
    deal_id: str
    stage: str
    entered: dt.date
    entered_from_sheet: bool
    present: bool = True
    expected_close: dt.date | None = None
    slips: int = 0
    last_stage_event: LedgerEvent | None = None
    previous_stage_event: LedgerEvent | None = None
    values: dict[str, str] = field(default_factory=dict)  # tracked field -> canonical text
    known: set[str] = field(default_factory=set)  # tracked fields whose value is recorded
    first_run: str = ""
    first_seen: dt.date | None = None


class Replay:
    """Deal states after each event, applied in run order (see ``Ledger.ordered``)."""

    def __init__(self) -> None:
        self.states: dict[str, DealState] = {}
        self.tracked: tuple[str, ...] = ()

    def _listed(self, st: DealState, listed: dict[str, str], blank_unlisted: bool) -> None:
        """Field values a seen/values row lists: a listed value is known; UNKNOWN (unreadable
        then) stays unknown; a tracked field not listed is blank (for a values row: only if it
        was not known yet)."""
        for f in self.tracked:
            v = listed.get(f)
            if v == UNKNOWN:
                continue
            if v is None:
                if not blank_unlisted and f in st.known:
                    continue
                v = ""
            st.values[f] = v
            st.known.add(f)

    def apply(self, e: LedgerEvent) -> DealState | None:
        """Apply one event; returns the state of the deal it concerns (None: none)."""
        out = self.states
        if e.event == "action":  # what the run did about the deal, not a change of it
            return None
        if e.event == "tracking":
            self.tracked = tuple(f.strip() for f in e.to.split(",") if f.strip())
            keep = set(self.tracked)
            for state in out.values():
                state.known &= keep
            return None
        st = out.get(e.deal_id)
        if e.event == "seen" or st is None:
            if e.event in ("seen", "stage", "returned") and e.to:
                listed = decode_values(e.note) if e.event == "seen" and e.note else {}
                st = DealState(
                    e.deal_id,
                    e.to,
                    e.effective or e.run_date,
                    e.date_source == "sheet",
                    expected_close=_date_or_none(listed.get("close", "")),
                    first_run=e.run,
                    first_seen=e.run_date,
                )
                if e.event == "seen":
                    self._listed(st, listed, blank_unlisted=True)
                out[e.deal_id] = st
                return st
            return None
        ev = e.event
        if ev == "stage":
            st.previous_stage_event = st.last_stage_event
            st.last_stage_event = e
            st.stage = e.to
            st.entered = e.effective or e.run_date
            st.entered_from_sheet = e.date_source == "sheet"
            st.present = True
        elif ev == "close":
            new = _date_or_none(e.to)
            old = _date_or_none(e.from_)
            if new and old and new > old:
                st.slips += 1
            st.expected_close = new
        elif ev == "removed":
            st.present = False
        elif ev == "returned":
            st.present = True
        elif ev == "values":
            self._listed(st, e.values(), blank_unlisted=False)
        else:
            name = e.field
            if name:
                st.values[name] = e.to
                st.known.add(name)
        return st


@dataclass
class Ledger:
    events: list[LedgerEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unreadable rows (kept and reported)
    # rows that could not be read, kept verbatim at their place: data-row index -> cells
    kept: dict[int, list[RawValue]] = field(default_factory=dict)
    # cells a person added right of the Note column of an event's row: event index -> cells
    tails: dict[int, list[RawValue]] = field(default_factory=dict)
    _order: tuple[int, list[LedgerEvent]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_sheet(cls, sheet: RawSheet | None) -> Ledger:
        if sheet is None or not sheet.rows:
            return cls()
        return _read(sheet)

    @property
    def is_empty(self) -> bool:
        return not self.events

    def next_run_id(self) -> str:
        nums = [_run_number(e.run) for e in self.events]
        top = max((n for n in nums if n is not None), default=0)
        return f"R{top + 1:04d}"

    def last_run_date(self) -> dt.date | None:
        return max((e.run_date for e in self.events), default=None)

    def ordered(self) -> list[LedgerEvent]:
        """The events in run order. Rows are written in that order; a sheet someone sorted
        (by deal, say) is read back in run order, each deal's own rows keeping their order."""
        events = self.events
        if self._order is not None and self._order[0] == len(events):
            return self._order[1]
        nums = [n for e in events if (n := _run_number(e.run)) is not None]
        if len(nums) < len(events) or all(a <= b for a, b in zip(nums, nums[1:], strict=False)):
            result = events  # (a run id that is not R0001-like: kept as written)
        else:
            order = sorted(range(len(events)), key=lambda i: nums[i])
            result = [events[i] for i in order]
        self._order = (len(events), result)
        return result

    def runs(self) -> list[tuple[str, dt.date]]:
        """(run id, run date) of every run, in run order."""
        seen: dict[str, dt.date] = {}
        for e in self.ordered():
            seen.setdefault(e.run, e.run_date)
        return list(seen.items())

    def tracked(self) -> tuple[str, ...] | None:
        """The fields the last ``tracking`` row names (None: no field history yet)."""
        found = None
        for e in self.ordered():
            if e.event == "tracking":
                found = tuple(f.strip() for f in e.to.split(",") if f.strip())
        return found

    def replay(self) -> Iterator[tuple[LedgerEvent, DealState | None, Replay]]:
        r = Replay()
        for e in self.ordered():
            yield e, r.apply(e), r

    def state(self) -> dict[str, DealState]:
        r = Replay()
        for e in self.ordered():
            r.apply(e)
        return r.states

    def spans(self) -> list[StageSpan]:
        """Every stay of every deal in a stage, in order (left=None: still there)."""
        open_span: dict[str, tuple[str, dt.date, bool]] = {}
        spans: list[StageSpan] = []
        for e in self.ordered():
            if e.event == "seen" and e.deal_id not in open_span:
                open_span[e.deal_id] = (e.to, e.effective or e.run_date, e.date_source == "sheet")
            elif e.event == "stage":
                when = e.effective or e.run_date
                if e.deal_id in open_span:
                    stage, entered, from_sheet = open_span[e.deal_id]
                    spans.append(StageSpan(e.deal_id, stage, entered, when, from_sheet))
                open_span[e.deal_id] = (e.to, when, e.date_source == "sheet")
        for deal_id, (stage, entered, from_sheet) in open_span.items():
            spans.append(StageSpan(deal_id, stage, entered, None, from_sheet))
        return spans

    def slip_counts(self) -> dict[str, int]:
        return {k: v.slips for k, v in self.state().items() if v.slips}

    def extended(self, events: list[LedgerEvent]) -> Ledger:
        """This ledger with a run's events added (unreadable rows still kept in place)."""
        return Ledger(self.events + events, list(self.problems), dict(self.kept), dict(self.tails))

    def rows(self) -> list[list[WriteValue]]:
        out: list[list[WriteValue]] = [list(HEADER)]
        kept, tails = self.kept, self.tails
        if not kept and not tails:
            out += [e.row() for e in self.events]
            return out
        k = 0
        for i in range(len(self.events) + len(kept)):
            if i in kept:
                out.append([writable(v) for v in kept[i]])
                continue
            row = self.events[k].row()
            if k in tails:
                row += [writable(v) for v in tails[k]]
            out.append(row)
            k += 1
        return out


def writable(v: RawValue) -> WriteValue:
    """A cell as read, as it can be written back (an error value or a time as its text)."""
    if v is None or isinstance(v, (str, int, float, dt.date)) and not isinstance(v, bool):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, CellError):
        return v.code
    if isinstance(v, dt.time):
        return v.isoformat()
    return str(v)


def _run_number(run: str) -> int | None:
    if run[:1] in ("R", "r") and run[1:].isdigit():
        return int(run[1:])
    return None


def _cell_text(v: RawValue) -> str | None:
    """A ledger cell as text; None for a value that is no text (an error value)."""
    if v is None:
        return ""
    if isinstance(v, CellError):
        return None
    if isinstance(v, bool):
        return None
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


def _read(sheet: RawSheet) -> Ledger:
    """Parse every data row; rows that do not parse are kept (``kept``) and reported."""
    parsed: list[tuple[int, int, list[str], list[dt.date], list[RawValue]]] = []
    kept: dict[int, list[RawValue]] = {}
    problems: list[str] = []
    run_dates: dict[str, dt.date] = {}
    dates_cache: dict[RawValue, list[dt.date]] = {}  # a year of runs has ~365 distinct dates

    def dates_of(v: RawValue) -> list[dt.date]:
        found = dates_cache.get(v)
        if found is None:
            found = dates_cache[v] = date_candidates(v)
        return found

    name = sheet.name
    index = 0
    for i, raw in enumerate(sheet.rows[1:], start=2):
        row = raw[:_WIDTH] if len(raw) >= _WIDTH else list(raw) + [None] * (_WIDTH - len(raw))
        if (row[0] is None or row[0] == "") and all(v is None or v == "" for v in raw):
            continue
        position = index
        index += 1
        text: list[str] = []
        bad = -1
        for c, v in enumerate(row):
            if type(v) is str:
                text.append(v.strip())
            elif v is None:
                text.append("")
            else:
                t = _cell_text(v)
                if t is None:
                    bad = c
                    break
                text.append(t)
        if bad >= 0:
            why = f"column {HEADER[bad]!r} holds {_shown(row[bad])}"
            problems.append(f"{name!r} row {i}: {why}; the row is kept as it is")
            kept[position] = list(raw)
            continue
        event = text[3] if text[3] in _EVENT_SET else text[3].lower()
        if event not in _EVENT_SET:
            problems.append(
                f"{name!r} row {i}: unknown event {text[3]!r}; the row is kept as it is"
            )
            kept[position] = list(raw)
            continue
        text[3] = event
        text[2] = visible_id(text[2])  # the id as the sheet's ids are read
        dates = dates_of(row[1])
        if len(dates) == 1 and text[0]:
            run_dates.setdefault(text[0], dates[0])
        parsed.append((i, position, text, dates, raw))
    events: list[LedgerEvent] = []
    tails: dict[int, list[RawValue]] = {}
    for i, position, text, dates, raw in parsed:
        run_date: dt.date | None
        if len(dates) == 1:
            run_date, why = dates[0], ""
        else:
            run_date, why = _pick_run_date(text[0], dates, run_dates, row_value=raw[1])
        effective = None
        if run_date is not None and text[6]:
            eff = dates_of(raw[6])
            if len(eff) == 1:
                effective = eff[0]
            else:
                effective, why = _pick_effective(eff, run_date, raw[6])
        if run_date is None or (text[6] and effective is None):
            problems.append(f"{name!r} row {i}: {why}; the row is kept as it is")
            kept[position] = list(raw)
            continue
        if not text[2] and text[3] != "tracking":
            problems.append(f"{name!r} row {i}: no deal id; the row is kept as it is")
            kept[position] = list(raw)
            continue
        events.append(
            LedgerEvent(
                text[0],
                run_date,
                text[2],
                text[3],
                text[4],
                text[5],
                effective,
                text[7] or ("run" if text[3] in _RUN_SOURCED else ""),
                text[8],
            )
        )
        if len(raw) > _WIDTH and any(v not in (None, "") for v in raw[_WIDTH:]):
            tails[len(events) - 1] = list(raw[_WIDTH:])
    return Ledger(events, problems, kept, tails)


def _shown(v: RawValue) -> str:
    if isinstance(v, CellError):
        return f"the error value {v.code}"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return repr(v)


def _pick_run_date(
    run: str, dates: list[dt.date], run_dates: dict[str, dt.date], row_value: RawValue
) -> tuple[dt.date | None, str]:
    known = run_dates.get(run) if run else None
    if len(dates) == 1:
        return dates[0], ""
    if known is not None and (not dates or known in dates):
        return known, ""  # the run's date, from its other rows
    if dates:
        return None, f"Run Date {row_value!r} reads as {' or '.join(map(str, dates))}"
    return None, f"Run Date {_shown(row_value)} is not a date"


def _pick_effective(
    dates: list[dt.date], run_date: dt.date, value: RawValue
) -> tuple[dt.date | None, str]:
    if len(dates) == 1:
        return dates[0], ""
    if run_date in dates:
        return run_date, ""
    earlier = [d for d in dates if d <= run_date]  # an effective date is never after its run
    if len(earlier) == 1:
        return earlier[0], ""
    if dates:
        return None, f"Effective Date {value!r} reads as {' or '.join(map(str, dates))}"
    return None, f"Effective Date {_shown(value)} is not a date"


def seen_close(e: LedgerEvent) -> dt.date | None:
    """A `seen` event notes the expected close date it saw as `close=YYYY-MM-DD`."""
    if e.event != "seen" or "close=" not in e.note:
        return None
    return _date_or_none(decode_values(e.note).get("close", ""))


def _date_or_none(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None
