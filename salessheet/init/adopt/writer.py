"""A Guess -> the config file `config init` writes: YAML that states only what differs from the
profile it extends, every guess followed by its evidence in a comment.

The writer emits a key only when the settings models accept it (``ProfileFile`` /
``ColumnModel`` fields), so a config it writes always loads; ``service`` checks that it reads
the sheet before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from salessheet.core.textnorm import normalise
from salessheet.init.adopt.model import ColumnGuess, Guess, RelaxGuess
from salessheet.settings.profile import ColumnModel, Profile, ProfileFile, Stage
from salessheet.settings.source import inline_yaml

_FIELD_TYPES = ("id", "text", "stage", "money", "number", "percent", "date")


class NoWorkingConfig(Exception):
    """The sheet cannot be described with the keys a config has (e.g. no header row and no
    positional columns): nothing is written."""


def supports(key: str, *, column: bool = False) -> bool:
    """Whether a config may carry ``key`` (at the top, or on a column)."""
    model = ColumnModel if column else ProfileFile
    return key in model.model_fields


@dataclass
class _Lines:
    """YAML text built line by line, so each value can carry its evidence."""

    lines: list[str] = field(default_factory=list)

    def comment(self, text: str, indent: int = 0) -> None:
        for part in _wrap(text, 96 - indent):
            self.lines.append(" " * indent + "# " + part)

    def key(self, indent: int, key: str, value: Any = None, why: str | None = None) -> None:
        head = " " * indent + key + ":"
        if value is not None:
            head += " " + inline(value)
        if why:
            head += "  # " + _one_line(why)
        self.lines.append(head)

    def blank(self) -> None:
        self.lines.append("")

    def text(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def inline(value: Any) -> str:
    """A YAML value on one line (flow style), quoted where YAML needs it."""
    if isinstance(value, Decimal):
        value = float(value) if value != value.to_integral_value() else int(value)
    return inline_yaml(value)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _wrap(text: str, width: int) -> list[str]:
    words, out, line = _one_line(text).split(" "), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            out.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    return out + ([line] if line else [])


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", normalise(text)).strip("_")
    if not s or not s[0].isalpha():
        s = "sheet_" + s
    return s[:40].rstrip("_")


def _ids(profile: Profile) -> set[str]:
    return {s.id for s in profile.stages}


@dataclass
class Written:
    """The config: its YAML text and the same content as data (for checking before writing)."""

    text: str
    data: dict[str, Any]


def build_config(
    guess: Guess,
    profile: Profile,
    *,
    profile_name: str,
    source_name: str,
    source_arg: str,
    out_name: str,
    today: dt.date,
) -> Written:
    """The config for ``guess`` extending ``profile_name`` (a built-in profile or a file)."""
    data: dict[str, Any] = {"extends": profile_name}
    y = _Lines()
    shown_source = source_arg if " " not in source_arg else f'"{source_arg}"'
    shown_out = out_name if " " not in out_name else f'"{out_name}"'
    y.comment(
        f"salessheet config for {source_name} (sheet {guess.sheet.name!r}), written by "
        f"`salessheet config init` on {today.isoformat()} from its headers and its values."
    )
    y.comment("Every guess says why, after the #. Check them, change what is wrong, then run:")
    y.lines.append(f"#   salessheet validate {shown_source} --config {shown_out}")
    for w in guess.warnings:
        y.comment(f"CHECK: {w}")
    y.blank()
    y.key(0, "extends", profile_name, f"the {profile_name} profile; this file says what differs")
    name = slug(source_name.rsplit(".", 1)[0])
    data["name"] = name
    y.key(0, "name", name)
    data["sheet"] = guess.sheet.name
    y.key(0, "sheet", guess.sheet.name, guess.sheet.evidence)
    _header(y, data, guess)
    cur = guess.currency.currency
    if cur and cur != profile.currency:
        data["currency"] = cur
        y.key(0, "currency", cur, guess.currency.evidence)
    if guess.locale.locale and guess.locale.locale != profile.locale:
        data["locale"] = guess.locale.locale
        y.key(0, "locale", guess.locale.locale, guess.locale.evidence)
    zone = guess.zone.zone
    if zone and zone != profile.timezone:
        data["timezone"] = zone
        y.key(0, "timezone", zone, guess.zone.evidence)
    _dates(y, data, guess, profile)
    _nulls(y, data, guess, profile)
    if guess.layout:
        kinds: dict[str, list[int]] = {}
        for r in guess.layout:
            kinds.setdefault(r.kind, []).append(r.row)
        listed = "; ".join(f"{k} {_rows(v)}" for k, v in kinds.items())
        y.comment(f"rows that are not deals (validate lists them as rows-skipped): {listed}")
    ignore = _columns(y, data, guess, profile)
    if ignore:
        data["ignore_columns"] = ignore
        y.key(0, "ignore_columns", ignore, "a profile alias would map these; the values say not")
    _stages(y, data, guess, profile)
    if guess.tax is not None:  # its CHECK is among the warnings above
        data["documents"] = {"tax_mode": "exclusive", "default_tax_rate": "0%"}
        if guess.tax.name:
            data["documents"]["tax_name"] = guess.tax.name
        if guess.tax.name_zh:
            data["documents"]["tax_name_zh"] = guess.tax.name_zh
        y.lines.extend(guess.tax.lines)
    return Written(y.text(), data)


def _rows(rows: list[int]) -> str:
    spans: list[str] = []
    start = prev = rows[0]
    for r in rows[1:] + [-1]:
        if r == prev + 1:
            prev = r
            continue
        spans.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = r
    return ", ".join(spans[:12]) + (" …" if len(spans) > 12 else "")


def _header(y: _Lines, data: dict[str, Any], guess: Guess) -> None:
    if guess.header_row == 0:
        if not (supports("header") and supports("column", column=True)):
            raise NoWorkingConfig(
                "the first row is already data (no header row), and this version cannot map "
                "columns by position"
            )
        data["header"] = "none"
        y.key(0, "header", "none", guess.header_evidence)
        if guess.first_data_row > 1 and supports("first_row"):
            data["first_row"] = guess.first_data_row
            y.key(0, "first_row", guess.first_data_row)
    elif supports("header_row"):
        data["header_row"] = guess.header_row
        y.key(0, "header_row", guess.header_row, guess.header_evidence)
    else:
        y.comment(f"header on row {guess.header_row}: {guess.header_evidence}")


def _dates(y: _Lines, data: dict[str, Any], guess: Guess, profile: Profile) -> None:
    wanted: list[str] = []
    for c in guess.columns:
        if c.field and c.date is not None:
            wanted += [f for f in c.date.formats if f not in wanted]
    extra = [f for f in wanted if f not in profile.date_formats]
    if extra:
        data["date_formats"] = list(profile.date_formats) + extra
        why = f"added {', '.join(extra)} (the sheet's text dates)"
        y.key(0, "date_formats", data["date_formats"], why)


def _nulls(y: _Lines, data: dict[str, Any], guess: Guess, profile: Profile) -> None:
    have = set(profile.null_markers)
    new = [m for m in guess.null_markers if m.scope == "sheet" and m.text not in have]
    if new:
        data["null_markers"] = list(profile.null_markers) + [m.text for m in new]
        y.key(0, "null_markers", data["null_markers"])
        for m in new:
            y.comment(f"{m.text!r}: {m.evidence}", 2)


def _own_nulls(y: _Lines, entry: dict[str, Any], c: ColumnGuess, guess: Guess) -> None:
    """The null markers that mean 'no value' in this column only (``Unassigned`` in an owner
    column), as the column's own ``null_markers``: the guess said they are read as blank."""
    label = c.header or c.letter
    mine = [m for m in guess.null_markers if m.scope == "columns" and label in m.columns]
    if not mine or not supports("null_markers", column=True):
        return
    entry["null_markers"] = [m.text for m in mine]
    y.key(4, "null_markers", entry["null_markers"], "; ".join(m.evidence for m in mine))


