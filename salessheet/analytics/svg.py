"""Inline SVG charts for the HTML report: plain strings, no scripts, fonts from the page's CSS.

Colours carry meaning everywhere: blue = open pipeline, green = won, red = lost or the
bottleneck, amber = slow / stalled / overdue, grey = not enough data.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from salessheet.analytics import display as D
from salessheet.analytics.model import AnalyticsReport, Money, StageRef
from salessheet.core.display import width as columns

BLUE = "#2563eb"
BLUE_DARK = "#1e3a8a"
BLUE_LIGHT = "#dbeafe"
GREEN = "#16a34a"
GREEN_LIGHT = "#dcfce7"
RED = "#dc2626"
RED_LIGHT = "#fee2e2"
AMBER = "#d97706"
AMBER_LIGHT = "#fde68a"
GREY = "#9ca3af"
GREY_LIGHT = "#f3f4f6"
INK = "#111827"
MUTED = "#6b7280"
GRID = "#e5e7eb"

FS = 13  # font size of labels


def text_width(text: str, size: float = FS) -> float:
    """Rough rendered width: wide (CJK) characters 1 em, others about 0.58 em."""
    return sum(size if columns(ch) == 2 else size * 0.58 for ch in text)


class Svg:
    def __init__(self, width: int, height: int, title: str, ident: str):
        self.w, self.h = width, height
        self.title, self.ident = title, ident
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str, *, rx: float = 3,
             title: str | None = None, extra: str = "") -> None:  # fmt: skip
        w = max(w, 0)
        tip = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}" '
            f'fill="{fill}"{extra}>{tip}</rect>'
        )

    def text(self, x: float, y: float, text: str, *, anchor: str = "start", size: float = FS,
             fill: str = INK, weight: str = "normal") -> None:  # fmt: skip
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{fill}" font-weight="{weight}">{escape(text)}</text>'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = GRID,
             dash: str | None = None) -> None:  # fmt: skip
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{stroke}" stroke-width="1"{d}/>'
        )

    def render(self) -> str:
        return (
            f'<svg id="{self.ident}" class="chart" '
            f'viewBox="0 0 {self.w} {self.h}" width="100%" role="img" '
            f'aria-label="{escape(self.title)}"><title>{escape(self.title)}</title>'
            + "".join(self.parts)
            + "</svg>"
        )


def _label_col(labels: Sequence[str], lo: int = 90, hi: int = 190) -> float:
    return min(max([text_width(t) for t in labels] + [lo]) + 12, hi)


def _clip(text: str, px: float) -> str:
    if text_width(text) <= px:
        return text
    while text and text_width(text + "…") > px:
        text = text[:-1]
    return text + "…"


def _stage_label(s: StageRef, loc: str, names: dict[str, str] | None = None) -> str:
    return D.stage_name(s, loc, names=names)


def funnel_chart(r: AnalyticsReport, width: int = 560) -> str:
    loc = r.locale
    rows = r.funnel.rows
    row_h, gap, top = 30, 6, 8
    lost_gap = 12
    height = top + len(rows) * (row_h + gap) + lost_gap + 4
    svg = Svg(width, height, "Funnel: deals per stage", "chart-funnel")
    labels = [_stage_label(x.stage, loc, r.stage_names) for x in rows]
    lx = _label_col(labels)
    value_w = 118
    area = width - lx - value_w - 8
    top_n = max([x.deals for x in rows] + [1])
    open_rows = [x for x in rows if x.stage.outcome == "open"]
    y = top
    for i, x in enumerate(rows):
        if x.stage.outcome == "lost":
            y += lost_gap
            svg.line(lx, y - lost_gap / 2 - 3, width - 4, y - lost_gap / 2 - 3, dash="3 3")
        if x.stage.outcome == "won":
            fill = GREEN
        elif x.stage.outcome == "lost":
            fill = RED
        else:
            # open stages darken as deals progress
            k = open_rows.index(x) / max(len(open_rows) - 1, 1)
            fill = _mix("#93c5fd", BLUE_DARK, k)
        w = area * x.deals / top_n if x.deals else 0
        cx = lx + area / 2
        svg.rect(cx - area / 2, y, area, row_h, GREY_LIGHT, rx=4)
        money = _primary_compact(x.amount, r)
        svg.rect(
            cx - w / 2, y, max(w, 2 if x.deals else 0), row_h, fill, rx=4,
            title=f"{labels[i]}: {D.n_of(x.deals, 'deal')}, {money}",
        )  # fmt: skip
        svg.text(lx - 10, y + row_h / 2 + 4.5, labels[i], anchor="end")
        count_fill = "#ffffff" if w > 34 else INK
        svg.text(cx, y + row_h / 2 + 4.5, str(x.deals), anchor="middle", fill=count_fill,
                 weight="bold")  # fmt: skip
        svg.text(width - 4, y + row_h / 2 + 4.5, _clip(money, value_w - 6), anchor="end",
                 fill=MUTED, size=12)  # fmt: skip
        y += row_h + gap
    return svg.render()


def conversion_chart(r: AnalyticsReport, width: int = 560) -> str:
    loc = r.locale
    conv = r.conversion
    worst = r.bottleneck.worst_conversion
    rows = list(conv.rows)
    labels = [
        f"{D.stage_name(c.stage, loc, both=False, names=r.stage_names)} → "
        f"{D.stage_name(c.next_stage, loc, both=False, names=r.stage_names)}"
        for c in rows
    ] + ["Win rate 赢单率" if D.is_zh(loc) else "Win rate (won / closed)"]
    row_h, gap, top = 24, 10, 22
    height = top + len(labels) * (row_h + gap) + 6
    svg = Svg(width, height, "Conversion per stage", "chart-conversion")
    lx = _label_col(labels, hi=210)
    value_w = 104
    area = width - lx - value_w
    for pct in (0, 25, 50, 75, 100):
        x = lx + area * pct / 100
        svg.line(x, top - 6, x, height - 4)
        svg.text(x, top - 10, f"{pct}%", anchor="middle", size=10, fill=MUTED)
    y = top
    items = [(c.rate, c.advanced, c.reached, c is worst) for c in rows]
    wr = conv.win_rate
    items.append((wr.rate, wr.won, wr.closed, False))
    for i, (rate, num, den, is_worst) in enumerate(items):
        last = i == len(items) - 1
        fill = GREEN if last else (RED if is_worst else BLUE)
        svg.rect(lx, y, area, row_h, GREY_LIGHT)
        if rate is not None:
            svg.rect(lx, y, area * rate, row_h, fill,
                     title=f"{labels[i]}: {num} of {D.n_of(den, 'deal')}")  # fmt: skip
        svg.text(lx - 10, y + row_h / 2 + 4.5, labels[i], anchor="end",
                 weight="bold" if is_worst or last else "normal")  # fmt: skip
        value = f"{D.pct(rate)}  {num}/{den}" if rate is not None else "no deals"
        weight = "bold" if is_worst else "normal"
        svg.text(lx + area + 8, y + row_h / 2 + 4.5, value, fill=RED if is_worst else INK,
                 weight=weight)  # fmt: skip
        y += row_h + gap
    return svg.render()


def time_chart(r: AnalyticsReport, width: int = 560) -> str:
    loc = r.locale
    times = r.time_in_stage
    longest = r.bottleneck.longest_time
    labels = [_stage_label(t.stage, loc, r.stage_names) for t in times]
    row_h, gap, top = 22, 12, 24
    height = top + len(times) * (row_h + gap) + 26
    svg = Svg(width, height, "Time in stage: median and p90 days", "chart-time")
    lx = _label_col(labels)
    value_w = 142
    area = width - lx - value_w
    top_days = max([t.p90 or 0 for t in times] + [t.median or 0 for t in times] + [1])
    scale = area / top_days
    ticks = _ticks(top_days)
    for tick in ticks:
        x = lx + tick * scale
        svg.line(x, top - 6, x, height - 30)
        svg.text(x, top - 10, f"{tick}d", anchor="middle", size=10, fill=MUTED)
    y = top
    for i, t in enumerate(times):
        svg.text(lx - 10, y + row_h / 2 + 4.5, labels[i], anchor="end")
        if t.basis == "none" or t.median is None:
            svg.rect(lx, y, area, row_h, GREY_LIGHT)
            svg.text(lx + 8, y + row_h / 2 + 4.5, "needs 2+ runs or stage dates", fill=MUTED,
                     size=12)  # fmt: skip
            y += row_h + gap
            continue
        slow = longest is t
        solid = AMBER if slow else BLUE
        light = AMBER_LIGHT if slow else "#bfdbfe"
        tip = f"{labels[i]}: median {D.days(t.median)} d, p90 {t.p90} d, {D.n_of(t.deals, 'deal')}"
        svg.rect(lx, y, (t.p90 or 0) * scale, row_h, light, title=tip)
        svg.rect(lx, y + 4, float(t.median) * scale, row_h - 8, solid, rx=2, title=tip)
        mark = "" if t.basis == "ledger" else " *"
        svg.text(lx + area + 8, y + row_h / 2 + 4.5,
                 f"{D.days(t.median)}d · p90 {t.p90} · n={t.deals}{mark}",
                 fill=AMBER if slow else INK, weight="bold" if slow else "normal")  # fmt: skip
        y += row_h + gap
    # legend
    ly = height - 12
    svg.rect(lx, ly - 10, 14, 10, BLUE, rx=2)
    svg.text(lx + 20, ly, "median", size=11, fill=MUTED)
    svg.rect(lx + 80, ly - 10, 14, 10, "#bfdbfe", rx=2)
    svg.text(lx + 100, ly, "p90", size=11, fill=MUTED)
    if any(t.basis == "current" for t in times):
        svg.text(lx + 140, ly, "* so far: deals now in the stage", size=11, fill=MUTED)
    return svg.render()


def forecast_chart(r: AnalyticsReport, width: int = 560) -> str:
    loc, cur = r.locale, r.currency
    buckets = r.forecast.buckets
    height = 262
    top, bottom, left, right = 46, 52, 8, 8
    svg = Svg(width, height, "Forecast: weighted amount by expected close month", "chart-forecast")
    n = len(buckets)
    slot = (width - left - right) / n
    bar_w = min(slot * 0.62, 46)
    amounts = [b.amount.primary(cur) for b in buckets]
    weights = [b.weighted.primary(cur) for b in buckets]
    by_count = not any(weights) and any(b.deals for b in buckets)
    if by_count:  # no amounts on open deals: show how many deals close when
        amounts = weights = [Decimal(b.deals) for b in buckets]
    top_v = max(amounts + weights + [Decimal(1)])
    area_h = height - top - bottom
    base_y = top + area_h
    svg.line(left, base_y, width - right, base_y, stroke=GREY)
    for i, b in enumerate(buckets):
        cx = left + slot * i + slot / 2
        ah = float(amounts[i] / top_v) * area_h
        wh = float(weights[i] / top_v) * area_h
        special = b.key in ("overdue", "no-date")
        light = RED_LIGHT if b.key == "overdue" else (GREY_LIGHT if special else BLUE_LIGHT)
        solid = RED if b.key == "overdue" else (GREY if b.key == "no-date" else BLUE)
        label = D.bucket_label(b.key, loc)
        tip = (
            f"{label}: {D.n_of(b.deals, 'deal')}, weighted {D.money_compact(b.weighted, cur, loc)} "
            f"of {D.money_compact(b.amount, cur, loc)}"
        )
        svg.rect(cx - bar_w / 2, base_y - ah, bar_w, ah, light, rx=2, title=tip)
        svg.rect(cx - bar_w / 2 + 5, base_y - wh, bar_w - 10, wh, solid, rx=2, title=tip)
        if b.deals:
            value = str(b.deals) if by_count else D.compact(weights[i], _primary_currency(r), loc)
            svg.text(cx, base_y - wh - 6, _clip(value, slot), anchor="middle", size=11,
                     weight="bold")  # fmt: skip
        short = label.split(" ")[0] if D.is_zh(loc) else label
        if D.is_zh(loc) and b.key[:1].isdigit():
            short = f"{int(b.key[5:])}月"
            if b.key.endswith("-01") or i == 1:
                short = f"{b.key[2:4]}年{short}"
        svg.text(cx, base_y + 17, _clip(short, slot), anchor="middle", size=12)
        svg.text(
            cx,
            base_y + 33,
            f"{b.deals} deal" + ("" if b.deals == 1 else "s"),
            anchor="middle",
            size=10,
            fill=MUTED,
        )
    ly = 12
    if by_count:
        svg.text(left, ly, "No amounts on open deals: bars count deals", size=11, fill=MUTED)
        return svg.render()
    svg.rect(left, ly - 9, 12, 10, BLUE, rx=2)
    svg.text(left + 17, ly, "weighted", size=11, fill=MUTED)
    svg.rect(left + 80, ly - 9, 12, 10, BLUE_LIGHT, rx=2)
    svg.text(left + 97, ly, "full amount", size=11, fill=MUTED)
    svg.rect(left + 175, ly - 9, 12, 10, RED, rx=2)
    svg.text(left + 192, ly, "past expected close", size=11, fill=MUTED)
    return svg.render()


def owners_chart(r: AnalyticsReport, width: int = 1100, limit: int = 20) -> str:
    loc, cur = r.locale, r.currency
    rows = r.owners[:limit]
    labels = [o.owner or "(no owner)" for o in rows]
    row_h, gap, top = 22, 8, 34
    height = top + len(rows) * (row_h + gap) + 8
    svg = Svg(width, height, "Per owner: open weighted pipeline and won/lost", "chart-owners")
    lx = _label_col(labels, hi=170)
    left_w = (width - lx) * 0.55
    right_x = lx + left_w + 40
    right_w = width - right_x - 130
    values = [o.weighted.primary(cur) for o in rows]
    by_count = not any(values)  # no amounts: bars count open deals
    if by_count:
        values = [Decimal(o.open) for o in rows]
    top_v = max(values + [Decimal(1)])
    top_closed = max([o.won + o.lost for o in rows] + [1])
    head = "Open deals (no amounts to weigh)" if by_count else "Open pipeline, weighted"
    svg.text(lx, 14, head, size=12, fill=MUTED, weight="bold")
    svg.text(right_x, 14, "Closed: won / lost · win rate", size=12, fill=MUTED, weight="bold")
    y = top
    for i, o in enumerate(rows):
        svg.text(lx - 10, y + row_h / 2 + 4.5, _clip(labels[i], lx - 14), anchor="end")
        v = values[i]
        w = float(v / top_v) * (left_w - 230)
        svg.rect(lx, y, w, row_h, BLUE,
                 title=f"{labels[i]}: {D.n_of(o.open, 'open deal')}, weighted "
                       f"{D.money_full(o.weighted, cur, loc)}")  # fmt: skip
        svg.text(lx + w + 6, y + row_h / 2 + 4.5,
                 f"{o.open} open" if by_count else
                 f"{D.compact(v, _primary_currency(r), loc)} · {o.open} open", size=12)  # fmt: skip
        if o.stalled:
            svg.rect(lx + left_w - 92, y + 2, 88, row_h - 4, AMBER_LIGHT, rx=9)
            svg.text(lx + left_w - 48, y + row_h / 2 + 4, f"{o.stalled} stalled", anchor="middle",
                     size=11, fill="#92400e", weight="bold")  # fmt: skip
        ww = right_w * o.won / top_closed
        lw = right_w * o.lost / top_closed
        svg.rect(right_x, y, ww, row_h, GREEN, rx=2, title=f"{labels[i]}: {o.won} won")
        svg.rect(right_x + ww, y, lw, row_h, RED, rx=2, title=f"{labels[i]}: {o.lost} lost")
        svg.text(right_x + ww + lw + 6, y + row_h / 2 + 4.5,
                 f"{o.won}/{o.lost} · {D.pct(o.win_rate)}", size=12)  # fmt: skip
        y += row_h + gap
    return svg.render()


def _primary_compact(m: Money, r: AnalyticsReport) -> str:
    """The charted amount (converted, else the profile currency), ``+`` if others exist."""
    cur = _primary_currency(r)
    text = D.compact(m.primary(r.currency), cur, r.locale)
    if m.converted is None and any(c != r.currency for c in m.by_currency):
        text += " +"
    return text + ("*" if m.unpriced else "")


def _primary_currency(r: AnalyticsReport) -> str:
    return r.forecast.weighted.base or r.currency


def _ticks(top: float) -> list[int]:
    for step in (1, 2, 5, 7, 10, 14, 30, 60, 90, 180, 365):
        if top / step <= 6:
            return list(range(0, int(top) + 1, step))
    return [0]


def _mix(a: str, b: str, k: float) -> str:
    ca = [int(a[i : i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * k):02x}" for x, y in zip(ca, cb, strict=True))
