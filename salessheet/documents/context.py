"""The template context: every variable a template can use, formatted for one language.

All values are strings (blank when unknown), lists or booleans, so a template never shows
``None``. ``TEMPLATE_FIELDS`` documents each one; ``salessheet quote --fields`` prints it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import mimetypes
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from salessheet.core.formatting import (
    currency_name,
    format_date,
    format_money,
    format_number,
    format_percent,
    format_price,
)
from salessheet.core.money import round_money
from salessheet.documents.chinese_amount import chinese_uppercase
from salessheet.documents.money import LineItem, Totals
from salessheet.settings.documents import DEFAULT_TAX_NAMES, DocumentSettings, Seller

TITLES = {
    "quote": {"en": "Quotation", "zh": "报价单"},
    "contract": {"en": "Sales Contract", "zh": "销售合同"},
}
DEFAULT_PAYMENT_TERMS = {
    "en": "Payment within 30 days of the invoice date, by bank transfer.",
    "zh": "买方应于发票开具之日起30日内以银行转账方式付清款项。",
}
# {tax}: the tax's name (documents.tax_name: VAT, GST, sales tax ...; 增值税 on Chinese ones)
TAX_NOTES = {
    ("inclusive", "en"): "Prices include {tax} (tax-inclusive prices).",
    ("inclusive", "zh"): "以上价格均为含税价（含{tax}）。",
    ("exclusive", "en"): "Prices exclude {tax}; {tax} is shown separately.",
    ("exclusive", "zh"): "以上价格不含税，{tax}另计。",
}

TEMPLATE_FIELDS: list[tuple[str, str]] = [
    ("doc.kind", "quote or contract"),
    ("doc.title", "document title in the document's language (Quotation / 报价单 ...)"),
    ("doc.number", "document number with revision, e.g. Q-2026-0007 or Q-2026-0007-R2"),
    ("doc.base_number", "document number without revision, e.g. Q-2026-0007"),
    ("doc.revision", "revision as a number: 1, 2, ..."),
    ("doc.issue_date", "issue date, formatted for the locale"),
    ("doc.issue_date_iso", "issue date as YYYY-MM-DD"),
    ("doc.valid_until", "quote valid until (formatted; blank for contracts)"),
    ("doc.valid_until_iso", "valid-until date as YYYY-MM-DD (blank for contracts)"),
    ("doc.lang", "document language: en or zh"),
    ("doc.locale", "Babel locale used for formatting, e.g. zh_CN"),
    ("seller.name", "seller company name (documents.seller.name)"),
    ("seller.name_zh", "seller company name in Chinese, if configured"),
    ("seller.display_name", "seller name in the document's language (name_zh on Chinese ones)"),
    ("seller.address", "seller address"),
    ("seller.display_address", "seller address in the document's language"),
    ("seller.tax_id", "seller tax id (统一社会信用代码 / VAT number)"),
    ("seller.phone", "seller phone"),
    ("seller.email", "seller email"),
    ("seller.website", "seller website"),
    ("seller.bank_name", "seller bank name"),
    ("seller.bank_account", "seller bank account number"),
    ("seller.bank_swift", "seller bank SWIFT/BIC"),
    ("seller.signatory", "person who signs for the seller"),
    ("seller.logo", "logo as a data: URI for HTML/PDF (an image in DOCX); blank if none"),
    ("customer.name", "customer (pipeline column customer)"),
    ("customer.contact", "customer contact person"),
    ("customer.email", "customer email"),
    ("customer.phone", "customer phone"),
    ("customer.address", "customer address"),
    ("customer.tax_id", "customer tax id (deal column 'Customer tax ID' / 税号, if present)"),
    ("deal.id", "deal id"),
    ("deal.stage", "stage id"),
    ("deal.stage_label", "stage label in the document's language"),
    ("deal.owner", "deal owner (sales rep)"),
    ("deal.amount", "deal amount from the pipeline, formatted"),
    ("deal.expected_close", "expected close date, formatted"),
    ("deal.notes", "deal notes"),
    ("deal.extra", "mapping: every other pipeline column by its header, as text"),
    ("items", "list of line items; each has the fields below"),
    ("items[].no", "line number 1, 2, ..."),
    ("items[].sku", "SKU / product code"),
    ("items[].product", "product name (from the line, else the Products sheet)"),
    ("items[].description", "description"),
    ("items[].quantity", "quantity, formatted"),
    ("items[].unit", "unit (pcs, 套, 台 ...)"),
    (
        "items[].unit_price",
        "unit price with currency, formatted: the currency's minor units, more when the price "
        "has more (0.125), up to 6 decimals",
    ),
    ("items[].discount", "line discount as a percentage (blank when none)"),
    ("items[].tax_rate", "tax rate as a percentage"),
    ("items[].total", "line total (quantity x unit price x (1 - discount), rounded)"),
    (
        "items[].extra",
        "mapping: the line's other Line Items columns by header, as text (item.extra['备注']; "
        "item.备注 for a plain name)",
    ),
    ("totals.currency", "ISO currency code, e.g. CNY"),
    ("totals.currency_name", "currency name in the document's language"),
    ("totals.subtotal", "sum of line totals (incl. tax when prices are tax-inclusive)"),
    ("totals.has_discount", "true when a document discount applies"),
    ("totals.has_line_discount", "true when any line has a discount"),
    ("totals.discount_rate", "document discount as a percentage"),
    ("totals.discount", "document discount amount"),
    ("totals.net", "total excluding tax"),
    ("totals.tax", "total tax"),
    ("totals.tax_lines", "list of {rate, base, tax} per tax rate"),
    ("totals.total", "grand total the customer pays, formatted"),
    ("totals.total_plain", "grand total as a plain number, e.g. 12345.60"),
    (
        "totals.total_in_words",
        "grand total in Chinese uppercase (大写), e.g. 壹万贰仟叁佰肆拾伍元陆角整; on a Chinese "
        "document in another currency led by its name, e.g. 美元肆万伍仟贰佰捌拾元整",
    ),
    ("totals.tax_inclusive", "true when prices include tax (含税价)"),
    ("totals.tax_mode", "inclusive or exclusive"),
    ("totals.has_tax", "false when no line is taxed: then tax_lines and terms.tax_note are empty"),
    (
        "totals.tax_name",
        "the tax's name in the document's language, as set in documents.tax_name / tax_name_zh "
        "(VAT, GST, sales tax; 增值税 on Chinese documents unless set)",
    ),
    ("totals.tax_label", "the same with a capital first letter, to start a label: Sales tax 8%"),
    ("terms.payment", "payment terms in the document's language"),
    ("terms.validity_days", "quote validity in days"),
    ("terms.tax_note", "sentence saying whether prices include tax"),
]


# Flat names a template may use instead of the dotted ones (Chinese templates often say
# {{ 客户名称 }}); each maps to a dotted field above.
FLAT_ALIASES: dict[str, str] = {
    "客户名称": "customer.name",
    "客户": "customer.name",
    "甲方": "customer.name",
    "买方": "customer.name",
    "联系人": "customer.contact",
    "客户地址": "customer.address",
    "地址": "customer.address",
    "电话": "customer.phone",
    "邮箱": "customer.email",
    "合同编号": "doc.number",
    "合同编码": "doc.number",
    "报价单号": "doc.number",
    "编号": "doc.number",
    "签署日期": "doc.issue_date",
    "签订日期": "doc.issue_date",
    "报价日期": "doc.issue_date",
    "日期": "doc.issue_date",
    "有效期至": "doc.valid_until",
    "合同金额": "totals.total",
    "合同总价": "totals.total",
    "总金额": "totals.total",
    "合计": "totals.total",
    "金额": "totals.total",
    "大写金额": "totals.total_in_words",
    "金额大写": "totals.total_in_words",
    "税额": "totals.tax",
    "不含税金额": "totals.net",
    "付款方式": "terms.payment",
    "负责人": "deal.owner",
    "销售": "deal.owner",
    "商机编号": "deal.id",
    "乙方": "seller.display_name",
    "卖方": "seller.display_name",
    "customer_name": "customer.name",
    "document_number": "doc.number",
    "issue_date": "doc.issue_date",
    "total": "totals.total",
    "total_in_words": "totals.total_in_words",
}
TEMPLATE_FIELDS += [(name, f"same as {target}") for name, target in FLAT_ALIASES.items()]
TEMPLATE_FIELDS.append(
    ("<pipeline column>", "any other pipeline column whose header is a plain name, e.g. 合作期限")
)


# a mapped pipeline column, printed by its own header ({{ 备注 }}, {{ 预计成交日期 }}), shows
# what the template field of the same data shows
FIELD_TARGETS = {
    "deal_id": "deal.id",
    "customer": "customer.name",
    "stage": "deal.stage_label",
    "amount": "deal.amount",
    "currency": "totals.currency",
    "owner": "deal.owner",
    "contact": "customer.contact",
    "email": "customer.email",
    "phone": "customer.phone",
    "address": "customer.address",
    "notes": "deal.notes",
    "expected_close": "deal.expected_close",
}


def add_flat_names(
    context: dict[str, Any], extra: dict[str, str], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Add FLAT_ALIASES and the deal's other columns (by header) as top-level names.

    The built-in names go first and win: a pipeline column headed like one of them (合同编号,
    合计, 日期, ``doc`` ...) must not replace the registered number, a total or a date on the
    document. Such a column is still there as ``deal.extra['合同编号']``."""
    for name, target in FLAT_ALIASES.items():
        group, key = target.split(".")
        context[name] = context[group][key]
    for header, value in extra.items():
        name = header.strip()
        if name.isidentifier() and name not in context:
            context[name] = value
    for fname, header in (headers or {}).items():
        shows, name = FIELD_TARGETS.get(fname), header.strip()
        if shows is not None and name.isidentifier() and name not in context:
            group, key = shows.split(".")
            context[name] = context[group][key]
    return context


