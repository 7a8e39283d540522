"""What every settings model shares: one validation approach for profiles, ``documents:`` and
``notifications:``.

Each section is a pydantic model of the YAML as written (``ConfigModel``: strict types, unknown
keys refused). A field says what it expects once, as ``Expect("a number from 0 to 1")`` in its
``Annotated`` metadata; `salessheet.settings.problems` turns every pydantic error into
``file:line: key.path: found X, expected Y`` using that text. A check that needs more than the
value itself raises ``problem(...)``, which may name a sibling key (``at=``) or an item inside
the value (``sub=``), so one validator can report several places at once.

Adding a key to a config is one line in a model: ``new_key: Annotated[int, Expect("...")] = 3``.
"""

import types
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()

# Annotated metadata, unpacked into the field's annotation: Annotated[str, *text("a name")]
Metadata = tuple[Any, ...]


class Expect:
    """Annotated metadata: what a value should be, for messages.

    ``missing`` is the text used when the key is absent (default: ``text``).
    """

    __slots__ = ("missing", "text")

    def __init__(self, text: str, missing: str | None = None):
        self.text = text
        self.missing = missing or text

    def __repr__(self) -> str:
        return f"Expect({self.text!r})"


def unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """The bare type and its Annotated metadata (outermost first); ``X | None`` is X."""
    meta: list[Any] = []
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            meta.extend(tp.__metadata__)
            tp = tp.__origin__
        elif origin in (Union, types.UnionType):
            arms = [a for a in get_args(tp) if a is not type(None)]
            if len(arms) != 1:
                return tp, meta
            tp = arms[0]
        else:
            return tp, meta


def expect_of(meta: list[Any]) -> Expect | None:
    return next((m for m in meta if isinstance(m, Expect)), None)


def _describe_keys(schema: dict[str, Any], cls: type[BaseModel]) -> None:
    """JSON Schema: each key's expected value is its description (editors show it)."""
    props = schema.get("properties", {})
    for name, f in cls.model_fields.items():
        prop = props.get(f.alias or name)
        if prop is not None and "description" not in prop:
            expect = expect_of([*f.metadata, *unwrap(f.annotation)[1]])
            if expect:
                prop["description"] = f"expected: {expect.text}"


class ConfigModel(BaseModel):
    """A mapping in a config file: strict YAML types, unknown keys listed as problems."""

    model_config = ConfigDict(
        strict=True, extra="forbid", frozen=True, json_schema_extra=_describe_keys
    )

    #: how an unknown key is reported: "unknown key" or, for header maps, "unknown field"
    unknown_word: ClassVar[str] = "unknown key"

    @classmethod
    def keys(cls) -> list[str]:
        return [f.alias or name for name, f in cls.model_fields.items()]

    @classmethod
    def unknown_key_note(cls, key: Any, above: Any = None) -> str:
        """``above``: the key written just before it in the same mapping, if known."""
        keys = cls.keys()
        hint = near(key, keys)
        if not hint and isinstance(key, str) and _CHINESE_KEYS.get(key.strip()) in keys:
            hint = f" (config keys are English: did you mean {_CHINESE_KEYS[key.strip()]!r}?)"
        if not hint:
            hint = cls._inner_key_hint(key, above)
        return f"{cls.unknown_word}{hint}, expected one of: {', '.join(sorted(keys))}"

    @classmethod
    def _inner_key_hint(cls, key: Any, above: Any = None) -> str:
        """`` (required is a key of each entry of stages: ...)``: a key written one level
        too far left, out of the list or mapping above it (that one first, when it has the
        key: stages and columns both have required)."""
        holders = []
        for name, f in cls.model_fields.items():
            inner = _model_in(f.annotation)
            if inner is not None and key in inner.keys():
                holders.append(f.alias or name)
        if not holders:
            return ""
        where = above if above in holders else holders[0]
        return (
            f" ({key} is a key of each entry of {where}: if it belongs to the entry above it, "
            "indent it under that entry)"
        )


def _model_in(tp: Any) -> type[ConfigModel] | None:
    """The ConfigModel a field holds: itself, or the items of a list or the values of a
    mapping of them."""
    tp, _ = unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, ConfigModel):
        return None  # a mapping of its own: its keys sit under its name, not in entries
    for arg in get_args(tp)[-1:]:
        inner, _ = unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, ConfigModel):
            return inner
    return None


# keys a team writing Chinese may write for the English ones (only said when the mapping
# has that key)
_CHINESE_KEYS = {
    "名称": "name",
    "货币": "currency",
    "币种": "currency",
    "时区": "timezone",
    "语言": "locale",
    "工作表": "sheet",
    "表头行": "header_row",
    "列": "columns",
    "字段": "columns",
    "阶段": "stages",
    "规则": "rules",
    "类型": "type",
    "别名": "aliases",
    "必填": "required",
    "标签": "label",
    "中文标签": "label_zh",
    "概率": "probability",
    "结果": "outcome",
    "条件": "when",
    "检查": "check",
    "级别": "severity",
    "消息": "message",
}


