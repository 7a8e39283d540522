"""What a number or a date typed the way people write them (``50万``, ``$500k``, ``1,000``,
``2026/12/31``) should be written as in a condition, and the full-width punctuation a Chinese
input method types: the hints of the rule language's messages (salessheet.settings.conditions)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

# what a Chinese input method types in full width (（ ） ％ ＞ ＝, the ideographic space):
# the ASCII character it stands for, one for one, so that columns stay where they were
FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
CURLY_QUOTES = "“”‘’「」"  # typed for text, which goes in straight double quotes
_UNITS = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "千": Decimal(1000)}  # 1万 etc.
# 500k, $1.5m, 50w (万), 1,200,000: how people write amounts, not how the language does
_SCALES = {"k": Decimal(1000), "m": Decimal(1_000_000), "w": Decimal(10_000), **_UNITS}
_WRITTEN_NUMBER = re.compile(
    r"(?:(?P<cur>[$¥€£])[ \t]*)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<unit>[kKmMwW](?![A-Za-z0-9_])|[万亿千])?"
)


def written_number(text: str, pos: int) -> tuple[str, int] | None:
    """``50万``, ``$500k``, ``500,000``, ``¥1.2m``: a number written with a currency mark, a
    scale or thousands separators, around ``pos``: (what to write instead, where it starts)."""
    for m in _WRITTEN_NUMBER.finditer(text):
        if not m.start() <= pos <= m.end():
            continue
        cur, num, unit = m.group("cur"), m.group("num"), m.group("unit")
        if not (cur or unit or "," in num):
            return None
        value = Decimal(num.replace(",", "")) * _SCALES.get((unit or "").lower(), Decimal(1))
        out = f"{value.normalize():f}"
        tail = " (amounts compare in the deal's own currency, with no currency mark)" if cur else ""
        return f"write the number out: {m.group()} is {out}{tail}", m.start()
    return None


_DATE_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DATE_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")


def iso_of(text: str) -> str | None:
    """``2026/12/31``, ``2026年12月31日``, ``2026-2-3``, ``31/12/2026``: the ISO date it means,
    when only one reading is a real day (``03/04/2026`` could be either: None)."""
    text = text.strip()
    candidates: list[tuple[int, int, int]] = []
    if m := _DATE_YMD.fullmatch(text):
        candidates.append((int(m[1]), int(m[2]), int(m[3])))
    elif m := _DATE_DMY.fullmatch(text):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        candidates += [(year, b, a), (year, a, b)] if a != b else [(year, a, b)]
    days: set[dt.date] = set()
    for y, mo, d in candidates:
        try:
            days.add(dt.date(y, mo, d))
        except ValueError:
            pass
    return days.pop().isoformat() if len(days) == 1 else None
