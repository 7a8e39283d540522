"""Cell XML: escaping text the way Excel does, and writing one typed cell."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from decimal import Decimal
from xml.parsers import expat

from salessheet.core.cells import col_letter
from salessheet.core.errors import WriteRefused

_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")

DEFLATE_LEVEL, DEFLATE_LEVEL_LARGE, LARGE_PART = 6, 1, 8 << 20
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_STRICT_WORKSHEET_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet"
_MAX_ROW, _MAX_COL = 1_048_576, 16_384
_LETTERS: dict[int, str] = {}
_COLNUM: dict[bytes, int] = {}


_ESC_NEEDED = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x")


_ESC_PARTS = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


_ESC_MAP = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", "_": "_x005F_"}


_UNESC_X = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _esc_sub(m: re.Match[str]) -> str:
    ch = m.group(0)
    return _ESC_MAP.get(ch) or f"_x{ord(ch):04X}_"


def _esc_text(text: str) -> str:
    """Escape for an OOXML text node: XML escapes, CR kept, control characters and literal
    ``_xHHHH_`` sequences encoded the way Excel does."""
    if _ESC_NEEDED.search(text) is None:
        return text
    return _ESC_PARTS.sub(_esc_sub, text)


def _esc_attr(text: str) -> str:
    return html.escape(text, quote=True)


def _unesc_text(raw: bytes) -> str:
    text = html.unescape(raw.decode("utf-8")) if b"&" in raw else raw.decode("utf-8")
    if "_x" in text:
        text = _UNESC_X.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return {
        m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _ATTR.finditer(raw)
    }


def _well_formed(xml: bytes, label: str) -> None:
    parser = expat.ParserCreate()
    step = 1 << 20
    try:
        for at in range(0, len(xml), step):
            parser.Parse(xml[at : at + step], False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise WriteRefused(
            f"{label}: generated XML is not well-formed ({exc}); nothing written."
        ) from None


_WS = " \t\n\r"


def _letters(col: int) -> str:
    got = _LETTERS.get(col)
    if got is None:
        got = _LETTERS[col] = col_letter(col)
    return got


def _needs_preserve(text: str) -> bool:
    """Whether to mark text xml:space="preserve" (as Excel does) so its whitespace is kept."""
    return text[0] in _WS or text[-1] in _WS or "\n" in text or "\t" in text or "  " in text


def _number_text(value: float | Decimal) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} (not a finite number)")
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} (not a finite number)")
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    return str(int(value))


def _value_kind(value: object) -> tuple[str, str] | None:
    """(kind, text) with kind 's' text, 'n' number, 'b' boolean; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, str):
        return ("s", value) if value != "" else None
    if isinstance(value, (int, float, Decimal)):
        return "n", _number_text(value)
    if isinstance(value, dt.datetime):
        return "s", value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return "s", value.isoformat()
    raise TypeError(f"{value!r} (a {type(value).__name__} cannot be written into a cell)")


_MAX_TEXT = 32_767  # Excel's limit for a cell's text, in UTF-16 code units


_MAX_TEXT_HALF = _MAX_TEXT // 2


def _check_text_length(text: str) -> None:
    units = len(text.encode("utf-16-le")) // 2
    if units > _MAX_TEXT:
        raise ValueError(
            f"{text[:40]!r}... ({units:,} characters; Excel cells hold at most {_MAX_TEXT:,})"
        )


def _cell(p: str, ref: str, value: object, style: str | None) -> str:
    """One ``<c>`` element holding ``value`` as text or a number (never a formula);
    "" when the cell would be empty and unstyled."""
    st = f' s="{style}"' if style is not None else ""
    if value.__class__ is not str:
        if value is None:
            return f'<{p}c r="{ref}"{st}/>' if style is not None else ""
        if value.__class__ is int:
            return f'<{p}c r="{ref}"{st}><{p}v>{value}</{p}v></{p}c>'
        kind = _value_kind(value)
        if kind is None:
            return f'<{p}c r="{ref}"{st}/>' if style is not None else ""
        if kind[0] == "n":
            return f'<{p}c r="{ref}"{st}><{p}v>{kind[1]}</{p}v></{p}c>'
        if kind[0] == "b":
            return f'<{p}c r="{ref}"{st} t="b"><{p}v>{kind[1]}</{p}v></{p}c>'
        value = kind[1]
    elif not value:
        return f'<{p}c r="{ref}"{st}/>' if style is not None else ""
    if len(value) > _MAX_TEXT_HALF:
        _check_text_length(value)
    text = _esc_text(value)
    sp = ' xml:space="preserve"' if _needs_preserve(value) else ""
    return f'<{p}c r="{ref}"{st} t="inlineStr"><{p}is><{p}t{sp}>{text}</{p}t></{p}is></{p}c>'
