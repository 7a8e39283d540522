"""``guess_config`` on every pipeline of the corpus (read through the real stores) and on
generated files for each trap: the reading we expect, stated, with the reason when two
readings exist."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import CORPUS as CORPUS_DIR

from salessheet.core.cells import CellError
from salessheet.core.errors import SourceError
from salessheet.core.textnorm import normalise
from salessheet.init.adopt import Guess, guess_config
from salessheet.settings.profile import load_profile
from salessheet.sheet.parsing import ParseContext, ParseFailure, parse_date, parse_money
from salessheet.stores.registry import open_store

CORPUS: Path | None = CORPUS_DIR if CORPUS_DIR.is_dir() else None
TODAY = dt.date(2026, 12, 2)
PIPELINES = [
    "ayusophia_sales_pipeline_assessment/Sales Pipeline.xlsx",
    "greede14_uipath_extract_opportunities/Opportunities.xlsx",
    "isimbisyl_sales_pipeline_tracker/Sales_Pipeline.xlsx",
    "jhurley89_googlesheets_sales_pipeline/sales_pipeline (5).xlsx",
    "mariacvega90_pipeline_prueba_deals/Deals.csv",
    "maven_crm_sales_opportunities/sales_pipeline.csv",
    "meriamalex_skill_test/sales_pipeline.xlsx",
    "rahulanilnair_zoho_analytics_potentials/Potentials.csv",
    "salesforce_cpq_fizzly_demo/Opportunity.csv",
    "shar123456_vue3proj_cn_opportunity_template/商机导入模板.xlsx",
    "toofancodes_hubspotdummydata_deals/hubspot_deals.csv",
    "winkeldev_sf_changelog_opportunity/Opportunity.csv",
]
NOT_PIPELINES = {
    "changer_cn_quote_template/报价单模板.xlsx",  # a quote
    "zhang_cn_contract_template_docx/data.xlsx",  # a contract's data
    "salesforce_cpq_fizzly_demo/SBQQ__Quote__c.csv",  # CPQ quotes
    "maven_crm_sales_opportunities/accounts.csv",
    "maven_crm_sales_opportunities/products.csv",
    "maven_crm_sales_opportunities/sales_teams.csv",
    "maven_crm_sales_opportunities/data_dictionary.csv",
}
_CACHE: dict[tuple[str, str], tuple[Guess, dict]] = {}


def read_sheets(path: Path) -> dict:
    store = open_store(str(path))
    return store.read([info.name for info in store.sheets()])


def corpus_guess(rel: str, profile: str = "b2b") -> tuple[Guess, dict]:
    if CORPUS is None or not (CORPUS / rel).exists():
        pytest.skip(f"corpus file {rel} is not available")
    key = (rel, profile)
    if key not in _CACHE:
        sheets = read_sheets(CORPUS / rel)
        _CACHE[key] = (guess_config(sheets, load_profile(profile), source=rel, today=TODAY), sheets)
    return _CACHE[key]


def headers(g: Guess) -> dict[str, str | None]:
    return {f: c.header for f, c in g.fields.items()}


def stage_map(g: Guess) -> dict[str, str]:
    return {s.value: s.stage for s in g.stages}


def orders(g: Guess) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    return {h: (d.order, d.formats) for h, d in g.dates().items()}


def markers(g: Guess) -> dict[str, tuple[str, int]]:
    return {m.text: (m.scope, m.count) for m in g.null_markers}


# --- the corpus: which files are pipelines ---------------------------------------------


def test_every_pipeline_file_of_the_corpus_is_covered():
    if CORPUS is None:
        pytest.skip("the corpus is not available")
    found = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.suffix in (".xlsx", ".csv") and p.is_file()
    }
    assert found - NOT_PIPELINES == set(PIPELINES)


# --- the corpus, file by file -----------------------------------------------------------


def test_ayusophia_subtotal_above_header_and_line_items_sharing_an_opportunity_id():
    """Header on row 2 below a =SUBTOTAL row. Three id-like columns: ``index`` (0..9993, row
    numbers), ``Row ID`` (9,993 distinct of 9,994: even it repeats once) and ``Opportunity
    ID`` (5,009 distinct). We choose Opportunity ID: it is named as the deal id, and every
    repeat carries the same stage: the rows are line items of one deal (warned: validate
    reports duplicate-id until the sheet has one row per deal)."""
    g, _ = corpus_guess(PIPELINES[0])
    assert g.sheet.name == "Sales Pipeline"
    # the twin sheet renaming the stages loses on mapped share (8 of 17 columns known)
    assert "Sales Lead_Stage: 9,993 rows with a stage column" in g.sheet.evidence
    assert (g.header_row, g.first_data_row, g.data_rows) == (2, 3, 9994)
    assert headers(g) == {
        "deal_id": "Opportunity ID",
        "created": "Created Date",
        "expected_close": "Closed Date",
        "lead_source": "Lead Source",
        "stage": "Deal Stage",
        "deal_name": "Opportunity Name",
        "amount": "Sales Amount",
    }
    deal_id = g.column_for("deal_id")
    assert "5,009 distinct of 9,994" in deal_id.evidence
    assert "4,985 rows repeat an id with the same stage every time" in deal_id.evidence
    assert "not 'Row ID' (" in deal_id.evidence
    assert any("one row per line item" in w for w in g.warnings)
    assert stage_map(g) == {
        "Negotiating": "negotiation",
        "Proposing": "negotiation",
        "Closed Won": "contract",
        "Closed Lost": "lost",
    }
    amount = g.column_for("amount")
    assert (amount.money.scale, amount.money.currency) == (Decimal(1), None)
    assert "float noise such as" in amount.money.evidence
    # date cells: no day/month order to choose
    assert orders(g) == {"Created Date": (None, ()), "Closed Date": (None, ())}
    assert [(r.row, r.kind) for r in g.layout] == [(1, "subtotal")]
    assert g.null_markers == ()


def test_greede14_converter_sheet_first_and_no_id_no_amount():
    """Two sheets: FX rates first, the deals second. No id column: ``Column-0`` (an unnamed
    index 1..18) is the only unique one, chosen with a warning. No amount column: Quantity ×
    List Price would give it, which a config cannot express: amount stays unmapped."""
    g, _ = corpus_guess(PIPELINES[1])
    assert g.sheet.name == "Opportunities"
    assert g.sheet.evidence == (
        "Opportunities: 18 rows with a stage column (Stage), 3 known columns; "
        "Converter: 3 rows, no stage"
    )
    assert headers(g) == {
        "deal_id": "Column-0",
        "customer": "Account Name",
        "owner": "Opportunity Owner",
        "stage": "Stage",
    }
    assert "'Column-0' numbers the rows 1–18" in g.column_for("deal_id").evidence
    assert stage_map(g) == {
        "Discovery": "lead",
        "Demo": "follow_up",
        "Proposal": "negotiation",
        "Negotiation": "negotiation",
        "Closed Won Booked": "contract",
        "Closed Won Pending": "contract",
        "Closed Lost": "lost",
    }
    assert any("'Quantity' × 'List Price'" in w for w in g.warnings)
    assert ("negotiation", ("expected_close", "amount")) in [(r.stage, r.missing) for r in g.relax]
    assert g.dates() == {} and g.null_markers == () and g.layout == ()


def test_isimbisyl_formula_totals_beside_deals_and_a_percent_header():
    """SUMIF totals in H–K share rows with deals: those columns stay unmapped, the rows stay
    deals. ``Deal Value`` beats ``Expected Revenue`` for the amount (a weaker name)."""
    g, _ = corpus_guess(PIPELINES[2])
    assert (g.sheet.name, g.header_row, g.data_rows) == ("Sales Pipeline", 1, 10)
    assert headers(g) == {
        "deal_id": "Deal ID",
        "customer": "Client Name",
        "owner": "Sales Rep",
        "stage": "Stage",
        "amount": "Deal Value",
        "probability": "Probability (%)",
    }
    assert "beats 'Expected Revenue'" in g.column_for("amount").evidence
    assert g.column_for("probability").percent.scale == "points"
    assert stage_map(g) == {
        "Lead": "lead",
        "Qualified": "opportunity",
        "Proposal": "negotiation",
        "Negotiation": "negotiation",
        "Closed Won": "contract",
        "Closed Lost": "lost",
    }
    unplaced = {u.name for u in g.unplaced if u.kind == "column"}
    assert "K ('Total Expected Revenue')" in unplaced
    assert g.layout == () and g.null_markers == ()


@pytest.mark.parametrize("rel", [PIPELINES[3], PIPELINES[5], PIPELINES[6]])
def test_maven_data_in_three_files(rel):
    """The Maven data as CSV, as a Google Sheets export (plus manager/regional_office) and
    in a workbook with task sheets (8,800 rows with a Deal Stage column too, but no id and
    fewer known columns)."""
    g, _ = corpus_guess(rel)
    assert (g.header_row, g.data_rows) == (1, 8800)
    assert headers(g) == {
        "deal_id": "opportunity_id",
        "owner": "sales_agent",
        "customer": "account",
        "stage": "deal_stage",
        "created": "engage_date",
        "expected_close": "close_date",
        "amount": "close_value",
    }
    assert stage_map(g) == {
        "Prospecting": "lead",
        "Engaging": "follow_up",
        "Won": "contract",
        "Lost": "lost",
    }
    assert g.layout == ()
    if rel.endswith(".csv"):
        assert orders(g) == {
            "engage_date": ("ymd", ("%Y-%m-%d",)),
            "close_date": ("ymd", ("%Y-%m-%d",)),
        }
        assert g.null_markers == ()
    else:
        assert orders(g) == {"engage_date": (None, ()), "close_date": (None, ())}
    if "meriamalex" in rel:
        assert g.sheet.name == "sales_pipeline"
        assert g.sheet.evidence.startswith(
            "sales_pipeline: 8,800 rows with a stage column (deal_stage), 7 known columns; "
            "Task 3: 8,800 rows with a stage column (Deal Stage), 4 known columns"
        )
        assert markers(g) == {"NA": ("sheet", 4014)}  # every row counted, not the sample
    if "jhurley89" in rel:
        assert g.sheet.name == "sales_pipeline.csv"
        assert "beats 'manager'" in g.column_for("owner").evidence


def test_mariacvega90_day_first_two_digit_years_and_sin_factura():
    """``1/08/26`` is day-first: 59% of close dates have a first part > 12. ``Sin_Factura``
    fills 11 invoice columns; ``0`` means no payment date only in payment_date (zeros are
    real elsewhere). The ``currency`` column is the invoices' (CLP, COP, MXN, USD), not the
    deals': amount_usd says USD in its header."""
    g, _ = corpus_guess(PIPELINES[4])
    assert (g.sheet.name, g.header_row, g.data_rows) == ("Deals", 1, 500)
    assert headers(g) == {
        "deal_id": "deal_id",
        "deal_name": "deal_name",
        "customer": "company",
        "owner": "owner",
        "stage": "stage",
        "amount": "amount_usd",
        "expected_close": "close_date",
        "last_activity": "last_activity_date",
        "forecast_category": "forecast_category",
        "probability": "probability",
        "lead_source": "source",
        "created": "deal_created_date",
    }
    day_first = ("dmy", ("%d/%m/%y",))
    assert orders(g) == {
        h: day_first
        for h in (
            "close_date",
            "last_activity_date",
            "deal_created_date",
            "last_modified_date",
            "invoice_date",
            "payment_date",
        )
    }
    assert g.column_for("expected_close").date.evidence == (
        "close_date: 500 dates, 59% with day > 12 → day first"
    )
    amount = g.column_for("amount").money
    assert (amount.scale, amount.currency) == (Decimal(1), "USD")
    assert markers(g) == {
        "Sin_Factura": ("sheet", 5115),
        "N/A": ("sheet", 109),
        "Unassigned": ("columns", 56),
        "0": ("columns", 24),
    }
    sin = next(m for m in g.null_markers if m.text == "Sin_Factura")
    assert len(sin.columns) == 11
    assert "payment_date" in next(m for m in g.null_markers if m.text == "0").columns
    currency = next(c for c in g.columns if c.header == "currency")
    assert currency.field is None and "CLP, COP, MXN, USD" in currency.evidence
    assert (g.currency.currency, g.locale.locale) == ("USD", "es_ES")
    assert stage_map(g) == {
        "Discovery": "lead",
        "Qualification": "opportunity",
        "Negotiation": "negotiation",
        "Proposal": "negotiation",
        "Closed Won": "contract",
        "Closed Lost": "lost",
    }
    flag = next(c for c in g.columns if c.header == "Risk_>45_days")
    assert flag.boolean == "si/no"


