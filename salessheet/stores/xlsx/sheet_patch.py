"""Patching one worksheet's XML: set tool-owned cells in place, keep every other byte."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from salessheet.core.cells import WriteValue, col_letter, col_number
from salessheet.core.errors import WriteRefused
from salessheet.stores.xlsx.xmltext import (  # noqa: F401  # noqa: F401
    _ATTR,
    _COLNUM,
    _ESC_MAP,
    _ESC_NEEDED,
    _ESC_PARTS,
    _LETTERS,
    _MAIN_NS,
    _MAX_COL,
    _MAX_ROW,
    _MAX_TEXT,
    _MAX_TEXT_HALF,
    _REL_NS,
    _STRICT_MAIN_NS,
    _STRICT_WORKSHEET_REL,
    _UNESC_X,
    _WORKSHEET_REL,
    _WS,
    DEFLATE_LEVEL,
    DEFLATE_LEVEL_LARGE,
    LARGE_PART,
    WORKSHEET_CT,
    _attrs,
    _cell,
    _check_text_length,
    _esc_attr,
    _esc_sub,
    _esc_text,
    _letters,
    _needs_preserve,
    _number_text,
    _unesc_text,
    _value_kind,
    _well_formed,
)


class _SharedStrings:
    """Lazily loaded shared strings, to tell whether an existing cell already holds a value."""

    def __init__(self, loader: Callable[[], bytes | None]):
        self._loader = loader
        self._items: list[str] | None = None

    def get(self, index: int) -> str | None:
        if self._items is None:
            data = self._loader() or b""
            self._items = [_rich_text(m.group(1) or b"") for m in _SI.finditer(data)]
        return self._items[index] if 0 <= index < len(self._items) else None


_SI = re.compile(rb"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.DOTALL)


_RPH = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.DOTALL)


_T = re.compile(rb"<(?:\w+:)?t\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?t>)", re.DOTALL)


_V = re.compile(rb"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.DOTALL)


_F = re.compile(rb"<(?:\w+:)?f[\s/>]")


_IS = re.compile(rb"<(?:\w+:)?is[\s/>]")


_T_ATTR = re.compile(rb"""\st\s*=\s*["'](\w+)["']""")


_S_ATTR = re.compile(rb"""\ss\s*=\s*["'](\d+)["']""")


_R_CELL = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]+)\d+["']""")


_R_ROW = re.compile(rb"""\sr\s*=\s*["'](\d+)["']""")


