"""`salessheet init`: a new pipeline workbook per profile and language, read back for real."""

from __future__ import annotations

import datetime as dt
import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SELLER, TODAY
from openpyxl import load_workbook

from salessheet import api
from salessheet.core.errors import SourceError, UsageError
from salessheet.documents.service import issue_documents
from salessheet.init.plan import build_init_plan
from salessheet.init.workbook import init_workbook
from salessheet.settings.profile import load_profile, parse_profile
from salessheet.sheet.load import load_pipeline
from salessheet.sheet.table import _alias_index, find_header_row, specs_from_profile
from salessheet.stores.xlsx.openpyxl_io import LISTS_SHEET

PROFILES = ("b2b", "b2c", "lite")
LANGS = ("en", "zh")
INSTRUCTIONS = {"en": "Instructions", "zh": "使用说明"}
LINE_ITEMS_HEADER = {
    "en": ["Deal ID", "SKU", "Description", "Quantity", "Unit", "Unit Price", "Discount %",
           "Tax Rate"],
    "zh": ["商机编号", "产品编号", "描述", "数量", "单位", "单价", "折扣", "税率"],
}  # fmt: skip


def make(tmp_path: Path, profile: str, lang: str, name: str = "pipeline.xlsx") -> Path:
    target = tmp_path / name
    made = init_workbook(str(target), profile=load_profile(profile), lang=lang, today=TODAY)
    assert made == target
    return target


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    folder = tmp_path_factory.mktemp("init")
    return {
        (p, lang): make(folder, p, lang, f"{p}-{lang}.xlsx") for p in PROFILES for lang in LANGS
    }


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", PROFILES)
def test_fresh_workbook_validates_clean(books, name: str, lang: str) -> None:
    path = books[(name, lang)]
    assert path.is_file()
    profile = load_profile(name)
    report = api.validate(path, profile=profile, today=TODAY)
    assert [(f.code, f.message) for f in report.findings] == []
    assert report.sheet == "Pipeline"
    p = api.open_pipeline(path, profile=profile, today=TODAY)
    assert [d.id for d in p.deals] == ["D-0001", "D-0002"]
    # every column any stage requires is there (no missing-column warnings possible)
    required = {f for s in profile.stages for f in s.required}
    assert required <= set(p.layout.col_of)
    # the examples sit in two different open stages and fill what their stage needs
    stages = [d.stage for d in p.deals]
    assert len(set(stages)) == 2
    assert all(profile.stage(s).is_open for s in stages)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", PROFILES)
def test_stage_dropdown_formats_freeze_and_filter(books, name: str, lang: str) -> None:
    path = books[(name, lang)]
    profile = load_profile(name)
    layout = api.open_pipeline(path, profile=profile, today=TODAY).layout
    wb = load_workbook(path)
    assert wb.sheetnames == ["Pipeline", "Line Items", INSTRUCTIONS[lang]]
    ws = wb["Pipeline"]
    assert ws.freeze_panes == "A2"
    last = ws.cell(1, ws.max_column).column_letter
    assert ws.auto_filter.ref == f"A1:{last}3"
    assert ws.cell(1, 1).font.bold

    stage_letter = ws.cell(1, layout.col_of["stage"]).column_letter
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1
    dv = lists[0]
    labels = [s.label_zh if lang == "zh" else s.label for s in profile.stages]
    assert dv.formula1 == '"' + ",".join(labels) + '"'
    assert str(dv.sqref) == f"{stage_letter}2:{stage_letter}1001"
    assert dv.errorStyle == "stop" and dv.allow_blank
    # the example deals use the labels of the chosen language
    assert {ws.cell(r, layout.col_of["stage"]).value for r in (2, 3)} <= set(labels)

    for fname, col in layout.col_of.items():
        ctype = profile.column(fname).type
        want = {"date": "yyyy-mm-dd", "money": "#,##0.00"}.get(ctype)
        if want is None:
            continue
        letter = ws.cell(1, col).column_letter
        assert ws.column_dimensions[letter].number_format == want, fname
        for r in (2, 3):
            cell = ws.cell(r, col)
            if cell.value is not None:
                assert cell.number_format == want, (fname, r)
    assert ws.cell(2, layout.col_of["expected_close"]).number_format == "yyyy-mm-dd"
    assert ws.cell(2, layout.col_of["amount"]).number_format == "#,##0.00"
    deal_letter = ws.cell(1, layout.col_of["deal_id"]).column_letter
    assert ws.column_dimensions[deal_letter].number_format == "@"  # ids stay text
    assert all(ws.column_dimensions[ws.cell(1, c).column_letter].width >= 10
               for c in range(1, ws.max_column + 1))  # fmt: skip

    li = wb["Line Items"]
    assert [c.value for c in li[1]] == LINE_ITEMS_HEADER[lang]
    assert li.freeze_panes == "A2"
    assert li.auto_filter.ref == f"A1:H{li.max_row}"
    assert li["F2"].number_format == "#,##0.00" and li["H2"].number_format == "0%"
    assert {li.cell(r, 1).value for r in range(2, li.max_row + 1)} == {"D-0001", "D-0002"}

    text = "\n".join(
        str(v) for row in wb[INSTRUCTIONS[lang]].iter_rows(values_only=True) for v in row if v
    )
    for s in profile.stages:
        assert (s.label_zh if lang == "zh" else s.label) in text
    assert f"salessheet validate {path} --profile {name}" in text
    assert "salessheet run" in text and "salessheet quote" in text


