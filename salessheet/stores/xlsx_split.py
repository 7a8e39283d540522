"""Cut one big worksheet into row ranges that separate readers parse at the same time.

python-calamine parses a sheet on one core, with the GIL released. A big sheet's XML is streamed
out of the package and cut at ``<row>`` boundaries into a few small uncompressed workbooks (with
the same shared strings, styles and workbook settings, so values, dates and the 1904 flag read the
same); each is handed to its own calamine reader as soon as it is complete, so the first piece is
parsed while the rest is still being decompressed. ``join_pieces`` glues the pieces' rows back
into exactly the rows one whole read gives. Anything unusual in the XML (rows without an ``r``
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
        while True:
            if b"<![CDATA[" in pending or b"<!--" in pending:
                raise NotCuttable("CDATA or a comment in the sheet")
            if not has_errors and b't="e"' in pending:
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
            if len(pending) > _KEEP and (
                not targets or consumed + len(pending) < targets[0] - _KEEP
            ):
                keep = len(pending) - _KEEP
                writer.write(pending[:keep])
                consumed += keep
                pending = pending[keep:]
            pending += block
        writer.write(pending)
        started.append(start(writer.close(last=True)))
    return Cut(started, has_errors)


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


def join_pieces(parts: list[tuple[tuple[int, int] | None, tuple[int, int] | None, list]]) -> list:
    """Rows as one whole ``to_python(skip_empty_area=False)`` read gives them, from each piece's
    (start, end, rows read with ``skip_empty_area=True``), in sheet order."""
    filled = [(s, e, rows) for s, e, rows in parts if s is not None and e is not None and rows]
    if not filled:
        return []
    width = max(e[1] for _, e, _ in filled) + 1
    out: list = []
    for (r0, c0), _end, rows in filled:
        while len(out) < r0:
            out.append([""] * width)
        if c0:
            lead = [""] * c0
            rows = [lead + row for row in rows]
        for row in rows:
            if len(row) < width:
                row.extend([""] * (width - len(row)))
        out.extend(rows)
    return out
