"""The CSV store: a read-only source. Tool-owned sheets (ledger, findings, forecast snapshots,
register) go to sidecar files beside it: ``pipeline.salessheet-history.csv`` and so on.

A CSV file can carry no mark: a sidecar is the tool's by its name and its header row (see
salessheet.history.ownership; its ``marked`` is None, "cannot tell"), so a file of someone
else's at that path with another header is refused rather than replaced.

The text encoding is detected (UTF-8 with or without BOM, UTF-16, UTF-32, GB18030, cp1252); a
file that mixes encodings (UTF-8 lines next to lines in a legacy code page, as concatenated
exports give) is refused rather than decoded into mojibake.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import threading
from collections import Counter
from pathlib import Path

from salessheet.core.cells import RawSheet, RawValue, SheetInfo, col_letter
from salessheet.core.errors import SourceError, WriteRefused
from salessheet.core.files import read_error_hint
from salessheet.core.owned import OWNED_SHEETS
from salessheet.stores.base import WriteBatch, WriteReport
from salessheet.stores.file_safety import regular_file

# The longest field read. Excel holds at most 32,767 characters in a cell, Google Sheets 50,000,
# Salesforce long text areas 131,072 (Python's csv default limit, exactly); doubled quotes and
# HTML in rich-text exports add to that. A longer field is almost always an unclosed quote
# swallowing the rest of the file, and is refused naming its row and column.
MAX_FIELD_CHARS = 1 << 20
# A whole Excel sheet (1,048,576 rows x 20 columns) exported as CSV is ~100-200 MB.
MAX_CSV_BYTES = 1 << 30
_FIELD_LIMIT = threading.Lock()  # csv.field_size_limit is process-wide: set it under a lock


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 or UTF-32 (with a BOM, or UTF-16 without),
    GB18030 (Chinese Excel exports) or cp1252. Raises
    MixedEncoding when some lines are UTF-8 and others are not."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    bare = _bare_utf16(data[:4096])
    if bare is not None:
        return bare
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    enc = "gb18030" if _looks_gb(data) else "cp1252"
    _refuse_mixed(data, enc)
    return enc


def _bare_utf16(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark (some exporters write none): text in Latin letters
    then has a NUL byte beside every character, after it (little-endian) or before it."""
    if len(head) < 8 or head.count(0) < len(head) // 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.6 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.6 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _looks_gb(data: bytes) -> bool:
    """GB2312/GBK text is mostly pairs of bytes >= 0xA1; cp1252 accents stand alone."""
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
    if not high or paired / high < 0.8:
        return False
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


class MixedEncoding(ValueError):
    def __init__(self, utf8_line: int, other_line: int, other: str):
        super().__init__(f"line {utf8_line} is UTF-8, line {other_line} is not")
        self.utf8_line, self.other_line, self.other = utf8_line, other_line, other


# Characters real text brings in UTF-8: Latin-1 and Latin Extended-A letters, punctuation and
# currency signs, CJK, kana, hangul, fullwidth forms. Bytes of a legacy code page that happen
# to be valid UTF-8 decode mostly to other characters (IPA, Armenian, NKo...).
_PLAUSIBLE = (
    (0xA0, 0x17F),
    (0x2010, 0x20CF),
    (0x3000, 0x30FF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xFF00, 0xFFEF),
)


def _plausible(text: str) -> bool:
    high = [ord(ch) for ch in text if ord(ch) >= 0x80]
    return bool(high) and all(any(a <= c <= b for a, b in _PLAUSIBLE) for c in high)


def _refuse_mixed(data: bytes, legacy: str) -> None:
    """Raise MixedEncoding when the file (not valid UTF-8 as a whole) has lines that are
    plainly UTF-8 text (non-ASCII, valid, plausible) next to lines that are not UTF-8."""
    utf8_line = other_line = 0
    for n, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            if not other_line:
                other_line = n
                legacy = "gb18030" if _looks_gb(line) else legacy
        else:
            # in a GB18030 file, a short line can be valid UTF-8 by chance: ask for two
            # characters of real text
            if _plausible(text) and (legacy != "gb18030" or sum(ord(c) >= 0x80 for c in text) >= 2):
                utf8_line = utf8_line or n
        if utf8_line and other_line:
            raise MixedEncoding(utf8_line, other_line, legacy)


