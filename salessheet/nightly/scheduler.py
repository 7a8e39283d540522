"""In-process daily runner for ``salessheet schedule``.

One run at a time per source (an OS lock on a lock file named after the source however it is
spelled, in one folder whatever ``--state-dir`` says: a second scheduler refuses to start with
:class:`SchedulerLocked`, exit 2; a lock left by a dead process does not block). A run that
fails (an exception or a non-zero exit code) is logged and the next run is the next day: no
retry every tick. Setting ``stop`` (the CLI does it on SIGTERM / Ctrl-C) ends the scheduler after
the current run. Each run is one JSON line in ``log_path``.

Time: every reading of the time is a call to the injected ``clock`` (aware datetimes; default
the real clock), and the next run is computed from it with :mod:`zoneinfo`
(:func:`next_run_after`), so production and tests drive the very same code and a test's clock
needs no patching. Comparisons are made in UTC, so the machine's own time zone and its
daylight-saving changes play no part. (The ``schedule`` package this used to drive keeps the
next run as naive local time and reads ``datetime.now()`` itself, so it could follow a test
clock only by having a module global replaced; what it did for us is the one function below.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from salessheet.core.errors import SalessheetError, UsageError
from salessheet.stores.gsheets.source import is_gsheet_source, parse_gsheet_source

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]  # None: lock with msvcrt instead
    import msvcrt

Clock = Callable[[], dt.datetime]
JobOutcome = int | tuple[int, Mapping[str, Any]]

_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class SchedulerLocked(UsageError):
    """Another scheduler holds the lock for this source (exit 2)."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def next_run_after(now: dt.datetime, at: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """The first moment after ``now`` when clocks in ``zone`` show ``at``, in UTC.

    Daylight saving: a time of day that a spring-forward skips runs as much later as the
    clocks jumped (02:30 on the day Berlin jumps from 02:00 to 03:00 runs at 03:30); a time of
    day that a fall-back shows twice runs once, at the first."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the scheduler clock must return timezone-aware datetimes")
    now = now.astimezone(dt.UTC)
    day = now.astimezone(zone).date()
    while True:
        # fold=0: the first of two readings; in a gap, the offset from before the change
        moment = dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC)
        if moment > now:
            return moment
        day += dt.timedelta(days=1)


# --------------------------------------------------------------------------- lock and paths


def source_key(source: str) -> str:
    """The one name of a source, however it is spelled: ``gsheet:KEY`` for a Google Sheet
    (``gsheet:KEY``, ``gsheet:KEY#gid=N`` and every docs.google.com address of it), else the
    file's absolute path (``./p.xlsx``, ``~/p.xlsx`` and ``/abs/p.xlsx`` are one). A malformed
    Google Sheets address raises SourceError (exit 2)."""
    if is_gsheet_source(source):
        return "gsheet:" + parse_gsheet_source(source).key
    return str(Path(source).expanduser().resolve())


def default_state_dir(source: str, env: Mapping[str, str]) -> Path:
    """Where a scheduler keeps its lock (always) and run log (unless told otherwise): a
    ``.salessheet`` folder beside a local file; for a Google Sheet (or a file in a folder that
    does not exist) ``$XDG_STATE_HOME/salessheet``, by default ``~/.local/state/salessheet``."""
    if not is_gsheet_source(source):
        folder = Path(source_key(source)).parent
        if folder.is_dir():
            return folder / ".salessheet"
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "salessheet"


def scheduler_paths(
    source: str, state_dir: Path | None = None, *, env: Mapping[str, str] | None = None
) -> tuple[Path, Path]:
    """(lock file, JSON-lines run log) for a source.

    Both are named after :func:`source_key`, so every spelling of one source shares them. The
    lock is always in :func:`default_state_dir`, whatever ``state_dir`` is: two schedulers given
    different state folders still meet at one lock and never run one source together. The run
    log goes to ``state_dir`` (default: that same folder). ``env``: for ``XDG_STATE_HOME``.
    """
    key = source_key(source)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(key).name or key)[:40] or "source"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    base = f"schedule-{stem}-{digest}"
    lock_dir = default_state_dir(source, env or {})
    return lock_dir / f"{base}.lock", (state_dir or lock_dir) / f"{base}.jsonl"


def _lock_file(fh: TextIO) -> None:
    if fcntl is not None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)


