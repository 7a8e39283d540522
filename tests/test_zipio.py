"""The writer's zip reader checks a written part against its plan a block at a time: a 100 MB
sheet is compared without inflating a second copy of it, and nothing that differs or is
damaged passes."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from salessheet.core.errors import WriteRefused
from salessheet.stores.xlsx.zipio import _Zip

NAME = "xl/worksheets/sheet1.xml"
# ~430 KB that deflates well but not trivially: rows of cells as a sheet holds them
CONTENT = b"".join(
    b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="s"><v>%d</v></c></row>'
    % (i, i, i * 7919 % 100_003, i, i % 977)
    for i in range(1, 6001)
)


def zipped(tmp_path: Path, method: int = zipfile.ZIP_DEFLATED) -> _Zip:
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w", method) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        zf.writestr(NAME, CONTENT)
    return _Zip(path.read_bytes(), str(path))


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_part_holds_exactly_its_content(tmp_path: Path, method: int) -> None:
    z = zipped(tmp_path, method)
    assert z.holds(NAME, CONTENT, block=4096)  # ~100 blocks, each compared
    assert z.holds(NAME, CONTENT)  # one block
    changed_last = CONTENT[:-1] + b"!"
    changed_middle = CONTENT[:200_000] + b"9" + CONTENT[200_001:]
    for other in (changed_last, changed_middle, CONTENT[:-1], CONTENT + b" ", b""):
        assert not z.holds(NAME, other, block=4096)


def test_a_damaged_part_is_refused_not_passed(tmp_path: Path) -> None:
    z = zipped(tmp_path)
    entry = z.by_name[NAME]
    begin, end = z._data_span(entry)
    data = bytearray(z.data)
    data[(begin + end) // 2] ^= 0xFF  # one byte of the deflate stream
    damaged = _Zip(bytes(data), "damaged.zip")
    try:
        result = damaged.holds(NAME, CONTENT, block=4096)
    except WriteRefused as exc:
        assert "damaged" in exc.message
    else:
        assert result is False


def test_a_wrong_crc_in_the_directory_is_refused(tmp_path: Path) -> None:
    z = zipped(tmp_path)
    entry = z.by_name[NAME]
    # the central directory's CRC of the entry (16 bytes into its record), made wrong
    record = z.cd_offset
    while z.data[record + 46 : record + 46 + len(NAME)] != NAME.encode():
        record = z.data.index(b"PK\x01\x02", record + 4)
    data = bytearray(z.data)
    struct.pack_into("<I", data, record + 16, entry.crc ^ 1)
    with pytest.raises(WriteRefused, match="CRC mismatch"):
        _Zip(bytes(data), "crc.zip").holds(NAME, CONTENT, block=4096)
