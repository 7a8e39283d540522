"""The plan of a new pipeline workbook (`salessheet init`), independent of the medium.

``build_init_plan`` turns a profile into sheets (pipeline, ``Line Items``, instructions), each
with its header row, example rows, column formats and widths, frozen header, autofilter and data
validations (the stage dropdown lists the profile's stages in the chosen language). A store
(xlsx_openpyxl for Excel, GSheetsStore.initialise for Google Sheets) only has to draw it.

The two example deals are valid for the profile: ``validate`` on a fresh workbook reports
nothing. Their line items add up to the deal amounts, so a quote can be issued from them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict

from salessheet.core.display import width as text_width
from salessheet.core.errors import UsageError
from salessheet.core.money import round_money
from salessheet.core.workbook_plan import (
    CellValue,
    ColumnPlan,
    InitPlan,
    SheetPlan,
    Validation,
)
from salessheet.settings.profile import ColumnDef, Profile, Stage
from salessheet.settings.source import is_bundled

LANGS = ("en", "zh")
DEFAULT_PIPELINE_SHEET = "Pipeline"
DEFAULT_LINE_ITEMS_SHEET = "Line Items"
INSTRUCTIONS_SHEET = {"en": "Instructions", "zh": "使用说明"}

_KIND_OF_TYPE = {
    "id": "text",
    "text": "text",
    "stage": "text",
    "money": "money",
    "number": "number",
    "percent": "percent",
    "date": "date",
}
# Columns a team needs, when the profile declares them; stage-required fields are always added.
WANTED_FIELDS = (
    "deal_id",
    "customer",
    "stage",
    "amount",
    "currency",
    "owner",
    "expected_close",
    "last_activity",
    "stage_date",
    "created",
    "lost_reason",
    "next_step_date",
    "snooze_until",
    "override_reason",
    "contact",
    "phone",
    "email",
    "address",
    "notes",
)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

# ------------------------------------------------------------------ headers


def is_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def pick_header(aliases: list[str], lang: str, fallback: str) -> str:
    """The first Chinese alias for zh, the first non-Chinese one for en; else the first alias."""
    for a in aliases:
        if is_chinese(a) == (lang == "zh"):
            return a
    return aliases[0] if aliases else fallback


def stage_label(stage: Stage, lang: str) -> str:
    return (stage.label_zh or stage.label) if lang == "zh" else stage.label


def pipeline_fields(profile: Profile) -> list[ColumnDef]:
    """The profile's columns a new workbook gets: the wanted ones plus every required one."""
    needed = set(WANTED_FIELDS)
    for st in profile.stages:
        needed.update(st.required)
    needed.update(c.field for c in profile.columns if c.required)
    docs = profile.documents
    kinds = getattr(docs, "kinds", None) or {}
    for ks in kinds.values():
        needed.update(getattr(ks, "required", ()) or ())
    for rule in profile.rules:  # the team's rules read these: the workbook has them
        needed.update(rule.fields())
    return [c for c in profile.columns if c.field in needed]


# ------------------------------------------------------------------ texts


class _Texts(TypedDict):
    """The instructions sheet's texts in one language."""

    title: str
    intro: list[str]
    stages_h: str
    stages_th: list[str]
    guidance_th: str
    rules_h: str
    rules_th: list[str]
    severities: dict[str, str]
    approvers: str
    approvers_of: str
    days: str
    terminal: str
    lost_note: str
    columns_h: str
    columns_th: list[str]
    types: dict[str, str]
    all_stages: str
    items_h: str
    items: list[str]
    against: dict[str, str]
    commands_h: str
    commands: list[tuple[str, str]]  # (command, what it does)
    note: str


