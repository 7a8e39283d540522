"""`salessheet config init` as a new user runs it: on every corpus pipeline, the config it writes
reads the sheet with zero hand edits, and the deal count, per-stage counts and amount sums equal
an independent reading of the file (python-calamine or the csv module, the stage mapping this
test expects), no layout row being a deal."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
import python_calamine
import yaml
from conftest import CORPUS, TODAY, corpus_file, make_xlsx

from salessheet import api
from salessheet.settings.profile import load_profile

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Expect:
    """The reading this test expects of a corpus file (stated, not computed by salessheet)."""

    path: str
    sheet: str
    header_row: int
    id: str
    stage: str
    stages: dict[str, str]  # every stage value of the sheet -> profile stage
    amount: str | None = None
    currency: str | None = None  # header of a currency column, if the deals carry one
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    skip_rows: tuple[int, ...] = ()  # layout rows below the header (1-based sheet rows)
    id_twice: bool = False  # rows share ids: each id counted once, the last row wins
    marks: tuple = field(default=())


MAVEN = {"Prospecting": "lead", "Engaging": "follow_up", "Won": "contract", "Lost": "lost"}
CORPUS_FILES = [
    Expect(
        "ayusophia_sales_pipeline_assessment/Sales Pipeline.xlsx",
        "Sales Pipeline",
        2,  # row 1 holds =SUBTOTAL(...) above the header
        "Opportunity ID",  # not `index` (row numbers) nor `Row ID`: the deal, one row per item
        "Deal Stage",
        {
            "Negotiating": "negotiation",
            "Proposing": "negotiation",
            "Closed Won": "contract",
            "Closed Lost": "lost",
        },
        amount="Sales Amount",
        id_twice=True,
    ),
    Expect(
        "greede14_uipath_extract_opportunities/Opportunities.xlsx",
        "Opportunities",  # not `Converter` (FX rates)
        1,
        "Column-0",
        "Stage",
        {
            "Discovery": "lead",
            "Demo": "follow_up",
            "Proposal": "negotiation",
            "Negotiation": "negotiation",
            "Closed Won Booked": "contract",
            "Closed Won Pending": "contract",
            "Closed Lost": "lost",
        },
    ),
    Expect(
        "isimbisyl_sales_pipeline_tracker/Sales_Pipeline.xlsx",
        "Sales Pipeline",
        1,
        "Deal ID",
        "Stage",
        {
            "Lead": "lead",
            "Qualified": "opportunity",
            "Proposal": "negotiation",
            "Negotiation": "negotiation",
            "Closed Won": "contract",
            "Closed Lost": "lost",
        },
        amount="Deal Value",
    ),
    Expect(
        "jhurley89_googlesheets_sales_pipeline/sales_pipeline (5).xlsx",
        "sales_pipeline.csv",
        1,
        "opportunity_id",
        "deal_stage",
        MAVEN,
        amount="close_value",
    ),
    Expect(
        "mariacvega90_pipeline_prueba_deals/Deals.csv",
        "Deals",
        1,
        "deal_id",
        "stage",
        {
            "Discovery": "lead",
            "Qualification": "opportunity",
            "Negotiation": "negotiation",
            "Proposal": "negotiation",
            "Closed Won": "contract",
            "Closed Lost": "lost",
        },
        amount="amount_usd",
        delimiter=";",
    ),
    Expect(
        "maven_crm_sales_opportunities/sales_pipeline.csv",
        "sales_pipeline",
        1,
        "opportunity_id",
        "deal_stage",
        MAVEN,
        amount="close_value",
    ),
    Expect(
        "meriamalex_skill_test/sales_pipeline.xlsx",
        "sales_pipeline",
        1,
        "opportunity_id",
        "deal_stage",
        MAVEN,
        amount="close_value",
    ),
    Expect(
        "rahulanilnair_zoho_analytics_potentials/Potentials.csv",
        "Potentials",
        1,
        "LEADID",  # no deal id column; Potential Name is a person (699 distinct of 3,632)
        "Stage",
        {
            "Prospect": "lead",
            "Qualification": "opportunity",
            "Needs Analysis": "opportunity",
            "Initial Offer": "negotiation",
            "Proposal/Price Quote": "negotiation",
            "Negotiation/Review": "negotiation",
            "Closed Won": "contract",
            "Closed Lost": "lost",
        },
        amount="Amount",
    ),
    Expect(
        "salesforce_cpq_fizzly_demo/Opportunity.csv",
        "Opportunity",
        1,
        "Guid",
        "StageName",
        {
            "Prospecting": "lead",
            "Value Proposition": "opportunity",
            "Id. Decision Makers": "opportunity",
            "Needs Analysis": "opportunity",
            "Negotiation/Review": "negotiation",
            "Proposal/Price Quote": "negotiation",
            "Closed Won": "contract",
        },
        amount="Amount",
    ),
    Expect(
        "toofancodes_hubspotdummydata_deals/hubspot_deals.csv",
        "hubspot_deals",
        1,
        "Deal ID",
        "Deal Stage",
        {
            "Appointment Scheduled": "lead",
            "Qualified to Buy": "opportunity",
            "Presentation Scheduled": "follow_up",
            "Decision Maker Bought-In": "follow_up",
            "Contract Sent": "negotiation",
            "Closed Won": "contract",
            "Closed Lost": "lost",
        },
        amount="Amount",
    ),
    Expect(
        "winkeldev_sf_changelog_opportunity/Opportunity.csv",
        "Opportunity",
        1,
        "Id",  # Salesforce ids (006...), not Name (498 distinct of 512)
        "StageName",
        {
            "Interes": "lead",
            "Diseño Propuesta": "opportunity",
            "Presentación Propuesta": "follow_up",
            "Negociación": "negotiation",
            "Firmas": "negotiation",
            "Closed Won": "contract",
            "Closed Lost": "lost",
        },
        amount="Amount",
        currency="CurrencyIsoCode",
        encoding="latin-1",
    ),
    Expect(
        "shar123456_vue3proj_cn_opportunity_template/商机导入模板.xlsx",
        "sheet-1",
        1,
        "商机名称",  # 客户编号 is the customer's code; the deal name serves as the id
        "阶段",
        {"集美学村": "extra_stage"},  # the keyboard-mash example row: an unknown, extra stage
        amount="金额",
        skip_rows=(2,),  # the second header row (English keys under the Chinese labels)
    ),
]


# ------------------------------------------------------------------ independent reading


def raw_rows(path: Path, e: Expect) -> list[list[object]]:
    if path.suffix == ".xlsx":
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        return [list(r) for r in book.get_sheet_by_name(e.sheet).to_python()]
    text = path.read_bytes().decode(e.encoding).replace("\x00", "")
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=e.delimiter)]


def money(value: object) -> Decimal | None:
    if value is None or value == "" or value == "#N/A":
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    text = re.sub(r"[$,\s]", "", str(value))
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def independent(path: Path, e: Expect) -> tuple[int, Counter[str], dict[tuple[str, str], Decimal]]:
    """(deals, deals per stage, amount per (stage, currency)) read without salessheet."""
    rows = raw_rows(path, e)
    header = [str(h).strip() for h in rows[e.header_row - 1]]
    col = {h: i for i, h in enumerate(header)}
    deals: dict[str, list[object]] = {}
    anonymous = 0
    for n, row in enumerate(rows[e.header_row :], start=e.header_row + 1):
        if n in e.skip_rows or not any(str(v).strip() for v in row if v is not None):
            continue
        key = str(row[col[e.id]]).strip()
        if key.endswith(".0"):
            key = key[:-2]
        if not key:
            anonymous += 1
            key = f"row {n}"
        deals[key] = row  # the last row wins
        if not e.id_twice:
            assert list(deals).count(key) == 1
    per_stage: Counter[str] = Counter()
    amounts: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in deals.values():
        value = str(row[col[e.stage]]).strip()
        stage = e.stages[value]
        per_stage[stage] += 1
        if e.amount is not None:
            amount = money(row[col[e.amount]])
            if amount is not None:
                cur = str(row[col[e.currency]]).strip() if e.currency else "*"
                # each deal rounded once, half up, as the report and changes value it
                amounts[(stage, cur)] += amount.quantize(CENT, ROUND_HALF_UP)
    return len(deals), per_stage, dict(amounts)


def adopted(tmp_path: Path, e: Expect) -> tuple[Path, Path, dict]:
    src = CORPUS / e.path
    if not src.exists():
        pytest.skip(f"corpus file {src} is not available")
    work = tmp_path / src.name
    work.write_bytes(src.read_bytes())
    result = api.config_init(work, today=TODAY)
    return work, result.path, result.to_dict()


def params() -> list:
    out = []
    for e in CORPUS_FILES:
        out.append(pytest.param(e, id=e.path.split("/")[0], marks=list(e.marks)))
    return out


@pytest.mark.parametrize("e", params())
def test_config_init_reads_every_corpus_pipeline_with_zero_edits(tmp_path: Path, e: Expect):
    work, config, summary = adopted(tmp_path, e)
    assert summary["sheet"] == e.sheet
    assert summary["header_row"] == e.header_row
    assert summary["columns"]["deal_id"]["header"] == e.id
    assert summary["columns"]["stage"]["header"] == e.stage
    if e.amount:
        assert summary["columns"]["amount"]["header"] == e.amount
    assert {v: s["stage"] for v, s in summary["stages"].items()} == e.stages

    deals, per_stage, amounts = independent(work, e)
    assert summary["validate"]["deals"] == deals
    figures = api.report(work, profile=str(config), today=TODAY).to_dict()
    funnel = {s["stage"]: s for s in figures["funnel"]["stages"]}
    assert {k: v["deals"] for k, v in funnel.items() if v["deals"]} == dict(per_stage)
    got: dict[tuple[str, str], Decimal] = {}
    for stage, s in funnel.items():
        for cur, text in s["amount"]["by_currency"].items():
            if Decimal(text):
                got[(stage, cur if e.currency else "*")] = Decimal(text)
    want = {k: v.quantize(CENT) for k, v in amounts.items() if v}
    assert got == want


def test_config_init_json_contract(tmp_path: Path, cli) -> None:
    e = CORPUS_FILES[-3]  # the HubSpot export
    src = CORPUS / e.path
    if not src.exists():
        pytest.skip("corpus not available")
    work = tmp_path / "deals.csv"
    work.write_bytes(src.read_bytes())
    res = cli("config", "init", str(work), "--today", TODAY.isoformat(), "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["config"] == str(tmp_path / "deals.salessheet.yaml")  # beside the source
    assert {"config", "sheet", "header_row", "columns", "stages", "unplaced", "validate"} <= set(
        out
    )
    assert out["columns"]["owner"] == {
        "header": "Deal Owner",
        "evidence": "'Deal Owner' is HubSpot's name for owner; text",
    }
    assert out["stages"]["Closed Lost"]["outcome"] == "lost"
    assert out["validate"]["deals"] == 500
    # the file says why for every guess, and it loads as it is
    text = (tmp_path / "deals.salessheet.yaml").read_text(encoding="utf-8")
    assert "extends: b2b" in text
    assert "Qualified to Buy" in text and "a usual CRM name for the opportunity step" in text
    assert (
        load_profile(str(tmp_path / "deals.salessheet.yaml")).stage_lookup()[
            "appointment scheduled"
        ]
        == "lead"
    )


def test_config_init_never_overwrites(tmp_path: Path, cli) -> None:
    book = tmp_path / "p.csv"
    book.write_text("Deal ID,Stage,Amount\nD1,Lead,10\nD2,Won,20\n", encoding="utf-8")
    existing = tmp_path / "p.salessheet.yaml"
    existing.write_text("# mine\n", encoding="utf-8")
    res = cli("config", "init", str(book), "--format", "json")
    assert res.exit_code == 2
    err = json.loads(res.stdout)["error"]
    assert "already exists" in err["message"] and err["hint"]
    assert existing.read_text(encoding="utf-8") == "# mine\n"
    res = cli("config", "init", str(book), "--out", str(tmp_path / "other.yaml"))
    assert res.exit_code == 0, res.output
    assert "salessheet validate" in res.stdout


def test_no_working_config_writes_nothing(tmp_path: Path, cli) -> None:
    book = make_xlsx(tmp_path / "numbers.xlsx", {"Data": [[1, 2, 3], [4, 5, 6]]})
    res = cli("config", "init", str(book), "--format", "json")
    assert res.exit_code == 2, res.output
    assert "hint" in json.loads(res.stdout)["error"]
    assert not (tmp_path / "numbers.salessheet.yaml").exists()


# ------------------------------------------------------------------ small generated traps


def init_and_report(tmp_path: Path, name: str, rows: list[list[object]]) -> tuple[dict, dict]:
    if name.endswith(".csv"):
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    else:
        path = make_xlsx(tmp_path / name, {"Deals": rows})
    result = api.config_init(path, today=TODAY)
    figures = api.report(path, profile=str(result.path), today=TODAY).to_dict()
    return result.to_dict(), figures


def stage_counts(figures: dict) -> dict[str, int]:
    return {s["stage"]: s["deals"] for s in figures["funnel"]["stages"] if s["deals"]}


def test_german_tracker(tmp_path: Path) -> None:
    rows = [
        ["Nr.", "Kunde", "Phase", "Betrag", "Abschlussdatum", "Verantwortlich"],
        ["A-1", "Müller GmbH", "Qualifizierung", 1200, "2027-01-31", "Anna"],
        ["A-2", "Schulz AG", "Angebot", 5000, "2027-02-15", "Ben"],
        ["A-3", "Kraus KG", "Gewonnen", 800, "2026-10-01", "Anna"],
        ["A-4", "Vogel OHG", "Verloren", 300, "2026-09-12", "Ben"],
    ]
    summary, figures = init_and_report(tmp_path, "pipeline.xlsx", rows)
    assert summary["columns"]["stage"]["header"] == "Phase"
    assert summary["columns"]["amount"]["header"] == "Betrag"
    assert {v: s["outcome"] for v, s in summary["stages"].items()} == {
        "Qualifizierung": "open",
        "Angebot": "open",
        "Gewonnen": "won",
        "Verloren": "lost",
    }
    assert sum(stage_counts(figures).values()) == 4


def open_amounts(figures: dict) -> dict[str, str]:
    """The funnel's amounts by currency, over all stages that hold any."""
    out: dict[str, str] = {}
    for stage in figures["funnel"]["stages"]:
        for cur, text in stage["amount"]["by_currency"].items():
            if Decimal(text):
                out[cur] = str(Decimal(out.get(cur, "0")) + Decimal(text))
    return out


