"""The xlsx/xlsm store: fast reads with python-calamine, no-loss writes by patching the zip.

Nothing of a workbook reaches calamine before it was checked: the zip package against the limits
in zipguard.py (a zip bomb is refused, exit 2), each sheet's XML by scan.py (cells far apart or
values calamine misreads send the sheet, or the piece of it, to careful.py).
"""

from __future__ import annotations

import functools
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import python_calamine as calamine

from salessheet.core.cells import CellError, RawSheet, RawValue, SheetInfo
from salessheet.core.errors import SourceError
from salessheet.core.files import read_error_hint
from salessheet.stores.base import WriteBatch, WriteReport
from salessheet.stores.file_safety import regular_file
from salessheet.stores.sniff import OLE_MAGIC, not_a_workbook
from salessheet.stores.xlsx.careful import (
    CarefulSheet,
    is_panic,
    part_chunks,
    read_carefully,
    sst_count,
    worksheet_prefix,
)
from salessheet.stores.xlsx.parts import (
    SheetEntry,
    formula_columns_in,
    reader_parts,
    results_are_placeholders,
    workbook_sheets,
)
from salessheet.stores.xlsx.scan import SheetScan
from salessheet.stores.xlsx.split import (
    Cut,
    NotCuttable,
    Piece,
    StreamedSheet,
    cut_sheet,
    make_read_folder,
    piece_count,
    usable_cores,
)
from salessheet.stores.xlsx.tables import sheet_tables
from salessheet.stores.xlsx.zipguard import check_package, read_part

if TYPE_CHECKING:
    from salessheet.stores.file_safety import FileFingerprint

# what reading a damaged package can raise, besides SourceError
_ZIP_ERRORS = (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError)


def check_is_xlsx(path: Path) -> None:
    """Refuse, with a clear message, a file that is not what its name says."""
    st = regular_file(path, "a workbook")
    if st.st_size == 0:
        raise SourceError(f"{path}: the file is empty, not a workbook")
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
            encrypted = head.startswith(OLE_MAGIC) and _names_encryption(fh, head)
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot open the file ({exc.strerror})", hint=read_error_hint(path, exc)
        ) from exc
    if encrypted:
        raise SourceError(
            f"{path}: the workbook is password-protected (encrypted)",
            hint="open it in Excel, remove the password (File › Info › Protect Workbook), "
            "save, and run again",
        )
    error = not_a_workbook(path, head)  # a legacy .xls, an .ods, HTML or CSV named .xlsx
    if error is not None:
        raise error


def _names_encryption(fh: BinaryIO, head: bytes) -> bool:
    """An OLE file holding an ``EncryptionInfo`` stream: an encrypted Office Open XML workbook
    (Excel puts the stream directory anywhere in the file, often near its end)."""
    name = "EncryptionInfo".encode("utf-16-le")
    tail = head
    while True:
        if name in tail:
            return True
        block = fh.read(1 << 20)
        if not block:
            return False
        tail = tail[-len(name) :] + block