_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\b[^>]*?\sref\s*=\s*["']([^"']*)["']""")


_SHEETDATA = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData\b[^>]*?(/?)>")


def _rich_text(inner: bytes) -> str:
    inner = _RPH.sub(b"", inner)
    return "".join(_unesc_text(m.group(1) or b"") for m in _T.finditer(inner))


def _same_value(
    t: bytes, content: bytes, want: tuple[str, str] | None, sst: _SharedStrings
) -> bool:
    """Does an existing cell (type attribute + inner XML) already hold ``want``?"""
    if want is None:
        return _V.search(content) is None and _IS.search(content) is None
    kind, text = want
    vm = _V.search(content)
    v = (vm.group(1) or b"") if vm else None
    if kind == "s":
        if t == b"inlineStr":
            return _rich_text(content) == text
        if t == b"s" and v is not None and v.strip().isdigit():
            return sst.get(int(v)) == text
        return False
    if kind == "b":
        return t == b"b" and v is not None and v.strip() == text.encode()
    if t != b"n" or v is None:
        return False
    try:
        return Decimal(v.decode().strip()) == Decimal(text)
    except ArithmeticError:
        return False


@dataclass
class _Cell:
    col: int
    start: int
    end: int
    tag_end: int
    attrs: bytes
    closed: bool  # self-closing


class _SheetPatcher:
    """Rewrites only the rows and cells that receive writes, scanning the XML as bytes."""

    def __init__(self, xml: bytes, sheet: str, sst: _SharedStrings):
        self.xml, self.sheet, self.sst = xml, sheet, sst
        m = _SHEETDATA.search(xml)
        if m is None:
            raise WriteRefused(f"sheet {sheet!r}: its worksheet XML has no <sheetData>.")
        self.p = (m.group(1) + b":") if m.group(1) else b""
        self.ps = self.p.decode()
        self.sd = m
        p = re.escape(self.p)
        self.row_re = re.compile(rb"<" + p + rb"row\b([^>]*?)(/?)>")
        self.cell_re = re.compile(rb"<" + p + rb"c\b([^>]*?)(/?)>")
        self.cell_open = b"<" + self.p + b"c"
        self.cell_close = b"</" + self.p + b"c>"
        self.formula_open = b"<" + self.p + b"f"
        self.ref_re = re.compile(rb"<" + p + rb'c r="([A-Z]{1,3})\d+"')
        self.row_close = b"</" + self.p + b"row>"
        self.changed = 0
        self.changed_at: list[tuple[int, int]] = []  # (row, col) of every cell that changes
        self.top = self.left = 1 << 30
        self.bottom = self.right = 0
        self._spans_cache: dict[tuple[bytes, int, int], bytes] = {}
        self._fast_pos = 0
        self.check_doc = b""  # what this patch generated, as a document to parse as a check
        self.checks: list[bytes] = []  # each changed row: its start tag + generated cells
        self.generated: list[bytes] = []  # the cells generated for the current row

    # --- rows -------------------------------------------------------------------------
    def patch(self, writes: dict[int, dict[int, WriteValue]]) -> bytes:
        xml, p, sd = self.xml, self.p, self.sd
        if sd.group(2):  # <sheetData/>
            head = xml[: sd.start()] + b"<" + p + b"sheetData>"
            body_src, body_start, body_end = b"", 0, 0
            tail = b"</" + p + b"sheetData>" + xml[sd.end() :]
        else:
            close = xml.find(b"</" + p + b"sheetData>", sd.end())
            if close < 0:
                raise WriteRefused(f"sheet {self.sheet!r}: worksheet XML is truncated.")
            head, tail = xml[: sd.end()], xml[close:]
            body_src, body_start, body_end = xml, sd.end(), close
        pending = sorted(writes)
        out: list[bytes] = []  # joined once with head and tail, not joined and then copied again
        pos, wi, prev_r = body_start, 0, 0
        row_close, r_row = self.row_close, _R_ROW
        if pending:
            for m in self.row_re.finditer(body_src, body_start, body_end):
                attrs = m.group(1)
                if attrs.startswith(b' r="'):
                    r = int(attrs[4 : attrs.find(b'"', 4)])
                else:
                    rm = r_row.search(attrs)
                    r = int(rm.group(1)) if rm else prev_r + 1
                prev_r = r
                want = pending[wi]
                if want > r:
                    continue
                while want < r:
                    out.append(body_src[pos : m.start()])
                    pos = m.start()
                    out.append(self._new_row(want, writes[want]))
                    wi += 1
                    if wi == len(pending):
                        break
                    want = pending[wi]
                if want == r and wi < len(pending):
                    if not m.group(2) and self._fast_row(body_src, m, r, writes[r], out, pos):
                        pos = self._fast_pos
                        wi += 1
                        if wi >= len(pending):
                            break
                        continue
                    if m.group(2):
                        row_end, body = m.end(), b""
                    else:
                        close = body_src.find(row_close, m.end(), body_end)
                        if close < 0:
                            raise WriteRefused(f"sheet {self.sheet!r}: row {r} is not closed.")
                        row_end, body = close + len(row_close), body_src[m.end() : close]
                    new = self._patched_row(r, attrs, body, m.group(2), writes[r])
                    if new is not None:
                        out.append(body_src[pos : m.start()])
                        out.append(new)
                        pos = row_end
                    wi += 1
                if wi >= len(pending):
                    break
        out.append(body_src[pos:body_end])
        while wi < len(pending):
            out.append(self._new_row(pending[wi], writes[pending[wi]]))
            wi += 1
        if not self.changed:
            return xml
        head = self._dimension(head)
        self.check_doc = head + b"".join(self.checks) + tail
        return b"".join((head, *out, tail))

    def _fast_row(
        self,
        src: bytes,
        m: re.Match[bytes],
        r: int,
        rw: dict[int, WriteValue],
        out: list[bytes],
        pos: int,
    ) -> bool:
        """The two common cases, cheaply and without copying the row apart:

        - append: every write lands right of the row's last cell (the first run): the new
          cells go just before ``</row>``;
        - owned tail: the row ends with cells that are all being written (the tool's own
          columns from an earlier run), unstyled inline strings or numbers: they are
          regenerated as a block and compared as bytes (equal: the row is left alone).

        Appends to ``out`` and sets ``self._fast_pos``; False (nothing done) otherwise, and
        the careful cell-by-cell path decides."""
        tag_end = m.end()
        close = src.find(self.row_close, tag_end)
        if close < 0:
            return False
        cols = sorted(rw) if len(rw) > 1 else list(rw)
        rs = str(r)
        rsb = rs.encode()
        p, ps, cell_open = self.p, self.ps, self.cell_open
        last = self._col_before(src, tag_end, close)
        if last is None:
            return False
        i = -1
        if last >= cols[0]:
            # Where does the block of written columns start? Left of it, only cells left of
            # every write.
            for col in cols:
                ref = b"<" + p + b'c r="' + _letters(col).encode() + rsb + b'"'
                i = src.find(ref, tag_end, close)
                if i >= 0:
                    break
            if i < 0:
                return False
            before = self._col_before(src, tag_end, i)
            if before is None or before >= cols[0]:
                return False
        if i >= 0:
            end = close
            while src[end - 1] in b" \t\r\n":
                end -= 1
            region = src[i:end]
            refs = self.ref_re.findall(region)
            if (
                region.count(cell_open) != len(refs)
                or not region.endswith(self.cell_close)
                or b"/>" in region  # an empty cell: the careful path decides
                or b' s="' in region
                or b' t="s"' in region
                or self.formula_open in region
                or b"extLst" in region
            ):
                return False
            existing = set()
            for letters in refs:
                col = _COLNUM.get(letters) or col_number(letters.decode())
                if col not in rw:
                    return False  # someone else's cell among them: the careful path
                existing.add(col)
        elif src.find(b"extLst", tag_end, close) >= 0:
            return False
        else:
            end, region, existing = close, b"", set()
        pieces, written, lo, hi = [], [], 0, 0
        for col in cols:
            xml = _cell(ps, (_LETTERS.get(col) or _letters(col)) + rs, rw[col], None)
            if xml:
                pieces.append(xml)
                written.append((r, col))
                if not lo:
                    lo = col
                hi = col
        new = "".join(pieces).encode()
        if lo:
            self._grow(r, lo, hi)
        if new == region:
            self._fast_pos = pos
            return True
        if region:
            k = 0
            for col in cols:
                if k < len(written) and written[k][1] == col:
                    changed = pieces[k].encode() not in region
                    k += 1
                else:
                    changed = col in existing
                if changed:
                    self.changed_at.append((r, col))
                    self.changed += 1
        else:
            self.changed_at += written
            self.changed += len(written)
        attrs = m.group(1)
        new_attrs = self._spans(attrs, lo, hi) if hi else attrs
        start_at = i if i >= 0 else end
        if new_attrs is attrs:
            out.append(src[pos:start_at])
        else:
            start = b"<" + p + b"row" + new_attrs + b">"
            out.append(src[pos : m.start()])
            out.append(start)
            out.append(src[tag_end:start_at])
            self.checks.append(start + self.row_close)
        out.append(new)
        self.checks.append(new)
        self._fast_pos = end
        return True

    def _col_before(self, src: bytes, start: int, end: int) -> int | None:
        """Column of the last cell in src[start:end] (0: no cell); None if it cannot be told
        cheaply (no ``r`` reference first, or something else starting with ``<c``)."""
        j = src.rfind(self.cell_open, start, end)
        if j < 0:
            return 0
        k = j + len(self.cell_open) + 4
        if src[k - 4 : k] != b' r="':
            return None
        e = k
        while 65 <= src[e] <= 90:
            e += 1
        col = _COLNUM.get(src[k:e])
        if col is None:
            if not 0 < e - k <= 3:
                return None
            col = _COLNUM[src[k:e]] = col_number(src[k:e].decode())
        return col

    def _new_row(self, r: int, row_writes: dict[int, WriteValue]) -> bytes:
        ps, rs, cells = self.ps, str(r), []
        for col in sorted(row_writes):
            xml = _cell(ps, _letters(col) + rs, row_writes[col], None)
            if xml:
                cells.append(xml)
                self.changed_at.append((r, col))
                self._grow(r, col, col)
        if not cells:
            return b""
        self.changed += len(cells)
        row = f'<{ps}row r="{r}">{"".join(cells)}</{ps}row>'.encode()
        self.checks.append(row)
        return row

    def _patched_row(
        self, r: int, attrs: bytes, body: bytes, closed: bytes, row_writes: dict[int, WriteValue]
    ) -> bytes | None:
        """The new ``<row>`` element, or None when the row does not change."""
        self.generated = []
        new_body, lo, hi = self._patch_cells(r, body, row_writes)
        if new_body is None:
            return None
        if hi:
            attrs = self._spans(attrs, lo, hi)
        start = b"<" + self.p + b"row" + attrs
        self.checks.append(start + b">" + b"".join(self.generated) + self.row_close)
        if closed and not new_body.strip():
            return start + b"/>"
        return start + b">" + new_body + self.row_close

    def _spans(self, attrs: bytes, lo: int, hi: int) -> bytes:
        i = attrs.find(b"spans=")
        if i < 0 or attrs[i + 6 : i + 7] not in (b'"', b"'"):
            return attrs  # no spans (or spaces around "="): spans are only a hint
        j = attrs.find(attrs[i + 6 : i + 7], i + 7)
        value = attrs[i + 7 : j]
        key = (value, lo, hi)
        new = self._spans_cache.get(key)
        if new is None:
            new = value
            nums = [int(x) for x in re.findall(rb"\d+", value)]
            if nums and (lo < min(nums) or hi > max(nums)):
                new = b"%d:%d" % (min(nums + [lo]), max(nums + [hi]))
            if len(self._spans_cache) < 4096:
                self._spans_cache[key] = new
        return attrs if new == value else attrs[: i + 7] + new + attrs[j:]

    # --- cells ------------------------------------------------------------------------
    def _cell_at(self, body: bytes, i: int, implicit: int) -> _Cell | None:
        m = self.cell_re.match(body, i)
        if m is None:
            return None
        attrs = m.group(1)
        rm = _R_CELL.search(attrs)
        col = col_number(rm.group(1).decode()) if rm else implicit
        if m.group(2):
            end = m.end()
        else:
            close = body.find(self.cell_close, m.end())
            if close < 0:
                raise WriteRefused(f"sheet {self.sheet!r}: a cell is not closed.")
            end = close + len(self.cell_close)
        return _Cell(col, i, end, m.end(), attrs, bool(m.group(2)))

    def _is_cell_start(self, body: bytes, i: int) -> bool:
        k = i + len(self.cell_open)
        return body[k : k + 1] in (b" ", b">", b"/", b"\t", b"\n", b"\r")

    def _tail_cells(self, body: bytes, min_col: int) -> tuple[list[_Cell], int] | None:
        """Cells with col >= min_col (found from the row's end) and where cells before them end.
        None when a cell without an ``r`` reference makes a backward scan impossible."""
        found: list[_Cell] = []
        stop = len(body)
        while True:
            i = body.rfind(self.cell_open, 0, stop)
            if i < 0:
                return found[::-1], 0
            stop = i
            if not self._is_cell_start(body, i):
                continue
            cell = self._cell_at(body, i, 0)
            if cell is None or cell.col == 0:
                return None
            if cell.col < min_col:
                return found[::-1], cell.end
            found.append(cell)

    def _all_cells(self, body: bytes) -> list[_Cell]:
        cells: list[_Cell] = []
        pos = prev = 0
        while True:
            i = body.find(self.cell_open, pos)
            if i < 0:
                return cells
            if not self._is_cell_start(body, i):
                pos = i + 1
                continue
            cell = self._cell_at(body, i, prev + 1)
            if cell is None:
                pos = i + 1
                continue
            cells.append(cell)
            prev, pos = cell.col, cell.end

    def _patch_cells(
        self, r: int, body: bytes, row_writes: dict[int, WriteValue]
    ) -> tuple[bytes | None, int, int]:
        """(new row body or None if unchanged, lowest and highest column written)."""
        order = sorted(row_writes)
        min_col = order[0]
        tail = self._tail_cells(body, min_col)
        implicit = tail is None  # some cells have no r="..": their place gives their column
        if tail is None:
            every = self._all_cells(body)
            cells = [c for c in every if c.col >= min_col]
            before = [c for c in every if c.col < min_col]
            insert_at = before[-1].end if before else 0
        else:
            cells, insert_at = tail
        start = cells[0].start if cells else insert_at
        end = cells[-1].end if cells else insert_at
        out: list[bytes] = []
        changed, ci, prev_end, lo, hi = 0, 0, start, 0, 0
        ps, rs = self.ps, str(r)
        for col in order:
            value = row_writes[col]
            while ci < len(cells) and cells[ci].col < col:
                out.append(body[prev_end : cells[ci].end])
                prev_end = cells[ci].end
                ci += 1
            ref = _letters(col) + rs
            if ci < len(cells) and cells[ci].col == col:
                cell = cells[ci]
                ci += 1
                content = (
                    b"" if cell.closed else body[cell.tag_end : cell.end - len(self.cell_close)]
                )
                tm = _T_ATTR.search(cell.attrs)
                want = _value_kind(value)
                if _same_value(tm.group(1) if tm else b"n", content, want, self.sst):
                    out.append(body[prev_end : cell.end])
                else:
                    if _F.search(content):
                        raise WriteRefused(
                            f"sheet {self.sheet!r}, cell {ref}: holds a formula; salessheet "
                            "writes only its own cells and will not overwrite it. Nothing was "
                            "written.",
                            hint="Move the formula out of the salessheet columns.",
                        )
                    sm = _S_ATTR.search(cell.attrs)
                    out.append(body[prev_end : cell.start])
                    new = _cell(ps, ref, value, sm.group(1).decode() if sm else None).encode()
                    if not new and implicit:  # removing it would shift the cells after it
                        new = f'<{ps}c r="{ref}"/>'.encode()
                    out.append(new)
                    self.generated.append(new)
                    self.changed_at.append((r, col))
                    changed += 1
                prev_end = cell.end
                empty = want is None
            else:
                xml = _cell(ps, ref, value, None)
                if xml:
                    out.append(xml.encode())
                    self.generated.append(out[-1])
                    self.changed_at.append((r, col))
                    changed += 1
                empty = not xml
            if not empty:
                lo = lo or col
                hi = col
        if lo:
            self._grow(r, lo, hi)
        if not changed:
            return None, 0, 0
        out.append(body[prev_end:end])
        self.changed += changed
        return body[:start] + b"".join(out) + body[end:], lo, hi

    # --- dimension --------------------------------------------------------------------
    def _grow(self, r: int, lo: int, hi: int) -> None:
        if r < self.top:
            self.top = r
        if r > self.bottom:
            self.bottom = r
        if lo < self.left:
            self.left = lo
        if hi > self.right:
            self.right = hi

    def _dimension(self, head: bytes) -> bytes:
        m = _DIMENSION.search(head)
        if m is None or not self.bottom:
            return head
        refs = re.findall(rb"([A-Za-z]+)(\d+)", m.group(1))
        if not refs:
            return head
        cols = [col_number(c.decode()) for c, _ in refs]
        rows = [int(r) for _, r in refs]
        top, left = min(rows + [self.top]), min(cols + [self.left])
        bottom, right = max(rows + [self.bottom]), max(cols + [self.right])
        ref = f"{col_letter(left)}{top}"
        if (bottom, right) != (top, left):
            ref += f":{col_letter(right)}{bottom}"
        if ref.encode() == m.group(1):
            return head
        return head[: m.start(1)] + ref.encode() + head[m.end(1) :]


def _rows_xml(p: bytes, rows: Sequence[Sequence[object]]) -> list[bytes]:
    """The ``<row>`` elements of ``rows``, as UTF-8 pieces of a few thousand rows each (to be
    joined once, with the rest of the part: a 100,000-row sheet is never one big text)."""
    ps = p.decode()
    width = max((len(r) for r in rows), default=0)
    letters = [_letters(c) for c in range(1, width + 1)]
    pieces: list[bytes] = []
    out: list[str] = []
    for i, row in enumerate(rows, start=1):
        rs = str(i)
        cells = []
        for j, value in enumerate(row):
            if value.__class__ is str:
                if not value:
                    continue
                if len(value) > _MAX_TEXT_HALF:
                    _check_text_length(value)
                text = value if _ESC_NEEDED.search(value) is None else _esc_text(value)
                if _needs_preserve(value):
                    cells.append(
                        f'<{ps}c r="{letters[j]}{rs}" t="inlineStr"><{ps}is><{ps}t '
                        f'xml:space="preserve">{text}</{ps}t></{ps}is></{ps}c>'
                    )
                else:
                    cells.append(
                        f'<{ps}c r="{letters[j]}{rs}" t="inlineStr"><{ps}is><{ps}t>{text}'
                        f"</{ps}t></{ps}is></{ps}c>"
                    )
            elif value.__class__ is int:
                cells.append(f'<{ps}c r="{letters[j]}{rs}"><{ps}v>{value}</{ps}v></{ps}c>')
            elif value.__class__ is dt.date:
                cells.append(
                    f'<{ps}c r="{letters[j]}{rs}" t="inlineStr"><{ps}is><{ps}t>{value.isoformat()}'
                    f"</{ps}t></{ps}is></{ps}c>"
                )
            elif value is not None:
                xml = _cell(ps, letters[j] + rs, value, None)
                if xml:
                    cells.append(xml)
        if cells:
            out.append(f'<{ps}row r="{rs}">{"".join(cells)}</{ps}row>')
            if len(out) >= 4096:
                pieces.append("".join(out).encode("utf-8"))
                out.clear()
    pieces.append("".join(out).encode("utf-8"))
    return pieces


def _dimension_ref(rows: Sequence[Sequence[object]]) -> str:
    width = max((len(r) for r in rows), default=0)
    if not rows or not width:
        return "A1"
    return f"A1:{col_letter(width)}{len(rows)}"


def _new_worksheet(rows: Sequence[Sequence[object]], strict: bool = False) -> bytes:
    main, rel = (_STRICT_MAIN_NS, _REL_NS[1]) if strict else (_MAIN_NS, _REL_NS[0])
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="' + main.encode() + b'" xmlns:r="' + rel.encode() + b'">'
        b'<dimension ref="' + _dimension_ref(rows).encode() + b'"/>'
        b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        b'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
        b'</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        b"<sheetData>"
    )
    tail = (
        b"</sheetData>"
        b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        b'footer="0.3"/></worksheet>'
    )
    return b"".join((head, *_rows_xml(b"", rows), tail))


def _replace_sheet_data(xml: bytes, rows: Sequence[Sequence[object]], sheet: str) -> bytes:
    """Regenerate ``<sheetData>`` (and ``<dimension>``) of an existing tool-owned sheet."""
    m = _SHEETDATA.search(xml)
    if m is None:
        raise WriteRefused(f"sheet {sheet!r}: its worksheet XML has no <sheetData>.")
    p = (m.group(1) + b":") if m.group(1) else b""
    if m.group(2):
        end = m.end()
    else:
        close = xml.find(b"</" + p + b"sheetData>", m.end())
        if close < 0:
            raise WriteRefused(f"sheet {sheet!r}: worksheet XML is truncated.")
        end = close + len(p) + 12
    head = xml[: m.start()]
    dm = _DIMENSION.search(head)
    if dm is not None:
        head = head[: dm.start(1)] + _dimension_ref(rows).encode() + head[dm.end(1) :]
    open_, close_ = b"<" + p + b"sheetData>", b"</" + p + b"sheetData>"
    return b"".join((head, open_, *_rows_xml(p, rows), close_, xml[end:]))