def test_english_and_chinese_headers(books) -> None:
    en = load_workbook(books[("b2b", "en")])["Pipeline"]
    zh = load_workbook(books[("b2b", "zh")])["Pipeline"]
    assert [c.value for c in en[1]] == [
        "Deal ID", "Customer", "Stage", "Amount", "Currency", "Owner", "Expected Close",
        "Last Activity", "Stage Date", "Created", "Lost Reason", "Next Step Date",
        "Snooze Until", "Override Reason", "Contact", "Email", "Phone", "Address", "Notes",
    ]  # fmt: skip
    assert [c.value for c in zh[1]] == [
        "商机编号", "客户名称", "销售阶段", "金额", "币种", "负责人", "预计成交日期",
        "最近跟进日期", "阶段变更日期", "创建日期", "丢单原因", "下一步日期", "暂停提醒至",
        "变更说明", "联系人", "邮箱", "电话", "地址", "备注",
    ]  # fmt: skip
    assert zh["A2"].value == "D-0001" and zh["C2"].value == "报价与谈判"
    assert zh["D2"].value == 45280  # 28000 + 8 x 2400 less 10 %
    assert zh["G2"].value.date() == TODAY + dt.timedelta(days=21)


@pytest.mark.parametrize("name", PROFILES)
def test_example_deals_can_be_quoted(books, tmp_path: Path, name: str) -> None:
    """The line items map through the documents' aliases and add up to the deal amounts."""
    path = books[(name, "zh")]
    profile = load_profile(name, overrides=SELLER)
    pipe = load_pipeline(str(path), profile=profile, today=TODAY)
    result = issue_documents(
        pipe, "quote", ["D-0001", "D-0002"], fmt="html", out_dir=tmp_path, dry_run=True
    )
    assert [(f.deal_id, f.problems) for f in result.failed] == []
    amounts = {d.id: d.values["amount"] for d in pipe.deals}
    assert {i.deal_id: i.subtotal for i in result.issued} == amounts
    assert all(a > 0 for a in amounts.values())


def test_b2b_example_deal_can_get_a_contract(books, tmp_path: Path) -> None:
    profile = load_profile("b2b", overrides=SELLER)
    pipe = load_pipeline(str(books[("b2b", "en")]), profile=profile, today=TODAY)
    result = issue_documents(
        pipe, "contract", ["D-0001"], fmt="html", out_dir=tmp_path, dry_run=True
    )
    assert [(f.deal_id, f.problems) for f in result.failed] == []
    assert [(i.deal_id, i.customer, i.total) for i in result.issued] == [
        ("D-0001", "Acme Robotics Ltd", Decimal("45280.00"))  # b2b prices include VAT (含税价)
    ]
    (doc,) = result.issued
    assert doc.tax == Decimal("2563.02")  # the 6 % VAT included: 45280.00 × 6 / 106


def test_instructions_list_only_commands_the_profile_supports(books) -> None:
    def commands(name: str) -> list[str]:
        ws = load_workbook(books[(name, "en")])["Instructions"]
        return [
            str(r[0]).split()[1]
            for r in ws.iter_rows(values_only=True)
            if r[0] and str(r[0]).startswith("salessheet ")
        ]

    everything = ["validate", "stalled", "run", "quote", "contract", "report", "schedule"]
    assert commands("b2b") == everything
    # b2c has no contact column, which contracts require
    assert commands("b2c") == [c for c in everything if c != "contract"]


