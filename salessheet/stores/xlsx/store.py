"""The xlsx/xlsm store: fast reads with python-calamine, no-loss writes by patching the zip."""

from __future__ import annotations

import functools
import tempfile
import zipfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import python_calamine as calamine

from salessheet.core.cells import CellError, RawSheet, SheetInfo
from salessheet.core.errors import SourceError
from salessheet.stores.base import WriteBatch, WriteReport
from salessheet.stores.xlsx.parts import SheetEntry, error_cells, workbook_sheets
from salessheet.stores.xlsx.split import (
    Cut,
    NotCuttable,
    StreamedSheet,
    cut_sheet,
    piece_count,
    usable_cores,
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_is_xlsx(path: Path) -> None:
    """Refuse, with a clear message, a file that is not what its name says."""
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path}: is a folder, not a workbook")
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            rest = fh.read(1 << 20) if head == OLE_MAGIC else b""
    except OSError as exc:
        raise SourceError(f"{path}: cannot open the file ({exc.strerror})") from exc
    if head == OLE_MAGIC:
        if "EncryptionInfo".encode("utf-16-le") in rest:
            raise SourceError(
                f"{path}: the workbook is password-protected (encrypted)",
                hint="open it in Excel, remove the password (File › Info › Protect Workbook), "
                "save, and run again",
            )
        raise SourceError(
            f"{path}: this is a legacy Excel 97-2003 .xls file, not {path.suffix}",
            hint="open it in Excel or LibreOffice and save it as .xlsx",
        )
    if not head.startswith(b"PK"):
        raise SourceError(
            f"{path}: not an Excel workbook (the file is not a zip package)",
            hint="if it is a CSV file, give it a .csv name",
        )


