"""Stalled deals: too long in a stage, untouched too long, a next step overdue, slipping closes."""

from __future__ import annotations

import datetime as dt

from salessheet.core import catalogue as C
from salessheet.core.findings import Finding
from salessheet.core.formatting import count
from salessheet.core.records import Deal
from salessheet.history.ledger import DealState
from salessheet.rules.calendar import days_between
from salessheet.sheet.pipeline import Pipeline

# What `salessheet stalled` lists, in this order of rank (worst first).
STALL_CODES = tuple(c.code for c in C.STALL_CHECKS)
_RANK = {code: i for i, code in enumerate(STALL_CODES)}


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


def stalled_findings(p: Pipeline, state: dict[str, DealState]) -> list[Finding]:
    out: list[Finding] = []
    rules = p.profile.stall
    today = p.today
    clocks = {s.stall_clock for s in p.profile.stages if s.stall_days is not None}
    if not state and "stage_date" not in p.layout.col_of and clocks <= {"in_stage"}:
        return out  # no history, no stage dates: nothing can be measured yet
    stages = {s.id: s for s in p.profile.stages}
    slip_after = rules.slip_warning_after
    business = rules.business_days
    unit = "business days" if business else "days"
    superseded = p.superseded()  # a repeated id is its last row
    # Finding.of for these checks and fields, with each field's column looked up once
    by, layout = Finding.for_field, p.layout
    slipped = by(C.CLOSE_DATE_SLIPPED, layout, "expected_close")
    stalled = {f: by(C.STALLED_DEAL, layout, f) for f in ("next_step_date", "last_activity")}
    stalled["stage"] = by(C.STALLED_DEAL, layout, "stage")
    for d in p.deals:
        if d.stage is None or not d.id or (superseded and d.row in superseded):
            continue
        stage = stages[d.stage]
        values = d.values
        st = state.get(d.id) if state else None
        snooze = values.get("snooze_until")
        if snooze is not None and isinstance(snooze, dt.date) and snooze > today:
            continue
        is_open = stage.is_open
        if st is not None and is_open and st.slips >= slip_after:
            out.append(
                slipped(
                    d,
                    f"expected close pushed back {st.slips} times (warning from {slip_after})",
                    details={"slips": st.slips, "threshold": slip_after},
                )
            )
        threshold = stage.stall_days
        if not is_open or threshold is None:
            continue
        clock = stage.stall_clock
        if clock == "next_step":
            due = values.get("next_step_date")
            if isinstance(due, dt.date) and due < today:
                days = (today - due).days
                out.append(
                    stalled["next_step_date"](
                        d,
                        f"next step was due {due.isoformat()} ({count(days, 'day')} ago)",
                        details={
                            "clock": clock,
                            "days": days,
                            "threshold": 0,
                            "stage": d.stage,
                            "stage_label": p.stage_names.of(d),
                        },
                    )
                )
            continue
        if clock == "last_activity" and isinstance(values.get("last_activity"), dt.date):
            since = values["last_activity"]
            field = "last_activity"
        else:
            since, _src = entered_stage(d, st)
            field, clock = "stage", "in_stage"
            if since is None:
                continue
        if business:
            days = days_between(
                since, today, business=True, holidays=rules.holidays,
                calendar=rules.holiday_calendar,
            )  # fmt: skip
        else:
            days = (today - since).days
        if days > threshold:
            iso = since.isoformat()
            name = p.stage_names.of(d)  # the stage as the deal's cell writes it
            what = "no activity for" if field == "last_activity" else f"in {name} for"
            out.append(
                stalled[field](
                    d,
                    f"{what} {days} {unit} (limit {threshold}) since {iso}",
                    details={
                        "clock": clock,
                        "days": days,
                        "threshold": threshold,
                        "since": iso,
                        "stage": d.stage,
                        "stage_label": name,
                    },
                )
            )
    return out


def worst_first(findings: list[Finding]) -> list[Finding]:
    def key(f: Finding) -> tuple[int, int, int]:
        days = f.details.get("days", 0) or 0
        threshold = f.details.get("threshold", 0) or 0
        over = days - threshold if isinstance(days, int) else 0
        rank = _RANK[f.code]
        return (rank, -over, f.row or 0)

    return sorted(findings, key=key)
