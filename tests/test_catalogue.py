"""The finding-code catalogue: every code is declared once, emitted only through it, listed by
`salessheet rules`, and the README's table is generated from it."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from openpyxl import Workbook, load_workbook

from salessheet import api
from salessheet.core import catalogue
from salessheet.core.catalogue import CATALOGUE, markdown_table, readme_section
from salessheet.core.findings import Finding
from salessheet.core.records import Deal, TableLayout

PACKAGE = REPO / "salessheet"
CODES = set(CATALOGUE)
KEBAB = re.compile(r"[a-z]+(-[a-z]+)+")


def _string_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_the_catalogue_declares_every_code_once_with_severity_meaning_and_source() -> None:
    assert len(CODES) == 25
    for code, check in CATALOGUE.items():
        assert check.code == code and KEBAB.fullmatch(code)
        assert check.severity in ("error", "warning", "info")
        assert check.meaning and "\n" not in check.meaning
        assert (PACKAGE / (check.source.replace(".", "/") + ".py")).is_file(), check.source
    with pytest.raises(ValueError, match="registered twice"):
        catalogue.register("bad-value", "error", "again", "sheet.table")
    assert CATALOGUE["bad-value"].meaning.startswith("A cell cannot be read")


def test_no_module_spells_a_finding_code_outside_the_catalogue() -> None:
    # the scan itself sees codes: every one is in the catalogue module's own text
    assert {v for _, v in _string_constants(PACKAGE / "core" / "catalogue.py")} >= CODES
    offenders = [
        f"{path.relative_to(REPO)}:{line}: {value!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "core" / "catalogue.py"
        for line, value in _string_constants(path)
        if value in CODES
    ]
    assert offenders == [], "use the catalogue's Check (e.g. catalogue.STALLED_DEAL.code)"


def test_each_check_is_emitted_by_the_module_the_catalogue_names() -> None:
    for check in CATALOGUE.values():
        name = next(k for k, v in vars(catalogue).items() if v is check and k.isupper())
        source = (PACKAGE / (check.source.replace(".", "/") + ".py")).read_text(encoding="utf-8")
        assert re.search(rf"\b{name}\b", source), f"{check.source} does not use {name}"


def test_rules_use_no_private_name_of_another_module() -> None:
    offenders = []
    layers = ("rules", "history", "sheet", "core")
    for path in sorted(p for layer in layers for p in (PACKAGE / layer).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("salessheet"):
                offenders += [
                    f"{path.relative_to(REPO)}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
    assert offenders == []


def _codes_compared_in_tests() -> set[str]:
    """Codes the tests expect salessheet to produce: kebab-case strings compared with a
    finding's ``.code`` / ``["code"]`` or with a set/list of codes named ``codes``."""

    def is_code_expr(node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute) and node.attr == "code":
            return True
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            return node.slice.value == "code"
        if isinstance(node, ast.Name) and "codes" in node.id:
            return True
        if isinstance(node, (ast.SetComp, ast.ListComp, ast.GeneratorExp)):
            return is_code_expr(node.elt)
        if isinstance(node, ast.Call) and node.args:  # sorted(...), set(...), Counter(...)
            return is_code_expr(node.args[0])
        return False

    found: set[str] = set()
    for path in sorted((REPO / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                if any(is_code_expr(s) for s in sides):
                    for side in sides:
                        found |= {
                            c.value
                            for c in ast.walk(side)
                            if isinstance(c, ast.Constant)
                            and isinstance(c.value, str)
                            and KEBAB.fullmatch(c.value)
                        }
            elif isinstance(node, ast.Dict):  # {"code": "bad-value", ...}
                for k, v in zip(node.keys, node.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value == "code":
                        if isinstance(v, ast.Constant) and isinstance(v.value, str):
                            found.add(v.value)
    return found


def test_every_code_a_test_expects_is_in_the_catalogue() -> None:
    expected = _codes_compared_in_tests()
    assert {"bad-value", "illegal-transition", "unknown-stage"} <= expected  # the scan works
    assert expected <= CODES, sorted(expected - CODES)


# --- every code, produced by real runs ------------------------------------------------------

HEADER = ["Deal ID", "Customer", "Stage", "Owner", "Amount", "Currency", "Expected Close",
          "Created", "Override Reason", "Lost Reason"]  # fmt: skip
D = dt.date


def _every_code_workbook(path: Path) -> Path:
    rows = [
        ["D-1", "Acme", "lead", "Ann", 1000, "CNY", D(2026, 12, 20), D(2026, 1, 1), None, None],
        ["D-2", "Beta", "negotiation", "Bob", 5000, "CNY", D(2026, 12, 20), D(2026, 1, 1), None,
         None],
        ["D-3", "Gamma", "lost", "Cy", 100, "CNY", D(2026, 12, 20), D(2026, 1, 1), None, "price"],
        ["D-4", "Delta", "lead", "Dee", 100, "CNY", D(2026, 12, 20), D(2026, 1, 1), None, None],
        ["D-5", "Eps", "lead", "Eve", 100, "CNY", D(2026, 12, 20), D(2026, 1, 1), None, None],
        ["D-6", "Zeta", "lead", "Fay", 100, "CNY", D(2026, 12, 20), D(2026, 1, 1), None, None],
        ["D-7", None, "negotiation", "Gus", -5, "CNY", None, D(2026, 1, 1), None, None],
        ["D-8", "Eta", "Prospecting", "Hal", 100, "CNY", D(2026, 12, 20), D(2026, 1, 1), None,
         None],
        ["D-8", "Theta", "lead", "Ian", 100, "CNY", D(2025, 6, 1), D(2025, 7, 1), None, None],
        [None, "Iota", "lead", "Jo", "$1,200", "CNY", "2026-02-30", D(2026, 1, 1), None, None],
    ]  # fmt: skip
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _edit(path: Path, changes: dict[tuple[str, str], object]) -> None:
    wb = load_workbook(path)
    ws = wb["Pipeline"]
    for row in ws.iter_rows(min_row=2):
        for (deal, col), value in changes.items():
            if row[0].value == deal:
                row[HEADER.index(col)].value = value
    wb.save(path)


def test_real_runs_produce_every_catalogued_code_and_nothing_else(tmp_path: Path) -> None:
    path = _every_code_workbook(tmp_path / "p.xlsx")
    seen: set[str] = set()

    def run(today: str) -> None:
        report = api.run(path, today=D.fromisoformat(today))
        seen.update(f.code for f in report.findings)

    run("2026-11-01")
    _edit(path, {("D-1", "Stage"): "contract", ("D-2", "Stage"): "follow_up",
                 ("D-3", "Stage"): "lead", ("D-4", "Stage"): "contract",
                 ("D-4", "Override Reason"): "CEO deal", ("D-5", "Expected Close"): D(2027, 1, 1),
                 ("D-6", "Deal ID"): None, ("D-6", "Customer"): None, ("D-6", "Stage"): None,
                 ("D-6", "Owner"): None, ("D-6", "Amount"): None, ("D-6", "Currency"): None,
                 ("D-6", "Expected Close"): None, ("D-6", "Created"): None})  # fmt: skip
    run("2026-11-10")
    _edit(path, {("D-5", "Expected Close"): D(2027, 2, 1)})
    run("2026-11-20")
    _edit(path, {("D-5", "Expected Close"): D(2027, 3, 1)})
    wb = load_workbook(path)
    wb["salessheet history"].cell(row=3, column=4).value = "frobnicated"  # no such event
    wb.save(path)
    run("2026-12-28")  # and a month on: every open deal has sat in its stage too long
    wb = load_workbook(path)
    wb["salessheet history"].title = "History"  # renamed away: a new ledger starts, said so
    wb.save(path)
    run("2026-12-29")
    no_column = tmp_path / "nocol.xlsx"
    wb = Workbook()
    wb.active.title = "Pipeline"
    wb.active.append(["Deal ID", "Customer", "Stage", "Owner"])
    wb.active.append(["A", "x", "opportunity", "o"])
    wb.save(no_column)
    seen.update(f.code for f in api.validate(no_column, today=D(2026, 11, 28)).findings)
    reading = tmp_path / "reading.xlsx"  # a remark in a money header, a total row, mixed dates
    wb = Workbook()
    wb.active.title = "Pipeline"
    wb.active.append(["Deal ID", "Customer", "Stage", "Owner", "Amount (incl. VAT)", "Created"])
    wb.active.append(["R-1", "x", "lead", "o", 100, "25/03/2026"])
    wb.active.append(["R-2", "y", "lead", "o", 200, "03/25/2026"])
    wb.active.append(["Total", None, None, None, 300, None])
    wb.save(reading)
    seen.update(f.code for f in api.validate(reading, today=D(2026, 11, 28)).findings)
    foreign = tmp_path / "foreign.xlsx"  # a user's own sheet named like a tool-owned one
    wb = Workbook()
    wb.active.title = "Pipeline"
    wb.active.append(["Deal ID", "Customer", "Stage", "Owner"])
    wb.active.append(["A", "x", "lead", "o"])
    wb.create_sheet("salessheet findings").append(["my notes", "about findings"])
    wb.save(foreign)
    seen.update(f.code for f in api.validate(foreign, today=D(2026, 11, 28)).findings)
    summary = tmp_path / "summary.xlsx"  # a summary tab in front of the pipeline
    wb = Workbook()
    wb.active.title = "Summary"
    wb.active.append(["Stage", "Deals", "Amount"])
    wb.active.append(["lead", 1, 100])
    wb.active.append(["negotiation", 1, 200])
    wb.create_sheet("Deals 2025").append(["Deal ID", "Customer", "Stage", "Owner"])
    wb["Deals 2025"].append(["A", "x", "lead", "o"])
    wb.save(summary)
    seen.update(f.code for f in api.validate(summary, today=D(2026, 11, 28)).findings)
    scripted = tmp_path / "scripted.xlsx"  # a formula openpyxl saved with no result
    wb = Workbook()
    wb.active.title = "Pipeline"
    wb.active.append(["Deal ID", "Customer", "Stage", "Owner", "Amount"])
    wb.active.append(["A", "x", "lead", "o", "=2*50"])
    wb.save(scripted)
    seen.update(f.code for f in api.validate(scripted, today=D(2026, 11, 28)).findings)
    seen.update(_action_failed_codes(tmp_path))
    assert seen == CODES


def _action_failed_codes(tmp_path: Path) -> set[str]:
    """Nights of a profile whose on_enter action posts to a port nobody listens on: the night
    a deal enters negotiation and the three retries after, then action-failed."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connecting is refused
    cfg = tmp_path / "actions.yaml"
    cfg.write_text(
        "extends: b2b\nnotifications:\n  webhooks:\n"
        f"    - {{kind: generic, url: 'http://127.0.0.1:{port}/hook', name: chat}}\n"
        "stages:\n  - id: negotiation\n    on_enter: [{notify: chat}]\n",
        "utf-8",
    )
    path = tmp_path / "actions.xlsx"
    wb = Workbook()
    wb.active.title = "Pipeline"
    wb.active.append(["Deal ID", "Customer", "Stage", "Owner", "Amount", "Expected Close"])
    wb.active.append(["A-1", "Acme", "follow_up", "Ann", 100, D(2026, 12, 20)])
    wb.save(path)
    seen: set[str] = set()
    for day in range(2, 7):
        if day == 3:
            _edit(path, {("A-1", "Stage"): "negotiation"})
        report = api.run(path, profile=str(cfg), today=D(2026, 11, day))
        seen.update(f.code for f in report.findings)
    return seen


@pytest.fixture(scope="module")
def demo_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from salessheet.cli.demo import run_demo

    lines: list[str] = []
    folder = run_demo(str(tmp_path_factory.mktemp("demo")), echo=lines.append)
    return folder / "pipeline.xlsx"


def test_every_code_the_demo_reports_is_in_the_catalogue(demo_workbook: Path) -> None:
    ws = load_workbook(demo_workbook, read_only=True)["salessheet findings"]
    written = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}
    validated = {f.code for f in api.validate(demo_workbook, today=D(2026, 11, 28)).findings}
    assert {"illegal-transition", "backward-transition", "stalled-deal"} <= written
    assert written | validated <= CODES


# --- one way to build a finding ---------------------------------------------------------------


def test_finding_of_fills_the_location_from_the_deal_and_field() -> None:
    layout = TableLayout("Deals", 2, {"deal_id": 1, "stage": 2, "expected_close": 30},
                         {"deal_id": "ID", "stage": "阶段", "expected_close": "Close"})  # fmt: skip
    raw = ["D-9", "报价", *[None] * 27, 46000.0]
    deal = Deal(layout, 7, {"owner": "张伟", "expected_close": D(2025, 12, 9)}, raw, "D-9")
    f = Finding.of(catalogue.CLOSE_DATE_PASSED, "late", record=deal, field="expected_close")
    assert (f.code, f.severity, f.deal_id, f.sheet, f.row, f.column, f.cell, f.value, f.owner) == (
        "close-date-passed", "warning", "D-9", "Deals", 7, "Close", "AD7", "2025-12-09", "张伟",
    )  # fmt: skip
    # a field without a column: named by its label, no cell, no value
    g = Finding.of(catalogue.MISSING_FIELD, "m", record=deal, field="lost_reason",
                   severity="info", details={"stage": "lost"})  # fmt: skip
    assert (g.column, g.cell, g.value, g.severity, g.details) == (
        "lost reason", None, None, "info", {"stage": "lost"},
    )  # fmt: skip
    # the raw cell, JSON-safe, when the field is not a date
    h = Finding.of(catalogue.UNKNOWN_STAGE, "u", record=deal, field="stage")
    assert (h.cell, h.value, h.details) == ("B7", "报价", {})


# --- salessheet rules and the README ----------------------------------------------------------


def test_rules_lists_every_code_with_severity_and_meaning(cli) -> None:
    result = cli("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["code", "severity", "meaning"]
    assert lines[1].split(None, 2) == ["bad-value", "error", CATALOGUE["bad-value"].meaning]
    assert [ln.split()[0] for ln in lines[1 : 1 + len(CATALOGUE)]] == list(CATALOGUE)


def test_rules_json_is_a_list_of_code_severity_meaning_source(cli) -> None:
    result = cli("rules", "--format", "json")
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert [list(i) for i in items] == [["code", "severity", "meaning", "source"]] * len(CATALOGUE)
    assert {
        "code": "ledger-unreadable",
        "severity": "warning",
        "meaning": "A row of the `salessheet history` sheet cannot be read; it is kept as it is "
        "and left out of the history.",
        "source": "rules.engine",
    } in items


def test_readme_lists_exactly_the_catalogue() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme_section(text) == markdown_table(), (
        "README.md's finding codes differ from the catalogue: run "
        "`python -m salessheet.core.catalogue README.md`"
    )


def test_readme_table_is_regenerated_from_the_catalogue(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    text = (REPO / "README.md").read_text(encoding="utf-8")
    stale = text.replace("| `bad-value` |", "| `bad-valu` |")
    assert stale != text
    readme.write_text(stale, encoding="utf-8")
    cmd = [sys.executable, "-m", "salessheet.core.catalogue", str(readme)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO).stdout
    assert out.strip().endswith("updated")
    assert readme.read_text(encoding="utf-8") == text
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO).stdout
    assert out.strip().endswith("already up to date")
