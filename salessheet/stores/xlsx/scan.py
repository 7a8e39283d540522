"""Is this worksheet XML safe to hand to python-calamine as it is?

python-calamine builds a sheet as one dense rectangle from its first to its last cell before
Python sees anything: one stray value in ``XFD1048576`` asks for 17 billion cells and aborts the
process (a failed allocation is nothing Python can catch), a value in ``BZ1048576`` costs 3 GB.
It also panics (a BaseException) on a date-formatted ``-1e15`` and reads a date-formatted ``NaN``
as 1899-12-30. So the XML is looked at first, as it streams by, and only a sheet (or a piece of
a cut sheet) that passes goes to calamine directly; anything else is read by ``careful.py``,
which hands calamine only small, sanitised pieces.

The look is one regular-expression search per chunk that finds nothing in a normal sheet (C
speed, ~2 ms per MB of XML): every cell must start ``<c r="A1"`` with a column within the columns
seen so far (widening as the data does) and a row within the rows its chunk's ``<row>`` tags
span, followed only by the usual attributes. Any other cell is looked at in Python. Then every
``<v>`` that does not start with a digit must hold something calamine reads correctly. The cells'
own references decide the rectangle, never the ``<dimension>`` element (which any writer may get
wrong); its area is held against a budget that grows with the XML's size, so a far cell in a
small sheet is caught while a real 1,048,576-row sheet is not.
"""

from __future__ import annotations

import functools
import html
import math
import re

from salessheet.core.cells import CellError, col_letter, col_number
from salessheet.stores.xlsx.parts import error_cells

# The rectangle calamine may allocate for a sheet or piece, in cells (32 bytes each in calamine,
# 8 more in the Python row lists): a floor that any small sheet fits (4M cells, ~160 MB), plus a
# quarter cell per byte of XML. A real sheet takes ~30 bytes of XML per cell (0.03 cells per
# byte), so even a sheet whose columns are 8 parts empty to 1 part filled stays under it.
RECT_FLOOR = 4 << 20
RECT_PER_BYTE = 0.25
MAX_COLUMNS = 16_384  # Excel's XFD
MAX_TAG = 64 << 10  # a start tag (or the text after the last one) longer than this is not normal
# Error values calamine 0.9 reads; any other (#SPILL!, #CALC!, ...) makes it refuse the sheet.
CALAMINE_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA"}
)
# A number below this in a date-formatted cell makes calamine panic (its time conversion
# overflows below about -1e11 days); no real date or time is anywhere near it.
NEGATIVE_LIMIT = -1e9
TEXT_KINDS = (b"s", b"str", b"inlineStr", b"d")  # cell types calamine takes as text

_ATTR_R = re.compile(rb"""(?<![\w:.-])r\s*=\s*(["'])(.*?)\1""", re.S)
_PLAIN_REF = re.compile(rb"\$?([A-Z]{1,3})\$?(\d{1,7})")
_ATTR_T = re.compile(rb"""(?<![\w:.-])t\s*=\s*["']([^"']*)["']""")
_FIRST_COLS = re.compile(rb'\sr="([A-Z]{1,3})\d')
_PLAIN_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_V_TEXT = re.compile(rb"<(?:[\w.-]+:)?v>([^<]*)<")
_COLON_C = re.compile(rb":c")


