"""The condition language of a profile's ``rules:`` (``when:`` and ``check:``), parsed once and
compiled to plain Python closures.

The language is small, fixed and safe (the README's "Your team's rules" is its reference):

- names: the profile's fields (``amount``, ``stage``, ``owner``, ``expected_close``, ...) and
  ``today``; literals: numbers (``500000``, ``0.2``), percentages (``20%`` is 0.2), text in
  double quotes, ``date("2026-12-31")``, ``days(30)`` and lists ``["a", "b"]``;
- ``== != < <= > >=``, ``and``, ``or``, ``not``, ``in [...]``, ``is empty``, ``is not empty``,
  parentheses, and ``+ -`` on numbers and on a date with ``days(n)``;
- ``stage`` compares by the profile's stage order with a quoted stage id, label or alias; text
  compares ignoring case and spacing (as headers are matched); a comparison with an empty field
  is false (test emptiness with ``is empty``), and a ``check:`` passes where a field it compares
  is empty (``Condition.check_failure``).

Why it lives in ``settings``: a bad expression is a config error that must name the rule, the
column in the expression and the YAML line, which only the settings layer knows; and the rules
layer (``salessheet.rules.team``) may import settings, never the other way round. This is the
one module that imports lark, and only when a profile has rules (importing lark and building the
LALR tables takes tens of milliseconds that a profile without rules need not pay).

``compile_condition(text, scope)`` parses the text and turns the tree, once, into nested
closures ``test(values, today) -> bool`` over a deal's parsed values: evaluating a deal walks no
tree and calls no ``eval``. Types are checked when compiling (``stage > 5`` is refused, as is
``contact < "Li"``), so a closure never meets a value it cannot compare.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import keyword
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from functools import lru_cache
from typing import Any

from salessheet.core.textnorm import normalise
from salessheet.settings.condition_closures import (
    FLIP,
    OPS,
    Fn,
    Node,
    Test,
    all_of,
    any_of,
    compare,
    memo_normalise,
    text_test,
)
from salessheet.settings.condition_hints import CURLY_QUOTES, FULL_WIDTH, iso_of, written_number
from salessheet.settings.condition_reach import Atom, conflict

__all__ = ["Condition", "ConditionError", "Scope", "compile_condition"]


GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr
        | or_expr "or" and_expr         -> or_
?and_expr: not_expr
         | and_expr "and" not_expr      -> and_
?not_expr: comparison
         | NOT not_expr                 -> not_
?comparison: sum
           | sum COMP_OP sum            -> compare
           | sum "in" sum               -> in_
           | sum "is" "empty"           -> empty
           | sum "is" NOT "empty"       -> not_empty
?sum: postfix
    | sum ADD_OP postfix                -> arith
?postfix: atom
        | postfix "." NAME              -> attribute
        | postfix "(" [arguments] ")"   -> call
        | postfix "[" or_expr "]"       -> subscript
arguments: or_expr ("," or_expr)*
?atom: PERCENT                          -> percent
     | NUMBER                           -> number
     | STRING                           -> string
     | NAME                             -> name
     | "(" or_expr ")"
     | "[" [or_expr ("," or_expr)*] "]" -> list_

NOT: "not"
COMP_OP: "==" | "!=" | "<=" | ">=" | "<" | ">"
ADD_OP: "+" | "-"
PERCENT: /\d+(\.\d+)?[ \t]*%/
NUMBER: /\d+(\.\d+)?/
STRING: /"(?:[^"\\\n]|\\.)*"/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
%ignore /[ \t\r\n]+/
"""

_LANGUAGE_WORDS = {"and", "or", "not", "in", "is", "empty"}
_CALLS = ("date", "days")
_SCAN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[A-Za-z_][A-Za-z0-9_]*|\S')
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# column types of the profile -> kinds of the language
_KIND_OF_TYPE = {
    "money": "number",
    "number": "number",
    "percent": "number",
    "text": "text",
    "id": "text",
    "date": "date",
    "stage": "stage",
}


