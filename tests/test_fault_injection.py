"""kill -9 during ``run`` on a 20,000-row workbook, at random points over a run's duration
(issue 12).

The run's duration is measured first (a full first run on a copy); then ``python -m salessheet
run`` is started again and again on the same workbook, each time as of a later day (so each run
has cells to write), and killed after a delay drawn uniformly over that duration. After every
kill the workbook must open (its zip directory and every entry's CRC, and calamine reads the
pipeline sheet) and hold the user's cells exactly as they were. Then one more run, not killed,
must succeed and leave nothing behind: no ``.salessheet-tmp`` file beside the workbook, no
``salessheet-read-*`` folder of a dead process in TMPDIR, and at most the documented number of
backups. The delays come from a fixed seed, so a failure can be replayed.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import python_calamine
from test_hostile_inputs import big_workbook

from salessheet.stores import file_safety

KILLS = 25
SEED = 20261128
USER_COLUMNS = 12  # Deal ID .. Note 5: everything the user wrote


def _run(book: Path, day: dt.date, tmpdir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "salessheet", "run", str(book), "--today", day.isoformat(),
         "--format", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(tmpdir)},
    )  # fmt: skip


def _user_cells(book: Path) -> list[list]:
    with zipfile.ZipFile(book) as zf:
        assert zf.testzip() is None  # every entry inflates and matches its CRC
    wb = python_calamine.CalamineWorkbook.from_path(str(book))
    rows = wb.get_sheet_by_name("Pipeline").to_python(skip_empty_area=False)
    return [row[:USER_COLUMNS] for row in rows]


def _temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(file_safety.TEMP_SUFFIX)]


@pytest.mark.slow
def test_kill_9_at_random_points_of_a_run_never_loses_a_cell(tmp_path: Path) -> None:
    book = big_workbook(tmp_path / "pipeline.xlsx")
    original = _user_cells(book)
    assert len(original) == 20_001
    tmpdir = tmp_path / "TMPDIR"
    tmpdir.mkdir()
    start = dt.date(2026, 11, 1)

    # how long a run takes here (a measurement for the delays, not an assertion)
    probe = tmp_path / "probe" / "pipeline.xlsx"
    probe.parent.mkdir()
    shutil.copyfile(book, probe)
    began = time.monotonic()
    first = _run(probe, start, tmpdir)
    _, err = first.communicate(timeout=300)
    duration = time.monotonic() - began
    assert first.returncode in (0, 1), err

    rng = random.Random(SEED)
    outcomes = {"killed": 0, "finished first": 0, "file replaced": 0, "temp files seen": 0,
                "read folders seen": 0}  # fmt: skip
    for i in range(1, KILLS + 1):
        before = book.read_bytes()
        proc = _run(book, start + dt.timedelta(days=i), tmpdir)
        time.sleep(rng.uniform(0, duration))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            outcomes["killed"] += 1
        else:
            outcomes["finished first"] += 1
        proc.communicate(timeout=300)
        assert proc.returncode in (0, 1, -signal.SIGKILL), proc.stderr
        if book.read_bytes() != before:
            outcomes["file replaced"] += 1
        assert _user_cells(book) == original, f"kill {i}: the user's cells changed"
        outcomes["temp files seen"] += len(_temp_files(tmp_path))
        outcomes["read folders seen"] += len(list(tmpdir.iterdir()))

    last = _run(book, start + dt.timedelta(days=KILLS + 1), tmpdir)
    _, err = last.communicate(timeout=300)
    assert last.returncode in (0, 1), err
    assert _user_cells(book) == original
    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Pipeline")
    header = rows.to_python(nrows=1)[0]
    assert header[USER_COLUMNS:] == ["⚑ salessheet: flags", "⚑ salessheet: days in stage"]
    assert _temp_files(tmp_path) == []
    assert list(tmpdir.iterdir()) == []  # the read folders of the killed runs are gone too
    assert 1 <= len(file_safety.backups(book)) <= file_safety.KEEP_BACKUPS
    print(f"\n{KILLS} runs over a {duration:.1f} s run: {outcomes}")
    assert outcomes["killed"] >= KILLS // 2  # most kills landed inside a run
