"""The nightly run end to end from the CLI: ledger, transitions, statuses, stalls, no loss."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import make_xlsx, parts
from openpyxl import load_workbook

from salessheet.stores.xlsx.store import XlsxStore

HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close", "Lost Reason"]
OWNED_PARTS = {
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "xl/worksheets/sheet1.xml",
}


def build(tmp_path: Path) -> Path:
    rows = [
        HEADER,
        ["X", "Acme", "Lead", 1000, "Ann", dt.date(2027, 1, 31), None],
        ["Y", "Beta", "Negotiation", 5000, "Bob", dt.date(2027, 1, 31), None],
        ["Z", "上海星河", "销售机会", 2000, "王芳", dt.date(2027, 2, 28), None],
    ]
    path = make_xlsx(tmp_path / "pipeline.xlsx", {"Pipeline": rows, "Notes": [["keep me"]]})
    return path


def edit(path: Path, **stages: str) -> None:
    """A person edits the stage column and saves (with openpyxl standing in for Excel)."""
    wb = load_workbook(path)
    ws = wb["Pipeline"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value in stages:
            row[2].value = stages[row[0].value]
    wb.save(path)


def findings(out: dict, code: str) -> list[tuple]:
    return sorted(
        (f["deal_id"], f["status"], f["severity"]) for f in out["findings"] if f["code"] == code
    )


def run(cli, path: Path, day: str) -> tuple[int, dict, dict[str, bytes], dict[str, bytes]]:
    before = parts(path)
    code, out = cli.json("run", path, "--today", day)
    after = parts(path)
    return code, out, before, after


def assert_only_owned_parts_changed(before: dict, after: dict) -> None:
    for name, data in before.items():
        if name not in OWNED_PARTS and not name.startswith("xl/worksheets/sheet"):
            assert after[name] == data, f"{name} changed"
    # the user's other sheet is untouched
    assert after["xl/worksheets/sheet2.xml"] == before["xl/worksheets/sheet2.xml"]


def test_four_nights(cli, tmp_path: Path) -> None:
    path = build(tmp_path)

    # day 1: seeds the ledger, reports no transitions
    code, out, before, after = run(cli, path, "2026-11-02")
    assert code == 0, out["findings"]
    assert not [f for f in out["findings"] if "transition" in f["code"]]
    # field history starts with the first run: which fields are tracked, then each deal
    assert [e[3] for e in out["events"]] == ["tracking", "seen", "seen", "seen"]
    assert out["events"][0][5] == "amount, owner"
    assert_only_owned_parts_changed(before, after)
    wb = load_workbook(path)
    assert "salessheet history" in wb.sheetnames
    assert wb["Pipeline"]["H1"].value == "⚑ salessheet: flags"
    assert wb["Pipeline"]["I1"].value == "⚑ salessheet: days in stage"
    assert wb["Pipeline"]["I2"].value == 0

    # a person moves X from lead to contract and Y back a stage
    edit(path, X="Contract", Y="客户跟进")
    code, out, before, after = run(cli, path, "2026-11-03")
    assert code == 1
    assert findings(out, "illegal-transition") == [("X", "new", "error")]
    assert findings(out, "backward-transition") == [("Y", "new", "warning")]
    x = next(f for f in out["findings"] if f["code"] == "illegal-transition")
    assert x["cell"] == "C2" and x["value"] == "Contract"
    # stages named as the sheet writes them: X's own cell, the others as the (mostly
    # Chinese) sheet does; the ids stay in details
    assert x["message"] == (
        "stage 客户开发 → Contract on 2026-11-03: skipped 销售机会, 客户跟进, 报价与谈判"
    )
    assert {k: x["details"][k] for k in ("from", "to", "from_label", "to_label")} == {
        "from": "lead", "to": "contract", "from_label": "客户开发", "to_label": "Contract",
    }  # fmt: skip
    assert_only_owned_parts_changed(before, after)
    wb = load_workbook(path)
    assert wb["Pipeline"]["H2"].value == "✖ illegal-transition 客户开发→Contract"
    assert wb["Pipeline"]["H3"].value == "⚠ backward-transition 报价与谈判→客户跟进"

    # a second run the same day with no edits changes nothing, byte for byte
    same_before = path.read_bytes()
    code2, out2 = cli.json("run", path, "--today", "2026-11-03")
    assert path.read_bytes() == same_before
    assert out2["written"]["unchanged"] is True
    assert findings(out2, "illegal-transition") == [("X", "persisting", "error")]

    # day 3: still there, persisting
    code, out, _, _ = run(cli, path, "2026-11-04")
    assert findings(out, "illegal-transition") == [("X", "persisting", "error")]

    # X is corrected: day 4 reports it resolved (and the revert itself is not a finding)
    edit(path, X="Lead")
    code, out, before, after = run(cli, path, "2026-11-05")
    assert findings(out, "illegal-transition") == [("X", "resolved", "error")]
    assert findings(out, "backward-transition") == [("Y", "persisting", "warning")]
    assert_only_owned_parts_changed(before, after)
    assert load_workbook(path)["Pipeline"]["H2"].value is None

    # the ledger holds every change with the run that saw it
    ledger = load_workbook(path)["salessheet history"]
    events = [(r[2], r[3], r[4], r[5]) for r in ledger.iter_rows(min_row=2, values_only=True)]
    assert ("X", "stage", "lead", "contract") in events
    assert ("X", "stage", "contract", "lead") in events
    assert ("Y", "stage", "negotiation", "follow_up") in events


def test_stalled_on_the_day_the_threshold_passes(cli, tmp_path: Path) -> None:
    path = build(tmp_path)
    cli.json("run", path, "--today", "2026-11-02")  # every deal enters its stage today

    def stalled_on(day: str) -> list[tuple]:
        code, out = cli.json("stalled", path, "--today", day)
        return [
            (f["deal_id"], f["details"]["days"], f["details"]["threshold"])
            for f in out["findings"]
            if f["code"] == "stalled-deal"
        ]

    # Y sits in negotiation (limit 10 days), X in lead (14), Z in opportunity (21)
    assert stalled_on("2026-11-12") == []
    assert stalled_on("2026-11-13") == [("Y", 11, 10)]
    assert stalled_on("2026-11-16") == [("Y", 14, 10)]
    assert stalled_on("2026-11-17") == [("Y", 15, 10), ("X", 15, 14)]  # worst first
    code, out = cli.json("stalled", path, "--today", "2026-11-17")
    assert out["stalled"][1]["owner"] == "Ann" and out["stalled"][1]["stage"] == "lead"
    assert out["stalled"][1]["stage_label"] == "Lead"  # as X's cell writes it
    before = path.read_bytes()
    res = cli("stalled", path, "--today", "2026-11-20")
    assert path.read_bytes() == before  # stalled never writes
    assert "Y" in res.stdout and "Negotiation" in res.stdout and "Bob" in res.stdout
    assert "in Negotiation for 18 days" in res.stdout and "negotiation" not in res.stdout


def test_dry_run_lists_cells_and_writes_nothing(cli, tmp_path: Path) -> None:
    path = build(tmp_path)
    before = path.read_bytes()
    res = cli("run", path, "--today", "2026-11-02", "--dry-run")
    assert path.read_bytes() == before
    assert "H1: None → '⚑ salessheet: flags'" in res.stdout
    assert "I2: None → 0" in res.stdout
    assert "salessheet history" in res.stdout


def test_lock_file_refuses_with_exit_3(cli, tmp_path: Path) -> None:
    path = build(tmp_path)
    lock = tmp_path / ".~lock.pipeline.xlsx#"
    lock.write_text("Ann Example,ann-laptop,ann-laptop,28.11.2026 09:00,file:///home/ann/.config;")
    before = path.read_bytes()
    res = cli("run", path, "--today", "2026-11-02")
    assert res.exit_code == 3
    assert "Ann Example" in res.stderr
    assert path.read_bytes() == before


def test_change_during_run_refuses(tmp_path: Path) -> None:
    import pytest

    from salessheet.api import open_pipeline
    from salessheet.core.errors import WriteRefused
    from salessheet.nightly.writeback import plan_write
    from salessheet.rules.engine import evaluate

    path = build(tmp_path)
    p = open_pipeline(path, today=dt.date(2026, 11, 2))
    plan = plan_write(evaluate(p))
    edit(path, Z="Lost")  # someone saves while the run is working
    changed = path.read_bytes()
    with pytest.raises(WriteRefused):
        p.store.write(plan.batch)
    assert path.read_bytes() == changed
    assert isinstance(p.store, XlsxStore)


def test_row_guards_only_for_a_store_that_checks_rows(tmp_path: Path) -> None:
    """A workbook is guarded by its fingerprint, so the run keeps no copy of every written row
    for it; Google Sheets (checks_rows) gets each changed row's cells as read."""
    from salessheet.api import open_pipeline
    from salessheet.nightly.writeback import plan_write
    from salessheet.rules.engine import evaluate

    p = open_pipeline(build(tmp_path), today=dt.date(2026, 11, 2))
    assert p.store.checks_rows is False
    assert plan_write(evaluate(p), row_guards=p.store.checks_rows).batch.guards == []
    guards = plan_write(evaluate(p), row_guards=True).batch.guards
    first = p.deals[0]
    assert [g.row for g in guards] == [d.row for d in p.deals]
    assert guards[0].expected[1] == first.raw_row[0] == first.id