class ConditionError(ValueError):
    """A problem in an expression, at ``pos`` (0-based offset in its text)."""

    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.message = message
        self.pos = max(pos, 0)

    def where(self, text: str) -> str:
        """``column 12`` (1-based), or ``line 2, column 5`` in a multi-line expression."""
        line = text.count("\n", 0, self.pos) + 1
        column = self.pos - (text.rfind("\n", 0, self.pos) + 1) + 1
        return f"line {line}, column {column}" if "\n" in text.strip() else f"column {column}"

    def describe(self, text: str) -> str:
        return f"{self.where(text)}: {self.message}"


@dataclass(frozen=True)
class Scope:
    """What names mean: the profile's fields (name -> column type) and stages, in order."""

    fields: Mapping[str, str]
    stage_ids: tuple[str, ...]
    stage_names: Mapping[str, str]  # normalised id / label / label_zh / alias -> stage id

    @classmethod
    def of(cls, fields: Mapping[str, str], stages: Iterable[tuple[str, Iterable[str]]]) -> Scope:
        """``stages``: (id, spellings) in the profile's order (spellings: labels, aliases)."""
        ids: list[str] = []
        names: dict[str, str] = {}
        for sid, spellings in stages:
            ids.append(sid)
            for s in (sid, *spellings):
                if isinstance(s, str) and s:
                    names.setdefault(normalise(s), sid)
                    names.setdefault(normalise(s.replace("_", " ")), sid)
        return cls(dict(fields), tuple(ids), names)


@dataclass(frozen=True)
class Condition:
    """A compiled condition: its text, the fields it reads (in order) and its test."""

    source: str
    fields: tuple[str, ...]
    test: Test = field(repr=False, compare=False)
    # ``a and b and c``: each operand's fields, the fields it compares (not only tests with
    # ``is empty``) and its test, so that a failed check can name the cell of the part that
    # failed (``amount`` in ``owner is not empty and amount > 5``)
    parts: tuple[tuple[tuple[str, ...], tuple[str, ...], Test], ...] = field(
        default=(), repr=False, compare=False
    )
    # the fields the condition compares: ``discount`` in ``discount <= 30%``, not ``contact``
    # in ``contact is not empty``
    compared: tuple[str, ...] = ()

    def check_failure(self, values: Mapping[str, Any], today: dt.date) -> tuple[str, ...] | None:
        """As a ``check:``: None when ``values`` pass, else the fields of the part that failed.

        A check is judged as SQL's CHECK constraint is: a part (an operand of a top-level
        ``and``, or the whole condition) that compares an empty field is unknown, and unknown
        passes. ``check: discount <= 30%`` passes a deal with no discount; ``discount is not
        empty and discount <= 30%`` does not."""
        parts = self.parts or ((self.fields, self.compared, self.test),)
        for names, compared, test in parts:
            if test(values, today):
                continue
            if any(values.get(f) is None for f in compared):
                continue  # unknown: a comparison with an empty field
            return names
        return None

    def __call__(self, values: Mapping[str, Any], today: dt.date) -> bool:
        return self.test(values, today)


# ----------------------------------------------------------------------------- parsing