@pytest.mark.parametrize(
    ("headers", "stages", "currency"),
    [
        (["Deal ID", "Stage", "Amount"], ["Proposal", "Closed Won"], "USD"),
        (["Nr.", "Phase", "Betrag"], ["Angebot", "Gewonnen"], "EUR"),
        (["商机编号", "销售阶段", "预计金额"], ["报价与谈判", "赢单"], "CNY"),
    ],
)
def test_a_sheet_that_names_no_currency_is_in_its_countrys(
    tmp_path: Path, headers: list[str], stages: list[str], currency: str
) -> None:
    # No currency column, mark or unit: an English export is not in the Chinese b2b profile's
    # yuan; the amounts take the currency of the sheet's locale, and the config says to check.
    rows = [headers, ["D1", stages[0], 1200], ["D2", stages[1], 800]]
    summary, figures = init_and_report(tmp_path, "deals.xlsx", rows)
    assert open_amounts(figures) == {currency: "2000.00"}
    text = Path(summary["config"]).read_text(encoding="utf-8")
    check = "# CHECK: the sheet names no currency: amounts are read as"
    if currency == "CNY":  # the profile's own: nothing to say
        assert "currency:" not in text and check not in text
    else:
        assert f"\ncurrency: {currency}  # no currency in the headers or values" in text
        assert f"{check} {currency}" in text
    # China's VAT (the b2b profile's 13 % in prices that include it) stays on Chinese sheets
    # only; elsewhere quotes carry no tax until the team sets its own, and the config says so
    docs = load_profile(summary["config"]).documents
    if currency == "CNY":
        assert "\ndocuments:" not in text
        assert (docs.tax_mode, docs.default_tax_rate) == ("inclusive", Decimal("0.13"))
    else:
        # and names it as the country does: US quotes add sales tax; German ones say VAT
        # (English documents), the key offered in a comment
        name = {
            "USD": "  tax_name: sales tax  # what documents call the tax: sales tax in US (United "
            "States), not VAT\n"
            "  tax_name_zh: 销售税  # and on Chinese documents (not 增值税)\n",
            "EUR": "  # tax_name: VAT  # what documents call the tax (VAT unless set: sales tax, "
            "GST ...)\n",
        }[currency]
        assert text.endswith(
            "\ndocuments:\n"
            "  # seller: {name: Your Company Ltd.}  # quotes and contracts need it: fill it in\n"
            "  tax_mode: exclusive  # prices before tax, the tax added on the document (the b2b "
            "profile's 13% inclusive tax is China's VAT)\n"
            "  default_tax_rate: 0%  # CHECK: no tax until you set yours here, or a Tax Rate on "
            "each line item\n" + name
        )
        assert (docs.tax_mode, docs.default_tax_rate) == ("exclusive", Decimal(0))
        # a Chinese quote for a US team said 其中sales tax: it names the tax in Chinese too
        assert docs.tax_names() == (
            {"en": "sales tax", "zh": "销售税"}
            if currency == "USD"
            else {"en": "VAT", "zh": "增值税"}
        )
        assert "# CHECK: quotes and contracts carry no tax until you set yours" in text


