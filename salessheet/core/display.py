"""Terminal display width (the one wcwidth module): how many columns text takes, and clipping and
padding by columns, so CJK, combining marks and emoji line up.

``width("报价")`` is 4 (East Asian wide characters take two columns), ``width("e\u0301")`` is 1
(a combining mark takes none), ``width("👍")`` is 2. ``clip`` shortens text to a number of columns
with a trailing ``…`` and never cuts inside a character or its marks, so the result never takes
more columns than asked for; ``ljust`` / ``rjust`` clip, then pad with spaces to exactly that many.
"""

from __future__ import annotations

__all__ = ["ELLIPSIS", "clip", "ljust", "rjust", "width"]

ELLIPSIS = "…"  # one column
_ZWJ = "\u200d"


def _char_width(ch: str) -> int:
    # wcwidth is imported on first use: importing wcwidth 0.9 costs some 20 ms of CPU, which a
    # command that lays out no text (JSON output, documents) need not pay.
    from wcwidth import wcwidth

    return wcwidth(ch)


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal; control characters (tab, newline) count as none."""
    from wcwidth import wcswidth

    cols = wcswidth(text)
    if cols < 0:  # wcwidth gives -1 for a string with a control character
        cols = wcswidth("".join(ch for ch in text if _char_width(ch) >= 0))
    return cols


def _cuts(text: str) -> list[int]:
    """Positions where ``text`` may be cut: not before a zero-width character (a combining mark,
    a variation selector, a joiner) and not after a zero-width joiner (inside an emoji
    sequence)."""
    return [i for i in range(1, len(text)) if _char_width(text[i]) != 0 and text[i - 1] != _ZWJ]


def clip(text: str, cols: int) -> str:
    """``text`` if it fits in ``cols`` columns, else its longest head that fits in ``cols - 1``
    followed by ``…``: ``clip("报价与谈判", 6)`` -> ``"报价…"`` (5 columns, never 7)."""
    if width(text) <= cols:
        return text
    if cols <= 0:
        return ""
    head = ""
    for cut in _cuts(text):
        if width(text[:cut]) > cols - 1:
            break
        head = text[:cut]
    return head + ELLIPSIS


def ljust(text: str, cols: int) -> str:
    """``text`` clipped to ``cols`` columns, padded on the right to exactly ``cols``."""
    text = clip(text, cols)
    return text + " " * (cols - width(text))


def rjust(text: str, cols: int) -> str:
    """``text`` clipped to ``cols`` columns, padded on the left to exactly ``cols``."""
    text = clip(text, cols)
    return " " * (cols - width(text)) + text