class XlsxStore:
    kind = "xlsx"
    writable = True
    checks_rows = False  # the whole file's fingerprint is checked instead

    def __init__(self, source: str):
        self.source = source
        self.path = Path(source)
        self.locale: str | None = None
        self.timezone: str | None = None
        check_is_xlsx(self.path)
        check_package(self.path)
        self._fingerprint: FileFingerprint | None = None
        self._wb: calamine.CalamineWorkbook | None = None  # opened when a sheet is read whole
        self._sheets = self._list_sheets()
        self.pieces_read: dict[str, int] = {}  # sheet -> pieces it was cut into (absent: whole)
        self.careful_read: dict[str, str] = {}  # sheet -> why (some of) it was read carefully

    def _list_sheets(self) -> list[SheetEntry]:
        try:
            with zipfile.ZipFile(self.path) as zf:
                found = workbook_sheets(zf)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{self.path}: cannot read the workbook ({exc})") from exc
        except (KeyError, SyntaxError, ValueError):
            found = []
        if found:
            return found
        # an unusual package layout: calamine's list (these sheets are read whole, and only
        # once every worksheet-like part of the package has passed the scan)
        return [
            SheetEntry(
                m.name,
                "",
                m.visible == calamine.SheetVisibleEnum.Visible,
                m.typ == calamine.SheetTypeEnum.WorkSheet,
            )
            for m in self._workbook().sheets_metadata
        ]

    def _workbook(self) -> calamine.CalamineWorkbook:
        if self._wb is None:
            try:
                self._wb = calamine.CalamineWorkbook.from_path(str(self.path))
            except calamine.PasswordError as exc:
                raise SourceError(f"{self.path}: the workbook is password-protected") from exc
            except (calamine.CalamineError, zipfile.BadZipFile, OSError, ValueError) as exc:
                raise SourceError(f"{self.path}: cannot read the workbook ({exc})") from exc
            except BaseException as exc:
                if not is_panic(exc):
                    raise
                raise SourceError(f"{self.path}: cannot read the workbook ({exc})") from None
        return self._wb

    def sheets(self) -> list[SheetInfo]:
        return [SheetInfo(s.name, s.visible) for s in self._sheets if s.worksheet]

    def read(self, names: list[str]) -> dict[str, RawSheet]:
        from salessheet.stores.file_safety import fingerprint

        before = fingerprint(self.path)
        out = self._read(names)
        after = fingerprint(self.path)
        if after != before:  # saved while we read: read the new version once more
            self._wb = None
            check_package(self.path)
            self._sheets = self._list_sheets()
            out = self._read(names)
            if fingerprint(self.path) != after:
                raise SourceError(
                    f"{self.path}: the file kept changing while it was being read",
                    hint="run again when nobody is saving it",
                )
        self._fingerprint = after
        _note_marks(self.path, out)
        return out

    def _read(self, names: list[str]) -> dict[str, RawSheet]:
        visible = {s.name: s.visible for s in self.sheets()}
        wanted = [n for n in names if n in visible]
        out: dict[str, RawSheet] = {}
        errors: dict[str, dict[tuple[int, int], CellError] | None] = {}
        cores = usable_cores()
        pieces = _Pieces(ThreadPoolExecutor(max_workers=cores))
        try:
            with zipfile.ZipFile(self.path) as zf:
                ctx = _ReadContext(self, zf, pieces)
                # A big sheet is cut into row ranges that calamine parses on several cores.
                split = self._start_split_reads(ctx, wanted, cores)
                for name in wanted:
                    if name not in split:
                        out[name], errors[name] = self._read_whole(ctx, name, visible[name])
                for name, (cut, size) in split.items():
                    self.pieces_read[name] = len(cut.pieces)
                    if cut.careful:
                        self.careful_read[name] = "; ".join(dict.fromkeys(cut.careful))
                    pieces.users += 1
                    out[name] = sheet = StreamedSheet(
                        name,
                        cut.merged,
                        visible[name],
                        cut.pieces,
                        read_whole=functools.partial(self._reread_whole, name, visible[name]),
                        done=pieces.release,
                        xml_bytes=size,
                    )
                    sheet.unsaved_formulas = cut.unsaved
                    errors[name] = cut.errors
                    if cut.errors:  # error values go in before anyone reads the rows
                        sheet.complete()
                _note_tables(zf, ctx.parts, out)
        except _ZIP_ERRORS as exc:
            raise SourceError(f"{self.path}: damaged workbook package ({exc})") from exc
        finally:
            pieces.release()
        for name, sheet_errors in errors.items():
            if sheet_errors is None:
                continue  # a sheet whose XML was never seen: its error values are unknown
            out[name].error_cells = frozenset(sheet_errors)
            rows = out[name].rows if sheet_errors else []
            for (r, c), err in sheet_errors.items():
                if r < len(rows):
                    row = rows[r]
                    if c >= len(row):
                        row.extend([""] * (c + 1 - len(row)))
                    row[c] = err
        return out

    def _reread_whole(self, name: str, visible: bool) -> list[list[RawValue]]:
        """A cut sheet's rows from one whole read, when a piece could not be parsed."""
        from salessheet.stores.file_safety import fingerprint

        pieces = _Pieces(ThreadPoolExecutor(max_workers=1))
        try:
            with zipfile.ZipFile(self.path) as zf:
                sheet, _ = self._read_whole(_ReadContext(self, zf, pieces), name, visible)
        except _ZIP_ERRORS as exc:
            raise SourceError(f"{self.path}: damaged workbook package ({exc})") from exc
        finally:
            pieces.release()
        if self._fingerprint is not None and fingerprint(self.path) != self._fingerprint:
            raise SourceError(
                f"{self.path}: the file changed while it was being read",
                hint="run again when nobody is saving it",
            )
        return sheet.rows

    def _read_whole(
        self, ctx: _ReadContext, name: str, visible: bool
    ) -> tuple[RawSheet, dict[tuple[int, int], CellError] | None]:
        """One sheet read in one go: scanned, then read by calamine or carefully."""
        try:
            part = ctx.part_of(name)
        except _CalamineOnly:
            rows, merged = self._calamine_whole(name)
            return RawSheet(name, rows, merged, visible), None
        scan = _scan_part(ctx.zf, part, zero_is_unsaved=ctx.placeholders)
        reason = scan.end_piece(from_row_one=True)
        if reason is None:
            try:
                rows, merged = self._calamine_whole(name)
                sheet = RawSheet(name, rows, merged, visible, unsaved_formulas=scan.unsaved)
                return sheet, scan.errors
            except _NotByCalamine as exc:
                reason = str(exc)
        self.careful_read[name] = reason
        careful = ctx.careful(name, part, part_chunks(ctx.zf, part)(), scan.base_width)
        errors = {**scan.errors, **careful.errors}
        sheet = RawSheet(name, careful.rows, careful.merged, visible, unsaved_formulas=scan.unsaved)
        return sheet, errors

    def _calamine_whole(self, name: str) -> tuple[list[list[RawValue]], list[Any]]:
        try:
            sheet = self._workbook().get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            # calamine's values are all RawValues, but lists are invariant: mypy will not take
            # its list[list[int | float | str | ...]] for a list[list[RawValue]]
            return rows, list(sheet.merged_cell_ranges or [])  # type: ignore[return-value]
        except calamine.CalamineError as exc:
            raise _NotByCalamine(str(exc)) from exc  # e.g. a shared string that is not there
        except BaseException as exc:
            if not is_panic(exc):
                raise
            raise _NotByCalamine(f"the reader failed ({exc})") from None

    def _start_split_reads(
        self, ctx: _ReadContext, names: list[str], cores: int
    ) -> dict[str, tuple[Cut, int]]:
        """Cut the big sheets among ``names`` into pieces and start parsing them."""
        pool = ctx.pieces.pool
        started: dict[str, tuple[Cut, int]] = {}
        for i, name in enumerate(names):
            part = ctx.parts.get(name, "")
            if not part:
                continue  # a sheet only calamine could place
            size = ctx.zf.getinfo(part).file_size
            k = piece_count(size, cores)
            if k < 2:
                continue

            def start(
                piece: Path, careful: str | None, name: str = name, part: str = part
            ) -> Future[Piece]:
                if careful is None:
                    return pool.submit(_read_piece, piece, name)
                return pool.submit(ctx.careful_piece, piece, name, part)

            try:
                folder = ctx.pieces.folder() / str(i)
                cut = cut_sheet(
                    ctx.zf,
                    part,
                    k,
                    ctx.shared(),
                    folder,
                    start,
                    ctx.label(name),
                    zero_is_unsaved=ctx.placeholders,
                )
                started[name] = (cut, size)
            except (NotCuttable, OSError):
                # unusual XML, or no usable temp folder or room in it for the pieces: read
                # this sheet whole
                continue
        return started

    def formula_columns(self, sheet: str, first_row: int) -> frozenset[int]:
        part = next((s.part for s in self._sheets if s.name == sheet), "")
        if not part:
            return frozenset()  # a sheet only calamine could place: its XML is not known
        try:
            with zipfile.ZipFile(self.path) as zf:
                xml = read_part(zf, part, self.path)
        except _ZIP_ERRORS as exc:
            raise SourceError(f"{self.path}: damaged workbook package ({exc})") from exc
        return frozenset(formula_columns_in(xml, first_row))

    def plan(self, batch: WriteBatch) -> dict[str, bytes]:
        """The zip parts a write would change (empty: nothing would change)."""
        from salessheet.stores.xlsx.patch import plan_patch

        return plan_patch(self.path, batch.cells, batch.sheets)

    def write(self, batch: WriteBatch) -> WriteReport:
        from salessheet.stores.file_safety import fingerprint
        from salessheet.stores.xlsx.patch import patch_xlsx

        if batch.is_empty():
            return WriteReport(unchanged=True)
        read_fp = self._fingerprint or fingerprint(self.path)
        return patch_xlsx(self.path, read_fp, batch.cells, batch.sheets)


