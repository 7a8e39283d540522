"""Text output for people: findings grouped by severity, each naming cell and raw value."""

from __future__ import annotations

import json
from collections import Counter

from salessheet.findings import Finding, sort_findings
from salessheet.report import CheckReport

HEADINGS = {"error": "Errors", "warning": "Warnings", "info": "Info"}
STATUS_MARK = {"new": "new", "persisting": "", "resolved": "resolved"}


def _value(v: object) -> str:
    if v is None:
        return ""
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else repr(v)
    return text if len(text) <= 30 else text[:27] + "…"


def finding_line(f: Finding) -> str:
    where = f.cell or (f"row {f.row}" if f.row else "")
    status = f" [{f.status}]" if f.status != "persisting" else ""
    deal = f.deal_id or "-"
    return f"  {where:<7} {deal:<12} {f.code:<20} {f.message}{status}"


def render_report(report: CheckReport, *, title: str, limit: int = 50) -> str:
    lines = [
        f"{title}: {report.source} — sheet {report.sheet!r}, {report.deals} deals, "
        f"profile {report.profile}, today {report.today.isoformat()}"
    ]
    findings = sort_findings(report.findings)
    active = [f for f in findings if f.status != "resolved"]
    for sev in ("error", "warning", "info"):
        group = [f for f in active if f.severity == sev]
        if not group:
            continue
        counts = Counter(f.code for f in group)
        summary = ", ".join(f"{c} {n}" for c, n in counts.most_common())
        lines.append("")
        lines.append(f"{HEADINGS[sev]} ({len(group)}): {summary}")
        shown = group if limit <= 0 else group[:limit]
        lines += [finding_line(f) for f in shown]
        if len(shown) < len(group):
            lines.append(
                f"  … and {len(group) - len(shown)} more (--limit 0 shows all, "
                "--format json gives every finding)"
            )
    resolved = [f for f in findings if f.status == "resolved"]
    if resolved:
        lines.append("")
        lines.append(f"Resolved since the last run ({len(resolved)}):")
        lines += [f"  {f.deal_id or '-':<12} {f.code}" for f in resolved[: max(limit, 1)]]
    s = report.summary()
    lines.append("")
    if not active:
        lines.append(f"No problems found in {report.deals} deals.")
    lines.append(
        f"Summary: {s['errors']} errors, {s['warnings']} warnings, {s['stalled']} stalled, "
        f"{s['info']} info ({s['new']} new, {s['resolved']} resolved)"
    )
    return "\n".join(lines)
