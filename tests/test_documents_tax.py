"""The tax on quotes and contracts: documents without tax.

A Word document on which no line is taxed still had a "VAT" column of 0% that the HTML and PDF
leave out. Each test issues real documents from a workbook in a temp folder and reads the text
a customer reads.
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
    load,
    profile_with_documents,
    write_workbook,
)

from salessheet.documents.service import issue_documents

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