def test_csv_source_keeps_its_ledger_in_sidecars(cli, tmp_path: Path) -> None:
    import stat

    src = tmp_path / "deals.csv"
    src.write_text(
        "Deal ID,Customer,Stage,Owner,Amount,Close Date,Lost Reason\n"
        "X,Acme,Lead,Ann,100,2027-01-31,\nY,Beta,Negotiation,Bob,500,2027-01-31,\n",
        encoding="utf-8",
    )
    before = src.read_bytes()
    code, out = cli.json("run", src, "--today", "2026-11-02")
    history = tmp_path / "deals.salessheet-history.csv"
    assert history.exists() and src.read_bytes() == before  # the CSV itself is never written
    assert stat.S_IMODE(history.stat().st_mode) & 0o044  # readable by others, not mkstemp's 0600
    assert "read-only" in out["written"]["note"]
    src.write_text(
        src.read_text(encoding="utf-8").replace("X,Acme,Lead", "X,Acme,Contract"), encoding="utf-8"
    )
    code, out = cli.json("run", src, "--today", "2026-11-03")
    assert code == 1
    assert findings(out, "illegal-transition") == [("X", "new", "error")]
    snapshot = history.read_bytes()
    code, out = cli.json("run", src, "--today", "2026-11-03")
    assert history.read_bytes() == snapshot and out["written"]["unchanged"] is True


