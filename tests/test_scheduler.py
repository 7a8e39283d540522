"""The daily scheduler, driven by an injected fake clock: nothing in these tests really waits."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from salessheet.core.errors import SourceError, UsageError
from salessheet.nightly.scheduler import SchedulerLocked, run_scheduler, scheduler_paths

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BERLIN = ZoneInfo("Europe/Berlin")


class FakeClock:
    """Aware 'now'; sleep() advances it; stops the scheduler once ``until`` is reached."""

    def __init__(self, start: dt.datetime, until: dt.datetime, stop: threading.Event):
        self.now = start
        self.until = until
        self.stop = stop
        self.sleeps: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += dt.timedelta(seconds=seconds)
        if self.now >= self.until:
            self.stop.set()

    def advance(self, **kw) -> None:
        self.now += dt.timedelta(**kw)


def shanghai(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def _run(tmp_path: Path, job, clock: FakeClock, **kw) -> int:
    return run_scheduler(
        job,
        at=kw.pop("at", "02:00"),
        tz=kw.pop("tz", "Asia/Shanghai"),
        lock_path=tmp_path / "s.lock",
        log_path=tmp_path / "runs.jsonl",
        clock=clock,
        sleep=clock.sleep,
        stop=clock.stop,
        **kw,
    )


def _log(tmp_path: Path) -> list[dict]:
    path = tmp_path / "runs.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_runs_daily_at_the_time_in_the_zone_and_logs_json_lines(tmp_path):
    stop = threading.Event()
    clock = FakeClock(shanghai(28, 1, 30), until=shanghai(29, 12), stop=stop)
    starts = []

    def job():
        starts.append(clock())
        clock.advance(minutes=4, seconds=30)  # the run takes a while
        return 1, {"deals": 120, "errors": 3, "warnings": 5, "stalled": 4}

    assert _run(tmp_path, job, clock, source="pipeline.xlsx") == 0
    assert starts == [shanghai(28, 2), shanghai(29, 2)]
    assert _log(tmp_path) == [
        {
            "event": "run",
            "source": "pipeline.xlsx",
            "start": "2026-11-28T02:00:00+08:00",
            "end": "2026-11-28T02:04:30+08:00",
            "duration_s": 270.0,
            "exit_code": 1,
            "status": "errors-found",
            "counts": {"deals": 120, "errors": 3, "warnings": 5, "stalled": 4},
            "next_run": "2026-11-29T02:00:00+08:00",
        },
        {
            "event": "run",
            "source": "pipeline.xlsx",
            "start": "2026-11-29T02:00:00+08:00",
            "end": "2026-11-29T02:04:30+08:00",
            "duration_s": 270.0,
            "exit_code": 1,
            "status": "errors-found",
            "counts": {"deals": 120, "errors": 3, "warnings": 5, "stalled": 4},
            "next_run": "2026-11-30T02:00:00+08:00",
        },
    ]
    assert max(clock.sleeps) <= 60  # wakes up at least every minute


def test_started_after_the_time_waits_for_tomorrow(tmp_path):
    stop = threading.Event()
    clock = FakeClock(shanghai(28, 2, 1), until=shanghai(29, 1, 59), stop=stop)
    starts = []
    _run(tmp_path, lambda: starts.append(clock()) or 0, clock)
    assert starts == []
    assert not (tmp_path / "runs.jsonl").exists()


def test_failed_run_is_logged_and_not_retried_until_the_next_day(tmp_path):
    stop = threading.Event()
    clock = FakeClock(shanghai(28, 1), until=shanghai(29, 12), stop=stop)
    starts = []

    def job():
        starts.append(clock())
        if len(starts) == 1:
            raise RuntimeError("disk on fire")
        return 0

    assert _run(tmp_path, job, clock) == 0
    assert starts == [shanghai(28, 2), shanghai(29, 2)]  # not once per tick after the failure
    first, second = _log(tmp_path)
    assert first["status"] == "failed" and first["exit_code"] is None
    assert first["error"] == "RuntimeError: disk on fire"
    assert first["next_run"] == "2026-11-29T02:00:00+08:00"
    assert (second["status"], second["exit_code"]) == ("ok", 0) and "error" not in second


def test_nonzero_exit_and_salessheet_errors_are_failures_with_their_exit_code(tmp_path):
    stop = threading.Event()
    clock = FakeClock(shanghai(28, 1), until=shanghai(29, 12), stop=stop)
    outcomes = iter([SourceError("cannot read pipeline.xlsx: no such file"), 4])

    def job():
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    _run(tmp_path, job, clock)
    first, second = _log(tmp_path)
    assert (first["exit_code"], first["status"]) == (2, "failed")
    assert first["error"] == "cannot read pipeline.xlsx: no such file"
    assert (second["exit_code"], second["status"]) == (4, "failed")
    assert second["start"] == "2026-11-29T02:00:00+08:00"


def test_stop_requested_during_a_run_ends_after_that_run(tmp_path):
    stop = threading.Event()
    clock = FakeClock(shanghai(28, 1), until=shanghai(20, 0, month=12), stop=stop)
    runs = []

    def job():
        runs.append(clock())
        stop.set()  # e.g. SIGTERM arrives while the run is writing
        clock.advance(minutes=2)
        runs.append("finished")
        return 0

    assert _run(tmp_path, job, clock) == 0
    assert runs == [shanghai(28, 2), "finished"]
    [record] = _log(tmp_path)
    assert record["end"] == "2026-11-28T02:02:00+08:00" and record["status"] == "ok"


def test_second_scheduler_on_the_same_source_refuses_to_start(tmp_path):
    stop = threading.Event()
    clock = FakeClock(shanghai(28, 1), until=shanghai(28, 3), stop=stop)
    refused = []

    def job():  # while the first scheduler runs, a second one tries to start
        inner = FakeClock(shanghai(28, 2), until=shanghai(28, 3), stop=threading.Event())
        with pytest.raises(SchedulerLocked) as info:
            _run(tmp_path, lambda: 0, inner)
        refused.append(info.value)
        return 0

    _run(tmp_path, job, clock, source="pipeline.xlsx")
    [error] = refused
    assert error.exit_code == 2 and isinstance(error, UsageError)
    assert error.message.startswith(
        f"another salessheet scheduler is already running for this source (pid {os.getpid()}, "
        "started 2026-11-28T01:00:00+08:00)"
    )
    assert error.problems == [f"lock file: {tmp_path / 's.lock'}"]
    # the lock is released when the scheduler stops
    again = FakeClock(shanghai(28, 5), until=shanghai(28, 6), stop=threading.Event())
    assert _run(tmp_path, lambda: 0, again) == 0


def test_lock_held_by_another_process_refuses(tmp_path):
    lock = tmp_path / "s.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys\n"
            f"f = open({str(lock)!r}, 'a+')\n"
            "fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
            'f.write(\'{"pid": 4242, "started": "2026-11-27T02:00:00+08:00"}\'); f.flush()\n'
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        clock = FakeClock(shanghai(28, 1), until=shanghai(28, 3), stop=threading.Event())
        with pytest.raises(SchedulerLocked, match=r"\(pid 4242, started 2026-11-27T02:00:00"):
            _run(tmp_path, lambda: 0, clock)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    # the holder is gone: its lock file stays but no longer blocks
    clock = FakeClock(shanghai(28, 1), until=shanghai(28, 3), stop=threading.Event())
    assert _run(tmp_path, lambda: 0, clock) == 0


@pytest.mark.parametrize("at", ["25:00", "2pm", "02:00:00", ""])
def test_bad_time_is_a_usage_error(tmp_path, at):
    clock = FakeClock(shanghai(28, 1), until=shanghai(28, 3), stop=threading.Event())
    with pytest.raises(UsageError, match="expected a time of day as HH:MM"):
        _run(tmp_path, lambda: 0, clock, at=at)
    assert not (tmp_path / "s.lock").exists()


def test_bad_time_zone_is_a_usage_error(tmp_path):
    clock = FakeClock(shanghai(28, 1), until=shanghai(28, 3), stop=threading.Event())
    with pytest.raises(UsageError, match="unknown time zone, expected an IANA name"):
        run_scheduler(
            lambda: 0,
            at="02:00",
            tz="Mars/Olympus",
            lock_path=tmp_path / "l",
            log_path=tmp_path / "log",
            clock=clock,
            sleep=clock.sleep,
        )


def test_single_digit_hour_is_accepted(tmp_path):
    stop = threading.Event()
    clock = FakeClock(shanghai(28, 1), until=shanghai(28, 12), stop=stop)
    starts = []
    _run(tmp_path, lambda: starts.append(clock()) or 0, clock, at="9:05")
    assert starts == [shanghai(28, 9, 5)]


def test_paths_for_one_source_are_shared_however_it_is_spelled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    state = tmp_path / "state"
    lock, log = scheduler_paths("pipeline.xlsx", state)
    assert scheduler_paths(str(tmp_path / "pipeline.xlsx"), state) == (lock, log)
    assert lock.name.startswith("schedule-pipeline.xlsx-")
    assert lock.suffix == ".lock" and log.suffix == ".jsonl"
    env = {"XDG_STATE_HOME": str(tmp_path / "xdg")}
    assert scheduler_paths("gsheet:abc", env=env) != scheduler_paths("gsheet:abd", env=env)
    url = "https://docs.google.com/spreadsheets/d/abc/edit#gid=0"
    assert scheduler_paths(url, env=env) == scheduler_paths("gsheet:abc", env=env)
    assert scheduler_paths("gsheet:abc#gid=7", env=env) == scheduler_paths("gsheet:abc", env=env)


def test_the_lock_stays_beside_the_source_whatever_the_state_dir(tmp_path):
    source = str(tmp_path / "pipeline.xlsx")
    lock, log = scheduler_paths(source, tmp_path / "elsewhere")
    assert scheduler_paths(source, tmp_path / "other")[0] == lock
    assert scheduler_paths(source)[0] == lock
    assert lock.parent == tmp_path / ".salessheet"
    assert log.parent == tmp_path / "elsewhere"  # the run log goes where it is told


def test_ctrl_c_without_handlers_logs_the_interrupted_run_and_releases_the_lock(tmp_path):
    clock = FakeClock(shanghai(28, 1), until=shanghai(29, 12), stop=threading.Event())

    def job():
        clock.advance(seconds=5)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, job, clock)
    [record] = _log(tmp_path)
    assert (record["status"], record["exit_code"], record["error"]) == (
        "interrupted",
        None,
        "interrupted",
    )
    assert record["duration_s"] == 5.0
    again = FakeClock(shanghai(28, 5), until=shanghai(28, 6), stop=threading.Event())
    assert _run(tmp_path, lambda: 0, again) == 0  # the lock was released


def utc(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


def _starts_and_next(tmp_path: Path) -> list[tuple[str, str]]:
    return [(r["start"], r["next_run"]) for r in _log(tmp_path)]


def test_spring_forward_runs_a_skipped_time_as_much_later_as_the_clocks_jumped(tmp_path):
    # Berlin, Sunday 29 March 2026: clocks jump from 02:00 (CET) to 03:00 (CEST); 02:30 is skipped
    stop = threading.Event()
    clock = FakeClock(utc(3, 27, 12), until=utc(3, 30, 12), stop=stop)
    _run(tmp_path, lambda: 0, clock, at="02:30", tz="Europe/Berlin")
    assert _starts_and_next(tmp_path) == [
        ("2026-03-28T02:30:00+01:00", "2026-03-29T03:30:00+02:00"),
        ("2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"),
        ("2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"),
    ]


def test_fall_back_runs_a_time_shown_twice_once(tmp_path):
    # Berlin, Sunday 25 October 2026: clocks go back from 03:00 (CEST) to 02:00 (CET), so the
    # wall clock shows 02:30 twice; one run, at the first
    stop = threading.Event()
    clock = FakeClock(utc(10, 23, 12), until=utc(10, 26, 12), stop=stop)
    _run(tmp_path, lambda: 0, clock, at="02:30", tz="Europe/Berlin")
    assert _starts_and_next(tmp_path) == [
        ("2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00"),
        ("2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"),
        ("2026-10-26T02:30:00+01:00", "2026-10-27T02:30:00+01:00"),
    ]


def test_the_run_keeps_its_local_time_across_a_change_and_the_clock_zone_does_not_matter(tmp_path):
    # 09:00 Berlin is 08:00 UTC in winter and 07:00 UTC in summer; the clock reads New York time
    # (which changed three weeks earlier): only the scheduler's zone counts
    stop = threading.Event()
    new_york = ZoneInfo("America/New_York")
    start = utc(3, 28, 0).astimezone(new_york)
    clock = FakeClock(start, until=utc(3, 30, 12).astimezone(new_york), stop=stop)
    starts = []
    _run(tmp_path, lambda: starts.append(clock()) or 0, clock, at="09:00", tz="Europe/Berlin")
    assert starts == [utc(3, 28, 8), utc(3, 29, 7), utc(3, 30, 7)]
    assert [r["start"] for r in _log(tmp_path)] == [
        "2026-03-28T09:00:00+01:00",
        "2026-03-29T09:00:00+02:00",
        "2026-03-30T09:00:00+02:00",
    ]


def test_a_run_missed_while_suspended_runs_once_on_waking(tmp_path):
    stop = threading.Event()
    clock = FakeClock(shanghai(28, 1), until=shanghai(2, 12, month=12), stop=stop)
    starts = []
    slept = False

    def sleep(seconds: float) -> None:
        nonlocal slept
        if not slept:  # the laptop lid closes for three days and a half
            slept = True
            clock.advance(days=3, hours=12)
        clock.sleep(seconds)

    run_scheduler(
        lambda: starts.append(clock()) or 0,
        at="02:00",
        tz="Asia/Shanghai",
        lock_path=tmp_path / "s.lock",
        log_path=tmp_path / "runs.jsonl",
        clock=clock,
        sleep=sleep,
        stop=stop,
    )
    assert starts == [shanghai(1, 13, 1, month=12), shanghai(2, 2, month=12)]


def test_a_clock_without_a_time_zone_is_refused(tmp_path):
    with pytest.raises(ValueError, match="timezone-aware"):
        run_scheduler(
            lambda: 0,
            at="02:00",
            tz="Asia/Shanghai",
            lock_path=tmp_path / "l",
            log_path=tmp_path / "log",
            clock=lambda: dt.datetime(2026, 11, 28, 1),
            sleep=lambda seconds: None,
        )
