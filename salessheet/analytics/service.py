"""Pipeline analytics: ``build_report(evaluation)`` -> ``AnalyticsReport``.

The CLI calls::

    ev = evaluate_source(source, profile=..., sheet=..., today=..., credentials=...)
    report = build_report(ev, since=since, until=until, rates=load_rates(path) if path else None)
    report.to_dict() / analytics.text.render_text(report) / save_html(report, html_path)

JSON shape of ``AnalyticsReport.to_dict()`` (money is an exact decimal string; a *Money* object
is ``{"by_currency": {"CNY": "1200.00"}, "base": "CNY"|null, "converted": "8520.00"|null,
"unpriced_deals": 0, "deals_without_amount": 0}`` — ``converted`` only with a rate table, and
deals whose currency has no rate are counted in ``unpriced_deals`` instead of being priced;
rates/shares are floats 0..1 rounded to 4 places or null when there is nothing to divide; every
figure carries the number of deals it rests on in ``deals``)::

    {"source", "sheet", "today", "profile", "currency",
     "window": {"since": "YYYY-MM-DD"|null, "until": ...},
     "history": {"runs": int (runs in the ledger before this one), "first_run", "last_run"},
     "summary": {"deals", "open", "won", "lost", "win_rate", "stalled", "open_weighted": Money},
     "funnel": {"deals", "unstaged_rows", "amount": Money, "weighted": Money,
                "probability": {"column", "scale": "0-1"|"0-100"|null, "deals_from_column",
                                "deals_from_stage", "out_of_range", "note"},
                "stages": [{"stage", "label", "label_zh", "outcome", "deals",
                            "amount": Money, "weighted": Money}]},
     "conversion": {"deals", "lost_unknown_stage", "closed_undated", "note",
                    "win_rate": {"won", "lost", "deals", "rate"},
                    "stages": [{"stage", "next_stage", "label", "label_zh", "deals",
                                "advanced", "still_here", "lost_here", "rate"}]},
     "time_in_stage": [{"stage", "label", "label_zh", "basis": "ledger"|"current"|"none",
                        "deals", "median_days", "p90_days", "completed_stays",
                        "current_deals", "unknown_entry", "note"}],
     "bottleneck": {"worst_conversion": {"stage", "rate", "deals"}|null,
                    "longest_time": {"stage", "median_days", "basis", "deals"}|null},
     "forecast": {"deals", "weighted": Money, "rates": {"as_of", "base", "rates"}|null,
                  "buckets": [{"key": "overdue"|"YYYY-MM" (6 months from today's)|"later"|
                               "no-date", "deals", "amount": Money, "weighted": Money}]},
     "forecast_accuracy": {"currency", "snapshots", "first_snapshot", "notes",
                  "months": [{"month": "YYYY-MM", "won": {"deals", "amount"}, "note",
                              "forecasts": [{"weeks": 1|4|8, "snapshot", "deals", "weighted",
                                             "unweighted", "error_percent",
                                             "error_percent_unweighted"}],
                              "owners": [{"owner", "won", "forecasts"}]}]},
     "owners": [{"owner" (null: no owner), "deals", "open", "open_amount": Money,
                 "weighted": Money, "won", "lost", "win_rate", "cycle_median_days",
                 "cycle_deals", "stalled"}],
     "stalled": [{"deal_id", "customer", "owner", "stage", "stage_label" (as the deal's cell
                  writes it), "days", "threshold", "since", "clock", "amount", "currency",
                  "cell"}],
     "slips": {"available", "runs", "deals", "deals_slipped"|null, "total_slips"|null,
               "by_count": {"1": n, ...}, "top": [{"deal_id", "owner", "slips",
               "expected_close"}], "close_date_passed",
               "close_date_unknown" (open deals without an expected close), "note"},
     "lost_reasons": {"deals", "without_reason", "reasons": [{"reason", "deals"}]},
     "notes": [str, ...],
     "stage_labels": {stage id: the name the report gives it: as the sheet writes it, else
                      the profile's label in the report's language}}

``basis`` of time in stage: ``ledger`` = completed stays the ledger recorded (3+ needed);
``current`` = days so far of the deals now in the stage (from the sheet's stage dates or the
ledger); ``none`` = no entry dates at all (median/p90 null).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from salessheet.analytics import figures as fig
from salessheet.analytics.display import n_of
from salessheet.analytics.forecasting import forecast_accuracy
from salessheet.analytics.model import AnalyticsReport, History, RateTable
from salessheet.core.catalogue import FORMULA_NOT_CALCULATED
from salessheet.core.errors import ConfigError, SourceError, UsageError
from salessheet.core.files import read_error_hint
from salessheet.core.formatting import count, is_known_currency
from salessheet.core.textnorm import is_zh
from salessheet.rules.engine import Evaluation


def build_report(
    evaluation: Evaluation,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    rates: Mapping[str, Any] | None = None,
) -> AnalyticsReport:
    """Every figure of the analytics report, from one evaluation of the pipeline."""
    return _build(evaluation, since, until, rates)


def _build(
    evaluation: Evaluation,
    since: dt.date | None,
    until: dt.date | None,
    rates: Mapping[str, Any] | None,
) -> AnalyticsReport:
    if since and until and since > until:
        raise UsageError(
            f"--since {since.isoformat()} is after --until {until.isoformat()}",
            hint="give a window whose start is on or before its end",
        )
    table = check_rates(rates) if rates is not None else None
    p = evaluation.pipeline
    profile, today = p.profile, p.today
    ledger = evaluation.new_ledger
    previous = evaluation.ledger
    spans = fig.spans_by_deal(ledger.spans())

    column = p.layout.header_of.get("probability") if "probability" in p.layout.col_of else None
    deals = p.counted()  # one rule: rows sharing an id are one deal, the last row wins
    basis, divisor = fig.probability_basis(
        [d.values.get("probability") for d in deals], column, fig.configured_scale(profile)
    )
    facts = fig.deal_facts(deals, profile, spans, basis, divisor)
    by_id = {f.id: f for f in facts if f.id}
    known_stages = {s.id for s in profile.stages}
    unstaged = sum(1 for d in deals if d.stage not in known_stages)

    pricing = fig.Pricing(table)
    window = fig.Window(since, until)
    entered_now: dict[str, tuple[dt.date | None, bool]] = {}
    for f in facts:
        stays = spans.get(f.id) if f.id else None
        if stays and stays[-1].left is None and stays[-1].stage == f.stage.id:
            entered_now[f.id] = (stays[-1].entered, fig.entry_known(stays, len(stays) - 1))
    for d in deals:
        sd = d.values.get("stage_date")
        if d.id and d.id not in entered_now and isinstance(sd, dt.date):
            entered_now[d.id] = (sd, True)

    stalled = fig.stalled_deals(evaluation.findings, by_id, profile)
    stalled_by_owner = Counter((s.owner or "").strip() for s in stalled)
    seen = {f.stage.id for f in facts} | {s.stage for stays in spans.values() for s in stays}
    conv = fig.conversion(facts, profile, window, seen)
    times = fig.time_in_stage(spans, facts, profile, today, entered_now)
    runs = sorted({(e.run, e.run_date) for e in previous.events}, key=lambda x: x[1])
    history = History(len(runs), runs[0][1] if runs else None, runs[-1][1] if runs else None)
    slip_counts = {k: v.slips for k, v in evaluation.state.items()}

    report = AnalyticsReport(
        source=str(p.source),
        sheet=p.sheet,
        profile=profile.name,
        today=today,
        since=since,
        until=until,
        currency=profile.currency,
        locale=profile.locale,
        history=history,
        funnel=fig.funnel(facts, profile, pricing, unstaged, basis),
        conversion=conv,
        time_in_stage=times,
        bottleneck=fig.bottleneck(conv, times, (s.id for s in profile.stages if s.is_open)),
        forecast=fig.forecast(facts, today, pricing),
        owners=fig.sort_owners(
            fig.owners(facts, window, pricing, stalled_by_owner), profile.currency
        ),
        stalled=stalled,
        slips=fig.slips(slip_counts, facts, history.runs, today),
        lost_reasons=fig.lost_reasons(
            facts, {d.id: d.values.get("lost_reason") for d in deals if d.id}, window
        ),
    )
    report.accuracy = forecast_accuracy(evaluation, table)
    zh = is_zh(profile.locale)  # each stage as the sheet writes it, else in the report's language
    report.stage_names = {s.id: p.stage_names.for_reader(s.id, zh) for s in profile.stages}
    conv.name_unused(report.stage_names)
    report.notes = _notes(report, facts, table, today)
    duplicates = p.duplicate_note()
    if duplicates:  # stated where the numbers are shown
        report.notes.insert(0, f"Deals: {duplicates}.")
    for finding in p.findings:  # figures read as blank: said before any other note
        if finding.code == FORMULA_NOT_CALCULATED.code:
            report.notes.insert(0, f"Not counted: {finding.message}.")
    return report


def _notes(
    report: AnalyticsReport, facts: list[fig.DealFacts], rates: RateTable | None, today: dt.date
) -> list[str]:
    notes = [f"Weighted amounts: {report.funnel.probability.note}."]
    if report.funnel.probability.out_of_range:
        notes.append(
            f"{report.funnel.probability.out_of_range} probabilities outside the assumed "
            "scale were ignored (stage probability used)."
        )
    if report.history.runs == 0:
        notes.append(
            "The ledger has no earlier run: stage history starts today. Time in stage uses the "
            "sheet's stage dates; slips and conversion of lost deals need 2+ runs."
        )
    else:
        h = report.history
        notes.append(
            # (ISO dates)
            f"Ledger history: {count(h.runs, 'run')} from {h.first_run} to {h.last_run}."
        )
    if report.conversion.note:
        notes.append(report.conversion.note[0].upper() + report.conversion.note[1:] + ".")
    if report.since or report.until:
        notes.append(
            "Window: win rate, won/lost, cycle length and lost reasons count deals closed in "
            "the window; conversion counts deals active in it; funnel, forecast, stalled and "
            "slips are as of today."
        )
        if report.conversion.closed_undated:
            notes.append(
                f"{report.conversion.closed_undated} closed deals have no close date (no "
                "stage date, expected close or ledger record) and are left out of the window."
            )
    currencies = {f.currency for f in facts if f.amount is not None}
    if rates:
        missing = sorted(c for c in currencies if c not in rates["rates"] and c != rates["base"])
        notes.append(
            f"Amounts converted to {rates['base']} at rates as of {rates['as_of'].isoformat()}."
        )
        if missing:
            notes.append(
                f"No rate for {', '.join(missing)}: those deals are counted but not priced."
            )
        if (today - rates["as_of"]).days > 31:
            notes.append(f"The rate table is {(today - rates['as_of']).days} days old; refresh it.")
    elif len(currencies) > 1:
        notes.append(
            f"Deals are in {len(currencies)} currencies ({', '.join(sorted(currencies))}); "
            "sums are per currency (charts show "
            f"{report.currency} only). Pass a rate table (--rates FILE) to convert."
        )
    missing_amount = report.funnel.amount.missing
    if missing_amount:
        notes.append(f"{n_of(missing_amount, 'deal')} without an amount: counted, not summed.")
    no_id = sum(1 for f in facts if not f.id)
    if no_id:  # counted in the figures, but the ledger (and so `changes`) keys deals by id
        notes.append(
            f"{count(no_id, 'deal')} without a deal id: counted here, but the ledger cannot "
            "follow it (no stage history, and `changes` leaves it out); `validate` lists it "
            "as missing-id."
        )
    if report.funnel.unstaged:
        notes.append(
            f"{count(report.funnel.unstaged, 'row')} with a blank or unknown stage left out "
            "(`changes` counts those the ledger knows in their last known stage)."
        )
    notes.append(
        "Conversion: a deal has reached every stage up to the furthest one it is or was in. "
        "p90 is the nearest-rank 90th percentile. Days are calendar days."
    )
    return notes


def check_rates(rates: object, where: str = "rate table") -> RateTable:
    """Validate a rate table ``{"as_of": date, "base": "CNY", "rates": {"USD": Decimal}}``
    (1 unit of each currency = rate units of base)."""
    problems = []
    if not isinstance(rates, dict):
        raise ConfigError(f"{where}: expected a mapping with as_of, base and rates")
    as_of = rates.get("as_of")
    day: dt.date | None = None
    if isinstance(as_of, str):
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            problems.append(f"as_of: {as_of!r} is not a date YYYY-MM-DD")
    elif isinstance(as_of, dt.date):
        day = as_of
    else:
        problems.append(f"as_of: {as_of!r}; expected the date the rates are valid for")
    base = rates.get("base")
    if not isinstance(base, str) or not is_known_currency(base):
        problems.append(f"base: {base!r}; expected an ISO 4217 code such as CNY")
    table = rates.get("rates")
    clean: dict[str, Decimal] = {}
    if not isinstance(table, dict) or not table:
        problems.append(f"rates: {table!r}; expected a mapping such as {{USD: 7.1}}")
    else:
        for cur, value in table.items():
            if not isinstance(cur, str) or not is_known_currency(cur):
                problems.append(f"rates.{cur}: not an ISO 4217 currency code")
                continue
            try:
                if isinstance(value, bool):
                    raise InvalidOperation
                rate = Decimal(str(value))
                if not rate.is_finite() or rate <= 0:
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                problems.append(f"rates.{cur}: {value!r}; expected a positive number")
                continue
            clean[cur] = rate
    extra = sorted(set(rates) - {"as_of", "base", "rates"})
    if extra:
        problems.append(f"unknown keys {', '.join(map(str, extra))}; expected as_of, base, rates")
    if problems or day is None or not isinstance(base, str):  # (no problem: both are set)
        raise ConfigError(
            f"{where}: {len(problems)} problem(s)",
            problems=problems,
            hint=RATES_HINT,
        )
    return {"as_of": day, "base": base, "rates": clean}


RATES_HINT = (
    'a rate table is JSON: {"as_of": "2026-11-28", "base": "CNY", "rates": {"USD": "7.10"}} '
    "(units of the base per unit of each currency)"
)


def load_rates(path: str | Path) -> RateTable:
    """Read a JSON rate table: {"as_of": "YYYY-MM-DD", "base": "CNY", "rates": {"USD": "7.1"}}.

    Numbers may be JSON numbers or strings; they are read as exact decimals.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the rate table ({exc.strerror or exc})",
            hint=read_error_hint(path, exc) or RATES_HINT,
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the rate table is not UTF-8 text", hint=RATES_HINT) from exc
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            hint=RATES_HINT,
        ) from exc
    return check_rates(data, where=str(path))


def save_html(report: AnalyticsReport, path: str | Path) -> Path:
    """Write the HTML report atomically (temp file in the same folder, then rename)."""
    from salessheet.analytics.html import render_html  # Jinja2 only for reports that need it

    path = Path(path)
    html = render_html(report)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SourceError(f"{path}: the folder {folder} does not exist")
    from salessheet.core.files import write_atomic

    try:
        write_atomic(path, html.encode("utf-8"))
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot write the HTML report ({exc.strerror or exc})",
            hint="give --html a file in a folder you can write to",
        ) from exc
    return path
