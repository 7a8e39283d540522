"""Counting days: calendar or business days, with a holiday list (the only `holidays` import)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache


@lru_cache(maxsize=32)
def country_holidays(code: str, year: int) -> frozenset[dt.date]:
    try:
        import holidays
    except ImportError:  # pragma: no cover - optional
        return frozenset()
    return frozenset(holidays.country_holidays(code, years=year).keys())


@lru_cache(maxsize=32)
def country_workdays(code: str, year: int) -> frozenset[dt.date]:
    """The Saturdays and Sundays a country works (China's 调休 make-up days around a holiday)."""
    try:
        import holidays
    except ImportError:  # pragma: no cover - optional
        return frozenset()
    days = getattr(holidays.country_holidays(code, years=year), "weekend_workdays", ())
    return frozenset(d for d in days if d.year == year)


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