@dataclass
class DealData:
    """What documents need from a deal, as plain values (built from a pipeline Deal)."""

    deal_id: str
    customer: str | None = None
    stage: str | None = None
    stage_label: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    owner: str | None = None
    contact: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    language: str | None = None
    notes: str | None = None
    expected_close: dt.date | None = None
    customer_tax_id: str | None = None
    document_discount: Decimal | None = None
    valid_until: dt.date | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # the pipeline's header of each field the profile maps (备注 -> notes): not an input
    headers: dict[str, str] = field(default_factory=dict)

    def field_value(self, name: str) -> Any:
        return getattr(self, "deal_id" if name == "deal_id" else name, None)


def _s(value: Any) -> str:
    return "" if value is None else str(value)


@lru_cache(maxsize=16)
def logo_data_uri(path: Path | None) -> str:
    if path is None or not path.exists():
        return ""
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def seller_context(seller: Seller, lang: str) -> dict[str, str]:
    out = {k: _s(getattr(seller, k)) for k in Seller.__dataclass_fields__ if k != "logo"}
    out["display_name"] = (seller.name_zh if lang == "zh" and seller.name_zh else seller.name) or ""
    out["display_address"] = _s(
        seller.address_zh if lang == "zh" and seller.address_zh else seller.address
    )
    out["logo"] = logo_data_uri(seller.logo)
    return out


