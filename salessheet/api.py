"""The Python API: one function per command. The CLI is a thin layer over these."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from salessheet.core.errors import StructureError, WriteRefused
from salessheet.core.report import CheckReport
from salessheet.nightly.writeback import plan_write
from salessheet.rules.engine import Evaluation, evaluate, unused_text_fields
from salessheet.rules.stalled import STALL_CODES, worst_first
from salessheet.settings.profile import Profile, load_profile
from salessheet.sheet.load import OpenPipeline, load_pipeline

if TYPE_CHECKING:  # imported where they are used: the commands that need them pay for them
    from salessheet.analytics.changes import Changes
    from salessheet.analytics.model import AnalyticsReport
    from salessheet.core.findings import Finding
    from salessheet.documents.service import IssueResult
    from salessheet.history.ledger import LedgerEvent
    from salessheet.init.adopt.service import ConfigInit
    from salessheet.nightly.actions import ActionPlan, DueAction, Outcome, Result
    from salessheet.notify.results import NotificationResult
    from salessheet.settings.notify import NotificationSettings
    from salessheet.stores.base import SheetReplace, Store


class NotifyOptions(TypedDict, total=False):
    """The command line's notification options (``notify`` and ``notification_settings``)."""

    email_to: tuple[str, ...]
    webhooks: tuple[str, ...]
    allow_link_local: bool


# A date, or a function of a time zone giving today's date there (resolved once the source is
# open, so a Google Sheet's own time zone can decide).
Today = dt.date | Callable[[str], dt.date]


def open_pipeline(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: Today,
    credentials: str | None = None,
    rules_only: bool = False,
) -> OpenPipeline:
    """``rules_only``: parse just what the rules read (validate, stalled, run), not e.g. phone
    numbers and notes, which quotes and the report use."""
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    skip = unused_text_fields(prof) if rules_only else frozenset()
    try:
        return load_pipeline(
            str(source),
            profile=prof,
            sheet=sheet,
            today=today,
            credentials=credentials,
            skip_text=skip,
        )
    except StructureError as exc:  # a sheet the profile does not fit: point at the fix
        from salessheet.init.nearmiss import point_at_fix

        raise point_at_fix(exc, prof, str(source)) from None


def validate(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: Today,
    credentials: str | None = None,
) -> CheckReport:
    """Read-only checks (fields, transitions since the last run, stalls). Never writes."""
    ev = validate_evaluation(
        source, profile=profile, sheet=sheet, today=today, credentials=credentials
    )
    return _report(ev)


def validate_evaluation(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: Today,
    credentials: str | None = None,
) -> Evaluation:
    """What ``validate`` reports on (its report is ``.check_report()``), for a caller that
    decides itself when the pipeline behind the report is let go (the command line leaves it
    to the process's end)."""
    return evaluate_source(
        source,
        profile=profile,
        sheet=sheet,
        today=today,
        credentials=credentials,
        record=False,
        rules_only=True,
    )


def evaluate_source(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: Today,
    credentials: str | None = None,
    record: bool = True,
    rules_only: bool = False,
) -> Evaluation:
    p = open_pipeline(
        source,
        profile=profile,
        sheet=sheet,
        today=today,
        credentials=credentials,
        rules_only=rules_only,
    )
    return evaluate(p, record=record)


def _report(ev: Evaluation, findings: list[Finding] | None = None) -> CheckReport:
    return ev.check_report(findings)


