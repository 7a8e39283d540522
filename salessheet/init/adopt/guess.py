"""``guess_config``: read an unknown sheet and say, with evidence, how to configure it.

Steps: (a) the sheet holding the deals, (b) its header row (or none), (c) each column's field,
(d) the stage values, (e) date orders, (f) the money unit, (g) null markers, (h) layout rows,
(i) the profile's stages whose required fields have no column. Values are sampled (up to
2,000 rows spread over the sheet) for typing; stage values and id uniqueness use every row.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import zip_longest

from salessheet.core.cells import CellError, RawSheet, RawValue
from salessheet.core.currency import currency_code
from salessheet.core.errors import SourceError
from salessheet.core.formatting import territory_of
from salessheet.core.owned import COMPANION_SHEETS
from salessheet.init.adopt.columns import Assigner
from salessheet.init.adopt.details import (
    column_guess,
    date_guess,
    find_null_markers,
    label_of,
    money_guess,
)
from salessheet.init.adopt.headers import HeaderGuess, NameIndex, find_header, name_index, words
from salessheet.init.adopt.model import (
    ColumnGuess,
    CurrencyGuess,
    Guess,
    LocaleGuess,
    RelaxGuess,
    SheetChoice,
    Unplaced,
)
from salessheet.init.adopt.place import locale_currency, tax_guess, zone_guess
from salessheet.init.adopt.stages import ExtraStage, StageGuess, guess_stages, place_stage
from salessheet.init.adopt.values import (
    MONEY_TEXT,
    NULL,
    NUMBER_TEXT,
    ColumnValues,
    column_values,
    is_null_marker,
    sample_rows,
    to_date,
)
from salessheet.init.adopt.vocabulary import LANGUAGE_NAMES, LANGUAGE_WORDS, LOCALE_OF_LANGUAGE
from salessheet.settings.profile import Profile
from salessheet.sheet.layout import (
    LayoutRow,
    TableShape,
    classify_above_header,
    classify_rows,
    declared_totals,
)

SAMPLE_ROWS = 2000
_LANG_OF_SOURCE = {"German": "de", "Spanish": "es", "French": "fr", "Chinese CRMs": "zh"}
_QUANTITY = {"quantity", "qty", "menge", "cantidad", "quantité", "数量"}
_PRICE = {"price", "precio", "preis", "prix", "单价", "价格", "unitprice"}
_LANG_OF_BOOL = {"si/no": "es", "sí/no": "es", "ja/nein": "de", "oui/non": "fr", "是/否": "zh"}


def guess_config(
    sheets: dict[str, RawSheet],
    profile: Profile,
    *,
    source: str,
    today: dt.date,
    sheet: str | None = None,
    local_zone: str | None = None,
    sheet_zone: str | None = None,
) -> Guess:
    """Guess how ``profile`` should read these sheets (as a store returned them). ``today``:
    the date whose currencies count, for a sheet that names none; ``local_zone``: the IANA time
    zone of the computer the config is made on (the team's, most likely), if known;
    ``sheet_zone``: the time zone the spreadsheet itself declares (a Google Sheet does)."""
    index = name_index(profile)
    headers: dict[str, HeaderGuess] = {}
    choice = choose_sheet(sheets, index, profile, sheet, headers)
    raw = sheets[choice.name]
    header = headers.get(choice.name) or find_header(raw.rows, index, raw.merged)
    guesser = _SheetGuess(raw, profile, index, source, choice, today, local_zone, sheet_zone)
    return guesser.run(header)


# --- (a) the sheet ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Survey:
    name: str
    visible: bool
    rows: int
    fields: frozenset[str]
    stage: str | None  # the stage column's header (or "by values")
    width: int

    def key(self, position: int) -> tuple[bool, bool, bool, int, float, int, int]:
        mapped = len(self.fields) / self.width if self.width else 0.0
        return (
            self.visible,
            self.stage is not None,
            "deal_id" in self.fields,
            len(self.fields),
            round(mapped, 2),
            self.rows,
            -position,
        )

    def describe(self) -> str:
        what = f"{self.rows:,} rows"
        if self.stage:
            what += f" with a stage column ({self.stage})"
        else:
            what += ", no stage"
        if self.fields:
            what += f", {len(self.fields)} known columns"
        if not self.visible:
            what += ", hidden"
        return f"{self.name}: {what}"


def _survey(
    name: str,
    sheet: RawSheet,
    index: NameIndex,
    profile: Profile,
    headers: dict[str, HeaderGuess],
) -> _Survey:
    rows = sheet.rows
    if not rows:
        return _Survey(name, sheet.visible, 0, frozenset(), None, 0)
    header = headers[name] = find_header(rows, index, sheet.merged)
    matches = {c: index.match(lbl) for c, lbl in enumerate(header.labels) if lbl}
    fields = {m.field for m in matches.values() if m and m.strength >= 0.6}
    stage = next(
        (
            header.labels[c]
            for c, m in matches.items()
            if m and m.field == "stage" and m.strength >= 0.6
        ),
        None,
    )
    data = rows[header.first_data_row - 1 :]
    count = sum(1 for r in data if any(r))
    if stage is None:
        head = data[:200]
        width = max((len(r) for r in head), default=0)
        for c in range(width):
            vals = {str(r[c]).strip() for r in head if c < len(r) and isinstance(r[c], str)}
            vals = {v for v in vals if v}
            if 2 <= len(vals) <= 40:
                known = sum(1 for v in vals if place_stage(v, profile))
                if known / len(vals) >= 0.6:
                    stage = f"{label_of(header.labels, c)}, by its values"
                    fields.add("stage")
                    break
    width = sum(1 for lbl in header.labels if lbl) or max((len(r) for r in rows[:50]), default=0)
    return _Survey(name, sheet.visible, count, frozenset(fields), stage, width)


def choose_sheet(
    sheets: dict[str, RawSheet],
    index: NameIndex,
    profile: Profile,
    wanted: str | None,
    headers: dict[str, HeaderGuess] | None = None,
) -> SheetChoice:
    """The sheet holding the deals: most deal-like rows and columns (stage, id, known
    columns), visible before hidden. ``headers`` collects the header rows found on the way."""
    headers = {} if headers is None else headers
    if not sheets:
        raise SourceError("the source has no sheets to read")
    if wanted is not None:
        if wanted not in sheets:
            raise SourceError(
                f"no sheet named {wanted!r}", hint=f"the sheets are: {', '.join(sheets)}"
            )
        return SheetChoice(wanted, f"{wanted}: chosen by the caller")
    names = [n for n in sheets if n not in COMPANION_SHEETS]
    if not names:
        names = list(sheets)
    if len(names) == 1:
        s = _survey(names[0], sheets[names[0]], index, profile, headers)
        return SheetChoice(names[0], s.describe() + "; the only sheet")
    surveys = [(_survey(n, sheets[n], index, profile, headers), i) for i, n in enumerate(names)]
    surveys.sort(key=lambda p: p[0].key(p[1]), reverse=True)
    best = surveys[0][0]
    others = "; ".join(s.describe() for s, _ in surveys[1:4])
    more = f"; and {len(surveys) - 4} more" if len(surveys) > 4 else ""
    return SheetChoice(best.name, f"{best.describe()}; {others}{more}")


# --- (b)–(i) one sheet --------------------------------------------------------------------


class _SheetGuess:
    def __init__(
        self,
        sheet: RawSheet,
        profile: Profile,
        index: NameIndex,
        source: str,
        choice: SheetChoice,
        today: dt.date,
        local_zone: str | None = None,
        sheet_zone: str | None = None,
    ):
        self.today = today
        self.local_zone = local_zone
        self.sheet_zone = sheet_zone
        self.sheet = sheet
        self.rows = sheet.rows
        self.profile = profile
        self.index = index
        self.source = source
        self.choice = choice
        self._columns: list[tuple[RawValue, ...]] | None = None

    # rows and columns of the data area
    def _data_rows(self, header: HeaderGuess, layout: list[LayoutRow]) -> list[int]:
        skip = {r.row - 1 for r in layout}
        last = len(self.rows) - 1
        while last >= 0 and not any(self.rows[last]):
            last -= 1
        return [i for i in range(header.first_data_row - 1, last + 1) if i not in skip]

    def full_column(self, c: int) -> Sequence[RawValue]:
        """Every value of column ``c`` (0-based) in the data rows (layout rows left out)."""
        if self._columns is None:
            rows = self.rows
            picked = [rows[i] for i in self.data]
            self._columns = list(zip_longest(*picked)) if picked else []
        return self._columns[c] if c < len(self._columns) else [None] * len(self.data)

    def _count(self, c: int, text: str) -> int:
        """Cells of column ``c`` holding exactly ``text`` (spaces around it ignored)."""
        return sum(
            1
            for v in self.full_column(c)
            if v.__class__ is str and (v == text or v.strip() == text)
        )

    def _layout(self, header: HeaderGuess, shape: TableShape) -> list[LayoutRow]:
        above = classify_above_header(self.rows, shape) if header.row > 1 else []
        declared = {lr.row: lr for lr in declared_totals(self.sheet.totals_rows, shape)}
        below = [lr for lr in classify_rows(self.rows, shape) if lr.row not in declared]
        return above + sorted([*below, *declared.values()], key=lambda lr: lr.row)

    def _shape(self, header: HeaderGuess, field_of: dict[int, str]) -> TableShape:
        col = {f: c + 1 for c, f in field_of.items()}
        known = frozenset(self.profile.stage_lookup())
        amounts = (col["amount"],) if "amount" in col else ()
        return TableShape(header.row, col.get("deal_id"), col.get("stage"), amounts, known)

    def run(self, header: HeaderGuess) -> Guess:
        rows = self.rows
        width = max(len(header.labels), max((len(r) for r in rows[:200]), default=0))
        labels = list(header.labels) + [None] * (width - len(header.labels))
        # a first layout pass with the columns the names make sure of
        prelim: dict[int, str] = {}
        for c, lbl in enumerate(labels):
            m = self.index.match(lbl) if lbl else None
            if m and m.strength >= 0.8 and m.field in ("deal_id", "stage", "amount"):
                if m.field not in prelim.values():
                    prelim[c] = m.field
        shape = self._shape(header, prelim)
        layout = self._layout(header, shape)
        keys = self._second_header(header, layout, width)
        self.data = self._data_rows(header, layout)
        cvs = self._sample(width)
        markers = find_null_markers(cvs, labels, self._count)
        assigner = Assigner(
            self.profile, self.index, labels, keys, cvs, self.full_column, header.row == 0
        )
        assigner.run()
        final = self._shape(header, assigner.field_of)
        if final != shape:
            layout = self._layout(header, final)
            self.data = self._data_rows(header, layout)
            self._columns = None
        warnings = list(assigner.warnings)
        field_col = {f: c for c, f in assigner.field_of.items()}
        # (d) stages
        stage_guesses: list[StageGuess] = []
        extras: list[ExtraStage] = []
        stage_warnings: list[str] = []
        if "stage" in field_col:
            counts = self._stage_counts(field_col["stage"], cvs[field_col["stage"]])
            stage_guesses, extras, stage_warnings = guess_stages(counts, self.profile)
            if extras:
                metric, how = self._stage_metric(field_col, cvs)
                if metric:
                    stage_guesses, extras, stage_warnings = guess_stages(
                        counts, self.profile, metric, how
                    )
        warnings += stage_warnings
        # every value of the typed columns, for exact counts and orders
        details = self._details(width, assigner, cvs)
        orders = {c: date_guess(cv, labels[c], "dmy", "") for c, cv in details.items()}
        day_first = [
            labels[c] or ""
            for c, o in orders.items()
            if o and o.order == "dmy" and o.numeric and not o.ambiguous
        ]
        comma = [
            labels[c] or ""
            for c, cv in enumerate(cvs)
            if cv.kinds[NUMBER_TEXT] + cv.kinds[MONEY_TEXT]
            and money_guess(details.get(c, cv), labels[c]).decimal == ","
        ]
        locale = self._locale(labels, cvs, day_first, comma)
        fallback = "mdy" if locale.locale == "en_US" else "dmy"
        why = f"the locale guess {locale.locale} reads {('month', 'day')[fallback == 'dmy']} first"
        columns = []
        for c in range(width):
            fname = assigner.field_of.get(c)
            ftype = self.index.type_of(fname) if fname else None
            ev = assigner.evidence.get(c) or "no field: the name and the values say nothing known"
            if not fname and c in assigner.evidence:
                ev = "no field: " + ev
            columns.append(
                column_guess(
                    details.get(c, cvs[c]),
                    labels[c],
                    keys[c],
                    fname,
                    ftype,
                    ev,
                    assigner.strength.get(c, 0.0),
                    fallback,
                    why,
                )
            )
        columns = [c for c in columns if c.header or c.field or cvs[c.column - 1].filled]
        sampled = cvs[0].rows if cvs else 0
        if sampled < len(self.data):
            note = f" (in {sampled:,} rows sampled from {len(self.data):,})"
            columns = [
                replace(c, date=replace(c.date, evidence=c.date.evidence + note))
                if c.date is not None and c.column - 1 not in details
                else c
                for c in columns
            ]
        currency = self._currency(columns, cvs, locale.locale)
        if currency.check:
            warnings.append(currency.check)
        zone = zone_guess(locale.locale, self.profile, self.local_zone, self.sheet_zone)
        if zone.check:
            warnings.append(zone.check)
        tax = tax_guess(territory_of(locale.locale), self.profile)
        if tax is not None:
            warnings.append(tax.check)
        relax = self._relax(set(assigner.field_of.values()))
        unplaced = self._unplaced(columns, stage_guesses)
        warnings += self._notes(columns, stage_guesses)
        return Guess(
            source=self.source,
            profile=self.profile.name,
            sheet=self.choice,
            header_row=header.row,
            header_evidence=header.evidence,
            first_data_row=header.first_data_row,
            data_rows=sum(1 for i in self.data if any(rows[i])),
            columns=tuple(columns),
            stages=tuple(stage_guesses),
            extra_stages=tuple(extras),
            currency=currency,
            locale=locale,
            zone=zone,
            null_markers=tuple(markers),
            layout=tuple(layout),
            relax=tuple(relax),
            unplaced=tuple(unplaced),
            warnings=tuple(warnings),
            tax=tax,
        )

    def _second_header(
        self, header: HeaderGuess, layout: list[LayoutRow], width: int
    ) -> list[str | None]:
        keys: list[str | None] = [None] * width
        if header.row == 0:
            return keys
        second = next((r for r in layout if r.kind == "second-header"), None)
        if second is None or second.row > header.row + 3:
            return keys
        row = self.rows[second.row - 1]
        for c in range(min(width, len(row))):
            v = row[c]
            if isinstance(v, str) and v.strip():
                keys[c] = v.strip()
        return keys

    def _sample(self, width: int) -> list[ColumnValues]:
        rows = self.rows
        picks = [self.data[i] for i in sample_rows(len(self.data), SAMPLE_ROWS)]
        sample = [rows[i] for i in picks]
        columns = list(zip_longest(*sample)) if sample else []
        out = []
        for c in range(width):
            vals = list(columns[c]) if c < len(columns) else [None] * len(sample)
            out.append(column_values(c + 1, vals))
        return out

    def _stage_counts(self, c: int, cv: ColumnValues) -> Counter[str]:
        """Every distinct stage value (all rows) -> rows holding it; null markers left out."""
        nulls = {str(v).strip() for v, k in cv.kind_of.items() if k == NULL}
        counts: Counter[str] = Counter()
        raw = Counter(self.full_column(c))
        for v, n in raw.items():
            if v is None or isinstance(v, (CellError, bool)):
                continue
            text = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()
            if text and text not in nulls and not is_null_marker(text):
                counts[text] += n
        return counts

    def _stage_metric(
        self, field_col: dict[str, int], cvs: list[ColumnValues]
    ) -> tuple[dict[str, float] | None, str]:
        if "stage_date" not in field_col:
            return None, ""
        sc, dc = field_col["stage"], field_col["stage_date"]
        cc = field_col.get("created")
        stages = self.full_column(sc)
        dates = self.full_column(dc)
        created = self.full_column(cc) if cc is not None else None
        per: dict[str, list[float]] = {}
        for i in sample_rows(len(stages), SAMPLE_ROWS):
            s = stages[i]
            d = to_date(dates[i], None, serials=True)  # a stage date column: serials too
            if s is None or s == "" or d is None:
                continue
            text = str(s).strip()
            if created is not None:
                c0 = to_date(created[i], None, serials=True)
                if c0 is None:
                    continue
                per.setdefault(text, []).append((d - c0).days)
            else:
                per.setdefault(text, []).append(d.toordinal())
        if not per:
            return None, ""
        metric = {k: statistics.median(v) for k, v in per.items()}
        how = (
            "the median days from creation to the stage date"
            if created is not None
            else "the median stage date"
        )
        return metric, how

    def _details(
        self, width: int, assigner: Assigner, cvs: list[ColumnValues]
    ) -> dict[int, ColumnValues]:
        """Every value (not a sample) of the columns whose dates or money are described."""
        out = {}
        sheet_nulls = set()
        for cv in cvs:
            sheet_nulls |= {str(v).strip() for v, k in cv.kind_of.items() if k == NULL}
        for c in range(width):
            fname = assigner.field_of.get(c)
            ftype = self.index.type_of(fname) if fname else None
            cv = cvs[c]
            if not (ftype == "date" or fname == "amount"):
                continue
            if len(self.data) <= cv.rows:
                out[c] = cv
                continue
            full = column_values(c + 1, self.full_column(c))
            nulls = {str(v).strip() for v, k in cv.kind_of.items() if k == NULL}
            for v, k in list(full.kind_of.items()):
                if k != NULL and isinstance(v, str) and v.strip() in nulls | sheet_nulls:
                    full.kinds[k] -= full.counts[v]
                    full.kinds[NULL] += full.counts[v]
                    full.kind_of[v] = NULL
            out[c] = full
        return out

    def _locale(
        self,
        labels: Sequence[str | None],
        cvs: list[ColumnValues],
        day_first: list[str],
        comma: list[str],
    ) -> LocaleGuess:
        headers = [h for h in labels if h]
        cjk = sum(1 for h in headers if any("\u4e00" <= ch <= "\u9fff" for ch in h))
        if headers and cjk >= max(1, 0.3 * len(headers)):
            return LocaleGuess("zh_CN", f"{cjk} of {len(headers)} headers are Chinese → zh_CN")
        votes: Counter[str] = Counter()
        for h in headers:
            m = self.index.match(h)
            lang = _LANG_OF_SOURCE.get(m.source) if m else None
            if lang:
                votes[lang] += 1
            elif m and h.isascii() and m.source not in ("hint", "weak"):
                votes["en"] += 1
            ws = set(words(h))
            for lang2, lw in LANGUAGE_WORDS.items():
                if ws & set(lw):
                    votes[lang2] += 1
        why = []
        if votes:
            top = max(votes, key=lambda k: (votes[k], k == "en"))
            why.append(f"{votes[top]} headers in {LANGUAGE_NAMES[top]}")
        else:
            top = "en" if headers and all(h.isascii() for h in headers) else ""
            if top:
                why.append("English headers")
        value_lang: Counter[str] = Counter()
        for cv in cvs:
            pair = cv.is_boolean() if cv.real else None
            if pair in _LANG_OF_BOOL:
                value_lang[_LANG_OF_BOOL[pair]] += 1
                why.append(f"{pair} flags")
        if top == "en" and (day_first or comma):
            if day_first:
                why.append(f"day-first dates ({day_first[0]})")
            if comma:
                why.append(f"decimal commas ({comma[0]})")
            if value_lang:
                top = value_lang.most_common(1)[0][0]
            else:
                loc = "de_DE" if comma else "en_GB"
                return LocaleGuess(loc, "; ".join(dict.fromkeys(why)) + f" → {loc}")
        if not top:
            return LocaleGuess(
                self.profile.locale, f"nothing tells: the profile's {self.profile.locale}"
            )
        loc = LOCALE_OF_LANGUAGE[top]
        return LocaleGuess(loc, "; ".join(dict.fromkeys(why)) + f" → {loc}")

    def _currency(
        self, columns: list[ColumnGuess], cvs: list[ColumnValues], locale: str
    ) -> CurrencyGuess:
        amount = next((c for c in columns if c.field == "amount"), None)
        if amount and amount.money and amount.money.currency:
            return CurrencyGuess(amount.money.currency, amount.money.evidence)
        cur = next((c for c in columns if c.field == "currency"), None)
        if cur is not None:
            codes: Counter[str] = Counter()
            for v, n in cvs[cur.column - 1].counts.items():
                if cvs[cur.column - 1].kind_of.get(v) in ("text", "code"):
                    codes[currency_code(str(v), "")] += n
            if codes:
                top, n = codes.most_common(1)[0]
                total = sum(codes.values())
                shown = ", ".join(f"{k} {m:,}" for k, m in codes.most_common(5))
                if n >= 0.9 * total:
                    return CurrencyGuess(top, f"{cur.header or cur.letter}: {shown}")
                return CurrencyGuess(
                    top,
                    f"{cur.header or cur.letter} holds several currencies ({shown}): each "
                    f"row's amount is in its row's currency; {top} is the most frequent",
                )
        return locale_currency(locale, self.profile, self.today)

    def _relax(self, mapped: set[str]) -> list[RelaxGuess]:
        out = []
        for st in self.profile.stages:
            missing = tuple(f for f in st.required if f not in mapped)
            if missing:
                out.append(
                    RelaxGuess(
                        st.id,
                        missing,
                        f"{st.id} requires {', '.join(missing)}: "
                        f"the sheet has no column for {'it' if len(missing) == 1 else 'them'}",
                    )
                )
        return out

    def _unplaced(self, columns: list[ColumnGuess], stages: list[StageGuess]) -> list[Unplaced]:
        out = []
        mapped = {c.field for c in columns if c.field}
        for f in ("deal_id", "stage"):
            if f not in mapped:
                out.append(Unplaced("field", f, f"no column holds {f}"))
        for c in columns:
            if not c.field:
                out.append(Unplaced("column", c.name, c.evidence))
        for s in stages:
            if s.extra:
                out.append(Unplaced("stage", s.value, s.evidence))
        return out

    def _notes(self, columns: list[ColumnGuess], stages: list[StageGuess]) -> list[str]:
        out = []
        if not any(c.field == "amount" for c in columns):
            qty = next((c for c in columns if c.header and set(words(c.header)) & _QUANTITY), None)
            price = next((c for c in columns if c.header and set(words(c.header)) & _PRICE), None)
            if qty and price:
                out.append(
                    f"no amount column: {qty.header!r} × {price.header!r} would give it; the "
                    "amount stays unmapped (a config maps columns, it does not multiply them)"
                )
        for c in columns:
            if c.money and c.money.note:
                out.append(f"{c.name}: {c.money.note}")
        data = [i for i in self.data if any(self.rows[i])]
        if 0 < len(data) <= 3:
            odd = [repr(s.value) + " is no known stage" for s in stages if s.extra]
            odd += [
                f"{c.header or c.letter}: {c.evidence.split(', but ')[-1]}"
                for c in columns
                if not c.field and c.evidence.endswith(": not mapped")
            ]
            if odd:
                rows = ", ".join(str(i + 1) for i in data)
                out.append(
                    f"row{'s' if len(data) > 1 else ''} {rows}: the only data, and it looks "
                    f"like a filled-in example ({'; '.join(odd[:3])}); kept as a deal: no "
                    "marker says it is an example — delete it if it is not a deal"
                )
        return out
