"""On entering a stage: the ``on_enter`` actions the nightly ``run`` carries out.

What is due tonight (``plan_actions``):

- every action of a stage for each deal the ledger saw *enter* it in this run (a ``stage``
  event; never a deal's first sighting, so adopting the tool on a full pipeline does nothing,
  and never a move that only reverted a wrong one);
- every action that failed on an earlier night and has attempts left (the night it was due and
  the next three nights: ``history.actions.MAX_ATTEMPTS``), while the deal is still in the
  stage it entered then; one attempt per night, so a rerun the same day does not retry. A
  pending retry whose deal left the stage, or that the profile no longer lists, is dropped
  (recorded as ``skipped``).

``carry_out`` issues the documents first (one call per kind and format; the register is shared
and written with the run's batch) and then sends the alerts, which name the documents issued
for the deal tonight. Each outcome becomes an ``action`` row of the ledger, in the run's single
write (history.actions); an action that failed on its last attempt becomes an ``action-failed``
finding, a warning: the run's exit code never depends on its actions. How a document is issued
and an alert sent is given to ``carry_out`` by the caller (salessheet.api), so that this layer
needs neither documents nor notifications.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from salessheet.core.errors import SalessheetError
from salessheet.core.findings import Finding
from salessheet.core.owned import FINDINGS_SHEET
from salessheet.core.records import Deal
from salessheet.history.actions import (
    DONE,
    FAILED,
    MAX_ATTEMPTS,
    SKIPPED,
    action_event,
    action_log,
    short_error,
    still_in,
)
from salessheet.history.ledger import LedgerEvent
from salessheet.history.transitions import current_rows
from salessheet.rules.engine import Evaluation, previous_findings
from salessheet.rules.team import action_failed
from salessheet.settings.profile import Stage, StageAction

PLANNED = "planned"


@dataclass(frozen=True)
class DueAction:
    """One action to carry out tonight for one deal."""

    deal: Deal
    stage: Stage
    action: StageAction
    attempt: int  # 1 on the night the deal entered the stage
    entered: str  # the run that saw the deal enter the stage
    entered_on: dt.date
    from_stage: str | None  # the stage it came from
    stage_label: str = ""  # the stage as the deal's cell writes it

    @property
    def text(self) -> str:
        return self.action.describe()


@dataclass(frozen=True)
class Result:
    """What one attempt came to, as the caller's issuer or sender reports it."""

    ok: bool
    error: str = ""
    number: str = ""  # the document's number (issue)
    file: str = ""  # the document's path (issue)
    new: bool | None = None  # False: the register already had it (same inputs)


@dataclass
class Outcome:
    deal_id: str
    stage: str
    action: str
    status: str  # done | failed | skipped | planned
    attempt: int
    entered: str
    number: str = ""
    file: str = ""
    new: bool | None = None
    error: str = ""  # why it failed
    reason: str = ""  # why it was skipped
    due: DueAction | None = field(default=None, repr=False)
    stage_label: str = ""  # the stage as the sheet writes it (the id when not known)

    @property
    def gave_up(self) -> bool:
        return self.status == FAILED and self.attempt >= MAX_ATTEMPTS

    @property
    def document(self) -> str | None:
        """The kind of document the action issues (None: not an issue action, or unknown)."""
        return self.due.action.document if self.due is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "deal_id": self.deal_id,
            "stage": self.stage,
            "stage_label": self.stage_label or self.stage,
            "action": self.action,
            "status": self.status,
            "attempt": self.attempt,
            "number": self.number or None,
            "file": self.file or None,
            "new": self.new,
            "error": self.error or None,
            "reason": self.reason or None,
            "retry": (not self.gave_up) if self.status == FAILED else None,
        }

    def event(self, run: str, today: dt.date) -> LedgerEvent:
        name = self.file.replace("\\", "/").rsplit("/", 1)[-1]
        return action_event(
            run,
            today,
            self.deal_id,
            self.stage,
            self.status,
            self.action,
            attempt=self.attempt,
            entered=self.entered,
            number=self.number,
            file=name,
            error=self.error or self.reason,
        )


@dataclass
class ActionPlan:
    run: str  # the run id tonight's rows carry
    today: dt.date
    due: list[DueAction] = field(default_factory=list)
    dropped: list[Outcome] = field(default_factory=list)  # pending retries no longer wanted

    def __bool__(self) -> bool:
        return bool(self.due or self.dropped)

    def planned(self) -> list[Outcome]:
        """What a dry run lists: the due actions as ``planned``, the dropped as ``skipped``."""
        return [_outcome(d, PLANNED) for d in self.due] + list(self.dropped)


def _outcome(d: DueAction, status: str, r: Result | None = None) -> Outcome:
    out = Outcome(d.deal.id, d.stage.id, d.text, status, d.attempt, d.entered, due=d,
                  stage_label=d.stage_label)  # fmt: skip
    if r is not None:
        out.number, out.file, out.new = r.number, r.file, r.new
        out.error = "" if r.ok else short_error(r.error or "failed")
    return out


