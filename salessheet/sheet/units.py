"""Units in money headers: the scale and the currency a header declares.

``parse_header_unit("预计金额（万元）")`` ->
``HeaderUnit("预计金额", Decimal(10000), "CNY", None)``: the column holds amounts in units of
10,000 yuan. ``Deal Value ($000s)``, ``Revenue, $M``,
``Amount in thousands``, ``amount_usd``, ``Umsatz (TEUR)`` are read the same way. Bracketed text
that is not a unit (``Amount (incl. VAT)``) is never taken as a scale: it comes back in ``note``
so the caller can report it.

Pure, exact (``Decimal``) and cached: the table mapper calls it for every header it reads.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from salessheet.core.currency import CURRENCY_SYMBOLS, CURRENCY_WORDS
from salessheet.core.formatting import is_known_currency

ONE = Decimal(1)


@dataclass(frozen=True)
class HeaderUnit:
    """What a header says about its values' unit.

    ``base``: the header without its unit (NFKC-normalised, spaces collapsed);
    ``scale``: multiply each value by this to get the amount in currency units (1 when none;
    ``Decimal("0.01")`` for a ``(%)`` header); ``currency``: an ISO 4217 code or None;
    ``note``: set when bracketed text was found that is not a unit (reported, never applied).
    """

    base: str
    scale: Decimal = ONE
    currency: str | None = None
    note: str | None = None

    @property
    def has_unit(self) -> bool:
        return self.scale != ONE or self.currency is not None


SCALE_WORDS: dict[str, Decimal] = {
    **dict.fromkeys(
        ("k", "thousand", "thousands", "tsd", "tausend", "miles", "milliers"), Decimal(10**3)
    ),
    **dict.fromkeys(
        ("m", "mm", "mn", "mio", "million", "millions", "millones", "millón"), Decimal(10**6)
    ),
    **dict.fromkeys(("b", "bn", "billion", "billions", "mrd", "milliarden"), Decimal(10**9)),
    **dict.fromkeys(("percent", "pct", "prozent", "porcentaje", "pourcentage"), Decimal("0.01")),
}
CJK_SCALES = {
    "千": Decimal(10**3),
    "万": Decimal(10**4),
    "十万": Decimal(10**5),
    "百万": Decimal(10**6),
    "千万": Decimal(10**7),
    "亿": Decimal(10**8),
}
# Words that may stand in a unit without changing it: "(in thousands of USD)", "（单位：万元）".
FILLER = {"in", "of", "en", "de", "von", "à", "单位", "unit", "units", "x", "×", "s"}
_PREFIX_SCALE = {"k": Decimal(10**3), "t": Decimal(10**3), "m": Decimal(10**6)}
_SUFFIX_SCALE = {
    "k": Decimal(10**3),
    "m": Decimal(10**6),
    "mm": Decimal(10**6),
    "mn": Decimal(10**6),
    "bn": Decimal(10**9),
}

_TOKEN = re.compile(
    r"(?P<dollar>(?i:US|HK|NT|CA|AU|NZ|SG|MX|C|A|S|R)\$)"
    r"|(?P<num>['’]?\d(?:[\d,.'’ ]*\d)?)"
    r"|(?P<cjk>人民币|美元|美金|欧元|英镑|日元|港元|港币|十万|百万|千万|单位|万|千|亿|元|円)"
    r"|(?P<word>[^\W\d_]+\.?)"
    r"|(?P<sym>[$€£¥￥₹₩₽%×])"
    r"|(?P<sep>[\s,;:/\-–—_()]+)"
    r"|(?P<other>.)"
)
_BRACKET_TAIL = re.compile(r"\s*[(\[【〔]([^()\[\]【】〔〕]*)[)\]】〕]\s*$")
_SPACES = re.compile(r"\s+")
_GLUED_CJK = re.compile(r"^(.*[^\s\d(\[【])(十万|百万|千万|万|千|亿)(元|美元|欧元)$")


@lru_cache(maxsize=256)
def _iso(code: str) -> str | None:
    up = code.upper()
    return up if is_known_currency(up) else None


def _scale_of_number(token: str) -> Decimal | None:
    """``000`` / ``'000`` -> 10³, ``000,000`` -> 10⁶, ``1,000`` / ``1000`` -> 10³, else None."""
    digits = re.sub(r"[,.'’ ]", "", token)
    if digits and set(digits) == {"0"}:
        return Decimal(10 ** len(digits))
    if len(digits) > 1 and digits[0] == "1" and set(digits[1:]) == {"0"}:
        return Decimal(10 ** (len(digits) - 1))
    return None


