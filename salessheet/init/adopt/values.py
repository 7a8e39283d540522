"""What a column's values are: dates (and their day/month order), money, percentages, ids,
booleans, null markers.

Everything here works on raw values as the stores return them. Each distinct value is
classified once (columns repeat values), and a column is summarised in a ``ColumnValues``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from salessheet.core.cells import CellError, RawValue
from salessheet.core.currency import CURRENCY_SYMBOLS
from salessheet.init.adopt.vocabulary import (
    BOOLEAN_PAIRS,
    NULL_MARKERS,
    SALESFORCE_PREFIXES,
    UNASSIGNED_MARKERS,
)
from salessheet.sheet.parsing import CELL_UNITS, EXCEL_EPOCH, SERIAL_MAX, SERIAL_MIN
from salessheet.sheet.units import COMMON_CODES

# kinds of a single value
BLANK, NULL, ERROR, BOOL, DATE, DATE_TEXT, SERIAL, NUMBER, NUMBER_TEXT, MONEY_TEXT = (
    "blank",
    "null",
    "error",
    "bool",
    "date",
    "date_text",
    "serial",
    "number",
    "number_text",
    "money_text",
)
PERCENT_TEXT, CODE, TEXT, TIME = "percent_text", "code", "text", "time"
NUMERIC_KINDS = frozenset((NUMBER, NUMBER_TEXT, MONEY_TEXT, SERIAL))
DATE_KINDS = frozenset((DATE, DATE_TEXT))

_NULLS = frozenset(NULL_MARKERS)
_UNASSIGNED = frozenset(UNASSIGNED_MARKERS)
_BOOL_WORDS = frozenset(w for pair in BOOLEAN_PAIRS for w in pair if w)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SFID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./#:]{0,39}$")
_NULL_ID = re.compile(r"^0{8,}[A-Za-z]{0,3}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{7,20}$")


def null_key(text: str) -> str:
    return text.strip().casefold()


def is_null_marker(text: str) -> bool:
    return null_key(text) in _NULLS


def is_unassigned_marker(text: str) -> bool:
    return null_key(text) in _UNASSIGNED


# --- numbers in text --------------------------------------------------------------------


@dataclass(frozen=True)
class NumberText:
    """``$22,700.00`` -> value 22700.00, currency USD, decimal ".". ``decimal`` is None when
    the text has no separator that tells (``1,200`` could be 1200 or 1.2)."""

    value: Decimal
    currency: str | None
    decimal: str | None
    percent: bool = False


_MONEY_MARKS = sorted(CURRENCY_SYMBOLS, key=len, reverse=True)
_MARK_RE = "|".join(re.escape(m) for m in _MONEY_MARKS)
_NUMBER_RE = re.compile(
    rf"^(?P<neg>\()?\s*(?P<pre>{_MARK_RE}|[A-Z]{{3}}(?=[\s\d]))?\s*(?P<sign>[-−+])?\s*"
    r"(?P<body>\d[\d.,'\u00a0\u202f ]*)\s*(?P<pct>%)?\s*(?P<unit>[万亿])?\s*"
    rf"(?P<post>{_MARK_RE}|元|[A-Z]{{3}})?\s*(?(neg)\))$"
)
_GROUPED = re.compile(r"^\d{1,3}(?:([,.'\u00a0\u202f ])\d{3})(?:\1\d{3})*$")


def _digits_and_decimal(body: str) -> tuple[str, str, str | None] | None:
    """``1.200,50`` -> ("1200", "50", ","); ``1,200`` -> ("1200", "", None): a single group
    separator could also be a decimal one, so the convention stays open (None)."""
    seps = {c for c in body if not c.isdigit()}
    if not seps:
        return body, "", None
    if len(seps) > 2:
        return None
    if len(seps) == 2:
        decimal = next(c for c in reversed(body) if not c.isdigit())
        if decimal not in ",.":
            return None
        int_part, _, frac = body.rpartition(decimal)
        if not frac.isdigit() or not _GROUPED.match(int_part):
            return None
        return re.sub(r"\D", "", int_part), frac, decimal
    sep = seps.pop()
    if body.count(sep) > 1 or _GROUPED.match(body):
        if not _GROUPED.match(body):
            return None
        convention = {",": ".", ".": ","}.get(sep) if body.count(sep) > 1 else None
        return body.replace(sep, ""), "", convention
    if sep not in ",.":
        return None
    int_part, _, frac = body.partition(sep)
    return int_part, frac, sep


@lru_cache(maxsize=65536)
def read_number_text(text: str) -> NumberText | None:
    s = text.strip()
    m = _NUMBER_RE.match(s)
    if not m:
        return None
    body = m.group("body").rstrip(" \u00a0\u202f")
    mark = m.group("pre") or m.group("post")
    currency = None
    if mark:
        currency = CURRENCY_SYMBOLS.get(mark) or ("CNY" if mark == "元" else None)
        if currency is None and mark.lower() in COMMON_CODES:
            currency = mark.upper()
        if currency is None:
            return None
    parsed = _digits_and_decimal(body)
    if parsed is None:
        return None
    digits, frac, decimal = parsed
    try:
        value = Decimal(digits + ("." + frac if frac else ""))
    except InvalidOperation:
        return None
    if m.group("unit"):  # "1.5万": the number in 万 (as the reader takes it, CELL_UNITS)
        if m.group("pct"):
            return None
        value *= CELL_UNITS[m.group("unit")]
    if m.group("neg") or (m.group("sign") in ("-", "−")):
        value = -value
    return NumberText(value, currency, decimal, bool(m.group("pct")))


# --- dates in text ----------------------------------------------------------------------

MONTHS = {
    **{
        m.lower(): i
        for i, m in enumerate(
            ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
        )
    },
    **{
        m.lower(): i
        for i, m in enumerate(
            (
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ),
            1,
        )
    },
}
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
# ISO with a zone, as Salesforce and APIs write it: 2023-02-07T20:47:49.000Z, ...+0000
_ISO_ZONE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?P<s>:\d{2})?(?P<f>\.\d+)?(?P<z>Z|[+-]\d{2}:?\d{2})$"
)
_CJK_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*([日号])$")
_DATE_TOKEN = re.compile(r"\d+|[A-Za-z]+|[^\dA-Za-z]+")
_TIME_TAIL = re.compile(
    r"^(?P<sep>[ T]|, )(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?P<f>\.\d+)?)?"
    r"(?:(?P<psep> ?)(?P<p>[AaPp][Mm]))?$"
)
_DATE_SEPS = frozenset(("/", "-", ".", " ", ", ", ",", ". ", "-", " - "))


@dataclass(frozen=True)
class DateText:
    """A date written as text. ``pattern`` is a strftime format, with ``{A}``/``{B}`` standing
    for the two parts whose order (day/month) the column decides; ``a``/``b`` their values."""

    family: str  # iso | numeric | month-name | cjk
    pattern: str
    a: int = 0
    b: int = 0

    @property
    def ambiguous(self) -> bool:
        return "{A}" in self.pattern


@lru_cache(maxsize=65536)
def read_date_text(text: str) -> DateText | None:
    s = text.strip()
    if len(s) < 6 or len(s) > 40 or not s[0].isalnum():
        return None
    if _ISO.match(s):
        y, mo, d = (int(x) for x in re.split(r"[-T ]", s)[:3])
        return DateText("iso", "%Y-%m-%d") if _valid(y, mo, d) else None
    m = _ISO_ZONE.match(s)
    if m:
        y, mo, d = int(s[:4]), int(s[5:7]), int(s[8:10])
        fmt = "%Y-%m-%dT%H:%M" + (":%S" if m.group("s") else "") + (".%f" if m.group("f") else "")
        return DateText("iso-zone", fmt + "%z") if _valid(y, mo, d) else None
    m = _CJK_DATE.match(s)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return DateText("cjk", f"%Y年%m月%d{m.group(4)}") if _valid(y, mo, d) else None
    tokens = _DATE_TOKEN.findall(s)
    atoms: list[str] = []
    seps: list[str] = []
    i = 0
    while i < len(tokens) and len(atoms) < 3:
        tok = tokens[i]
        if tok[0].isdigit() or tok.lower() in MONTHS:
            atoms.append(tok)
            i += 1
            if len(atoms) < 3:
                if i >= len(tokens) or tokens[i] not in _DATE_SEPS:
                    return None
                seps.append(tokens[i])
                i += 1
        else:
            return None
    if len(atoms) != 3:
        return None
    rest = "".join(tokens[i:])
    time_fmt = ""
    if rest:
        t = _TIME_TAIL.match(rest)
        if not t or int(t.group("h")) > 23 or int(t.group("m")) > 59:
            return None
        hour = "%I" if t.group("p") else "%H"
        time_fmt = t.group("sep").replace("%", "%%") + f"{hour}:%M"
        if t.group("s"):
            time_fmt += ":%S" + (".%f" if t.group("f") else "")
        if t.group("p"):
            time_fmt += t.group("psep") + "%p"
    names = [j for j, a in enumerate(atoms) if not a[0].isdigit()]
    sep = [x.replace("%", "%%") for x in seps]
    if len(names) > 1:
        return None
    if names:
        j = names[0]
        name = atoms[j]
        month = MONTHS[name.lower()]
        directive = "%b" if len(name) == 3 else "%B"
        nums = [(k, a) for k, a in enumerate(atoms) if k != j]
        (k1, n1), (k2, n2) = nums
        if len(n2) == 4 or (len(n1) <= 2 and len(n2) == 2 and j < 2):
            day_k, year_k = k1, k2
        elif len(n1) == 4:
            day_k, year_k = k2, k1
        else:
            return None
        year_s = atoms[year_k]
        day = int(atoms[day_k])
        year = int(year_s) if len(year_s) == 4 else 2000 + int(year_s)
        if len(year_s) not in (2, 4) or not _valid(year, month, day):
            return None
        parts = {j: directive, day_k: "%d", year_k: "%Y" if len(year_s) == 4 else "%y"}
        fmt = parts[0] + sep[0] + parts[1] + sep[1] + parts[2]
        return DateText("month-name", fmt + time_fmt)
    a, b, c = atoms
    if len(a) == 4 and len(b) <= 2 and len(c) <= 2:
        if not _valid(int(a), int(b), int(c)):
            return None
        return DateText("numeric", f"%Y{sep[0]}%m{sep[1]}%d" + time_fmt)
    if len(a) <= 2 and len(b) <= 2 and len(c) in (2, 4):
        ai, bi = int(a), int(b)
        year = int(c) if len(c) == 4 else 2000 + int(c)
        if not (_valid(year, bi, ai) or _valid(year, ai, bi)):
            return None
        ydir = "%Y" if len(c) == 4 else "%y"
        return DateText("numeric", "{A}" + sep[0] + "{B}" + sep[1] + ydir + time_fmt, ai, bi)
    return None


def _valid(y: int, m: int, d: int) -> bool:
    if not (1900 <= y <= 2200 and 1 <= m <= 12 and 1 <= d <= 31):
        return False
    try:
        dt.date(y, m, d)
    except ValueError:
        return False
    return True


def to_date(v: RawValue, order: str | None, *, serials: bool = False) -> dt.date | None:
    """A date cell, or a date written as text read in the column's order (None otherwise).
    ``serials``: the column holds dates, so a day number is one too (a Google Sheet gives its
    date cells as serial numbers)."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if serials and isinstance(v, (int, float)) and not isinstance(v, bool):
        return EXCEL_EPOCH + dt.timedelta(days=int(v)) if SERIAL_MIN <= v <= SERIAL_MAX else None
    if not isinstance(v, str):
        return None
    t = read_date_text(v)
    if t is None:
        return None
    first, second = ("%m", "%d") if order == "mdy" else ("%d", "%m")
    fmt = t.pattern.replace("{A}", first).replace("{B}", second)
    text = v.strip()
    if t.family == "iso":
        text = text[:10] if len(text) > 10 and text[10] in " T" else text
        text = "-".join(p.zfill(2) for p in text.split(" ")[0].split("T")[0].split("-"))
    try:
        return dt.datetime.strptime(text, fmt).date()
    except ValueError:
        return None


