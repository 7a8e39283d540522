"""Reading a worksheet calamine must not be given as it is (see scan.py): its cells lie far apart,
a value would make calamine panic or invent a date, or its XML is unusual.

The sheet's XML is streamed row by row. A row like any other (every cell ``<c r="..">`` in the
row's own number and in the sheet's usual columns, values calamine reads right) goes to calamine
as it is, with the rows around it, in a small sub-workbook. Any other row is taken apart cell by
cell (plain regular expressions; anything that is not rows and cells refuses with a
SourceError): an error value becomes a ``CellError``; a number calamine cannot read or would
turn into a wrong date (``NaN``, ``-1e15``, ``abc``) stays the text it is, so the column's parser
reports it as a ``bad-value`` naming its cell; every other cell goes to calamine, for the same
value typing as a normal read, in a sub-workbook whose rows and columns are renumbered to be
dense. A sub-workbook's rows times its columns stay under ``SUBPIECE_CELLS``, so a far cell costs
its own row, never the rectangle between it and the table.

The rows come back with every value at its sheet position. When the rows times the widest row
fit the budget a direct read has (scan.py), every row is padded to that width, exactly like a
direct read; otherwise each row is as long as its own last value, and if even that is too much
(values scattered over the whole grid) the sheet is refused.
"""

from __future__ import annotations

import enum
import html
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from salessheet.core.cells import CellError, RawValue, col_letter, col_number
from salessheet.core.errors import SourceError
from salessheet.stores.xlsx.scan import (
    MAX_COLUMNS,
    RECT_FLOOR,
    RECT_PER_BYTE,
    TEXT_KINDS,
    unusual_cells,
    value_is_safe,
)

SUBPIECE_CELLS = 1 << 20  # rows x columns of one sub-workbook (32 MB in calamine)
SUBPIECE_BYTES = 16 << 20  # XML held for one sub-workbook before it is written and read
MAX_ROW_BYTES = 64 << 20  # one row's XML (16,384 cells of the longest text Excel holds: ~50 MB)
# One merged range per row of a full Excel sheet; each costs ~200 bytes in Python.
MAX_MERGED = 1 << 20
MAX_ROW = 1_048_576  # Excel's last row
_GAP = 64  # empty rows allowed inside one sub-workbook of plain rows

