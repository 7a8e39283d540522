"""The house's shape, checked: the layers (import-linter contracts), one home per third-party
library, modules a reader can hold in their head, and a package whose folders show the flow."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "salessheet"
MAX_LINES = 800
MAX_TOP_LEVEL_MODULES = 12

# Each third-party library is imported in one module (or, for the CLI toolkit, one package).
HOMES = {
    "click": "salessheet/cli/",
    "tzlocal": "salessheet/cli/setup_commands.py",
    "openpyxl": "salessheet/stores/xlsx/openpyxl_io.py",
    "python_calamine": "salessheet/stores/xlsx/",
    "gspread": "salessheet/stores/gsheets/store.py",
    "google": "salessheet/stores/gsheets/store.py",
    "requests": "salessheet/stores/gsheets/transport.py",
    "jinja2": "salessheet/core/templating.py",
    "markupsafe": "salessheet/core/templating.py",
    "weasyprint": "salessheet/documents/pdf.py",
    "docxtpl": "salessheet/documents/docx.py",
    "docx": "salessheet/documents/docx.py",
    "babel": "salessheet/core/formatting.py",
    "wcwidth": "salessheet/core/display.py",
    "holidays": "salessheet/core/calendar.py",
    "lark": "salessheet/settings/conditions.py",
    "yaml": "salessheet/settings/",
    "pydantic": "salessheet/settings/",
    "pydantic_core": "salessheet/settings/",
}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _third_party_imports() -> dict[str, set[str]]:
    std = set(sys.stdlib_module_names) | {"__future__"}
    found: dict[str, set[str]] = defaultdict(set)
    for path in _modules():
        rel = path.relative_to(REPO).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in std and top != "salessheet":
                    found[top].add(rel)
    return found


def test_import_linter_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("lint-imports is not installed: pip install '.[test]'")
    res = subprocess.run([exe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout


def test_each_third_party_library_has_one_home() -> None:
    found = _third_party_imports()
    unknown = sorted(set(found) - set(HOMES))
    assert not unknown, f"give these libraries a home in HOMES: {unknown}"
    for library, modules in found.items():
        home = HOMES[library]
        strays = sorted(m for m in modules if not m.startswith(home))
        assert not strays, f"{library} is imported outside {home}: {strays}"
        if home.endswith(".py"):
            assert modules == {home}


def test_no_module_is_over_the_line_limit() -> None:
    long = {
        p.relative_to(REPO).as_posix(): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"


def test_the_package_top_level_stays_small() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    assert {"api.py", "errors.py", "__main__.py", "__init__.py"} <= set(top)
    assert (PACKAGE / "py.typed").is_file()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """The README's test command is what CI runs: lint, format, types, then the suite."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("**Install the test dependencies and run the whole test suite:**")[1]
    command = block.split("```sh\n", 1)[1].split("\n```", 1)[0]
    ci = (REPO / ".ci/run").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    assert ci == command
    steps = [s.strip() for s in command.split("&&")]
    assert steps[3:] == [
        ".venv/bin/ruff check salessheet tests bench",
        ".venv/bin/ruff format --check salessheet tests bench",
        ".venv/bin/mypy",
        ".venv/bin/python -m pytest",
    ]
