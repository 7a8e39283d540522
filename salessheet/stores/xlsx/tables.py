"""The Excel tables (ListObjects) of a worksheet, from the package's parts: where each table
sits and how many header and totals rows it has (``headerRowCount``, ``totalsRowCount``).

The writer refuses to change the cells Excel keeps in step with a table's definition (its header
and totals rows); the reader tells the sheet which rows are totals rows, which are never deals,
whatever they hold (a ``=SUBTOTAL(109,[Amount])`` with no "Total" label is still a total).
Standard library only; the parts are read through the caller's ``find``/``read``.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from salessheet.core.cells import TotalsRow, col_number
from salessheet.stores.xlsx.xmltext import _attrs

_REL = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*?)/?>")
_TABLE_HEAD = re.compile(rb"<(?:\w+:)?table\b[^>]*>")
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7}):\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


@dataclass(frozen=True)
class TableDef:
    """One table: its name and 1-based bounds (totals rows included), header and totals rows."""

    name: str
    left: int
    right: int
    top: int
    bottom: int
    header_rows: int
    totals_rows: int

    def totals(self) -> list[TotalsRow]:
        first = self.bottom - self.totals_rows + 1
        return [
            TotalsRow(self.name, r, self.left, self.right, self.top)
            for r in range(max(first, self.top + self.header_rows), self.bottom + 1)
        ]


def relationships(xml: bytes) -> list[dict[str, str]]:
    """The attributes of each ``<Relationship>`` of a relationships part."""
    return [
        {k.decode(): html.unescape(v.decode()) for k, v in _attrs(m.group(1)).items()}
        for m in _REL.finditer(xml)
    ]


def resolve(base_dir: str, target: str) -> str:
    """A relationship's target as a part name (relative to ``base_dir``, or absolute)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(base_dir, target))


def _count(attrs: dict[str, str], key: str, default: int) -> int | None:
    text = attrs.get(key, "").strip()
    if not text:
        return default
    return int(text) if text.isdigit() and len(text) <= 7 else None


def sheet_tables(
    find: Callable[[str], str | None], read: Callable[[str], bytes], sheet_part: str
) -> list[TableDef]:
    """The tables of the worksheet stored in ``sheet_part``. ``find(name)``: the package's
    name of a part (None: absent); ``read(name)``: its bytes. A table whose definition cannot
    be read (no part, no usable ``ref``) is left out."""
    folder = posixpath.dirname(sheet_part)
    rels_name = find(posixpath.join(folder, "_rels", posixpath.basename(sheet_part)) + ".rels")
    if rels_name is None:
        return []
    out = []
    for rel in relationships(read(rels_name)):
        if not rel.get("Type", "").endswith("/table") or rel.get("TargetMode") == "External":
            continue
        part = find(resolve(folder, rel.get("Target", "")))
        if part is None:
            continue
        head = _TABLE_HEAD.search(read(part))
        if head is None:
            continue
        attrs = {k.decode(): html.unescape(v.decode()) for k, v in _attrs(head.group(0)).items()}
        ref = _REF.match(attrs.get("ref", "").strip())
        header_rows = _count(attrs, "headerRowCount", 1)
        totals_rows = _count(attrs, "totalsRowCount", 0)
        if ref is None or header_rows is None or totals_rows is None:
            continue
        c1, r1, c2, r2 = ref.groups()
        left, right = sorted((col_number(c1), col_number(c2)))
        top, bottom = sorted((int(r1), int(r2)))
        name = attrs.get("displayName") or attrs.get("name") or part
        out.append(TableDef(name, left, right, top, bottom, header_rows, totals_rows))
    return out
