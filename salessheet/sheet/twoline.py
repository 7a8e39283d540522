"""A header written on two rows: group labels merged across columns on the first row, their
sub-labels on the second, and the other labels merged down over both rows.

    | Deal ID | Customer | Deal value        | Owner |     (A1:A2, B1:B2, F1:F2 merged down,
    |         |          | Amount | Currency |       |      C1:D1 merged across)

Read as one row, the first row's merges "reach into the data" and the sheet was refused ("data
in merged cells A1:A2: unmerge them"), and the second row was taken for a deal. Here the two rows
make one header: each column's label is its sub-label when it has one, else the label merged
down over it; the data start below the second row.
"""

from __future__ import annotations

from collections.abc import Sequence

from salessheet.core.cells import RawValue

Merge = tuple[tuple[int, int], tuple[int, int]]  # 0-based ((top, left), (bottom, right))


def _blank(v: RawValue) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def two_row_header(
    head: Sequence[Sequence[RawValue]], hr: int, merged: Sequence[Merge]
) -> tuple[int, list[RawValue]] | None:
    """(0-based row of the header's second row, the combined labels) when the header on row
    ``hr`` (0-based) goes on over the next row: at least one label merged down over exactly
    the two rows, and the next row holding labels (text) only under a group label merged
    across (or under no label).
    None otherwise."""
    if hr + 1 >= len(head):
        return None
    under: set[int] = set()  # columns of labels merged down over both rows
    groups: set[int] = set()  # columns under a group label merged across on the first row
    for (top, left), (bottom, right) in merged:
        if top == hr and bottom == hr + 1:
            under.update(range(left, right + 1))
        elif top == bottom == hr and right > left:
            groups.update(range(left, right + 1))
    if not under:
        return None
    first, second = list(head[hr]), list(head[hr + 1])
    subs = [(c, v) for c, v in enumerate(second) if not _blank(v)]
    # each sub-label sits under a group label (or under nothing): a first deal's text right
    # below the header sits under the header's own labels and keeps the sheet refused
    if not subs or any(
        c in under
        or not isinstance(v, str)
        or not (c in groups or c >= len(first) or _blank(first[c]))
        for c, v in subs
    ):
        return None
    width = max(len(first), len(second))
    labels: list[RawValue] = []
    for c in range(width):
        below = second[c] if c < len(second) else None
        labels.append(below if not _blank(below) else (first[c] if c < len(first) else None))
    return hr + 1, labels
