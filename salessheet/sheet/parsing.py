"""Strict cell parsing: a raw cell becomes a typed value, or a reason it could not.

Nothing is guessed: a value that does not parse is reported (``bad-value``), never blanked.
Every parser either returns a value or raises ParseFailure, whatever it is given (text of any
length, NaN, infinities, numbers of thousands of digits); tests/test_parsing_properties.py
checks that with generated input.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from salessheet.core.cells import CellError, RawValue

EXCEL_EPOCH = dt.date(1899, 12, 30)
# The largest amount or number read (exclusive): 10^18. No deal is worth that in any currency
# (world GDP is ~10^14 USD; 10^18 Vietnamese dong is ~4x10^13 USD), and it keeps every sum of a
# million amounts with their cents inside Decimal's 28 digits, so rounding never fails.
MAX_MAGNITUDE = Decimal(10) ** 18
# Serial numbers accepted as dates: 1954-10-03 .. 2173-10-14 (anything else is not a date).
SERIAL_MIN, SERIAL_MAX = 20000, 100000
CURRENCY_MARKS = {
    "¥": "CNY",
    "￥": "CNY",
    "CN¥": "CNY",  # how Babel writes the yuan outside zh (en_US documents: CN¥1,234.50)
    "JP¥": "JPY",  # and the yen in zh
    "元": "CNY",
    "RMB": "CNY",
    "CNY": "CNY",
    "$": "USD",
    "US$": "USD",
    "USD": "USD",
    "€": "EUR",
    "EUR": "EUR",
    "£": "GBP",
    "GBP": "GBP",
    "HK$": "HKD",
    "HKD": "HKD",
    "JPY": "JPY",
    "円": "JPY",
}
# A unit written after the number in the cell itself: "1.5万", "3万元" (元, the currency mark, is
# taken off first), "2.1亿". The cell then says the whole amount: a header's unit is not applied
# on top of it (in a column headed 预计金额（万元）, "213.1万" is 2,131,000, not 21,310,000,000).
CELL_UNITS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
_CURRENCY_RE = re.compile(
    "|".join(re.escape(k) for k in sorted(CURRENCY_MARKS, key=len, reverse=True))
)


def _without_marks(text: str) -> tuple[str, bool]:
    """``text`` without its brackets of a negative amount and its currency marks, as the
    number and its unit are read from it; and whether it was bracketed."""
    s = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    bracketed = s.startswith("(") and s.endswith(")")
    if bracketed:
        s = s[1:-1].strip()
    return _CURRENCY_RE.sub("", s).strip(), bracketed


def has_cell_unit(value: RawValue) -> bool:
    """A text amount that carries its own 万 or 亿 after the number (as parse_decimal_text
    reads it)."""
    return value.__class__ is str and _without_marks(value)[0][-1:] in CELL_UNITS


# A numeric text date: 1/08/26, 02-01-17, 2017.1.2, 30/05/2026 13:45 (one separator kind).
_NUMERIC_DATE = re.compile(
    r"^(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
DATE_ORDERS = ("dmy", "mdy", "ymd")
_ISO_LIKE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
# locales whose decimal separator is a comma
_COMMA_DECIMAL = (
    "de",
    "fr",
    "es",
    "it",
    "nl",
    "pt",
    "ru",
    "pl",
    "tr",
    "sv",
    "da",
    "nb",
    "fi",
    "cs",
)


class ParseFailure(Exception):
    """Internal: the reason a cell could not be parsed (becomes a bad-value finding)."""


@dataclass
class ParseContext:
    date_formats: list[str] = field(default_factory=lambda: ["%Y-%m-%d"])
    currency: str = "CNY"
    locale: str = "zh_CN"
    stage_lookup: dict[str, str] = field(default_factory=dict)
    null_markers: frozenset[str] = frozenset()  # texts that mean "blank" (e.g. NA from R)

    @classmethod
    def from_profile(cls, profile: Any, locale: str | None = None) -> ParseContext:
        return cls(
            date_formats=list(profile.date_formats),
            currency=profile.currency,
            locale=locale or profile.locale,
            stage_lookup=profile.stage_lookup(),
            null_markers=null_marker_set(getattr(profile, "null_markers", ()) or ()),
        )

    def is_null(self, value: RawValue) -> bool:
        """Is ``value`` text the profile lists as a null marker (``NA``, ``\\N``, ``暂无``)?"""
        return is_null_marker(value, self.null_markers)

    @property
    def comma_decimal(self) -> bool:
        return self.locale.split("_")[0].lower() in _COMMA_DECIMAL


def null_marker_set(markers: Any) -> frozenset[str]:
    """The markers as compared: trimmed and NFKC-normalised (full-width ``ＮＡ`` is ``NA``)."""
    return frozenset(unicodedata.normalize("NFKC", str(m)).strip() for m in markers if str(m))


def is_null_marker(value: RawValue, markers: frozenset[str]) -> bool:
    """Case-sensitive, after trimming and NFKC (markers as ``null_marker_set`` gives them)."""
    if not markers or not isinstance(value, str):
        return False
    text = value.strip()
    return bool(text) and (text in markers or unicodedata.normalize("NFKC", text) in markers)


def is_blank(value: RawValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(v: float) -> str:
    if not math.isfinite(v):
        raise ParseFailure("not a number")
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".15g")


def _int_text(v: int) -> str:
    try:
        return str(v)
    except ValueError as exc:  # more digits than Python converts (4,300)
        raise ParseFailure("a number too long to read") from exc


def parse_id(value: RawValue) -> str:
    if isinstance(value, CellError):
        raise ParseFailure(f"error value {value.code}")
    if isinstance(value, bool):
        raise ParseFailure("a TRUE/FALSE cell is not an id")
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, int):
        return _int_text(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        raise ParseFailure("a date cell is not an id")
    return visible_id(str(value).strip())


def visible_id(text: str) -> str:
    """An id without the invisible characters a paste leaves in it (zero-width spaces, a
    byte-order mark, direction marks, soft hyphens: Unicode's format characters), so that
    'D-0001' and 'D-0001' + U+200B are one deal, not two that look alike."""
    if text.isascii() or not any(unicodedata.category(c) == "Cf" for c in text):
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf").strip()


def parse_text(value: RawValue) -> str:
    if isinstance(value, CellError):
        raise ParseFailure(f"error value {value.code}")
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _int_text(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def cell_text(value: RawValue) -> str:
    """``parse_text`` for cells a user may have typed anything into (our own sheets, extra
    columns): an error value such as ``#N/A`` is its code, never a failure."""
    if isinstance(value, CellError):
        return value.code.strip()
    return parse_text(value)


def float_to_decimal(v: float) -> Decimal:
    """Drop binary noise: 17499.9499999999 → 17499.95 (12 significant digits). ``v`` must be
    finite and below MAX_MAGNITUDE (parse_money checks)."""
    if v.is_integer() and abs(v) < 1e15:
        return Decimal(int(v))
    text = repr(v)
    if len(text) <= 12 and "e" not in text:  # short repr: already the number as typed
        return Decimal(text)
    d = Decimal(format(v, ".12g"))
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return d


def parse_decimal_text(text: str, ctx: ParseContext) -> tuple[Decimal, str | None]:
    """`¥1,200.50` → (1200.50, 'CNY'); `1.200,50 €` → (1200.50, 'EUR'). Raises ParseFailure."""
    found = _CURRENCY_RE.findall(text)
    currency = CURRENCY_MARKS[found[0]] if found else None
    if len({CURRENCY_MARKS[f] for f in found}) > 1:
        raise ParseFailure("two different currencies in one cell")
    s, negative = _without_marks(text)
    unit = CELL_UNITS.get(s[-1:])
    if unit is not None:  # "1.5万": the number in 万
        s = s[:-1].strip()
    if s.startswith("-") or s.startswith("−"):
        negative, s = not negative, s[1:].strip()
    s = s.replace(" ", "").replace("'", "")
    if not s or not re.fullmatch(r"[\d.,]+", s):
        raise ParseFailure("not a number")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
    elif "," in s:
        if ctx.comma_decimal and not re.fullmatch(r"\d{1,3}(,\d{3}){2,}", s):
            dec = ","
        elif re.fullmatch(r"\d{1,3}(,\d{3})+", s):
            dec = "."
        else:
            raise ParseFailure("ambiguous separators")
    elif "." in s and ctx.comma_decimal and re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
        dec = ","
    else:
        dec = "."
    thousands = "," if dec == "." else "."
    int_part, _, frac = s.partition(dec)
    if dec in frac:
        raise ParseFailure("two decimal separators")
    if thousands in int_part and not re.fullmatch(rf"\d{{1,3}}(\{thousands}\d{{3}})+", int_part):
        raise ParseFailure("misplaced thousands separator")
    if thousands in frac:
        raise ParseFailure("thousands separator after the decimal point")
    try:
        number = Decimal(int_part.replace(thousands, "") + ("." + frac if frac else ""))
    except (InvalidOperation, ValueError) as exc:
        raise ParseFailure("not a number") from exc
    if unit is not None:
        number *= unit
        if number == number.to_integral_value():
            number = number.quantize(Decimal(1))  # 1.5万 is 15000, not 15000.0
    _check_magnitude(number)
    return (-number if negative else number), currency


def _check_magnitude(number: Decimal) -> None:
    if not number.is_finite() or abs(number) >= MAX_MAGNITUDE:
        raise ParseFailure("a number of 19 digits or more; no amount is that large")


def parse_money(value: RawValue, ctx: ParseContext) -> tuple[Decimal, str | None]:
    if isinstance(value, CellError):
        raise ParseFailure(f"error value {value.code}")
    if isinstance(value, bool):
        raise ParseFailure("TRUE/FALSE is not an amount")
    if isinstance(value, int):
        number = Decimal(value)
        _check_magnitude(number)
        return number, None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParseFailure("not a number")
        if abs(value) >= MAX_MAGNITUDE:
            raise ParseFailure("a number of 19 digits or more; no amount is that large")
        return float_to_decimal(value), None
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        raise ParseFailure("a date is not an amount")
    return parse_decimal_text(str(value), ctx)


def parse_number(value: RawValue, ctx: ParseContext) -> Decimal:
    return parse_money(value, ctx)[0]


def parse_percent(value: RawValue, ctx: ParseContext, scale: Decimal | None = None) -> Decimal:
    """``15%`` -> 0.15; a plain number as written, times ``scale`` when the column has one
    (``scale: 0.01``: a column of whole-number percentages, 5 meaning 5 %)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return parse_decimal_text(value.strip()[:-1], ctx)[0] / 100
    number = parse_money(value, ctx)[0]
    return number if scale is None else number * scale


def _year(text: str) -> int:
    """A two-digit year as strptime's %y reads it (69-99 -> 19xx, 00-68 -> 20xx)."""
    if len(text) == 4:
        return int(text)
    if len(text) <= 2:
        y = int(text)
        return 1900 + y if y >= 69 else 2000 + y
    raise ParseFailure("a year of three digits")


def _numeric_parts(text: str) -> tuple[str, str, str] | None:
    m = _NUMERIC_DATE.match(text)
    return (m.group(1), m.group(3), m.group(4)) if m else None


def parse_numeric_date(text: str, order: str) -> dt.date:
    """``1/08/26`` read in ``order`` (dmy | mdy | ymd); a four-digit first part is always the
    year (``2017.1.2``). Raises ParseFailure for any other text or a date that does not exist."""
    parts = _numeric_parts(text.strip()) if isinstance(text, str) else None
    if parts is None or order not in DATE_ORDERS:
        raise ParseFailure("not a numeric date")
    a, b, c = parts
    if len(a) == 4 or order == "ymd":
        y, mo, d = a, b, c
    elif order == "dmy":
        d, mo, y = a, b, c
    else:
        mo, d, y = a, b, c
    if len(d) > 2 or len(mo) > 2:
        raise ParseFailure(f"not a date in {order} order")
    try:
        return dt.date(_year(y), int(mo), int(d))
    except ValueError as exc:
        raise ParseFailure(f"no such date in {order} order ({exc})") from exc


def numeric_date_kind(text: str) -> str | None:
    """How a numeric text date can read: ``"dmy"`` (only day first: ``25/03/17``), ``"mdy"``
    (only month first: ``03/25/17``), ``"either"`` (``02/01/17``); None for other text, a
    year-first date or one no order reads. Never raises."""
    parts = _numeric_parts(text.strip()) if isinstance(text, str) else None
    if parts is None or len(parts[0]) > 2 or len(parts[2]) == 3:
        return None
    a, b, c = parts
    year = _year(c)
    dmy = mdy = True
    try:
        dt.date(year, int(b), int(a))
    except ValueError:
        dmy = False
    try:
        dt.date(year, int(a), int(b))
    except ValueError:
        mdy = False
    if dmy and mdy:
        return "either"
    return "dmy" if dmy else "mdy" if mdy else None


def read_order(text: str, date: dt.date) -> str | None:
    """The order in which ``date`` was read from the numeric text ``text`` ("dmy" or "mdy");
    None when that does not show (``05/05/17``, a year-first text, other text)."""
    parts = _numeric_parts(text.strip()) if isinstance(text, str) else None
    if parts is None or len(parts[0]) > 2:
        return None
    a, b = int(parts[0]), int(parts[1])
    if a == b:
        return None
    if date.day == a and date.month == b:
        return "dmy"
    if date.month == a and date.day == b:
        return "mdy"
    return None


def parse_date(value: RawValue, ctx: ParseContext, order: str | None = None) -> dt.date:
    """``order`` (a column's date_order): numeric text dates read in that order first."""
    if order is not None and value.__class__ is str and _NUMERIC_DATE.match(value.strip()):
        return parse_numeric_date(value, order)
    if isinstance(value, CellError):
        raise ParseFailure(f"error value {value.code}")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ParseFailure("TRUE/FALSE is not a date")
    if isinstance(value, (int, float)):
        if SERIAL_MIN <= value < SERIAL_MAX:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ParseFailure("a number that is not a date serial")
    if isinstance(value, (dt.time, dt.timedelta)):
        raise ParseFailure("a time is not a date")
    text = str(value).strip()
    m = _ISO_LIKE.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        try:
            return dt.date(y, mo, d)
        except ValueError as exc:
            raise ParseFailure(f"no such date ({exc})") from exc
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return parse_date(float(text), ctx)
    for fmt in ctx.date_formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError as exc:
            if "day is out of range" in str(exc):  # the format fits, the date does not exist
                raise ParseFailure("no such date (day is out of range for month)") from exc
    raise ParseFailure(f"not a date in any accepted format ({', '.join(ctx.date_formats)})")
