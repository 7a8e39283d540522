"""No-loss xlsx write-back: only the parts holding tool-owned cells and sheets change.

Every test works on real files in a tmp folder: workbooks built by tests/xlsx_fixtures.py and,
when present, the real corpus workbooks (pivot tables, charts, a table and slicers).
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import struct
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from xlsx_fixtures import (
    DEALS,
    HEADERS,
    VBA_BYTES,
    build_handmade_workbook,
    build_rich_workbook,
    build_xlsm,
    corpus_file,
)

from salessheet.core.errors import WriteRefused
from salessheet.stores.base import CellWrite, SheetReplace
from salessheet.stores.file_safety import (
    BACKUP_DIR,
    TEMP_SUFFIX,
    FileFingerprint,
    atomic_replace,
    backups,
    check_not_locked,
    check_unchanged,
    fingerprint,
)
from salessheet.stores.xlsx.patch import patch_xlsx, plan_patch, preview_patch

HISTORY = "salessheet history"
BOOKKEEPING = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}


# --------------------------------------------------------------------------- helpers


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def entry_meta(path: Path) -> list[tuple[str, tuple, int]]:
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, i.date_time, i.compress_type) for i in zf.infolist()]


def raw_payloads(path: Path) -> dict[str, bytes]:
    """Each entry's compressed bytes as stored (to prove nothing was recompressed)."""
    data = path.read_bytes()
    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            n, m = struct.unpack_from("<2H", data, info.header_offset + 26)
            start = info.header_offset + 30 + n + m
            out[info.filename] = data[start : start + info.compress_size]
    return out


def calamine_rows(path: Path, sheet: str) -> list[list]:
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def sheet_part(path: Path, sheet: str) -> str:
    """The zip entry holding a sheet, resolved the way Excel does."""
    import re

    p = parts(path)
    wb = p["xl/workbook.xml"].decode()
    rels = p["xl/_rels/workbook.xml.rels"].decode()
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", wb):
        tag = m.group(0)
        name = re.search(r'name="([^"]*)"', tag).group(1).replace("&amp;", "&")
        if name == sheet:
            rid = re.search(r':id="([^"]*)"', tag).group(1)
            rel = re.search(r'<Relationship\b[^>]*Id="' + rid + r'"[^>]*>', rels).group(0)
            target = re.search(r'Target="([^"]*)"', rel).group(1)
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    raise AssertionError(f"no sheet {sheet}")


def crash_at(stage: str):
    def hook(current: str) -> None:
        if current == stage:
            raise RuntimeError(f"injected crash at {stage}")

    return hook


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX))


def owned_writes(sheet: str, height: int, width: int) -> list[CellWrite]:
    """Two tool-owned columns right of the used range: a flag text and a number per row."""
    flag, days = width + 1, width + 2
    cells = [CellWrite(sheet, 1, flag, "⚑ salessheet"), CellWrite(sheet, 1, days, "Days in stage")]
    for r in range(2, height + 1):
        text = f"stalled: {r} days & <counting>" if r % 3 == 0 else None
        cells.append(CellWrite(sheet, r, flag, text))
        cells.append(CellWrite(sheet, r, days, r * 1.5))
    return cells


def history_rows(n: int) -> list[list]:
    rows = [["Deal ID", "Stage", "Entered", "Left", "Run"]]
    for i in range(n):
        left = dt.date(2026, 11, 1) if i % 2 else None
        rows.append([f"D-{i:04d}", "lead", dt.date(2026, 10, 1 + i % 28), left, "2026-11-28"])
    return rows


# --------------------------------------------------------------------------- workbooks


def _fixture(kind: str, tmp_path: Path) -> tuple[Path, str]:
    if kind == "rich.xlsx":
        return build_rich_workbook(tmp_path / "pipeline.xlsx"), "Pipeline"
    if kind == "vba.xlsm":
        return build_xlsm(tmp_path / "pipeline.xlsm"), "Pipeline"
    src = corpus_file(kind)
    if src is None:
        pytest.skip(f"corpus file {kind} is not in ../shared/corpus")
    dst = tmp_path / src.name
    shutil.copyfile(src, dst)
    first = python_calamine.CalamineWorkbook.from_path(str(dst)).sheet_names[0]
    return dst, first


WORKBOOKS = ["rich.xlsx", "vba.xlsm", "ayusophia", "jhurley89"]


