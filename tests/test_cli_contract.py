"""The command-line contract as a script author and a new user meet it: text tables that tell
deals apart, errors that say how to fix them, and a scheduler that refuses a bad source at once.
"""

from __future__ import annotations

import json
from pathlib import Path

# Salesforce ids: 18 characters, the first 9 shared by every deal of an org
SF_IDS = ("0068a00001M8W5HAAV", "0068a00001M8WCRAA3", "0068a00001M8WCSAA3")
SF_OWNER = "0058a00000MNWtFAAX"


def salesforce_csv(folder: Path) -> Path:
    path = folder / "opportunities.csv"
    rows = ["Deal ID,Customer,Stage,Amount,Owner,Expected Close"]
    for i, deal in enumerate(SF_IDS):
        amount = "" if i == 2 else str(1000 * (i + 1))
        rows.append(f"{deal},Customer {i},negotiation,{amount},{SF_OWNER},2026-10-0{i + 1}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_stalled_shows_each_long_deal_id_whole(cli, tmp_path: Path) -> None:
    """Three Salesforce deals used to read `0068a0000…` alike: the id column was 10 wide."""
    source = salesforce_csv(tmp_path)
    result = cli("stalled", source, "--today", "2026-11-28")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[2] == ("  deal               owner              stage         days limit  what")
    assert lines[3] == (
        f"  {SF_IDS[0]} {SF_OWNER} negotiation     58        close-date-passed: expected "
        "close 2026-10-01 passed 58 days ago and the deal is still in negotiation"
    )
    assert [line.split()[0] for line in lines[3:6]] == list(SF_IDS)


def test_findings_show_each_long_deal_id_whole(cli, tmp_path: Path) -> None:
    """validate clipped ids to 12 columns (`0068a00001J…`): the ids are now whole, and every
    line of the report keeps one column for them."""
    source = salesforce_csv(tmp_path)
    result = cli("validate", source, "--today", "2026-11-28")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        f"  D4      {SF_IDS[2]} missing-field        amount is required in stage negotiation"
        in lines
    )
    assert (
        "  F2      0068a00001M8W5HAAV close-date-passed    expected close 2026-10-01 passed "
        "58 days ago and the deal is still in negotiation" in lines
    )
    assert any(line.startswith("  row 1   -                  missing-column") for line in lines)


def test_short_ids_keep_the_narrow_columns(cli, example_copy: Path) -> None:
    result = cli("stalled", example_copy, "--today", "2026-11-28")
    lines = result.stdout.splitlines()
    assert lines[2] == "  deal       owner          stage         days limit  what"
    assert lines[3].startswith("  D-0013     Tom Baker      Negotiation     26    10  ")


def test_schedule_refuses_a_missing_file_at_once(cli, tmp_path: Path) -> None:
    """A typo in the file name started a scheduler that waited until 02:00 to fail, and every
    night after; it is now exit 2 at once, with the error object in JSON."""
    missing = tmp_path / "pipline.xlsx"
    result = cli("schedule", missing, "--at", "02:00", "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": {
            "code": 2,
            "message": f"{missing}: no such file",
            "problems": [],
            "hint": "see `main schedule --help` for usage and examples",  # CliRunner's name
        }
    }
    assert "every day at" not in result.stderr
    assert not (tmp_path / ".salessheet").exists()


def test_schedule_names_a_bad_time_before_saying_it_started(cli, example_copy: Path) -> None:
    result = cli("schedule", example_copy, "--at", "25:00")
    assert result.exit_code == 2
    assert result.stderr == (
        "salessheet: --at '25:00': expected a time of day as HH:MM, e.g. 02:00\n"
        "  hint: see `main schedule --help` for usage and examples\n"
    )
