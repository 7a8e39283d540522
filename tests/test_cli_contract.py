"""The command-line contract as a script author and a new user meet it: text tables that tell
deals apart, errors that say how to fix them, and a scheduler that refuses a bad source at once.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_xlsx

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


def test_stalled_counts_deals_not_findings(cli, tmp_path: Path) -> None:
    """winkeldev's export: 34 deals stalled and 143 past their close date, the 34 among the 143,
    and stalled said '177 deals need attention'; a deal with both is one deal."""
    path = tmp_path / "p.csv"
    path.write_text(
        "Deal ID,Customer,Stage,Amount,Owner,Expected Close,Stage Date\n"
        "A,Acme,negotiation,100,Ann,2026-10-01,2026-09-01\n"  # stalled and past its close
        "B,Beta,negotiation,100,Ann,2026-10-01,2026-11-27\n",  # past its close only
        encoding="utf-8",
    )
    result = cli("stalled", path, "--today", "2026-11-28")
    assert [line.split()[0] for line in result.stdout.splitlines()[3:6]] == ["A", "A", "B"]
    assert result.stdout.splitlines()[-1] == "2 deals need attention (3 findings)."


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


def test_a_folder_given_as_the_source_names_the_files_in_it(cli, tmp_path: Path) -> None:
    """`validate exports` (a folder, no extension) said "unknown kind of source
    '(no extension)'"; it now says it is a folder and which files to give instead."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "deals.csv").write_text("Deal ID,Stage\nD1,lead\n", encoding="utf-8")
    (folder / "~$pipeline.xlsx").write_bytes(b"lock")
    result = cli("validate", folder, "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": 2,
        "message": f"{folder}: is a folder, not a pipeline file",
        "problems": [],
        "hint": f"give the file itself, e.g. {folder / 'deals.csv'}",
    }


def unreadable_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI on files it may not read: as root (who reads a chmod 000 file anyway) in a
    process without the capability to override file permissions."""
    command = [sys.executable, "-m", "salessheet", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a chmod 000 file stays readable")
        drop = "-dac_override,-dac_read_search"
        command = [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}", "--", *command]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("deals.csv", ("validate", "deals.csv"), "deals.csv: cannot read the file"),
        ("team.yaml", ("config", "check", "team.yaml"), "team.yaml: cannot read the config file"),
    ],
)
def test_an_unreadable_file_says_how_to_get_at_it(
    tmp_path: Path, name: str, args: tuple[str, ...], message: str
) -> None:
    """A chmod 000 file was answered with "see `salessheet validate --help`", which does not
    help: the hint now says how to get read access."""
    path = tmp_path / name
    path.write_text("Deal ID,Stage\nD1,lead\n", encoding="utf-8")
    path.chmod(0)
    try:
        result = unreadable_run(tmp_path, *args, "--format", "json")
    finally:
        path.chmod(0o644)
    assert result.returncode == 2
    assert json.loads(result.stdout)["error"] == {
        "code": 2,
        "message": f"{message} (Permission denied)",
        "problems": [],
        "hint": f"you may not read this file: if it is yours, `chmod u+r {name}`; else ask its "
        f"owner (`ls -l {name}` shows who) or work on a copy you can read",
    }
    assert "Traceback" not in result.stderr


def test_a_bad_rate_table_shows_what_one_looks_like(cli, example_copy: Path) -> None:
    """The hint for a broken --rates file was "`salessheet config check FILE` checks a config
    on its own": a rate table is no config."""
    rates = example_copy.parent / "rates.json"
    rates.write_text("USD: 7.1\n", encoding="utf-8")
    result = cli("report", example_copy, "--rates", rates, "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["hint"] == (
        'a rate table is JSON: {"as_of": "2026-11-28", "base": "CNY", "rates": {"USD": "7.10"}} '
        "(units of the base per unit of each currency)"
    )