def stalled(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: Today,
    credentials: str | None = None,
) -> CheckReport:
    """Stalled deals only, worst first. Never writes."""
    ev = evaluate_source(
        source,
        profile=profile,
        sheet=sheet,
        today=today,
        credentials=credentials,
        record=False,
        rules_only=True,
    )
    superseded = ev.pipeline.superseded()  # a repeated id is one deal: its last row
    rows = [
        f
        for f in ev.findings
        if f.code in STALL_CODES and f.status != "resolved" and f.row not in superseded
    ]
    report = _report(ev, worst_first(rows))
    report.presorted = True
    by_id = {d.id: d for d in ev.pipeline.deals}
    rows_out = []
    for f in report.findings:
        deal = by_id.get(f.deal_id or "")
        rows_out.append(
            {
                "deal_id": f.deal_id,
                "owner": f.owner,
                "customer": deal.values.get("customer") if deal else None,
                "stage": f.details.get("stage") or (deal.stage if deal else None),
                "stage_label": f.details.get("stage_label")
                or (ev.pipeline.stage_names.of(deal) if deal else None),
                "code": f.code,
                "days": f.details.get("days"),
                "threshold": f.details.get("threshold"),
                "clock": f.details.get("clock"),
                "cell": f.cell,
            }
        )
    report.extra["stalled"] = rows_out
    return report


def run(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: Today,
    dry_run: bool = False,
    credentials: str | None = None,
    documents_out: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    allow_link_local: bool = False,
) -> CheckReport:
    """The nightly job: validate, record the ledger, carry out the stages' ``on_enter`` actions
    for deals that entered them since the last run, write flags (unless dry_run: then the
    actions are only listed, as ``planned``).

    ``documents_out``: where the actions' documents go (default: the profile's
    ``documents.out_dir``, else a ``documents`` folder beside a file source, or in the current
    folder for a Google Sheet). ``env``: the environment the actions' notifications read SMTP
    credentials, webhook URLs and secrets from (pass ``os.environ``; default: none). An
    action's failure is in the report's ``actions`` and, after its last retry, an
    ``action-failed`` warning: it never changes the exit code."""
    from salessheet.nightly.actions import add_findings, given_up, ledger_rows, plan_actions

    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    acting = any(s.on_enter for s in prof.stages)
    issuing = any(a.kind == "issue" for s in prof.stages for a in s.on_enter)
    p = open_pipeline(  # documents read every column; the rules alone need fewer
        source, profile=prof, sheet=sheet, today=today, credentials=credentials,
        rules_only=not issuing,
    )  # fmt: skip
    ev = evaluate(p)
    _refuse_going_back(ev)
    # flags go beside a table's header: a CSV is read-only, a sheet without a header row has
    # nowhere to put one (its findings and ledger still go to the tool's sheets/sidecars)
    cells_writable = p.store.kind != "csv" and not p.layout.headerless
    forecast, moved = _history_extras(ev)
    actions = plan_actions(ev)
    outcomes: list[Outcome] = actions.planned() if dry_run else []
    rows: list[LedgerEvent] = []
    register = None
    if actions and not dry_run:
        _refuse_early(p.store)  # before anything is sent: a run that cannot write would resend
        outcomes, register = _carry_out(
            p, actions, _documents_dir(p, documents_out), env, allow_link_local
        )
        add_findings(ev, given_up(outcomes))
        rows = ledger_rows(outcomes, actions)
    store, sheet_name, header_row = p.store, p.sheet, p.layout.header_row
    plan = plan_write(
        ev,
        cells=cells_writable,
        forecast=forecast,
        actions=rows,
        register=register,
        row_guards=p.store.checks_rows,
        describe=dry_run,
        formula_columns=lambda: store.formula_columns(sheet_name, header_row),
    )
    report = _report(ev)
    report.extra["stage_labels"] = p.stage_names.as_dict()  # id -> as the sheet writes it
    report.extra["events"] = [e.row() for e in ev.events]
    if moved is not None:
        report.extra["since_last_run"] = moved
    if acting:
        report.extra["actions"] = [o.to_dict() for o in outcomes]
    if dry_run:
        report.extra["dry_run"] = {"changes": plan.describe(), "written": False}
        if plan.kept:
            report.extra["dry_run"]["skipped_rows"] = [list(x) for x in plan.kept]
        if plan.note:
            report.extra["dry_run"]["note"] = plan.note
        if not plan.batch.is_empty():
            try:  # a dry run tells what a run now would do: refuse, if Excel has the file open
                _refuse_early(p.store)
            except WriteRefused as exc:
                report.extra["dry_run"]["refused"] = {"message": exc.message, "hint": exc.hint}
        return report
    if plan.batch.is_empty():
        report.extra["written"] = {"cells": 0, "sheets": [], "unchanged": True}
        if plan.kept:
            report.extra["written"]["skipped_rows"] = [list(x) for x in plan.kept]
        if plan.note:
            report.extra["written"]["note"] = plan.note
        return report
    batch, note, kept = plan.batch, plan.note, plan.kept
    # the deals, their cells and the evaluation are done with: a sheet of 100,000 deals frees
    # ~300 MB before the write builds the new sheets' XML
    del p, ev, plan, actions, forecast, outcomes
    result = store.write(batch)
    report.extra["written"] = {
        "cells": result.written_cells or len(batch.cells),
        "sheets": result.written_sheets or [s.name for s in batch.sheets],
        "skipped_rows": [list(x) for x in sorted([*kept, *result.skipped_rows])],
        "backup": result.backup,
        "unchanged": result.unchanged,
    }
    if store.kind == "csv":
        report.extra["written"]["note"] = (
            "CSV sources are read-only: flags are not written; the ledger and findings are "
            "kept in sidecar files beside the CSV"
        )
    elif not cells_writable:
        report.extra["written"]["note"] = (
            "the sheet has no header row (header: none): no flag columns are written; the "
            "ledger and findings are in the tool's sheets"
        )
    elif note:
        report.extra["written"]["note"] = note
    return report


