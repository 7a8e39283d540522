"""The analytics report as terminal text: aligned tables with totals, at most 100 columns.

``render_text(report)`` joins one small function per section. Plain functions rather than a
template: every section is a table whose columns are sized to their content in terminal columns
(``core.display``), so the layout is computed, not written out; a template would only call
``table()`` and keep its whitespace exact by hand.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence

from salessheet.analytics import display as D
from salessheet.analytics.model import AnalyticsReport, Money, StageRef, StageTime
from salessheet.core.display import clip, ljust, rjust
from salessheet.core.display import width as columns
from salessheet.core.formatting import count

STALLED_ROWS = 20
OWNER_HEADERS = ("Owner", "Deals", "Open", "Open weighted", "Won", "Lost", "Win", "Cycle d (n)",
                 "Stalled")  # fmt: skip
BASIS_TEXT = {
    "ledger": "completed stays (ledger)",
    "current": "deals there now, so far",
    "none": "no entry dates",  # (the text says why: _basis)
}


def _basis(t: StageTime, runs: int) -> str:
    """What a stage's time figures rest on; for none, why: its deals have been there since
    before the first run (no entry date: a stage-date column gives them), or none is there."""
    if t.basis != "none":
        return BASIS_TEXT[t.basis]
    if t.unknown_entry and not runs:  # there is no first run yet to have entered before
        return f"{t.unknown_entry:,} there, no run yet"
    if t.unknown_entry:
        return f"{t.unknown_entry:,} entered before the first run"
    return "no deal there yet"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    aligns: str,
    *,
    total: Sequence[str] | None = None,
    max_widths: Sequence[int] | None = None,
    indent: str = "  ",
) -> list[str]:
    """Columns sized to their content (capped by max_widths), East Asian wide chars counted 2."""
    body = [list(r) for r in rows] + ([list(total)] if total else [])
    if max_widths:
        body = [[clip(c, w) for c, w in zip(r, max_widths, strict=True)] for r in body]
    widths = [columns(h) for h in headers]
    for r in body:
        widths = [max(w, columns(c)) for w, c in zip(widths, r, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            rjust(c, w) if a == ">" else ljust(c, w)
            for c, w, a in zip(cells, widths, aligns, strict=True)
        ]
        return (indent + "  ".join(parts)).rstrip()

    out = [line(headers), indent + "  ".join("─" * w for w in widths)]
    out += [line(r) for r in body[: len(rows)]]
    if total:
        out.append(indent + "  ".join("─" * w for w in widths))
        out.append(line(body[-1]))
    return out


class _Fmt:
    """The report's locale and currency, bound once for the section functions."""

    def __init__(self, r: AnalyticsReport):
        self.loc, self.cur, self.names = r.locale, r.currency, r.stage_names

    def money(self, m: Money) -> str:
        return D.money_compact(m, self.cur, self.loc)

    def stage(self, s: StageRef | None, both: bool = True) -> str:
        return D.stage_name(s, self.loc, both=both, names=self.names)


Section = Callable[[AnalyticsReport, _Fmt, int], list[str]]


def render_text(report: AnalyticsReport, width: int = 100) -> str:
    """The whole report, every line clipped to ``width`` terminal columns."""
    fmt = _Fmt(report)
    out: list[str] = []
    for section in SECTIONS:
        out += section(report, fmt, width)
    return "\n".join(clip(line, width) for line in out)