class SheetScan:
    """Streams over one worksheet's XML (``feed``), judging it piece by piece (``end_piece``).

    ``prefix`` is the element prefix of the worksheet (``b"x:"`` for ``<x:worksheet>``), empty
    for the default namespace. ``end_piece`` returns None when calamine may read the piece as
    it is, else why not ("its cells span 1,048,576 rows x 78 columns", ...).
    """

    def __init__(self, prefix: bytes = b"", *, zero_is_unsaved: bool = False) -> None:
        """``zero_is_unsaved``: the workbook's formula results are placeholders
        (``parts.results_are_placeholders``): a formula's saved 0 is no result either."""
        self.prefix = prefix
        p = re.escape(prefix)
        self._cell_start = b"<" + prefix + b"c"
        self._value_start = b"<" + prefix + b"v>"
        # a <v> not starting with a digit: text, an error value, a negative number, NaN, ...
        self._values = re.compile(b"<" + p + rb"v>[^\d<]")
        self._cell_end = b"</" + prefix + b"c>"
        self._row_start = b"<" + prefix + b'row r="'
        self._rows = re.compile(b"<" + p + rb'row r="(\d{1,9})"')
        # A cell element with another prefix (<x:c> where the sheet has none) is a cell to
        # calamine, and the searches below would not see it.
        self._other_prefix = re.compile(rb"<[\w.-]+:c[\s/>]") if not prefix else None
        # a formula cell with no saved result: <f>..</f> then no <v>, or an empty one on a cell
        # that is not text (Excel saves a formula's "" as t="str" with <v></v>). Such a cell
        # ends in one of these tails, found at memchr speed; the regex runs only on those cells
        self._formula_start = b"<" + prefix + b"f"
        end = b"</" + prefix + b"c>"
        self._unsaved_tails: tuple[bytes, ...] = (
            b"</" + prefix + b"f>" + end,
            b"/>" + end,
            b"<" + prefix + b"v></" + prefix + b"v>" + end,
        )
        zero = b""
        if zero_is_unsaved:  # xlsxwriter's <f>B2*C2</f><v>0</v>
            self._unsaved_tails += (b"<" + prefix + b"v>0</" + prefix + b"v>" + end,)
            zero = rb"|\s*<" + p + rb"v>0</" + p + rb"v>"
        self._unsaved = re.compile(
            b"<" + p + rb"f(?=[\s/>])[^>]*?(?:/>|>([^<]*)</" + p + rb"f>)"
            rb"(\s*<"
            + p
            + rb"v\s*/>|\s*<"
            + p
            + rb"v>\s*</"
            + p
            + rb"v>"
            + zero
            + rb")?\s*</"
            + p
            + rb"c>"
        )
        self._carry = b""
        self.errors: dict[tuple[int, int], CellError] = {}  # cells holding an error value
        # (0-based row, col) -> formula text of each cell whose formula result was never saved
        # (a workbook written by a script and never opened in Excel): it reads as blank
        self.unsaved: dict[tuple[int, int], str] = {}
        self.base_width = 0  # the columns of the sheet's first cells (its header area)
        # A cell or <row> outside the rows its piece holds (rows out of order, a cell naming
        # another row): pieces would overlap, so such a sheet is not cut but read whole.
        self.misplaced = False
        self.last_row = 0  # the row number of the last <row> tag seen
        self.rows_seen = 0  # the highest row number seen
        self._start_piece(0)

    def _start_piece(self, after_row: int) -> None:
        self.piece_lo = after_row + 1  # rows from here (the gap before the piece counts too)
        self.last_row = 0  # a piece starts with a <row>: no row carries on into it
        self.piece_hi = after_row
        self.piece_width = self.base_width
        self.piece_bytes = 0
        self.reason: str | None = None

    # ------------------------------------------------------------------ streaming

    def feed(self, data: bytes | memoryview) -> None:
        """Look at the next bytes of the sheet XML (anything inside or outside <sheetData>)."""
        data = bytes(data)
        self.piece_bytes += len(data)
        buf = self._carry + data if self._carry else data
        cut = buf.rfind(self._cell_start)  # the last cell may be incomplete: keep it whole
        if cut < 0 or len(buf) - cut > MAX_TAG:
            cut = buf.rfind(b"<")
            while cut > 0 and buf[cut + 1 : cut + 2] == b"/":  # keep a value with its tag
                cut = buf.rfind(b"<", 0, cut)
        if cut < 0 or len(buf) - cut > MAX_TAG:
            seg, self._carry = buf, b""  # no tag, or a long text after the last one
        else:  # the last tag and its text may be incomplete: look at them with what follows
            seg, self._carry = buf[:cut], buf[cut:]
        if seg:
            self._check(seg)

    def end_piece(self, *, from_row_one: bool = False) -> str | None:
        """Judge what was fed since the last call; None when calamine can read it as it is.

        ``from_row_one``: the reader pads the rows from row 1 (a whole read), so the rectangle
        starts there rather than after the previous piece."""
        if self._carry:
            self._check(self._carry)
        self._carry = b""
        reason = self.reason
        if reason is None:
            rows = max(0, self.piece_hi - (1 if from_row_one else self.piece_lo) + 1)
            if rows * max(self.piece_width, 1) > RECT_FLOOR + RECT_PER_BYTE * self.piece_bytes:
                reason = f"its cells span {rows:,} rows x {self.piece_width:,} columns"
        self._start_piece(max(self.piece_hi, self.rows_seen))
        return reason

    # ------------------------------------------------------------------ checks

    def _check(self, seg: bytes) -> None:
        # The rows this chunk spans, from its first and last <row r="N"> (rows come in order;
        # a cell placed elsewhere is caught below, whatever the <row> tags say).
        first = self._rows.search(seg)
        if first is not None:
            last = self._rows.match(seg, seg.rfind(self._row_start))
            a = int(first.group(1))
            b = int(last.group(1)) if last is not None else a
            lo, hi = min(a, b), max(a, b)
            if self.last_row:  # cells may still belong to the row open before this chunk
                lo, hi = min(lo, self.last_row), max(hi, self.last_row)
            self.last_row = b
        else:
            lo = hi = self.last_row
        if first is not None and lo < self.piece_lo:
            self.misplaced = True  # a row of an earlier piece's rows
            self.reason = self.reason or f"row {lo:,} after row {self.piece_lo - 1:,}"
        self.rows_seen = max(self.rows_seen, hi)
        if self._formula_start in seg:
            self._note_unsaved(seg)
        if self.reason is None:
            if (
                self._other_prefix is not None
                and _COLON_C.search(seg)  # ":c" in seg, at a third of the cost
                and self._other_prefix.search(seg)
            ):
                self.reason = "cells with a namespace prefix"
            elif self._cell_start in seg:
                if not self.base_width:
                    self.base_width = _max_column(seg)
                    self.piece_width = max(self.piece_width, self.base_width)
                if self._check_cells(seg, lo, hi):
                    self.piece_hi = max(self.piece_hi, hi)
            if self.reason is None and self._value_start in seg:
                self._check_values(seg)
            if self.reason is None:
                return
        # judged already: the error values are still wanted (calamine does not tell them)
        if b't="e"' in seg:
            self.errors.update(error_cells(seg))

    def _note_unsaved(self, seg: bytes) -> None:
        cell_start, find, rfind = self._cell_start, seg.find, seg.rfind
        for tail in self._unsaved_tails:
            at = find(tail)
            while at >= 0:
                start = rfind(cell_start, 0, at)
                # (a formula's "" result, saved as text: the usual empty <v>, passed over fast)
                if start >= 0 and find(b' t="str"', start, at) < 0:
                    self._note_unsaved_cell(seg, start, at + len(tail))
                at = find(tail, at + len(tail))

    def _note_unsaved_cell(self, seg: bytes, start: int, end: int) -> None:
        """The cell seg[start:end], if it holds a formula with no saved result."""
        if start < 0:
            return
        m = self._unsaved.search(seg, start, end)
        if m is None or m.end() != end:
            return
        tag = seg[start : seg.find(b">", start, m.start()) + 1]
        if m.group(2) is not None:  # an empty <v>: a "" result when the cell is text
            kind = _ATTR_T.search(tag)
            # (a placeholder 0 only where it is a number: shared string 0 is text, 0 FALSE)
            kinds = TEXT_KINDS + (b"b", b"e") if b"0" in m.group(2) else TEXT_KINDS
            if kind is not None and kind.group(1) in kinds:
                return
        refs = _ATTR_R.findall(tag)
        ref = _PLAIN_REF.fullmatch(refs[0][1]) if len(refs) == 1 else None
        if ref is None:
            return  # a cell that cannot be placed (the scan's judgement covers it)
        text = html.unescape(m.group(1).decode("utf-8", "replace")) if m.group(1) else ""
        self.unsaved[(int(ref.group(2)) - 1, col_number(ref.group(1).decode()) - 1)] = text

    def _check_cells(self, seg: bytes, lo: int, hi: int) -> bool:
        """Every cell has one reference, inside rows lo..hi (those of the chunk's <row> tags) and
        columns 1..piece_width (which grows with the data); error values are noted."""
        pos = 0
        while True:
            m = unusual_cells(self.prefix, self.piece_width, lo, hi).search(seg, pos)
            if m is None:
                return True
            end = seg.find(b">", m.start())
            end = end if end >= 0 else len(seg)
            tag = seg[m.start() : end]
            refs = _ATTR_R.findall(tag)
            ref = _PLAIN_REF.fullmatch(refs[0][1]) if len(refs) == 1 else None
            if ref is None:
                self.reason = "a cell without one plain r reference"
                return False
            row, col = int(ref.group(2)), col_number(ref.group(1).decode())
            if not lo <= row <= hi:
                self.reason = f"a cell in row {row:,}, outside its <row> tags ({lo:,}-{hi:,})"
                self.misplaced = True
                return False
            if col > MAX_COLUMNS:
                self.reason = "a cell beyond column XFD"
                return False
            if col > self.piece_width:  # wider than so far: doubling, so widening is cheap
                self.piece_width = min(MAX_COLUMNS, max(col, 2 * self.piece_width))
            kind = _ATTR_T.search(tag)
            if kind is not None and kind.group(1) == b"e" and seg[end - 1 : end] != b"/":
                close = seg.find(self._cell_end, end)
                v = _V_TEXT.search(seg, end, close if close >= 0 else len(seg))
                code = v.group(1).decode("utf-8", "replace").strip() if v else "#N/A"
                if code not in CALAMINE_ERRORS:
                    self.reason = f"an error value calamine does not read ({code[:20]!r})"
                    return False
                self.errors[(row - 1, col - 1)] = CellError(code)
            pos = m.end()

    def _check_values(self, seg: bytes) -> None:
        for m in self._values.finditer(seg):
            tag_at = seg.rfind(self._cell_start, 0, m.start())
            kind = b""
            if tag_at >= 0:
                close = seg.find(b">", tag_at)
                t = _ATTR_T.search(seg, tag_at, close if close >= 0 else m.start())
                kind = t.group(1) if t else b""
            if kind in TEXT_KINDS:
                continue  # text: calamine takes it as it is
            start = m.end() - 1
            end = seg.find(b"<", start)
            if end < 0:
                self.reason = "a value cut off"
                return
            if not value_is_safe(kind, seg[start:end]):
                text = seg[start:end][:40].decode("utf-8", "replace")
                self.reason = f"a value calamine misreads ({text!r})"
                return


