"""Per-deal checks: known stage, required fields, unique ids, sane amounts and dates."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from salessheet.core.cells import col_letter
from salessheet.core.cellsafe import quote_value
from salessheet.core.findings import Finding, json_safe
from salessheet.core.records import Deal
from salessheet.sheet.parsing import is_blank
from salessheet.sheet.pipeline import Pipeline
from salessheet.sheet.table import ColumnSpec, _suggest

FIELD_LABELS = {
    "deal_id": "deal id",
    "customer": "customer",
    "stage": "stage",
    "amount": "amount",
    "currency": "currency",
    "owner": "owner",
    "expected_close": "expected close date",
    "last_activity": "last activity date",
    "stage_date": "stage date",
    "lost_reason": "lost reason",
    "probability": "probability",
}


def label(field: str) -> str:
    return FIELD_LABELS.get(field, field.replace("_", " "))


_UNSET = object()


def _finding(
    p: Pipeline,
    d: Deal,
    code: str,
    severity: str,
    field: str,
    message: str,
    shown: object = _UNSET,
    **details: object,
) -> Finding:
    """A finding on ``field`` of deal ``d``; ``shown``: the value to show, if already known."""
    layout = p.layout
    col = layout.col_of.get(field)
    header = layout.header_of.get(field)
    if shown is _UNSET:
        raw = d.raw_row[col - 1] if col and col <= len(d.raw_row) else None
        shown = _shown(d, field, raw)
    return Finding(
        code,
        severity,  # type: ignore[arg-type]
        message,
        d.id or None,
        p.sheet,
        d.row,
        header if header is not None else label(field),
        f"{col_letter(col)}{d.row}" if col else None,
        shown,
        "new",
        d.values.get("owner"),
        details,
    )


def _shown(d: Deal, field: str, raw: object) -> object:
    """The value a finding shows: a parsed date as ISO text (Google sends dates as serial
    numbers, Excel as date cells), else the raw cell."""
    if raw is None or raw == "":
        return None
    parsed = d.values.get(field)
    if isinstance(parsed, dt.date):
        return parsed.isoformat()
    return json_safe(raw)


def check_fields(p: Pipeline) -> list[Finding]:
    out: list[Finding] = []
    profile = p.profile
    col_of = p.layout.col_of
    allowed = ", ".join(profile.stage_spellings())
    missing_cols: dict[str, list[str]] = defaultdict(list)
    for st in profile.stages:
        for f in st.required:
            if f not in col_of:
                missing_cols[f].append(st.id)
    header_texts = [h for h in p.layout.unmapped.values() if isinstance(h, str)]
    for f, stage_ids in missing_cols.items():
        spec = profile.column(f)
        affected = sum(1 for d in p.deals if d.stage in stage_ids)
        hint = _suggest(header_texts, ColumnSpec(f, list(spec.aliases))) if spec else ""
        out.append(
            Finding(
                code="missing-column",
                severity="error" if affected else "warning",
                message=f"no {label(f)} column, but stages {', '.join(stage_ids)} require it "
                f"({affected} deals there now){hint}",
                sheet=p.sheet,
                row=p.layout.header_row,
                column=label(f),
                details={"field": f, "stages": stage_ids, "deals": affected},
            )
        )
    bad_cells = {(f.row, f.cell) for f in p.findings}
    required = {s.id: (s, [f for f in s.required if f in col_of]) for s in profile.stages}
    today = p.today
    for d in p.deals:
        values = d.values
        if not d.id:
            raw = d.raw_value("deal_id")
            if is_blank(raw):
                out.append(
                    _finding(
                        p,
                        d,
                        "missing-id",
                        "error",
                        "deal_id",
                        f"row {d.row} has data but no deal id",
                    )
                )
        if d.row in p.unknown_stage_rows:
            raw = d.raw_value("stage")
            out.append(
                _finding(
                    p,
                    d,
                    "unknown-stage",
                    "error",
                    "stage",
                    f"unknown stage {quote_value(json_safe(raw))}; allowed: {allowed}",
                    allowed=[s.id for s in profile.stages],
                )
            )
            continue
        if d.stage is None:
            if is_blank(d.raw_value("stage")):
                out.append(_finding(p, d, "missing-field", "error", "stage", "the stage is empty"))
            continue
        stage, needed = required[d.stage]
        for f in needed:
            if values.get(f) is not None:
                continue
            if bad_cells and (d.row, d.cell(f)) in bad_cells:
                continue  # already reported as bad-value
            out.append(
                _finding(
                    p,
                    d,
                    "missing-field",
                    "error",
                    f,
                    f"{label(f)} is required in stage {stage.id}"
                    + (f" ({stage.label_zh})" if stage.label_zh else ""),
                    stage=stage.id,
                )
            )
        amount = values.get("amount")
        if amount is not None and amount < 0:
            out.append(
                _finding(p, d, "negative-amount", "error", "amount", f"amount {amount} is negative")
            )
        close = values.get("expected_close")
        if close is not None and stage.is_open and close < today:
            days = (today - close).days
            iso = close.isoformat()
            out.append(
                _finding(
                    p,
                    d,
                    "close-date-passed",
                    "warning",
                    "expected_close",
                    f"expected close {iso} passed {days} days ago and the deal is still in "
                    f"{stage.id}",
                    iso,
                    days=days,
                )
            )
        created = values.get("created")
        if created is not None and close is not None and close < created:
            out.append(
                _finding(
                    p,
                    d,
                    "close-before-created",
                    "warning",
                    "expected_close",
                    f"closes {close.isoformat()}, before it was created ({created.isoformat()})",
                )
            )
        mark = values.get("amount_currency_mark")
        cur = values.get("currency")
        if mark and cur and mark != str(cur).upper():
            out.append(
                _finding(
                    p,
                    d,
                    "currency-mismatch",
                    "warning",
                    "amount",
                    f"the amount is written in {mark} but the currency column says {cur}",
                )
            )
    out += check_duplicates(p)
    return out


def check_duplicates(p: Pipeline) -> list[Finding]:
    counts = Counter(d.id for d in p.deals)
    repeated = {k for k, n in counts.items() if n > 1 and k}
    if not repeated:
        return []
    rows: dict[str, list[Deal]] = defaultdict(list)
    for d in p.deals:
        if d.id in repeated:
            rows[d.id].append(d)
    out = []
    for deal_id, ds in rows.items():
        where = ", ".join(str(x.row) for x in ds)
        for d in ds:
            out.append(
                _finding(
                    p,
                    d,
                    "duplicate-id",
                    "error",
                    "deal_id",
                    f"deal id {quote_value(deal_id)} appears on {len(ds)} rows ({where})",
                    rows=[x.row for x in ds],
                )
            )
    return out
