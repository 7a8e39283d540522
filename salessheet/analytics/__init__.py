"""Pipeline analytics: funnel, conversion, time in stage, forecast, per-owner figures."""

from salessheet.analytics.model import AnalyticsReport
from salessheet.analytics.service import build_report, load_rates, save_html

__all__ = ["AnalyticsReport", "build_report", "load_rates", "save_html"]
