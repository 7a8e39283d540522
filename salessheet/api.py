"""The Python API: one function per command. The CLI is a thin layer over these."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from salessheet.evaluate import Evaluation, evaluate
from salessheet.flags import plan_write
from salessheet.pipeline import Pipeline, load_pipeline
from salessheet.profile import Profile, load_profile
from salessheet.report import CheckReport
from salessheet.rules.stalled import STALL_CODES, worst_first


def open_pipeline(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: dt.date,
    credentials: str | None = None,
) -> Pipeline:
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    return load_pipeline(
        str(source), profile=prof, sheet=sheet, today=today, credentials=credentials
    )


def validate(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: dt.date,
    credentials: str | None = None,
) -> CheckReport:
    """Read-only checks (fields, transitions since the last run, stalls). Never writes."""
    ev = evaluate_source(
        source, profile=profile, sheet=sheet, today=today, credentials=credentials, record=False
    )
    return _report(ev)


def evaluate_source(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: dt.date,
    credentials: str | None = None,
    record: bool = True,
) -> Evaluation:
    p = open_pipeline(source, profile=profile, sheet=sheet, today=today, credentials=credentials)
    return evaluate(p, record=record)


def _report(ev: Evaluation, findings: list | None = None) -> CheckReport:
    p = ev.pipeline
    return CheckReport(
        str(p.source),
        p.sheet,
        p.today,
        p.profile.name,
        len(p.deals),
        ev.findings if findings is None else findings,
    )


def stalled(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: dt.date,
    credentials: str | None = None,
) -> CheckReport:
    """Stalled deals only, worst first. Never writes."""
    ev = evaluate_source(
        source, profile=profile, sheet=sheet, today=today, credentials=credentials, record=False
    )
    rows = [f for f in ev.findings if f.code in STALL_CODES and f.status != "resolved"]
    report = _report(ev, worst_first(rows))
    report.presorted = True
    by_id = {d.id: d for d in ev.pipeline.deals}
    report.extra["stalled"] = [
        {
            "deal_id": f.deal_id,
            "owner": f.owner,
            "customer": by_id[f.deal_id].values.get("customer") if f.deal_id in by_id else None,
            "stage": f.details.get("stage")
            or (by_id[f.deal_id].stage if f.deal_id in by_id else None),
            "code": f.code,
            "days": f.details.get("days"),
            "threshold": f.details.get("threshold"),
            "clock": f.details.get("clock"),
            "cell": f.cell,
        }
        for f in report.findings
    ]
    return report


def run(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: dt.date,
    dry_run: bool = False,
    credentials: str | None = None,
) -> CheckReport:
    """The nightly job: validate, record the ledger, write flags (unless dry_run)."""
    ev = evaluate_source(source, profile=profile, sheet=sheet, today=today, credentials=credentials)
    p = ev.pipeline
    cells_writable = p.store.kind != "csv"
    plan = plan_write(ev, cells=cells_writable)
    report = _report(ev)
    report.extra["events"] = [e.row() for e in ev.events]
    if dry_run:
        report.extra["dry_run"] = {"changes": plan.describe(), "written": False}
        return report
    if plan.batch.is_empty():
        report.extra["written"] = {"cells": 0, "sheets": [], "unchanged": True}
        return report
    result = p.store.write(plan.batch)
    report.extra["written"] = {
        "cells": result.written_cells or len(plan.batch.cells),
        "sheets": result.written_sheets or [s.name for s in plan.batch.sheets],
        "skipped_rows": [list(x) for x in result.skipped_rows],
        "backup": result.backup,
        "unchanged": result.unchanged,
    }
    if not cells_writable:
        report.extra["written"]["note"] = (
            "CSV sources are read-only: flags are not written; the ledger and findings are "
            "kept in sidecar files beside the CSV"
        )
    return report