@pytest.mark.parametrize("kind", WORKBOOKS)
def test_owned_columns_and_history_sheet_leave_every_other_part_byte_identical(kind, tmp_path):
    path, sheet = _fixture(kind, tmp_path)
    before_parts, before_meta, before_raw = parts(path), entry_meta(path), raw_payloads(path)
    before_rows = calamine_rows(path, sheet)
    height, width = len(before_rows), max(len(r) for r in before_rows)
    cells = owned_writes(sheet, height, width)
    history = history_rows(40)

    report = patch_xlsx(path, fingerprint(path), cells, [SheetReplace(HISTORY, history)])

    assert report.written_sheets == [HISTORY]
    assert report.written_cells == 2 + (height - 1) + height // 3
    assert Path(report.backup).read_bytes() and Path(report.backup).parent.name == BACKUP_DIR
    after_parts, after_meta, after_raw = parts(path), entry_meta(path), raw_payloads(path)
    target = sheet_part(path, sheet)
    new_part = sheet_part(path, HISTORY)
    # Same entries, same order, same names/dates/compression; the new sheet comes last.
    assert after_meta[: len(before_meta)] == before_meta
    assert [m[0] for m in after_meta[len(before_meta) :]] == [new_part]
    changed = {n for n in before_parts if before_parts[n] != after_parts[n]}
    assert changed == {target} | BOOKKEEPING
    for name in before_parts:
        if name not in changed:
            assert after_raw[name] == before_raw[name], f"{name} was recompressed"
    # Written values read back exactly; everything the user had is still there.
    rows = calamine_rows(path, sheet)
    assert rows[0][width : width + 2] == ["⚑ salessheet", "Days in stage"]
    for r in range(2, height + 1):
        flag = f"stalled: {r} days & <counting>" if r % 3 == 0 else ""
        assert rows[r - 1][width : width + 2] == [flag, r * 1.5]
        assert rows[r - 1][:width] == (before_rows[r - 1] + [""] * width)[:width]
    got = calamine_rows(path, HISTORY)
    assert got[0] == history[0]
    assert got[1] == ["D-0000", "lead", "2026-10-01", "", "2026-11-28"]
    assert got[2] == ["D-0001", "lead", "2026-10-02", "2026-11-01", "2026-11-28"]
    assert len(got) == len(history)
    # openpyxl opens it (read-only for the big corpus files: a full load takes minutes there).
    wb = openpyxl.load_workbook(path, read_only=kind not in ("rich.xlsx", "vba.xlsm"))
    assert wb.sheetnames[-1] == HISTORY
    top = next(wb[sheet].iter_rows(min_row=1, max_row=1, values_only=True))
    assert top[width : width + 2] == ("⚑ salessheet", "Days in stage")
    assert len(list(wb[HISTORY].iter_rows(values_only=True))) == len(history)
    wb.close()

    # A second run with the same content writes nothing: the file stays byte-identical.
    written = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    again = patch_xlsx(path, fingerprint(path), cells, [SheetReplace(HISTORY, history)])
    assert again.unchanged and again.backup is None
    assert path.read_bytes() == written and path.stat().st_mtime_ns == mtime


def test_rich_fixture_keeps_its_features(tmp_path):
    """The features themselves survive (read back by openpyxl), not only the bytes."""
    path = build_rich_workbook(tmp_path / "pipeline.xlsx")
    cells = owned_writes("Pipeline", len(DEALS) + 1, len(HEADERS))
    patch_xlsx(path, fingerprint(path), cells, [SheetReplace(HISTORY, history_rows(3))])
    wb = openpyxl.load_workbook(path)
    ws = wb["Pipeline"]
    assert "Deals" in ws.tables and ws.tables["Deals"].ref == "A1:F7"
    assert ws.data_validations.dataValidation[0].formula1.startswith('"lead,')
    assert len(ws.conditional_formatting) == 1
    assert ws["A2"].comment.text == "First deal of the quarter"
    assert ws["E3"].hyperlink.target == "https://example.com/bob"
    assert "BigDeal" in wb.defined_names
    assert len(ws._charts) == 1 and len(ws._images) == 1
    assert ws["F2"].value == "=D2*0.5"
    assert calamine_rows(path, "Pipeline")[1][5] == 600.0  # the cached value is still there
    assert ws.cell(1, 7).value == "⚑ salessheet" and ws.cell(2, 8).value == 3.0


def test_xlsm_keeps_vba_project_and_macro_content_type(tmp_path):
    path = build_xlsm(tmp_path / "pipeline.xlsm")
    patch_xlsx(path, fingerprint(path), owned_writes("Pipeline", 7, 6), [])
    p = parts(path)
    assert p["xl/vbaProject.bin"] == VBA_BYTES
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in p["[Content_Types].xml"]
    assert b"relationships/vbaProject" in p["xl/_rels/workbook.xml.rels"]