ORDER_NAMES = {"dmy": "day first", "mdy": "month first", "ymd": "year first"}


@dataclass(frozen=True)
class DateOrder:
    """The date order of a column of dates written as text, with the evidence."""

    order: str | None  # dmy | mdy | ymd | None (date cells: no order to choose)
    formats: tuple[str, ...]  # strftime formats for the config, most frequent first
    ambiguous: bool  # the values did not tell; the fallback was used
    evidence: str
    numeric: bool = False  # the order was read from numbers alone (1/08/26): a locale hint


def resolve_order(
    texts: Counter[DateText], fallback: str, fallback_reason: str, header: str
) -> DateOrder:
    """Decide day/month order from the values (a part > 12 tells), else fall back."""
    numeric = [(t, n) for t, n in texts.items() if t.ambiguous]
    total = sum(texts.values())
    day_first = sum(n for t, n in numeric if t.a > 12)
    month_first = sum(n for t, n in numeric if t.b > 12)
    ambiguous = False
    if not numeric:
        fams: Counter[str] = Counter()
        for t, n in texts.items():
            fams[t.family] += n
        fam = fams.most_common(1)[0][0] if fams else "iso"
        order = (
            "ymd"
            if fam in ("iso", "cjk", "iso-zone") or any(t.pattern.startswith("%Y") for t in texts)
            else "dmy"
            if any(t.pattern.startswith("%d") for t in texts)
            else "mdy"
        )
        what = {
            "iso": "ISO dates (year-month-day)",
            "cjk": "年月日 dates",
            "iso-zone": "ISO date-times with a time zone",
        }.get(fam, "dates with the month by name" if fam == "month-name" else "year-first dates")
        evidence = f"{header}: {total:,} {what}"
    elif day_first and not month_first:
        order = "dmy"
        share = day_first / sum(n for _, n in numeric)
        evidence = f"{header}: {total:,} dates, {share:.0%} with day > 12 → day first"
    elif month_first and not day_first:
        order = "mdy"
        share = month_first / sum(n for _, n in numeric)
        evidence = f"{header}: {total:,} dates, {share:.0%} with the second part > 12 → month first"
    elif day_first and month_first:
        order = "dmy" if day_first >= month_first else "mdy"
        evidence = (
            f"{header}: mixed orders: {day_first:,} values only read day first, "
            f"{month_first:,} only month first → {ORDER_NAMES[order]} (the majority); "
            "the others will be reported as bad values"
        )
    else:
        order, ambiguous = fallback, True
        evidence = (
            f"{header}: {total:,} dates, every one with day and month ≤ 12: the values do not "
            f"tell the order; {fallback_reason} → {ORDER_NAMES[fallback]}"
        )
    formats: Counter[str] = Counter()
    for t, n in texts.items():
        if t.ambiguous:
            first, second = ("%d", "%m") if order == "dmy" else ("%m", "%d")
            formats[t.pattern.replace("{A}", first).replace("{B}", second)] += n
        else:
            formats[t.pattern] += n
    return DateOrder(
        order, tuple(f for f, _ in formats.most_common()), ambiguous, evidence, bool(numeric)
    )


