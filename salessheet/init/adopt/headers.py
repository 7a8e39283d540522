"""Header names -> fields, and where the header row is.

A header is matched, strongest first, against: the profile's own aliases; the vocabulary's
names (CRM exports, trackers, five languages); the same with a generic prefix dropped
(``Deal Stage``, ``商机金额``); a near spelling (a typo); words that hint at a field
(``deal_created_date``). Units in the header are stripped first (``预计金额（万元）``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from salessheet.core.cells import RawValue
from salessheet.init.adopt.values import (
    BOOL,
    CODE,
    NULL,
    TEXT,
    value_kind,
)
from salessheet.init.adopt.vocabulary import (
    DATE_HINTS,
    DATE_WORDS,
    FIELD_PREFIXES,
    FIELD_TYPES,
    HEADER_NAMES,
    MONEY_HINTS,
    OWNER_HINTS,
    WEAK_HEADER_NAMES,
)
from salessheet.settings.profile import Profile
from salessheet.sheet.layout import value_shape
from salessheet.sheet.twoline import Merge, two_row_header
from salessheet.sheet.units import parse_header_unit

HEADER_SCAN_ROWS = 30
PROFILE, LISTED, WEAK = 1.0, 0.9, 0.6
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)")
_NON_WORD = re.compile(r"[\W_]+")


def words(text: str) -> list[str]:
    """``LastActivityDate`` -> [last, activity, date]; ``deal_created_date`` -> [deal,
    created, date]; ``Deal - Title`` -> [deal, title]."""
    t = unicodedata.normalize("NFKC", str(text)).replace("__c", " ").replace("__C", " ")
    t = t.replace("#", " no ").replace("№", " no ")  # "Deal #" is "Deal No"
    t = _CAMEL.sub(" ", t)
    return [w for w in _NON_WORD.split(t.casefold()) if w]


def name_key(text: str) -> str:
    """The key headers are compared by: words joined without spaces."""
    key = "".join(words(text))
    return key or unicodedata.normalize("NFKC", str(text)).strip().casefold()


@dataclass(frozen=True)
class NameMatch:
    field: str
    strength: float  # 1.0 profile alias .. 0.4 a hint
    how: str  # evidence: why this header means the field
    source: str = ""  # the vocabulary source (Salesforce, German, ...) or "profile"


class NameIndex:
    """Every known header name of a profile + the vocabulary, by ``name_key``."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.types: dict[str, str] = dict(FIELD_TYPES)
        self.types.update({c.field: c.type for c in profile.columns})
        self.exact: dict[str, NameMatch] = {}
        for col in profile.columns:
            for alias in (col.field, *col.aliases):
                self._add(
                    alias,
                    col.field,
                    PROFILE,
                    f"an alias of {col.field} in the {profile.name} profile",
                    "profile",
                )
        for source, fname, names in HEADER_NAMES:
            for name in names:
                self._add(name, fname, LISTED, _source_how(source, fname), source)
        for fname, names in WEAK_HEADER_NAMES.items():
            for name in names:
                self._add(
                    name,
                    fname,
                    WEAK,
                    f"a name that may mean {fname} when nothing better is there",
                    "weak",
                )
        self._cache: dict[str, NameMatch | None] = {}
        self._by_first: dict[str, list[str]] = {}
        for key in self.exact:
            self._by_first.setdefault(key[:1], []).append(key)

    def _add(self, name: str, fname: str, strength: float, how: str, source: str) -> None:
        key = name_key(name)
        if key and key not in self.exact:
            self.exact[key] = NameMatch(fname, strength, how, source)

    def type_of(self, fname: str) -> str:
        return self.types.get(fname, "text")

    def match(self, header: str) -> NameMatch | None:
        try:
            return self._cache[header]
        except KeyError:
            hit = self._cache[header] = _match(self, header)
            return hit


def _source_how(source: str, fname: str) -> str:
    if source == "trackers":
        return f"a usual tracker header for {fname}"
    if source == "Chinese CRMs":
        return f"a Chinese CRM header for {fname}"
    if source in ("Spanish", "German", "French"):
        return f"the {source} header for {fname}"
    return f"{source}'s name for {fname}"


_INDEXES: dict[int, tuple[Profile, NameIndex]] = {}