# --------------------------------------------------------------------------- LibreOffice

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def soffice_pdf(path: Path, out: Path) -> Path:
    profile = out / "lo-profile"
    result = subprocess.run(
        [
            SOFFICE,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    pdf = out / (path.stem + ".pdf")
    assert result.returncode == 0, result.stderr
    assert pdf.exists(), f"no PDF: {result.stdout} {result.stderr}"
    return pdf


@pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)",
)
@pytest.mark.parametrize("kind", ["rich.xlsx", "vba.xlsm", "jhurley89"])
def test_patched_workbook_converts_cleanly_with_libreoffice(kind, tmp_path):
    path, sheet = _fixture(kind, tmp_path)
    rows = calamine_rows(path, sheet)
    cells = owned_writes(sheet, len(rows), max(len(r) for r in rows))
    patch_xlsx(path, fingerprint(path), cells, [SheetReplace(HISTORY, history_rows(20))])
    out = tmp_path / "pdf"
    out.mkdir()
    pdf = soffice_pdf(path, out)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1000
    assert path.read_bytes()[:2] == b"PK"  # LibreOffice did not rewrite the source


# --------------------------------------------------------------------------- values


def test_formula_looking_text_is_written_as_text(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    name = '=HYPERLINK("http://x","y")'
    patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 2, 8, name)], [])
    cell = openpyxl.load_workbook(path)["Pipeline"].cell(2, 8)
    assert cell.value == name and cell.data_type == "s"
    assert calamine_rows(path, "Pipeline")[1][7] == name
    assert b"<f>" not in parts(path)[sheet_part(path, "Pipeline")].split(b'r="H2"')[1][:200]


@pytest.mark.parametrize(
    "value",
    [
        "Tom & Jerry <Ltd> \"quoted\" 'single'",
        "  leading and trailing  ",
        "line1\nline2\ttab",
        "carriage\r\nreturn",
        "literal _x0041_ stays",
        "bell\x07 and nul\x00 chars",
        "中文客户 🚀 Ünïcödé",
        "=1+1",
        "@SUM(A1)",
        "+41 44 000",
    ],
)
def test_text_round_trips_exactly_through_calamine(value, tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 3, 9, value)], [])
    assert calamine_rows(path, "Pipeline")[2][8] == value


def test_numbers_dates_and_none(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    cells = [
        CellWrite("Pipeline", 2, 7, 42),
        CellWrite("Pipeline", 3, 7, Decimal("1234.50")),
        CellWrite("Pipeline", 4, 7, 0.1),
        CellWrite("Pipeline", 5, 7, dt.date(2026, 2, 3)),
        CellWrite("Pipeline", 6, 7, -7.25),
    ]
    patch_xlsx(path, fingerprint(path), cells, [])
    rows = calamine_rows(path, "Pipeline")
    assert [rows[i][6] for i in range(1, 6)] == [42, 1234.5, 0.1, "2026-02-03", -7.25]
    ws = openpyxl.load_workbook(path)["Pipeline"]
    assert ws["G3"].data_type == "n" and ws["G5"].data_type == "s"
    # None removes a value; the row keeps everything else.
    patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 2, 7, None)], [])
    rows = calamine_rows(path, "Pipeline")
    assert rows[1][6] == "" and rows[1][:5] == list(DEALS[0])
    assert openpyxl.load_workbook(path)["Pipeline"].dimensions == "A1:G7"


def test_overwriting_keeps_the_cell_style_and_touches_nothing_else(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    part = sheet_part(path, "Pipeline")
    before = parts(path)[part]
    old_cell = b'<c r="D2" s="2" t="n"><v>1200</v></c>'
    assert old_cell in before
    patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 2, 4, Decimal("1300.5"))], [])
    after = parts(path)[part]
    assert after == before.replace(old_cell, b'<c r="D2" s="2"><v>1300.5</v></c>')
    assert openpyxl.load_workbook(path)["Pipeline"]["D2"].number_format == "#,##0.00"


def test_rows_are_inserted_in_order_and_dimension_grows(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    cells = [
        CellWrite("Pipeline", 12, 2, "far"),
        CellWrite("Pipeline", 9, 10, "gap"),
        CellWrite("Pipeline", 4, 8, "mid"),
    ]
    patch_xlsx(path, fingerprint(path), cells, [])
    xml = parts(path)[sheet_part(path, "Pipeline")].decode()
    rows = [int(x) for x in __import__("re").findall(r'<row r="(\d+)"', xml)]
    assert rows == [1, 2, 3, 4, 5, 6, 7, 9, 12]
    assert '<dimension ref="A1:J12"/>' in xml
    got = calamine_rows(path, "Pipeline")
    assert got[11][1] == "far" and got[8][9] == "gap" and got[3][7] == "mid"
    assert got[3][:6] == [*DEALS[2], 400.0]


def test_writing_over_a_formula_is_refused(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    before = path.read_bytes()
    with pytest.raises(WriteRefused) as err:
        patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 2, 6, "flag")], [])
    assert "F2" in err.value.message and "formula" in err.value.message
    assert err.value.exit_code == 3
    assert path.read_bytes() == before