def _refuse_going_back(ev: Evaluation) -> None:
    """A run dated before the ledger's last run would write its history out of order (a stage
    entered "before" the last run saw it, negative days in stage): refused, exit 2."""
    last = ev.ledger.last_run_date()
    today = ev.pipeline.today
    if last is not None and today < last:
        from salessheet.core.errors import UsageError

        raise UsageError(
            f"{ev.pipeline.source}: the ledger's last run is dated {last.isoformat()}; a run "
            f"dated {today.isoformat()} would record the stage history out of order",
            hint=f"run with --today {last.isoformat()} or later; a missed night cannot be run "
            "afterwards (the ledger records what the sheet holds when the run happens)",
        )


def _documents_dir(p: OpenPipeline, given: str | Path | None) -> Path:
    """Where on_enter documents go (see ``run``)."""
    if given is not None:
        return Path(given)
    configured = getattr(p.profile.documents, "out_dir", None)
    if configured is not None:
        return Path(configured)
    if p.store.kind in ("xlsx", "csv"):
        return Path(p.store.source).resolve().parent / "documents"
    return Path("documents")


def _refuse_early(store: Store) -> None:
    """Refuse (exit 3) before carrying out actions when the write that records them would be
    refused: a workbook open in Excel or LibreOffice."""
    if store.kind == "xlsx":
        from salessheet.stores.file_safety import check_not_locked

        check_not_locked(Path(store.source))


