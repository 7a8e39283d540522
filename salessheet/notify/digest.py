"""Digests of a run report: what needs people, per team and per owner, in English or Chinese.

Input is the JSON object ``salessheet run --format json`` prints. Output is a :class:`Digest`
holding the subject, a plain-text body, an HTML body (string templates + html.escape) and the
selected findings, which the chat formats in webhooks.py render in their own markup.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from salessheet.settings.notify import normalize_owner

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
SUBJECT_TAG = "[salessheet]"

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "team_title": "Pipeline digest",
        "owner_title": "Your deals",
        "errors": "{n} error|{n} errors",
        "warnings": "{n} warning|{n} warnings",
        "infos": "{n} note|{n} notes",
        "new_count": "{n} new",
        "all_clear": "nothing open",
        "new": "New",
        "persisting": "Still open",
        "resolved": "Resolved since the last run",
        "by_owner": "By owner",
        "no_owner": "(no owner)",
        "owner": "owner",
        "row": "row {row}",
        "more": "... and {n} more (see the full run report)",
        "source": "Source",
        "profile": "profile",
        "summary_deals": "deals",
        "summary_errors": "errors",
        "summary_warnings": "warnings",
        "summary_stalled": "stalled",
        "nothing": "Nothing needs attention.",
        "footer": "Sent by salessheet after the run of {today}.",
        "error": "error",
        "warning": "warning",
        "info": "info",
        "th_severity": "Severity",
        "th_deal": "Deal",
        "th_where": "Where",
        "th_problem": "Problem",
        "th_owner": "Owner",
        "th_open": "Open",
        "open_count": "{n} open",
        "colon": ": ",
        "sep": ", ",
        "since_title": "Since the last run ({since} → {until})",
        "moved_new": "New deals ({n})",
        "moved_won": "Won ({n})",
        "moved_lost": "Lost ({n})",
        "moved_pushed": "Expected close pushed out ({n})",
        "moved_amount": "Amount changes of {pct}% or more ({n})",
        "moved_none": "No deal moved.",
        "moved_pipeline": "Open pipeline {a} → {b} ({m} → {n} deals)",
    },
    "zh": {
        "team_title": "销售管道日报",
        "owner_title": "我的商机日报",
        "errors": "{n} 个错误",
        "warnings": "{n} 个警告",
        "infos": "{n} 条提示",
        "new_count": "{n} 个新问题",
        "all_clear": "无待处理问题",
        "new": "新增问题",
        "persisting": "仍未解决",
        "resolved": "自上次运行以来已解决",
        "by_owner": "按负责人",
        "no_owner": "（无负责人）",
        "owner": "负责人",
        "row": "第 {row} 行",
        "more": "……另有 {n} 条（见完整运行报告）",
        "source": "数据源",
        "profile": "配置",
        "summary_deals": "商机",
        "summary_errors": "错误",
        "summary_warnings": "警告",
        "summary_stalled": "停滞",
        "nothing": "没有需要处理的问题。",
        "footer": "由 salessheet 在 {today} 的运行后发送。",
        "error": "错误",
        "warning": "警告",
        "info": "提示",
        "th_severity": "级别",
        "th_deal": "商机",
        "th_where": "位置",
        "th_problem": "问题",
        "th_owner": "负责人",
        "th_open": "待处理",
        "open_count": "待处理 {n}",
        "colon": "：",
        "sep": "，",
        "since_title": "自上次运行以来（{since} → {until}）",
        "moved_new": "新增商机（{n}）",
        "moved_won": "赢单（{n}）",
        "moved_lost": "丢单（{n}）",
        "moved_pushed": "预计成交日期推迟（{n}）",
        "moved_amount": "金额变动 ≥ {pct}%（{n}）",
        "moved_none": "没有商机变化。",
        "moved_pipeline": "在手管道 {a} → {b}（{m} → {n} 个商机）",
    },
}


def t(language: str, key: str, **kwargs: Any) -> str:
    """A UI string; ``"{n} error|{n} errors"`` picks the singular form when ``n == 1``."""
    text = TEXT.get(language, TEXT["en"])[key]
    if "|" in text:
        one, other = text.split("|", 1)
        text = one if kwargs.get("n") == 1 else other
    return text.format(**kwargs) if kwargs else text


@dataclass(frozen=True)
class Digest:
    audience: str  # "team" or "owner"
    owner: str | None
    language: str
    subject: str
    title: str  # subject without the "[salessheet]" tag
    text: str
    html: str
    meta: dict[str, Any]  # source, sheet, today, profile, summary
    new: list[dict[str, Any]] = field(default_factory=list)
    persisting: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    moved: dict[str, Any] | None = None  # the run's "since last run" (this owner's deals)

    @property
    def open_findings(self) -> list[dict[str, Any]]:
        return self.new + self.persisting

    @property
    def is_empty(self) -> bool:
        return not self.new and not self.persisting and not self.resolved


# --------------------------------------------------------------------------- selection


def _sort_key(f: Mapping[str, Any]) -> tuple[int, str, int, str]:
    row = f.get("row")
    return (
        SEVERITY_RANK.get(str(f.get("severity")), 3),
        str(f.get("deal_id") or ""),
        row if isinstance(row, int) else 0,
        str(f.get("code") or ""),
    )


def report_owners(report: Mapping[str, Any]) -> list[str]:
    """Distinct owners named by the report's findings, first spelling wins, in sorted order."""
    seen: dict[str, str] = {}
    for f in report.get("findings") or []:
        owner = f.get("owner")
        if isinstance(owner, str) and owner.strip():
            seen.setdefault(normalize_owner(owner), owner.strip())
    return sorted(seen.values(), key=normalize_owner)


