"""The one money rounding: half up to the currency's minor unit (CNY 0.01, JPY 1, BHD 0.001).

Every figure that is rounded to what a currency can be paid in goes through ``round_money``:
document line totals, group discounts and taxes (each rounded once, at the place
``documents.money`` documents), amounts in the analytics JSON, formatted money, the example
deals ``init`` writes and the fen of a Chinese uppercase amount. Display shortcuts that round to
other steps (``¥349万``, ``$1.2M``) are not money rounding and do not use it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

__all__ = ["minor_unit", "round_money"]


@lru_cache(maxsize=64)
def minor_unit(currency: str) -> Decimal:
    """The currency's smallest unit as a quantum: ``Decimal("0.01")`` for CNY, ``1`` for JPY."""
    # imported here: core.formatting (the one Babel module) formats with round_money
    from salessheet.core.formatting import currency_digits

    return Decimal(1).scaleb(-currency_digits(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half up to ``currency``'s minor unit: 2.345 CNY -> 2.35, 2.5 JPY -> 3,
    1.0005 BHD -> 1.001; the result always has the minor unit's exponent (5 CNY -> 5.00)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)
