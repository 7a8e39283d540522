"""Shared test helpers: workbooks built in a temp folder, the CLI, the corpus path."""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]


def _corpus_dir() -> Path:
    """The real-world files: $SALESSHEET_CORPUS, else a `shared/corpus` folder beside the
    checkout or one of its parents (tests skip cleanly when there is none)."""
    env = os.environ.get("SALESSHEET_CORPUS")
    if env:
        return Path(env)
    for parent in REPO.parents:
        candidate = parent / "shared" / "corpus"
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "corpus"


CORPUS = _corpus_dir()
TODAY = dt.date(2026, 11, 28)


# Documents refuse the profiles' placeholder seller ("Your Company Ltd."): tests that issue
# documents name a seller, as a team does in its config.
SELLER = {"documents": {"seller": {"name": "Test Seller Ltd.", "name_zh": "测试卖方有限公司"}}}


def seller_config(folder: Path, profile: str = "b2b") -> Path:
    """A config extending ``profile`` with a real seller name (for quote/contract commands)."""
    path = folder / f"{profile}-with-seller.yaml"
    path.write_text(
        f"extends: {profile}\ndocuments:\n  seller:\n    name: Test Seller Ltd.\n"
        "    name_zh: 测试卖方有限公司\n",
        "utf-8",
    )
    return path


def corpus_file(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus file {path} is not available")
    return path


def make_xlsx(
    path: Path,
    sheets: dict[str, list[list[Any]]],
    *,
    merges: dict | None = None,
    hidden: Iterable[str] = (),
) -> Path:
    """A workbook written with openpyxl: {sheet name: rows}."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


class Cli:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Any:
        from salessheet.cli import main

        result = self.runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        return result

    def json(self, *args: str) -> tuple[int, dict]:
        result = self(*args, "--format", "json")
        return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    src = REPO / "examples" / "pipeline.xlsx"
    dst = tmp_path / "pipeline.xlsx"
    dst.write_bytes(src.read_bytes())
    return dst


def set_error_cells(path: Path, errors: dict[str, tuple[str, str]]) -> None:
    """Give cells of the first sheet a formula with a cached error value, as Excel writes a
    failed formula: {"E2": ("1/0", "#DIV/0!")}. Each cell must already exist."""
    import re

    with zipfile.ZipFile(path) as zf:
        items = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    xml = items["xl/worksheets/sheet1.xml"].decode()
    for ref, (formula, code) in errors.items():
        xml, n = re.subn(
            rf'<c r="{ref}"[^>]*>.*?</c>',
            f'<c r="{ref}" t="e"><f>{formula}</f><v>{code}</v></c>',
            xml,
        )
        assert n == 1, f"no cell {ref} to replace"
    items["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in items.items():
            zf.writestr(name, data)
