"""Pause Python's cyclic garbage collector around bulk work.

Reading a sheet allocates millions of short-lived, acyclic objects (cells, rows, records);
the collector would walk them again and again for nothing (measured: about a third of
map-and-check time on 100,000 deals). Reference counting still frees them as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