def sidecar_path(source: Path, sheet_name: str) -> Path:
    slug = sheet_name.replace("salessheet ", "").replace(" ", "-")
    return source.with_name(f"{source.stem}.salessheet-{slug}.csv")


def _check_regular(path: Path) -> os.stat_result:
    return regular_file(path, "a CSV file")


def read_csv_rows(path: Path) -> list[list[RawValue]]:
    """The rows of a CSV file as text (a sheet's raw rows: every value a ``str``)."""
    st = _check_regular(path)
    if st.st_size > MAX_CSV_BYTES:
        raise SourceError(
            f"{path}: the file is {st.st_size / (1 << 30):.1f} GB; salessheet reads CSV files "
            f"of up to {MAX_CSV_BYTES >> 30} GB",
            hint="a whole Excel sheet exported as CSV is 100-200 MB: is this the right file?",
        )
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_CSV_BYTES + 1)
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot read the file ({exc.strerror})", hint=read_error_hint(path, exc)
        ) from exc
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceError(
            f"{path}: this is an Excel workbook, not a CSV file",
            hint="give it an .xlsx (or .xls → save as .xlsx) name",
        )
    try:
        enc = detect_encoding(data)
    except MixedEncoding as exc:
        legacy = "GB18030/GBK" if exc.other == "gb18030" else "a Windows code page (cp1252)"
        raise SourceError(
            f"{path}: the file mixes text encodings: line {exc.utf8_line} is UTF-8, line "
            f"{exc.other_line} is not (it looks like {legacy}); salessheet will not guess "
            "which characters were meant",
            hint="open it in a text editor or Excel and save the whole file as UTF-8 "
            "(Excel: CSV UTF-8)",
        ) from None
    try:
        text = data.decode(enc, errors="strict" if enc != "cp1252" else "replace")
    except UnicodeDecodeError as exc:  # a byte-order mark, then bytes in another encoding
        if enc == "utf-16":
            raise SourceError(
                f"{path}: the file says it is UTF-16 (it starts with a byte-order mark) but its "
                f"bytes from {exc.start:,} on are not: it is damaged or mixes text encodings",
                hint="open it in a text editor or Excel and save it again as UTF-8",
            ) from None
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            f"{path}: the file says it is {enc.upper().replace('-SIG', '')} (it starts with a "
            f"byte-order mark) but line {line} is not: it mixes text encodings",
            hint="open it in a text editor or Excel and save the whole file as UTF-8 "
            "(Excel: CSV UTF-8)",
        ) from None
    del data
    delimiter = _delimiter(text[:65536])
    with _FIELD_LIMIT:
        before = csv.field_size_limit(MAX_FIELD_CHARS)
        try:
            rows: list[list[RawValue]] = []
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            try:
                # csv yields list[str] rows: every str is a RawValue, but lists are invariant,
                # so mypy will not take a list[str] for a list[RawValue]
                rows.extend(reader)  # type: ignore[arg-type]
            except csv.Error as exc:
                if "field larger than field limit" not in str(exc):
                    raise SourceError(f"{path}: line {reader.line_num}: {exc}") from None
                raise _long_field(path, text, delimiter, len(rows), reader.line_num) from None
        finally:
            csv.field_size_limit(before)
    _refuse_swallowed_rows(path, rows, delimiter)
    return rows


def _refuse_swallowed_rows(path: Path, rows: list[list[RawValue]], delimiter: str) -> None:
    """Refuse a cell that holds two or more lines reading as whole rows of the table: a quote
    opened there was not closed where it should have been, and the rows after it would be read
    as one cell (deals dropped without a word). A note's own line breaks hold no such lines."""
    width = len(rows[0]) if rows else 0
    if width < 3:
        return
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if not isinstance(value, str) or "\n" not in value:
                continue
            lines = value.splitlines()[1:]
            whole = [
                ln for ln in lines if len(next(csv.reader([ln], delimiter=delimiter))) == width
            ]
            if len(whole) >= 2:
                first = value.splitlines()[0]
                raise SourceError(
                    f"{path}: row {r + 1}, column {col_letter(c + 1)}: the quote that opens "
                    f"{first[:40]!r} is not closed where the cell ends, so the {len(lines)} lines "
                    f"after it ({len(whole)} of them whole rows, from {whole[0][:40]!r}) would "
                    "be read as one cell",
                    hint="close the quote in that cell (or remove it) and save the file again",
                )