def value_is_safe(kind: bytes, text: bytes) -> bool:
    """True when calamine reads a cell of type ``kind`` (the t attribute) holding ``text``
    without failing, panicking or making up a date."""
    if kind in (b"", b"n"):
        if _PLAIN_NUMBER.fullmatch(text) is None:
            return False  # NaN, inf, 1_000, " 5", abc: calamine fails or misreads
        number = float(text)
        return math.isfinite(number) and number >= NEGATIVE_LIMIT
    if kind == b"b":
        return text in (b"0", b"1")
    if kind == b"e":
        return text.decode("utf-8", "replace") in CALAMINE_ERRORS
    return kind in TEXT_KINDS


def _max_column(seg: bytes) -> int:
    letters = set(_FIRST_COLS.findall(seg))
    if not letters:
        return 0
    return min(MAX_COLUMNS, max(col_number(x.decode()) for x in letters))


@functools.lru_cache(maxsize=256)
def unusual_cells(prefix: bytes, width: int, lo: int, hi: int) -> re.Pattern[bytes]:
    """A search for a cell whose start tag is not ``<c r="REF"`` (REF in columns 1..width and
    rows lo..hi) followed only by the short attributes Excel writes on cells (s, t, cm, vm, ph),
    none of them starting with "e" (so t="e", an error value, is looked at too). Written as one
    negative lookahead, it costs ~3 ms per MB of XML."""
    ok = _columns_upto(width) + _numbers_between(lo, hi)
    # possessive (*+): a usual cell matches in one way only, so giving back what was matched
    # could never find another; not trying saves a third of the time
    pattern = (
        "<" + re.escape(prefix.decode()) + 'c(?! r="' + ok
        + r'"(?: [stcvmph]{1,2}="[^"e<>][^"<>]*+")*+/?>)(?=[\s/>])'
    )  # fmt: skip
    return re.compile(pattern.encode())