class _ReadContext:
    """What one read of the package shares: the open zip, the sheets' parts, the parts a piece
    needs (read once, when first needed), and the temp folder."""

    def __init__(self, store: XlsxStore, zf: zipfile.ZipFile, pieces: _Pieces):
        self.store, self.zf, self.pieces = store, zf, pieces
        self.parts = {s.name: s.part for s in store._sheets}
        self._shared: list[tuple[str, bytes]] | None = None
        self._strings_part: str | None = None
        self._strings: int | None = None
        self._n = 0
        # xlsxwriter's workbooks: each formula's saved 0 is a placeholder, not its result
        self.placeholders = results_are_placeholders(zf)

    def label(self, name: str) -> str:
        return f"{self.store.path}, sheet {name!r}"

    def shared(self) -> list[tuple[str, bytes]]:
        if self._shared is None:
            names, self._strings_part = reader_parts(self.zf)
            self._shared = [(n, read_part(self.zf, n, self.store.path)) for n in names]
        return self._shared

    def strings(self) -> int:
        """How many shared strings the workbook has (counted only for a careful read)."""
        if self._strings is None:
            shared = dict(self.shared())
            part = self._strings_part
            self._strings = sst_count(shared.get(part)) if part else 0
        return self._strings

    def part_of(self, name: str) -> str:
        part = self.parts.get(name, "")
        if part:
            return part
        # calamine placed this sheet, workbook.xml did not: it is read whole by calamine only
        # when no worksheet of the package has cells far apart or values calamine misreads
        for info in self.zf.infolist():
            if info.filename.endswith(".xml") and not info.is_dir():
                head = read_head(self.zf, info.filename)
                if b"worksheet" in head:
                    reason = _scan_part(self.zf, info.filename).end_piece(from_row_one=True)
                    if reason is not None:
                        raise SourceError(
                            f"{self.store.path}: the sheet list cannot be read and "
                            f"{info.filename} cannot be read safely ({reason})"
                        )
        raise _CalamineOnly(name)

    def careful(
        self, name: str, part: str, chunks: Iterator[bytes], usual_width: int
    ) -> CarefulSheet:
        shared = self.shared()
        self._n += 1
        return read_carefully(
            chunks,
            label=self.label(name),
            sheet_name=name,
            shared=shared,
            part=part,
            folder=self.pieces.folder() / f"careful-{self._n}",
            xml_bytes=self.zf.getinfo(part).file_size,
            from_row_one=True,
            shared_string_count=self.strings(),
            read_rows=_calamine_grid,
            usual_width=usual_width,
        )

    def careful_piece(self, piece: Path, name: str, part: str) -> Piece:
        """A piece of a cut sheet that calamine must not get as it is, read carefully; in the
        form ``_read_piece`` gives (start, end, rows, merged, ragged)."""
        with zipfile.ZipFile(piece) as zf:
            got = read_carefully(
                part_chunks(zf, part)(),
                label=self.label(name),
                sheet_name=name,
                shared=self.shared(),
                part=part,
                folder=piece.with_suffix(".careful"),
                xml_bytes=zf.getinfo(part).file_size,
                from_row_one=False,
                shared_string_count=self.strings(),
                read_rows=_calamine_grid,
            )
        if not got.rows:
            return None, None, [], got.merged, True
        last = got.first_row + len(got.rows) - 1
        return (
            (got.first_row, 0),
            (last, max(got.width, 1) - 1),
            got.rows,
            got.merged,
            not got.padded,
        )