def _header(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    window = "all time"
    if r.since or r.until:
        a = r.since.isoformat() if r.since else "…"
        b = r.until.isoformat() if r.until else "…"
        window = f"{a} to {b}"
    h = r.history
    hist = (
        "no earlier run (history starts today)"
        if not h.runs
        else f"{D.n_of(h.runs, 'run')} since {h.first_run}"  # an ISO date
    )
    return [
        f"report: {r.source}",
        f"Sheet {r.sheet!r} · profile {r.profile} · today {r.today}",
        f"Window: {window} · ledger: {hist}",
        "",
    ]


def _summary(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    s = r.summary()
    wr = r.conversion.win_rate
    out = [
        "Summary",
        f"  {count(s['deals'], 'deal')} · {s['open']} open · won {wr.won} / lost {wr.lost} "
        f"(win rate {D.pct(wr.rate)} of {wr.closed} closed) · {s['stalled']} stalled now",
        f"  Open pipeline, weighted: {D.money_full(r.forecast.weighted, f.cur, f.loc)}",
    ]
    if r.forecast.weighted.missing:  # a pipeline of unpriced deals is not worth $0.00
        out.append(
            f"                           {r.forecast.weighted.missing} of {s['open']} open "
            "deals have no amount: counted, not summed"
        )
    b = r.bottleneck
    parts = []
    if b.worst_conversion:
        c = b.worst_conversion
        parts.append(
            f"lowest conversion {f.stage(c.stage)} "
            f"({D.pct(c.rate)} of {count(c.reached, 'deal')} move on)"
        )
    if b.longest_time:
        t = b.longest_time
        kind = (
            D.n_of(t.deals, "completed stay")
            if t.basis == "ledger"
            else D.n_of(t.deals, "deal") + " there now"
        )
        parts.append(f"longest {f.stage(t.stage)} (median {D.days(t.median)} days, {kind})")
    for i, part in enumerate(parts):
        out.append(("  Bottleneck: " if i == 0 else "              ") + part)
    return [*out, ""]


def _funnel(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    fu = r.funnel
    rows = [
        [
            f.stage(row.stage),
            str(row.deals),
            D.pct(row.deals / fu.deals if fu.deals else None),
            f.money(row.amount),
            f.money(row.weighted),
        ]
        for row in fu.rows
    ]
    total = ["Total", str(fu.deals), "100%" if fu.deals else "—", f.money(fu.amount),
             f.money(fu.weighted)]  # fmt: skip
    return [
        f"Funnel — {count(fu.deals, 'deal')}; {fu.probability.note}",
        *table(
            ["Stage", "Deals", "Share", "Amount", "Weighted"],
            rows,
            "<>>>>",
            total=total,
            max_widths=[24, 6, 5, 30, 30],
        ),
        "",
    ]


def _conversion(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    cv = r.conversion
    wr = cv.win_rate
    rows = [
        [
            f"{f.stage(c.stage)} → {f.stage(c.next_stage, both=False)}",
            str(c.reached),
            str(c.advanced),
            str(c.still_here),
            str(c.lost_here),
            D.pct(c.rate),
        ]
        for c in cv.rows
    ]
    out = [
        f"Conversion — {count(cv.deals, 'deal')} (share of deals at a stage that reached the next)"
    ]
    out += table(
        ["Stage → next", "Deals", "Moved on", "Still there", "Lost there", "Conversion"],
        rows,
        "<>>>>>",
        max_widths=[40, 6, 8, 11, 10, 10],
    )
    out.append(
        f"  Win rate (won / closed): {D.pct(wr.rate)} — {wr.won} won, {wr.lost} lost"
        if wr.closed
        else "  Win rate (won / closed): none yet — no deal won or lost"
    )
    if cv.note:
        out += _wrap("Note: " + cv.note, width, "  ")
    return [*out, ""]


def _time_in_stage(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    rows = [
        [
            f.stage(t.stage),
            str(t.deals) if t.basis != "none" else "—",
            D.days(t.median),
            D.days(t.p90),
            _basis(t, r.history.runs),
        ]
        for t in r.time_in_stage
    ]
    return [
        "Time in stage (days)",
        *table(
            ["Stage", "Deals", "Median", "p90", "Based on"],
            rows,
            "<>>><",
            max_widths=[24, 6, 6, 5, 34],
        ),
        "",
    ]


def _forecast(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    fc = r.forecast
    rate_note = ""
    if fc.rates:
        rate_note = f", in {fc.rates['base']} at rates as of {fc.rates['as_of']}"
    rows = [
        [D.bucket_label(bk.key, f.loc), str(bk.deals), f.money(bk.amount), f.money(bk.weighted)]
        for bk in fc.buckets
    ]
    total_amount = _sum_money([bk.amount for bk in fc.buckets])
    return [
        f"Forecast — {count(fc.deals, 'open deal')} by expected close month{rate_note}",
        *table(
            ["Expected close", "Deals", "Amount", "Weighted"],
            rows,
            "<>>>",
            total=["Total", str(fc.deals), f.money(total_amount), f.money(fc.weighted)],
            max_widths=[16, 6, 34, 34],
        ),
        "",
    ]


def _accuracy(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    acc = r.accuracy
    if acc is None:
        return []
    out = [f"Forecast accuracy — weighted forecast vs won per month ({acc.currency})"]
    if acc.months:
        rows = []
        for m in acc.months:
            cells = [m.month, D.compact(m.won, acc.currency, f.loc) + f" ({m.won_deals})"]
            for p in sorted(m.points, key=lambda p: -p.weeks):
                if p.weighted is None:
                    cells.append("—")
                    continue
                err = p.error(m.won)
                shown = D.compact(p.weighted, acc.currency, f.loc)
                cells.append(shown + (f" ({err:+.0f}%)" if err is not None else ""))
            rows.append(cells)
        out += table(
            ["Month", "Won (deals)", "8 weeks before", "4 weeks before", "1 week before"],
            rows,
            "<>>>>",
        )
        out += [f"  {m.month}: {m.note}" for m in acc.months if m.note]
    for note in acc.notes:
        out += _wrap(note, width, "  ")
    return out + [""]


def _owners(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    wr = r.conversion.win_rate
    rows = [
        [
            o.owner or "(no owner)",
            str(o.deals),
            str(o.open),
            f.money(o.weighted),
            str(o.won),
            str(o.lost),
            D.pct(o.win_rate),
            D.days(o.cycle_median) + (f" ({len(o.cycle_days)})" if o.cycle_days else ""),
            str(o.stalled),
        ]
        for o in r.owners
    ]
    total = [
        "Total",
        str(sum(o.deals for o in r.owners)),
        str(sum(o.open for o in r.owners)),
        f.money(r.forecast.weighted),
        str(wr.won),
        str(wr.lost),
        D.pct(wr.rate),
        "",
        str(sum(o.stalled for o in r.owners)),
    ]
    out = ["Per owner"]
    out += table(
        OWNER_HEADERS,
        rows,
        "<>>>>>>>>",
        total=total,
        max_widths=[18, 6, 5, 26, 5, 5, 5, 12, 7],
    )
    if not any(o.cycle_days for o in r.owners):
        out.append(
            "  Cycle length needs created dates, or deals first seen open and won in a later run."
        )
    return [*out, ""]


def _stalled(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    out = [f"Stalled deals now — {len(r.stalled)}"]
    if not r.stalled:
        return [*out, "  None.", ""]
    rows = [
        [
            sd.deal_id,
            sd.owner or "—",
            sd.stage_label or f.stage(sd.stage, both=False),
            D.days(sd.days),
            D.days(sd.threshold),
            "" if sd.amount is None else D.compact(sd.amount, sd.currency, f.loc),
            sd.customer or "",
        ]
        for sd in r.stalled[:STALLED_ROWS]
    ]
    out += table(
        ["Deal", "Owner", "Stage", "Days", "Limit", "Amount", "Customer"],
        rows,
        "<<<>>><",
        # a whole id (Salesforce: 18 characters) before the customer: clipped to 12, three
        # deals of one org all read 0068a00001M…
        max_widths=[20, 18, 12, 5, 5, 12, 18],
    )
    if len(r.stalled) > STALLED_ROWS:
        out.append(f"  … and {len(r.stalled) - STALLED_ROWS} more (salessheet stalled lists all)")
    return [*out, ""]


def _close_dates(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    sl = r.slips
    out = [
        "Close dates",
        f"  {sl.close_date_passed} of {count(sl.open_deals, 'open deal')} "
        "are past their expected close"
        + (
            f"; {sl.close_date_unknown} {'has' if sl.close_date_unknown == 1 else 'have'} none"
            if sl.close_date_unknown
            else ""
        ),
    ]
    if not sl.available:
        return [*out, f"  Slips: {sl.note}", ""]
    out.append(
        f"  Expected close pushed back: {D.n_of(sl.deals_slipped, 'open deal')}, "
        f"{count(sl.total_slips, 'push', 'pushes')} "
        f"in all, over {D.n_of(sl.runs, 'run')} and today's sheet"
    )
    for t in sl.top[:5]:
        out.append(f"    {t['deal_id']:<12} {ljust(t['owner'] or '—', 16)} "
                   f"{t['slips']}× → {t['expected_close'] or '—'}")  # fmt: skip
    return [*out, ""]


def _lost_reasons(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    lr = r.lost_reasons
    out = [f"Lost reasons — {count(lr.deals, 'lost deal')}"]
    if lr.reasons or lr.without_reason:
        rows = [[reason, str(n), D.pct(n / lr.deals)] for reason, n in lr.reasons]
        if lr.without_reason:
            rows.append(["(no reason given)", str(lr.without_reason),
                         D.pct(lr.without_reason / lr.deals)])  # fmt: skip
        out += table(["Reason", "Deals", "Share"], rows, "<>>", max_widths=[60, 6, 5])
    return [*out, ""]


def _notes(r: AnalyticsReport, f: _Fmt, width: int) -> list[str]:
    out = ["Notes"]
    for n in r.notes:
        out += _wrap("- " + n, width, "  ", "    ")
    if any(m.unpriced for m in _all_money(r)):
        out += _wrap("- * some deals have no exchange rate: counted, not priced.", width, "  ")
    return out


SECTIONS: tuple[Section, ...] = (
    _header,
    _summary,
    _funnel,
    _conversion,
    _time_in_stage,
    _forecast,
    _accuracy,
    _owners,
    _stalled,
    _close_dates,
    _lost_reasons,
    _notes,
)


def _wrap(text: str, width: int, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(
        text, width=width, initial_indent=first, subsequent_indent=rest or first
    ) or [first]


def _sum_money(items: Sequence[Money]) -> Money:
    out = Money()
    for m in items:
        for k, v in m.by_currency.items():
            out.by_currency[k] = out.by_currency.get(k, 0) + v
        if m.converted is not None:
            out.converted = (out.converted or 0) + m.converted
            out.base = m.base
        out.unpriced += m.unpriced
        out.missing += m.missing
    return out


def _all_money(r: AnalyticsReport) -> list[Money]:
    ms = [r.funnel.amount, r.funnel.weighted, r.forecast.weighted]
    ms += [b.weighted for b in r.forecast.buckets]
    return ms