def test_a_quote_refused_for_the_placeholder_seller_says_how_to_name_it(
    cli, example_copy: Path
) -> None:
    """A new user's first `quote pipeline.xlsx D-0042` was refused with "fix the pipeline or
    line items": the pipeline was fine, the seller needs a config they did not have yet."""
    result = cli("quote", example_copy, "D-0042", "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["problems"] == [
        "D-0042: the seller is still the profile's placeholder '贵公司名称'; a quote needs your "
        "company's name: set documents.seller.name_zh in your config"
    ]
    assert error["hint"] == (
        "your company's name goes in a config that extends the profile: `printf 'extends: "
        "b2b\\ndocuments:\\n  seller: {name: Acme Trading Ltd., name_zh: 艾克美贸易有限公司}\\n' "
        "> team.yaml`, then add --config team.yaml (with a config of your own, set "
        "documents.seller there) and run again"
    )
    # the command in the hint, run as given, makes the quote
    hint_command = error["hint"].split("`")[1]
    subprocess.run(["sh", "-c", hint_command], cwd=example_copy.parent, check=True)
    folder = example_copy.parent
    done = cli("quote", example_copy, "D-0042", "--config", folder / "team.yaml", "--out", folder)
    assert done.exit_code == 0, done.output


@pytest.mark.parametrize("kind", ["quote", "contract"])
def test_the_document_help_examples_run_on_the_bundled_example(
    cli, example_copy: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every example in `quote --help` was refused on the bundled example (and on any sheet
    without a config): the seller placeholder. They now name the config they need."""
    text = cli(kind, "--help").stdout
    block = text.split("Examples:\n", 1)[1].split("\n\n", 1)[0]
    examples = [line.strip() for line in block.splitlines()]
    assert examples[0].startswith("printf 'extends: b2b")
    monkeypatch.chdir(example_copy.parent)
    for example in examples:
        if "--format pdf" in example:
            example = example.replace("--format pdf", "--format html")  # (no PDF engine needed)
        if example.startswith("printf"):
            subprocess.run(["sh", "-c", example], cwd=example_copy.parent, check=True)
            continue
        args = shlex.split(example)[1:]
        result = cli(*[str(example_copy) if a == "pipeline.xlsx" else a for a in args])
        # 1: a batch on the example issues most deals and refuses its deliberately broken ones
        assert result.exit_code in (0, 1), (example, result.output)
        assert "the seller is still" not in result.output, example


def test_validate_points_at_the_config_init_wrote_beside_the_workbook(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`init small-team.xlsx --profile lite` writes small-team.salessheet.yaml beside it; a
    validate without it reads the sheet as b2b (2 unknown stages) and told the user to run
    `salessheet config init small-team.xlsx`, which refuses: that file already exists."""
    monkeypatch.chdir(tmp_path)
    made = cli("init", "small-team.xlsx", "--profile", "lite", "--today", "2026-11-28")
    assert made.exit_code == 0, made.output
    assert (tmp_path / "small-team.salessheet.yaml").is_file()
    result = cli("validate", "small-team.xlsx", "--today", "2026-11-28")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-2:] == [
        "Most of these say the b2b profile does not fit this sheet; the config written for it, "
        "small-team.salessheet.yaml, was not used: pass it with --config",
        "  salessheet validate small-team.xlsx --config small-team.salessheet.yaml",
    ]
    fixed = cli(*result.stdout.splitlines()[-1].split()[1:], "--today", "2026-11-28")
    assert fixed.exit_code == 0, fixed.output
    assert "No problems found in 2 deals." in fixed.stdout


