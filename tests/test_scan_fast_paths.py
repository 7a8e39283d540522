"""The reader's fast paths decide exactly as the plain checks they stand for."""

from __future__ import annotations

import random
import re

from salessheet.stores.xlsx.scan import unusual_cells
from salessheet.stores.xlsx.split import _has_declaration


def test_declaration_search_equals_the_plain_search() -> None:
    rng = random.Random(13)
    for _ in range(3000):
        n = rng.randrange(0, 300)
        data = bytes(rng.choice(b"<!a>/") for _ in range(n))
        end = rng.randrange(0, n + 1)
        assert _has_declaration(data, end) == (data.find(b"<!", 0, end) >= 0), (data, end)
    many = b"<v>#N/A!</v>" * 100 + b"<!-- x -->"  # past the first 64 "!": the plain search
    assert _has_declaration(many, len(many))
    assert not _has_declaration(many, len(many) - 10)


def test_the_possessive_cell_search_finds_what_the_backtracking_one_finds() -> None:
    rng = random.Random(7)
    parts = [
        b'<c r="B7"', b'<c r="Z7"', b'<c r="B99"', b' t="s"', b' s="1"', b' t="e"', b' x="1"',
        b' s="', b">", b"/>", b"<v>1</v></c>", b" ", b'"', b"<c>", b"<x:c ", b'<c r="A7" r="B7"',
    ]  # fmt: skip
    found = {True: 0, False: 0}
    for lo, hi in ((1, 9), (5, 120), (7, 7)):
        fast = unusual_cells(b"", 20, lo, hi)
        plain = re.compile(fast.pattern.replace(b"*+", b"*"))
        assert plain.pattern != fast.pattern
        for _ in range(3000):
            seg = b"".join(rng.choice(parts) for _ in range(rng.randrange(1, 8)))
            a, b = fast.search(seg), plain.search(seg)
            assert (a and a.start()) == (b and b.start()), seg
            found[a is not None] += 1
    assert min(found.values()) > 1000  # usual and unusual cells both tried