def test_zoho_potentials_no_id_column_leadid_is_unique():
    """No deal-id column. Potential Name repeats (699 distinct in 3,632: it names people).
    LEADID holds a unique value on every row (the lead each potential came from): we use it
    as the deal id. Amount (an alias) beats Expected Revenue (a weighted figure)."""
    g, _ = corpus_guess(PIPELINES[7])
    assert (g.sheet.name, g.header_row, g.data_rows) == ("Potentials", 1, 3632)
    deal_id = g.column_for("deal_id")
    assert deal_id.header == "LEADID"
    assert deal_id.evidence.startswith("no column is named as a deal id; 'LEADID' holds a unique")
    assert "3,632 distinct of 3,632" in deal_id.evidence
    assert "not 'Potential Name' ('Potential Name' names the deal, 699 distinct" in deal_id.evidence
    assert headers(g) == {
        "deal_name": "Potential Name",
        "owner": "Potential Owner",
        "created": "Created Time",
        "expected_close": "Closing Date",
        "amount": "Amount",
        "stage": "Stage",
        "forecast_category": "Forecast Type",
        "deal_type": "Type",
        "lead_source": "Lead Source",
        "probability": "Probability",
        "deal_id": "LEADID",
    }
    assert "beats 'Expected Revenue'" in g.column_for("amount").evidence
    money = g.column_for("amount").money
    assert (money.scale, money.currency, money.decimal) == (Decimal(1), "USD", ".")
    text_dates = ("dmy", ("%d %b, %Y %H:%M:%S",))
    assert orders(g) == {"Created Time": text_dates, "Closing Date": text_dates}
    assert stage_map(g) == {
        "Prospect": "lead",
        "Qualification": "opportunity",
        "Needs Analysis": "opportunity",
        "Initial Offer": "negotiation",
        "Proposal/Price Quote": "negotiation",
        "Negotiation/Review": "negotiation",
        "Closed Won": "contract",
        "Closed Lost": "lost",
    }
    assert (g.currency.currency, g.locale.locale) == ("USD", "en_US")


