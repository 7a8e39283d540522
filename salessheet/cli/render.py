"""Text output for people: findings grouped by severity, each naming cell and raw value."""

from __future__ import annotations

import json
import shlex
from collections import Counter
from typing import Any

from salessheet.core.catalogue import MISSING_COLUMN, UNKNOWN_STAGE
from salessheet.core.display import ljust, width
from salessheet.core.findings import Finding, sort_findings
from salessheet.core.formatting import count
from salessheet.core.report import CheckReport
from salessheet.history.actions import MAX_ATTEMPTS
from salessheet.settings.source import BUILTIN_PROFILES

HEADINGS = {"error": "Errors", "warning": "Warnings", "info": "Info"}
STATUS_MARK = {"new": "new", "persisting": "", "resolved": "resolved"}


def _value(v: object) -> str:
    if v is None:
        return ""
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else repr(v)
    return text if len(text) <= 30 else text[:27] + "…"


DEAL_COLS = 12  # the deal id column: at least this wide, wider for longer ids ...
MAX_DEAL_COLS = 24  # ... up to this (a Salesforce id has 18 characters, a Zoho one 24)


def columns_for(texts: list[str], least: int, most: int) -> int:
    """A column's width: its widest text (in terminal columns), within ``least`` and ``most``.
    An id clipped to a fixed width would show different deals as one (``0068a0000…``)."""
    return max(least, min(most, max((width(t) for t in texts), default=0)))


def finding_line(f: Finding, *, mark_new: bool = True, deal_cols: int = DEAL_COLS) -> str:
    where = f.cell or (f"row {f.row}" if f.row else "")
    status = f" [{f.status}]" if f.status == "new" and mark_new else ""
    deal = f.deal_id or "-"
    return f"  {ljust(where, 7)} {ljust(deal, deal_cols)} {f.code:<20} {f.message}{status}"


GROUP_MIN = 3  # this many identical findings (all but the cell) are shown as one line
GROUP_CELLS = 3  # cells a grouped line names
# findings that say the profile does not fit the sheet (a config written for it fixes them)
MISFIT = frozenset((UNKNOWN_STAGE.code, MISSING_COLUMN.code))


def _grouped(findings: list[Finding]) -> list[list[Finding]]:
    """Findings that differ only in where they are (row, cell, deal) as one group, placed at
    the first of them; fewer than GROUP_MIN stay one line each."""
    groups: dict[tuple[Any, ...], list[Finding]] = {}
    order: list[list[Finding]] = []
    for f in findings:
        key = (f.code, f.status, f.column, f.message, json.dumps(f.value, default=str))
        g = groups.get(key)
        if g is None:
            g = groups[key] = []
            order.append(g)
        g.append(f)
    out: list[list[Finding]] = []
    for g in order:
        if len(g) >= GROUP_MIN:
            out.append(g)
        else:
            out.extend([f] for f in g)
    return out


def _group_deal(group: list[Finding]) -> str:
    """The deal column of a line: the one deal's id, or ``×N`` for a group of several."""
    if len({x.deal_id for x in group}) == 1:
        return group[0].deal_id or "-"
    return f"×{len(group)}"


def group_line(group: list[Finding], *, mark_new: bool = True, deal_cols: int = DEAL_COLS) -> str:
    if len(group) == 1:
        return finding_line(group[0], mark_new=mark_new, deal_cols=deal_cols)
    f = group[0]
    cells = [x.cell or (f"row {x.row}" if x.row else "") for x in group]
    shown = ", ".join(c for c in cells[:GROUP_CELLS] if c)
    more = ", …" if len(group) > GROUP_CELLS else ""
    status = " [new]" if f.status == "new" and mark_new else ""
    return (
        f"  {ljust(cells[0], 7)} {ljust(_group_deal(group), deal_cols)} {f.code:<20} {f.message} "
        f"(×{len(group)}: {shown}{more}){status}"
    )