_T: dict[str, _Texts] = {
    "en": {
        "title": "How to use this pipeline workbook ({profile} profile)",
        "intro": [
            "One row per deal on the sheet {sheet!r}. Keep the header row as it is: salessheet "
            "finds the columns by their names (English or Chinese), not by their position.",
            "Pick the stage from the dropdown. Type dates as dates (2026-12-31) and amounts as "
            "plain numbers; the currency goes in its own column.",
            "The two example deals show a filled-in row; replace them with your own deals.",
        ],
        "stages_h": "Stages, in order, and what each requires",
        "stages_th": [
            "Stage name",
            "Stage id",
            "Chance of winning",
            "Required columns",
            "Stalled after",
            "What it means",
        ],
        "guidance_th": "To move on",
        "rules_h": "Your team's rules (validate and run check them)",
        "rules_th": ["Rule", "Severity", "What it checks"],
        "severities": {"error": "error", "warning": "warning", "info": "info"},
        "approvers": "Approvers: {names}",
        "approvers_of": "{owner}'s deals: {names}",
        "days": "{n} days",
        "terminal": "final",
        "lost_note": "Moving a deal back or skipping stages is reported; to explain a "
        "deliberate move, fill in {override}.",
        "columns_h": "Columns",
        "columns_th": ["Column", "Type", "Required in stages", "What to type"],
        "types": {
            "id": "text (unique id)",
            "text": "text",
            "stage": "stage (dropdown)",
            "money": "amount",
            "number": "number",
            "percent": "percentage",
            "date": "date",
        },
        "all_stages": "all",
        "items_h": "Line items",
        "items": [
            "The sheet {items!r} holds the products of each deal, one row per item, keyed by "
            "the deal id. Quotes and contracts are built from it; a deal's items must add up "
            "to its amount ({against}).",
            "Discount % and Tax Rate are percentages (10%, 13%).",
        ],
        "against": {
            "lines": "after discounts",
            "net": "after discounts, without tax",
            "total": "after discounts, tax included",
        },
        "commands_h": "Commands",
        "commands": [
            ("salessheet validate {src} {opt}", "check the pipeline (read-only)"),
            ("salessheet stalled {src} {opt}", "deals stuck in a stage or past their close date"),
            (
                "salessheet run {src} {opt}",
                "the nightly job: check, record the stage history, write flags",
            ),
            ("salessheet quote {src} {deal} {opt} --format pdf", "a numbered quote for a deal"),
            ("salessheet contract {src} {deal} {opt} --format docx", "a contract for a deal"),
            ("salessheet report {src} {opt} --html report.html", "funnel, forecast, time in stage"),
            ("salessheet schedule {src} {opt} --at 07:00", "run every morning"),
        ],
        "note": "Close this file in Excel before `salessheet run` writes to it.",
    },
    "zh": {
        "title": "销售商机表使用说明（流程：{profile}）",
        "intro": [
            "工作表 {sheet!r} 中每行一个商机。请勿修改表头："
            "salessheet 按列名（中文或英文）识别各列，而不是按列的位置。",
            "销售阶段请从下拉列表中选择。日期请按日期格式填写（2026-12-31），金额只填数字，币种单独一列。",
            "两条示例商机展示了填写方式，请替换为您自己的商机。",
        ],
        "stages_h": "销售阶段（按顺序）及各阶段必填项",
        "stages_th": ["阶段名称", "英文标识", "成交可能性", "必填列", "停滞提醒", "含义"],
        "guidance_th": "推进条件",
        "rules_h": "团队规则（validate 与 run 会检查）",
        "rules_th": ["规则", "级别", "检查内容"],
        "severities": {"error": "错误", "warning": "警告", "info": "提示"},
        "approvers": "审批人：{names}",
        "approvers_of": "{owner} 的商机：{names}",
        "days": "{n} 天",
        "terminal": "终态",
        "lost_note": "阶段倒退或跳过阶段会被报告；如属有意调整，请在“{override}”中说明。",
        "columns_h": "各列说明",
        "columns_th": ["列名", "类型", "必填阶段", "填写说明"],
        "types": {
            "id": "文本（唯一编号）",
            "text": "文本",
            "stage": "阶段（下拉选择）",
            "money": "金额",
            "number": "数字",
            "percent": "百分比",
            "date": "日期",
        },
        "all_stages": "全部",
        "items_h": "产品明细",
        "items": [
            "工作表 {items!r} 记录每个商机的产品，每行一项，用商机编号关联。报价单和合同据此生成；"
            "明细合计（{against}）须与商机金额一致。",
            "折扣和税率为百分比（10%、13%）。",
        ],
        "against": {"lines": "折扣后", "net": "折扣后、不含税", "total": "折扣后、含税"},
        "commands_h": "常用命令",
        "commands": [
            ("salessheet validate {src} {opt}", "检查商机表（只读）"),
            ("salessheet stalled {src} {opt}", "停滞或已过预计成交日期的商机"),
            ("salessheet run {src} {opt}", "每晚任务：检查、记录阶段历史、写回提醒"),
            ("salessheet quote {src} {deal} {opt} --format pdf", "为商机生成带编号的报价单"),
            ("salessheet contract {src} {deal} {opt} --format docx", "为商机生成合同"),
            ("salessheet report {src} {opt} --html report.html", "漏斗、预测、各阶段停留时间"),
            ("salessheet schedule {src} {opt} --at 07:00", "每天早上自动运行"),
        ],
        "note": "salessheet run 写入本文件前，请先在 Excel 中关闭它。",
    },
}