def test_unknown_sheet_is_refused(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    with pytest.raises(WriteRefused, match="no sheet named 'Pipe'"):
        patch_xlsx(path, fingerprint(path), [CellWrite("Pipe", 2, 8, "x")], [])


def test_existing_history_sheet_is_replaced_in_place(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    patch_xlsx(path, fingerprint(path), [], [SheetReplace(HISTORY, history_rows(5))])
    before = parts(path)
    report = patch_xlsx(path, fingerprint(path), [], [SheetReplace(HISTORY, history_rows(2))])
    after = parts(path)
    part = sheet_part(path, HISTORY)
    assert report.written_sheets == [HISTORY]
    assert {n for n in after if after[n] != before.get(n)} == {part}
    assert len(calamine_rows(path, HISTORY)) == 3
    # Sheet names match the way Excel does (case-insensitively): no duplicate sheet appears.
    patch_xlsx(path, fingerprint(path), [], [SheetReplace("SalesSheet History", [["x"]])])
    assert openpyxl.load_workbook(path).sheetnames == ["Pipeline", "Notes", HISTORY]


def test_plan_patch_lists_exactly_the_parts_that_would_change(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    before = path.read_bytes()
    assert plan_patch(path, [], []) == {}
    same = [CellWrite("Pipeline", 2, 1, "D-0001"), CellWrite("Pipeline", 2, 4, 1200)]
    assert plan_patch(path, same, []) == {}
    plan = plan_patch(path, [CellWrite("Pipeline", 2, 8, "x")], [])
    assert list(plan) == [sheet_part(path, "Pipeline")]
    plan = plan_patch(path, [], [SheetReplace(HISTORY, [["a"]])])
    assert set(plan) == BOOKKEEPING | {"xl/worksheets/sheet3.xml"}
    assert path.read_bytes() == before  # planning never writes


def test_bad_sheet_name_is_refused(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    with pytest.raises(WriteRefused, match="sheet named"):
        patch_xlsx(path, fingerprint(path), [], [SheetReplace("a/b", [["x"]])])


# --------------------------------------------------------------------------- refusing to write


def excel_owner_file(name: str) -> bytes:
    ansi = name.encode("cp1252", "replace")
    head = bytes([len(ansi)]) + ansi
    head += b" " * (54 - len(head))
    wide = len(name).to_bytes(2, "little") + name.encode("utf-16-le")
    return (head + wide).ljust(165, b"\x00")


@pytest.mark.parametrize(
    "lock_name, content, holder",
    [
        ("~$pipeline.xlsx", excel_owner_file("Alice Wang"), "Alice Wang"),
        ("~$pipeline.xlsx", excel_owner_file("陈伟"), "陈伟"),
        (".~lock.pipeline.xlsx#", b"Alice Wang,alice,pc-7,28.11.2026 06:55,x;", "Alice Wang"),
        (".~lock.pipeline.xlsx#", b",bob,host-2,28.11.2026 06:55,file:///y;", "bob"),
    ],
)
def test_lock_file_refuses_and_names_the_holder(lock_name, content, holder, tmp_path):
    path = build_rich_workbook(tmp_path / "pipeline.xlsx")
    fp = fingerprint(path)
    before = path.read_bytes()
    (tmp_path / lock_name).write_bytes(content)
    with pytest.raises(WriteRefused) as err:
        patch_xlsx(path, fp, [CellWrite("Pipeline", 2, 8, "x")], [])
    app = "Excel" if lock_name.startswith("~$") else "LibreOffice"
    assert f"open in {app} by {holder}" in err.value.message
    assert err.value.exit_code == 3 and lock_name in err.value.message
    assert path.read_bytes() == before
    assert not (tmp_path / BACKUP_DIR).exists() and leftovers(tmp_path) == []


def test_lock_file_without_a_name_still_refuses(tmp_path):
    path = build_rich_workbook(tmp_path / "pipeline.xlsx")
    (tmp_path / "~$pipeline.xlsx").write_bytes(b"")
    with pytest.raises(WriteRefused, match=r"open in Excel \(lock file"):
        check_not_locked(path)


def test_file_changed_since_read_is_refused(tmp_path):
    path = build_rich_workbook(tmp_path / "pipeline.xlsx")
    fp = fingerprint(path)
    wb = openpyxl.load_workbook(path)
    wb["Pipeline"]["C2"] = "contract"  # someone saved an edit during the run
    wb.save(path)
    edited = path.read_bytes()
    with pytest.raises(WriteRefused, match="changed after salessheet read it") as err:
        patch_xlsx(path, fp, [CellWrite("Pipeline", 2, 8, "x")], [])
    assert err.value.exit_code == 3
    assert path.read_bytes() == edited


def test_same_bytes_with_a_new_mtime_count_as_unchanged(tmp_path):
    path = build_rich_workbook(tmp_path / "pipeline.xlsx")
    fp = fingerprint(path)
    os.utime(path, ns=(fp.mtime_ns + 5_000_000_000, fp.mtime_ns + 5_000_000_000))
    check_unchanged(path, fp)
    with pytest.raises(WriteRefused):
        check_unchanged(path, FileFingerprint(fp.size, fp.mtime_ns, "0" * 64))


def test_change_detected_just_before_replacing(tmp_path):
    """An edit saved while the temp file was being written is caught before the rename."""
    path = build_rich_workbook(tmp_path / "pipeline.xlsx")
    fp = fingerprint(path)

    def someone_saves(stage: str) -> None:
        if stage == "verified":
            path.write_bytes(path.read_bytes() + b"\0")

    with pytest.raises(WriteRefused, match="changed after"):
        patch_xlsx(path, fp, [CellWrite("Pipeline", 2, 8, "x")], [], crash_hook=someone_saves)
    assert leftovers(tmp_path) == [] and backups(path) == []


# --------------------------------------------------------------------------- crashes, backups

STAGES_BEFORE_RENAME = ["temp-written", "verified", "backup-made", "before-replace"]


@pytest.mark.parametrize("stage", STAGES_BEFORE_RENAME)
def test_crash_before_rename_leaves_original_intact(stage, tmp_path):
    path = build_rich_workbook(tmp_path / "pipeline.xlsx")
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match=f"injected crash at {stage}"):
        patch_xlsx(
            path,
            fingerprint(path),
            owned_writes("Pipeline", 7, 6),
            [SheetReplace(HISTORY, history_rows(3))],
            crash_hook=crash_at(stage),
        )
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []
    assert backups(path) == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["pipeline.xlsx"]


def test_crash_right_after_rename_leaves_the_complete_new_file(tmp_path):
    path = build_rich_workbook(tmp_path / "pipeline.xlsx")
    before = path.read_bytes()
    cells = owned_writes("Pipeline", 7, 6)
    expected = plan_patch(path, cells, [])
    with pytest.raises(RuntimeError):
        patch_xlsx(path, fingerprint(path), cells, [], crash_hook=crash_at("replaced"))
    after = parts(path)
    assert all(after[name] == content for name, content in expected.items())
    assert leftovers(tmp_path) == []
    assert [b.read_bytes() for b in backups(path)] == [before]


def test_backups_are_bounded_and_hold_previous_versions(tmp_path):
    path = build_rich_workbook(tmp_path / "pipeline.xlsx")
    versions = []
    for i in range(6):
        versions.append(path.read_bytes())
        report = patch_xlsx(
            path, fingerprint(path), [CellWrite("Pipeline", 2, 8, f"v{i}")], [], keep_backups=3
        )
        assert Path(report.backup).read_bytes() == versions[-1]
    kept = backups(path)
    assert len(kept) == 3
    assert [b.read_bytes() for b in kept] == versions[-3:]
    assert calamine_rows(path, "Pipeline")[1][7] == "v5"


def test_atomic_replace_cleans_up_when_verification_fails(tmp_path):
    target = tmp_path / "file.bin"
    target.write_bytes(b"original")

    def write(tmp: Path) -> None:
        tmp.write_bytes(b"half-writ")

    def verify(tmp: Path) -> None:
        raise WriteRefused("verification failed")

    with pytest.raises(WriteRefused):
        atomic_replace(target, write, verify)
    assert target.read_bytes() == b"original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]


def test_atomic_replace_keeps_file_mode(tmp_path):
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")
    target.chmod(0o640)
    backup = atomic_replace(target, lambda t: t.write_bytes(b"new"), lambda t: None)
    assert target.read_bytes() == b"new" and backup.read_bytes() == b"old"
    assert target.stat().st_mode & 0o777 == 0o640


# --------------------------------------------------------------------------- other producers

PLAIN_ROWS = [["Deal ID", "Stage", "Amount"], ["D-1", "lead", 100], ["D-2", "won", 250]]


@pytest.mark.parametrize("prefix", ["", "x:"])
@pytest.mark.parametrize("references", [True, False])
def test_workbooks_from_other_producers(prefix, references, tmp_path):
    """Namespace prefixes and rows/cells without ``r`` references are patched correctly."""
    path = build_handmade_workbook(
        tmp_path / "p.xlsx", PLAIN_ROWS, prefix=prefix, references=references
    )
    before = parts(path)
    cells = [
        CellWrite("Pipeline", 1, 4, "⚑ salessheet"),
        CellWrite("Pipeline", 3, 4, "late"),
        CellWrite("Pipeline", 2, 2, "opportunity"),
        CellWrite("Pipeline", 5, 1, "D-9"),
    ]
    report = patch_xlsx(path, fingerprint(path), cells, [SheetReplace(HISTORY, [["a"], [1]])])
    assert report.written_cells == 4
    after = parts(path)
    assert {n for n in before if before[n] != after[n]} == {
        "xl/worksheets/sheet1.xml"
    } | BOOKKEEPING
    assert after["xl/sharedStrings.xml"] == before["xl/sharedStrings.xml"]
    rows = calamine_rows(path, "Pipeline")
    assert rows[:3] == [
        ["Deal ID", "Stage", "Amount", "⚑ salessheet"],
        ["D-1", "opportunity", 100, ""],
        ["D-2", "won", 250, "late"],
    ]
    assert rows[4][0] == "D-9"
    wb = openpyxl.load_workbook(path)
    assert wb["Pipeline"]["B2"].value == "opportunity" and wb[HISTORY]["A2"].value == 1
    xml = after["xl/worksheets/sheet1.xml"].decode()
    if prefix:
        assert "<c " not in xml and "<row" not in xml and "<is>" not in xml  # all prefixed
    if references:
        assert f'<{prefix}row r="1" spans="1:4">' in xml
        assert f'<{prefix}dimension ref="A1:D5"/>' in xml


def test_value_already_there_as_a_shared_string_is_left_alone(tmp_path):
    """After Excel saves, our inline strings become shared strings; same value = no write."""
    rows = [["Deal ID", "⚑ salessheet"], ["D-1", "stalled"], ["D-2", None]]
    path = build_handmade_workbook(tmp_path / "p.xlsx", rows)
    before = path.read_bytes()
    cells = [
        CellWrite("Pipeline", 1, 2, "⚑ salessheet"),
        CellWrite("Pipeline", 2, 2, "stalled"),
        CellWrite("Pipeline", 3, 2, None),
    ]
    report = patch_xlsx(path, fingerprint(path), cells, [])
    assert report.unchanged and path.read_bytes() == before
    cells[1] = CellWrite("Pipeline", 2, 2, "ok")
    assert patch_xlsx(path, fingerprint(path), cells, []).written_cells == 1
    assert calamine_rows(path, "Pipeline")[1] == ["D-1", "ok"]


def test_empty_sheet_gets_its_first_rows(tmp_path):
    path = build_handmade_workbook(tmp_path / "p.xlsx", [])
    patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 2, 3, 7)], [])
    assert calamine_rows(path, "Pipeline") == [["", "", ""], ["", "", 7]]
    assert openpyxl.load_workbook(path)["Pipeline"]["C2"].value == 7


