"""A team reads its own stage names everywhere: messages, flags, stalled, run, changes, report,
digests and alerts name a stage as the team's sheet writes it (报价与谈判, Contract Sent), never
by the profile's internal id (negotiation). JSON keeps the ids and gives the labels beside them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from conftest import corpus_file
from openpyxl import load_workbook

from salessheet import api
from salessheet.core.records import Deal, TableLayout
from salessheet.notify.digest import build_digest
from salessheet.notify.stage_alerts import headline, lines, stage_alert
from salessheet.settings.profile import load_profile
from salessheet.sheet.stagenames import stage_names

D = dt.datetime
IDS = ("research", "lead", "opportunity", "follow_up", "negotiation", "contract", "delivery")
# id, customer, stage, amount, owner, expected close, stage date
NIGHT_1 = [
    ("D-1", "上海星河", "报价与谈判", 45280, "张伟", D(2026, 12, 24), D(2026, 11, 10)),
    ("D-2", "北京华信", "客户开发", 27000, "李娜", D(2027, 2, 1), D(2026, 11, 10)),
    ("D-3", "深圳云帆", "报价与谈判", 30000, "王强", D(2026, 12, 20), D(2026, 11, 10)),
    ("D-4", "南京紫金", "客户跟进", 12000, "王强", D(2026, 11, 25), D(2026, 9, 1)),
    ("D-5", "成都天府", "报价与谈判", 88000, "李娜", D(2026, 12, 31), D(2026, 11, 10)),
]
NIGHT_2 = {
    "D-1": {"金额": None},  # negotiation requires an amount
    "D-2": {"销售阶段": "报价与谈判"},  # skips 销售机会 and 客户跟进
    "D-3": {"销售阶段": "销售机会"},  # back a stage
    "D-5": {"销售阶段": "合同签订"},  # won
}


def fill(book: Path, edits: dict[str, dict[str, object]] | None = None) -> None:
    """The team types its deals into the workbook `init --lang zh` made (openpyxl standing in
    for Excel), then edits some of them."""
    wb = load_workbook(book)
    ws = wb["Pipeline"]
    col = {c.value: c.column for c in ws[1] if c.value}
    for row in ws.iter_rows(min_row=2):
        for c in row:
            c.value = None
    for i, (deal, customer, stage, amount, owner, close, since) in enumerate(NIGHT_1, start=2):
        values = {"商机编号": deal, "客户名称": customer, "销售阶段": stage, "金额": amount,
                  "币种": "CNY", "负责人": owner, "预计成交日期": close,
                  "最近跟进日期": D(2026, 11, 18), "阶段变更日期": since}  # fmt: skip
        values.update((edits or {}).get(deal, {}))
        for header, value in values.items():
            ws.cell(i, col[header]).value = value
    wb.save(book)


def chinese_pipeline(cli, tmp_path: Path) -> tuple[Path, dict]:
    """A Chinese team's two nights: `init --lang zh`, deals typed in, `run`, edits, `run`."""
    book = tmp_path / "商机.xlsx"
    assert cli("init", book, "--lang", "zh").exit_code == 0
    fill(book)
    code, _ = cli.json("run", book, "--today", "2026-11-20")
    assert code == 0
    fill(book, NIGHT_2)
    code, out = cli.json("run", book, "--today", "2026-11-28")
    assert code == 1
    return book, out


def messages(out: dict) -> dict[tuple[str, str], str]:
    return {(f["code"], f["deal_id"]): f["message"] for f in out["findings"]}


