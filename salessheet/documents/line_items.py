"""Line items from the ``Line Items`` sheet (keyed by deal id), priced from ``Products``.

Headers are matched by alias, English and Chinese (数量, 单价, 税率, 折扣, 单位, 产品, 描述,
商机编号 ...). A line may name only a SKU: product name, description, unit, unit price and tax
rate then come from the ``Products`` sheet. Rates and discounts may be written as ``13%``,
``0.13`` or ``13`` (percentage points); anything else is a problem naming the cell.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from salessheet.core.catalogue import BAD_VALUE
from salessheet.core.cells import RawSheet, col_letter
from salessheet.core.currency import currency_code
from salessheet.core.findings import json_safe
from salessheet.core.records import Record, TableLayout
from salessheet.core.textnorm import normalise
from salessheet.documents.money import LineItem
from salessheet.settings.documents import DocumentSettings
from salessheet.sheet.parsing import ParseContext, ParseFailure, parse_text
from salessheet.sheet.table import ColumnSpec, map_table

HUNDRED = Decimal(100)


@dataclass
class LineSource:
    """Every deal's line items as read, plus per-deal problems (bad cells, unknown SKUs)."""

    items: dict[str, list[LineItem]] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    sheet_found: bool = False
    sheet_name: str = "Line Items"
    place: str = ""  # where the sheet lives, when not in the workbook (a CSV's sidecar file)

    def for_deal(self, deal_id: str) -> tuple[list[LineItem], list[str]]:
        return self.items.get(deal_id, []), self.problems.get(deal_id, [])


def _specs(columns: dict[str, tuple[str, list[str]]], required: set[str]) -> list[ColumnSpec]:
    return [ColumnSpec(f, list(a), t, f in required) for f, (t, a) in columns.items()]


def normalise_rate(value: Decimal) -> Decimal | None:
    """0.13 and 13 (percentage points) -> 0.13; None when ambiguous (1) or out of range."""
    if value < 0 or value > HUNDRED:
        return None
    if value < 1:
        return value
    if value == 1:
        return None  # 100 % or 1 %? write it as '1%' or '100%'
    return value / HUNDRED