def _read_unit(text: str) -> tuple[Decimal, str | None] | None:
    """``$000s`` -> (1000, 'USD'); ``万元`` -> (10000, 'CNY'); None when it is not a unit."""
    scales: list[Decimal] = []
    currencies: list[str] = []
    previous = ""
    for m in _TOKEN.finditer(text):
        kind, tok = m.lastgroup, m.group()
        if kind == "sep":
            previous = kind
            continue
        if kind == "dollar":
            currencies.append(CURRENCY_SYMBOLS[tok.upper()])
        elif kind == "num":
            scale = _scale_of_number(tok)
            if scale is None:
                return None
            scales.append(scale)
        elif kind == "cjk":
            if tok in CJK_SCALES:
                scales.append(CJK_SCALES[tok])
            elif tok in CURRENCY_WORDS:
                currencies.append(CURRENCY_WORDS[tok])
            elif tok not in FILLER:
                return None
        elif kind == "sym":
            if tok == "%":
                scales.append(Decimal("0.01"))
            elif tok != "×":
                currencies.append(CURRENCY_SYMBOLS[tok])
        elif kind == "word":
            word = tok.lower()
            bare = word.rstrip(".")
            if word == "s" and previous == "num":
                pass  # "000s"
            elif word in FILLER or bare in FILLER:
                pass
            elif word in SCALE_WORDS or bare in SCALE_WORDS:
                scales.append(SCALE_WORDS.get(word) or SCALE_WORDS[bare])
            elif bare in CURRENCY_WORDS:
                currencies.append(CURRENCY_WORDS[bare])
            elif len(bare) == 3 and (code := _iso(bare)):
                currencies.append(code)
            elif len(bare) == 4 and bare[0] in _PREFIX_SCALE and (code := _iso(bare[1:])):
                scales.append(_PREFIX_SCALE[bare[0]])  # TEUR, kUSD, MEUR
                currencies.append(code)
            elif len(bare) > 3 and bare[3:] in _SUFFIX_SCALE and (code := _iso(bare[:3])):
                scales.append(_SUFFIX_SCALE[bare[3:]])  # USDm, EURk, USDbn
                currencies.append(code)
            else:
                return None
        else:
            return None
        previous = kind or ""
    if len(set(scales)) > 1 or len(set(currencies)) > 1 or not (scales or currencies):
        return None
    return (scales[0] if scales else ONE), (currencies[0] if currencies else None)


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip(" ,;:/-–—_")


@lru_cache(maxsize=4096)
def parse_header_unit(text: str) -> HeaderUnit:
    """The unit a header declares. See the module docstring for the accepted forms."""
    s = _SPACES.sub(" ", unicodedata.normalize("NFKC", str(text))).strip()
    notes: list[str] = []
    unit: tuple[Decimal, str | None] | None = None
    # 1. bracketed groups at the end: "Amount (USD)", "Amount (incl. VAT) (USD)"
    for _ in range(3):
        m = _BRACKET_TAIL.search(s)
        if not m or not s[: m.start()].strip():
            break
        inner = m.group(1).strip()
        read = _read_unit(inner) if inner else None
        if read is not None and unit is None:
            unit = read
        elif inner:
            notes.insert(0, f"({inner})")
        s = s[: m.start()].rstrip()
    # 2. a unit after a separator: "Revenue, $M", "金额/万元", "Amount in thousands", "amount_usd"
    if unit is None:
        for sep in (" in ", ", ", ",", " - ", " / ", "/", ": ", ":", "_", " "):
            head, found, tail = s.rpartition(sep)
            if not found or not head.strip() or not tail.strip():
                continue
            read = _read_unit(tail)
            if read is None:
                continue
            if sep in (" ", "_") and not _plain_space_unit(tail):
                continue
            unit, s = read, head
            break
    # 3. glued Chinese units: "金额万元"
    if unit is None:
        m = _GLUED_CJK.match(s)
        if m:
            read = _read_unit(m.group(2) + m.group(3))
            if read is not None:
                unit, s = read, m.group(1)
    # 4. a trailing percent sign: "Probability%"
    if unit is None and s.endswith("%") and len(s) > 1:
        unit, s = (Decimal("0.01"), None), s[:-1]
    note = None
    if notes:
        shown = " ".join(notes)
        note = f"{shown} is not a unit: kept as a remark, no scale or currency taken from it"
    base = _clean(s) or _clean(unicodedata.normalize("NFKC", str(text)))
    if unit is None:
        return HeaderUnit(base, ONE, None, note)
    return HeaderUnit(base, unit[0], unit[1], note)


# Lower-case currency codes accepted after a bare space or underscore ("amount_usd"); other
# three-letter words there ("all", "top", "pen") are more likely words than currencies.
COMMON_CODES = frozenset(
    "usd eur cny rmb gbp jpy hkd twd krw inr cad aud nzd sgd chf sek nok dkk pln czk huf rub try "
    "brl mxn cop clp pen ars uyu zar aed sar".split()
)


def _plain_space_unit(tail: str) -> bool:
    """After a bare space or underscore only clear units count ("Amount USD", "amount_usd",
    "Value $", "Win %"): a lone ``m``/``k``/``b`` or a lower-case word there is too likely a
    word of the header."""
    t = tail.strip()
    low = t.lower().rstrip(".")
    if low in ("m", "k", "b", "s", "x", "mm"):
        return False
    if len(low) == 3 and low.isalpha() and low not in SCALE_WORDS:
        return t.isupper() or low in COMMON_CODES
    return True


def describe(unit: HeaderUnit) -> str:
    """``× 10,000 CNY``-style text for evidence and messages."""
    parts = []
    if unit.scale != ONE:
        parts.append("÷ 100 (percent)" if unit.scale == Decimal("0.01") else f"× {unit.scale:,}")
    if unit.currency:
        parts.append(unit.currency)
    return " ".join(parts) if parts else "no unit"
