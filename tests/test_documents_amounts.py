"""Amounts as printed: unit prices at their own precision, 大写 in the deal's currency."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_documents_issue import CLOSE, load, pdf_text, write_workbook

from salessheet.documents.docx import docx_text
from salessheet.documents.service import issue_documents

SENSORS = ["D-8", "Acme Robotics Ltd", "negotiation", 1250, "USD", "Tom", "Ann", None, "en", CLOSE]
SENSOR_LINE = ["D-8", "Sensor", None, 10000, "pcs", 0.125, None, 0]


def _visible(path: Path) -> str:
    """The text a reader sees: an HTML document without its style sheet and tags."""
    text = _text(path)
    if path.suffix == ".html":
        text = re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", text, flags=re.S))
    return text


def _text(path: Path) -> str:
    if path.suffix == ".pdf":
        return pdf_text(path)
    if path.suffix == ".docx":
        return docx_text(path.read_bytes())
    return path.read_text("utf-8")


@pytest.mark.parametrize(
    ("kind", "fmt", "lang", "price", "total"),
    [
        ("quote", "html", "en", "$0.125", "$1,250.00"),
        ("quote", "docx", "en", "$0.125", "$1,250.00"),
        ("contract", "html", "zh", "US$0.125", "US$1,250.00"),
        ("contract", "pdf", "zh", "US$0.125", "US$1,250.00"),
    ],
)
def test_a_unit_price_of_a_tenth_of_a_cent_is_printed_as_set(
    tmp_path: Path, kind: str, fmt: str, lang: str, price: str, total: str
) -> None:
    """10,000 x $0.125 = $1,250.00: the line must read so, not $0.13 (which makes $1,300)."""
    path = write_workbook(tmp_path / "p.xlsx", [SENSORS], [SENSOR_LINE])
    result = issue_documents(load(path), kind, ["D-8"], fmt=fmt, lang=lang, out_dir=tmp_path / "o")
    assert result.failed == []
    [doc] = result.issued
    assert doc.total == 1250
    text = _text(doc.path)
    assert price in text and total in text, text
    assert "0.13" not in text


def test_prices_with_the_currencys_digits_or_fewer_look_as_before(tmp_path: Path) -> None:
    lines = [["D-8", "Sensor", None, 10000, "pcs", 0.1, None, 0],
             ["D-8", "Cable", None, 2, "pcs", 125, None, 0],
             ["D-8", "Tiny", None, 1, "pcs", 0.1234567, None, 0]]  # fmt: skip
    deal = SENSORS[:3] + [1250.12] + SENSORS[4:]
    path = write_workbook(tmp_path / "p.xlsx", [deal], lines)
    result = issue_documents(load(path), "quote", ["D-8"], out_dir=tmp_path / "o", lang="en")
    html = result.issued[0].path.read_text("utf-8")
    for text in ("$0.10", "$125.00", "$0.123457"):  # at most 6 decimals
        assert f'<td class="num">{text}</td>' in html, text
    assert "<td>$1,250.12</td>" in html


@pytest.mark.parametrize(
    ("fmt", "line"),
    [
        ("html", "合同总价（大写）：<b>美元壹仟贰佰伍拾元整</b>（小写：US$1,250.00）"),
        ("docx", "合计金额（大写）：美元壹仟贰佰伍拾元整"),
        ("pdf", "美元壹仟贰佰伍拾元整"),
    ],
)
def test_a_chinese_contract_in_dollars_writes_the_total_in_words(
    tmp_path: Path, fmt: str, line: str
) -> None:
    path = write_workbook(tmp_path / "p.xlsx", [SENSORS], [SENSOR_LINE])
    result = issue_documents(
        load(path), "contract", ["D-8"], fmt=fmt, lang="zh", out_dir=tmp_path / "o"
    )
    text = _text(result.issued[0].path)
    assert line in text, text
    assert "大写）：US$" not in text


def test_the_tester_s_total_and_other_currencies_in_words(tmp_path: Path) -> None:
    deal = SENSORS[:3] + [45280, "EUR"] + SENSORS[5:]
    path = write_workbook(tmp_path / "p.xlsx", [deal], [SENSOR_LINE[:5] + [4.528] + [None, 0]])
    zh = issue_documents(load(path), "quote", ["D-8"], lang="zh", out_dir=tmp_path / "o")
    assert "合计金额（大写）：<b>欧元肆万伍仟贰佰捌拾元整</b>" in _text(zh.issued[0].path)
    en = issue_documents(load(path), "contract", ["D-8"], lang="en", out_dir=tmp_path / "o")
    assert "in words" not in _text(en.issued[0].path)  # an English contract in EUR: none


def test_a_contract_in_yuan_keeps_its_words(tmp_path: Path) -> None:
    deal = SENSORS[:4] + ["CNY"] + SENSORS[5:]
    path = write_workbook(tmp_path / "p.xlsx", [deal], [SENSOR_LINE])
    for lang in ("zh", "en"):
        result = issue_documents(load(path), "contract", ["D-8"], lang=lang, out_dir=tmp_path)
        assert "<b>壹仟贰佰伍拾元整</b>" in _text(result.issued[0].path), lang


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_a_document_without_tax_shows_no_tax(tmp_path: Path, fmt: str) -> None:
    """A team outside China starts with no tax (config init and init write 0 %): its quote
    showed a VAT column of 0%, a "VAT 0%  $0.00" line and "Prices exclude VAT"."""
    path = write_workbook(tmp_path / "p.xlsx", [SENSORS], [SENSOR_LINE])
    result = issue_documents(load(path), "quote", ["D-8"], fmt=fmt, lang="en", out_dir=tmp_path)
    [doc] = result.issued
    text = _visible(doc.path)
    assert "VAT" not in text and "Prices exclude" not in text
    assert not re.search(r"(?<![\d.])0%", text)  # no rate of 0% (the terms say "30%")
    assert "$1,250.00" in text  # the line total, and the total
    taxed = write_workbook(tmp_path / "t.xlsx", [SENSORS], [[*SENSOR_LINE[:7], 0.08]])
    out = tmp_path / "taxed"
    [doc] = issue_documents(load(taxed), "quote", ["D-8"], fmt=fmt, lang="en", out_dir=out).issued
    text = _visible(doc.path)
    assert "incl. VAT 8%" in text and "Prices include VAT" in text  # the example: inclusive
