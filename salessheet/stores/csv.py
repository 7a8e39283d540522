"""The CSV store: a read-only source. Tool-owned sheets (ledger, findings, forecast snapshots,
register) go to sidecar files beside it: ``pipeline.salessheet-history.csv`` and so on.

A CSV file can carry no mark: a sidecar is the tool's by its name and its header row (see
salessheet.history.ownership; its ``marked`` is None, "cannot tell"), so a file of someone
else's at that path with another header is refused rather than replaced."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from salessheet.core.cells import RawSheet, SheetInfo
from salessheet.core.errors import SourceError, WriteRefused
from salessheet.core.owned import OWNED_SHEETS
from salessheet.stores.base import WriteBatch, WriteReport


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), GB18030 (Chinese Excel exports) or cp1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # GB2312/GBK text is mostly pairs of bytes >= 0xA1; cp1252 accents stand alone.
    high = paired = 0
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b >= 0x80:
            high += 1
            if i + 1 < n and b >= 0x81 and data[i + 1] >= 0x40 and data[i + 1] != 0x7F:
                if b >= 0xA1 and data[i + 1] >= 0xA1:
                    paired += 1
                i += 2
                continue
        i += 1
    if high and paired / high >= 0.8:
        try:
            data.decode("gb18030")
            return "gb18030"
        except UnicodeDecodeError:
            pass
    return "cp1252"


def sidecar_path(source: Path, sheet_name: str) -> Path:
    slug = sheet_name.replace("salessheet ", "").replace(" ", "-")
    return source.with_name(f"{source.stem}.salessheet-{slug}.csv")


def read_csv_rows(path: Path) -> list[list[str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the file ({exc.strerror})") from exc
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceError(
            f"{path}: this is an Excel workbook, not a CSV file",
            hint="give it an .xlsx (or .xls → save as .xlsx) name",
        )
    enc = detect_encoding(data)
    text = data.decode(enc, errors="strict" if enc != "cp1252" else "replace")
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


class CsvStore:
    kind = "csv"
    writable = True  # sidecar files only; the CSV itself is never written

    def __init__(self, source: str):
        self.source = source
        self.path = Path(source)
        self.locale: str | None = None
        self.timezone: str | None = None
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file")
        self.sheet_name = self.path.stem

    def sheets(self) -> list[SheetInfo]:
        out = [SheetInfo(self.sheet_name)]
        for name in OWNED_SHEETS:
            if sidecar_path(self.path, name).exists():
                out.append(SheetInfo(name, visible=False))
        return out

    def read(self, names: list[str]) -> dict[str, RawSheet]:
        out: dict[str, RawSheet] = {}
        for name in names:
            if name == self.sheet_name:
                rows: list[list] = read_csv_rows(self.path)  # type: ignore[assignment]
                out[name] = RawSheet(name, rows, error_cells=frozenset())  # CSV has no errors
            else:
                side = sidecar_path(self.path, name)
                if side.exists():
                    out[name] = RawSheet(name, read_csv_rows(side), visible=False)  # type: ignore[arg-type]
        return out

    def write(self, batch: WriteBatch) -> WriteReport:
        report = WriteReport()
        for sheet in batch.sheets:
            target = sidecar_path(self.path, sheet.name)
            buf = io.StringIO(newline="")
            writer = csv.writer(buf, lineterminator="\n")
            for row in sheet.rows:
                writer.writerow(["" if v is None else str(v) for v in row])
            data = buf.getvalue().encode("utf-8")
            if target.exists() and target.read_bytes() == data:
                continue
            _atomic_write(target, data)
            report.written_sheets.append(str(target))
        report.unchanged = not report.written_sheets
        return report


def _atomic_write(target: Path, data: bytes) -> None:
    from salessheet.core.files import write_atomic

    try:
        write_atomic(target, data)
    except OSError as exc:
        raise WriteRefused(f"{target}: cannot write beside the CSV ({exc.strerror})") from exc