def test_salesforce_cpq_opportunity_guid_and_na_markers():
    """No ``Id`` column: ``Guid`` (GUIDs, unique) is the id; ``Name`` repeats ('Fizzly
    Products'). ``#N/A`` text is the null marker in 14 columns."""
    g, _ = corpus_guess(PIPELINES[8])
    assert headers(g)["deal_id"] == "Guid"
    assert "12 distinct of 12 (GUIDs)" in g.column_for("deal_id").evidence
    assert headers(g)["stage"] == "StageName" and headers(g)["amount"] == "Amount"
    assert stage_map(g) == {
        "Prospecting": "lead",
        "Value Proposition": "opportunity",
        "Id. Decision Makers": "opportunity",
        "Needs Analysis": "opportunity",
        "Negotiation/Review": "negotiation",
        "Proposal/Price Quote": "negotiation",
        "Closed Won": "contract",
    }
    assert markers(g) == {"#N/A": ("sheet", 109)}
    assert len(g.null_markers[0].columns) == 14
    assert orders(g) == {"CloseDate": ("ymd", ("%Y-%m-%d",))}
    assert g.column_for("probability").percent.scale == "points"


def test_cn_opportunity_template_second_header_and_its_example_row():
    """Row 1 Chinese labels, row 2 English keys (a second header row, used as a second name
    for each column: 客户姓名/Customername → customer). Row 3 is keyboard-mash but carries no
    example marker: we keep it as a deal and warn. No deal-id column: 客户编号 is the
    customer's code, so 商机名称 (the deal's name) serves as the id, with a warning."""
    g, _ = corpus_guess(PIPELINES[9])
    assert (g.header_row, g.data_rows) == (1, 1)
    assert [(r.row, r.kind) for r in g.layout] == [(2, "second-header")]
    assert headers(g) == {
        "customer": "客户姓名",
        "deal_id": "商机名称",
        "deal_type": "商机类型",
        "contact": "联系人",
        "currency": "货币",
        "amount": "金额",
        "stage": "阶段",
    }
    assert "the id of another record (客户)" in g.column_for("deal_id").evidence
    assert "beats '预期收入'" in g.column_for("amount").evidence
    assert g.column_for("customer").second_header == "Customername"
    probability = next(c for c in g.columns if c.header == "概率")
    assert probability.field is None and "not percentages" in probability.evidence
    assert [(s.value, s.extra, s.outcome) for s in g.stages] == [("集美学村", True, "open")]
    assert any(
        w.startswith("row 3: the only data, and it looks like a filled-in example")
        and "kept as a deal" in w
        for w in g.warnings
    )
    assert (g.currency.currency, g.locale.locale) == ("CNY", "zh_CN")


def test_hubspot_default_stages_of_two_pipelines():
    g, _ = corpus_guess(PIPELINES[10])
    assert (g.header_row, g.data_rows) == (1, 500)
    assert headers(g) == {
        "deal_id": "Deal ID",
        "deal_name": "Deal Name",
        "stage": "Deal Stage",
        "pipeline": "Pipeline",
        "amount": "Amount",
        "expected_close": "Close Date",
        "created": "Create Date",
        "owner": "Deal Owner",
        "deal_type": "Deal Type",
        "lost_reason": "Closed Lost Reason",
        "customer": "Associated Company Domain",
        "email": "Associated Contact Email",
    }
    assert stage_map(g) == {
        "Appointment Scheduled": "lead",
        "Qualified to Buy": "opportunity",
        "Presentation Scheduled": "follow_up",
        "Decision Maker Bought-In": "follow_up",
        "Contract Sent": "negotiation",
        "Closed Won": "contract",
        "Closed Lost": "lost",
    }
    assert orders(g) == {
        "Close Date": ("ymd", ("%Y-%m-%d",)),
        "Create Date": ("ymd", ("%Y-%m-%d",)),
    }
    assert g.relax == ()


