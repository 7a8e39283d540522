"""The team's own policy in a profile: ``rules:``, ``approvers:``, and per stage ``guidance:``
and ``on_enter:`` (the README's "Your team's rules" explains each key).

- ``rules:`` a list of conditional checks. Each has an ``id`` (kebab-case: it becomes the
  finding code), an optional ``when`` condition, and either ``require: [fields]`` or ``check:
  <condition>``, a ``severity`` and an optional ``message`` (text or ``{en: ..., zh: ...}``).
  Conditions are compiled once, here, when the profile loads (salessheet.settings.conditions);
  a bad one is a config problem naming the rule, the column in the expression and the line.
- ``approvers: {default: [names], by_owner: {Ann: [names]}}``: who may approve. A rule that
  requires the ``approver`` field then wants one of these names, not just any text.
- ``stages[].guidance``: short exit criteria (text or ``{en, zh}``) shown in the ``init``
  workbook, in digests and as ``guidance`` on the JSON findings about a deal in that stage.
- ``stages[].on_enter``: actions for a deal that entered the stage (issue a quote or contract in
  a format; notify an e-mail address or a chat target of ``notifications.webhooks``). Declared
  and checked here; the nightly run carries them out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, ValidationInfo, model_validator
from pydantic.json_schema import WithJsonSchema

from salessheet.core.catalogue import Check, profile_check, profile_code_problem
from salessheet.core.textnorm import normalise
from salessheet.settings.base import (
    ConfigModel,
    Expect,
    choice,
    item,
    near,
    problem,
    problems,
    text,
)
from salessheet.settings.conditions import Condition, ConditionError, Scope, compile_condition
from salessheet.settings.notify import is_email_address, normalize_owner

__all__ = [
    "ActionModel",
    "Approvers",
    "ApproversModel",
    "Bilingual",
    "RuleModel",
    "StageAction",
    "TeamRule",
]

Lang = Literal["en", "zh"]
LANGS: tuple[str, ...] = get_args(Lang)
RuleSeverity = Literal["error", "warning", "info"]
RULE_SEVERITIES: tuple[str, ...] = get_args(RuleSeverity)
DocumentKind = Literal["quote", "contract"]
DocumentFormat = Literal["html", "docx", "pdf"]
APPROVER_FIELD = "approver"


# ------------------------------------------------------------------------- runtime objects


@dataclass(frozen=True)
class Bilingual:
    """A short text in English and/or Chinese (one text written for both: ``en == zh``)."""

    en: str | None = None
    zh: str | None = None

    def pick(self, lang: str) -> str:
        """The text in ``lang`` (en|zh), else the other one."""
        first, other = (self.zh, self.en) if lang == "zh" else (self.en, self.zh)
        return first or other or ""

    def both(self) -> str:
        """English, then Chinese in parentheses when both differ: as messages name stages
        (``required in stage negotiation (报价与谈判)``)."""
        if self.en and self.zh and self.en != self.zh:
            return f"{self.en} ({self.zh})"
        return self.en or self.zh or ""

    def text(self, bilingual: bool) -> str:
        """The text of a finding: both languages in a bilingual profile, else English."""
        return self.both() if bilingual else self.pick("en")


@dataclass(frozen=True)
class TeamRule:
    id: str
    check: Check  # code = id, severity, meaning; source "profile"
    when: Condition | None
    require: tuple[str, ...]
    test: Condition | None  # the rule's check: condition
    message: Bilingual | None

    @property
    def severity(self) -> str:
        return self.check.severity

    def fields(self) -> set[str]:
        """Every field the rule reads."""
        out = set(self.require)
        for c in (self.when, self.test):
            if c is not None:
                out.update(c.fields)
        return out


@dataclass(frozen=True)
class Approvers:
    default: tuple[str, ...]
    by_owner: Mapping[str, tuple[str, ...]]  # owner as written -> names (instead of default)
    _lookup: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = {normalize_owner(o): names for o, names in self.by_owner.items()}
        object.__setattr__(self, "_lookup", lookup)

    def for_owner(self, owner: Any) -> tuple[str, ...]:
        """Who may approve a deal of ``owner`` (names compare ignoring case and spacing)."""
        if isinstance(owner, str) and owner.strip():
            names = self._lookup.get(normalize_owner(owner))
            if names is not None:
                return names
        return self.default


@dataclass(frozen=True)
class StageAction:
    """One ``on_enter`` action: ``issue`` a document, or ``notify`` an address or a target."""

    kind: str  # "issue" | "notify"
    document: str | None = None  # quote | contract
    format: str | None = None  # html | docx | pdf
    target: str | None = None  # an e-mail address, or the name of a notifications webhook
    channel: str | None = None  # "email" | "webhook"
    message: Bilingual | None = None

    def describe(self) -> str:
        if self.kind == "issue":
            return f"issue a {self.document} ({self.format})"
        return f"notify {self.target}"


# ------------------------------------------------------------------------- the file's model


def _bilingual(value: Any) -> Any:
    return {lang: value for lang in LANGS} if isinstance(value, str) else value


def _some_text(value: dict[str, str]) -> dict[str, str]:
    if not value:
        raise problem("text, or {en: ..., zh: ...}")
    return value


BilingualText = Annotated[
    dict[Annotated[Lang, Expect("en or zh")], Annotated[str, *text()]],
    BeforeValidator(_bilingual),
    AfterValidator(_some_text),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "properties": {"en": {"type": "string"}, "zh": {"type": "string"}},
                    "additionalProperties": False,
                },
            ]
        }
    ),
    Expect("text, or {en: ..., zh: ...}"),
]


def _compile(source: str, info: ValidationInfo) -> Any:
    """The condition compiled against the profile's fields and stages (``scope`` in the
    validation context), so the validated value is a Condition; its text is ``.source``."""
    scope = (info.context or {}).get("scope")
    if scope is None:
        return source
    try:
        return compile_condition(source, scope)
    except ConditionError as exc:
        # a field whose type: is wrong (reported there) reads as text: what the condition
        # does with it cannot be judged yet
        unsure = (info.context or {}).get("unsure_fields") or ()
        if any(name in unsure for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source)):
            return source
        note = exc.describe(source)
        word = re.match(r"""[^\s<>=!()\[\],+\-"]+""", source[exc.pos :])
        headers = (info.context or {}).get("headers") or {}
        field = headers.get(normalise(word.group())) if word else None
        fields = scope.fields
        if word and field is not None and word.group() not in fields and field in fields:
            note += f" ({word.group()!r} is the header of {field!r}: write {field})"
        elif word and exc.message.startswith("unexpected character"):
            if normalise(word.group()) in scope.stage_names:  # stage >= 报价与谈判
                note += f' (a stage name goes in double quotes: write "{word.group()}")'
        raise problem(note=note) from None


