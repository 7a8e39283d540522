"""A line-item sheet's own columns (参与人员, 备注 ...) on the document, as the Chinese project
quote of the corpus (changer_cn_quote_template) lays out its lines: a template prints them as
``item.extra['备注']`` or ``item.备注``; before, the template was refused with 'the data lacks
it' beside a sheet that had the column."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from openpyxl import Workbook, load_workbook
from test_documents_issue import CLOSE, load, profile_with_documents, register_rows

from salessheet.documents.docx import docx_text
from salessheet.documents.service import issue_documents


def _book(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "商机"
    ws.append(["商机编号", "客户名称", "阶段", "金额", "币种", "负责人", "联系人", "预计成交日期"])
    ws.append(["SJ-001", "社区科技有限公司", "报价与谈判", 75000, "CNY", "王铭基", "李经理", CLOSE])
    li = wb.create_sheet("Line Items")
    li.append(["商机编号", "产品名称", "参与人员", "数量", "单位", "含税单价", "税率", "备注"])
    li.append(["SJ-001", "需求确认与分析", "产品经理、技术经理", 5, "人天", 3000, "6%", "必须"])
    li.append(["SJ-001", "系统架构设计", "技术经理", 10, "人天", 3000, "6%", None])
    li.append(["SJ-001", "云服务器租赁", "项目经理", 1, "年", 30000, "13%", "比市场价优惠10%"])
    wb.save(path)
    return path


def _issue(tmp_path: Path, book: Path, template: Path, fmt: str, out: str):
    profile = profile_with_documents(quote={"templates": {"zh": {fmt: str(template)}}})
    result = issue_documents(
        load(book, profile), "quote", ["SJ-001"], fmt=fmt, out_dir=tmp_path / out
    )
    assert result.failed == []
    return result.issued[0]


def test_an_html_quote_prints_the_lines_own_columns(tmp_path: Path) -> None:
    book = _book(tmp_path / "p.xlsx")
    template = tmp_path / "quote.html"
    template.write_text(
        "{% for item in items %}{{ item.no }}|{{ item.product }}|{{ item.参与人员 }}|"
        "{{ item.extra['备注'] }}|{{ item.total }}\n{% endfor %}{{ 合计 }}",
        "utf-8",
    )
    doc = _issue(tmp_path, book, template, "html", "a")
    assert doc.path.read_text("utf-8") == (
        "1|需求确认与分析|产品经理、技术经理|必须|¥15,000.00\n"
        "2|系统架构设计|技术经理||¥30,000.00\n"  # a blank remark prints as blank
        "3|云服务器租赁|项目经理|比市场价优惠10%|¥30,000.00\n"
        "¥75,000.00"
    )
    # a changed remark is a changed document: a revision, as for a pipeline column
    wb = load_workbook(book)
    wb["Line Items"]["H3"] = "可选"
    wb.save(book)
    again = _issue(tmp_path, book, template, "html", "b")
    assert (again.number, again.registered) == ("Q-2026-0001-R2", True)
    assert "2|系统架构设计|技术经理|可选|" in again.path.read_text("utf-8")
    assert [r[1] for r in register_rows(book)[1:]] == [1, 2]


def test_a_word_quote_prints_the_lines_own_columns(tmp_path: Path) -> None:
    book = _book(tmp_path / "p.xlsx")
    word = Document()
    table = word.add_table(rows=4, cols=4)
    for i, head in enumerate(["产品名称", "参与人员", "备注", "金额"]):
        table.cell(0, i).text = head
    table.cell(1, 0).text = "{%tr for item in items %}"
    for i, tag in enumerate(["item.product", "item.参与人员", "item.备注", "item.total"]):
        table.cell(2, i).text = "{{ " + tag + " }}"
    table.cell(3, 0).text = "{%tr endfor %}"
    word.save(tmp_path / "quote.docx")
    doc = _issue(tmp_path, book, tmp_path / "quote.docx", "docx", "a")
    text = docx_text(doc.path.read_bytes())
    assert "云服务器租赁\n项目经理\n比市场价优惠10%\n¥30,000.00" in text
    assert "系统架构设计\n技术经理\n\n¥30,000.00" in text


def test_lines_no_column_names_are_refused_not_issued_nameless(tmp_path: Path) -> None:
    """The sheet heads its names 任务模块 (no alias): the quote went out listing '1  5 人天
    ¥3,000.00', nothing saying what the customer buys."""
    book = _book(tmp_path / "p.xlsx")
    wb = load_workbook(book)
    wb["Line Items"]["B1"] = "任务模块"
    wb.save(book)
    result = issue_documents(load(book), "quote", ["SJ-001"], out_dir=tmp_path / "out")
    assert result.issued == []
    assert result.failed[0].problems == [
        "sheet 'Line Items': no column on row 1 names the products, so the document would list "
        "lines without names (accepted headers: Product, Item, Product name, 产品, 产品名称, 品名, "
        "名称, Description, Details, Specification, 描述, 说明, 规格, SKU, Product code, Item "
        "code, Part number, 产品编号, 物料编码; the sheet's other columns: B ('任务模块'), C "
        "('参与人员'), H ('备注')): rename the column that names them, or add its header to "
        "documents.line_items.columns.product in the config"
    ]
    assert not (tmp_path / "out").exists()


