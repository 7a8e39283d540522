"""The analytics report as terminal text: aligned tables with totals, at most 100 columns."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from salessheet.analytics import display as D
from salessheet.analytics.model import AnalyticsReport, Money

STALLED_ROWS = 20


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
        body = [[D.clip(c, w) for c, w in zip(r, max_widths, strict=True)] for r in body]
    widths = [D.width(h) for h in headers]
    for r in body:
        widths = [max(w, D.width(c)) for w, c in zip(widths, r, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [D.pad(c, w, a) for c, w, a in zip(cells, widths, aligns, strict=True)]
        return (indent + "  ".join(parts)).rstrip()

    out = [line(headers), indent + "  ".join("─" * w for w in widths)]
    out += [line(r) for r in body[: len(rows)]]
    if total:
        out.append(indent + "  ".join("─" * w for w in widths))
        out.append(line(body[-1]))
    return out


def render_text(r: AnalyticsReport, width: int = 100) -> str:
    loc, cur = r.locale, r.currency

    def money(m: Money) -> str:
        return D.money_compact(m, cur, loc)

    def stage(s) -> str:  # noqa: ANN001
        return D.stage_name(s, loc)

    out: list[str] = []
    window = "all time"
    if r.since or r.until:
        a = r.since.isoformat() if r.since else "…"
        b = r.until.isoformat() if r.until else "…"
        window = f"{a} to {b}"
    h = r.history
    hist = (
        "no earlier run (history starts today)"
        if not h.runs
        else f"{h.runs} runs since {h.first_run.isoformat()}"  # type: ignore[union-attr]
    )
    out.append(f"report: {r.source}")
    out.append(f"Sheet {r.sheet!r} · profile {r.profile} · today {r.today}")
    out.append(f"Window: {window} · ledger: {hist}")
    out.append("")

    s = r.summary()
    wr = r.conversion.win_rate
    out.append("Summary")
    out.append(
        f"  {s['deals']} deals · {s['open']} open · won {wr.won} / lost {wr.lost} "
        f"(win rate {D.pct(wr.rate)} of {wr.closed} closed) · {s['stalled']} stalled now"
    )
    out.append(f"  Open pipeline, weighted: {D.money_full(r.forecast.weighted, cur, loc)}")
    b = r.bottleneck
    parts = []
    if b.worst_conversion:
        c = b.worst_conversion
        parts.append(
            f"lowest conversion {stage(c.stage)} ({D.pct(c.rate)} of {c.reached} deals move on)"
        )
    if b.longest_time:
        t = b.longest_time
        kind = (
            D.n_of(t.deals, "completed stay")
            if t.basis == "ledger"
            else D.n_of(t.deals, "deal") + " there now"
        )
        parts.append(f"longest {stage(t.stage)} (median {D.days(t.median)} days, {kind})")
    for i, part in enumerate(parts):
        out.append(("  Bottleneck: " if i == 0 else "              ") + part)
    out.append("")

    # Funnel
    f = r.funnel
    out.append(f"Funnel — {f.deals} deals; {f.probability.note}")
    rows = [
        [
            stage(row.stage),
            str(row.deals),
            D.pct(row.deals / f.deals if f.deals else None),
            money(row.amount),
            money(row.weighted),
        ]
        for row in f.rows
    ]
    out += table(
        ["Stage", "Deals", "Share", "Amount", "Weighted"],
        rows,
        "<>>>>",
        total=[
            "Total",
            str(f.deals),
            "100%" if f.deals else "—",
            money(f.amount),
            money(f.weighted),
        ],  # fmt: skip
        max_widths=[24, 6, 5, 30, 30],
    )
    out.append("")

    # Conversion
    cv = r.conversion
    out.append(f"Conversion — {cv.deals} deals (share of deals at a stage that reached the next)")
    rows = [
        [
            f"{stage(c.stage)} → {D.stage_name(c.next_stage, loc, both=False)}",
            str(c.reached),
            str(c.advanced),
            str(c.still_here),
            str(c.lost_here),
            D.pct(c.rate),
        ]
        for c in cv.rows
    ]
    out += table(
        ["Stage → next", "Deals", "Moved on", "Still there", "Lost there", "Conversion"],
        rows,
        "<>>>>>",
        max_widths=[40, 6, 8, 11, 10, 10],
    )
    out.append(f"  Win rate (won / closed): {D.pct(wr.rate)} — {wr.won} won, {wr.lost} lost")
    if cv.note:
        out += _wrap("Note: " + cv.note, width, "  ")
    out.append("")

    # Time in stage
    out.append("Time in stage (days)")
    basis_text = {
        "ledger": "completed stays (ledger)",
        "current": "deals there now, so far",
        "none": "no entry dates — needs 2+ runs",
    }
    rows = [
        [
            stage(t.stage),
            str(t.deals) if t.basis != "none" else "—",
            D.days(t.median),
            D.days(t.p90),
            basis_text[t.basis],
        ]
        for t in r.time_in_stage
    ]
    out += table(
        ["Stage", "Deals", "Median", "p90", "Based on"],
        rows,
        "<>>><",
        max_widths=[24, 6, 6, 5, 34],
    )
    out.append("")

    # Forecast
    fc = r.forecast
    rate_note = ""
    if fc.rates:
        rate_note = f", in {fc.rates['base']} at rates as of {fc.rates['as_of']}"
    out.append(f"Forecast — {fc.deals} open deals by expected close month{rate_note}")
    rows = [
        [D.bucket_label(bk.key, loc), str(bk.deals), money(bk.amount), money(bk.weighted)]
        for bk in fc.buckets
    ]
    total_amount = _sum_money([bk.amount for bk in fc.buckets])
    out += table(
        ["Expected close", "Deals", "Amount", "Weighted"],
        rows,
        "<>>>",
        total=["Total", str(fc.deals), money(total_amount), money(fc.weighted)],
        max_widths=[16, 6, 34, 34],
    )
    out.append("")

    # Owners
    out.append("Per owner")
    rows = [
        [
            o.owner or "(no owner)",
            str(o.deals),
            str(o.open),
            money(o.weighted),
            str(o.won),
            str(o.lost),
            D.pct(o.win_rate),
            D.days(o.cycle_median) + (f" ({len(o.cycle_days)})" if o.cycle_days else ""),
            str(o.stalled),
        ]
        for o in r.owners
    ]
    tot = [
        "Total",
        str(sum(o.deals for o in r.owners)),
        str(sum(o.open for o in r.owners)),
        money(r.forecast.weighted),
        str(wr.won),
        str(wr.lost),
        D.pct(wr.rate),
        "",
        str(sum(o.stalled for o in r.owners)),
    ]
    out += table(
        [
            "Owner",
            "Deals",
            "Open",
            "Open weighted",
            "Won",
            "Lost",
            "Win",
            "Cycle d (n)",
            "Stalled",
        ],  # fmt: skip
        rows,
        "<>>>>>>>>",
        total=tot,
        max_widths=[18, 6, 5, 26, 5, 5, 5, 12, 7],
    )
    if not any(o.cycle_days for o in r.owners):
        out.append(
            "  Cycle length needs created dates, or deals first seen open and won in a later run."
        )
    out.append("")

    # Stalled
    out.append(f"Stalled deals now — {len(r.stalled)}")
    if r.stalled:
        rows = [
            [
                sd.deal_id,
                sd.owner or "—",
                D.stage_name(sd.stage, loc, both=False),
                D.days(sd.days),
                D.days(sd.threshold),
                "" if sd.amount is None else D.compact(sd.amount, sd.currency, loc),
                sd.customer or "",
            ]
            for sd in r.stalled[:STALLED_ROWS]
        ]
        out += table(
            ["Deal", "Owner", "Stage", "Days", "Limit", "Amount", "Customer"],
            rows,
            "<<<>>><",
            max_widths=[12, 16, 12, 5, 5, 12, 26],
        )
        if len(r.stalled) > STALLED_ROWS:
            out.append(
                f"  … and {len(r.stalled) - STALLED_ROWS} more (salessheet stalled lists all)"
            )
    else:
        out.append("  None.")
    out.append("")

    # Slips and lost reasons
    sl = r.slips
    out.append("Close dates")
    out.append(
        f"  {sl.close_date_passed} of {sl.open_deals} open deals are past their expected close"
    )
    if sl.available:
        out.append(
            f"  Expected close pushed back: {D.n_of(sl.deals_slipped, 'open deal')}, "
            f"{sl.total_slips} push{'' if sl.total_slips == 1 else 'es'} "
            f"in all, over {sl.runs + 1} runs"
        )
        for t in sl.top[:5]:
            out.append(f"    {t['deal_id']:<12} {D.pad(D.clip(t['owner'] or '—', 16), 16)} "
                       f"{t['slips']}× → {t['expected_close'] or '—'}")  # fmt: skip
    else:
        out.append(f"  Slips: {sl.note}")
    out.append("")
    lr = r.lost_reasons
    out.append(f"Lost reasons — {lr.deals} lost deals")
    if lr.reasons or lr.without_reason:
        rows = [[reason, str(n), D.pct(n / lr.deals)] for reason, n in lr.reasons]
        if lr.without_reason:
            rows.append(["(no reason given)", str(lr.without_reason),
                         D.pct(lr.without_reason / lr.deals)])  # fmt: skip
        out += table(["Reason", "Deals", "Share"], rows, "<>>", max_widths=[60, 6, 5])
    out.append("")

    out.append("Notes")
    for n in r.notes:
        out += _wrap("- " + n, width, "  ", "    ")
    if any(m.unpriced for m in _all_money(r)):
        out += _wrap("- * some deals have no exchange rate: counted, not priced.", width, "  ")
    return "\n".join(D.clip(line, width) for line in out)


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
