"""Table mapping: find the header row, map columns by name, parse every cell strictly.

Structural problems (a required column missing, two columns claiming one field, data in
merged cells) raise one StructureError listing all of them. Cell problems become findings.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from salessheet.core.catalogue import AMBIGUOUS_DATE, BAD_VALUE, HEADER_NOTE
from salessheet.core.cells import CellError, RawSheet, RawValue, a1, col_letter
from salessheet.core.cellsafe import quote_value
from salessheet.core.errors import StructureError
from salessheet.core.findings import Finding, field_label, json_safe
from salessheet.core.records import Deal, Record, TableLayout
from salessheet.core.textnorm import normalise, without_brackets
from salessheet.sheet.beside import columns_beside
from salessheet.sheet.formulas import unsaved_formula_findings
from salessheet.sheet.parsing import (
    MAX_MAGNITUDE,
    ParseContext,
    ParseFailure,
    cell_text,
    has_cell_unit,
    null_marker_set,
    numeric_date_kind,
    parse_date,
    parse_id,
    parse_money,
    parse_number,
    parse_percent,
    parse_text,
    read_order,
    visible_id,
)
from salessheet.sheet.skips import SkipOptions, skipped_rows, skipped_rows_finding
from salessheet.sheet.twoline import two_row_header
from salessheet.sheet.units import ONE, describe, parse_header_unit

HEADER_SCAN_ROWS = 30
_TEXT, _ID = 1, 2  # map_table's plain-text columns: text as it is, an id without invisibles
UNKNOWN_STAGE = object()  # marker in Record.values for a stage that did not match


PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class ColumnSpec:
    field: str
    aliases: list[str]
    type: str = "text"  # id|text|stage|money|number|percent|date
    required: bool = False
    date_order: str | None = None  # dmy | mdy | ymd: numeric text dates read in this order
    # money: configured scale (the header's unit must agree); number, percent: values x scale
    scale: Decimal | None = None
    currency: str | None = None  # money: configured currency (the header's must agree)
    column: int | None = None  # 1-based position: only for a table without a header row
    null_markers: tuple[str, ...] = ()  # texts that mean "blank" in this column only


@dataclass(frozen=True)
class TableOptions:
    """How the table sits in its sheet, when the caller knows (a profile's reading keys)."""

    header_row: int | None = None  # 1-based; None: the header row is searched
    headerless: bool = False  # no header row: columns by ``ColumnSpec.column``
    first_row: int = 1  # with ``headerless``: the first data row
    skips: SkipOptions | None = None  # layout rows and user-named rows (None: none skipped)
    # headers (normalised) and column letters never mapped (config `ignore_columns`)
    ignore_columns: frozenset[str] = frozenset()


@dataclass
class MappedTable:
    layout: TableLayout
    records: list[Record]
    findings: list[Finding] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # row -> kind (rows-skipped)
    unread_cells: set[tuple[int, str]] = field(default_factory=set)  # (row, A1) ambiguous dates

    @property
    def header_row(self) -> int:
        return self.layout.header_row

    @property
    def col_of(self) -> dict[str, int]:
        return self.layout.col_of


def specs_from_profile(profile: Any) -> list[ColumnSpec]:
    return [
        ColumnSpec(
            c.field,
            list(c.aliases),
            c.type,
            c.required,
            getattr(c, "date_order", None),
            getattr(c, "scale", None),
            getattr(c, "currency", None),
            getattr(c, "column", None),
            tuple(getattr(c, "null_markers", ()) or ()),
        )
        for c in profile.columns
    ]


def options_from_profile(profile: Any) -> TableOptions:
    reading = getattr(profile, "reading", None)
    ignore = frozenset(
        c if c.isalpha() and c.isupper() else normalise(c)
        for c in getattr(profile, "ignore_columns", ()) or ()
    )
    if reading is None:
        return TableOptions(ignore_columns=ignore)
    known = frozenset(profile.stage_lookup())
    skips = SkipOptions(reading.layout_rows, reading.skip, known)
    return TableOptions(reading.header_row, reading.headerless, reading.first_row, skips, ignore)


def _alias_index(columns: list[ColumnSpec]) -> dict[str, str]:
    """Normalised header name (each alias and the field name itself) → field."""
    exact: dict[str, str] = {}
    for spec in columns:
        for alias in (*spec.aliases, spec.field):
            exact.setdefault(normalise(alias), spec.field)
    return exact


_BRACKET_GROUP = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")


def match_header(text: RawValue, exact: dict[str, str]) -> str | None:
    """The field a header names: by its whole text, else by its name without a unit
    (``预计金额（万元）`` is ``预计金额`` in units of 10⁴: the mapper applies the unit), else
    without bracketed remarks that are no unit (``Close Date (est.)``)."""
    if not isinstance(text, str) or not text.strip():
        return None
    n = normalise(text)
    if n in exact:
        return exact[n]
    base = normalise(parse_header_unit(text).base)
    if base != n and base in exact:
        return exact[base]
    stripped = without_brackets(n)
    if stripped != n and stripped in exact and not _unit_in_brackets(n):
        return exact[stripped]
    return None


def _unit_in_brackets(n: str) -> bool:
    """Does a bracketed group anywhere in ``n`` hold a unit (never dropped silently)?"""
    for m in _BRACKET_GROUP.finditer(n):
        inner = (m.group(1) or m.group(2) or "").strip()
        if inner and parse_header_unit(f"x ({inner})").has_unit:
            return True
    return False


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


def column_parser(
    spec: ColumnSpec,
    ctx: ParseContext,
    scale: Decimal = ONE,
    kinds: dict[str, RawValue] | None = None,
) -> Callable[[RawValue], Any]:
    """The parser of one column. ``scale``: a money column's unit (amounts × scale, exact; a
    number or percent column takes its config's ``scale``, ``spec.scale``);
    ``kinds``: for a date column without a date_order, collects the first numeric text date
    that reads only day first ("dmy") and only month first ("mdy")."""
    kind = spec.type
    if kind == "id":
        return parse_id
    if kind == "text":
        return parse_text
    if kind == "money":
        if scale == ONE:

            def money(v: RawValue) -> Any:
                # most amounts are whole numbers in numeric cells: skip the general path
                if v.__class__ is float and v.is_integer() and -1e15 < v < 1e15:
                    return Decimal(int(v)), None
                return parse_money(v, ctx)

            return money

        def scaled(v: RawValue) -> Any:
            number, mark = parse_money(v, ctx)
            if has_cell_unit(v):  # "213.1万" says the whole amount: the header's unit is not
                return number, mark  # applied on top
            number = number * scale
            if abs(number) >= MAX_MAGNITUDE:
                raise ParseFailure(
                    f"{number:,} after the header's scale (× {scale:,}) has 19 digits or more"
                )
            if number == number.to_integral_value():
                number = number.quantize(ONE)
            return number, mark

        return scaled
    if kind == "number":
        factor = spec.scale
        if factor is not None:
            return lambda v: parse_number(v, ctx) * factor
        return lambda v: parse_number(v, ctx)
    if kind == "percent":
        return lambda v: parse_percent(v, ctx, spec.scale)
    if kind == "date":
        order = spec.date_order
        if order is not None:
            return lambda v: parse_date(v, ctx, order)
        if kinds is None:
            return lambda v: parse_date(v, ctx)

        def date(v: RawValue) -> Any:
            if v.__class__ is not str:
                return parse_date(v, ctx)
            k = numeric_date_kind(v)
            if k is None:
                return parse_date(v, ctx)
            if k != "either":  # 25/03/17: day first, whatever the formats make of it
                kinds.setdefault(k, v)
                return parse_date(v, ctx)
            got = parse_date(v, ctx)  # 02/01/17: the formats chose an order
            o = read_order(v, got)
            if o is not None:
                kinds.setdefault(o, v)
            return got

        return date
    if kind == "stage":
        lookup = ctx.stage_lookup

        def stage(v: RawValue) -> Any:
            if isinstance(v, CellError):
                raise ParseFailure(f"error value {v.code}")
            return lookup.get(normalise(str(v)), UNKNOWN_STAGE)

        return stage
    raise ValueError(kind)


@dataclass
class _Header:
    """The mapped columns of a table: where each field is and what its header says."""

    header_row: int  # 1-based; with no header row, the row above the first data row
    col_of: dict[str, int]
    header_of: dict[str, str]
    unmapped: dict[int, str]
    width: int
    texts: dict[str, RawValue]  # field -> its header cell as written (None: headerless)
    beside: str | None = None  # the note on another table's columns beside the deals, left out


def _map_header(
    sheet: RawSheet, columns: list[ColumnSpec], options: TableOptions, where: str
) -> _Header:
    """Find the header row and map its columns. Raises StructureError listing every problem."""
    if options.headerless:
        return _positional(sheet, columns, options, where)
    exact = _alias_index(columns)
    required = [c.field for c in columns if c.required]
    if options.header_row is not None:
        hr = options.header_row - 1
        head = sheet.head(hr + 1)
        if hr >= len(head) or all(_blank(v) for v in head[hr]):
            raise StructureError(
                f"{where}: header_row {options.header_row} is empty or beyond the last row",
                ["the config's header_row names the row holding the column names"],
                hint="fix header_row in the config, or remove it to have the header searched",
                missing=required,
                sheets=[sheet],
            )
    else:
        found = find_header_row(sheet, exact, required or [c.field for c in columns])
        if found is None:
            wanted = "; ".join(
                f"{c.field}: {', '.join(c.aliases[:4])}" for c in columns if c.required
            )
            raise StructureError(
                f"{where}: no header row found in the first {HEADER_SCAN_ROWS} rows",
                [f"expected a row with headers such as {wanted}"],
                hint="use --sheet to pick another sheet, or --config with your own column aliases",
                missing=required,
                sheets=[sheet],
            )
        hr = found
    header = sheet.head(hr + 1)[hr]
    two = two_row_header(sheet.head(hr + 2), hr, sheet.merged) if sheet.merged else None
    if two is not None:  # labels merged down over a second header row: one header
        hr, header = two
    header_row = hr + 1
    col_of: dict[str, int] = {}
    header_of: dict[str, str] = {}
    texts: dict[str, RawValue] = {}
    unmapped: dict[int, str] = {}
    problems: list[str] = []
    width = 0
    ignore = options.ignore_columns
    names = [
        (c, f, str(text).strip())
        for c, text in enumerate(header, start=1)
        if (f := match_header(text, exact)) is not None
        and not (ignore and _ignored(text, c, ignore))
    ]
    beside, beside_note = columns_beside(lambda: sheet.rows, header_row, names, "deal_id")
    for c, text in enumerate(header, start=1):
        if isinstance(text, str) and text.strip() or not _blank(text):
            width = c
        fname = match_header(text, exact)
        if fname is not None and ignore and _ignored(text, c, ignore):
            fname = None  # the config says this column holds no field
        if c in beside:
            fname = None  # another table beside the deals (noted once)
        if fname is None:
            if not _blank(text):
                unmapped[c] = cell_text(text)
            continue
        if fname in col_of:
            first = col_of[fname]
            problems.append(
                f"columns {col_letter(first)} ({header_of[fname]!r}) and {col_letter(c)} "
                f"({text!r}) both map to the field {fname!r}: rename or remove one, or leave "
                f"one out with ignore_columns: [{col_letter(c)}] in a config"
            )
            continue
        col_of[fname] = c
        header_of[fname] = str(text).strip()
        texts[fname] = text
    header_texts = [str(h) for h in header if isinstance(h, str)]
    missing = []
    for spec in columns:
        if spec.required and spec.field not in col_of:
            missing.append(spec.field)
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
        raise StructureError(
            f"{where}: the table cannot be read",
            problems,
            missing=missing,
            sheets=[sheet],
            header_row=header_row,
        )
    return _Header(header_row, col_of, header_of, unmapped, width, texts, beside_note)


def _positional(
    sheet: RawSheet, columns: list[ColumnSpec], options: TableOptions, where: str
) -> _Header:
    """``header: none``: each field with a ``column`` is that column, named by its label."""
    col_of = {c.field: c.column for c in columns if c.column is not None}
    missing = [c.field for c in columns if c.required and c.field not in col_of]
    if missing:
        raise StructureError(
            f"{where}: the table has no header row and no column for {', '.join(missing)}",
            [f"give {f} a column (columns.{f}.column: a letter such as A)" for f in missing],
            missing=missing,
            sheets=[sheet],
        )
    header_of = {f: field_label(f) for f in col_of}
    width = max(col_of.values(), default=0)
    texts: dict[str, RawValue] = dict.fromkeys(col_of)
    return _Header(options.first_row - 1, col_of, header_of, {}, width, texts)


def _units(
    h: _Header, specs: dict[str, ColumnSpec], sheet: str, where: str
) -> tuple[dict[str, tuple[Decimal, str | None]], list[Finding]]:
    """Each money column's scale and currency (its header's unit and the config's, which must
    agree), and a header-note for every bracketed remark or unit that is not applied."""
    units: dict[str, tuple[Decimal, str | None]] = {}
    notes: list[Finding] = []
    problems: list[str] = []
    for fname, spec in specs.items():
        text = h.texts.get(fname)
        unit = parse_header_unit(text) if isinstance(text, str) and text.strip() else None
        col = h.col_of[fname]
        cell = a1(h.header_row, col) if h.header_row else col_letter(col)
        shown = h.header_of[fname]
        note = None
        if spec.type == "money":
            h_scale = unit.scale if unit is not None and unit.scale not in (ONE, PERCENT) else None
            h_cur = unit.currency if unit is not None else None
            if unit is not None and unit.scale == PERCENT:
                note = f"{shown!r} ({cell}): a percent sign in a money header is no scale"
            elif unit is not None and unit.note:
                note = f"{shown!r} ({cell}): {unit.note}"
            for key, mine, theirs in (
                ("scale", spec.scale, h_scale),
                ("currency", spec.currency, h_cur),
            ):
                if mine is not None and theirs is not None and mine != theirs:
                    said = f"× {theirs:,}" if key == "scale" else theirs
                    problems.append(
                        f"columns.{fname}.{key} is {mine} but the header {shown!r} ({cell}) "
                        f"says {said}: make them agree, or drop {key}: from the config"
                    )
            scale = spec.scale or h_scale or ONE
            currency = spec.currency or h_cur
            if scale != ONE or currency:
                units[fname] = (scale, currency)
            if note:
                note += "; amounts are read as written"
        elif unit is not None and unit.has_unit:
            if not (spec.type == "percent" and unit.scale == PERCENT and not unit.currency):
                note = (
                    f"{shown!r} ({cell}) names a unit ({describe(unit)}), but "
                    f"{field_label(fname)} is a {spec.type} column: the unit is not applied"
                )
        if note:
            notes.append(
                Finding.of(
                    HEADER_NOTE, note, sheet=sheet, row=h.header_row or None, col=col, column=shown
                )
            )
    if problems:
        raise StructureError(f"{where}: the table cannot be read", problems)
    return units, notes


def map_table(
    sheet: RawSheet,
    columns: list[ColumnSpec],
    ctx: ParseContext,
    *,
    id_field: str | None = None,
    record_type: type[Record] = Record,
    source: str = "",
    skip_text: frozenset[str] = frozenset(),
    options: TableOptions | None = None,
    where: str | None = None,
) -> MappedTable:
    """Map ``sheet`` through ``columns``. Raises StructureError listing every structural problem.

    ``skip_text``: text fields the caller does not need parsed (validate needs no phone
    numbers). They are skipped only when the store knows every error cell of the sheet, so an
    ``#N/A`` in them is still reported; their values are then absent from ``Record.values``.
    ``options``: a known header row, a table without one, the layout rows to skip.
    ``where``: how messages name the table (default ``SOURCE, sheet NAME``), e.g. the file a
    CSV pipeline's line items are in.
    """
    options = options or TableOptions()
    if where is None:
        where = f"{source}, sheet {sheet.name!r}" if source else f"sheet {sheet.name!r}"
    h = _map_header(sheet, columns, options, where)
    header_row, col_of, header_of = h.header_row, h.col_of, h.header_of
    hr = header_row - 1  # 0-based index of the header (the row above the data)
    layout = TableLayout(
        sheet.name, header_row, col_of, header_of, h.unmapped, h.width, options.headerless
    )
    specs = {c.field: c for c in columns if c.field in col_of}
    units, findings = _units(h, specs, sheet.name, where)
    if h.beside:
        findings.append(Finding.of(HEADER_NOTE, h.beside, sheet=sheet.name, row=header_row))
    skipped: list[tuple[str, int]] = []
    if skip_text and sheet.error_cells is not None:
        for f in [f for f in specs if f in skip_text and specs[f].type == "text"]:
            skipped.append((f, col_of[f] - 1))
            del specs[f]
    date_kinds: dict[str, dict[str, RawValue]] = {
        f: {} for f in specs if specs[f].type == "date" and specs[f].date_order is None
    }
    # texts that mean "blank": the profile's, and a column's own on top. Non-ASCII text is
    # compared after NFKC (ASCII is unchanged by it); combining marks may make a marker's text
    # up to twice as long before it is composed
    nulls = ctx.null_markers
    own_nulls = {
        f: nulls | null_marker_set(specs[f].null_markers) for f in specs if specs[f].null_markers
    }
    # (field, 0-based column, parser, plain text (_TEXT, _ID) or 0, memo of raw value ->
    # (ok, value or error), the column's null markers, the longest of them x 2)
    plan: list[
        tuple[
            str,
            int,
            Callable[[RawValue], Any],
            int,
            dict[RawValue, tuple[bool, Any]],
            frozenset[str],
            int,
        ]
    ]
    plan = [
        (
            f,
            col_of[f] - 1,
            column_parser(specs[f], ctx, units.get(f, (ONE, None))[0], date_kinds.get(f)),
            {"text": _TEXT, "id": _ID}.get(specs[f].type, 0),
            {},
            cnulls := own_nulls.get(f, nulls),
            2 * max((len(m) for m in cnulls), default=0),
        )
        for f in specs
    ]
    money_fields = {f for f in specs if specs[f].type == "money"}
    layout.currency_of.update({f: cur for f in money_fields if f in units and (cur := units[f][1])})
    records: list[Record] = []
    is_deal = record_type is Deal
    # A big sheet may still be arriving in pieces: map what is there, then ask for more.
    rows = sheet.rows_so_far()
    nfkc = unicodedata.normalize
    start = hr + 1
    while True:
        end = len(rows)
        for r in range(start, end):
            row = rows[r]
            n = len(row)
            values: dict[str, Any] = {}
            empty = True
            for fname, ci, parse, plain, memo, col_nulls, null_max in plan:
                v = row[ci] if ci < n else None
                if v is None or v == "":
                    values[fname] = None
                    continue
                cls = v.__class__
                if cls is str:
                    text = v.strip()  # type: ignore[union-attr]  # cls is str: v is text
                    if (
                        not text
                        or text in col_nulls
                        or (
                            len(text) <= null_max
                            and not text.isascii()
                            and nfkc("NFKC", text) in col_nulls
                        )
                    ):
                        values[fname] = None
                        continue
                    empty = False
                    if plain:  # as parse_text / parse_id read a text cell
                        values[fname] = (
                            text if plain == _TEXT or text.isascii() else visible_id(text)
                        )
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
                parsed: Any = hit[1]  # what the column's parser gave
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
    table = MappedTable(layout, records, findings)
    if options.skips is not None:
        skip = skipped_rows(rows, layout, options.skips, where, records, sheet.totals_rows)
        if skip:
            table.skipped = {row: lr.kind for row, lr in skip.items()}
            table.records = [rec for rec in records if rec.row not in skip]
            table.findings = [f for f in findings if f.row not in skip or f.row == header_row]
            table.findings.append(skipped_rows_finding(sheet.name, skip))
    if sheet.unsaved_formulas:  # blank to calamine: unread, one finding per column
        found, unread = unsaved_formula_findings(table.records, layout, sheet.unsaved_formulas)
        if unread:  # a placeholder 0 (xlsxwriter) read as a date or stage is no bad value
            table.findings = [f for f in table.findings if (f.row, f.cell) not in unread]
        table.findings += found
        table.unread_cells |= unread
    for fname, kinds in date_kinds.items():
        if "dmy" in kinds and "mdy" in kinds:
            _unread_ambiguous_dates(table, fname, col_of[fname], header_of[fname])
    return table


def _unread_ambiguous_dates(table: MappedTable, fname: str, col: int, header: str) -> None:
    """A date column whose numeric text dates read some only day first, some only month
    first: every numeric text date in it is left unread (None), one finding names the cells."""
    ci = col - 1
    by_kind: dict[str, list[tuple[str, RawValue]]] = {"dmy": [], "mdy": [], "either": []}
    memo: dict[str, str | None] = {}
    found: list[Record] = []
    for rec in table.records:
        raw = rec.raw_row[ci] if ci < len(rec.raw_row) else None
        if raw.__class__ is not str:
            continue
        k = memo.get(raw)
        if k is None and raw not in memo:
            k = memo[raw] = numeric_date_kind(raw)
        if k is None:
            continue
        got = rec.values.get(fname)
        if k == "either" and got is not None:  # the order the formats read it in
            k = read_order(raw, got) or "either"
        by_kind[k].append((a1(rec.row, col), raw))
        found.append(rec)
    if not (by_kind["dmy"] and by_kind["mdy"]):
        return  # the rows that contradict were layout rows, not deals
    for rec in found:
        rec.values[fname] = None
        table.unread_cells.add((rec.row, a1(rec.row, col)))
    unread = table.unread_cells
    table.findings = [
        f for f in table.findings if not (f.code == BAD_VALUE.code and (f.row, f.cell) in unread)
    ]

    def some(k: str) -> str:
        cells = by_kind[k]
        shown = ", ".join(f"{c} {quote_value(v)}" for c, v in cells[:3])
        return shown + (f" and {len(cells) - 3} more" if len(cells) > 3 else "")

    n = sum(len(v) for v in by_kind.values())
    table.findings.append(
        Finding.of(
            AMBIGUOUS_DATE,
            f"{header}: numeric dates read both day first ({some('dmy')}) and month first "
            f"({some('mdy')}); its {n} numeric dates are left unread: set "
            f"columns.{fname}.date_order (dmy or mdy) in the config",
            sheet=table.layout.sheet,
            col=col,
            column=header,
            details={
                "day_first": [c for c, _ in by_kind["dmy"][:10]],
                "month_first": [c for c, _ in by_kind["mdy"][:10]],
                "day_first_count": len(by_kind["dmy"]),
                "month_first_count": len(by_kind["mdy"]),
                "unread": n,
            },
        )
    )


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