def test_new_sheet_name_with_markup_characters(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    name = "R&D <历史>"
    patch_xlsx(path, fingerprint(path), [], [SheetReplace(name, [["x"]])])
    assert python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names[-1] == name
    assert openpyxl.load_workbook(path)[name]["A1"].value == "x"


def test_read_only_file_is_refused(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    path.chmod(0o444)
    with pytest.raises(WriteRefused, match="read-only") as err:
        patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 2, 8, "x")], [])
    assert err.value.exit_code == 3 and leftovers(tmp_path) == []


def test_disk_full_while_writing_is_refused_with_the_file_unchanged(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    before = path.read_bytes()

    def disk_full(stage: str) -> None:
        if stage == "temp-written":
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(WriteRefused, match="could not write.*No space left") as err:
        patch_xlsx(
            path, fingerprint(path), [CellWrite("Pipeline", 2, 8, "x")], [], crash_hook=disk_full
        )
    assert err.value.exit_code == 3
    assert path.read_bytes() == before and leftovers(tmp_path) == [] and backups(path) == []


def test_symlinked_workbook_is_updated_through_the_link(tmp_path):
    real = build_rich_workbook(tmp_path / "real.xlsx")
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    patch_xlsx(link, fingerprint(link), [CellWrite("Pipeline", 2, 8, "via link")], [])
    assert link.is_symlink()
    assert calamine_rows(real, "Pipeline")[1][7] == "via link"


def test_new_sheet_avoids_part_names_that_stale_entries_mention(tmp_path):
    path = build_handmade_workbook(tmp_path / "p.xlsx", PLAIN_ROWS)
    stale = b'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/xml"/>'
    with zipfile.ZipFile(path) as zf:
        items = [(i, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", stale + b"</Types>")
            zf.writestr(info, data)
    patch_xlsx(path, fingerprint(path), [], [SheetReplace(HISTORY, [["h"]])])
    assert sheet_part(path, HISTORY) == "xl/worksheets/sheet3.xml"
    assert calamine_rows(path, HISTORY) == [["h"]]


def test_preview_names_exactly_the_cells_and_sheets_that_would_change(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    before = path.read_bytes()
    cells = [
        CellWrite("Pipeline", 2, 1, "D-0001"),  # already there: not a change
        CellWrite("Pipeline", 2, 7, "flag"),  # new cell, fast path
        CellWrite("Pipeline", 3, 3, "won"),  # overwrite inside the row
        CellWrite("Pipeline", 4, 7, None),  # nothing there: not a change
        CellWrite("Pipeline", 20, 2, 5),  # new row
    ]
    preview = preview_patch(path, cells, [SheetReplace(HISTORY, [["x"]])])
    assert [(c.row, c.col) for c in preview.cells] == [(2, 7), (3, 3), (20, 2)]
    assert preview.sheets == [HISTORY] and not preview.unchanged
    assert path.read_bytes() == before
    patch_xlsx(path, fingerprint(path), cells, [SheetReplace(HISTORY, [["x"]])])
    assert preview_patch(path, cells, [SheetReplace(HISTORY, [["x"]])]).unchanged


def test_text_longer_than_excel_allows_is_refused(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    before = path.read_bytes()
    fits = "x" * 32_767
    patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 2, 8, fits)], [])
    assert calamine_rows(path, "Pipeline")[1][7] == fits
    written = path.read_bytes()
    too_long = "🚀" * 16_384  # 32,768 UTF-16 units, as Excel counts
    with pytest.raises(WriteRefused, match="Excel cells hold at most 32,767"):
        patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 2, 8, too_long)], [])
    with pytest.raises(WriteRefused, match="at most 32,767"):
        patch_xlsx(path, fingerprint(path), [], [SheetReplace(HISTORY, [[too_long]])])
    assert path.read_bytes() == written != before