# --- single values ----------------------------------------------------------------------


def value_kind(v: RawValue) -> str:
    """The kind of one raw value (see the constants above)."""
    if v is None:
        return BLANK
    if v.__class__ is str:
        s = v.strip()
        if not s:
            return BLANK
        return _text_kind(s)
    cls = v.__class__
    if cls is bool:
        return BOOL
    if v.__class__ is float or v.__class__ is int:
        return SERIAL if SERIAL_MIN <= v < SERIAL_MAX else NUMBER
    if cls is dt.date or cls is dt.datetime:
        return DATE
    if cls is CellError:
        return ERROR
    return TIME


@lru_cache(maxsize=65536)
def _text_kind(s: str) -> str:
    low = s.casefold()
    if low in _NULLS or _NULL_ID.match(s):
        return NULL
    if s[0].isdigit() or s[0] in "$€£¥￥₹₩₽(-+−" or s[:3].isupper():
        if read_date_text(s):
            return DATE_TEXT
        num = read_number_text(s)
        if num is not None:
            if num.percent:
                return PERCENT_TEXT
            return MONEY_TEXT if num.currency else NUMBER_TEXT
    elif s[0].isalpha() and read_date_text(s):
        return DATE_TEXT
    if low in _BOOL_WORDS:
        return BOOL
    if _CODE.match(s) and any(c.isdigit() for c in s):
        return CODE
    return TEXT


