"""validate on real pipelines other people wrote (../shared/corpus; skipped where absent)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from decimal import Decimal

from conftest import REPO, corpus_file

from salessheet.api import open_pipeline, validate
from salessheet.core.cells import CellError
from salessheet.stores.xlsx.store import XlsxStore

MAVEN = str(REPO / "examples" / "maven.yaml")
AYUSOPHIA = str(REPO / "examples" / "ayusophia.yaml")


def test_ayusophia_header_on_row_2_and_repeated_ids() -> None:
    path = corpus_file("ayusophia_sales_pipeline_assessment", "Sales Pipeline.xlsx")
    report = validate(path, profile=AYUSOPHIA, today=dt.date(2024, 1, 1))
    p = open_pipeline(path, profile=AYUSOPHIA, today=dt.date(2024, 1, 1))
    assert p.sheet == "Sales Pipeline" and p.layout.header_row == 2  # row 1 holds =SUBTOTAL()
    assert len(p.deals) == 9994  # rows; one line item per row, ids repeat
    assert report.deals == 5009 == len({d.id for d in p.deals})  # each id counted once
    assert report.notes == [
        "9994 rows: 7456 rows share 2471 ids; each id counted once, the last row wins"
    ]
    dups = [
        f for f in report.findings if f.code == "duplicate-id" and f.deal_id == "CA-2016-145317"
    ]
    assert sorted(f.row for f in dups) == [3, 645, 3411, 6261, 7010, 7286, 8953]
    assert all(f.cell == f"C{f.row}" for f in dups)
    counts = Counter(f.code for f in report.findings)
    assert counts["close-before-created"] == 42  # "42 deals close before they were created"
    # float noise in the file: 17499.9499999999 is read as 17499.95
    assert p.deals[1].values["amount"] == Decimal("17499.95")


def test_maven_csv_lost_deals_need_no_amount() -> None:
    path = corpus_file("maven_crm_sales_opportunities", "sales_pipeline.csv")
    report = validate(path, profile=MAVEN, today=dt.date(2017, 12, 31))
    assert report.deals == 8800
    assert report.findings == []
    p = open_pipeline(path, profile=MAVEN, today=dt.date(2017, 12, 31))
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert Counter(d.stage for d in p.deals) == Counter(r["deal_stage"].lower() for r in rows)
    lost = [d for d in p.deals if d.stage == "lost"]
    assert len(lost) == sum(1 for r in rows if r["deal_stage"] == "Lost")
    assert {d.values["amount"] for d in lost} <= {Decimal(0), None}


def test_maven_with_the_default_profile_reports_its_stages() -> None:
    path = corpus_file("maven_crm_sales_opportunities", "sales_pipeline.csv")
    report = validate(path, today=dt.date(2017, 12, 31))
    unknown = Counter(f.value for f in report.findings if f.code == "unknown-stage")
    # b2b knows Won (→ contract) and Lost; Prospecting and Engaging are not b2b stages
    assert set(unknown) == {"Prospecting", "Engaging"}


def test_google_sheets_export_with_xlookup_columns() -> None:
    path = corpus_file("jhurley89_googlesheets_sales_pipeline", "sales_pipeline (5).xlsx")
    p = open_pipeline(path, profile=MAVEN, today=dt.date(2017, 12, 31))
    assert p.sheet == "sales_pipeline.csv" and len(p.deals) == 8800
    assert {"manager", "regional_office"} <= set(p.layout.unmapped.values())
    assert p.deals[0].extra["manager"] == "Dustin Brinkmann"


def test_cached_na_values_are_error_cells() -> None:
    path = corpus_file("meriamalex_skill_test", "sales_pipeline.xlsx")
    sheet = XlsxStore(str(path)).read(["Task 1"])["Task 1"]
    errors = [c for row in sheet.rows for c in row if isinstance(c, CellError)]
    assert len(errors) == 2850 and {e.code for e in errors} == {"#N/A"}
    # the pipeline sheet itself: R's "NA" text is a blank under the profile's null_markers
    report = validate(path, profile=MAVEN, today=dt.date(2017, 12, 31))
    assert report.deals == 8800 and report.findings == []


def test_isimbisyl_summary_formulas_beside_deals() -> None:
    path = corpus_file("isimbisyl_sales_pipeline_tracker", "Sales_Pipeline.xlsx")
    report = validate(
        path, profile=str(REPO / "examples" / "isimbisyl.yaml"), today=dt.date(2024, 1, 1)
    )
    assert report.deals == 10 and report.findings == []
    b2b = validate(path, today=dt.date(2024, 1, 1))
    assert sorted(f.value for f in b2b.findings if f.code == "unknown-stage") == [
        "Proposal",
        "Proposal",
        "Qualified",
        "Qualified",
    ]


def test_salesforce_export_without_an_id_alias_is_explained(cli) -> None:
    path = corpus_file("salesforce_cpq_fizzly_demo", "Opportunity.csv")
    res = cli("validate", path)
    assert res.exit_code == 2
    assert "no header row found" in res.stderr and "Traceback" not in res.stderr