_ROOT = re.compile(rb"<(?:([\w.-]+):)?worksheet[\s>]")
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\b[^>]*/>")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(["'])(.*?)\2""", re.S)
_REF = re.compile(rb"\$?([A-Z]{1,3})\$?(\d{1,7})")
_SKIP = re.compile(rb"\s+|<!--.*?-->|<\?.*?\?>", re.S)
_REF_ROWS = re.compile(rb' r="[A-Z]{1,3}(\d+)"')
_MERGE = re.compile(
    rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*\bref\s*=\s*["']\$?([A-Z]{1,3})\$?(\d{1,7})"""
    rb"""(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?"""
)

ReadRows = Callable[[Path, str], tuple[tuple[int, int] | None, list[list[RawValue]]]]


def worksheet_prefix(head: bytes) -> bytes:
    """The element prefix of a worksheet (b"x:" for ``<x:worksheet>``), b"" for none."""
    m = _ROOT.search(head)
    return (m.group(1) + b":") if m and m.group(1) else b""


def is_panic(exc: BaseException) -> bool:
    """A Rust panic inside python-calamine (pyo3's PanicException, a BaseException)."""
    return type(exc).__name__ == "PanicException"


@dataclass
class CarefulSheet:
    first_row: int  # 0-based sheet row of rows[0]
    rows: list[list[RawValue]]
    errors: dict[tuple[int, int], CellError] = field(default_factory=dict)
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    width: int = 0  # the widest row
    padded: bool = False  # every row padded to ``width`` (as a direct read gives them)


def read_carefully(
    chunks: Iterable[bytes],
    *,
    label: str,
    sheet_name: str,
    shared: list[tuple[str, bytes]],
    part: str,
    folder: Path,
    xml_bytes: int,
    from_row_one: bool,
    shared_string_count: int,
    read_rows: ReadRows,
    usual_width: int = 0,
) -> CarefulSheet:
    """Read one worksheet's XML (``chunks``: the whole part, or one cut piece of it).

    ``shared`` are the package parts every sub-workbook needs (workbook, styles, strings),
    ``part`` the sheet's name in the package, ``folder`` a private temp folder for the
    sub-workbooks, ``xml_bytes`` the XML's size (it sets the padding budget), ``from_row_one``:
    the rows start at sheet row 1 (a whole sheet) rather than at the first row holding a cell (a
    piece). ``shared_string_count``: how many shared strings the workbook has.
    ``read_rows(path, sheet)``: calamine's (start, rows) of a sub-workbook's sheet.
    ``usual_width``: the sheet's columns where its header is (0: take the first row's).
    """
    stream = iter(chunks)
    head = b""
    for block in stream:
        head += block
        at = re.search(rb"<(?:[\w.-]+:)?sheetData\b[^>]*?(/?)>", head)
        if at is not None:
            break
        if len(head) > 16 << 20:
            raise SourceError(f"{label}: no <sheetData> in the sheet's XML")
    else:
        raise SourceError(f"{label}: no <sheetData> in the sheet's XML")
    prefix = worksheet_prefix(head)
    rest = head[at.end() :]
    head = _DIMENSION.sub(b"", head[: at.start()]) + b"<" + prefix + b"sheetData>"
    reader = _Reader(label, sheet_name, shared, part, folder, head, prefix, shared_string_count)
    reader.read_rows, reader.width = read_rows, usual_width
    rows = _Rows(_chain([rest], stream), label, prefix)
    if not at.group(1):  # <sheetData/> holds nothing
        reader.read(rows)
    merged = MergedRanges(label)
    for block in rows.rest():
        merged.feed(block)
    return reader.sheet(merged.finish(), xml_bytes, from_row_one)


def _chain(first: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


class _Rows:
    """The <row> elements of <sheetData> as (start tag attributes, content or None), from a
    stream of XML chunks; linear whatever the XML (each byte is searched once)."""

    def __init__(self, chunks: Iterator[bytes], label: str, prefix: bytes):
        self.chunks, self.label = chunks, label
        self.row_open = re.compile(b"<" + re.escape(prefix) + rb"row\b([^>]*?)(/?)>")
        self.row_close = b"</" + prefix + b"row>"
        self.data_end = re.compile(b"</" + re.escape(prefix) + rb"sheetData\s*>")
        self.buf = b""
        self.pos = 0
        self.eof = False
        self.done = False

    def _more(self) -> bool:
        block = next(self.chunks, None)
        if block is None:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + block
        self.pos = 0
        return True

    def _unusual(self) -> SourceError:
        return SourceError(
            f"{self.label}: unusual XML in the sheet's data near "
            f"{self.buf[self.pos : self.pos + 60]!r}; it cannot be read safely",
            hint="open the file in Excel or LibreOffice and save it again",
        )

    def __iter__(self) -> Iterator[tuple[bytes, bytes | None]]:
        while True:
            while (m := _SKIP.match(self.buf, self.pos)) is not None and m.end() > self.pos:
                self.pos = m.end()
            if len(self.buf) - self.pos < 64 and not self.eof and self._more():
                continue
            if (m := self.data_end.match(self.buf, self.pos)) is not None:
                self.pos = m.end()
                return
            m = self.row_open.match(self.buf, self.pos)
            if m is None:
                if len(self.buf) - self.pos > MAX_ROW_BYTES:
                    raise self._unusual()
                if self.buf.find(b">", self.pos) < 0 and not self.eof and self._more():
                    continue  # a tag cut by the end of the buffer
                if self.pos >= len(self.buf) and self.eof:
                    return
                raise self._unusual()
            if m.group(2):  # <row .../>
                self.pos = m.end()
                yield m.group(1), None
                continue
            # the end of the row, searching each byte once however long the row is
            searched = m.end()
            while (end := self.buf.find(self.row_close, searched)) < 0:
                if len(self.buf) - self.pos > MAX_ROW_BYTES:
                    raise SourceError(
                        f"{self.label}: a row of more than {MAX_ROW_BYTES >> 20} MB of XML; it "
                        "cannot be read safely"
                    )
                searched = max(m.end(), len(self.buf) - len(self.row_close)) - self.pos
                if not self._more():  # (the buffer now starts at the row)
                    raise self._unusual()
                m = self.row_open.match(self.buf, 0)
                assert m is not None
            yield m.group(1), self.buf[m.end() : end]
            self.pos = end + len(self.row_close)

    def rest(self) -> Iterator[bytes]:
        """What follows </sheetData> (everything after <sheetData/> when it is empty)."""
        yield self.buf[self.pos :]
        yield from self.chunks


class MergedRanges:
    """The merged ranges of a worksheet, from its XML after </sheetData>, fed in chunks."""

    def __init__(self, label: str):
        self.label = label
        self.ranges: list[tuple[tuple[int, int], tuple[int, int]]] = []
        self._carry = b""

    def feed(self, block: bytes) -> None:
        buf = self._carry + block if self._carry else block
        cut = buf.rfind(b"<")
        if cut < 0 or len(buf) - cut > 4096:
            cut = len(buf)
        self._take(buf, cut)
        self._carry = buf[cut:]

    def _take(self, buf: bytes, end: int) -> None:
        for m in _MERGE.finditer(buf, 0, end):
            top, left = int(m.group(2)) - 1, col_number(m.group(1).decode()) - 1
            if m.group(3):
                bottom, right = int(m.group(4)) - 1, col_number(m.group(3).decode()) - 1
            else:
                bottom, right = top, left
            self.ranges.append(((top, left), (bottom, right)))
        if len(self.ranges) > MAX_MERGED:
            raise SourceError(
                f"{self.label}: more than {MAX_MERGED:,} merged ranges; it cannot be read safely",
                hint="unmerge the cells that need not be merged",
            )

    def finish(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        carry, self._carry = self._carry, b""
        self._take(carry, len(carry))
        return self.ranges


@dataclass
class _Group:
    """Rows for one sub-workbook: plain rows as they are (``plain``), or renumbered cells."""

    plain: bool
    rows: list[tuple[int, bytes | list[tuple[int, bytes, bytes]]]] = field(default_factory=list)
    cols: set[int] = field(default_factory=set)
    lo: int = 0
    hi: int = 0
    size: int = 0


class _Calamine(enum.Enum):
    """A cell this reader leaves to calamine (its value is one calamine reads right)."""

    CALAMINE = enum.auto()


_CALAMINE: Final = _Calamine.CALAMINE


class _Reader:
    def __init__(
        self,
        label: str,
        sheet_name: str,
        shared: list[tuple[str, bytes]],
        part: str,
        folder: Path,
        head: bytes,
        prefix: bytes,
        sst_count: int,
    ):
        self.label, self.sheet_name, self.shared, self.part = label, sheet_name, shared, part
        self.folder, self.head, self.prefix, self.sst_count = folder, head, prefix, sst_count
        p = re.escape(prefix)
        self.v = re.compile(b"<" + p + rb"v>([^<]*)</" + p + b"v>")
        self.cell = re.compile(b"<" + p + rb"c\b([^>]*?)(?:/>|>(.*?)</" + p + rb"c\s*>)", re.S)
        self.values = re.compile(b"<" + p + rb"v>[^\d<]")
        self.cell_start = b"<" + prefix + b"c"
        self.read_rows: ReadRows
        self.width = 0  # the usual columns: a row beyond them is taken apart
        self.lists: dict[int, list[RawValue]] = {}  # row -> values from column A (plain rows)
        self.cells: dict[int, dict[int, RawValue]] = {}  # row -> column -> value (other rows)
        self.errors: dict[tuple[int, int], CellError] = {}
        self.group = _Group(True)
        self.pieces = 0

    # ------------------------------------------------------------------ rows

    def read(self, rows: Iterable[tuple[bytes, bytes | None]]) -> None:
        row = 0
        for attrs, content in rows:
            r = _attr(attrs, b"r")
            row = int(r) if r is not None and r.isdigit() else row + 1
            if row > MAX_ROW or row < 1:
                raise SourceError(f"{self.label}: a row numbered {row:,} (Excel has rows 1 to "
                                  f"{MAX_ROW:,}); it cannot be read safely")  # fmt: skip
            if not content or self.cell_start not in content:
                continue
            if not self.width:
                self.width = min(MAX_COLUMNS, max(8, 2 * _last_column(content)))
            if r is not None and self._plain(content, r):
                xml = b"<%srow%s>%s</%srow>" % (self.prefix, attrs, content, self.prefix)
                self._add(True, row, xml, set())
            else:
                self._cells(row, content)

    def _plain(self, content: bytes, row: bytes) -> bool:
        """A row calamine may read as it is: usual cells in its own row, plain values."""
        if b":c" in content or b"<!" in content or b"<?" in content or b't="e"' in content:
            return False
        if unusual_cells(self.prefix, self.width, 1, MAX_ROW).search(content):
            return False  # a cell of another shape, or beyond the usual columns
        if set(_REF_ROWS.findall(content)) != {row}:
            return False  # a cell that names another row
        for m in self.values.finditer(content):
            tag_at = content.rfind(self.cell_start, 0, m.start())
            close = content.find(b">", tag_at)
            kind = _attr(content[tag_at:close], b"t") or b""
            if kind in TEXT_KINDS:
                continue
            end = content.find(b"<", m.end() - 1)
            if not value_is_safe(kind, content[m.end() - 1 : end]):
                return False
        return True

    def _cells(self, row: int, content: bytes) -> None:
        """A row taken apart: each cell's position and value checked here."""
        if _SKIP.sub(b"", self.cell.sub(b"", content)):
            raise SourceError(
                f"{self.label}: unusual XML in row {row:,} of the sheet's data; it cannot be "
                "read safely",
                hint="open the file in Excel or LibreOffice and save it again",
            )
        by_row: dict[int, list[tuple[int, bytes, bytes]]] = {}
        col = 0
        for m in self.cell.finditer(content):
            attrs, body = m.group(1), m.group(2) or b""
            ref = _attr(attrs, b"r")
            if ref is not None:
                rm = _REF.fullmatch(ref)
                if rm is None:
                    raise SourceError(f"{self.label}: a cell reference {ref[:20]!r} that is not "
                                      "a cell; it cannot be read safely")  # fmt: skip
                cell_row, col = int(rm.group(2)), col_number(rm.group(1).decode())
            else:
                cell_row, col = row, col + 1
            if col > MAX_COLUMNS or not 1 <= cell_row <= MAX_ROW:
                raise SourceError(
                    f"{self.label}: a cell at {col_letter(min(col, MAX_COLUMNS + 1))}{cell_row} "
                    "lies outside the sheet; it cannot be read safely"
                )
            if not body.strip():
                continue  # no value: nothing to read
            own = self._own_value(attrs, body)
            if own is _CALAMINE:
                by_row.setdefault(cell_row, []).append((col, _without_r(attrs), body))
                continue
            if isinstance(own, CellError):
                self.errors[(cell_row - 1, col - 1)] = own
            self.cells.setdefault(cell_row, {})[col] = own
        for cell_row, cells in by_row.items():
            self._add(False, cell_row, cells, {c for c, _, _ in cells})

    def _own_value(self, attrs: bytes, content: bytes) -> RawValue | Literal[_Calamine.CALAMINE]:
        """The value of a cell read here, or _CALAMINE to let calamine read it."""
        kind = _attr(attrs, b"t") or b""
        v = self.v.search(content)
        text = v.group(1) if v else None
        if kind == b"e":
            return CellError(_unescape(text or b"#N/A").strip())
        if kind in (b"str", b"inlineStr", b"d"):
            return _CALAMINE
        if kind == b"s":
            if text is None or not text.strip().isdigit() or int(text) >= self.sst_count:
                return CellError("#REF!")  # a shared string that is not there
            return _CALAMINE
        if text is None:
            return _CALAMINE  # e.g. a formula without a cached value: calamine says empty
        if value_is_safe(kind, text):
            return _CALAMINE
        return _unescape(text)  # NaN, -1e15, abc, a boolean 2: the text it is

    # ------------------------------------------------------------------ sub-workbooks

    def _add(
        self, plain: bool, row: int, item: bytes | list[tuple[int, bytes, bytes]], cols: set[int]
    ) -> None:
        g = self.group
        size = len(item) if isinstance(item, bytes) else sum(len(a) + len(b) for _, a, b in item)
        if g.rows:
            lo, hi = min(g.lo, row), max(g.hi, row)
            if plain:
                fits = (
                    g.plain and row - g.hi <= _GAP and (hi - lo + 1) * self.width <= SUBPIECE_CELLS
                )
            else:
                fits = not g.plain and (len(g.rows) + 1) * len(g.cols | cols) <= SUBPIECE_CELLS
            if not fits or g.size + size > SUBPIECE_BYTES:
                self.flush()
                g = self.group
        if not g.rows:
            g.plain, g.lo, g.hi = plain, row, row
        g.rows.append((row, item))
        g.cols |= cols if not plain else set()
        g.lo, g.hi = min(g.lo, row), max(g.hi, row)
        g.size += size

    def flush(self) -> None:
        g = self.group
        self.group = _Group(True)
        if not g.rows:
            return
        body = [self.head]
        if g.plain:
            body += [xml for _, xml in g.rows]  # type: ignore[misc]  # plain: the rows are bytes
        else:
            cols = sorted(g.cols)
            index = {c: i + 1 for i, c in enumerate(cols)}
            p = self.prefix
            for i, (_, cells) in enumerate(g.rows, start=1):
                body.append(b'<%srow r="%d">' % (p, i))
                for col, attrs, content in cells:  # type: ignore[misc]  # not plain: cell lists
                    ref = f"{col_letter(index[col])}{i}".encode()
                    body.append(b'<%sc r="%s"%s>%s</%sc>' % (p, ref, attrs, content, p))
                body.append(b"</%srow>" % p)
        body.append(b"</%ssheetData></%sworksheet>" % (self.prefix, self.prefix))
        self.pieces += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"careful{self.pieces}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
            for name, data in self.shared:
                zf.writestr(name, data)
            zf.writestr(self.part, b"".join(body))
        del body
        try:
            start, grid = self.read_rows(path, self.sheet_name)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(f"{self.label}: cannot read the sheet ({exc})") from exc
        finally:
            path.unlink()
        if start is None:
            return
        r0, c0 = start
        if g.plain:
            lead: list[RawValue] = [""] * c0
            for i, values in enumerate(grid):
                self.lists[r0 + i + 1] = lead + values if c0 else values
            return
        for i, values in enumerate(grid):
            row = g.rows[r0 + i][0]
            target = self.cells.setdefault(row, {})
            for j, value in enumerate(values):
                if value != "" and value is not None:
                    target[cols[c0 + j]] = value

    # ------------------------------------------------------------------ the result

    def sheet(
        self,
        merged: list[tuple[tuple[int, int], tuple[int, int]]],
        xml_bytes: int,
        from_row_one: bool,
    ) -> CarefulSheet:
        self.flush()
        rows_with = set(self.lists) | set(self.cells)
        if not rows_with:
            return CarefulSheet(0, [], self.errors, merged)
        first = 0 if from_row_one else min(rows_with) - 1
        last = max(rows_with)
        lengths: dict[int, int] = {}
        for r in rows_with:
            listed = self.lists.get(r) or []
            n = len(listed)
            while n and listed[n - 1] in ("", None):
                n -= 1
            cells = self.cells.get(r)
            lengths[r] = max(n, max(cells) if cells else 0)
        width = max(lengths.values())
        n_rows = last - first
        budget = RECT_FLOOR + RECT_PER_BYTE * xml_bytes
        padded = n_rows * width <= budget
        if not padded and sum(lengths.values()) + n_rows > budget:
            count = sum(len(c) for c in self.cells.values()) + len(self.lists)
            raise SourceError(
                f"{self.label}: values are spread over {n_rows:,} rows and {width:,} columns "
                f"(rows holding values: {len(rows_with):,}, scattered cells: {count:,}), too "
                "far apart to read safely",
                hint="remove the stray values far away from the table",
            )
        rows: list[list[RawValue]]
        if padded:
            rows = [[""] * width for _ in range(n_rows)]
        else:
            rows = [[] for _ in range(n_rows)]  # a row without values costs an empty list
        for r in rows_with:
            size = width if padded else lengths[r]
            values = self.lists.get(r)
            if values is not None:
                row = values[:size] if len(values) >= size else values + [""] * (size - len(values))
            else:
                row = [""] * size
            cells = self.cells.get(r)
            if cells:
                for c, value in cells.items():
                    row[c - 1] = value
            rows[r - first - 1] = row
        return CarefulSheet(first, rows, self.errors, merged, width, padded)


def _attr(attrs: bytes, name: bytes) -> bytes | None:
    for m in _ATTR.finditer(attrs):
        if m.group(1) == name:
            return m.group(3)
    return None


def _without_r(attrs: bytes) -> bytes:
    return b"".join(b" " + m.group(0) for m in _ATTR.finditer(attrs) if m.group(1) != b"r")


def _last_column(content: bytes) -> int:
    refs = re.findall(rb'\sr="([A-Z]{1,3})\d', content)
    return max((col_number(x.decode()) for x in refs), default=1)


def _unescape(text: bytes) -> str:
    return html.unescape(text.decode("utf-8", "replace"))


def sst_count(data: bytes | None) -> int:
    """How many strings a sharedStrings part holds (0: no part)."""
    if data is None:
        return 0
    return len(re.findall(rb"<(?:[\w.-]+:)?si[\s>/]", data))


def part_chunks(
    zf: zipfile.ZipFile, part: str, size: int = 1 << 20
) -> Callable[[], Iterator[bytes]]:
    """A fresh stream of a part's bytes each time it is called (bounded reads)."""

    def chunks() -> Iterator[bytes]:
        with zf.open(part) as src:
            while block := src.read(size):
                yield block

    return chunks
