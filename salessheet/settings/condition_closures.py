"""What a compiled condition runs: closures ``test(values, today) -> bool`` over a deal's parsed
values, and the compiled sub-expression (``Node``) they are made from.

``conditions.py`` parses a rule's text and checks its types; this module holds the closures it
composes, chosen for the common shapes (a field against a constant, against today ± days,
against another field) so that evaluating a deal is a dictionary look-up and a comparison.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from typing import Any

from salessheet.core.textnorm import normalise

Test = Callable[[Mapping[str, Any], dt.date], bool]
Fn = Callable[[Mapping[str, Any], dt.date], Any]

_KIND_WORDS = {
    "number": "a number",
    "text": "text",
    "string": "text",
    "date": "a date",
    "stage": "a stage",
    "days": "days(n)",
    "list": "a list",
    "bool": "a condition",
}


class Node:
    """A compiled sub-expression: its kind, a closure (or a constant) and where it starts."""

    __slots__ = ("const", "field", "fn", "items", "kind", "offset", "pos", "text")

    def __init__(
        self,
        kind: str,
        pos: int,
        fn: Fn | None = None,
        *,
        const: Any = None,
        field: str | None = None,
        items: list[Node] | None = None,
        text: str = "",
        offset: dt.timedelta | None = None,
    ):
        self.kind = kind
        self.pos = pos
        self.fn = fn
        self.const = const  # the value of a literal (fn is None)
        self.field = field  # the field name of a bare field
        self.items = items  # the items of a list literal
        self.text = text
        self.offset = offset  # today + offset (a date node that only depends on today)

    @property
    def is_const(self) -> bool:
        return self.fn is None and self.kind not in ("list",)

    def getter(self) -> Fn:
        if self.fn is not None:
            return self.fn
        c = self.const
        return lambda v, t: c

    def describe(self) -> str:
        word = _KIND_WORDS.get(self.kind, self.kind)
        return f"{self.text} ({word})" if self.text else word


OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def field_const(name: str, op: str, c: Any) -> Test:
    """``field OP constant``: the common case, one dictionary look-up and one comparison."""
    if op == "<":
        return lambda v, t: (x := v.get(name)) is not None and x < c
    if op == "<=":
        return lambda v, t: (x := v.get(name)) is not None and x <= c
    if op == ">":
        return lambda v, t: (x := v.get(name)) is not None and x > c
    if op == ">=":
        return lambda v, t: (x := v.get(name)) is not None and x >= c
    if op == "==":
        return lambda v, t: (x := v.get(name)) is not None and x == c
    return lambda v, t: (x := v.get(name)) is not None and x != c


def compare(a: Node, op: str, b: Node) -> Test:
    """Numbers with numbers, dates with dates; false when either side is empty. The common
    shapes (a field against a constant, against today ± days, against another field) are one
    closure each; anything else composes the closures of its sides."""
    if (a.is_const or a.offset is not None) and not b.is_const:
        a, b, op = b, a, FLIP[op]
    if b.is_const and a.field is not None:
        return field_const(a.field, op, b.const)
    if a.is_const and b.is_const:
        result = OPS[op](a.const, b.const)
        return lambda v, t: result
    cmp = OPS[op]
    if a.field is not None and b.offset is not None:
        name, offset = a.field, b.offset
        return lambda v, t: (x := v.get(name)) is not None and cmp(x, t + offset)
    if a.field is not None and b.field is not None:
        f, g = a.field, b.field
        return lambda v, t: (
            (x := v.get(f)) is not None and (y := v.get(g)) is not None and cmp(x, y)
        )
    fa, fb = a.getter(), b.getter()

    def test(v: Mapping[str, Any], t: dt.date) -> bool:
        x = fa(v, t)
        if x is None:
            return False
        y = fb(v, t)
        return y is not None and cmp(x, y)

    return test


def all_of(tests: list[Fn]) -> Test:
    """``a and b and ...`` as one closure per up to four operands (each returns a bool)."""
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda v, t: a(v, t) and b(v, t)
    if len(tests) == 3:
        a, b, c = tests
        return lambda v, t: a(v, t) and b(v, t) and c(v, t)
    if len(tests) == 4:
        a, b, c, d = tests
        return lambda v, t: a(v, t) and b(v, t) and c(v, t) and d(v, t)
    return all_of([all_of(tests[:4]), all_of(tests[4:])])


def any_of(tests: list[Fn]) -> Test:
    """``a or b or ...`` (see ``all_of``)."""
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda v, t: a(v, t) or b(v, t)
    if len(tests) == 3:
        a, b, c = tests
        return lambda v, t: a(v, t) or b(v, t) or c(v, t)
    if len(tests) == 4:
        a, b, c, d = tests
        return lambda v, t: a(v, t) or b(v, t) or c(v, t) or d(v, t)
    return any_of([any_of(tests[:4]), any_of(tests[4:])])


def text_test(name: str, verdict: Callable[[str], bool]) -> Test:
    """A test of a text field against constants: ``verdict`` of the normalised text, computed
    once per distinct cell text (a column repeats few: owners, regions, customers)."""
    known: dict[Any, bool] = {}

    def test(v: Mapping[str, Any], t: dt.date) -> bool:
        x = v.get(name)
        if x is None:
            return False
        hit = known.get(x)
        if hit is None:
            if len(known) > 100_000:
                known.clear()
            hit = known[x] = verdict(normalise(str(x)))
        return hit

    return test


def memo_normalise() -> Callable[[Any], str]:
    """``normalise`` of a cell's text, remembered: a column repeats few distinct texts."""
    memo: dict[Any, str] = {}

    def norm(value: Any) -> str:
        out = memo.get(value)
        if out is None:
            out = memo[value] = normalise(str(value))
            if len(memo) > 100_000:
                memo.clear()
        return out

    return norm
