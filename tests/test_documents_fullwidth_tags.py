"""Template tags typed with a Chinese input method's full-width braces (｛｛ 联系人 ｝｝) are
plain text to Jinja2 and docxtpl: the document would go out with the placeholder in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from test_documents_issue import DEALS, LINES, load, profile_with_documents, write_workbook

from salessheet.core.errors import ConfigError
from salessheet.documents.service import issue_documents


def _word(path: Path, body: list[str], header: str = "") -> Path:
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = header
    for text in body:
        doc.add_paragraph(text)
    doc.save(path)
    return path


def _issue(tmp_path: Path, template: Path, fmt: str):
    profile = profile_with_documents(
        contract={"templates": {"zh": {fmt: str(template)}, "en": {fmt: str(template)}}}
    )
    book = write_workbook(tmp_path / "p.xlsx", DEALS[:1], LINES[:4])
    return issue_documents(
        load(book, profile), "contract", ["D-1"], fmt=fmt, out_dir=tmp_path / "out"
    )


def test_a_word_template_with_full_width_braces_is_refused(tmp_path: Path) -> None:
    template = _word(
        tmp_path / "合同.docx",
        ["甲方：{{ 客户名称 }}", "联系人：｛｛ 联系人 ｝｝", "金额：{｛ 合同金额 }}"],
        header="合同编号：｛｛合同编号｝｝",
    )
    with pytest.raises(ConfigError) as caught:
        _issue(tmp_path, template, "docx")
    assert caught.value.message == (
        f"template {template}: 3 tag(s) written with full-width braces (｛ ｝ ％, as a Chinese "
        "input method types them) would be printed as they are"
    )
    assert caught.value.problems == [
        "｛｛ 联系人 ｝｝ : type it as {{ 联系人 }}",
        "{｛ 合同金额 }} : type it as {{ 合同金额 }}",
        "｛｛合同编号｝｝ : type it as {{合同编号}}",
    ]
    assert not (tmp_path / "out").exists()


def test_an_html_template_with_a_full_width_block_tag_is_refused(tmp_path: Path) -> None:
    template = tmp_path / "mine.html"
    template.write_text(
        "<p>{{ 客户名称 }}</p>｛％ for item in items ％｝<i>{{ item.product }}</i>{% endfor %}",
        "utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        _issue(tmp_path, template, "html")
    assert caught.value.problems == [
        "｛％ for item in items ％｝ : type it as {% for item in items %}"
    ]


def test_full_width_braces_outside_a_tag_are_text(tmp_path: Path) -> None:
    template = _word(tmp_path / "t.docx", ["注：｛以下略｝ 甲方：{{ 客户名称 }}"])
    result = _issue(tmp_path, template, "docx")
    assert result.failed == [] and len(result.issued) == 1
