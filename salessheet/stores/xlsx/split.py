"""Cut one big worksheet into row ranges that separate readers parse at the same time.

python-calamine parses a sheet on one core, with the GIL released. A big sheet's XML is streamed
out of the package and cut at ``<row>`` boundaries into a few small uncompressed workbooks (with
the same shared strings, styles and workbook settings, so values, dates and the 1904 flag read the
same); each is handed to its own reader as soon as it is complete, so the first piece is parsed
while the rest is still being decompressed. A ``StreamedSheet`` glues the pieces' rows back into
exactly the rows one whole read gives. Anything unusual in the XML (rows without an ``r`` number,
a namespace prefix, CDATA) raises ``NotCuttable`` and the caller reads the sheet whole.

Every piece is looked at by a ``SheetScan`` on its way to disk; a piece calamine must not be
given as it is (cells far apart, values it misreads) is marked for the careful reader. The cutter
holds at most one block plus a few hundred bytes of the XML at any time, whatever the XML holds
(a run of gigabytes of whitespace costs time in proportion, never more).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salessheet.core.cells import CellError, RawSheet, RawValue
from salessheet.stores.file_safety import process_tag, stale_tag
from salessheet.stores.xlsx.careful import MergedRanges, worksheet_prefix
from salessheet.stores.xlsx.scan import RECT_FLOOR, RECT_PER_BYTE, SheetScan

SPLIT_MIN_BYTES = 8 << 20  # below this (≈ 12,000 rows of 20 columns) one reader is as fast
MAX_PIECES = 4

_ROW_TAG = re.compile(rb"<row[\s>]")
_ROW_NUMBER = re.compile(rb"""<row\b[^>]*\sr\s*=\s*["']\d+["']""")
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData\b[^>]*?(/?)>")
_BLOCK = 1 << 20
_KEEP = 512  # bytes held back so a tag split by a block boundary is still seen whole
_TAG_LOOK = 256  # bytes of a <row> tag looked at to see its r number
READ_FOLDER_PREFIX = "salessheet-read-"
# What reading one piece gives: (start, end, rows, merged ranges[, ragged]).
Piece = tuple[Any, ...]


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
    pieces: list[Future[Piece]]  # one per piece, in sheet order
    errors: dict[tuple[int, int], CellError]  # every cell holding an error value (t="e")
    merged: list[tuple[tuple[int, int], tuple[int, int]]]  # from the sheet's <mergeCells>
    careful: list[str] = field(default_factory=list)  # why pieces went to the careful reader
    # (row, col) -> formula of each cell whose formula result was never saved (scan.py)
    unsaved: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)


# --------------------------------------------------------------------------- temp folders


def make_read_folder() -> tempfile.TemporaryDirectory[str]:
    """A private temp folder for pieces, named after this process; the folders crashed runs
    left behind (their process is gone) are removed first."""
    base = Path(tempfile.gettempdir())
    try:
        for entry in os.scandir(base):
            name = entry.name
            if name.startswith(READ_FOLDER_PREFIX) and stale_tag(name[len(READ_FOLDER_PREFIX) :]):
                shutil.rmtree(entry.path, ignore_errors=True)
    except OSError:
        pass
    return tempfile.TemporaryDirectory(
        prefix=f"{READ_FOLDER_PREFIX}{process_tag()}-", ignore_cleanup_errors=True
    )


# --------------------------------------------------------------------------- the cutter