def name_index(profile: Profile) -> NameIndex:
    """The index of a profile, built once per profile object."""
    hit = _INDEXES.get(id(profile))
    if hit is None or hit[0] is not profile:
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        hit = _INDEXES[id(profile)] = (profile, NameIndex(profile))
    return hit[1]


def _match(index: NameIndex, header: str) -> NameMatch | None:
    text = str(header).strip()
    if not text:
        return None
    unit = parse_header_unit(text)
    shown = repr(text)
    for candidate in dict.fromkeys((text, unit.base)):
        hit = index.exact.get(name_key(candidate))
        if hit:
            via = "" if candidate == text else f" (unit stripped: {unit.base!r})"
            return NameMatch(hit.field, hit.strength, f"{shown} is {hit.how}{via}", hit.source)
    ws = words(unit.base)
    # a generic prefix dropped: "Deal Stage", "Opportunity Owner", "商机金额"
    rest = None
    if len(ws) > 1 and ws[0] in FIELD_PREFIXES:
        rest = "".join(ws[1:])
    else:
        for p in FIELD_PREFIXES:
            if not p.isascii() and unit.base.startswith(p) and len(unit.base) > len(p):
                rest = name_key(unit.base[len(p) :])
                break
    if rest:
        hit = index.exact.get(rest)
        if hit and hit.strength >= LISTED:
            return NameMatch(hit.field, 0.8, f"{shown} without its prefix is {hit.how}", hit.source)
    key = name_key(unit.base)
    # a near spelling (typo): "Expected Close Dat", "Abschlusdatum"
    if len(key) >= 6 and not key.endswith("id"):
        best, best_ratio = None, 0.0
        matcher = SequenceMatcher(None, b=key)
        for cand in index._by_first.get(key[:1], ()):
            if abs(len(cand) - len(key)) <= 2 and index.exact[cand].strength >= LISTED:
                matcher.set_seq1(cand)
                if matcher.quick_ratio() < 0.88:
                    continue
                r = matcher.ratio()
                if r > best_ratio:
                    best, best_ratio = cand, r
        if best is not None and best_ratio >= 0.88:
            hit = index.exact[best]
            return NameMatch(hit.field, 0.5, f"{shown} is close to {best!r}, {hit.how}", hit.source)
    # words that hint at a field (not for ids of other records: "LastCloseDateChangedHistoryId")
    if ws and ws[-1] == "id":
        return None
    wset = set(ws)
    if wset & set(DATE_WORDS) or (ws and ws[-1] in DATE_WORDS):
        for fname, hints in DATE_HINTS.items():
            if wset & set(hints) or any(h in unit.base for h in hints if not h.isascii()):
                return NameMatch(fname, 0.45, f"{shown} is a date whose name says {fname}", "hint")
    if wset & set(MONEY_HINTS) or any(h in unit.base for h in MONEY_HINTS if not h.isascii()):
        return NameMatch("amount", 0.4, f"{shown} names a money figure", "hint")
    if wset & set(OWNER_HINTS) and "id" not in wset:
        return NameMatch("owner", 0.4, f"{shown} names a person responsible", "hint")
    return None


# --- the header row ----------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderGuess:
    row: int  # 1-based; 0: the sheet has no header row (the first row is data)
    first_data_row: int  # 1-based
    labels: tuple[str | None, ...]  # header text per column (index 0 = column A)
    evidence: str
    hits: int = 0  # header cells that name a known field


