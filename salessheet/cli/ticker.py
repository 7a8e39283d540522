"""A one-line "still working" indicator on stderr, for commands that read a big pipeline.

Shown only on a terminal, and only once the work has taken ``delay`` seconds, so quick runs,
pipes, cron and JSON consumers see nothing. The line is erased when the work ends.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Ticker:
    def __init__(
        self,
        label: str,
        *,
        stream: TextIO | None = None,
        delay: float = 2.0,
        every: float = 1.0,
        force: bool = False,
    ):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.every = every
        self.enabled = force or _is_terminal(self.stream)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown = False
        self._width = 0

    def __enter__(self) -> Ticker:
        if self.enabled:
            self._start = time.monotonic()
            self._thread = threading.Thread(target=self._tick, name="ticker", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        if self._shown:  # erase the line, leaving the terminal as it was
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()

    def _tick(self) -> None:
        if self._stop.wait(self.delay):
            return
        while True:
            text = f"{self.label}: working... {time.monotonic() - self._start:.0f} s"
            self._width = max(self._width, len(text))
            self.stream.write("\r" + text.ljust(self._width))
            self.stream.flush()
            self._shown = True
            if self._stop.wait(self.every):
                return


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
