"""Amounts in Chinese uppercase (大写金额), as written on contracts, invoices and cheques.

Follows the People's Bank of China rules (《支付结算办法》, 附件一):
every 拾 is written 壹拾; zeros inside the number are one 零; a zero 角 before a non-zero 分 is
written 零; ``整`` closes an amount that ends at 元 or 角. Examples::

    10005.00  -> 壹万零伍元整
    12345.60  -> 壹万贰仟叁佰肆拾伍元陆角整
    1409.02   -> 壹仟肆佰零玖元零贰分
    0.05      -> 伍分
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from salessheet.core.money import round_money

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("仟", "佰", "拾", "")
_LIMIT = 10**16  # 万亿亿 is not a written unit


def _below_10000(n: int) -> str:
    """0 < n < 10000, without a leading 零."""
    out: list[str] = []
    pending_zero = False
    for i, digit in enumerate(f"{n:04d}"):
        d = int(digit)
        if d == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(DIGITS[d] + _SMALL_UNITS[i])
    return "".join(out)


def _integer(n: int) -> str:
    """n > 0 in Chinese uppercase, 万 and 亿 sections, one 零 for each run of zeros."""
    if n >= 10**8:
        high, low = divmod(n, 10**8)
        text = _integer(high) + "亿"
        if low:
            text += ("零" if low < 10**7 else "") + _integer(low)
        return text
    if n >= 10**4:
        high, low = divmod(n, 10**4)
        text = _below_10000(high) + "万"
        if low:
            text += ("零" if low < 1000 else "") + _below_10000(low)
        return text
    return _below_10000(n)


def chinese_uppercase(amount: Decimal | int | str) -> str:
    """Decimal yuan amount -> 大写. Rounded half-up to the fen first; negative gets 负."""
    try:
        value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
        fen_total = int(round_money(value, "CNY") * 100)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    sign = "负" if fen_total < 0 else ""
    fen_total = abs(fen_total)
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    if yuan >= _LIMIT:
        raise ValueError(f"amount too large for 大写: {amount}")
    text = _integer(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        text = (text or "零元") + "整"
    elif jiao == 0:
        text += ("零" if yuan else "") + DIGITS[fen] + "分"
    else:
        text += DIGITS[jiao] + "角" + (DIGITS[fen] + "分" if fen else "整")
    return sign + text
