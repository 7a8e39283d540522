"""The ledger: tool-owned stage history, kept in the `salessheet history` sheet (or a sidecar).

One row per event: a deal first seen in a stage, a stage change, an expected-close change, a deal
removed from or returned to the sheet. Current state, time in stage and slips are derived.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from salessheet.core.cells import RawSheet, WriteValue
from salessheet.core.records import StageSpan
from salessheet.sheet.parsing import ParseContext, ParseFailure, parse_date, parse_text

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
EVENTS = ("seen", "stage", "close", "removed", "returned")
_CTX = ParseContext()


@dataclass(frozen=True)
class LedgerEvent:
    run: str
    run_date: dt.date
    deal_id: str
    event: str  # seen | stage | close | removed | returned
    from_: str = ""
    to: str = ""
    effective: dt.date | None = None  # when it happened (stage entered / close date set)
    date_source: str = "run"  # run | sheet
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


@dataclass
class Ledger:
    events: list[LedgerEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unreadable rows (reported, skipped)

    @classmethod
    def from_sheet(cls, sheet: RawSheet | None) -> Ledger:
        if sheet is None or not sheet.rows:
            return cls()
        events, problems = [], []
        for i, row in enumerate(sheet.rows[1:], start=2):
            cells = [parse_text(v) if v not in (None, "") else "" for v in row] + [""] * 9
            if not any(cells[:9]):
                continue
            try:
                run_date = parse_date(row[1], _CTX)
                eff = parse_date(row[6], _CTX) if cells[6] else None
            except (ParseFailure, IndexError) as exc:
                problems.append(f"{sheet.name!r} row {i}: {exc}")
                continue
            if cells[3] not in EVENTS:
                problems.append(f"{sheet.name!r} row {i}: unknown event {cells[3]!r}")
                continue
            events.append(
                LedgerEvent(
                    cells[0],
                    run_date,
                    cells[2],
                    cells[3],
                    cells[4],
                    cells[5],
                    eff,
                    cells[7] or "run",
                    cells[8],
                )
            )
        return cls(events, problems)

    @property
    def is_empty(self) -> bool:
        return not self.events

    def next_run_id(self) -> str:
        nums = [int(e.run[1:]) for e in self.events if e.run[:1] == "R" and e.run[1:].isdigit()]
        return f"R{(max(nums) if nums else 0) + 1:04d}"

    def last_run_date(self) -> dt.date | None:
        return max((e.run_date for e in self.events), default=None)

    def state(self) -> dict[str, DealState]:
        out: dict[str, DealState] = {}
        for e in self.events:
            st = out.get(e.deal_id)
            if e.event == "seen" or st is None:
                if e.event in ("seen", "stage", "returned") and e.to:
                    out[e.deal_id] = DealState(
                        e.deal_id,
                        e.to,
                        e.effective or e.run_date,
                        e.date_source == "sheet",
                        expected_close=seen_close(e),
                    )
                continue
            if e.event == "stage":
                st.previous_stage_event = st.last_stage_event
                st.last_stage_event = e
                st.stage = e.to
                st.entered = e.effective or e.run_date
                st.entered_from_sheet = e.date_source == "sheet"
                st.present = True
            elif e.event == "close":
                new = _date_or_none(e.to)
                old = _date_or_none(e.from_)
                if new and old and new > old:
                    st.slips += 1
                st.expected_close = new
            elif e.event == "removed":
                st.present = False
            elif e.event == "returned":
                st.present = True
        return out

    def spans(self) -> list[StageSpan]:
        """Every stay of every deal in a stage, in order (left=None: still there)."""
        open_span: dict[str, tuple[str, dt.date, bool]] = {}
        spans: list[StageSpan] = []
        for e in self.events:
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

    def rows(self) -> list[list[WriteValue]]:
        return [list(HEADER)] + [e.row() for e in self.events]


def seen_close(e: LedgerEvent) -> dt.date | None:
    """A `seen` event notes the expected close date it saw as `close=YYYY-MM-DD`."""
    for part in e.note.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "close":
            return _date_or_none(value)
    return None


def _date_or_none(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None
