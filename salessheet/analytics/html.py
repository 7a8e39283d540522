"""The analytics report as one self-contained HTML page (inline CSS and SVG; no scripts, no web
fonts, no external references), so it opens offline and survives being e-mailed."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from salessheet.analytics import display as D
from salessheet.analytics import svg as S
from salessheet.analytics.model import AnalyticsReport, Money
from salessheet.core.formatting import format_money

STALLED_ROWS = 50

FONTS = (
    '-apple-system, "Segoe UI", "Noto Sans", "Helvetica Neue", Arial, "Noto Sans CJK SC", '
    '"Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
    '"WenQuanYi Zen Hei", sans-serif'
)

CSS = """
:root { --ink:#111827; --muted:#6b7280; --rule:#e5e7eb; --accent:#1f3a5f; --blue:#2563eb;
  --green:#16a34a; --red:#dc2626; --amber:#d97706; --bg:#f3f5f8; }
* { box-sizing:border-box; }
html { background:var(--bg); }
body { margin:0 auto; max-width:1180px; padding:28px 32px 40px; color:var(--ink);
  font-family:FONTS; font-size:14px; line-height:1.45; -webkit-font-smoothing:antialiased; }
header.top { display:flex; justify-content:space-between; align-items:flex-end; gap:24px;
  border-bottom:3px solid var(--accent); padding-bottom:14px; margin-bottom:18px; }
h1 { margin:0; font-size:26px; letter-spacing:-0.01em; color:var(--accent); }
h1 small { font-weight:400; color:var(--muted); font-size:17px; margin-left:8px; }
.meta { color:var(--muted); font-size:12.5px; text-align:right; line-height:1.5; }
.kpis { display:grid; grid-template-columns:repeat(5, 1fr); gap:12px; margin:0 0 14px; }
.kpi { background:#fff; border-radius:10px; padding:12px 14px 11px;
  border-top:4px solid var(--blue); box-shadow:0 1px 2px rgba(16,24,40,.06); }
.kpi.won { border-top-color:var(--green); } .kpi.warn { border-top-color:var(--amber); }
.kpi.bad { border-top-color:var(--red); } .kpi.navy { border-top-color:var(--accent); }
.kpi .label { font-size:11.5px; color:var(--muted); text-transform:uppercase;
  letter-spacing:.04em; }
.kpi .value { font-size:25px; font-weight:700; margin:2px 0 1px; white-space:nowrap;
  overflow:hidden; text-overflow:ellipsis; }
.kpi .sub { font-size:12px; color:var(--muted); }
.headline { background:#fff; border-left:4px solid var(--accent); border-radius:6px;
  padding:12px 16px; margin:0 0 18px; font-size:15px; box-shadow:0 1px 2px rgba(16,24,40,.06); }
.headline b.bad { color:var(--red); } .headline b.warn { color:var(--amber); }
.headline b.good { color:var(--green); }
.grid { display:grid; grid-template-columns:1fr 1fr; gap:16px; margin-bottom:16px; }
.card { background:#fff; border-radius:10px; padding:16px 18px 14px;
  box-shadow:0 1px 2px rgba(16,24,40,.06); break-inside:avoid; }
.card.full { margin-bottom:16px; }
.card h2 { margin:0; font-size:16px; }
.card h2 .zh { color:var(--muted); font-weight:400; margin-left:6px; }
.card .basis { color:var(--muted); font-size:12px; margin:2px 0 10px; }
.card .foot { color:var(--muted); font-size:12px; margin-top:8px; }
svg.chart { display:block; overflow:visible; font-family:FONTS; }
table { width:100%; border-collapse:collapse; font-size:13px; }
th { text-align:left; font-weight:600; color:var(--muted); font-size:11.5px;
  text-transform:uppercase; letter-spacing:.03em; border-bottom:1px solid var(--rule);
  padding:6px 8px; }
td { border-bottom:1px solid var(--rule); padding:6px 8px; vertical-align:top; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tr.total td { font-weight:700; border-top:2px solid var(--ink); border-bottom:none; }
.pill { display:inline-block; border-radius:9px; padding:0 8px; font-size:12px; font-weight:600; }
.pill.warn { background:#fde68a; color:#92400e; } .pill.bad { background:#fee2e2; color:#991b1b; }
.muted { color:var(--muted); }
.bar { height:8px; border-radius:4px; background:var(--red); opacity:.8; }
.none { color:var(--muted); font-style:italic; padding:8px 0; }
footer { color:var(--muted); font-size:12px; margin-top:20px; border-top:1px solid var(--rule);
  padding-top:10px; }
footer ul { margin:4px 0 8px 18px; padding:0; }
@media (max-width: 900px) { .grid, .kpis { grid-template-columns:1fr; } }
@media print { html { background:#fff; } body { padding:0; max-width:none; }
  .card, .kpi, .headline { box-shadow:none; border:1px solid var(--rule); } }
""".replace("FONTS", FONTS)


def _e(text: object) -> str:
    return escape(str(text))


def _h2(en: str, zh: str, zh_locale: bool) -> str:
    return f"<h2>{_e(en)}" + (f'<span class="zh">{_e(zh)}</span>' if zh_locale else "") + "</h2>"


def _money_compact(m: Money, r: AnalyticsReport) -> str:
    return D.money_compact(m, r.currency, r.locale)


def _table(
    headers: Sequence[tuple[str, bool]],
    rows: Sequence[Sequence[str]],
    total: Sequence[str] | None = None,
) -> str:
    """headers: (title, numeric); cells are already-escaped HTML."""
    head = "".join(f'<th class="n">{_e(h)}</th>' if n else f"<th>{_e(h)}</th>" for h, n in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{c}</td>' if n else f"<td>{c}</td>"
            for c, (_, n) in zip(row, headers, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    if total:
        cells = "".join(
            f'<td class="n">{c}</td>' if n else f"<td>{c}</td>"
            for c, (_, n) in zip(total, headers, strict=True)
        )
        body.append(f'<tr class="total">{cells}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(r: AnalyticsReport) -> str:
    zh = D.is_zh(r.locale)
    loc, cur = r.locale, r.currency
    wr = r.conversion.win_rate
    fc = r.forecast
    b = r.bottleneck
    s = r.summary()

    # ---- header
    window = "all time"
    if r.since or r.until:
        window = f"{r.since or '…'} – {r.until or '…'}"
    hist = (
        "no earlier run — history starts today"
        if not r.history.runs
        else f"ledger: {r.history.runs} runs since {r.history.first_run}"
    )
    header = (
        '<header class="top"><div><h1>Pipeline report'
        + ("<small>销售管道分析</small>" if zh else "")
        + "</h1></div>"
        f'<div class="meta"><b>{_e(_source_name(r.source))}</b> · sheet {_e(r.sheet)}<br>'
        f"as of {_e(D_date(r))} · window {_e(window)}<br>"
        f"profile {_e(r.profile)} · {_e(hist)}</div></header>"
    )

    # ---- KPI cards
    open_amount = _sum([x.amount for x in r.funnel.rows if x.stage.outcome == "open"])
    six = _sum([bk.weighted for bk in fc.buckets if bk.key[:1].isdigit()])
    stalled_value = _stalled_value(r)
    kpis = [
        (
            "navy",
            "Open pipeline",
            _big(open_amount, r),
            _others(open_amount, r)
            + f"{s['open']} open deals"
            + (f", {open_amount.missing} without amount" if open_amount.missing else ""),
        ),
        (
            "",
            "Weighted forecast",
            _big(fc.weighted, r),
            _others(fc.weighted, r) + f"next 6 months {_big(six, r)}",
        ),
        (
            "won",
            "Win rate",
            D.pct(wr.rate),
            f"{wr.won} won of {wr.closed} closed" if wr.closed else "no closed deals",
        ),
        (
            "warn" if r.stalled else "won",
            "Stalled now",
            str(len(r.stalled)),
            f"{stalled_value} at stake" if r.stalled else "no deal over its stage limit",
        ),
    ]
    if b.worst_conversion is not None:
        c = b.worst_conversion
        kpis.append(
            (
                "bad",
                "Bottleneck",
                D.stage_name(c.stage, loc, both=False),
                f"only {D.pct(c.rate)} move on ({c.advanced}/{c.reached})",
            )
        )
    else:
        kpis.append(("", "Bottleneck", "—", "not enough deals"))
    kpi_html = (
        '<section class="kpis">'
        + "".join(
            f'<div class="kpi {cls}"><div class="label">{_e(label)}</div>'
            f'<div class="value" title="{_e(value)}">{_e(value)}</div>'
            f'<div class="sub">{_e(sub)}</div></div>'
            for cls, label, value, sub in kpis
        )
        + "</section>"
    )

    # ---- headline sentence
    lines = [
        f"<b>{_e(_money_compact(open_amount, r))}</b> open across <b>{s['open']}</b> deals, "
        f"<b>{_e(_money_compact(fc.weighted, r))}</b> weighted."
    ]
    if wr.closed:
        lines.append(
            f'Win rate <b class="good">{D.pct(wr.rate)}</b> ({wr.won} of {wr.closed} closed).'
        )
    if b.worst_conversion is not None:
        c = b.worst_conversion
        lines.append(
            f'Bottleneck: <b class="bad">{_e(D.stage_name(c.stage, loc))}</b> — '
            f"{D.pct(c.rate)} of {c.reached} deals reach "
            f"{_e(D.stage_name(c.next_stage, loc, both=False))}."
        )
    if b.longest_time is not None:
        t = b.longest_time
        where = (
            D.n_of(t.deals, "completed stay")
            if t.basis == "ledger"
            else D.n_of(t.deals, "deal") + " there now"
        )
        lines.append(
            f'Slowest stage: <b class="warn">{_e(D.stage_name(t.stage, loc))}</b>, median '
            f"{D.days(t.median)} days (p90 {D.days(t.p90)}; {where})."
        )
    if r.stalled:
        owners = {}
        for sd in r.stalled:
            owners[sd.owner or "(no owner)"] = owners.get(sd.owner or "(no owner)", 0) + 1
        top_owner, n = max(owners.items(), key=lambda kv: kv[1])
        lines.append(
            f'<b class="warn">{len(r.stalled)}</b> deals stalled'
            + (f", {n} of them {_e(top_owner)}'s." if n > 1 else ".")
        )
    overdue = next((bk for bk in fc.buckets if bk.key == "overdue"), None)
    if overdue and overdue.deals:
        lines.append(
            f'<b class="bad">{overdue.deals}</b> open '
            + ("deal is" if overdue.deals == 1 else "deals are")
            + " past the expected close date."
        )
    headline = '<p class="headline">' + " ".join(lines) + "</p>"

    # ---- cards
    f = r.funnel
    funnel_card = (
        '<div class="card">'
        + _h2("Funnel", "销售漏斗", zh)
        + f'<div class="basis">{f.deals} deals by current stage · bars: deals, right: amount</div>'
        + S.funnel_chart(r)
        + _currency_foot(r)
        + "</div>"
    )
    cv = r.conversion
    conv_foot = f'<div class="foot">{_e(cv.note)}.</div>' if cv.note else ""
    conv_card = (
        '<div class="card">'
        + _h2("Conversion per stage", "阶段转化率", zh)
        + f'<div class="basis">{cv.deals} deals · share of the deals that reached a stage and '
        "went on to the next · red: lowest</div>" + S.conversion_chart(r) + conv_foot + "</div>"
    )
    timed = [t for t in r.time_in_stage if t.basis != "none"]
    basis_set = {t.basis for t in timed}
    if basis_set == {"ledger"}:
        tb = "completed stays recorded in the ledger"
    elif "ledger" in basis_set:
        tb = "completed stays where the ledger has 3+, else days so far of deals in the stage (*)"
    elif timed:
        tb = "days so far of the deals now in each stage — completed stays need more runs"
    else:
        tb = "needs 2+ runs or a stage-date column"
    time_card = (
        '<div class="card">'
        + _h2("Time in stage", "阶段停留时间", zh)
        + f'<div class="basis">{sum(t.deals for t in timed)} deals · median and 90th percentile '
        f"days · {tb} · amber: slowest</div>" + S.time_chart(r) + "</div>"
    )
    rate_basis = (
        f"in {fc.rates['base']} at rates as of {fc.rates['as_of']}" if fc.rates else f"in {cur}"
    )
    fc_card = (
        '<div class="card">'
        + _h2("Forecast by expected close", "预测成交", zh)
        + f'<div class="basis">{fc.deals} open deals · weighted by probability · {rate_basis}'
        "</div>" + S.forecast_chart(r) + _currency_foot(r) + "</div>"
    )

    owner_rows = []
    for o in r.owners:
        owner_rows.append(
            [
                _e(o.owner or "(no owner)"),
                str(o.deals),
                str(o.open),
                _e(_money_compact(o.open_amount, r)),
                _e(_money_compact(o.weighted, r)),
                f'<span style="color:{S.GREEN}">{o.won}</span>',
                f'<span style="color:{S.RED}">{o.lost}</span>',
                D.pct(o.win_rate),
                (f"{D.days(o.cycle_median)} d ({len(o.cycle_days)})" if o.cycle_days else "—"),
                f'<span class="pill warn">{o.stalled}</span>' if o.stalled else "0",
            ]
        )
    owner_total = [
        "Total",
        str(sum(o.deals for o in r.owners)),
        str(s["open"]),
        _e(_money_compact(open_amount, r)),
        _e(_money_compact(fc.weighted, r)),
        str(wr.won),
        str(wr.lost),
        D.pct(wr.rate),
        "",
        str(len(r.stalled)),
    ]
    cycle_note = ""
    if not any(o.cycle_days for o in r.owners):
        cycle_note = (
            '<div class="foot">Cycle length (created or first seen → won) needs created dates, '
            "or deals the ledger first saw open and later won.</div>"
        )
    more_owners = ""
    if len(r.owners) > 20:
        more_owners = f'<div class="foot">Chart shows the top 20 of {len(r.owners)} owners.</div>'
    owners_card = (
        '<div class="card full">'
        + _h2("Per owner", "销售人员业绩", zh)
        + f'<div class="basis">{f.deals} deals · won/lost and win rate over the window; '
        "open figures as of today</div>"
        + S.owners_chart(r)
        + more_owners
        + _table(
            [
                ("Owner", False),
                ("Deals", True),
                ("Open", True),
                ("Open amount", True),
                ("Weighted", True),
                ("Won", True),
                ("Lost", True),
                ("Win rate", True),
                ("Median cycle (n)", True),
                ("Stalled", True),
            ],
            owner_rows,
            owner_total,
        )
        + cycle_note
        + "</div>"
    )

    stalled_card = (
        '<div class="card full" id="stalled">'
        + _h2("Stalled deals", "停滞商机", zh)
        + f'<div class="basis">{len(r.stalled)} deals over their stage\'s day limit now, '
        "longest overdue first</div>" + _stalled_table(r) + "</div>"
    )

    slips_card = '<div class="card">' + _h2("Close dates", "预计成交日期", zh) + _slips(r)
    slips_card += "</div>"
    lost_card = '<div class="card">' + _h2("Lost reasons", "丢单原因", zh) + _lost(r) + "</div>"

    notes = "".join(f"<li>{_e(n)}</li>" for n in r.notes)
    footer = (
        f"<footer><b>How to read this report</b><ul>{notes}</ul>"
        f"Generated by salessheet from {_e(r.source)} (sheet {_e(r.sheet)}) as of "
        f"{r.today.isoformat()}.</footer>"
    )

    title = f"Pipeline report — {_source_name(r.source)} — {r.today.isoformat()}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        + header
        + kpi_html
        + headline
        + f'<div class="grid">{funnel_card}{conv_card}</div>'
        + f'<div class="grid">{time_card}{fc_card}</div>'
        + owners_card
        + stalled_card
        + f'<div class="grid">{slips_card}{lost_card}</div>'
        + footer
        + "</body></html>\n"
    )


def _big(m: Money, r: AnalyticsReport) -> str:
    """The headline number: the converted sum, else the profile currency's."""
    cur = m.base if m.converted is not None and m.base else r.currency
    return D.compact(m.primary(r.currency), cur, r.locale)


def _others(m: Money, r: AnalyticsReport) -> str:
    if m.converted is not None:
        return f"{m.unpriced} deals without a rate · " if m.unpriced else ""
    rest = [D.compact(v, c, r.locale) for c, v in sorted(m.by_currency.items()) if c != r.currency]
    return ("+ " + " ".join(rest) + " · ") if rest else ""


def D_date(r: AnalyticsReport) -> str:  # noqa: N802 - reads like a label in the f-string
    return r.today.isoformat()


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


def _currency_foot(r: AnalyticsReport) -> str:
    m = r.funnel.amount
    if m.converted is None and len(m.by_currency) > 1:
        others = [c for c in sorted(m.by_currency) if c != r.currency]
        return (
            f'<div class="foot">Bars use {_e(r.currency)} amounts only; '
            f"{_e(', '.join(others))} deals are counted and listed, not converted "
            "(no rate table given).</div>"
        )
    if m.unpriced:
        return (
            f'<div class="foot">{m.unpriced} deals have no exchange rate: counted, '
            "not priced.</div>"
        )
    return ""


def _stalled_table(r: AnalyticsReport) -> str:
    if not r.stalled:
        return '<div class="none">No deal is over its stage limit.</div>'
    rows = []
    for sd in r.stalled[:STALLED_ROWS]:
        over = (sd.days or 0) - (sd.threshold or 0)
        cls = "bad" if sd.threshold and over >= sd.threshold else "warn"
        rows.append(
            [
                f"<b>{_e(sd.deal_id)}</b>",
                _e(sd.customer or ""),
                _e(sd.owner or "—"),
                _e(D.stage_name(sd.stage, r.locale)),
                D.days(sd.days),
                D.days(sd.threshold),
                f'<span class="pill {cls}">+{over}</span>',
                "" if sd.amount is None else _e(format_money(sd.amount, sd.currency, r.locale)),
            ]
        )
    table = _table(
        [
            ("Deal", False),
            ("Customer", False),
            ("Owner", False),
            ("Stage", False),
            ("Days", True),
            ("Limit", True),
            ("Over by", True),
            ("Amount", True),
        ],
        rows,
    )
    if len(r.stalled) > STALLED_ROWS:
        table += (
            f'<div class="foot">… and {len(r.stalled) - STALLED_ROWS} more '
            "(<code>salessheet stalled</code> lists every one).</div>"
        )
    return table


def _slips(r: AnalyticsReport) -> str:
    sl = r.slips
    out = [
        f'<div class="basis">{sl.open_deals} open deals</div>',
        f"<p><b>{sl.close_date_passed}</b> of {sl.open_deals} open deals "
        + ("is" if sl.close_date_passed == 1 else "are")
        + " past the expected close date.</p>",
    ]
    if not sl.available:
        out.append(f'<p class="muted">Slips: {_e(sl.note)}.</p>')
        return "".join(out)
    out.append(
        f"<p>Expected close pushed back: <b>{D.n_of(sl.deals_slipped, 'open deal')}</b>, "
        f"{sl.total_slips} time{'' if sl.total_slips == 1 else 's'} in all, over "
        f"{sl.runs + 1} runs.</p>"
    )
    if sl.top:
        rows = [
            [
                _e(t["deal_id"]),
                _e(t["owner"] or "—"),
                str(t["slips"]),
                _e(t["expected_close"] or ""),
            ]
            for t in sl.top
        ]
        out.append(
            _table(
                [("Deal", False), ("Owner", False), ("Slips", True), ("Now expected", True)], rows
            )
        )
    return "".join(out)


def _lost(r: AnalyticsReport) -> str:
    lr = r.lost_reasons
    out = [f'<div class="basis">{lr.deals} lost deals</div>']
    if not lr.deals:
        out.append('<div class="none">No lost deals.</div>')
        return "".join(out)
    items = list(lr.reasons)
    if lr.without_reason:
        items.append(("(no reason given)", lr.without_reason))
    top = max(n for _, n in items)
    rows = [
        [
            _e(reason),
            str(n),
            D.pct(n / lr.deals),
            f'<div class="bar" style="width:{100 * n / top:.0f}%"></div>',
        ]
        for reason, n in items
    ]
    out.append(
        _table([("Reason", False), ("Deals", True), ("Share", True), ("", False)], rows).replace(
            "<th></th>", '<th style="width:32%"></th>'
        )
    )
    return "".join(out)