def amount_in_words(total: Decimal, currency: str, lang: str, locale: str) -> str:
    """The total in Chinese uppercase (大写): ``陆万伍仟贰佰元整`` for CNY, on every document;
    on a Chinese document in another currency led by its Chinese name, ``美元肆万伍仟贰佰捌拾元整``.
    Blank on other documents, and for an amount 元角分 cannot write (a third decimal)."""
    if currency == "CNY":
        return chinese_uppercase(total)
    if lang != "zh" or round_money(total, "CNY") != total:
        return ""
    return currency_name(currency, locale) + chinese_uppercase(total)


def build_context(
    *,
    kind: str,
    lang: str,
    locale: str,
    deal: DealData,
    totals: Totals,
    settings: DocumentSettings,
    number: str,
    base_number: str,
    revision: int,
    issue_date: dt.date,
    valid_until: dt.date | None,
) -> dict[str, Any]:
    cur = totals.currency

    def money(v: Decimal) -> str:
        return format_money(v, cur, locale)

    items: list[dict[str, Any]] = []
    for i, line in enumerate(totals.lines, start=1):
        it = line.item
        items.append(
            {
                "no": str(i),
                "sku": _s(it.sku),
                "product": _s(it.product or it.description or it.sku),
                "description": _s(it.description if it.product else ""),
                "quantity": format_number(it.quantity, locale),
                "unit": _s(it.unit),
                "unit_price": format_price(it.unit_price, cur, locale),  # 0.125 stays 0.125
                "discount": format_percent(it.discount, locale) if it.discount else "",
                "tax_rate": format_percent(it.tax_rate, locale),
                "total": money(line.total),
            }
        )
        # the line's other columns: item.extra['备注'], and item.备注 unless a field's name
        extra = dict(it.extra)
        items[-1]["extra"] = extra
        for header, text in extra.items():
            if header.isidentifier() and header not in items[-1]:
                items[-1][header] = text
    # a document on which no line is taxed (a team that has set no tax yet) shows no tax at
    # all: no tax column, no "VAT 0%" line, no sentence about tax
    has_tax = any(t.rate for t in totals.tax_lines)
    tax_lines = [
        {"rate": format_percent(t.rate, locale), "base": money(t.base), "tax": money(t.tax)}
        for t in totals.tax_lines
        if has_tax
    ]
    in_words = amount_in_words(totals.total, cur, lang, locale)
    tax_name = settings.tax_names().get(lang) or settings.tax_names()["en"]
    context = {
        "doc": {
            "kind": kind,
            "title": TITLES[kind].get(lang, TITLES[kind]["en"]),
            "number": number,
            "base_number": base_number,
            "revision": revision,
            "issue_date": format_date(issue_date, locale),
            "issue_date_iso": issue_date.isoformat(),
            "valid_until": format_date(valid_until, locale) if valid_until else "",
            "valid_until_iso": valid_until.isoformat() if valid_until else "",
            "lang": lang,
            "locale": locale,
        },
        "seller": seller_context(settings.seller, lang),
        "customer": {
            "name": _s(deal.customer),
            "contact": _s(deal.contact),
            "email": _s(deal.email),
            "phone": _s(deal.phone),
            "address": _s(deal.address),
            "tax_id": _s(deal.customer_tax_id),
        },
        "deal": {
            "id": deal.deal_id,
            "stage": _s(deal.stage),
            "stage_label": _s(deal.stage_label),
            "owner": _s(deal.owner),
            "amount": money(deal.amount) if deal.amount is not None else "",
            "expected_close": format_date(deal.expected_close, locale)
            if deal.expected_close
            else "",
            "notes": _s(deal.notes),
            "extra": dict(deal.extra),
        },
        "items": items,
        "totals": {
            "currency": cur,
            "currency_name": currency_name(cur, locale),
            "subtotal": money(totals.subtotal),
            "has_discount": bool(totals.discount),
            "has_line_discount": any(line.item.discount for line in totals.lines),
            "discount_rate": format_percent(totals.discount_rate, locale),
            "discount": money(totals.discount),
            "net": money(totals.net),
            "tax": money(totals.tax),
            "tax_lines": tax_lines,
            "total": money(totals.total),
            "total_plain": str(totals.total),
            "total_in_words": in_words,
            "tax_inclusive": totals.tax_mode == "inclusive",
            "tax_mode": totals.tax_mode,
            "has_tax": has_tax,
            "tax_name": tax_name,
            "tax_label": tax_name[:1].upper() + tax_name[1:],
        },
        "terms": {
            "payment": settings.payment_terms.get(lang) or DEFAULT_PAYMENT_TERMS.get(lang, ""),
            "validity_days": str(settings.validity_days),
            "tax_note": TAX_NOTES.get((totals.tax_mode, lang), "").format(tax=tax_name)
            if has_tax
            else "",
        },
    }
    return add_flat_names(context, deal.extra, deal.headers)