def fix_command(
    report: CheckReport, beside: str | None = None, command: str = "validate"
) -> str | None:
    """The one command that fixes most findings, when most say the built-in profile does not
    fit the sheet (stages it does not know, columns it lacks): ``command`` again with the
    config ``beside`` the file (``init`` or ``config init`` wrote it), else ``config init``."""
    if report.profile not in BUILTIN_PROFILES:
        return None
    active = [f for f in report.findings if f.status != "resolved" and f.severity != "info"]
    misfit = sum(1 for f in active if f.code in MISFIT)
    if not misfit or misfit * 2 < len(active):
        return None
    if beside:
        return f"salessheet {command} {shlex.quote(report.source)} --config {shlex.quote(beside)}"
    return f"salessheet config init {shlex.quote(report.source)}"


def render_report(
    report: CheckReport,
    *,
    title: str,
    limit: int = 50,
    fix: bool = True,
    beside: str | None = None,
) -> str:
    lines = [
        f"{title}: {report.source} — sheet {report.sheet!r}, {count(report.deals, 'deal')}, "
        f"profile {report.profile}, today {report.today.isoformat()}"
    ]
    lines += [f"  ({note})" for note in report.notes]
    findings = sort_findings(report.findings)
    active = [f for f in findings if f.status != "resolved"]
    # "[new]" only means something once there is a previous run to compare with
    has_history = any(f.status != "new" for f in findings)
    # each severity's findings, grouped once: the deal column is as wide as what is shown
    by_sev = {sev: [f for f in active if f.severity == sev] for sev in ("error", "warning", "info")}
    all_runs = {sev: _grouped(group) for sev, group in by_sev.items()}
    shown_runs = {sev: runs if limit <= 0 else runs[:limit] for sev, runs in all_runs.items()}
    resolved = [f for f in findings if f.status == "resolved"]
    resolved_shown = resolved[: max(limit, 1)]
    deal_cols = columns_for(
        [_group_deal(g) for runs in shown_runs.values() for g in runs]
        + [f.deal_id or "-" for f in resolved_shown],
        DEAL_COLS,
        MAX_DEAL_COLS,
    )
    for sev, group in by_sev.items():
        if not group:
            continue
        counts = Counter(f.code for f in group)
        summary = ", ".join(f"{c} {n}" for c, n in counts.most_common())
        lines.append("")
        lines.append(f"{HEADINGS[sev]} ({len(group)}): {summary}")
        runs, shown = all_runs[sev], shown_runs[sev]
        lines += [group_line(g, mark_new=has_history, deal_cols=deal_cols) for g in shown]
        if len(shown) < len(runs):
            rest = sum(len(g) for g in runs[len(shown) :])
            lines.append(
                f"  … and {rest} more (--limit 0 shows all, --format json gives every finding)"
            )
    if resolved:
        lines.append("")
        lines.append(f"Resolved since the last run ({len(resolved)}):")
        lines += [f"  {ljust(f.deal_id or '-', deal_cols)} {f.code}" for f in resolved_shown]
    s = report.summary()
    lines.append("")
    if not active:
        lines.append(f"No problems found in {count(report.deals, 'deal')}.")
    lines.append(
        f"Summary: {count(s['errors'], 'error')}, {count(s['warnings'], 'warning')}, "
        f"{s['stalled']} stalled, "
        f"{s['info']} info ({s['new']} new, {s['resolved']} resolved)"
    )
    if fix:
        lines += fix_lines(report, beside, title)
    return "\n".join(lines)


def fix_lines(report: CheckReport, beside: str | None = None, title: str = "validate") -> list[str]:
    command = fix_command(report, beside, title)
    if not command:
        return []
    if beside:
        return [
            f"Most of these say the {report.profile} profile does not fit this sheet; the "
            f"config written for it, {beside}, was not used: pass it with --config",
            f"  {command}",
        ]
    return [
        f"Most of these say the {report.profile} profile does not fit this sheet; a config "
        "written for the sheet fixes them:",
        f"  {command}",
    ]


