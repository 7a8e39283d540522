"""Layout rows in a sheet's data area: rows that are not deals.

People's trackers hold more than deals below the header: section titles (``UNDER CONTRACT``),
subtotal and total rows (``Total``, ``合计``, or amounts that equal the sum of the rows above),
blank separators, the header repeated further down, instruction rows right below the header
(``必填，从下拉选择``, ``YYYY-MM-DD``), example rows, and a second header row (Chinese labels
then English keys). ``classify_rows`` finds them, each with the evidence, so a reader can skip
them and list them in one place.

The rule that comes first: no real deal is ever classified as layout. A row with an id *and*
a stage value the column uses elsewhere (or one the profile knows) is a deal, whatever else
it holds (cached values of formulas included); so is a row with an id shaped like the
column's other ids and any stage at all. When the table has no id column the stage alone
protects a row; with no stage column, the id alone does. A total or example label
("Grand Total", "示例：...") is no id.

Pure functions over raw rows; 1-based rows and columns as in ``TableLayout``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from salessheet.core.cells import CellError, RawValue, col_letter
from salessheet.core.textnorm import normalise
from salessheet.sheet.units import parse_header_unit

KINDS = (
    "title",  # above the header: a title or a label
    "summary",  # above the header: figures (a KPI block)
    "section",  # one text cell: a section title such as "UNDER CONTRACT"
    "subtotal",
    "total",
    "blank",  # an empty row between data rows
    "repeated-header",
    "second-header",  # a second header row (English keys under Chinese labels, or units)
    "instruction",  # "必填，从下拉选择", "required", "YYYY-MM-DD" right below the header
    "example",  # "示例", "e.g." rows right below the header
)


@dataclass(frozen=True)
class LayoutRow:
    row: int  # 1-based sheet row
    kind: str  # one of KINDS
    evidence: str


@dataclass(frozen=True)
class TableShape:
    """Where the table's key columns are. ``header_row`` is 1-based, 0 for a sheet without a
    header row; columns are 1-based (``TableLayout.col_of`` values)."""

    header_row: int
    id_col: int | None = None
    stage_col: int | None = None
    amount_cols: tuple[int, ...] = ()
    known_stages: frozenset[str] = frozenset()  # normalised stage spellings (profile's)


_TOTAL = re.compile(
    r"^(?:grand[\s-]*total|sub[\s-]*total|sous[\s-]*total|total(?:es|s)?(?:\s+general)?|"
    r"total\s+général|sum|summe|gesamt\w*|zwischensumme|suma(?:\s+total)?|合计|合計|总计|總計|"
    r"小计|小計|共计|汇总|總額|总额|总和)(?:\W|$)|\btotal$"
)
_SUBTOTAL = re.compile(r"sub|sous|zwischen|小计|小計|parcial")
_INSTRUCTION = re.compile(
    r"必填|选填|非必填|下拉|请选择|请输入|请填写|填写说明|格式[:：为]|说明[:：]|注[:：]|"
    r"\brequired\b|\boptional\b|\bmandatory\b|\be\.?g\.|\bformat\b|\bselect\b|\bchoose\b|"
    r"\bpick\b|obligatori|opcional|pflicht|obligatoire|facultatif|"
    r"yyyy|dd[/.\-]mm|mm[/.\-]dd|\bdd\b|\bmm\b"
)
_EXAMPLE = re.compile(
    r"^(?:示例|样例|范例|例[:：子如]|例$|e\.?g\.|example|sample|ejemplo|beispiel|exemple)"
)
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")
_MACHINE = re.compile(r"[a-z][A-Z]|[A-Za-z]_[A-Za-z]")
_NULL_WORDS = frozenset(("na", "n/a", "null", "none", "nil", "tbd", "nan"))
_SHAPE_LETTERS = re.compile(r"[^\W\d_]+")
_SHAPE_DIGITS = re.compile(r"\d+")
_SHAPE_SPACES = re.compile(r"\s+")


_TOTAL_INITIALS = frozenset("gstzGSTZ合總总小共汇")


def _is_total(text: str) -> bool:
    """A total label ("Total", "Grand Total", "合计", "Q1 total")? Cheap for ordinary ids."""
    if text[0] not in _TOTAL_INITIALS and not text[-5:].casefold() == "total":
        return False
    return bool(_TOTAL.search(normalise(text)))


# first characters a total or example label may start with (else it must end in l/L: "total")
LABEL_INITIALS = _TOTAL_INITIALS | frozenset("示样范例eEsSbBjJ")


def is_label_not_id(text: str) -> bool:
    """A total or example label ("Grand Total", "示例：...") written where an id goes. Cheap
    for ordinary ids (one look at the first and last character)."""
    if not text or (text[0] not in LABEL_INITIALS and text[-1] not in "lL"):
        return False
    return _is_total(text) or bool(_EXAMPLE.match(text.casefold()))


def _blank(v: RawValue) -> bool:
    return v is None or (v.__class__ is str and not v.strip())


def _text(v: RawValue) -> str:
    if v.__class__ is float and v.is_integer():
        return str(int(v))
    return str(v).strip()


@lru_cache(maxsize=65536)
def value_shape(v: RawValue) -> str:
    """``D-0001`` -> ``A-9``; ``UNDER CONTRACT`` -> ``A A``: the character classes of a value."""
    s = _SHAPE_DIGITS.sub("9", _SHAPE_LETTERS.sub("A", _text(v)))
    return _SHAPE_SPACES.sub(" ", s)


def _number(v: RawValue) -> float | None:
    cls = v.__class__
    if cls is float or cls is int:
        return float(v)  # type: ignore[arg-type]  # cls is v's class: a number
    if cls is str:
        s = v.strip().replace(",", "").replace(" ", "")  # type: ignore[union-attr]  # text
        s = s.lstrip("$€£¥￥").rstrip("€元")
        if s and (s[0].isdigit() or s[0] == "-"):
            try:
                return float(s)
            except ValueError:
                return None
    return None


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.005, 1e-9 * abs(b))


class _IdColumn:
    """What the id column's values look like, to tell an id from a title written in it."""

    def __init__(self, values: Callable[[], list[RawValue]]):
        self._values = values  # made on first need: most sheets never ask
        self._shapes: set[str] | None | bool = False  # False: not computed yet
        self.evidenced = False

    @property
    def shapes(self) -> set[str] | None:
        if self._shapes is False:
            values = self._values()
            spread = values[:: max(1, len(values) // 2000)]
            shapes = Counter(value_shape(v) for v in spread if not _blank(v))
            n = sum(shapes.values())
            common = {s for s, c in shapes.items() if c >= 0.1 * n}
            covered = sum(shapes[s] for s in common)
            self._shapes = common if n and covered >= 0.6 * n else None  # None: free-form
            self.evidenced = n >= 3 and self._shapes is not None
        return self._shapes  # type: ignore[return-value]  # no longer False: worked out above

    def same_shape(self, v: RawValue) -> bool:
        """Shaped like the ids of at least three real deals (False when that is unknown)."""
        return self.plausible(v) and self.evidenced

    def plausible(self, v: RawValue) -> bool:
        if _blank(v) or isinstance(v, CellError) or isinstance(v, bool):
            return False
        text = _text(v)
        if len(text) > 64 or _is_total(text):
            return False
        shapes = self.shapes
        return shapes is None or value_shape(v) in shapes


def classify_rows(rows: Sequence[Sequence[RawValue]], shape: TableShape) -> list[LayoutRow]:
    """The layout rows below the header (blank rows only between data rows), in row order."""
    start = shape.header_row  # 0-based index of the first row below the header
    last = len(rows) - 1
    while last >= start and not any(not _blank(v) for v in rows[last]):
        last -= 1
    if last < start:
        return []
    ic = shape.id_col - 1 if shape.id_col else None
    sc = shape.stage_col - 1 if shape.stage_col else None
    acs = [c - 1 for c in shape.amount_cols]
    header = rows[start - 1] if start > 0 else []
    header_norm = {
        c: normalise(v) for c, v in enumerate(header) if isinstance(v, str) and v.strip()
    }
    data = rows[start : last + 1]
    stage_counts: Counter[str] = Counter()
    if sc is not None:
        raw_stages = Counter(r[sc] for r in data if sc < len(r))
        for v, n in raw_stages.items():
            if not _blank(v) and not isinstance(v, CellError):
                stage_counts[normalise(_text(v))] += n
    known = shape.known_stages
    stage_memo: dict[RawValue, bool] = {}

    def stage_used(v: RawValue) -> bool:
        hit = stage_memo.get(v)
        if hit is None:
            hit = not _blank(v) and not isinstance(v, (CellError, bool))
            if hit:
                key = normalise(_text(v))
                hit = key in known or stage_counts[key] >= 2
            stage_memo[v] = hit
        return hit

    def id_present(v: RawValue) -> bool:
        """Filled, no error, not a total or example label: enough beside a stage the column
        uses."""
        if v.__class__ is str and v:  # an ordinary id, told by its ends (cheap)
            first, end = v[0], v[-1]
            if (
                first not in LABEL_INITIALS
                and end not in "lL"
                and not first.isspace()
                and not end.isspace()
            ):
                return True
        if v is None or v.__class__ is CellError or v.__class__ is bool:
            return False
        text = _text(v)
        return bool(text) and not _is_total(text) and not _EXAMPLE.match(text.casefold())

    ids = None
    if ic is not None:
        # the shape of real ids: those on rows whose stage the column uses
        ids = _IdColumn(
            lambda: [
                r[ic]
                for r in data
                if ic < len(r) and (sc is None or (sc < len(r) and stage_used(r[sc])))
            ]
        )
    out: list[LayoutRow] = []
    pre_data = True
    since_break, since_count, grand, grand_count, breaks = 0.0, 0, 0.0, 0, 0
    amount_col = acs[0] if acs else None
    keyed = ic is not None or sc is not None  # without both, deals cannot be told: no guesses

    for r0 in range(start, last + 1):
        row = rows[r0]
        n = len(row)
        stv = row[sc] if sc is not None and sc < n else None
        if ic is None:
            protected = sc is not None and stage_used(stv)
        else:
            idv = row[ic] if ic < n else None
            if sc is None:
                protected = ids.plausible(idv)  # type: ignore[union-attr]  # ic given: ids too
            else:
                used = stage_memo.get(stv)  # stage_used, inlined for the usual row
                if used is None:
                    used = stage_used(stv)
                protected = id_present(idv) and (
                    used
                    # any stage beside an id shaped like the others: a deal too
                    or (not _blank(stv) and ids.same_shape(idv))  # type: ignore[union-attr]  # (as above)
                )
        found = None
        if not protected:
            rnum = r0 + 1
            filled = [(c, v) for c, v in enumerate(row) if not _blank(v)]
            if not filled:
                out.append(LayoutRow(rnum, "blank", f"row {rnum}: empty, between data rows"))
                continue
            if pre_data:
                found = _pre_data_kind(rnum, filled, header_norm)
            if found is None:
                found = _repeated_header(rnum, filled, header_norm)
            if found is None:
                found = _total_row(rnum, filled)
            if found is None and amount_col is not None and grand_count and keyed:
                found = _sum_row(
                    rnum,
                    row,
                    amount_col,
                    header,
                    (since_break, since_count, breaks),
                    (grand, grand_count),
                )
            if found is None and len(filled) == 1 and (ic is not None or sc is not None):
                found = _section_row(rnum, filled[0], ic, sc, ids)
        if found is None:
            pre_data = False
            x = row[amount_col] if amount_col is not None and amount_col < n else None
            if x is not None and x.__class__ is not float:
                x = _number(x)
            if x is not None:
                since_break += x
                grand += x
                since_count += 1
                grand_count += 1
            continue
        out.append(found)
        if found.kind in ("section", "subtotal", "total"):
            breaks += 1
            since_break, since_count = 0.0, 0
    return out


def _section_row(
    rnum: int, cell: tuple[int, RawValue], ic: int | None, sc: int | None, ids: _IdColumn | None
) -> LayoutRow | None:
    c, v = cell
    if not isinstance(v, str) or len(v.strip()) > 100 or c == sc:
        return None
    if not any(ch.isalpha() for ch in v):
        return None  # a lone number or code is data, not a title
    if c == ic and ids is not None and ids.plausible(v):
        return None  # an id alone: a deal with nothing else filled in yet
    return LayoutRow(
        rnum,
        "section",
        f"row {rnum}: a single text cell {v.strip()!r} in column {col_letter(c + 1)}: "
        "a section title",
    )


def _pre_data_kind(
    rnum: int, filled: list[tuple[int, RawValue]], header_norm: dict[int, str]
) -> LayoutRow | None:
    texts = [(c, v.strip()) for c, v in filled if isinstance(v, str)]
    if texts and _EXAMPLE.match(normalise(texts[0][1])):
        first = texts[0][1]
        return LayoutRow(rnum, "example", f"row {rnum}: starts with {first!r}: an example row")
    marked = [t for _, t in texts if _INSTRUCTION.search(normalise(t))]
    if marked and len(marked) * 2 >= len(texts):
        shown = ", ".join(repr(t) for t in marked[:3])
        return LayoutRow(
            rnum, "instruction", f"row {rnum}: instructions below the header ({shown})"
        )
    if len(texts) == len(filled) and len(texts) >= 2 and header_norm:
        units = [t for _, t in texts if parse_header_unit(f"x ({t})").has_unit]
        if len(units) == len(texts):
            shown = ", ".join(repr(t) for t in units[:4])
            return LayoutRow(rnum, "second-header", f"row {rnum}: a units row ({shown})")
        keys = [
            t
            for c, t in texts
            if _KEY.match(t)
            and header_norm.get(c, "") not in ("", normalise(t))
            and normalise(t) not in _NULL_WORDS
        ]
        distinct = len({normalise(t) for _, t in texts}) == len(texts)
        # keys under labels: the labels are in another script (中文 over English keys), or
        # the keys are machine names (CamelCase, snake_case)
        machine = sum(1 for t in keys if _MACHINE.search(t))
        scripts = sum(1 for c, t in texts if not header_norm.get(c, "").isascii())
        enough = len(keys) >= 3 and len(texts) * 2 >= len(header_norm)
        if (
            distinct
            and len(keys) == len(texts)
            and enough
            and (machine or scripts) * 2 >= len(keys)
        ):
            shown = ", ".join(keys[:3])
            return LayoutRow(
                rnum,
                "second-header",
                f"row {rnum}: {len(keys)} field keys ({shown}, ...) under the header labels: "
                "a second header row",
            )
    return None


def _repeated_header(
    rnum: int, filled: list[tuple[int, RawValue]], header_norm: dict[int, str]
) -> LayoutRow | None:
    if len(header_norm) < 2 or len(filled) < 2:
        return None
    same = sum(1 for c, v in filled if isinstance(v, str) and header_norm.get(c) == normalise(v))
    if same >= 2 and same >= 0.6 * len(header_norm):
        return LayoutRow(rnum, "repeated-header", f"row {rnum}: repeats {same} header labels")
    return None


def _total_row(rnum: int, filled: list[tuple[int, RawValue]]) -> LayoutRow | None:
    for c, v in filled[:2]:
        if isinstance(v, str) and len(v.strip()) <= 40:
            n = normalise(v)
            if _TOTAL.search(n):
                kind = "subtotal" if _SUBTOTAL.search(n) else "total"
                return LayoutRow(
                    rnum, kind, f"row {rnum}: {v.strip()!r} in column {col_letter(c + 1)}"
                )
    return None


def _sum_row(
    rnum: int,
    row: Sequence[RawValue],
    c: int,
    header: Sequence[RawValue],
    since: tuple[float, int, int],
    grand: tuple[float, int],
) -> LayoutRow | None:
    x = _number(row[c]) if c < len(row) else None
    if x is None or x == 0:
        return None
    name = header[c] if c < len(header) and isinstance(header[c], str) else col_letter(c + 1)
    since_sum, since_count, breaks = since
    grand_sum, grand_count = grand
    if breaks and since_count >= 2 and _close(x, since_sum):
        return LayoutRow(
            rnum,
            "subtotal",
            f"row {rnum}: {name} {x:,.2f} is the sum of the {since_count} rows above it "
            "since the last section",
        )
    if grand_count >= 2 and _close(x, grand_sum):
        return LayoutRow(
            rnum,
            "total",
            f"row {rnum}: {name} {x:,.2f} is the sum of all {grand_count} amounts above it",
        )
    return None


def classify_above_header(rows: Sequence[Sequence[RawValue]], shape: TableShape) -> list[LayoutRow]:
    """Rows above the header: titles, KPI figures, and totals of the column below (a
    ``=SUBTOTAL(...)`` above the header, as in many Excel trackers)."""
    out: list[LayoutRow] = []
    hr = shape.header_row
    if hr <= 1:
        return out
    header = rows[hr - 1]
    sums: dict[int, float] = {}
    for r0 in range(hr - 1):
        row = rows[r0]
        filled = [(c, v) for c, v in enumerate(row) if not _blank(v)]
        if not filled:
            continue
        rnum = r0 + 1
        numbers = [(c, _number(v)) for c, v in filled if not isinstance(v, str)]
        numbers = [(c, x) for c, x in numbers if x is not None]
        found = None
        for c, x in numbers:
            if c not in sums:
                sums[c] = sum(
                    y for y in (_number(r[c]) for r in rows[hr:] if c < len(r)) if y is not None
                )
            if x and _close(x, sums[c]):
                name = header[c] if c < len(header) else col_letter(c + 1)
                found = LayoutRow(
                    rnum,
                    "subtotal",
                    f"row {rnum}: {col_letter(c + 1)}{rnum} {x:,.2f} is the sum of {name!s} "
                    f"below the header (a SUBTOTAL/SUM formula's value)",
                )
                break
        if found is None:
            if numbers:
                found = LayoutRow(rnum, "summary", f"row {rnum}: figures above the header")
            else:
                first = next(str(v).strip() for _, v in filled)
                found = LayoutRow(rnum, "title", f"row {rnum}: {first!r} above the header")
        out.append(found)
    return out
