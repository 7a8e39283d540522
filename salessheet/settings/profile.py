"""Pipeline profiles: YAML files declaring stages, transitions, columns and rules.

``load_profile`` reads the file (and the profiles it ``extends:``), validates the whole of it
against ``ProfileFile`` and raises one ConfigError listing every problem, each naming the file,
the line, the key path, what was found and what was expected. The result is a ``Profile`` of
plain frozen dataclasses (``Stage``, ``ColumnDef``, ...) that the other layers use.
"""

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import WithJsonSchema

from salessheet.core.calendar import countries
from salessheet.core.errors import ConfigError
from salessheet.core.textnorm import normalise
from salessheet.settings.base import (
    ConfigModel,
    Expect,
    checked,
    choice,
    item,
    loose_text,
    near,
    problem,
    problems,
    text,
    to_decimal,
)
from salessheet.settings.documents import DocumentsModel, build_documents
from salessheet.settings.notify import NotificationsModel, build_notifications
from salessheet.settings.problems import every_problem
from salessheet.settings.reading import (
    ColumnPosition,
    CurrencyCode,
    DateOrder,
    LayoutMode,
    Scale,
    SheetReading,
    SkipRowsModel,
    build_reading,
    reading_problems,
)
from salessheet.settings.source import (
    BUILTIN_PROFILES,
    Where,
    merge_over,
    profile_path,
    read_config,
    resolve_extends,
)
from salessheet.settings.team import (
    ActionModel,
    Approvers,
    ApproversModel,
    Bilingual,
    BilingualText,
    OnEnter,
    RuleModel,
    StageAction,
    TeamRule,
    build_actions,
    build_approvers,
    build_rules,
    check_actions,
    check_approvers,
    check_rules,
    declared_fields,
    scope_of,
    to_bilingual,
)

__all__ = [
    "BUILTIN_PROFILES",
    "ActionModel",
    "Approvers",
    "Bilingual",
    "ColumnDef",
    "Profile",
    "ProfileFile",
    "StallRules",
    "Stage",
    "StageAction",
    "TeamRule",
    "Transitions",
    "load_profile",
    "parse_profile",
    "profile_path",
]

ColumnType = Literal["id", "text", "stage", "money", "number", "percent", "date"]
COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)
Outcome = Literal["open", "won", "lost"]
SeverityName = Literal["error", "warning", "info", "allow"]  # of a kind of stage move
SEVERITIES: tuple[str, ...] = get_args(SeverityName)
StallClock = Literal["in_stage", "last_activity", "next_step"]
STALL_CLOCKS: tuple[str, ...] = get_args(StallClock)
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


# ------------------------------------------------------------------------- runtime objects


@dataclass(frozen=True)
class ColumnDef:
    field: str
    type: str
    aliases: list[str]
    required: bool = False
    track: bool = False  # record every change of this field in the ledger (field history)
    # how the column's values read (settings/reading.py)
    date_order: str | None = None  # dmy | mdy | ymd
    scale: Decimal | None = None  # money: multiply each amount by this
    currency: str | None = None  # money: the column's currency when a cell has no mark
    column: int | None = None  # 1-based position, only with header: none
    null_markers: tuple[str, ...] = ()  # texts that mean "blank" in this column only


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    label_zh: str | None  # None when the profile gives no Chinese label
    probability: Decimal
    outcome: str  # open | won | lost
    terminal: bool
    required: list[str]
    stall_days: int | None
    stall_clock: str = "in_stage"
    aliases: tuple[str, ...] = ()
    guidance: Bilingual | None = None  # exit criteria, shown in init, digests, JSON findings
    on_enter: tuple[StageAction, ...] = ()  # actions for a deal that entered the stage

    @property
    def is_open(self) -> bool:
        return self.outcome == "open"


@dataclass(frozen=True)
class Transitions:
    mode: str  # sequential | graph
    graph: dict[str, list[str]]  # explicit allowed moves (mode graph)
    to_lost_from: str  # open | any
    skip_forward: SeverityName
    backward: SeverityName
    reopen: SeverityName
    undeclared: SeverityName  # severity for a move the graph does not list (mode graph)


