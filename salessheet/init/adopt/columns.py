"""Columns -> fields: by name (profile, vocabulary), by values, and who wins when two
columns claim one field (the deal id has its own contest: named ids, unique values, row
numbers, the deal's name). What each column's values say is in ``details``.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from salessheet.core.cells import RawValue
from salessheet.init.adopt.details import label_of
from salessheet.init.adopt.headers import PROFILE, WEAK, NameIndex, NameMatch, name_key
from salessheet.init.adopt.stages import place_stage
from salessheet.init.adopt.values import (
    BOOL,
    CODE,
    DATE_KINDS,
    DATE_TEXT,
    MONEY_TEXT,
    NUMERIC_KINDS,
    PERCENT_TEXT,
    SERIAL,
    TEXT,
    ColumnValues,
    id_family,
    looks_like_email,
    looks_like_phone,
    number_of,
    resolve_order,
    to_date,
)
from salessheet.settings.profile import Profile
from salessheet.sheet.units import parse_header_unit

_ID_WORD = re.compile(r"(?:id|key|code|no|nr|number|num|ref|#|编号|号|码|编码)$")
_OTHER_RECORD = re.compile(
    r"^(?:customer|client|account|company|campaign|owner|user|contact|person|product|"
    r"pricebook|territory|partner|quote|contract|order|invoice|客户|公司|联系人|产品|合同|订单)"
)


@dataclass
class Candidate:
    col: int  # 0-based
    field: str
    strength: float
    how: str


# --- fit of values to a field type ----------------------------------------------------


def fits(ftype: str, cv: ColumnValues) -> tuple[bool, str]:
    """Whether the column's values can be read as ``ftype``, and what they are."""
    real = cv.real
    if real == 0:
        return True, "no values yet"
    dates = cv.share(DATE_KINDS)
    numbers = cv.share(NUMERIC_KINDS)
    if ftype == "date":
        if dates >= 0.6:
            return True, f"{dates:.0%} dates"
        if cv.share((SERIAL,)) >= 0.8:
            return True, "date serial numbers"
        return False, f"only {dates:.0%} of the values are dates"
    if ftype in ("money", "number"):
        if numbers >= 0.8:
            return True, f"{numbers:.0%} numbers"
        return False, f"only {numbers:.0%} of the values are numbers"
    if ftype == "percent":
        share = cv.share(NUMERIC_KINDS | {PERCENT_TEXT})
        if share < 0.8:
            return False, f"only {share:.0%} of the values are numbers"
        xs = [x for x, _ in cv.numbers()]
        if xs and (min(xs) < 0 or max(xs) > 100):
            return False, f"values from {min(xs)} to {max(xs)} are not percentages"
        return True, "percentages"
    if ftype == "stage":
        texty = cv.share((TEXT, CODE, BOOL))
        if texty >= 0.5 or cv.distinct <= 15:
            return True, f"{cv.distinct} distinct values"
        return False, "mostly numbers or dates, not stage names"
    if ftype == "id":
        if dates >= 0.5:
            return False, "mostly dates"
        return True, "ids"
    if dates >= 0.8:
        return False, "mostly dates"
    return True, "text"


# --- assignment -----------------------------------------------------------------------


