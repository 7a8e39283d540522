"""Terminal column widths: CJK characters take two columns."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clip(text: str, cols: int) -> str:
    out, used = "", 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > cols:
            return out[:-1] + "…" if out else ""
        out += ch
        used += w
    return out


def ljust(text: str, cols: int) -> str:
    text = clip(text, cols)
    return text + " " * (cols - width(text))


def rjust(text: str, cols: int) -> str:
    text = clip(text, cols)
    return " " * (cols - width(text)) + text
