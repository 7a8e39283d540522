"""Reading a worksheet calamine must not be given as it is (see scan.py): its cells lie far apart,
a value would make calamine panic or invent a date, or its XML is unusual.

The sheet's XML is streamed and taken apart cell by cell (plain regular expressions; anything
that is not rows and cells refuses with a SourceError). Values calamine gets wrong are read
here: an error value becomes a ``CellError``, a number calamine cannot read or would turn into a
wrong date (``NaN``, ``-1e15``, ``abc``) stays the text it is (so the column's parser reports it
as a ``bad-value`` naming its cell). Every other cell goes to calamine, for the same value
typing as a normal read, in small sub-workbooks whose rows and columns are renumbered to be
dense: rows of a sub-workbook times its distinct columns stay under ``SUBPIECE_CELLS``, so a
far cell costs its own row, never the rectangle between it and the table.

The rows come back with every value at its sheet position. When the rows times the widest row
fit the same budget a direct read has (scan.py), every row is padded to that width, exactly
like a direct read; otherwise each row is as long as its own last value and no longer.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from salessheet.core.cells import CellError, RawValue, col_letter, col_number
from salessheet.core.errors import SourceError
from salessheet.stores.xlsx.scan import (
    MAX_COLUMNS,
    RECT_FLOOR,
    RECT_PER_BYTE,
    value_is_safe,
)

SUBPIECE_CELLS = 1 << 20  # rows x distinct columns of one sub-workbook (32 MB in calamine)
SUBPIECE_BYTES = 32 << 20  # XML held for one sub-workbook before it is written and read
MAX_CELL_BYTES = 1 << 20  # one cell's XML (Excel's 32,767 characters are at most ~200 KB)
# One merged range per row of a full Excel sheet; each costs ~200 bytes in Python.
MAX_MERGED = 1 << 20
MAX_ROW = 1_048_576  # Excel's last row

_ROOT = re.compile(rb"<(?:([\w.-]+):)?worksheet[\s>]")
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\b[^>]*/>")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(["'])(.*?)\2""", re.S)
_REF = re.compile(rb"\$?([A-Z]{1,3})\$?(\d{1,7})")
_WS = re.compile(rb"\s*")
_MERGE = re.compile(
    rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*\bref\s*=\s*["']\$?([A-Z]{1,3})\$?(\d{1,7})"""
    rb"""(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?"""
)


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


class _Tokens:
    """The tokens of <sheetData>, from a stream of XML chunks."""

    def __init__(self, chunks: Iterator[bytes], label: str, prefix: bytes):
        self.chunks, self.label = chunks, label
        p = re.escape(prefix)
        self.token = re.compile(
            b"<" + p + rb"row\b([^>]*?)(/?)>"  # 1, 2: a row
            + b"|</" + p + rb"row\s*>"  # the end of a row
            + b"|<" + p + rb"c\b([^>]*?)(?:/>|>(.*?)</" + p + rb"c\s*>)"  # 3, 4: a cell
            + b"|(</" + p + rb"sheetData\s*>)"  # 5: the end of the data
            + rb"|(<!--.*?-->|<\?.*?\?>)",  # 6: a comment or processing instruction
            re.S,
        )  # fmt: skip
        self.buf = b""
        self.pos = 0
        self.eof = False

    def _more(self) -> bool:
        block = next(self.chunks, None)
        if block is None:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + block
        self.pos = 0
        return True

    def __iter__(self) -> Iterator[re.Match[bytes]]:
        while True:
            m = _WS.match(self.buf, self.pos)
            self.pos = m.end() if m else self.pos
            m = self.token.match(self.buf, self.pos)
            # a token cut by the end of the buffer: read on (a cell is at most MAX_CELL_BYTES)
            if m is None or m.end() == len(self.buf):
                if not self.eof and len(self.buf) - self.pos <= MAX_CELL_BYTES and self._more():
                    continue
                if m is None:
                    if self.pos >= len(self.buf) and self.eof:
                        return
                    raise SourceError(
                        f"{self.label}: unusual XML in the sheet's data near "
                        f"{self.buf[self.pos : self.pos + 60]!r}; it cannot be read safely",
                        hint="open the file in Excel or LibreOffice and save it again",
                    )
            self.pos = m.end()
            yield m
            if m.group(5):
                return

    def rest(self) -> Iterator[bytes]:
        """What follows </sheetData>."""
        yield self.buf[self.pos :]
        yield from self.chunks


@dataclass
class _Group:
    """Cells for one sub-workbook: real rows in order, with (col, attrs, content) each."""

    rows: list[tuple[int, list[tuple[int, bytes, bytes]]]] = field(default_factory=list)
    cols: set[int] = field(default_factory=set)
    size: int = 0


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
    read_rows: Callable[[Path, str], list[list[RawValue]]],
) -> CarefulSheet:
    """Read one worksheet's XML (``chunks``: the whole part, or one cut piece of it).

    ``shared`` are the package parts every sub-workbook needs (workbook, styles, strings),
    ``part`` the sheet's name in the package, ``folder`` a private temp folder for the
    sub-workbooks, ``xml_bytes`` the XML's size (it sets the padding budget),
    ``from_row_one``: the rows start at sheet row 1 (a whole sheet) rather than at the first
    row holding a cell (a piece). ``shared_string_count``: how many shared strings the workbook
    has; ``read_rows(path, sheet)``: calamine's rows of a sub-workbook, from (0, 0).
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
    empty = bool(at.group(1))
    rest = head[at.end() :]
    head = _DIMENSION.sub(b"", head[: at.start()]) + b"<" + prefix + b"sheetData>"
    reader = _Reader(label, sheet_name, shared, part, folder, head, prefix, shared_string_count)
    reader.read_rows = read_rows
    tail: Iterable[bytes]
    if empty:
        tail = [rest, *stream]
    else:
        tokens = _Tokens(_chain([rest], stream), label, prefix)
        reader.read(tokens)
        tail = tokens.rest()
    reader.flush()
    merged = MergedRanges(label)
    for block in tail:
        merged.feed(block)
    return reader.sheet(merged.finish(), xml_bytes, from_row_one)


def _chain(first: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


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
        for m in _MERGE.finditer(buf, 0, cut):
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
        self._carry = buf[cut:]

    def finish(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        if self._carry:
            block, self._carry = self._carry, b""
            self._carry = b""
            for m in _MERGE.finditer(block):
                top, left = int(m.group(2)) - 1, col_number(m.group(1).decode()) - 1
                if m.group(3):
                    bottom, right = int(m.group(4)) - 1, col_number(m.group(3).decode()) - 1
                else:
                    bottom, right = top, left
                self.ranges.append(((top, left), (bottom, right)))
        return self.ranges


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
        self.v = re.compile(b"<" + re.escape(prefix) + rb"v>([^<]*)</" + re.escape(prefix) + b"v>")
        self.values: dict[int, dict[int, RawValue]] = {}
        self.errors: dict[tuple[int, int], CellError] = {}
        self.group = _Group()
        self.pieces = 0

    def read(self, tokens: _Tokens) -> None:
        row = 0  # 1-based: the current <row>'s number
        col = 0  # 1-based: the last cell's column in this row
        cells: list[tuple[int, bytes, bytes]] = []
        for m in tokens:
            if m.group(5):
                break
            if m.group(6):
                continue
            if m.group(1) is not None:  # <row ...> or <row .../>
                self._add_row(row, cells)
                cells = []
                r = _attr(m.group(1), b"r")
                row = int(r) if r is not None and r.isdigit() else row + 1
                col = 0
                if row > MAX_ROW:
                    raise SourceError(f"{self.label}: a row numbered {row:,} (Excel stops at "
                                      f"{MAX_ROW:,}); it cannot be read safely")  # fmt: skip
                continue
            if m.group(3) is None:  # </row>
                continue
            attrs, content = m.group(3), m.group(4) or b""
            ref = _attr(attrs, b"r")
            if ref is not None:
                rm = _REF.fullmatch(ref)
                if rm is None:
                    raise SourceError(f"{self.label}: a cell reference {ref[:20]!r} that is not "
                                      "a cell; it cannot be read safely")  # fmt: skip
                cell_row, col = int(rm.group(2)), col_number(rm.group(1).decode())
            else:
                cell_row, col = row or 1, col + 1
            if col > MAX_COLUMNS or cell_row > MAX_ROW or cell_row < 1:
                raise SourceError(
                    f"{self.label}: a cell at {col_letter(min(col, MAX_COLUMNS + 1))}{cell_row} "
                    "lies outside the sheet; it cannot be read safely"
                )
            if not content:
                continue  # no value: nothing to read
            if cell_row != row:  # a cell that names another row: a row of its own
                self._add_row(row, cells)
                cells = []
                self._add_row(cell_row, [(col, _without_r(attrs), content)])
                continue
            cells.append((col, _without_r(attrs), content))
        self._add_row(row, cells)

    def _add_row(self, row: int, cells: list[tuple[int, bytes, bytes]]) -> None:
        keep = []
        for col, attrs, content in cells:
            own = self._own_value(attrs, content)
            if own is _CALAMINE:
                keep.append((col, attrs, content))
                continue
            if isinstance(own, CellError):
                self.errors[(row - 1, col - 1)] = own
            self.values.setdefault(row, {})[col] = own
        if not keep:
            return
        g = self.group
        cols = g.cols | {c for c, _, _ in keep}
        size = sum(len(a) + len(c) for _, a, c in keep)
        if g.rows and (
            (len(g.rows) + 1) * len(cols) > SUBPIECE_CELLS or g.size + size > SUBPIECE_BYTES
        ):
            self.flush()
            g = self.group
            cols = {c for c, _, _ in keep}
        g.rows.append((row, keep))
        g.cols = cols
        g.size += size

    def _own_value(self, attrs: bytes, content: bytes) -> object:
        """The value of a cell read here, or _CALAMINE to let calamine read it."""
        kind = _attr(attrs, b"t") or b""
        v = self.v.search(content)
        text = v.group(1) if v else None
        if kind == b"e":
            return CellError((text or b"#N/A").decode("utf-8", "replace").strip())
        if kind in (b"str", b"inlineStr", b"d"):
            return _CALAMINE
        if kind == b"s":
            if text is None or not text.strip().isdigit():
                return CellError("#REF!")
            if int(text) >= self.sst_count:
                return CellError("#REF!")  # a shared string that does not exist
            return _CALAMINE
        if text is None:
            return _CALAMINE  # e.g. a formula without a cached value: calamine says empty
        if value_is_safe(kind, text):
            return _CALAMINE
        return _unescape(text)  # NaN, -1e15, abc, a boolean 2: the text it is

    def flush(self) -> None:
        g = self.group
        if not g.rows:
            return
        self.group = _Group()
        cols = sorted(g.cols)
        index = {c: i + 1 for i, c in enumerate(cols)}
        body = [self.head]
        for i, (_, cells) in enumerate(g.rows, start=1):
            body.append(b'<%srow r="%d">' % (self.prefix, i))
            for col, attrs, content in cells:
                ref = f"{col_letter(index[col])}{i}".encode()
                body.append(
                    b'<%sc r="%s"%s>%s</%sc>' % (self.prefix, ref, attrs, content, self.prefix)
                )
            body.append(b"</%srow>" % self.prefix)
        body.append(b"</%ssheetData></%sworksheet>" % (self.prefix, self.prefix))
        self.pieces += 1
        path = self.folder / f"careful{self.pieces}.xlsx"
        self.folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
            for name, data in self.shared:
                zf.writestr(name, data)
            zf.writestr(self.part, b"".join(body))
        del body
        try:
            grid = self.read_rows(path, self.sheet_name)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(f"{self.label}: cannot read the sheet ({exc})") from exc
        path.unlink()
        for i, (row, _) in enumerate(g.rows):
            got = grid[i] if i < len(grid) else []
            target = self.values.setdefault(row, {})
            for j, value in enumerate(got):
                if value != "" and value is not None:
                    target[cols[j]] = value

    def sheet(self, merged: list, xml_bytes: int, from_row_one: bool) -> CarefulSheet:
        errors = self.errors
        if not self.values:
            return CarefulSheet(0, [], errors, merged)
        first = 0 if from_row_one else min(self.values) - 1
        last = max(self.values)
        lengths = {r: max(cells) for r, cells in self.values.items() if cells}
        width = max(lengths.values(), default=0)
        n = last - first
        budget = RECT_FLOOR + RECT_PER_BYTE * xml_bytes
        padded = n * width <= budget
        if not padded and sum(lengths.values()) + n > budget:
            raise SourceError(
                f"{self.label}: its {sum(len(c) for c in self.values.values()):,} values are "
                f"spread over {n:,} rows and {width:,} columns, too far apart to read safely",
                hint="remove the stray values far away from the table",
            )
        rows: list[list[RawValue]] = []
        for r in range(first + 1, last + 1):
            cells = self.values.get(r)
            row: list[RawValue] = [""] * (width if padded else lengths.get(r, 0))
            if cells:
                for c, value in cells.items():
                    row[c - 1] = value
            rows.append(row)
        return CarefulSheet(first, rows, errors, merged, width, padded)


_CALAMINE = object()


def _attr(attrs: bytes, name: bytes) -> bytes | None:
    for m in _ATTR.finditer(attrs):
        if m.group(1) == name:
            return m.group(3)
    return None


def _without_r(attrs: bytes) -> bytes:
    kept = [m.group(0) for m in _ATTR.finditer(attrs) if m.group(1) != b"r"]
    return b"".join(b" " + a for a in kept)


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