@pytest.mark.parametrize("command", ["validate", "stalled", "run", "report", "changes"])
def test_the_help_examples_on_pipeline_xlsx_run_on_the_bundled_example(
    cli, example_copy: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`validate --help` showed `--sheet 商机`, a sheet neither the bundled example nor a
    workbook from `init` has (exit 2). Each example that needs no other file now runs."""
    text = cli(command, "--help").stdout
    block = text.split("Examples:\n", 1)[1].split("\n\n", 1)[0]
    ran = 0
    for line in block.splitlines():
        args = shlex.split(line.split("#", 1)[0])[1:]
        others = [a for a in args if a.endswith((".csv", ".json", ".yaml"))]
        if others:  # a file of the user's own (rates.json, deals.csv)
            continue
        fresh = example_copy.parent / f"{ran}"  # each on a fresh copy: examples, not a story
        fresh.mkdir()
        shutil.copy(example_copy, fresh / "pipeline.xlsx")
        monkeypatch.chdir(fresh)
        result = cli(*args)
        assert result.exit_code in (0, 1), (line, result.output)
        ran += 1
    assert ran >= 2


@pytest.mark.parametrize(
    ("selection", "named"),
    [
        (("D-0042", "--all"), "D-0042 and --all"),
        (("--stage", "negotiation", "--all"), "--stage negotiation and --all"),
        (("D-0042", "D-0012", "--stage", "lead"), "D-0042 D-0012 and --stage lead"),
    ],
)
def test_a_document_run_takes_one_selection(
    cli, example_copy: Path, selection: tuple[str, ...], named: str
) -> None:
    """`quote pipeline.xlsx D-0042 --all` issued the one quote and ignored --all (and --stage
    ignored --all) without a word: two selections are now a usage error, nothing written."""
    before = example_copy.read_bytes()
    out = example_copy.parent / "out"
    result = cli("quote", example_copy, *selection, "--out", out, "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": 2,
        "message": f"give DEAL_IDs, --stage or --all, not {named}",
        "problems": [],
        "hint": "one selection per run: run it once for each",
    }
    assert example_copy.read_bytes() == before
    assert not out.exists()


def test_the_report_stalled_table_shows_each_long_deal_id_whole(cli, tmp_path: Path) -> None:
    """The report's "Stalled deals now" clipped ids to 12 columns: `0068a00001M…` three times."""
    source = tmp_path / "opportunities.csv"
    rows = ["Deal ID,Customer,Stage,Amount,Owner,Stage Date"]
    rows += [
        f"{deal},Customer {i},negotiation,1000,{SF_OWNER},2026-10-01"
        for i, deal in enumerate(SF_IDS)
    ]
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = cli("report", source, "--today", "2026-11-28")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index("Stalled deals now — 3")
    assert lines[start + 1].startswith("  Deal                Owner               Stage ")
    assert [line.split()[:2] for line in lines[start + 3 : start + 6]] == [
        [deal, SF_OWNER] for deal in SF_IDS
    ]


@pytest.mark.parametrize(
    ("command", "day"),
    [
        (("report",), "9999-12-31"),
        (("run", "--dry-run"), "9999-12-31"),
        (("run", "--dry-run"), "0001-01-01"),
    ],
)
def test_a_today_out_of_range_is_a_usage_error_not_a_bug(
    cli, example_copy: Path, command: tuple[str, ...], day: str
) -> None:
    """`report --today 9999-12-31` said "internal error: ValueError: year 10000 is out of
    range" (exit 70, "this is a bug"); `run --today 0001-01-01` an OverflowError."""
    result = cli(command[0], example_copy, *command[1:], "--today", day, "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["message"] == (
        f"Invalid value for '--today': '{day}' is not a date salessheet can run on: give one "
        "from 1900-01-01 to 2999-12-31"
    )


@pytest.mark.parametrize("day", ["1900-01-01", "2999-12-31"])
def test_the_ends_of_the_today_range_run(cli, example_copy: Path, day: str) -> None:
    for command in (("report",), ("run",), ("changes",)):
        result = cli(command[0], example_copy, *command[1:], "--today", day, "--format", "json")
        assert result.exit_code in (0, 1), (command, day, result.stdout[:300])
        assert "error" not in json.loads(result.stdout)


def test_an_empty_config_is_refused_not_read_as_the_b2b_profile(cli, tmp_path: Path) -> None:
    """`validate deals.csv --config "$CFG"` with CFG unset validated against b2b (exit 1 and
    findings the team's config would not give) instead of saying the config was missing."""
    source = tmp_path / "deals.csv"
    source.write_text("Deal ID,Customer,Stage\nD1,Acme,Quoted\n", encoding="utf-8")
    result = cli("validate", source, "--config", "", "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": 2,
        "message": "--config is empty",
        "problems": [],
        "hint": "give the config file (is the variable that holds it unset?), or leave "
        "--config out to use the b2b profile",
    }


@pytest.mark.parametrize("command", [("validate",), ("config", "init")])
def test_an_empty_source_says_so(cli, tmp_path: Path, command: tuple[str, ...]) -> None:
    """`validate ""` said ": unknown kind of source '(no extension)'"; `config init ""` was
    "internal error: ValueError: PosixPath('.') has an empty name" (exit 70)."""
    result = cli(*command, "", "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": 2,
        "message": "no source given: SOURCE is empty",
        "problems": [],
        "hint": "give a .xlsx, .xlsm or .csv file, a Google Sheets URL, or gsheet:KEY "
        "(is the variable that holds it unset?)",
    }


def test_demo_never_overwrites_a_teams_own_files(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`salessheet demo --out .` in the team's folder deleted their pipeline.xlsx and
    report.html and put the demo's in their place (exit 0; the backup it kept was of the
    demo's copy). It now refuses, exit 2, and changes nothing."""
    monkeypatch.chdir(tmp_path)
    ours = make_xlsx(
        tmp_path / "pipeline.xlsx", {"Pipeline": [["Deal ID", "Stage"], ["A-1", "Lead"]]}
    )
    before = ours.read_bytes()
    (tmp_path / "report.html").write_text("<h1>board report</h1>", encoding="utf-8")
    result = cli("demo", "--out", ".")
    assert result.exit_code == 2
    assert result.stderr == (
        "salessheet: .: already holds pipeline.xlsx, report.html, which the demo would "
        "overwrite; nothing was changed\n"
        "  hint: give --out a new or empty folder (or one an earlier demo made), or leave --out "
        "out for a temporary folder\n"
    )
    assert ours.read_bytes() == before
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "<h1>board report</h1>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipeline.xlsx", "report.html"]


def test_demo_runs_again_in_its_own_folder(cli, tmp_path: Path) -> None:
    folder = tmp_path / "tour"
    assert cli("demo", "--out", folder).exit_code == 0
    assert cli("demo", "--out", folder).exit_code == 0
    assert (folder / "pipeline.xlsx").is_file()


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("d-0042", "no deal with id 'd-0042' in sheet 'Pipeline' (did you mean 'D-0042'?)"),
        ("42", "no deal with id '42' in sheet 'Pipeline' (did you mean 'D-0042'?)"),
        ("D-9999", "no deal with id 'D-9999' in sheet 'Pipeline'"),
    ],
)
def test_an_unknown_deal_id_suggests_the_sheets_spelling(
    cli, example_copy: Path, typed: str, problem: str
) -> None:
    """`quote pipeline.xlsx d-0042` said only "no deal with id 'd-0042'" and told the user to
    "fix the pipeline or line items": the typo was on the command line."""
    result = cli("quote", example_copy, typed, "--json", "--out", example_copy.parent)
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["problems"] == [f"{typed}: {problem}"]
    assert error["hint"] == "give the deal id as the sheet's id column writes it and run again"