class _NotByCalamine(Exception):
    """calamine refused (or failed on) a sheet the scan passed."""


class _CalamineOnly(Exception):
    """A sheet whose part is unknown; only calamine can read it (whole)."""


def read_head(zf: zipfile.ZipFile, name: str, n: int = 4096) -> bytes:
    with zf.open(name) as src:
        return src.read(n)


def _scan_part(zf: zipfile.ZipFile, part: str, *, zero_is_unsaved: bool = False) -> SheetScan:
    """A sheet part fed through a SheetScan (not yet judged)."""
    scan: SheetScan | None = None
    for block in part_chunks(zf, part)():
        if scan is None:
            scan = SheetScan(worksheet_prefix(block[:65536]), zero_is_unsaved=zero_is_unsaved)
        scan.feed(block)
    return scan or SheetScan()


def _calamine_grid(path: Path, name: str) -> tuple[tuple[int, int] | None, list[list[RawValue]]]:
    """calamine's (start, rows) of sheet ``name`` in the (small, checked) workbook at ``path``."""
    wb = calamine.CalamineWorkbook.from_path(str(path))
    try:
        sheet = wb.get_sheet_by_name(name)
        # (list[list[RawValue]]: see _calamine_whole)
        return sheet.start, sheet.to_python(skip_empty_area=True)  # type: ignore[return-value]
    except BaseException as exc:
        if is_panic(exc):
            raise RuntimeError(f"the reader failed ({exc})") from None
        raise
    finally:
        wb.close()


