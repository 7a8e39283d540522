"""In-process daily runner for ``salessheet schedule``: the only module importing ``schedule``.

One run at a time per source (an OS lock on a lock file: a second scheduler refuses to start
with :class:`SchedulerLocked`, exit 2; a lock left by a dead process does not block). A run that
fails (an exception or a non-zero exit code) is logged and the next run is the next day: no
retry every tick. SIGTERM / Ctrl-C (when ``install_signal_handlers=True``) stop the scheduler
after the current run. Each run is one JSON line in ``log_path``.

Time: ``schedule`` reads ``datetime.datetime.now()`` itself. Every call into it here runs under
:func:`_schedule_clock`, which points schedule's ``datetime`` at a shim whose ``now()`` reads the
injected ``clock`` (default: the real UTC clock). So production and tests drive the very same
code, and tests use a fake clock and a fake sleep: nothing really waits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import signal
import threading
import types
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import schedule

from salessheet.core.errors import SalessheetError, UsageError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

Clock = Callable[[], dt.datetime]
JobOutcome = int | tuple[int, Mapping[str, Any]]

_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_CLOCK_LOCK = threading.Lock()


class SchedulerLocked(UsageError):
    """Another scheduler holds the lock for this source (exit 2)."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- the clock shim


_SHIMS: dict[int, tuple[Clock, types.SimpleNamespace]] = {}


def _shim_for(clock: Clock) -> types.SimpleNamespace:
    """A stand-in for the ``datetime`` module whose ``datetime.now()`` reads ``clock``."""
    cached = _SHIMS.get(id(clock))
    if cached is not None and cached[0] is clock:
        return cached[1]

    class _Datetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            moment = clock()
            if moment.tzinfo is None:
                raise ValueError("the scheduler clock must return timezone-aware datetimes")
            if tz is None:  # schedule's naive "local time"
                return moment.astimezone().replace(tzinfo=None)
            return moment.astimezone(tz)

    shim = types.SimpleNamespace(**{k: getattr(dt, k) for k in dir(dt) if not k.startswith("__")})
    shim.datetime = _Datetime
    if len(_SHIMS) > 16:
        _SHIMS.clear()
    _SHIMS[id(clock)] = (clock, shim)
    return shim


@contextlib.contextmanager
def _schedule_clock(clock: Clock) -> Iterator[None]:
    """Make ``schedule`` read ``clock`` for the duration of the block."""
    shim = _shim_for(clock)
    with _CLOCK_LOCK:
        saved = schedule.datetime
        schedule.datetime = shim  # type: ignore[attr-defined]
        try:
            yield
        finally:
            schedule.datetime = saved  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- lock and paths


def scheduler_paths(source: str, state_dir: Path) -> tuple[Path, Path]:
    """(lock file, JSON-lines run log) for a source, in ``state_dir``.

    Local paths are resolved, so ``./p.xlsx`` and ``/abs/p.xlsx`` share one lock.
    """
    key = source
    if "://" not in source and not source.startswith("gsheet:"):
        key = str(Path(source).expanduser().resolve())
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(key).name or key)[:40] or "source"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    base = f"schedule-{stem}-{digest}"
    return state_dir / f"{base}.lock", state_dir / f"{base}.jsonl"


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
    install_signal_handlers: bool = False,
    echo: Callable[[str], None] = lambda message: None,
    source: str | None = None,
    max_sleep_s: float = 60.0,
) -> int:
    """Run ``job`` every day at ``at`` (HH:MM) in time zone ``tz`` until stopped; return 0.

    ``job`` returns an exit code, or ``(exit_code, counts)`` where counts (e.g. the report's
    summary) go into the log line. ``clock`` returns aware datetimes; ``sleep(seconds)`` waits
    (default: ``stop.wait``, so a stop request wakes it at once); sleeps are capped at
    ``max_sleep_s`` so a suspended laptop or a clock change is noticed. ``max_iterations``
    bounds the loop (tests). Raises SchedulerLocked (a UsageError, exit 2) when another
    scheduler runs for the same lock file, UsageError for a bad ``at`` or ``tz``.
    """
    at = validate_at(at)
    zone = validate_tz(tz)
    stop = stop if stop is not None else threading.Event()
    wait = sleep if sleep is not None else stop.wait
    lock = acquire_lock(
        lock_path,
        holder={"pid": os.getpid(), "source": source, "started": _iso(clock(), zone)},
    )
    restore = _install_handlers(stop, echo) if install_signal_handlers else None
    try:
        sched = schedule.Scheduler()

        due: list[dt.datetime] = []  # schedule only marks the run as due; the loop runs it

        def tick() -> None:
            due.append(clock())

        try:
            with _schedule_clock(clock):
                sched.every().day.at(at, tz).do(tick)
        except Exception as exc:  # noqa: BLE001 - schedule/pytz refusing the time zone
            raise UsageError(
                f"--tz {tz!r}: the scheduler cannot use this time zone: {exc}"
            ) from exc
        echo(
            f"scheduler started: daily at {at} {tz}; next run {_next_run_text(sched, clock, zone)}"
        )
        iterations = 0
        while not stop.is_set():
            if max_iterations is not None and iterations >= max_iterations:
                break
            iterations += 1
            with _schedule_clock(clock):
                sched.run_pending()
            while due:  # outside the clock patch: the job may take hours and use anything
                due.pop(0)
                record = _run_once(job, clock=clock, zone=zone, log_path=log_path, source=source)
                record["next_run"] = _next_run_text(sched, clock, zone)
                _append_log(log_path, record, echo)
                text = f"run {record['status']} (exit {record['exit_code']})"
                if record.get("error"):
                    text += f": {record['error']}"
                echo(f"{text}; next run {record['next_run']}")
            if stop.is_set():
                break
            with _schedule_clock(clock):
                idle = sched.idle_seconds
            wait(min(max(idle or 0.0, 0.0), max_sleep_s))
        echo("scheduler stopped")
        return 0
    finally:
        if restore is not None:
            restore()
        release_lock(lock)


def _next_run_text(sched: schedule.Scheduler, clock: Clock, zone: dt.tzinfo) -> str | None:
    with _schedule_clock(clock):
        nxt = sched.get_next_run()
    if nxt is None:
        return None
    return _iso(nxt.astimezone(), zone)  # schedule keeps naive local time


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


def _install_handlers(stop: threading.Event, echo: Callable[[str], None]) -> Callable[[], None]:
    """SIGTERM/SIGINT set ``stop`` (finish the current run, then exit); a second Ctrl-C aborts."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        echo(f"{signal.Signals(signum).name}: stopping after the current run")

    saved = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        saved[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for sig, previous in saved.items():
            signal.signal(sig, previous)

    return restore
