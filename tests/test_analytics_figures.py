"""Analytics figures on a small hand-made pipeline with two earlier runs in its ledger.

Every expected number below is worked out by hand from the rows in ``build`` (see comments).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import make_xlsx

from salessheet.analytics import build_report, load_rates
from salessheet.analytics.figures import p90
from salessheet.analytics.figures import time_in_stage as time_figure
from salessheet.analytics.html import render_html
from salessheet.analytics.text import render_text
from salessheet.api import evaluate_source
from salessheet.core.display import width
from salessheet.core.errors import ConfigError, UsageError
from salessheet.core.records import StageSpan
from salessheet.settings.profile import load_profile

TODAY = dt.date(2026, 11, 28)
D = dt.date
HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Currency", "Owner", "Expected Close",
          "Stage Date", "Created", "Lost Reason", "Probability"]  # fmt: skip
LEDGER = ["Run", "Run Date", "Deal ID", "Event", "From", "To", "Effective Date", "Date Source",
          "Note"]  # fmt: skip


def build(tmp_path: Path) -> Path:
    rows = [
        HEADER,
        # D1 lead (09-20) -> opportunity (10-20); close pushed 12-15 -> 01-15 (one slip); 30%
        ["D1", "Acme", "Opportunity", 10000, "CNY", "Ann", D(2027, 1, 15), D(2026, 10, 20),
         None, None, 30],
        # D2 first seen in opportunity (entry unknown) -> follow_up 10-25 -> negotiation 11-20
        ["D2", "Beta", "Negotiation", 20000, "CNY", "Ann", D(2026, 12, 20), D(2026, 11, 20),
         None, None, 50],
        # D3 negotiation (09-25) -> contract (10-28): won
        ["D3", "Gamma", "Contract", 100000, "CNY", "Ann", D(2026, 11, 30), D(2026, 10, 28),
         None, None, None],
        # D4 follow_up (09-28) -> lost (10-30)
        ["D4", "Delta", "Lost", 5000, "CNY", "Bo", D(2027, 1, 10), D(2026, 10, 30),
         None, "Price", None],
        # D5 lead since 09-30: stalled (59 days, limit 14)
        ["D5", "Epsilon", "Lead", 8000, "CNY", "Bo", D(2027, 2, 1), D(2026, 9, 30),
         None, None, None],
        # new this run
        ["D6", "Zeta", "Research", 3000, "CNY", "Bo", None, D(2026, 11, 25),
         D(2026, 11, 25), None, None],
        ["D7", "Eta", "Lost", 7000, "CNY", "Ann", None, D(2026, 11, 10), None, "price ", None],
        ["D8", "Theta", "Delivery", 1000, "USD", "Bo", D(2026, 11, 15), D(2026, 11, 15),
         D(2026, 8, 1), None, None],
    ]  # fmt: skip
    r1, r2 = D(2026, 10, 1), D(2026, 11, 1)
    ledger = [
        LEDGER,
        ["R0001", r1, "D1", "seen", "", "lead", D(2026, 9, 20), "sheet", "close=2026-12-15"],
        ["R0001", r1, "D2", "seen", "", "opportunity", r1, "run", "close=2026-12-20"],
        ["R0001", r1, "D3", "seen", "", "negotiation", D(2026, 9, 25), "sheet",
         "close=2026-11-30"],
        ["R0001", r1, "D4", "seen", "", "follow_up", D(2026, 9, 28), "sheet", "close=2027-01-10"],
        ["R0001", r1, "D5", "seen", "", "lead", D(2026, 9, 30), "sheet", ""],
        ["R0002", r2, "D1", "stage", "lead", "opportunity", D(2026, 10, 20), "sheet", ""],
        ["R0002", r2, "D2", "stage", "opportunity", "follow_up", D(2026, 10, 25), "sheet", ""],
        ["R0002", r2, "D3", "stage", "negotiation", "contract", D(2026, 10, 28), "sheet", ""],
        ["R0002", r2, "D4", "stage", "follow_up", "lost", D(2026, 10, 30), "sheet", ""],
        ["R0002", r2, "D1", "close", "2026-12-15", "2027-01-15", r2, "run", ""],
        ["R0002", r2, "D5", "close", "", "2027-02-01", r2, "run", ""],
    ]  # fmt: skip
    ledger = [[v.isoformat() if isinstance(v, dt.date) else v for v in row] for row in ledger]
    return make_xlsx(tmp_path / "pipeline.xlsx", {"Pipeline": rows, "salessheet history": ledger})


def report(tmp_path: Path, **kw):
    ev = evaluate_source(build(tmp_path), today=TODAY)
    return build_report(ev, **kw)


def by_stage(rows: list[dict]) -> dict[str, dict]:
    return {r["stage"]: r for r in rows}


def test_funnel_counts_amounts_and_probability_scale(tmp_path: Path) -> None:
    out = report(tmp_path).to_dict()
    f = out["funnel"]
    assert f["deals"] == 8
    assert f["probability"]["scale"] == "0-100"  # 30 and 50 are above 1
    assert f["probability"]["column"] == "Probability"
    assert (f["probability"]["deals_from_column"], f["probability"]["deals_from_stage"]) == (2, 6)
    st = by_stage(f["stages"])
    got = {
        k: (v["deals"], v["amount"]["by_currency"], v["weighted"]["by_currency"])
        for k, v in st.items()
    }
    assert got == {
        "research": (1, {"CNY": "3000.00"}, {"CNY": "150.00"}),  # 5 %
        "lead": (1, {"CNY": "8000.00"}, {"CNY": "800.00"}),  # 10 %
        "opportunity": (1, {"CNY": "10000.00"}, {"CNY": "3000.00"}),  # sheet says 30
        "follow_up": (0, {}, {}),
        "negotiation": (1, {"CNY": "20000.00"}, {"CNY": "10000.00"}),  # sheet says 50
        "contract": (1, {"CNY": "100000.00"}, {"CNY": "100000.00"}),
        "delivery": (1, {"USD": "1000.00"}, {"USD": "1000.00"}),
        "lost": (2, {"CNY": "12000.00"}, {"CNY": "0.00"}),
    }
    assert f["amount"]["by_currency"] == {"CNY": "153000.00", "USD": "1000.00"}


def test_weighted_stage_rows_add_up_to_the_total_to_the_cent(tmp_path: Path) -> None:
    """Each deal's weighted amount is rounded once: three half-cent weights (100.01 x 50 %)
    give rows of 50.01 and totals of 150.03 (rounded only at the end the total read 150.02),
    and with a rate table the converted figures add up the same way."""
    header = ["Deal ID", "Customer", "Stage", "Amount", "Currency", "Probability", "Owner"]
    rows = [[d, "Acme", s, Decimal("100.01"), "USD", 50, "Ann"]
            for d, s in (("A", "Lead"), ("B", "Negotiation"), ("C", "Opportunity"))]  # fmt: skip
    book = make_xlsx(tmp_path / "w.xlsx", {"Pipeline": [header, *rows]})
    ev = evaluate_source(book, today=TODAY)
    out = build_report(ev).to_dict()
    weighted = [r["weighted"]["by_currency"] for r in out["funnel"]["stages"] if r["deals"]]
    assert weighted == [{"USD": "50.01"}] * 3
    assert out["funnel"]["weighted"]["by_currency"] == {"USD": "150.03"}
    assert out["summary"]["open_weighted"]["by_currency"] == {"USD": "150.03"}
    rates = tmp_path / "rates.json"
    rates.write_text(json.dumps({"as_of": "2026-11-01", "base": "CNY", "rates": {"USD": "0.5"}}))
    out = build_report(ev, rates=load_rates(rates)).to_dict()
    converted = [r["weighted"]["converted"] for r in out["funnel"]["stages"] if r["deals"]]
    assert converted == ["25.01"] * 3  # 50.005 x 0.5 = 25.0025 -> 25.00 once, 25.01 per deal
    assert out["funnel"]["weighted"]["converted"] == "75.03"


def test_a_configured_probability_scale_is_named_as_the_sheet_writes_it(tmp_path: Path) -> None:
    """config init writes scale: 0.01 for a 0-100 probability column: the report still calls
    the column 0-100 (in JSON "scale": "0-100", as when it was detected), and weights by it."""
    config = tmp_path / "team.yaml"
    config.write_text("extends: b2b\ncolumns:\n  probability: {scale: 0.01}\n", "utf-8")
    ev = evaluate_source(build(tmp_path), profile=load_profile(str(config)), today=TODAY)
    f = build_report(ev).to_dict()["funnel"]
    assert f["probability"]["scale"] == "0-100"
    assert f["probability"]["note"] == (
        "column 'Probability' read as 0–100 (scale: 0.01 in the config)"
    )
    st = by_stage(f["stages"])
    assert st["negotiation"]["weighted"]["by_currency"] == {"CNY": "10000.00"}  # 50 of 20,000


def test_probability_as_fractions_when_no_value_above_one(tmp_path: Path) -> None:
    from salessheet.analytics.figures import probability_basis

    basis, divisor = probability_basis([Decimal("0.3"), None, Decimal("1")], "Win %")
    assert (basis.scale, divisor) == ("0-1", Decimal(1))
    assert "0–1" in basis.note
    basis, divisor = probability_basis([None], "Win %")
    assert (basis.scale, divisor) == (None, None)


def test_conversion_and_win_rate(tmp_path: Path) -> None:
    out = report(tmp_path).to_dict()
    c = out["conversion"]
    # furthest stage reached: D1 opp, D2 neg, D3 contract, D4 follow_up (then lost), D5 lead,
    # D6 research, D8 delivery; D7 was first seen lost: unknown, left out
    assert (c["deals"], c["lost_unknown_stage"]) == (7, 1)
    got = [(r["stage"], r["deals"], r["advanced"], r["still_here"], r["lost_here"], r["rate"])
           for r in c["stages"]]  # fmt: skip
    assert got == [
        ("research", 7, 6, 1, 0, 0.8571),
        ("lead", 6, 5, 1, 0, 0.8333),
        ("opportunity", 5, 4, 1, 0, 0.8),
        ("follow_up", 4, 3, 0, 1, 0.75),
        ("negotiation", 3, 2, 1, 0, 0.6667),
    ]
    assert c["win_rate"] == {"won": 2, "lost": 2, "deals": 4, "rate": 0.5}
    # negotiation converts worst but rests on 3 deals (< 5): opportunity is named instead
    assert out["bottleneck"]["worst_conversion"] == {"stage": "opportunity", "rate": 0.8,
                                                     "deals": 5}  # fmt: skip


def test_time_in_stage_prefers_ledger_and_says_what_it_rests_on(tmp_path: Path) -> None:
    out = report(tmp_path).to_dict()
    t = by_stage(out["time_in_stage"])
    assert "delivery" not in t and "lost" not in t  # terminal stages have no time in stage
    got = {k: (v["basis"], v["deals"], v["median_days"], v["p90_days"]) for k, v in t.items()}
    assert got == {
        "research": ("current", 1, 3, 3),  # D6 since 11-25
        "lead": ("current", 1, 59, 59),  # D5 since 09-30 (one completed stay: D1, 30 days)
        "opportunity": ("current", 1, 39, 39),  # D1 since 10-20; D2's entry is unknown
        "follow_up": ("ledger", 2, 29, 32),  # D2 26 days, D4 32 days; nobody there now
        "negotiation": ("current", 1, 8, 8),  # D2 since 11-20 (D3 stayed 33 days)
        "contract": ("current", 1, 31, 31),  # D3 since 10-28
    }
    assert t["lead"]["completed_stays"] == 1
    assert t["opportunity"]["completed_stays"] == 0  # D2's first stay: entry date unknown
    assert out["bottleneck"]["longest_time"] == {"stage": "lead", "median_days": 59,
                                                 "basis": "current", "deals": 1}  # fmt: skip


def test_time_in_stage_from_completed_stays() -> None:
    prof = load_profile("b2b")
    spans = {
        "A": [StageSpan("A", "lead", D(2026, 1, 1), D(2026, 1, 11), True)],  # 10
        "B": [StageSpan("B", "research", D(2026, 1, 1), D(2026, 1, 2), False),
              StageSpan("B", "lead", D(2026, 1, 2), D(2026, 1, 6), False)],  # 4 (entry known)
        "C": [StageSpan("C", "lead", D(2026, 1, 1), D(2026, 3, 2), False)],  # entry unknown
        "E": [StageSpan("E", "lead", D(2026, 2, 1), D(2026, 2, 21), True)],  # 20
        "F": [StageSpan("F", "lead", D(2026, 2, 1), D(2026, 2, 3), True)],  # 2
    }  # fmt: skip
    times = {t.stage.id: t for t in time_figure(spans, [], prof, D(2026, 4, 1), {})}
    lead = times["lead"]
    assert (lead.basis, sorted(lead.completed), lead.median, lead.p90) == (
        "ledger", [2, 4, 10, 20], 7, 20)  # fmt: skip
    assert times["research"].basis == "none"
    assert "2+ runs" in times["research"].to_dict()["note"]


def test_percentiles() -> None:
    assert p90(list(range(1, 11))) == 9
    assert p90([5]) == 5
    assert p90([1, 2, 3, 4, 100]) == 100
    assert p90([]) is None


def test_forecast_by_month(tmp_path: Path) -> None:
    out = report(tmp_path).to_dict()
    fc = out["forecast"]
    assert fc["deals"] == 4  # D1, D2, D5, D6
    got = [(b["key"], b["deals"], b["weighted"]["by_currency"]) for b in fc["buckets"]]
    assert got == [
        ("overdue", 0, {}),
        ("2026-11", 0, {}),
        ("2026-12", 1, {"CNY": "10000.00"}),  # D2
        ("2027-01", 1, {"CNY": "3000.00"}),  # D1
        ("2027-02", 1, {"CNY": "800.00"}),  # D5
        ("2027-03", 0, {}),
        ("2027-04", 0, {}),
        ("later", 0, {}),
        ("no-date", 1, {"CNY": "150.00"}),  # D6
    ]
    assert fc["weighted"]["by_currency"] == {"CNY": "13950.00"}


def test_per_owner(tmp_path: Path) -> None:
    out = report(tmp_path).to_dict()
    got = {
        o["owner"]: (o["deals"], o["open"], o["open_amount"]["by_currency"],
                     o["weighted"]["by_currency"], o["won"], o["lost"], o["win_rate"],
                     o["cycle_median_days"], o["cycle_deals"], o["stalled"])
        for o in out["owners"]
    }  # fmt: skip
    assert got == {
        # D3: first seen open in negotiation 09-25, won 10-28 -> 33 days; D1 stalled
        "Ann": (4, 2, {"CNY": "30000.00"}, {"CNY": "13000.00"}, 1, 1, 0.5, 33, 1, 1),
        # D8: created 08-01, delivered (won) 11-15 -> 106 days; D5 stalled
        "Bo": (4, 2, {"CNY": "11000.00"}, {"CNY": "950.00"}, 1, 1, 0.5, 106, 1, 1),
    }
    assert [o["owner"] for o in out["owners"]] == ["Ann", "Bo"]  # most weighted first


def test_stalled_slips_lost_reasons(tmp_path: Path) -> None:
    out = report(tmp_path).to_dict()
    assert [(s["deal_id"], s["days"], s["threshold"]) for s in out["stalled"]] == [
        ("D5", 59, 14),
        ("D1", 39, 21),
    ]
    sl = out["slips"]
    assert (sl["available"], sl["runs"], sl["deals_slipped"], sl["total_slips"]) == (
        True, 2, 1, 1)  # fmt: skip
    assert sl["top"] == [{"deal_id": "D1", "owner": "Ann", "slips": 1,
                          "expected_close": "2027-01-15"}]  # fmt: skip
    assert sl["close_date_passed"] == 0
    assert out["lost_reasons"] == {
        "deals": 2,
        "without_reason": 0,
        "reasons": [{"reason": "Price", "deals": 2}],  # "Price" and "price " are one reason
    }
    assert out["history"] == {"runs": 2, "first_run": "2026-10-01", "last_run": "2026-11-01"}
    assert out["summary"]["stalled"] == 2


def test_window_counts_deals_closed_in_it(tmp_path: Path) -> None:
    out = report(tmp_path, since=D(2026, 11, 1), until=D(2026, 11, 30)).to_dict()
    # closed in November: D8 won 11-15, D7 lost 11-10; D3 (10-28) and D4 (10-30) are before
    assert out["conversion"]["win_rate"] == {"won": 1, "lost": 1, "deals": 2, "rate": 0.5}
    owners = {o["owner"]: (o["won"], o["lost"]) for o in out["owners"]}
    assert owners == {"Ann": (0, 1), "Bo": (1, 0)}
    assert out["lost_reasons"]["reasons"] == [{"reason": "price", "deals": 1}]
    # conversion: deals active in November (D3 and D4 closed before it)
    assert out["conversion"]["deals"] == 5
    assert out["funnel"]["deals"] == 8  # the funnel is as of today
    assert out["window"] == {"since": "2026-11-01", "until": "2026-11-30"}


def test_window_must_be_ordered(tmp_path: Path) -> None:
    ev = evaluate_source(build(tmp_path), today=TODAY)
    with pytest.raises(UsageError, match="after --until"):
        build_report(ev, since=D(2026, 12, 1), until=D(2026, 11, 1))


def test_rates_convert_and_unpriced_deals_are_counted(tmp_path: Path) -> None:
    ev = evaluate_source(build(tmp_path), today=TODAY)
    rates = {"as_of": D(2026, 11, 27), "base": "CNY", "rates": {"USD": Decimal("7.1")}}
    out = build_report(ev, rates=rates).to_dict()
    st = by_stage(out["funnel"]["stages"])
    assert st["delivery"]["amount"]["converted"] == "7100.00"
    assert out["funnel"]["amount"]["converted"] == "160100.00"  # 153000 + 1000 x 7.1
    assert out["forecast"]["rates"] == {"as_of": "2026-11-27", "base": "CNY",
                                        "rates": {"USD": "7.1"}}  # fmt: skip
    # a table without USD: the USD deal is counted but not priced
    rates = {"as_of": D(2026, 11, 27), "base": "CNY", "rates": {"EUR": Decimal("7.7")}}
    out = build_report(ev, rates=rates).to_dict()
    total = out["funnel"]["amount"]
    assert (total["converted"], total["unpriced_deals"]) == ("153000.00", 1)
    assert by_stage(out["funnel"]["stages"])["delivery"]["deals"] == 1
    assert any("No rate for USD" in n for n in out["notes"])


def test_rate_file(tmp_path: Path) -> None:
    good = tmp_path / "rates.json"
    good.write_text('{"as_of": "2026-11-27", "base": "CNY", "rates": {"USD": 7.1, "EUR": "7.70"}}')
    assert load_rates(good) == {
        "as_of": D(2026, 11, 27),
        "base": "CNY",
        "rates": {"USD": Decimal("7.1"), "EUR": Decimal("7.70")},
    }
    bad = tmp_path / "bad.json"
    bad.write_text('{"as_of": "27/11/2026", "base": "CNY", "rates": {"USD": -1, "XX": 2}}')
    with pytest.raises(ConfigError) as err:
        load_rates(bad)
    assert str(bad) in err.value.message
    assert err.value.problems == [
        "as_of: '27/11/2026' is not a date YYYY-MM-DD",
        "rates.USD: Decimal('-1'); expected a positive number",
        "rates.XX: not an ISO 4217 currency code",
    ]
    broken = tmp_path / "broken.json"
    broken.write_text("{as_of: 1}")
    with pytest.raises(ConfigError, match="not valid JSON at line 1"):
        load_rates(broken)


def test_text_report_fits_100_columns_and_has_totals(tmp_path: Path) -> None:
    text = render_text(report(tmp_path))
    lines = text.splitlines()
    assert max(width(line) for line in lines) <= 100
    funnel_total = next(line for line in lines if line.strip().startswith("Total"))
    assert funnel_total.split()[:3] == ["Total", "8", "100%"]
    assert "  Win rate (won / closed): 50% — 2 won, 2 lost" in lines
    # the stage as D5's cell writes it (the Chinese profile's label would be 客户开发)
    assert any(line.split()[:3] == ["D5", "Bo", "Lead"] for line in lines)
    # (the ledger has 2 runs: the header says so too)
    assert (
        "  Expected close pushed back: 1 open deal, 1 push in all, over 2 runs and today's sheet"
        in lines
    )


def test_json_is_serialisable_and_names_its_basis(tmp_path: Path) -> None:
    out = json.loads(json.dumps(report(tmp_path).to_dict(), ensure_ascii=False))
    for key in ("funnel", "conversion", "forecast", "slips", "lost_reasons"):
        assert isinstance(out[key]["deals"], int), key
    for t in out["time_in_stage"]:
        assert t["basis"] in ("ledger", "current", "none") and isinstance(t["deals"], int)


def test_empty_and_tiny_pipelines_name_no_bottleneck(tmp_path: Path) -> None:
    empty = make_xlsx(tmp_path / "empty.xlsx", {"Pipeline": [["Deal ID", "Stage", "Amount"]]})
    rep = build_report(evaluate_source(empty, today=TODAY))
    assert rep.to_dict()["summary"]["win_rate"] is None
    assert "Bottleneck" not in render_text(rep)
    assert "not enough deals" in render_html(rep)
    rows = [["Deal ID", "Stage", "Amount", "Currency"], ["A", "Lead", None, "usd"],
            ["B", "Lost", 5, "XYZ"], ["C", "Negotiation", 100, "EUR"]]  # fmt: skip
    tiny = make_xlsx(tmp_path / "tiny.xlsx", {"Pipeline": rows})
    rates = {"as_of": D(2026, 1, 1), "base": "CNY", "rates": {"EUR": "7.7"}}
    out = build_report(evaluate_source(tiny, today=TODAY), rates=rates).to_dict()
    assert out["bottleneck"]["worst_conversion"] is None  # 1 deal at negotiation says nothing
    total = out["funnel"]["amount"]
    # A has no amount; B's XYZ has no rate; "usd" is read as USD
    assert (total["converted"], total["unpriced_deals"], total["deals_without_amount"]) == (
        "770.00", 1, 1)  # fmt: skip
    assert any("rate table is 331 days old" in n for n in out["notes"])


def test_json_top_level_keys_are_the_documented_ones(tmp_path: Path) -> None:
    out = report(tmp_path).to_dict()
    assert list(out) == [
        "source", "sheet", "today", "profile", "window", "currency", "history", "summary",
        "funnel", "conversion", "time_in_stage", "bottleneck", "forecast", "owners", "stalled",
        "slips", "lost_reasons", "forecast_accuracy", "notes", "stage_labels",
    ]  # fmt: skip
    assert out["summary"] == {
        "deals": 8,
        "open": 4,
        "won": 2,
        "lost": 2,
        "win_rate": 0.5,
        "stalled": 2,
        "open_weighted": {
            "by_currency": {"CNY": "13950.00"},
            "base": None,
            "converted": None,
            "unpriced_deals": 0,
            "deals_without_amount": 0,
        },
    }


def test_time_in_stage_says_why_a_stage_has_no_figures(cli, tmp_path: Path) -> None:
    """After six runs the text said "no entry dates — needs 2+ runs" for every stage whose
    deals had sat there since the first run, and for stages nobody was in."""
    head = ["Deal ID", "Customer", "Stage", "Amount", "Owner"]
    rows = [["D-1", "A", "lead", 100, "Ann"], ["D-2", "B", "lead", 200, "Ann"],
            ["D-3", "C", "negotiation", 300, "Bob"]]  # fmt: skip
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": [head, *rows]})
    for day in ("2026-11-01", "2026-11-08"):
        cli("run", path, "--today", day)
    text = cli("report", path, "--today", "2026-11-09").output
    lines = text[text.index("Time in stage") :].splitlines()[3:9]
    based_on = [line.split("—")[-1].strip() for line in lines]
    assert based_on == [
        "no deal there yet",  # research
        "2 entered before the first run",  # lead
        "no deal there yet",
        "no deal there yet",
        "1 entered before the first run",  # negotiation
        "no deal there yet",
    ]


def test_conversion_leaves_out_stages_no_deal_was_ever_in(tmp_path: Path) -> None:
    """A team that never uses Research (winkeldev's Salesforce export starts at 'Interes') saw
    'Research → Interes 309 309 100%': every deal taken to have passed a stage nobody uses.
    Rows now run between the stages deals are or were in; a skipped middle stage (Opportunity)
    joins its neighbours, and the note names what was left out."""
    head = ["Deal ID", "Customer", "Stage", "Amount", "Owner"]
    rows = [["A", "Acme", "Lead", 100, "Ann"], ["B", "Beta", "Lead", 100, "Ann"],
            ["C", "Chi", "Follow-up", 100, "Bo"], ["D", "Del", "Negotiation", 100, "Bo"],
            ["E", "Eps", "Contract", 100, "Bo"]]  # fmt: skip
    book = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": [head, *rows]})
    rep = build_report(evaluate_source(book, today=TODAY))
    c = rep.to_dict()["conversion"]
    got = [(r["stage"], r["next_stage"], r["deals"], r["advanced"], r["rate"])
           for r in c["stages"]]  # fmt: skip
    assert got == [
        ("lead", "follow_up", 5, 3, 0.6),
        ("follow_up", "negotiation", 3, 2, 0.6667),
        ("negotiation", "contract", 2, 1, 0.5),
    ]
    assert c["note"] == (
        "no deal is or was in Research, Opportunity: left out of the conversion (a deal first "
        "seen further on is not counted as having passed it)"
    )
    text = render_text(rep)
    assert "Research →" not in text and "Opportunity →" not in text
    assert "  Lead → Follow-up" in text
    # named as the report names them: a sheet that writes its stages in Chinese reads Chinese
    rows = [["A", "甲", "客户开发", 100, "王芳"], ["B", "乙", "报价与谈判", 100, "王芳"]]
    book = make_xlsx(tmp_path / "zh.xlsx", {"Pipeline": [head, *rows]})
    c = build_report(evaluate_source(book, today=TODAY)).to_dict()["conversion"]
    assert [(r["stage"], r["next_stage"]) for r in c["stages"]] == [
        ("lead", "negotiation"),
        ("negotiation", "contract"),
    ]
    assert c["note"].startswith("no deal is or was in 市场调研, 销售机会, 客户跟进: left out")


def test_open_deals_without_amount_or_close_date_are_not_read_as_zero(tmp_path: Path) -> None:
    """Maven's export leaves Prospecting and Engaging deals without close_value and close_date:
    the report read 'Open pipeline, weighted: $0.00' and '0 of 2089 open deals are past their
    expected close' with no word that none of them had an amount or a date to be past."""
    head = ["Deal ID", "Customer", "Stage", "Amount", "Currency", "Owner", "Expected Close"]
    rows = [["A", "Acme", "Lead", None, "USD", "Ann", None],
            ["B", "Beta", "Negotiation", None, "USD", "Ann", None],
            ["C", "Chi", "Negotiation", 1000, "USD", "Bo", D(2026, 11, 1)],
            ["E", "Eps", "Contract", 500, "USD", "Bo", D(2026, 10, 1)]]  # fmt: skip
    book = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": [head, *rows]})
    rep = build_report(evaluate_source(book, today=TODAY))
    sl = rep.to_dict()["slips"]
    assert (sl["deals"], sl["close_date_passed"], sl["close_date_unknown"]) == (3, 1, 2)
    lines = render_text(rep).splitlines()
    assert "  Open pipeline, weighted: US$600.00" in lines  # C: 60 % of 1,000
    assert (
        "                           2 of 3 open deals have no amount: counted, not summed" in lines
    )
    assert "  1 of 3 open deals are past their expected close; 2 have none" in lines
    assert "past the expected close date; 2 have none." in render_html(rep)


def test_time_in_stage_before_any_run_does_not_speak_of_a_first_run(tmp_path: Path) -> None:
    """A new user's first report (no `run` yet, no stage dates: Maven's export) read '1,589
    entered before the first run' though there was no run at all."""
    head = ["Deal ID", "Customer", "Stage", "Amount", "Owner"]
    rows = [["D-1", "A", "lead", 100, "Ann"], ["D-2", "B", "lead", 200, "Ann"]]
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": [head, *rows]})
    text = render_text(build_report(evaluate_source(path, today=TODAY)))
    lines = text[text.index("Time in stage") :].splitlines()
    assert [line.split("  ")[-1] for line in lines[3:5]] == [
        "no deal there yet",  # research
        "2 there, no run yet",  # lead
    ]
    assert "before the first run" not in text


def test_a_pipeline_with_nothing_closed_says_so_for_the_win_rate(tmp_path: Path) -> None:
    """The Chinese 商机 template (one open deal) read 'Win rate (won / closed): — — 0 won,
    0 lost': two dashes and no sentence."""
    head = ["Deal ID", "Customer", "Stage", "Amount"]
    book = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": [head, ["A", "甲", "客户开发", 52]]})
    lines = render_text(build_report(evaluate_source(book, today=TODAY))).splitlines()
    assert "  Win rate (won / closed): none yet — no deal won or lost" in lines


def test_a_won_stage_is_not_named_the_slowest(tmp_path: Path) -> None:
    """A Salesforce-like sheet whose 'Closed Won' deals carry the day they were won as their
    stage date read 'Bottleneck: … longest Closed Won (median 696 days …)': days since the win.
    The slowest stage is chosen among the open ones; the time table still shows Closed Won."""
    head = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Stage Date"]
    rows = [[f"W{i}", "c", "Closed Won", 100, "Ann", D(2025, 1, 1)] for i in range(5)] + [
        [f"O{i}", "c", "Negotiation", 100, "Ann", D(2026, 10, 1)] for i in range(5)
    ]
    book = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": [head, *rows]})
    rep = build_report(evaluate_source(book, today=TODAY))
    out = rep.to_dict()
    assert out["bottleneck"]["longest_time"] == {
        "stage": "negotiation", "median_days": 58, "basis": "current", "deals": 5}  # fmt: skip
    assert by_stage(out["time_in_stage"])["contract"]["median_days"] == 696
    text = render_text(rep)
    assert "              longest Negotiation (median 58 days, 5 deals there now)" in text


def test_a_report_on_one_deal_counts_it_as_one(tmp_path: Path) -> None:
    """A new team's first sheet may hold one deal (the Chinese 商机 template does): the report
    read '1 deals', '1 open deals' in its text, its page and the charts' tips."""
    head = ["Deal ID", "Customer", "Stage", "Amount", "Currency", "Owner", "Expected Close"]
    rows = [["A", "Acme", "Negotiation", 1000, "USD", "Ann", D(2026, 12, 20)]]
    book = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": [head, *rows]})
    rep = build_report(evaluate_source(book, today=TODAY))
    text = render_text(rep)
    for line in ("  1 deal · 1 open · won 0 / lost 0",
                 "Funnel — 1 deal; ",
                 "Conversion — 1 deal (share",
                 "Forecast — 1 open deal by expected close month",
                 "  0 of 1 open deal are past their expected close"):  # fmt: skip
        assert line in text
    page = render_html(rep)
    assert ">1 open deal<" in page and ": 1 deal, " in page
    for wrong in ("1 deals", "1 open deals", "1 runs", "1 lost deals"):
        assert f" {wrong}" not in text and f" {wrong}" not in page and f">{wrong}" not in page