# (SKU, description, quantity, unit, unit price, discount %) of an example line item
_Item = tuple[str, str, int, str, str, int]


class _ExampleTexts(TypedDict):
    """The two example deals' texts in one language (index 0: the first deal)."""

    customers: list[str]
    contacts: list[str]
    owners: list[str]
    phones: list[str]
    emails: list[str]
    addresses: list[str]
    notes: list[str]
    items: list[list[_Item]]


class _ExampleSet(TypedDict):
    en: _ExampleTexts
    zh: _ExampleTexts
    tax: str  # the line items' tax rate


# Example data per profile style; the deal rows are built from the profile's own stages.
_EXAMPLES: dict[str, _ExampleSet] = {
    "b2b": {
        "en": {
            "customers": ["Acme Robotics Ltd", "Nordic Freight AB"],
            "contacts": ["John Miller", "Anna Berg"],
            "owners": ["Emma Schulz", "Tom Baker"],
            "phones": ["+44 20 7946 0958", "+46 8 123 456 78"],
            "emails": ["john.miller@acme-robotics.example", "anna.berg@nordicfreight.example"],
            "addresses": ["12 Dock Road, London E16 1AA", "Hamngatan 4, 111 47 Stockholm"],
            "notes": ["Wants go-live before the spring peak", "Pilot for two warehouses first"],
            "items": [
                [
                    ("SW-CRM-PRO", "CRM Professional, annual subscription", 1, "set", "28000", 0),
                    ("SV-IMPL", "Implementation service", 8, "person-day", "2400", 10),
                ],
                [("HW-SCAN-01", "Barcode scanner", 20, "unit", "1350", 0)],
            ],
        },
        "zh": {
            "customers": ["上海星河科技有限公司", "北京华信数据有限公司"],
            "contacts": ["王建国", "刘敏"],
            "owners": ["张伟", "李娜"],
            "phones": ["021-5888 1234", "010-6266 5678"],
            "emails": ["wangjg@xinghe-tech.example", "liumin@huaxin-data.example"],
            "addresses": ["上海市浦东新区张江路 88 号", "北京市海淀区中关村大街 1 号"],
            "notes": ["希望春节前上线", "先在两个仓库试点"],
            "items": [
                [
                    ("SW-CRM-PRO", "CRM 专业版（年订阅）", 1, "套", "28000", 0),
                    ("SV-IMPL", "实施服务", 8, "人天", "2400", 10),
                ],
                [("HW-SCAN-01", "条码扫描枪", 20, "台", "1350", 0)],
            ],
        },
        "tax": "0.06",
    },
    "b2c": {
        "en": {
            "customers": ["Sarah Johnson", "David Chen"],
            "contacts": ["Sarah Johnson", "David Chen"],
            "owners": ["Emma Schulz", "Tom Baker"],
            "phones": ["+1 415 555 0132", "+1 212 555 0187"],
            "emails": ["sarah.johnson@mail.example", "david.chen@mail.example"],
            "addresses": ["221 Market St, San Francisco", "5 Park Ave, New York"],
            "notes": ["Asked for delivery on a Saturday", "Comparing two models"],
            "items": [
                [
                    ("HOME-CHAIR-01", "Massage chair", 1, "pc", "6999", 0),
                    ("SV-INSTALL", "Home installation", 1, "job", "199", 0),
                ],
                [("HOME-PURIF-02", "Air purifier", 2, "pc", "1899", 5)],
            ],
        },
        "zh": {
            "customers": ["陈静", "周强"],
            "contacts": ["陈静", "周强"],
            "owners": ["张伟", "李娜"],
            "phones": ["138 0013 8000", "139 1234 5678"],
            "emails": ["chenjing@mail.example", "zhouqiang@mail.example"],
            "addresses": ["杭州市西湖区文三路 100 号", "南京市鼓楼区中山路 8 号"],
            "notes": ["希望周六送货", "在比较两个型号"],
            "items": [
                [
                    ("HOME-CHAIR-01", "按摩椅", 1, "台", "6999", 0),
                    ("SV-INSTALL", "上门安装", 1, "次", "199", 0),
                ],
                [("HOME-PURIF-02", "空气净化器", 2, "台", "1899", 5)],
            ],
        },
        "tax": "0.13",
    },
}
_EXAMPLES["lite"] = {
    "en": {
        **_EXAMPLES["b2b"]["en"],
        "customers": ["Blue Harbor Foods", "Sunrise Retail Inc."],
        "items": [
            [
                ("WEB-SHOP", "Online shop set-up", 1, "project", "15000", 0),
                ("WEB-CARE", "Maintenance, 12 months", 12, "month", "800", 10),
            ],
            [("WEB-LOGO", "Logo and brand kit", 1, "project", "6000", 0)],
        ],
    },
    "zh": {
        **_EXAMPLES["b2b"]["zh"],
        "customers": ["厦门鹭岛文旅集团", "成都天府软件园"],
        "items": [
            [
                ("WEB-SHOP", "网店搭建", 1, "项", "15000", 0),
                ("WEB-CARE", "网站维护（12 个月）", 12, "月", "800", 10),
            ],
            [("WEB-LOGO", "标志与品牌设计", 1, "项", "6000", 0)],
        ],
    },
    "tax": "0.06",
}

