"""Stage transitions: what changed since the last run, and whether the profile allows it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from salessheet.core import catalogue as C
from salessheet.core.catalogue import Check
from salessheet.core.findings import Finding
from salessheet.core.records import Deal
from salessheet.history.fields import (
    UNKNOWN,
    canonical,
    encode_values,
    numeric_fields,
    same_value,
    tracked_fields,
)
from salessheet.history.ledger import FIELD_EVENTS, DealState, Ledger, LedgerEvent
from salessheet.settings.profile import Profile, SeverityName
from salessheet.sheet.pipeline import Pipeline


@dataclass(frozen=True)
class Verdict:
    check: Check  # one of catalogue.TRANSITION_CHECKS
    severity: SeverityName  # as the profile configures it
    reason: str


def judge(profile: Profile, src: str, dst: str, name: Callable[[str], str] = str) -> Verdict | None:
    """None if the move is allowed, else what is wrong with it; ``name`` names a stage in the
    reason (the sheet's words for it: ``Pipeline.stage_names``)."""
    if src == dst:
        return None
    t = profile.transitions
    a, b = profile.stage(src), profile.stage(dst)
    if a.terminal:
        return Verdict(
            C.REOPENED_DEAL, t.reopen, f"{name(src)} is a terminal stage; the deal was reopened"
        )
    if b.outcome == "lost":
        if a.is_open or t.to_lost_from == "any":
            return None
        return Verdict(
            C.ILLEGAL_TRANSITION, t.skip_forward, f"a {a.outcome} deal cannot become lost"
        )
    if t.mode == "graph":
        if dst in t.graph.get(src, []):
            return None
        allowed = ", ".join(map(name, t.graph.get(src, []))) or "nothing"
        return Verdict(
            C.ILLEGAL_TRANSITION, t.undeclared, f"from {name(src)} the allowed moves are: {allowed}"
        )
    order = [s.id for s in profile.stages if s.outcome != "lost"]
    i, j = order.index(src), order.index(dst)
    if j == i + 1:
        return None
    if j > i + 1:
        skipped = ", ".join(map(name, order[i + 1 : j]))
        return Verdict(C.ILLEGAL_TRANSITION, t.skip_forward, f"skipped {skipped}")
    return Verdict(C.BACKWARD_TRANSITION, t.backward, f"moved back from {name(src)} to {name(dst)}")


def _entered_date(d: Deal, today: dt.date, after: dt.date | None) -> tuple[dt.date, str]:
    sd = d.values.get("stage_date")
    if isinstance(sd, dt.date) and sd <= today and (after is None or sd > after):
        return sd, "sheet"
    return today, "run"


def current_rows(p: Pipeline) -> dict[str, Deal]:
    """The row of each deal id: rows sharing an id are one deal, and the last such row (lowest
    in the sheet) is the deal (the duplicate-id finding reports the others)."""
    out: dict[str, Deal] = {}
    for d in p.deals:
        if d.id:
            out[d.id] = d
    return out


def observe(
    p: Pipeline,
    ledger: Ledger,
    run_id: str,
    state: dict[str, DealState] | None = None,
    tracked: tuple[str, ...] | None = None,
) -> list[LedgerEvent]:
    """The events this run adds to the ledger (empty when nothing changed).

    ``tracked``: the fields whose changes are recorded (default: see ``fields.tracked_fields``).
    A field whose cell could not be read this run (a ``bad-value``) keeps its last value.
    """
    today = p.today
    state = ledger.state() if state is None else state
    tracked = tracked_fields(p.profile, p.layout.col_of) if tracked is None else tracked
    numeric = numeric_fields(p.profile)
    unreadable = {f.cell for f in p.findings if f.code == C.BAD_VALUE.code and f.cell}
    events: list[LedgerEvent] = []
    if ledger.tracked() != tracked and (tracked or ledger.tracked() is not None):
        events.append(LedgerEvent(run_id, today, "", "tracking", "", ", ".join(tracked), None, ""))
    rows = current_rows(p)
    for deal_id, d in rows.items():
        if d.stage is None:
            continue  # a row without a known stage is not tracked until fixed
        close = d.values.get("expected_close")
        close = close if isinstance(close, dt.date) else None
        now: dict[str, str] = {}  # tracked field -> value (UNKNOWN: unreadable this run)
        for name in tracked:
            cell = d.cell(name)
            now[name] = UNKNOWN if cell in unreadable else canonical(d.values.get(name))
        st = state.get(deal_id)
        if st is None:
            eff, source = _entered_date(d, today, None)
            listed = {"close": close.isoformat() if close else ""} | now
            events.append(
                LedgerEvent(
                    run_id, today, deal_id, "seen", "", d.stage, eff, source, encode_values(listed)
                )
            )
            continue
        if not st.present:
            events.append(LedgerEvent(run_id, today, deal_id, "returned", "", d.stage, today))
        baseline = {k: v for k, v in now.items() if k not in st.known}
        if baseline and any(v != UNKNOWN for v in baseline.values()):
            events.append(
                LedgerEvent(
                    run_id, today, deal_id, "values", "", "", None, "", encode_values(baseline)
                )
            )
        if st.stage != d.stage:
            eff, source = _entered_date(d, today, st.entered)
            note = ""
            prev = st.last_stage_event
            if (
                prev is not None
                and prev.from_ == d.stage
                and "reverted" not in prev.note  # undoing a revert redoes the flagged move
                and judge(p.profile, prev.from_, prev.to)
            ):
                note = "reverted"
            override = d.values.get("override_reason")
            if override and judge(p.profile, st.stage, d.stage):
                note = (note + "; " if note else "") + f"override: {override}"
            events.append(
                LedgerEvent(run_id, today, deal_id, "stage", st.stage, d.stage, eff, source, note)
            )
        if close != st.expected_close and (close or st.expected_close):
            events.append(
                LedgerEvent(
                    run_id,
                    today,
                    deal_id,
                    "close",
                    st.expected_close.isoformat() if st.expected_close else "",
                    close.isoformat() if close else "",
                    today,
                )
            )
        for name, value in now.items():
            if name not in st.known or value == UNKNOWN:
                continue
            old = st.values.get(name, "")
            if not same_value(old, value, name in numeric):
                kind, note = (name, "") if name in FIELD_EVENTS else ("field", name)
                events.append(LedgerEvent(run_id, today, deal_id, kind, old, value, None, "", note))
    for deal_id, st in state.items():
        if st.present and deal_id not in rows:
            events.append(LedgerEvent(run_id, today, deal_id, "removed", st.stage, "", today))
    return events


def transition_findings(
    p: Pipeline, state: dict[str, DealState], this_run: list[LedgerEvent]
) -> list[Finding]:
    """Findings for the last stage move of every deal still sitting where that move put it."""
    out: list[Finding] = []
    by_id = {d.id: d for d in p.deals if d.id}
    header = p.layout.header_of.get("stage", "Stage")
    names = p.stage_names  # how the sheet writes each stage: what messages say
    for ev in this_run:
        if ev.event == "removed":  # the deal's row is gone: the finding names its column
            last = names(ev.from_)
            out.append(
                Finding.of(
                    C.DEAL_REMOVED,
                    f"deal {ev.deal_id} (last seen in {last}) is no longer in the sheet",
                    deal_id=ev.deal_id,
                    sheet=p.sheet,
                    column=header,
                    details={"last_stage": ev.from_, "last_stage_label": last, "event": True},
                )
            )
    for deal_id, st in state.items():
        d = by_id.get(deal_id)
        e = st.last_stage_event
        if d is None or e is None or d.stage != e.to or "reverted" in e.note:
            continue
        first = judge(p.profile, e.from_, e.to)
        if first is None or first.severity == "allow":
            continue
        src, dst = names(e.from_), names.of(d)  # the new stage as the deal's cell writes it

        def name(stage: str, to: str = e.to, dst: str = dst) -> str:
            return dst if stage == to else names(stage)

        verdict = judge(p.profile, e.from_, e.to, name) or first  # its reason in sheet words
        override = d.values.get("override_reason")
        severity = first.severity  # the same move: the same check and severity
        message = f"stage {src} → {dst} on {e.effective or e.run_date}: {verdict.reason}"
        details = {
            "from": e.from_,
            "to": e.to,
            "from_label": src,
            "to_label": dst,
            "run": e.run,
            "seen": e.run_date.isoformat(),
        }
        if override:
            severity = "info"
            who = d.values.get("owner") or "unknown"
            message += f" — overridden by {who}: {override}"
            details.update({"override_reason": override, "override_by": who})
        out.append(
            Finding.of(
                verdict.check,
                message,
                record=d,
                field="stage",
                severity=severity,
                details=details,
            )
        )
    return out