@pytest.mark.parametrize(
    ("tz", "line"),
    [
        ("America/Chicago", "timezone: America/Chicago  # this computer's time zone, in the "
         "country of en_US"),
        ("Etc/UTC", "# CHECK: the time zone is this computer's, Etc/UTC: set timezone: to the"),
    ],
)  # fmt: skip
def test_config_init_takes_this_computers_time_zone(tmp_path: Path, tz: str, line: str) -> None:
    # As a user runs it: an English sheet set up on a laptop in Chicago gets Chicago's zone
    # (not the b2b profile's Asia/Shanghai, whose "today" starts at 11:00 there); on a server
    # in UTC, its zone is taken and the config asks to check it.
    path = tmp_path / "deals.csv"
    path.write_text("Deal ID,Stage,Amount\nD1,Proposal,1200\n", encoding="utf-8")
    env = dict(os.environ, TZ=tz)
    cmd = [sys.executable, "-m", "salessheet", "config", "init", str(path)]
    done = subprocess.run([*cmd, "--today", "2026-12-02"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "deals.salessheet.yaml").read_text(encoding="utf-8")
    assert line in text
    assert load_profile(str(tmp_path / "deals.salessheet.yaml")).timezone == tz


def test_config_init_dates_today_in_the_zone_it_writes(tmp_path: Path) -> None:
    # 20:40 UTC on 2 December is already 3 December in the b2b profile's Asia/Shanghai, but
    # still 2 December for a team in Chicago: the config is dated, and its first validate run,
    # on the team's day; a deal closing on 2 December has not passed its close date yet.
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal ID,Stage,Owner,Amount,Expected Close\nD1,Proposal,Ann,1200,2026-12-02\n",
        encoding="utf-8",
    )
    now = dt.datetime(2026, 12, 2, 20, 40, tzinfo=dt.UTC)
    done = api.config_init(str(path), now=now, local_zone="America/Chicago")
    text = done.path.read_text(encoding="utf-8")
    assert re.search(r"`salessheet config init` on\s+(# )?2026-12-02 from its headers", text)
    assert "timezone: America/Chicago" in text
    assert [f.code for f in done.report.findings] == []


