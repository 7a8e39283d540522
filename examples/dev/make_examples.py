"""Regenerate the bundled example workbooks (deterministic data; run from the repo root).

    python examples/make_examples.py

The demo treats 2026-11-28 as "today"; dates below are relative to it.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

HERE = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 28)

OWNERS = ["张伟", "李娜", "Emma Schulz", "Tom Baker", "王芳"]
CUSTOMERS = [
    "上海星河科技有限公司", "北京华信数据有限公司", "Müller & Söhne <KG>", "Acme Robotics Ltd",
    "深圳前海云帆网络", "杭州绿源生物科技", "Nordic Freight AB", "广州粤海贸易有限公司",
    "Blue Harbor Foods", "成都天府软件园", "苏州工业园智造中心", "Kyoto Precision KK",
    "南京金陵医疗器械", "Atlas Consulting GmbH", "武汉光谷电子", "Sunrise Retail Inc.",
    "重庆山城物流", "西安秦岭新能源", "Pacific Textiles Co.", "厦门鹭岛文旅集团",
]  # fmt: skip
PRODUCTS = [
    ("SW-CRM-STD", "CRM 标准版 (年订阅) / CRM Standard (annual)", "套", Decimal("12000.00"), Decimal("0.06")),
    ("SW-CRM-PRO", "CRM 专业版 (年订阅) / CRM Professional (annual)", "套", Decimal("28000.00"), Decimal("0.06")),
    ("HW-SCAN-01", "条码扫描枪 / Barcode scanner", "台", Decimal("1350.00"), Decimal("0.13")),
    ("HW-TAB-10", "10寸工业平板 / 10\" rugged tablet", "台", Decimal("4280.00"), Decimal("0.13")),
    ("SV-IMPL", "实施服务 / Implementation service", "人天", Decimal("2400.00"), Decimal("0.06")),
    ("SV-TRAIN", "培训服务 / Training", "场", Decimal("5000.00"), Decimal("0.06")),
]  # fmt: skip
STAGES = ["市场调研", "客户开发", "销售机会", "客户跟进", "报价与谈判", "合同签订", "交付与售后", "丢单"]
STAGES_EN = ["Research", "Lead", "Opportunity", "Follow-up", "Negotiation", "Contract", "Delivery", "Lost"]
LOST_REASONS = ["价格过高 / price too high", "选择了竞品 / chose a competitor", "预算取消 / budget cut"]
HEADERS = ["Deal ID", "Customer", "Stage", "Amount", "Currency", "Owner", "Expected Close",
           "Last Activity", "Stage Date", "Lost Reason", "Contact", "Notes"]  # fmt: skip


def build_deals() -> tuple[list[list], list[list]]:
    rng = random.Random(20261128)
    deals, items = [], []
    for i in range(1, 61):
        deal_id = f"D-{i:04d}"
        s = rng.choices(range(8), weights=[4, 8, 9, 9, 9, 6, 4, 6])[0]
        stage = STAGES[s] if rng.random() < 0.5 else STAGES_EN[s]
        customer = CUSTOMERS[(i * 7) % len(CUSTOMERS)]
        owner = OWNERS[i % len(OWNERS)]
        currency = "CNY" if i % 9 else ("USD" if i % 2 else "EUR")
        lines = []
        for _ in range(rng.randint(1, 3)):
            sku, _desc, _unit, price, _tax = rng.choice(PRODUCTS)
            qty = rng.choice([1, 2, 3, 5, 10])
            disc = rng.choice([Decimal("0"), Decimal("0"), Decimal("5"), Decimal("10")])
            lines.append((sku, qty, price, disc))
        amount = sum(
            (q * p * (1 - d / 100)).quantize(Decimal("0.01"), ROUND_HALF_UP) for _, q, p, d in lines
        )
        stage_date = TODAY - dt.timedelta(days=rng.randint(1, 9))
        last = stage_date + dt.timedelta(days=rng.randint(0, (TODAY - stage_date).days))
        close = TODAY + dt.timedelta(days=rng.randint(5, 120))
        if s in (5, 6):
            close = stage_date
        lost = rng.choice(LOST_REASONS) if s == 7 else None
        deals.append([deal_id, customer, stage, float(amount), currency, owner, close, last,
                      stage_date, lost, f"联系人{i}" if i % 2 else f"Contact {i}", None])  # fmt: skip
        if 2 <= s <= 6:
            for sku, qty, price, disc in lines:
                items.append([deal_id, sku, qty, float(price), float(disc)])
    # deliberate problems the demo shows
    deals[3][2] = "Closing"  # unknown-stage
    deals[7][5] = None  # missing owner
    deals[11][2], deals[11][6] = "报价与谈判", None  # negotiation without expected close
    deals[16][0] = deals[15][0]  # duplicate-id
    deals[20][7] = "2026-02-30"  # bad-value: impossible date
    deals[24][2], deals[24][3] = "Negotiation", -4800.0  # negative-amount
    deals[28][2], deals[28][6] = "客户跟进", TODAY - dt.timedelta(days=12)  # close-date-passed
    deals[33][2], deals[33][9] = "丢单", None  # lost without a reason
    # stalled deals: sitting in their stage for weeks
    for i, stage in ((4, "客户开发"), (12, "Negotiation"), (44, "销售机会")):
        deals[i][2] = stage
        deals[i][8] = TODAY - dt.timedelta(days=26)
        deals[i][7] = TODAY - dt.timedelta(days=20)
        deals[i][6] = TODAY + dt.timedelta(days=40)
    # deal D-0042: the demo's quote and contract
    deals[41][1:10] = ["上海星河科技有限公司", "报价与谈判", 65200.0, "CNY", "张伟",
                       TODAY + dt.timedelta(days=30), TODAY - dt.timedelta(days=2),
                       TODAY - dt.timedelta(days=5), None]  # fmt: skip
    items = [it for it in items if it[0] != "D-0042"]
    items += [["D-0042", "SW-CRM-PRO", 1, 28000.0, 0.0], ["D-0042", "HW-SCAN-01", 10, 1350.0, 0.0],
              ["D-0042", "SV-IMPL", 8, 2400.0, 0.0], ["D-0042", "SV-TRAIN", 1, 5000.0, 10.0]]  # fmt: skip
    # the deal amount equals its line items: 28000 + 13500 + 19200 + 4500 = 65200.00
    deals[41][3] = 65200.0
    return deals, items


def write_pipeline(path: Path) -> None:
    deals, items = build_deals()
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(HEADERS)
    for d in deals:
        ws.append(d)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F4E79")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center")
    for row in ws.iter_rows(min_row=2, min_col=4, max_col=4):
        for cell in row:
            cell.number_format = "#,##0.00"
    for col in (7, 8, 9):
        for row in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            for cell in row:
                cell.number_format = "yyyy-mm-dd"
    widths = [10, 28, 14, 14, 9, 13, 15, 14, 12, 30, 12, 20]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = w
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:L{len(deals) + 1}"
    dv = DataValidation(type="list", formula1='"' + ",".join(STAGES) + '"', allow_blank=True,
                        showErrorMessage=False)  # fmt: skip
    ws.add_data_validation(dv)
    dv.add(f"C2:C{len(deals) + 200}")

    li = wb.create_sheet("Line Items")
    li.append(["Deal ID", "SKU", "Quantity", "Unit Price", "Discount %"])
    for it in items:
        li.append(it)
    pr = wb.create_sheet("Products")
    pr.append(["SKU", "Description", "Unit", "Unit Price", "Tax Rate"])
    for sku, desc, unit, price, tax in PRODUCTS:
        pr.append([sku, desc, unit, float(price), float(tax)])
    for sheet in (li, pr):
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        sheet.column_dimensions["B"].width = 44
    wb.save(path)


if __name__ == "__main__":
    write_pipeline(HERE / "pipeline.xlsx")
    print("wrote", HERE / "pipeline.xlsx")
