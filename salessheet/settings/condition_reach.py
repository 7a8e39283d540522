"""Two parts of a condition that can never both hold: ``amount > 500000 and amount < 1000``,
``stage == "lead" and stage == "contract"``, ``stage > "contract" and stage < "delivery"`` (no
stage between them). A rule written so would never apply (``when:``) or fail every deal
(``check:``) without a word, so salessheet.settings.conditions refuses it, as it refuses
``discount > 20``.

Only the operands of a top-level ``and`` that compare one field with a constant are looked at
(``field OP value``, ``field in [...]``), two at a time: that is how such a mistake is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from salessheet.settings.condition_closures import OPS

_LOWER, _UPPER = (">", ">="), ("<", "<=")


@dataclass(frozen=True)
class Atom:
    """``field op value``: ``op`` is a comparison or ``in`` (``value`` a frozenset then)."""

    field: str
    op: str
    value: Any
    text: str  # as written, for the message
    pos: int


def conflict(atoms: list[Atom], stage_count: int) -> tuple[Atom, Atom] | None:
    """The first two atoms on one field that no value meets together (stage values are the
    indices 0 .. stage_count - 1 of the profile's stages)."""
    for i, a in enumerate(atoms):
        for b in atoms[i + 1 :]:
            if a.field == b.field and not _both_possible(a, b, stage_count):
                return a, b
    return None


def _holds(atom: Atom, x: Any) -> bool:
    if atom.op == "in":
        return x in atom.value
    try:
        return bool(OPS[atom.op](x, atom.value))
    except TypeError:  # values of another kind: not comparable, so not judged
        return True


def _points(atom: Atom) -> frozenset[Any] | None:
    """The values ``atom`` allows, when they are few (== and in), else None."""
    if atom.op == "in":
        return frozenset(atom.value)
    if atom.op == "==":
        return frozenset((atom.value,))
    return None


def _both_possible(a: Atom, b: Atom, stage_count: int) -> bool:
    if a.field == "stage":  # a handful of stages: try each
        return any(_holds(a, i) and _holds(b, i) for i in range(stage_count))
    for one, other in ((a, b), (b, a)):
        points = _points(one)
        if points is not None:
            return any(_holds(other, p) for p in points)
    if "!=" in (a.op, b.op):
        return True  # a bound and a single value left out: room either side
    lower = [x for x in (a, b) if x.op in _LOWER]
    upper = [x for x in (a, b) if x.op in _UPPER]
    if len(lower) != 1 or len(upper) != 1:
        return True  # two lower bounds or two upper bounds
    lo, hi = lower[0], upper[0]
    low, high = lo.value, hi.value
    if isinstance(low, dt.date) and isinstance(high, dt.date):  # whole days
        low += dt.timedelta(days=1) if lo.op == ">" else dt.timedelta(0)
        high -= dt.timedelta(days=1) if hi.op == "<" else dt.timedelta(0)
        return bool(low <= high)
    try:
        if low < high:
            return True
        return bool(low == high and lo.op == ">=" and hi.op == "<=")
    except TypeError:
        return True
