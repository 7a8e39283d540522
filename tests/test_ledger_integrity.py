"""Ledger integrity: ledgers of earlier versions upgrade in place, retyped dates are read, rows
nobody can read stay where they are, and a user's own sheet named like a tool-owned sheet is
never replaced (the tool's sheets carry a mark)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import make_xlsx, parts
from openpyxl import load_workbook

from salessheet.core.cells import RawSheet
from salessheet.history.ledger import HEADER, Ledger

PIPELINE = [
    ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close"],
    ["X", "Acme", "Lead", 1200, "Ann", dt.date(2027, 1, 31)],
]
# a ledger exactly as salessheet wrote it before field history and ownership marks
LEGACY_LEDGER = [
    HEADER,
    ["R0001", "2026-11-02", "X", "seen", "", "lead", "2026-11-02", "run", "close=2027-02-28"],
    ["R0002", "2026-11-03", "X", "close", "2027-02-28", "2027-01-31", "2026-11-03", "run", ""],
    ["R0003", "2026-11-04", "X", "stage", "lead", "opportunity", "2026-11-04", "run", ""],
]


def strip(row: list) -> list:
    row = ["" if v is None else v for v in row]
    while row and row[-1] == "":
        row.pop()
    return row


def ledger_rows(path: Path) -> list[list]:
    """The ledger sheet's rows as read back (empty cells "", trailing ones dropped)."""
    ws = load_workbook(path)["salessheet history"]
    return [strip(list(r)) for r in ws.iter_rows(values_only=True)]


