"""Every Jinja2 environment is sandboxed and strict; HTML ones escape; the report's compiled
templates are kept between runs; jinja2, markupsafe and wcwidth are each imported by one
module of the package only."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from salessheet.core.templating import (
    TemplateError,
    UndefinedError,
    docx_environment,
    html_environment,
    report_environment,
)

PACKAGE = Path(__file__).resolve().parents[1] / "salessheet"
ENVIRONMENTS = {
    "html": html_environment,
    "report": report_environment,
    "docx": docx_environment,
}


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_sandboxed_strict_and_escaping(name: str) -> None:
    env = ENVIRONMENTS[name]()
    with pytest.raises(TemplateError, match="__class__"):
        env.from_string("{{ x.__class__.__mro__ }}").render(x="a")
    with pytest.raises(UndefinedError, match="'missing' is undefined"):
        env.from_string("{{ missing }}").render()
    assert env.from_string("{{ x }}").render(x="Müller & Söhne <KG>") == (
        "Müller &amp; Söhne &lt;KG&gt;")  # fmt: skip


def test_the_report_escapes_quotes_as_it_always_did() -> None:
    template = report_environment().from_string('<p title="{{ x }}">{{ x }}</p>')
    assert template.render(x="O'Brien \"Co\"") == (
        '<p title="O&#x27;Brien &quot;Co&quot;">O&#x27;Brien &quot;Co&quot;</p>')  # fmt: skip


def test_custom_html_templates_find_the_bundled_ones(tmp_path: Path) -> None:
    (tmp_path / "mine.html").write_text(
        '{% from "_macros.html" import items_table %}<b>{{ x }}</b>\n', encoding="utf-8"
    )
    env = html_environment(str(tmp_path))
    assert env.get_template("mine.html").render(x="<a>") == "<b>&lt;a&gt;</b>\n"
    assert html_environment(str(tmp_path)) is env  # one environment per folder, reused


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    ("library", "home"),
    [
        ("jinja2", "core/templating.py"),
        ("markupsafe", "core/templating.py"),
        ("wcwidth", "core/display.py"),
        ("babel", "core/formatting.py"),
    ],
)
def test_library_is_imported_in_one_module(library: str, home: str) -> None:
    importers = sorted(
        p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if library in _imports(p)
    )
    assert importers == [home]


RENDER = """
import datetime as dt, shutil, sys
from pathlib import Path
from salessheet.analytics.html import render_html
from salessheet.analytics.service import build_report
from salessheet.api import evaluate_source
book = Path(sys.argv[1]) / "pipeline.xlsx"
shutil.copyfile(Path(sys.argv[2]) / "examples" / "pipeline.xlsx", book)
rep = build_report(evaluate_source(book, today=dt.date(2026, 11, 28), record=False))
sys.stdout.write(render_html(rep))
"""


def test_rendering_the_report_writes_nothing_to_the_temp_folder(tmp_path: Path) -> None:
    work, tmp = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    cmd = [sys.executable, "-c", RENDER, str(work), str(PACKAGE.parent)]
    html = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    assert html.startswith("<!DOCTYPE html>")
    assert list(tmp.iterdir()) == []
