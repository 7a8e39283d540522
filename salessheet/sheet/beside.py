"""Another table beside the deals on the same sheet: a stage list for the dropdowns, a summary
by owner, kept a blank column to the right of the deals, its header on the header row.

Its headers name fields too (``Stage``, ``Owner``), so the header row maps a field twice, which
stops the read (exit 2: "columns C and H both map to the field 'stage'"). When the second
column sits in a block of columns separated from the deals' block by a column that is empty
from the header down (header and every cell), that block is another table: its columns are left
out, and one note says which. Only a field mapped twice makes this look happen, so no sheet
that reads today reads differently (a blank column *inside* a table maps nothing twice).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from salessheet.core.cells import RawValue, col_letter


def _blank(v: RawValue) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _empty_columns(rows: Sequence[Sequence[RawValue]], header_row: int, width: int) -> set[int]:
    """1-based columns up to ``width`` with nothing from the header row down."""
    empty = set(range(1, width + 1))
    for row in rows[header_row - 1 :]:
        for c in [c for c in empty if c <= len(row) and not _blank(row[c - 1])]:
            empty.discard(c)
        if not empty:
            break
    return empty


def columns_beside(
    all_rows: Callable[[], Sequence[Sequence[RawValue]]],
    header_row: int,
    mapped: Sequence[tuple[int, str, str]],
    key: str,
) -> tuple[set[int], str | None]:
    """The columns of other tables beside the deals, to leave out, and a note naming them.
    ``mapped``: (1-based column, field, header text) of each header that names a field, in
    order, a field twice included; ``all_rows``: the sheet's rows (asked for only then: a big
    sheet may still be arriving); ``key``: the field that marks the deals' block (deal_id).
    A block that has the key field too is a second table of deals, not a list beside them:
    nothing is left out (the field mapped twice stays an error, as one table is read)."""
    fields = [f for _, f, _ in mapped]
    if len(set(fields)) == len(fields):
        return set(), None
    rows = all_rows()
    header = rows[header_row - 1] if header_row <= len(rows) else []
    width = max(len(header), max(c for c, _, _ in mapped))
    empty = _empty_columns(rows, header_row, width)
    if not empty:
        return set(), None
    block: dict[int, int] = {}  # column -> its block (blocks split by empty columns)
    n = 0
    for c in range(1, width + 1):
        if c in empty:
            n += 1
        else:
            block[c] = n
    first: dict[str, int] = {}
    name = {c: h for c, _, h in mapped}
    for c, f, _ in mapped:
        first.setdefault(f, c)
    anchor = first.get(key) or min(first.values())
    ours = block[anchor]
    in_ours = {f for c, f, _ in mapped if block[c] == ours}
    other = {block[c] for c, f, _ in mapped if block[c] != ours and f in in_ours}
    if not other or any(block[c] in other for c, f, _ in mapped if f == key):
        return set(), None
    out = {c for c in block if block[c] in other}
    shown = [
        f"{col_letter(c)} ({str(header[c - 1]).strip()!r})"
        for c in sorted(out)
        if c <= len(header) and not _blank(header[c - 1])
    ]
    twice = min((c, f) for c, f, _ in mapped if c in out and f in in_ours)
    before = [c for c in empty if c < twice[0]]
    after = f", after the empty column {col_letter(max(before))}" if before else ""
    note = (
        f"{'columns' if len(shown) > 1 else 'column'} {', '.join(shown[:8])} "
        f"{'are' if len(shown) > 1 else 'is'} another table beside the deals{after}: not read "
        f"(the deals' {name[first[twice[1]]]!r} is column {col_letter(first[twice[1]])}); if "
        f"{'they are deal columns' if len(shown) > 1 else 'it is a deal column'}, remove the "
        "empty column before it"
    )
    return out, note