def test_day_first_csv(tmp_path: Path) -> None:
    rows = [["Deal ID", "Stage", "Amount", "Close Date"]]
    rows += [
        [f"D{i}", "Proposal", 100, f"{d}/0{m}/26"]
        for i, (d, m) in enumerate([(1, 8), (30, 5), (13, 2), (2, 3)], start=1)
    ]
    summary, _ = init_and_report(tmp_path, "deals.csv", rows)
    text = Path(summary["config"]).read_text(encoding="utf-8")
    assert "%d/%m/%y" in text
    p = api.open_pipeline(tmp_path / "deals.csv", profile=summary["config"], today=TODAY)
    closes = {d.id: d.values["expected_close"].isoformat() for d in p.deals}
    assert closes == {
        "D1": "2026-08-01",
        "D2": "2026-05-30",
        "D3": "2026-02-13",
        "D4": "2026-03-02",
    }


def test_chinese_sheet_in_wan_yuan(tmp_path: Path) -> None:
    rows = [
        ["商机编号", "客户名称", "销售阶段", "预计金额（万元）", "负责人", "预计成交日期"],
        ["S-1", "星河科技", "报价与谈判", 680, "王芳", "2027-01-15"],
        ["S-2", "云帆", "赢单", 12.5, "李娜", "2026-11-01"],
    ]
    summary, _ = init_and_report(tmp_path, "商机.xlsx", rows)
    assert summary["columns"]["amount"]["header"] == "预计金额（万元）"
    text = Path(summary["config"]).read_text(encoding="utf-8")
    assert "万" in text  # the unit is in the evidence