def test_winkeldev_salesforce_export_id_vs_name_and_spanish_stages():
    """``Id`` holds Salesforce Opportunity record ids (prefix 006), unique; ``Name`` is the
    deal's name and repeats (14 rows): Id is the deal id, Name the deal name.
    ``000000000000000AAA`` is Salesforce's empty id."""
    g, _ = corpus_guess(PIPELINES[11])
    assert (g.header_row, g.data_rows) == (1, 512)
    deal_id = g.column_for("deal_id")
    assert deal_id.header == "Id"
    assert "512 distinct of 512 (Opportunity record ids, Salesforce)" in deal_id.evidence
    assert "not 'Name' ('Name' names the deal, 498 distinct of 512)" in deal_id.evidence
    h = headers(g)
    assert (h["deal_name"], h["stage"], h["amount"], h["owner"]) == (
        "Name",
        "StageName",
        "Amount",
        "OwnerId",
    )
    assert (h["currency"], h["stage_date"], h["lead_source"]) == (
        "CurrencyIsoCode",
        "LastStageChangeDate",
        "LeadSource",
    )
    assert "beats 'ExpectedRevenue'" in g.column_for("amount").evidence
    assert stage_map(g) == {
        "Interes": "lead",
        "Diseño Propuesta": "opportunity",
        "Presentación Propuesta": "follow_up",
        "Negociación": "negotiation",
        "Firmas": "negotiation",
        "Closed Won": "contract",
        "Closed Lost": "lost",
    }
    assert orders(g)["CloseDate"] == ("ymd", ("%Y-%m-%d",))
    assert markers(g) == {"000000000000000AAA": ("sheet", 1457), "TBD": ("sheet", 29)}
    assert g.currency.currency == "MXN"
    assert "several currencies (MXN 220, COP 107, USD 105, PEN 80)" in g.currency.evidence


# --- invariants on every corpus pipeline --------------------------------------------------


@pytest.mark.parametrize("rel", PIPELINES, ids=lambda r: r.split("/")[0])
def test_no_deal_row_is_layout(rel):
    """A layout row never holds an id and a stage value that the column uses on other rows."""
    g, sheets = corpus_guess(rel)
    rows = sheets[g.sheet.name].rows
    id_col = g.column_for("deal_id")
    stage_col = g.column_for("stage")
    used = {normalise(s.value) for s in g.stages if s.count >= 2}
    for r in g.layout:
        row = rows[r.row - 1]
        idv = row[id_col.column - 1] if id_col and id_col.column <= len(row) else None
        stv = row[stage_col.column - 1] if stage_col and stage_col.column <= len(row) else None
        assert not (idv not in (None, "") and isinstance(stv, str) and normalise(stv) in used)


@pytest.mark.parametrize("rel", PIPELINES, ids=lambda r: r.split("/")[0])
def test_a_config_from_the_guess_reads_every_date_and_amount(rel):
    """The date formats and locale the guess proposes parse every value of the mapped date
    and amount columns (null markers aside): the written config would read the sheet."""
    g, sheets = corpus_guess(rel)
    rows = sheets[g.sheet.name].rows
    nulls = {m.text for m in g.null_markers}
    skip = {r.row for r in g.layout}
    data = [
        row
        for i, row in enumerate(rows[g.first_data_row - 1 :], start=g.first_data_row)
        if i not in skip
    ]
    for col in g.columns:
        if not col.field or col.type not in ("date", "money"):
            continue
        formats = list(col.date.formats) if col.date else []
        ctx = ParseContext(date_formats=formats or ["%Y-%m-%d"], locale=g.locale.locale)
        bad = []
        for row in data:
            v = row[col.column - 1] if col.column <= len(row) else None
            if v in (None, "") or isinstance(v, CellError) or str(v).strip() in nulls:
                continue
            try:
                parse_date(v, ctx) if col.type == "date" else parse_money(v, ctx)
            except ParseFailure:
                bad.append(v)
        assert bad == [], f"{col.name}: {bad[:5]}"


@pytest.mark.parametrize("rel", PIPELINES, ids=lambda r: r.split("/")[0])
def test_every_decision_carries_evidence_and_the_guess_serialises(rel):
    g, _ = corpus_guess(rel)
    assert g.sheet.evidence and g.header_evidence and g.locale.evidence and g.currency.evidence
    assert all(c.evidence for c in g.columns)
    assert all(s.evidence for s in g.stages)
    assert all(m.evidence for m in g.null_markers)
    assert all(r.evidence for r in g.layout)
    assert all(d.evidence for d in g.dates().values())
    text = json.dumps(g.to_dict(), ensure_ascii=False)
    assert json.loads(text)["sheet"]["name"] == g.sheet.name
    lines = g.lines()
    assert lines[0].startswith(f"sheet: {g.sheet.name} (")
    assert sum(1 for line in lines if line.startswith("column ")) == len(g.columns)


# --- generated traps -----------------------------------------------------------------------


def write_csv(path: Path, rows: list[list], delimiter: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def guess_path(path: Path, profile: str = "b2b", **kw) -> Guess:
    return guess_config(
        read_sheets(path), load_profile(profile), source=str(path), today=TODAY, **kw
    )


STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]


def test_headerless_crm_export_is_mapped_by_its_values(tmp_path):
    rows = []
    for i in range(1, 41):
        rows.append(
            [
                f"D-{i:04d}",
                f"Customer {i} Ltd",
                STAGES[i % 6],
                f"{1000 + i * 137}.50",
                (dt.date(2024, 1, 1) + dt.timedelta(days=i * 3)).isoformat(),
                (dt.date(2024, 6, 1) + dt.timedelta(days=i * 5)).isoformat(),
                f"buyer{i}@customer{i}.com",
                ["Alice Wong", "Bob Li", "Carla Diaz"][i % 3],
            ]
        )
    g = guess_path(write_csv(tmp_path / "export.csv", rows))
    assert (g.header_row, g.first_data_row, g.data_rows) == (0, 1, 40)
    assert g.header_evidence.startswith("no header row: row 1 already holds data")
    assert {f: c.letter for f, c in g.fields.items()} == {
        "deal_id": "A",
        "customer": "B",
        "stage": "C",
        "amount": "D",
        "created": "E",
        "expected_close": "F",
        "email": "G",
        "owner": "H",
    }
    assert all(c.header is None for c in g.columns)
    assert g.column_for("created").evidence == "by its values: the earliest dates → created"
    assert stage_map(g)["Closed Won"] == "contract"


