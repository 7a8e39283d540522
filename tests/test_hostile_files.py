"""Hostile workbooks and CSV files: reading them never crashes, hangs or exhausts memory.

Every file is built here, small, in a tmp folder. Each command runs the real CLI in a child
process (``--format json``) with TMPDIR pointed at an empty folder, and each test checks the exit
code, the message (it names the file; errors are ``{"error": ...}``), that no traceback was
printed, that the child finished (a 30 s timeout is a hang guard, not a timed assertion), that it
left nothing in TMPDIR, and, for the pathological files, that its peak memory stayed under 1 GB.
"""

from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import tracemalloc
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO

from salessheet.stores import file_safety
from salessheet.stores.xlsx import split as xlsx_split
from salessheet.stores.xlsx import zipguard
from salessheet.stores.xlsx.parts import reader_parts

TODAY = "2026-11-01"
GB = 1 << 30
SHEET = "xl/worksheets/sheet1.xml"


@dataclass
class Run:
    rc: int
    out: str
    err: str
    peak: int  # bytes

    @property
    def json(self) -> dict:
        return json.loads(self.out)


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("salessheet")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from salessheet.cli import main; main()"]


def run(tmp_path: Path, *args: str, timeout: float = 30) -> Run:
    """The CLI in a child process; its own peak memory comes from wait4."""
    tmpdir = tmp_path / "TMPDIR"
    tmpdir.mkdir(exist_ok=True)
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    env = {**os.environ, "TMPDIR": str(tmpdir), "RUST_BACKTRACE": "1"}
    with out.open("wb") as fo, err.open("wb") as fe:
        proc = subprocess.Popen([*_cli(), *args], stdout=fo, stderr=fe, env=env, cwd=tmp_path)
        killed = []
        timer = threading.Timer(timeout, lambda: (killed.append(1), proc.kill()))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    result = Run(
        proc.returncode, out.read_text("utf-8"), err.read_text("utf-8"), usage.ru_maxrss * 1024
    )
    assert not killed, f"salessheet {' '.join(args)} did not finish in {timeout} s"
    assert "Traceback" not in result.out + result.err, result.err
    assert "panicked" not in result.err and "internal error" not in result.out + result.err
    assert list(tmpdir.iterdir()) == [], "temp files left behind"
    return result


def refused(r: Run, *words: str) -> str:
    """An exit-2 refusal with the JSON error object; returns its message."""
    assert r.rc == 2, (r.rc, r.out, r.err)
    message = r.json["error"]["message"]
    for word in words:
        assert word in message, message
    return message


# --------------------------------------------------------------------------- building files

HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected close"]


def workbook(path: Path, deals: int = 5) -> Path:
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(HEADER)
    for i in range(1, deals + 1):
        ws.append(
            [
                f"D-{i:04d}",
                f"Customer {i}",
                "lead",
                1000 * i,
                "Alice",
                dt.date(2026, 12, 1 + i % 28),
            ]
        )
        ws.cell(i + 1, 6).number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def rewrite(path: Path, edit, out: Path | None = None) -> Path:  # noqa: ANN001
    """Rewrite the package with ``edit(name, bytes) -> bytes`` applied to every part."""
    with zipfile.ZipFile(path) as zf:
        items = [(i, zf.read(i)) for i in zf.infolist()]
    out = out or path
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            zf.writestr(info.filename, edit(info.filename, data))
    return out


def set_cell(path: Path, cell_xml: str, row: int) -> Path:
    """Put ``cell_xml`` into row ``row`` of the sheet (a new row after the data if needed)."""

    def edit(name: str, data: bytes) -> bytes:
        if name != SHEET:
            return data
        ref = re.search(rb'r="([A-Z]+)\d+"', cell_xml.encode()).group(1)  # type: ignore[union-attr]
        existing = re.compile(rb'<c r="' + ref + str(row).encode() + rb'"[^>]*?(?:/>|>.*?</c>)')
        if existing.search(data):
            return existing.sub(cell_xml.encode(), data)
        open_row = re.search(rb'<row r="%d"[^>]*>.*?(?=</row>)' % row, data, re.S)
        if open_row:  # the row is there: the cell goes at its end
            return data[: open_row.end()] + cell_xml.encode() + data[open_row.end() :]
        return data.replace(
            b"</sheetData>", f'<row r="{row}">{cell_xml}</row></sheetData>'.encode()
        )

    return rewrite(path, edit)


