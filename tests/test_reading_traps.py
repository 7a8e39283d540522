"""Small generated sheets for each way a real sheet was read wrong (issue 11): units in money
headers, day/month order, null markers, duplicate ids, layout rows, refusals that point at the
fix, a first run's readable output, headerless exports and the placeholder seller."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SELLER, TODAY, make_xlsx, seller_config
from openpyxl import load_workbook

from salessheet import api
from salessheet.core.errors import ConfigError, StructureError
from salessheet.settings.profile import load_profile

FLAG = "⚑ salessheet: flags"


def _config(folder: Path, text: str, name: str = "team.yaml") -> Path:
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def set_formulas(path: Path, cells: dict[str, tuple[str, str]]) -> None:
    """Give cells of the first sheet a formula with the numeric value Excel cached for it:
    {"E5": ("E4*2", "2000")}. Each cell must already exist."""
    with zipfile.ZipFile(path) as zf:
        items = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    xml = items["xl/worksheets/sheet1.xml"].decode()
    for ref, (formula, value) in cells.items():
        xml, n = re.subn(
            rf'<c r="{ref}"[^>]*>.*?</c>', f'<c r="{ref}"><f>{formula}</f><v>{value}</v></c>', xml
        )
        assert n == 1, f"no cell {ref} to replace"
    items["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in items.items():
            zf.writestr(name, data)


# --- 1. units in money headers ------------------------------------------------------------


def _wan_workbook(tmp_path: Path) -> Path:
    return make_xlsx(
        tmp_path / "万元.xlsx",
        {
            "商机": [
                ["商机编号", "客户名称", "销售阶段", "预计金额（万元）", "负责人", "预计成交日期"],
                ["D-1", "华信科技", "报价与谈判", 680, "张伟", dt.date(2027, 3, 1)],
                ["D-2", "绿源", "客户开发", 12.5, "李娜", dt.date(2027, 4, 1)],
            ],
            "Line Items": [
                ["商机编号", "产品", "数量", "单价（万元）"],
                ["D-1", "Platform licence", 1, 680],
            ],
        },
    )


def test_a_wan_yuan_header_multiplies_amounts_by_ten_thousand_everywhere(tmp_path: Path) -> None:
    book = _wan_workbook(tmp_path)
    p = api.open_pipeline(book, today=TODAY)
    assert [d.values["amount"] for d in p.deals] == [Decimal(6_800_000), Decimal(125_000)]
    assert p.layout.currency_of == {"amount": "CNY"}  # 元 in the header
    report = api.validate(book, today=TODAY)
    assert [f.code for f in report.findings if f.code in ("header-note", "bad-value")] == []
    figures = api.report(book, today=TODAY).to_dict()
    assert figures["funnel"]["amount"]["by_currency"] == {"CNY": "6925000.00"}
    # the quote: line items priced in 万元 too, and they reconcile with the deal amount
    result = api.issue_documents(
        book,
        "quote",
        ["D-1"],
        profile=load_profile("b2b", overrides=SELLER),
        today=TODAY,
        fmt="html",
        out_dir=tmp_path / "quotes",
    )
    assert [f.problems for f in result.failed] == []
    (doc,) = result.issued
    assert (doc.currency, doc.total) == ("CNY", Decimal("6800000.00"))
    assert "6,800,000.00" in doc.path.read_text("utf-8")


def test_thousands_header_with_a_currency_and_a_remark_that_is_no_unit(tmp_path: Path) -> None:
    book = make_xlsx(
        tmp_path / "k.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Deal Value ($000s)", "Notes (internal)"],
                ["D-1", "Acme", "Lead", "Ann", 1.5, "x"],
            ]
        },
    )
    p = api.open_pipeline(book, today=TODAY)
    assert p.deals[0].values["amount"] == Decimal(1500)
    assert p.layout.currency_of == {"amount": "USD"}
    figures = api.report(book, today=TODAY).to_dict()
    assert figures["funnel"]["amount"]["by_currency"] == {"USD": "1500.00"}
    found = [f.code for f in api.validate(book, today=TODAY).findings]
    assert "header-note" not in found  # "Notes (internal)": a remark on a text column, as before

    vat = make_xlsx(
        tmp_path / "vat.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Amount (incl. VAT)"],
                ["D-1", "Acme", "Lead", "Ann", 1000],
                ["D-2", "Beta", "Lead", "Bob", 2000],
            ]
        },
    )
    notes = [f for f in api.validate(vat, today=TODAY).findings if f.code == "header-note"]
    assert [(n.severity, n.cell, n.row) for n in notes] == [("info", "E1", 1)]  # once
    assert notes[0].message == (
        "'Amount (incl. VAT)' (E1): (incl. VAT) is not a unit: kept as a remark, no scale or "
        "currency taken from it; amounts are read as written"
    )
    assert api.open_pipeline(vat, today=TODAY).deals[0].values["amount"] == Decimal(1000)


def test_a_configured_scale_the_header_contradicts_is_refused_naming_both(tmp_path: Path) -> None:
    book = _wan_workbook(tmp_path)
    cfg = _config(tmp_path, "extends: b2b\ncolumns:\n  amount: {scale: 1000}\n")
    with pytest.raises(StructureError) as err:
        api.validate(book, profile=str(cfg), today=TODAY)
    assert err.value.problems == [
        "columns.amount.scale is 1000 but the header '预计金额（万元）' (D1) says × 10,000: make "
        "them agree, or drop scale: from the config"
    ]
    # a scale and a currency for a column whose header says nothing
    plain = make_xlsx(
        tmp_path / "plain.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Stage", "Customer", "Owner", "Amount"],
                ["D", "Lead", "c", "o", 3],
            ]
        },
    )
    cfg = _config(tmp_path, "extends: b2b\ncolumns:\n  amount: {scale: 10000, currency: USD}\n")
    p = api.open_pipeline(plain, profile=str(cfg), today=TODAY)
    assert p.deals[0].values["amount"] == Decimal(30000)
    assert p.layout.currency_of == {"amount": "USD"}


# --- 2. day and month ------------------------------------------------------------------------


def test_config_check_refuses_formats_that_read_both_orders(tmp_path: Path, cli) -> None:
    cfg = _config(tmp_path, 'extends: b2b\ndate_formats: ["%m-%d-%y", "%d-%m-%y"]\n')
    res = cli("config", "check", cfg)
    assert res.exit_code == 2
    assert (
        f"{cfg}:2: date_formats: found '%m-%d-%y' and '%d-%m-%y', which read 02-01-17 as "
        "01 February 2017 and as 02 January 2017, expected formats that agree on the order of "
        "day and month: drop one, or give every date column a date_order (dmy, mdy or ymd); "
        "without one: expected_close, last_activity, stage_date, created, next_step_date, "
        "snooze_until"
    ) in res.stderr
    # with a date_order on every date column, the list is fine
    orders = "".join(
        f"  {f}: {{date_order: dmy}}\n"
        for f in ("expected_close", "last_activity", "stage_date", "created", "next_step_date",
                  "snooze_until")
    )  # fmt: skip
    ok = _config(tmp_path, f"{cfg.read_text('utf-8')}columns:\n{orders}", "ok.yaml")
    assert cli("config", "check", ok).exit_code == 0


def _dates_workbook(tmp_path: Path, dates: list[str]) -> Path:
    rows = [["Deal ID", "Customer", "Stage", "Owner", "Created"]]
    rows += [[f"D-{i}", f"c{i}", "Lead", "o", d] for i, d in enumerate(dates, start=1)]
    return make_xlsx(tmp_path / "dates.xlsx", {"Pipeline": rows})


def test_a_column_read_both_day_and_month_first_is_ambiguous_naming_cells(tmp_path: Path) -> None:
    book = _dates_workbook(tmp_path, ["02-01-17", "25-03-17", "03-04-17", "2017-05-06"])
    # one format, month first: 02-01-17 would be 1 Feb, while 25-03-17 can only be day first
    prof = load_profile("b2b", overrides={"date_formats": ["%m-%d-%y", "%Y-%m-%d"]})
    report = api.validate(book, profile=prof, today=TODAY)
    (f,) = [f for f in report.findings if f.code == "ambiguous-date"]
    assert (f.severity, f.column, f.cell) == ("error", "Created", None)
    assert f.details == {
        "day_first": ["E3"],
        "month_first": ["E2", "E4"],
        "day_first_count": 1,
        "month_first_count": 2,
        "unread": 3,
    }
    assert f.message.startswith(
        "Created: numeric dates read both day first (E3 '25-03-17') and month first "
        "(E2 '02-01-17', E4 '03-04-17'); its 3 numeric dates are left unread"
    )
    assert "columns.created.date_order" in f.message
    assert not [x for x in report.findings if x.code == "bad-value"]  # no silent mix either
    p = api.open_pipeline(book, profile=prof, today=TODAY)
    assert [d.values["created"] for d in p.deals] == [None, None, None, dt.date(2017, 5, 6)]
    # the column's order in the config: every date reads, day first
    cfg = _config(tmp_path, "extends: b2b\ncolumns:\n  created: {date_order: dmy}\n")
    p = api.open_pipeline(book, profile=str(cfg), today=TODAY)
    assert [d.values["created"] for d in p.deals] == [
        dt.date(2017, 1, 2),
        dt.date(2017, 3, 25),
        dt.date(2017, 4, 3),
        dt.date(2017, 5, 6),
    ]
    found = api.validate(book, profile=str(cfg), today=TODAY).findings
    assert [x.code for x in found if x.code != "missing-column"] == []


def test_values_that_agree_on_an_order_are_not_ambiguous(tmp_path: Path) -> None:
    book = _dates_workbook(tmp_path, ["02-01-17", "25-03-17"])
    prof = load_profile("b2b", overrides={"date_formats": ["%d-%m-%y"]})
    p = api.open_pipeline(book, profile=prof, today=TODAY)
    assert [d.values["created"] for d in p.deals] == [dt.date(2017, 1, 2), dt.date(2017, 3, 25)]
    assert p.findings == []


# --- 3. null markers ------------------------------------------------------------------------


def test_null_markers_in_the_stage_are_missing_field_with_the_cell(tmp_path: Path) -> None:
    book = make_xlsx(
        tmp_path / "na.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Amount"],
                ["D-1", "Acme", "NA", "Ann", 100],
                ["D-2", "Beta", "\\N", "Bob", 200],
                ["D-3", "暂无", "Lead", "Cy", "ＮＡ"],  # a required customer; full-width NA
                ["D-4", "Delta", "Lead", "Dee", 400],
            ]
        },
    )
    report = api.validate(book, today=TODAY)
    got = [(f.code, f.cell, f.value, f.message) for f in report.findings if f.row != 1]
    assert got == [
        ("missing-field", "C2", "NA", "the stage is empty (NA)"),
        ("missing-field", "C3", "\\N", "the stage is empty (\\N)"),
        ("missing-field", "B4", "暂无", "customer is required in stage Lead"),
    ]
    p = api.open_pipeline(book, today=TODAY)
    assert p.deal("D-3").values["amount"] is None  # ＮＡ is NA after NFKC
    figures = api.report(book, today=TODAY).to_dict()
    assert figures["funnel"]["unstaged_rows"] == 2
    assert any("2 rows with a blank or unknown stage left out" in n for n in figures["notes"])


# --- 4. duplicate ids -------------------------------------------------------------------------


def _dup_workbook(tmp_path: Path) -> Path:
    return make_xlsx(
        tmp_path / "dup.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Amount", "Expected Close"],
                ["D-1", "Acme", "Lead", "Ann", 100, dt.date(2027, 1, 1)],
                ["D-2", "Beta", "Lead", "Bob", 200, dt.date(2027, 1, 1)],
                ["D-1", "Acme", "Negotiation", "Ann", 150, dt.date(2027, 1, 1)],
                ["D-1", "Acme", "Negotiation", "Ann", 175, dt.date(2027, 1, 1)],
            ],
            "Line Items": [["Deal ID", "Product", "Quantity", "Unit Price"], ["D-1", "X", 1, 175]],
        },
    )


def test_duplicate_ids_are_one_deal_the_last_row_and_the_report_says_so(
    tmp_path: Path, cli
) -> None:
    book = _dup_workbook(tmp_path)
    report = api.validate(book, today=TODAY)
    assert report.deals == 2
    assert sorted(f.cell for f in report.findings if f.code == "duplicate-id") == [
        "A2",
        "A4",
        "A5",
    ]
    stated = "3 rows share 1 id; each id counted once, the last row wins"
    assert report.notes == [f"4 rows: {stated}"]
    figures = api.report(book, today=TODAY)
    d = figures.to_dict()
    assert d["summary"]["deals"] == 2
    stages = {s["stage"]: s["deals"] for s in d["funnel"]["stages"] if s["deals"]}
    assert stages == {"lead": 1, "negotiation": 1}  # D-1 is its last row: negotiation, 175
    assert d["funnel"]["amount"]["by_currency"] == {"CNY": "375.00"}
    assert d["notes"][0] == f"Deals: {stated}."
    from salessheet.analytics.html import render_html
    from salessheet.analytics.text import render_text

    assert stated in render_text(figures, width=100)
    assert stated in render_html(figures)
    res = cli("validate", book, "--today", TODAY.isoformat())
    assert "2 deals, profile b2b" in res.stdout and f"(4 rows: {stated})" in res.stdout
    assert api.open_pipeline(book, today=TODAY).deal("D-1").values["amount"] == Decimal(175)
    # documents refuse the id, listing its rows
    result = api.issue_documents(
        book,
        "quote",
        ["D-1"],
        profile=load_profile("b2b", overrides=SELLER),
        today=TODAY,
        fmt="html",
        out_dir=tmp_path / "q",
    )
    (failed,) = result.failed
    assert failed.problems[0] == (
        "the deal id is on rows 2, 4, 5 of sheet 'Pipeline'; make it unique before numbering "
        "a document for it"
    )


def test_ids_that_differ_only_by_invisible_characters_are_one_deal(tmp_path: Path) -> None:
    """A zero-width space or a byte-order mark pasted into an id is not a second deal."""
    book = make_xlsx(
        tmp_path / "zw.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Amount"],
                ["D-1", "Acme", "Lead", "Ann", 100],
                ["D-1\u200b", "Acme", "Lead", "Ann", 120],  # zero-width space
                ["\ufeffD-2", "Beta", "Lead", "Bob", 200],  # byte-order mark
                ["商机\u200d-3", "Gamma", "Lead", "Cy", 300],  # zero-width joiner
            ]
        },
    )
    report = api.validate(book, today=TODAY)
    assert report.deals == 3
    assert sorted((f.cell, f.deal_id) for f in report.findings if f.code == "duplicate-id") == [
        ("A2", "D-1"),
        ("A3", "D-1"),
    ]
    p = api.open_pipeline(book, today=TODAY)
    assert p.deal("D-1").values["amount"] == Decimal(120)  # the last row
    assert p.deal("D-2") is not None and p.deal("商机-3") is not None


# --- 5. layout rows ---------------------------------------------------------------------------


def _tracker(tmp_path: Path) -> Path:
    header = ["Deal ID", "Customer", "Stage", "Owner", "Amount", "Expected Close"]
    path = make_xlsx(
        tmp_path / "tracker.xlsx",
        {
            "Pipeline": [
                header,
                ["required", "company name", "select from the list", None, "number", "YYYY-MM-DD"],
                ["UNDER CONTRACT"],
                ["D-1", "Acme", "Contract", "Ann", 1000, dt.date(2027, 1, 10)],
                ["D-2", "Beta", "Contract", "Bob", 0, dt.date(2027, 1, 20)],  # a formula: E4*2
                ["Subtotal", None, None, None, 0],  # =SUM(E4:E5)
                [],
                ["PROSPECTS"],
                ["D-3", "Gamma", "Lead", None, 500, dt.date(2027, 2, 1)],  # no owner: a flag
                ["D-4", "Delta", "Opportunity", "Dee", 700, dt.date(2027, 3, 1)],
                [None, None, None, None, 0],  # =SUM(E9:E10), no label
                ["Total", None, None, None, 0, None, "checked by the CFO"],  # =E6+E11
            ]
        },
    )
    set_formulas(
        path,
        {"E5": ("E4*2", "2000"), "E6": ("SUM(E4:E5)", "3000"), "E11": ("SUM(E9:E10)", "1200"),
         "E12": ("E6+E11", "4200")},
    )  # fmt: skip
    return path


def test_section_subtotal_total_and_instruction_rows_are_skipped_and_listed_once(
    tmp_path: Path,
) -> None:
    book = _tracker(tmp_path)
    report = api.validate(book, today=TODAY)
    (skipped,) = [f for f in report.findings if f.code == "rows-skipped"]
    assert skipped.severity == "info" and skipped.row is None
    assert skipped.details == {
        "rows": [2, 3, 6, 8, 11, 12],
        "kinds": {"instruction": 1, "section": 2, "subtotal": 2, "total": 1},
    }
    assert skipped.message.startswith("6 rows not read as deals: row 2: instructions below")
    p = api.open_pipeline(book, today=TODAY)
    assert [(d.id, d.values["amount"]) for d in p.deals] == [
        ("D-1", Decimal(1000)),
        ("D-2", Decimal(2000)),  # its amount is a formula: still a deal
        ("D-3", Decimal(500)),
        ("D-4", Decimal(700)),
    ]
    assert p.skipped_rows == {
        2: "instruction", 3: "section", 6: "subtotal", 8: "section", 11: "subtotal", 12: "total"
    }  # fmt: skip
    rows = {f.row for f in report.findings if f.code != "missing-column"}
    assert rows - {None} == {9}  # only the deal without an owner
    figures = api.report(book, today=TODAY).to_dict()
    assert figures["funnel"]["amount"]["by_currency"] == {"CNY": "4200.00"}  # not 8400 or 12600


def test_run_writes_no_flag_on_a_layout_row_and_keeps_a_users_cell(tmp_path: Path) -> None:
    book = _tracker(tmp_path)
    for day in (TODAY, TODAY + dt.timedelta(days=1)):
        report = api.run(book, today=day)
        assert report.extra["written"] or report.extra
        ws = load_workbook(book)["Pipeline"]
        # column G holds the user's note (G12, no header above it): the flags go beside it
        assert [ws["G1"].value, ws["G12"].value] == [None, "checked by the CFO"]
        assert {r: ws.cell(row=r, column=7).value for r in range(2, 12)} == dict.fromkeys(
            range(2, 12)
        )
        assert ws["H1"].value == FLAG
        flags = {r: ws.cell(row=r, column=8).value for r in range(2, 13)}
        assert {r: v for r, v in flags.items() if v} == {9: "✖ missing-field Owner"}
        days = {r: ws.cell(row=r, column=9).value for r in (2, 3, 6, 7, 8, 11, 12)}
        assert set(days.values()) == {None}


def test_named_rows_and_patterns_are_skipped_and_automatic_ones_can_be_turned_off(
    tmp_path: Path,
) -> None:
    book = _tracker(tmp_path)
    cfg = _config(
        tmp_path,
        'extends: b2b\nlayout_rows: none\nskip_rows:\n  rows: [2, "3-3"]\n  where:\n'
        '    - {column: Deal ID, matches: "(?i)^(sub)?total$|^PROSPECTS$"}\n',
    )
    report = api.validate(book, profile=str(cfg), today=TODAY)
    (skipped,) = [f for f in report.findings if f.code == "rows-skipped"]
    assert skipped.details == {"rows": [2, 3, 6, 8, 12], "kinds": {"configured": 5}}
    p = api.open_pipeline(book, profile=str(cfg), today=TODAY)
    assert [d.row for d in p.deals] == [4, 5, 9, 10, 11]  # row 11: no automatic guess now
    bad = _config(
        tmp_path, "extends: b2b\nskip_rows: {where: [{column: Nope, matches: x}]}\n", "bad.yaml"
    )
    with pytest.raises(StructureError) as err:
        api.validate(book, profile=str(bad), today=TODAY)
    assert err.value.problems == [
        "skip_rows.where: no column 'Nope' (expected a header of row 1, a field name or a "
        "column letter)"
    ]
    broken = _config(
        tmp_path, "extends: b2b\nskip_rows: {rows: [0, 5-3], where: [{column: A, matches: '('}]}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_profile(str(broken))
    assert [p.split(": ", 1)[1] for p in err.value.problems] == [
        "skip_rows.rows[0]: found 0 (a number), expected a row number such as 3, or a range "
        'such as "120-135"',
        "skip_rows.rows[1]: found '5-3' (text), expected a row number such as 3, or a range "
        'such as "120-135"',
        "skip_rows.where[0].matches: found '(' (text), expected a regular expression (missing "
        "), unterminated subpattern at position 0)",
    ]


# --- 6. refusals that point at the fix ----------------------------------------------------------


def test_no_header_row_lists_near_misses_with_their_cells_and_a_hint(tmp_path: Path, cli) -> None:
    csv = tmp_path / "deals.csv"
    csv.write_text(
        "Lead ID,Account,sales_stage,Value\nL-1,Acme,Prospect,100\nL-2,Beta,Prospect,200\n",
        "utf-8",
    )
    code, out = cli.json("validate", csv, "--today", TODAY.isoformat())
    assert code == 2
    err = out["error"]
    assert err["message"].endswith("no header row found in the first 30 rows")
    assert err["problems"][1:] == [
        "closest to deal_id in the file: 'Lead ID' in A1 (an id by its name)",
        "closest to stage in the file: 'sales_stage' in C1 (Dynamics 365's name for stage)",
    ]
    assert err["hint"].startswith(f"`salessheet config init {csv}` writes a config for this sheet")


def test_a_missing_column_names_the_cell_of_a_second_header_row(tmp_path: Path, cli) -> None:
    book = make_xlsx(
        tmp_path / "商机.xlsx",
        {
            "商机": [
                ["商机台账 2026"],
                ["编号", "商机阶段", "客户名称", "负责人"],
                ["S-1", "赢单", "华信", "张伟"],
            ]
        },
    )
    code, out = cli.json("validate", book, "--today", TODAY.isoformat())
    assert code == 2
    err = out["error"]
    assert "required column 'stage' is missing from the header on row 1" not in err["problems"][0]
    assert err["problems"][-1] == (
        "closest to stage in the file: '商机阶段' in B2 (a Chinese CRM header for stage)"
    )
    assert "salessheet config init" in err["hint"]


# --- 7. a first run over a foreign sheet ----------------------------------------------------------


def test_360_identical_findings_are_one_line_and_the_output_ends_with_the_fix(
    tmp_path: Path, cli
) -> None:
    csv = tmp_path / "deals.csv"
    lines = ["Deal ID,Deal Stage,Customer,Owner"]
    lines += [f"H-{i},Appointment Scheduled,c{i},o" for i in range(360)]
    csv.write_text("\n".join(lines) + "\n", "utf-8")
    res = cli("validate", csv, "--today", TODAY.isoformat())
    assert res.exit_code == 1
    out = res.stdout.splitlines()
    rows = [ln for ln in out if "unknown-stage" in ln]
    assert rows[0] == "Errors (360): unknown-stage 360"
    (line,) = rows[1:]
    assert line.startswith("  B2      ×360         unknown-stage        unknown stage ")
    assert line.endswith("(×360: B2, B3, B4, …)")
    assert line.count("allowed:") == 1
    assert out[-2:] == [
        "Most of these say the b2b profile does not fit this sheet; a config written for the "
        "sheet fixes them:",
        f"  salessheet config init {csv}",
    ]


# --- 8. headerless exports ------------------------------------------------------------------------


def test_a_headerless_sheet_reads_by_position_and_run_writes_no_flag_columns(
    tmp_path: Path, cli
) -> None:
    book = make_xlsx(
        tmp_path / "export.xlsx",
        {
            "Deals": [
                ["D-1", "Acme", "Lead", "Ann", 1000],
                ["D-2", "Beta", "Negotiation", "Bob", None],
                ["D-3", "Gamma", "Opportunity", "Cy", 300],
            ]
        },
    )
    cfg = _config(
        tmp_path,
        "extends: b2b\nheader: none\ncolumns:\n  deal_id: {column: A}\n  customer: {column: 2}\n"
        "  stage: {column: C}\n  owner: {column: D}\n  amount: {column: E}\n",
    )
    report = api.validate(book, profile=str(cfg), today=TODAY)
    assert report.deals == 3
    assert [(f.code, f.cell, f.column) for f in report.findings if f.code == "missing-field"] == [
        ("missing-field", "E2", "amount")
    ]
    before = {n: load_workbook(book)["Deals"][f"A{n}"].value for n in (1, 2, 3)}
    res = cli("run", book, "--config", cfg, "--today", TODAY.isoformat())
    assert res.exit_code == 1
    assert "no flag columns are written" in res.stdout
    wb = load_workbook(book)
    ws = wb["Deals"]
    assert ws.max_column == 5 and ws.max_row == 3  # not a cell added to the deals
    assert {n: ws[f"A{n}"].value for n in (1, 2, 3)} == before
    assert "salessheet history" in wb.sheetnames  # the ledger in the tool's sheet
    # the checks of the config
    missing = _config(tmp_path, "extends: b2b\nheader: none\n", "missing.yaml")
    with pytest.raises(ConfigError) as err:
        load_profile(str(missing))
    assert [p.split(": ", 1)[1] for p in err.value.problems] == [
        "columns.deal_id: found no column: for deal_id, expected a column letter or number "
        "(with header: none columns are mapped by position)",
        "columns.stage: found no column: for stage, expected a column letter or number (with "
        "header: none columns are mapped by position)",
    ]
    stray = _config(tmp_path, "extends: b2b\ncolumns:\n  owner: {column: D}\n", "stray.yaml")
    with pytest.raises(ConfigError) as err:
        load_profile(str(stray))
    assert err.value.problems == [
        f"{stray}:3: columns.owner.column: found column: 4, expected header: none at the top "
        "level for columns mapped by position (otherwise columns are found by header)"
    ]


def test_header_row_from_the_config(tmp_path: Path) -> None:
    book = make_xlsx(
        tmp_path / "h.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Stage"],  # a decoy: the real header is on row 3
                ["x", "y"],
                ["Deal ID", "Stage", "Customer", "Owner"],
                ["D-1", "Lead", "Acme", "Ann"],
            ]
        },
    )
    cfg = _config(tmp_path, "extends: b2b\nheader_row: 3\n")
    p = api.open_pipeline(book, profile=str(cfg), today=TODAY)
    assert p.layout.header_row == 3 and [d.id for d in p.deals] == ["D-1"]
    far = _config(tmp_path, "extends: b2b\nheader_row: 40\n", "far.yaml")
    with pytest.raises(StructureError, match="header_row 40 is empty or beyond the last row"):
        api.open_pipeline(book, profile=str(far), today=TODAY)


# --- 9. profiles for other teams and the first documents ------------------------------------------


def test_a_spanish_team_reads_its_own_stage_without_chinese(tmp_path: Path) -> None:
    cfg = _config(
        tmp_path,
        "extends: b2b\nname: equipo\nstages_replace: true\nstages:\n"
        "  - {id: prospecto, label: Prospecto, probability: 0.1, required: [owner]}\n"
        "  - {id: ganada, label: Ganada, probability: 1, outcome: won, terminal: true,"
        " required: [amount]}\n"
        "  - {id: perdida, label: Perdida, probability: 0, outcome: lost, terminal: true}\n",
    )
    book = make_xlsx(
        tmp_path / "es.xlsx",
        {"Pipeline": [["Deal ID", "Stage", "Owner", "Amount"], ["E-1", "Ganada", "Ana", None]]},
    )
    report = api.validate(book, profile=str(cfg), today=TODAY)
    assert [f.message for f in report.findings if f.code == "missing-field"] == [
        "amount is required in stage Ganada"  # as the sheet writes it
    ]


def test_a_quote_from_the_placeholder_seller_is_refused_naming_the_key(
    tmp_path: Path, cli, example_copy: Path
) -> None:
    args = ("quote", example_copy, "D-0002", "--out", tmp_path / "q", "--today", "2026-11-28")
    # D-0002 is a Chinese deal: its quote shows the Chinese name, still 贵公司名称
    res = cli(*args, "--json")
    assert res.exit_code == 2
    problems = json.loads(res.stdout)["error"]["problems"]
    assert problems == [
        "D-0002: the seller is still the profile's placeholder '贵公司名称'; a quote needs your "
        "company's name: set documents.seller.name_zh in your config"
    ]
    # in English the quote shows the English name: that one is asked for, and only that one
    res = cli(*args, "--lang", "en", "--json")
    assert res.exit_code == 2
    assert json.loads(res.stdout)["error"]["problems"] == [
        "D-0002: the seller is still the profile's placeholder 'Your Company Ltd.'; a quote needs "
        "your company's name: set documents.seller.name in your config"
    ]
    assert not (tmp_path / "q").exists()
    # an English team sets only its English name (name_zh stays the profile's 贵公司名称)
    english = tmp_path / "en.yaml"
    english.write_text("extends: b2b\ndocuments:\n  seller:\n    name: Acme Inc.\n", "utf-8")
    ok = cli(*args, "--lang", "en", "--config", english)
    assert ok.exit_code == 0, ok.output
    # ...and its Chinese quotes name it as it does: the profile's 贵公司名称 is not kept for them
    zh = cli(*args, "--config", english, "--today", "2026-11-29")
    assert zh.exit_code == 0, zh.output
    [html] = [p for p in (tmp_path / "q").glob("*.html") if "报价单" in p.read_text("utf-8")]
    text = html.read_text("utf-8")
    assert "Acme Inc." in text and "贵公司名称" not in text
    assert "Acme Inc." in next((tmp_path / "q").glob("*.html")).read_text("utf-8")
    ok = cli(*args, "--config", seller_config(tmp_path))
    assert ok.exit_code == 0, ok.output


def test_stalled_lists_a_repeated_id_once_its_last_row(tmp_path: Path) -> None:
    book = make_xlsx(
        tmp_path / "dup.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Amount", "Expected Close"],
                ["D-1", "Acme", "Lead", "Ann", 100, dt.date(2026, 1, 1)],
                ["D-1", "Acme", "Lead", "Ann", 100, dt.date(2026, 2, 1)],
            ]
        },
    )
    validated = api.validate(book, today=TODAY)
    passed = [f.row for f in validated.findings if f.code == "close-date-passed"]
    assert passed == [2, 3]  # validate checks every row's cells
    report = api.stalled(book, today=TODAY)
    assert [(r["deal_id"], r["cell"]) for r in report.extra["stalled"]] == [("D-1", "F3")]


def test_run_clears_its_own_stale_flags_and_nothing_else(tmp_path: Path) -> None:
    book = make_xlsx(
        tmp_path / "p.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Amount"],
                ["D-1", "Acme", "Lead", "Ann", 100],
                ["D-2", "Beta", "Lead", None, 200],  # no owner: flagged
                ["D-3", "Gamma", "Lead", None, 300],  # no owner: flagged
            ]
        },
    )
    api.run(book, today=TODAY)
    wb = load_workbook(book)
    ws = wb["Pipeline"]
    assert [ws.cell(row=r, column=6).value for r in (2, 3, 4)] == [
        None,
        "✖ missing-field Owner",
        "✖ missing-field Owner",
    ]
    for c in range(1, 6):  # the user empties D-3's row; D-2's row gets a note beside it
        ws.cell(row=4, column=c).value = None
    ws.cell(row=5, column=6).value = "ask Ann about these"
    wb.save(book)
    api.run(book, today=TODAY + dt.timedelta(days=1))
    ws = load_workbook(book)["Pipeline"]
    assert ws.cell(row=4, column=6).value is None and ws.cell(row=4, column=7).value is None
    assert ws.cell(row=3, column=6).value == "✖ missing-field Owner"
    assert ws.cell(row=5, column=6).value == "ask Ann about these"  # a user's cell: kept


# --- 8. a stage named in the team's language ------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "word"),
    [
        ("extends: b2b\n", "客户开发"),  # the Chinese profile, a sheet in Chinese
        ("extends: b2b\n", "Lead"),  # the Chinese profile, a sheet in English: never 客户开发
        ("extends: b2b\nlocale: en_US\n", "客户开发"),  # English messages, a Chinese sheet
        ("extends: b2b\nlocale: en_US\n", "lead"),  # a sheet that writes the ids
        (
            "extends: b2b\nlocale: es_ES\nstages:\n  - id: lead\n    label: Cliente potencial\n",
            "Cliente potencial",  # a Spanish team's own label, never 客户开发
        ),
    ],
)
def test_a_missing_field_names_the_stage_as_the_sheet_writes_it(
    tmp_path: Path, config: str, word: str
) -> None:
    """The user must find the stage in the sheet: the message names it as the cell does,
    whatever the profile's language, and never by an id the sheet does not use."""
    book = make_xlsx(
        tmp_path / "p.xlsx",
        {"Pipeline": [["Deal ID", "Customer", "Stage", "Owner"], ["D-1", None, word, "Ann"]]},
    )
    cfg = tmp_path / "team.yaml"
    cfg.write_text(config, "utf-8")
    report = api.validate(book, today=TODAY, profile=load_profile(str(cfg)))
    [f] = [f for f in report.findings if f.code == "missing-field"]
    assert f.message == "customer is required in stage " + word
    assert f.details == {"stage": "lead", "stage_label": word}
