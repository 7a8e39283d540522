"""The xlsx/xlsm store: fast reads with python-calamine, no-loss writes by patching the zip."""

from __future__ import annotations

import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import python_calamine as calamine

from salessheet.cells import CellError, RawSheet, SheetInfo
from salessheet.errors import SourceError
from salessheet.stores.base import WriteBatch, WriteReport
from salessheet.stores.xlsx_parts import error_cells, sheet_parts

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
        try:
            self._wb = calamine.CalamineWorkbook.from_path(str(self.path))
        except calamine.PasswordError as exc:
            raise SourceError(f"{self.path}: the workbook is password-protected") from exc
        except (calamine.CalamineError, zipfile.BadZipFile, OSError, ValueError) as exc:
            raise SourceError(f"{self.path}: cannot read the workbook ({exc})") from exc

    def sheets(self) -> list[SheetInfo]:
        return [
            SheetInfo(m.name, m.visible == calamine.SheetVisibleEnum.Visible)
            for m in self._wb.sheets_metadata
            if m.typ == calamine.SheetTypeEnum.WorkSheet
        ]

    def read(self, names: list[str]) -> dict[str, RawSheet]:
        from salessheet.stores.file_safety import fingerprint

        before = fingerprint(self.path)
        out = self._read(names)
        after = fingerprint(self.path)
        if after != before:  # saved while we read: read the new version once more
            self._wb = calamine.CalamineWorkbook.from_path(str(self.path))
            out = self._read(names)
            if fingerprint(self.path) != after:
                raise SourceError(
                    f"{self.path}: the file kept changing while it was being read",
                    hint="run again when nobody is saving it",
                )
        self._fingerprint = after
        return out

    def _read(self, names: list[str]) -> dict[str, RawSheet]:
        visible = {s.name: s.visible for s in self.sheets()}
        out: dict[str, RawSheet] = {}
        wanted = [n for n in names if n in visible]
        # calamine does not tell an error value (#N/A) from text; the sheet XML does. Scan it in
        # a second thread (zlib releases the GIL) while calamine parses.
        with ThreadPoolExecutor(max_workers=1) as pool:
            scan = pool.submit(self._scan_errors, wanted)
            for name in wanted:
                try:
                    sheet = self._wb.get_sheet_by_name(name)
                    rows = sheet.to_python(skip_empty_area=False)
                    merged = list(sheet.merged_cell_ranges or [])
                except calamine.CalamineError as exc:
                    # e.g. "Unsupported cell error value '#SPILL!'": read this sheet the slow way
                    rows, merged = _fallback_read(self.path, name, exc)
                out[name] = RawSheet(name, rows, merged, visible[name])
            errors = scan.result()
        for name, sheet_errors in errors.items():
            out[name].error_cells = frozenset(sheet_errors)
            rows = out[name].rows
            for (r, c), err in sheet_errors.items():
                if r < len(rows):
                    row = rows[r]
                    if c >= len(row):
                        row.extend([""] * (c + 1 - len(row)))
                    row[c] = err
        return out

    def _scan_errors(self, names: list[str]) -> dict[str, dict[tuple[int, int], CellError]]:
        try:
            with zipfile.ZipFile(self.path) as zf:
                parts = sheet_parts(zf)
                return {n: error_cells(zf.read(parts[n])) for n in names if n in parts}
        except (KeyError, zipfile.BadZipFile, OSError) as exc:
            raise SourceError(f"{self.path}: damaged workbook package ({exc})") from exc

    def plan(self, batch: WriteBatch) -> dict[str, bytes]:
        """The zip parts a write would change (empty: nothing would change)."""
        from salessheet.stores.xlsx_patch import plan_patch

        return plan_patch(self.path, batch.cells, batch.sheets)

    def write(self, batch: WriteBatch) -> WriteReport:
        from salessheet.stores.file_safety import fingerprint
        from salessheet.stores.xlsx_patch import patch_xlsx

        if batch.is_empty():
            return WriteReport(unchanged=True)
        read_fp = self._fingerprint or fingerprint(self.path)
        return patch_xlsx(self.path, read_fp, batch.cells, batch.sheets)


def _fallback_read(path: Path, name: str, why: Exception) -> tuple[list, list]:
    from salessheet.stores.xlsx_openpyxl import read_sheet_openpyxl

    return read_sheet_openpyxl(path, name, why)