def reverse_central_directory(path: Path) -> None:
    """Rewrite the zip so its central directory lists entries in reverse order."""
    data = path.read_bytes()
    eocd = data.rfind(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack_from("<HLL", data, eocd + 10)
    records, pos = [], cd_offset
    for _ in range(count):
        n, m, k = struct.unpack_from("<3H", data, pos + 28)
        records.append(data[pos : pos + 46 + n + m + k])
        pos += 46 + n + m + k
    cd = b"".join(reversed(records))
    path.write_bytes(data[:cd_offset] + cd + data[cd_offset + cd_size :])


def test_central_directory_order_is_kept(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    reverse_central_directory(path)
    before = entry_meta(path)
    assert before[0][0] == "[Content_Types].xml"  # reversed: it was written last
    patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 2, 8, "x")], [])
    assert entry_meta(path) == before
    assert calamine_rows(path, "Pipeline")[1][7] == "x"


def test_next_night_updates_the_owned_cells_in_place(tmp_path):
    """Day 2: the tool's own columns exist; only the cells whose value changes are rewritten."""
    path = build_rich_workbook(tmp_path / "p.xlsx")
    day1 = owned_writes("Pipeline", 7, 6)
    patch_xlsx(path, fingerprint(path), day1, [])
    part = sheet_part(path, "Pipeline")
    before = parts(path)[part].decode()
    day2 = list(day1)
    day2[3] = CellWrite("Pipeline", 2, 8, 99)  # a new number
    day2[4] = CellWrite("Pipeline", 3, 7, None)  # text -> None (removed)
    day2[6] = CellWrite("Pipeline", 4, 7, "now flagged")  # None -> text
    preview = preview_patch(path, day2, [])
    assert [(c.row, c.col) for c in preview.cells] == [(2, 8), (3, 7), (4, 7)]
    report = patch_xlsx(path, fingerprint(path), day2, [])
    assert report.written_cells == 3
    rows = calamine_rows(path, "Pipeline")
    assert [r[6:8] for r in rows[1:5]] == [["", 99], ["", 4.5], ["now flagged", 6], ["", 7.5]]
    after = parts(path)[part].decode()
    import re

    untouched = [f'<row r="{n}">' for n in (1, 5, 6, 7)]
    for tag in untouched:  # rows without changes keep their exact bytes
        row = re.search(re.escape(tag) + r".*?</row>", before).group(0)
        assert row in after


