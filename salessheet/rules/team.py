"""The team's own rules (a profile's ``rules:``), stage guidance on findings, and the finding of
an ``on_enter`` action that kept failing (``action-failed``, from the ledger's ``action`` rows:
see salessheet.history.actions and salessheet.nightly.actions, which carries the actions out).

Each rule's conditions were compiled to closures when the profile loaded
(salessheet.settings.conditions); here they run over the deals: a deal matching ``when`` that
lacks a ``require`` field, or fails ``check``, is a finding coded with the rule's id. A rule that
requires the ``approver`` field of a profile with ``approvers:`` wants one of the names allowed
for the deal's owner; those findings name the approvers (``details.approvers``) so that the
digest reaches them (salessheet.notify.digest).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from salessheet.core import catalogue as C
from salessheet.core.cellsafe import quote_value
from salessheet.core.findings import Finding, field_label
from salessheet.core.formatting import count
from salessheet.core.records import Deal
from salessheet.history.actions import action_log, still_in
from salessheet.history.ledger import DealState, Ledger
from salessheet.history.transitions import current_rows
from salessheet.settings.conditions import Condition
from salessheet.settings.notify import normalize_owner
from salessheet.settings.profile import Profile, Stage, StageAction, TeamRule
from salessheet.settings.team import APPROVER_FIELD
from salessheet.sheet.pipeline import Pipeline

# Built-in findings about a deal in its current stage: they carry the stage's guidance.
GUIDED_CODES = frozenset(
    c.code for c in (C.MISSING_FIELD, C.STALLED_DEAL, C.CLOSE_DATE_PASSED, C.CLOSE_DATE_SLIPPED)
)


def rule_fields(profile: Profile) -> frozenset[str]:
    """Every field the profile's rules read (to be parsed even by read-only commands)."""
    out: set[str] = set()
    for rule in profile.rules:
        out |= rule.fields()
        if APPROVER_FIELD in rule.require:
            out.add("owner")
    return frozenset(out)


def team_findings(p: Pipeline) -> list[Finding]:
    out: list[Finding] = []
    rules = p.profile.rules
    if not rules:
        return out
    today = p.today
    deals = p.deals
    col_of = p.layout.col_of
    for rule in rules:
        if not deals:
            break
        # a condition on a column the sheet lacks would read it empty on every deal: one
        # finding on the header instead (as for a required field without a column)
        if rule.when is not None and _lacking(rule.when, col_of):
            out += _unreadable(p, rule, rule.when, "reads it in when:", len(deals))
            continue
        when = rule.when.test if rule.when is not None else None
        matched = deals if when is None else [d for d in deals if when(d.values, today)]
        if not matched:
            continue
        if rule.test is None:  # a rule has require: fields or a check: condition
            out += _required(p, rule, matched)
            continue
        if _lacking(rule.test, col_of):
            out += _unreadable(p, rule, rule.test, "checks it", len(matched))
            continue
        fails = rule.test.check_failure
        failing = [d for d in matched if fails(d.values, today) is not None]
        if failing and p.findings:
            failing = _readable(p, rule.test, failing)
        if failing:
            out += _failed(p, rule, failing)
    return out


def _readable(p: Pipeline, condition: Condition, deals: list[Deal]) -> list[Deal]:
    """``deals`` without those whose cell for a field ``condition`` reads could not be read
    (``下周`` in a date column: a ``bad-value``, as for ``require:``): that cell is reported as
    unreadable; it did not fail the check."""
    bad = p.finding_cells()
    names = condition.fields
    return [d for d in deals if not any((d.row, d.cell(n)) in bad for n in names)]


def _lacking(condition: Condition, col_of: Mapping[str, int]) -> list[str]:
    """The fields ``condition`` reads that the sheet has no column for, in its order."""
    return [f for f in dict.fromkeys(condition.fields) if f not in col_of]


def _unreadable(
    p: Pipeline, rule: TeamRule, condition: Condition, how: str, n: int
) -> list[Finding]:
    """One finding on the header per field of ``condition`` the sheet has no column for."""
    deals = count(n, "deal")
    if condition is rule.when:
        tail = f"{condition.source}: the rule is not checked ({deals})"
    else:
        tail = f"({deals}{_when(rule)})"
    return [
        Finding.of(
            rule.check,
            f"no {field_label(name)} column, but rule {rule.id} {how} {tail}",
            sheet=p.sheet,
            row=p.layout.header_row,
            column=field_label(name),
            details={"field": name, "deals": n},
        )
        for name in _lacking(condition, p.layout.col_of)
    ]


def _message(p: Pipeline, rule: TeamRule, default: str) -> str:
    return rule.message.text(p.profile.bilingual) if rule.message is not None else default


def _when(rule: TeamRule) -> str:
    return f" when {rule.when.source}" if rule.when is not None else ""


