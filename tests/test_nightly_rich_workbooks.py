"""Two nights of `run` on workbooks with the features real users' files have, from the CLI: every
zip part outside what the tool owns keeps its bytes, the pipeline sheet keeps every cell and
attribute outside the two flag columns, and the sheet's edges (no room left for the flags, a
merged note where they would go) never cost the ledger or a user's cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import make_xlsx, parts
from openpyxl import load_workbook
from test_xlsx_patch import excel_owner_file

from salessheet.core.owned import HISTORY_SHEET

HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close", "Lost Reason"]


def pipeline(tmp_path: Path, name: str = "pipeline.xlsx") -> Path:
    rows = [
        HEADER,
        ["X", "Acme", "Lead", 1000, "Ann", dt.date(2027, 1, 31), None],
        ["Y", "Beta", "Negotiation", 5000, "Bob", dt.date(2027, 1, 31), None],
        ["Z", "上海星河", "销售机会", 2000, "王芳", dt.date(2027, 2, 28), None],
    ]
    return make_xlsx(tmp_path / name, {"Pipeline": rows, "Notes": [["keep me"]]})


def set_stage(path: Path, deal: str, stage: str) -> None:
    wb = load_workbook(path)
    for row in wb["Pipeline"].iter_rows(min_row=2):
        if row[0].value == deal:
            row[2].value = stage
    wb.save(path)


def stage_moves(path: Path) -> list[tuple]:
    ws = load_workbook(path)[HISTORY_SHEET]
    return [r[2:6] for r in ws.iter_rows(min_row=2, values_only=True) if r[3] == "stage"]


# --------------------------------------------------------------------------- no room for flags


def test_a_sheet_used_out_to_column_xfd_still_records_the_ledger(cli, tmp_path: Path) -> None:
    """The header row reaches XFD (Excel's 16,384th and last column): the flag columns have
    nowhere to go. Before, the whole write was refused, every night ("cell row 1, column 16385
    is outside the sheet", exit 3, with a hint to close Excel): no stage history was ever
    recorded. Now the ledger and findings are written, the pipeline sheet is not touched, and
    the run says why there are no flags, naming the cell that ends the header row."""
    path = pipeline(tmp_path)
    wb = load_workbook(path)
    wb["Pipeline"]["XFD1"] = "far note"
    wb.save(path)
    before = parts(path)

    code, out = cli.json("run", path, "--today", "2026-11-02")
    assert code in (0, 1), out
    note = out["written"]["note"]
    assert "no flag columns written" in note and "XFD1: 'far note'" in note
    assert out["written"]["sheets"] == [
        "salessheet history",
        "salessheet findings",
        "salessheet forecast",
    ]
    after = parts(path)
    assert after["xl/worksheets/sheet1.xml"] == before["xl/worksheets/sheet1.xml"]
    assert after["xl/worksheets/sheet2.xml"] == before["xl/worksheets/sheet2.xml"]

    set_stage(path, "X", "Opportunity")
    code, out = cli.json("run", path, "--today", "2026-11-09")
    assert code in (0, 1), out
    assert ("X", "stage", "lead", "opportunity") in stage_moves(path)
    ws = load_workbook(path)["Pipeline"]
    assert ws["XFD1"].value == "far note" and ws["H1"].value is None

    res = cli("run", path, "--today", "2026-11-09", "--dry-run")
    assert res.exit_code in (0, 1)
    assert "no flag columns written" in res.stdout


def test_flag_columns_go_around_a_merged_note_box_right_of_the_table(cli, tmp_path: Path) -> None:
    """A note typed into a merged box right of the table (I2:K4): only I holds a value, so J
    and K looked empty and the days column went into J, inside the box, where Excel never
    shows a merged range's hidden cells: those deals' days were invisible and the box held
    values its owner never typed. Now both flag columns skip every column of the box."""
    path = pipeline(tmp_path)
    wb = load_workbook(path)
    ws = wb["Pipeline"]
    ws["I2"] = "Team note: call every lead on Friday"
    ws.merge_cells("I2:K4")
    wb.save(path)
    for day in ("2026-11-02", "2026-11-09"):
        code, out = cli.json("run", path, "--today", day)
        assert code in (0, 1), out
        ws = load_workbook(path)["Pipeline"]
        assert [ws.cell(1, c).value for c in range(8, 13)] == [
            "⚑ salessheet: flags",
            None,
            None,
            None,
            "⚑ salessheet: days in stage",
        ]
        box = [ws.cell(r, c).value for r in range(2, 5) for c in range(9, 12)]
        assert box == ["Team note: call every lead on Friday"] + [None] * 8
        assert [str(m) for m in ws.merged_cells.ranges] == ["I2:K4"]
        assert ws["L2"].value == (0 if day == "2026-11-02" else 7)


# --------------------------------------------------------------------------- open in Excel


def test_a_workbook_opened_through_its_real_path_is_refused_before_any_message_goes_out(
    cli, tmp_path: Path, httpserver
) -> None:
    """The nightly job reaches the workbook through a link (a synced folder, a share mounted
    elsewhere); Excel has it open under its real path, so its owner file ``~$pipeline.xlsx``
    sits beside the real file. The check made before tonight's on_enter actions looked only
    beside the link: the chat message went out, then the write was refused (exit 3) and the
    actions were never recorded, so the next night sent them again. Now nothing is sent."""
    httpserver.expect_request("/chat", method="POST").respond_with_json({"ok": True})
    profile = tmp_path / "team.yaml"
    profile.write_text(
        "extends: b2b\n"
        "notifications:\n  webhooks:\n"
        f"    - {{kind: generic, url: '{httpserver.url_for('/chat')}', name: sales-chat}}\n"
        "stages:\n  - id: negotiation\n    on_enter:\n"
        "      - {notify: sales-chat, message: {en: A deal reached negotiation}}\n",
        "utf-8",
    )
    (tmp_path / "real").mkdir()
    (tmp_path / "link").mkdir()
    real = pipeline(tmp_path / "real")
    link = tmp_path / "link" / "pipeline.xlsx"
    link.symlink_to(real)

    assert cli.json("run", link, "--config", profile, "--today", "2026-11-02")[0] in (0, 1)
    set_stage(real, "X", "Negotiation")
    (tmp_path / "real" / "~$pipeline.xlsx").write_bytes(excel_owner_file("Alice Wang"))
    before = real.read_bytes()

    res = cli("run", link, "--config", profile, "--today", "2026-11-03")
    assert res.exit_code == 3
    assert "open in Excel by Alice Wang" in res.stderr
    assert list(httpserver.log) == []
    assert real.read_bytes() == before and link.is_symlink()

    (tmp_path / "real" / "~$pipeline.xlsx").unlink()
    code, out = cli.json("run", link, "--config", profile, "--today", "2026-11-03")
    assert [a["status"] for a in out["actions"]] == ["done"]
    assert len(httpserver.log) == 1


def test_a_dry_run_says_a_run_now_would_be_refused_while_excel_has_the_file(
    cli, tmp_path: Path
) -> None:
    """Someone tries tonight's run with --dry-run while a colleague has the workbook open: the
    dry run listed the changes as if they could be written; the real run then refused (exit
    3). Now the dry run says so, naming who has it open; its exit code still follows the
    findings, and the file stays as it was."""
    path = pipeline(tmp_path)
    clean = cli("run", path, "--today", "2026-11-02", "--dry-run")
    assert "would write nothing" not in clean.stdout
    (tmp_path / "~$pipeline.xlsx").write_bytes(excel_owner_file("陈伟"))
    before = path.read_bytes()
    res = cli("run", path, "--today", "2026-11-02", "--dry-run")
    assert res.exit_code == clean.exit_code
    assert (
        "A run now would write nothing (exit 3): "
        f"{path}: the workbook is open in Excel by 陈伟 (lock file ~$pipeline.xlsx)"
    ) in res.stdout
    code, out = cli.json("run", path, "--today", "2026-11-02", "--dry-run")
    assert "open in Excel by 陈伟" in out["dry_run"]["refused"]["message"]
    assert path.read_bytes() == before
    assert cli("run", path, "--today", "2026-11-02").exit_code == 3