def test_run_says_what_it_wrote_in_words(cli, tmp_path: Path) -> None:
    """A CSV run writes only sidecar files: no '0 cells' in the sentence."""
    src = tmp_path / "deals.csv"
    src.write_text(
        "Deal ID,Customer,Stage,Owner,Amount,Close Date\nX,Acme,Lead,Ann,100,2027-01-31\n",
        encoding="utf-8",
    )
    res = cli("run", src, "--today", "2026-11-02")
    assert res.exit_code == 0
    sidecars = [tmp_path / f"deals.salessheet-{n}.csv" for n in ("history", "findings", "forecast")]
    assert f"Wrote {', '.join(map(str, sidecars))}." in res.stdout.splitlines()


def test_new_flag_columns_skip_a_users_cells_without_a_header(cli, tmp_path: Path) -> None:
    """A note typed right of the table (no header above it) and a number further down are the
    user's: the first run puts its two columns in the first two empty columns after them, and
    a later run keeps them there."""
    path = build(tmp_path)
    wb = load_workbook(path)
    ws = wb["Pipeline"]
    ws["H2"] = "keep me: call back Fri"
    ws["I4"] = 12345
    ws["J6"] = "below the table"
    wb.save(path)
    res = cli("run", path, "--today", "2026-11-02", "--dry-run")
    assert "H2" not in res.stdout and "I4" not in res.stdout and "J6" not in res.stdout
    assert "K1: None → '⚑ salessheet: flags'" in res.stdout
    assert "L1: None → '⚑ salessheet: days in stage'" in res.stdout
    for day in ("2026-11-02", "2026-11-09"):
        code, _out, _before, _after = run(cli, path, day)
        assert code in (0, 1)
        ws = load_workbook(path)["Pipeline"]
        assert ws["H2"].value == "keep me: call back Fri"
        assert ws["I4"].value == 12345
        assert ws["J6"].value == "below the table"
        assert [ws.cell(1, c).value for c in (8, 9, 10, 11, 12)] == [
            None,
            None,
            None,
            "⚑ salessheet: flags",
            "⚑ salessheet: days in stage",
        ]
        assert ws["L2"].value == (0 if day == "2026-11-02" else 7)


