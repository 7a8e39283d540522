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