def test_schedule_json_prints_one_object_when_it_stops(example_copy: Path, tmp_path: Path) -> None:
    """`schedule --format json` stopped by SIGTERM printed nothing on stdout: no JSON object,
    though --format json promises one."""
    command = [sys.executable, "-m", "salessheet", "schedule", str(example_copy), "--at", "02:00"]
    command += ["--state-dir", str(tmp_path / "state"), "--format", "json"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("scheduler started"):
                break
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert json.loads(out) == {
        "source": str(example_copy),
        "at": "02:00",
        "status": "stopped",
        "exit_code": 0,
    }


def test_a_tool_owned_sheet_given_as_the_pipeline_says_what_it_is(cli, example_copy: Path) -> None:
    """`validate pipeline.xlsx --sheet "salessheet history"` said "no header row found in the
    first 30 rows" and suggested `config init`, as though the ledger were a pipeline."""
    assert cli("run", example_copy, "--today", "2026-11-28").exit_code == 1
    result = cli("validate", example_copy, "--sheet", "salessheet history", "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": 2,
        "message": f"{example_copy}: sheet 'salessheet history' is one salessheet writes (its own "
        "records), not a pipeline",
        "problems": [],
        "hint": "give --sheet the sheet that holds the deals: 'Pipeline'",
    }


def test_init_names_the_pipeline_sheet_as_sheet_says(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`init pipeline.xlsx --sheet Deals` took the option and made a sheet called Pipeline;
    the next `validate pipeline.xlsx --sheet Deals` then said "no sheet named 'Deals'"."""
    from openpyxl import load_workbook

    monkeypatch.chdir(tmp_path)
    made = cli("init", "pipeline.xlsx", "--sheet", "Deals", "--today", "2026-11-28")
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith(
        "created pipeline.xlsx (b2b profile, en): sheets Deals, Line Items and instructions"
    )
    assert load_workbook(tmp_path / "pipeline.xlsx").sheetnames == [
        "Deals",
        "Line Items",
        "Instructions",
    ]
    config = "pipeline.salessheet.yaml"
    checked = cli("validate", "pipeline.xlsx", "--sheet", "Deals", "--config", config)
    assert checked.exit_code == 0, checked.output
    assert "No problems found in 2 deals." in checked.stdout


def test_init_refuses_a_sheet_name_excel_does_not_take(cli, tmp_path: Path) -> None:
    target = tmp_path / "pipeline.xlsx"
    result = cli("init", target, "--sheet", "Q1/Q2", "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["message"] == (
        "--sheet 'Q1/Q2' holds /, which Excel does not allow in a sheet name"
    )
    assert not target.exists()


def test_a_stage_that_allows_no_quote_is_refused_at_once(cli, example_copy: Path) -> None:
    """`quote pipeline.xlsx --stage 丢单` listed each of its 10 lost deals as refused, two
    problems apiece, then hinted "fix the pipeline or line items": the stage was the mistake."""
    result = cli("quote", example_copy, "--stage", "丢单", "--json", "--out", example_copy.parent)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": 2,
        "message": "stage '丢单' does not allow a quote: no quote is issued in it",
        "problems": [],
        "hint": "stages that allow one: opportunity / Opportunity / 销售机会; follow_up / "
        "Follow-up / 客户跟进; negotiation / Negotiation / 报价与谈判",
    }


def test_a_mistyped_file_name_suggests_the_file_that_is_there(
    cli, example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`validate pipline.xlsx` said only "no such file" and "see `salessheet validate
    --help`"; it now names the file beside it whose name is close."""
    monkeypatch.chdir(example_copy.parent)
    result = cli("validate", "pipline.xlsx", "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": 2,
        "message": "pipline.xlsx: no such file",
        "problems": [],
        "hint": "did you mean pipeline.xlsx?",
    }
    result = cli("validate", "exports/pipeline.xlsx", "--format", "json")
    assert json.loads(result.stdout)["error"]["hint"] == (
        "the folder exports does not exist: check the path"
    )


def test_a_quote_into_a_folder_it_may_not_write_names_the_folder(
    example_copy: Path, tmp_path: Path
) -> None:
    """`quote ... --out rodir` (a read-only folder) said "/…/rodir/.Q-2026-0001_….html.tmp:
    permission denied": a hidden temporary file the user never asked for."""
    folder = tmp_path / "rodir"
    folder.mkdir()
    (tmp_path / "team.yaml").write_text(
        "extends: b2b\ndocuments:\n  seller: {name: Acme, name_zh: 艾克美}\n", encoding="utf-8"
    )
    before = example_copy.read_bytes()
    folder.chmod(0o555)
    try:
        result = unreadable_run(
            tmp_path, "quote", str(example_copy), "D-0042", "--config", "team.yaml",
            "--out", "rodir", "--json",
        )  # fmt: skip
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert json.loads(result.stdout)["error"] == {
        "code": 2,
        "message": "rodir: cannot write Q-2026-0001_上海星河科技有限公司.html there "
        "(Permission denied); nothing was registered",
        "problems": [],
        "hint": "give --out a folder you can write to (it is created if missing)",
    }
    assert example_copy.read_bytes() == before
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(("command", "what"), [("report", "report"), ("changes", "page")])
def test_an_html_file_that_cannot_be_written_says_what_to_give(
    cli, example_copy: Path, command: str, what: str
) -> None:
    """`report --html somedir` (a folder) ended with "see `salessheet report --help`"."""
    folder = example_copy.parent / "out"
    folder.mkdir()
    result = cli(command, example_copy, "--html", folder, "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": 2,
        "message": f"{folder}: cannot write the HTML {what} (Is a directory)",
        "problems": [],
        "hint": "give --html a file in a folder you can write to",
    }


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_full_disk_under_the_output_is_exit_2_saying_so(example_copy: Path, fmt: str) -> None:
    """`validate --format json > out.json` on a full disk exited 1 (which says "error
    findings") with a traceback; as text it blamed "a file" and asked for permissions."""
    command = [sys.executable, "-m", "salessheet", "validate", str(example_copy), "--format", fmt,
               "--today", "2026-11-28"]  # fmt: skip
    with open("/dev/full", "w") as full:
        res = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr == (
        "salessheet: could not write the output: the disk is full\n"
        "  hint: free some space, or send the output to a file on another disk (> FILE)\n"
    )


def test_a_reader_that_stops_early_cuts_the_output_short_without_a_traceback(
    example_copy: Path,
) -> None:
    """`validate --format json | head -c 10`: once the reader is gone, the next write fails;
    that was an internal error (exit 70) asking for a bug report."""
    command = [sys.executable, "-m", "salessheet", "validate", str(example_copy), "--format",
               "json", "--today", "2026-11-28"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader stops before the first byte (as head does after its lines)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 2
    assert err == (
        "salessheet: the output was cut short: the program reading it stopped (a pipe such as "
        "| head)\n  hint: nothing else is affected; to keep the whole output, send it to a file "
        "(> FILE)\n"
    )
