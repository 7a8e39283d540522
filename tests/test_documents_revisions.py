"""What decides "unchanged, number reused": every value a template can print, in any language.

Each test issues real documents from a workbook in a temp folder, edits a cell as a user would,
issues again and reads the register and the document that came out.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import corpus_file
from openpyxl import load_workbook
from test_documents_issue import (
    DEALS,
    LINES,
    load,
    profile_with_documents,
    register_rows,
    write_workbook,
)

from salessheet.documents.docx import docx_text
from salessheet.documents.service import issue_documents


def _set(path: Path, cells: dict[str, object]) -> None:
    wb = load_workbook(path)
    for ref, value in cells.items():
        wb["Pipeline"][ref] = value
    wb.save(path)


def _numbers(path: Path) -> list[tuple[str, int]]:
    return [(r[0], int(r[1])) for r in register_rows(path)[1:]]


def test_a_changed_column_the_contract_template_prints_is_a_revision(tmp_path: Path) -> None:
    """The tester's case: a team's Word template prints 合作期限 from the pipeline."""
    template = tmp_path / "tpl.docx"
    shutil.copy(corpus_file("zhang_cn_contract_template_docx", "合同模板.docx"), template)
    path = write_workbook(tmp_path / "p.xlsx", DEALS[:1], LINES[:4])
    _set(path, {"K1": "合作内容", "L1": "合作期限", "K2": "技术服务", "L2": "半年"})
    profile = profile_with_documents(contract={"templates": {"zh": {"docx": str(template)}}})

    def issue(out: str):
        result = issue_documents(
            load(path, profile), "contract", ["D-1"], fmt="docx", out_dir=tmp_path / out
        )
        assert result.failed == []
        return result.issued[0]

    first = issue("a")
    again = issue("a2")
    assert (again.number, again.registered) == ("HT-2026-0001", False)  # same inputs: reused
    _set(path, {"L2": "3年"})
    changed = issue("b")
    assert (changed.number, changed.registered) == ("HT-2026-0001-R2", True)
    assert "2. 合作期限：半年" in docx_text(first.path.read_bytes())
    text = docx_text(changed.path.read_bytes())
    assert "合同编号：HT-2026-0001-R2" in text and "2. 合作期限：3年" in text
    assert _numbers(path) == [("HT-2026-0001", 1), ("HT-2026-0001", 2)]
    assert issue("c").number == "HT-2026-0001-R2"  # and stable again


def test_a_new_owner_is_a_revision_of_the_contract(tmp_path: Path) -> None:
    """The bundled Chinese contract prints the owner as the seller's 联系人."""
    path = write_workbook(tmp_path / "p.xlsx", DEALS[:1], LINES[:4])
    first = issue_documents(load(path), "contract", ["D-1"], out_dir=tmp_path / "a")
    assert "联系人：张伟" in first.issued[0].path.read_text("utf-8")
    _set(path, {"F2": "李娜"})
    second = issue_documents(load(path), "contract", ["D-1"], out_dir=tmp_path / "b")
    [doc] = second.issued
    assert (doc.number, doc.registered) == ("HT-2026-0001-R2", True)
    html = doc.path.read_text("utf-8")
    assert "联系人：李娜" in html and "HT-2026-0001-R2" in html
    assert _numbers(path) == [("HT-2026-0001", 1), ("HT-2026-0001", 2)]


def test_the_columns_run_writes_are_not_inputs(tmp_path: Path) -> None:
    """`run` keeps a days-in-stage count and flags in the pipeline sheet; they change every
    night and are no part of the document."""
    path = write_workbook(tmp_path / "p.xlsx", DEALS[:1], LINES[:4])
    _set(path, {"K1": "⚑ salessheet: days in stage", "K2": 3})
    issue_documents(load(path), "quote", ["D-1"], out_dir=tmp_path / "a")
    _set(path, {"K2": 4})
    again = issue_documents(load(path), "quote", ["D-1"], out_dir=tmp_path / "a")
    assert (again.issued[0].number, again.issued[0].registered) == ("Q-2026-0001", False)
    assert _numbers(path) == [("Q-2026-0001", 1)]


def test_the_other_language_is_another_file_of_the_same_number(tmp_path: Path, cli) -> None:
    """An English team's quote, then the same quote --lang zh: both files stay, the Chinese one
    named with its language; the same inputs keep the number."""
    book = tmp_path / "en.xlsx"
    assert cli("init", book).exit_code == 0
    config = tmp_path / "en.salessheet.yaml"
    config.write_text(
        config.read_text("utf-8")
        + "documents:\n  seller:\n    name: Acme Trading Ltd.\n    name_zh: 艾克美贸易有限公司\n",
        "utf-8",
    )
    args = ["quote", book, "D-0001", "--config", config, "--today", "2026-11-28"]
    assert cli(*args, "--out", tmp_path / "q").exit_code == 0
    assert cli(*args, "--out", tmp_path / "q", "--lang", "zh").exit_code == 0
    english = tmp_path / "q" / "Q-2026-0001_Acme_Robotics_Ltd.html"
    chinese = tmp_path / "q" / "Q-2026-0001_Acme_Robotics_Ltd.zh.html"
    assert sorted(p.name for p in (tmp_path / "q").iterdir()) == [english.name, chinese.name]
    assert "Quotation" in english.read_text("utf-8")
    assert "报价单" in chinese.read_text("utf-8") and "艾克美贸易有限公司" in chinese.read_text()
    sheet = load_workbook(book)["salessheet documents"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert [(r[0], r[1], r[-1]) for r in rows] == [
        ("Q-2026-0001", 1, f"{english.name}; {chinese.name}")
    ]