@pytest.mark.parametrize(
    ("amount_header", "cells", "amounts"),
    [
        # a plain header, the unit in each cell: 1.5万 is 15,000
        ("预计金额", ["1.5万", "3万元", "￥12,500"], ["15000", "30000", "12500"]),
        # a 万元 header: plain numbers are in 万; a cell that says 万 itself is not scaled twice
        ("预计金额（万元）", [680, "213.1万", "2.1亿"], ["6800000", "2131000", "210000000"]),
    ],
)
def test_amounts_written_with_wan_in_the_cell(
    tmp_path: Path, amount_header: str, cells: list, amounts: list[str]
) -> None:
    """Chinese sheets write amounts as "1.5万" or "213.1万" in the cell: config init maps the
    column (it dropped it as "0% numbers", so the pipeline read ¥0 and passed clean) and every
    amount reads exactly, with no bad-value finding."""
    rows = [["商机编号", "客户名称", "销售阶段", amount_header, "负责人"]]
    rows += [[f"S-{i}", "星河科技", "报价与谈判", cell, "王芳"] for i, cell in enumerate(cells, 1)]
    summary, figures = init_and_report(tmp_path, "商机.xlsx", rows)
    assert summary["columns"]["amount"]["header"] == amount_header
    p = api.open_pipeline(tmp_path / "商机.xlsx", profile=summary["config"], today=TODAY)
    assert [str(d.values["amount"]) for d in p.deals] == amounts
    assert not [f for f in p.findings if f.code == "bad-value"]
    total = sum(Decimal(a) for a in amounts)
    assert open_amounts(figures) == {"CNY": f"{total}.00"}


