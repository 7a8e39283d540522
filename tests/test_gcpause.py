"""cli/gcpause: a printed result is left to the process's end, and freed by the next job."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from salessheet.cli.gcpause import leave_to_exit, paused_gc

    class Result:
        def __init__(self, name):
            self.name = name
        def __del__(self):
            print("freed", self.name, flush=True)

    with paused_gc():
        first = Result("first")
    leave_to_exit(first)
    del first
    print("first printed", flush=True)
    with paused_gc():  # the next job frees the last one's result
        print("second job", flush=True)
        second = Result("second")
    leave_to_exit(second)
    del second
    print("end", flush=True)
    """
)


def _printed(script: str) -> list[str]:
    """The lines ``script`` prints, run in a fresh interpreter with this checkout."""
    return subprocess.run(
        [sys.executable, "-c", script, str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")


def test_a_result_left_to_exit_lives_until_the_next_job_or_the_end() -> None:
    out = _printed(SCRIPT)
    assert out[:4] == ["first printed", "freed first", "second job", "end"]
    assert "freed second" not in out  # the operating system took it back


def test_nothing_is_kept_when_the_collector_was_off() -> None:
    out = _printed(SCRIPT.replace("import sys\n", "import gc, sys\ngc.disable()\n", 1))
    # the caller manages the collector itself: results are freed as usual
    assert out[:5] == ["freed first", "first printed", "second job", "freed second", "end"]