def findings(r: Run, code: str = "bad-value") -> list[tuple]:
    return [(f["cell"], f["value"]) for f in r.json["findings"] if f["code"] == code]


# --------------------------------------------------------------------------- far cells


@pytest.mark.parametrize("far", ["XFD1048576", "XFD100000", "BZ1048576"])
def test_a_stray_value_in_a_far_cell_reads_the_sheet_normally(tmp_path: Path, far: str) -> None:
    path = set_cell(
        workbook(tmp_path / "p.xlsx"),
        f'<c r="{far}" t="inlineStr"><is><t>stray</t></is></c>',
        int(re.sub(r"[A-Z]", "", far)),
    )
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    assert r.rc in (0, 1) and r.json["summary"]["deals"] == 5
    assert r.peak < GB


def test_a_far_value_in_a_mapped_column_is_a_deal_of_its_own(tmp_path: Path) -> None:
    path = set_cell(
        workbook(tmp_path / "p.xlsx"),
        '<c r="A1048576" t="inlineStr"><is><t>D-9999</t></is></c><c r="XFD1048576"><v>7</v></c>',
        1_048_576,
    )
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    assert r.rc == 1 and r.json["summary"]["deals"] == 6
    far = [f for f in r.json["findings"] if f["deal_id"] == "D-9999"]
    assert far and {f["row"] for f in far} == {1_048_576}
    assert r.peak < GB


def test_every_command_reads_a_workbook_with_a_far_cell(tmp_path: Path) -> None:
    path = set_cell(workbook(tmp_path / "p.xlsx"), '<c r="XFD1048576"><v>1</v></c>', 1_048_576)
    for args in (
        ["run", str(path), "--dry-run"],
        ["report", str(path)],
        ["stalled", str(path)],
    ):
        r = run(tmp_path, *args, "--today", TODAY, "--format", "json")
        assert r.rc in (0, 1), (args, r.out, r.err)
        assert r.peak < GB


def test_cells_far_apart_everywhere_are_refused_not_materialised(tmp_path: Path) -> None:
    # a thousand rows each with a value in XFD: 16 million cells of row lists, for 1,000 values
    cells = "".join(f'<row r="{i}"><c r="XFD{i}"><v>1</v></c></row>' for i in range(10, 1010))

    def edit(name: str, data: bytes) -> bytes:
        return (
            data.replace(b"</sheetData>", cells.encode() + b"</sheetData>")
            if name == SHEET
            else data
        )

    path = rewrite(workbook(tmp_path / "p.xlsx"), edit)
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    refused(r, str(path), "too far apart")
    assert r.peak < GB


# --------------------------------------------------------------------------- values


def test_a_date_cell_of_minus_1e15_is_a_bad_value_not_a_panic(tmp_path: Path) -> None:
    path = set_cell(workbook(tmp_path / "p.xlsx"), '<c r="F3" s="1"><v>-1e15</v></c>', 3)
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    assert r.rc == 1 and findings(r) == [("F3", "-1e15")]
    for args in (["run", str(path), "--dry-run"], ["report", str(path)]):
        r = run(tmp_path, *args, "--today", TODAY, "--format", "json")
        assert r.rc in (0, 1)
    r = run(tmp_path, "quote", str(path), "D-0002", "--out", str(tmp_path), "--format", "json")
    assert r.rc in (0, 2)  # the quote may be refused by its preflight, never by the reader


def test_a_date_cell_holding_nan_is_a_bad_value_not_1899_12_30(tmp_path: Path) -> None:
    path = set_cell(workbook(tmp_path / "p.xlsx"), '<c r="F4" s="1"><v>NaN</v></c>', 4)
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    assert r.rc == 1 and findings(r) == [("F4", "NaN")]


