"""One evaluation of a pipeline against its ledger: every finding, with its status."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from salessheet.core import catalogue as C
from salessheet.core.cells import RawSheet, WriteValue
from salessheet.core.findings import Finding
from salessheet.core.owned import FINDINGS_SHEET, FORECAST_SHEET, HISTORY_SHEET
from salessheet.core.report import CheckReport
from salessheet.history.ledger import HEADER as LEDGER_HEADER
from salessheet.history.ledger import DealState, Ledger, LedgerEvent
from salessheet.history.ownership import is_ours, not_owned_finding, ownership
from salessheet.history.snapshots import FORECAST_HEADER
from salessheet.history.transitions import observe, transition_findings
from salessheet.rules.fields import check_fields
from salessheet.rules.stalled import days_in_stage, stalled_findings
from salessheet.rules.team import action_findings, attach_guidance, rule_fields, team_findings
from salessheet.sheet.parsing import cell_text
from salessheet.sheet.pipeline import Pipeline

FINDINGS_HEADER = ["Code", "Deal ID", "Column", "Severity", "First Seen", "Message"]


# Fields the rules read (besides each stage's required fields); other text columns need no
# parsing for validate, stalled and run.
RULE_FIELDS = frozenset(
    {
        "deal_id",
        "stage",
        "owner",
        "customer",
        "amount",
        "currency",
        "expected_close",
        "created",
        "lost_reason",
        "stage_date",
        "last_activity",
        "next_step_date",
        "snooze_until",
        "override_reason",
    }
)


def unused_text_fields(profile: Any) -> frozenset[str]:
    needed = RULE_FIELDS | {f for s in profile.stages for f in s.required}
    if profile.rules:
        needed |= rule_fields(profile)
    needed |= {c.field for c in profile.columns if getattr(c, "track", False)}  # field history
    return frozenset(c.field for c in profile.columns if c.type == "text" and c.field not in needed)


@dataclass
class Evaluation:
    pipeline: Pipeline
    ledger: Ledger  # as read
    events: list[LedgerEvent]  # added by this run
    new_ledger: Ledger
    state: dict[str, DealState]
    findings: list[Finding]
    # finding key -> the date it was first seen. None on a first run (every finding is new
    # today) until asked for: a read-only check never keys its 100,000 findings.
    _first_seen: dict[tuple[str, str, str], str] | None = field(default=None, repr=False)

    @property
    def first_seen(self) -> dict[tuple[str, str, str], str]:
        if self._first_seen is None:
            today = self.pipeline.today.isoformat()
            self._first_seen = dict.fromkeys((f.key() for f in self.findings), today)
        return self._first_seen

    def check_report(self, findings: list[Finding] | None = None) -> CheckReport:
        """The report of validate / run: each deal once (rows sharing an id are one deal, the
        last row wins), and a note saying so when rows share ids."""
        p = self.pipeline
        report = CheckReport(
            str(p.source),
            p.sheet,
            p.today,
            p.profile.name,
            len(p.counted()),
            self.findings if findings is None else findings,
        )
        note = p.duplicate_note()
        if note:
            report.notes.append(f"{len(p.deals)} rows: {note}")
        return report

    def days_in_stage(self) -> dict[int, int | None]:
        """Sheet row -> days in current stage (None: unknown)."""
        p = self.pipeline
        return {d.row: days_in_stage(p, d, self.state.get(d.id)) for d in p.deals if d.stage}

    def findings_rows(self) -> list[list[WriteValue]]:
        rows: list[list[WriteValue]] = [list(FINDINGS_HEADER)]
        for f in self.findings:
            if f.status == "resolved" or f.details.get("event"):
                continue
            code, deal, col = f.key()
            rows.append([code, deal, col, f.severity, self.first_seen.get(f.key(), ""), f.message])
        return rows


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def previous_findings(sheet: RawSheet | None) -> dict[tuple[str, str, str], list[str]]:
    out: dict[tuple[str, str, str], list[str]] = {}
    if sheet is None or not is_ours(sheet, [FINDINGS_HEADER]):
        return out
    for row in sheet.rows[1:]:
        cells = [cell_text(v) if v not in (None, "") else "" for v in row] + [""] * 6
        if not C.looks_like_code(cells[0]):
            continue  # empty, or typed over (#N/A): nothing to carry over
        if not _ISO_DATE.fullmatch(cells[4]):
            cells[4] = ""  # a first-seen date typed over: counted from today
        if cells[1] == "row:None":  # how runs before 2026-12 keyed a finding on no row
            cells[1] = ""
        out[(cells[0], cells[1], cells[2])] = cells[:6]
    return out


def evaluate(p: Pipeline, *, record: bool = True) -> Evaluation:
    """``record=False`` (read-only commands) skips seeding an empty ledger: nothing to compare."""
    history = p.sheets.get(HISTORY_SHEET)
    foreign = [
        name
        for name, sheet, header in (
            (HISTORY_SHEET, history, LEDGER_HEADER),
            (FINDINGS_SHEET, p.sheets.get(FINDINGS_SHEET), FINDINGS_HEADER),
            (FORECAST_SHEET, p.sheets.get(FORECAST_SHEET), FORECAST_HEADER),
        )
        if ownership(sheet, [header]) == "foreign"
    ]
    ledger = Ledger.from_sheet(history if HISTORY_SHEET not in foreign else None)
    if ledger.is_empty and not record:
        events: list[LedgerEvent] = []
        new_ledger, state = ledger, {}
    else:
        events = observe(p, ledger, ledger.next_run_id(), ledger.state())
        new_ledger = ledger.extended(events)
        state = new_ledger.state()
    findings = list(p.findings) + check_fields(p)
    changed = {e.deal_id: e for e in events if e.event == "stage"}
    if record:  # a rerun the same day words it the same way: the move is still today's
        for deal_id, st in state.items():
            e = st.last_stage_event
            if e is not None and e.run_date == p.today and deal_id not in changed:
                changed[deal_id] = e
    for f in findings if changed else ():
        e = changed.get(f.deal_id or "")
        if e is not None and f.code == C.MISSING_FIELD.code:
            f.message += f" (required on entering {e.to} from {e.from_})"
            f.details["transition"] = f"{e.from_} → {e.to}"
    if state or events:  # no history yet: no moves to judge
        findings += transition_findings(p, state, events)
    findings += stalled_findings(p, state)
    if p.profile.rules:
        findings += team_findings(p)
    findings += action_findings(p, new_ledger, state)  # on_enter actions given up on
    attach_guidance(p, findings)
    for problem in ledger.problems:
        findings.append(
            Finding.of(
                C.LEDGER_UNREADABLE, f"could not read a ledger row: {problem}", sheet=HISTORY_SHEET
            )
        )
    findings += [not_owned_finding(name) for name in foreign]
    prev = previous_findings(p.sheets.get(FINDINGS_SHEET))
    if record and ledger.is_empty and prev and HISTORY_SHEET not in foreign:
        findings.append(_ledger_missing(prev))
    today_iso = p.today.isoformat()
    first_seen: dict[tuple[str, str, str], str] | None = None  # first run: all new, today
    current: set[tuple[str, str, str]] = set()
    if prev:
        keys = [f.key() for f in findings]
        current = set(keys)
        first_seen = {}
        for f, k in zip(findings, keys, strict=True):
            if k in prev:
                f.status = "persisting"
                first_seen[k] = prev[k][4] or today_iso
                f.details.setdefault("since", first_seen[k])
            else:
                first_seen.setdefault(k, today_iso)  # Finding.status defaults to "new"
    for k, cells in prev.items():
        if k in current:
            continue
        code, deal, col = k
        sev = cells[3] if cells[3] in ("error", "warning", "info") else "warning"
        findings.append(
            Finding.of(
                C.lookup(code),
                f"resolved: {cells[5]}",
                severity=sev,  # type: ignore[arg-type]  # one of the three: checked above
                status="resolved",
                deal_id=deal if not deal.startswith("row:") else None,
                sheet=p.sheet,
                column=col or None,
                details={"first_seen": cells[4]},
            )
        )
    return Evaluation(p, ledger, events, new_ledger, state, findings, first_seen)


def _ledger_missing(prev: dict[tuple[str, str, str], list[str]]) -> Finding:
    """The history sheet is gone (deleted, or renamed by someone) while the findings sheet
    shows earlier runs: said, so that a ledger starting again is not taken for the first night."""
    since = min((cells[4] for cells in prev.values() if cells[4]), default="")
    earlier = f" since {since}" if since else ""
    return Finding.of(
        C.LEDGER_MISSING,
        f"the {HISTORY_SHEET!r} sheet is missing or empty, but {FINDINGS_SHEET!r} holds "
        f"findings of earlier runs{earlier}: the history was deleted, cleared or renamed, so a "
        "new ledger starts today and every deal is recorded for the first time. If you renamed "
        f"the sheet, rename it back to {HISTORY_SHEET!r} (and delete the new one) before the "
        "next run",
        sheet=HISTORY_SHEET,
    )