def cut_sheet(
    zf: zipfile.ZipFile,
    part: str,
    pieces: int,
    shared_parts: list[tuple[str, bytes]],
    folder: Path,
    start: Callable[[Path, str | None], Future[Piece]],
    label: str = "",
    *,
    zero_is_unsaved: bool = False,
) -> Cut:
    """Stream worksheet ``part`` out of ``zf`` into ``pieces`` workbooks in ``folder``, each with
    a consecutive range of its rows and the ``shared_parts`` (name, bytes) a reader needs,
    calling ``start(path, careful)`` on each as soon as it is complete; ``careful`` is None when
    calamine may read the piece as it is, else why not.

    ``zero_is_unsaved``: the workbook's formula results are placeholders (SheetScan).

    Raises NotCuttable when the XML is not plainly cuttable; pieces already started are then
    simply not used.
    """
    targets = [zf.getinfo(part).file_size * i // pieces for i in range(1, pieces)]
    folder.mkdir(parents=True, exist_ok=True)
    started: list[Future[Piece]] = []
    careful: list[str] = []
    merged = MergedRanges(label or part)
    with zf.open(part) as src:
        pending = b""
        while (m := _SHEET_DATA.search(pending)) is None:
            block = src.read(_BLOCK)
            if not block or len(pending) > 16 * _BLOCK:
                raise NotCuttable("no <sheetData> element")
            pending += block
        head, pending = pending[: m.end()], pending[m.end() :]
        if m.group(1) or b"<worksheet" not in head or b"<![CDATA[" in head:
            raise NotCuttable("an empty or unusual worksheet")
        if worksheet_prefix(head):
            raise NotCuttable("a namespace prefix")
        scan = SheetScan(zero_is_unsaved=zero_is_unsaved)
        scan.feed(head)
        consumed = len(head)  # bytes of the sheet XML before ``pending``
        writer: _PieceWriter | None = None
        try:
            writer = _PieceWriter(folder / "piece0.xlsx", shared_parts, part, head, scan)
            eof = in_tail = False
            while True:
                block = b"" if eof else src.read(_BLOCK)
                eof = eof or not block
                pending += block
                # ``pending`` is at most a block and _KEEP bytes: every search below is on it alone
                ready = len(pending) if eof else max(0, len(pending) - _KEEP)
                if not in_tail:
                    end = pending.find(b"</sheetData>")
                    if end >= 0:
                        ready = len(pending)  # no row after the data: the rest can go
                    data_len = end if end >= 0 else ready
                    if _has_declaration(pending, data_len):  # <![CDATA[ or <!--: "<row" may hide
                        raise NotCuttable("CDATA or a comment in the sheet")
                    while targets and consumed + data_len > targets[0]:
                        at = _ROW_TAG.search(pending, max(0, targets[0] - consumed), data_len)
                        if at is None:
                            break  # no row yet: the cut waits for the next one
                        cut = at.start()
                        if not _ROW_NUMBER.match(pending, cut, cut + _TAG_LOOK):
                            raise NotCuttable("rows without an r number")
                        writer.write(pending[:cut])
                        started.append(start(writer.close(last=False), _judge(scan, careful)))
                        consumed += cut
                        pending = pending[cut:]
                        data_len, ready = data_len - cut, ready - cut
                        end = end - cut if end >= 0 else end
                        targets.pop(0)
                        name = f"piece{len(started)}.xlsx"
                        writer = _PieceWriter(folder / name, shared_parts, part, head, scan)
                    if end >= 0:
                        in_tail = True
                        targets.clear()  # no row after the data: fewer pieces
                        merged.feed(pending[end:ready])
                elif ready:
                    merged.feed(pending[:ready])
                writer.write(pending[:ready])
                consumed += ready
                pending = pending[ready:]
                if eof:
                    break
            started.append(start(writer.close(last=True), _judge(scan, careful)))
        except BaseException:
            if writer is not None:  # no half-written piece left open (a full temp disk)
                writer.abort()
            raise
    return Cut(started, scan.errors, merged.finish(), careful, scan.unsaved)


def _has_declaration(data: bytes, end: int) -> bool:
    """``data.find(b"<!", 0, end) >= 0``, faster: a "!" is rare in sheet XML and found at
    memchr speed, while a search for "<!" stops at every "<"."""
    at = data.find(b"!", 0, end)
    for _ in range(64):  # a sheet full of "!" (error values, text): the plain search
        if at < 0:
            return False
        if at > 0 and data[at - 1] == 0x3C:  # "<"
            return True
        at = data.find(b"!", at + 1, end)
    return data.find(b"<!", 0, end) >= 0


def _judge(scan: SheetScan, careful: list[str]) -> str | None:
    reason = scan.end_piece()
    if scan.misplaced:
        raise NotCuttable("cells outside the rows of their piece")
    if reason is not None:
        careful.append(reason)
    return reason


class _PieceWriter:
    """One piece: an uncompressed workbook whose sheet XML is written as it streams in."""

    def __init__(
        self,
        path: Path,
        shared: list[tuple[str, bytes]],
        part: str,
        head: bytes,
        scan: SheetScan,
    ):
        self.path = path
        self.scan = scan
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_STORED)
        self.fh: Any = None
        self.closed = False
        try:
            for name, data in shared:
                self.zip.writestr(name, data)
            self.fh = self.zip.open(part, "w", force_zip64=True)
            self.fh.write(head)
        except BaseException:
            self.abort()
            raise

    def write(self, data: bytes | memoryview) -> None:
        if data:
            self.fh.write(data)
            self.scan.feed(data)
            if self.scan.misplaced:
                raise NotCuttable("cells outside the rows of their piece")

    def close(self, *, last: bool) -> Path:
        if not last:  # the sheet's real ending (merged cells etc.) goes to the last piece
            self.fh.write(b"</sheetData></worksheet>")
        self.fh.close()
        self.zip.close()
        self.closed = True
        return self.path

    def abort(self) -> None:
        """Close after a failure, quietly, and remove the piece. Closing a zip whose disk is
        full fails again (its buffers cannot be flushed); left to the garbage collector, that
        failure would print an "Exception ignored" traceback instead. A piece already closed
        is a reader's now: left alone."""
        if self.closed:
            return
        self.closed = True
        for close in (getattr(self.fh, "close", None), self.zip.close):
            if close is not None:
                with contextlib.suppress(OSError, ValueError):
                    close()
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- joining