@dataclass(frozen=True)
class StallRules:
    business_days: bool
    holidays: tuple[dt.date, ...]
    holiday_calendar: str | None  # e.g. "CN"
    slip_warning_after: int


@dataclass
class Profile:
    name: str
    path: Path | None
    description: str
    sheet: str | None
    currency: str
    locale: str
    timezone: str
    date_formats: list[str]
    columns: list[ColumnDef]
    stages: list[Stage]
    transitions: Transitions
    stall: StallRules
    raw: dict[str, Any]  # the effective config (after extends), as validated
    null_markers: list[str] = field(default_factory=list)  # texts that mean "blank", e.g. NA
    ignore_columns: list[str] = field(default_factory=list)  # headers/letters never mapped
    reading: SheetReading = field(default_factory=SheetReading)  # header row, layout rows, ...
    documents: Any = None  # DocumentSettings (salessheet.settings.documents)
    notifications: Any = None  # NotificationSettings (salessheet.settings.notify)
    rules: tuple[TeamRule, ...] = ()  # the team's rules (rules:), compiled
    approvers: Approvers | None = None  # approvers:, for rules that require the approver
    _by_id: dict[str, Stage] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {s.id: s for s in self.stages}

    def stage(self, stage_id: str) -> Stage:
        return self._by_id[stage_id]

    def stage_index(self, stage_id: str) -> int:
        return [s.id for s in self.stages].index(stage_id)

    def stage_lookup(self) -> dict[str, str]:
        """Normalised spelling (id, English label, Chinese label, alias) → stage id."""
        out: dict[str, str] = {}
        for s in self.stages:
            for spelling in _spellings(s.id, s.label, s.label_zh, s.aliases):
                out.setdefault(normalise(spelling), s.id)
                out.setdefault(normalise(spelling.replace("_", " ")), s.id)
        return out

    def stage_spellings(self) -> list[str]:
        return [" / ".join(x for x in (s.id, s.label, s.label_zh) if x) for s in self.stages]

    def column(self, name: str) -> ColumnDef | None:
        return next((c for c in self.columns if c.field == name), None)

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def bilingual(self) -> bool:
        """True when the stages have Chinese labels: messages then give both languages."""
        return any(s.label_zh for s in self.stages)


def _spellings(sid: Any, label: Any, label_zh: Any, aliases: Any) -> list[str]:
    return [s for s in (sid, label, label_zh, *aliases) if isinstance(s, str) and s]


