"""Two nights of `run` on workbooks with the features real users' files have, from the CLI: every
zip part outside what the tool owns keeps its bytes, the pipeline sheet keeps every cell and
attribute outside the two flag columns, and the sheet's edges (no room left for the flags, a
merged note where they would go) never cost the ledger or a user's cell."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from conftest import make_xlsx, parts
from openpyxl import load_workbook
from test_xlsx_patch import excel_owner_file
from xlsx_fixtures import CORPUS, MAIN_NS, VBA_BYTES, build_rich_workbook

from salessheet.core.cells import col_number
from salessheet.core.owned import HISTORY_SHEET, OWNED_COLUMN_PREFIX
from salessheet.stores.xlsx.markers import MARK_PREFIX

HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close", "Lost Reason"]


def pipeline(tmp_path: Path, name: str = "pipeline.xlsx") -> Path:
    rows = [
        HEADER,
        ["X", "Acme", "Lead", 1000, "Ann", dt.date(2027, 1, 31), None],
        ["Y", "Beta", "Negotiation", 5000, "Bob", dt.date(2027, 1, 31), None],
        ["Z", "上海星河", "销售机会", 2000, "王芳", dt.date(2027, 2, 28), None],
    ]
    return make_xlsx(tmp_path / name, {"Pipeline": rows, "Notes": [["keep me"]]})


def set_stage(path: Path, deal: str, stage: str) -> None:
    wb = load_workbook(path)
    for row in wb["Pipeline"].iter_rows(min_row=2):
        if row[0].value == deal:
            row[2].value = stage
    wb.save(path)


def stage_moves(path: Path) -> list[tuple]:
    ws = load_workbook(path)[HISTORY_SHEET]
    return [r[2:6] for r in ws.iter_rows(min_row=2, values_only=True) if r[3] == "stage"]


# --------------------------------------------------------------------------- no room for flags


def test_a_sheet_used_out_to_column_xfd_still_records_the_ledger(cli, tmp_path: Path) -> None:
    """The header row reaches XFD (Excel's 16,384th and last column): the flag columns have
    nowhere to go. Before, the whole write was refused, every night ("cell row 1, column 16385
    is outside the sheet", exit 3, with a hint to close Excel): no stage history was ever
    recorded. Now the ledger and findings are written, the pipeline sheet is not touched, and
    the run says why there are no flags, naming the cell that ends the header row."""
    path = pipeline(tmp_path)
    wb = load_workbook(path)
    wb["Pipeline"]["XFD1"] = "far note"
    wb.save(path)
    before = parts(path)

    code, out = cli.json("run", path, "--today", "2026-11-02")
    assert code in (0, 1), out
    note = out["written"]["note"]
    assert "no flag columns written" in note and "XFD1: 'far note'" in note
    assert out["written"]["sheets"] == [
        "salessheet history",
        "salessheet findings",
        "salessheet forecast",
    ]
    after = parts(path)
    assert after["xl/worksheets/sheet1.xml"] == before["xl/worksheets/sheet1.xml"]
    assert after["xl/worksheets/sheet2.xml"] == before["xl/worksheets/sheet2.xml"]

    set_stage(path, "X", "Opportunity")
    code, out = cli.json("run", path, "--today", "2026-11-09")
    assert code in (0, 1), out
    assert ("X", "stage", "lead", "opportunity") in stage_moves(path)
    ws = load_workbook(path)["Pipeline"]
    assert ws["XFD1"].value == "far note" and ws["H1"].value is None

    res = cli("run", path, "--today", "2026-11-09", "--dry-run")
    assert res.exit_code in (0, 1)
    assert "no flag columns written" in res.stdout


def test_flag_columns_go_around_a_merged_note_box_right_of_the_table(cli, tmp_path: Path) -> None:
    """A note typed into a merged box right of the table (I2:K4): only I holds a value, so J
    and K looked empty and the days column went into J, inside the box, where Excel never
    shows a merged range's hidden cells: those deals' days were invisible and the box held
    values its owner never typed. Now both flag columns skip every column of the box."""
    path = pipeline(tmp_path)
    wb = load_workbook(path)
    ws = wb["Pipeline"]
    ws["I2"] = "Team note: call every lead on Friday"
    ws.merge_cells("I2:K4")
    wb.save(path)
    for day in ("2026-11-02", "2026-11-09"):
        code, out = cli.json("run", path, "--today", day)
        assert code in (0, 1), out
        ws = load_workbook(path)["Pipeline"]
        assert [ws.cell(1, c).value for c in range(8, 13)] == [
            "⚑ salessheet: flags",
            None,
            None,
            None,
            "⚑ salessheet: days in stage",
        ]
        box = [ws.cell(r, c).value for r in range(2, 5) for c in range(9, 12)]
        assert box == ["Team note: call every lead on Friday"] + [None] * 8
        assert [str(m) for m in ws.merged_cells.ranges] == ["I2:K4"]
        assert ws["L2"].value == (0 if day == "2026-11-02" else 7)


# --------------------------------------------------------------------------- open in Excel


def test_a_workbook_opened_through_its_real_path_is_refused_before_any_message_goes_out(
    cli, tmp_path: Path, httpserver
) -> None:
    """The nightly job reaches the workbook through a link (a synced folder, a share mounted
    elsewhere); Excel has it open under its real path, so its owner file ``~$pipeline.xlsx``
    sits beside the real file. The check made before tonight's on_enter actions looked only
    beside the link: the chat message went out, then the write was refused (exit 3) and the
    actions were never recorded, so the next night sent them again. Now nothing is sent."""
    httpserver.expect_request("/chat", method="POST").respond_with_json({"ok": True})
    profile = tmp_path / "team.yaml"
    profile.write_text(
        "extends: b2b\n"
        "notifications:\n  webhooks:\n"
        f"    - {{kind: generic, url: '{httpserver.url_for('/chat')}', name: sales-chat}}\n"
        "stages:\n  - id: negotiation\n    on_enter:\n"
        "      - {notify: sales-chat, message: {en: A deal reached negotiation}}\n",
        "utf-8",
    )
    (tmp_path / "real").mkdir()
    (tmp_path / "link").mkdir()
    real = pipeline(tmp_path / "real")
    link = tmp_path / "link" / "pipeline.xlsx"
    link.symlink_to(real)

    assert cli.json("run", link, "--config", profile, "--today", "2026-11-02")[0] in (0, 1)
    set_stage(real, "X", "Negotiation")
    (tmp_path / "real" / "~$pipeline.xlsx").write_bytes(excel_owner_file("Alice Wang"))
    before = real.read_bytes()

    res = cli("run", link, "--config", profile, "--today", "2026-11-03")
    assert res.exit_code == 3
    assert "open in Excel by Alice Wang" in res.stderr
    assert list(httpserver.log) == []
    assert real.read_bytes() == before and link.is_symlink()

    (tmp_path / "real" / "~$pipeline.xlsx").unlink()
    code, out = cli.json("run", link, "--config", profile, "--today", "2026-11-03")
    assert [a["status"] for a in out["actions"]] == ["done"]
    assert len(httpserver.log) == 1


def test_a_dry_run_says_a_run_now_would_be_refused_while_excel_has_the_file(
    cli, tmp_path: Path
) -> None:
    """Someone tries tonight's run with --dry-run while a colleague has the workbook open: the
    dry run listed the changes as if they could be written; the real run then refused (exit
    3). Now the dry run says so, naming who has it open; its exit code still follows the
    findings, and the file stays as it was."""
    path = pipeline(tmp_path)
    clean = cli("run", path, "--today", "2026-11-02", "--dry-run")
    assert "would write nothing" not in clean.stdout
    (tmp_path / "~$pipeline.xlsx").write_bytes(excel_owner_file("陈伟"))
    before = path.read_bytes()
    res = cli("run", path, "--today", "2026-11-02", "--dry-run")
    assert res.exit_code == clean.exit_code
    assert (
        "A run now would write nothing (exit 3): "
        f"{path}: the workbook is open in Excel by 陈伟 (lock file ~$pipeline.xlsx)"
    ) in res.stdout
    code, out = cli.json("run", path, "--today", "2026-11-02", "--dry-run")
    assert "open in Excel by 陈伟" in out["dry_run"]["refused"]["message"]
    assert path.read_bytes() == before
    assert cli("run", path, "--today", "2026-11-02").exit_code == 3


# --------------------------------------------------------------------------- two nights, every part

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
TOOL_SHEET_PREFIX = "salessheet "


def soffice(path: Path, out: Path, to: str) -> Path:
    """LibreOffice converts ``path`` (``to``: csv or xlsx) into ``out``, as a user's app would."""
    out.mkdir(exist_ok=True)
    subprocess.run(
        [str(SOFFICE), "--headless", "--norestore",
         f"-env:UserInstallation={(out / 'lo-profile').as_uri()}",
         "--convert-to", to, "--outdir", str(out), str(path)],
        capture_output=True, timeout=240, check=False,
    )  # fmt: skip
    made = out / f"{path.stem}.{to.split(':')[0]}"
    assert made.exists() and made.stat().st_size > 0, f"LibreOffice could not open {path.name}"
    return made


def _rezip(path: Path, edit, add: dict[str, bytes]) -> None:  # noqa: ANN001
    with zipfile.ZipFile(path) as zf:
        items = [(info, zf.read(info.filename)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            zf.writestr(info, edit(info.filename, data))
        for name, data in add.items():
            zf.writestr(name, data)


THREADED = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ThreadedComments xmlns="http://'
    b'schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"><threadedComment ref="C3"'
    b' dT="2026-11-01T09:00:00.00" personId="{AAAAAAAA-0000-4000-8000-000000000001}" id="{7C2D1B'
    b'1A-0000-4000-8000-000000000001}"><text>close by Friday?</text></threadedComment>'
    b"</ThreadedComments>"
)
PERSONS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<personList xmlns="http://schemas'
    b'.microsoft.com/office/spreadsheetml/2018/threadedcomments"><person displayName="Bob" id="{'
    b'AAAAAAAA-0000-4000-8000-000000000001}" userId="bob@example.com" providerId="AD"/>'
    b"</personList>"
)


def featured_workbook(path: Path, *, macros: bool = False) -> Path:
    """The rich fixture (table over the pipeline, data validation, conditional formatting, a
    comment, a hyperlink, defined names, a chart of the amounts, an image, formulas with cached
    values) plus, in its XML: a shared formula, a rich-text inline string, a frozen pane, sheet
    protection, a print area and print titles, a threaded comment and its person list, a custom
    XML part, and for ``macros`` a VBA project (.xlsm)."""
    build_rich_workbook(path)

    def edit(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            s = data.decode()
            s = re.sub(r'<c r="F2"([^>]*)><f>D2\*0\.5</f>', r'<c r="F2"\1><f t="shared" ref="F2:F7"'
                       r' si="0">D2*0.5</f>', s)  # fmt: skip
            for i in range(3, 8):
                s = re.sub(rf'<c r="F{i}"([^>]*)><f>D{i}\*0\.5</f>', rf'<c r="F{i}"\1><f t="shared"'
                           r' si="0"/>', s)  # fmt: skip
            s = re.sub(r'<c r="B3"[^>]*>.*?</c>', '<c r="B3" t="inlineStr"><is><r><rPr><b/></rPr>'
                       '<t>Beta</t></r><r><t xml:space="preserve"> GmbH</t></r></is></c>', s,
                       flags=re.S)  # fmt: skip
            s = re.sub(
                r"<sheetView ([^>]*?)(/?)>",
                r'<sheetView \1><pane ySplit="1" topLeftCell='
                r'"A2" activePane="bottomLeft" state="frozen"/>' + "\n" + r"\2",
                s,
                count=1,
            )
            s = s.replace("\n/", "</sheetView").replace("\n", "")
            s = s.replace("</sheetData>", '</sheetData><sheetProtection sheet="1" objects="1"/>', 1)
            assert 't="shared"' in s and "<r><rPr>" in s and "frozen" in s
            return s.encode()
        if name == "xl/worksheets/_rels/sheet1.xml.rels":
            return data.replace(b"</Relationships>", b'<Relationship Id="rIdTc" Type="http://schem'
                                b'as.microsoft.com/office/2017/10/relationships/threadedComment" '
                                b'Target="../threadedComments/threadedComment1.xml"/>'
                                b"</Relationships>")  # fmt: skip
        if name == "xl/workbook.xml":
            return data.replace(b"</definedNames>", b'<definedName name="_xlnm.Print_Area" localS'
                                b'heetId="0">Pipeline!$A$1:$F$7</definedName><definedName name="_x'
                                b'lnm.Print_Titles" localSheetId="0">Pipeline!$1:$1</definedName>'
                                b"</definedNames>")  # fmt: skip
        if name == "xl/_rels/workbook.xml.rels" and macros:
            return data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://sch'
                                b'emas.microsoft.com/office/2006/relationships/vbaProject" Target='
                                b'"vbaProject.bin"/></Relationships>')  # fmt: skip
        if name == "[Content_Types].xml":
            data = data.replace(b"</Types>", b'<Override PartName="/xl/threadedComments/threaded'
                                b'Comment1.xml" ContentType="application/vnd.ms-excel.threadedcom'
                                b'ments+xml"/><Override PartName="/xl/persons/person.xml" Content'
                                b'Type="application/vnd.ms-excel.person+xml"/>'
                                b"</Types>")  # fmt: skip
            if macros:
                data = data.replace(
                    b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml"
                ).replace(b"application/vnd.openxmlformats-officedocument.sheet.macroEnabled",
                          b"application/vnd.ms-excel.sheet.macroEnabled").replace(
                    b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office'
                    b'.vbaProject"/></Types>')  # fmt: skip
            return data
        return data

    add = {
        "xl/threadedComments/threadedComment1.xml": THREADED,
        "xl/persons/person.xml": PERSONS,
        "customXml/item1.xml": b'<?xml version="1.0"?><crm xmlns="urn:example:crm">id-7</crm>',
    }
    if macros:
        add["xl/vbaProject.bin"] = VBA_BYTES
    _rezip(path, edit, add)
    return path


def _owned_cols(sheet_xml: bytes, strings: list[str]) -> set[str]:
    root = ET.fromstring(sheet_xml)
    cols = set()
    for c in root.iter(f"{{{MAIN_NS}}}c"):
        text = "".join(t.text or "" for t in c.iter(f"{{{MAIN_NS}}}t"))
        v = c.find(f"{{{MAIN_NS}}}v")
        if c.get("t") == "s" and v is not None:
            text = strings[int(v.text or 0)]
        if text.startswith(OWNED_COLUMN_PREFIX):
            cols.add(re.match(r"[A-Z]+", c.get("r", "")).group(0))
    return cols


def _canon(root: ET.Element) -> str:
    return ET.canonicalize(ET.tostring(root, encoding="unicode"))


def _user_part_of_sheet(xml: bytes, owned: set[str]) -> str:
    """The sheet XML without the tool's cells, the dimension and the rows' spans hints."""
    root = ET.fromstring(xml)
    for dim in root.iter(f"{{{MAIN_NS}}}dimension"):
        dim.attrib.pop("ref", None)
    for data in root.iter(f"{{{MAIN_NS}}}sheetData"):
        for row in list(data):
            row.attrib.pop("spans", None)
            for c in list(row):
                if re.match(r"[A-Z]+", c.get("r", "")).group(0) in owned:
                    row.remove(c)
            if len(row) == 0 and set(row.attrib) <= {"r"}:
                data.remove(row)
    return _canon(root)


def _without(xml: bytes, drop) -> str:  # noqa: ANN001
    root = ET.fromstring(xml)
    for parent in list(root.iter()):
        for child in list(parent):
            if drop(child):
                parent.remove(child)
    return _canon(root)


def _tool_element(el: ET.Element, added: set[str]) -> bool:
    tag = el.tag.rsplit("}", 1)[-1]
    if tag == "sheet":
        return el.get("name", "").startswith(TOOL_SHEET_PREFIX)
    if tag == "definedName":
        return el.get("name", "").startswith(MARK_PREFIX)
    if tag == "definedNames":
        return all(d.get("name", "").startswith(MARK_PREFIX) for d in el)
    if tag == "Relationship":
        return any(el.get("Target", "").endswith(a.rsplit("/", 1)[-1]) for a in added)
    if tag == "Override":
        return el.get("PartName", "").lstrip("/") in added
    return False


def assert_only_tool_parts_changed(before: Path, after: Path, pipeline_part: str) -> None:
    """Every zip entry of ``before`` is in ``after``, in the same order; entries the tool does
    not own keep their bytes (compressed bytes too); workbook.xml, its relationships and the
    content types differ only by the tool's sheets and marks; the pipeline sheet only in the
    tool's two columns (and the dimension and spans hints that follow them)."""
    with zipfile.ZipFile(before) as zb, zipfile.ZipFile(after) as za:
        old = {i.filename: i for i in zb.infolist()}
        new = {i.filename: i for i in za.infolist()}
        assert [n for n in new if n in old] == list(old), "entries lost or reordered"
        added = set(new) - set(old)
        assert all(a.startswith("xl/worksheets/sheet") for a in added), added
        strings = []
        if "xl/sharedStrings.xml" in old:
            sst = ET.fromstring(za.read("xl/sharedStrings.xml"))
            strings = [
                "".join(t.text or "" for t in si.iter(f"{{{MAIN_NS}}}t"))
                for si in sst.findall(f"{{{MAIN_NS}}}si")
            ]
        owned = _owned_cols(za.read(pipeline_part), strings)
        assert len(owned) == 2, owned
        for name, info in old.items():
            a, b = zb.read(name), za.read(name)
            if name == pipeline_part:
                assert _user_part_of_sheet(a, owned) == _user_part_of_sheet(b, owned), name
            elif name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                assert _without(a, lambda e: _tool_element(e, added)) == _without(
                    b, lambda e: _tool_element(e, added)
                ), name
            elif a != b:
                # a tool-owned sheet from an earlier night may change; nothing else
                assert name.startswith("xl/worksheets/sheet") and name != pipeline_part, name
            else:
                n = new[name]
                assert (info.CRC, info.compress_type, info.compress_size) == (
                    n.CRC,
                    n.compress_type,
                    n.compress_size,
                ), name


def move_stage(path: Path, sheet: str, cell: str, stage: str) -> None:
    """Someone types a new stage into ``cell`` (written the tool's own way, so that nothing
    else in the file changes and the comparison sees only the run's own work)."""
    from salessheet.stores.base import CellWrite
    from salessheet.stores.file_safety import fingerprint
    from salessheet.stores.xlsx.patch import patch_xlsx

    col, row = re.match(r"([A-Z]+)(\d+)$", cell).groups()
    write = CellWrite(sheet, int(row), col_number(col), stage)
    patch_xlsx(path, fingerprint(path), [write], [], keep_backups=0)


def two_nights(cli, path: Path, part: str, move: tuple[str, str, str], *args: str) -> None:
    """Night 1, a stage moved during the day, night 2: each night changes only the tool's."""
    first = path.with_name("before-night-1" + path.suffix)
    shutil.copyfile(path, first)
    code, out = cli.json("run", path, "--today", "2026-11-02", *args)
    assert code in (0, 1), out
    assert out["written"]["cells"] > 0
    assert_only_tool_parts_changed(first, path, part)
    move_stage(path, *move)
    second = path.with_name("before-night-2" + path.suffix)
    shutil.copyfile(path, second)
    code, out = cli.json("run", path, "--today", "2026-11-09", *args)
    assert code in (0, 1), out
    assert_only_tool_parts_changed(second, path, part)
    assert [e for e in out["events"] if e[3] == "stage"], "the moved stage was not recorded"


@pytest.mark.parametrize("name", ["featured.xlsx", "featured.xlsm"])
def test_two_nights_on_a_featured_workbook_change_only_the_tools_cells(
    cli, tmp_path: Path, name: str
) -> None:
    path = featured_workbook(tmp_path / name, macros=name.endswith(".xlsm"))
    two_nights(cli, path, "xl/worksheets/sheet1.xml", ("Pipeline", "C3", "negotiation"))
    wb = load_workbook(path)  # formulas, names and chart still point where they did
    assert wb["Notes"]["B1"].value == "=SUM(Pipeline!D2:D7)"
    assert wb.defined_names["BigDeal"].attr_text == "Pipeline!$D$5"
    with zipfile.ZipFile(path) as zf:
        chart = zf.read("xl/charts/chart1.xml")
    assert b"'Pipeline'!$D$2:$D$7" in chart or b"Pipeline!$D$2:$D$7" in chart
    if SOFFICE:
        csv = soffice(path, tmp_path / "lo", "csv").read_text("utf-8")
        assert csv.splitlines()[0].startswith("Deal ID,Customer,Stage,Amount,Owner,Weighted,")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_two_nights_on_a_workbook_saved_by_libreoffice(cli, tmp_path: Path) -> None:
    """A file saved by another app: LibreOffice writes shared strings, explicit defaults on
    every row and its own extension lists; one night later it saves the tool's output again."""
    (tmp_path / "src").mkdir()
    src = featured_workbook(tmp_path / "src" / "featured.xlsx")
    path = soffice(src, tmp_path / "saved", "xlsx")
    two_nights(cli, path, "xl/worksheets/sheet1.xml", ("Pipeline", "C3", "negotiation"))
    resaved = soffice(path, tmp_path / "resaved", "xlsx")  # the user opens and saves it
    code, out = cli.json("run", resaved, "--today", "2026-11-10")
    assert code in (0, 1), out
    move_stage(resaved, "Pipeline", "C4", "contract")
    before = resaved.with_name("before.xlsx")
    shutil.copyfile(resaved, before)
    code, out = cli.json("run", resaved, "--today", "2026-11-11")
    assert code in (0, 1), out
    assert_only_tool_parts_changed(before, resaved, "xl/worksheets/sheet1.xml")


CORPUS_PIPELINES = {  # file, sheet, the stage cell moved between the nights and its new stage
    "google-sheets": ("jhurley89_googlesheets_sales_pipeline/sales_pipeline (5).xlsx",
                      "sales_pipeline.csv", "E4", "Engaging"),
    "wps": ("isimbisyl_sales_pipeline_tracker/Sales_Pipeline.xlsx", "Sales Pipeline", "D3",
            "Proposal"),
    "custom-xml": ("greede14_uipath_extract_opportunities/Opportunities.xlsx", "Opportunities",
                   "E3", "Demo"),
    "external-links": ("meriamalex_skill_test/sales_pipeline.xlsx", "sales_pipeline", "E4",
                       "Engaging"),
}  # fmt: skip


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            k, marks=[pytest.mark.slow] if k in ("google-sheets", "external-links") else []
        )
        for k in sorted(CORPUS_PIPELINES)
    ],
)
def test_two_nights_on_real_workbooks_change_only_the_tools_cells(
    cli, tmp_path: Path, kind: str
) -> None:
    """Real files: a Google Sheets export with a table, slicers and pivots; a WPS file; a file
    with custom XML parts on its second sheet; a workbook linking to others on its author's
    disk, with pivots and charts. Each gets a config from `config init`, then two nights.
    (LibreOffice opens all four afterwards; measured, not repeated here: 8,800-row files.)"""
    name, sheet, cell, stage = CORPUS_PIPELINES[kind]
    src = CORPUS / name
    if not src.exists():
        pytest.skip(f"corpus file {name} not present")
    path = tmp_path / src.name
    shutil.copyfile(src, path)
    config = tmp_path / "team.yaml"
    code, _ = cli.json("config", "init", path, "--sheet", sheet, "--out", config,
                       "--today", "2026-11-02")  # fmt: skip
    assert code == 0
    with zipfile.ZipFile(path) as zf:
        part = sheet_part(zf, sheet)
    two_nights(cli, path, part, (sheet, cell, stage), "--config", str(config))


