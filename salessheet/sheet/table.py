"""Table mapping: find the header row, map columns by name, parse every cell strictly.

Structural problems (a required column missing, two columns claiming one field, data in
merged cells) raise one StructureError listing all of them. Cell problems become findings.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from salessheet.core.catalogue import BAD_VALUE
from salessheet.core.cells import CellError, RawSheet, RawValue, a1, col_letter
from salessheet.core.cellsafe import quote_value
from salessheet.core.errors import StructureError
from salessheet.core.findings import Finding, json_safe
from salessheet.core.records import Deal, Record, TableLayout
from salessheet.core.textnorm import normalise, without_brackets
from salessheet.sheet.parsing import (
    ParseContext,
    ParseFailure,
    parse_date,
    parse_id,
    parse_money,
    parse_number,
    parse_percent,
    parse_text,
)

HEADER_SCAN_ROWS = 30
UNKNOWN_STAGE = object()  # marker in Record.values for a stage that did not match


@dataclass(frozen=True)
class ColumnSpec:
    field: str
    aliases: list[str]
    type: str = "text"  # id|text|stage|money|number|percent|date
    required: bool = False


@dataclass
class MappedTable:
    layout: TableLayout
    records: list[Record]
    findings: list[Finding] = field(default_factory=list)

    @property
    def header_row(self) -> int:
        return self.layout.header_row

    @property
    def col_of(self) -> dict[str, int]:
        return self.layout.col_of


def specs_from_profile(profile: Any) -> list[ColumnSpec]:
    return [ColumnSpec(c.field, list(c.aliases), c.type, c.required) for c in profile.columns]


def _alias_index(columns: list[ColumnSpec]) -> dict[str, str]:
    """Normalised header name (each alias and the field name itself) → field."""
    exact: dict[str, str] = {}
    for spec in columns:
        for alias in (*spec.aliases, spec.field):
            exact.setdefault(normalise(alias), spec.field)
    return exact


def match_header(text: RawValue, exact: dict[str, str]) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    n = normalise(text)
    if n in exact:
        return exact[n]
    stripped = without_brackets(n)
    if stripped != n and stripped in exact:
        return exact[stripped]
    return None


def find_header_row(sheet: RawSheet, exact: dict[str, str], must: Iterable[str]) -> int | None:
    """0-based index of the row that names the most known fields (and at least one `must`)."""
    must = set(must)
    best, best_score = None, 1
    for r, row in enumerate(sheet.head(HEADER_SCAN_ROWS)):
        fields = {match_header(v, exact) for v in row} - {None}
        score = len(fields)
        if must and not (fields & must):
            continue
        if score > best_score:
            best, best_score = r, score
    return best


def suggest_header(header_texts: list[str], spec: ColumnSpec) -> str:
    """'; did you mean ...?' for near-miss headers, and the accepted headers (for messages)."""
    names = {normalise(h): h for h in header_texts if h}
    aliases = [normalise(a) for a in spec.aliases]
    hits = []
    for n, original in names.items():
        if difflib.get_close_matches(n, aliases, n=1, cutoff=0.7):
            hits.append(original)
    if hits:
        near = ", ".join(repr(h) for h in hits)
        return f"; did you mean {near}? (accepted headers: {', '.join(spec.aliases)})"
    return f" (accepted headers: {', '.join(spec.aliases)})"


def _parser(kind: str, ctx: ParseContext) -> Callable[[RawValue], Any]:
    if kind == "id":
        return parse_id
    if kind == "text":
        return parse_text
    if kind == "money":

        def money(v: RawValue) -> Any:
            # most amounts are whole numbers in numeric cells: skip the general path
            if v.__class__ is float and v.is_integer() and -1e15 < v < 1e15:  # type: ignore[union-attr]
                return Decimal(int(v)), None  # type: ignore[arg-type]
            return parse_money(v, ctx)

        return money
    if kind == "number":
        return lambda v: parse_number(v, ctx)
    if kind == "percent":
        return lambda v: parse_percent(v, ctx)
    if kind == "date":
        return lambda v: parse_date(v, ctx)
    if kind == "stage":
        lookup = ctx.stage_lookup

        def stage(v: RawValue) -> Any:
            if isinstance(v, CellError):
                raise ParseFailure(f"error value {v.code}")
            return lookup.get(normalise(str(v)), UNKNOWN_STAGE)

        return stage
    raise ValueError(kind)


def map_table(
    sheet: RawSheet,
    columns: list[ColumnSpec],
    ctx: ParseContext,
    *,
    id_field: str | None = None,
    record_type: type[Record] = Record,
    source: str = "",
    skip_text: frozenset[str] = frozenset(),
) -> MappedTable:
    """Map ``sheet`` through ``columns``. Raises StructureError listing every structural problem.

    ``skip_text``: text fields the caller does not need parsed (validate needs no phone
    numbers). They are skipped only when the store knows every error cell of the sheet, so an
    ``#N/A`` in them is still reported; their values are then absent from ``Record.values``.
    """
    exact = _alias_index(columns)
    required = [c.field for c in columns if c.required]
    where = f"{source}, sheet {sheet.name!r}" if source else f"sheet {sheet.name!r}"
    hr = find_header_row(sheet, exact, required or [c.field for c in columns])
    if hr is None:
        wanted = "; ".join(f"{c.field}: {', '.join(c.aliases[:4])}" for c in columns if c.required)
        raise StructureError(
            f"{where}: no header row found in the first {HEADER_SCAN_ROWS} rows",
            [f"expected a row with headers such as {wanted}"],
            hint="use --sheet to pick another sheet, or --config with your own column aliases",
        )
    header = sheet.head(hr + 1)[hr]
    header_row = hr + 1
    col_of: dict[str, int] = {}
    header_of: dict[str, str] = {}
    unmapped: dict[int, str] = {}
    problems: list[str] = []
    width = 0
    for c, text in enumerate(header, start=1):
        if isinstance(text, str) and text.strip() or not _blank(text):
            width = c
        fname = match_header(text, exact)
        if fname is not None and ctx.ignore_columns and _ignored(text, c, ctx.ignore_columns):
            fname = None  # the config says this column holds no field
        if fname is None:
            if not _blank(text):
                unmapped[c] = parse_text(text) if not isinstance(text, CellError) else str(text)
            continue
        if fname in col_of:
            first = col_of[fname]
            problems.append(
                f"columns {col_letter(first)} ({header_of[fname]!r}) and {col_letter(c)} "
                f"({text!r}) both map to the field {fname!r}: rename or remove one"
            )
            continue
        col_of[fname] = c
        header_of[fname] = str(text).strip()
    header_texts = [str(h) for h in header if isinstance(h, str)]
    for spec in columns:
        if spec.required and spec.field not in col_of:
            problems.append(
                f"required column {spec.field!r} is missing from the header on row {header_row}"
                + suggest_header(header_texts, spec)
            )
    # merged cells that reach into the data area of a mapped column
    mapped_cols = set(col_of.values())
    for (top, left), (bottom, right) in sheet.merged:
        if bottom + 1 <= header_row - 1:
            continue  # title block above the header
        if any(left + 1 <= c <= right + 1 for c in mapped_cols) and bottom + 1 > header_row:
            problems.append(
                f"data in merged cells {a1(top + 1, left + 1)}:{a1(bottom + 1, right + 1)}: "
                "unmerge them so each deal has its own cells"
            )
    if problems:
        raise StructureError(f"{where}: the table cannot be read", problems)

    layout = TableLayout(sheet.name, header_row, col_of, header_of, unmapped, width)
    specs = {c.field: c for c in columns if c.field in col_of}
    skipped: list[tuple[str, int]] = []
    if skip_text and sheet.error_cells is not None:
        for f in [f for f in specs if f in skip_text and specs[f].type == "text"]:
            skipped.append((f, col_of[f] - 1))
            del specs[f]
    # (field, 0-based column, parser, plain text?, memo of raw value -> (ok, value or error))
    plan = [
        (f, col_of[f] - 1, _parser(specs[f].type, ctx), specs[f].type in ("text", "id"), {})
        for f in specs
    ]
    money_fields = {f for f in specs if specs[f].type == "money"}
    records: list[Record] = []
    findings: list[Finding] = []
    is_deal = record_type is Deal
    # A big sheet may still be arriving in pieces: map what is there, then ask for more.
    rows = sheet.rows_so_far()
    nulls = ctx.null_markers
    start = hr + 1
    while True:
        end = len(rows)
        for r in range(start, end):
            row = rows[r]
            n = len(row)
            values: dict[str, Any] = {}
            empty = True
            for fname, ci, parse, plain, memo in plan:
                v = row[ci] if ci < n else None
                if v is None or v == "":
                    values[fname] = None
                    continue
                cls = v.__class__
                if cls is str:
                    text = v.strip()
                    if not text or text in nulls:
                        values[fname] = None
                        continue
                    empty = False
                    if plain:
                        values[fname] = text
                        continue
                else:
                    empty = False
                # Pipelines repeat stages, dates and amounts: parse each distinct value once.
                hit = memo.get(v) if cls is not bool else None
                if hit is None:
                    try:
                        hit = (True, parse(v))
                    except ParseFailure as exc:
                        exc.__cause__ = exc.__context__ = None  # their frames hold the table
                        hit = (False, exc.with_traceback(None))  # no frame kept alive
                    if len(memo) < _CACHE_LIMIT and cls is not bool:
                        memo[v] = hit
                if not hit[0]:
                    values[fname] = None
                    findings.append(
                        _bad_value(sheet.name, r + 1, ci + 1, header_of[fname], v, hit[1])
                    )
                    continue
                parsed = hit[1]
                if fname in money_fields:
                    parsed, mark = parsed
                    if mark:
                        values[f"{fname}_currency_mark"] = mark
                values[fname] = parsed
            if empty:
                if not skipped or all(_blank(row[ci]) for _, ci in skipped if ci < n):
                    continue  # a fully empty row: skipped, reading goes on after it
            records.append(
                Deal(layout, r + 1, values, row)
                if is_deal
                else record_type(layout, r + 1, values, row)
            )
        start = end
        if not sheet.more():
            break
    if skipped and sheet.error_cells:
        by_col = {ci: f for f, ci in skipped}
        for r, c in sorted(sheet.error_cells):
            if c in by_col and r > hr:
                raw = rows[r][c]
                findings.append(
                    _bad_value(
                        sheet.name,
                        r + 1,
                        c + 1,
                        header_of[by_col[c]],
                        raw,
                        ParseFailure(f"error value {raw}"),
                    )
                )
    return MappedTable(layout, records, findings)


_CACHE_LIMIT = 200_000


def _ignored(text: RawValue, col: int, ignore: frozenset[str]) -> bool:
    return col_letter(col) in ignore or (isinstance(text, str) and normalise(text) in ignore)


def _blank(v: RawValue) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _bad_value(
    sheet: str, row: int, col: int, header: str, raw: RawValue, exc: Exception
) -> Finding:
    shown = json_safe(raw.code if isinstance(raw, CellError) else raw)
    return Finding.of(
        BAD_VALUE,
        f"{header} {a1(row, col)}: cannot read {quote_value(shown)}: {exc}",
        sheet=sheet,
        row=row,
        col=col,
        column=header,
        value=shown,
    )