def near(word: Any, choices: Iterable[str]) -> str:
    """`` (did you mean 'currency'?)`` for a near miss of one of ``choices``, else ''.
    Case and spaces do not count (``Negotiation`` is a near miss of ``negotiation``)."""
    if not isinstance(word, str) or not word.strip():
        return ""
    folded = {c.lower().replace(" ", "_"): c for c in choices if isinstance(c, str)}
    got = get_close_matches(word.strip().lower().replace(" ", "_"), list(folded), n=1, cutoff=0.75)
    return f" (did you mean {folded[got[0]]!r}?)" if got and folded[got[0]] != word else ""


def problem(
    expected: str | None = None,
    *,
    found: Any = MISSING,
    note: str | None = None,
    at: tuple[Any, ...] | None = None,
    sub: tuple[Any, ...] | None = None,
) -> PydanticCustomError:
    """One problem, raised from a validator. ``found`` defaults to the value validated.

    ``sub`` names a place inside the value (``(2,)``: its third item); ``at`` names a place
    relative to the mapping that holds the field (``("manager_to",)``: a sibling key, ``()``:
    the mapping itself). Give ``expected`` ("found X, expected ...") or a ``note`` (said as is).
    """
    return problems([item(expected, found=found, note=note, at=at, sub=sub)])


def item(
    expected: str | None = None,
    *,
    found: Any = MISSING,
    note: str | None = None,
    at: tuple[Any, ...] | None = None,
    sub: tuple[Any, ...] | None = None,
    reads: tuple[tuple[Any, ...], ...] = (),
    hint: str = "",
) -> dict[str, Any]:
    """One problem of several (see ``problem``). ``reads``: the values the check read to find
    it (key paths relative as the place is: with ``at``, to the mapping; else to the value;
    default: everything at the place named): a problem found while one of them could not be
    read as written waits for the next check (salessheet.settings.problems.every_problem).
    ``hint``: said after the value found, such as ``near``'s did-you-mean."""
    return {
        "expected": expected,
        "found": found,
        "note": note,
        "at": at,
        "sub": sub,
        "reads": reads,
        "hint": hint,
    }


def problems(items: list[dict[str, Any]]) -> PydanticCustomError:
    """Several problems from one validator (see ``item``)."""
    first = items[0]
    return PydanticCustomError(
        "settings", "{summary}", {"summary": first["note"] or first["expected"], "items": items}
    )


# ----------------------------------------------------------------------- values as YAML has them


def kind_of(value: Any) -> str:
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def found_text(value: Any) -> str:
    """``'rmb' (text)``, ``1.5 (a number)``, ``nothing``: how a value found is shown."""
    if value is None or value is MISSING or (isinstance(value, str) and not value.strip()):
        return "nothing"
    if hasattr(value, "isoformat") and not isinstance(value, (int, float)):
        shown = str(value)
        return f"{shown} (a date)"
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} ({kind_of(value)})"


def _no_blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("blank")
    return value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _number_as_text(value: Any) -> Any:
    """A tax id or account number YAML read as a number is still text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def to_decimal(value: Any) -> Any:
    """YAML numbers and numeric text as Decimal (``0.05``, not the float's binary value)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, str)):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            return value
    return value


# The helpers below give a field's metadata; the type is written where the field is, so type
# checkers see it: ``label: Annotated[str, *text("a stage label")]``,
# ``stall_clock: Annotated[StallClock, *choice(STALL_CLOCKS)]``.


def text(expected: str = "a non-empty text value", missing: str | None = None) -> Metadata:
    """Non-empty text (stripped of nothing: labels and names are kept as written)."""
    return (BeforeValidator(_no_blank), Expect(expected, missing))


def loose_text(expected: str = "text") -> Metadata:
    """Text where YAML may have read a number (tax ids, account numbers, sheet names)."""
    return (BeforeValidator(_number_as_text), Expect(expected))


def choice(values: tuple[str, ...], expected: str | None = None, *, fold: bool = False) -> Metadata:
    """One of ``values``, the values of the field's ``Literal`` type (``fold``: any case,
    surrounding spaces ignored). ``expected`` defaults to "one of" the values; a field that
    says it itself needs no helper: ``Annotated[Literal["a", "b"], Expect("a or b")]``."""
    expect = Expect(expected or "one of " + ", ".join(values))
    return (BeforeValidator(_lower), expect) if fold else (expect,)


def checked(test: Callable[[Any], object], expected: str) -> Metadata:
    """Values for which ``test`` holds (is true); ``expected`` says what that means."""
    from pydantic import AfterValidator

    def check(value: Any) -> Any:
        if not test(value):
            raise ValueError(expected)
        return value

    return (AfterValidator(check), Expect(expected))


strip = BeforeValidator(_strip)