def test_yaml_is_plain_and_loads_with_comments_removed(tmp_path: Path) -> None:
    rows = [["Deal ID", "Stage", "Amount"], ["D1", "Closed Won", 5], ["D2", "Discovery", 7]]
    summary, _ = init_and_report(tmp_path, "p.csv", rows)
    data = yaml.safe_load(Path(summary["config"]).read_text(encoding="utf-8"))
    assert data["extends"] == "b2b"
    assert data["columns"]["deal_id"] == {"aliases": ["Deal ID"], "aliases_replace": True}


def test_wan_yuan_amounts_are_scaled_in_the_report(tmp_path: Path) -> None:
    rows = [
        ["商机编号", "客户名称", "销售阶段", "预计金额（万元）", "负责人", "预计成交日期"],
        ["S-1", "星河科技", "报价与谈判", 680, "王芳", "2027-01-15"],
    ]
    _, figures = init_and_report(tmp_path, "商机.xlsx", rows)
    stage = next(s for s in figures["funnel"]["stages"] if s["stage"] == "negotiation")
    assert stage["amount"]["by_currency"] == {"CNY": "6800000.00"}


def test_headerless_export(tmp_path: Path) -> None:
    rows = [
        ["0061", "ACME", "Prospecting", 1200, "2027-01-31", "ann@example.com"],
        ["0062", "Globex", "Closed Won", 5000, "2026-10-15", "bob@example.com"],
        ["0063", "Initech", "Negotiation", 800, "2027-02-28", "ann@example.com"],
        ["0064", "Umbrella", "Prospecting", 300, "2027-03-31", "cy@example.com"],
        ["0065", "Hooli", "Closed Won", 7000, "2026-09-01", "bob@example.com"],
        ["0066", "Vandelay", "Negotiation", 450, "2027-01-15", "cy@example.com"],
    ]
    summary, figures = init_and_report(tmp_path, "export.csv", rows)
    assert summary["header_row"] is None
    assert summary["columns"]["stage"] == {
        "column": "C",
        "evidence": summary["columns"]["stage"]["evidence"],
    }
    assert summary["columns"]["deal_id"]["column"] == "A"
    assert stage_counts(figures) == {"lead": 2, "contract": 2, "negotiation": 2}


def test_sectioned_tracker(tmp_path: Path) -> None:
    rows = [
        ["Deal tracker Q4", None, None, None],
        [None, None, None, None],
        ["Deal ID", "Customer", "Stage", "Amount"],
        ["UNDER CONTRACT", None, None, None],
        ["T-1", "ACME", "Closed Won", 100],
        ["T-2", "Globex", "Closed Won", 200],
        [None, "Subtotal", None, 300],
        ["PIPELINE", None, None, None],
        ["T-3", "Initech", "Proposal", 50],
        [None, "Total", None, 350],
    ]
    summary, figures = init_and_report(tmp_path, "tracker.xlsx", rows)
    assert summary["validate"]["deals"] == 3
    assert stage_counts(figures) == {"contract": 2, "negotiation": 1}


