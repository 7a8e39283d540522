"""The ``action`` rows of the ledger: what the nightly run did about a stage's ``on_enter``
actions, so that a rerun does nothing twice and a failed action is retried, then given up.

One row per action per night it was tried (or dropped), in the run's own ``salessheet history``
rows, readable in Excel: Event ``action``, From the stage entered, To the outcome, and a Note
such as ``action=issue a quote (pdf); attempt=1; entered=R0002; number=Q-2026-0001;
file=Q-2026-0001 Beta.pdf`` or ``action=notify sales-chat; attempt=2; entered=R0002;
error=HTTP 500 ...``.

The outcome is ``done``, ``failed`` or ``skipped`` (a retry dropped because the deal left the
stage or the profile no longer lists the action); ``entered`` is the run that saw the deal enter
the stage. One entry of one deal into one stage and one action of that
stage (its ``describe()`` text) is one *occurrence*: its last row says where it stands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from salessheet.history.fields import decode_values, encode_values
from salessheet.history.ledger import DealState, Ledger, LedgerEvent

ACTION_EVENT = "action"
DONE, FAILED, SKIPPED = "done", "failed", "skipped"
STATUSES = (DONE, FAILED, SKIPPED)
MAX_ATTEMPTS = 4  # the night an action is due, and three retries on the next nights
ERROR_CHARS = 300  # an error as recorded (the JSON and the finding carry the same text)

# (deal id, stage, run that saw the entry, the action's text)
Occurrence = tuple[str, str, str, str]


@dataclass(frozen=True)
class ActionRecord:
    run: str
    run_date: dt.date
    deal_id: str
    stage: str
    status: str  # done | failed | skipped
    action: str  # StageAction.describe()
    attempt: int
    entered: str  # the run that saw the deal enter the stage
    number: str = ""  # the document's number (issue actions)
    file: str = ""  # the document's file name
    error: str = ""  # why it failed, or why it was skipped

    @property
    def occurrence(self) -> Occurrence:
        return (self.deal_id, self.stage, self.entered, self.action)

    @property
    def gave_up(self) -> bool:
        """Failed on the night it was due and on every retry: not tried again."""
        return self.status == FAILED and self.attempt >= MAX_ATTEMPTS


def short_error(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def action_event(
    run: str,
    run_date: dt.date,
    deal_id: str,
    stage: str,
    status: str,
    action: str,
    *,
    attempt: int,
    entered: str,
    number: str = "",
    file: str = "",
    error: str = "",
) -> LedgerEvent:
    """The ledger row recording one outcome (see the module doc)."""
    note = encode_values(
        {
            "action": action,
            "attempt": str(attempt),
            "entered": entered,
            "number": number,
            "file": file,
            "error": short_error(error) if error else "",
        }
    )
    return LedgerEvent(run, run_date, deal_id, ACTION_EVENT, stage, status, None, "", note)


def read_action(e: LedgerEvent) -> ActionRecord | None:
    """The record an ``action`` row holds (None: another event, or a row someone edited so
    that it no longer says which action, which stage or what became of it)."""
    if e.event != ACTION_EVENT:
        return None
    values = decode_values(e.note)
    action = values.get("action", "").strip()
    status = e.to.strip().lower()
    attempt = values.get("attempt", "").strip()
    if not action or not e.from_ or status not in STATUSES:
        return None
    return ActionRecord(
        e.run,
        e.run_date,
        e.deal_id,
        e.from_.strip(),
        status,
        action,
        int(attempt) if attempt.isdigit() else 1,
        values.get("entered", "").strip() or e.run,
        values.get("number", ""),
        values.get("file", ""),
        values.get("error", ""),
    )


def action_log(ledger: Ledger) -> dict[Occurrence, ActionRecord]:
    """The last record of every occurrence, in run order."""
    out: dict[Occurrence, ActionRecord] = {}
    for e in ledger.ordered():
        if e.event == ACTION_EVENT:
            rec = read_action(e)
            if rec is not None:
                out[rec.occurrence] = rec
    return out


def still_in(st: DealState | None, stage: str, entered: str) -> bool:
    """Is the deal (its ledger state) still in ``stage`` since the entry the run ``entered``
    saw, and in the sheet?"""
    if st is None or not st.present or st.stage != stage:
        return False
    e = st.last_stage_event
    return e is not None and e.run == entered
