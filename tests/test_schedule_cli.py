"""`salessheet schedule` from the command line and through the API: the lock, the signal handlers
the CLI installs (the library installs none), and a real nightly run on a workbook."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import make_xlsx
from openpyxl import load_workbook
from test_scheduler import FakeClock, shanghai

from salessheet.api import schedule as api_schedule
from salessheet.cli.report_commands import stop_on_signals
from salessheet.nightly.scheduler import acquire_lock, run_scheduler, scheduler_paths
from salessheet.settings.profile import load_profile

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
ROWS = [["Deal ID", "Customer", "Stage", "Owner"], ["D1", "Acme", "Lead", "Ann"]]


def test_second_scheduler_on_the_same_source_refuses(cli, tmp_path) -> None:
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": ROWS})
    state = tmp_path / "state"
    lock_path, _log = scheduler_paths(str(path), state)
    held = acquire_lock(lock_path, holder={"pid": 4242, "source": str(path)})
    try:
        res = cli("schedule", path, "--at", "02:00", "--state-dir", state)
    finally:
        held.close()
    assert res.exit_code == 2
    assert "4242" in res.stderr
    assert "Traceback" not in res.stderr


def test_bad_time_is_a_usage_error(cli, tmp_path) -> None:
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": [["Deal ID", "Stage"], ["D1", "Lead"]]})
    res = cli("schedule", path, "--at", "25:99", "--state-dir", tmp_path / "s")
    assert res.exit_code == 2
    assert "25:99" in res.stderr


def test_sigterm_during_a_run_stops_the_scheduler_after_that_run(tmp_path) -> None:
    stop = threading.Event()
    clock = FakeClock(shanghai(28, 1), until=shanghai(20, 0, month=12), stop=stop)
    before = signal.getsignal(signal.SIGTERM)
    messages: list[str] = []
    runs = []

    def job() -> int:
        os.kill(os.getpid(), signal.SIGTERM)  # delivered to the handler, the run goes on
        runs.append("after the signal")
        return 0

    with stop_on_signals(stop, messages.append):
        code = run_scheduler(
            job,
            at="02:00",
            tz="Asia/Shanghai",
            lock_path=tmp_path / "s.lock",
            log_path=tmp_path / "runs.jsonl",
            clock=clock,
            sleep=clock.sleep,
            stop=stop,
            echo=messages.append,
        )
    assert code == 0
    assert runs == ["after the signal"]
    [record] = (tmp_path / "runs.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(record)["status"] == "ok"
    assert "SIGTERM: stopping after the current run" in messages
    assert messages[-1] == "scheduler stopped"
    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored


def test_first_ctrl_c_asks_to_stop_and_a_second_one_aborts() -> None:
    stop = threading.Event()
    before = signal.getsignal(signal.SIGINT)
    messages: list[str] = []
    with pytest.raises(KeyboardInterrupt), stop_on_signals(stop, messages.append):
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.is_set()
        assert messages == ["SIGINT: stopping after the current run"]
        os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before


def test_sigterm_stops_a_waiting_scheduler_process(tmp_path) -> None:
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": ROWS})
    state = tmp_path / "state"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from salessheet.cli import main; main()", "schedule",
         str(path), "--at", "02:00", "--tz", "Asia/Shanghai", "--state-dir", str(state)],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        lines = []
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            if line.startswith("scheduler started"):
                break
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines += rest.splitlines()
    assert proc.returncode == 0, lines
    assert lines[-2:] == ["SIGTERM: stopping after the current run", "scheduler stopped"]
    lock_path, _log = scheduler_paths(str(path), state)
    acquire_lock(lock_path, holder={"pid": 1}).close()  # released


def test_api_schedule_runs_nightly_with_today_from_its_clock_and_sets_no_handlers(
    tmp_path,
) -> None:
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": ROWS})
    # a clock that reads 01:59:59.8 in Shanghai on 28 November 2026 when the scheduler starts
    # and then goes on at the real pace: the run is due a fraction of a second later
    start = dt.datetime(2026, 11, 28, 1, 59, 59, 800000, tzinfo=SHANGHAI)
    shift = start - dt.datetime.now(dt.UTC)
    stop = threading.Event()
    messages: list[str] = []
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    handlers_seen = []

    def echo(message: str) -> None:
        messages.append(message)
        handlers_seen.append({sig: signal.getsignal(sig) for sig in handlers})
        if message.startswith("run "):
            stop.set()  # one run is enough

    code = api_schedule(
        str(path),
        at="02:00",
        tz="Asia/Shanghai",
        profile=load_profile("b2b"),
        state_dir=tmp_path / "state",
        env={},
        echo=echo,
        stop=stop,
        clock=lambda: dt.datetime.now(dt.UTC) + shift,
    )
    assert code == 0
    assert messages[-1] == "scheduler stopped"
    assert handlers_seen == [handlers] * len(messages)  # the library installs no signal handlers
    _lock, log = scheduler_paths(str(path), tmp_path / "state")
    [record] = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert record["start"].startswith("2026-11-28T02:00:")
    assert record["next_run"] == "2026-11-29T02:00:00+08:00"
    assert (record["status"], record["counts"]["deals"]) == ("ok", 1)
    history = load_workbook(path)["salessheet history"]
    rows = list(history.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2], r[3]) for r in rows if r[3] != "tracking"] == [
        ("2026-11-28", "D1", "seen")
    ]


def test_state_dir_defaults_next_to_a_local_source(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": ROWS})
    stop = threading.Event()
    stop.set()  # stop before the first wait
    api_schedule(str(path), at="02:00", tz="Asia/Shanghai", profile=load_profile("b2b"),
                 env={}, echo=lambda m: None, stop=stop)  # fmt: skip
    lock, log = scheduler_paths(str(path), tmp_path / ".salessheet")
    assert lock.exists() and not log.exists()


def test_tz_moves_only_the_time_of_day_not_the_runs_date(tmp_path: Path) -> None:
    # 16:18 UTC on 2 December is 00:18 on 3 December in Shanghai, the b2b profile's zone:
    # `salessheet run` at that moment is dated 2026-12-03, so the scheduled run must be too
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": ROWS})
    start = dt.datetime(2026, 12, 2, 16, 17, 59, 800000, tzinfo=dt.UTC)
    shift = start - dt.datetime.now(dt.UTC)
    stop = threading.Event()

    def echo(message: str) -> None:
        if message.startswith("run "):
            stop.set()

    api_schedule(
        str(path), at="16:18", tz="UTC", profile=load_profile("b2b"),
        state_dir=tmp_path / "state", env={}, echo=echo, stop=stop,
        clock=lambda: dt.datetime.now(dt.UTC) + shift,
    )  # fmt: skip
    _lock, log = scheduler_paths(str(path), tmp_path / "state")
    [record] = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert record["start"].startswith("2026-12-02T16:18:")  # the time of day is --tz's
    history = load_workbook(path)["salessheet history"]
    rows = list(history.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2], r[3]) for r in rows if r[3] != "tracking"] == [
        ("2026-12-03", "D1", "seen")
    ]


def test_schedule_refuses_today_and_does_not_offer_it(cli, tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": ROWS})
    state = tmp_path / "state"
    res = cli("schedule", path, "--at", "02:00", "--today", "2026-12-01", "--state-dir", state)
    assert res.exit_code == 2
    assert "a scheduler runs on each day's date" in res.stderr
    lock_path, _log = scheduler_paths(str(path), state)
    assert not lock_path.exists()  # refused before it started
    assert "--today" not in cli("schedule", "--help").stdout
    assert "--today" in cli("run", "--help").stdout


SCHEDULE = [sys.executable, "-c", "from salessheet.cli import main; main()", "schedule"]


@contextmanager
def scheduler_process(*args: object, env: dict[str, str] | None = None) -> Iterator[int]:
    """A real `salessheet schedule` process, waiting for its first run; yields its pid."""
    proc = subprocess.Popen(
        [*SCHEDULE, *map(str, args), "--at", "02:00"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("scheduler started"):
                break
        else:
            pytest.fail(f"the first scheduler did not start (exit {proc.wait()})")
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def second_scheduler(*args: object, **kw: object) -> subprocess.CompletedProcess[str]:
    """Another `salessheet schedule`; one that wrongly starts is stopped by the timeout."""
    try:
        return subprocess.run(
            [*SCHEDULE, *map(str, args), "--at", "03:00"],
            capture_output=True, text=True, timeout=30, **kw,  # type: ignore[call-overload]
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"a second scheduler started for {args}")


def test_a_google_sheet_has_one_scheduler_however_its_address_is_spelled(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg")}  # where a sheet's lock lives
    url = "https://docs.google.com/spreadsheets/d/KEY2/edit#gid=0"
    with scheduler_process("gsheet:KEY2", env=env) as pid:
        for spelling in (url, "gsheet:KEY2#gid=0", "docs.google.com/spreadsheets/d/KEY2/edit"):
            res = second_scheduler(spelling, env=env)
            assert res.returncode == 2, (spelling, res.stderr)
            assert "already running for this source" in res.stderr
            assert f"pid {pid}" in res.stderr
        res = second_scheduler("gsheet:KEY2", "--state-dir", tmp_path / "s2", env=env)
        assert res.returncode == 2 and f"pid {pid}" in res.stderr


def test_another_state_dir_does_not_make_a_second_scheduler_for_one_file(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": ROWS})
    with scheduler_process(path) as pid:
        res = second_scheduler(path, "--state-dir", tmp_path / "other")
        assert res.returncode == 2, res.stderr
        assert "already running for this source" in res.stderr and f"pid {pid}" in res.stderr
        res = second_scheduler("./p.xlsx", "--state-dir", "other2", cwd=tmp_path)
        assert res.returncode == 2 and f"pid {pid}" in res.stderr