class XlsxStore:
    kind = "xlsx"
    writable = True

    def __init__(self, source: str):
        self.source = source
        self.path = Path(source)
        self.locale: str | None = None
        self.timezone: str | None = None
        check_is_xlsx(self.path)
        self._fingerprint = None
        self._wb: calamine.CalamineWorkbook | None = None  # opened when a sheet is read whole
        self._sheets = self._list_sheets()
        self.pieces_read: dict[str, int] = {}  # sheet -> pieces it was cut into (absent: whole)

    def _list_sheets(self) -> list[SheetEntry]:
        try:
            with zipfile.ZipFile(self.path) as zf:
                found = workbook_sheets(zf)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceError(f"{self.path}: cannot read the workbook ({exc})") from exc
        except (KeyError, SyntaxError, ValueError):
            found = []
        if found:
            return found
        # an unusual package layout: calamine's list (these sheets are always read whole)
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
        parts = {s.name: s.part for s in self._sheets}
        wanted = [n for n in names if n in visible]
        out: dict[str, RawSheet] = {}
        errors: dict[str, dict[tuple[int, int], CellError]] = {}
        cores = usable_cores()
        pieces = _Pieces(ThreadPoolExecutor(max_workers=cores))
        try:
            # A big sheet is cut into row ranges that calamine parses on several cores at once.
            split = self._start_split_reads(wanted, parts, cores, pieces)
            whole = [n for n in wanted if n not in split]
            # calamine does not tell an error value (#N/A) from text; the sheet XML does. Scan
            # it in another thread (zlib releases the GIL) while calamine parses.
            scan_names = whole + [n for n, cut in split.items() if cut.has_errors]
            with ThreadPoolExecutor(max_workers=1) as scanner:
                scan = scanner.submit(self._scan_errors, scan_names) if scan_names else None
                for name in whole:
                    out[name] = self._read_whole(name, visible[name])
                for name, cut in split.items():
                    self.pieces_read[name] = len(cut.pieces)
                    pieces.users += 1
                    out[name] = sheet = StreamedSheet(
                        name,
                        cut.merged,
                        visible[name],
                        cut.pieces,
                        read_whole=functools.partial(self._reread_whole, name, visible[name]),
                        done=pieces.release,
                    )
                    if cut.has_errors:  # error values go in before anyone reads the rows
                        sheet.complete()
                if scan is not None:
                    errors.update(scan.result())
        finally:
            pieces.release()
        for name, sheet_errors in errors.items():
            out[name].error_cells = frozenset(sheet_errors)
            rows = out[name].rows if sheet_errors else []
            for (r, c), err in sheet_errors.items():
                if r < len(rows):
                    row = rows[r]
                    if c >= len(row):
                        row.extend([""] * (c + 1 - len(row)))
                    row[c] = err
        return out

    def _reread_whole(self, name: str, visible: bool) -> list:
        """A cut sheet's rows from one whole read, when a piece could not be parsed."""
        from salessheet.stores.file_safety import fingerprint

        rows = self._read_whole(name, visible).rows
        if self._fingerprint is not None and fingerprint(self.path) != self._fingerprint:
            raise SourceError(
                f"{self.path}: the file changed while it was being read",
                hint="run again when nobody is saving it",
            )
        return rows

    def _read_whole(self, name: str, visible: bool) -> RawSheet:
        try:
            sheet = self._workbook().get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = list(sheet.merged_cell_ranges or [])
        except calamine.CalamineError as exc:
            # e.g. "Unsupported cell error value '#SPILL!'": read this sheet the slow way
            rows, merged = _fallback_read(self.path, name, exc)
        return RawSheet(name, rows, merged, visible)

    def _start_split_reads(
        self, names: list[str], parts: dict[str, str], cores: int, pieces: _Pieces
    ) -> dict[str, Cut]:
        """Cut the big sheets among ``names`` into pieces and start parsing them."""
        pool = pieces.pool
        started: dict[str, Cut] = {}
        try:
            with zipfile.ZipFile(self.path) as zf:
                for i, name in enumerate(names):
                    part = parts[name]
                    if not part:
                        continue  # a sheet only calamine could place
                    k = piece_count(zf.getinfo(part).file_size, cores)
                    if k < 2:
                        continue
                    others = set(parts.values()) - {part}

                    def start(piece: Path, name: str = name) -> Future:
                        return pool.submit(_read_piece, piece, name)

                    try:
                        folder = pieces.folder() / str(i)
                        started[name] = cut_sheet(zf, part, k, others, folder, start)
                    except (NotCuttable, OSError, EOFError, zlib.error, zipfile.BadZipFile):
                        # unusual XML, a damaged part (the whole read reports it), or no
                        # usable temp folder or room in it for the pieces: read this sheet whole
                        continue
        except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{self.path}: damaged workbook package ({exc})") from exc
        return started

    def _scan_errors(self, names: list[str]) -> dict[str, dict[tuple[int, int], CellError]]:
        try:
            with zipfile.ZipFile(self.path) as zf:
                parts = {s.name: s.part for s in self._sheets if s.part in zf.NameToInfo}
                return {n: error_cells(zf.read(parts[n])) for n in names if n in parts}
        except (KeyError, zipfile.BadZipFile, OSError) as exc:
            raise SourceError(f"{self.path}: damaged workbook package ({exc})") from exc

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


class _Pieces:
    """The thread pool and temp folder the pieces of cut sheets use; freed when the last user
    (the read itself, then each cut sheet once its last piece is in) lets go."""

    def __init__(self, pool: ThreadPoolExecutor):
        self.pool = pool
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.users = 1

    def folder(self) -> Path:
        """The private temp folder, made when the first sheet is cut (OSError: none usable)."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(
                prefix="salessheet-read-", ignore_cleanup_errors=True
            )
        return Path(self._tmp.name)

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            self.pool.shutdown(wait=True, cancel_futures=True)
            if self._tmp is not None:
                self._tmp.cleanup()


def _note_marks(path: Path, sheets: dict[str, RawSheet]) -> None:
    """Which of the sheets read carry salessheet's ownership mark (markers.py)."""
    from salessheet.stores.xlsx.markers import marked_in_file

    marked = marked_in_file(path)
    for sheet in sheets.values():
        sheet.marked = sheet.name in marked


def _read_piece(path: Path, name: str) -> tuple:
    """(start, end, rows, merged ranges) of one piece of a cut sheet."""
    wb = calamine.CalamineWorkbook.from_path(str(path))
    try:
        sheet = wb.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=True)
        return sheet.start, sheet.end, rows, list(sheet.merged_cell_ranges or [])
    finally:
        wb.close()


def _fallback_read(path: Path, name: str, why: Exception) -> tuple[list, list]:
    from salessheet.stores.xlsx.openpyxl_io import read_sheet_openpyxl

    return read_sheet_openpyxl(path, name, why)