def _currency(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return currency_code(value, "")


def rate_from(raw: Any, value: Decimal) -> Decimal | None:
    """The fraction a rate cell means: ``13%`` (already 0.13), ``0.13`` or ``13``."""
    if isinstance(raw, str) and raw.strip().endswith("%"):
        return value if 0 <= value <= 1 else None
    return normalise_rate(value)


# what a price header says about tax: 单价（不含税）, 含税单价, Unit price (excl. VAT) ...
# (the exclusive words first: 不含税 holds 含税)
_TAX_WORD = r"[\s.-]*(?:sales tax|tax|vat|gst)\b"
_EXCLUDES_TAX = re.compile(
    r"不含税|未含税|未税|除税|税前|\b(?:excl|excluding|ex|before|pre|without|net of)\b" + _TAX_WORD
)
_INCLUDES_TAX = re.compile(
    r"含税|\b(?:incl|including|inc|with)\b" + _TAX_WORD + r"|\b(?:tax|vat|gst) included\b"
)


def header_tax_mode(header: str) -> str | None:
    """``exclusive`` or ``inclusive`` when a price header says so, else None."""
    n = normalise(header)
    if _EXCLUDES_TAX.search(n):
        return "exclusive"
    if _INCLUDES_TAX.search(n):
        return "inclusive"
    return None


def price_header_conflict(layout: TableLayout, tax_mode: str, place: str = "") -> str | None:
    """The problem when the unit-price header says the prices include (or exclude) tax and
    documents.tax_mode says the opposite: the tax would be counted twice, or not at all."""
    header = layout.header_of.get("unit_price")
    said = header_tax_mode(header) if header else None
    if said is None or said == tax_mode:
        return None
    cell = f"{col_letter(layout.col_of['unit_price'])}{layout.header_row}"
    where = place or f"sheet {layout.sheet!r}"
    if said == "inclusive":
        consequence = "include tax, but documents.tax_mode is exclusive, so the tax would be "
        consequence += "added to them a second time"
        other = "if the prices do exclude tax, head the column 单价 or Unit price"
    else:
        consequence = "exclude tax, but documents.tax_mode is inclusive (含税价), so the tax "
        consequence += "would be taken out of them and the total would lack it"
        other = "if the prices do include tax, head the column 单价 or 含税单价"
    return (
        f"{where} {cell}: the header {header!r} says the unit prices {consequence}: set "
        f"documents.tax_mode: {said} in the config (or, {other})"
    )


def _where(rec: Record, name: str) -> str:
    cell = rec.cell(name) or f"row {rec.row}"
    return f"sheet {rec.sheet!r} {cell}"


# a discount as Chinese sales write it: 9折 / 九折 (the customer pays 90 %), 95折 / 九五折 /
# 9.5折 (95 %), 八八折 (88 %)
_ZHE = re.compile(
    r"\s*([1-9](?:\.\d+)?|[1-9][1-9]|[一二三四五六七八九][一二三四五六七八九]?)\s*折\s*"
)
_ZH_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")}


def zhe_discount(raw: Any) -> Decimal | None:
    """The discount a ``9折``-style cell means (9折 -> 0.1, 九五折 -> 0.05), else None."""
    m = _ZHE.fullmatch(raw) if isinstance(raw, str) else None
    if m is None:
        return None
    digits = "".join(_ZH_DIGITS.get(c, c) for c in m.group(1))
    paid = Decimal(digits) / (HUNDRED if len(digits) == 2 else 10)
    return 1 - paid if 0 < paid < 1 else None


def _rate(rec: Record, name: str, label: str, problems: list[str]) -> Decimal | None:
    value = rec.values.get(name)
    if value is None:
        return zhe_discount(rec.raw_value(name)) if name == "discount" else None
    raw = rec.raw_value(name)
    rate = rate_from(raw, value)
    if rate is None:
        problems.append(
            f"{_where(rec, name)}: {label} {json_safe(raw)!r} is not a rate; "
            "write it as 13%, 0.13 or 13 (and 1% or 100% rather than 1)"
        )
    return rate


def read_products(
    sheet: RawSheet | None,
    settings: DocumentSettings,
    ctx: ParseContext,
    source: str = "",
    where: str | None = None,
) -> tuple[dict[str, Record], dict[int, list[str]]]:
    """The price list by SKU (casefolded), and each row's problems (a line that uses the row
    takes them on)."""
    if sheet is None:
        return {}, {}
    table = map_table(
        sheet,
        _specs(settings.product_columns, {"sku"}),
        ctx,
        source=source,
        id_field="sku",
        where=where,
    )
    problems: dict[int, list[str]] = defaultdict(list)
    for f in table.findings:
        if f.code == BAD_VALUE.code:
            problems[f.row or 0].append(f"sheet {sheet.name!r}: {f.message}")
    products: dict[str, Record] = {}
    for rec in table.records:
        problems[rec.row].extend(unsaved_formulas(sheet, rec))
        sku = rec.values.get("sku")
        if sku:
            products.setdefault(sku.casefold(), rec)
    return products, {row: found for row, found in problems.items() if found}


def unsaved_formulas(sheet: RawSheet, rec: Record) -> list[str]:
    """A problem for each of the row's mapped cells holding a formula whose result was never
    saved (a workbook written by a script): it reads as blank, so a line would be priced
    from the price list, or refused as blank, while Excel shows the formula's value."""
    unsaved = sheet.unsaved_formulas
    if not unsaved:
        return []
    out = []
    for name, col in sorted(rec.layout.col_of.items(), key=lambda fc: fc[1]):
        formula = unsaved.get((rec.row - 1, col - 1))
        if formula is None:
            continue
        shown = f" ={formula}" if formula else ""
        out.append(
            f"{_where(rec, name)}: the formula{shown} has no saved result, so it reads as "
            "blank (the file was written by a program that does not calculate formulas): open "
            "it in Excel or LibreOffice, save it, and run again"
        )
    return out


def read_line_items(
    sheets: dict[str, RawSheet],
    settings: DocumentSettings,
    ctx: ParseContext,
    *,
    source: str = "",
    place: Callable[[str], str] | None = None,
) -> LineSource:
    """Map the line items and the price list. Raises StructureError for an unreadable table.

    ``place(sheet name)``: where a sheet lives when it is not in the workbook (a CSV
    pipeline's sidecar file), so messages name that file rather than a sheet of ``source``."""
    out = LineSource(sheet_name=settings.line_items_sheet)
    if place is not None:
        out.place = place(settings.line_items_sheet)
    sheet = sheets.get(settings.line_items_sheet)
    if sheet is None:
        return out
    out.sheet_found = True
    products, product_problems = read_products(
        sheets.get(settings.products_sheet),
        settings,
        ctx,
        source,
        where=place(settings.products_sheet) if place is not None else None,
    )
    table = map_table(
        sheet,
        _specs(settings.line_item_columns, {"deal_id", "quantity"}),
        ctx,
        source=source,
        id_field="deal_id",
        where=out.place or None,
    )
    bad_rows: dict[int, list[str]] = defaultdict(list)
    for f in table.findings:
        if f.column == table.layout.header_of.get("discount") and zhe_discount(f.value):
            continue  # 9折: read by _rate
        if f.code == BAD_VALUE.code:  # header notes are no problem of a line
            bad_rows[f.row or 0].append(f"sheet {sheet.name!r}: {f.message}")
    items: dict[str, list[LineItem]] = defaultdict(list)
    problems: dict[str, list[str]] = defaultdict(list)
    for rec in table.records:
        deal_id = rec.values.get("deal_id")
        if not deal_id:
            continue  # a note or subtotal row without a deal id
        mine = problems[deal_id]
        mine.extend(bad_rows.get(rec.row, []))
        unsaved = unsaved_formulas(sheet, rec)
        if unsaved:  # not priced from blanks: the line's own checks would mislead
            mine.extend(unsaved)
            continue
        item = _line(rec, products, settings, mine, product_problems)
        if item is not None:
            items[deal_id].append(item)
    out.items = dict(items)
    out.problems = {k: _placed(v, place) for k, v in problems.items() if v}
    return out


_SHEET_FIRST = re.compile(r"^sheet '([^']*)'")


def _placed(problems: list[str], place: Callable[[str], str] | None) -> list[str]:
    """The problems as the user finds them: a CSV pipeline's line items and price list are
    files beside it, so ``sheet 'Line Items' C2: ...`` reads ``file
    deals.salessheet-Line-Items.csv beside deals.csv C2: ...`` (each problem here starts with
    the sheet it is about)."""
    if place is None:
        return problems
    return [_SHEET_FIRST.sub(lambda m: place(m.group(1)), p, count=1) for p in problems]


def _line(
    rec: Record,
    products: dict[str, Record],
    settings: DocumentSettings,
    problems: list[str],
    product_problems: dict[int, list[str]],
) -> LineItem | None:
    v: dict[str, Any] = rec.values
    sku = v.get("sku")
    product = products.get(sku.casefold()) if sku else None
    if sku and product is None and products:
        problems.append(f"{_where(rec, 'sku')}: SKU {sku!r} is not in the price list")
    elif sku and product is None and v.get("unit_price") is None:
        problems.append(
            f"{_where(rec, 'sku')}: SKU {sku!r} has no unit price and there is no "
            f"{settings.products_sheet!r} sheet to look it up"
        )
    pv = product.values if product is not None else {}
    if product is not None:
        problems.extend(product_problems.get(product.row, ()))

    def pick(name: str) -> Any:
        return v.get(name) if v.get(name) is not None else pv.get(name)

    quantity = v.get("quantity")
    if quantity is None:
        if rec.raw_value("quantity") in (None, ""):
            problems.append(f"{_where(rec, 'quantity')}: the quantity is blank")
        return None
    if quantity <= 0:
        problems.append(f"{_where(rec, 'quantity')}: quantity {quantity} must be more than 0")
        return None
    price = pick("unit_price")
    if price is None:
        if rec.raw_value("unit_price") in (None, "") and product is not None:
            problems.append(f"{_where(rec, 'unit_price')}: no unit price for SKU {sku!r}")
        elif "unit_price" not in rec.layout.col_of and not sku:
            _once(problems, _no_price_column(rec, settings))
        elif rec.raw_value("unit_price") in (None, "") and not sku:
            problems.append(f"{_where(rec, 'unit_price')}: the unit price is blank")
        return None
    if price < 0:
        problems.append(f"{_where(rec, 'unit_price')}: unit price {price} is negative")
    discount = _rate(rec, "discount", "discount", problems) or Decimal(0)
    tax = _rate(rec, "tax_rate", "tax rate", problems)
    if tax is None and product is not None and pv.get("tax_rate") is not None:
        tax = _rate(product, "tax_rate", "tax rate", problems)
    if tax is None:
        tax = settings.default_tax_rate
    # the line's currency column, the price's own mark, else the price header's (单价（元）)
    currency = (
        v.get("currency")
        or v.get("unit_price_currency_mark")
        or (rec.layout.currency_of.get("unit_price") if v.get("unit_price") is not None else None)
    )
    if currency is None and v.get("unit_price") is None and product is not None:
        currency = (
            pv.get("currency")
            or pv.get("unit_price_currency_mark")
            or product.layout.currency_of.get("unit_price")
        )
    if not (pick("product") or pick("description") or sku):
        _once(problems, _nameless(rec, settings))
    if tax:  # a line without tax is the same in either mode
        priced_by = rec if v.get("unit_price") is not None else product
        if priced_by is not None:
            conflict = price_header_conflict(priced_by.layout, settings.tax_mode)
            if conflict is not None:
                _once(problems, conflict)
    return LineItem(
        quantity=quantity,
        unit_price=price,
        discount=discount,
        tax_rate=tax,
        product=pick("product"),
        description=pick("description"),
        sku=sku,
        unit=pick("unit"),
        currency=_currency(currency),
        sheet=rec.sheet,
        row=rec.row,
        extra=_other_columns(rec),
    )


def _other_columns(rec: Record) -> tuple[tuple[str, str], ...]:
    """The row's unmapped columns by header, as text (``items[].extra`` on documents)."""
    out = []
    for header, raw in rec.extra.items():
        try:
            text = "" if raw is None else parse_text(raw) or ""
        except ParseFailure:
            text = str(raw)
        out.append((header.strip(), text))
    return tuple(out)


def _once(problems: list[str], problem: str) -> None:
    """A problem of the whole sheet: said once per deal, not on each of its lines."""
    if problem not in problems:
        problems.append(problem)


def _no_price_column(rec: Record, settings: DocumentSettings) -> str:
    """No column of the sheet is the unit price: name the headers that look like one."""
    accepted = settings.line_item_columns["unit_price"][1]
    looks = [
        f"column {col_letter(c)} ({h!r})"
        for c, h in sorted(rec.layout.unmapped.items())
        if "价" in h or "price" in h.casefold()
    ]
    seen = f"; {', '.join(looks)} is not one of them" if looks else ""
    return (
        f"sheet {rec.sheet!r}: no column on row {rec.layout.header_row} is the unit price "
        f"(accepted headers: {', '.join(accepted)}{seen}): rename the price column's header, "
        "or add yours to documents.line_items.columns.unit_price in the config"
    )


def _nameless(rec: Record, settings: DocumentSettings) -> str:
    """A line that would go out with no name: its cells are blank, or no column names it."""
    cols = settings.line_item_columns
    if any(f in rec.layout.col_of for f in ("product", "description", "sku")):
        return (
            f"sheet {rec.sheet!r} row {rec.row}: the line has no product name, description or "
            "SKU, so the document would not say what it is: fill one of them"
        )
    others = ", ".join(f"{col_letter(c)} ({h!r})" for c, h in sorted(rec.layout.unmapped.items()))
    accepted = ", ".join(a for f in ("product", "description", "sku") for a in cols[f][1])
    return (
        f"sheet {rec.sheet!r}: no column on row {rec.layout.header_row} names the products, so "
        f"the document would list lines without names (accepted headers: {accepted}"
        + (f"; the sheet's other columns: {others}" if others else "")
        + "): rename the column that names them, or add its header to "
        "documents.line_items.columns.product in the config"
    )
