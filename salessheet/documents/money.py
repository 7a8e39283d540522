"""Exact document money: Decimal end to end, rounded once at documented places.

* line total = quantity x unit price x (1 - line discount), rounded half-up to the currency's
  minor unit (``core.money.round_money``, like every money rounding), once per line;
* subtotal = sum of line totals;
* an optional document discount (a fraction) is taken per tax rate group and rounded once per
  group; ``discount`` is the sum of those;
* tax is computed per rate group on the discounted group amount and rounded once per group.

Tax-exclusive prices (``tax_mode="exclusive"``): line totals are net; total = net + tax.
Tax-inclusive prices (``tax_mode="inclusive"``, 含税价): line totals already contain the tax;
tax per group = gross x rate / (1 + rate), rounded; total = subtotal - discount, net = total - tax.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from salessheet.core.money import round_money
from salessheet.settings.documents import TAX_MODES

ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(frozen=True)
class LineItem:
    """One line as read from the ``Line Items`` sheet (after the price list filled gaps)."""

    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = ZERO  # fraction: 0.1 is 10 %
    tax_rate: Decimal = ZERO  # fraction: 0.13 is 13 %
    product: str | None = None
    description: str | None = None
    sku: str | None = None
    unit: str | None = None
    currency: str | None = None
    sheet: str | None = None
    row: int | None = None  # 1-based sheet row, for messages
    # the row's other columns (备注, 参与人员 ...) as (header, text); blank: ""
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PricedLine:
    item: LineItem
    total: Decimal  # rounded line total (net or gross by tax mode)


@dataclass(frozen=True)
class TaxLine:
    rate: Decimal
    base: Decimal  # net amount taxed at this rate (after the document discount)
    tax: Decimal
    gross: Decimal  # base + tax


@dataclass(frozen=True)
class Totals:
    currency: str
    tax_mode: str
    lines: tuple[PricedLine, ...]
    subtotal: Decimal  # sum of line totals (net for exclusive, gross for inclusive)
    discount_rate: Decimal
    discount: Decimal  # document discount amount (positive)
    net: Decimal  # total excluding tax
    tax_lines: tuple[TaxLine, ...]
    tax: Decimal
    total: Decimal  # what the customer pays


def line_total(item: LineItem, currency: str) -> Decimal:
    return round_money(item.quantity * item.unit_price * (ONE - item.discount), currency)


def compute_totals(
    items: list[LineItem],
    currency: str,
    *,
    tax_mode: str = "exclusive",
    discount_rate: Decimal = ZERO,
) -> Totals:
    if tax_mode not in TAX_MODES:
        raise ValueError(f"tax mode must be one of {', '.join(TAX_MODES)}, not {tax_mode!r}")
    lines = tuple(PricedLine(item, line_total(item, currency)) for item in items)
    subtotal = sum((p.total for p in lines), ZERO)
    groups: OrderedDict[Decimal, Decimal] = OrderedDict()
    for p in lines:
        rate = p.item.tax_rate.normalize() if p.item.tax_rate else ZERO
        groups[rate] = groups.get(rate, ZERO) + p.total
    discount = ZERO
    tax_lines = []
    for rate, amount in sorted(groups.items(), key=lambda kv: kv[0], reverse=True):
        group_discount = round_money(amount * discount_rate, currency)
        discount += group_discount
        after = amount - group_discount
        if tax_mode == "exclusive":
            tax = round_money(after * rate, currency)
            tax_lines.append(TaxLine(rate, after, tax, after + tax))
        else:
            tax = round_money(after * rate / (ONE + rate), currency)
            tax_lines.append(TaxLine(rate, after - tax, tax, after))
    tax = sum((t.tax for t in tax_lines), ZERO)
    if tax_mode == "exclusive":
        net = subtotal - discount
        total = net + tax
    else:
        total = subtotal - discount
        net = total - tax
    # sums of rounded amounts: exact already, round_money only gives them the minor unit's
    # exponent (100 -> 100.00)
    return Totals(
        currency=currency,
        tax_mode=tax_mode,
        lines=lines,
        subtotal=round_money(subtotal, currency),
        discount_rate=discount_rate,
        discount=round_money(discount, currency),
        net=round_money(net, currency),
        tax_lines=tuple(tax_lines),
        tax=round_money(tax, currency),
        total=round_money(total, currency),
    )