def test_day_first_csv(tmp_path):
    rows = [["Deal ID", "Customer", "Stage", "Amount", "Close Date", "Created"]]
    for i in range(1, 31):
        d = dt.date(2026, 1, 1) + dt.timedelta(days=i * 7)
        c = d - dt.timedelta(days=40)
        rows.append(
            [
                f"Q{i:03d}",
                f"Client {i}",
                STAGES[i % 6],
                str(500 * i),
                f"{d.day}/{d.month:02d}/{d.year}",
                f"{c.day}/{c.month}/{c.year}",
            ]
        )
    g = guess_path(write_csv(tmp_path / "deals.csv", rows, delimiter=";"))
    assert orders(g) == {"Close Date": ("dmy", ("%d/%m/%Y",)), "Created": ("dmy", ("%d/%m/%Y",))}
    assert g.column_for("expected_close").date.evidence == (
        "Close Date: 30 dates, 60% with day > 12 → day first"
    )
    assert g.locale.locale == "en_GB"  # English headers, day-first dates


def test_dates_that_do_not_tell_their_order_fall_back_to_the_locale_and_say_so(tmp_path):
    rows = [["Nr.", "Kunde", "Phase", "Betrag", "Abschlussdatum"]]
    rows += [
        [f"V-{i}", f"Firma {i}", "Angebot", i * 100, f"{i}/{(i % 12) + 1}/2026"]
        for i in range(1, 13)
    ]
    g = guess_path(write_csv(tmp_path / "de.csv", rows))
    d = g.column_for("expected_close").date
    assert (d.order, d.ambiguous, d.formats) == ("dmy", True, ("%d/%m/%Y",))
    assert d.evidence == (
        "Abschlussdatum: 12 dates, every one with day and month ≤ 12: the values do not tell "
        "the order; the locale guess de_DE reads day first → day first"
    )
    rows[0] = ["Deal ID", "Customer", "Stage", "Amount", "Close Date"]
    g = guess_path(write_csv(tmp_path / "us.csv", rows))
    d = g.column_for("expected_close").date
    assert (d.order, d.ambiguous, d.formats) == ("mdy", True, ("%m/%d/%Y",))
    assert "the locale guess en_US reads month first" in d.evidence


def test_german_tracker(tmp_path):
    phases = ["Qualifiziert", "Angebot", "Verhandlung", "Gewonnen", "Verloren", "Neu"]
    rows = [["Nr.", "Kunde", "Phase", "Betrag", "Abschlussdatum", "Verantwortlich", "Verlustgrund"]]
    for i in range(1, 25):
        d = dt.date(2026, 3, 1) + dt.timedelta(days=i * 9)
        rows.append(
            [
                f"V-{i:03d}",
                f"Firma {i} GmbH",
                phases[i % 6],
                f"{1000 * i + 200},50 €",
                d.strftime("%d.%m.%Y"),
                ["Anna", "Jonas"][i % 2],
                "Preis" if phases[i % 6] == "Verloren" else None,
            ]
        )
    g = guess_path(write_xlsx(tmp_path / "chancen.xlsx", {"Chancen": rows}))
    assert headers(g) == {
        "deal_id": "Nr.",
        "customer": "Kunde",
        "stage": "Phase",
        "amount": "Betrag",
        "expected_close": "Abschlussdatum",
        "owner": "Verantwortlich",
        "lost_reason": "Verlustgrund",
    }
    assert stage_map(g) == {
        "Neu": "lead",
        "Qualifiziert": "opportunity",
        "Angebot": "negotiation",
        "Verhandlung": "negotiation",
        "Gewonnen": "contract",
        "Verloren": "lost",
    }
    money = g.column_for("amount").money
    assert (money.currency, money.decimal) == ("EUR", ",")
    assert orders(g) == {"Abschlussdatum": ("dmy", ("%d.%m.%Y",))}
    assert (g.locale.locale, g.currency.currency) == ("de_DE", "EUR")
    assert g.relax == ()


def test_sectioned_tracker_with_titles_and_totals(tmp_path):
    header = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Close Date"]
    rows: list[list] = [["Sales pipeline — Q3 2026"], [], header, ["UNDER CONTRACT"]]
    for i in range(1, 5):
        rows.append([f"D-{i:03d}", f"Acme {i}", "Contract", 1000 * i, "Alice", dt.date(2026, 9, i)])
    rows += [["Subtotal", None, None, 10_000], [None], ["PROSPECTS"]]
    for i in range(5, 10):
        rows.append([f"D-{i:03d}", f"Beta {i}", "Lead", 500 * i, "Bob", dt.date(2026, 10, i)])
    rows += [[None, None, None, 17_500], list(header)]
    rows.append(["D-010", "Gamma", "Negotiation", 7000, "Alice", dt.date(2026, 11, 1)])
    rows += [["D-011"], ["Total", None, None, 34_500]]
    g = guess_path(write_xlsx(tmp_path / "tracker.xlsx", {"Pipeline": rows}))
    assert (g.header_row, g.first_data_row) == (3, 4)
    assert [(r.row, r.kind) for r in g.layout] == [
        (1, "title"),
        (4, "section"),
        (9, "subtotal"),
        (10, "blank"),
        (11, "section"),
        (17, "subtotal"),
        (18, "repeated-header"),
        (21, "total"),
    ]
    assert g.data_rows == 11  # 10 filled deals + D-011, the deal with nothing but its id
    assert stage_map(g) == {"Lead": "lead", "Negotiation": "negotiation", "Contract": "contract"}


