"""Template tags typed wrong in Word: full-width braces (｛｛ 联系人 ｝｝, a Chinese input
method's) or a lone }} are plain text to Jinja2 and docxtpl, so the document would go out with
the placeholder in it; a tag that does not parse was reported without saying where it is."""

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


@pytest.mark.parametrize(
    ("paragraph", "message"),
    [
        (
            "金额：{金额}} 元",
            "a '}}' without its pair, in the paragraph '金额：{金额}} 元', would be printed "
            "as it is",
        ),
        (
            "客户：{{ 客户名称 }",
            "unexpected '}', in the paragraph '客户：{{ 客户名称 }'",
        ),
        (
            "客户：{{ 客户 名称 }}",
            "expected token 'end of print statement', got '名称', in the paragraph "
            "'客户：{{ 客户 名称 }}'",
        ),
    ],
)
def test_a_broken_word_tag_names_its_paragraph(
    tmp_path: Path, paragraph: str, message: str
) -> None:
    """Before: a lone }} went out printed (exit 0); a syntax error said only "unexpected '}'"
    of a template that may run to pages."""
    template = _word(tmp_path / "合同.docx", ["甲方：{{ 客户名称 }}", paragraph])
    with pytest.raises(ConfigError) as caught:
        _issue(tmp_path, template, "docx")
    assert caught.value.message == f"template {template}: {message}"
    assert not (tmp_path / "out").exists()


def test_docxtpl_rich_text_tags_are_no_typo(tmp_path: Path) -> None:
    template = _word(tmp_path / "t.docx", ["甲方：{{r 客户名称 }}", "{{p 联系人 }}"])
    result = _issue(tmp_path, template, "docx")
    assert result.failed == [] and len(result.issued) == 1


def test_a_table_row_tag_outside_a_table_names_its_paragraph(tmp_path: Path) -> None:
    """docxtpl's {%tr %} works only in a table row; elsewhere Jinja said only "Encountered
    unknown tag 'tr'." of the whole template."""
    template = _word(
        tmp_path / "t.docx", ["{%tr for item in items %}", "{{ item.product }}", "{%tr endfor %}"]
    )
    with pytest.raises(ConfigError) as caught:
        _issue(tmp_path, template, "docx")
    assert caught.value.message == (
        f"template {template}: Encountered unknown tag 'tr', in the paragraph "
        "'{%tr for item in items %}'"
    )
    assert caught.value.hint == (
        "a '{%tr' tag repeats a table row: put it in a cell of the table it repeats, in a row "
        "of its own"
    )