def test_user_cells_between_and_after_owned_columns_stay_in_order(tmp_path):
    path = build_rich_workbook(tmp_path / "p.xlsx")
    patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 2, 9, "ours")], [])
    # A user types into H2 (between) and K2 (after) the tool's columns G and I.
    patch_xlsx(
        path,
        fingerprint(path),
        [CellWrite("Pipeline", 2, 8, "user H"), CellWrite("Pipeline", 2, 11, "user K")],
        [],
    )
    cells = [CellWrite("Pipeline", 2, 7, "flag G"), CellWrite("Pipeline", 2, 9, "ours 2")]
    patch_xlsx(path, fingerprint(path), cells, [])
    xml = parts(path)[sheet_part(path, "Pipeline")].decode()
    row = xml[xml.index('<row r="2"') : xml.index("</row>", xml.index('<row r="2"'))]
    import re

    assert re.findall(r'<c r="([A-Z]+)2"', row) == [
        "A",
        "B",
        "C",
        "D",
        "E",
        "F",
        "G",
        "H",
        "I",
        "K",
    ]
    assert calamine_rows(path, "Pipeline")[1][6:11] == ["flag G", "user H", "ours 2", "", "user K"]


def test_malformed_generated_xml_is_caught_before_writing():
    from salessheet.stores.xlsx.xmltext import _well_formed

    good = b"<a>" + b"<b>x</b>" * 300_000 + b"</a>"  # > 1 MB: parsed in pieces
    _well_formed(good, "sheet")
    with pytest.raises(WriteRefused, match="not well-formed"):
        _well_formed(good[:-4] + b"<b></a>", "sheet")