def _carry_out(
    p: OpenPipeline,
    plan: ActionPlan,
    out_dir: Path,
    env: Mapping[str, str] | None,
    allow_link_local: bool,
) -> tuple[list[Outcome], SheetReplace | None]:
    """Tonight's on_enter actions (nightly.actions.carry_out) with documents from the
    documents layer (one register for all, written with the run's batch) and alerts from the
    notify layer. Returns the outcomes and the register sheet to write (None: unchanged)."""
    from salessheet.core.cellsafe import clip_rows
    from salessheet.documents.register import Register
    from salessheet.documents.service import issue_documents
    from salessheet.nightly.actions import Result, carry_out
    from salessheet.notify.stage_alerts import AlertJob, send_stage_alerts, stage_alert
    from salessheet.settings.documents import REGISTER_SHEET
    from salessheet.settings.notify import NotificationSettings
    from salessheet.stores.base import SheetReplace

    environ = env or {}
    held = {"register": Register(p.sheets.get(REGISTER_SHEET))}

    def issue(kind: str, fmt: str, due: Sequence[DueAction]) -> dict[str, Result]:
        before = held["register"].copy()
        try:
            res = issue_documents(
                p, kind, [d.deal.id for d in due], fmt=fmt, out_dir=out_dir,
                register=held["register"],
            )  # fmt: skip
        except BaseException:
            held["register"] = before  # its files were removed: number nothing
            raise
        out = {f.deal_id: Result(False, "; ".join(f.problems)) for f in res.failed}
        for doc in res.issued:
            out[doc.deal_id] = Result(True, number=doc.number, file=str(doc.path),
                                      new=doc.registered)  # fmt: skip
        return out

    def send(jobs: Sequence[tuple[DueAction, list[Outcome]]]) -> list[Result]:
        settings = p.profile.notifications or NotificationSettings()
        alerts = []
        for d, docs in jobs:
            alert = stage_alert(
                p.profile, d.deal, d.stage, d.action.message, from_stage=d.from_stage,
                entered=d.entered_on, source=str(p.source), sheet=p.sheet,
                documents=[(o.document, o.number, Path(o.file).name) for o in docs],
                names=p.stage_names,
            )  # fmt: skip
            alerts.append(AlertJob(alert, d.action.channel or "email", d.action.target or ""))
        attempts = send_stage_alerts(
            alerts, settings, env=environ, allow_link_local=allow_link_local
        )
        return [Result(a.ok, a.error or "") for a in attempts]

    outcomes = carry_out(plan, issue=issue, send=send)
    register = held["register"]
    sheet = None
    if register.changed:
        sheet = SheetReplace(REGISTER_SHEET, clip_rows(register.rows_for_write()))
    return outcomes, sheet


def _history_extras(ev: Evaluation) -> tuple[list[list[Any]] | None, dict[str, Any] | None]:
    """The forecast sheet after this run's snapshot, and the movement since the last run."""
    from salessheet.analytics.forecasting import forecast_sheet
    from salessheet.analytics.since_last_run import since_last_run

    return forecast_sheet(ev.pipeline), since_last_run(ev)


def notification_settings(
    profile: Profile,
    *,
    email_to: tuple[str, ...] = (),
    webhooks: tuple[str, ...] = (),
    allow_link_local: bool = False,
    env: Mapping[str, str],
) -> NotificationSettings:
    """The profile's notification settings with the command line's options merged in; raises
    UsageError (exit 2) listing every bad option (call it before a run writes anything)."""
    from salessheet.core.errors import UsageError
    from salessheet.notify import settings_from_options
    from salessheet.notify.addresses import option_problems

    base = profile.notifications
    settings, problems = settings_from_options(email_to, webhooks, base=base, env=env)
    added = settings.webhooks[len(base.webhooks) if base is not None else 0 :]
    problems += option_problems(added, allow_link_local or settings.allow_link_local)
    if problems:
        raise UsageError("bad notification options", problems)
    return settings


def notify(
    report: CheckReport,
    profile: Profile,
    *,
    email_to: tuple[str, ...] = (),
    webhooks: tuple[str, ...] = (),
    allow_link_local: bool = False,
    env: Mapping[str, str],
) -> list[NotificationResult]:
    """Send the digest of a run to the profile's and the options' recipients.

    Never raises for a failed delivery: each target's outcome is a NotificationResult.
    ``allow_link_local`` (``--allow-link-local-webhooks``) lets webhooks post to 169.254.0.0/16
    and fe80::/10, as the profile's ``notifications.allow_link_local: true`` does.
    """
    from salessheet.notify import send_notifications

    settings = notification_settings(
        profile,
        email_to=email_to,
        webhooks=webhooks,
        allow_link_local=allow_link_local,
        env=env,
    )
    return send_notifications(
        report.to_dict(), settings, env=env, allow_link_local=allow_link_local
    )


