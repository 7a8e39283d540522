"""Custom templates: autoescaping, the sandbox, strict variables, logos; batches of PDFs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from test_documents_issue import (
    DEALS,
    LINES,
    load,
    pdf_text,
    profile_with_documents,
    register_rows,
    write_workbook,
)

from salessheet.core.errors import ConfigError
from salessheet.documents.service import issue_documents


def _png() -> bytes:
    """A valid 2x2 PNG, built by hand."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x1f\x3a\x5f" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = _png()


def custom(tmp_path: Path, body: str, **seller) -> object:
    (tmp_path / "mine.html").write_text(body, "utf-8")
    raw_seller = {"name": "Seller Co.", **seller}
    return profile_with_documents(
        seller=raw_seller,
        quote={"templates": {lang: {"html": str(tmp_path / "mine.html")} for lang in ("en", "zh")}},
    )


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "pipeline.xlsx", DEALS, LINES)


def test_values_are_escaped_in_html(book: Path, tmp_path: Path) -> None:
    profile = custom(
        tmp_path,
        "<p>{{ customer.name }}</p>{% for i in items %}<i>{{ i.description }}</i>{% endfor %}",
    )
    result = issue_documents(load(book, profile), "quote", ["D-2"], out_dir=tmp_path / "o")
    html = result.issued[0].path.read_text("utf-8")
    assert html.startswith("<p>Müller &amp; Söhne &lt;KG&gt;</p><i>Blue &amp; &lt;shiny&gt;</i>")


def test_a_field_the_data_lacks_refuses_the_deal(book: Path, tmp_path: Path) -> None:
    profile = custom(tmp_path, "<p>{{ customer.vat_number }}</p>")
    result = issue_documents(load(book, profile), "quote", ["D-2"], out_dir=tmp_path / "o")
    assert result.issued == []
    assert result.failed[0].problems == [
        "template mine.html: 'dict object' has no attribute 'vat_number'; the data lacks it "
        "(salessheet quote --fields lists them)"
    ]
    assert not (tmp_path / "o").exists()


def test_unknown_top_level_names_are_listed_before_rendering(book: Path, tmp_path: Path) -> None:
    profile = custom(tmp_path, "<p>{{ client }} {{ grand_total }} {{ customer.name }}</p>")
    result = issue_documents(load(book, profile), "quote", ["D-2"], out_dir=tmp_path / "o")
    assert result.failed[0].problems == [
        f"template mine.html uses {name!r}, which is neither a template field nor a pipeline "
        "column (salessheet quote --fields lists the fields)"
        for name in ("client", "grand_total")
    ]
    assert not (tmp_path / "o").exists()


def test_flat_chinese_names_and_pipeline_columns(book: Path, tmp_path: Path) -> None:
    profile = custom(
        tmp_path, "{{ 客户名称 }}|{{ 合同总价 }}|{{ 大写金额 }}|{{ 签订日期 }}|{{ total }}"
    )
    result = issue_documents(load(book, profile), "quote", ["D-1"], out_dir=tmp_path / "o")
    html = result.issued[0].path.read_text("utf-8")
    assert html == "上海星河科技有限公司|¥65,200.00|陆万伍仟贰佰元整|2026年11月28日|¥65,200.00"


def test_real_chinese_contract_template_from_the_corpus(tmp_path: Path) -> None:
    template = (
        Path(__file__).resolve().parents[2]
        / "shared/corpus/zhang_cn_contract_template_docx/合同模板.docx"
    )
    if not template.exists():
        pytest.skip("corpus file not available")
    from openpyxl import load_workbook

    from salessheet.documents.docx import docx_text

    path = write_workbook(tmp_path / "p.xlsx", DEALS[:1], LINES[:4])
    wb = load_workbook(path)
    ws = wb["Pipeline"]
    ws["K1"], ws["L1"] = "合作内容", "合作期限"
    ws["K2"], ws["L2"] = "技术服务", "1年"
    wb.save(path)
    profile = profile_with_documents(contract={"templates": {"zh": {"docx": str(template)}}})
    result = issue_documents(
        load(path, profile), "contract", ["D-1"], fmt="docx", out_dir=tmp_path / "o"
    )
    assert result.failed == []
    text = docx_text(result.issued[0].path.read_bytes())
    assert "甲方（客户）：上海星河科技有限公司" in text
    assert "合同编号：HT-2026-0001" in text
    assert "签署日期：2026年11月28日" in text
    assert "1. 合作内容：技术服务" in text and "2. 合作期限：1年" in text
    # without those columns the template cannot be filled: refused, naming them
    wb["Pipeline"].delete_cols(11, 2)
    wb.save(path)
    refused = issue_documents(
        load(path, profile), "contract", ["D-1"], fmt="docx", out_dir=tmp_path / "o2"
    )
    assert [p.split(",")[0] for p in refused.failed[0].problems] == [
        "template 合同模板.docx uses '合作内容'",
        "template 合同模板.docx uses '合作期限'",
    ]


def test_the_sandbox_blocks_python_internals(book: Path, tmp_path: Path) -> None:
    profile = custom(tmp_path, "{{ customer.name.__class__.__mro__ }}")
    result = issue_documents(load(book, profile), "quote", ["D-2"], out_dir=tmp_path / "o")
    assert result.issued == []
    assert "__class__" in result.failed[0].problems[0]