# ------------------------------------------------------------------------- the file's model


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _holiday(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{2}", value.strip()):
        code = value.strip().upper()  # cn: CN
        known = countries()
        if known is not None and code not in known:
            near = {"UK": "GB", "EN": "GB", "ZH": "CN", "JA": "JP", "KO": "KR"}.get(code)
            hint = f" (did you mean {near!r}?)" if near in known else ""
            raise problems(
                [item("a country code the holiday calendar knows (CN, US, GB, DE, ...)", hint=hint)]
            )
        return code
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        # 2026-02-30: written as a date, but no day of the calendar; 2026-10-1: not padded
        why = f" ({exc})" if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", str(value)) else ""
        if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", str(value).strip()):
            with contextlib.suppress(ValueError):
                why = f" (write {dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()})"
        raise problems([item("an ISO date or a country code (CN)", hint=why)]) from None


def _one_country(value: list[Any] | None) -> list[Any] | None:
    """One country's calendar: a second code would silently replace the first."""
    codes = [(i, h) for i, h in enumerate(value or ()) if isinstance(h, str)]
    other = [(i, h) for i, h in codes if h != codes[0][1]]
    if other:
        i, code = other[0]
        raise problems(
            [
                item(
                    f"one country code (the calendar of {codes[0][1]}); the other country's "
                    "days off go in as ISO dates",
                    found=code,
                    sub=(i,),
                )
            ]
        )
    return value


def _some_aliases(value: list[str], info: ValidationInfo) -> list[str]:
    # (a column: that is wrong is not in info.data: said there, and it may be the position)
    if not value and "column" in info.data and info.data["column"] is None:
        raise problems(
            [item("at least one header name", at=("aliases",), reads=(("aliases",), ("column",)))]
        )
    return value


FieldName = Annotated[
    str,
    *checked(
        ID_RE.match, "a field name in lower_snake_case such as deal_type (headers go in aliases:)"
    ),
]
Severity = Annotated[SeverityName, *choice(SEVERITIES)]
HeaderNames = Annotated[
    list[Annotated[str, *text("a header name")]], Expect("a list of text values")
]
Holiday = Annotated[
    Any,
    BeforeValidator(_holiday),
    WithJsonSchema({"type": "string", "description": "an ISO date, or a country code (CN)"}),
    Expect("an ISO date or a country code (CN)"),
]


class ColumnModel(ConfigModel):
    """One field of a deal: its type and the headers it may have in a sheet."""

    type: Annotated[ColumnType, *choice(COLUMN_TYPES)] = "text"
    column: ColumnPosition | None = None  # before aliases: a positional column needs none
    aliases: Annotated[HeaderNames, AfterValidator(_some_aliases)] = Field(
        default_factory=list, validate_default=True
    )
    required: Annotated[bool, Expect("true or false")] = False
    track: Annotated[bool, Expect("true or false")] = Field(
        False, description="record every change of this field in the ledger (field history)"
    )
    aliases_replace: bool = Field(False, description="with extends: replace the aliases")
    # --- how the column's values read (settings/reading.py) ---
    date_order: DateOrder | None = None
    scale: Scale | None = None
    currency: CurrencyCode | None = None
    null_markers: Annotated[list[str], Expect("a list of text values")] = Field(
        default_factory=list,
        description="texts that mean empty in this column only (besides the top-level list)",
    )


class StageModel(ConfigModel):
    """One stage of the sales process."""

    id: Annotated[
        str,
        *checked(
            ID_RE.match,
            "a stage id in lower_snake_case such as site_visit (names in other scripts go in "
            "label_zh: or aliases:)",
        ),
    ]
    label: Annotated[str, *text()]
    label_zh: Annotated[str, *text()] | None = None
    aliases: HeaderNames = []
    probability: Annotated[
        Decimal,
        BeforeValidator(to_decimal),
        Field(ge=0, le=1),
        WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1}),
        Expect("a number from 0 to 1"),
    ] = Field(Decimal(0), json_schema_extra={"default": 0})
    outcome: Annotated[Outcome, Expect("open, won or lost")] = "open"
    terminal: Annotated[bool, Expect("true or false")] = False
    required: Annotated[
        list[str], Expect("a list of text values"), AfterValidator(declared_fields)
    ] = []
    stall_days: Annotated[int, Field(ge=1), Expect("a whole number of days ≥ 1")] | None = None
    stall_clock: Annotated[StallClock, *choice(STALL_CLOCKS)] = "in_stage"
    guidance: BilingualText | None = None
    on_enter: OnEnter = []
    aliases_replace: bool = Field(False, description="with extends: replace the aliases")


def _check_columns(columns: dict[str, ColumnModel]) -> dict[str, ColumnModel]:
    if not columns:
        raise problem("a mapping of field name → {type, aliases}")
    found = []
    owner: dict[str, str] = {}
    for fname, col in columns.items():
        for i, alias in enumerate(col.aliases):
            n = normalise(alias)
            if owner.setdefault(n, fname) != fname:
                note = (
                    f"found {alias!r} (also an alias of {owner[n]!r}), "
                    "expected each header name to belong to one field"
                )
                if near(fname, [owner[n]]):  # columns: amout: a typo made a second field
                    note += f" ({fname!r} is a field of its own: did you mean {owner[n]!r}?)"
                found.append(item(note=note, sub=(fname, "aliases", i)))
    for needed in ("deal_id", "stage"):
        if needed not in columns:
            found.append(item(note=f"found no {needed!r} column, expected a {needed} column"))
    if found:
        raise problems(found)
    return columns


