"""Per-deal checks: known stage, required fields, unique ids, sane amounts and dates."""

from __future__ import annotations

from collections import Counter, defaultdict

from salessheet.core import catalogue as C
from salessheet.core.cellsafe import quote_value
from salessheet.core.findings import Finding, field_label, json_safe
from salessheet.core.records import Deal
from salessheet.sheet.parsing import is_blank, is_null_marker, null_marker_set
from salessheet.sheet.pipeline import Pipeline
from salessheet.sheet.table import ColumnSpec, suggest_header

label = field_label  # how messages name a field


def check_fields(p: Pipeline) -> list[Finding]:
    out: list[Finding] = []
    of = Finding.of
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
        hint = suggest_header(header_texts, ColumnSpec(f, list(spec.aliases))) if spec else ""
        out.append(
            of(
                C.MISSING_COLUMN,
                f"no {label(f)} column, but stages {', '.join(stage_ids)} require it "
                f"({affected} deals there now){hint}",
                severity="error" if affected else "warning",
                sheet=p.sheet,
                row=p.layout.header_row or None,
                column=label(f),
                details={"field": f, "stages": stage_ids, "deals": affected},
            )
        )
    bad_cells = {(f.row, f.cell) for f in p.findings} | p.unread_cells
    nulls = null_marker_set(profile.null_markers)
    required = {s.id: (s, [f for f in s.required if f in col_of]) for s in profile.stages}
    today = p.today
    unknown_rows = p.unknown_stage_rows
    open_ids = {s.id for s in profile.stages if s.is_open}
    for d in p.deals:
        values = d.values
        if not d.id:
            raw = d.raw_value("deal_id")
            if is_blank(raw) or is_null_marker(raw, nulls):
                out.append(of(C.MISSING_ID, f"row {d.row} has data but no deal id", record=d,
                              field="deal_id"))  # fmt: skip
        if unknown_rows and d.row in unknown_rows:
            raw = d.raw_value("stage")
            out.append(
                of(
                    C.UNKNOWN_STAGE,
                    f"unknown stage {quote_value(json_safe(raw))}; allowed: {allowed}",
                    record=d,
                    field="stage",
                    details={"allowed": [s.id for s in profile.stages]},
                )
            )
            continue
        if d.stage is None:
            raw = d.raw_value("stage")
            if is_blank(raw):
                out.append(of(C.MISSING_FIELD, "the stage is empty", record=d, field="stage"))
            elif is_null_marker(raw, nulls):  # NA, \N, 暂无: empty, never a silent skip
                out.append(
                    of(
                        C.MISSING_FIELD,
                        f"the stage is empty ({str(raw).strip()})",
                        record=d,
                        field="stage",
                    )
                )
            continue
        stage, needed = required[d.stage]
        for f in needed:
            if values.get(f) is not None:
                continue
            if bad_cells and (d.row, d.cell(f)) in bad_cells:
                continue  # already reported as bad-value
            out.append(
                of(
                    C.MISSING_FIELD,
                    f"{label(f)} is required in stage {stage.id}"
                    + (f" ({stage.label_zh})" if stage.label_zh else ""),
                    record=d,
                    field=f,
                    details={"stage": stage.id},
                )
            )
        amount = values.get("amount")
        if amount is not None and amount < 0:
            out.append(
                of(C.NEGATIVE_AMOUNT, f"amount {amount} is negative", record=d, field="amount")
            )
        close = values.get("expected_close")
        if close is not None and close < today and d.stage in open_ids:
            days = (today - close).days
            iso = close.isoformat()
            out.append(
                of(
                    C.CLOSE_DATE_PASSED,
                    f"expected close {iso} passed {days} days ago and the deal is still in "
                    f"{stage.id}",
                    record=d,
                    field="expected_close",
                    value=iso,
                    details={"days": days},
                )
            )
        created = values.get("created")
        if created is not None and close is not None and close < created:
            out.append(
                of(
                    C.CLOSE_BEFORE_CREATED,
                    f"closes {close.isoformat()}, before it was created ({created.isoformat()})",
                    record=d,
                    field="expected_close",
                )
            )
        mark = values.get("amount_currency_mark")
        cur = values.get("currency") if mark else None
        if mark and cur and mark != str(cur).upper():
            out.append(
                of(
                    C.CURRENCY_MISMATCH,
                    f"the amount is written in {mark} but the currency column says {cur}",
                    record=d,
                    field="amount",
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
        # each of n rows gets a finding naming the others: at most _LISTED_ROWS of them, so
        # an id repeated on 10,000 rows costs 10,000 short findings, not 10,000 x 10,000 rows
        listed = [x.row for x in ds[:_LISTED_ROWS]]
        where = ", ".join(map(str, listed))
        if len(ds) > _LISTED_ROWS:
            where += f", … and {len(ds) - _LISTED_ROWS:,} more"
        details: dict[str, object] = {"rows": listed}
        if len(ds) > _LISTED_ROWS:
            details["more_rows"] = len(ds) - _LISTED_ROWS
        for d in ds:
            out.append(
                Finding.of(
                    C.DUPLICATE_ID,
                    f"deal id {quote_value(deal_id)} appears on {len(ds)} rows ({where})",
                    record=d,
                    field="deal_id",
                    details=dict(details),
                )
            )
    return out


_LISTED_ROWS = 20  # rows a duplicate-id finding lists (its message and details)
