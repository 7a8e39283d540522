"""Digest content details: truncation, escaping, locations, owner matching, a real run report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from salessheet.core.findings import Finding
from salessheet.notify import build_digest, report_owners

REPO = Path(__file__).resolve().parents[1]


def _report(findings: list[Finding]) -> dict:
    return {
        "source": "p.xlsx",
        "sheet": "Pipeline",
        "today": "2026-11-28",
        "profile": "lite",
        "summary": {"deals": 3},
        "findings": [f.to_dict() for f in findings],
    }


def test_long_sections_are_cut_with_a_count_of_the_rest():
    findings = [
        Finding(
            "stalled-deal",
            "warning",
            f"stalled {i}",
            deal_id=f"D-{i:04d}",
            cell=f"C{i + 2}",
            column="Stage",
            owner="Bob",
        )
        for i in range(7)
    ]
    d = build_digest(_report(findings), max_items=3)
    lines = d.text.splitlines()
    start = lines.index("New (7)")
    assert lines[start + 1 : start + 5] == [
        "  [warning] D-0000 · Stage C2 · stalled-deal: stalled 0 · owner: Bob",
        "  [warning] D-0001 · Stage C3 · stalled-deal: stalled 1 · owner: Bob",
        "  [warning] D-0002 · Stage C4 · stalled-deal: stalled 2 · owner: Bob",
        "  ... and 4 more (see the full run report)",
    ]
    assert d.html.count("<tr><td") == 3 + 1  # three findings + the by-owner row
    assert d.counts["new"] == 7  # counts are never cut


def test_locations_without_a_cell_and_chinese_rows():
    f = Finding("bad-row", "error", "row is empty", deal_id=None, row=12, owner="张伟")
    d = build_digest(_report([f]), language="zh")
    assert "  [错误] - · 第 12 行 · bad-row：row is empty · 负责人：张伟" in d.text.splitlines()


def test_owner_digest_matches_names_ignoring_case_and_spaces():
    findings = [
        Finding("x", "error", "m1", deal_id="D-1", owner="Alice  Chen"),
        Finding("x", "error", "m2", deal_id="D-2", owner="alice chen"),
        Finding("x", "error", "m3", deal_id="D-3", owner="Bob"),
    ]
    report = _report(findings)
    assert report_owners(report) == ["Alice  Chen", "Bob"]
    d = build_digest(report, owner="ALICE CHEN")
    assert [f["deal_id"] for f in d.open_findings] == ["D-1", "D-2"]
    assert d.subject == "[salessheet] Your deals 2026-11-28 · ALICE CHEN: 2 errors (2 new)"


def test_html_escapes_everything_from_the_sheet():
    f = Finding(
        "x",
        "error",
        "<script>alert(1)</script>",
        deal_id='D-"1"',
        owner="<b>Eve</b>",
        column="Stage & Co",
        cell="C2",
    )
    html = build_digest(_report([f])).html
    assert "<script>" not in html and "<b>Eve</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert (
        "D-&quot;1&quot;" in html
        and "Stage &amp; Co C2" in html
        and "&lt;b&gt;Eve&lt;/b&gt;" in html
    )


def test_digest_of_a_real_run_report_lists_every_open_finding():
    workbook = REPO / "examples" / "pipeline.xlsx"
    if not workbook.exists():
        pytest.skip("examples/pipeline.xlsx is not built")
    from salessheet.api import run

    report = run(workbook, today=dt.date(2026, 11, 28), dry_run=True).to_dict()
    open_findings = [f for f in report["findings"] if f["status"] != "resolved"]
    assert open_findings, "the demo workbook is meant to have problems"
    d = build_digest(report)
    for f in open_findings:
        assert f"{f['deal_id'] or '-'} · " in d.text and f["code"] in d.text
    assert d.counts["errors"] == report["summary"]["errors"]
    assert d.counts["warnings"] == report["summary"]["warnings"]
    for owner in report_owners(report):
        mine = build_digest(report, owner=owner)
        assert {x["owner"] for x in mine.open_findings + mine.resolved} <= {owner}
