"""Limits on what a workbook's zip package may make us inflate, decided from its directory
before anything is inflated, and enforced again while inflating (a directory can lie).

A workbook is a zip file; a hostile or broken one can promise little and inflate to gigabytes
(a "zip bomb": a few MB of compressed whitespace, entries that overlap so one compressed stream
is counted many times, a shared-strings part of millions of strings). Every limit here is far
above what a real workbook reaches, and a package over one is refused with a SourceError (exit
2) that names the file and the limit, before any temp file is made.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import BinaryIO

from salessheet.core.errors import SourceError

# The largest real workbook is a full Excel sheet: 1,048,576 rows x 20 columns is a ~105 MB file
# whose sheet XML inflates to ~700 MB (plus a shared-strings part of up to a few hundred MB).
# Every limit leaves room for that case and refuses what only a zip bomb does.
MAX_TOTAL_INFLATED = 2 << 30  # 2 GiB: the full sheet (~0.7 GB) with all its parts, ~3x over
MAX_PART_INFLATED = 1 << 30  # 1 GiB per part: ~1.5x the largest real sheet
# Deflate inflates at most ~1030:1 (a run of one byte). Real parts compress 4-40:1 (corpus
# maximum 39:1, a pivot cache; a million formatted empty rows 28:1; a 100k-deal sheet 14:1).
MAX_RATIO = 200  # 5x the most compressible real part
RATIO_FROM_BYTES = 8 << 20  # small parts may be more compressible; they cannot add up to much
MAX_ENTRIES = 10_000  # real workbooks hold tens to a few hundred parts (~8 per sheet)
# The central directory is parsed into one Python object per entry before anything else can be
# checked, so its size is checked first, from the end record (~100 bytes per real entry).
MAX_DIRECTORY_BYTES = 4 << 20

_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_READ_CHUNK = 1 << 20


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MB" if n < 1 << 30 else f"{n / (1 << 30):,.1f} GB"


def _directory_size(path: Path, fh: BinaryIO) -> tuple[int, int]:
    """(entries, central directory bytes) from the end record, without parsing the directory."""
    size = fh.seek(0, 2)
    tail_len = min(size, 65_557)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise SourceError(
            f"{path}: not a readable workbook (the zip package is damaged or truncated)",
            hint="open it in Excel or LibreOffice and save it again",
        )
    _, _, _, _, count, cd_size, _, _ = _EOCD.unpack_from(tail, at)
    if count == 0xFFFF or cd_size == 0xFFFFFFFF:  # ZIP64: the real numbers are in another record
        loc = at - _EOCD64_LOCATOR.size
        if loc >= 0 and tail[loc : loc + 4] == b"PK\x06\x07":
            offset = _EOCD64_LOCATOR.unpack_from(tail, loc)[2]
            fh.seek(offset)
            rec = fh.read(_EOCD64.size)
            if len(rec) == _EOCD64.size and rec[:4] == b"PK\x06\x06":
                fields = _EOCD64.unpack(rec)
                count, cd_size = fields[7], fields[8]
    return count, cd_size


def check_package(path: Path) -> None:
    """Refuse (SourceError) a package whose directory promises more than the limits allow:
    too many entries, a part or a total too big once inflated, a part inflating more than any
    real one, or entries that overlap (one compressed stream counted several times)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            count, cd_size = _directory_size(path, fh)
            if count > MAX_ENTRIES or cd_size > MAX_DIRECTORY_BYTES:
                raise SourceError(
                    f"{path}: the zip package lists {count:,} entries ({_mib(cd_size)} of "
                    f"directory); a workbook has at most {MAX_ENTRIES:,}",
                    hint="this is not a workbook salessheet can read safely",
                )
            zf = zipfile.ZipFile(fh)
            infos = zf.infolist()
            _check_entries(path, infos, fh)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the workbook ({exc.strerror or exc})") from exc
    except (zipfile.BadZipFile, ValueError, OverflowError, struct.error, EOFError) as exc:
        raise SourceError(
            f"{path}: not a readable workbook (damaged zip package: {exc})",
            hint="open it in Excel or LibreOffice and save it again",
        ) from exc


def _check_entries(path: Path, infos: list[zipfile.ZipInfo], fh: BinaryIO) -> None:
    if len(infos) > MAX_ENTRIES:
        raise SourceError(
            f"{path}: the zip package holds {len(infos):,} entries; a workbook has at most "
            f"{MAX_ENTRIES:,}",
            hint="this is not a workbook salessheet can read safely",
        )
    total = 0
    for info in infos:
        size = info.file_size
        if size > MAX_PART_INFLATED:
            raise SourceError(
                f"{path}: the part {info.filename} inflates to {_mib(size)}, over the limit of "
                f"{_mib(MAX_PART_INFLATED)} per part",
                hint="a real worksheet of 1,048,576 rows x 20 columns is about 700 MB",
            )
        if size > RATIO_FROM_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
            raise SourceError(
                f"{path}: the part {info.filename} inflates {size // max(info.compress_size, 1):,}"
                f" times ({_mib(info.compress_size)} to {_mib(size)}); no real workbook part "
                f"inflates more than {MAX_RATIO} times (a zip bomb?)",
                hint="this is not a workbook salessheet can read safely",
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != size:
            raise SourceError(
                f"{path}: the part {info.filename} is damaged (stored with two sizes)",
                hint="open it in Excel or LibreOffice and save it again",
            )
        total += size
    if total > MAX_TOTAL_INFLATED:
        raise SourceError(
            f"{path}: the workbook inflates to {_mib(total)}, over the limit of "
            f"{_mib(MAX_TOTAL_INFLATED)}",
            hint="a full Excel sheet of 1,048,576 rows x 20 columns inflates to about 700 MB",
        )
    _check_no_overlap(path, infos, fh)


def _check_no_overlap(path: Path, infos: list[zipfile.ZipInfo], fh: BinaryIO) -> None:
    """Each entry's bytes (local header + data) must lie before the next entry's, so that no
    compressed stream is shared by two entries (the "overlapping entries" zip bomb)."""
    spans = []
    for info in sorted(infos, key=lambda i: i.header_offset):
        fh.seek(info.header_offset)
        head = fh.read(_LOCAL.size)
        if len(head) < _LOCAL.size or head[:4] != b"PK\x03\x04":
            raise SourceError(
                f"{path}: the part {info.filename} is damaged (no local header)",
                hint="open it in Excel or LibreOffice and save it again",
            )
        fields = _LOCAL.unpack(head)
        start = info.header_offset
        end = start + _LOCAL.size + fields[10] + fields[11] + info.compress_size
        spans.append((start, end, info.filename))
    for (_, end, name), (start, _, nxt) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise SourceError(
                f"{path}: the zip entries {name} and {nxt} overlap (a zip bomb?)",
                hint="this is not a workbook salessheet can read safely",
            )


def read_part(zf: zipfile.ZipFile, name: str | zipfile.ZipInfo, label: object) -> bytes:
    """A part's bytes, inflated in bounded steps and never past what the directory promised.

    ``zipfile.read`` inflates a whole entry in one call, up to 1 GB, before noticing that the
    directory said less; this never holds more than the promised size plus one step.
    """
    info = name if isinstance(name, zipfile.ZipInfo) else zf.getinfo(name)
    out = bytearray()
    with zf.open(info) as src:
        for chunk in iter(lambda: src.read(_READ_CHUNK), b""):
            out += chunk
            if len(out) > info.file_size:  # zipfile stops there itself; belt and braces
                raise SourceError(f"{label}: the part {info.filename} is larger than declared")
    return bytes(out)