def acquire_lock(lock_path: Path, *, holder: Mapping[str, Any]) -> TextIO:
    """Take the scheduler lock or raise SchedulerLocked naming who holds it."""
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
    except OSError as exc:
        raise UsageError(f"cannot create the scheduler lock file {lock_path}: {exc}") from exc
    try:
        _lock_file(fh)
    except OSError:
        fh.seek(0)
        current = fh.read(500).strip()
        fh.close()
        who = ""
        try:
            info = json.loads(current)
            who = f" (pid {info.get('pid')}, started {info.get('started')})"
        except (ValueError, AttributeError):
            pass
        raise SchedulerLocked(
            f"another salessheet scheduler is already running for this source{who}",
            problems=[f"lock file: {lock_path}"],
            hint="stop the other scheduler first; only one may run per source",
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(json.dumps(dict(holder), ensure_ascii=False) + "\n")
    fh.flush()
    return fh


def release_lock(fh: TextIO) -> None:
    with contextlib.suppress(OSError):
        fh.seek(0)
        fh.truncate()
    fh.close()  # closing drops the OS lock; the (empty) file stays, which is harmless


# --------------------------------------------------------------------------- the run log


def _iso(moment: dt.datetime, zone: dt.tzinfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _append_log(log_path: Path, record: Mapping[str, Any], echo: Callable[[str], None]) -> None:
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    except OSError as exc:
        echo(f"warning: cannot write the run log {log_path}: {exc}")


def _status(exit_code: int | None) -> str:
    if exit_code == 0:
        return "ok"
    if exit_code == 1:
        return "errors-found"
    return "failed"


# --------------------------------------------------------------------------- the loop


def validate_at(at: str) -> str:
    """``2:00`` or ``02:00`` -> ``02:00``; anything else is a UsageError."""
    m = _AT.match(at.strip()) if isinstance(at, str) else None
    if not m:
        raise UsageError(f"--at {at!r}: expected a time of day as HH:MM, e.g. 02:00")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def validate_tz(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise UsageError(
            f"--tz {tz!r}: unknown time zone, expected an IANA name such as Asia/Shanghai"
        ) from None


def run_scheduler(
    job: Callable[[], JobOutcome],
    *,
    at: str,
    tz: str,
    lock_path: Path,
    log_path: Path,
    clock: Clock = utc_now,
    sleep: Callable[[float], Any] | None = None,
    stop: threading.Event | None = None,
    max_iterations: int | None = None,
    echo: Callable[[str], None] = lambda message: None,
    source: str | None = None,
    max_sleep_s: float = 60.0,
) -> int:
    """Run ``job`` every day at ``at`` (HH:MM) in time zone ``tz`` until stopped; return 0.

    ``job`` returns an exit code, or ``(exit_code, counts)`` where counts (e.g. the report's
    summary) go into the log line. ``clock`` returns aware datetimes; ``sleep(seconds)`` waits
    (default: ``stop.wait``, so a stop request wakes it at once); sleeps are capped at
    ``max_sleep_s`` so a suspended laptop or a clock change is noticed (a run missed while
    suspended runs once on waking). ``stop``: set it (from a signal handler, another thread or
    the job) to end the scheduler after the current run. ``max_iterations`` bounds the loop
    (tests). Raises SchedulerLocked (a UsageError, exit 2) when another scheduler runs for the
    same lock file, UsageError for a bad ``at`` or ``tz``.
    """
    at = validate_at(at)
    zone = validate_tz(tz)
    at_time = dt.time(int(at[:2]), int(at[3:]))
    stop = stop if stop is not None else threading.Event()
    wait = sleep if sleep is not None else stop.wait
    lock = acquire_lock(
        lock_path,
        holder={"pid": os.getpid(), "source": source, "started": _iso(clock(), zone)},
    )
    try:
        due = next_run_after(clock(), at_time, zone)
        echo(f"scheduler started: daily at {at} {tz}; next run {_iso(due, zone)}")
        iterations = 0
        while not stop.is_set():
            if max_iterations is not None and iterations >= max_iterations:
                break
            iterations += 1
            if clock() >= due:
                record = _run_once(job, clock=clock, zone=zone, log_path=log_path, source=source)
                due = next_run_after(clock(), at_time, zone)  # tomorrow, even after a failure
                record["next_run"] = _iso(due, zone)
                _append_log(log_path, record, echo)
                text = f"run {record['status']} (exit {record['exit_code']})"
                if record.get("error"):
                    text += f": {record['error']}"
                echo(f"{text}; next run {record['next_run']}")
                if stop.is_set():
                    break
            idle = (due - clock().astimezone(dt.UTC)).total_seconds()
            wait(min(max(idle, 0.0), max_sleep_s))
        echo("scheduler stopped")
        return 0
    finally:
        release_lock(lock)


def _run_once(
    job: Callable[[], JobOutcome],
    *,
    clock: Clock,
    zone: dt.tzinfo,
    log_path: Path,
    source: str | None,
) -> dict[str, Any]:
    """Run the job once and describe it; never raise (except KeyboardInterrupt, logged first)."""
    start = clock()
    exit_code: int | None = None
    counts: Mapping[str, Any] | None = None
    error: str | None = None
    interrupted = False
    try:
        outcome = job()
        if isinstance(outcome, tuple):
            exit_code, counts = int(outcome[0]), outcome[1]
        else:
            exit_code = int(outcome)
    except SalessheetError as exc:
        exit_code, error = exc.exit_code, exc.render()
    except KeyboardInterrupt:
        interrupted, error = True, "interrupted"
    except Exception as exc:  # noqa: BLE001 - logged; the scheduler waits for the next day
        error = f"{type(exc).__name__}: {exc}"
    end = clock()
    record: dict[str, Any] = {"event": "run"}
    if source is not None:
        record["source"] = source
    record.update(
        start=_iso(start, zone),
        end=_iso(end, zone),
        duration_s=round((end - start).total_seconds(), 3),
        exit_code=exit_code,
        status="interrupted" if interrupted else _status(exit_code),
    )
    if counts is not None:
        record["counts"] = dict(counts)
    if error is not None:
        record["error"] = error
    if interrupted:
        _append_log(log_path, record, lambda message: None)
        raise KeyboardInterrupt
    return record
