"""Preflight: every reason a deal's document cannot be issued, found before anything renders.

Checks: the stage allows the document; the fields it needs are filled; there are line items and
they read cleanly; they use one currency; they reconcile with the deal amount (within the
configured tolerance, unless ``allow_mismatch``); a quote's validity date is not in the past.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from salessheet.core.formatting import format_money, is_known_currency
from salessheet.documents.context import DealData
from salessheet.documents.money import LineItem, Totals
from salessheet.settings.documents import PLACEHOLDER_SELLER, PLACEHOLDER_SELLER_ZH, StageRule
from salessheet.settings.team import document_stages

FIELD_LABELS = {
    "customer": "customer",
    "currency": "currency",
    "contact": "contact",
    "address": "address",
    "email": "email",
    "phone": "phone",
    "owner": "owner",
    "amount": "amount",
    "expected_close": "expected close date",
}


@dataclass(frozen=True)
class StageInfo:
    id: str
    outcome: str  # open | won | lost


def allowed_stages(kind: str, rule: StageRule, stages: list[StageInfo]) -> list[str]:
    """The stage ids (profile order) where ``kind`` may be issued.

    An explicit list is taken as is; a ``from``/``to`` range runs in the profile's order (an
    open end stops before lost stages). When the range names stages this profile does not
    have, quotes fall back to every open stage and contracts to the last open stage plus the
    won stages."""
    return document_stages(kind, rule, stages)


SELLER_PLACEHOLDER = "the seller is still the profile's placeholder"
SELLER_HINT = (
    "your company's name goes in a config that extends the profile: "
    "`printf 'extends: b2b\\ndocuments:\\n  seller: {name: Acme Trading Ltd., "
    "name_zh: 艾克美贸易有限公司}\\n' > team.yaml`, then add --config team.yaml "
    "(with a config of your own, set documents.seller there)"
)


def seller_problems(seller: Any, noun: str = "a document", lang: str = "en") -> list[str]:
    """The seller name the document shows is still the profile's placeholder: it would reach a
    customer with 'Your Company Ltd.' on it. A Chinese document shows ``name_zh`` (``name``
    when that is blank), any other shows ``name``: an English team need not set a Chinese
    name to send an English quote."""
    name, name_zh = getattr(seller, "name", None), getattr(seller, "name_zh", None)
    key, value = ("name", name)
    if lang == "zh" and isinstance(name_zh, str) and name_zh.strip():
        key, value = ("name_zh", name_zh)
    shown = value.strip() if isinstance(value, str) else None
    if shown not in (PLACEHOLDER_SELLER, PLACEHOLDER_SELLER_ZH):
        return []
    return [
        f"{SELLER_PLACEHOLDER} {shown!r}; {noun} needs "
        f"your company's name: set documents.seller.{key} in your config"
    ]


def blank_field(
    name: str,
    kind: str,
    noun: str,
    field_cells: dict[str, tuple[str, str]] | None,
    sheet: str,
) -> str:
    """A required field is blank: where (``field_cells``: field -> (cell, header) of the
    deal's row), or that the sheet has no such column and how to map or unrequire it."""
    label = FIELD_LABELS.get(name, name)
    if field_cells is None or name == "currency":  # currency: the profile's when no column
        return f"{label} is blank; {noun} needs it"
    if name in field_cells:
        cell, header = field_cells[name]
        return f"{label} is blank (sheet {sheet!r} {cell}, column {header!r}); {noun} needs it"
    return (
        f"{label} is blank: sheet {sheet!r} has no {label} column; {noun} needs it: add the "
        f"column (or map your header to it in the config's columns.{name}.aliases), or take "
        f"{name} out of documents.{kind}.required"
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def reconcile_amount(totals: Totals, against: str) -> Decimal:
    if against == "total":
        return totals.total
    if against == "net":
        return totals.net
    return totals.subtotal - totals.discount


def preflight(
    *,
    kind: str,
    deal: DealData,
    currency: str | None,
    allowed: list[str],
    stage_label: str | None,
    required: tuple[str, ...] | list[str],
    items: list[LineItem],
    item_problems: list[str],
    line_items_sheet: str,
    line_items_found: bool,
    totals: Totals | None,
    tolerance: Decimal,
    reconcile_with: str,
    allow_mismatch: bool,
    valid_until: dt.date | None,
    today: dt.date,
    locale: str,
    amount_cell: str | None = None,
    row_problems: list[str] | None = None,
    seller: Any = None,
    lang: str = "en",
    line_items_place: str = "",
    field_cells: dict[str, tuple[str, str]] | None = None,
    sheet: str = "",
    stage_names: Callable[[str], str] = str,
    written_stage: str = "",
) -> list[str]:
    """Every problem with issuing ``kind`` for ``deal``; empty when it may be issued.
    ``stage_names`` names a stage as the sheet writes it, ``written_stage`` is the deal's own
    stage cell: what the user can find in the sheet (ids otherwise)."""
    problems: list[str] = list(row_problems or [])
    noun = "a quote" if kind == "quote" else "a contract"
    if seller is not None:
        problems += seller_problems(seller, noun, lang)
    allowed_text = ", ".join(map(stage_names, allowed))
    if deal.stage is None:
        problems.append(f"the stage is blank or unknown; {noun} needs one of: {allowed_text}")
    elif deal.stage not in allowed:
        written = written_stage or deal.stage
        shown = f"{written!r}" + (
            f" ({stage_label})" if stage_label and stage_label != written else ""
        )
        problems.append(
            f"stage {shown} does not allow {noun}; allowed stages: {allowed_text or 'none'}"
        )
    for name in required:
        value = currency if name == "currency" else getattr(deal, name, None)
        if _blank(value):
            problems.append(blank_field(name, kind, noun, field_cells, sheet))
    if currency and not is_known_currency(currency):
        problems.append(f"currency {currency!r} is not an ISO 4217 code such as CNY, USD, EUR")
        currency = None
    columns = "(Deal ID, SKU/Product, Quantity, Unit price, Tax rate)"
    if not line_items_found and line_items_place:  # a CSV pipeline: a file beside it
        problems.append(
            f"there are no line items ({line_items_place} is missing); add that file with a "
            f"row per item {columns}"
        )
    elif not line_items_found:
        problems.append(
            f"there is no {line_items_sheet!r} sheet; add one with a row per item {columns}"
        )
    elif not items and not item_problems:
        where = line_items_place or f"sheet {line_items_sheet!r}"
        problems.append(f"no line items for {deal.deal_id} in {where}")
    problems.extend(item_problems)
    line_currencies = sorted({i.currency for i in items if i.currency})
    if currency and any(c != currency for c in line_currencies) or len(line_currencies) > 1:
        rows = ", ".join(
            f"row {i.row} {i.currency}" for i in items if i.currency and i.currency != currency
        )
        problems.append(
            f"line items mix currencies ({rows}) with the deal's {currency or '?'}; "
            "a document has one currency"
        )
    if totals is not None and currency and not item_problems:
        compared = reconcile_amount(totals, reconcile_with)
        where = f" ({amount_cell})" if amount_cell else ""
        if deal.amount is None:
            if not allow_mismatch:
                problems.append(
                    f"the deal amount{where} is blank, so the line items "
                    f"({format_money(compared, currency, locale)}) cannot be reconciled; fill it "
                    "in, or pass --allow-mismatch"
                )
        elif abs(deal.amount - compared) > tolerance and not allow_mismatch:
            diff = deal.amount - compared
            problems.append(
                f"the line items come to {format_money(compared, currency, locale)} but the "
                f"deal amount{where} is {format_money(deal.amount, currency, locale)} "
                f"(difference {format_money(diff, currency, locale)}); fix one of them, or "
                "pass --allow-mismatch to issue with the line-item total"
            )
    if kind == "quote" and valid_until is not None and valid_until < today:
        problems.append(
            f"the quote would be valid until {valid_until.isoformat()}, which is before "
            f"today ({today.isoformat()}); change the deal's valid-until date"
        )
    return problems
