"""The Python API: one function per command. The CLI is a thin layer over these."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from salessheet.pipeline import Pipeline, load_pipeline
from salessheet.profile import Profile, load_profile
from salessheet.report import CheckReport
from salessheet.rules.fields import check_fields


def open_pipeline(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: dt.date,
    credentials: str | None = None,
) -> Pipeline:
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    return load_pipeline(str(source), profile=prof, sheet=sheet, today=today,
                         credentials=credentials)  # fmt: skip


def validate(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: dt.date,
    credentials: str | None = None,
) -> CheckReport:
    """Read-only checks. Never writes."""
    p = open_pipeline(source, profile=profile, sheet=sheet, today=today, credentials=credentials)
    return check(p)


def check(p: Pipeline) -> CheckReport:
    findings = list(p.findings) + check_fields(p)
    return CheckReport(str(p.source), p.sheet, p.today, p.profile.name, len(p.deals), findings)