def test_a_run_dated_before_the_last_run_is_refused(cli, tmp_path: Path) -> None:
    """Re-running a missed night with an earlier --today would write history out of order
    (negative days in stage, a later run's move counted inside an earlier window): exit 2, the
    workbook unchanged. The same day again, or later, still runs."""
    path = build(tmp_path)
    assert run(cli, path, "2026-11-26")[0] in (0, 1)
    edit(path, X="Negotiation")
    before = path.read_bytes()
    code, out = cli.json("run", path, "--today", "2026-11-20")
    assert code == 2
    assert out["error"]["message"] == (
        f"{path}: the ledger's last run is dated 2026-11-26; a run dated 2026-11-20 would "
        "record the stage history out of order"
    )
    assert out["error"]["hint"].startswith("run with --today 2026-11-26 or later")
    assert path.read_bytes() == before
    assert run(cli, path, "2026-11-26")[0] in (0, 1)
    code, out, _before, _after = run(cli, path, "2026-11-27")
    assert code in (0, 1)


def test_a_finding_on_the_whole_sheet_is_kept_under_no_deal_id(cli, tmp_path: Path) -> None:
    """rows-skipped is about the sheet, not a deal: its Deal ID cell in the findings sheet is
    empty (it read "row:None"), and a workbook a run keyed that way still sees it persisting."""
    path = build(tmp_path)
    wb = load_workbook(path)
    wb["Pipeline"].append(["Total", None, None, 8000])
    wb.save(path)
    code, out, _before, _after = run(cli, path, "2026-11-02")
    assert findings(out, "rows-skipped") == [(None, "new", "info")]
    sheet = load_workbook(path)["salessheet findings"]
    (row,) = [r for r in sheet.iter_rows(values_only=True) if r[0] == "rows-skipped"]
    assert row[1:5] == (None, None, "info", "2026-11-02")
    code, out, _before, _after = run(cli, path, "2026-11-03")
    assert findings(out, "rows-skipped") == [(None, "persisting", "info")]
    wb = load_workbook(path)  # as a run before this change left it
    ws = wb["salessheet findings"]
    for cells in ws.iter_rows():
        if cells[0].value == "rows-skipped":
            cells[1].value = "row:None"
    wb.save(path)
    code, out, _before, _after = run(cli, path, "2026-11-04")
    assert findings(out, "rows-skipped") == [(None, "persisting", "info")]