def missing_fields(source: Path, config: str | Path) -> list[tuple[str, str | None, str]]:
    report = api.validate(source, profile=str(config), today=TODAY)
    return [(f.column, f.cell, f.message) for f in report.findings if f.code == "missing-field"]


def init_csv(tmp_path: Path, rows: list[list[object]]) -> tuple[Path, Any]:
    """``rows`` as deals.csv, and config init's result on it."""
    path = tmp_path / "deals.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path, api.config_init(path, today=TODAY)


def test_a_placeholder_for_nobody_is_written_as_the_columns_null_marker(tmp_path: Path) -> None:
    """'Unassigned' in the owner column is promised as a null marker of that column: the
    config says so, and validate sees those owners as missing (it read them as a name)."""
    rows = [["Deal ID", "Customer", "Stage", "Owner", "Amount", "Close Date"]]
    owners = ["Ana", "Unassigned", "Ben", "Unassigned", "Ana", "Ben"]
    rows += [
        [f"D{i}", f"Client {i}", "Proposal", owner, 1000 * i, "2027-03-01"]
        for i, owner in enumerate(owners, start=1)
    ]
    path, result = init_csv(tmp_path, rows)
    text = result.path.read_text(encoding="utf-8")
    assert (
        "    null_markers: [Unassigned]  # 2 cells in Owner: a placeholder for 'nobody' "
        "(read as blank, so required-field checks see it)\n"
    ) in text
    assert "null_markers: [Unassigned]" not in text.split("columns:")[0]  # not sheet-wide
    assert missing_fields(path, result.path) == [  # the stage as the team's sheet names it
        ("Owner", "D3", "owner is required in stage Proposal"),
        ("Owner", "D5", "owner is required in stage Proposal"),
    ]


def test_the_corpus_owner_placeholder_is_no_owner(tmp_path: Path) -> None:
    src = corpus_file("mariacvega90_pipeline_prueba_deals", "Deals.csv")
    work = tmp_path / "Deals.csv"
    work.write_bytes(src.read_bytes())
    result = api.config_init(work, today=TODAY)
    assert "    null_markers: [Unassigned]  # 56 cells in owner:" in result.path.read_text("utf-8")
    unassigned = [
        n
        for n, line in enumerate(work.read_text("utf-8-sig").splitlines()[1:], start=2)
        if line.split(";")[3] == "Unassigned"
    ]
    assert [(column, cell) for column, cell, _ in missing_fields(work, result.path)] == [
        ("owner", f"D{n}") for n in unassigned
    ]
    figures = api.report(work, profile=str(result.path), today=TODAY).to_dict()
    assert "Unassigned" not in json.dumps(figures, ensure_ascii=False)


def test_whole_number_discounts_get_a_scale_the_rules_honour(tmp_path: Path) -> None:
    """A Discount column of 5, 10, 25 means percent: config init writes its scale, as for
    the probability, and `discount > 20%` then means what the README says."""
    rows = [["Deal ID", "Customer", "Stage", "Owner", "Amount", "Close Date", "Discount"]]
    discounts = [5, 10, 25, 15, 30]
    rows += [
        [f"D{i}", f"Client {i}", "Proposal", "Ana", 1000, "2027-03-01", d]
        for i, d in enumerate(discounts, start=1)
    ]
    path, result = init_csv(tmp_path, rows)
    text = result.path.read_text(encoding="utf-8")
    assert (
        "  discount:  # 'Discount' is an alias of discount in the b2b profile; percentages\n"
        "    aliases: [Discount]\n"
        "    aliases_replace: true  # only this header, so no other column is taken\n"
        "    scale: 0.01  # Discount: values from 5 to 30 → 0–100 scale: 5 means 5 %\n"
    ) in text
    team = tmp_path / "team.yaml"
    team.write_text(
        f"extends: {result.path.name}\nrules:\n  - id: discount-cap\n    check: discount <= 20%\n",
        "utf-8",
    )
    report = api.validate(path, profile=str(team), today=TODAY)
    rule = "discount-cap"  # the team's own code (not the catalogue's)
    assert [(f.cell, f.message) for f in report.findings if f.code == rule] == [
        ("G4", "does not meet discount <= 20%"),
        ("G6", "does not meet discount <= 20%"),
    ]
