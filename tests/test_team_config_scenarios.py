"""A team's own config on its own sheet, end to end through the CLI: business-day stall
thresholds with holidays, and the team's rules as they write them."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.conftest import Cli

HEADER = ["Deal ID", "Customer", "Stage", "Owner", "Amount", "Expected Close"]


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path


def test_business_day_stalls_count_on_the_first_night_and_after(tmp_path: Path, cli: Cli) -> None:
    """`stall: {business_days: true}` crashed every `run` (exit 70, RecursionError) on a deal
    that entered its stage today, i.e. on every deal of the first run. A country's holidays
    count as days off, and its make-up working weekend days (China's 调休) as working days."""
    src = write_csv(
        tmp_path / "deals.csv",
        [["D-1", "Acme", "negotiation", "Ann", 1000, "2026-12-31"],
         ["D-2", "Beta", "lead", "Bob", 2000, "2026-12-31"]],
    )  # fmt: skip
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nstall: {business_days: true, holidays: [CN, 2026-10-09]}\n"
        "stages:\n  - {id: negotiation, stall_days: 3}\n",
        "utf-8",
    )
    first = cli("run", src, "--config", cfg, "--today", "2026-09-30")
    assert first.exit_code == 0, first.output
    # 2026-10-01..07 is China's National Day holiday, 10-08 a working Thursday, 10-09 the
    # team's own day off, Saturday 10-10 a make-up working day (调休): the 3rd business day
    # after 09-30 is Monday 10-12, so the deal is stalled from the 13th.
    code, out = cli.json("stalled", src, "--config", cfg, "--today", "2026-10-12")
    assert (code, out["findings"]) == (0, [])
    code, out = cli.json("stalled", src, "--config", cfg, "--today", "2026-10-13")
    assert [(f["deal_id"], f["message"]) for f in out["findings"]] == [
        ("D-1", "in negotiation for 4 business days (limit 3) since 2026-09-30")
    ]


MISTAKES = """\
extends: b2b
rules:
  - id: big-deal-wan
    when: amount > 50万
    require: [approver]
  - id: big-deal-dollars
    when: amount > $500k
    require: [approver]
  - id: big-deal-commas
    when: amount >= 1,000,000
    require: [approver]
  - id: discount-whole
    when: discount > 20
    require: [approver]
  - id: close-slash
    when: expected_close < date("2026/12/31")
    require: [approver]
  - id: close-bare
    when: expected_close < 2026-12-31
    require: [approver]
  - id: close-soon
    when: expected_close < today + 30
    require: [approver]
  - id: curly-quotes
    when: stage == “报价与谈判”
    require: [approver]
"""


def test_config_check_says_how_to_write_what_a_team_typed(tmp_path: Path, cli: Cli) -> None:
    """Thresholds written as people write them (50万, $500k, 1,000,000, 20 for 20 %), dates
    as the sheet shows them, and a Chinese input method's quotes: each problem says what to
    write. Before: `unexpected character '$'`, `unexpected ','`, nothing at all for
    `discount > 20` (a rule that never fires), `date() takes a date in double quotes` for a
    date that was in double quotes."""
    cfg = tmp_path / "team.yaml"
    cfg.write_text(MISTAKES, "utf-8")
    result = cli("config", "check", cfg)
    assert result.exit_code == 2
    output = result.output.replace(str(cfg), "team.yaml")
    lines = [line for line in output.splitlines() if line.startswith("  - ")]
    assert lines == [
        "  - team.yaml:4: rules[0] (big-deal-wan).when: column 10: write the number out: "
        "50万 is 500000",
        "  - team.yaml:7: rules[1] (big-deal-dollars).when: column 10: write the number out: "
        "$500k is 500000 (amounts compare in the deal's own currency, with no currency mark)",
        "  - team.yaml:10: rules[2] (big-deal-commas).when: column 11: write the number out: "
        "1,000,000 is 1000000",
        "  - team.yaml:13: rules[3] (discount-whole).when: column 12: discount is a percentage, "
        "read as a fraction (20% is 0.2): 20 would mean 2000%; write 20%",
        "  - team.yaml:16: rules[4] (close-slash).when: column 23: date() takes year-month-day, "
        'such as date("2026-12-31"); found "2026/12/31": write date("2026-12-31")',
        "  - team.yaml:19: rules[5] (close-bare).when: column 18: cannot compare expected_close "
        '(a date) with 2026-12-31 (a number); write dates as date("2026-12-31")',
        "  - team.yaml:22: rules[6] (close-soon).when: column 24: cannot add 30 (a number) to "
        "today (a date); + and - work on numbers, or on a date and days(n): write today + "
        "days(30)",
        "  - team.yaml:25: rules[7] (curly-quotes).when: column 10: text goes in straight "
        'double quotes, such as "Li", not “…: type them with the input method\'s English '
        "(half-width) punctuation",
    ]