def sheet_part(zf: zipfile.ZipFile, sheet: str) -> str:
    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target", "") for r in rels}
    for s in wb.iter(f"{{{MAIN_NS}}}sheet"):
        if s.get("name") == sheet:
            rid = next(v for k, v in s.attrib.items() if k.endswith("}id"))
            t = target[rid]
            return t.lstrip("/") if t.startswith("/") else f"xl/{t}"
    raise AssertionError(f"no sheet {sheet}")


# --------------------------------------------------------------------------- the file itself


@pytest.mark.skipif(not hasattr(os, "setxattr"), reason="extended attributes are Linux-only here")
def test_the_workbook_keeps_its_extended_attributes_night_after_night(cli, tmp_path: Path) -> None:
    """A shared folder gives colleagues access by ACL, stored with other labels in the file's
    extended attributes. The run writes a new file and renames it into place, and the new
    file had none of them: after the first night the label was gone (and so, with an ACL, the
    colleagues' access). Now the new file carries them over, every night."""
    path = pipeline(tmp_path)
    try:
        os.setxattr(path, "user.team.owner", b"Ann (sales ops)")
    except OSError as exc:
        pytest.skip(f"this file system keeps no extended attributes ({exc})")
    for day in ("2026-11-02", "2026-11-09"):
        inode = path.stat().st_ino
        code, out = cli.json("run", path, "--today", day)
        assert code in (0, 1) and out["written"]["unchanged"] is False, out
        assert path.stat().st_ino != inode  # a new file each night, renamed into place
        assert os.getxattr(path, "user.team.owner") == b"Ann (sales ops)"
        set_stage(path, "X", "Opportunity")