def test_a_broken_template_is_a_config_error(book: Path, tmp_path: Path) -> None:
    profile = custom(tmp_path, "{% for x in items %}no end")
    with pytest.raises(ConfigError, match="mine.html: line 1"):
        issue_documents(load(book, profile), "quote", ["D-2"], out_dir=tmp_path / "o")


def test_logo_is_embedded(book: Path, tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(PNG)
    profile = custom(tmp_path, '<img src="{{ seller.logo }}">', logo=str(tmp_path / "logo.png"))
    result = issue_documents(load(book, profile), "quote", ["D-2"], out_dir=tmp_path / "o")
    html = result.issued[0].path.read_text("utf-8")
    assert html.startswith('<img src="data:image/png;base64,iVBORw0KGgo')


def test_pdf_batch_over_two_workers(tmp_path: Path) -> None:
    close = dt.date(2026, 12, 28)
    deals = [
        [f"D-{i}", name, "negotiation", 1130 * i, "CNY", "Tom", "Ann", None, lang, close]
        for i, name, lang in (
            (1, "上海星河科技有限公司", "zh"),
            (2, "Müller & Söhne <KG>", "en"),
            (3, "北京华信数据有限公司", "zh"),
            (4, "Acme Robotics Ltd", "en"),
            (5, "杭州绿源生物科技", "zh"),
        )
    ]
    lines = [[f"D-{i}", f"Item {i}", None, i, "pcs", 1130, None, "13%"] for i in range(1, 6)]
    path = write_workbook(tmp_path / "p.xlsx", deals, lines)
    seen = []
    result = issue_documents(
        load(path),
        "quote",
        None,
        all_deals=True,
        fmt="pdf",
        out_dir=tmp_path / "out",
        workers=2,
        progress=lambda done, total, deal: seen.append((done, total)),
    )
    assert result.failed == []
    assert [d.deal_id for d in result.issued] == ["D-1", "D-2", "D-3", "D-4", "D-5"]
    assert seen == [(n, 5) for n in range(1, 6)]
    for n, doc in enumerate(result.issued, start=1):
        text = pdf_text(doc.path)
        assert deals[n - 1][1] in text
        assert f"Item {n}" in text
        total = f"{1130 * n:,}.00"
        assert total in text, (doc.deal_id, total)
    assert [r[0] for r in register_rows(path)[1:]] == [f"Q-2026-000{n}" for n in range(1, 6)]


def test_a_csv_sources_missing_line_items_name_the_file_to_add(tmp_path: Path) -> None:
    csv = tmp_path / "deals.csv"
    csv.write_text(
        "Deal ID,Customer,Stage,Amount,Currency\nD-1,Acme,negotiation,100,CNY\n", "utf-8"
    )
    result = issue_documents(load(csv), "quote", ["D-1"], out_dir=tmp_path / "o")
    assert result.failed[0].problems == [
        "there are no line items (file deals.salessheet-Line-Items.csv beside deals.csv is "
        "missing); add that file with a row per item (Deal ID, SKU/Product, Quantity, Unit "
        "price, Tax rate)"
    ]


def test_logo_in_docx(book: Path, tmp_path: Path) -> None:
    import zipfile

    (tmp_path / "logo.png").write_bytes(PNG)
    profile = profile_with_documents(
        seller={"name": "Seller Co.", "logo": str(tmp_path / "logo.png")}
    )
    with_logo = issue_documents(load(book, profile), "quote", ["D-2"], fmt="docx", out_dir=tmp_path)
    names = zipfile.ZipFile(with_logo.issued[0].path).namelist()
    assert any(n.startswith("word/media/") for n in names)
    plain = issue_documents(load(book), "contract", ["D-2"], fmt="docx", out_dir=tmp_path)
    names = zipfile.ZipFile(plain.issued[0].path).namelist()
    assert not any(n.startswith("word/media/") for n in names)


def test_a_pipeline_column_cannot_replace_the_number_totals_or_dates(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_workbook(tmp_path / "p.xlsx", DEALS[:1], LINES[:4])
    wb = load_workbook(path)
    ws = wb["Pipeline"]
    columns = {"K": ("合同编码", "HT2025-01"), "L": ("合计", "1"), "M": ("日期", "昨天"),
               "N": ("大写金额", "壹元")}  # fmt: skip
    for col, (header, value) in columns.items():
        ws[f"{col}1"], ws[f"{col}2"] = header, value
    wb.save(path)
    profile = custom(
        tmp_path,
        "{{ 合同编码 }}|{{ 合计 }}|{{ 日期 }}|{{ 大写金额 }}|{{ deal.extra['合同编码'] }}",
    )
    result = issue_documents(load(path, profile), "quote", ["D-1"], out_dir=tmp_path / "o")
    html = result.issued[0].path.read_text("utf-8")
    assert html == "Q-2026-0001|¥65,200.00|2026年11月28日|陆万伍仟贰佰元整|HT2025-01"
    assert [r[0] for r in register_rows(path)[1:]] == ["Q-2026-0001"]