def test_a_chinese_team_reads_its_own_stage_names(cli, tmp_path: Path) -> None:
    book, out = chinese_pipeline(cli, tmp_path)
    assert messages(out) == {
        ("missing-field", "D-1"): "amount is required in stage 报价与谈判",
        ("stalled-deal", "D-1"): "in 报价与谈判 for 18 days (limit 10) since 2026-11-10",
        ("illegal-transition", "D-2"): (
            "stage 客户开发 → 报价与谈判 on 2026-11-28: skipped 销售机会, 客户跟进"
        ),
        ("backward-transition", "D-3"): (
            "stage 报价与谈判 → 销售机会 on 2026-11-28: moved back from 报价与谈判 to 销售机会"
        ),
        ("close-date-passed", "D-4"): (
            "expected close 2026-11-25 passed 3 days ago and the deal is still in 客户跟进"
        ),
        ("stalled-deal", "D-4"): "in 客户跟进 for 88 days (limit 14) since 2026-09-01",
    }
    # scripts keep the ids; the labels stand beside them
    illegal = next(f for f in out["findings"] if f["code"] == "illegal-transition")
    assert {k: illegal["details"][k] for k in ("from", "to", "from_label", "to_label")} == {
        "from": "lead", "to": "negotiation", "from_label": "客户开发", "to_label": "报价与谈判",
    }  # fmt: skip
    stalled = next(f for f in out["findings"] if f["code"] == "stalled-deal")
    assert (stalled["details"]["stage"], stalled["details"]["stage_label"]) == (
        "negotiation", "报价与谈判",
    )  # fmt: skip
    zh = "市场调研 客户开发 销售机会 客户跟进 报价与谈判 合同签订 交付与售后 丢单".split()
    assert out["stage_labels"] == dict(zip((*IDS, "lost"), zh, strict=True))
    # the flag column and the findings sheet say the same
    wb = load_workbook(book, read_only=True)
    rows = list(wb["Pipeline"].iter_rows(min_row=1, max_row=6, values_only=True))
    flags = [r[rows[0].index("⚑ salessheet: flags")] for r in rows[1:]]
    assert flags == [
        "✖ missing-field 金额; ⚠ stalled-deal 18d>10d",
        "✖ illegal-transition 客户开发→报价与谈判",
        "⚠ backward-transition 报价与谈判→销售机会",
        "⚠ close-date-passed; ⚠ stalled-deal 88d>14d",
        None,
    ]
    sheet_messages = [
        r[5] for r in wb["salessheet findings"].iter_rows(min_row=2, values_only=True)
    ]
    assert "stage 客户开发 → 报价与谈判 on 2026-11-28: skipped 销售机会, 客户跟进" in sheet_messages
    assert not any(i in str(m) for m in sheet_messages for i in IDS)


def test_run_stalled_and_changes_text_name_the_sheets_stages(cli, tmp_path: Path) -> None:
    book, _ = chinese_pipeline(cli, tmp_path)
    res = cli("stalled", book, "--today", "2026-11-28")
    rows = [line.split()[:3] for line in res.stdout.splitlines() if line.startswith("  D-")]
    assert rows == [
        ["D-4", "王强", "客户跟进"],
        ["D-1", "张伟", "报价与谈判"],
        ["D-4", "王强", "客户跟进"],
    ]
    code, out = cli.json("stalled", book, "--today", "2026-11-28")
    assert [(r["stage"], r["stage_label"]) for r in out["stalled"]][:2] == [
        ("follow_up", "客户跟进"), ("negotiation", "报价与谈判"),
    ]  # fmt: skip
    res = cli("run", book, "--today", "2026-11-28", "--dry-run")
    assert "Stage changes" not in res.stdout  # nothing new since tonight's run
    changes = cli("changes", book, "--since", "2026-11-01", "--until", "2026-11-28")
    moves = [line.split()[2:] for line in changes.stdout.splitlines() if " R0002 " in line]
    assert ["D-2", "stage", "forward", "客户开发", "→", "报价与谈判"] in moves
    assert ["D-3", "stage", "back", "报价与谈判", "→", "销售机会"] in moves
    assert any(m[:3] == ["D-5", "won", "报价与谈判"] and m[4] == "合同签订" for m in moves)
    page = tmp_path / "changes.html"
    cli("changes", book, "--since", "2026-11-01", "--until", "2026-11-28", "--html", page)
    assert "<td>客户开发</td><td>报价与谈判</td>" in page.read_text("utf-8")
    assert "<td>lead</td>" not in page.read_text("utf-8")
    code, out = cli.json("changes", book, "--since", "2026-11-01", "--until", "2026-11-28")
    won = next(d for d in out["deals"] if d["kind"] == "won")
    assert (won["from"], won["to"], won["from_label"], won["to_label"]) == (
        "negotiation", "contract", "报价与谈判", "合同签订",
    )  # fmt: skip