def test_amounts_beyond_any_deal_are_bad_values(tmp_path: Path) -> None:
    path = workbook(tmp_path / "p.xlsx")
    set_cell(path, '<c r="D2"><v>1e28</v></c>', 2)
    digits = "9" * 5000
    set_cell(path, f'<c r="D3" t="inlineStr"><is><t>{digits}</t></is></c>', 3)
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    assert r.rc == 1
    assert [cell for cell, _ in findings(r)] == ["D2", "D3"]


def test_an_error_value_calamine_does_not_know_is_a_bad_value(tmp_path: Path) -> None:
    path = set_cell(workbook(tmp_path / "p.xlsx"), '<c r="D4" t="e"><v>#CALC!</v></c>', 4)
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    assert r.rc == 1 and findings(r) == [("D4", "#CALC!")]


# --------------------------------------------------------------------------- zip bombs


def whitespace_bomb(path: Path, mb: int) -> Path:
    """A workbook whose sheet is a few rows then ``mb`` MB of whitespace (a few KB zipped)."""
    workbook(path)
    with zipfile.ZipFile(path) as zf:
        items = {i.filename: zf.read(i) for i in zf.infolist()}
    head, tail = items[SHEET].split(b"</sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in items.items():
            if name != SHEET:
                zf.writestr(name, data)
        with zf.open(SHEET, "w", force_zip64=True) as fh:
            fh.write(head)
            block = b" " * (1 << 20)
            for _ in range(mb):
                fh.write(block)
            fh.write(b"</sheetData>" + tail)
    return path


def test_a_decompression_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = whitespace_bomb(tmp_path / "bomb.xlsx", 200)
    assert path.stat().st_size < 1 << 20
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    refused(r, str(path), SHEET, "inflates", f"{zipguard.MAX_RATIO}")
    assert r.peak < GB


def _patch_sizes(path: Path, name: str, *, size: int | None = None, crc: int | None = None) -> None:
    """Make the zip directory (and local header) of ``name`` lie about its size or CRC."""
    raw = bytearray(path.read_bytes())
    for sig, off_size, off_crc, name_len_at, header in (
        (b"PK\x01\x02", 24, 16, 28, 46),
        (b"PK\x03\x04", 22, 14, 26, 30),
    ):
        i = 0
        while (i := raw.find(sig, i)) >= 0:
            n = struct.unpack_from("<H", raw, i + name_len_at)[0]
            if raw[i + header : i + header + n] == name.encode():
                if size is not None:
                    struct.pack_into("<I", raw, i + off_size, size)
                if crc is not None:
                    struct.pack_into("<I", raw, i + off_crc, crc)
            i += 4
    path.write_bytes(bytes(raw))


def test_a_directory_that_lies_about_a_size_is_caught_while_inflating(tmp_path: Path) -> None:
    path = workbook(tmp_path / "p.xlsx", deals=2000)
    _patch_sizes(path, SHEET, size=1000)  # the sheet really inflates to ~200 KB
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    refused(r, str(path))
    assert r.peak < GB


def test_a_part_promising_more_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "p.xlsx")
    _patch_sizes(path, "xl/sharedStrings.xml" if _has(path, "xl/sharedStrings.xml") else SHEET,
                 size=zipguard.MAX_PART_INFLATED + 1)  # fmt: skip
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    refused(r, str(path), "over the limit")


def _has(path: Path, name: str) -> bool:
    with zipfile.ZipFile(path) as zf:
        return name in zf.NameToInfo


def test_a_huge_shared_strings_part_is_refused(tmp_path: Path) -> None:
    def edit(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml" and b"sharedStrings" not in data:
            return data.replace(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            )
        if name == "xl/_rels/workbook.xml.rels" and b"sharedStrings" not in data:
            return data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/'
                b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
            )
        return data

    path = rewrite(workbook(tmp_path / "p.xlsx"), edit)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            block = b"<si><t>a</t></si>" * 65536
            for _ in range(120):  # 130 MB of one-letter strings
                fh.write(block)
            fh.write(b"</sst>")
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    refused(r, str(path), "sharedStrings.xml")
    assert r.peak < GB


