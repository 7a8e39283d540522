"""Display helpers shared by the text and HTML reports: names, money, percentages, days.

Terminal widths are ``core.display``'s."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from salessheet.analytics.model import Money, StageRef
from salessheet.core.formatting import count, currency_symbol, format_money
from salessheet.core.textnorm import is_zh as is_zh  # D.is_zh for the renderers

WAN = Decimal(10_000)
YI = Decimal(100_000_000)


def stage_name(
    s: StageRef | None, locale: str, both: bool = True, names: Mapping[str, str] | None = None
) -> str:
    """``报价与谈判 Negotiation`` for Chinese locales (or just one of them), ``Negotiation``.
    With ``names`` (the report's ``stage_names``: the sheet's own words) a stage is named as
    the sheet writes it (``Contract Sent``, or ``报价与谈判`` in an English report), the
    English label after a Chinese one as before."""
    if s is None:
        return "—"
    name = names.get(s.id) if names else None
    zh = is_zh(locale)
    if name and not (zh and name == s.label_zh):
        return name
    if zh and s.label_zh:
        return f"{s.label_zh} {s.label}" if both and s.label != s.label_zh else s.label_zh
    return s.label or s.id


def symbol(currency: str, locale: str) -> str:
    try:
        return currency_symbol(currency, locale)
    except Exception:  # noqa: BLE001 - an odd code still gets a readable label
        return currency + " "


def _short(x: Decimal, digits: int = 3) -> str:
    """3 significant digits, no trailing zeros: 3.49, 27.7, 599."""
    if x == 0:
        return "0"
    q = Decimal(1).scaleb(min(0, x.adjusted() - digits + 1))
    text = f"{x.quantize(q, ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def compact(amount: Decimal, currency: str, locale: str) -> str:
    """``¥349万`` / ``¥3.49亿`` (Chinese locales), ``$1.2M`` / ``€840k`` (others)."""
    sign = "-" if amount < 0 else ""
    a = abs(amount)
    sym = symbol(currency, locale)
    if is_zh(locale):
        if a >= YI:
            return f"{sign}{sym}{_short(a / YI)}亿"
        if a >= WAN:
            return f"{sign}{sym}{_short(a / WAN)}万"
        return f"{sign}{sym}{a.quantize(Decimal(1), ROUND_HALF_UP):,}"
    for unit, size in (("B", Decimal(10) ** 9), ("M", Decimal(10) ** 6), ("k", Decimal(1000))):
        if a >= size:
            return f"{sign}{sym}{_short(a / size)}{unit}"
    return f"{sign}{sym}{a.quantize(Decimal(1), ROUND_HALF_UP):,}"


def money_parts(m: Money, currency: str) -> list[tuple[str, Decimal]]:
    """(currency, amount) pairs to show: the converted sum, else each currency (``currency``
    first)."""
    if m.converted is not None and m.base:
        return [(m.base, m.converted)]
    parts = sorted(m.by_currency.items(), key=lambda kv: (kv[0] != currency, kv[0]))
    return parts or [(currency, Decimal(0))]


def money_compact(m: Money, currency: str, locale: str) -> str:
    text = " ".join(compact(v, c, locale) for c, v in money_parts(m, currency))
    return text + ("*" if m.unpriced else "")


def money_full(m: Money, currency: str, locale: str) -> str:
    text = " + ".join(format_money(v, c, locale) for c, v in money_parts(m, currency))
    if m.unpriced:
        text += f" (+{count(m.unpriced, 'deal')} without a rate)"
    return text


def n_of(n: int, word: str) -> str:
    """``1 deal`` / ``2 deals``; ``1 lost deal`` / ``2 lost deals``."""
    return count(n, word)


def pct(x: float | None, none: str = "—") -> str:
    if x is None:
        return none
    v = x * 100
    return f"{v:.0f}%" if v >= 10 or v == 0 else f"{v:.1f}%"


def days(x: float | int | None, none: str = "—") -> str:
    if x is None:
        return none
    return f"{x:g}" if isinstance(x, float) else str(x)


MONTHS_ZH = "一二三四五六七八九十"
MONTHS_EN = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def bucket_label(key: str, locale: str) -> str:
    zh = is_zh(locale)
    if key == "overdue":
        return "已逾期 overdue" if zh else "Overdue"
    if key == "later":
        return "以后 later" if zh else "Later"
    if key == "no-date":
        return "无日期 no date" if zh else "No date"
    y, m = key.split("-")
    return f"{y}年{int(m)}月" if zh else f"{MONTHS_EN[int(m) - 1]} {y}"