@lru_cache(maxsize=1)
def _parser() -> Any:
    from lark import Lark  # the one import of lark (see the module's docstring)

    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def _prescan(text: str, fields: Mapping[str, str]) -> None:
    """Problems a parser would report poorly: brackets, quotes and Python words."""
    stack: list[tuple[str, int]] = []
    pairs = {")": "(", "]": "["}
    for m in _SCAN.finditer(text):
        tok, pos = m.group(), m.start()
        if tok.startswith('"'):
            if len(tok) < 2 or not tok.endswith('"') or tok.endswith('\\"') and _odd_escape(tok):
                raise ConditionError("this text has no closing double quote", pos)
        elif tok[0].isalpha() or tok[0] == "_":
            if keyword.iskeyword(tok) and tok not in _LANGUAGE_WORDS and tok not in fields:
                what = "lambda functions are" if tok == "lambda" else f"{tok!r} is"
                raise ConditionError(f"{what} not part of the rule language", pos)
        elif tok == "'":
            raise ConditionError('text goes in double quotes, such as "Li"', pos)
        elif tok in CURLY_QUOTES:
            raise ConditionError(
                f'text goes in straight double quotes, such as "Li", not {tok}…: type them '
                "with the input method's English (half-width) punctuation",
                pos,
            )
        elif tok in "([":
            stack.append((tok, pos))
        elif tok in ")]":
            if not stack or stack[-1][0] != pairs[tok]:
                raise ConditionError(f"{tok!r} has no matching {pairs[tok]!r}", pos)
            stack.pop()
    if stack:
        tok, pos = stack[-1]
        close = ")" if tok == "(" else "]"
        raise ConditionError(f"{tok!r} is never closed with {close!r}", pos)


def _odd_escape(tok: str) -> bool:
    """``"ab\\"`` ends with an escaped quote, so the text is not closed."""
    n = len(tok) - 1 - len(tok[:-1].rstrip("\\"))
    return n % 2 == 1


def _parse(text: str, fields: Mapping[str, str]) -> Any:
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    if not text.strip():
        raise ConditionError("the condition is empty", 0)
    _prescan(text, fields)
    try:
        return _parser().parse(text)
    except UnexpectedCharacters as exc:
        pos = exc.pos_in_stream or 0  # always set on this error (lark types it optional)
        char = text[pos] if pos < len(text) else ""
        hints = {
            "=": "use == to compare",
            "&": "use and",
            "|": "use or",
            "!": "use not, or != to compare",
        }
        written = written_number(text, pos)
        if written is not None:
            raise ConditionError(*written) from None
        raise ConditionError(hints.get(char) or f"unexpected character {char!r}", pos) from None
    except UnexpectedToken as exc:
        tok = exc.token
        if tok.type == "$END":
            raise ConditionError("the condition ends too early", len(text.rstrip())) from None
        pos = tok.start_pos if tok.start_pos is not None else len(text)
        written = written_number(text, pos)
        if written is not None:
            raise ConditionError(*written) from None
        if tok.type == "NAME" and str(tok) in _LANGUAGE_WORDS:
            raise ConditionError(f"{str(tok)!r} is misplaced here", pos) from None
        after_is = re.search(r"\bis(\s+not)?$", text[:pos].rstrip())
        if after_is and tok.type in ("NAME", "STRING", "NUMBER", "PERCENT"):
            value = str(tok) if tok.type != "NAME" else f'"{tok}"'
            op = "!=" if after_is.group(1) else "=="
            raise ConditionError(
                f"is{after_is.group(1) or ''} goes with empty (contact is empty, contact is not "
                f"empty); to compare with a value, write {op} {value}",
                after_is.start(),
            ) from None
        raise ConditionError(f"unexpected {str(tok)!r}", pos) from None
    except UnexpectedInput as exc:  # pragma: no cover - the two above are what LALR raises
        pos = getattr(exc, "pos_in_stream", 0) or 0
        raise ConditionError("cannot read the condition", pos) from None


# ----------------------------------------------------------------------------- compiling


def _pos(node: Any) -> int:
    start = getattr(node, "start_pos", None)
    if start is None:
        meta = getattr(node, "meta", None)
        start = getattr(meta, "start_pos", 0) if meta is not None else 0
    return start or 0


