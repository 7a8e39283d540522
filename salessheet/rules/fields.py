"""Per-deal checks: known stage, required fields, unique ids, sane amounts and dates."""

from __future__ import annotations

from collections import defaultdict
from difflib import get_close_matches

from salessheet.core import catalogue as C
from salessheet.core.cells import a1
from salessheet.core.cellsafe import quote_value
from salessheet.core.currency import currency_code
from salessheet.core.findings import Finding, field_label, json_safe
from salessheet.core.formatting import count
from salessheet.core.records import Deal
from salessheet.core.textnorm import normalise
from salessheet.settings.profile import Profile
from salessheet.sheet.parsing import is_blank, is_null_marker, null_marker_set
from salessheet.sheet.pipeline import Pipeline
from salessheet.sheet.table import ColumnSpec, suggest_header

label = field_label  # how messages name a field


def check_fields(p: Pipeline) -> list[Finding]:
    out: list[Finding] = []
    of = Finding.of
    profile = p.profile
    col_of = p.layout.col_of
    names = p.stage_names  # how the sheet writes each stage: what messages say
    allowed = ", ".join(names(s.id) for s in profile.stages)
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
                f"no {label(f)} column, but stages {', '.join(map(names, stage_ids))} require it "
                f"({count(affected, 'deal')} there now){hint}",
                severity="error" if affected else "warning",
                sheet=p.sheet,
                row=p.layout.header_row or None,
                column=label(f),
                details={"field": f, "stages": stage_ids, "deals": affected},
            )
        )
    bad_cells = p.finding_cells() | p.unread_cells
    nulls = null_marker_set(profile.null_markers)
    id_nulls, stage_nulls = (nulls | null_marker_set(_own_markers(profile, f)) for f in _KEYS)
    today = p.today
    unknown_rows = p.unknown_stage_rows
    # each finding about a row's field built by Finding.of's per-field form (same result)
    layout = p.layout
    by = Finding.for_field
    missing_id = by(C.MISSING_ID, layout, "deal_id")
    unknown_stage = by(C.UNKNOWN_STAGE, layout, "stage")
    no_stage = by(C.MISSING_FIELD, layout, "stage")
    negative = by(C.NEGATIVE_AMOUNT, layout, "amount")
    close_passed = by(C.CLOSE_DATE_PASSED, layout, "expected_close")
    close_first = by(C.CLOSE_BEFORE_CREATED, layout, "expected_close")
    mismatch = by(C.CURRENCY_MISMATCH, layout, "amount")
    # stage id -> (stage, is open, [(field, its missing-field maker, message start, column)])
    required = {
        s.id: (
            s,
            s.is_open,
            [
                (f, by(C.MISSING_FIELD, layout, f), f"{label(f)} is required in stage ", col_of[f])
                for f in s.required
                if f in col_of
            ],
        )
        for s in profile.stages
    }
    stage_ids = [s.id for s in profile.stages]
    unread = p.unread_cells  # (an id or stage formula with no saved result: said per column)
    near_stage: dict[object, str] = {}  # raw stage -> its did-you-mean (once per spelling)
    for d in p.deals:
        values = d.values
        if not d.id:
            raw = d.raw_value("deal_id")
            if (is_blank(raw) or is_null_marker(raw, id_nulls)) and not (
                unread and (d.row, d.cell("deal_id")) in unread
            ):
                out.append(missing_id(d, f"row {d.row} has data but no deal id"))
        if unknown_rows and d.row in unknown_rows:
            raw = d.raw_value("stage")
            if raw not in near_stage:
                near_stage[raw] = _near_stage(raw, profile)
            out.append(
                unknown_stage(
                    d,
                    f"unknown stage {quote_value(json_safe(raw))}{near_stage[raw]}; "
                    f"allowed: {allowed}",
                    details={"allowed": list(stage_ids)},
                )
            )
            continue
        if d.stage is None:
            raw = d.raw_value("stage")
            if unread and (d.row, d.cell("stage")) in unread:
                continue
            if is_blank(raw):
                out.append(no_stage(d, "the stage is empty"))
            elif is_null_marker(raw, stage_nulls):  # NA, \N, 暂无: empty, never a silent skip
                out.append(no_stage(d, f"the stage is empty ({str(raw).strip()})"))
            continue
        stage, is_open, needed = required[d.stage]
        name = ""  # the deal's stage as its cell writes it, looked up when a message needs it
        for f, missing, message, col in needed:
            if values.get(f) is not None:
                continue
            if bad_cells and (d.row, a1(d.row, col)) in bad_cells:
                continue  # already reported as bad-value
            name = name or names.of(d)
            out.append(missing(d, message + name, details={"stage": stage.id, "stage_label": name}))
        amount = values.get("amount")
        if amount is not None and amount < 0:
            out.append(negative(d, f"amount {amount} is negative"))
        close = values.get("expected_close")
        if close is not None and close < today and is_open:
            days = (today - close).days
            iso = close.isoformat()
            name = name or names.of(d)
            out.append(
                close_passed(
                    d,
                    f"expected close {iso} passed {count(days, 'day')} ago and the deal is still "
                    f"in {name}",
                    value=iso,
                    details={"days": days, "stage": stage.id, "stage_label": name},
                )
            )
        created = values.get("created")
        if created is not None and close is not None and close < created:
            out.append(
                close_first(
                    d, f"closes {close.isoformat()}, before it was created ({created.isoformat()})"
                )
            )
        mark = values.get("amount_currency_mark")
        cur = values.get("currency") if mark else None
        if mark and cur and mark != currency_code(cur, mark):
            out.append(
                mismatch(d, f"the amount is written in {mark} but the currency column says {cur}")
            )
    out += check_duplicates(p)
    return out


def check_duplicates(p: Pipeline) -> list[Finding]:
    repeated = {k for k, n in p.id_counts().items() if n > 1 and k}
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
_KEYS = ("deal_id", "stage")


def _own_markers(profile: Profile, field: str) -> tuple[str, ...]:
    """The null markers a column has on top of the profile's (``columns.X.null_markers``)."""
    col = profile.column(field)
    return col.null_markers if col is not None else ()


def _near_stage(raw: object, profile: Profile) -> str:
    """`` (did you mean negotiation? 'Proposl' is its alias in the config)`` for a stage
    written close to one of the profile's spellings: a typo in the sheet, or in the config."""
    if not isinstance(raw, str) or not raw.strip():
        return ""
    written: dict[str, tuple[str, str]] = {}  # normalised spelling -> (as written, stage id)
    for s in profile.stages:
        for spelling in (s.id, s.label, s.label_zh, *s.aliases):
            if spelling:
                written.setdefault(normalise(spelling), (spelling, s.id))
    got = get_close_matches(normalise(raw), list(written), n=1, cutoff=0.75)
    if not got:
        return ""
    spelling, sid = written[got[0]]
    if spelling == sid:
        return f" (did you mean {sid}?)"
    return f" (did you mean {sid}? the config spells it {spelling!r})"