def _check_stages(stages: list[StageModel]) -> list[StageModel]:
    if not stages:
        raise problem("a list of stages, each with id, label, probability, ...")
    found = []
    ids: set[str] = set()
    owner: dict[str, str] = {}
    for i, s in enumerate(stages):
        if s.id in ids:
            found.append(
                item(note=f"found {s.id!r} twice, expected unique stage ids", sub=(i, "id"))
            )
        ids.add(s.id)
        for spelling in _spellings(s.id, s.label, s.label_zh, s.aliases):
            n = normalise(spelling)
            if owner.setdefault(n, s.id) != s.id:
                note = (
                    f"found {spelling!r} (also used by stage {owner[n]!r}), "
                    "expected each stage name or alias to belong to one stage"
                )
                found.append(item(note=note, sub=(i,)))
    if not any(s.outcome == "lost" for s in stages):
        found.append(item(note="found no stage with outcome: lost, expected one lost stage"))
    if found:
        raise problems(found)
    return stages


def _check_graph(graph: dict[str, list[str]] | None, info: ValidationInfo) -> Any:
    if info.data.get("mode") != "graph":
        return graph
    if graph is None:
        raise problem("a mapping stage → list of allowed stages")
    ids = (info.context or {}).get("stage_ids") or []
    wanted = f"one of the stages: {', '.join(ids)}"
    bad = [
        item(wanted, found=src, sub=(src,), hint=near(src, ids)) for src in graph if src not in ids
    ]
    bad += [
        item(wanted, found=d, sub=(src, i), hint=near(d, ids))
        for src, dsts in graph.items()
        for i, d in enumerate(dsts)
        if d not in ids
    ]
    if bad and ids:
        raise problems(bad)
    return graph


class TransitionsModel(ConfigModel):
    """Which stage changes are allowed, and how severe each kind of wrong move is."""

    mode: Annotated[Literal["sequential", "graph"], Expect("sequential or graph")] = "sequential"
    graph: Annotated[
        dict[str, list[str]] | None,
        Expect("a mapping stage → list of allowed stages"),
        AfterValidator(_check_graph),
    ] = Field(None, validate_default=True)
    to_lost_from: Annotated[Literal["open", "any"], Expect("open or any")] = "open"
    skip_forward: Severity = "error"
    backward: Severity = "warning"
    reopen: Severity = "error"
    undeclared: Severity = "error"


class StallModel(ConfigModel):
    """How stalled deals are counted."""

    business_days: Annotated[bool, Expect("true or false")] = False
    holidays: Annotated[
        list[Holiday] | None,
        AfterValidator(_one_country),
        Expect("a list of ISO dates or country codes"),
    ] = []
    slip_warning_after: Annotated[int, Field(ge=1), Expect("a whole number ≥ 1")] = 3