class Assigner:
    """Decide the field of every column of one sheet."""

    def __init__(
        self,
        profile: Profile,
        index: NameIndex,
        labels: Sequence[str | None],
        keys: Sequence[str | None],
        cvs: list[ColumnValues],
        full_column: Callable[[int], Sequence[RawValue]],
        headerless: bool,
    ):
        self.profile = profile
        self.index = index
        self.labels = labels
        self.keys = keys  # second header row (field keys), if any
        self.cvs = cvs
        self.full_column = full_column  # col (0-based) -> every value in the data rows
        self.headerless = headerless
        self.field_of: dict[int, str] = {}
        self.evidence: dict[int, str] = {}
        self.strength: dict[int, float] = {}
        self.warnings: list[str] = []

    def name_matches(self) -> dict[int, NameMatch]:
        out = {}
        for c in range(len(self.cvs)):
            label = self.labels[c] if c < len(self.labels) else None
            m = self.index.match(label) if label else None
            key = self.keys[c] if c < len(self.keys) else None
            if key:
                m2 = self.index.match(key)
                if m2 and (m is None or m2.strength > m.strength):
                    m = NameMatch(
                        m2.field, m2.strength, f"{m2.how} (the key under {label!r})", m2.source
                    )
            if m:
                out[c] = m
        return out

    def run(self) -> None:
        matches = self.name_matches()
        by_field: dict[str, list[Candidate]] = {}
        for c, m in matches.items():
            by_field.setdefault(m.field, []).append(Candidate(c, m.field, m.strength, m.how))
        rejected: dict[int, str] = {}
        for fname in sorted(by_field, key=lambda f: -max(x.strength for x in by_field[f])):
            if fname == "deal_id":
                continue
            ftype = self.index.type_of(fname)
            ok = []
            for cand in by_field[fname]:
                good, what = fits(ftype, self.cvs[cand.col])
                if good:
                    ok.append((cand, what))
                else:
                    rejected[cand.col] = f"{cand.how}, but {what}: not mapped"
            ok = [(x, w) for x, w in ok if x.col not in self.field_of]
            if not ok:
                continue
            ok.sort(key=lambda p: (-p[0].strength, -self._fill(p[0].col), p[0].col))
            win, what = ok[0]
            ev = f"{win.how}; {what}"
            for lose, _ in ok[1:]:
                ev += f"; beats {label_of(self.labels, lose.col)!r} ({self._why_less(win, lose)})"
                self.evidence[lose.col] = (
                    f"{lose.how}, but {label_of(self.labels, win.col)!r} holds {fname} "
                    f"({self._why_less(win, lose)})"
                )
            self._assign(win.col, fname, win.strength, ev)
        for c, why in rejected.items():
            self.evidence.setdefault(c, why)
        self._choose_id(by_field.get("deal_id", []))
        if "stage" not in self.field_of.values():
            self._stage_by_values()
        if self.headerless:
            self._by_values()
        self._check_currency()

    def _fill(self, c: int) -> float:
        cv = self.cvs[c]
        return cv.real / cv.rows if cv.rows else 0.0

    def _why_less(self, win: Candidate, lose: Candidate) -> str:
        if win.strength > lose.strength:
            if lose.strength <= WEAK:
                return f"{label_of(self.labels, lose.col)!r} only may mean {win.field}"
            return "a stronger name"
        if self._fill(win.col) > self._fill(lose.col):
            return f"more values ({self._fill(win.col):.0%} filled vs {self._fill(lose.col):.0%})"
        return "names as strong and as filled: the first one"

    def _assign(self, c: int, fname: str, strength: float, evidence: str) -> None:
        self.field_of[c] = fname
        self.strength[c] = strength
        self.evidence[c] = evidence

    # -- the deal id ---------------------------------------------------------------
    def _choose_id(self, named: list[Candidate]) -> None:
        scored = []
        notes: list[str] = []
        named_cols = {x.col: x for x in named}
        other_names = {c for c, m in self.name_matches().items() if m.field != "deal_id"}
        for c, cv in enumerate(self.cvs):
            if c in self.field_of and self.field_of[c] != "deal_name":
                continue
            if c in other_names and self.field_of.get(c) != "deal_name":
                continue
            label = label_of(self.labels, c)
            good, _ = fits("id", cv)
            if not good or (cv.real == 0 and c not in named_cols):
                continue
            key = name_key(label) if c < len(self.labels) and self.labels[c] else ""
            id_word = bool(key and _ID_WORD.search(key))
            sample_fam = _families([_id_text(v) for v in list(cv.counts)[:300]])
            if c not in named_cols and self.field_of.get(c) != "deal_name" and not id_word:
                if cv.distinct < 0.9 * cv.real:
                    continue  # repeats in the sample: no id, and no name says it is one
                looks_id = sample_fam in ("guid", "code") or sample_fam.startswith("salesforce:")
                if not looks_id and not _sequential(list(cv.counts)):
                    continue  # unique numbers or texts (amounts, e-mails) but nothing id-like
            values = [v for v in self.full_column(c) if v is not None and v != ""]
            filled = len(values)
            distinct = len(set(values))
            unique = distinct / filled if filled else 1.0
            fam = sample_fam
            if c in named_cols:
                tier = 3.0 if named_cols[c].strength >= 0.8 else 2.0
                how = named_cols[c].how
            elif self.field_of.get(c) == "deal_name":
                tier, how = 0.25, f"{label!r} names the deal"
            else:
                seq = _sequential(values)
                if seq:
                    tier, how = 0.5, f"{label!r} numbers the rows {seq}"
                elif (
                    filled >= 5
                    and unique >= 0.98
                    and (id_word or fam in ("guid", "code") or fam.startswith("salesforce:"))
                ):
                    tier, how = 1.0, f"{label!r} holds a unique value on every row"
                else:
                    if id_word:
                        record = _OTHER_RECORD.match(key)
                        if record:
                            why = f"the id of another record ({record.group(0)}), not of a deal"
                        elif filled < 5:
                            why = f"only {filled} rows: too few to show it is unique per deal"
                        else:
                            why = f"not unique ({distinct:,} distinct of {filled:,})"
                        notes.append(f"{label!r} is {why}")
                        self.evidence.setdefault(c, f"{label!r} is {why}")
                    continue
            scored.append((tier, unique, filled, c, how, distinct, fam))
        if not scored:
            self.warnings.append("no column can serve as the deal id")
            return
        scored.sort(key=lambda s: (-s[0], -s[1], -s[2], s[3]))
        tier, unique, filled, c, how, distinct, fam = scored[0]
        label = label_of(self.labels, c)
        ev = f"{how}; {distinct:,} distinct of {filled:,}" if filled else f"{how}; no values yet"
        if fam.startswith("salesforce:"):
            ev += f" ({fam.split(':')[1]} record ids, Salesforce)"
        elif fam in ("guid", "code"):
            ev += f" ({'GUIDs' if fam == 'guid' else 'codes'})"
        if tier < 3:
            ev = "no column is named as a deal id; " + ev
            if tier <= 0.5:
                self.warnings.append(
                    f"the deal id is {label!r} ({how}): ids change if rows are re-sorted or "
                    "renamed; add a real id column when you can"
                )
        if unique < 1:
            ev += "; " + self._repeat_note(c, filled - distinct)
        runners = sorted(scored[1:], key=lambda s: (s[0] != 0.25, -s[0], s[3]))
        for other in runners[:3]:
            ol = label_of(self.labels, other[3])
            ev += f"; not {ol!r} ({other[4]}, {other[5]:,} distinct of {other[2]:,})"
        for other in runners:
            if other[3] not in self.field_of:
                self.evidence[other[3]] = (
                    f"{other[4]}, {other[5]:,} distinct of {other[2]:,}: the deal id is {label!r}"
                )
        ev += "".join(f"; {n}" for n in notes)
        if self.field_of.get(c) == "deal_name":
            ev += "; it was the deal name: the name now serves as the id"
        self._assign(c, "deal_id", PROFILE if tier >= 3 else tier / 3, ev)

    def _repeat_note(self, c: int, repeats: int) -> str:
        stage_col = next((k for k, f in self.field_of.items() if f == "stage"), None)
        note = f"{repeats:,} rows repeat an id"
        if stage_col is None:
            return note + ": validate will report them as duplicate-id"
        ids = self.full_column(c)
        stages = self.full_column(stage_col)
        seen: dict[str, RawValue] = {}
        differ = 0
        for i, s in zip(ids, stages, strict=False):
            if i is None or i == "":
                continue
            k = _id_text(i)
            if k in seen and seen[k] != s:
                differ += 1
            seen.setdefault(k, s)
        if differ == 0:
            self.warnings.append(
                f"{label_of(self.labels, c)!r} repeats on {repeats:,} rows with the same "
                "stage: one row per line item of a deal; validate reports duplicate-id until "
                "the sheet has one row per deal"
            )
            return note + " with the same stage every time: line items of one deal"
        self.warnings.append(
            f"{label_of(self.labels, c)!r} repeats on {repeats:,} rows, {differ:,} of them "
            "with another stage than the first: validate reports duplicate-id and the last "
            "row of each id wins"
        )
        return note + f", {differ:,} of them with another stage"

    # -- the stage by its values -----------------------------------------------------
    def _stage_by_values(self) -> None:
        best = None
        for c, cv in enumerate(self.cvs):
            if c in self.field_of or cv.real == 0 or cv.distinct > 60:
                continue
            texts = [t for t in cv.texts() if not t.replace(".", "").isdigit()]
            if len(texts) < 2:
                continue
            known = [t for t in texts if place_stage(t, self.profile)]
            share = len(known) / len(texts)
            if share >= 0.6 and (best is None or share > best[0]):
                best = (share, c, known)
        if best:
            share, c, known = best
            shown = ", ".join(repr(k) for k in known[:4])
            self._assign(
                c, "stage", 0.3, f"by its values: {share:.0%} of them are stage names ({shown})"
            )

    # -- a sheet without a header row --------------------------------------------------
    def _by_values(self) -> None:
        taken = set(self.field_of.values())
        free = [c for c in range(len(self.cvs)) if c not in self.field_of and self.cvs[c].real]
        dates, money, percents, texts = [], [], [], []
        for c in free:
            cv = self.cvs[c]
            if cv.share(DATE_KINDS) >= 0.8:
                dates.append(c)
            elif cv.share(NUMERIC_KINDS | {PERCENT_TEXT}) >= 0.8:
                xs = [x for x, _ in cv.numbers()]
                if xs and 0 <= min(xs) and max(xs) <= 100 and cv.distinct <= 21:
                    percents.append(c)
                elif not _sequential(self.full_column(c)):
                    money.append(c)
            else:
                texts.append(c)
        for c in list(texts):
            t = self.cvs[c].texts()
            if "email" not in taken and looks_like_email(t):
                self._assign(c, "email", 0.3, "by its values: e-mail addresses")
                taken.add("email")
                texts.remove(c)
            elif "phone" not in taken and looks_like_phone(t):
                self._assign(c, "phone", 0.3, "by its values: phone numbers")
                taken.add("phone")
                texts.remove(c)
            elif "currency" not in taken and t and all(len(x) == 3 and x.isupper() for x in t):
                self._assign(c, "currency", 0.3, f"by its values: currency codes ({t[0]}, ...)")
                taken.add("currency")
                texts.remove(c)
        if dates:
            med = {c: _median_date(self.cvs[c]) for c in dates}
            order = sorted(dates, key=lambda c: med[c])
            names = ["created", "expected_close"] if len(order) >= 2 else ["expected_close"]
            for fname, c in zip(
                names if len(order) >= 2 else names, [order[0], order[-1]], strict=False
            ):
                if fname not in taken:
                    why = (
                        "the earliest dates"
                        if fname == "created" and len(order) > 1
                        else "the latest dates"
                        if len(order) > 1
                        else "the only date column"
                    )
                    self._assign(c, fname, 0.3, f"by its values: {why} → {fname}")
                    taken.add(fname)
        if money and "amount" not in taken:
            best = max(
                money, key=lambda c: (self.cvs[c].kinds[MONEY_TEXT], _median_number(self.cvs[c]))
            )
            self._assign(best, "amount", 0.3, "by its values: the largest money figures")
            taken.add("amount")
        if percents and "probability" not in taken:
            self._assign(
                percents[0], "probability", 0.3, "by its values: few distinct numbers from 0 to 100"
            )
        people = sorted(texts, key=lambda c: self.cvs[c].distinct)
        if people and "owner" not in taken and len(people) >= 2:
            c = people[0]
            self._assign(
                c,
                "owner",
                0.3,
                f"by its values: {self.cvs[c].distinct} names, each on many rows (a team)",
            )
            people = people[1:]
        if people and "customer" not in taken:
            c = people[-1]
            self._assign(
                c, "customer", 0.3, f"by its values: {self.cvs[c].distinct} names, most on one row"
            )

    def _check_currency(self) -> None:
        cur_col = next((c for c, f in self.field_of.items() if f == "currency"), None)
        amt_col = next((c for c, f in self.field_of.items() if f == "amount"), None)
        if cur_col is None or amt_col is None:
            return
        unit = parse_header_unit(label_of(self.labels, amt_col))
        if not unit.currency:
            return
        codes = {t.upper() for t in self.cvs[cur_col].texts()}
        if codes and codes != {unit.currency}:
            shown = ", ".join(sorted(codes)[:5])
            cv = self.cvs[cur_col]
            del self.field_of[cur_col]
            self.evidence[cur_col] = (
                f"not the deal's currency: {label_of(self.labels, amt_col)!r} is in "
                f"{unit.currency} by its header, while this column holds {shown} "
                f"({cv.real:,} of {cv.rows:,} rows filled) — probably another figure's currency"
            )


