"""The analytics report as one self-contained HTML page (inline CSS and SVG; no scripts, no web
fonts, no external references), so it opens offline and survives being e-mailed.

The page is ``templates/report/report.html.j2`` with one include per section, rendered in the
sandboxed, autoescaping environment of ``core.templating``. This module hands the templates the
report, the few figures derived only for display, the display helpers bound to the report's
locale and currency, and the SVG charts (``analytics.svg``) as ``Markup``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from salessheet.analytics import display as D
from salessheet.analytics import svg as S
from salessheet.analytics.model import AnalyticsReport, Money, StageRef
from salessheet.analytics.svg_history import accuracy_chart
from salessheet.core.formatting import format_money
from salessheet.core.templating import Markup, report_environment

TEMPLATE = "report/report.html.j2"
STALLED_ROWS = 50
CHARTS: dict[str, Callable[[AnalyticsReport], str]] = {
    "funnel": S.funnel_chart,
    "conversion": S.conversion_chart,
    "time": S.time_chart,
    "forecast": S.forecast_chart,
    "owners": S.owners_chart,
    "accuracy": lambda r: (
        accuracy_chart(r.accuracy.months, r.accuracy.currency, r.locale) if r.accuracy else ""
    ),
}


def render_html(report: AnalyticsReport) -> str:
    """The HTML page of ``report``."""
    return report_environment().get_template(TEMPLATE).render(_context(report))


def _context(r: AnalyticsReport) -> dict[str, Any]:
    loc, cur = r.locale, r.currency
    reasons = list(r.lost_reasons.reasons)
    if r.lost_reasons.without_reason:
        reasons.append(("(no reason given)", r.lost_reasons.without_reason))

    def stage(s: StageRef | None, both: bool = True) -> str:
        return D.stage_name(s, loc, both=both, names=r.stage_names)

    return {
        "r": r,
        "s": r.summary(),
        "zh": D.is_zh(loc),
        "source_name": _source_name(r.source),
        "open_amount": _sum([x.amount for x in r.funnel.rows if x.stage.outcome == "open"]),
        "six": _sum([bk.weighted for bk in r.forecast.buckets if bk.key[:1].isdigit()]),
        "stalled_value": _stalled_value(r),
        "top_stalled_owner": _top_stalled_owner(r),
        "overdue": next((bk for bk in r.forecast.buckets if bk.key == "overdue"), None),
        "lost_reasons": reasons,
        "top_reason": max([n for _, n in reasons] + [1]),
        # svg.py escapes every text it writes into a chart: the charts are markup, on purpose
        "charts": {name: Markup(chart(r)) for name, chart in CHARTS.items()},
        "STALLED_ROWS": STALLED_ROWS,
        "GREEN": S.GREEN,
        "RED": S.RED,
        # display helpers
        "pct": D.pct,
        "days": D.days,
        "n_of": D.n_of,
        "stage": stage,
        "money": lambda m: D.money_compact(m, cur, loc),
        "big": lambda m: _big(m, r),
        "others": lambda m: _others(m, r),
        "format_money": lambda amount, currency: format_money(amount, currency, loc),
    }


def _big(m: Money, r: AnalyticsReport) -> str:
    """The headline number: the converted sum, else the profile currency's."""
    cur = m.base if m.converted is not None and m.base else r.currency
    return D.compact(m.primary(r.currency), cur, r.locale)


def _others(m: Money, r: AnalyticsReport) -> str:
    if m.converted is not None:
        return f"{D.n_of(m.unpriced, 'deal')} without a rate · " if m.unpriced else ""
    rest = [D.compact(v, c, r.locale) for c, v in sorted(m.by_currency.items()) if c != r.currency]
    return ("+ " + " ".join(rest) + " · ") if rest else ""


def _source_name(source: str) -> str:
    return source.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or source


def _sum(items: Sequence[Money]) -> Money:
    out = Money()
    for m in items:
        for k, v in m.by_currency.items():
            out.by_currency[k] = out.by_currency.get(k, Decimal(0)) + v
        if m.converted is not None:
            out.converted = (out.converted or Decimal(0)) + m.converted
            out.base = m.base
        out.unpriced += m.unpriced
        out.missing += m.missing
    return out


def _top_stalled_owner(r: AnalyticsReport) -> dict[str, Any] | None:
    """The owner with the most stalled deals (the first such in the list on a tie)."""
    owners: dict[str, int] = {}
    for sd in r.stalled:
        owners[sd.owner or "(no owner)"] = owners.get(sd.owner or "(no owner)", 0) + 1
    if not owners:
        return None
    owner, deals = max(owners.items(), key=lambda kv: kv[1])
    return {"owner": owner, "deals": deals}


def _stalled_value(r: AnalyticsReport) -> str:
    by: dict[str, Decimal] = {}
    for sd in r.stalled:
        if sd.amount is not None:
            by[sd.currency] = by.get(sd.currency, Decimal(0)) + sd.amount
    if not by:
        return "no amount"
    m = Money(by_currency=by)
    table = r.forecast.rates
    if table:  # the same conversion as every other figure
        rates = {k: Decimal(v) for k, v in table["rates"].items()}
        rates[table["base"]] = Decimal(1)
        m.base, m.converted = table["base"], Decimal(0)
        for cur, amount in by.items():
            if cur in rates:
                m.converted += amount * rates[cur]
            else:
                m.unpriced += sum(1 for sd in r.stalled if sd.currency == cur and sd.amount)
    return D.money_compact(m, r.currency, r.locale)