def test_overlapping_zip_entries_are_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "p.xlsx")
    raw = path.read_bytes()
    eocd = raw.rfind(b"PK\x05\x06")
    _, _, _, n1, n2, cd_size, cd_offset, clen = struct.unpack_from("<4s4H2LH", raw, eocd)
    cd = raw[cd_offset : cd_offset + cd_size]
    at = cd.find(b"PK\x01\x02")  # the first entry, once more, under another name
    n, m, k = struct.unpack_from("<3H", cd, at + 28)
    first = cd[at : at + 46 + n + m + k]
    twin = first[:28] + struct.pack("<H", 8) + first[30:46] + b"xl/x.xml" + first[46 + n :]
    cd += twin
    tail = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n1 + 1, n2 + 1, len(cd), cd_offset, 0)
    path.write_bytes(raw[:cd_offset] + cd + tail)
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    refused(r, str(path), "overlap")


def test_a_package_of_too_many_entries_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "p.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as zf:
        for i in range(zipguard.MAX_ENTRIES):
            zf.writestr(f"x/{i}", b"")
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    refused(r, str(path), f"{zipguard.MAX_ENTRIES:,}")


def test_the_cutter_holds_a_bounded_buffer_whatever_the_xml(tmp_path: Path) -> None:
    """40 MB of whitespace after the middle of a big sheet (no <row> to cut at): the cutter
    must neither keep it nor search it again and again (it once grew a buffer to the end)."""
    path = workbook(tmp_path / "p.xlsx", deals=50)
    with zipfile.ZipFile(path) as zf:
        items = {i.filename: zf.read(i) for i in zf.infolist()}
    head, tail = items[SHEET].split(b"</sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:  # stored: no ratio to refuse
        for name, data in items.items():
            if name != SHEET:
                zf.writestr(name, data)
        with zf.open(SHEET, "w") as fh:
            fh.write(head)
            for _ in range(40):
                fh.write(b" \n" * (1 << 19))
            for row in range(100, 105):  # rows after it, where the cuts finally happen
                fh.write(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (row, row, row))
            fh.write(b"</sheetData>" + tail)
    started = []

    def start(piece: Path, careful: str | None):  # noqa: ANN202
        started.append((piece, careful))
        from concurrent.futures import Future

        return Future()

    with zipfile.ZipFile(path) as zf:
        shared = [(n, zf.read(n)) for n in reader_parts(zf)[0]]
        tracemalloc.start()
        try:
            xlsx_split.cut_sheet(zf, SHEET, 4, shared, tmp_path / "pieces", start)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 16 << 20, f"the cutter held {peak >> 20} MB"  # a few 1 MB blocks, not 40 MB
    assert len(started) == 4 and all(careful is None for _, careful in started)


# --------------------------------------------------------------------------- not workbooks


def test_files_that_are_not_workbooks_are_refused_cleanly(tmp_path: Path) -> None:
    cases = {}
    xls = tmp_path / "legacy.xlsx"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    cases[xls] = "legacy Excel"
    enc = tmp_path / "secret.xlsx"
    enc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le"))
    cases[enc] = "password"
    whole = workbook(tmp_path / "whole.xlsx").read_bytes()
    cut = tmp_path / "truncated.xlsx"
    cut.write_bytes(whole[: len(whole) // 2])
    cases[cut] = "damaged"
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    cases[folder] = "folder"
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    cases[empty] = "empty"
    zero = tmp_path / "zero.xlsx"
    zero.symlink_to("/dev/zero")
    cases[zero] = "not a regular file"
    zero_csv = tmp_path / "zero.csv"
    zero_csv.symlink_to("/dev/zero")
    cases[zero_csv] = "not a regular file"
    empty_csv = tmp_path / "empty.csv"
    empty_csv.write_bytes(b"")
    cases[empty_csv] = "empty"
    for path, words in cases.items():
        r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
        refused(r, str(path), words)


# --------------------------------------------------------------------------- CSV


def test_a_csv_field_longer_than_any_cell_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(f'Deal ID,Customer,Stage\nD1,"{"x" * 1_100_000}",lead\n', "utf-8")
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    refused(r, str(path), "row 2, column B")


def test_a_csv_field_over_the_csv_module_default_is_read(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    note = "n" * 200_000  # over Python's 131,072 default, under the stated maximum
    path.write_text(f"Deal ID,Stage,Notes\nD1,lead,{note}\n", "utf-8")
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    assert r.rc in (0, 1) and r.json["summary"]["deals"] == 1


def test_a_csv_mixing_encodings_is_refused_not_mojibaked(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "Deal ID,Customer,Stage\nD1,Müller,lead\n".encode() + "D2,Söhne,lead\n".encode("cp1252")
    )
    r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
    refused(r, str(path), "mixes text encodings", "line 2 is UTF-8", "line 3")


def test_legacy_encodings_alone_still_read(tmp_path: Path) -> None:
    for name, text, enc in (
        ("latin.csv", "Deal ID,Customer,Stage\nD1,Müller & Söhne,lead\n", "cp1252"),
        (
            "gbk.csv",
            "Deal ID,Customer,Stage\nD1,上海星河科技,报价与谈判\nD2,张三,客户开发\n",
            "gb18030",
        ),
    ):
        path = tmp_path / name
        path.write_bytes(text.encode(enc))
        r = run(tmp_path, "validate", str(path), "--today", TODAY, "--format", "json")
        assert r.rc in (0, 1) and r.json["summary"]["deals"] >= 1


# --------------------------------------------------------------------------- kill -9, locks


KILL_AT = """
import os, signal, sys
from pathlib import Path
from salessheet.stores.file_safety import atomic_replace
target, stage = Path(sys.argv[1]), sys.argv[2]
def hook(s):
    if s == stage:
        os.kill(os.getpid(), signal.SIGKILL)
atomic_replace(target, lambda t: t.write_bytes(b"new"), lambda t: None, crash_hook=hook)
"""


def test_a_killed_write_leaves_no_temp_file_forever_and_never_an_extra_backup(
    tmp_path: Path,
) -> None:
    target = tmp_path / "p.xlsx"
    target.write_bytes(b"v0")
    for i in range(1, 8):
        file_safety.atomic_replace(target, lambda t, i=i: t.write_bytes(b"v%d" % i), lambda t: None)
    assert len(file_safety.backups(target)) == file_safety.KEEP_BACKUPS
    proc = subprocess.run([sys.executable, "-c", KILL_AT, str(target), "backup-made"], check=False)
    assert proc.returncode == -signal.SIGKILL
    left = [p for p in tmp_path.iterdir() if p.name.endswith(file_safety.TEMP_SUFFIX)]
    assert len(left) == 1 and f"-{proc.args and ''}" is not None
    assert len(file_safety.backups(target)) == file_safety.KEEP_BACKUPS  # never one more
    # a concurrent run's temp file (its process is alive) is left alone
    alive = tmp_path / f".p.xlsx.{file_safety.process_tag()}-x1y2.salessheet-tmp"
    alive.write_bytes(b"in progress")
    file_safety.atomic_replace(target, lambda t: t.write_bytes(b"v9"), lambda t: None)
    assert not left[0].exists() and alive.exists()
    assert target.read_bytes() == b"v9"
    assert len(file_safety.backups(target)) == file_safety.KEEP_BACKUPS


def test_the_readme_and_the_code_keep_the_same_number_of_backups() -> None:
    words = {"3": 3, "4": 4, "5": 5, "6": 6, "three": 3, "four": 4, "five": 5, "six": 6}
    m = re.search(r"salessheet-backups/`\s*\(the last (\w+)\)", (REPO / "README.md").read_text())
    assert m and words[m.group(1)] == file_safety.KEEP_BACKUPS


def test_read_folders_of_killed_runs_are_removed_but_not_a_live_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = file_safety.process_tag().split("-")[0]
    dead = tmp_path / f"salessheet-read-{host}-{gone.pid}-abc"
    live = tmp_path / f"salessheet-read-{host}-{os.getpid()}-def"
    other_host = tmp_path / f"salessheet-read-00000000-{gone.pid}-ghi"
    for folder in (dead, live, other_host):
        (folder / "0").mkdir(parents=True)
    made = xlsx_split.make_read_folder()
    try:
        assert not dead.exists() and live.exists() and other_host.exists()
        assert Path(made.name).name.startswith(f"salessheet-read-{file_safety.process_tag()}-")
    finally:
        made.cleanup()


def test_control_characters_in_a_lock_owner_are_shown_escaped(tmp_path: Path) -> None:
    path = workbook(tmp_path / "p.xlsx")
    lock = tmp_path / ".~lock.p.xlsx#"
    lock.write_bytes("Mallory\x1b[2J\x1b]0:pwned\x07\u202e,mallory,host,2026-11-01;".encode())
    r = run(tmp_path, "run", str(path), "--today", TODAY, "--format", "json")
    assert r.rc == 3
    message = r.json["error"]["message"]
    assert "Mallory\\x1b[2J\\x1b]0:pwned\\x07\\u202e" in message
    assert not re.search(r"[\x00-\x1f\x7f\u202e]", (r.out + r.err).replace("\n", ""))


def test_zlib_bounds_hold_for_the_writer_too(tmp_path: Path) -> None:
    """The writer's own zip reader never inflates past the size the directory gives."""
    from salessheet.core.errors import WriteRefused
    from salessheet.stores.xlsx.zipio import _Zip

    path = workbook(tmp_path / "p.xlsx", deals=500)
    with zipfile.ZipFile(path) as zf:
        crc = zlib.crc32(zf.read(SHEET)[:100])
    _patch_sizes(path, SHEET, size=100, crc=crc)
    with pytest.raises(WriteRefused, match="damaged"):
        _Zip(path.read_bytes(), str(path)).read(SHEET)


def test_a_cut_sheet_reads_only_its_odd_pieces_carefully(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big sheet is cut into pieces (forced here on a small one); a far cell and a NaN date
    in two of them send just those pieces to the careful reader, and the rows come out as a
    whole read gives them, with the far value at its place and the NaN as its text."""
    from salessheet.stores.xlsx.store import XlsxStore

    if xlsx_split.usable_cores() < 2:
        pytest.skip("a parallel read needs two cores")
    path = workbook(tmp_path / "p.xlsx", deals=400)
    clean = XlsxStore(str(path)).read(["Pipeline"])["Pipeline"].rows
    set_cell(path, '<c r="XFD100"><v>42</v></c>', 100)
    set_cell(path, '<c r="F300" s="1"><v>NaN</v></c>', 300)
    monkeypatch.setattr(xlsx_split, "SPLIT_MIN_BYTES", 4096)
    store = XlsxStore(str(path))
    rows = store.read(["Pipeline"])["Pipeline"].rows
    assert store.pieces_read["Pipeline"] >= 2 and "Pipeline" in store.careful_read
    assert rows[99][16383] == 42 and rows[299][5] == "NaN"
    rows[99][16383] = ""
    rows[299][5] = clean[299][5]
    assert [_trimmed(r) for r in rows] == clean  # (a row may be padded further than another)


def test_rows_out_of_order_in_a_big_sheet_are_read_whole_and_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A <row> that comes back after later rows (here row 100 again, with a far value, after
    row 401) would make pieces overlap: the sheet is read whole, and carefully."""
    from salessheet.stores.xlsx.store import XlsxStore

    path = workbook(tmp_path / "p.xlsx", deals=400)
    clean = XlsxStore(str(path)).read(["Pipeline"])["Pipeline"].rows

    def edit(name: str, data: bytes) -> bytes:
        extra = b'<row r="100"><c r="XFD100"><v>42</v></c></row></sheetData>'
        return data.replace(b"</sheetData>", extra) if name == SHEET else data

    rewrite(path, edit)
    monkeypatch.setattr(xlsx_split, "SPLIT_MIN_BYTES", 4096)
    store = XlsxStore(str(path))
    rows = store.read(["Pipeline"])["Pipeline"].rows
    assert "Pipeline" not in store.pieces_read and "Pipeline" in store.careful_read
    assert rows[99][16383] == 42
    rows[99][16383] = ""
    assert [_trimmed(r) for r in rows] == clean


def _trimmed(row: list) -> list:
    n = len(row)
    while n > 6 and row[n - 1] in ("", None):
        n -= 1
    return row[:n]
