"""What a buyer sees on a printed page: the layout of PDF documents, read back as text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def pdf_pages(path: Path) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.split("\f")


def test_the_signature_block_moved_to_the_next_page_is_printed_once(cli, tmp_path: Path) -> None:
    """The new Chinese workbook's first contract fills page 1 up to its signatures, which
    move whole to page 2: each party's box is there once (WeasyPrint drew the floated boxes
    twice, a clipped copy above the block)."""
    book = tmp_path / "p.xlsx"
    assert cli("init", book, "--lang", "zh").exit_code == 0
    team = tmp_path / "team.yaml"
    team.write_text(
        "extends: b2b\ndocuments:\n  seller: {name: Acme Ltd., name_zh: 艾克美贸易有限公司}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = cli("contract", book, "D-0001", "--config", team, "--format", "pdf", "--out", out)
    assert res.exit_code == 0, res.output
    (pdf,) = out.glob("*.pdf")
    pages = [p for p in pdf_pages(pdf) if p.strip()]
    assert len(pages) == 2
    assert "第六条" in pages[0] and "甲方（盖章）" not in pages[0]
    assert pages[1].count("甲方（盖章）") == 1 and pages[1].count("乙方（盖章）") == 1
    assert pages[1].count("法定代表人或授权代表（签字）") == 2
    assert pages[1].count("艾克美贸易有限公司") == 1