_STAGE_MEANINGS: dict[str, dict[str, str]] = {
    "research": {"en": "market research and analysis", "zh": "市场调研与分析"},
    "lead": {"en": "a potential customer identified", "zh": "发现潜在客户"},
    "opportunity": {"en": "the customer has buying intent", "zh": "客户有购买意向"},
    "follow_up": {"en": "follow-up and communication", "zh": "持续跟进与沟通"},
    "negotiation": {"en": "quotation and negotiation", "zh": "报价与商务谈判"},
    "contract": {"en": "contract signed (won)", "zh": "合同已签订（赢单）"},
    "delivery": {"en": "delivery and after-sales", "zh": "交付与售后服务"},
    "lost": {"en": "the deal was lost", "zh": "丢单（未成交）"},
    "interested": {"en": "the buyer is interested", "zh": "客户有意向"},
    "order": {"en": "order placed, not yet paid", "zh": "已下单，未付款"},
    "paid": {"en": "paid (won)", "zh": "已付款（成交）"},
    "talking": {"en": "in talks with the customer", "zh": "与客户洽谈中"},
    "quoted": {"en": "a quote was sent", "zh": "已报价"},
    "won": {"en": "won", "zh": "成交"},
}
_COLUMN_MEANINGS: dict[str, dict[str, str]] = {
    "deal_id": {"en": "a unique id per deal, e.g. D-0003", "zh": "每个商机唯一的编号，如 D-0003"},
    "customer": {"en": "the customer's name", "zh": "客户名称"},
    "stage": {"en": "pick from the dropdown", "zh": "从下拉列表中选择"},
    "amount": {"en": "expected value, a plain number", "zh": "预计金额，只填数字"},
    "currency": {"en": "ISO code: CNY, USD, EUR ...", "zh": "币种代码：CNY、USD、EUR 等"},
    "owner": {"en": "the sales rep responsible", "zh": "负责的销售"},
    "expected_close": {"en": "when you expect to close", "zh": "预计成交的日期"},
    "last_activity": {"en": "date of the last contact", "zh": "最近一次跟进的日期"},
    "stage_date": {"en": "the day the deal entered its stage", "zh": "进入当前阶段的日期"},
    "created": {"en": "the day the deal was opened", "zh": "商机创建的日期"},
    "lost_reason": {"en": "why the deal was lost", "zh": "丢单的原因"},
    "next_step_date": {"en": "when the next step is due", "zh": "下一步行动的截止日期"},
    "snooze_until": {"en": "no stall reminders until this day", "zh": "此日期前不提醒停滞"},
    "override_reason": {
        "en": "why a stage was skipped or moved back",
        "zh": "跳过阶段或阶段倒退的原因",
    },
    "contact": {"en": "the customer's contact person", "zh": "客户联系人"},
    "phone": {"en": "the contact's phone", "zh": "联系电话"},
    "email": {"en": "the contact's e-mail", "zh": "联系邮箱"},
    "address": {"en": "the customer's address (for contracts)", "zh": "客户地址（用于合同）"},
    "notes": {"en": "anything else", "zh": "其他备注"},
    "approver": {
        "en": "who approved the deal (one of the approvers)",
        "zh": "审批人（指定审批人之一）",
    },
    "discount": {"en": "the discount granted, a percentage (15%)", "zh": "折扣，百分比（15%）"},
    "contract_no": {"en": "the signed contract's number", "zh": "已签合同的编号"},
}

