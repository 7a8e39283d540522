"""Stage values -> the profile's stages (and outcome), with the evidence.

A value is placed by the profile's own spellings first, then by the vocabulary of CRM stage
names (``Appointment Scheduled`` -> lead, ``Closed Won Booked`` -> won ...), then by word
stems. A value nothing places becomes an extra open stage, put in the order the sheet
suggests.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from salessheet.core.textnorm import normalise
from salessheet.init.adopt.headers import name_key
from salessheet.init.adopt.vocabulary import (
    STEP_ORDER,
    STEP_OUTCOME,
    STEP_STEMS,
    STEP_TARGETS,
    STEP_WORDS,
)
from salessheet.settings.profile import Profile

_STEP_OF = {name_key(w): step for step, ws in STEP_WORDS.items() for w in ws}
_ORDINAL = re.compile(r"^\s*(?:\d+|[a-z])\s*[-.):]\s*|^\s*\d+\s+")


@dataclass(frozen=True)
class StageGuess:
    """One distinct stage value of the sheet and where it goes."""

    value: str  # as written (the most frequent spelling)
    count: int  # rows holding it (all spellings)
    stage: str  # a profile stage id, or the id of an extra stage
    outcome: str  # open | won | lost
    extra: bool  # True: not a profile stage, proposed as a new open stage
    evidence: str


@dataclass(frozen=True)
class ExtraStage:
    """A stage the sheet uses that the profile lacks, proposed as an open stage."""

    id: str
    label: str
    after: str | None  # the profile stage it follows (None: before the first)
    evidence: str


def _step_target(step: str, profile: Profile) -> str | None:
    ids = [s.id for s in profile.stages]
    for target in STEP_TARGETS.get(step, ()):
        if target in ids:
            return target
    outcome = STEP_OUTCOME.get(step, "open")
    if outcome != "open":
        return next((s.id for s in profile.stages if s.outcome == outcome), None)
    opens = [s.id for s in profile.stages if s.outcome == "open"]
    if not opens:
        return None
    pos = STEP_ORDER.index(step) if step in STEP_ORDER else 0
    return opens[min(len(opens) - 1, pos * len(opens) // 5)]


def place_stage(text: str, profile: Profile) -> tuple[str, str] | None:
    """(stage id, evidence) for a stage value, or None when nothing places it."""
    lookup = profile.stage_lookup()
    n = normalise(text)
    if n in lookup:
        return lookup[n], f"a spelling of {lookup[n]} in the {profile.name} profile"
    bare = _ORDINAL.sub("", n)
    if bare != n and bare in lookup:
        return lookup[bare], f"{bare!r} (numbering dropped) is {lookup[bare]} in the profile"
    for candidate in dict.fromkeys((n, bare)):
        step = _STEP_OF.get(name_key(candidate))
        if step:
            target = _step_target(step, profile)
            if target:
                return target, f"a usual CRM name for the {step.replace('_', '-')} step"
    for stem, step in STEP_STEMS:
        if stem in bare:
            target = _step_target(step, profile)
            if target:
                return target, f"contains {stem!r}: the {step.replace('_', '-')} step"
    return None


def guess_stages(
    counts: Counter[str],
    profile: Profile,
    metric: dict[str, float] | None = None,
    metric_name: str = "",
) -> tuple[list[StageGuess], list[ExtraStage], list[str]]:
    """Place every distinct stage value. ``counts``: value as written -> rows. ``metric``:
    per value a number that grows along the pipeline (from stage dates), if the sheet has one.
    """
    spellings: dict[str, Counter[str]] = {}
    for value, c in counts.items():
        spellings.setdefault(normalise(value), Counter())[value] += c
    by_id = {s.id: s for s in profile.stages}
    placed: list[StageGuess] = []
    unplaced: list[tuple[str, int, list[str]]] = []
    warnings: list[str] = []
    for variants in spellings.values():
        value = variants.most_common(1)[0][0]
        total = sum(variants.values())
        also = [v for v in variants if v != value]
        hit = place_stage(value, profile)
        if hit is None:
            unplaced.append((value, total, also))
            continue
        sid, how = hit
        ev = f"{value!r} ({_rows(total)}): {how} → {sid} ({by_id[sid].outcome})"
        if also:
            ev += f"; also written {', '.join(repr(a) for a in also)}"
        placed.append(StageGuess(value, total, sid, by_id[sid].outcome, False, ev))
    extras = _extras(placed, unplaced, profile, metric, metric_name)
    for value, total, _also in unplaced:
        extra = extras[value]
        ev = f"{value!r} ({_rows(total)}): not a stage the profile or the CRM vocabulary knows"
        placed.append(StageGuess(value, total, extra.id, "open", True, ev + "; " + extra.evidence))
        warnings.append(
            f"stage {value!r} ({_rows(total)}) is unknown: proposed as an extra open stage "
            f"{extra.id!r} ({extra.evidence})"
        )
    order = {s.id: i for i, s in enumerate(profile.stages)}
    placed.sort(key=lambda g: (order.get(g.stage, len(order)), -g.count))
    return placed, list(extras.values()), warnings


def _rows(n: int) -> str:
    return f"{n:,} row{'s' if n != 1 else ''}"


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", normalise(text).encode("ascii", "ignore").decode())
    base = base.strip("_")
    if not base or not base[0].isalpha():
        base = f"stage_{base}" if base else "extra_stage"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}_{n}", n + 1
    taken.add(slug)
    return slug


def _extras(
    placed: list[StageGuess],
    unplaced: list[tuple[str, int, list[str]]],
    profile: Profile,
    metric: dict[str, float] | None,
    metric_name: str,
) -> dict[str, ExtraStage]:
    if not unplaced:
        return {}
    taken = {s.id for s in profile.stages}
    opens = [s.id for s in profile.stages if s.outcome == "open"]
    out: dict[str, ExtraStage] = {}
    if metric and all(v in metric for v, _, _ in unplaced):
        per_stage: dict[str, list[float]] = {}
        for g in placed:
            if g.outcome == "open" and g.value in metric:
                per_stage.setdefault(g.stage, []).append(metric[g.value])
        stage_metric = {s: sum(xs) / len(xs) for s, xs in per_stage.items()}
        for value, _total, _ in sorted(unplaced, key=lambda u: metric[u[0]]):
            m = metric[value]
            after = None
            for sid in opens:
                if sid in stage_metric and stage_metric[sid] <= m:
                    after = sid
            where = f"after {after}" if after else f"before {opens[0] if opens else 'the rest'}"
            shown = (  # the median date is kept as a day number: shown as a date
                dt.date.fromordinal(round(m)).isoformat()
                if metric_name == "the median stage date"
                else f"{m:.0f} days"
            )
            ev = f"placed {where} by {metric_name} ({shown})"
            out[value] = ExtraStage(_slug(value, taken), value, after, ev)
        return out
    counts_by_stage: Counter[str] = Counter()
    for g in placed:
        if g.outcome == "open":
            counts_by_stage[g.stage] += g.count
    last_open = opens[-1] if opens else None
    for value, total, _ in sorted(unplaced, key=lambda u: -u[1]):
        after = None
        for sid in opens:
            if counts_by_stage.get(sid, 0) >= total:
                after = sid
        if after is None and not counts_by_stage:
            after = last_open
        where = f"after {after}" if after else f"before {opens[0] if opens else 'the rest'}"
        ev = (
            f"placed {where} by frequency (the sheet has no stage dates; fewer deals sit in "
            "later stages)"
        )
        out[value] = ExtraStage(_slug(value, taken), value, after, ev)
    return out