def test_chinese_opportunity_sheet_with_unit_and_instruction_row(tmp_path):
    cn = ["初步接触", "需求分析", "报价", "赢单", "输单", "方案演示"]
    rows = [
        [
            "商机编号",
            "客户名称",
            "商机阶段",
            "预计金额（万元）",
            "预计成交日期",
            "负责人",
            "输单原因",
        ],
        [
            "必填",
            "必填",
            "必填，从下拉选择",
            "选填，单位万元",
            "格式：YYYY年MM月DD日",
            "必填",
            "输单时必填",
        ],
    ]
    for i in range(1, 21):
        d = dt.date(2026, 11, 1) + dt.timedelta(days=i)
        rows.append(
            [
                f"SJ{i:05d}",
                f"上海客户{i}有限公司",
                cn[i % 6],
                round(12.5 * i, 2),
                f"{d.year}年{d.month}月{d.day}日",
                ["张三", "李四"][i % 2],
                "价格" if cn[i % 6] == "输单" else None,
            ]
        )
    path = write_xlsx(
        tmp_path / "商机.xlsx", {"说明": [["填写说明"], ["金额单位：万元"]], "商机": rows}
    )
    g = guess_path(path)
    assert g.sheet.name == "商机"
    assert [(r.row, r.kind) for r in g.layout] == [(2, "instruction")]
    assert g.data_rows == 20
    money = g.column_for("amount").money
    assert (money.scale, money.currency) == (Decimal(10_000), "CNY")
    assert "the header says × 10,000 CNY" in money.evidence
    assert orders(g) == {"预计成交日期": ("ymd", ("%Y年%m月%d日",))}
    assert stage_map(g) == {
        "初步接触": "lead",
        "需求分析": "opportunity",
        "方案演示": "follow_up",
        "报价": "negotiation",
        "赢单": "contract",
        "输单": "lost",
    }
    assert (g.locale.locale, g.currency.currency) == ("zh_CN", "CNY")


def test_salesforce_style_export(tmp_path):
    sf = [
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Value Proposition",
        "Id. Decision Makers",
        "Perception Analysis",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    ]
    rows = [
        [
            "Id",
            "AccountId",
            "Name",
            "StageName",
            "Amount",
            "CloseDate",
            "Probability",
            "OwnerId",
            "CreatedDate",
            "CurrencyIsoCode",
            "LastStageChangeDate",
            "IsWon",
        ]
    ]
    for i in range(1, 31):
        st = sf[i % 10]
        rows.append(
            [
                f"0065g00000{i:05d}AAQ",
                f"0015g00000{i % 7:05d}XyZ",
                f"Opp {i % 12}",
                st,
                f"{i * 1000}.0",
                f"2026-{(i % 12) + 1:02d}-15",
                str(i % 10 * 10),
                f"0055g00000{i % 3:05d}QrS",
                f"2026-01-{(i % 28) + 1:02d}T10:00:00.000Z",
                "EUR",
                f"2026-02-{(i % 28) + 1:02d}",
                "1" if st == "Closed Won" else "0",
            ]
        )
    g = guess_path(write_csv(tmp_path / "Opportunity.csv", rows))
    assert headers(g) == {
        "deal_id": "Id",
        "customer": "AccountId",
        "deal_name": "Name",
        "stage": "StageName",
        "amount": "Amount",
        "expected_close": "CloseDate",
        "probability": "Probability",
        "owner": "OwnerId",
        "created": "CreatedDate",
        "currency": "CurrencyIsoCode",
        "stage_date": "LastStageChangeDate",
    }
    assert "(Opportunity record ids, Salesforce)" in g.column_for("deal_id").evidence
    assert orders(g)["CreatedDate"] == ("ymd", ("%Y-%m-%dT%H:%M:%S.%f%z",))
    assert stage_map(g)["Perception Analysis"] == "follow_up"
    assert stage_map(g)["Id. Decision Makers"] == "opportunity"
    assert g.currency.currency == "EUR"
    flag = next(c for c in g.columns if c.header == "IsWon")
    assert (flag.field, flag.boolean) == (None, "1/0")


# --- smaller decisions ----------------------------------------------------------------------


def test_unknown_stages_become_extra_open_stages_ordered_by_stage_dates(tmp_path):
    rows = [["Deal ID", "Stage", "Created", "Stage Date"]]
    plan = [("Lead", 2), ("Site Visit", 20), ("Negotiation", 40), ("Board Review", 60)]
    n = 0
    for stage, days in plan:
        for _ in range(3):
            n += 1
            rows.append(
                [f"D-{n}", stage, "2026-01-01", str(dt.date(2026, 1, 1) + dt.timedelta(days))]
            )
    g = guess_path(write_csv(tmp_path / "p.csv", rows))
    extras = {e.label: (e.id, e.after) for e in g.extra_stages}
    assert extras == {
        "Site Visit": ("site_visit", "lead"),
        "Board Review": ("board_review", "negotiation"),
    }
    site = g.stage_of("Site Visit")
    assert (site.stage, site.outcome, site.extra) == ("site_visit", "open", True)
    assert "by the median days from creation to the stage date (20 days)" in site.evidence
    assert any(w.startswith("stage 'Site Visit' (3 rows) is unknown") for w in g.warnings)
    assert {u.name for u in g.unplaced if u.kind == "stage"} == {"Site Visit", "Board Review"}


def test_stage_dates_given_as_serial_numbers_order_the_stages(tmp_path):
    """A Google Sheet gives its date cells as serial numbers: the stage dates still order an
    unknown stage (it fell back to placing by frequency, "the sheet has no stage dates")."""
    from conftest import make_xlsx

    rows: list[list] = [["Deal ID", "Stage", "Stage Date"]]
    for n, (stage, day) in enumerate([("Lead", 2), ("Site Visit", 20), ("Negotiation", 40)] * 3):
        serial = (dt.date(2026, 1, 1) + dt.timedelta(day) - dt.date(1899, 12, 30)).days
        rows.append([f"D-{n}", stage, serial])
    g = guess_path(make_xlsx(tmp_path / "p.xlsx", {"Pipeline": rows}))
    assert g.column_for("stage_date").header == "Stage Date"
    site = g.stage_of("Site Visit")
    assert site.evidence.endswith("placed after lead by the median stage date (2026-01-21)")


def test_a_stage_placed_by_its_median_stage_date_shows_the_date(tmp_path):
    """Without a creation date the stage dates themselves order the stages; the evidence
    showed the median as a day number ("(739940.0)")."""
    rows = [["Deal ID", "Stage", "Stage Date"]]
    for n, (stage, day) in enumerate([("Lead", 2), ("Site Visit", 20), ("Negotiation", 40)] * 3):
        rows.append([f"D-{n}", stage, str(dt.date(2026, 1, 1) + dt.timedelta(day))])
    g = guess_path(write_csv(tmp_path / "p.csv", rows))
    site = g.stage_of("Site Visit")
    assert site.evidence.endswith("placed after lead by the median stage date (2026-01-21)")