def test_a_line_with_a_blank_name_is_refused(tmp_path: Path) -> None:
    book = _book(tmp_path / "p.xlsx")
    wb = load_workbook(book)
    wb["Line Items"]["B3"] = None
    wb.save(book)
    result = issue_documents(load(book), "quote", ["SJ-001"], out_dir=tmp_path / "out")
    assert result.failed[0].problems == [
        "sheet 'Line Items' row 3: the line has no product name, description or SKU, so the "
        "document would not say what it is: fill one of them"
    ]


def test_a_csv_pipelines_line_problems_name_the_file(tmp_path: Path) -> None:
    """A CSV pipeline's line items are a file beside it: the problems said "sheet 'Line
    Items'", a sheet the team does not have; the price list likewise."""
    csv = tmp_path / "deals.csv"
    csv.write_text(
        "商机编号,客户名称,阶段,金额,币种\nSJ-001,社区科技有限公司,报价与谈判,100,CNY\n", "gbk"
    )
    (tmp_path / "deals.salessheet-Line-Items.csv").write_text(
        "商机编号,产品编号,产品名称,数量,单价（不含税）,税率\n"
        "SJ-001,,需求分析,15,2000,6%\n"
        "SJ-001,SV-1,,15人天,,\n",
        "gbk",
    )
    (tmp_path / "deals.salessheet-Products.csv").write_text(
        "SKU,名称,单价,税率\nSV-1,实施服务,100,百分之六\n", "gbk"
    )
    result = issue_documents(load(csv), "quote", ["SJ-001"], out_dir=tmp_path / "out")
    beside = "file deals.salessheet-{}.csv beside deals.csv"
    assert result.failed[0].problems == [
        f"{beside.format('Line-Items')} E1: the header '单价（不含税）' says the unit prices "
        "exclude tax, but documents.tax_mode is inclusive (含税价), so the tax would be taken "
        "out of them and the total would lack it: set documents.tax_mode: exclusive in the "
        "config (or, if the prices do include tax, head the column 单价 or 含税单价)",
        f"{beside.format('Line-Items')}: 数量 D3: cannot read '15人天': not a number",
        f"{beside.format('Products')}: 税率 D2: cannot read '百分之六': not a number",
    ]


def test_a_pipeline_column_the_profile_maps_prints_by_its_header(tmp_path: Path) -> None:
    """README: a template prints any pipeline column by its header. 备注 and 预计成交日期 are
    columns the profile reads as fields (notes, expected_close): they were refused as 'neither a
    template field nor a pipeline column' beside a sheet that had them."""
    book = _book(tmp_path / "p.xlsx")
    wb = load_workbook(book)
    ws = wb["商机"]
    ws["I1"], ws["I2"] = "备注", "老客户，优先排期"
    ws["J1"], ws["J2"] = "审批人", "刘总"
    wb.save(book)
    template = tmp_path / "quote.html"
    template.write_text("{{ 客户名称 }}|{{ 备注 }}|{{ 预计成交日期 }}|{{ 负责人 }}", "utf-8")
    doc = _issue(tmp_path, book, template, "html", "a")
    assert doc.path.read_text("utf-8") == "社区科技有限公司|老客户，优先排期|2026年12月28日|王铭基"
    # a column the profile reads as a field documents do not print says so
    template.write_text("{{ 审批人 }}", "utf-8")
    profile = profile_with_documents(quote={"templates": {"zh": {"html": str(template)}}})
    refused = issue_documents(load(book, profile), "quote", ["SJ-001"], out_dir=tmp_path / "b")
    assert refused.failed[0].problems == [
        "template quote.html uses '审批人': that pipeline column is the profile's field "
        "'approver', which documents do not offer (salessheet quote --fields lists the fields "
        "they do)"
    ]