class ProfileFile(ConfigModel):
    """A pipeline config file (a profile). Keys not written take the defaults shown."""

    extends: str | None = Field(
        None, description="a built-in profile (b2b, b2c, lite) or a YAML file to start from"
    )
    name: Annotated[str, *text("a text value")]
    description: Annotated[str, BeforeValidator(lambda v: "" if v is None else str(v))] = ""
    version: Annotated[Any, WithJsonSchema({"type": ["integer", "number", "string"]})] = None
    sheet: Annotated[str, *loose_text("a sheet name")] | None = None
    currency: CurrencyCode = "CNY"
    locale: Annotated[
        str,
        *checked(
            lambda v: re.fullmatch(r"[a-z]{2,3}(_[A-Za-z]{2,4})*", v),
            "a locale such as zh_CN, en_US or de_DE",
        ),
    ] = "zh_CN"
    timezone: Annotated[str, *checked(_is_zone, "an IANA time zone such as Asia/Shanghai")] = (
        "Asia/Shanghai"
    )
    date_formats: Annotated[
        list[
            Annotated[str, *checked(lambda v: "%" in v, "a strftime pattern such as %Y年%m月%d日")]
        ],
        Expect("a list of text values"),
    ] = ["%Y-%m-%d"]
    null_markers: Annotated[list[str], Expect("a list of text values")] = []
    # headers (or column letters) never mapped to a field, even when an alias would match them
    ignore_columns: Annotated[list[str], Expect("a list of header names or column letters")] = []
    columns: Annotated[
        dict[FieldName, ColumnModel],
        Expect("a mapping of field name → {type, aliases}"),
        AfterValidator(_check_columns),
    ]
    stages: Annotated[
        list[StageModel],
        Expect("a list of stages, each with id, label, probability, ..."),
        AfterValidator(_check_stages),
    ]
    transitions: Annotated[TransitionsModel, Expect("a mapping with mode and severities")] = (
        TransitionsModel()
    )
    stall: Annotated[StallModel, Expect("a mapping")] = StallModel()
    documents: DocumentsModel | None = None
    notifications: NotificationsModel | None = None
    report: Annotated[Any, WithJsonSchema({"type": "object"})] = None
    approvers: Annotated[
        ApproversModel | None,
        Expect("a mapping {default: [names], by_owner: {owner: [names]}}"),
        AfterValidator(check_approvers),
    ] = None
    rules: Annotated[
        list[Annotated[RuleModel, Expect("a mapping {id, when, require or check, ...}")]],
        Expect("a list of rules, each {id, when, require: [fields] or check: <condition>}"),
        AfterValidator(check_rules),
    ] = []
    stages_replace: bool = Field(
        False, description="with extends: the stages list is complete (order, drops)"
    )
    # --- the sheet's shape (settings/reading.py) ---
    header_row: Annotated[int, Field(ge=1), Expect("a row number ≥ 1")] | None = None
    header: Annotated[Literal["none"], Expect("none (the sheet has no header row)")] | None = None
    first_row: Annotated[int, Field(ge=1), Expect("a row number ≥ 1")] | None = None
    layout_rows: Annotated[LayoutMode, Expect("auto or none")] = "auto"
    skip_rows: Annotated[SkipRowsModel, Expect("a mapping with rows and/or where")] | None = None

    @model_validator(mode="after")
    def _reading(self) -> "ProfileFile":
        found = reading_problems(self)
        if found:
            raise problems(found)
        return self

    @model_validator(mode="after")
    def _on_enter(self) -> "ProfileFile":
        """Actions against documents: and notifications: (needs the whole file)."""
        if any(s.on_enter for s in self.stages):
            found = check_actions(self.stages, self.documents, self.notifications)
            if found:
                raise problems(found)
        return self


# ------------------------------------------------------------------------------- loading


def load_profile(name_or_path: str = "b2b", overrides: dict[str, Any] | None = None) -> Profile:
    """A built-in profile name (b2b, b2c, lite) or a path to a YAML file.

    ``extends:`` chains are resolved; ``overrides`` is merged into the result (mappings key by
    key) before validation.
    """
    if not str(name_or_path).strip():  # Path("") is the current folder
        raise ConfigError(
            "no config given: the name is empty",
            hint="give a config file's path or a profile name (b2b, b2c, lite)",
        )
    path = profile_path(name_or_path)
    if not path.exists():
        if name_or_path not in BUILTIN_PROFILES and "/" not in name_or_path and not path.suffix:
            raise ConfigError(
                f"unknown profile {name_or_path!r}",
                hint=f"use one of {', '.join(BUILTIN_PROFILES)} or --config FILE",
            )
        raise ConfigError(f"{path}: config file not found")
    data, where = read_config(path)
    if overrides:
        data, where = merge_over(data, where, overrides, None)
    return _validate(data, path, where)


def parse_profile(data: Any, path: Path | None, where: Where | None = None) -> Profile:
    """A profile from data already read (``path`` names it in messages and anchors relative
    paths and ``extends:``; ``where`` gives the lines, when known)."""
    if isinstance(data, dict) and "extends" in data:
        data, where = resolve_extends(data, where, path)
    return _validate(data, path, where)