def number_of(v: RawValue) -> Decimal | None:
    """A numeric value of a cell or a number written as text (None otherwise)."""
    if v.__class__ is float:
        if v != v or v in (float("inf"), float("-inf")):
            return None
        return Decimal(repr(v)) if not v.is_integer() else Decimal(int(v))
    if v.__class__ is int:
        return Decimal(v)
    if v.__class__ is str:
        num = read_number_text(v)
        if num is not None:
            return num.value / 100 if num.percent else num.value
    return None


def id_family(text: str) -> str | None:
    """``guid``, ``salesforce:Opportunity``, ``code`` (letters and digits), ``number`` or None."""
    if _GUID.match(text):
        return "guid"
    if _SFID.match(text) and sum(c.isdigit() for c in text) >= 3 and not text.isdigit():
        obj = SALESFORCE_PREFIXES.get(text[:3])
        if obj and any(c.isalpha() for c in text[3:]):
            return f"salesforce:{obj}"
    if _CODE.match(text) and not text.replace(".", "", 1).isdigit():
        return "code" if any(c.isdigit() for c in text) else None
    if text.isdigit():
        # a number is never written with a leading zero; an id kept as text often is (0061)
        return "code" if len(text) >= 3 and text[0] == "0" else "number"
    return None


# --- columns --------------------------------------------------------------------------