class _Pieces:
    """The thread pool and temp folder the pieces of cut sheets use; freed when the last user
    (the read itself, then each cut sheet once its last piece is in) lets go."""

    def __init__(self, pool: ThreadPoolExecutor):
        self.pool = pool
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.users = 1

    def folder(self) -> Path:
        """The private temp folder, made when first needed (OSError: none usable)."""
        if self._tmp is None:
            self._tmp = make_read_folder()
        return Path(self._tmp.name)

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            self.pool.shutdown(wait=True, cancel_futures=True)
            if self._tmp is not None:
                self._tmp.cleanup()


def _note_tables(zf: zipfile.ZipFile, parts: dict[str, str], sheets: dict[str, RawSheet]) -> None:
    """The totals rows of the Excel tables on the sheets read (tables.py)."""
    lower = {n.lower(): n for n in zf.NameToInfo}

    def find(name: str) -> str | None:
        return name if name in zf.NameToInfo else lower.get(name.lower())

    def read(name: str) -> bytes:
        return read_part(zf, name, zf.filename)

    for name, sheet in sheets.items():
        if parts.get(name):
            sheet.totals_rows = [
                r for t in sheet_tables(find, read, parts[name]) for r in t.totals()
            ]


def _note_marks(path: Path, sheets: dict[str, RawSheet]) -> None:
    """Which of the sheets read carry salessheet's ownership mark (markers.py)."""
    from salessheet.stores.xlsx.markers import marked_in_file

    marked = marked_in_file(path)
    for sheet in sheets.values():
        sheet.marked = sheet.name in marked


def _read_piece(path: Path, name: str) -> Piece:
    """(start, end, rows, merged ranges) of one piece of a cut sheet."""
    wb = calamine.CalamineWorkbook.from_path(str(path))
    try:
        sheet = wb.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=True)
        return sheet.start, sheet.end, rows, list(sheet.merged_cell_ranges or [])
    except BaseException as exc:
        if is_panic(exc):  # a BaseException: make it one the joiner falls back on
            raise RuntimeError(f"the reader failed ({exc})") from None
        raise
    finally:
        wb.close()