def _required(p: Pipeline, rule: TeamRule, matched: list[Deal]) -> list[Finding]:
    out: list[Finding] = []
    of = Finding.of
    check = rule.check
    col_of = p.layout.col_of
    bad_cells = p.finding_cells()
    approvers = p.profile.approvers
    for name in rule.require:
        if name not in col_of:
            n = len(matched)
            out.append(
                of(
                    check,
                    f"no {field_label(name)} column, but rule {rule.id} requires it "
                    f"({count(n, 'deal')}{_when(rule)})",
                    sheet=p.sheet,
                    row=p.layout.header_row,
                    column=field_label(name),
                    details={"field": name, "deals": n},
                )
            )
            continue
        approving = approvers if name == APPROVER_FIELD else None  # whom this field may name
        default = f"{field_label(name)} is required{_when(rule)}"
        message = _message(p, rule, default)
        for d in matched:
            value = d.values.get(name)
            if value is None:
                if bad_cells and (d.row, d.cell(name)) in bad_cells:
                    continue  # already reported as bad-value
                names = approving.for_owner(d.values.get("owner")) if approving is not None else ()
                details: dict[str, Any] = {"approvers": list(names)} if names else {}
                text = message
                if names:
                    text += f"; approvers: {', '.join(names)}"
                out.append(of(check, text, record=d, field=name, details=details))
            elif approving is not None:
                names = approving.for_owner(d.values.get("owner"))
                if normalize_owner(str(value)) in {normalize_owner(n) for n in names}:
                    continue
                owner = d.values.get("owner")
                whose = f"{owner}'s deals" if owner else "deals without an owner"
                allowed = ", ".join(names) if names else "nobody is listed under approvers"
                out.append(
                    of(
                        check,
                        f"{message}: {quote_value(str(value))} may not approve {whose} "
                        f"(approvers: {allowed})",
                        record=d,
                        field=name,
                        details={"approvers": list(names)} if names else {},
                    )
                )
    return out


def _failed(p: Pipeline, rule: TeamRule, failing: list[Deal]) -> list[Finding]:
    test = rule.test
    assert test is not None
    col_of = p.layout.col_of
    message = _message(p, rule, f"does not meet {test.source}{_when(rule)}")
    of = Finding.of
    check = rule.check
    today = p.today
    out: list[Finding] = []
    for d in failing:
        # the cell of the part that failed: amount's, not owner's, in
        # `owner is not empty and amount > 5` on a deal with an owner and a small amount
        names = test.check_failure(d.values, today) or test.fields
        shown = next((f for f in (*names, *test.fields) if f in col_of), None)
        out.append(of(check, message, record=d, field=shown))
    return out


def attach_guidance(p: Pipeline, findings: Iterable[Finding]) -> None:
    """Findings about a deal in a stage with ``guidance`` carry that text (``guidance`` in the
    JSON): the built-in checks of GUIDED_CODES and the team's rules. Messages stay as they are."""
    profile = p.profile
    guided = {
        s.id: s.guidance.text(profile.bilingual) for s in profile.stages if s.guidance is not None
    }
    if not guided:
        return
    codes = GUIDED_CODES | {r.id for r in profile.rules}
    stage_at = {d.row: guided[d.stage] for d in p.deals if d.stage in guided}
    sheet = p.sheet
    for f in findings:
        if f.code in codes and f.deal_id and f.sheet == sheet:
            text = stage_at.get(f.row) if f.row is not None else None
            if text is not None:
                f.guidance = text


def action_failed(
    deal: Deal, stage: Stage, action: StageAction, attempts: int, error: str, name: str = ""
) -> Finding:
    """The finding of an ``on_enter`` action that failed ``attempts`` times (the night it was
    due and the retries after); ``name``: the stage as the sheet writes it (else its id)."""
    name = name or stage.id
    return Finding.of(
        C.ACTION_FAILED,
        f"on entering {name}: {action.describe()} failed {attempts} times; last error: {error}",
        record=deal,
        field="stage",
        details={
            "stage": stage.id,
            "stage_label": name,
            "action": action.describe(),
            "attempts": attempts,
        },
    )


def action_findings(p: Pipeline, ledger: Ledger, state: Mapping[str, DealState]) -> list[Finding]:
    """``action-failed`` for every ``on_enter`` action the nightly run gave up on (the ledger's
    ``action`` rows), while its deal is still in the stage it entered then and the profile
    still lists the action: the finding resolves when the deal moves on."""
    if not any(s.on_enter for s in p.profile.stages):
        return []
    given_up = [r for r in action_log(ledger).values() if r.gave_up]
    if not given_up:
        return []
    rows = current_rows(p)
    out: list[Finding] = []
    for rec in given_up:
        deal = rows.get(rec.deal_id)
        if deal is None or deal.stage != rec.stage:
            continue
        if not still_in(state.get(rec.deal_id), rec.stage, rec.entered):
            continue
        stage = p.profile.stage(rec.stage)
        action = next((a for a in stage.on_enter if a.describe() == rec.action), None)
        if action is not None:
            name = p.stage_names.of(deal)
            out.append(action_failed(deal, stage, action, rec.attempt, rec.error, name))
    return out