LINE_ITEM_HEADERS = {
    # field: (kind, English header, Chinese header) — all aliases documents/line_items accepts
    "deal_id": ("text", "Deal ID", "商机编号"),
    "sku": ("text", "SKU", "产品编号"),
    "description": ("text", "Description", "描述"),
    "quantity": ("number", "Quantity", "数量"),
    "unit": ("text", "Unit", "单位"),
    "unit_price": ("money", "Unit Price", "单价"),
    "discount": ("percent", "Discount %", "折扣"),
    "tax_rate": ("percent", "Tax Rate", "税率"),
}


# ------------------------------------------------------------------ the plan


def build_init_plan(
    profile: Profile,
    lang: str = "en",
    *,
    today: dt.date,
    source: str = "pipeline.xlsx",
) -> InitPlan:
    """The new workbook for ``profile`` in ``lang`` (en|zh); example dates relative to ``today``.

    ``source`` is only used to spell the commands on the instructions sheet."""
    if lang not in LANGS:
        raise UsageError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    docs = profile.documents
    items_name = getattr(docs, "line_items_sheet", None) or DEFAULT_LINE_ITEMS_SHEET
    pipeline_name = profile.sheet or DEFAULT_PIPELINE_SHEET
    examples = _examples(profile, lang, today)
    pipeline = _pipeline_sheet(profile, lang, pipeline_name, examples)
    items = _line_items_sheet(profile, lang, items_name, examples)
    instructions = _instructions_sheet(profile, lang, pipeline, items, source, examples)
    return InitPlan(profile.name, lang, today, [pipeline, items, instructions])