def _blank(v: RawValue) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def find_header(
    rows: Sequence[Sequence[RawValue]], index: NameIndex, merged: Sequence[Merge] = ()
) -> HeaderGuess:
    """The row naming the most fields among the first 30, judged against the rows below it;
    with the row below it when the two make one header (``sheet.twoline``; ``merged``: the
    sheet's merged ranges)."""
    head = rows[: HEADER_SCAN_ROWS + 50]
    width = max((len(r) for r in head), default=0)
    heads = [
        _ColumnHead([(i, r[c]) for i, r in enumerate(head) if c < len(r) and not _blank(r[c])])
        for c in range(width)
    ]
    best = None
    best_score = 0.0
    details: dict[int, tuple[int, int, int]] = {}
    first_filled = None
    for r, row in enumerate(head[:HEADER_SCAN_ROWS]):
        filled = [(c, v) for c, v in enumerate(row) if not _blank(v)]
        if not filled:
            continue
        if first_filled is None:
            first_filled = r
        hits = 0
        fields = set()
        texts = [
            (c, v)
            for c, v in filled
            if isinstance(v, str) and value_kind(v) in (TEXT, CODE, NULL, BOOL)
        ]
        found = _labels(r, texts, heads)
        labels = len(found)
        for _, v in found:
            m = index.match(v)
            if m and m.field not in fields:
                fields.add(m.field)
                hits += 1
        if labels < 2 and width > 1:
            continue
        if labels < 0.6 * len(filled):
            continue
        if hits < 2 and not any(not _blank(v) for rr in head[r + 1 : r + 4] for v in rr):
            continue  # nothing below and few known names: not a header (a header-only sheet
            # names its fields)
        score = 3 * hits + labels
        details[r] = (labels, hits, len(filled))
        if score > best_score:
            best, best_score = r, score
    if best is None or (
        details[best][1] == 0 and best == first_filled and _row_is_data(head, best)
    ):
        start = (first_filled or 0) + 1
        return HeaderGuess(
            0,
            start,
            tuple(None for _ in range(width)),
            f"no header row: row {start} already holds data (values of the same kinds and "
            "shapes as the rows below, no label naming a field): columns are mapped by "
            "their values",
        )
    labels, hits, n = details[best]
    header = rows[best]
    two = two_row_header(rows, best, merged) if merged else None
    if two is not None:
        header = two[1]
    names = tuple(str(v).strip() if isinstance(v, str) and v.strip() else None for v in header)
    why = f"row {best + 1}: {labels} labels, {hits} of them name a known field"
    if two is not None:
        why += f"; with row {best + 2} one header (sub-labels under labels merged across)"
        return HeaderGuess(best + 1, best + 3, names, why, hits)
    if best > 0:
        skipped = sum(1 for rr in rows[:best] if any(not _blank(v) for v in rr))
        if skipped:
            why += f"; {skipped} row{'s' if skipped > 1 else ''} above it (title or figures)"
    return HeaderGuess(best + 1, best + 2, names, why, hits)


class _ColumnHead:
    """The first rows of a column, to tell a label from data: a cell is data when the same
    value recurs in the column, or (values with digits) it has the column's usual shape."""

    def __init__(self, values: list[tuple[int, RawValue]]):
        self.rows_of: dict[str, list[int]] = {}
        for r, v in values:
            if isinstance(v, str):
                self.rows_of.setdefault(v.strip().casefold(), []).append(r)
        shapes = Counter(value_shape(v) for _, v in values)
        self.n = len(values)
        self.top = shapes.most_common(1)[0] if shapes else ("", 0)

    def recurs(self, v: str, r: int) -> set[int]:
        """Other rows holding the same text in this column."""
        return {x for x in self.rows_of.get(v.strip().casefold(), ()) if x != r}

    def shaped_like_data(self, v: str) -> bool:
        if any(ch.isdigit() for ch in v):
            return self.top[1] >= 0.5 * self.n and value_shape(v) == self.top[0]
        return False


def _labels(
    r: int, cells: list[tuple[int, str]], heads: list[_ColumnHead]
) -> list[tuple[int, str]]:
    """The cells of row ``r`` that read as labels. A header repeated further down (a
    printed report) recurs on one row: that row does not make the labels data."""
    recurs = {c: heads[c].recurs(v, r) for c, v in cells}
    rows = Counter(x for xs in recurs.values() for x in xs)
    repeat = {x for x, n in rows.items() if n >= max(2, 0.6 * len(cells))}
    return [
        (c, v)
        for c, v in cells
        if "@" not in v and not (recurs[c] - repeat) and not heads[c].shaped_like_data(v)
    ]


def _row_is_data(head: Sequence[Sequence[RawValue]], r: int) -> bool:
    """The first row is data when its kinds match the kinds of the rows below."""
    row = head[r]
    nxt = head[r + 1 : r + 21]
    same = total = 0
    for c, v in enumerate(row):
        if _blank(v):
            continue
        total += 1
        kinds = Counter(value_kind(rr[c]) for rr in nxt if c < len(rr) and not _blank(rr[c]))
        if kinds and kinds.most_common(1)[0][0] == value_kind(v):
            same += 1
    return total > 0 and same >= 0.6 * total
