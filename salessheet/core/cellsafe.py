"""Text the tool writes into cells and messages, made to fit whatever a cell holds.

Excel keeps at most 32,767 characters in a cell, counted in UTF-16 code units (a character
outside the Basic Multilingual Plane, such as most emoji, counts twice). A store refuses a
longer text rather than truncate it silently, so everything salessheet writes is clipped here
first, with "…" marking the cut. Messages that quote a cell value quote only its beginning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from salessheet.core.cells import WriteValue

MAX_CELL_UNITS = 32_767  # Excel's limit for the text of one cell, in UTF-16 code units
QUOTE_CHARS = 200  # how much of a cell value a message quotes
ELLIPSIS = "…"  # one UTF-16 code unit

V = TypeVar("V")


def utf16_units(text: str) -> int:
    """Length as Excel counts it: characters above U+FFFF take two UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def clip_cell_text(value: V, limit: int = MAX_CELL_UNITS) -> V | str:
    """``value`` unchanged unless it is text longer than ``limit`` UTF-16 code units; then its
    beginning and "…", together at most ``limit`` units (a surrogate pair is never split)."""
    if not isinstance(value, str) or len(value) * 2 <= limit or utf16_units(value) <= limit:
        return value
    budget = limit - len(ELLIPSIS)
    used = 0
    for i, ch in enumerate(value):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > budget:
            return value[:i] + ELLIPSIS
    return value  # not reached: the text is longer than the limit


def clip_row(row: Sequence[WriteValue]) -> list[WriteValue]:
    return [clip_cell_text(v) for v in row]


def clip_rows(rows: Sequence[Sequence[WriteValue]]) -> list[list[WriteValue]]:
    """Every text of a tool-owned sheet, fitted to a cell."""
    return [clip_row(r) for r in rows]


def quote_value(value: Any, limit: int = QUOTE_CHARS) -> str:
    """``repr`` of a value as a message quotes it: text longer than ``limit`` characters is cut
    to its first ``limit`` characters and "…"."""
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit] + ELLIPSIS
    return repr(value)