@dataclass
class _Example:
    stage: Stage
    values: dict[str, CellValue]
    items: list[list[CellValue]]
    expected_close: dt.date  # also values["expected_close"]


def _examples(profile: Profile, lang: str, today: dt.date) -> list[_Example]:
    style = _EXAMPLES.get(profile.name) or _EXAMPLES["b2b"]
    data = style["zh"] if lang == "zh" else style["en"]
    # the examples' tax rate is China's VAT, as the built-in profiles charge it; a team's config
    # that charges no tax (init writes one for a team elsewhere: init/adopt/place.tax_guess)
    # gets example lines at 0 %
    charges = getattr(profile.documents, "default_tax_rate", Decimal(0))
    tax = Decimal(style["tax"]) if charges or is_bundled(profile.name, profile.path) else Decimal(0)
    open_stages = [s for s in profile.stages if s.is_open] or profile.stages[:1]
    # the deal closest to closing, then one in the middle of the funnel
    chosen = [open_stages[-1], open_stages[(len(open_stages) - 1) // 2]]
    out = []
    currency = profile.currency
    for i, stage in enumerate(chosen):
        deal_id = f"D-{i + 1:04d}"
        lines = data["items"][i]
        amount = sum(
            (
                round_money(Decimal(q) * Decimal(p) * (1 - Decimal(d) / 100), currency)
                for _sku, _desc, q, _unit, p, d in lines
            ),
            Decimal(0),
        )
        limit = stage.stall_days or 30
        in_stage = min((3, 9)[i], limit - 1)
        entered = today - dt.timedelta(days=max(in_stage, 0))
        last = today - dt.timedelta(days=1) if entered < today else today
        expected_close = today + dt.timedelta(days=(21, 60)[i])
        values: dict[str, CellValue] = {
            "deal_id": deal_id,
            "customer": data["customers"][i],
            "stage": stage_label(stage, lang),
            "amount": amount,
            "currency": currency,
            "owner": data["owners"][i],
            "expected_close": expected_close,
            "last_activity": last,
            "stage_date": entered,
            "created": entered - dt.timedelta(days=(30, 14)[i]),
            "next_step_date": today + dt.timedelta(days=(4, 7)[i]),
            "contact": data["contacts"][i],
            "phone": data["phones"][i],
            "email": data["emails"][i],
            "address": data["addresses"][i],
            "notes": data["notes"][i],
        }
        items: list[list[CellValue]] = [
            [deal_id, sku, desc, q, unit, Decimal(p), Decimal(d) / 100, tax]
            for sku, desc, q, unit, p, d in lines
        ]
        out.append(_Example(stage, values, items, expected_close))
    return out


def _filler(col: ColumnDef, lang: str, today: dt.date, amount: CellValue) -> CellValue:
    """A value for a column a custom profile requires that the examples do not know."""
    if col.type == "date":
        return today
    if col.type == "money":
        return amount
    if col.type in ("number", "percent"):
        return Decimal("0.5") if col.type == "percent" else 1
    return "示例" if lang == "zh" else "Example"


def _width(header: str, values: list[CellValue], kind: str) -> float:
    shown = [text_width(header) + 3]  # room for the autofilter button
    for v in values:
        if v is None:
            continue
        if kind == "date":
            shown.append(10)
        elif kind == "money":
            shown.append(len(f"{v:,.2f}") if isinstance(v, Decimal) else 10)
        else:
            shown.append(text_width(str(v)))
    return float(min(max(max(shown) + 2, 10), 45))


def _pipeline_sheet(profile: Profile, lang: str, name: str, examples: list[_Example]) -> SheetPlan:
    cols = pipeline_fields(profile)
    rows: list[list[CellValue]] = []
    for ex in examples:
        row: list[CellValue] = []
        for c in cols:
            v = ex.values.get(c.field)
            if v is None and c.field in ex.stage.required:
                v = _filler(c, lang, ex.expected_close, ex.values["amount"])
            row.append(v)
        rows.append(row)
    columns: list[ColumnPlan] = []
    for j, c in enumerate(cols):
        header = pick_header(c.aliases, lang, c.field)
        kind = _KIND_OF_TYPE.get(c.type, "text")
        columns.append(
            ColumnPlan(header, c.field, kind, _width(header, [r[j] for r in rows], kind))
        )
    sheet = SheetPlan(name, "pipeline", columns, rows)
    labels = tuple(stage_label(s, lang) for s in profile.stages)
    zh = lang == "zh"
    stage_col = sheet.column_of("stage")
    if stage_col:
        sheet.validations.append(
            Validation(
                stage_col,
                "list",
                labels,
                strict=True,
                title="销售阶段" if zh else "Stage",
                prompt="请从列表中选择阶段" if zh else "Pick the deal's stage from the list",
                error=("阶段须为：" if zh else "The stage must be one of: ") + ", ".join(labels),
            )
        )
    for i, col in enumerate(columns, start=1):
        if col.kind == "date":
            sheet.validations.append(
                Validation(
                    i,
                    "date",
                    minimum=dt.date(2000, 1, 1),
                    maximum=dt.date(2099, 12, 31),
                    strict=False,
                    title=col.header,
                    error="请填写日期，例如 2026-12-31" if zh else "Type a date, e.g. 2026-12-31",
                )
            )
        elif col.kind == "money":
            sheet.validations.append(
                Validation(
                    i,
                    "decimal",
                    minimum=Decimal(0),
                    strict=False,
                    title=col.header,
                    error="金额须为不小于 0 的数字（币种另填一列）"
                    if zh
                    else "Type the amount as a number of 0 or more (currency in its own column)",
                )
            )
    return sheet


def _line_items_sheet(
    profile: Profile, lang: str, name: str, examples: list[_Example]
) -> SheetPlan:
    rows = [row for ex in examples for row in ex.items]
    columns = []
    for j, (fname, (kind, en, zh)) in enumerate(LINE_ITEM_HEADERS.items()):
        header = zh if lang == "zh" else en
        columns.append(ColumnPlan(header, fname, kind, _width(header, [r[j] for r in rows], kind)))
    sheet = SheetPlan(name, "line_items", columns, rows)
    qty = sheet.column_of("quantity")
    if qty:
        sheet.validations.append(
            Validation(
                qty,
                "decimal",
                minimum=Decimal("0.0001"),
                strict=False,
                title=columns[qty - 1].header,
                error="数量须大于 0" if lang == "zh" else "The quantity must be more than 0",
            )
        )
    return sheet


def _profile_option(profile: Profile) -> str:
    if is_bundled(profile.name, profile.path):
        return f"--profile {profile.name}"
    if profile.path is not None:
        return f"--config {_quote(str(profile.path))}"
    return f"--profile {profile.name}"


def _quote(text: str) -> str:
    return text if re.fullmatch(r"[\w./:\\-]+", text) else f'"{text}"'


def _team_rules(profile: Profile, lang: str, add: Callable[..., None]) -> None:
    """The profile's own rules (and who approves), in ``lang`` where the rule says it."""
    t = _T[lang]
    add([t["rules_h"]], "heading")
    add(list(t["rules_th"]), "th")
    for rule in profile.rules:
        meaning = rule.message.pick(lang) if rule.message is not None else rule.check.meaning
        add([rule.id, t["severities"].get(rule.severity, rule.severity), meaning])
    approvers = profile.approvers
    if approvers is not None:
        sep = "、" if lang == "zh" else ", "
        if approvers.default:
            add([t["approvers"].format(names=sep.join(approvers.default))])
        for owner, names in approvers.by_owner.items():
            add([t["approvers_of"].format(owner=owner, names=sep.join(names))])


def _instructions_sheet(
    profile: Profile,
    lang: str,
    pipeline: SheetPlan,
    items: SheetPlan,
    source: str,
    examples: list[_Example],
) -> SheetPlan:
    t = _T[lang]
    headers = {c.field: c.header for c in pipeline.columns}
    rows: list[list[CellValue]] = []
    styles: dict[int, str] = {}
    sep = "、" if lang == "zh" else ", "

    def add(row: Sequence[CellValue], style: str | None = None) -> None:
        if style:
            styles[len(rows)] = style
        rows.append(list(row))

    add([t["title"].format(profile=profile.name)], "title")
    add([])
    for line in t["intro"]:
        add([line.format(sheet=pipeline.name)])
    add([])
    add([t["stages_h"]], "heading")
    guided = any(s.guidance is not None for s in profile.stages)
    add(list(t["stages_th"]) + ([t["guidance_th"]] if guided else []), "th")
    for s in profile.stages:
        required = sep.join(headers.get(f, f) for f in s.required) or "—"
        if s.terminal or s.stall_days is None:
            stall = t["terminal"] if s.terminal else "—"
        else:
            stall = t["days"].format(n=s.stall_days)
        meaning = _STAGE_MEANINGS.get(s.id, {}).get(lang, "")
        row = [stage_label(s, lang), s.id, f"{s.probability * 100:.0f}%", required, stall, meaning]
        if guided:
            row.append(s.guidance.pick(lang) if s.guidance is not None else "")
        add(row)
    override = headers.get("override_reason")
    if override:
        add([t["lost_note"].format(override=override)])
    add([])
    add([t["columns_h"]], "heading")
    add(list(t["columns_th"]), "th")
    for c in pipeline.columns:
        pc = profile.column(c.field or "")
        ctype = pc.type if pc else "text"
        stages = [stage_label(s, lang) for s in profile.stages if c.field in s.required]
        if pc is not None and pc.required or len(stages) == len(profile.stages):
            needed = t["all_stages"]
        else:
            needed = sep.join(stages) or "—"
        meaning = _COLUMN_MEANINGS.get(c.field or "", {}).get(lang, "")
        add([c.header, t["types"].get(ctype, ctype), needed, meaning])
    add([])
    if profile.rules:
        _team_rules(profile, lang, add)
        add([])
    add([t["items_h"]], "heading")
    against = getattr(profile.documents, "reconcile_with", None) or "lines"
    for line in t["items"]:
        add([line.format(items=items.name, against=t["against"].get(against, against))])
    add([])
    add([t["commands_h"]], "heading")
    src = _quote(source)
    opt = _profile_option(profile)
    deal = str(examples[0].values["deal_id"])
    kinds = getattr(profile.documents, "kinds", None) or {}
    for cmd, what in t["commands"]:
        kind = cmd.split()[1]
        needs = getattr(kinds.get(kind), "required", ()) or ()
        if any(f != "currency" and f not in headers for f in needs):
            continue  # e.g. contracts need a contact column this profile does not have
        add([cmd.format(src=src, opt=opt, deal=deal), what])
    add([])
    add([t["note"]])
    columns = [
        ColumnPlan("", None, "general", 34),
        ColumnPlan("", None, "general", 40),
        ColumnPlan("", None, "general", 16),
        ColumnPlan("", None, "general", 44),
        ColumnPlan("", None, "general", 14),
        ColumnPlan("", None, "general", 50),
    ]
    if guided:
        columns.append(ColumnPlan("", None, "general", 50))
    return SheetPlan(
        INSTRUCTIONS_SHEET[lang],
        "instructions",
        columns,
        rows,
        has_header=False,
        freeze_header=False,
        autofilter=False,
        styles=styles,
    )
