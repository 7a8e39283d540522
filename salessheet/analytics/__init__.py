"""Pipeline analytics: funnel, conversion, time in stage, forecast, per-owner figures.

``build_report(evaluation)`` (``analytics.service``) computes an ``AnalyticsReport`` (data,
``analytics.model``); ``analytics.text.render_text`` and ``analytics.html.render_html`` render
it. The names below load their module on first use, so importing a renderer does not import the
service and, through it, the rules engine, the sheet and the stores.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from salessheet.analytics.model import AnalyticsReport
    from salessheet.analytics.service import build_report, load_rates, save_html

__all__ = ["AnalyticsReport", "build_report", "load_rates", "save_html"]

_HOME = {
    "AnalyticsReport": "salessheet.analytics.model",
    "build_report": "salessheet.analytics.service",
    "load_rates": "salessheet.analytics.service",
    "save_html": "salessheet.analytics.service",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
