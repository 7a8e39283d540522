"""Stalled deals: too long in a stage, untouched too long, a next step overdue, slipping closes."""

from __future__ import annotations

import datetime as dt

from salessheet.core.cells import a1
from salessheet.core.findings import Finding
from salessheet.core.records import Deal
from salessheet.history.ledger import DealState
from salessheet.rules.calendar import days_between
from salessheet.rules.fields import _shown
from salessheet.sheet.pipeline import Pipeline

STALL_CODES = ("stalled-deal", "close-date-passed", "close-date-slipped")


def entered_stage(d: Deal, st: DealState | None) -> tuple[dt.date | None, str]:
    """When the deal entered its current stage: the ledger, else the sheet's stage date."""
    if st is not None and st.stage == d.stage:
        return st.entered, "sheet" if st.entered_from_sheet else "ledger"
    sd = d.values.get("stage_date")
    if isinstance(sd, dt.date):
        return sd, "sheet"
    return None, ""


def days_in_stage(p: Pipeline, d: Deal, st: DealState | None) -> int | None:
    entered, _ = entered_stage(d, st)
    if entered is None:
        return None
    rules = p.profile.stall
    return days_between(
        entered,
        p.today,
        business=rules.business_days,
        holidays=rules.holidays,
        calendar=rules.holiday_calendar,
    )


def _f(p: Pipeline, d: Deal, code: str, field: str, message: str, **details: object) -> Finding:
    col = p.layout.col_of.get(field)
    return Finding(
        code=code,
        severity="warning",
        message=message,
        deal_id=d.id or None,
        sheet=p.sheet,
        row=d.row,
        column=p.layout.header_of.get(field, field),
        cell=a1(d.row, col) if col else None,
        value=_shown(d, field, d.raw_value(field)) if col else None,
        owner=d.values.get("owner"),
        details=dict(details),
    )


def stalled_findings(p: Pipeline, state: dict[str, DealState]) -> list[Finding]:
    out: list[Finding] = []
    rules = p.profile.stall
    clocks = {s.stall_clock for s in p.profile.stages if s.stall_days is not None}
    if not state and "stage_date" not in p.layout.col_of and clocks <= {"in_stage"}:
        return out  # no history, no stage dates: nothing can be measured yet
    for d in p.deals:
        if d.stage is None or not d.id:
            continue
        stage = p.profile.stage(d.stage)
        st = state.get(d.id)
        snooze = d.values.get("snooze_until")
        if isinstance(snooze, dt.date) and snooze > p.today:
            continue
        if st is not None and stage.is_open and st.slips >= rules.slip_warning_after:
            out.append(
                _f(
                    p,
                    d,
                    "close-date-slipped",
                    "expected_close",
                    f"expected close pushed back {st.slips} times "
                    f"(warning from {rules.slip_warning_after})",
                    slips=st.slips,
                    threshold=rules.slip_warning_after,
                )
            )
        if not stage.is_open or stage.stall_days is None:
            continue
        threshold = stage.stall_days
        clock = stage.stall_clock
        if clock == "next_step":
            due = d.values.get("next_step_date")
            if isinstance(due, dt.date) and due < p.today:
                days = (p.today - due).days
                out.append(
                    _f(
                        p,
                        d,
                        "stalled-deal",
                        "next_step_date",
                        f"next step was due {due.isoformat()} ({days} days ago)",
                        clock=clock,
                        days=days,
                        threshold=0,
                        stage=d.stage,
                    )
                )
            continue
        if clock == "last_activity" and isinstance(d.values.get("last_activity"), dt.date):
            since = d.values["last_activity"]
            field, what = "last_activity", "no activity for"
        else:
            since, _src = entered_stage(d, st)
            field, what, clock = "stage", f"in {d.stage} for", "in_stage"
            if since is None:
                continue
        days = days_between(
            since,
            p.today,
            business=rules.business_days,
            holidays=rules.holidays,
            calendar=rules.holiday_calendar,
        )
        if days > threshold:
            unit = "business days" if rules.business_days else "days"
            out.append(
                _f(
                    p,
                    d,
                    "stalled-deal",
                    field,
                    f"{what} {days} {unit} (limit {threshold}) since {since.isoformat()}",
                    clock=clock,
                    days=days,
                    threshold=threshold,
                    since=since.isoformat(),
                    stage=d.stage,
                )
            )
    return out


def worst_first(findings: list[Finding]) -> list[Finding]:
    def key(f: Finding) -> tuple:
        days = f.details.get("days", 0) or 0
        threshold = f.details.get("threshold", 0) or 0
        over = days - threshold if isinstance(days, int) else 0
        rank = {"stalled-deal": 0, "close-date-passed": 1, "close-date-slipped": 2}[f.code]
        return (rank, -over, f.row or 0)

    return sorted(findings, key=key)