def test_the_run_lists_each_stage_change_in_the_sheets_words(cli, tmp_path: Path) -> None:
    book = tmp_path / "商机.xlsx"
    assert cli("init", book, "--lang", "zh").exit_code == 0
    fill(book)
    cli("run", book, "--today", "2026-11-20")
    fill(book, NIGHT_2)
    res = cli("run", book, "--today", "2026-11-28")
    assert "Stage changes since the last run (3):" in res.stdout
    assert "  D-2          客户开发 → 报价与谈判" in res.stdout.splitlines()
    assert "  D-5          报价与谈判 → 合同签订" in res.stdout.splitlines()


def test_an_english_ui_on_a_chinese_sheet_names_the_stages_as_the_sheet_does(
    cli, tmp_path: Path
) -> None:
    """locale en_US (English messages and report) on a sheet typed in Chinese: the user must
    find the stage in the sheet, so 报价与谈判, not Negotiation, and no stage left in English."""
    book, _ = chinese_pipeline(cli, tmp_path)
    config = tmp_path / "en.yaml"
    config.write_text("extends: b2b\nlocale: en_US\n", "utf-8")
    code, out = cli.json("validate", book, "--config", config, "--today", "2026-11-28")
    assert messages(out)[("missing-field", "D-1")] == "amount is required in stage 报价与谈判"
    report = cli("report", book, "--config", config, "--today", "2026-11-28")
    lines_ = report.stdout.splitlines()
    start = lines_.index(next(x for x in lines_ if x.startswith("Funnel")))
    funnel = [x.split()[0] for x in lines_[start + 3 : start + 11]]
    assert (
        funnel == "市场调研 客户开发 销售机会 客户跟进 报价与谈判 合同签订 交付与售后 丢单".split()
    )
    assert "Lead" not in report.stdout and "Negotiation" not in report.stdout
    code, figures = cli.json("report", book, "--config", config, "--today", "2026-11-28")
    assert figures["stage_labels"]["negotiation"] == "报价与谈判"
    assert figures["funnel"]["stages"][4]["stage"] == "negotiation"  # ids stay ids


def test_the_digest_of_a_chinese_sheet_names_its_stages_in_an_english_mail(
    cli, tmp_path: Path
) -> None:
    _, out = chinese_pipeline(cli, tmp_path)
    text = build_digest(out, language="en").text
    assert "  D-5 · 李娜 · 报价与谈判 → 合同签订 · CN¥88,000.00" in text.splitlines()
    won = out["since_last_run"]["won"][0]
    assert (won["from"], won["to"], won["from_label"], won["to_label"]) == (
        "negotiation", "contract", "报价与谈判", "合同签订",
    )  # fmt: skip


def test_a_stage_alert_names_the_stage_as_the_deals_cell_does() -> None:
    profile = load_profile("b2b")
    layout = TableLayout("Pipeline", 1, {"deal_id": 1, "stage": 2}, {})
    deal = Deal(layout, 2, {"customer": "星河"}, ["D-1", "报价与谈判"], "D-1", "negotiation")
    other = Deal(layout, 3, {}, ["D-2", "客户跟进"], "D-2", "follow_up")
    names = stage_names(profile, [deal, other])
    entered = dt.date(2026, 11, 3)
    negotiation = profile.stage("negotiation")
    alert = stage_alert(
        profile, deal, negotiation, None, from_stage="follow_up", entered=entered, names=names
    )
    assert headline(alert, "en") == "D-1 星河 entered 报价与谈判"
    assert "Stage: 报价与谈判 (from 客户跟进), entered 2026-11-03" in lines(alert, "en")
    assert headline(alert, "zh") == "D-1 星河 进入 报价与谈判"
    # a sheet that writes the ids: each reader gets the label in their language, as before
    ids = Deal(layout, 2, {}, ["D-1", "negotiation"], "D-1", "negotiation")
    names = stage_names(profile, [ids])
    alert = stage_alert(
        profile, ids, negotiation, None, from_stage="follow_up", entered=entered, names=names
    )
    assert (headline(alert, "en"), headline(alert, "zh")) == (
        "D-1 entered Negotiation", "D-1 进入 报价与谈判",
    )  # fmt: skip