def compile_condition(text: str, scope: Scope) -> Condition:
    """The compiled condition, or a ConditionError naming what is wrong and where."""
    folded = text.translate(FULL_WIDTH)
    tree = _parse(folded, scope.fields)
    compiler = _Compiler(folded, scope)
    node = compiler.node(tree)
    if node.kind != "bool":
        raise ConditionError(
            "expected a condition (a comparison, in [...], is empty, ...), found "
            + node.describe(),
            node.pos,
        )
    operands = _operands(tree) if getattr(tree, "data", None) == "and_" else [tree]
    clash = conflict(_atoms(folded, scope, operands), len(scope.stage_ids))
    if clash is not None:
        a, b = clash
        raise ConditionError(
            f"{a.text} and {b.text} can never both hold: no {a.field.replace('_', ' ')} is both",
            b.pos,
        )
    fn = node.getter()
    parts: list[tuple[tuple[str, ...], tuple[str, ...], Test]] = []
    if getattr(tree, "data", None) == "and_":
        for operand in _operands(tree):
            part = _Compiler(folded, scope)
            test = part.node(operand).getter()
            parts.append((_once(part.used), _once(part.compared), test))
    return Condition(text, _once(compiler.used), fn, tuple(parts), _once(compiler.compared))


def _atoms(text: str, scope: Scope, operands: list[Any]) -> list[Atom]:
    """The operands that compare a field with a constant, as atoms (condition_reach)."""
    out: list[Atom] = []
    for tree in operands:
        kind = getattr(tree, "data", None)
        if kind not in ("compare", "in_"):
            continue
        c = _Compiler(text, scope)
        a, b = c.node(tree.children[0]), c.node(tree.children[-1])
        if kind == "compare":
            op = str(tree.children[1])
            if a.field is None:
                a, b, op = b, a, FLIP[op]
            value = c.constant(a, b) if a.field is not None and b.is_const else None
        else:
            op = "in"
            values = [c.constant(a, it) for it in b.items or ()]
            ok = a.field is not None and b.items and None not in values
            value = frozenset(values) if ok else None
        if value is not None and a.field is not None:
            out.append(Atom(a.field, op, value, c.snippet(tree), _pos(tree)))
    return out