@dataclass
class ColumnValues:
    """A summary of one column's values (from a sample of rows; see ``sample_rows``)."""

    col: int  # 1-based
    counts: Counter[RawValue]  # raw value -> occurrences in the sample (blank values excluded)
    kinds: Counter[str] = field(default_factory=Counter)  # kind -> occurrences
    blank: int = 0
    rows: int = 0  # rows sampled
    kind_of: dict[RawValue, str] = field(default_factory=dict)

    @property
    def filled(self) -> int:
        return self.rows - self.blank

    @property
    def real(self) -> int:
        """Filled cells that are not null markers or errors."""
        return self.filled - self.kinds[NULL] - self.kinds[ERROR]

    def share(self, kinds: frozenset[str] | set[str] | tuple[str, ...]) -> float:
        real = self.real
        return sum(self.kinds[k] for k in kinds) / real if real else 0.0

    @property
    def distinct(self) -> int:
        return len(self.counts)

    def values_of(self, kinds: frozenset[str] | set[str] | tuple[str, ...]) -> list[RawValue]:
        return [v for v, k in self.kind_of.items() if k in kinds]

    def null_texts(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for v, k in self.kind_of.items():
            if k == NULL:
                out[str(v).strip()] += self.counts[v]
        return out

    def dates(self) -> Counter[DateText]:
        out: Counter[DateText] = Counter()
        for v, k in self.kind_of.items():
            if k == DATE_TEXT and (text := read_date_text(str(v))) is not None:
                out[text] += self.counts[v]
        return out

    def numbers(self) -> list[tuple[Decimal, int]]:
        out = []
        for v, k in self.kind_of.items():
            if k in NUMERIC_KINDS or k == PERCENT_TEXT:
                x = number_of(v)
                if x is not None:
                    out.append((x, self.counts[v]))
        return out

    def texts(self) -> list[str]:
        return [str(v).strip() for v, k in self.kind_of.items() if k in (TEXT, CODE, BOOL)]

    def is_boolean(self) -> str | None:
        """The pair (``si/no``, ``true/false``) when every filled value is one of a pair."""
        vals: set[str] = set()
        for v, k in self.kind_of.items():
            if k not in (NULL, ERROR):
                vals.add(_bool_key(v))
                if len(vals) > 2:
                    return None
        if not vals:
            return None
        for pair in BOOLEAN_PAIRS:
            if vals <= set(pair) and (len(vals) == 2 or pair[1] == ""):
                return "/".join(p for p in pair if p)
        return None


def _bool_key(v: RawValue) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip().casefold()


def sample_rows(n: int, limit: int = 2000) -> range | list[int]:
    """Indices of up to ``limit`` rows spread over ``n`` rows (all of them when fewer)."""
    if n <= limit:
        return range(n)
    step = n / limit
    return [int(i * step) for i in range(limit)]


def column_values(col: int, values: Sequence[RawValue]) -> ColumnValues:
    """Summarise a column from its (sampled) raw values."""
    counts: Counter[RawValue] = Counter(values)
    blank = counts.pop(None, 0) + counts.pop("", 0)
    out = ColumnValues(col, counts, rows=len(values))
    kinds = out.kinds
    kind_of = out.kind_of
    for v, n in list(counts.items()):
        k = value_kind(v)
        if k == BLANK:
            blank += n
            del counts[v]
            continue
        kind_of[v] = k
        kinds[k] += n
    out.blank = blank
    return out


def looks_like_email(texts: list[str]) -> bool:
    return bool(texts) and sum(1 for t in texts if _EMAIL.match(t)) >= 0.8 * len(texts)


def looks_like_phone(texts: list[str]) -> bool:
    ok = [t for t in texts if _PHONE.match(t) and sum(c.isdigit() for c in t) >= 7]
    return bool(texts) and len(ok) >= 0.8 * len(texts)
