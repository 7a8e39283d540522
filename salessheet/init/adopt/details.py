"""What one column's values say: null markers, date order, money unit, percent scale."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal

from salessheet.core.cells import RawValue, col_letter
from salessheet.init.adopt.model import ColumnGuess, MoneyGuess, NullMarkerGuess, PercentGuess
from salessheet.init.adopt.values import (
    BOOL,
    CODE,
    DATE,
    DATE_KINDS,
    DATE_TEXT,
    ERROR,
    MONEY_TEXT,
    NULL,
    NUMBER,
    NUMBER_TEXT,
    NUMERIC_KINDS,
    PERCENT_TEXT,
    SERIAL,
    TEXT,
    ColumnValues,
    DateOrder,
    is_unassigned_marker,
    number_of,
    read_date_text,
    read_number_text,
    resolve_order,
)
from salessheet.sheet.units import describe, parse_header_unit


def label_of(labels: Sequence[str | None], c: int) -> str:
    return (labels[c] if c < len(labels) and labels[c] else None) or col_letter(c + 1)


# --- null markers ---------------------------------------------------------------------


def find_null_markers(
    cvs: list[ColumnValues],
    labels: Sequence[str | None],
    count: Callable[[int, str], int] | None = None,
) -> list[NullMarkerGuess]:
    """Known null texts, and placeholders a column is full of where its other values are
    dates or numbers (``Sin_Factura``, ``0`` in a date column). Marked as NULL in place.
    Found in the sampled values; ``count(column, text)`` gives the cells in every row."""
    seen: dict[str, list[tuple[int, int]]] = {}  # text -> [(col index, count)]
    placeholders: dict[str, list[tuple[int, int]]] = {}
    for i, cv in enumerate(cvs):
        for text, n in cv.null_texts().items():
            seen.setdefault(text, []).append((i, n))
        for v, n in _placeholders(cv):
            placeholders.setdefault(str(v).strip(), []).append((i, n))
    out: list[NullMarkerGuess] = []
    for text, where in placeholders.items():
        # a placeholder found in one column is one in every column holding it
        cols = {i for i, _ in where}
        for i, cv in enumerate(cvs):
            if i not in cols:
                hits = [(v, n) for v, n in cv.counts.items() if _same_text(v, text)]
                if hits and sum(n for _, n in hits) >= 0.2 * max(cv.filled, 1):
                    where.append((i, sum(n for _, n in hits)))
        numeric = read_number_text(text) is not None or read_date_text(text) is not None
        sheet_wide = len(where) >= 2 and not numeric
        for i, _ in where:
            _mark_null(cvs[i], text)
        total = sum(n for _, n in where)
        names = tuple(label_of(labels, i) for i, _ in sorted(where))
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        if sheet_wide:
            ev = (
                f"{_cells(total)} in {len(names)} columns ({shown}) where the other values "
                "are dates or numbers: a placeholder for 'no value'"
            )
        else:
            why = "a number" if numeric else "a text"
            ev = (
                f"{_cells(total)} in {shown}, {why} among dates or numbers: means 'no value' "
                "in this column only"
            )
        out.append(NullMarkerGuess(text, total, names, "sheet" if sheet_wide else "columns", ev))
    for text, where in seen.items():
        total = sum(n for _, n in where)
        names = tuple(label_of(labels, i) for i, _ in where)
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        out.append(
            NullMarkerGuess(
                text,
                total,
                names,
                "sheet",
                f"a usual null marker: {_cells(total)} in {len(names)} column"
                f"{'s' if len(names) > 1 else ''} ({shown})",
            )
        )
    for i, cv in enumerate(cvs):
        for v, n in list(cv.counts.items()):
            if isinstance(v, str) and is_unassigned_marker(v) and cv.kind_of.get(v) != NULL:
                out.append(
                    NullMarkerGuess(
                        v.strip(),
                        n,
                        (label_of(labels, i),),
                        "columns",
                        f"{_cells(n)} in {label_of(labels, i)}: a placeholder for 'nobody' "
                        "(read as blank, so required-field checks see it)",
                    )
                )
                _mark_null(cv, v.strip())
    if count is not None:
        out = [_recount(m, labels, count) for m in out]
    out.sort(key=lambda m: -m.count)
    return out


def _recount(
    m: NullMarkerGuess, labels: Sequence[str | None], count: Callable[[int, str], int]
) -> NullMarkerGuess:
    cols = [i for i in range(len(labels)) if label_of(labels, i) in m.columns]
    total = sum(count(i, m.text) for i in cols)
    if total == m.count:
        return m
    return NullMarkerGuess(
        m.text, total, m.columns, m.scope, m.evidence.replace(_cells(m.count), _cells(total), 1)
    )


def _cells(n: int) -> str:
    return f"{n:,} cell{'s' if n != 1 else ''}"


def _same_text(v: RawValue, text: str) -> bool:
    return isinstance(v, str) and v.strip() == text


def _mark_null(cv: ColumnValues, text: str) -> None:
    for v in list(cv.kind_of):
        if _same_text(v, text) and cv.kind_of[v] != NULL:
            cv.kinds[cv.kind_of[v]] -= cv.counts[v]
            cv.kinds[NULL] += cv.counts[v]
            cv.kind_of[v] = NULL


def _placeholders(cv: ColumnValues) -> list[tuple[RawValue, int]]:
    """The one or two texts (or a zero among dates) standing in for 'no value' in a column
    whose other values are dates or numbers."""
    texty = cv.kinds[TEXT] + cv.kinds[CODE] + cv.kinds[BOOL]
    dates = cv.kinds[DATE] + cv.kinds[DATE_TEXT]
    numbers = sum(cv.kinds[k] for k in NUMERIC_KINDS) + cv.kinds[PERCENT_TEXT]
    if dates >= 3:
        zero = [(v, cv.counts[v]) for v, k in cv.kind_of.items()
                if k in NUMERIC_KINDS and number_of(v) == 0]  # fmt: skip
        if dates < numbers - sum(n for _, n in zero):
            return []
        odd = [(v, cv.counts[v]) for v, k in cv.kind_of.items() if k in (TEXT, CODE)] + zero
    elif numbers >= 3 and texty:
        odd = [(v, cv.counts[v]) for v, k in cv.kind_of.items() if k in (TEXT, CODE, BOOL)]
    else:
        return []
    odd = [(v, n) for v, n in odd if isinstance(v, str)]
    if not odd or len(odd) > 2 or any(n < 2 for _, n in odd):
        return []
    return odd


# --- details per column -----------------------------------------------------------------


def money_guess(cv: ColumnValues, header: str | None) -> MoneyGuess:
    unit = parse_header_unit(header) if header else None
    marks: Counter[str] = Counter()
    decimals: Counter[str] = Counter()
    noisy = None
    for v, k in cv.kind_of.items():
        n = cv.counts[v]
        if k in (MONEY_TEXT, NUMBER_TEXT):
            num = read_number_text(str(v))
            if num is None:
                continue
            if num.currency:
                marks[num.currency] += n
            if num.decimal:
                decimals[num.decimal] += n
        elif k in (NUMBER, SERIAL) and isinstance(v, float) and len(repr(v)) > 13:
            noisy = noisy or v
    name = header or f"column {col_letter(cv.col)}"
    parts = []
    scale = unit.scale if unit else 1
    currency = unit.currency if unit else None
    if unit and unit.has_unit:
        parts.append(f"the header says {describe(unit)}")
    if marks:
        code, n = marks.most_common(1)[0]
        parts.append(f"{n:,} values written with a currency mark ({code})")
        if len(marks) > 1:
            parts.append("also " + ", ".join(k for k in marks if k != code))
        if currency and code != currency:
            parts.append(f"the marks say {code}, the header {currency}: the header wins")
        currency = currency or code
    decimal = None
    if decimals:
        decimal = decimals.most_common(1)[0][0]
        example = next(
            str(v)
            for v, k in cv.kind_of.items()
            if k in (MONEY_TEXT, NUMBER_TEXT)
            and (r := read_number_text(str(v)))
            and r.decimal == decimal
        )
        what = "decimal commas" if decimal == "," else "decimal points"
        parts.append(f"{what} ({example!r}, {decimals[decimal]:,} values)")
        if len(decimals) > 1:
            parts.append(f"{decimals[',' if decimal == '.' else '.']:,} values with the other mark")
    numbers = sum(cv.kinds[k] for k in (NUMBER, SERIAL))
    if numbers:
        parts.append(f"{numbers:,} number cells")
    as_text = cv.kinds[NUMBER_TEXT] + cv.kinds[MONEY_TEXT]
    if as_text and not marks and not decimals:
        parts.append(f"{as_text:,} whole numbers written as text")
    if noisy is not None:
        parts.append(f"float noise such as {noisy!r} (read to 12 significant digits)")
    if not parts:
        parts.append("no values yet")
    ev = f"{name}: " + "; ".join(parts)
    return MoneyGuess(
        scale if scale is not None else 1, currency, decimal, ev, unit.note if unit else None
    )


def percent_guess(cv: ColumnValues, header: str | None) -> PercentGuess:
    name = header or f"column {col_letter(cv.col)}"
    unit = parse_header_unit(header) if header else None
    texts = cv.kinds[PERCENT_TEXT]
    xs = [x for x, _ in cv.numbers()]
    if texts and texts >= 0.5 * max(cv.real, 1):
        return PercentGuess("fraction", f"{name}: {texts:,} values written with % (read as such)")
    if xs and max(xs) > 1:
        said = "the header says %; " if unit and unit.scale == Decimal("0.01") else ""
        return PercentGuess(
            "points", f"{name}: {said}values from {min(xs)} to {max(xs)} → 0–100 scale"
        )
    if unit and unit.scale == Decimal("0.01") and not xs:
        return PercentGuess("points", f"{name}: the header says % → values 0–100", numbers=False)
    return PercentGuess("fraction", f"{name}: values from 0 to 1 → fractions")


def date_guess(cv: ColumnValues, header: str | None, fallback: str, why: str) -> DateOrder | None:
    name = header or f"column {col_letter(cv.col)}"
    cells = cv.kinds[DATE]
    texts = cv.dates()
    if not texts:
        if cells:
            return DateOrder(None, (), False, f"{name}: {cells:,} date cells: no order to choose")
        if cv.kinds[SERIAL]:
            return DateOrder(None, (), False, f"{name}: {cv.kinds[SERIAL]:,} date serial numbers")
        return None
    order = resolve_order(texts, fallback, why, name)
    if cells:
        order = DateOrder(
            order.order,
            order.formats,
            order.ambiguous,
            order.evidence + f"; also {cells:,} date cells",
            order.numeric,
        )
    return order


def column_guess(
    cv: ColumnValues,
    header: str | None,
    key: str | None,
    fname: str | None,
    ftype: str | None,
    evidence: str,
    strength: float,
    fallback: str,
    why: str,
) -> ColumnGuess:
    date = money = percent = None
    boolean = cv.is_boolean() if cv.real else None
    if ftype == "date" or (ftype is None and cv.real and cv.share(DATE_KINDS) >= 0.8):
        date = date_guess(cv, header, fallback, why)
    if ftype in ("money", "number"):
        money = money_guess(cv, header)
    if ftype == "percent":
        percent = percent_guess(cv, header)
    if boolean and not fname:
        evidence += f"; a yes/no flag ({boolean})"
    if cv.kinds[ERROR]:
        evidence += f"; {cv.kinds[ERROR]:,} error values (#N/A ...)"
    if cv.kinds[NULL] and cv.real == 0 and not fname:
        evidence += "; nothing but null markers"
    return ColumnGuess(
        cv.col, header, fname, ftype, evidence, strength, date, money, percent, boolean, key
    )
