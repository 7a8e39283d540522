"""Inline SVG charts of the pipeline's history: the waterfall of `changes --html` and the
forecast-vs-won chart of `report --html`. Same conventions as analytics/svg.py: plain strings,
every text escaped, colours with meaning (blue = open pipeline, green = added / won, red =
taken away / lost, amber = moved out by date, grey = nothing to show)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from salessheet.analytics import display as D
from salessheet.analytics.svg import (
    AMBER,
    BLUE,
    BLUE_DARK,
    BLUE_LIGHT,
    GREEN,
    GREY,
    GREY_LIGHT,
    INK,
    MUTED,
    RED,
    Svg,
    _clip,
)
from salessheet.core.formatting import count

WATERFALL_LABELS = {
    "opening": ("Opening", "期初"),
    "new": ("New", "新增"),
    "increased": ("Increased", "金额增加"),
    "decreased": ("Decreased", "金额减少"),
    "won": ("Won", "赢单"),
    "lost": ("Lost", "丢单"),
    "pushed_out": ("Pushed out", "推迟"),
    "pulled_in": ("Pulled in", "提前"),
    "removed": ("Removed", "删除"),
    "restored": ("Restored", "恢复"),
    "reopened": ("Reopened", "重开"),
    "closing": ("Closing", "期末"),
}
_SIGN = {"new": 1, "increased": 1, "decreased": -1, "won": -1, "lost": -1, "pushed_out": -1,
         "pulled_in": 1, "removed": -1, "restored": 1, "reopened": 1}  # fmt: skip


def _label(key: str, locale: str) -> str:
    en, zh = WATERFALL_LABELS[key]
    return zh if D.is_zh(locale) else en


def waterfall_chart(
    lines: dict[str, Any], currency: str, locale: str, *, close_by: bool, width: int = 920
) -> str:
    """Opening and closing as full bars, each flow as a floating bar from the running total."""
    keys = [k for k in lines if close_by or k not in ("pushed_out", "pulled_in")]
    height, top, bottom, left, right = 330, 40, 64, 10, 10
    svg = Svg(width, height, f"Pipeline movement ({currency})", "chart-waterfall")
    slot = (width - left - right) / len(keys)
    bar_w = min(slot * 0.64, 58)
    running = Decimal(0)
    spans: list[tuple[str, Decimal, Decimal]] = []  # key, from, to
    for k in keys:
        amount = lines[k].amount
        if k in ("opening", "closing"):
            spans.append((k, Decimal(-1), amount))  # from the axis (see below)
            running = amount
        else:
            nxt = running + _SIGN[k] * amount
            spans.append((k, running, nxt))
            running = nxt
    top_v = max([max(a, b) for _, a, b in spans] + [Decimal(1)])
    ends = [x for k, a, b in spans for x in ((b,) if k in ("opening", "closing") else (a, b))]
    low_v = min(ends + [Decimal(0)])
    zoomed = False
    if low_v >= 0 and ends and min(ends) > 0:
        lowest = min(ends)
        if top_v - lowest < top_v * Decimal("0.6"):  # flows too small to see from zero
            low_v = max(Decimal(0), lowest - (top_v - lowest) * Decimal("0.6") - top_v / 50)
            zoomed = low_v > 0
    area = height - top - bottom
    span_v = top_v - low_v or Decimal(1)

    def y(v: Decimal) -> float:
        return top + float((top_v - v) / span_v) * area

    spans = [(k, low_v if a == -1 else a, b) for k, a, b in spans]
    svg.line(left, y(low_v), width - right, y(low_v), stroke=GREY)
    if zoomed:
        svg.text(left, height - 6, f"axis starts at {D.compact(low_v, currency, locale)}, not "
                 "zero, so the movements show", size=10, fill=MUTED)  # fmt: skip
    prev_end: float | None = None
    for i, (k, a, b) in enumerate(spans):
        cx = left + slot * i + slot / 2
        line = lines[k]
        if k in ("opening", "closing"):
            fill = BLUE_DARK if k == "closing" else BLUE
        elif k in ("pushed_out",):
            fill = AMBER
        else:
            fill = GREEN if _SIGN[k] > 0 else RED
        hi, lo = max(a, b), min(a, b)
        h = y(lo) - y(hi)
        label = _label(k, locale)
        value = D.compact(line.amount, currency, locale)
        tip = f"{label}: {count(line.deals, 'deal')}, {value}"
        if line.amount or k in ("opening", "closing"):
            svg.rect(cx - bar_w / 2, y(hi), bar_w, max(h, 1.5), fill, rx=2, title=tip)
        else:
            svg.rect(cx - bar_w / 2, y(a) - 1, bar_w, 2, GREY_LIGHT, rx=1, title=tip)
        if prev_end is not None:
            svg.line(cx - slot + bar_w / 2, prev_end, cx - bar_w / 2, prev_end, dash="3 3")
        prev_end = y(b)
        sign = (
            "" if k in ("opening", "closing") or not line.amount else ("+" if _SIGN[k] > 0 else "−")
        )
        svg.text(cx, y(hi) - 6, _clip(sign + value, slot), anchor="middle", size=11,
                 weight="bold" if k in ("opening", "closing") else "normal")  # fmt: skip
        svg.text(cx, height - bottom + 18, _clip(label, slot), anchor="middle", size=12)
        deals = "" if k in ("increased", "decreased") and not line.deals else str(line.deals)
        if deals:
            svg.text(cx, height - bottom + 34, f"{deals} deal" + ("" if deals == "1" else "s"),
                     anchor="middle", size=10, fill=MUTED)  # fmt: skip
    return svg.render()


def accuracy_chart(months: Sequence[Any], currency: str, locale: str, width: int = 920) -> str:
    """Per month: what was won (green) beside the weighted forecast made 8, 4 and 1 weeks
    before the month ended (light to dark blue); a missing forecast is a grey stub."""
    height, top, bottom, left, right = 300, 44, 50, 10, 10
    svg = Svg(width, height, "Forecast vs won per month", "chart-accuracy")
    n = max(len(months), 1)
    slot = (width - left - right) / n
    bar = min(slot / 5.2, 26)
    values: list[Decimal] = []
    for m in months:
        values.append(m.won)
        values += [p.weighted for p in m.points if p.weighted is not None]
    top_v = max(values + [Decimal(1)])
    area = height - top - bottom
    base_y = top + area
    svg.line(left, base_y, width - right, base_y, stroke=GREY)
    shades = {8: "#93c5fd", 4: BLUE, 1: BLUE_DARK}
    for i, m in enumerate(months):
        x0 = left + slot * i + (slot - 4 * bar - 6) / 2
        for j, p in enumerate(sorted(m.points, key=lambda p: -p.weeks)):
            x = x0 + j * (bar + 2)
            if p.weighted is None:
                svg.rect(x, base_y - 3, bar, 3, GREY_LIGHT, rx=1,
                         title=f"{m.month}: no forecast {p.weeks} weeks before")  # fmt: skip
                continue
            h = float(p.weighted / top_v) * area
            svg.rect(x, base_y - h, bar, h, shades.get(p.weeks, BLUE_LIGHT), rx=2,
                     title=f"{m.month}: forecast {p.weeks} weeks before "
                           f"{D.compact(p.weighted, currency, locale)}")  # fmt: skip
        x = x0 + 3 * (bar + 2) + 4
        h = float(m.won / top_v) * area
        svg.rect(x, base_y - h, bar, max(h, 1), GREEN, rx=2,
                 title=f"{m.month}: won {D.compact(m.won, currency, locale)}")  # fmt: skip
        svg.text(x + bar / 2, base_y - h - 5, _clip(D.compact(m.won, currency, locale), slot / 2),
                 anchor="middle", size=10, fill=INK)  # fmt: skip
        svg.text(left + slot * i + slot / 2, base_y + 17, m.month, anchor="middle", size=12)
        err = m.error_1w
        if err is not None:
            svg.text(left + slot * i + slot / 2, base_y + 33, f"1w error {err:+.0f}%",
                     anchor="middle", size=10, fill=RED if abs(err) > 25 else MUTED)  # fmt: skip
    ly = 14
    for k, (weeks, colour) in enumerate(((8, shades[8]), (4, shades[4]), (1, shades[1]))):
        svg.rect(left + k * 130, ly - 9, 12, 10, colour, rx=2)
        svg.text(left + k * 130 + 17, ly, f"forecast {weeks}w before", size=11, fill=MUTED)
    svg.rect(left + 3 * 130, ly - 9, 12, 10, GREEN, rx=2)
    svg.text(left + 3 * 130 + 17, ly, "won in the month", size=11, fill=MUTED)
    if not months:
        svg.text(width / 2, base_y - area / 2, "no month with forecast snapshots yet",
                 anchor="middle", fill=MUTED)  # fmt: skip
    return svg.render()