def _select(
    report: Mapping[str, Any], owner: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    want = normalize_owner(owner) if owner is not None else None
    new: list[dict[str, Any]] = []
    persisting: list[dict[str, Any]] = []
    resolved: list[dict[str, Any]] = []
    for f in report.get("findings") or []:
        if not isinstance(f, Mapping):
            continue
        if want is not None:
            o = f.get("owner")
            if not isinstance(o, str) or normalize_owner(o) != want:
                continue
        status = f.get("status") or "new"
        bucket = {"new": new, "persisting": persisting, "resolved": resolved}.get(status)
        if bucket is not None:
            bucket.append(dict(f))
    for bucket in (new, persisting, resolved):
        bucket.sort(key=_sort_key)
    return new, persisting, resolved


def _counts(
    new: list[dict[str, Any]], persisting: list[dict[str, Any]], resolved: list[dict[str, Any]]
) -> dict[str, int]:
    open_ = new + persisting
    return {
        "new": len(new),
        "persisting": len(persisting),
        "resolved": len(resolved),
        "open": len(open_),
        "errors": sum(1 for f in open_ if f.get("severity") == "error"),
        "warnings": sum(1 for f in open_ if f.get("severity") == "warning"),
        "infos": sum(1 for f in open_ if f.get("severity") == "info"),
    }


# --------------------------------------------------------------------------- plain pieces


# ``esc`` below makes report values (cells, sheet names: untrusted) safe for the markup the
# line goes into (see chattext.py); the tool's own words pass unchanged.
Escape = Callable[[str], str]


def _plain(text: str) -> str:
    return text


def _one_line(value: Any) -> str:
    """Every run of whitespace, line breaks included, as one space."""
    return " ".join(str(value).split())


def location(f: Mapping[str, Any], language: str, esc: Escape = _plain) -> str:
    """``Stage F9`` or ``row 9``: the column header and A1 cell, as far as they are known."""
    column = esc(_one_line(f.get("column") or ""))
    cell = esc(str(f.get("cell") or ""))
    if column and cell:
        return f"{column} {cell}"
    if cell:
        return cell
    row = f.get("row")
    if row is not None:
        where = t(language, "row", row=esc(str(row)))
        return f"{column} {where}" if column else where
    return column


def finding_line(
    f: Mapping[str, Any], language: str, *, with_owner: bool, esc: Escape = _plain
) -> str:
    """``[error] D-0007 · Stage F9 · illegal-transition: message · owner: Alice``."""
    sev = (
        t(language, str(f.get("severity") or "info")) if f.get("severity") in SEVERITY_RANK else ""
    )
    parts = [f"[{sev}]", esc(_one_line(f.get("deal_id") or "-"))]
    where = location(f, language, esc)
    if where:
        parts.append(where)
    head = " · ".join(parts[1:])
    line = f"{parts[0]} {head} · {esc(str(f.get('code') or ''))}{t(language, 'colon')}"
    line += esc(_one_line(f.get("message") or ""))
    if with_owner:
        owner = f.get("owner")
        owner_text = esc(_one_line(owner)) if owner else t(language, "no_owner")
        line += f" · {t(language, 'owner')}{t(language, 'colon')}{owner_text}"
    return line


def resolved_line(f: Mapping[str, Any], language: str, esc: Escape = _plain) -> str:
    where = location(f, language, esc)
    deal = esc(_one_line(f.get("deal_id") or "-"))
    text = f"{deal} {esc(str(f.get('code') or ''))}"
    return f"{text} ({where})" if where else text


def _severity_counts(counts: Mapping[str, int], language: str) -> str:
    parts = []
    if counts["errors"]:
        parts.append(t(language, "errors", n=counts["errors"]))
    if counts["warnings"]:
        parts.append(t(language, "warnings", n=counts["warnings"]))
    if counts["infos"]:
        parts.append(t(language, "infos", n=counts["infos"]))
    if not parts:
        return t(language, "all_clear")
    text = t(language, "sep").join(parts)
    if counts["new"]:
        new = t(language, "new_count", n=counts["new"])
        text += f"（{new}）" if language == "zh" else f" ({new})"
    return text


def summary_line(summary: Mapping[str, Any], language: str) -> str:
    parts = []
    for key in ("deals", "errors", "warnings", "stalled"):
        if isinstance(summary.get(key), int):
            parts.append(f"{t(language, 'summary_' + key)} {summary[key]}")
    return " · ".join(parts)


def _owner_table(open_: list[dict[str, Any]], language: str) -> list[tuple[str, int, int, int]]:
    """(owner, errors, warnings, open) per owner, most errors first."""
    rows: dict[str, list[Any]] = {}
    for f in open_:
        owner = f.get("owner")
        label = _one_line(owner) if isinstance(owner, str) and owner.strip() else None
        key = normalize_owner(label) if label else ""
        row = rows.setdefault(key, [label or t(language, "no_owner"), 0, 0, 0])
        row[1] += f.get("severity") == "error"
        row[2] += f.get("severity") == "warning"
        row[3] += 1
    table = [(r[0], r[1], r[2], r[3]) for r in rows.values()]
    return sorted(table, key=lambda r: (-r[1], -r[2], -r[3], normalize_owner(r[0])))


# --------------------------------------------------------------------------- building


def build_digest(
    report: Mapping[str, Any],
    *,
    owner: str | None = None,
    language: str = "en",
    include_resolved: bool = True,
    max_items: int = 200,
) -> Digest:
    """The team digest (``owner=None``: every finding) or one owner's digest (their deals)."""
    language = language if language in TEXT else "en"
    new, persisting, resolved = _select(report, owner)
    if not include_resolved:
        resolved = []
    counts = _counts(new, persisting, resolved)
    meta = {
        "source": report.get("source"),
        "sheet": report.get("sheet"),
        "today": report.get("today"),
        "profile": report.get("profile"),
        "summary": dict(report.get("summary") or {}),
    }
    moved = _moved(report, owner)
    today = str(meta["today"] or "")
    if owner is None:
        head = f"{t(language, 'team_title')} {today} · {meta['sheet'] or meta['source'] or ''}"
    else:
        head = f"{t(language, 'owner_title')} {today} · {_one_line(owner)}"
    title = f"{head.strip()}{t(language, 'colon')}{_severity_counts(counts, language)}"
    digest = Digest(
        audience="team" if owner is None else "owner",
        owner=owner,
        language=language,
        subject=f"{SUBJECT_TAG} {title}",
        title=title,
        text="",
        html="",
        meta=meta,
        new=new,
        persisting=persisting,
        resolved=resolved,
        counts=counts,
        moved=moved,
    )
    text = render_text(digest, max_items=max_items)
    body = render_html(digest, max_items=max_items)
    return Digest(**{**digest.__dict__, "text": text, "html": body})


MOVED_KEYS = ("new", "won", "lost", "pushed", "amount_changes")


def _moved(report: Mapping[str, Any], owner: str | None) -> dict[str, Any] | None:
    """The report's "since last run" (run JSON ``since_last_run``), for one owner's deals when
    ``owner`` is given (the pipeline totals only for the team)."""
    data = report.get("since_last_run")
    if not isinstance(data, Mapping):
        return None
    want = normalize_owner(owner) if owner is not None else None
    out: dict[str, Any] = {
        k: [
            dict(x)
            for x in data.get(k) or []
            if isinstance(x, Mapping)
            and (want is None or normalize_owner(str(x.get("owner") or "")) == want)
        ]
        for k in MOVED_KEYS
    }
    out["since"] = data.get("since") or {}
    out["until"] = data.get("until") or {}
    out["currency"] = data.get("currency")
    out["threshold_percent"] = data.get("threshold_percent", 20)
    out["movement"] = data.get("movement") if owner is None else None
    return out


def _money(amount: Any, currency: Any, language: str) -> str:
    from decimal import Decimal, InvalidOperation

    from salessheet.core.formatting import format_money

    try:
        value = Decimal(str(amount))
        return format_money(value, str(currency or "CNY"), "zh_CN" if language == "zh" else "en_US")
    except (InvalidOperation, ValueError, KeyError, TypeError):
        return str(amount)


def _percent(value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return ""
    return f" ({value:+.0f}%)"


def moved_sections(d: Digest, max_items: int, esc: Escape = _plain) -> list[tuple[str, list[str]]]:
    """The "since last run" section as (heading, lines): pipeline totals (team digest), then
    new, won, lost, pushed-out deals and big amount changes; cell text goes through ``esc``."""
    m = d.moved
    if m is None:
        return []
    lang = d.language
    since = (m["since"] or {}).get("date") or ""
    until = (m["until"] or {}).get("date") or ""
    lines: list[str] = []
    mv = m.get("movement")
    if isinstance(mv, Mapping) and "opening" in mv and "closing" in mv:
        cur = m.get("currency")
        lines.append(
            t(
                lang,
                "moved_pipeline",
                a=_money(mv["opening"].get("amount"), cur, lang),
                b=_money(mv["closing"].get("amount"), cur, lang),
                m=mv["opening"].get("deals"),
                n=mv["closing"].get("deals"),
            )
        )

    def who(x: Mapping[str, Any]) -> str:
        return esc(_one_line(x.get("owner"))) if x.get("owner") else t(lang, "no_owner")

    def deal(x: Mapping[str, Any]) -> str:
        return esc(_one_line(x.get("deal_id") or "-"))

    def amount(x: Mapping[str, Any], key: str = "amount") -> str:
        return esc(_money(x.get(key), x.get("currency"), lang))

    def stage(x: Mapping[str, Any], key: str) -> str:
        """A stage as the sheet writes it (its id in a report of an earlier version)."""
        return esc(_one_line(x.get(f"{key}_label") or x.get(key) or ""))

    groups = {
        "new": lambda x: f"{deal(x)} · {who(x)} · {stage(x, 'stage')} · {amount(x)}",
        "won": lambda x: (
            f"{deal(x)} · {who(x)} · {stage(x, 'from')} → {stage(x, 'to')} · {amount(x)}"
        ),
        "pushed": lambda x: (
            f"{deal(x)} · {who(x)} · {esc(str(x.get('from') or ''))} → "
            f"{esc(str(x.get('to') or '-'))}"
        ),
        "amount_changes": lambda x: (
            f"{deal(x)} · {who(x)} · "
            f"{esc(_money(x.get('from') or 0, x.get('currency'), lang))} → "
            f"{esc(_money(x.get('to') or 0, x.get('currency'), lang))}{_percent(x.get('percent'))}"
        ),
    }
    groups["lost"] = groups["won"]
    heads = {
        "new": "moved_new",
        "won": "moved_won",
        "lost": "moved_lost",
        "pushed": "moved_pushed",
        "amount_changes": "moved_amount",
    }
    out: list[tuple[str, list[str]]] = []
    title = t(lang, "since_title", since=since, until=until)
    for key in MOVED_KEYS:
        items = m.get(key) or []
        if not items:
            continue
        rows = [groups[key](x) for x in items[:max_items]]
        if len(items) > max_items:
            rows.append(t(lang, "more", n=len(items) - max_items))
        pct = f"{float(m.get('threshold_percent') or 0):g}"
        out.append((t(lang, heads[key], n=len(items), pct=pct), rows))
    if not out:
        lines.append(t(lang, "moved_none"))
    return [(title, lines)] + out if lines else [(title, [])] + out


def build_team_digest(report: Mapping[str, Any], **kwargs: Any) -> Digest:
    return build_digest(report, owner=None, **kwargs)


def build_owner_digest(report: Mapping[str, Any], owner: str, **kwargs: Any) -> Digest:
    return build_digest(report, owner=owner, **kwargs)


def meta_line(d: Digest, esc: Escape = _plain) -> str:
    lang = d.language
    m = d.meta
    where = f"{t(lang, 'source')}{t(lang, 'colon')}{esc(str(m['source'] or '-'))}"
    if m["sheet"]:
        where += f" / {esc(str(m['sheet']))}"
    if m["profile"]:
        where += f" · {t(lang, 'profile')} {esc(str(m['profile']))}"
    return where


def render_text(d: Digest, *, max_items: int = 200) -> str:
    lang = d.language
    with_owner = d.audience == "team"
    lines = [d.title, "", meta_line(d)]
    if d.audience == "team":
        summary = summary_line(d.meta["summary"], lang)
        if summary:
            lines.append(summary)
    if not d.new and not d.persisting:
        lines += ["", t(lang, "nothing")]
    for key, items in (("new", d.new), ("persisting", d.persisting)):
        if not items:
            continue
        lines += ["", f"{t(lang, key)} ({len(items)})"]
        lines += [f"  {finding_line(f, lang, with_owner=with_owner)}" for f in items[:max_items]]
        if len(items) > max_items:
            lines.append("  " + t(lang, "more", n=len(items) - max_items))
    if with_owner and d.open_findings:
        lines += ["", t(lang, "by_owner")]
        for name, errors, warnings, total in _owner_table(d.open_findings, lang):
            lines.append(
                f"  {name}{t(lang, 'colon')}{t(lang, 'errors', n=errors)}"
                f"{t(lang, 'sep')}{t(lang, 'warnings', n=warnings)}"
                f"{t(lang, 'sep')}{t(lang, 'open_count', n=total)}"
            )
    for header, moved in moved_sections(d, max_items):
        lines += ["", header]
        lines += [f"  {item}" for item in moved]
    if d.resolved:
        lines += ["", f"{t(lang, 'resolved')} ({len(d.resolved)})"]
        shown = d.resolved[:max_items]
        lines += [f"  {resolved_line(f, lang)}" for f in shown]
        if len(d.resolved) > max_items:
            lines.append("  " + t(lang, "more", n=len(d.resolved) - max_items))
    lines += guidance_lines(d)
    lines += ["", "-- ", t(lang, "footer", today=d.meta["today"] or "")]
    return "\n".join(lines) + "\n"


_SEV_COLOR = {"error": "#b42318", "warning": "#b54708", "info": "#475467"}
_CELL = 'style="padding:4px 8px;border-bottom:1px solid #eaecf0;vertical-align:top"'


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _finding_rows(items: list[dict[str, Any]], lang: str, with_owner: bool) -> str:
    rows = []
    for f in items:
        sev = str(f.get("severity") or "info")
        color = _SEV_COLOR.get(sev, "#475467")
        sev_label = t(lang, sev) if sev in SEVERITY_RANK else sev
        cells = [
            f'<td {_CELL}><span style="color:{color};font-weight:bold">{_e(sev_label)}</span></td>',
            f"<td {_CELL}>{_e(f.get('deal_id') or '-')}</td>",
            f"<td {_CELL}>{_e(location(f, lang))}</td>",
            f"<td {_CELL}><code>{_e(f.get('code'))}</code> {_e(f.get('message'))}</td>",
        ]
        if with_owner:
            cells.append(f"<td {_CELL}>{_e(f.get('owner') or t(lang, 'no_owner'))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(rows)


def render_html(d: Digest, *, max_items: int = 200) -> str:
    lang = d.language
    with_owner = d.audience == "team"
    heads = [t(lang, k) for k in ("th_severity", "th_deal", "th_where", "th_problem")]
    if with_owner:
        heads.append(t(lang, "th_owner"))
    thead = "".join(f'<th align="left" {_CELL}>{_e(h)}</th>' for h in heads)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{_e(d.subject)}</title></head>",
        "<body style=\"font-family:Arial,'PingFang SC','Microsoft YaHei',sans-serif;"
        'font-size:14px;color:#101828">',
        f"<h2>{_e(d.title)}</h2>",
        f'<p style="color:#475467">{_e(meta_line(d))}</p>',
    ]
    if d.audience == "team":
        summary = summary_line(d.meta["summary"], lang)
        if summary:
            parts.append(f"<p><strong>{_e(summary)}</strong></p>")
    if not d.new and not d.persisting:
        parts.append(f"<p>{_e(t(lang, 'nothing'))}</p>")
    for key, items in (("new", d.new), ("persisting", d.persisting)):
        if not items:
            continue
        parts.append(f"<h3>{_e(t(lang, key))} ({len(items)})</h3>")
        parts.append(f'<table cellspacing="0" class="findings-{key}"><tr>{thead}</tr>')
        parts.append(_finding_rows(items[:max_items], lang, with_owner))
        parts.append("</table>")
        if len(items) > max_items:
            parts.append(f"<p>{_e(t(lang, 'more', n=len(items) - max_items))}</p>")
    if with_owner and d.open_findings:
        parts.append(f"<h3>{_e(t(lang, 'by_owner'))}</h3>")
        owner_heads = [t(lang, k) for k in ("th_owner", "error", "warning", "th_open")]
        parts.append(
            '<table cellspacing="0" class="by-owner"><tr>'
            + "".join(f'<th align="left" {_CELL}>{_e(h)}</th>' for h in owner_heads)
            + "</tr>"
        )
        for name, errors, warnings, total in _owner_table(d.open_findings, lang):
            parts.append(
                f"<tr><td {_CELL}>{_e(name)}</td><td {_CELL}>{errors}</td>"
                f"<td {_CELL}>{warnings}</td><td {_CELL}>{total}</td></tr>"
            )
        parts.append("</table>")
    for header, moved in moved_sections(d, max_items):
        parts.append(f"<h3>{_e(header)}</h3>")
        parts.append('<ul class="moved">')
        parts += [f"<li>{_e(item)}</li>" for item in moved]
        parts.append("</ul>")
    if d.resolved:
        parts.append(f"<h3>{_e(t(lang, 'resolved'))} ({len(d.resolved)})</h3>")
        parts.append('<ul class="resolved">')
        parts += [f"<li>{_e(resolved_line(f, lang))}</li>" for f in d.resolved[:max_items]]
        parts.append("</ul>")
        if len(d.resolved) > max_items:
            parts.append(f"<p>{_e(t(lang, 'more', n=len(d.resolved) - max_items))}</p>")
    parts += guidance_html(d)
    parts.append(
        f'<p style="color:#98a2b3;font-size:12px">'
        f"{_e(t(lang, 'footer', today=d.meta['today'] or ''))}</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- the team's rules
#
# A finding of a rule that requires an approver names who may approve (``details.approvers``);
# each of them gets a digest of the deals waiting for them. A finding about a deal in a stage
# with exit criteria carries them (``guidance``); a digest lists each text once, with its deals.

APPROVER_TITLE = {"en": "Deals waiting for your approval", "zh": "待您审批的商机"}
GUIDANCE_HEADING = {"en": "Exit criteria of these stages", "zh": "相关阶段的推进条件"}


def finding_approvers(f: Mapping[str, Any]) -> list[str]:
    details = f.get("details")
    names = details.get("approvers") if isinstance(details, Mapping) else None
    if not isinstance(names, list):
        return []
    return [n.strip() for n in names if isinstance(n, str) and n.strip()]


def report_approvers(report: Mapping[str, Any]) -> list[str]:
    """Distinct approvers named by the report's open findings, in sorted order."""
    seen: dict[str, str] = {}
    for f in report.get("findings") or []:
        if isinstance(f, Mapping) and f.get("status") != "resolved":
            for name in finding_approvers(f):
                seen.setdefault(normalize_owner(name), name)
    return sorted(seen.values(), key=normalize_owner)


def build_approver_digest(
    report: Mapping[str, Any], approver: str, *, language: str = "en", max_items: int = 200
) -> Digest:
    """The open findings ``approver`` may resolve by approving, as a team-style digest (each
    line names the deal's owner) titled for the approver."""
    want = normalize_owner(approver)
    findings = [
        f
        for f in report.get("findings") or []
        if isinstance(f, Mapping)
        and f.get("status") != "resolved"
        and want in {normalize_owner(n) for n in finding_approvers(f)}
    ]
    base = build_digest(
        {**report, "findings": findings, "summary": {}},
        language=language,
        include_resolved=False,
        max_items=max_items,
    )
    lang = base.language
    head = f"{APPROVER_TITLE[lang]} {base.meta['today'] or ''} · {_one_line(approver)}"
    title = f"{head}{t(lang, 'colon')}{_severity_counts(base.counts, lang)}"
    staged = replace(base, title=title, subject=f"{SUBJECT_TAG} {title}")
    return replace(
        staged,
        audience="approver",
        owner=approver,
        text=render_text(staged, max_items=max_items),
        html=render_html(staged, max_items=max_items),
    )


def _guidance_groups(d: Digest) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for f in d.open_findings:
        text = f.get("guidance")
        if isinstance(text, str) and text.strip():
            deals = groups.setdefault(_one_line(text), [])
            deal = _one_line(f.get("deal_id") or "-")
            if deal not in deals:
                deals.append(deal)
    return groups


def _deal_list(deals: list[str], limit: int = 10) -> str:
    shown = ", ".join(deals[:limit])
    return shown + (f" (+{len(deals) - limit})" if len(deals) > limit else "")


def guidance_lines(d: Digest) -> list[str]:
    """The text digest's section of stage guidance (nothing when no finding has any)."""
    groups = _guidance_groups(d)
    if not groups:
        return []
    lines = ["", GUIDANCE_HEADING.get(d.language, GUIDANCE_HEADING["en"])]
    lines += [f"  {text} — {_deal_list(deals)}" for text, deals in groups.items()]
    return lines


def guidance_html(d: Digest) -> list[str]:
    groups = _guidance_groups(d)
    if not groups:
        return []
    heading = GUIDANCE_HEADING.get(d.language, GUIDANCE_HEADING["en"])
    items = [f"<li>{_e(text)} — {_e(_deal_list(deals))}</li>" for text, deals in groups.items()]
    return [f"<h3>{_e(heading)}</h3>", '<ul class="guidance">', *items, "</ul>"]