DELIMITERS = ",;\t|"


def _delimiter(sample: str) -> str:
    """The sample's delimiter: the one its first line (the header, as exports write it) holds
    at least twice and twice as often as any other; else csv's sniffer; else (it gives up on
    quoted cells that hold line breaks, as exported notes do) the one that cuts the most records
    into the same number of fields, more than one (a comma where none does). The header comes
    first: a long note full of commas in a ';' export made the sniffer say ','."""
    first = sample.lstrip("\ufeff").split("\n", 1)[0]
    counts = sorted(((first.count(d), d) for d in DELIMITERS), reverse=True)
    if counts[0][0] >= 2 and counts[0][0] >= 2 * counts[1][0]:
        return counts[0][1]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    best, best_score = ",", (0, 0)
    for d in DELIMITERS:
        try:
            records = list(itertools.islice(csv.reader(io.StringIO(sample), delimiter=d), 50))
        except csv.Error:
            continue
        if len(records) > 1:  # the last record of a sample may be cut short
            records = records[:-1]
        widths = Counter(len(r) for r in records if len(r) > 1)
        if widths:
            width, count = widths.most_common(1)[0]
            if (count, width) > best_score:
                best, best_score = d, (count, width)
    return best


def _long_field(path: Path, text: str, delimiter: str, record: int, line: int) -> SourceError:
    """The error for a field over MAX_FIELD_CHARS, naming its row and column (the record is
    parsed once more, without a limit, to find them)."""
    from salessheet.core.cells import col_letter

    csv.field_size_limit(len(text) + 1)
    where = f"row {record + 1}"
    for i, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
        if i == record:
            for c, value in enumerate(row, start=1):
                if len(value) > MAX_FIELD_CHARS:
                    where = f"row {record + 1}, column {col_letter(c)}, {len(value):,} characters"
                    break
            break
    return SourceError(
        f"{path}: {where} (from line {line}): a field longer than {MAX_FIELD_CHARS:,} "
        "characters; no spreadsheet cell holds that much",
        hint='a quote (") that opens a field and is never closed makes the rest of the file '
        "one field: look for it on that line",
    )


class CsvStore:
    kind = "csv"
    writable = True  # sidecar files only; the CSV itself is never written
    checks_rows = False

    def __init__(self, source: str):
        self.source = source
        self.path = Path(source)
        self.locale: str | None = None
        self.timezone: str | None = None
        _check_regular(self.path)
        self.sheet_name = self.path.stem

    def sheets(self) -> list[SheetInfo]:
        """The CSV itself, then each sidecar beside it: the tool's own (history, findings ...)
        and the team's (``deals.salessheet-Line-Items.csv`` is the sheet ``Line Items``, for
        quotes; ``deals.salessheet-Products.csv`` the price list). Sidecars are never taken for
        the pipeline (hidden)."""
        out = [SheetInfo(self.sheet_name)]
        owned = {sidecar_path(self.path, name).name: name for name in OWNED_SHEETS}
        prefix = f"{self.path.stem}.salessheet-"
        try:
            beside = sorted(p.name for p in self.path.parent.iterdir())
        except OSError:
            beside = []
        for file in beside:
            if not (file.startswith(prefix) and file.endswith(".csv")) or file == self.path.name:
                continue
            name = owned.get(file) or file[len(prefix) : -len(".csv")].replace("-", " ")
            if name and sidecar_path(self.path, name).name == file:
                out.append(SheetInfo(name, visible=False))
        return out

    def place(self, name: str) -> str:
        """Where the sheet ``name`` lives, for messages: its sidecar file."""
        return f"file {sidecar_path(self.path, name).name} beside {self.path.name}"

    def read(self, names: list[str]) -> dict[str, RawSheet]:
        out: dict[str, RawSheet] = {}
        for name in names:
            if name == self.sheet_name:
                rows = read_csv_rows(self.path)
                out[name] = RawSheet(name, rows, error_cells=frozenset())  # CSV has no errors
            else:
                side = sidecar_path(self.path, name)
                if side.exists():
                    out[name] = RawSheet(name, read_csv_rows(side), visible=False)
        return out

    def formula_columns(self, sheet: str, first_row: int) -> frozenset[int]:
        return frozenset()  # a CSV holds no formulas

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
