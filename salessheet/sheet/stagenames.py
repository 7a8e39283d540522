"""How a sheet names its stages: the words a user can find in their own sheet.

The profile knows a stage by its id (``negotiation``), its labels (``Negotiation``,
``报价与谈判``) and its aliases (HubSpot's ``Contract Sent``); the sheet writes one of these.
Everything a user reads (finding messages, flags, the report, digests) names a stage the way
the sheet does, so that the word can be found there: a deal's own stage as its cell writes it,
any other stage as the sheet's cells write it (most used spelling first), and a stage no cell
holds by the profile's label in the language the sheet's stage cells are written in (Chinese
when they use the Chinese labels or Chinese words, the ids when they use the ids, else the
label). Ids stay the keys of JSON and of the ledger: these names are for reading.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from salessheet.core.cells import RawValue
from salessheet.core.records import Deal
from salessheet.core.textnorm import is_zh, normalise
from salessheet.settings.profile import Profile

_SHOWN = 3  # spellings of one stage a name lists ("Presentation Scheduled / Decision Maker …")


def written(raw: RawValue) -> str:
    """A stage cell's text as a user reads it: trimmed, one line ('' when there is none)."""
    if raw is None or isinstance(raw, bool):
        return ""
    return " ".join(str(raw).split())


@dataclass(frozen=True)
class StageNames:
    """Stage id -> the name a user reads (see the module doc)."""

    names: Mapping[str, str]
    # the profile's (label, Chinese label) of each stage, for a reader whose language is known
    labels: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)
    # stages the sheet writes in words of its own (a label or an alias), not only as the id
    worded: frozenset[str] = frozenset()
    # the sheet writes its stages in words (most cells): a stage no cell holds is named in the
    # sheet's language too, not in the reader's
    in_words: bool = False
    written: frozenset[str] = frozenset()  # stages some cell holds
    # stage id -> the spellings that are its id ("follow_up", "follow up"), as written
    id_words: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # (type, cell) -> written(cell): a sheet holds a handful of stage spellings, asked for
    # once per finding (100,000 findings asked the same few cells to be trimmed and split)
    _texts: dict[tuple[type, RawValue], str] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __call__(self, stage_id: str | None) -> str:
        if not stage_id:
            return ""
        return self.names.get(stage_id, stage_id)

    def of(self, deal: Deal) -> str:
        """The deal's stage as its own cell writes it (its stage's name when the cell does not
        hold the stage, e.g. a deal in the ledger but not in the sheet)."""
        if deal.stage is None:
            return ""
        return self._written(deal.raw_value("stage")) or self(deal.stage)

    def _written(self, raw: RawValue) -> str:
        key = (type(raw), raw)  # 1, 1.0 and True are equal keys but read differently
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = written(raw)
        return text

    def for_reader(self, stage_id: str, zh: bool, deal: Deal | None = None) -> str:
        """The name for a reader of a known language (a Chinese chat, an English e-mail): the
        sheet's own word for the stage (the deal's cell, when given) whatever the language,
        a stage no cell holds in the language of a sheet that writes words; in a sheet that
        writes ids (or has no stages yet) the profile's label in the reader's language."""
        if deal is not None and deal.stage == stage_id:
            text = self._written(deal.raw_value("stage"))
            if text and text not in self.id_words.get(stage_id, ()):
                return text
        if stage_id in self.worded or (self.in_words and stage_id not in self.written):
            return self(stage_id)
        label, label_zh = self.labels.get(stage_id, (stage_id, None))
        return (label_zh or label) if zh else label

    def as_dict(self) -> dict[str, str]:
        return dict(self.names)


def _is_chinese(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def stage_names(profile: Profile, deals: Iterable[Deal]) -> StageNames:
    """The names of ``profile``'s stages as the stage cells of ``deals`` write them."""
    raw: Counter[tuple[str, RawValue]] = Counter()  # (stage, cell) counted before any text work
    for d in deals:
        if d.stage is not None:
            raw[(d.stage, d.raw_value("stage"))] += 1
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for (sid, cell), n in raw.items():
        text = written(cell)
        if text:
            seen[sid][text] += n
    # which of the profile's words a spelling is: the id as written (``negotiation``), the
    # Chinese label or the label (``Negotiation``, ``NEGOTIATION``)
    id_words = {s.id: frozenset((s.id, s.id.replace("_", " "))) for s in profile.stages}
    kinds: dict[tuple[str, str], str] = {}
    for s in profile.stages:
        for kind, word in (("zh", s.label_zh), ("label", s.label), ("id", s.id)):
            if word:
                kinds.setdefault((s.id, normalise(word)), kind)
                kinds.setdefault((s.id, normalise(word.replace("_", " "))), kind)
    votes: Counter[str] = Counter()
    names: dict[str, str] = {}
    worded: set[str] = set()
    for sid, spellings in seen.items():
        groups: dict[str, Counter[str]] = defaultdict(Counter)  # one spelling, any case
        for text, n in spellings.items():
            key = normalise(text)
            groups[key][text] += n
            if text in id_words.get(sid, ()):
                kind = "id"
            else:
                kind = kinds.get((sid, key)) or ("zh" if _is_chinese(text) else "label")
            votes[kind] += n
            if kind != "id":
                worded.add(sid)
        ranked = sorted(groups.values(), key=lambda c: -sum(c.values()))
        names[sid] = " / ".join(c.most_common(1)[0][0] for c in ranked[:_SHOWN])
    if votes:
        style = votes.most_common(1)[0][0]
    else:
        style = "zh" if is_zh(profile.locale) else "label"
    for s in profile.stages:
        if s.id not in names:
            if style == "zh":
                names[s.id] = s.label_zh or s.label or s.id
            elif style == "id":
                names[s.id] = s.id
            else:
                names[s.id] = s.label or s.id
    labels = {s.id: (s.label or s.id, s.label_zh) for s in profile.stages}
    return StageNames(
        names,
        labels,
        worded=frozenset(worded),
        in_words=bool(votes) and style != "id",
        written=frozenset(seen),
        id_words=id_words,
    )
