"""A currency cell as an ISO 4217 code: ``人民币``, ``RMB``, ``¥`` -> ``CNY``; ``美元`` -> ``USD``.

A sheet's currency column is written the way the team speaks (``人民币``, ``美元``, ``欧元``,
``rmb``); totals per currency, the ledger's movement and the forecast snapshots must count
``人民币`` and ``CNY`` as one currency, in the code the rest of the product formats with.
"""

from __future__ import annotations

__all__ = ["currency_code"]

_NAMES = {
    "rmb": "CNY",
    "人民币": "CNY",
    "元": "CNY",
    "yuan": "CNY",
    "¥": "CNY",
    "￥": "CNY",
    "$": "USD",
    "us$": "USD",
    "美元": "USD",
    "美金": "USD",
    "€": "EUR",
    "欧元": "EUR",
    "£": "GBP",
    "英镑": "GBP",
    "hk$": "HKD",
    "港币": "HKD",
    "港元": "HKD",
    "日元": "JPY",
    "円": "JPY",
}


def currency_code(value: object, default: str) -> str:
    """The ISO code a currency cell means; ``default`` (the profile's) for an empty one.

    ``¥`` / ``￥`` is the profile's own currency when that is JPY, else CNY. A value that is no
    known name is kept, upper-cased (``usd`` -> ``USD``), as before.
    """
    text = " ".join(str(value).split()) if value is not None else ""
    if not text:
        return default
    if text in ("¥", "￥") and default == "JPY":
        return default
    return _NAMES.get(text.casefold(), text.upper())
