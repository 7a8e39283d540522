"""Public holidays by country (the only `holidays` import): the days off, the weekend days
worked in their place, and which country codes the calendar knows (checked when a profile
loads, so that `stall.holidays: [XX]` is a config problem, not a crash at the first count)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any


def _holidays() -> Any:
    """The `holidays` package, or None when it is not installed (it is optional)."""
    try:
        import holidays
    except ImportError:  # pragma: no cover - optional
        return None
    return holidays


@lru_cache(maxsize=1)
def countries() -> frozenset[str] | None:
    """The country codes with a holiday calendar (None: the calendar is not installed)."""
    lib = _holidays()
    return None if lib is None else frozenset(lib.list_supported_countries())


@lru_cache(maxsize=32)
def country_holidays(code: str, year: int) -> frozenset[dt.date]:
    lib = _holidays()
    return frozenset() if lib is None else frozenset(lib.country_holidays(code, years=year).keys())


@lru_cache(maxsize=32)
def country_workdays(code: str, year: int) -> frozenset[dt.date]:
    """The Saturdays and Sundays a country works (China's 调休 make-up days around a holiday)."""
    lib = _holidays()
    if lib is None:
        return frozenset()
    days = getattr(lib.country_holidays(code, years=year), "weekend_workdays", ())
    return frozenset(d for d in days if d.year == year)