def test_atomic_replace_creates_a_missing_file_without_backup(tmp_path):
    target = tmp_path / "new.csv"
    backup = atomic_replace(target, lambda t: t.write_bytes(b"a,b\n"), lambda t: None)
    assert backup is None and target.read_bytes() == b"a,b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv"]


def test_table_header_cells_are_not_changed(tmp_path):
    """Excel reports a damaged file when a table's header cell stops matching its column."""
    path = build_rich_workbook(tmp_path / "p.xlsx")  # table "Deals" on A1:F7
    before = path.read_bytes()
    with pytest.raises(WriteRefused, match="header row of the Excel table 'Deals'") as err:
        patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 1, 3, "Stage!")], [])
    assert "C1" in err.value.message and path.read_bytes() == before
    # The same text is no change; data cells inside the table may be written.
    same = [CellWrite("Pipeline", 1, 3, "Stage"), CellWrite("Pipeline", 3, 3, "won")]
    assert patch_xlsx(path, fingerprint(path), same, []).written_cells == 1


def rewrite_part(path: Path, name: str, edit) -> None:
    with zipfile.ZipFile(path) as zf:
        items = [(i, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            zf.writestr(info, edit(data) if info.filename == name else data)


def test_unusual_but_valid_xml_formatting(tmp_path):
    """Attribute order, single quotes and whitespace between elements are all allowed."""
    path = build_handmade_workbook(tmp_path / "p.xlsx", [["a", "b", "c"], ["d", 1, 2]])
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: (
            x.replace(b'<c r="B2">', b"<c s='0' r='B2'>")
            .replace(b'<row r="2" spans="1:3">', b"<row spans='1:3' r='2'>\n  ")
            .replace(b"</row>", b"\n</row>")
        ),
    )
    cells = [
        CellWrite("Pipeline", 2, 2, 5),
        CellWrite("Pipeline", 2, 5, "e"),
        CellWrite("Pipeline", 1, 4, "hdr"),
    ]
    patch_xlsx(path, fingerprint(path), cells, [])
    assert calamine_rows(path, "Pipeline") == [["a", "b", "c", "hdr", ""], ["d", 5, 2, "", "e"]]
    xml = parts(path)["xl/worksheets/sheet1.xml"]
    assert b"<row spans='1:5' r='2'>\n  " in xml and b'<c r="B2" s="0"><v>5</v></c>' in xml
    assert b'<dimension ref="A1:E2"/>' in xml


def test_clearing_a_cell_never_shifts_cells_without_references(tmp_path):
    path = build_handmade_workbook(
        tmp_path / "p.xlsx", [["a", "b", "c"], ["d", "e", "f"]], references=False
    )
    patch_xlsx(path, fingerprint(path), [CellWrite("Pipeline", 2, 2, None)], [])
    assert calamine_rows(path, "Pipeline") == [["a", "b", "c"], ["d", "", "f"]]
    assert openpyxl.load_workbook(path)["Pipeline"]["C2"].value == "f"


@pytest.mark.parametrize(
    "part, tag",
    [
        ("[Content_Types].xml", b"Types"),
        ("xl/_rels/workbook.xml.rels", b"Relationships"),
        ("xl/workbook.xml", b"sheets"),
    ],
)
def test_new_sheet_in_a_part_whose_end_tag_has_a_space(part, tag, tmp_path):
    """``</Types >`` is well-formed XML; a new sheet is still listed there (found by mypy: the
    end tag was searched without the space and the search's None was used as a match)."""
    path = build_handmade_workbook(tmp_path / "p.xlsx", PLAIN_ROWS)
    rewrite_part(path, part, lambda x: x.replace(b"</" + tag + b">", b"</" + tag + b" >"))
    patch_xlsx(path, fingerprint(path), [], [SheetReplace(HISTORY, [["h"]])])
    assert calamine_rows(path, HISTORY) == [["h"]]
    assert openpyxl.load_workbook(path)[HISTORY]["A1"].value == "h"


def test_new_sheet_in_a_part_without_its_list_is_refused(tmp_path):
    path = build_handmade_workbook(tmp_path / "p.xlsx", PLAIN_ROWS)
    rewrite_part(path, "[Content_Types].xml", lambda x: x.replace(b"</Types>", b""))
    before = path.read_bytes()
    with pytest.raises(WriteRefused, match="Types") as err:
        patch_xlsx(path, fingerprint(path), [], [SheetReplace(HISTORY, [["h"]])])
    assert err.value.exit_code == 3 and path.read_bytes() == before