def _columns_upto(width: int) -> str:
    """A regex for the column letters A .. col_letter(width)."""
    last = col_letter(max(1, min(width, MAX_COLUMNS)))
    shorter = [f"[A-Z]{{{n}}}" for n in range(1, len(last))]
    return "(?:" + "|".join([*shorter, _letters_upto(last)]) + ")"


def _letters_upto(last: str) -> str:
    """A regex for the strings of len(last) letters up to ``last``."""
    if len(last) == 1:
        return f"[A-{last}]"
    head, rest = last[0], last[1:]
    parts = [head + _letters_upto(rest)]
    if head > "A":
        parts.append(f"[A-{chr(ord(head) - 1)}][A-Z]{{{len(rest)}}}")
    return "(?:" + "|".join(parts) + ")"


def _numbers_between(lo: int, hi: int) -> str:
    """A regex for the decimal numbers lo..hi (no leading zeros), hi >= lo >= 1."""
    lo, hi = max(1, lo), max(1, lo, hi)
    parts = []
    for digits in range(len(str(lo)), len(str(hi)) + 1):
        a = max(lo, 10 ** (digits - 1))
        b = min(hi, 10**digits - 1)
        if a <= b:
            parts.append(_same_length_range(str(a), str(b)))
    return "(?:" + "|".join(parts) + ")"


def _same_length_range(a: str, b: str) -> str:
    """A regex for the numbers a..b, both with the same number of digits."""
    if a == b:
        return a
    if len(a) == 1:
        return f"[{a}-{b}]"
    if a[0] == b[0]:
        return a[0] + _same_length_range(a[1:], b[1:])
    n = len(a) - 1
    parts = []
    if a[1:] == "0" * n:  # the whole first decade
        low = int(a[0])
    else:
        parts.append(a[0] + _same_length_range(a[1:], "9" * n))
        low = int(a[0]) + 1
    high = int(b[0]) if b[1:] == "9" * n else int(b[0]) - 1
    if low <= high:
        parts.append((f"[{low}-{high}]" if low < high else str(low)) + f"\\d{{{n}}}")
    if b[1:] != "9" * n:
        parts.append(b[0] + _same_length_range("0" * n, b[1:]))
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
