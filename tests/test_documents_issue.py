"""Issuing quotes and contracts end to end: an xlsx in a temp folder -> HTML/DOCX/PDF + register."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from salessheet.core.errors import PreflightError, UsageError
from salessheet.documents.docx import docx_text
from salessheet.documents.service import issue_documents, template_fields
from salessheet.settings.documents import REGISTER_HEADER, REGISTER_SHEET, parse_document_settings
from salessheet.settings.profile import load_profile
from salessheet.sheet.load import load_pipeline

REPO = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 28)
PIPELINE_HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Currency", "Owner", "Contact",
                   "Address", "Language", "Expected Close"]  # fmt: skip
LINES_HEADER = ["商机编号", "产品", "描述", "数量", "单位", "单价", "折扣", "税率"]


def documents_yaml() -> dict:
    data = yaml.safe_load((REPO / "templates" / "documents.example.yaml").read_text("utf-8"))
    return data["documents"]


def profile_with_documents(**overrides):
    profile = load_profile("b2b")
    raw = documents_yaml()
    raw.update(overrides)
    settings, problems = parse_document_settings(raw, "test.yaml")
    assert problems == []
    profile.documents = settings
    return profile


def write_workbook(path: Path, deals: list[list], lines: list[list], extra: dict | None = None):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(PIPELINE_HEADER)
    for d in deals:
        ws.append(d)
    li = wb.create_sheet("Line Items")
    li.append(["Line items per deal"])  # a title row above the header
    li.append(LINES_HEADER)
    for row in lines:
        li.append(row)
    for name, rows in (extra or {}).items():
        sh = wb.create_sheet(name)
        for r in rows:
            sh.append(r)
    wb.save(path)
    return path


CLOSE = TODAY + dt.timedelta(days=30)
DEALS = [
    ["D-1", "上海星河科技有限公司", "报价与谈判", 65200, "CNY", "张伟", "王经理",
     "上海市徐汇区漕溪北路1号", "中文", CLOSE],
    ["D-2", "Müller & Söhne <KG>", "Negotiation", 12430.5, "CNY", "Tom", "Hans Müller",
     "Hauptstraße 5, Berlin", "English", CLOSE],
    ["D-3", "Early Bird Ltd", "Lead", 1000, "CNY", "Tom", "Ann", None, "en", CLOSE],
    ["D-4", "Wrong Sum GmbH", "negotiation", 999, "CNY", "Tom", "Bob", None, "en", CLOSE],
    ["D-5", "Two Money Inc", "negotiation", 300, "CNY", "Tom", "Cy", None, "en", CLOSE],
    ["D-6", None, "negotiation", 100, "CNY", "Tom", None, None, "en", CLOSE],
]  # fmt: skip
LINES = [
    ["D-1", "CRM 专业版", "年订阅", 1, "套", 28000, None, "6%"],
    ["D-1", "条码扫描枪", None, 10, "台", 1350, 0, 0.13],
    ["D-1", "实施服务", "现场实施", 8, "人天", 2400, None, 6],
    ["D-1", "培训服务", None, 1, "场", 5000, "10%", "6%"],
    ["D-2", "Widget", "Blue & <shiny>", 3, "pcs", 3333.5, "5%", "13%"],  # 9500.475 -> 9500.48
    ["D-2", "Support", None, 1, "yr", 2930.02, None, "6%"],
    ["D-3", "Thing", None, 1, "pcs", 1000, None, None],
    ["D-4", "Thing", None, 1, "pcs", 1000, None, None],
    ["D-5", "Thing", None, 1, "pcs", "$100", None, None],
    ["D-5", "Other", None, 1, "pcs", 200, None, None],
]


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "pipeline.xlsx", DEALS, LINES)


def load(path: Path, profile=None, today: dt.date = TODAY):
    return load_pipeline(str(path), profile=profile or profile_with_documents(), today=today)


def register_rows(path: Path) -> list[list]:
    pipe = load(path)
    sheet = pipe.sheets.get(REGISTER_SHEET)
    return [list(r) for r in sheet.rows] if sheet else []


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


D1_TOTALS = ["¥28,000.00", "¥13,500.00", "¥19,200.00", "¥4,500.00", "¥65,200.00"]
# tax-inclusive: 6% group 51,700.00 -> 2,926.42 ; 13% group 13,500.00 -> 1,553.10
D1_TAX = ["¥2,926.42", "¥1,553.10"]


def test_quote_html_is_exact_and_registered(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = issue_documents(load(book), "quote", ["D-1"], fmt="html", out_dir=out)
    assert result.failed == []
    [doc] = result.issued
    assert (doc.number, doc.revision, doc.lang) == ("Q-2026-0001", 1, "zh")
    assert doc.path == (out / "Q-2026-0001_上海星河科技有限公司.html").resolve()
    html = doc.path.read_text("utf-8")
    for text in ["上海星河科技有限公司", "CRM 专业版", "条码扫描枪", "实施服务", "培训服务",
                 "Q-2026-0001", "2026年11月28日", "2026年12月28日", "陆万伍仟贰佰元整",
                 "青禾软件（上海）有限公司", *D1_TOTALS, *D1_TAX]:  # fmt: skip
        assert text in html, text
    rows = register_rows(book)
    assert rows[0] == REGISTER_HEADER
    assert len(rows) == 2
    number, rev, deal, kind, issued, until, cur, sub, tax, total, h, file = rows[1]
    assert (number, int(rev), deal, kind, cur) == ("Q-2026-0001", 1, "D-1", "quote", "CNY")
    assert str(issued)[:10] == "2026-11-28" and str(until)[:10] == "2026-12-28"
    assert (float(sub), float(tax), float(total)) == (65200.0, 4479.52, 65200.0)
    assert len(h) == 16 and file == "Q-2026-0001_上海星河科技有限公司.html"


def test_rerun_adds_nothing_and_changed_quantity_issues_r2(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    issue_documents(load(book), "quote", ["D-1"], fmt="html", out_dir=out)
    before = book.read_bytes()
    again = issue_documents(load(book), "quote", ["D-1"], fmt="html", out_dir=out)
    assert [d.number for d in again.issued] == ["Q-2026-0001"]
    assert again.issued[0].registered is False
    assert again.register_written is False
    assert book.read_bytes() == before  # nothing written at all

    from openpyxl import load_workbook

    wb = load_workbook(book)
    wb["Line Items"]["D4"] = 11  # 条码扫描枪: 10 -> 11
    wb["Pipeline"]["D2"] = 66550
    wb.save(book)
    r2 = issue_documents(load(book), "quote", ["D-1"], fmt="html", out_dir=out)
    [doc] = r2.issued
    assert (doc.number, doc.base_number, doc.revision) == ("Q-2026-0001-R2", "Q-2026-0001", 2)
    html = doc.path.read_text("utf-8")
    assert "Q-2026-0001-R2" in html and "¥66,550.00" in html and "¥14,850.00" in html
    rows = register_rows(book)
    assert [(r[0], int(r[1])) for r in rows[1:]] == [("Q-2026-0001", 1), ("Q-2026-0001", 2)]


def test_pdf_renders_chinese_items_and_totals(book: Path, tmp_path: Path) -> None:
    result = issue_documents(load(book), "quote", ["D-1"], fmt="pdf", out_dir=tmp_path)
    [doc] = result.issued
    assert doc.path.read_bytes().startswith(b"%PDF")
    text = pdf_text(doc.path)
    for needle in ["上海星河科技有限公司", "报价单", "CRM 专业版", "条码扫描枪", "实施服务",
                   "培训服务", "陆万伍仟贰佰元整", *D1_TOTALS, *D1_TAX]:  # fmt: skip
        assert needle in text, needle


def test_docx_keeps_special_characters_intact(book: Path, tmp_path: Path) -> None:
    result = issue_documents(load(book), "quote", ["D-2"], fmt="docx", out_dir=tmp_path)
    assert result.failed == []
    [doc] = result.issued
    assert doc.lang == "en"
    assert doc.path.name == "Q-2026-0001_Müller_&_Söhne_KG.en.docx"  # not the team's zh
    text = docx_text(doc.path.read_bytes())
    # 3 x 3333.50 x 0.95 = 9500.475 -> 9500.48 ; + 2930.02 = 12430.50
    for needle in ["Müller & Söhne <KG>", "Blue & <shiny>", "Widget", "Support", "Quotation",
                   "CN¥9,500.48", "CN¥2,930.02", "CN¥12,430.50", "Q-2026-0001",
                   "November 28, 2026"]:  # fmt: skip
        assert needle in text, needle


def test_contract_docx_and_pdf_in_chinese(book: Path, tmp_path: Path) -> None:
    pipe = load(book)
    result = issue_documents(pipe, "contract", ["D-1"], fmt="docx", out_dir=tmp_path)
    [doc] = result.issued
    assert doc.number == "HT-2026-0001"
    text = docx_text(doc.path.read_bytes())
    for needle in [
        "销售合同",
        "甲方（买方）",
        "上海星河科技有限公司",
        "陆万伍仟贰佰元整",
        *D1_TOTALS,
    ]:
        assert needle in text, needle
    pdf = issue_documents(load(book), "contract", ["D-1"], fmt="pdf", out_dir=tmp_path)
    assert pdf.issued[0].number == "HT-2026-0001"  # same inputs, other format: same number
    text = pdf_text(pdf.issued[0].path)
    assert "合同总价" in text and "陆万伍仟贰佰元整" in text and "¥65,200.00" in text
    rows = register_rows(book)
    name = "HT-2026-0001_上海星河科技有限公司"
    assert rows[1][-1] == f"{name}.docx; {name}.pdf"


def test_batch_continues_past_bad_deals_and_lists_every_problem(book: Path, tmp_path) -> None:
    seen = []
    result = issue_documents(
        load(book),
        "quote",
        None,
        stage="报价与谈判",
        fmt="html",
        out_dir=tmp_path / "out",
        progress=lambda done, total, deal: seen.append((done, total, deal)),
    )
    assert [d.deal_id for d in result.issued] == ["D-1", "D-2"]
    assert [d.number for d in result.issued] == ["Q-2026-0001", "Q-2026-0002"]
    assert seen == [(1, 5, "D-1"), (2, 5, "D-2"), (3, 5, "D-4"), (4, 5, "D-5"), (5, 5, "D-6")]
    failed = {f.deal_id: f.problems for f in result.failed}
    assert failed["D-4"] == [
        "the line items come to CN¥1,000.00 but the deal amount (sheet 'Pipeline' D5) is "
        "CN¥999.00 (difference -CN¥1.00); fix one of them, or pass --allow-mismatch to issue "
        "with the line-item total"
    ]
    assert failed["D-5"] == [
        "line items mix currencies (row 11 USD) with the deal's CNY; a document has one currency"
    ]
    assert failed["D-6"] == [
        "customer is blank (sheet 'Pipeline' B7, column 'Customer'); a quote needs it",
        "no line items for D-6 in sheet 'Line Items'",
    ]
    # some issued, some refused: no error (nothing-written exit 2), exit 1 listing both
    assert result.error() is None and result.exit_code == 1
    assert "D-6: customer is blank (sheet 'Pipeline' B7, column 'Customer'); a quote needs it" in (
        result.refusals()
    )
    refused = issue_documents(load(book), "quote", ["D-4", "D-6"], out_dir=tmp_path / "none")
    err = refused.error()
    assert isinstance(err, PreflightError) and err.exit_code == 2 == refused.exit_code
    assert "2 deals refused: no quote produced for D-4, D-6" in err.render()
    assert "  - D-6: customer is blank (sheet 'Pipeline' B7" in err.render()
    assert not (tmp_path / "none").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "Q-2026-0001_上海星河科技有限公司.html",
        "Q-2026-0002_Müller_&_Söhne_KG.en.html",
    ]


def test_stage_that_does_not_allow_the_document_renders_nothing(book: Path, tmp_path) -> None:
    out = tmp_path / "out"
    result = issue_documents(load(book), "quote", ["D-3"], fmt="pdf", out_dir=out)
    assert result.issued == []
    assert result.failed[0].problems == [
        # the stages as this (mixed, mostly ids) sheet writes them
        "stage 'Lead' does not allow a quote; allowed stages: opportunity, follow_up, "
        "negotiation / 报价与谈判"
    ]
    contract = issue_documents(load(book), "contract", ["D-3", "D-404"], out_dir=out)
    assert [f.problems[0] for f in contract.failed] == [
        "stage 'Lead' does not allow a contract; allowed stages: negotiation / 报价与谈判, "
        "contract, delivery",
        "no deal with id 'D-404' in sheet 'Pipeline'",
    ]
    assert not out.exists()
    assert register_rows(book) == []


def test_allow_mismatch_and_tolerance(book: Path, tmp_path: Path) -> None:
    result = issue_documents(
        load(book), "quote", ["D-4"], fmt="html", out_dir=tmp_path, allow_mismatch=True
    )
    assert result.issued[0].total == 1000
    assert "CN¥1,000.00" in result.issued[0].path.read_text("utf-8")
    tolerant = profile_with_documents(reconcile={"tolerance": "1.00"})
    ok = issue_documents(load(book, tolerant), "quote", ["D-4"], out_dir=tmp_path / "t")
    assert ok.failed == [] and ok.issued[0].number == "Q-2026-0001"  # same inputs: reused


def test_dry_run_renders_without_registering(book: Path, tmp_path: Path) -> None:
    before = book.read_bytes()
    result = issue_documents(load(book), "quote", ["D-1"], out_dir=tmp_path, dry_run=True)
    assert result.issued[0].path.exists()
    assert result.register_written is False
    assert book.read_bytes() == before


def test_quote_valid_until_in_the_past_is_refused(tmp_path: Path) -> None:
    deals = [PIPELINE_HEADER + ["Valid Until"], DEALS[1] + [dt.date(2026, 11, 1)]]
    path = write_workbook(tmp_path / "p.xlsx", deals[1:], LINES[4:6])
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["Pipeline"]["K1"] = "Valid Until"
    wb.save(path)
    result = issue_documents(load(path), "quote", ["D-2"], out_dir=tmp_path / "o")
    assert result.failed[0].problems == [
        "the quote would be valid until 2026-11-01, which is before today (2026-11-28); "
        "change the deal's valid-until date"
    ]


def test_products_price_list_fills_lines_by_sku(tmp_path: Path) -> None:
    products = [
        ["SKU", "Product", "Unit", "Unit Price", "Tax Rate"],
        ["HW-1", "扫描枪", "台", 1350, 0.13],
        ["SV-1", "实施服务", "人天", 2400, 0.06],
    ]
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(PIPELINE_HEADER)
    ws.append(["D-9", "某公司", "negotiation", 17520, "RMB", "张伟", "李四", None, "zh", CLOSE])
    li = wb.create_sheet("Line Items")
    li.append(["Deal ID", "SKU", "Qty", "Discount %"])
    for row in (["D-9", "HW-1", 2, 0], ["D-9", "SV-1", 6.5, 5], ["D-9", "NOPE", 1, 0]):
        li.append(row)
    pr = wb.create_sheet("Products")
    for r in products:
        pr.append(r)
    wb.save(tmp_path / "p.xlsx")
    result = issue_documents(load(tmp_path / "p.xlsx"), "quote", ["D-9"], out_dir=tmp_path)
    assert result.failed[0].problems == [
        "sheet 'Line Items' B4: SKU 'NOPE' is not in the price list"
    ]
    wb["Line Items"].delete_rows(4)
    wb.save(tmp_path / "p.xlsx")
    result = issue_documents(load(tmp_path / "p.xlsx"), "quote", ["D-9"], out_dir=tmp_path)
    [doc] = result.issued
    # 2 x 1350 = 2700 ; 6.5 x 2400 x 0.95 = 14820 ; total 17520 (inclusive)
    assert doc.currency == "CNY" and doc.total == 17520
    html = doc.path.read_text("utf-8")
    assert "扫描枪" in html and "¥14,820.00" in html and "人天" in html


def test_example_workbook_deal_d0042(example_copy: Path, tmp_path: Path) -> None:
    profile = profile_with_documents()
    for kind, fmt in (("quote", "pdf"), ("contract", "docx"), ("quote", "html")):
        pipe = load_pipeline(str(example_copy), profile=profile, today=TODAY)
        result = issue_documents(pipe, kind, ["D-0042"], fmt=fmt, out_dir=tmp_path)
        assert result.failed == [], result.failed
        doc = result.issued[0]
        path = doc.path
        text = (
            pdf_text(path) if fmt == "pdf"
            else docx_text(path.read_bytes()) if fmt == "docx"
            else path.read_text("utf-8")
        )  # fmt: skip
        for needle in ["上海星河科技有限公司", "CRM 专业版", "条码扫描枪", "实施服务", "培训服务",
                       "¥28,000.00", "¥13,500.00", "¥19,200.00", "¥4,500.00", "¥65,200.00",
                       "陆万伍仟贰佰元整"]:  # fmt: skip
            assert needle in text, (fmt, needle)
    assert [r[0] for r in register_rows(example_copy)[1:]] == ["Q-2026-0001", "HT-2026-0001"]


def test_usage_errors() -> None:
    pipe = None
    with pytest.raises(UsageError, match="unknown document kind"):
        issue_documents(pipe, "invoice", ["D-1"], out_dir=Path("."))
    with pytest.raises(UsageError, match="unknown format"):
        issue_documents(pipe, "quote", ["D-1"], fmt="rtf", out_dir=Path("."))


def test_usage_error_without_a_selection(book: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="name a deal id"):
        issue_documents(load(book), "quote", None, out_dir=tmp_path)
    with pytest.raises(UsageError, match="unknown stage 'closing'"):
        issue_documents(load(book), "quote", None, stage="closing", out_dir=tmp_path)


def test_template_fields_lists_what_templates_use() -> None:
    fields = dict(template_fields("quote", "zh"))
    for name in ("customer.name", "items[].unit_price", "totals.total_in_words", "doc.number",
                 "doc.valid_until", "seller.bank_account"):  # fmt: skip
        assert fields[name]
    assert "doc.valid_until" not in dict(template_fields("contract", "en"))


def test_line_items_sheet_under_a_configured_name(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_workbook(tmp_path / "p.xlsx", DEALS[:1], LINES[:4])
    wb = load_workbook(path)
    wb["Line Items"].title = "报价明细"
    wb.save(path)
    default = issue_documents(load(path), "quote", ["D-1"], out_dir=tmp_path / "o")
    assert default.failed[0].problems[0].startswith("there is no 'Line Items' sheet")
    profile = profile_with_documents(line_items={"sheet": "报价明细"})
    result = issue_documents(load(path, profile), "quote", ["D-1"], out_dir=tmp_path / "o")
    assert result.failed == []
    assert result.issued[0].total == 65200


def test_unreadable_line_item_cells_are_named(tmp_path: Path) -> None:
    lines = [["D-2", "Widget", None, "two", "pcs", 3333.5, "5%", "13%"],
             ["D-2", "Support", None, 1, "yr", 2930.02, "150%", "6%"]]  # fmt: skip
    path = write_workbook(tmp_path / "p.xlsx", DEALS[1:2], lines)
    result = issue_documents(load(path), "quote", ["D-2"], out_dir=tmp_path / "o")
    assert result.failed[0].problems == [
        "sheet 'Line Items': 数量 D3: cannot read 'two': not a number",
        "sheet 'Line Items' G4: discount '150%' is not a rate; write it as 13%, 0.13 or 13 "
        "(and 1% or 100% rather than 1)",
    ]


def test_a_line_items_sheet_without_quantities_stops_the_run(tmp_path: Path) -> None:
    from salessheet.core.errors import StructureError

    path = write_workbook(tmp_path / "p.xlsx", DEALS[1:2], [])
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["Line Items"]["D2"] = "Stückzahl"  # not an alias (the example YAML adds "Menge")
    wb.save(path)
    with pytest.raises(StructureError) as info:
        issue_documents(load(path), "quote", ["D-2"], out_dir=tmp_path / "o")
    assert "sheet 'Line Items'" in info.value.message
    assert "required column 'quantity' is missing" in info.value.problems[0]


def test_document_discount_from_a_pipeline_column(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    deal = list(DEALS[0])
    deal[3] = 61940  # 65,200.00 less 5 %
    path = write_workbook(tmp_path / "p.xlsx", [deal], LINES[:4])
    wb = load_workbook(path)
    wb["Pipeline"]["K1"], wb["Pipeline"]["K2"] = "整单折扣", "5%"
    wb.save(path)
    result = issue_documents(load(path), "quote", ["D-1"], out_dir=tmp_path / "o")
    assert result.failed == []
    doc = result.issued[0]
    assert (doc.subtotal, doc.total, doc.tax) == (65200, 61940, Decimal("4255.53"))
    html = doc.path.read_text("utf-8")
    for text in ["整单折扣 (5%)", "−¥3,260.00", "¥61,940.00", "陆万壹仟玖佰肆拾元整",
                 "¥2,780.09", "¥1,475.44"]:  # fmt: skip
        assert text in html, text
    wb["Pipeline"]["K2"] = "150%"
    wb.save(path)
    bad = issue_documents(load(path), "quote", ["D-1"], out_dir=tmp_path / "o")
    assert bad.failed[0].problems[0] == (
        "document discount '150%' is not a rate; write it as 5%, 0.05 or 5"
    )


# ------------------------------------------------------------------ a register that is not ours


def test_a_users_own_documents_sheet_is_refused_before_anything_is_numbered(
    tmp_path: Path,
) -> None:
    from salessheet.core.errors import WriteRefused

    mine = [["Contract", "Signed by"], ["big deal", "the CEO"]]
    path = write_workbook(tmp_path / "p.xlsx", DEALS, LINES, {REGISTER_SHEET: mine})
    before = path.read_bytes()
    out = tmp_path / "out"
    with pytest.raises(WriteRefused) as caught:
        issue_documents(load(path), "quote", ["D-1"], fmt="html", out_dir=out)
    assert caught.value.exit_code == 3
    assert "sheet 'salessheet documents'" in str(caught.value)
    assert "rename your sheet" in (caught.value.hint or "")
    assert path.read_bytes() == before
    assert not out.exists() or list(out.iterdir()) == []


def test_an_unmarked_register_with_columns_moved_is_still_the_register(tmp_path: Path) -> None:
    """A register from before sheets were marked, a column deleted and the rest reordered by
    hand: still the tool's, numbering continues after it."""
    header = [h for h in REGISTER_HEADER if h != "file"]
    header = ["deal id", "number", *[h for h in header if h not in ("deal id", "number")]]
    old = dict.fromkeys(header, "")
    old.update({"deal id": "D-9", "number": "Q-2026-0007", "revision": 1, "kind": "quote"})
    path = write_workbook(
        tmp_path / "p.xlsx", DEALS, LINES, {REGISTER_SHEET: [header, list(old.values())]}
    )
    result = issue_documents(load(path), "quote", ["D-1"], fmt="html", out_dir=tmp_path / "out")
    assert [d.number for d in result.issued] == ["Q-2026-0008"]
    rows = register_rows(path)
    assert rows[1][:2] == ["D-9", "Q-2026-0007"]  # the old row, where it was


