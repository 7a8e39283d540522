"""Line items and prices held in formulas whose result was never saved.

A workbook written by a script (openpyxl, pandas) keeps a formula with no result until Excel
or LibreOffice opens and saves it; read as it is, the cell is blank. A blank unit price on a
line is then taken from the price list, so a line whose Excel cell shows =12000*0.9 (10,800)
was quoted at the list price of 12,000 without a word. A quote now refuses such a deal and
names the cell, the formula and the fix.
"""

from __future__ import annotations

from pathlib import Path

from conftest import seller_config
from openpyxl import load_workbook

TODAY = "2026-11-28"
FIX = (
    "has no saved result, so it reads as blank (the file was written by a program that does "
    "not calculate formulas): open it in Excel or LibreOffice, save it, and run again"
)


def _edit(example_copy: Path, edits: dict[str, dict[str, object]]) -> Path:
    """{sheet: {cell: value}} written with openpyxl, which saves formulas without results."""
    wb = load_workbook(example_copy)
    for sheet, cells in edits.items():
        for ref, value in cells.items():
            wb[sheet][ref] = value
    wb.save(example_copy)
    return example_copy


def _quote(cli, path: Path, tmp_path: Path) -> tuple[int, str]:
    res = cli("quote", path, "D-0001", "--dry-run", "--today", TODAY, "--out", tmp_path,
              "--config", seller_config(tmp_path))  # fmt: skip
    return res.exit_code, res.output


def test_the_examples_first_deal_is_quoted_as_it_stands(cli, example_copy, tmp_path) -> None:
    wb = load_workbook(example_copy)
    assert [c.value for c in wb["Line Items"][2]] == ["D-0001", "SW-CRM-STD", 5, 12000, 10]
    code, out = _quote(cli, example_copy, tmp_path)
    assert code == 0 and "CNY 54000.00" in out, out


def test_a_line_price_formula_with_no_result_is_not_taken_from_the_price_list(
    cli, example_copy, tmp_path
) -> None:
    path = _edit(example_copy, {"Line Items": {"D2": "=12000*0.9"}})
    code, out = _quote(cli, path, tmp_path)
    assert code == 2, out
    assert "CNY 54000.00" not in out  # the list price, while Excel shows 10,800
    assert f"  - D-0001: sheet 'Line Items' D2: the formula =12000*0.9 {FIX}\n" in out
    assert "the quantity is blank" not in out and "no unit price" not in out


def test_a_quantity_formula_is_named_not_called_blank(cli, example_copy, tmp_path) -> None:
    path = _edit(example_copy, {"Line Items": {"C2": "=2+3"}})
    code, out = _quote(cli, path, tmp_path)
    assert code == 2, out
    assert f"  - D-0001: sheet 'Line Items' C2: the formula =2+3 {FIX}\n" in out
    assert "the quantity is blank" not in out


def test_a_price_list_formula_with_no_result_refuses_the_lines_that_use_it(
    cli, example_copy, tmp_path
) -> None:
    # the line names only its SKU: its price comes from the Products row, a formula
    path = _edit(example_copy, {"Line Items": {"D2": None}, "Products": {"D2": "=10000+2000"}})
    code, out = _quote(cli, path, tmp_path)
    assert code == 2, out
    assert f"  - D-0001: sheet 'Products' D2: the formula =10000+2000 {FIX}\n" in out


def test_a_bad_price_list_value_is_said_on_the_lines_that_use_it(
    cli, example_copy, tmp_path
) -> None:
    # Before, the price list's problems reached a line only when " <row>" happened to appear
    # in their text: this one never did, and the line said only "no unit price".
    path = _edit(example_copy, {"Line Items": {"D2": None}, "Products": {"D2": "twelve k"}})
    code, out = _quote(cli, path, tmp_path)
    assert code == 2, out
    assert "  - D-0001: sheet 'Products': Unit Price D2: cannot read 'twelve k'" in out, out