ConditionText = Annotated[
    str,
    BeforeValidator(lambda v: v if not isinstance(v, str) or v.strip() else _blank()),
    AfterValidator(_compile),
    Expect("a condition such as amount > 500000 and contact is empty"),
]


def _blank() -> Any:
    raise ValueError("blank")


Names = Annotated[list[Annotated[str, *text("a name")]], Expect("a list of names")]


def to_bilingual(value: Mapping[Lang, str] | None) -> Bilingual | None:
    if not value:
        return None
    return Bilingual(value.get("en"), value.get("zh"))


def _rule_id(value: str) -> str:
    wanted = profile_code_problem(value)
    if wanted is not None:
        raise problem(wanted)
    return value


def declared_fields(value: list[str], info: ValidationInfo) -> list[str]:
    """Every name in ``value`` is a field the profile declares (``info.context["fields"]``)."""
    fields = (info.context or {}).get("fields")
    if fields:
        wanted = f"a field declared under columns ({', '.join(sorted(fields))})"
        bad = [
            item(wanted, found=f, sub=(i,), hint=field_hint(f, fields, info))
            for i, f in enumerate(value)
            if f not in fields
        ]
        if bad:
            raise problems(bad)
    return value


def field_hint(name: Any, fields: Any, info: ValidationInfo) -> str:
    """A did-you-mean for a name where a field goes: a near field name, or the field whose
    header it is (``联系人`` → contact)."""
    headers = (info.context or {}).get("headers") or {}
    field = headers.get(normalise(name)) if isinstance(name, str) else None
    if field is not None:
        return f" (the header of {field!r}: write {field})"
    return near(name, fields)


def _declared(value: list[str], info: ValidationInfo) -> list[str]:
    declared_fields(value, info)
    if not value:
        raise problem("a list of one or more fields")
    return value


class RuleModel(ConfigModel):
    """One of the team's rules: a deal matching ``when`` must have the ``require`` fields
    filled, or pass the ``check`` condition; else it is a finding coded with the rule's id."""

    id: Annotated[str, AfterValidator(_rule_id), Expect("a rule id in kebab-case")]
    when: ConditionText | None = None
    require: Annotated[list[str], Expect("a list of fields"), AfterValidator(_declared)] | None = (
        None
    )
    check: ConditionText | None = None
    severity: Annotated[RuleSeverity, *choice(RULE_SEVERITIES)] = "warning"
    message: BilingualText | None = None

    @model_validator(mode="after")
    def _require_or_check(self) -> RuleModel:
        if (self.require is None) == (self.check is None):
            note = "expected either require: [fields] or check: <condition>"
            note += ", not both" if self.require is not None else ""
            raise problems([item(note=note, reads=(("require",), ("check",)))])
        return self