def marks(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/workbook.xml").decode()
    found = re.findall(r'<definedName\b[^>]*\bname="(_salessheet\.owned\.\w+)"[^>]*>([^<]*)<', xml)
    return dict(found)


# ---------------------------------------------------------------------- earlier versions


def test_a_ledger_of_an_earlier_version_upgrades_in_place_losing_nothing(cli, tmp_path: Path):
    path = make_xlsx(
        tmp_path / "p.xlsx", {"Pipeline": PIPELINE, "salessheet history": LEGACY_LEDGER}
    )
    code, out = cli.json("run", path, "--today", "2026-11-05")
    assert code == 0, out
    assert not [f for f in out["findings"] if f["code"] in ("sheet-not-owned", "ledger-unreadable")]
    rows = ledger_rows(path)
    assert rows[: len(LEGACY_LEDGER)] == [strip(r) for r in LEGACY_LEDGER]  # unchanged, in place
    assert [r[3] for r in rows[len(LEGACY_LEDGER) :]] == ["tracking", "values", "stage"]
    assert rows[len(LEGACY_LEDGER) + 1][8] == "amount=1200; owner=Ann"
    assert marks(path)["_salessheet.owned.history"] == "'salessheet history'!$A$1"
    # the next night, nothing changed: nothing is written
    code, out = cli.json("run", path, "--today", "2026-11-06")
    assert out["events"] == []


def test_retyped_dates_are_read_and_not_dropped(cli, tmp_path: Path):
    ledger = [list(r) for r in LEGACY_LEDGER]
    ledger[1][1] = "02/11/2026"  # ambiguous alone; run R0001's date from... no other row: kept
    ledger[2][1] = "03/11/2026"  # day or month first? R0002 has no other row either
    ledger[3][1] = "28/11/2026"  # only one reading
    ledger[3][6] = dt.datetime(2026, 11, 4)  # a date cell, as Excel makes of a retyped date
    ledger += [["R0001", "2026-11-02", "Y", "seen", "", "lead", "2026-11-02", "run", ""]]
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": PIPELINE, "salessheet history": ledger})
    code, out = cli.json("validate", path, "--today", "2026-11-28")
    unreadable = [f["message"] for f in out["findings"] if f["code"] == "ledger-unreadable"]
    # R0001's date comes from its other row; R0002's "03/11/2026" could be March 11 or
    # November 3 and no other row of R0002 says which: kept as it is and reported
    assert len(unreadable) == 1 and "row 3" in unreadable[0] and "03/11/2026" in unreadable[0]
    cli.json("run", path, "--today", "2026-11-28")
    rows = ledger_rows(path)
    assert rows[1][:3] == ["R0001", "2026-11-02", "X"]  # read, written back as ISO
    assert rows[2][1] == "03/11/2026"  # kept verbatim, in its place
    assert rows[3][1] == "2026-11-28" and rows[3][6] == "2026-11-04"


def test_rows_nobody_can_read_are_kept_in_place_and_reported(cli, tmp_path: Path):
    ledger = [list(r) for r in LEGACY_LEDGER]
    ledger.insert(2, ["R0002", "yesterday", "X", "moved", "a", "b", "", "", "typed by hand"])
    ledger.insert(3, ["R0009", "soon", "X", "stage", "lead", "won", "", "run", ""])
    ledger[1] += ["", "my note"]  # a comment beside a readable row stays beside it
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": PIPELINE, "salessheet history": ledger})
    code, out = cli.json("run", path, "--today", "2026-11-05")
    found = [f for f in out["findings"] if f["code"] == "ledger-unreadable"]
    assert {f["severity"] for f in found} == {"warning"}
    messages = " | ".join(f["message"] for f in found)
    assert len(found) == 2
    assert "row 3: unknown event 'moved'; the row is kept as it is" in messages
    assert "row 4: Run Date 'soon' is not a date; the row is kept as it is" in messages
    rows = ledger_rows(path)
    assert rows[2] == ["R0002", "yesterday", "X", "moved", "a", "b", "", "", "typed by hand"]
    assert rows[3][:2] == ["R0009", "soon"]
    assert rows[1][9:11] == ["", "my note"]
    assert rows[4][3] == "close" and rows[5][3] == "stage"  # the readable rows around them
    # the unreadable R0009 row does not make the next run R0010
    assert [r[0] for r in rows[len(ledger) :]] == ["R0004"] * 3


def test_an_error_value_in_a_ledger_row_is_kept_and_reported():
    from salessheet.core.cells import CellError

    sheet = RawSheet(
        "salessheet history",
        [HEADER, ["R0001", CellError("#REF!"), "X", "seen", "", "lead", "", "run", ""]],
    )
    ledger = Ledger.from_sheet(sheet)
    assert ledger.events == [] and len(ledger.problems) == 1
    assert "#REF!" in ledger.problems[0]
    assert ledger.rows()[1] == ["R0001", "#REF!", "X", "seen", "", "lead", "", "run", ""]


# ----------------------------------------------------------------------- not the tool's


@pytest.mark.parametrize(
    "name", ["salessheet history", "salessheet findings", "salessheet forecast"]
)
def test_a_users_own_sheet_with_a_tool_name_is_refused_not_replaced(cli, tmp_path: Path, name):
    mine = [["My notes", "Date"], ["call the bank", "2026-11-01"]]
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": PIPELINE, name: mine})
    before = path.read_bytes()
    res = cli("run", path, "--today", "2026-11-05")
    assert res.exit_code == 3
    assert f"sheet {name!r}" in res.stderr and "rename your sheet" in res.stderr
    assert "nothing was written" in res.stderr
    assert path.read_bytes() == before
    assert not (tmp_path / ".salessheet-backups").exists()
    code, out = cli.json("validate", path, "--today", "2026-11-05")
    assert [f["sheet"] for f in out["findings"] if f["code"] == "sheet-not-owned"] == [name]


def test_an_empty_sheet_with_the_ledger_name_is_adopted(cli, tmp_path: Path):
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": PIPELINE, "salessheet history": []})
    code, out = cli.json("run", path, "--today", "2026-11-05")
    assert code == 0 and "salessheet history" in out["written"]["sheets"]
    assert ledger_rows(path)[0] == HEADER


def test_the_mark_follows_a_rename_and_a_new_sheet_under_the_old_name_is_not_the_tools(
    cli, tmp_path: Path
):
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": PIPELINE})
    cli.json("run", path, "--today", "2026-11-05")
    assert set(marks(path)) == {
        "_salessheet.owned.history",
        "_salessheet.owned.findings",
        "_salessheet.owned.forecast",
    }
    # what Excel does on renaming a sheet: the defined name's reference follows it
    wb = load_workbook(path)
    wb["salessheet history"].title = "old history"
    wb.defined_names["_salessheet.owned.history"].attr_text = "'old history'!$A$1"
    mine = wb.create_sheet("salessheet history")
    mine.append(["Run", "Run Date", "my own columns"])
    wb.save(path)
    assert cli("run", path, "--today", "2026-11-06").exit_code == 3


def test_the_mark_survives_openpyxl_and_a_marked_sheet_with_any_header_is_the_tools(
    cli, tmp_path: Path
):
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": PIPELINE})
    cli.json("run", path, "--today", "2026-11-05")
    wb = load_workbook(path)  # someone opens and saves it with another tool
    wb["salessheet findings"]["A1"] = "Code (edited)"
    wb.save(path)
    assert "_salessheet.owned.findings" in marks(path)
    code, out = cli.json("run", path, "--today", "2026-11-06")
    assert code in (0, 1) and not [f for f in out["findings"] if f["code"] == "sheet-not-owned"]
    assert load_workbook(path)["salessheet findings"]["A1"].value == "Code"


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_the_mark_survives_a_libreoffice_round_trip(cli, tmp_path: Path):
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": PIPELINE})
    cli.json("run", path, "--today", "2026-11-05")
    out = tmp_path / "lo"
    result = subprocess.run(
        [SOFFICE, "--headless", "--norestore",
         f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    saved = out / "p.xlsx"
    assert set(marks(saved)) >= {"_salessheet.owned.history", "_salessheet.owned.forecast"}
    code, report = cli.json("run", saved, "--today", "2026-11-06")
    assert code in (0, 1), report
    assert not [
        f for f in report["findings"] if f["code"] in ("sheet-not-owned", "ledger-unreadable")
    ]


# ------------------------------------------------------------------------ csv sidecars


def test_csv_sidecars_upgrade_and_refuse_like_sheets(cli, tmp_path: Path):
    import csv

    src = tmp_path / "pipeline.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(PIPELINE[0])
        w.writerow(["X", "Acme", "Lead", "1200", "Ann", "2027-01-31"])
    side = tmp_path / "pipeline.salessheet-history.csv"
    with side.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(LEGACY_LEDGER)
    code, out = cli.json("run", src, "--today", "2026-11-05")
    assert code == 0, out
    rows = list(csv.reader(side.open(encoding="utf-8")))
    assert rows[: len(LEGACY_LEDGER)] == [[str(v) for v in r] for r in LEGACY_LEDGER]
    assert (tmp_path / "pipeline.salessheet-forecast.csv").exists()
    # someone else's file at the findings sidecar's path
    theirs = tmp_path / "pipeline.salessheet-findings.csv"
    theirs.write_text("Name,Phone\nAnn,123\n", encoding="utf-8")
    res = cli("run", src, "--today", "2026-11-06")
    assert res.exit_code == 3 and "salessheet findings" in res.stderr
    assert theirs.read_text(encoding="utf-8") == "Name,Phone\nAnn,123\n"


# ------------------------------------------------------------------------ duplicate ids


def test_duplicate_ids_the_last_row_is_the_deal(cli, tmp_path: Path):
    rows = [
        PIPELINE[0],
        ["X", "Acme", "Lead", 1000, "Ann", dt.date(2027, 1, 31)],
        ["X", "Acme (new row)", "Opportunity", 2500, "Bob", dt.date(2027, 2, 28)],
    ]
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": rows})
    code, out = cli.json("run", path, "--today", "2026-11-05")
    seen = [e for e in out["events"] if e[3] == "seen"]
    assert [(e[2], e[5], e[8]) for e in seen] == [
        ("X", "opportunity", "close=2027-02-28; amount=2500; owner=Bob")
    ]
    assert [f["code"] for f in out["findings"]].count("duplicate-id") == 2


def test_parts_the_tool_does_not_own_are_untouched_by_marking(cli, tmp_path: Path):
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": PIPELINE, "Notes": [["keep"]]})
    before = parts(path)
    cli.json("run", path, "--today", "2026-11-05")
    after = parts(path)
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed <= {
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
        "xl/worksheets/sheet1.xml",
    }


def test_a_column_marked_track_true_is_recorded(cli, tmp_path: Path):
    config = tmp_path / "team.yaml"
    config.write_text(
        "extends: b2b\nname: team\ncolumns:\n"
        "  region: {type: text, aliases: [Region, 区域], track: true}\n",
        encoding="utf-8",
    )
    rows = [[*PIPELINE[0], "区域"], [*PIPELINE[1], "华东"]]
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": rows})
    code, out = cli.json("run", path, "--today", "2026-11-05", "--config", config)
    assert out["events"][0][3:6] == ["tracking", "", "amount, owner, region"]
    assert out["events"][1][8] == "close=2027-01-31; amount=1200; owner=Ann; region=华东"
    wb = load_workbook(path)
    wb["Pipeline"]["G2"] = "华南"
    wb.save(path)
    code, out = cli.json("run", path, "--today", "2026-11-06", "--config", config)
    assert [e[2:9] for e in out["events"]] == [["X", "field", "华东", "华南", "", "", "region"]]


def test_a_ledger_someone_sorted_replays_in_run_order():
    rows = [
        HEADER,
        ["R0001", "2026-11-02", "", "tracking", "", "amount", "", "", ""],
        ["R0001", "2026-11-02", "X", "seen", "", "lead", "2026-11-02", "run", "amount=10"],
        ["R0001", "2026-11-02", "Y", "seen", "", "lead", "2026-11-02", "run", "amount=5"],
        ["R0002", "2026-11-03", "X", "stage", "lead", "opportunity", "2026-11-03", "run", ""],
        ["R0003", "2026-11-04", "X", "amount", "10", "12", "", "", ""],
        ["R0003", "2026-11-04", "Y", "removed", "lead", "", "2026-11-04", "run", ""],
    ]
    ledger = Ledger.from_sheet(RawSheet("salessheet history", rows))
    by_deal = Ledger.from_sheet(  # sorted by Deal ID in Excel: the tracking row goes first
        RawSheet("salessheet history", [HEADER, *sorted(rows[1:], key=lambda r: r[2])])
    )
    assert [e.run for e in by_deal.ordered()] == ["R0001"] * 3 + ["R0002", "R0003", "R0003"]

    def summary(led: Ledger) -> dict:
        return {k: (s.stage, s.present, s.values) for k, s in led.state().items()}

    assert (
        summary(by_deal)
        == summary(ledger)
        == {
            "X": ("opportunity", True, {"amount": "12"}),
            "Y": ("lead", False, {"amount": "5"}),
        }
    )
    assert by_deal.rows()[1:] == sorted(rows[1:], key=lambda r: r[2])  # written back as it was


def test_error_values_typed_over_the_tools_sheets_do_not_stop_the_run(cli, tmp_path: Path):
    """#N/A and #REF! in the findings and forecast sheets (a formula someone pasted there):
    the run reads past them, rewrites those sheets, and the next run finds nothing to do."""
    path = make_xlsx(
        tmp_path / "p.xlsx", {"Pipeline": [*PIPELINE, ["Y", "Beta", "Nowhere", 5, "Bo", None]]}
    )
    code, _ = cli.json("run", path, "--today", "2026-11-05")
    assert code == 1  # Y's unknown stage
    wb = load_workbook(path)
    wb["salessheet findings"]["A2"] = "#N/A"  # openpyxl writes these as error values
    wb["salessheet findings"]["E2"] = "#REF!"
    wb["salessheet forecast"]["B2"] = "#DIV/0!"
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        assert any(b't="e"' in zf.read(n) for n in zf.namelist() if "worksheets/" in n)
    code, out = cli.json("run", path, "--today", "2026-11-06")
    assert code == 1
    # the row typed over is not carried over: its finding counts as new again, none resolved
    assert sorted((f["code"], f["status"]) for f in out["findings"]) == [
        ("missing-column", "new"),
        ("unknown-stage", "persisting"),
    ]
    ws = load_workbook(path)["salessheet findings"]
    cells = [c for row in ws.iter_rows(values_only=True) for c in row]
    assert not {"#N/A", "#REF!"} & set(cells)
    code, again = cli.json("run", path, "--today", "2026-11-06")
    assert again["written"]["unchanged"] is True


def test_a_history_sheet_renamed_away_is_said_not_taken_for_a_first_night(
    cli, tmp_path: Path
) -> None:
    """Someone renames `salessheet history` (to tidy the tabs). The next run found no ledger
    and started a new one without a word: every deal 'recorded for the first time', as on a
    first night, and that night's stage moves lost. It now says what happened and how to undo
    it, once: the night after, the warning is resolved."""
    rows = [*PIPELINE, ["Y", "Beta", "Opportunity", 900, "Bob", None]]  # Y lacks a close date
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": rows})
    code, first = cli.json("run", path, "--today", "2026-11-28")
    assert not [f for f in first["findings"] if f["code"] == "ledger-missing"]
    wb = load_workbook(path)
    wb["salessheet history"].title = "History"
    wb.save(path)
    code, out = cli.json("run", path, "--today", "2026-11-29")
    [found] = [f for f in out["findings"] if f["code"] == "ledger-missing"]
    assert (found["severity"], found["sheet"], found["deal_id"]) == (
        "warning", "salessheet history", None)  # fmt: skip
    assert found["message"] == (
        "the 'salessheet history' sheet is missing or empty, but 'salessheet findings' holds "
        "findings of earlier runs since 2026-11-28: the history was deleted, cleared or renamed, "
        "so a new ledger starts today and every deal is recorded for the first time. If you "
        "renamed the sheet, rename it back to 'salessheet history' (and delete the new one) "
        "before the next run"
    )
    code, after = cli.json("run", path, "--today", "2026-11-30")
    assert [f["status"] for f in after["findings"] if f["code"] == "ledger-missing"] == ["resolved"]