def _column_type(c: ColumnGuess) -> str:
    return c.type if c.type in _FIELD_TYPES and c.type not in ("id", "stage") else "text"


def _columns(y: _Lines, data: dict[str, Any], guess: Guess, profile: Profile) -> list[str]:
    """One entry per mapped field (its exact header only); profile fields whose inherited
    aliases would claim a header of this sheet get those aliases taken away. Returns headers
    that must be ignored (a field name itself would match them)."""
    cols: dict[str, Any] = {}
    data["columns"] = cols
    y.blank()
    y.key(0, "columns")
    headerless = guess.header_row == 0
    claimed: dict[str, str] = {}  # normalised header -> field
    for c in guess.columns:
        if c.field and c.header:
            claimed[normalise(c.header)] = c.field
    profile_fields = {col.field: col for col in profile.columns}
    for c in guess.columns:
        if not c.field:
            continue
        entry: dict[str, Any] = {}
        new_field = c.field not in profile_fields
        why = c.evidence if not new_field else f"a field the profile lacks: {c.evidence}"
        y.key(2, c.field, None, why)
        if new_field:
            entry["type"] = _column_type(c)
            y.key(4, "type", entry["type"])
        if headerless:
            entry["column"] = c.letter
            y.key(4, "column", c.letter)
            if not new_field:
                entry["aliases_replace"] = True
                entry["aliases"] = [c.field]
                y.key(4, "aliases", entry["aliases"])
                y.key(4, "aliases_replace", True)
        else:
            entry["aliases"] = [c.header]
            y.key(4, "aliases", entry["aliases"])
            if not new_field:
                entry["aliases_replace"] = True
                y.key(4, "aliases_replace", True, "only this header, so no other column is taken")
        if c.date is not None and c.date.order and supports("date_order", column=True):
            entry["date_order"] = c.date.order
            y.key(4, "date_order", c.date.order, c.date.evidence)
        elif c.date is not None and c.date.evidence:
            y.comment(c.date.evidence, 4)
        if c.money is not None:
            if c.money.scale != 1 and supports("scale", column=True):
                entry["scale"] = c.money.scale
                y.key(4, "scale", c.money.scale, c.money.evidence)
            elif c.money.evidence:
                y.comment(c.money.evidence, 4)
            if c.money.note:
                y.comment(f"not a unit: {c.money.note}", 4)
        if c.percent is not None:
            if c.percent.scale == "points" and c.percent.numbers and supports("scale", column=True):
                entry["scale"] = Decimal("0.01")
                y.key(4, "scale", entry["scale"], f"{c.percent.evidence}: 5 means 5 %")
            else:
                y.comment(c.percent.evidence, 4)
        _own_nulls(y, entry, c, guess)
        cols[c.field] = entry
    # profile fields the sheet does not have: their aliases must not claim another column
    ignore: list[str] = []
    headers = {normalise(c.header): c for c in guess.columns if c.header}
    for f, col in profile_fields.items():
        if f in cols:
            continue
        clash = [a for a in col.aliases if normalise(a) in headers]
        if not clash:
            if normalise(f) in headers and headers[normalise(f)].field != f:
                ignore.append(headers[normalise(f)].header or "")
            continue
        keep = [a for a in col.aliases if normalise(a) not in headers]
        if normalise(f) in headers:
            ignore.append(headers[normalise(f)].header or "")
        if not keep:
            keep = [f"{f} (not in this sheet)"]
        cols[f] = {"aliases": keep, "aliases_replace": True}
        y.key(2, f, None, f"not in this sheet: {', '.join(repr(a) for a in clash)} holds no {f}")
        y.key(4, "aliases", keep)
        y.key(4, "aliases_replace", True)
    return [h for h in dict.fromkeys(ignore) if h]