def test_full_width_punctuation_and_a_spaced_percent_are_read(tmp_path: Path, cli: Cli) -> None:
    """A Chinese input method types （ ） ＞ ％ and the ideographic space: the condition means
    what the ASCII would, and fires on exactly the rows it should."""
    src = tmp_path / "deals.csv"
    with src.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [["商机编号", "客户", "阶段", "负责人", "金额", "预计成交日期", "折扣", "审批人"],
             ["S-1", "甲", "报价与谈判", "张伟", 600000, "2026-12-31", "25%", ""],
             ["S-2", "乙", "报价与谈判", "张伟", 400000, "2026-12-31", "25%", ""],
             ["S-3", "丙", "报价与谈判", "张伟", 600000, "2026-12-31", "20%", ""],
             ["S-4", "丁", "报价与谈判", "张伟", 600000, "2026-12-31", "30%", "李娜"]]
        )  # fmt: skip
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nrules:\n  - id: big-discount\n"
        "    when: （amount　＞　500000） and discount > 20 ％\n"
        "    require: [approver]\n    severity: error\n",
        "utf-8",
    )
    assert cli("config", "check", cfg).exit_code == 0
    code, out = cli.json("validate", src, "--config", cfg, "--today", "2026-11-28")
    assert code == 1
    team = [(f["code"], f["deal_id"], f["cell"]) for f in out["findings"] if f["deal_id"]]
    assert team == [("big-discount", "S-1", "H2")]


def test_a_stage_name_without_quotes_is_told_to_quote_it(tmp_path: Path, cli: Cli) -> None:
    """`stage == negotiation` listed every field of the profile ('unknown name'), and
    `stage >= 报价与谈判` said only `unexpected character '报'`."""
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nrules:\n"
        "  - id: won-contract\n    when: stage == negotiation\n    require: [contract_no]\n"
        "  - id: late-contact\n    when: stage >= 报价与谈判\n    check: contact is not empty\n",
        "utf-8",
    )
    result = cli("config", "check", cfg)
    output = result.output.replace(str(cfg), "team.yaml")
    assert (result.exit_code, [x for x in output.splitlines() if x.startswith("  - ")]) == (
        2,
        [
            "  - team.yaml:4: rules[0] (won-contract).when: column 10: 'negotiation' is a stage: "
            'a stage name goes in double quotes, write "negotiation"',
            "  - team.yaml:7: rules[1] (late-contact).when: column 10: unexpected character '报' "
            '(a stage name goes in double quotes: write "报价与谈判")',
        ],
    )


def test_holiday_calendars_are_checked_when_the_config_loads(tmp_path: Path, cli: Cli) -> None:
    """`holidays: [XX]` passed `config check` and then crashed `stalled` and `run` (exit 70,
    NotImplementedError: Country XX not available); `[CN, US]` silently used US only; `cn`
    was refused although it is CN; `2026-10-1` said only `Invalid isoformat string`."""
    src = write_csv(tmp_path / "deals.csv", [["D-1", "Acme", "lead", "Ann", 1000, "2026-12-31"]])
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nstall:\n  business_days: true\n  holidays: [XX, 2026-10-1, CN, US]\n",
        "utf-8",
    )
    result = cli("stalled", src, "--config", cfg, "--today", "2026-11-28")
    output = result.output.replace(str(cfg), "team.yaml")
    assert (result.exit_code, [x for x in output.splitlines() if x.startswith("  - ")]) == (
        2,
        [
            "  - team.yaml:4: stall.holidays[0]: found 'XX' (text), expected a country code the "
            "holiday calendar knows (CN, US, GB, DE, ...)",
            "  - team.yaml:4: stall.holidays[1]: found '2026-10-1' (text) (write 2026-10-01), "
            "expected an ISO date or a country code (CN)",
            "  - team.yaml:4: stall.holidays[3]: found 'US' (text), expected one country code "
            "(the calendar of CN); the other country's days off go in as ISO dates",
        ],
    )
    cfg.write_text("extends: b2b\nstall:\n  business_days: true\n  holidays: [cn]\n", "utf-8")
    assert cli("config", "check", cfg).exit_code == 0
    assert cli("stalled", src, "--config", cfg, "--today", "2026-11-28").exit_code == 0