def plan_actions(ev: Evaluation) -> ActionPlan:
    """The actions due tonight (see the module doc). Empty when no stage has ``on_enter``."""
    p = ev.pipeline
    plan = ActionPlan(ev.ledger.next_run_id(), p.today)
    profile = p.profile
    if not any(s.on_enter for s in profile.stages):
        return plan
    rows = current_rows(p)
    names = p.stage_names  # how the sheet writes each stage: what outcomes and reasons say
    seen: set[tuple[str, str, str, str]] = set()

    def add(d: DueAction) -> None:
        key = (d.deal.id, d.stage.id, d.entered, d.text)
        if key not in seen:
            seen.add(key)
            plan.due.append(d)

    for e in ev.events:
        if e.event != "stage" or "reverted" in e.note or e.deal_id not in rows:
            continue
        stage = profile.stage(e.to)
        entering = rows[e.deal_id]
        for a in stage.on_enter:
            add(DueAction(entering, stage, a, 1, e.run, e.effective or e.run_date, e.from_,
                          names.of(entering)))  # fmt: skip
    for rec in action_log(ev.ledger).values():
        if rec.status != FAILED or rec.gave_up:
            continue
        deal = rows.get(rec.deal_id)
        st = ev.state.get(rec.deal_id)
        reason = ""
        stage_now: Stage | None = None
        action: StageAction | None = None
        if deal is None or not (st is not None and st.present):
            reason = "the deal is no longer in the sheet"
        elif deal.stage != rec.stage or not still_in(st, rec.stage, rec.entered):
            reason = f"the deal left {names(rec.stage)}"
        else:
            stage_now = profile.stage(rec.stage)
            action = next((a for a in stage_now.on_enter if a.describe() == rec.action), None)
            if action is None:
                reason = f"{names(rec.stage)} no longer lists this action"
        if reason:
            plan.dropped.append(
                Outcome(
                    rec.deal_id,
                    rec.stage,
                    rec.action,
                    SKIPPED,
                    rec.attempt,
                    rec.entered,
                    reason=reason,
                    stage_label=names(rec.stage),
                )  # fmt: skip
            )
            continue
        if rec.run_date >= p.today:
            continue  # tried tonight already: the next attempt is tomorrow's
        assert deal is not None and st is not None and stage_now is not None and action is not None
        last = st.last_stage_event
        assert last is not None
        add(DueAction(deal, stage_now, action, rec.attempt + 1, rec.entered,
                      last.effective or last.run_date, last.from_, names.of(deal)))  # fmt: skip
    return plan


# What the caller supplies: issue(kind, fmt, due) -> {deal id: Result}; send(jobs) -> Results,
# where each job is a notify action and the documents issued for its deal tonight.
Issue = Callable[[str, str, Sequence[DueAction]], dict[str, Result]]
Send = Callable[[Sequence[tuple[DueAction, list[Outcome]]]], Sequence[Result]]


def error_text(exc: BaseException) -> str:
    if isinstance(exc, SalessheetError):
        return "; ".join([exc.message, *exc.problems])
    return f"internal error: {type(exc).__name__}: {exc}"


def carry_out(plan: ActionPlan, *, issue: Issue, send: Send) -> list[Outcome]:
    """Do every due action once; never raises for a failed one (see the module doc)."""
    results: dict[int, Result] = {}
    groups: dict[tuple[str, str], list[int]] = {}
    for i, d in enumerate(plan.due):
        if d.action.kind == "issue":
            key = (d.action.document or "quote", d.action.format or "pdf")
            groups.setdefault(key, []).append(i)
    for (kind, fmt), members in groups.items():
        due = [plan.due[i] for i in members]
        try:
            got = issue(kind, fmt, due)
        except Exception as exc:  # noqa: BLE001 - an action must not end the run
            got = {d.deal.id: Result(False, error_text(exc)) for d in due}
        for i, d in zip(members, due, strict=True):
            results[i] = got.get(d.deal.id) or Result(False, f"no {kind} was issued")
    outcomes = [
        _outcome(d, DONE if results[i].ok else FAILED, results[i]) if i in results else None
        for i, d in enumerate(plan.due)
    ]
    alerts = [i for i, d in enumerate(plan.due) if d.action.kind == "notify"]
    if alerts:
        jobs = []
        for i in alerts:
            d = plan.due[i]
            docs = [o for o in outcomes if o is not None and o.status == DONE
                    and o.deal_id == d.deal.id and o.entered == d.entered]  # fmt: skip
            jobs.append((d, docs))
        try:
            sent = list(send(jobs))
        except Exception as exc:  # noqa: BLE001 - an action must not end the run
            sent = [Result(False, error_text(exc)) for _ in jobs]
        for i, r in zip(alerts, sent, strict=True):
            outcomes[i] = _outcome(plan.due[i], DONE if r.ok else FAILED, r)
    return [o for o in outcomes if o is not None] + list(plan.dropped)


def ledger_rows(outcomes: Sequence[Outcome], plan: ActionPlan) -> list[LedgerEvent]:
    """The ``action`` rows recording tonight's outcomes (nothing for a planned one)."""
    return [o.event(plan.run, plan.today) for o in outcomes if o.status != PLANNED]


def given_up(outcomes: Sequence[Outcome]) -> list[Finding]:
    """``action-failed`` for each action that failed its last attempt tonight."""
    out = []
    for o in outcomes:
        if o.gave_up and o.due is not None:
            d = o.due
            out.append(action_failed(d.deal, d.stage, d.action, o.attempt, o.error, d.stage_label))
    return out


def add_findings(ev: Evaluation, new: list[Finding]) -> None:
    """Add findings made after the evaluation (tonight's ``action-failed``) with their status
    against the previous run, as ``evaluate`` gives every other finding."""
    if not new:
        return
    prev = previous_findings(ev.pipeline.sheets.get(FINDINGS_SHEET))
    today = ev.pipeline.today.isoformat()
    keys = {f.key() for f in new}
    # a finding the evaluation called resolved is back under the same key: not resolved
    ev.findings[:] = [f for f in ev.findings if not (f.status == "resolved" and f.key() in keys)]
    for f in new:
        k = f.key()
        if k in prev:
            f.status = "persisting"
            ev.first_seen[k] = prev[k][4] or today
            f.details.setdefault("since", ev.first_seen[k])
        else:
            ev.first_seen.setdefault(k, today)
    ev.findings.extend(new)
