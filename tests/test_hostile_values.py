"""Hostile cell values: every cell is untrusted (issue 12).

A cell can hold 32,767 characters, Markdown, links and mentions; whatever the tool builds from
it must still fit a cell, still be written, and never turn into markup in a chat message.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import make_xlsx
from openpyxl import load_workbook

from salessheet.core.cellsafe import MAX_CELL_UNITS, clip_cell_text, quote_value, utf16_units

HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close", "Override Reason"]


def _units(value: object) -> int:
    return len(str(value).encode("utf-16-le")) // 2


def _sheet_texts(path: Path, name: str) -> list[str]:
    wb = load_workbook(path, read_only=True)
    try:
        rows = wb[name].iter_rows(values_only=True)
        return [v for row in rows for v in row if isinstance(v, str)]
    finally:
        wb.close()


# --------------------------------------------------------------------------- the cell limit


def test_clip_counts_utf16_code_units_as_excel_does_and_never_splits_a_pair() -> None:
    fits = "a" + "😀" * 16383  # 1 + 2 × 16383 = 32,767 code units: exactly a cell
    assert utf16_units(fits) == MAX_CELL_UNITS == _units(fits)
    assert clip_cell_text(fits) is fits
    over = "ab" + "😀" * 16383  # 32,768 code units, only 16,385 characters
    clipped = clip_cell_text(over)
    assert clipped == "ab" + "😀" * 16382 + "…"
    assert _units(clipped) == MAX_CELL_UNITS
    assert clip_cell_text("😀" * 16384) == "😀" * 16383 + "…"  # 32,766 + 1
    assert clip_cell_text(12345) == 12345 and clip_cell_text(None) is None
    assert clip_cell_text("x" * 40_000) == "x" * 32_766 + "…"


def test_a_message_quotes_at_most_200_characters_of_a_cell() -> None:
    assert quote_value("x" * 200) == repr("x" * 200)
    assert quote_value("x" * 32_767) == repr("x" * 200 + "…")
    assert quote_value(3.5) == "3.5"


def test_a_32767_character_stage_cell_does_not_stop_the_run_from_writing(cli, tmp_path) -> None:
    stage = "阶" * 32_767  # as long as Excel lets a cell be
    path = make_xlsx(
        tmp_path / "p.xlsx",
        {
            "Pipeline": [
                HEADER,
                ["D-1", "Acme", stage, 10, "Ann", dt.date(2027, 1, 31), None],
                ["D-2", "Beta", "Lead", 10, "Bob", dt.date(2027, 1, 31), None],
            ]
        },
    )
    code, out = cli.json("run", path, "--today", "2026-11-28")
    assert code == 1  # the unknown stage is an error finding, not a refusal to write
    assert out["written"]["sheets"] == ["salessheet history", "salessheet findings"]
    [finding] = [f for f in out["findings"] if f["code"] == "unknown-stage"]
    assert finding["value"] == stage  # the JSON keeps the whole value
    assert finding["message"].startswith("unknown stage '" + "阶" * 200 + "…'; allowed: ")
    texts = _sheet_texts(path, "salessheet findings")
    assert finding["message"] in texts
    assert max(_units(t) for t in texts) <= MAX_CELL_UNITS
    # the next run with nothing changed writes nothing
    code, again = cli.json("run", path, "--today", "2026-11-28")
    assert code == 1 and again["written"]["unchanged"] is True


def test_texts_built_from_long_cells_are_clipped_in_the_findings_and_the_ledger(
    cli, tmp_path
) -> None:
    """An override reason of 32,767 characters: the ledger note ("override: ...") and the
    finding message ("... overridden by OWNER: ...") both outgrow a cell. Both are written,
    clipped with "…", and a re-run finds them unchanged."""
    path = make_xlsx(
        tmp_path / "p.xlsx",
        {"Pipeline": [HEADER, ["D-1", "Acme", "Lead", 10, "Ann", dt.date(2027, 1, 31), None]]},
    )
    code, _ = cli.json("run", path, "--today", "2026-11-20")
    assert code == 0
    reason = "😀" * 16383 + "!"  # 32,767 code units
    wb = load_workbook(path)
    ws = wb["Pipeline"]
    ws["C2"] = "Negotiation"  # skips two stages: allowed only with the override reason
    ws["G2"] = reason
    wb.save(path)
    code, out = cli.json("run", path, "--today", "2026-11-28")
    assert code == 0  # overridden: an info finding
    [finding] = [f for f in out["findings"] if f["code"] == "illegal-transition"]
    assert finding["severity"] == "info" and finding["message"].endswith(reason)
    findings_texts = _sheet_texts(path, "salessheet findings")
    [written] = [t for t in findings_texts if t.startswith("stage lead → negotiation")]
    assert _units(written) == MAX_CELL_UNITS and written.endswith("😀…")
    assert finding["message"].startswith(written[:-1])
    history = _sheet_texts(path, "salessheet history")
    [note] = [t for t in history if t.startswith("override: ")]
    assert note == "override: " + "😀" * 16378 + "…"  # 10 + 32,756 + 1 code units
    code, again = cli.json("run", path, "--today", "2026-11-28")
    assert again["written"]["unchanged"] is True


# --------------------------------------------------------------------------- document batches


def test_a_batch_that_issued_some_and_refused_others_exits_1_listing_both(
    cli, example_copy, tmp_path
) -> None:
    """`quote --all` on the example: 33 deals issued, 3 refused by the preflight."""
    import json

    out_dir = tmp_path / "quotes"
    res = cli("quote", example_copy, "--all", "--out", out_dir, "--today", "2026-11-28")
    assert res.exit_code == 1, res.output
    text = res.stdout
    assert text.startswith(f"33 quote(s) written to {out_dir}:\n")
    assert "  Q-2026-0001 " in text and "  Q-2026-0033 " in text
    assert "\n3 deal(s) refused, no quote for them:\n" in text
    assert (
        "\n  D-0021: sheet 'Pipeline': Last Activity H22: cannot read '2026-02-30': "
        "no such date (day is out of range for month)\n" in text
    )
    assert "\n  D-0016: no line items for D-0016 in sheet 'Line Items'\n" in text
    assert len(list(out_dir.iterdir())) == 33
    wb = load_workbook(example_copy, read_only=True)
    assert wb["salessheet documents"].max_row == 34  # header + 33 registered
    wb.close()

    # the same in JSON: one object with both lists (the numbers are reused: same inputs)
    res = cli(
        "quote", example_copy, "--all", "--out", out_dir, "--today", "2026-11-28", "--json"
    )
    assert res.exit_code == 1
    out = json.loads(res.stdout)  # exactly one JSON object
    assert len(out["issued"]) == 33 and not any(d["new"] for d in out["issued"])
    failed = {f["deal_id"]: f["problems"] for f in out["failed"]}
    assert sorted(failed) == ["D-0016", "D-0021", "D-0025"]
    assert failed["D-0016"][-1] == "no line items for D-0016 in sheet 'Line Items'"


def test_a_batch_where_every_deal_was_refused_exits_2_with_nothing_written(
    cli, example_copy, tmp_path
) -> None:
    import json

    before = example_copy.read_bytes()
    out_dir = tmp_path / "quotes"
    args = ("quote", example_copy, "D-0016", "D-0021", "--out", out_dir, "--today", "2026-11-28")
    res = cli(*args, "--json")
    assert res.exit_code == 2
    err = json.loads(res.stdout)["error"]  # the error object and nothing else
    assert err["message"] == "2 deals refused: no quote produced for D-0016, D-0021"
    assert "D-0016: no line items for D-0016 in sheet 'Line Items'" in err["problems"]
    assert not out_dir.exists() and example_copy.read_bytes() == before
    res = cli(*args)
    assert res.exit_code == 2 and res.stdout == "no quote written\n"
    assert "salessheet: 2 deals refused: no quote produced for D-0016, D-0021" in res.stderr
