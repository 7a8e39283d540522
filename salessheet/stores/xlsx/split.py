"""Cut one big worksheet into row ranges that separate readers parse at the same time.

python-calamine parses a sheet on one core, with the GIL released. A big sheet's XML is streamed
out of the package and cut at ``<row>`` boundaries into a few small uncompressed workbooks (with
the same shared strings, styles and workbook settings, so values, dates and the 1904 flag read the
same); each is handed to its own calamine reader as soon as it is complete, so the first piece is
parsed while the rest is still being decompressed. A ``StreamedSheet`` glues the pieces' rows
back into exactly the rows one whole read gives. Anything unusual in the XML (rows without an ``r``
number, a namespace prefix, CDATA) raises ``NotCuttable`` and the caller reads the sheet whole.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from salessheet.core.cells import RawSheet, RawValue, col_number

SPLIT_MIN_BYTES = 8 << 20  # below this (≈ 12,000 rows of 20 columns) one reader is as fast
MAX_PIECES = 4

_ROW_TAG = re.compile(rb"<row[\s>]")
_ROW_NUMBER = re.compile(rb"""<row\b[^>]*\sr\s*=\s*["']\d+["']""")
# Parts calamine never opens for cell values; leaving them out keeps the pieces small.
_SKIP_PREFIXES = (
    "xl/media/",
    "xl/embeddings/",
    "xl/pivotCache/",
    "xl/pivotTables/",
    "xl/drawings/",
    "xl/charts/",
    "xl/externalLinks/",
    "xl/printerSettings/",
    "xl/activeX/",
    "xl/vbaProject.bin",
    "customXml/",
    "docProps/",
)
_BLOCK = 1 << 20
_KEEP = 64  # bytes held back so a tag split by a block boundary is still seen whole


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def piece_count(xml_size: int, cores: int) -> int:
    """How many pieces a sheet of ``xml_size`` uncompressed bytes is cut into (1: read whole)."""
    if xml_size < SPLIT_MIN_BYTES or cores < 2:
        return 1
    return max(1, min(cores, MAX_PIECES, xml_size // (SPLIT_MIN_BYTES // 2)))


class NotCuttable(Exception):
    """The sheet XML is unusual; read it whole."""


@dataclass
class Cut:
    pieces: list[Future]  # one per piece, in sheet order
    has_errors: bool  # some cell holds an error value (t="e"): scan the XML for them
    merged: list[tuple[tuple[int, int], tuple[int, int]]]  # from the sheet's <mergeCells>


def cut_sheet(
    zf: zipfile.ZipFile,
    part: str,
    pieces: int,
    other_sheet_parts: set[str],
    folder: Path,
    start: Callable[[Path], Future],
) -> Cut:
    """Stream worksheet ``part`` out of ``zf`` into ``pieces`` workbooks in ``folder``, each with
    a consecutive range of its rows, calling ``start`` on each as soon as it is complete.

    Raises NotCuttable when the XML is not plainly cuttable; pieces already started are then
    simply not used.
    """
    targets = [zf.getinfo(part).file_size * i // pieces for i in range(1, pieces)]
    shared = [
        (info.filename, zf.read(info))
        for info in zf.infolist()
        if info.filename != part
        and info.filename not in other_sheet_parts
        and not info.filename.startswith(_SKIP_PREFIXES)
        and not info.is_dir()
    ]
    folder.mkdir(parents=True, exist_ok=True)
    started: list[Future] = []
    has_errors = False
    with zf.open(part) as src:
        pending = src.read(_BLOCK)
        while b"<sheetData>" not in pending:
            block = src.read(_BLOCK)
            if not block or len(pending) > 16 * _BLOCK:
                raise NotCuttable("no <sheetData> element")
            pending += block
        at = pending.index(b"<sheetData>") + len(b"<sheetData>")
        head, pending = pending[:at], pending[at:]
        if b"<worksheet" not in head or b"<![CDATA[" in head:
            raise NotCuttable("an unusual worksheet root")
        consumed = at  # bytes of the sheet XML before ``pending``
        writer = _PieceWriter(folder / "piece0.xlsx", shared, part, head)
        eof = False
        in_tail = False  # past </sheetData>: keep the rest, it lists the merged cells
        while True:
            in_tail = in_tail or b"</sheetData>" in pending
            # (a one-byte test first: "!" and "#" are rare in sheet XML and memchr is fast)
            if b"!" in pending and b"<!" in pending:  # <![CDATA[ or <!--: "<row" may hide there
                raise NotCuttable("CDATA or a comment in the sheet")
            if not has_errors and b"#" in pending and b't="e"' in pending:  # <v>#N/A</v>
                has_errors = True
            if targets and consumed + len(pending) >= targets[0]:
                m = _ROW_TAG.search(pending, max(0, targets[0] - consumed))
                data_end = pending.find(b"</sheetData>")
                if m is not None and (data_end < 0 or m.start() < data_end):
                    tag = pending[m.start() : m.start() + 256]
                    if len(tag) == 256 or eof:
                        if not _ROW_NUMBER.match(tag):
                            raise NotCuttable("rows without an r number")
                        writer.write(pending[: m.start()])
                        started.append(start(writer.close(last=False)))
                        consumed += m.start()
                        pending = pending[m.start() :]
                        targets.pop(0)
                        name = f"piece{len(started)}.xlsx"
                        writer = _PieceWriter(folder / name, shared, part, head)
                        continue
                elif data_end >= 0 or eof:
                    targets.clear()  # no row after the target: fewer pieces
            if eof:
                break
            block = src.read(_BLOCK)
            if not block:
                eof = True
                continue
            if (
                len(pending) > _KEEP
                and not in_tail
                and (not targets or consumed + len(pending) < targets[0] - _KEEP)
            ):
                keep = len(pending) - _KEEP
                writer.write(memoryview(pending)[:keep])
                consumed += keep
                pending = pending[keep:]
            pending += block
        writer.write(pending)
        started.append(start(writer.close(last=True)))
    tail = pending[pending.find(b"</sheetData>") :]
    return Cut(started, has_errors, merged_ranges(tail))


_MERGE = re.compile(
    rb"""<mergeCell\b[^>]*\bref\s*=\s*["']\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?"""
)


def merged_ranges(xml: bytes) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """0-based ((top, left), (bottom, right)) of each <mergeCell ref="B2:D3"/>, in order."""
    out = []
    for m in _MERGE.finditer(xml):
        top, left = int(m.group(2)) - 1, col_number(m.group(1).decode()) - 1
        if m.group(3):
            bottom, right = int(m.group(4)) - 1, col_number(m.group(3).decode()) - 1
        else:
            bottom, right = top, left
        out.append(((top, left), (bottom, right)))
    return out


class _PieceWriter:
    """One piece: an uncompressed workbook whose sheet XML is written as it streams in."""

    def __init__(self, path: Path, shared: list[tuple[str, bytes]], part: str, head: bytes):
        self.path = path
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_STORED)
        for name, data in shared:
            self.zip.writestr(name, data)
        self.fh = self.zip.open(part, "w", force_zip64=True)
        self.fh.write(head)

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def close(self, *, last: bool) -> Path:
        if not last:  # the sheet's real ending (merged cells etc.) goes to the last piece
            self.fh.write(b"</sheetData></worksheet>")
        self.fh.close()
        self.zip.close()
        return self.path


PieceRows = tuple[tuple[int, int] | None, tuple[int, int] | None, list]


class _Joiner:
    """Glues pieces' rows (each read with ``skip_empty_area=True``) into the rows one whole
    ``to_python(skip_empty_area=False)`` read gives: empty rows between pieces, empty leading
    columns, and every row as wide as the widest piece."""

    def __init__(self) -> None:
        self.rows: list[list[RawValue]] = []
        self.width = 0

    def add(self, piece: PieceRows) -> None:
        start, end, rows = piece
        if start is None or end is None or not rows:
            return
        (r0, c0), width = start, end[1] + 1
        self.width = max(self.width, width)
        out = self.rows
        while len(out) < r0:
            out.append([""] * self.width)
        if c0:
            lead = [""] * c0
            rows = [lead + row for row in rows]
        out.extend(rows)

    def finish(self) -> list[list[RawValue]]:
        width = self.width
        for row in self.rows:
            if len(row) < width:
                row.extend([""] * (width - len(row)))
        return self.rows


class StreamedSheet(RawSheet):
    """A cut sheet whose later pieces may still be parsing. ``rows`` waits for all of them;
    ``rows_so_far``/``more`` let the table mapper start on the first piece meanwhile.

    ``pieces`` yield (start, end, rows, ...) in sheet order. If one fails, ``read_whole``
    supplies the sheet's rows from one whole read and the rest is taken from it.
    ``done`` is called once, when the last piece is in (to free the pieces' folder).
    """

    def __init__(
        self,
        name: str,
        merged: list[tuple[tuple[int, int], tuple[int, int]]],
        visible: bool,
        pieces: list[Future],
        read_whole: Callable[[], list[list[RawValue]]],
        done: Callable[[], None],
    ):
        self._joiner = _Joiner()
        self._pending = list(pieces)
        self._read_whole = read_whole
        self._done: Callable[[], None] | None = done
        super().__init__(name, self._joiner.rows, merged, visible, frozenset())

    @property  # type: ignore[override]
    def rows(self) -> list[list[RawValue]]:
        self.complete()
        return self._joiner.rows

    @rows.setter
    def rows(self, value: list[list[RawValue]]) -> None:
        self._joiner.rows = value

    def rows_so_far(self) -> list[list[RawValue]]:
        return self._joiner.rows

    def complete(self) -> None:
        """Wait for every piece."""
        while self.more():
            pass

    def head(self, n: int) -> list[list[RawValue]]:
        while len(self._joiner.rows) < n and self.more():
            pass
        return self._joiner.rows[:n]

    def more(self) -> bool:
        if not self._pending:
            return False
        future = self._pending.pop(0)
        try:
            start, end, rows, *_ = future.result()
            self._joiner.add((start, end, rows))
        except Exception:
            # a piece calamine could not read: the rest comes from one whole read
            for f in self._pending:
                f.cancel()
            self._pending = []
            whole = self._read_whole()
            have = len(self._joiner.rows)
            self._joiner.rows.extend(whole[have:])
            self._joiner.width = max((len(r) for r in whole), default=0)
        if not self._pending:
            self._joiner.finish()
            if self._done is not None:
                self._done, done = None, self._done
                done()
        return True