def render_stalled(report: CheckReport, *, limit: int = 50) -> str:
    rows = report.extra.get("stalled", [])
    lines = [
        f"stalled: {report.source} — sheet {report.sheet!r}, {count(report.deals, 'deal')}, "
        f"today {report.today.isoformat()}",
        "",
    ]
    if not rows:
        lines.append("No stalled deals.")
        return "\n".join(lines)
    shown = rows if limit <= 0 else rows[:limit]
    deals = [r["deal_id"] or "-" for r in shown]
    owners = [str(r["owner"] or "-") for r in shown]
    stages = [str(r.get("stage_label") or r["stage"] or "-") for r in shown]
    # sized to what they hold: ids clipped to a fixed width showed different deals as one
    d_cols = columns_for(deals, 10, MAX_DEAL_COLS)
    o_cols = columns_for(owners, 14, 20)
    s_cols = columns_for(stages, 12, 24)
    lines.append(
        f"  {ljust('deal', d_cols)} {ljust('owner', o_cols)} {ljust('stage', s_cols)}"
        f" {'days':>5} {'limit':>5}  what"
    )
    for r, f, deal, owner, stage in zip(
        shown, report.findings, deals, owners, stages, strict=False
    ):
        days = "" if r["days"] is None else str(r["days"])
        limit_s = "" if r["threshold"] is None else str(r["threshold"])
        lines.append(
            f"  {ljust(deal, d_cols)} {ljust(owner, o_cols)} "
            f"{ljust(stage, s_cols)} {days:>5} {limit_s:>5}"
            f"  {f.code}: {f.message}"
        )
    if len(shown) < len(rows):
        lines.append(f"  … and {len(rows) - len(shown)} more (--limit 0 shows all)")
    lines.append("")
    # one line per finding; a deal both stalled and past its close date has two
    deals_n = len({f.deal_id or f"row {f.row}" for f in report.findings})
    more = f" ({count(len(rows), 'finding')})" if deals_n != len(rows) else ""
    lines.append(f"{count(deals_n, 'deal')} {'needs' if deals_n == 1 else 'need'} attention{more}.")
    return "\n".join(lines)


def render_run(report: CheckReport, *, limit: int = 50, beside: str | None = None) -> str:
    text = render_report(report, title="run", limit=limit, fix=False)
    lines = [text, ""]
    events = report.extra.get("events", [])
    moves = [e for e in events if e[3] == "stage"]
    seeded = [e for e in events if e[3] == "seen"]
    if seeded:
        lines.append(f"Ledger: {count(len(seeded), 'deal')} recorded for the first time.")
    if moves:
        lines.append(f"Stage changes since the last run ({len(moves)}):")
        name = report.extra.get("stage_labels", {})  # the stages as the sheet writes them
        moved = moves if limit <= 0 else moves[:limit]  # --limit 0: all
        cols = columns_for([str(e[2]) for e in moved], DEAL_COLS, MAX_DEAL_COLS)
        lines += [
            f"  {ljust(str(e[2]), cols)} {name.get(e[4], e[4])} → {name.get(e[5], e[5])}"
            for e in moved
        ]
        if len(moved) < len(moves):
            lines.append(f"  … and {len(moves) - len(moved)} more (--limit 0 shows all)")
    if "actions" in report.extra:
        lines += render_actions(report.extra["actions"], dry_run="dry_run" in report.extra)
    if "dry_run" in report.extra:
        changes = report.extra["dry_run"]["changes"]
        lines.append(f"Dry run: {len(changes)} changes would be written (nothing written):")
        lines += [f"  {c}" for c in changes[: (limit if limit > 0 else len(changes))]]
        if limit > 0 and len(changes) > limit:
            lines.append(f"  … and {len(changes) - limit} more (--limit 0 shows all)")
        for sheet, row, why in report.extra["dry_run"].get("skipped_rows", []):
            lines.append(f"  would skip {sheet} row {row}: {why}")
        if report.extra["dry_run"].get("note"):
            lines.append(report.extra["dry_run"]["note"])
        if refused := report.extra["dry_run"].get("refused"):
            lines.append(f"A run now would write nothing (exit 3): {refused['message']}")
            if refused.get("hint"):
                lines.append(f"  hint: {refused['hint']}")
    elif "written" in report.extra:
        w = report.extra["written"]
        if w.get("unchanged"):
            lines.append("Nothing changed since the last run: the file was not touched.")
        else:
            parts = [count(w["cells"], "cell")] if w["cells"] else []
            parts += [", ".join(w["sheets"])] if w["sheets"] else []
            lines.append(f"Wrote {' and '.join(parts) or 'nothing'}.")
            if w.get("backup"):
                lines.append(f"Backup of the previous version: {w['backup']}")
        for sheet, row, why in w.get("skipped_rows", []):
            lines.append(f"  skipped {sheet} row {row}: {why}")
        if w.get("note"):
            lines.append(w["note"])
    return "\n".join(lines + fix_lines(report, beside, "run")).rstrip()


