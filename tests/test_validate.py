"""validate on real files built in a temp folder: exact findings, cells, values, exit codes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import TODAY, make_xlsx, set_error_cells

from salessheet.api import open_pipeline, validate
from salessheet.core.errors import StructureError
from salessheet.settings.profile import load_profile

ZH_HEADER = [
    "商机编号",
    "客户名称",
    "销售阶段",
    "金额",
    "币种",
    "负责人",
    "预计成交日期",
    "最近跟进日期",
    "阶段变更日期",
    "丢单原因",
]


def zh_workbook(tmp_path: Path) -> Path:
    rows = [
        ["2026年销售商机表", None, None, None, None, None],
        ["更新日期：2026-11-28", None, None, None, "单位：元", None],
        [],
        ZH_HEADER,
        [
            "0E761F02",
            "上海星河科技",
            "报价与谈判",
            "¥1,200.50",
            "CNY",
            "张伟",
            "2026年12月5日",
            dt.date(2026, 11, 20),
            dt.date(2026, 11, 25),
            None,
        ],  # noqa: E501
        [
            "D-0002",
            "北京华信",
            "客户开发",
            30000,
            "CNY",
            "李娜",
            None,
            dt.date(2026, 11, 27),
            dt.date(2026, 11, 27),
            None,
        ],  # noqa: E501
        [None] * 10,
        ["D-0003", "杭州绿源", "签约中", 5000, "CNY", "王芳", "2026-12-01", None, None, None],
        ["D-0004", "Acme Ltd", "销售机会", 8000, "CNY", None, "2026-02-30", None, None, None],
        ["D-0005", "成都天府", "丢单", 0, "CNY", "张伟", "2026-10-01", None, None, None],
        ["D-0006", "重庆山城", "报价与谈判", -4800, "CNY", "李娜", "2026-11-01", None, None, None],
        ["D-0002", "北京华信", "客户跟进", 30000, "CNY", "李娜", "2027-01-15", None, None, None],
    ]
    return make_xlsx(tmp_path / "商机.xlsx", {"商机": rows}, merges={"商机": ["A1:F1"]})


def test_chinese_workbook_with_title_block_gives_exact_findings(tmp_path: Path) -> None:
    report = validate(zh_workbook(tmp_path), today=TODAY)
    got = sorted((f.code, f.cell, f.deal_id, f.value) for f in report.findings)
    assert got == sorted(
        [
            ("unknown-stage", "C8", "D-0003", "签约中"),
            ("bad-value", "G9", "D-0004", "2026-02-30"),
            ("missing-field", "F9", "D-0004", None),
            ("missing-field", "J10", "D-0005", None),
            ("negative-amount", "D11", "D-0006", -4800),
            ("close-date-passed", "G11", "D-0006", "2026-11-01"),
            ("duplicate-id", "A6", "D-0002", "D-0002"),
            ("duplicate-id", "A12", "D-0002", "D-0002"),
        ]
    )
    by_code = {f.code: f for f in report.findings}
    assert "签约中" in by_code["unknown-stage"].message
    assert "报价与谈判" in by_code["unknown-stage"].message  # lists the allowed values
    assert "no such date" in by_code["bad-value"].message
    assert by_code["missing-field"].column in ("负责人", "丢单原因")
    assert report.exit_code == 1
    # the empty row 7 is skipped, reading goes on after it; D-0002 on rows 6 and 12 is one deal
    assert report.deals == 6
    assert report.notes == ["7 rows: 2 rows share 1 id; each id counted once, the last row wins"]


def test_values_are_typed_strictly(tmp_path: Path) -> None:
    p = open_pipeline(zh_workbook(tmp_path), today=TODAY)
    d = p.deal("0E761F02")
    assert d is not None and d.id == "0E761F02"  # looks like a number, stays text
    assert d.values["amount"] == Decimal("1200.50")
    assert d.values["expected_close"] == dt.date(2026, 12, 5)  # %Y年%m月%d日
    assert d.stage == "negotiation"
    assert p.layout.header_row == 4


def test_json_output_matches_the_contract(cli, tmp_path: Path) -> None:
    code, out = cli.json("validate", zh_workbook(tmp_path), "--today", "2026-11-28")
    assert code == 1
    assert set(out) >= {"source", "sheet", "today", "profile", "summary", "findings"}
    assert out["sheet"] == "商机" and out["today"] == "2026-11-28" and out["profile"] == "b2b"
    assert out["summary"]["deals"] == 6  # 7 rows, D-0002 on two of them
    assert out["summary"]["errors"] == 7 and out["summary"]["warnings"] == 1
    f = next(x for x in out["findings"] if x["code"] == "unknown-stage")
    assert {
        k: f[k]
        for k in ("severity", "status", "deal_id", "sheet", "row", "column", "cell", "value")
    } == {
        "severity": "error",
        "status": "new",
        "deal_id": "D-0003",
        "sheet": "商机",
        "row": 8,
        "column": "销售阶段",
        "cell": "C8",
        "value": "签约中",
    }


def test_text_report_groups_by_severity_and_names_cells(cli, tmp_path: Path) -> None:
    res = cli("validate", zh_workbook(tmp_path), "--today", "2026-11-28")
    assert res.exit_code == 1
    text = res.stdout
    assert text.index("Errors (7)") < text.index("Warnings (1)")
    assert "C8 " in text and "'签约中'" in text
    assert "G9 " in text and "'2026-02-30'" in text


def test_clean_sheet_exits_zero(cli, tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "ok.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Amount", "Close Date", "Lost Reason"],
                ["D1", "Acme", "Lead", "Ann", None, None, None],
            ]
        },
    )
    res = cli("validate", path, "--today", "2026-11-28")
    assert res.exit_code == 0, res.stdout
    assert "No problems found in 1 deal." in res.stdout  # singular
    # a column the profile needs in later stages is a warning while no deal is there yet
    path = make_xlsx(
        tmp_path / "min.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner"],
                ["D1", "Acme", "Lead", "Ann"],
            ]
        },
    )
    code, out = cli.json("validate", path, "--today", "2026-11-28")
    assert code == 0
    assert sorted((f["code"], f["severity"], f["column"]) for f in out["findings"]) == [
        ("missing-column", "warning", "amount"),
        ("missing-column", "warning", "expected close date"),
        ("missing-column", "warning", "lost reason"),
    ]


def test_error_cells_are_bad_values_not_text(tmp_path: Path) -> None:

    path = make_xlsx(
        tmp_path / "err.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Amount"],
                ["D1", "Acme", "Lead", "Ann", 100],
                ["D2", "NA", "Lead", "Bob", 200],
            ]
        },
    )
    # E2 and E3 hold cached error values, as Excel writes them for failed formulas
    set_error_cells(path, {"E2": ("1/0", "#DIV/0!"), "E3": ("NA()", "#N/A")})
    report = validate(path, today=TODAY)
    bad = sorted((f.cell, f.value, f.deal_id) for f in report.findings if f.code == "bad-value")
    assert bad == [("E2", "#DIV/0!", "D1"), ("E3", "#N/A", "D2")]
    # the text "NA" in B3 is no error value: b2b lists it as a null marker (empty) ...
    assert open_pipeline(path, today=TODAY).deal("D2").values["customer"] is None
    # ... and a profile without null markers reads it as text
    plain = load_profile("b2b", overrides={"null_markers": []})
    assert open_pipeline(path, profile=plain, today=TODAY).deal("D2").values["customer"] == "NA"


@pytest.mark.parametrize(
    "header,problem",
    [
        (["Deal ID", "Customer", "valua", "Owner"], "required column 'stage' is missing"),
        (["ID", "Stage", "Deal Stage", "Owner"], "both map to the field 'stage'"),
    ],
)
def test_structural_problems_exit_2_listing_all(cli, tmp_path: Path, header, problem) -> None:
    path = make_xlsx(tmp_path / "s.xlsx", {"Pipeline": [header, ["D1", "Acme", "lead", "Ann"]]})
    res = cli("validate", path)
    assert res.exit_code == 2
    assert problem in res.stderr
    assert "Traceback" not in res.stderr


def test_near_miss_header_is_suggested(cli, tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "s.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stag", "Owner", "Amount"],
                ["D1", "Acme", "lead", "Ann", 1],
            ]
        },
    )
    res = cli("validate", path)
    assert res.exit_code == 2
    assert "did you mean 'Stag'" in res.stderr


def test_missing_stage_required_column_suggests_near_miss(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "v.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "valua", "Close Date"],
                ["D1", "Acme", "Negotiation", "Ann", 100, "2026-12-31"],
            ]
        },
    )
    report = validate(path, today=TODAY)
    missing = [f for f in report.findings if f.code == "missing-column"]
    assert [f.details["field"] for f in missing] == ["amount"] or "amount" in [
        f.details["field"] for f in missing
    ]
    amount = next(f for f in missing if f.details["field"] == "amount")
    assert "'valua'" in amount.message


def test_data_in_merged_cells_is_structural(cli, tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "m.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner"],
                ["D1", "Acme", "lead", "Ann"],
                ["D2", "Beta", "lead", "Bob"],
            ]
        },
        merges={"Pipeline": ["B2:B3"]},
    )
    res = cli("validate", path)
    assert res.exit_code == 2
    assert "data in merged cells B2:B3" in res.stderr


def test_file_that_is_not_what_its_name_says(cli, tmp_path: Path) -> None:
    legacy = tmp_path / "old.xlsx"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    res = cli("validate", legacy)
    assert res.exit_code == 2 and "legacy Excel 97-2003 .xls" in res.stderr
    enc = tmp_path / "secret.xlsx"
    enc.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 100
        + "EncryptionInfo".encode("utf-16-le")
        + b"\0" * 100
    )
    res = cli("validate", enc)
    assert res.exit_code == 2 and "password-protected" in res.stderr
    text = tmp_path / "notes.xlsx"
    text.write_text("Deal ID,Stage\n", encoding="utf-8")
    res = cli("validate", text)
    assert res.exit_code == 2 and "not an Excel workbook" in res.stderr
    res = cli("validate", tmp_path / "missing.xlsx")
    assert res.exit_code == 2 and "no such file" in res.stderr
    for r in (res,):
        assert "Traceback" not in r.stderr


def test_json_error_object_on_bad_source(cli, tmp_path: Path) -> None:
    res = cli("validate", tmp_path / "missing.xlsx", "--format", "json")
    assert res.exit_code == 2
    obj = json.loads(res.stdout)
    assert obj["error"]["code"] == 2 and "no such file" in obj["error"]["message"]


def test_hidden_helper_sheets_are_ignored_unless_named(tmp_path: Path, cli) -> None:
    path = make_xlsx(
        tmp_path / "h.xlsx",
        {
            "Lists": [["Deal ID", "Stage"], ["X1", "bogus"]],
            "Pipeline": [["Deal ID", "Customer", "Stage", "Owner"], ["D1", "Acme", "Lead", "Ann"]],
        },
        hidden=["Lists"],
    )
    code, out = cli.json("validate", path, "--today", "2026-11-28")
    assert code == 0 and out["sheet"] == "Pipeline"
    code, out = cli.json("validate", path, "--sheet", "Lists", "--today", "2026-11-28")
    assert code == 1 and out["findings"][0]["code"] == "unknown-stage"
    res = cli("validate", path, "--sheet", "Nope")
    assert res.exit_code == 2 and "no sheet named 'Nope'" in res.stderr


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030", "cp1252"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    customer = "Müller & Söhne" if encoding == "cp1252" else "上海星河科技"
    stage = "Negotiation" if encoding == "cp1252" else "报价与谈判"
    text = (
        "Deal ID,Customer,Stage,Amount,Owner,Close Date\r\n"
        f'0E761F02,{customer},{stage},"1,200.50",Ann,2026-12-31\r\n'
    )
    path = tmp_path / "deals.csv"
    path.write_bytes(text.encode(encoding))
    p = open_pipeline(path, today=TODAY)
    d = p.deals[0]
    assert d.id == "0E761F02" and d.values["customer"] == customer
    assert d.stage == "negotiation" and d.values["amount"] == Decimal("1200.50")


def test_newer_error_values_calamine_refuses_are_still_read(tmp_path: Path) -> None:

    path = make_xlsx(
        tmp_path / "spill.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Amount"],
                ["D1", "Acme", "Lead", "Ann", 100],
                ["D2", "Beta", "Lead", "Bob", 200],
            ]
        },
    )
    set_error_cells(path, {"E3": ("SEQUENCE(3)", "#SPILL!")})
    report = validate(path, today=TODAY)
    bad = [(f.cell, f.value, f.deal_id) for f in report.findings if f.code == "bad-value"]
    assert bad == [("E3", "#SPILL!", "D2")]
    assert report.deals == 2


def test_columns_validate_does_not_parse_still_report_errors_and_rows(tmp_path: Path) -> None:

    path = make_xlsx(
        tmp_path / "c.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Contact", "Notes"],
                ["D1", "Acme", "Lead", "Ann", "Jo", None],
                [None, None, None, None, None, "only a note on this row"],
            ]
        },
    )
    set_error_cells(path, {"E2": ("VLOOKUP(A2,X!A:B,2,0)", "#N/A")})
    report = validate(path, today=TODAY)
    got = sorted((f.code, f.cell, f.value) for f in report.findings if f.code != "missing-column")
    assert got == [
        ("bad-value", "E2", "#N/A"),
        ("missing-field", "C3", None),  # the stage is empty
        ("missing-id", "A3", None),  # a row with only a note is still a row with data
    ]
    # quotes and the report still see every column
    assert open_pipeline(path, today=TODAY).deal("D1").values["contact"] is None


def test_a_strict_open_xml_workbook_is_read(tmp_path: Path) -> None:
    """Excel's "Strict Open XML Spreadsheet" uses other namespaces for the same parts."""
    import zipfile

    path = zh_workbook(tmp_path)
    expected = [f.to_dict() for f in validate(path, today=TODAY).findings]
    with zipfile.ZipFile(path) as zf:
        items = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    for name, data in items.items():
        items[name] = data.replace(
            b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        ).replace(
            b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
            b"http://purl.oclc.org/ooxml/officeDocument/relationships",
        )
    strict = tmp_path / "strict.xlsx"
    with zipfile.ZipFile(strict, "w") as zf:
        for name, data in items.items():
            zf.writestr(name, data)
    assert b"purl.oclc.org" in items["xl/workbook.xml"]
    got = [f.to_dict() for f in validate(strict, today=TODAY).findings]
    assert got == expected and len(got) > 3