def test_stage_names_follow_the_sheets_spelling() -> None:
    profile = load_profile("b2b")
    layout = TableLayout("Pipeline", 1, {"stage": 1}, {})

    def names(*cells: str) -> dict[str, str]:
        lookup = profile.stage_lookup()
        from salessheet.core.textnorm import normalise

        deals = [Deal(layout, i, {}, [c], f"D{i}", lookup[normalise(c)]) for i, c in
                 enumerate(cells, start=2)]  # fmt: skip
        return stage_names(profile, deals).as_dict()

    # an English sheet: its words, and the labels for stages no cell holds
    got = names("Closed Won", "Quote", "Quote", "Quotation", "quote")
    assert (got["contract"], got["negotiation"], got["lead"]) == ("Closed Won", "Quote / Quotation",
                                                                  "Lead")  # fmt: skip
    # a Chinese sheet: Chinese for every stage
    got = names("报价与谈判", "赢单", "Won")
    assert (got["contract"], got["negotiation"], got["lead"]) == (
        "赢单 / Won",
        "报价与谈判",
        "客户开发",
    )
    # a sheet of ids: ids
    assert names("follow_up", "lead")["research"] == "research"
    # no deal yet: the profile's language (b2b is zh_CN)
    assert names()["negotiation"] == "报价与谈判"


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_an_english_team_with_its_own_stage_names_reads_them(cli, tmp_path: Path) -> None:
    """`config init` maps 'Proposal Sent' to negotiation: validate says Proposal Sent."""
    header = ["Deal ID", "Customer", "Stage", "Owner", "Amount", "Close Date"]
    rows = [header] + [
        ["D1", "Acme", "Discovery", "Ana", 1000, "2027-03-01"],
        ["D2", "Beta", "Proposal Sent", "Ben", None, "2026-11-01"],
        ["D3", "Gamma", "Closed Won", "Ana", 3000, "2026-10-01"],
        ["D4", "Delta", "Proposal Sent", "Ben", 4000, "2027-03-01"],
        ["D5", "Echo", "Discovery", "Ana", 2500, "2027-03-01"],
    ]
    path = write_csv(tmp_path / "deals.csv", rows)
    result = api.config_init(path, today=dt.date(2026, 11, 28))
    code, out = cli.json("validate", path, "--config", result.path, "--today", "2026-11-28")
    got = messages(out)
    assert got[("missing-field", "D2")] == "amount is required in stage Proposal Sent"
    assert got[("close-date-passed", "D2")] == (
        "expected close 2026-11-01 passed 27 days ago and the deal is still in Proposal Sent"
    )
    stages = {f["details"]["stage"] for f in out["findings"] if "stage" in f.get("details", {})}
    assert stages == {"negotiation"}


def test_hubspot_export_findings_name_hubspots_stages(cli, tmp_path: Path) -> None:
    src = corpus_file("toofancodes_hubspotdummydata_deals", "hubspot_deals.csv")
    result = api.config_init(src, out=tmp_path / "hubspot.yaml", today=dt.date(2025, 5, 2))
    code, out = cli.json("validate", src, "--config", result.path, "--today", "2025-06-01")
    passed = [f for f in out["findings"] if f["code"] == "close-date-passed"]
    assert passed
    written = {"Appointment Scheduled", "Qualified to Buy", "Presentation Scheduled",
               "Decision Maker Bought-In", "Contract Sent"}  # fmt: skip
    assert {f["message"].rsplit("still in ", 1)[1] for f in passed} <= written
    assert {f["details"]["stage"] for f in passed} <= {"lead", "opportunity", "follow_up",
                                                       "negotiation"}  # fmt: skip
    code, figures = cli.json("report", src, "--config", result.path, "--today", "2025-06-01")
    assert figures["stage_labels"]["negotiation"] == "Contract Sent"
    assert (
        figures["stage_labels"]["follow_up"] == "Presentation Scheduled / Decision Maker Bought-In"
    )
    text = cli("report", src, "--config", result.path, "--today", "2025-06-01").stdout
    assert "Contract Sent → Closed Won" in text and "Negotiation" not in text
    json.dumps(figures)
