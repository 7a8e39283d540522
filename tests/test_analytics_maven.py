"""Per-agent deal counts and win rates on the Maven CRM corpus equal a plain csv computation."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest

from salessheet.analytics import build_report
from salessheet.api import evaluate_source

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MAVEN = CORPUS / "maven_crm_sales_opportunities" / "sales_pipeline.csv"
PROFILE = Path(__file__).resolve().parents[1] / "examples" / "maven.yaml"
TODAY = dt.date(2017, 12, 31)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    if not MAVEN.exists():
        pytest.skip(f"corpus file {MAVEN} is not available")
    if not PROFILE.exists():
        pytest.skip(f"{PROFILE} is not available")
    with MAVEN.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def evaluation(rows):  # noqa: ANN001, ANN201 - rows only orders the skips
    return evaluate_source(MAVEN, profile=str(PROFILE), today=TODAY)


def plain(rows: list[dict[str, str]], keep=lambda r: True) -> dict[str, tuple[int, int, int]]:  # noqa: ANN001
    """agent -> (deals, won, lost), counted with the csv module."""
    deals: dict[str, int] = defaultdict(int)
    won: dict[str, int] = defaultdict(int)
    lost: dict[str, int] = defaultdict(int)
    for r in rows:
        deals[r["sales_agent"]] += 1
        if keep(r):
            won[r["sales_agent"]] += r["deal_stage"] == "Won"
            lost[r["sales_agent"]] += r["deal_stage"] == "Lost"
    return {a: (deals[a], won[a], lost[a]) for a in deals}


def test_per_agent_counts_and_win_rates_match_csv(rows, evaluation) -> None:  # noqa: ANN001
    expected = plain(rows)
    rep = build_report(evaluation)
    got = {o.owner: (o.deals, o.won, o.lost) for o in rep.owners}
    assert got == expected
    assert len(got) == 30
    for o in rep.owners:
        d, w, lost = expected[o.owner]
        assert o.win_rate == w / (w + lost)
    as_json = {o["owner"]: o["win_rate"] for o in rep.to_dict()["owners"]}
    assert as_json == {a: round(w / (w + lost), 4) for a, (_, w, lost) in expected.items()}
    total_won = sum(w for _, w, _ in expected.values())
    total_lost = sum(lost for _, _, lost in expected.values())
    assert (rep.conversion.win_rate.won, rep.conversion.win_rate.lost) == (total_won, total_lost)
    assert rep.funnel.deals == len(rows)


def test_window_win_rates_match_csv(rows, evaluation) -> None:  # noqa: ANN001
    """Closed deals carry their close date in close_date: the window filters on it."""
    since, until = dt.date(2017, 4, 1), dt.date(2017, 6, 30)

    def closed_in_q2(r: dict[str, str]) -> bool:
        return bool(r["close_date"]) and since <= dt.date.fromisoformat(r["close_date"]) <= until

    expected = plain(rows, closed_in_q2)
    rep = build_report(evaluation, since=since, until=until)
    got = {o.owner: (o.deals, o.won, o.lost) for o in rep.owners}
    assert got == expected
    assert sum(o.won + o.lost for o in rep.owners) < sum(w + x for _, w, x in plain(rows).values())


def test_cycle_length_is_engage_to_close(rows, evaluation) -> None:  # noqa: ANN001
    from statistics import median

    rep = build_report(evaluation)
    cycles: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        if r["deal_stage"] == "Won" and r["engage_date"] and r["close_date"]:
            days = (
                dt.date.fromisoformat(r["close_date"]) - dt.date.fromisoformat(r["engage_date"])
            ).days
            cycles[r["sales_agent"]].append(days)
    got = {o.owner: o.cycle_median for o in rep.owners}
    assert got == {a: median(v) for a, v in cycles.items()}