def test_a_merged_band_out_to_xfd_leaves_no_room_and_the_run_says_which_columns(
    cli, tmp_path: Path
) -> None:
    """A note merged across the rest of a deal's row (H3:XFD3) takes every column right of
    the table: no flags (none hidden under the band), the ledger written, and the note names
    the columns and why."""
    path = pipeline(tmp_path)
    wb = load_workbook(path)
    wb["Pipeline"]["H3"] = "Beta: on hold until the budget is approved"
    wb["Pipeline"].merge_cells("H3:XFD3")
    wb.save(path)
    code, out = cli.json("run", path, "--today", "2026-11-02")
    assert code in (0, 1), out
    assert out["written"]["note"] == (
        "sheet 'Pipeline': no flag columns written: they need two empty columns right of the "
        "table and there are not two left up to column XFD, the sheet's last (every column "
        "from H to XFD holds a value or part of a merged range from row 1 down). The ledger "
        "and findings are in the tool's sheets; clear two columns right of the table to get "
        "the flags."
    )
    assert "salessheet history" in out["written"]["sheets"]
    ws = load_workbook(path)["Pipeline"]
    assert ws["H1"].value is None and ws["I2"].value is None


def test_a_formula_column_whose_values_read_empty_is_not_taken_for_the_flags(
    cli, tmp_path: Path
) -> None:
    """Right of the table, a column of formulas without a header: written by a script, they
    carry no cached value (Excel's `=IF(..., "")` reads as empty too). It looked free, so the
    first night put the flags header above the user's formulas and claimed the column; the
    first night a deal had a flag, the write hit a formula and was refused (exit 3) — every
    night after. Now the column is the user's and the flags go right of it."""
    path = pipeline(tmp_path)
    wb = load_workbook(path)
    ws = wb["Pipeline"]
    for r in range(2, 5):
        ws[f"H{r}"] = f'=IF(D{r}>100000,"big","")'
    wb.save(path)
    code, out = cli.json("run", path, "--today", "2026-11-02")
    assert code in (0, 1), out
    ws = load_workbook(path)["Pipeline"]
    assert [ws.cell(1, c).value for c in (8, 9, 10)] == [
        None,
        "⚑ salessheet: flags",
        "⚑ salessheet: days in stage",
    ]
    set_stage(path, "X", "Contract")  # an illegal jump: X gets a flag tonight
    code, out = cli.json("run", path, "--today", "2026-11-09")
    assert code == 1, out
    ws = load_workbook(path)["Pipeline"]
    assert ws["I2"].value == "✖ illegal-transition Lead→Contract"
    assert [ws[f"H{r}"].value for r in range(2, 5)] == [
        f'=IF(D{r}>100000,"big","")' for r in range(2, 5)
    ]