def test_unknown_stages_without_stage_dates_are_ordered_by_frequency(tmp_path):
    counts = {"Lead": 9, "Site Visit": 6, "Negotiation": 4, "Board Review": 2}
    rows = [["Deal ID", "Stage"]]
    rows += [[f"D-{stage[:2]}{i}", stage] for stage, n in counts.items() for i in range(n)]
    g = guess_path(write_csv(tmp_path / "p.csv", rows))
    extras = {e.label: e.after for e in g.extra_stages}
    assert extras == {"Site Visit": "lead", "Board Review": "negotiation"}
    assert "by frequency" in g.stage_of("Board Review").evidence


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (
            "b2c",
            {
                "Prospecting": "lead",
                "Qualification": "interested",
                "Proposal": "order",
                "Closed Won": "paid",
                "Closed Lost": "lost",
            },
        ),
        (
            "lite",
            {
                "Prospecting": "lead",
                "Qualification": "talking",
                "Proposal": "quoted",
                "Closed Won": "won",
                "Closed Lost": "lost",
            },
        ),
    ],
)
def test_stage_names_map_to_the_b2c_and_lite_stages(tmp_path, profile, expected):
    rows = [["Deal ID", "Stage"]] + [[f"D-{i}", s] for i, s in enumerate(expected)]
    g = guess_path(write_csv(tmp_path / "p.csv", rows), profile)
    assert stage_map(g) == expected
    assert {s.value: s.outcome for s in g.stages}["Closed Won"] == "won"


def test_two_amount_columns_two_id_columns_and_a_chosen_sheet(tmp_path):
    rows = [["Opportunity ID", "Account", "Stage", "Expected Revenue", "Amount", "Ref"]]
    rows += [[f"OP-{i}", f"A{i}", "Lead", i * 10, i * 100, f"R{i}"] for i in range(1, 9)]
    path = write_xlsx(tmp_path / "two.xlsx", {"Notes": [["hello"]], "Deals": rows})
    g = guess_path(path)
    assert headers(g)["amount"] == "Amount"
    assert "beats 'Expected Revenue'" in g.column_for("amount").evidence
    assert headers(g)["deal_id"] == "Opportunity ID"
    g = guess_path(path, sheet="Deals")
    assert g.sheet.evidence == "Deals: chosen by the caller"
    with pytest.raises(SourceError, match="no sheet named 'Nope'"):
        guess_path(path, sheet="Nope")


def test_guess_lines_read_like_a_report(tmp_path):
    rows = [["Deal ID", "Stage", "Amount (USD)"], ["D-1", "Lead", "1,200"], ["D-2", "Won", "300"]]
    g = guess_path(write_csv(tmp_path / "p.csv", rows))
    lines = g.lines()
    assert (
        "column C ('Amount (USD)') → amount: 'Amount (USD)' is an alias of amount in the b2b "
        "profile (unit stripped: 'Amount'); 100% numbers"
    ) in lines
    assert "  money: Amount (USD): the header says USD; 2 whole numbers written as text" in lines
    currency = "currency: USD (Amount (USD): the header says USD; 2 whole numbers written as text)"
    assert currency in lines


def test_a_new_tracker_with_a_header_and_no_deals_yet(tmp_path):
    g = guess_path(write_csv(tmp_path / "new.csv", [["Deal ID", "Stage", "Amount"]]))
    assert (g.header_row, g.data_rows) == (1, 0)
    assert headers(g) == {"deal_id": "Deal ID", "stage": "Stage", "amount": "Amount"}
    assert g.column_for("deal_id").evidence.endswith("; no values yet")
    assert g.stages == () and g.layout == ()
    # English headers and no currency anywhere: the amounts are taken as dollars, not as the
    # Chinese b2b profile's yuan, and the config asks the user to check
    assert (g.locale.locale, g.currency.currency) == ("en_US", "USD")
    assert g.warnings == (
        "the sheet names no currency: amounts are read as USD (the currency of en_US); change "
        "the currency line below if they are not",
        "the time zone is the profile's Asia/Shanghai, but the sheet looks like en_US: set "
        "timezone: to the team's (it decides when today starts and when the nightly run runs)",
        "quotes and contracts carry no tax until you set yours (the b2b profile's 13% inclusive "
        "tax is China's VAT): set documents: default_tax_rate (and tax_mode), or give each line "
        "item a Tax Rate",
    )


ZONE_CHECK = "set timezone: to the team's"


@pytest.mark.parametrize(
    ("rows", "here", "zone", "check"),
    [
        # a US sheet made on a computer in Chicago: the team's zone, nothing to check
        ([["Deal ID", "Stage", "Amount"], ["D1", "Proposal", 5]], "America/Chicago",
         "America/Chicago", False),
        # on a server in UTC: the US has six times, so the computer's is taken, and flagged
        ([["Deal ID", "Stage", "Amount"], ["D1", "Proposal", 5]], "Etc/UTC", "Etc/UTC", True),
        # nothing known about the computer: the profile's zone stays, flagged
        ([["Deal ID", "Stage", "Amount"], ["D1", "Proposal", 5]], None, None, True),
        # Germany keeps one time: Berlin, wherever the config is made
        ([["Nr.", "Phase", "Betrag"], ["A-1", "Angebot", 5]], "America/Chicago",
         "Europe/Berlin", False),
        # a British sheet (day-first dates) made in Dublin: London
        ([["Deal ID", "Stage", "Close Date"], ["D1", "Proposal", "30/05/26"]], "Europe/Dublin",
         "Europe/London", False),
        # the profile's own country: its zone, not the computer's
        ([["商机编号", "销售阶段"], ["S-1", "报价与谈判"]], "Europe/Berlin", None, False),
    ],
)  # fmt: skip
def test_the_teams_time_zone(tmp_path, rows, here, zone, check):
    g = guess_path(write_csv(tmp_path / "p.csv", rows), local_zone=here)
    assert g.zone.zone == zone
    assert any(ZONE_CHECK in w for w in g.warnings) == check