def _id_text(v: RawValue) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _families(texts: list[str]) -> str:
    fams = Counter(id_family(t) for t in texts[:500])
    fam, n = fams.most_common(1)[0] if fams else (None, 0)
    if fam is None or n < 0.9 * min(len(texts), 500):
        return ""
    return fam


def _sequential(values: Sequence[RawValue]) -> str:
    """``1–18`` when the values are the row numbers 1..n (or 0..n-1), else ''."""
    nums = []
    for v in values:
        if v is None or v == "":
            continue
        x = number_of(v) if not isinstance(v, bool) else None
        if x is None or x != int(x):
            return ""
        nums.append(int(x))
    if len(nums) < 3:
        return ""
    lo = min(nums)
    if lo in (0, 1) and len(set(nums)) == len(nums) and max(nums) - lo == len(nums) - 1:
        return f"{lo}–{max(nums)}"
    return ""


def _median_date(cv: ColumnValues) -> float:
    order = resolve_order(cv.dates(), "dmy", "", "").order if cv.kinds[DATE_TEXT] else None
    xs = []
    for v, k in list(cv.kind_of.items())[:500]:
        if k in DATE_KINDS:
            d = to_date(v, order)
            if d is not None:
                xs.append(d.toordinal())
    return statistics.median(xs) if xs else 0.0


def _median_number(cv: ColumnValues) -> float:
    xs = [float(x) for x, _ in cv.numbers()]
    return statistics.median(xs) if xs else 0.0
