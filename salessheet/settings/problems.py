"""Pydantic errors as the messages a user reads: ``file:line: key.path: found X, expected Y``.

Each error's ``loc`` is walked through the model classes and the data side by side: that gives
the key path as written (``stages[3] (negotiation).probability``), the ``Expect`` text of the
field (see salessheet.settings.base), the value found, and, through the ``Where`` tree of
salessheet.settings.source, the file and line. Problems are listed in the order of the models'
fields (unknown keys first in each mapping), so the order does not depend on pydantic's.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from difflib import get_close_matches
from typing import Annotated, Any, NamedTuple, TypeVar, Union, get_args, get_origin

from pydantic import Tag, ValidationError
from pydantic_core import ErrorDetails

from salessheet.settings.base import MISSING, ConfigModel, expect_of, found_text, near
from salessheet.settings.base import unwrap as _unwrap
from salessheet.settings.source import Where, kid

M = TypeVar("M", bound=ConfigModel)

_GENERIC = {
    "string_type": "text",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "float_type": "a number",
    "is_instance_of": "a number",
    "decimal_type": "a number",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "missing": "a value",
}


class Problem(NamedTuple):
    rank: tuple[int, ...]
    loc: tuple[Any, ...]  # the key path, without pydantic's union tags
    text: str  # the message
    prune: tuple[Any, ...] | None  # what to drop for a best-effort retry
    file: str  # where the value was written ("" when not known)
    line: int
    reads: tuple[tuple[Any, ...], ...] = ()  # other values the check read (key paths)
    kind: str = ""  # pydantic's error type ("missing", "extra_forbidden", ...)


class _Step(NamedTuple):
    path: str
    rank: tuple[int, ...]
    loc: tuple[Any, ...]
    value: Any
    meta: list[Any]
    tp: Any
    holder: type[ConfigModel] | None  # the model holding the last key, if it is a model key


def describe(
    exc: ValidationError,
    model: type[ConfigModel],
    data: Any,
    label: str,
    where: Where | None = None,
    prefix: tuple[Any, ...] = (),
) -> list[str]:
    """Every problem in ``exc`` as a message, in a stable order."""
    return [p.text for p in collect(exc, model, data, label, where, prefix)]


def collect(
    exc: ValidationError,
    model: type[ConfigModel],
    data: Any,
    label: str,
    where: Where | None = None,
    prefix: tuple[Any, ...] = (),
    origin: tuple[Any, Callable[[tuple[Any, ...]], tuple[Any, ...]]] | None = None,
) -> list[Problem]:
    """The problems of ``exc``. ``origin``: when ``data`` is a pruned copy (see ``every_problem``),
    the data as written and the function that maps a key path in the copy to one in it: the
    messages then name the places as written."""
    out: list[Problem] = []
    start = where
    for el in prefix:
        start = kid(start, el)
    shown, to_origin = origin if origin is not None else (data, _same)
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "settings":
            base = _walk(model, data, loc).loc
            for it in err["ctx"]["items"]:
                full = base + tuple(it["sub"] or ()) if it["at"] is None else base[:-1] + it["at"]
                full = to_origin(full)
                # relative to what the place is relative to: the mapping (at) or the value
                root = base if it["at"] is None else base[:-1]
                reads = tuple(to_origin(root + tuple(r)) for r in it.get("reads") or ())
                step = _walk(model, shown, full, start)
                if it["note"]:
                    text = it["note"]
                else:
                    value = step.value if it["found"] is MISSING else it["found"]
                    hint = it.get("hint") or ""
                    text = f"found {found_text(value)}{hint}, expected {it['expected']}"
                out.append(_problem(step, text, label, where, prefix, full, reads))
            continue
        step = _walk(model, shown, to_origin(loc), start)
        if kind == "extra_forbidden":
            holder = step.holder
            key = step.loc[-1] if step.loc else "?"
            above = _key_above(start, step.loc)
            text = holder.unknown_key_note(key, above) if holder else "unknown key"
            prune = step.loc
        elif kind == "missing":
            expect = expect_of(step.meta)
            text = f"missing, expected {expect.missing if expect else 'a value'}"
            text += _new_stage_hint(data, start, step.loc)
            prune = step.loc[:-1]
        else:
            expect = expect_of(step.meta)
            expected = expect.text if expect else _generic(err, step.tp)
            hint = ""
            if kind == "literal_error" and get_origin(step.tp) is typing.Literal:
                hint = near(err.get("input"), [str(a) for a in get_args(step.tp)])
            hint = hint or _outdented_hint(step, err.get("input"))
            text = f"found {found_text(err.get('input'))}{hint}, expected {expected}"
            prune = step.loc
        out.append(_problem(step, text, label, where, prefix, prune)._replace(kind=kind))
    return _in_order(out)


def _in_order(found: list[Problem]) -> list[Problem]:
    """In the order of the models' fields; when lines are known, file by file, line by line;
    each message once; a key missing where an unknown key is its near miss (``colum:``) is one
    problem, the unknown key's (it says what was meant)."""
    typos = {
        p.loc[:-1] + (near_key,)
        for p in found
        if p.kind == "extra_forbidden" and p.loc
        for near_key in _meant(p)
    }
    found = [p for p in found if not (p.kind == "missing" and p.loc in typos)]
    out = sorted(found, key=lambda p: p.rank)
    files = {f: i for i, f in reversed(list(enumerate(p.file for p in out)))}
    out.sort(key=lambda p: (files[p.file], p.line))
    seen: set[str] = set()
    unique = []
    for p in out:
        if p.text not in seen:
            seen.add(p.text)
            unique.append(p)
    return unique


