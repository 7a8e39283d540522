"""Refusals that point at the fix: the cells of a file that most likely name a missing field.

When a sheet has no header row the profile recognises, or lacks a required column, the
StructureError lists the closest candidates *from the file* with their cell (``'StageName' in
T1``, ``'商机阶段' in B2``, ``'Lead ID' in A1``), found with the same vocabulary of CRM and
tracker header names that ``config init`` uses, and its hint names the command that writes a
config for the sheet.
"""

from __future__ import annotations

import shlex
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from salessheet.core.cells import RawSheet, a1
from salessheet.core.errors import StructureError
from salessheet.init.adopt.headers import name_index, name_key, words
from salessheet.init.adopt.vocabulary import HEADER_NAMES

SCAN_ROWS = 30
PER_FIELD = 3
_ID_WORDS = frozenset(("id", "no", "nr", "number", "num", "ref", "编号", "编码"))
SHOWN_CHARS = 40


@dataclass(frozen=True)
class Candidate:
    field: str
    text: str
    where: str  # A1, or Sheet!A1 when several sheets were looked at
    score: float
    why: str


def _names_of(profile: Any, fname: str) -> list[str]:
    col = profile.column(fname)
    names = [fname, *(col.aliases if col else ())]
    names += [n for _, f, ns in HEADER_NAMES if f == fname for n in ns]
    return list(dict.fromkeys(name_key(n) for n in names if name_key(n)))


def near_misses(
    sheets: list[RawSheet], fields: tuple[str, ...], profile: Any
) -> dict[str, list[Candidate]]:
    """For each field, up to three cells of the first 30 rows that may name it, best first."""
    index = name_index(profile)
    names = {f: _names_of(profile, f) for f in fields}
    found: dict[str, dict[str, Candidate]] = {f: {} for f in fields}
    many = len(sheets) > 1
    for sheet in sheets:
        head = sheet.head(SCAN_ROWS)
        # a value that recurs in its column is data ("false", "No"), not a header's label
        seen: Counter[tuple[int, str]] = Counter(
            (c, v.strip()) for row in head for c, v in enumerate(row) if isinstance(v, str)
        )
        for r, row in enumerate(head):
            for c, v in enumerate(row):
                if not isinstance(v, str) or not 0 < len(v.strip()) <= 60:
                    continue
                text = v.strip()
                if seen[(c, text)] > 1:
                    continue
                where = a1(r + 1, c + 1)
                where = f"{sheet.name}!{where}" if many else where
                for cand in _candidates(text, where, fields, names, index):
                    best = found[cand.field].get(text)
                    if best is None or cand.score > best.score:
                        found[cand.field][text] = cand
    return {
        f: sorted(found[f].values(), key=lambda x: -x.score)[:PER_FIELD] for f in fields if found[f]
    }


def _candidates(
    text: str, where: str, fields: tuple[str, ...], names: dict[str, list[str]], index: Any
) -> list[Candidate]:
    m = index.match(text)
    if m is not None and m.field in fields:
        how = m.how.removeprefix(f"{text!r} ").removeprefix("is ")
        return [Candidate(m.field, text, where, m.strength, how)]
    if m is not None and m.strength >= 0.6:
        return []  # a known name of another field
    out = []
    key = name_key(text)
    for f in fields:
        best, ratio = None, 0.0
        matcher = SequenceMatcher(None, b=key)
        for name in names[f]:
            matcher.set_seq1(name)
            if matcher.real_quick_ratio() < 0.75 or matcher.quick_ratio() < 0.75:
                continue
            r = matcher.ratio()
            if r > ratio:
                best, ratio = name, r
        if best is not None and ratio >= 0.75:
            out.append(Candidate(f, text, where, 0.3 * ratio, f"close to {best!r}"))
        elif f == "deal_id":
            ws = words(text)
            if ws and (ws[-1] in _ID_WORDS or text.endswith(("编号", "编码", "ID", "Id"))):
                out.append(Candidate(f, text, where, 0.3, "an id by its name"))
    return out


def _clip(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def point_at_fix(exc: StructureError, profile: Any, source: str) -> StructureError:
    """``exc`` with the near-miss cells of its missing fields and a hint naming
    ``salessheet config init``."""
    if not exc.missing:
        return exc  # merged cells, two columns for one field: a config would not help
    if exc.sheets:
        hits = near_misses(exc.sheets, exc.missing, profile)
        for fname in exc.missing:
            cands = hits.get(fname)
            if cands:
                shown = ", ".join(f"{_clip(c.text)!r} in {c.where} ({c.why})" for c in cands)
                exc.problems.append(f"closest to {fname} in the file: {shown}")
            else:
                exc.problems.append(f"nothing in the file's first {SCAN_ROWS} rows names {fname}")
    command = f"salessheet config init {shlex.quote(source)}"
    exc.hint = (
        f"`{command}` writes a config for this sheet from its headers and values; check its "
        "guesses, then pass it with --config (or pick another sheet with --sheet)"
    )
    return exc
