"""`--format json` is streamed, finding by finding, and must read exactly as the whole-document
dump it replaces: one JSON object, the same keys in the same order, the same bytes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import TODAY, make_xlsx

from salessheet import api
from salessheet.cli.app import emit
from salessheet.core.cells import CellError
from salessheet.core.findings import Finding, findings_json
from salessheet.core.report import CheckReport

STAGES = ["research", "lead", "opportunity", "follow_up", "negotiation", "contract", "delivery"]
HEADER = ["Deal ID", "Customer", "Stage", "Owner", "Amount", "Currency", "Created",
          "Expected Close", "Stage Date", "Probability", "Notes"]  # fmt: skip


def findings_heavy_workbook(path: Path, rows: int = 3000) -> Path:
    """Most deals carry a finding or two; the values test the encoder: quotes, backslashes,
    control characters, Chinese, emoji, floats, bad dates."""
    out = [HEADER]
    for i in range(rows):
        close = TODAY - dt.timedelta(days=1 + i % 300)
        created = close - dt.timedelta(days=20 + i % 50)
        if i % 29 == 8:
            created = close + dt.timedelta(days=3)
        amount: object = 1000 + (i * 37) % 90000
        if i % 31 == 3:
            amount = -1.5 - i
        elif i % 37 == 4:
            amount = f'{i},{i % 7}x "q" \\ \t'
        elif i % 41 == 6:
            amount = f"${1000 + i:,}"
        elif i % 43 == 5:
            amount = 1e20 + i
        stage = STAGES[i % 7] if i % 50 != 7 else f"阶段 {i % 3} 🚀"
        out.append([
            f"D-{i:05d}" if i % 500 != 499 else f"D-{i - 1:05d}",
            "" if i % 13 == 5 else f"客户 {i % 700} \"Ltd\"",
            stage,
            f"Owner\u007f\n{i % 20}" if i % 17 == 0 else f"销售 {i % 20}",
            amount,
            "CNY",
            created,
            close if i % 23 != 2 else "2026-02-30",
            TODAY - dt.timedelta(days=3 if i % 3 else 40 + i % 60),
            f"{i % 100}%",
            "note",
        ])  # fmt: skip
    return make_xlsx(path, {"Pipeline": out})


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return findings_heavy_workbook(tmp_path_factory.mktemp("heavy") / "heavy.xlsx")


def test_streamed_validate_json_equals_the_whole_document_dump(cli, heavy: Path) -> None:
    result = cli("validate", heavy, "--today", TODAY.isoformat(), "--format", "json")
    assert result.exit_code == 1
    report = api.validate(heavy, today=TODAY)
    whole = json.dumps(report.to_dict(), ensure_ascii=False, indent=None)
    assert len(report.findings) > 3000  # several chunks of findings
    assert json.loads(result.stdout) == json.loads(whole)
    assert result.stdout == whole + "\n"  # byte for byte, key order and all
    doc = json.loads(result.stdout)
    assert list(doc) == ["source", "sheet", "today", "profile", "summary", "findings"]
    codes = {f["code"] for f in doc["findings"]}
    assert {"bad-value", "unknown-stage", "duplicate-id", "missing-field", "negative-amount",
            "close-date-passed", "close-before-created", "currency-mismatch",
            "stalled-deal"} <= codes  # fmt: skip


def test_streamed_stalled_and_dry_run_json_keep_their_extras(cli, heavy: Path) -> None:
    today = ["--today", TODAY.isoformat(), "--format", "json"]
    result = cli("stalled", heavy, *today)
    report = api.stalled(heavy, today=TODAY)
    assert result.stdout == json.dumps(report.to_dict(), ensure_ascii=False) + "\n"
    assert list(json.loads(result.stdout))[-1] == "stalled"
    result = cli("run", heavy, "--dry-run", *today)
    report = api.run(heavy, today=TODAY, dry_run=True)
    assert result.stdout == json.dumps(report.to_dict(), ensure_ascii=False) + "\n"
    assert list(json.loads(result.stdout))[-2:] == ["events", "dry_run"]


ODD_VALUES = [
    None, "", "plain", 'quote " and \\ backslash', "tab\tnewline\n\x00\x1f\x7f", "中文 🚀 \u2028",
    0, -7, 10**30, True, False, 1.5, 1e20, -0.0, float("nan"), float("inf"), float("-inf"),
    Decimal("1.10"), Decimal("-0"), dt.date(2026, 2, 28), dt.datetime(2026, 2, 28, 13, 5),
    dt.time(9, 30), [1, "a", None, Decimal("2")], (dt.date(2026, 1, 1), 2.5),
    {"k": Decimal("3"), 4: [True]}, CellError("#N/A"),
]  # fmt: skip


def _odd_findings() -> list[Finding]:
    out = []
    for i, v in enumerate(ODD_VALUES):
        out.append(
            Finding(
                "bad-value",
                "error",
                f"message {i} {v!r} «»",
                deal_id=None if i % 3 else f"D{i}",
                sheet='Pipe "line"',
                row=None if i % 4 == 0 else i,
                column="金额 (元)",
                cell=f"C{i}",
                value=v,
                status="persisting" if i % 2 else "new",
                owner=None if i % 5 == 0 else f"Ann {i % 2}",
                details={} if i % 6 == 0 else {"v": v, "n": i, "days": [i, None]},
            )
        )
    return out


@pytest.mark.parametrize("chunk", [1, 2, 7, 1000])
def test_findings_json_is_exactly_json_dumps_of_to_dict_for_any_value(chunk: int) -> None:
    findings = _odd_findings()
    text = "[" + "".join(findings_json(findings, chunk)) + "]"
    assert text == json.dumps([f.to_dict() for f in findings], ensure_ascii=False)
    assert "".join(findings_json([], chunk)) == ""


def test_a_report_whose_extras_rename_a_key_still_prints_one_object() -> None:
    report = CheckReport("s.xlsx", "P", TODAY, "b2b", 3, _odd_findings()[:3])
    report.extra = {"summary": {"replaced": True}, "written": {"cells": 2}}
    text = "".join(report.iter_json(chunk=1))
    assert text == json.dumps(report.to_dict(), ensure_ascii=False)
    assert json.loads(text)["summary"] == {"replaced": True}


def test_emit_makes_only_the_format_asked_for(capsys: pytest.CaptureFixture[str]) -> None:
    def never() -> str:
        raise AssertionError("the other format was rendered")

    emit(lambda: {"a": 1}, never, "json")
    emit(never, lambda: "text out", "text")
    assert capsys.readouterr().out == '{"a": 1}\ntext out\n'


def test_an_extra_json_cannot_encode_fails_before_anything_is_printed() -> None:
    report = CheckReport("s.xlsx", "P", TODAY, "b2b", 3, _odd_findings())
    report.extra = {"written": {"backup": object()}}
    pieces = report.iter_json(chunk=1)
    with pytest.raises(TypeError):
        next(pieces)


def test_equal_but_different_owner_values_are_not_confused() -> None:
    findings = [
        Finding("x-y", "info", "m", owner=owner, column=owner, sheet=owner)
        for owner in (1, True, 1.0, "1", None, 1, True)
    ]
    text = "[" + "".join(findings_json(findings)) + "]"
    assert text == json.dumps([f.to_dict() for f in findings], ensure_ascii=False)
