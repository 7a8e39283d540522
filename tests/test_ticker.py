"""The "still working" line: shown on a terminal after a delay, erased at the end."""

from __future__ import annotations

import io
import time

from salessheet.cli.ticker import Ticker


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_run_shows_elapsed_seconds_then_erases_the_line() -> None:
    out = Terminal()
    with Ticker("validate big.xlsx", stream=out, delay=0.05, every=0.05):
        time.sleep(0.3)
    text = out.getvalue()
    assert "\rvalidate big.xlsx: working... 0 s" in text
    assert text.endswith("\r" + " " * len("validate big.xlsx: working... 0 s") + "\r")


def test_quick_runs_and_pipes_show_nothing() -> None:
    out = Terminal()
    with Ticker("validate small.xlsx", stream=out, delay=5):
        pass
    pipe = io.StringIO()  # not a terminal: cron, `| jq`, a log file
    with Ticker("validate big.xlsx", stream=pipe, delay=0, every=0.01):
        time.sleep(0.1)
    assert out.getvalue() == "" and pipe.getvalue() == ""