def test_small_sheets_are_not_mistaken_for_layout(tmp_path):
    # a data row of identifier-like texts right below the header is no second header
    rows = [["Deal ID", "Stage"], ["D1", "NA"], ["D2", "Lead"], ["D3", "Lead"]]
    g = guess_path(write_csv(tmp_path / "a.csv", rows))
    assert g.layout == ()
    assert markers(g) == {"NA": ("sheet", 1)}
    assert stage_map(g) == {"Lead": "lead"}
    # lone numbers under a header are values, not section titles
    g = guess_path(write_csv(tmp_path / "b.csv", [["x"], ["1"], ["2"]]))
    assert g.layout == ()
    assert [u.name for u in g.unplaced if u.kind == "field"] == ["deal_id", "stage"]


def test_an_empty_source_says_so(tmp_path):
    g = guess_path(write_csv(tmp_path / "empty.csv", []))
    assert (g.columns, g.stages, g.layout) == ((), (), ())
    assert [u.name for u in g.unplaced] == ["deal_id", "stage"]
    with pytest.raises(SourceError, match="no sheets"):
        guess_config({}, load_profile("b2b"), source="nothing", today=TODAY)


def test_the_vocabulary_never_gives_one_name_two_meanings():
    from salessheet.init.adopt.headers import name_key
    from salessheet.init.adopt.vocabulary import (
        FIELD_TYPES,
        HEADER_NAMES,
        STEP_WORDS,
        WEAK_HEADER_NAMES,
    )

    field_of: dict[str, str] = {}
    for _source, fname, names in HEADER_NAMES:
        assert fname in FIELD_TYPES
        for name in names:
            assert field_of.setdefault(name_key(name), fname) == fname, name
    for fname, names in WEAK_HEADER_NAMES.items():
        for name in names:
            assert field_of.setdefault(name_key(name), fname) == fname, name
    step_of: dict[str, str] = {}
    for step, values in STEP_WORDS.items():
        for value in values:
            assert step_of.setdefault(name_key(value), step) == step, value


# --- values, one by one ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pattern", "a", "b"),
    [
        ("15 Apr, 2021 00:02:00", "%d %b, %Y %H:%M:%S", 0, 0),
        ("Apr 15, 2021", "%b %d, %Y", 0, 0),
        ("15-Apr-21", "%d-%b-%y", 0, 0),
        ("1/08/26", "{A}/{B}/%y", 1, 8),
        ("30/05/26", "{A}/{B}/%y", 30, 5),
        ("05.11.2026", "{A}.{B}.%Y", 5, 11),
        ("11/5/2026 10:00 AM", "{A}/{B}/%Y %I:%M %p", 11, 5),
        ("2026/11/05", "%Y/%m/%d", 0, 0),
        ("2023-05-11 00:00:00", "%Y-%m-%d", 0, 0),
        ("2023-02-07T20:47:49.000Z", "%Y-%m-%dT%H:%M:%S.%f%z", 0, 0),
        ("2026年11月5日", "%Y年%m月%d日", 0, 0),
    ],
)
def test_dates_written_as_text(text, pattern, a, b):
    from salessheet.init.adopt.values import DATE_TEXT, read_date_text, value_kind

    t = read_date_text(text)
    assert (t.pattern, t.a, t.b) == (pattern, a, b)
    assert value_kind(text) == DATE_TEXT


@pytest.mark.parametrize("text", ["D-0001", "0E761F02", "Closed Won", "13/13/26", "2024-02-30"])
def test_texts_that_are_no_dates(text):
    from salessheet.init.adopt.values import read_date_text

    assert read_date_text(text) is None


@pytest.mark.parametrize(
    ("text", "value", "currency", "decimal"),
    [
        ("$22,700.00", "22700.00", "USD", "."),
        ("1.200,50 €", "1200.50", "EUR", ","),
        ("9350,09", "9350.09", None, ","),
        ("¥1,200.50", "1200.50", "CNY", "."),
        ("1,200", "1200", None, None),  # could be 1.2 in a comma locale: the column decides
        ("1,200,000", "1200000", None, "."),
        ("(1,000)", "-1000", None, None),
        ("100 USD", "100", "USD", None),
    ],
)
def test_money_written_as_text(text, value, currency, decimal):
    from salessheet.init.adopt.values import read_number_text

    n = read_number_text(text)
    assert (n.value, n.currency, n.decimal) == (Decimal(value), currency, decimal)


def test_ids_booleans_and_markers_by_value():
    from salessheet.init.adopt.values import column_values, id_family, is_null_marker

    assert id_family("0068a00001JMUl0AAH") == "salesforce:Opportunity"
    assert id_family("0058a00000MNWtZAAX") == "salesforce:User"
    assert id_family("0e59ba5f-8d74-4cdd-ba82-d7784a5ea726") == "guid"
    assert id_family("D-0001") == "code" and id_family("0E761F02") == "code"
    assert id_family("1832") == "number" and id_family("Acme") is None
    assert column_values(1, ["si", "no", "si", None]).is_boolean() == "si/no"
    assert column_values(1, [True, False]).is_boolean() == "true/false"
    assert column_values(1, [1.0, 0.0, 1.0]).is_boolean() == "1/0"
    assert column_values(1, ["si", "no", "tal vez"]).is_boolean() is None
    for marker in ("NA", "N/A", "n/a", "\\N", "NULL", "null", "-", "—", "TBD", "#N/A", "无", "暂无",
                   "待定", "000000000000000AAA"):  # fmt: skip
        assert is_null_marker(marker), marker
    assert not is_null_marker("Sin_Factura")  # only when a column is full of it


def test_google_sheets_serial_dates_and_fraction_percentages():
    """The Sheets API hands dates over as serial numbers: a date column by its name."""
    from salessheet.core.cells import RawSheet

    rows = [["Deal ID", "Stage", "Close Date", "Probability"]]
    rows += [[f"D-{i}", "Lead", 46000.0 + i, i / 10] for i in range(1, 10)]
    g = guess_config(
        {"Pipeline": RawSheet("Pipeline", rows)}, load_profile("b2b"), source="x", today=TODAY
    )
    close = g.column_for("expected_close")
    assert close.header == "Close Date"
    assert close.date.evidence == "Close Date: 9 date serial numbers"
    assert g.column_for("probability").percent.scale == "fraction"