def render_actions(actions: list[dict[str, Any]], *, dry_run: bool) -> list[str]:
    """The on_enter actions of a run, one line each (nothing when there were none)."""
    if not actions:
        return []
    if dry_run:
        head = f"On-enter actions: {len(actions)} planned (dry run: nothing done):"
    else:
        counts = Counter(a["status"] for a in actions)
        parts = ", ".join(f"{counts[s]} {s}" for s in ("done", "failed", "skipped") if counts[s])
        head = f"On-enter actions ({parts}):"
    lines = [head]
    d_cols = columns_for([a["deal_id"] for a in actions], DEAL_COLS, MAX_DEAL_COLS)
    s_cols = columns_for([a.get("stage_label") or a["stage"] for a in actions], 12, 24)
    for a in actions:
        status = a["status"]
        if status == "failed":
            status = f"failed (attempt {a['attempt']} of {MAX_ATTEMPTS})"
        detail = ""
        if a.get("number"):
            detail = f"{a['number']} → {a['file']}"
            if a.get("new") is False:
                detail += " (already registered)"
        elif a.get("error"):
            then = "tried again next night" if a.get("retry") else "not tried again"
            detail = f"{a['error']} ({then})"
        elif a.get("reason"):
            detail = a["reason"]
        stage = a.get("stage_label") or a["stage"]
        text = f"  {ljust(a['deal_id'], d_cols)} {ljust(stage, s_cols)} {a['action']}: {status}"
        lines.append(f"{text} — {detail}" if detail else text)
    return lines


def render_config_init(result: Any) -> str:
    """`config init` for people: the file written, each guess with its evidence, what
    validate finds with it, and the next command."""
    g = result.guess
    lines = [f"config init: wrote {result.path} (extends {g.profile})", ""]
    lines += [f"  {line}" for line in g.lines()]
    s = result.report.summary()
    lines.append("")
    lines.append(
        f"validate with it: {count(s['deals'], 'deal')}, {count(s['errors'], 'error')}, "
        f"{count(s['warnings'], 'warning')}, "
        f"{s['stalled']} stalled, {s['info']} info"
    )
    counts = Counter(f.code for f in result.report.active)
    if counts:
        lines.append("  " + ", ".join(f"{code} {n}" for code, n in counts.most_common(8)))
    source = g.source if " " not in g.source else f'"{g.source}"'
    config = str(result.path) if " " not in str(result.path) else f'"{result.path}"'
    lines.append("")
    lines.append("Check the guesses in the file (each says why), then:")
    lines.append(f"  salessheet validate {source} --config {config}")
    return "\n".join(lines)