class PieceOverlap(Exception):
    """A piece's rows reach into an earlier piece's (cells naming rows out of order)."""


class _Joiner:
    """Glues pieces' rows (each read with ``skip_empty_area=True``) into the rows one whole
    ``to_python(skip_empty_area=False)`` read gives: empty rows between pieces, empty leading
    columns, and every row as wide as the widest piece.

    A piece is (start, end, rows[, merged[, ragged]]). A ragged piece (from the careful reader,
    cells far apart) keeps each row as long as its own last value: it neither widens the sheet
    nor is padded past its own rows. Rows are padded to the widest piece only while the rows
    times that width stay within ``budget`` cells."""

    def __init__(self, budget: float = float("inf")) -> None:
        self.rows: list[list[RawValue]] = []
        self.width = 0
        self.budget = budget

    def add(self, piece: Piece) -> None:
        start, end, rows = piece[:3]
        ragged = len(piece) > 4 and bool(piece[4])
        if start is None or end is None or not rows:
            return
        (r0, c0), width = start, end[1] + 1
        out = self.rows
        if r0 < len(out):
            raise PieceOverlap(f"a piece starts at row {r0 + 1}, inside the rows before it")
        if not ragged:
            self.width = max(self.width, width)
        while len(out) < r0:
            out.append([])
        if c0:
            lead = [""] * c0
            rows = [lead + row for row in rows]
        out.extend(rows)

    def finish(self) -> list[list[RawValue]]:
        width = self.width
        if len(self.rows) * width <= self.budget:
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
    ``xml_bytes``: the size of the sheet's XML (it sets how many padded cells are allowed).
    """

    def __init__(
        self,
        name: str,
        merged: list[tuple[tuple[int, int], tuple[int, int]]],
        visible: bool,
        pieces: list[Future[Piece]],
        read_whole: Callable[[], list[list[RawValue]]],
        done: Callable[[], None],
        xml_bytes: int | None = None,
    ):
        budget = float("inf") if xml_bytes is None else RECT_FLOOR + RECT_PER_BYTE * xml_bytes
        self._joiner = _Joiner(budget)
        self._pending = list(pieces)
        self._read_whole = read_whole
        self._done: Callable[[], None] | None = done
        super().__init__(name, self._joiner.rows, merged, visible, frozenset())

    @property
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
            self._joiner.add(future.result())
        except Exception:
            # a piece that could not be read: the rest comes from one whole read
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
                done, self._done = self._done, None
                done()
        return True