def _key_above(where: Where | None, loc: tuple[Any, ...]) -> str | None:
    """The key written just above the key at ``loc``, in the same mapping of the same file."""
    for el in loc[:-1]:
        where = kid(where, el)
    this = kid(where, loc[-1]) if loc else None
    if where is None or this is None or not isinstance(where.kids, dict):
        return None
    before = [
        (w.line, k) for k, w in where.kids.items() if w.file == this.file and w.line < this.line
    ]
    return max(before)[1] if before else None


def _meant(p: Problem) -> list[str]:
    """The key an unknown key's message suggests (its did-you-mean), if any."""
    m = re.search(r"did you mean '([^']+)'\?\)", p.text)
    return [m.group(1)] if m else []


def _same(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    return loc


def _problem(
    step: _Step,
    text: str,
    label: str,
    where: Where | None,
    prefix: tuple[Any, ...],
    prune: tuple[Any, ...] | None,
    reads: tuple[tuple[Any, ...], ...] = (),
) -> Problem:
    shown = ".".join(prefix)  # the section, when a section is parsed on its own
    if step.path:
        shown = f"{shown}.{step.path}" if shown else step.path
    w = where
    for el in (*prefix, *step.loc):
        nxt = kid(w, el)
        if nxt is None:
            break
        w = nxt
    head = f"{w.file}:{w.line}" if w is not None else label
    message = f"{head}: {shown}: {text}" if shown else f"{head}: {text}"
    if w is not None and w.via is not None and w.via != w.line:
        message += f" (the value is used at line {w.via} through a YAML alias)"
    file, line = (w.file, w.line) if w is not None else ("", 0)
    return Problem(step.rank, step.loc, message, prune, file, line, reads)


def _outdented_hint(step: _Step, value: Any) -> str:
    """``columns.currency: EUR``, meant as the currency of the column above it: a key of an
    entry written one indentation level too far left becomes an entry itself."""
    tp, key = step.tp, step.loc[-1] if step.loc else None
    if isinstance(value, (dict, list)) or not isinstance(key, str) or len(step.loc) < 2:
        return ""
    if not (isinstance(tp, type) and issubclass(tp, ConfigModel)) or key not in tp.keys():
        return ""
    return (
        f" ({key} is also a key of each entry of {step.loc[-2]}: if it belongs to the entry "
        "above it, indent it under that entry)"
    )


def _generic(err: ErrorDetails, tp: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "literal_error":
        values = get_args(tp) if get_origin(tp) is typing.Literal else ()
        return "one of " + ", ".join(map(str, values)) if values else str(ctx.get("expected"))
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {
            "greater_than_equal": "≥",
            "greater_than": ">",
            "less_than_equal": "≤",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()), "")
        return f"a number {sign} {bound}"
    return _GENERIC.get(kind, err.get("msg", "something else"))


def _tags(tp: Any) -> dict[str, Any] | None:
    if get_origin(tp) not in (Union, types.UnionType):
        return None
    out = {}
    for arm in get_args(tp):
        for m in getattr(arm, "__metadata__", ()):
            if isinstance(m, Tag):
                out[m.tag] = arm
    return out or None


def _new_stage_hint(data: Any, where: Where | None, loc: tuple[Any, ...]) -> str:
    """For a key missing from a stage item of a file that extends another: an id that is a
    near miss of a parent's stage (``negotiaton``) made the item a new stage, which must be
    complete. Says which stage was probably meant."""
    stages = data.get("stages") if isinstance(data, dict) else None
    if len(loc) != 3 or loc[0] != "stages" or not isinstance(stages, list):
        return ""
    i = loc[1]
    item = stages[i] if isinstance(i, int) and 0 <= i < len(stages) else None
    sid = item.get("id") if isinstance(item, dict) else None
    items = kid(where, "stages")
    places = items.kids if items is not None and isinstance(items.kids, list) else []
    if not isinstance(sid, str) or len(places) != len(stages):
        return ""
    theirs = [
        s["id"]
        for s, w in zip(stages, places, strict=True)
        if isinstance(s, dict) and isinstance(s.get("id"), str) and w.file != places[i].file
    ]
    near = get_close_matches(sid, theirs, n=1, cutoff=0.75)
    if not near:
        if not theirs:
            return ""
        others = [s["id"] for s in stages if isinstance(s, dict) and s.get("id") not in (sid, None)]
        return (
            f" (stage {sid!r} is not one of the stages it extends ({', '.join(map(str, others))}"
            "), so it is a new stage and needs a label; to rename a stage, keep its id and set "
            "label:)"
        )
    return (
        f" (stage {sid!r} is not one of the stages it extends, so it is a new stage; "
        f"did you mean {near[0]!r}?)"
    )


def _walk(
    model: type[ConfigModel], data: Any, loc: tuple[Any, ...], where: Where | None = None
) -> _Step:
    """The key path of ``loc`` as written; a list item is named by its place in the file
    that wrote it when ``where`` knows it (a stage updated through ``extends:``)."""
    tp: Any = model
    value = data
    last = where  # the deepest place known: the file the message will name
    items: list[tuple[int, int, Where | None, Any]] = []  # list items: (part, index, where, id)
    parts: list[str] = []
    rank: list[int] = []
    clean: list[Any] = []
    holder: type[ConfigModel] | None = None
    key_tp: Any = Any
    meta: list[Any] = []
    for el in loc:
        tp, meta = _unwrap(tp)
        tags = _tags(tp)
        if tags is not None and el in tags:
            tp = tags[el]
            continue
        if el == "[key]":
            tp = key_tp
            continue
        holder = None
        if isinstance(tp, type) and issubclass(tp, ConfigModel):
            fields = tp.model_fields
            names = {(f.alias or n): n for n, f in fields.items()}
            name = names.get(el)
            holder = tp
            if name is None:
                rank.append(-1)
                tp = Any
            else:
                rank.append(list(fields).index(name))
                f = fields[name]
                tp = Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation
            parts.append(f".{el}")
            value = value.get(el, MISSING) if isinstance(value, dict) else MISSING
        elif isinstance(el, int):
            item = value[el] if isinstance(value, list) and 0 <= el < len(value) else MISSING
            sid = item.get("id") if isinstance(item, dict) else None
            items.append((len(parts), el, kid(where, el), sid))
            parts.append("")
            rank.append(el)
            args = get_args(tp)
            tp = args[0] if args else Any
            value = item
        else:
            keys = list(value) if isinstance(value, dict) else []
            rank.append(keys.index(el) if el in keys else len(keys))
            args = get_args(tp) if get_origin(tp) is dict else ()
            key_tp, tp = args if args else (Any, Any)
            parts.append(f".{el}")
            value = value.get(el, MISSING) if isinstance(value, dict) else MISSING
        clean.append(el)
        where = kid(where, el)
        last = where or last
    for at, el, w, sid in items:
        # its place in the file the message names (else in the merged list)
        same = w is not None and last is not None and w.file == last.file
        shown = w.place if same and w.place is not None else el  # type: ignore[union-attr]
        parts[at] = f"[{shown}] ({sid})" if isinstance(sid, str) else f"[{shown}]"
    tp, meta = _unwrap(tp)
    return _Step("".join(parts).lstrip("."), tuple(rank), tuple(clean), value, meta, tp, holder)


# ------------------------------------------------------------------------------ best effort


def prune(data: Any, locs: list[tuple[Any, ...]]) -> Any:
    """A copy of ``data`` without the values at ``locs`` (so defaults take their place)."""
    if any(not loc for loc in locs):
        return None
    out = _copy(data)
    drops: dict[int, tuple[Any, list[Any]]] = {}
    for loc in locs:
        parent = out
        for el in loc[:-1]:
            try:
                parent = parent[el]
            except (KeyError, IndexError, TypeError):
                parent = None
                break
        if isinstance(parent, (dict, list)):
            drops.setdefault(id(parent), (parent, []))[1].append(loc[-1])
    for parent, keys in drops.values():
        if isinstance(parent, dict):
            for k in keys:
                parent.pop(k, None)
        else:
            for i in sorted({k for k in keys if isinstance(k, int)}, reverse=True):
                if i < len(parent):
                    del parent[i]
    return out


def _copy(data: Any) -> Any:
    """A copy in which no two places share a mapping or list: a YAML alias repeats one value
    at two places (deepcopy keeps them shared), and taking a bad value away at one of them
    must leave the other as written."""
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


def best_effort(
    model: type[M], data: Any, context: dict[str, Any], label: str, prefix: tuple[Any, ...]
) -> tuple[M | None, list[str]]:
    """The model, or the model of the data less every bad value; and the problems found."""
    try:
        return model.model_validate(data, context=context), []
    except ValidationError as exc:
        found = collect(exc, model, data, label, None, prefix)
    messages = [p.text for p in found]
    for _ in range(4):
        data = prune(data, [p.prune for p in found if p.prune is not None])
        if data is None:
            break
        try:
            return model.model_validate(data, context=context), messages
        except ValidationError as exc:
            found = collect(exc, model, data, label, None, prefix)
    return None, messages


# ------------------------------------------------------------------------------ every problem

MAX_PASSES = 8  # each pass can only find problems in parts the passes before let validate


def every_problem(
    model: type[M],
    data: Any,
    context: dict[str, Any],
    label: str,
    where: Where | None = None,
) -> tuple[M | None, list[Problem]]:
    """The model, or every problem this validation can find in one go.

    Pydantic runs a check across keys (no stage twice, a ``currency`` only on a money column,
    ...) only once the values it reads have validated, so a first pass hides those checks
    behind any problem elsewhere in the file: a user would fix one round of problems to meet
    the next. Here each pass validates the data less every value found bad so far (defaults
    take their place), and keeps the new problems, named at their places as written, that read
    none of those values: a check that read a default instead of what the user wrote could
    report a problem the file does not have, so it waits for the next run.
    """
    try:
        return model.model_validate(data, context=context), []
    except ValidationError as exc:
        found = collect(exc, model, data, label, where)
    pruned = {p.prune for p in found if p.prune is not None}
    for _ in range(MAX_PASSES - 1):
        if not pruned or () in pruned:
            break  # nothing to take away, or the whole file is wrong
        less = prune(data, list(pruned))
        try:
            model.model_validate(less, context=context)
            break
        except ValidationError as exc:
            more = collect(exc, model, less, label, where, origin=(data, _origin(data, pruned)))
        found += [p for p in more if not _reads_pruned(p, pruned)]
        more_pruned = {p.prune for p in more if p.prune is not None} - pruned
        if not more_pruned:
            break
        pruned |= more_pruned
    return None, _in_order(found)


def _reads_pruned(p: Problem, pruned: set[tuple[Any, ...]]) -> bool:
    """Did the check behind ``p`` read a value taken away? Its own place and what it says it
    read (``item(reads=...)``); a check that does not say read everything at its place."""

    def overlap(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
        n = min(len(a), len(b))
        return a[:n] == b[:n]

    for gone in pruned:
        if p.loc[: len(gone)] == gone:  # the place itself, or what holds it
            return True
        if any(overlap(r, gone) for r in p.reads or (p.loc,)):
            return True
    return False


def _origin(
    data: Any, pruned: set[tuple[Any, ...]]
) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """Maps a key path in ``prune(data, pruned)`` to the same place in ``data``: list items
    after a removed one moved up; the path names them where the user wrote them."""
    gone: dict[tuple[Any, ...], list[int]] = {}
    for loc in pruned:
        if loc and isinstance(loc[-1], int):
            gone.setdefault(loc[:-1], []).append(loc[-1])
    for removed in gone.values():
        removed.sort()

    def to_origin(loc: tuple[Any, ...]) -> tuple[Any, ...]:
        out: list[Any] = []
        value = data
        path: tuple[Any, ...] = ()
        for el in loc:
            if isinstance(value, list) and isinstance(el, int) and not isinstance(el, bool):
                for g in gone.get(path, ()):
                    if g <= el:
                        el += 1
                value = value[el] if 0 <= el < len(value) else MISSING
            elif isinstance(value, dict) and el in value:
                value = value[el]
            else:
                out.append(el)  # a union's tag, or a key not written: not a place in the data
                continue
            out.append(el)
            path = (*path, el)
        return tuple(out)

    return to_origin
