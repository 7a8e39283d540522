"""Field history: which deal fields the ledger tracks, how their values are written, and how
the ledger reads back dates a person may have retyped.

Tracked fields: ``amount``, ``currency``, ``probability`` and ``owner`` when the sheet has the
column, plus every column the profile marks ``track: true``. (Stage and expected close have
their own events, as before.) Values are kept as canonical text: a number as its exact decimal
(``1200.50``), a date as ``YYYY-MM-DD``, text as written; ``""`` is blank.

A ``seen`` or ``values`` row lists values in its Note as ``key=value; key=value`` (the key of
the expected close is ``close``, as ledgers have always written it); ``%``, ``;`` and ``=``
inside a value are written ``%25``, ``%3B`` and ``%3D``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from salessheet.core.cells import CellError, RawValue

STANDARD_TRACKED = ("amount", "currency", "probability", "owner")
NUMERIC_TYPES = ("money", "number", "percent")
# fields with their own events (stage, close) or that identify the deal: never "tracked"
NOT_TRACKED = ("deal_id", "stage", "expected_close")
EXCEL_EPOCH = dt.date(1899, 12, 30)
SERIAL_MIN, SERIAL_MAX = 20000, 100000


def tracked_fields(profile: Any, col_of: dict[str, int]) -> tuple[str, ...]:
    """The fields this sheet's deals are tracked on: standard ones present in the sheet, then
    the profile's ``track: true`` columns present in the sheet, in profile order."""
    out = [f for f in STANDARD_TRACKED if f in col_of]
    for c in profile.columns:
        if getattr(c, "track", False) and c.field in col_of and c.field not in NOT_TRACKED:
            if c.field not in out:
                out.append(c.field)
    return tuple(out)


def numeric_fields(profile: Any) -> frozenset[str]:
    return frozenset(c.field for c in profile.columns if c.type in NUMERIC_TYPES)


def canonical(value: Any) -> str:
    """A parsed field value as ledger text (None -> "")."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f") if value == value else ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def as_decimal(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def same_value(a: str, b: str, numeric: bool) -> bool:
    if a == b:
        return True
    if numeric:
        x, y = as_decimal(a), as_decimal(b)
        return x is not None and y is not None and x == y
    return False


_ESCAPES = (("%", "%25"), (";", "%3B"), ("=", "%3D"))
UNKNOWN = "%?"  # a value that could not be read when the row was written (never a real value:
# "%" in a value is always written "%25")


def _escape(text: str) -> str:
    if "%" not in text and ";" not in text and "=" not in text:
        return text
    for raw, esc in _ESCAPES:
        text = text.replace(raw, esc)
    return text


def _unescape(text: str) -> str:
    if "%" not in text:
        return text
    for raw, esc in reversed(_ESCAPES):
        text = text.replace(esc, raw).replace(esc.lower(), raw)
    return text


def encode_values(values: dict[str, str]) -> str:
    """``{"close": "2027-01-31", "amount": "1000"}`` -> ``close=2027-01-31; amount=1000``."""
    return "; ".join(
        f"{k}={v if v == UNKNOWN else _escape(v)}" for k, v in values.items() if v != ""
    )


def decode_values(note: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in note.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key:
            value = value.strip()
            out[key.strip()] = value if value == UNKNOWN else _unescape(value)
    return out


# ------------------------------------------------------------------------ dates in the ledger

_YMD = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DMY = re.compile(
    r"^(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def date_candidates(value: RawValue) -> list[dt.date]:
    """Every date a ledger cell can mean: one for a date cell, ISO text (``2026-11-28``),
    ``2026/11/28``, ``2026年11月28日`` or a serial number; up to two for ``03/04/2026`` (day or
    month first: ``28/11/2026`` has only one reading); none for anything else."""
    if value is None or isinstance(value, (CellError, bool, dt.time, dt.timedelta)):
        return []
    if isinstance(value, dt.datetime):
        return [value.date()]
    if isinstance(value, dt.date):
        return [value]
    if isinstance(value, (int, float)):
        if value == value and SERIAL_MIN <= value < SERIAL_MAX:
            return [EXCEL_EPOCH + dt.timedelta(days=int(value))]
        return []
    text = str(value).strip()
    m = _YMD.match(text)
    if m:
        day = _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return [day] if day else []
    m = _DMY.match(text)
    if m:
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        found = [x for x in (_date(y, b, a), _date(y, a, b)) if x is not None]
        return list(dict.fromkeys(found))
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return date_candidates(float(text))
    return []