def test_a_summary_tab_in_front_of_the_pipeline_is_passed_over_and_said(tmp_path: Path) -> None:
    """Without --sheet, a front tab with a header but no pipeline columns stopped the search
    ("required column 'deal_id' is missing"); the next sheet that is a pipeline is read, and a
    warning names the tab passed over."""
    book = make_xlsx(
        tmp_path / "two.xlsx",
        {
            "Summary": [["Stage", "Deals", "Amount"], ["Lead", 1, 1000], ["Negotiation", 1, 2000]],
            "Pipeline 2025": [
                ["Deal ID", "Customer", "Stage", "Amount", "Owner"],
                ["D-1", "Acme", "Lead", 1000, "Ann"],
                ["D-2", "Beta", "Negotiation", 2000, "Bob"],
            ],
        },
    )
    report = validate(book, today=TODAY)
    assert (report.sheet, report.deals) == ("Pipeline 2025", 2)
    (passed,) = [f for f in report.findings if f.code == "sheet-passed-over"]
    assert (passed.severity, passed.sheet) == ("warning", "Summary")
    assert passed.message.startswith(
        "sheet 'Summary' passed over (required column 'deal_id' is missing from the header on row 1"
    )
    assert passed.message.endswith(
        "the pipeline is read from sheet 'Pipeline 2025'; name the sheet with --sheet if that "
        "is wrong"
    )
    summary = [["Stage", "Deals", "Amount"], ["Lead", 1, 1000], ["Negotiation", 1, 2000]]
    alone = make_xlsx(tmp_path / "one.xlsx", {"Summary": summary})  # the error it always gave
    with pytest.raises(StructureError, match="sheet 'Summary': the table cannot be read") as e:
        validate(alone, today=TODAY)
    assert e.value.problems[0].startswith("required column 'deal_id' is missing")
