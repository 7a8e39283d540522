"""The `salessheet forecast` sheet stays small: thinning rules and the two-year bound."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from salessheet.core.cells import RawSheet
from salessheet.history.snapshots import (
    FORECAST_HEADER,
    ForecastHistory,
    SnapshotRow,
    bucket,
    scored_months,
    scoring_days,
)


def snapshot(day: dt.date, owners: int) -> list[SnapshotRow]:
    """Every owner with open deals in each of the next 15 buckets (the worst case)."""
    rows = []
    for o in range(owners):
        for months in range(-1, 14):
            close = (day.replace(day=1) + dt.timedelta(days=32 * months)).replace(day=15)
            if months < 0:
                close = day.replace(day=1) - dt.timedelta(days=20)
            rows.append(
                SnapshotRow(
                    day,
                    f"Owner {o:02d}",
                    bucket(close, day),
                    "CNY",
                    3,
                    Decimal(9000),
                    Decimal("3150.50"),
                )  # fmt: skip
            )
    return rows


def nightly(first: dt.date, nights: int, owners: int) -> ForecastHistory:
    """What `nights` nightly runs leave: thinning is applied on every run, and applying it to
    everything at once gives the same (checked below), which is quicker to test."""
    rows = []
    for i in range(nights - 1):
        rows += snapshot(first + dt.timedelta(days=i), owners)
    last = first + dt.timedelta(days=nights - 1)
    return ForecastHistory(rows).with_snapshot(last, snapshot(last, owners), "CNY")


def test_thinning_on_every_run_is_thinning_once() -> None:
    history = ForecastHistory()
    day = dt.date(2026, 1, 1)
    for _ in range(150):
        history = history.with_snapshot(day, snapshot(day, 3), "CNY")
        day += dt.timedelta(days=1)
    assert history.sheet_rows() == nightly(dt.date(2026, 1, 1), 150, 3).sheet_rows()


def test_two_years_of_nightly_runs_for_50_owners_stay_under_100000_cells() -> None:
    history = nightly(dt.date(2025, 1, 1), 2 * 365, 50)
    rows = history.sheet_rows()
    cells = len(rows) * len(FORECAST_HEADER)
    assert cells < 100_000, cells
    print(f"forecast sheet after 2 years, 50 owners: {len(rows):,} rows, {cells:,} cells")
    days = history.days()
    newest = days[-1]
    assert len([d for d in days if (newest - d).days < 14]) == 14  # the last fortnight daily
    older = [d for d in days if (newest - d).days >= 14]
    per_week: dict = {}
    for d in older:
        per_week[d.isocalendar()[:2]] = per_week.get(d.isocalendar()[:2], 0) + 1
    assert len(per_week) >= 100 and max(per_week.values()) <= 2  # weekly (a scoring day: 2)
    assert len(history.at(newest)) == 50 * 15  # the newest whole
    assert all(len({r.month for r in history.at(d)}) <= 2 for d in days if d != newest)


def test_the_snapshot_closest_before_each_scoring_day_is_kept() -> None:
    history = ForecastHistory()
    day = dt.date(2026, 1, 1)
    while day <= dt.date(2026, 6, 30):
        history = history.with_snapshot(day, snapshot(day, 2), "CNY")
        day += dt.timedelta(days=1)
    kept = set(history.days())
    for target in scoring_days(dt.date(2026, 1, 1), dt.date(2026, 6, 16)):
        if dt.date(2026, 1, 1) <= target <= dt.date(2026, 6, 16):
            assert target in kept, target  # nightly runs: the scoring day's own snapshot


def test_a_scored_month_without_deals_is_a_row_of_zeros() -> None:
    day = dt.date(2026, 11, 2)
    assert scored_months(day) == ["2026-11"]
    assert scored_months(dt.date(2026, 11, 20)) == ["2026-11", "2026-12"]
    history = ForecastHistory().with_snapshot(day, [], "EUR")
    assert history.sheet_rows()[1:] == [["2026-11-02", "", "2026-11", "EUR", 0, 0, 0]]


def test_rows_that_cannot_be_read_are_kept_below() -> None:
    sheet = RawSheet(
        "salessheet forecast",
        [
            FORECAST_HEADER,
            ["2026-11-01", "Ann", "2026-11", "CNY", 2, 1000.0, 250.5],
            ["not a day", "Ann", "2026-11", "CNY", 2, 1000, 250],
            ["2026-11-01", "Bob", "2026-13", "CNY", 1, 5, 1],
        ],
    )
    history = ForecastHistory.from_sheet(sheet)
    assert [r.owner for r in history.rows] == ["Ann"]
    assert history.rows[0].amount == Decimal("1000.0") and history.rows[0].weighted == Decimal(
        "250.5"
    )
    assert len(history.problems) == 2
    rows = history.with_snapshot(dt.date(2026, 11, 2), [], "CNY").sheet_rows()
    assert rows[-2:] == [
        ["not a day", "Ann", "2026-11", "CNY", 2, 1000, 250],
        ["2026-11-01", "Bob", "2026-13", "CNY", 1, 5, 1],
    ]