def _validate(data: Any, path: Path | None, where: Where | None) -> Profile:
    label = str(path) if path else "<config>"
    if not isinstance(data, dict):
        raise ConfigError(
            f"{label}: expected a mapping with keys name, stages, columns, ... "
            f"but found {type(data).__name__}"
        )
    columns, stages = data.get("columns"), data.get("stages")
    context = {
        "fields": set(columns) if isinstance(columns, dict) else None,
        "stage_ids": [
            s["id"] for s in stages if isinstance(s, dict) and isinstance(s.get("id"), str)
        ]
        if isinstance(stages, list)
        else None,
        "base_dir": path.parent if path else None,
        "scope": scope_of(columns, stages) if data.get("rules") else None,
        "headers": _headers(columns),
        # fields whose type: is not one: the checks that need the type wait for it
        "unsure_fields": {
            f
            for f, c in columns.items()
            if isinstance(c, dict) and c.get("type", "text") not in COLUMN_TYPES
        }
        if isinstance(columns, dict)
        else set(),
    }
    model, found = every_problem(ProfileFile, data, context, label, where)
    if model is None:
        n = len(found)
        raise ConfigError(
            f"{label}: {n} problem{'s' if n > 1 else ''} in the config", [p.text for p in found]
        )
    return _build(model, path, data)


def _headers(columns: Any) -> dict[str, str]:
    """Each header name as written under ``aliases:`` (normalised) → its field: a header
    written where a field name goes is said to be one (``联系人`` is the header of contact)."""
    out: dict[str, str] = {}
    for f, col in columns.items() if isinstance(columns, dict) else ():
        aliases = col.get("aliases") if isinstance(col, dict) else None
        for a in aliases if isinstance(aliases, list) else ():
            if isinstance(a, str) and a.strip():
                out.setdefault(normalise(a), str(f))
    return out


def _build(m: ProfileFile, path: Path | None, data: dict[str, Any]) -> Profile:
    holidays: list[dt.date] = []
    calendar = None
    for h in m.stall.holidays or ():
        if isinstance(h, str):
            calendar = h
        else:
            holidays.append(h)
    t = m.transitions
    return Profile(
        name=m.name,
        path=path,
        description=m.description,
        sheet=m.sheet,
        currency=m.currency,
        locale=m.locale,
        timezone=m.timezone,
        date_formats=list(m.date_formats),
        columns=[
            ColumnDef(
                f,
                c.type,
                list(c.aliases),
                c.required,
                track=c.track,
                date_order=c.date_order,
                scale=c.scale,
                currency=c.currency,
                column=c.column,
                null_markers=tuple(c.null_markers),
            )
            for f, c in m.columns.items()
        ],
        stages=[
            Stage(
                s.id,
                s.label,
                s.label_zh,
                s.probability,
                s.outcome,
                s.terminal,
                list(s.required),
                s.stall_days,
                s.stall_clock,
                tuple(s.aliases),
                to_bilingual(s.guidance),
                build_actions(s.on_enter),
            )
            for s in m.stages
        ],
        transitions=Transitions(
            t.mode,
            {k: list(v) for k, v in (t.graph or {}).items()} if t.mode == "graph" else {},
            t.to_lost_from,
            t.skip_forward,
            t.backward,
            t.reopen,
            t.undeclared,
        ),
        stall=StallRules(
            m.stall.business_days, tuple(holidays), calendar, m.stall.slip_warning_after
        ),
        raw=data,
        null_markers=list(m.null_markers),
        ignore_columns=list(m.ignore_columns),
        reading=build_reading(m),
        documents=build_documents(m.documents, path.parent if path else None),
        notifications=build_notifications(m.notifications, path.parent if path else None),
        rules=build_rules(
            m.rules,
            # validated rules: the file has columns and stages, so scope_of gives a Scope
            scope_of(data.get("columns"), data.get("stages")),  # type: ignore[arg-type]
            any(s.label_zh for s in m.stages),
        )
        if m.rules
        else (),
        approvers=build_approvers(m.approvers),
    )
