"""The tax on quotes and contracts: its name (documents.tax_name) and documents without tax.

Every document called its tax "VAT" (增值税): a US team's quote read "incl. VAT 8%", an
Australian's too. And a Word document on which no line is taxed still had a "VAT" column of 0%
that the HTML and PDF leave out. Each test issues real documents from a workbook in a temp
folder and reads the text a customer reads.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from test_documents_amounts import SENSOR_LINE, SENSORS, _visible
from test_documents_issue import (
    DEALS,
    LINES,
    load,
    profile_with_documents,
    register_rows,
    write_workbook,
)

from salessheet.documents.service import issue_documents
from salessheet.settings.documents import parse_document_settings

TAXED_LINE = [*SENSOR_LINE[:7], 0.08]  # 10,000 x $0.125 at 8 %
HEADS = {
    "en": ["#", "Item", "Qty", "Unit", "Unit price", "Disc.", "Amount"],
    "zh": ["序号", "产品名称", "数量", "单位", "单价", "折扣", "金额"],
}


def _issue(tmp_path: Path, lines: list[list], *, kind="quote", fmt="docx", lang="en", **docs):
    tmp_path.mkdir(exist_ok=True)
    path = write_workbook(tmp_path / "p.xlsx", [SENSORS], lines)
    result = issue_documents(
        load(path, profile_with_documents(**docs)),
        kind,
        ["D-8"],
        fmt=fmt,
        lang=lang,
        out_dir=tmp_path / f"{kind}-{fmt}-{lang}",
    )
    assert result.failed == []
    return result.issued[0]


def _items_table(path: Path):
    doc = Document(io.BytesIO(path.read_bytes()))
    [table] = [t for t in doc.tables if t.rows[0].cells[0].text in ("#", "序号")]
    return table


def _rows(path: Path) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in _items_table(path).rows]


def _grid(path: Path) -> list[int]:
    return [col.w for col in _items_table(path)._tbl.tblGrid.gridCol_lst]


# ------------------------------------------------------------------- Word documents without tax


@pytest.mark.parametrize("kind", ["quote", "contract"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_word_document_without_tax_has_no_tax_column(
    tmp_path: Path, kind: str, lang: str
) -> None:
    """Before: the Word quote of a team with no tax had a "VAT" (税率) column reading 0% and,
    in tax-inclusive mode, "Subtotal (incl. VAT)"; the HTML and PDF of the same deal had
    neither."""
    doc = _issue(tmp_path, [SENSOR_LINE], kind=kind, lang=lang)
    price = "$0.125" if lang == "en" else "US$0.125"
    total = "$1,250.00" if lang == "en" else "US$1,250.00"
    assert _rows(doc.path) == [HEADS[lang], ["1", "Sensor", "10,000", "pcs", price, "", total]]
    text = _visible(doc.path)
    assert "VAT" not in text and "税率" not in text and "增值税" not in text
    assert not re.search(r"(?<![\d.])0%", text)  # no rate of 0% (the terms say "30%")
    subtotal = "Subtotal" if lang == "en" else "小计（含税）"
    assert f"\n{subtotal}\n{total}\n" in text
    taxed = _issue(tmp_path / "taxed", [TAXED_LINE], kind=kind, lang=lang)
    # the table keeps its width: the tax column's goes to the item's
    grid, taxed_grid = _grid(doc.path), _grid(taxed.path)
    assert len(grid) == 7 and len(taxed_grid) == 8 and sum(grid) == sum(taxed_grid)
    assert grid[1] == taxed_grid[1] + taxed_grid[6]
    head = [*HEADS[lang][:6], "VAT" if lang == "en" else "税率", HEADS[lang][6]]
    assert _rows(taxed.path)[0] == head and _rows(taxed.path)[1][6] == "8%"
    text = _visible(taxed.path)
    assert ("incl. VAT 8%" if lang == "en" else "其中增值税 8%") in text


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _libreoffice_text(path: Path, out: Path) -> str:
    """The DOCX's text as LibreOffice Writer reads it (skips where Writer is not installed:
    Calc alone cannot load a DOCX)."""
    if SOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    done = subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={(out / 'lo').as_uri()}",
         "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    txt = out / (path.stem + ".txt")
    if "source file could not be loaded" in done.stderr and not txt.exists():
        pytest.skip(
            "LibreOffice Writer is not installed (apt-get install libreoffice-writer-nogui)"
        )
    assert done.returncode == 0 and txt.exists(), done.stderr
    return txt.read_text("utf-8-sig")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_libreoffice_opens_the_word_quote_without_its_tax_column(tmp_path: Path, lang: str) -> None:
    doc = _issue(tmp_path, [SENSOR_LINE], lang=lang)
    text = _libreoffice_text(doc.path, tmp_path)
    heads = "\n".join(HEADS[lang])
    assert heads in text, text
    assert "VAT" not in text and "税率" not in text and "\n0%\n" not in text
    assert ("$1,250.00" if lang == "en" else "US$1,250.00") in text


# ------------------------------------------------------------------------ the tax's name


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
def test_an_australian_quote_says_gst(tmp_path: Path, fmt: str) -> None:
    """documents.tax_name: GST, prices including it (the example config's mode)."""
    doc = _issue(tmp_path, [TAXED_LINE], fmt=fmt, tax_name="GST")
    text = _visible(doc.path)
    assert "VAT" not in text
    for words in (
        "Subtotal (incl. GST)",
        "incl. GST 8%",
        "Prices include GST (tax-inclusive prices).",
    ):
        assert words in text, (words, text)
    if fmt == "docx":
        assert _rows(doc.path)[0][6] == "GST"


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
def test_a_us_quote_adds_sales_tax(tmp_path: Path, fmt: str) -> None:
    """Prices before tax: the label starts with a capital, the sentence keeps the name as set."""
    doc = _issue(tmp_path, [TAXED_LINE], fmt=fmt, tax_name="sales tax", tax_mode="exclusive")
    text = _visible(doc.path)
    assert "VAT" not in text
    assert "Sales tax 8%" in text and "$100.00" in text  # 8 % of $1,250.00
    assert "Prices exclude sales tax; sales tax is shown separately." in text
    if fmt == "html":
        assert '<th class="num">Sales tax</th>' in doc.path.read_text("utf-8")
    if fmt == "docx":
        assert _rows(doc.path)[0][6] == "Sales tax"


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
@pytest.mark.parametrize(
    ("names", "included", "note"),
    [
        ({}, "其中增值税 8%", "以上价格均为含税价（含增值税）。"),
        ({"tax_name": "GST"}, "其中GST 8%", "以上价格均为含税价（含GST）。"),
        (
            {"tax_name": "GST", "tax_name_zh": "商品及服务税"},
            "其中商品及服务税 8%",
            "以上价格均为含税价（含商品及服务税）。",
        ),
    ],
    ids=["unset", "tax_name", "tax_name_zh"],
)
def test_a_chinese_quote_names_the_tax_in_chinese(
    tmp_path: Path, fmt: str, names: dict, included: str, note: str
) -> None:
    """tax_name_zh on Chinese documents, else tax_name (as the seller's name_zh), else 增值税."""
    doc = _issue(tmp_path, [TAXED_LINE], fmt=fmt, lang="zh", **names)
    text = _visible(doc.path)
    if fmt == "pdf":  # pdftotext lays the note out in its own words' order
        text = text.replace(" ", "")
        included = included.replace(" ", "")
    assert included in text and note in text, text
    if names:
        assert "增值税" not in text


def test_a_chinese_quote_before_tax_adds_it_by_name(tmp_path: Path) -> None:
    doc = _issue(
        tmp_path, [TAXED_LINE], fmt="html", lang="zh", tax_name_zh="消费税", tax_mode="exclusive"
    )
    text = _visible(doc.path)
    assert "消费税 8%" in text and "以上价格不含税，消费税另计。" in text
    assert "增值税" not in text


def test_the_tax_name_is_one_short_line() -> None:
    raw = {"tax_name": "sales\ntax", "tax_name_zh": ["消费税"]}
    settings, problems = parse_document_settings(raw, "my.yaml")
    expected = "the tax's name on documents, one short line: VAT, GST, sales tax, 增值税"
    assert problems == [
        f"my.yaml: documents.tax_name: found 'sales\\ntax' (text), expected {expected} (at most "
        "40 characters)",
        f"my.yaml: documents.tax_name_zh: found ['消费税'] (a list), expected {expected}",
    ]
    assert settings.tax_names() == {"en": "VAT", "zh": "增值税"}
    blank, problems = parse_document_settings({"tax_name": " "}, "my.yaml")
    assert problems == [] and blank.tax_name is None


# -------------------------------------------------------------------- numbers and revisions


def test_a_team_that_sets_no_tax_name_keeps_its_numbers(tmp_path: Path) -> None:
    """The input hash of documents made before the setting existed (measured on the version
    before it): re-issuing them reuses their numbers."""
    path = write_workbook(tmp_path / "p.xlsx", DEALS[:2], LINES[:6])
    for kind, fmt, lang in (("quote", "html", "zh"), ("contract", "docx", "en")):
        result = issue_documents(
            load(path), kind, ["D-1", "D-2"], fmt=fmt, lang=lang, out_dir=tmp_path / fmt
        )
        assert result.failed == []
    rows = register_rows(path)[1:]
    assert [(r[0], int(r[1]), r[10]) for r in rows] == [
        ("Q-2026-0001", 1, "768e334cff2e307c"),
        ("Q-2026-0002", 1, "10d4ee5b97660672"),
        ("HT-2026-0001", 1, "bb243bb78e095a4e"),
        ("HT-2026-0002", 1, "658d2880f1e713d9"),
    ]
    # naming the default changes nothing either
    again = issue_documents(
        load(path, profile_with_documents(tax_name="VAT", tax_name_zh="增值税")),
        "quote",
        ["D-1", "D-2"],
        out_dir=tmp_path / "again",
    )
    assert [(d.number, d.registered) for d in again.issued] == [
        ("Q-2026-0001", False),
        ("Q-2026-0002", False),
    ]


def test_a_new_tax_name_is_a_revision_where_the_document_shows_it(tmp_path: Path) -> None:
    """A quote that said VAT and now says GST is another document: a revision. A quote on
    which no line is taxed shows no tax name: the same document, the same number."""
    path = write_workbook(tmp_path / "p.xlsx", [SENSORS, ["D-9", *SENSORS[1:]]],
                          [TAXED_LINE, ["D-9", *SENSOR_LINE[1:]]])  # fmt: skip

    def issue(**docs):
        result = issue_documents(
            load(path, profile_with_documents(**docs)), "quote", ["D-8", "D-9"], out_dir=tmp_path
        )
        assert result.failed == []
        return [(d.deal_id, d.number, d.registered) for d in result.issued]

    assert issue() == [("D-8", "Q-2026-0001", True), ("D-9", "Q-2026-0002", True)]
    assert issue(tax_name="GST") == [
        ("D-8", "Q-2026-0001-R2", True),
        ("D-9", "Q-2026-0002", False),
    ]
    assert issue(tax_name="GST") == [
        ("D-8", "Q-2026-0001-R2", False),
        ("D-9", "Q-2026-0002", False),
    ]