def _other_columns(item: LineItem) -> list[list[tuple[str, str]]]:
    """A line's filled other columns, for the hash: none adds nothing (the hash it had)."""
    filled = sorted((h, t) for h, t in item.extra if t)
    return [filled] if filled else []


def input_hash(
    *,
    kind: str,
    deal: DealData,
    stage_labels: dict[str, str | None],
    totals: Totals,
    settings: DocumentSettings,
) -> str:
    """Fingerprint of everything a document is made from (not its number, date or format):
    every field of the deal and every other pipeline column (a template may print any of them:
    a changed 合作期限 or owner is a new revision), the stage as each document language names
    it, the lines, the totals, the seller, the terms and the tax's name (when set and shown).
    The inputs, not the rendered context:
    a new name offered to templates, or a new way of formatting a value, changes no number.

    Same hash: re-issuing reuses the registered number; a different hash: a new revision."""
    # the language: another file of one number; headers: names, not data
    skip = ("stage_label", "extra", "language", "headers")
    fields = [k for k in DealData.__dataclass_fields__ if k not in skip]
    payload = {
        "kind": kind,
        "deal": {k: _s(getattr(deal, k)) for k in fields},
        "columns": dict(sorted(deal.extra.items())),
        "stage_labels": dict(sorted(stage_labels.items())),
        "lines": [
            [
                _s(p.item.sku),
                _s(p.item.product),
                _s(p.item.description),
                str(p.item.quantity.normalize()),
                _s(p.item.unit),
                str(p.item.unit_price.normalize()),
                str(p.item.discount.normalize()),
                str(p.item.tax_rate.normalize()),
                str(p.total),
                *_other_columns(p.item),
            ]
            for p in totals.lines
        ],
        "totals": [str(totals.subtotal), str(totals.discount), str(totals.tax), str(totals.total)],
        "tax_mode": totals.tax_mode,
        "seller": {k: _s(getattr(settings.seller, k)) for k in Seller.__dataclass_fields__},
        "terms": sorted(settings.payment_terms.items()),
        "validity_days": settings.validity_days if kind == "quote" else None,
    }
    # the tax's name, where it is not the default and the document shows it (some line is
    # taxed): a team that never sets it keeps the hashes, and so the numbers, it had
    names = settings.tax_names()
    if names != DEFAULT_TAX_NAMES and any(t.rate for t in totals.tax_lines):
        payload["tax_name"] = names
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]