def test_an_illegal_move_redone_after_its_revert_is_flagged_again(cli, tmp_path: Path) -> None:
    """Y skips follow-up, is put back, then a week later skips it again: the second skip is the
    same illegal move, not an undo of the revert."""
    path = build(tmp_path)
    edit(path, Y="Opportunity")
    run(cli, path, "2026-11-02")  # Y seen in opportunity
    edit(path, Y="Negotiation")  # opportunity -> negotiation skips follow-up
    _, out, _, _ = run(cli, path, "2026-11-03")
    assert findings(out, "illegal-transition") == [("Y", "new", "error")]
    edit(path, Y="Opportunity")  # put back: a revert, not a backward move
    _, out, _, _ = run(cli, path, "2026-11-04")
    assert findings(out, "illegal-transition") == [("Y", "resolved", "error")]
    assert findings(out, "backward-transition") == []
    edit(path, Y="Negotiation")  # the same skip again
    code, out, _, _ = run(cli, path, "2026-11-11")
    assert code == 1
    assert findings(out, "illegal-transition") == [("Y", "new", "error")]
    [y] = [f for f in out["findings"] if f["code"] == "illegal-transition"]
    assert y["message"] == "stage 销售机会 → Negotiation on 2026-11-11: skipped Follow-up"
    assert [(e[2], e[4], e[5], e[8]) for e in out["events"] if e[3] == "stage"] == [
        ("Y", "opportunity", "negotiation", "")
    ]
    assert load_workbook(path)["Pipeline"]["H3"].value == (
        "✖ illegal-transition 销售机会→Negotiation"
    )


def test_run_text_lists_every_stage_change_with_limit_0(cli, tmp_path: Path) -> None:
    """`--limit 0` means all: it listed only the first of three stage changes."""
    path = build(tmp_path)
    cli("run", path, "--today", "2026-11-02")
    edit(path, X="Opportunity", Y="Contract", Z="客户跟进")
    lines = cli("run", path, "--today", "2026-11-03", "--limit", "0").stdout.splitlines()
    i = lines.index("Stage changes since the last run (3):")
    assert lines[i + 1 : i + 4] == [
        "  X            Lead → Opportunity",
        "  Y            Negotiation → Contract",
        "  Z            Opportunity → 客户跟进",
    ]
    edit(path, X="Lead", Y="Negotiation", Z="销售机会")
    lines = cli("run", path, "--today", "2026-11-04", "--limit", "2").stdout.splitlines()
    i = lines.index("Stage changes since the last run (3):")
    assert lines[i + 3] == "  … and 1 more (--limit 0 shows all)"


def test_text_tables_show_long_deal_ids_whole(cli, tmp_path: Path) -> None:
    """HubSpot's ids all start "DEAL-": `stalled` clipped them to 10 columns ("DEAL-b2b1…"),
    and `validate` to 12, so no two rows could be told apart."""
    from conftest import make_xlsx

    ids = ["DEAL-b2b1a8c3f0", "DEAL-b2b1a8c3f1"]
    head = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Stage Date"]
    rows = [[i, "Acme", "negotiation", 1000, "Ann", dt.date(2026, 9, 1)] for i in ids]
    path = make_xlsx(tmp_path / "hubspot.xlsx", {"Pipeline": [head, *rows]})
    for command in ("stalled", "validate"):
        out = cli(command, path, "--today", "2026-11-28").output
        for deal in ids:
            assert f" {deal} " in out, (command, out)


def test_a_flag_of_a_rule_whose_id_holds_a_digit_is_the_tools_own(cli, tmp_path: Path) -> None:
    """A flag the run wrote for a team rule such as `q4-review` was taken the next night for a
    note someone typed (rule ids may hold digits, built-in codes do not): the row was left
    unflagged for good, its stale flag kept, and a 'typed over' warning named it every night."""
    path = build(tmp_path)
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nrules:\n  - id: q4-review\n"
        "    when: amount > 4000\n    check: amount < 4000\n",
        "utf-8",
    )
    code, out = cli.json("run", path, "--today", "2026-11-28", "--config", cfg)
    ws = load_workbook(path)["Pipeline"]
    flags = [c.value for c in ws[1]].index("⚑ salessheet: flags") + 1
    assert ws.cell(3, flags).value == "⚠ q4-review"  # Y: 5000
    edit_amount = load_workbook(path)
    edit_amount["Pipeline"].cell(3, 4).value = 3000  # Y is reviewed and cut below 4000
    edit_amount.save(path)
    code, out = cli.json("run", path, "--today", "2026-11-29", "--config", cfg)
    assert out["written"]["skipped_rows"] == []
    assert load_workbook(path)["Pipeline"].cell(3, flags).value is None  # the flag is cleared