def test_a_csv_pipeline_quotes_from_a_line_items_file_beside_it(tmp_path: Path, cli) -> None:
    """A CSV cannot hold a second sheet: its line items are the file beside it named like the
    tool's own sidecars (deals.salessheet-Line-Items.csv). Without it, the refusal names that
    file; with it, the quote is exact and registered in deals.salessheet-documents.csv."""
    import csv as csvlib

    deals = tmp_path / "deals.csv"
    with deals.open("w", newline="", encoding="utf-8") as fh:
        csvlib.writer(fh).writerows(
            [
                ["Deal ID", "Customer", "Stage", "Amount", "Currency", "Owner", "Expected Close"],
                ["D-7", "Acme Corp", "Negotiation", "12430.50", "USD", "Tom", "2026-12-28"],
            ]
        )
    config = tmp_path / "team.yaml"
    config.write_text("extends: b2b\ndocuments:\n  seller:\n    name: Qinghe Inc.\n", "utf-8")
    args = ["quote", deals, "D-7", "--config", config, "--today", "2026-11-28", "--lang", "en"]
    refused = cli(*args, "--out", tmp_path / "q", "--json")
    assert refused.exit_code == 2
    assert json.loads(refused.stdout)["error"]["problems"] == [
        "D-7: there are no line items (file deals.salessheet-Line-Items.csv beside deals.csv is "
        "missing); add that file with a row per item (Deal ID, SKU/Product, Quantity, Unit "
        "price, Tax rate)"
    ]
    lines = tmp_path / "deals.salessheet-Line-Items.csv"
    with lines.open("w", newline="", encoding="utf-8") as fh:
        csvlib.writer(fh).writerows(
            [
                ["Deal ID", "SKU", "Description", "Quantity", "Unit Price", "Discount", "Tax Rate"],
                ["D-7", "Widget", "Blue", "3", "3333.50", "5%", "0"],  # 9500.475 -> 9500.48
                ["D-7", "Support", "", "1", "2930.02", "", "0"],
            ]
        )
    issued = cli(*args, "--out", tmp_path / "q")
    assert issued.exit_code == 0, issued.output
    [page] = (tmp_path / "q").glob("Q-2026-0001_*.html")
    html = page.read_text("utf-8")
    for text in ("Qinghe Inc.", "$9,500.48", "$2,930.02", "$12,430.50"):
        assert text in html, text
    register = (tmp_path / "deals.salessheet-documents.csv").read_text("utf-8").splitlines()
    assert register[1].startswith("Q-2026-0001,1,D-7,quote,2026-11-28,2026-12-28,USD,12430.50,")
    # the sidecar is never taken for the pipeline: validate reads deals.csv, one deal
    code, report = cli.json("validate", deals, "--config", config, "--today", "2026-11-28")
    assert (report["sheet"], report["summary"]["deals"]) == ("deals", 1)