def schedule(
    source: str,
    *,
    at: str,
    tz: str | None,
    profile: Profile,
    sheet: str | None = None,
    credentials: str | None = None,
    state_dir: Path | None = None,
    notify_options: NotifyOptions | None = None,
    env: Mapping[str, str],
    echo: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> int:
    """Run `run` every day at ``at`` in the foreground, one run at a time, logged as JSON lines.

    ``tz``: the time zone of ``at`` only (default: the profile's). ``state_dir``: the run log's
    folder (default: a ``.salessheet`` folder beside a file, else ``$XDG_STATE_HOME/salessheet``);
    the lock is always in that default folder, keyed by the source however it is spelled, so a
    second scheduler on one source refuses to start (exit 2) whatever its ``state_dir``.
    ``stop``: set it to end the scheduler after the current run (the CLI sets it on SIGTERM and
    Ctrl-C; this function installs no signal handlers). ``clock``: aware "now" (default the
    real clock); each run's ``today`` is what ``run`` itself takes: the date at that moment in
    the source's time zone (a Google Sheet's own, else the profile's), whatever ``tz`` is."""
    from zoneinfo import ZoneInfo

    from salessheet.nightly.scheduler import (
        run_scheduler,
        scheduler_paths,
        utc_now,
        validate_at,
        validate_tz,
    )
    from salessheet.stores.registry import is_gsheets, open_store

    zone = tz or profile.timezone
    at = validate_at(at)  # a bad --at or --tz: exit 2 before the scheduler says it started
    validate_tz(zone)
    if not is_gsheets(source):  # a missing, unreadable or foreign file: exit 2 now, not at 02:00
        open_store(source, credentials=credentials).sheets()
    if notify_options is not None:  # bad options: exit 2 now, not after every night's run
        notification_settings(profile, env=env, **notify_options)
    lock, log = scheduler_paths(source, state_dir, env=env)
    log.parent.mkdir(parents=True, exist_ok=True)  # an unusable folder: exit 2 now

    now = clock or utc_now

    def job() -> tuple[int, dict[str, Any]]:
        moment = now()  # read once per run; the date is taken where `run` would take it

        def today(source_zone: str) -> dt.date:
            return moment.astimezone(ZoneInfo(source_zone)).date()

        report = run(
            source, profile=profile, sheet=sheet, today=today, credentials=credentials, env=env
        )
        if notify_options is not None:
            for result in notify(report, profile, env=env, **notify_options):
                echo(result.render())
        return report.exit_code, report.summary()

    echo(f"salessheet schedule: {source} every day at {at} ({zone}); log {log}")
    return run_scheduler(
        job,
        at=at,
        tz=zone,
        lock_path=lock,
        log_path=log,
        source=source,
        echo=echo,
        stop=stop,
        clock=now,
    )


def issue_documents(
    source: str | Path,
    kind: str,
    deal_ids: list[str] | None,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: Today,
    credentials: str | None = None,
    **options: Any,  # the keywords of salessheet.documents.service.issue_documents
) -> IssueResult:
    """Quotes or contracts for deals (see salessheet.documents.service.issue_documents)."""
    from salessheet.documents.service import issue_documents as issue

    p = open_pipeline(source, profile=profile, sheet=sheet, today=today, credentials=credentials)
    return issue(p, kind, deal_ids, **options)


def documents_fields(kind: str, lang: str) -> list[tuple[str, str]]:
    from salessheet.documents.service import template_fields

    return template_fields(kind, lang)


def report(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: Today,
    since: dt.date | None = None,
    until: dt.date | None = None,
    rates_file: str | Path | None = None,
    credentials: str | None = None,
) -> AnalyticsReport:
    """Funnel, conversion, time in stage, forecast, per-owner figures. Never writes the source."""
    from salessheet.analytics.service import build_report, load_rates

    rates = load_rates(rates_file) if rates_file else None
    ev = evaluate_source(
        source, profile=profile, sheet=sheet, today=today, credentials=credentials, record=False
    )
    return build_report(ev, since=since, until=until, rates=rates)


def changes(
    source: str | Path,
    *,
    profile: Profile | str = "b2b",
    sheet: str | None = None,
    today: Today,
    since: dt.date | None = None,
    until: dt.date | None = None,
    days: int | None = None,
    close_by: dt.date | None = None,
    owner: str | None = None,
    rates_file: str | Path | None = None,
    credentials: str | None = None,
) -> Changes:
    """The movement of the open pipeline between two runs, from the ledger (see
    salessheet.analytics.changes). ``until`` defaults to the last run, ``since`` to ``days``
    (default 7) before it. Never writes the source."""
    from salessheet.analytics.changes import changes_of
    from salessheet.analytics.service import load_rates

    rates = load_rates(rates_file) if rates_file else None
    p = open_pipeline(
        source, profile=profile, sheet=sheet, today=today, credentials=credentials, rules_only=True
    )
    return changes_of(
        p, since=since, until=until, days=days, close_by=close_by, owner=owner, rates=rates
    )


def init(
    path: str,
    *,
    profile: Profile | str = "b2b",
    lang: str = "en",
    today: dt.date,
    credentials: str | None = None,
    local_zone: str | None = None,
    sheet: str | None = None,
) -> Initialised:
    """A new pipeline workbook (xlsx or Google Sheet) for the profile; never overwrites.
    ``sheet``: the pipeline sheet's name (default: the profile's, else ``Pipeline``).

    In another language than the bundled profile's (English on the Chinese b2b), also the
    team's config beside it (``<name>.salessheet.yaml``: locale, currency and time zone, from
    ``local_zone``, this computer's IANA time zone, if known); the workbook is drawn with it."""
    from dataclasses import replace

    from salessheet.init.team_config import team_config, write_team_config
    from salessheet.init.workbook import check_sheet_name, check_target, init_workbook

    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    if sheet is not None:  # --sheet was ignored: the tab was "Pipeline" whatever it said
        check_sheet_name(sheet)
    target = check_target(path)  # before the config: a bad target writes neither file
    config = team_config(target, prof, lang, today=today, local_zone=local_zone)
    drawn = config.profile if config else prof
    made = init_workbook(
        target,
        profile=replace(drawn, sheet=sheet) if sheet is not None else drawn,
        lang=lang,
        today=today,
        credentials=credentials,
    )
    if config is None:
        return Initialised(made, None, ())
    write_team_config(config)
    return Initialised(made, config.path, config.checks)


def config_beside(source: str) -> str | None:
    """The config ``init`` or ``config init`` wrote beside a file source
    (``<name>.salessheet.yaml``), if there is one: a command run without it reads the sheet
    with the built-in profile."""
    from salessheet.init.adopt.service import default_out
    from salessheet.stores.registry import is_gsheets

    if is_gsheets(source):
        return None
    path = default_out(source)
    return str(path) if path.is_file() else None


@dataclass(frozen=True)
class Initialised:
    """What ``init`` made: the workbook (a path, or a Google Sheet's source), the team's config
    beside it if one was written, and what in that config to check."""

    workbook: Path | str
    config: Path | None
    checks: tuple[str, ...]


def config_init(
    source: str | Path,
    *,
    profile: str = "b2b",
    sheet: str | None = None,
    out: str | Path | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    credentials: str | None = None,
    local_zone: str | None = None,
) -> ConfigInit:
    """Write a config for a sheet never seen before (headers and values); never overwrites.
    The config is checked to read the sheet before it is written. ``local_zone``: this
    computer's IANA time zone, the team's most likely (for a sheet of another country than the
    profile's). Give ``today``, or ``now`` (an aware instant) to have today taken in the time
    zone the config is written with."""
    from salessheet.init.adopt.service import config_init as adopt

    return adopt(
        str(source),
        profile=profile,
        sheet=sheet,
        out=out,
        today=today,
        now=now,
        credentials=credentials,
        local_zone=local_zone,
    )