def _once(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _operands(tree: Any) -> list[Any]:
    """The operands of ``a and b and c`` (a left-leaning tree), in order."""
    out: list[Any] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        if getattr(node, "data", None) == tree.data:
            todo.extend(reversed(node.children))
        else:
            out.append(node)
    return out


class _Compiler:
    def __init__(self, text: str, scope: Scope):
        self.text = text
        self.scope = scope
        self.used: list[str] = []
        self.compared: list[str] = []  # the fields read other than by ``is empty``
        self.stage_index = {sid: i for i, sid in enumerate(scope.stage_ids)}

    def snippet(self, node: Any) -> str:
        meta = getattr(node, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            return self.text[meta.start_pos : meta.end_pos]
        return str(node)

    def node(self, tree: Any) -> Node:
        if not hasattr(tree, "data"):  # pragma: no cover - every token sits in a rule node
            raise ConditionError(f"unexpected {str(tree)!r}", _pos(tree))
        method = getattr(self, "c_" + tree.data.rstrip("_"))
        out: Node = method(tree)
        if not out.text:
            out.text = self.snippet(tree)
        return out

    def constant(self, field: Node, const: Node) -> Any:
        """What ``field`` is compared with, as condition_reach compares it (None: not judged)."""
        if field.kind == "stage":
            return self.stage_index[self._stage_of(const)]
        if field.kind == "text" and const.kind == "string":
            return normalise(str(const.const))
        if field.kind == const.kind and const.kind in ("number", "date"):
            return const.const
        return None

    # --- literals and names ---------------------------------------------------------------

    def c_number(self, tree: Any) -> Node:
        tok = tree.children[0]
        return Node("number", _pos(tok), const=Decimal(str(tok)), text=str(tok))

    def c_percent(self, tree: Any) -> Node:
        tok = tree.children[0]
        value = Decimal(str(tok)[:-1].rstrip())
        return Node("number", _pos(tok), const=value / 100, text=str(tok))

    def c_string(self, tree: Any) -> Node:
        tok = tree.children[0]
        try:
            value = json.loads(str(tok))
        except ValueError:
            raise ConditionError(
                r"this text has an escape that is not allowed (use \" and \\)", _pos(tok)
            ) from None
        return Node("string", _pos(tok), const=value, text=str(tok))

    def c_name(self, tree: Any) -> Node:
        tok = tree.children[0]
        name, pos = str(tok), _pos(tok)
        ftype = self.scope.fields.get(name)
        if ftype is not None:
            self.used.append(name)
            self.compared.append(name)
            kind = _KIND_OF_TYPE.get(ftype, "text")
            return Node(kind, pos, lambda v, t: v.get(name), field=name, text=name)
        if name == "today":
            return Node("date", pos, lambda v, t: t, text="today", offset=dt.timedelta(0))
        if name in _CALLS:
            raise ConditionError(f"{name} is a function: write {name}(...)", pos)
        if normalise(name) in self.scope.stage_names:  # stage == negotiation
            raise ConditionError(
                f'{name!r} is a stage: a stage name goes in double quotes, write "{name}"', pos
            )
        near = get_close_matches(name, [*self.scope.fields, "today"], n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ConditionError(
            f"unknown name {name!r}{hint}; expected a field of the profile "
            f"({', '.join(sorted(self.scope.fields))}) or today",
            pos,
        )

    def c_list(self, tree: Any) -> Node:
        items = [self.node(c) for c in tree.children]
        for it in items:
            if not it.is_const or it.kind in ("list", "bool", "days"):
                raise ConditionError(
                    "a list holds values written out: text, numbers or dates", it.pos
                )
        self._thousands_in_list(items)
        return Node("list", _pos(tree), items=items)

    def _thousands_in_list(self, items: list[Node]) -> None:
        """``[1,000, 2000]`` is three numbers to the grammar (1, 0 and 2000): a number after a
        comma with no space, written as a group of three digits, is a thousands group when it
        starts with 0 (no number is written so) or when the list's other items are separated
        by a comma and a space. ``[100,200,300]`` and ``[1,500]`` stay lists."""
        text = self.text
        pairs = list(itertools.pairwise(items))
        spaced = any(
            text[a.pos + len(a.text) : b.pos].strip() == "," and text[b.pos - 1] == " "
            for a, b in pairs
        )
        for a, b in pairs:
            if a.kind != "number" or b.kind != "number":
                continue
            joined = text[a.pos + len(a.text) : b.pos] == ","
            if (
                joined
                and re.fullmatch(r"\d{1,3}", a.text)
                and re.fullmatch(r"\d{3}(?:\.\d+)?", b.text)
            ):
                if b.text.startswith("0") or spaced:
                    written = written_number(text, b.pos)
                    if written is not None:
                        message, at = written
                        raise ConditionError(
                            f"{message}; separate the items of a list with a comma and a space", at
                        )

    def c_call(self, tree: Any) -> Node:
        func = tree.children[0]
        args = tree.children[1].children if len(tree.children) > 1 else []
        kind = getattr(func, "data", None)
        if kind == "attribute":
            return self.node(func)  # refused there: attribute access
        name = str(func.children[0]) if kind == "name" else self.snippet(func)
        if kind != "name" or name not in _CALLS:
            raise ConditionError(
                f"calls other than date() and days() are not allowed, found {name}()", _pos(func)
            )
        pos = _pos(func)
        if len(args) != 1:
            raise ConditionError(f"{name}() takes one value, found {len(args)}", pos)
        arg = self.node(args[0])
        if name == "date":
            text = arg.const if arg.kind == "string" else None
            if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
                # 2026/12/31, 2026年12月31日, date(2026-12-31): say the date to write
                iso = iso_of(text if isinstance(text, str) else arg.text)
                fix = f': write date("{iso}")' if iso else ""
                what = (
                    f'date() takes year-month-day, such as date("2026-12-31"); found {arg.text}'
                    if isinstance(text, str)
                    else 'date() takes a date in double quotes, such as date("2026-12-31")'
                )
                raise ConditionError(what + fix, arg.pos)
            try:
                day = dt.date.fromisoformat(text)
            except ValueError as exc:
                raise ConditionError(f"{text!r} is no date ({exc})", arg.pos) from None
            return Node("date", pos, const=day)
        if arg.kind != "number" or not arg.is_const or arg.const != arg.const.to_integral_value():
            raise ConditionError("days() takes a whole number, such as days(30)", arg.pos)
        return Node("days", pos, const=dt.timedelta(days=int(arg.const)))

    def c_attribute(self, tree: Any) -> Node:
        attr = tree.children[1]
        raise ConditionError(f"attribute access (.{attr}) is not allowed", _pos(attr) - 1)

    def c_subscript(self, tree: Any) -> Node:
        raise ConditionError("indexing with [...] is not allowed", _pos(tree.children[1]) - 1)

    # --- conditions ----------------------------------------------------------------------

    def _condition(self, tree: Any, word: str) -> Node:
        node = self.node(tree)
        if node.kind != "bool":
            raise ConditionError(
                f"{word} takes conditions (comparisons, in, is empty), found {node.describe()}",
                node.pos,
            )
        return node

    def _chain(self, tree: Any, word: str) -> list[Fn]:
        """The operands of ``a and b and c`` (a left-leaning tree), flattened, in order."""
        return [self._condition(p, word).getter() for p in _operands(tree)]

    def c_or(self, tree: Any) -> Node:
        return Node("bool", _pos(tree), any_of(self._chain(tree, "or")))

    def c_and(self, tree: Any) -> Node:
        return Node("bool", _pos(tree), all_of(self._chain(tree, "and")))

    def c_not(self, tree: Any) -> Node:
        a = self._condition(tree.children[1], "not").getter()
        return Node("bool", _pos(tree), lambda v, t: not a(v, t))

    def c_empty(self, tree: Any, negate: bool = False) -> Node:
        compared = len(self.compared)
        node = self.node(tree.children[0])
        del self.compared[compared:]  # tested for emptiness, not compared
        if node.field is None:
            words = "is not empty" if negate else "is empty"
            raise ConditionError(
                f"{words} tests a field, such as contact {words}; found {node.describe()}",
                node.pos,
            )
        name = node.field
        if negate:
            return Node("bool", node.pos, lambda v, t: v.get(name) is not None)
        return Node("bool", node.pos, lambda v, t: v.get(name) is None)

    def c_not_empty(self, tree: Any) -> Node:
        return self.c_empty(tree, negate=True)

    def c_arith(self, tree: Any) -> Node:
        left, op_tok, right = tree.children
        a, b = self.node(left), self.node(right)
        op = str(op_tok)
        pos = _pos(tree)
        for side in (a, b):
            if side.kind in ("bool", "list", "stage", "text", "string"):
                raise ConditionError(
                    f"{op} works on numbers, or on a date and days(n); found {side.describe()}",
                    side.pos,
                )
        kinds = (a.kind, b.kind)
        if kinds == ("number", "number"):
            kind = "number"
        elif kinds == ("date", "days") or (kinds == ("days", "date") and op == "+"):
            kind = "date"
        elif kinds == ("date", "date"):
            raise ConditionError(
                "one date cannot be subtracted from another; compare the dates, or add days(n) "
                "to one of them",
                _pos(op_tok),
            )
        else:
            fix = ""
            if kinds == ("date", "number") and b.is_const:  # today + 30
                fix = f": write {a.text} {op} days({b.text})"
            raise ConditionError(
                f"cannot {'add' if op == '+' else 'subtract'} {b.describe()} "
                f"{'to' if op == '+' else 'from'} {a.describe()}; + and - work on numbers, "
                f"or on a date and days(n){fix}",
                _pos(op_tok),
            )
        if a.is_const and b.is_const:
            value = a.const + b.const if op == "+" else a.const - b.const
            return Node(kind, pos, const=value)
        if kind == "date" and a.offset is not None and b.is_const:  # today + days(30)
            offset = a.offset + b.const if op == "+" else a.offset - b.const
            return Node(kind, pos, lambda v, t: t + offset, offset=offset)
        if kind == "date" and b.offset is not None and a.is_const:  # days(30) + today
            offset = b.offset + a.const
            return Node(kind, pos, lambda v, t: t + offset, offset=offset)
        fa, fb = a.getter(), b.getter()
        if op == "+":

            def add(v: Mapping[str, Any], t: dt.date) -> Any:
                x = fa(v, t)
                if x is None:
                    return None
                y = fb(v, t)
                return None if y is None else x + y

            return Node(kind, pos, add)

        def sub(v: Mapping[str, Any], t: dt.date) -> Any:
            x = fa(v, t)
            if x is None:
                return None
            y = fb(v, t)
            return None if y is None else x - y

        return Node(kind, pos, sub)

    def c_compare(self, tree: Any) -> Node:
        left, op_tok, right = tree.children
        a, b = self.node(left), self.node(right)
        op = str(op_tok)
        pos = _pos(tree)
        for side in (a, b):
            if side.kind == "bool":
                raise ConditionError(
                    "compare values, not conditions (join conditions with and / or)", side.pos
                )
            if side.kind == "list":
                raise ConditionError("a list goes after in: stage in [...]", side.pos)
            if side.kind == "days":
                raise ConditionError(
                    "days(n) is added to or subtracted from a date, such as today + days(30)",
                    side.pos,
                )
        if a.kind == "stage" or b.kind == "stage":
            return self._compare_stage(a, op, b, pos)
        if a.kind in ("text", "string") and b.kind in ("text", "string"):
            if op not in ("==", "!="):
                raise ConditionError(
                    f"text is compared with == or != (or in [...]), not {op}", _pos(op_tok)
                )
            return self._compare_text(a, op, b, pos)
        if a.kind != b.kind:
            raise ConditionError(self._mismatch(a, b), b.pos)
        self._percent_scale(a, b)
        return Node("bool", pos, compare(a, op, b))

    def _percent_scale(self, a: Node, b: Node) -> None:
        """``discount > 20``: a percent field holds fractions (20% is 0.2), so a plain number
        above 1 means more than 100 %: a rule that can never fire as meant."""
        for f, c in ((a, b), (b, a)):
            ftype = self.scope.fields.get(f.field) if f.field is not None else None
            if ftype != "percent" or not c.is_const or c.kind != "number":
                continue
            if "%" not in c.text and isinstance(c.const, Decimal) and c.const > 1:
                raise ConditionError(
                    f"{f.field} is a percentage, read as a fraction (20% is 0.2): "
                    f"{c.text} would mean {c.const * 100:f}%; write {c.text}%",
                    c.pos,
                )

    def _mismatch(self, a: Node, b: Node) -> str:
        text = f"cannot compare {a.describe()} with {b.describe()}"
        for side in (a, b):
            if side.kind == "string" and isinstance(side.const, str):
                try:
                    Decimal(side.const)
                    return text + "; write numbers without quotes"
                except InvalidOperation:
                    pass
                if _ISO_DATE.fullmatch(side.const):
                    return text + f'; write dates as date("{side.const}")'
            iso = iso_of(side.text) if side.kind == "number" else None
            if iso is not None:  # expected_close < 2026-12-31: a subtraction of numbers
                return text + f'; write dates as date("{iso}")'
        return text

    def _stage_of(self, node: Node) -> str:
        if node.kind != "string":
            raise ConditionError(
                "a stage compares with a stage name in double quotes, such as "
                f'"{self.scope.stage_ids[min(4, len(self.scope.stage_ids) - 1)]}"; '
                f"found {node.describe()}",
                node.pos,
            )
        sid = self.scope.stage_names.get(normalise(str(node.const)))
        if sid is None:
            near = get_close_matches(
                normalise(str(node.const)), list(self.scope.stage_names), n=1, cutoff=0.75
            )
            hint = ""
            if near:  # 合同签定: did you mean '合同签订' (contract)? in the words it was near
                sid = self.scope.stage_names[near[0]]
                hint = f" (did you mean {near[0]!r}{f' ({sid})' if near[0] != sid else ''}?)"
            raise ConditionError(
                f"unknown stage {node.const!r}{hint}; expected one of the profile's stages: "
                f"{', '.join(self.scope.stage_ids)} (ids, labels or aliases)",
                node.pos,
            )
        return sid

    def _compare_stage(self, a: Node, op: str, b: Node, pos: int) -> Node:
        index = self.stage_index
        if a.kind == "stage" and b.kind == "stage":
            fa, fb = a.getter(), b.getter()
            cmp = OPS[op]

            def both(v: Mapping[str, Any], t: dt.date) -> bool:
                x, y = index.get(fa(v, t)), index.get(fb(v, t))
                return x is not None and y is not None and cmp(x, y)

            return Node("bool", pos, both)
        if a.kind != "stage":  # "negotiation" <= stage: the same as stage >= "negotiation"
            a, b, op = b, a, FLIP[op]
        target = index[self._stage_of(b)]
        cmp = OPS[op]
        ids = frozenset(sid for sid, i in index.items() if cmp(i, target))
        name = a.field
        assert name is not None  # a stage operand is the stage column (a text was swapped to b)
        return Node("bool", pos, lambda v, t: v.get(name) in ids)

    def _compare_text(self, a: Node, op: str, b: Node, pos: int) -> Node:
        if a.is_const and not b.is_const:
            a, b = b, a
        equal = op == "=="
        norm = memo_normalise()
        if b.is_const:
            c = normalise(str(b.const))
            if a.is_const:
                result = (normalise(str(a.const)) == c) == equal
                return Node("bool", pos, lambda v, t: result)
            if a.field is not None:
                return Node("bool", pos, text_test(a.field, lambda n: (n == c) == equal))
        fa, fb = a.getter(), b.getter()

        def texts(v: Mapping[str, Any], t: dt.date) -> bool:
            x = fa(v, t)
            if x is None:
                return False
            y = fb(v, t)
            return y is not None and (norm(x) == norm(y)) == equal

        return Node("bool", pos, texts)

    # --- in -------------------------------------------------------------------------------

    def c_in(self, tree: Any) -> Node:
        a, b = self.node(tree.children[0]), self.node(tree.children[1])
        pos = _pos(tree)
        if b.kind != "list" or b.items is None:
            raise ConditionError(
                f'in takes a list in brackets, such as ["a", "b"]; found {b.describe()}', b.pos
            )
        if a.kind in ("bool", "list", "days"):
            raise ConditionError(
                f"in tests a value, such as owner in [...]; found {a.describe()}", a.pos
            )
        fa = a.getter()
        if a.kind == "stage":
            ids = frozenset(self._stage_of(it) for it in b.items)
            if a.field is not None:
                name = a.field
                return Node("bool", pos, lambda v, t: v.get(name) in ids)
            return Node("bool", pos, lambda v, t: fa(v, t) in ids)
        want = "string" if a.kind in ("text", "string") else a.kind
        for it in b.items:
            if it.kind != want:
                raise ConditionError(
                    f"this list is compared with {a.describe()}, but holds {it.describe()}",
                    it.pos,
                )
        if want == "string":
            norm = memo_normalise()
            texts = frozenset(normalise(str(it.const)) for it in b.items)
            if a.field is not None:
                return Node("bool", pos, text_test(a.field, lambda n: n in texts))
            return Node("bool", pos, lambda v, t: (x := fa(v, t)) is not None and norm(x) in texts)
        values = frozenset(it.const for it in b.items)
        if a.field is not None:
            name = a.field
            return Node("bool", pos, lambda v, t: v.get(name) in values)
        return Node("bool", pos, lambda v, t: fa(v, t) in values)