def _stages(y: _Lines, data: dict[str, Any], guess: Guess, profile: Profile) -> None:
    """Only the stages that change: the sheet's values as aliases, requirements relaxed to the
    columns the sheet has, extra stages after the stage the sheet suggests."""
    values: dict[str, list[str]] = {}
    why: dict[str, list[str]] = {}
    lookup = profile.stage_lookup()
    for s in guess.stages:
        if s.extra:
            continue
        if normalise(s.value) not in lookup:
            values.setdefault(s.stage, []).append(s.value)
        why.setdefault(s.stage, []).append(s.evidence)
    relax = {r.stage: r for r in guess.relax}
    extras_after: dict[str | None, list[Any]] = {}
    for e in guess.extra_stages:
        extras_after.setdefault(e.after, []).append(e)
    items: list[dict[str, Any]] = []
    y.blank()
    y.key(0, "stages")
    order = [s.id for s in profile.stages]

    def emit_extra(after: str | None, prev: Stage | None) -> None:
        for e in extras_after.get(after, []):
            item = _extra_stage(e, prev, profile, relax)
            items.append(item)
            y.lines.append(f"  - id: {inline(e.id)}  # CHECK: {_one_line(e.evidence)}")
            for k, v in item.items():
                if k != "id":
                    y.key(4, k, v)

    emit_extra(None, None)
    for sid in order:
        stage = profile.stage(sid)
        item: dict[str, Any] = {"id": sid}
        if values.get(sid):
            item["aliases"] = values[sid]
        if sid in relax:
            item["required"] = [f for f in stage.required if f not in relax[sid].missing]
        if len(item) > 1 or extras_after.get(sid):
            items.append(item)
            first = "; ".join(why.get(sid, [])) or "listed so the next stage follows it"
            y.lines.append(f"  - id: {sid}  # {_one_line(first)}")
            if "aliases" in item:
                y.key(4, "aliases", item["aliases"], "added: how this sheet writes the stage")
            if "required" in item:
                y.key(4, "required", item["required"], relax[sid].evidence)
        emit_extra(sid, stage)
    if items:
        data["stages"] = items
    else:
        y.lines[-1] = "# stages: the profile's (each stage value is one of its spellings)"


def _extra_stage(
    e: Any, prev: Stage | None, profile: Profile, relax: dict[str, RelaxGuess]
) -> dict[str, Any]:
    opens = [s for s in profile.stages if s.outcome == "open"]
    nxt = None
    if prev is not None:
        later = profile.stages[profile.stage_index(prev.id) + 1 :]
        nxt = next((s for s in later if s.outcome == "open"), None)
    lo = prev.probability if prev is not None and prev.outcome == "open" else Decimal(0)
    hi = nxt.probability if nxt is not None else (opens[-1].probability if opens else lo)
    probability = ((lo + hi) / 2).quantize(Decimal("0.01"))
    base = prev if prev is not None and prev.outcome == "open" else (opens[0] if opens else None)
    required = list(base.required) if base is not None else []
    if base is not None and base.id in relax:
        required = [f for f in required if f not in relax[base.id].missing]
    item: dict[str, Any] = {
        "id": e.id,
        "label": e.label,
        "outcome": "open",
        "probability": probability,
        "required": required,
    }
    if base is not None and base.stall_days:
        item["stall_days"] = base.stall_days
    return item
