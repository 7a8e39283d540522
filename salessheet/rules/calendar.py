"""Counting days: calendar or business days, with a holiday list (salessheet.core.calendar)."""

from __future__ import annotations

import datetime as dt

from salessheet.core.calendar import country_holidays, country_workdays

__all__ = ["country_holidays", "country_workdays", "days_between"]


def days_between(
    start: dt.date,
    end: dt.date,
    *,
    business: bool = False,
    holidays: tuple[dt.date, ...] = (),
    calendar: str | None = None,
) -> int:
    """Days from ``start`` to ``end`` (end counted, start not). Negative if end < start."""
    if not business:
        return (end - start).days
    if end == start:
        return 0
    if end < start:
        return -days_between(end, start, business=True, holidays=holidays, calendar=calendar)
    off = set(holidays)
    worked: set[dt.date] = set()
    if calendar:
        for year in range(start.year, end.year + 1):
            off |= country_holidays(calendar, year)
            worked |= country_workdays(calendar, year)
    n = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        if (day.weekday() < 5 or day in worked) and day not in off:
            n += 1
        day += dt.timedelta(days=1)
    return n