class ApproversModel(ConfigModel):
    """Who may approve a deal: ``by_owner`` names the approvers of one owner's deals (instead
    of ``default``). Names compare ignoring case and spacing."""

    default: Names = []
    by_owner: Annotated[
        dict[Annotated[str, *text("an owner's name")], Names], Expect("a mapping owner -> names")
    ] = {}


class ActionModel(ConfigModel):
    """One action for a deal that entered the stage: ``issue`` a document in a ``format``, or
    ``notify`` an e-mail address or a chat target named in ``notifications.webhooks``."""

    issue: Annotated[DocumentKind, Expect("quote or contract")] | None = None
    format: Annotated[DocumentFormat, Expect("html, docx or pdf")] | None = None
    notify: (
        Annotated[
            str, *text("an e-mail address, or the name of a target in notifications.webhooks")
        ]
        | None
    ) = None
    message: BilingualText | None = None

    @model_validator(mode="after")
    def _one_action(self) -> ActionModel:
        found = []
        if (self.issue is None) == (self.notify is None):
            note = "expected one of issue: quote|contract or notify: ADDRESS|TARGET"
            note += ", not both" if self.issue else ""
            found.append(item(note=note, reads=(("issue",), ("notify",))))
        if self.format is not None and self.issue is None:
            found.append(item(note="format goes with issue: (the document's format)",
                              sub=("format",), reads=(("format",), ("issue",))))  # fmt: skip
        if self.message is not None and self.notify is None:
            note = "message goes with notify:"
            found.append(item(note=note, sub=("message",), reads=(("message",), ("notify",))))
        if found:
            raise problems(found)
        return self


OnEnter = Annotated[
    list[Annotated[ActionModel, Expect("a mapping {issue: quote, format: pdf} or {notify: ...}")]],
    Expect("a list of actions: {issue: quote|contract, format: pdf} or {notify: ADDRESS}"),
]


# ------------------------------------------------------------------------- profile-wide checks


def scope_of(columns: Any, stages: Any) -> Scope | None:
    """The names a condition may use, from the file's ``columns`` and ``stages`` as written
    (before validation, so that a rule's problems are listed with every other problem; what
    is wrong in those sections is reported there). None when there are no stages to name."""
    if not isinstance(columns, Mapping) or not isinstance(stages, list):
        return None
    fields: dict[str, str] = {}
    for name, col in columns.items():
        if isinstance(col, Mapping):
            kind = col.get("type")
            fields[str(name)] = kind if isinstance(kind, str) else "text"
    named = []
    for st in stages:
        if isinstance(st, Mapping) and isinstance(st.get("id"), str):
            aliases = st.get("aliases")
            spellings = [st.get("label"), st.get("label_zh")]
            spellings += aliases if isinstance(aliases, list) else []
            named.append((st["id"], tuple(x for x in spellings if isinstance(x, str))))
    return Scope.of(fields, named) if named else None


def check_approvers(value: ApproversModel | None, info: ValidationInfo) -> Any:
    # the fields as written (a column with a wrong key is still declared)
    columns = (info.context or {}).get("fields") or info.data.get("columns")
    if value is not None and columns is not None and APPROVER_FIELD not in columns:
        raise problem(
            note=f"approvers are names for the {APPROVER_FIELD} column, but columns has no "
            f"{APPROVER_FIELD}: add {APPROVER_FIELD}: {{type: text, aliases: [Approver, 审批人]}}"
        )
    return value


def check_rules(rules: list[RuleModel]) -> list[RuleModel]:
    """Rule ids are unique (each rule's conditions were compiled by its own validators)."""
    found = []
    seen: dict[str, int] = {}
    for i, r in enumerate(rules):
        if r.id in seen:
            note = f"found {r.id!r} again (as rules[{seen[r.id]}]), expected unique rule ids"
            found.append(item(note=note, sub=(i, "id")))
        seen.setdefault(r.id, i)
    if found:
        raise problems(found)
    return rules


