"""Real sheets other people wrote, where the reading used to be wrong (issue 11): a SUBTOTAL
above the header, a second header row, day-first dates. Each result is checked against an
independent computation from the file (python-calamine / the csv module)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import python_calamine
from conftest import REPO, corpus_file

from salessheet import api

AYUSOPHIA = str(REPO / "examples" / "ayusophia.yaml")
STAGES = {"Proposing": "proposing", "Negotiating": "negotiating", "Closed Won": "won",
          "Closed Lost": "lost"}  # fmt: skip


def _decimal(x: float) -> Decimal:
    return Decimal(format(x, ".12g"))  # 12 significant digits: float noise dropped


def test_ayusophia_subtotal_above_the_header_and_one_deal_per_id() -> None:
    path = corpus_file("ayusophia_sales_pipeline_assessment", "Sales Pipeline.xlsx")
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name("Sales Pipeline").to_python(skip_empty_area=False)
    header = rows[1]
    col = {h: header.index(h) for h in ("Opportunity ID", "Deal Stage", "Sales Amount")}
    last: dict[str, list] = {}
    for r in rows[2:]:
        if r[col["Opportunity ID"]]:
            last[r[col["Opportunity ID"]]] = r  # the last row of each id wins
    report = api.validate(path, profile=AYUSOPHIA, today=dt.date(2024, 1, 1))
    (skipped,) = [f for f in report.findings if f.code == "rows-skipped"]
    assert skipped.details == {"rows": [1], "kinds": {"subtotal": 1}}  # =SUBTOTAL(...) on row 1
    assert "I1 2,297,200.86 is the sum of Sales Amount below the header" in skipped.message
    assert report.deals == len(last) == 5009
    p = api.open_pipeline(path, profile=AYUSOPHIA, today=dt.date(2024, 1, 1))
    assert 1 not in {d.row for d in p.deals} and len(p.deals) == len(rows) - 2
    figures = api.report(path, profile=AYUSOPHIA, today=dt.date(2024, 1, 1)).to_dict()
    want_counts = Counter(STAGES[r[col["Deal Stage"]]] for r in last.values())
    want_sums: dict[str, Decimal] = {}
    cent = Decimal("0.01")
    for r in last.values():  # each deal rounded once, half up (8.016 -> 8.02), as changes does
        stage = STAGES[r[col["Deal Stage"]]]
        amount = _decimal(r[col["Sales Amount"]]).quantize(cent, ROUND_HALF_UP)
        want_sums[stage] = want_sums.get(stage, Decimal(0)) + amount
    got = {s["stage"]: s for s in figures["funnel"]["stages"]}
    assert {k: got[k]["deals"] for k in want_counts} == dict(want_counts)
    assert {k: Decimal(got[k]["amount"]["by_currency"]["USD"]) for k in want_sums} == want_sums
    open_sum = want_sums["negotiating"] + want_sums["proposing"]
    assert open_sum == Decimal("274957.00")  # the raw sum read 274,957.02
    assert figures["notes"][0] == (
        "Deals: 7456 rows share 2471 ids; each id counted once, the last row wins."
    )


def test_a_second_header_row_of_field_keys_is_no_deal(tmp_path: Path) -> None:
    path = corpus_file("shar123456_vue3proj_cn_opportunity_template", "商机导入模板.xlsx")
    cfg = tmp_path / "shar.yaml"
    cfg.write_text(
        "extends: b2b\ncolumns:\n"
        "  deal_id: {aliases: [客户编号], aliases_replace: true}\n"
        "  customer: {aliases: [客户姓名], aliases_replace: true}\n"
        "  stage: {aliases: [阶段], aliases_replace: true}\n"
        "  amount: {aliases: [金额], aliases_replace: true}\n"
        "  currency: {aliases: [货币], aliases_replace: true}\n"
        "  probability: {aliases: [概率], aliases_replace: true}\n",
        "utf-8",
    )
    report = api.validate(path, profile=str(cfg), today=dt.date(2026, 11, 28))
    (skipped,) = [f for f in report.findings if f.code == "rows-skipped"]
    assert skipped.details == {"rows": [2], "kinds": {"second-header": 1}}
    assert "CustomerCode" in skipped.message
    p = api.open_pipeline(path, profile=str(cfg), today=dt.date(2026, 11, 28))
    assert [(d.row, d.id) for d in p.deals] == [(3, "3二等分本地")]  # the one filled-in row
    assert [f.value for f in report.findings if f.code == "unknown-stage"] == ["集美学村"]


def test_day_first_dates_read_day_first_with_the_columns_date_order(tmp_path: Path) -> None:
    path = corpus_file("mariacvega90_pipeline_prueba_deals", "Deals.csv")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))

    def dmy(text: str) -> dt.date:
        d, m, y = (int(x) for x in text.split("/"))
        return dt.date(2000 + y, m, d)

    cfg = tmp_path / "deals.yaml"
    cfg.write_text(
        "extends: b2b\ncolumns:\n"
        "  expected_close: {aliases: [close_date], date_order: dmy}\n"
        "  created: {aliases: [deal_created_date], date_order: dmy}\n",
        "utf-8",
    )
    report = api.validate(path, profile=str(cfg), today=dt.date(2026, 11, 28))
    codes = Counter(f.code for f in report.findings)
    assert codes["bad-value"] == 0 and codes["ambiguous-date"] == 0
    # close-before-created exactly where the day-first dates say so
    assert codes["close-before-created"] == sum(
        1 for r in rows if dmy(r["close_date"]) < dmy(r["deal_created_date"])
    )
    p = api.open_pipeline(path, profile=str(cfg), today=dt.date(2026, 11, 28))
    assert len(p.deals) == len(rows) == 500
    assert [d.values["expected_close"] for d in p.deals] == [dmy(r["close_date"]) for r in rows]
    assert p.deals[0].values["expected_close"] == dt.date(2026, 8, 1)  # 1/08/26, not 8 January
    # amount_usd: the header says USD, whatever the profile's currency
    assert p.layout.currency_of == {"amount": "USD"}
    assert [d.values["amount"] for d in p.deals] == [Decimal(r["amount_usd"]) for r in rows]
    # without the date order the same file is day first only: bad values, never a silent mix
    b2b = api.validate(path, today=dt.date(2026, 11, 28))
    assert Counter(f.code for f in b2b.findings)["ambiguous-date"] == 0