def test_nightly_run_on_a_fresh_workbook(books, tmp_path: Path) -> None:
    path = tmp_path / "copy.xlsx"
    path.write_bytes(books[("b2b", "en")].read_bytes())
    report = api.run(path, profile="b2b", today=TODAY)
    assert [f.code for f in report.findings] == []
    assert report.extra["written"]["sheets"]  # the stage history was recorded
    later = api.validate(path, profile="b2b", today=TODAY + dt.timedelta(days=1))
    assert [f.code for f in later.findings] == []


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "pipeline.xlsx"
    target.write_bytes(b"my precious pipeline")
    with pytest.raises(UsageError) as exc:
        init_workbook(str(target), profile=load_profile("b2b"), lang="en", today=TODAY)
    assert exc.value.exit_code == 2
    assert "already exists" in exc.value.message and str(target) in exc.value.message
    assert target.read_bytes() == b"my precious pipeline"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipeline.xlsx"]


def test_second_init_refused_and_no_temp_files_left(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        target = make(tmp_path, "lite", "en")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # an ordinary file, not a private temp
    before = target.read_bytes()
    with pytest.raises(UsageError):
        make(tmp_path, "lite", "zh")
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["pipeline.xlsx"]


@pytest.mark.parametrize(
    "target, words",
    [
        ("pipeline.csv", "'.csv'"),
        ("pipeline.xlsm", "'.xlsm'"),
        ("pipeline", "(no extension)"),
    ],
)
def test_unsupported_targets(tmp_path: Path, target: str, words: str) -> None:
    with pytest.raises(UsageError) as exc:
        init_workbook(str(tmp_path / target), profile=load_profile("b2b"), lang="en", today=TODAY)
    assert words in exc.value.message
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as exc:
        make(tmp_path / "nope", "b2b", "en")
    assert "does not exist" in exc.value.message
    assert not (tmp_path / "nope").exists()


def test_unknown_language(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as exc:
        init_workbook(str(tmp_path / "p.xlsx"), profile=load_profile("b2b"), lang="fr", today=TODAY)
    assert "'fr'" in exc.value.message
    assert list(tmp_path.iterdir()) == []


def test_google_sheet_target_without_initialise(monkeypatch) -> None:
    """Drawing on Google Sheets is tested in test_gsheets_init; here: a store lacking it."""
    from salessheet.stores.gsheets.store import GSheetsStore

    monkeypatch.delattr(GSheetsStore, "initialise", raising=False)
    url = "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz01234/edit"
    for target in ("gsheet:1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEF", url):
        with pytest.raises(SourceError) as exc:
            init_workbook(target, profile=load_profile("b2b"), lang="zh", today=TODAY)
        assert exc.value.message == "initialising a Google Sheet is not available yet"


def custom_profile(tmp_path: Path) -> Path:
    """No default sheet, long stage labels with a comma, an extra required field."""
    stages = []
    for i in range(12):
        stages.append(
            {
                "id": f"step_{i}",
                "label": f"Step {i}, a rather long stage name for a dropdown",
                "label_zh": f"第{i}步",
                "probability": round(i / 20, 2),
                "required": ["customer", "region"],
                "stall_days": 2,
            }
        )
    stages.append(
        {"id": "gone", "label": "Gone", "label_zh": "没了", "outcome": "lost", "terminal": True}
    )
    data = {
        "name": "custom",
        "currency": "EUR",
        "columns": {
            "deal_id": {"type": "id", "required": True, "aliases": ["Ref", "编号"]},
            "customer": {"type": "text", "aliases": ["Client", "客户"]},
            "stage": {"type": "stage", "required": True, "aliases": ["Phase", "阶段"]},
            "region": {"type": "text", "aliases": ["Region", "区域"]},
            "fee": {"type": "money", "aliases": ["Fee", "费用"]},
        },
        "stages": stages,
    }
    import yaml

    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_custom_profile_long_stage_list(tmp_path: Path) -> None:
    cfg = custom_profile(tmp_path)
    profile = load_profile(str(cfg))
    target = tmp_path / "custom.xlsx"
    init_workbook(str(target), profile=profile, lang="en", today=TODAY)
    report = api.validate(target, profile=profile, today=TODAY)
    assert [(f.code, f.message) for f in report.findings] == []
    wb = load_workbook(target)
    assert wb.sheetnames == ["Pipeline", "Line Items", "Instructions", LISTS_SHEET]
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    assert [c.value for c in wb["Pipeline"][1]] == ["Ref", "Client", "Phase", "Region"]
    dv = next(d for d in wb["Pipeline"].data_validations.dataValidation if d.type == "list")
    assert dv.formula1 == f"'{LISTS_SHEET}'!$A$1:$A$13"
    listed = [wb[LISTS_SHEET].cell(r, 1).value for r in range(1, 14)]
    assert listed == [s.label for s in profile.stages]
    instructions = "\n".join(
        str(v) for row in wb["Instructions"].iter_rows(values_only=True) for v in row if v
    )
    assert f"--config {cfg}" in instructions


def test_instructions_never_look_like_a_pipeline_table() -> None:
    """With no default sheet, validate tries sheets in order; the instructions must not match."""
    for name in PROFILES:
        profile = load_profile(name)
        exact = _alias_index(specs_from_profile(profile))
        for lang in LANGS:
            plan = build_init_plan(profile, lang, today=TODAY)
            rows = plan.instructions.rows
            assert find_header_row(_raw(rows), exact, ["deal_id", "stage"]) is None


def test_plan_is_independent_of_today_only_by_dates() -> None:
    profile = load_profile("b2c")
    a = build_init_plan(profile, "en", today=TODAY)
    b = build_init_plan(profile, "en", today=TODAY + dt.timedelta(days=10))
    assert a.pipeline.header == b.pipeline.header
    close = a.pipeline.column_of("expected_close") - 1
    assert b.pipeline.rows[0][close] - a.pipeline.rows[0][close] == dt.timedelta(days=10)
    amount = a.pipeline.column_of("amount") - 1
    assert a.pipeline.rows[0][amount] == Decimal("7198.00")
    assert a.pipeline.rows[1][amount] == Decimal("3608.10")


def test_parse_profile_without_sheet_still_finds_the_pipeline(tmp_path: Path) -> None:
    data = load_profile("lite").raw | {"sheet": None}
    profile = parse_profile({k: v for k, v in data.items() if k != "sheet"}, None)
    target = tmp_path / "p.xlsx"
    init_workbook(str(target), profile=profile, lang="zh", today=TODAY)
    report = api.validate(target, profile=profile, today=TODAY)
    assert report.sheet == "Pipeline" and report.findings == []


def test_cli_init(tmp_path: Path, cli) -> None:
    from salessheet.cli import main

    if "init" not in main.commands:
        pytest.skip("the init command is not wired into the CLI yet")
    target = tmp_path / "new.xlsx"
    result = cli("init", target, "--profile", "b2c", "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert target.exists()
    code, data = cli.json("validate", target, "--profile", "b2c", "--today", TODAY.isoformat())
    assert code == 0 and data["findings"] == []
    before = target.read_bytes()
    again = cli("init", target, "--profile", "b2c")
    assert again.exit_code == 2
    assert "already exists" in again.output
    assert target.read_bytes() == before


def _raw(rows):
    from salessheet.core.cells import RawSheet

    return RawSheet("Instructions", [list(r) for r in rows])


def test_an_english_workbook_comes_with_the_teams_config(tmp_path: Path) -> None:
    """`salessheet init pipeline.xlsx` (English, the default) on a computer in Chicago: the
    bundled profiles are Chinese, so a config beside the workbook says en_US, USD and Chicago;
    the example deals are in USD, the instructions name the config, a first quote is English."""
    import subprocess
    import sys

    target = tmp_path / "pipeline.xlsx"
    env = dict(os.environ, TZ="America/Chicago")
    cmd = [sys.executable, "-m", "salessheet", "init", str(target), "--today", TODAY.isoformat()]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    config = tmp_path / "pipeline.salessheet.yaml"
    assert f"salessheet validate {target} --config {config}" in done.stdout
    text = config.read_text(encoding="utf-8")
    for line in (
        "extends: b2b  # the b2b profile; this file says what differs",
        "locale: en_US  # --lang en, in US (this computer's country): documents in English, its "
        "dates and numbers",
        "currency: USD  # the currency of US, where this computer is; the example deals use it",
        "timezone: America/Chicago  # this computer's time zone, in US",
        "# CHECK: amounts without a currency are taken as USD, the currency of US, where this "
        "computer is: change the currency line if the team sells in another",
    ):
        assert line in text.splitlines(), line
    team = load_profile(str(config))
    assert (team.locale, team.currency, team.timezone) == ("en_US", "USD", "America/Chicago")
    rows = list(load_workbook(target)["Pipeline"].iter_rows(values_only=True))
    assert [r[4] for r in rows[:3]] == ["Currency", "USD", "USD"]
    sheet = load_workbook(target)[INSTRUCTIONS["en"]]
    assert f"salessheet validate {target} --config {config}" in [
        r[0] for r in sheet.iter_rows(values_only=True)
    ]
    seller = load_profile(str(config), overrides=SELLER)
    pipe = load_pipeline(str(target), profile=seller, today=TODAY)
    result = issue_documents(pipe, "quote", ["D-0001"], fmt="html", out_dir=tmp_path)
    [doc] = result.issued
    assert doc.lang == "en" and "$45,280.00" in doc.path.read_text("utf-8")


@pytest.mark.parametrize(
    ("here", "settings", "checks", "tax"),
    [
        # English is official there; China's VAT is not the UK's: no tax until the team sets it
        ("Europe/London", ("en_GB", "GBP", "Europe/London"), 2, ("exclusive", "0", "VAT")),
        ("Europe/Berlin", ("en_US", "EUR", "Europe/Berlin"), 2, ("exclusive", "0", "VAT")),
        # and named as the country names it
        ("Australia/Sydney", ("en_AU", "AUD", "Australia/Sydney"), 2, ("exclusive", "0", "GST")),
        # the profile's own country: its VAT stays, nothing to check
        ("Asia/Shanghai", ("en_US", "CNY", "Asia/Shanghai"), 0, ("inclusive", "0.13", "VAT")),
        # nothing known about the computer: USD, the zone and the tax, checked
        (None, ("en_US", "USD", "Asia/Shanghai"), 3, ("exclusive", "0", "sales tax")),
        # lies in no country
        ("Etc/UTC", ("en_US", "USD", "Etc/UTC"), 3, ("exclusive", "0", "sales tax")),
    ],
)
def test_the_english_config_follows_this_computers_country(
    tmp_path: Path,
    here: str | None,
    settings: tuple[str, str, str],
    checks: int,
    tax: tuple[str, str, str],
) -> None:
    done = api.init(str(tmp_path / "p.xlsx"), lang="en", today=TODAY, local_zone=here)
    assert done.config == tmp_path / "p.salessheet.yaml" and len(done.checks) == checks
    team = load_profile(str(done.config))
    assert (team.locale, team.currency, team.timezone) == settings
    docs = team.documents
    assert (docs.tax_mode, str(docs.default_tax_rate.normalize()), docs.tax_names()["en"]) == tax
    # and in Chinese on a Chinese quote (a US team's read 其中sales tax)
    zh = {"VAT": "增值税", "GST": "商品及服务税", "sales tax": "销售税"}[tax[2]]
    assert docs.tax_names()["zh"] == zh
    taxed = tax[:2] != ("exclusive", "0")
    assert any(c.startswith("quotes and contracts carry no tax") for c in done.checks) != taxed
    # the example line items carry China's VAT only where the team's config charges it
    rates = {
        r[7]
        for r in load_workbook(done.workbook)["Line Items"].iter_rows(min_row=2, values_only=True)
        if r[0]
    }
    assert rates == ({0.06} if taxed else {0})


@pytest.mark.parametrize(
    ("lang", "own_config"), [("zh", False), ("en", True)], ids=["chinese", "own-config"]
)
def test_no_config_is_written_where_the_profile_already_fits(
    tmp_path: Path, lang: str, own_config: bool
) -> None:
    profile = load_profile("b2b")
    if own_config:  # the team's own file governs: init adds nothing beside it
        own = tmp_path / "team.yaml"
        own.write_text("extends: b2b\nname: team\n", encoding="utf-8")
        profile = load_profile(str(own))
    target = str(tmp_path / "p.xlsx")
    done = api.init(target, profile=profile, lang=lang, today=TODAY, local_zone="Europe/Paris")
    assert (done.workbook, done.config) == (Path(target), None)
    assert not (tmp_path / "p.salessheet.yaml").exists()


def test_an_existing_config_beside_it_refuses_both_files(tmp_path: Path) -> None:
    config = tmp_path / "p.salessheet.yaml"
    config.write_text("extends: b2b\n", encoding="utf-8")
    with pytest.raises(UsageError, match="already exists: init never overwrites a file"):
        api.init(str(tmp_path / "p.xlsx"), lang="en", today=TODAY, local_zone="Europe/Paris")
    assert config.read_text(encoding="utf-8") == "extends: b2b\n"
    assert not (tmp_path / "p.xlsx").exists()


@pytest.mark.parametrize("name", ["", "  ", "p.csv", "missing/p.xlsx"])
def test_a_target_init_cannot_create_writes_no_config_either(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the config of a blank target would land here
    target = str(tmp_path / name) if name.strip() else name
    with pytest.raises(UsageError):
        api.init(target, lang="en", today=TODAY, local_zone="America/Chicago")
    assert list(tmp_path.iterdir()) == []
