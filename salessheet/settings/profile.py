"""Pipeline profiles: YAML files declaring stages, transitions, columns and rules.

``load_profile`` validates the whole file and raises one ConfigError listing every problem,
each naming the file, the key path, what was found and what was expected.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from salessheet.core.errors import ConfigError
from salessheet.core.resources import data_dir
from salessheet.core.textnorm import normalise

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BUILTIN_PROFILES = ("b2b", "b2c", "lite")
COLUMN_TYPES = ("id", "text", "stage", "money", "number", "percent", "date")
OUTCOMES = ("open", "won", "lost")
SEVERITIES = ("error", "warning", "info", "allow")
STALL_CLOCKS = ("in_stage", "last_activity", "next_step")
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class ColumnDef:
    field: str
    type: str
    aliases: list[str]
    required: bool = False


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    label_zh: str
    probability: Decimal
    outcome: str  # open | won | lost
    terminal: bool
    required: list[str]
    stall_days: int | None
    stall_clock: str = "in_stage"
    aliases: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.outcome == "open"


@dataclass(frozen=True)
class Transitions:
    mode: str  # sequential | graph
    graph: dict[str, list[str]]  # explicit allowed moves (mode graph)
    to_lost_from: str  # open | any
    skip_forward: str
    backward: str
    reopen: str
    undeclared: str  # severity for a move the graph does not list (mode graph)


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
    raw: dict[str, Any]
    null_markers: list[str] = field(default_factory=list)  # texts that mean "blank", e.g. NA
    documents: Any = None  # DocumentSettings, parsed by salessheet.settings.documents
    notifications: Any = None  # NotificationSettings, parsed by salessheet.settings.notify
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
            for spelling in (s.id, s.label, s.label_zh, *s.aliases):
                out.setdefault(normalise(spelling), s.id)
                out.setdefault(normalise(spelling.replace("_", " ")), s.id)
        return out

    def stage_spellings(self) -> list[str]:
        return [f"{s.id} / {s.label} / {s.label_zh}" for s in self.stages]

    def column(self, name: str) -> ColumnDef | None:
        return next((c for c in self.columns if c.field == name), None)

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def profile_path(name_or_path: str) -> Path:
    if name_or_path in BUILTIN_PROFILES:
        return data_dir("config") / f"{name_or_path}.yaml"
    return Path(name_or_path)


def _merge(base: Any, extra: Any) -> Any:
    if isinstance(base, dict) and isinstance(extra, dict):
        out = dict(base)
        for k, v in extra.items():
            out[k] = _merge(base.get(k), v)
        return out
    return extra


def load_profile(name_or_path: str = "b2b", overrides: dict[str, Any] | None = None) -> Profile:
    """A built-in profile name (b2b, b2c, lite) or a path to a YAML file.

    ``overrides`` is merged into the YAML (mappings key by key) before validation.
    """
    path = profile_path(name_or_path)
    if not path.exists():
        if name_or_path not in BUILTIN_PROFILES and "/" not in name_or_path and not path.suffix:
            raise ConfigError(
                f"unknown profile {name_or_path!r}",
                hint=f"use one of {', '.join(BUILTIN_PROFILES)} or --config FILE",
            )
        raise ConfigError(f"{path}: config file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from exc
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # the C loader when libyaml is there
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from exc
    if overrides:
        data = _merge(data, overrides)
    return parse_profile(data, path)


def parse_profile(data: Any, path: Path | None) -> Profile:
    where = str(path) if path else "<config>"
    c = _Checker(where)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{where}: expected a mapping with keys name, stages, columns, ... "
            f"but found {type(data).__name__}"
        )
    known = {
        "name",
        "description",
        "version",
        "sheet",
        "currency",
        "locale",
        "timezone",
        "date_formats",
        "columns",
        "stages",
        "transitions",
        "stall",
        "documents",
        "notifications",
        "report",
        "null_markers",
    }
    for key in data:
        if key not in known:
            c.problem(str(key), "unknown key", f"one of {', '.join(sorted(known))}")

    name = c.string(data, "name", required=True) or "?"
    currency = c.string(data, "currency", default="CNY")
    if currency and not re.fullmatch(r"[A-Z]{3}", currency):
        c.problem("currency", repr(currency), "an ISO 4217 code such as CNY, USD or EUR")
    locale = c.string(data, "locale", default="zh_CN")
    if locale and not re.fullmatch(r"[a-z]{2,3}(_[A-Za-z]{2,4})*", locale):
        c.problem("locale", repr(locale), "a locale such as zh_CN, en_US or de_DE")
    timezone = c.string(data, "timezone", default="Asia/Shanghai")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        c.problem("timezone", repr(timezone), "an IANA time zone such as Asia/Shanghai")
    date_formats = c.string_list(data, "date_formats", default=["%Y-%m-%d"])
    null_markers = c.string_list(data, "null_markers", default=[])
    for i, f in enumerate(date_formats):
        if "%" not in f:
            c.problem(f"date_formats[{i}]", repr(f), "a strftime pattern such as %Y年%m月%d日")

    columns = _parse_columns(c, data.get("columns"))
    fields = {col.field for col in columns}
    stages = _parse_stages(c, data.get("stages"), fields)
    transitions = _parse_transitions(c, data.get("transitions") or {}, {s.id for s in stages})
    stall = _parse_stall(c, data.get("stall") or {})

    for required_field in ("deal_id", "stage"):
        if columns and required_field not in fields:
            c.problem("columns", f"no {required_field!r} column", f"a {required_field} column")

    documents = notifications = None
    try:
        from salessheet.settings.documents import parse_document_settings
    except ImportError:  # pragma: no cover - documents not installed
        parse_document_settings = None  # type: ignore[assignment]
    if parse_document_settings is not None:
        documents, problems = parse_document_settings(
            data.get("documents"),
            where,
            base_dir=path.parent if path else None,
            stage_ids=[s.id for s in stages],
        )
        c.problems += problems
    try:
        from salessheet.settings.notify import parse_notification_settings
    except ImportError:  # pragma: no cover
        parse_notification_settings = None  # type: ignore[assignment]
    if parse_notification_settings is not None:
        notifications, problems = parse_notification_settings(data.get("notifications"), where)
        c.problems += problems

    if c.problems:
        n = len(c.problems)
        raise ConfigError(f"{where}: {n} problem{'s' if n > 1 else ''} in the config", c.problems)
    return Profile(
        name=name,
        path=path,
        description=str(data.get("description") or ""),
        sheet=data.get("sheet"),
        currency=currency,
        locale=locale,
        timezone=timezone,
        date_formats=date_formats,
        columns=columns,
        stages=stages,
        transitions=transitions,
        stall=stall,
        raw=data,
        null_markers=null_markers,
        documents=documents,
        notifications=notifications,
    )


class _Checker:
    def __init__(self, where: str):
        self.where = where
        self.problems: list[str] = []

    def problem(self, key: str, found: str, expected: str) -> None:
        self.problems.append(f"{self.where}: {key}: found {found}, expected {expected}")

    def string(
        self, d: dict, key: str, *, required: bool = False, default: str = "", path: str = ""
    ) -> str:
        v = d.get(key)
        full = f"{path}.{key}" if path else key
        if v is None:
            if required:
                self.problem(full, "nothing", "a text value")
            return default
        if not isinstance(v, str) or not v.strip():
            self.problem(full, repr(v), "a non-empty text value")
            return default
        return v

    def string_list(self, d: dict, key: str, *, default: list[str], path: str = "") -> list[str]:
        v = d.get(key)
        full = f"{path}.{key}" if path else key
        if v is None:
            return list(default)
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            self.problem(full, repr(v), "a list of text values")
            return list(default)
        return v


def _parse_columns(c: _Checker, raw: Any) -> list[ColumnDef]:
    if not isinstance(raw, dict) or not raw:
        c.problem("columns", repr(raw), "a mapping of field name → {type, aliases}")
        return []
    out = []
    seen_alias: dict[str, str] = {}
    for fname, spec in raw.items():
        path = f"columns.{fname}"
        if not isinstance(fname, str) or not ID_RE.match(fname):
            c.problem(path, repr(fname), "a field name in lower_snake_case")
            continue
        if not isinstance(spec, dict):
            c.problem(path, repr(spec), "a mapping with type and aliases")
            continue
        for key in spec:
            if key not in ("type", "aliases", "required"):
                c.problem(f"{path}.{key}", "unknown key", "type, aliases or required")
        ctype = spec.get("type", "text")
        if ctype not in COLUMN_TYPES:
            c.problem(f"{path}.type", repr(ctype), f"one of {', '.join(COLUMN_TYPES)}")
        aliases = c.string_list(spec, "aliases", default=[], path=path)
        if not aliases:
            c.problem(f"{path}.aliases", "no aliases", "at least one header name")
        for a in aliases:
            n = normalise(a)
            if n in seen_alias and seen_alias[n] != fname:
                c.problem(
                    f"{path}.aliases",
                    f"{a!r} (also an alias of {seen_alias[n]!r})",
                    "each header name to belong to one field",
                )
            seen_alias[n] = fname
        required = spec.get("required", False)
        if not isinstance(required, bool):
            c.problem(f"{path}.required", repr(required), "true or false")
            required = False
        out.append(ColumnDef(fname, str(ctype), aliases, required))
    return out


def _parse_stages(c: _Checker, raw: Any, fields: set[str]) -> list[Stage]:
    if not isinstance(raw, list) or not raw:
        c.problem("stages", repr(raw), "a list of stages, each with id, label, label_zh, ...")
        return []
    out: list[Stage] = []
    ids: set[str] = set()
    spellings: dict[str, str] = {}
    allowed = {
        "id",
        "label",
        "label_zh",
        "aliases",
        "probability",
        "outcome",
        "terminal",
        "required",
        "stall_days",
        "stall_clock",
    }
    for i, st in enumerate(raw):
        path = f"stages[{i}]"
        if not isinstance(st, dict):
            c.problem(path, repr(st), "a mapping with id, label, label_zh, probability, ...")
            continue
        sid = st.get("id")
        if isinstance(sid, str):
            path = f"stages[{i}] ({sid})"
        for key in st:
            if key not in allowed:
                c.problem(f"{path}.{key}", "unknown key", f"one of {', '.join(sorted(allowed))}")
        if not isinstance(sid, str) or not ID_RE.match(sid):
            c.problem(f"{path}.id", repr(sid), "a stage id in lower_snake_case")
            continue
        if sid in ids:
            c.problem(f"{path}.id", f"{sid!r} twice", "unique stage ids")
        ids.add(sid)
        label = c.string(st, "label", required=True, path=path)
        label_zh = c.string(st, "label_zh", required=True, path=path)
        aliases = c.string_list(st, "aliases", default=[], path=path)
        for spelling in (sid, label, label_zh, *aliases):
            n = normalise(spelling)
            if n in spellings and spellings[n] != sid:
                c.problem(
                    path,
                    f"{spelling!r} (also used by stage {spellings[n]!r})",
                    "each stage name or alias to belong to one stage",
                )
            spellings.setdefault(n, sid)
        prob_raw = st.get("probability", 0)
        try:
            prob = Decimal(str(prob_raw))
            if not (0 <= prob <= 1) or isinstance(prob_raw, bool):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            c.problem(f"{path}.probability", repr(prob_raw), "a number from 0 to 1")
            prob = Decimal(0)
        outcome = st.get("outcome", "open")
        if outcome not in OUTCOMES:
            c.problem(f"{path}.outcome", repr(outcome), "open, won or lost")
            outcome = "open"
        terminal = st.get("terminal", False)
        if not isinstance(terminal, bool):
            c.problem(f"{path}.terminal", repr(terminal), "true or false")
            terminal = False
        required = c.string_list(st, "required", default=[], path=path)
        for fname in required:
            if fields and fname not in fields:
                c.problem(
                    f"{path}.required",
                    repr(fname),
                    f"a field declared under columns ({', '.join(sorted(fields))})",
                )
        stall_days = st.get("stall_days")
        if stall_days is not None and (
            not isinstance(stall_days, int) or isinstance(stall_days, bool) or stall_days < 1
        ):
            c.problem(f"{path}.stall_days", repr(stall_days), "a whole number of days ≥ 1")
            stall_days = None
        clock = st.get("stall_clock", "in_stage")
        if clock not in STALL_CLOCKS:
            c.problem(f"{path}.stall_clock", repr(clock), f"one of {', '.join(STALL_CLOCKS)}")
            clock = "in_stage"
        out.append(
            Stage(
                sid,
                label,
                label_zh,
                prob,
                outcome,
                terminal,
                required,
                stall_days,
                clock,
                tuple(aliases),
            )
        )
    if out and not any(s.outcome == "lost" for s in out):
        c.problem("stages", "no stage with outcome: lost", "one lost stage")
    return out


def _parse_transitions(c: _Checker, raw: Any, ids: set[str]) -> Transitions:
    if not isinstance(raw, dict):
        c.problem("transitions", repr(raw), "a mapping with mode and severities")
        raw = {}
    known = {"mode", "graph", "to_lost_from", "skip_forward", "backward", "reopen", "undeclared"}
    for key in raw:
        if key not in known:
            c.problem(f"transitions.{key}", "unknown key", f"one of {', '.join(sorted(known))}")
    mode = raw.get("mode", "sequential")
    if mode not in ("sequential", "graph"):
        c.problem("transitions.mode", repr(mode), "sequential or graph")
        mode = "sequential"
    graph: dict[str, list[str]] = {}
    g = raw.get("graph")
    if mode == "graph":
        if not isinstance(g, dict):
            c.problem("transitions.graph", repr(g), "a mapping stage → list of allowed stages")
            g = {}
        for src, dsts in g.items():
            if src not in ids:
                c.problem(f"transitions.graph.{src}", "an unknown stage", f"one of {sorted(ids)}")
            if not isinstance(dsts, list):
                c.problem(f"transitions.graph.{src}", repr(dsts), "a list of stage ids")
                continue
            for d in dsts:
                if d not in ids:
                    c.problem(f"transitions.graph.{src}", f"unknown stage {d!r}", "a stage id")
            graph[str(src)] = [str(d) for d in dsts]
    sev = {}
    for key, default in (
        ("skip_forward", "error"),
        ("backward", "warning"),
        ("reopen", "error"),
        ("undeclared", "error"),
    ):
        v = raw.get(key, default)
        if v not in SEVERITIES:
            c.problem(f"transitions.{key}", repr(v), f"one of {', '.join(SEVERITIES)}")
            v = default
        sev[key] = v
    to_lost = raw.get("to_lost_from", "open")
    if to_lost not in ("open", "any"):
        c.problem("transitions.to_lost_from", repr(to_lost), "open or any")
        to_lost = "open"
    return Transitions(
        mode, graph, to_lost, sev["skip_forward"], sev["backward"], sev["reopen"], sev["undeclared"]
    )


def _parse_stall(c: _Checker, raw: Any) -> StallRules:
    if not isinstance(raw, dict):
        c.problem("stall", repr(raw), "a mapping")
        raw = {}
    for key in raw:
        if key not in ("business_days", "holidays", "slip_warning_after"):
            c.problem(f"stall.{key}", "unknown key", "business_days, holidays, slip_warning_after")
    bd = raw.get("business_days", False)
    if not isinstance(bd, bool):
        c.problem("stall.business_days", repr(bd), "true or false")
        bd = False
    holidays: list[dt.date] = []
    calendar = None
    for i, h in enumerate(raw.get("holidays") or []):
        if isinstance(h, dt.date):
            holidays.append(h)
        elif isinstance(h, str) and re.fullmatch(r"[A-Z]{2}", h):
            calendar = h
        else:
            try:
                holidays.append(dt.date.fromisoformat(str(h)))
            except ValueError:
                c.problem(f"stall.holidays[{i}]", repr(h), "an ISO date or a country code (CN)")
    slip = raw.get("slip_warning_after", 3)
    if not isinstance(slip, int) or isinstance(slip, bool) or slip < 1:
        c.problem("stall.slip_warning_after", repr(slip), "a whole number ≥ 1")
        slip = 3
    return StallRules(bd, tuple(holidays), calendar, slip)
