"""Currency names as teams write them, and the ISO 4217 code each means: one table.

A sheet's currency column, a header's unit (``Amount (US$)``, ``金额（万元）``) and a config's
``currency:`` are written the way the team speaks (``人民币``, ``美元``, ``rmb``, ``€``); totals
per currency, the ledger's movement and the forecast snapshots must count ``人民币`` and ``CNY``
as one currency, in the code the rest of the product formats with.
"""

from __future__ import annotations

__all__ = ["CURRENCY_SYMBOLS", "CURRENCY_WORDS", "currency_code", "known_currency"]

# Currency symbols and words (ISO codes are recognised through Babel's list).
CURRENCY_SYMBOLS = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "CNY",
    "￥": "CNY",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "HK$": "HKD",
    "NT$": "TWD",
    "CA$": "CAD",
    "C$": "CAD",
    "AU$": "AUD",
    "A$": "AUD",
    "NZ$": "NZD",
    "SG$": "SGD",
    "S$": "SGD",
    "R$": "BRL",
    "MX$": "MXN",
}
CURRENCY_WORDS = {
    "元": "CNY",
    "人民币": "CNY",
    "rmb": "CNY",
    "yuan": "CNY",
    "美元": "USD",
    "美金": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "欧元": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "英镑": "GBP",
    "日元": "JPY",
    "円": "JPY",
    "港元": "HKD",
    "港币": "HKD",
}
# every spelling above, and a few more, by its casefolded text
_NAMES = {
    **{k.casefold(): v for k, v in CURRENCY_SYMBOLS.items()},
    **CURRENCY_WORDS,
    "cn¥": "CNY",
    "jp¥": "JPY",
}


def known_currency(text: str) -> str | None:
    """The ISO code of a currency name or symbol (``人民币``, ``RMB``, ``US$``), else None."""
    return _NAMES.get(" ".join(text.split()).casefold())


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
    return known_currency(text) or text.upper()