def test_a_misspelt_chinese_stage_is_suggested_in_chinese(tmp_path: Path, cli: Cli) -> None:
    """`stage == "合同签定"` (签定 for 签订) suggested `did you mean 'contract'?`: the id, not
    the name the team writes."""
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nrules:\n  - id: won-contract\n"
        '    when: stage in ["报价与谈判", "合同签定"]\n    require: [contract_no]\n',
        "utf-8",
    )
    result = cli("config", "check", cfg)
    assert result.exit_code == 2
    assert (
        "rules[0] (won-contract).when: column 20: unknown stage '合同签定' (did you mean "
        "'合同签订' (contract)?); expected one of the profile's stages: research, lead, "
        "opportunity, follow_up, negotiation, contract, delivery, lost (ids, labels or aliases)"
    ) in result.output


def test_a_check_on_an_unreadable_cell_is_reported_once_as_bad_value(
    tmp_path: Path, cli: Cli
) -> None:
    """预计成交日期 `下周` was a bad-value AND a `close-in-future: 预计成交日期已过` (the date has
    not passed: it could not be read), as a Discount of `abc` failed `discount <= 20%`."""
    src = tmp_path / "deals.csv"
    src.write_text(
        "商机编号,客户,阶段,负责人,金额（万元）,预计成交日期,折扣\n"
        "S-1,甲,报价与谈判,张伟,60,2026-12-20,25%\n"
        "S-2,乙,报价与谈判,张伟,50,2026-12-20,abc\n"
        "S-3,丙,报价与谈判,张伟,70,下周,10%\n"
        "S-4,丁,报价与谈判,张伟,70,2026-11-01,10%\n",
        "utf-8",
    )
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nrules:\n"
        "  - id: close-in-future\n    check: expected_close >= today\n"
        "    message: 预计成交日期已过\n"
        "  - id: discount-cap\n    check: discount <= 20%\n",
        "utf-8",
    )
    code, out = cli.json("validate", src, "--config", cfg, "--today", "2026-11-28")
    got = [(f["code"], f["cell"], f["value"]) for f in out["findings"] if f["deal_id"]]
    assert sorted(got) == [
        ("bad-value", "F4", "下周"),
        ("bad-value", "G3", "abc"),
        ("close-date-passed", "F5", "2026-11-01"),
        ("close-in-future", "F5", "2026-11-01"),
        ("discount-cap", "G2", "25%"),
    ]


def test_a_failed_check_names_the_cell_of_the_part_that_failed(tmp_path: Path, cli: Cli) -> None:
    """`check: owner is not empty and amount > 55` on a deal with an owner and an amount of 50
    pointed at the Owner cell (D3, owner filled): the cell of the first field, not of the
    part that failed."""
    src = write_csv(
        tmp_path / "deals.csv",
        [["D-1", "Acme", "lead", "", 60, "2026-12-31"],
         ["D-2", "Beta", "lead", "Bob", 50, "2026-12-31"],
         ["D-3", "Gamma", "lead", "Cy", 70, "2026-12-31"]],
    )  # fmt: skip
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nrules:\n  - id: owner-and-size\n"
        "    check: owner is not empty and amount > 55\n",
        "utf-8",
    )
    code, out = cli.json("validate", src, "--config", cfg, "--today", "2026-11-28")
    rule = "owner-and-size"  # the team's own code (not the catalogue's)
    got = [
        (f["deal_id"], f["cell"], f["column"], f["value"])
        for f in out["findings"]
        if f["code"] == rule
    ]
    assert got == [("D-1", "D2", "Owner", None), ("D-2", "E3", "Amount", "50")]