def document_stages(kind: str, rule: Any, stages: list[Any]) -> list[str]:
    """The stage ids (profile order) where ``kind`` may be issued: the one definition, used
    by documents.preflight.allowed_stages and by ``on_enter`` checks here."""
    ids = [s.id for s in stages]
    if rule.stages:
        return [s for s in ids if s in rule.stages]
    first_ok = rule.first is None or rule.first in ids
    last_ok = rule.last is None or rule.last in ids
    if first_ok and last_ok and (rule.first or rule.last):
        lo = ids.index(rule.first) if rule.first else 0
        hi = ids.index(rule.last) if rule.last else len(ids) - 1
        chosen = stages[lo : hi + 1]
        if rule.last is None:
            chosen = [s for s in chosen if s.outcome != "lost"]
        return [s.id for s in chosen]
    open_ids = [s.id for s in stages if s.outcome == "open"]
    if kind == "quote":
        return open_ids
    return open_ids[-1:] + [s.id for s in stages if s.outcome == "won"]


_DOCUMENTS = (("documents",),)  # what on_enter checks read besides the stage
_NOTIFY = (("notifications",),)


def check_actions(stages: list[Any], documents: Any, notifications: Any) -> list[dict[str, Any]]:
    """``on_enter`` against the rest of the profile: a document the stage may issue, an
    e-mail address when e-mail is set up, a webhook target that exists."""
    from salessheet.settings.documents import build_documents

    found: list[dict[str, Any]] = []
    kinds = None
    hooks = [h.name for h in (notifications.webhooks if notifications else []) if h.name]
    for i, s in enumerate(stages):
        for j, a in enumerate(s.on_enter or ()):
            where = ("stages", i, "on_enter", j)
            if a.issue is not None:
                if kinds is None:
                    kinds = build_documents(documents, None).kinds
                allowed = document_stages(a.issue, kinds[a.issue].stages, stages)
                if s.id not in allowed:
                    note = (
                        f"a {a.issue} cannot be issued in stage {s.id} (documents.{a.issue}."
                        f"stages allows {', '.join(allowed) or 'no stage'})"
                    )
                    found.append(item(note=note, sub=(*where, "issue"), reads=_DOCUMENTS))
                continue
            target = a.notify or ""
            if "@" in target:
                if not is_email_address(target):
                    found.append(item("an e-mail address such as name@example.com",
                                      sub=(*where, "notify")))  # fmt: skip
                elif notifications is None or notifications.email is None:
                    note = f"notify {target}: e-mail needs notifications.email (the SMTP server)"
                    found.append(item(note=note, sub=(*where, "notify"), reads=_NOTIFY))
            elif target not in hooks:
                names = ", ".join(hooks) if hooks else "none has a name"
                note = (
                    f"found {target!r}, expected an e-mail address or the name of a target "
                    f"in notifications.webhooks ({names})"
                )
                found.append(item(note=note, sub=(*where, "notify"), reads=_NOTIFY))
    return found


# ------------------------------------------------------------------------- building


def build_rules(models: list[RuleModel], scope: Scope, bilingual: bool) -> tuple[TeamRule, ...]:
    """The runtime rules. Their conditions were compiled when validated (with ``scope`` in the
    context); a model validated without one is compiled here."""

    def compiled(value: Any) -> Condition | None:
        if value is None or isinstance(value, Condition):
            return value
        return compile_condition(str(value), scope)

    out = []
    for m in models:
        when, test = compiled(m.when), compiled(m.check)
        message = to_bilingual(m.message)
        meaning = _meaning(when, tuple(m.require or ()), test, message, bilingual)
        out.append(
            TeamRule(
                m.id,
                profile_check(m.id, m.severity, meaning),
                when,
                tuple(m.require or ()),
                test,
                message,
            )
        )
    return tuple(out)


def _meaning(
    when: Condition | None,
    require: tuple[str, ...],
    test: Condition | None,
    message: Bilingual | None,
    bilingual: bool,
) -> str:
    if message is not None:
        return message.text(bilingual)
    if require:
        what = f"requires {', '.join(require)}"
    else:
        what = f"must pass: {test.source if test else ''}"
    return f"when {when.source}: {what}" if when else f"every deal {what}"


def build_approvers(m: ApproversModel | None) -> Approvers | None:
    if m is None:
        return None
    return Approvers(
        tuple(n.strip() for n in m.default),
        {o.strip(): tuple(n.strip() for n in names) for o, names in m.by_owner.items()},
    )


def build_actions(models: list[ActionModel] | None) -> tuple[StageAction, ...]:
    out = []
    for a in models or ():
        if a.issue is not None:
            out.append(StageAction("issue", document=a.issue, format=a.format or "pdf"))
        else:
            target = (a.notify or "").strip()
            channel = "email" if "@" in target else "webhook"
            out.append(
                StageAction(
                    "notify", target=target, channel=channel, message=to_bilingual(a.message)
                )
            )
    return tuple(out)
