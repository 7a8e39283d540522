"""Is a sheet named like a tool-owned sheet really salessheet's?

A name is not enough: a user may have a sheet of their own called ``salessheet history``.
A sheet is the tool's when

- the store found salessheet's mark on it (``RawSheet.marked``: a hidden workbook-level defined
  name in xlsx, developer metadata in Google Sheets; every sheet a store replaces gets one), or
- it carries no mark but its first row is exactly a header salessheet writes there (a ledger
  or findings sheet from a version that did not mark sheets yet: adopted, and marked on its next
  write), or
- it holds no value at all (nothing to lose).

Anything else is the user's: it is not read as the tool's data, and ``run`` refuses (exit 3,
nothing written) rather than replace it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from salessheet.core import catalogue as C
from salessheet.core.cells import CellError, RawSheet
from salessheet.core.errors import WriteRefused
from salessheet.core.findings import Finding

Ownership = Literal["absent", "marked", "adopted", "empty", "foreign"]


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, CellError):
        return v.code
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def ownership(sheet: RawSheet | None, headers: Sequence[Sequence[str]]) -> Ownership:
    """How a sheet named like a tool-owned one relates to the tool (see the module doc)."""
    if sheet is None:
        return "absent"
    if sheet.marked:
        return "marked"
    rows = sheet.head(2)
    first = [_text(v) for v in rows[0]] if rows else []
    while first and first[-1] == "":
        first.pop()
    if first and any(first == list(h) for h in headers):
        return "adopted"
    if not first and all(all(_text(v) == "" for v in r) for r in sheet.rows):
        return "empty"
    return "foreign"


def is_ours(sheet: RawSheet | None, headers: Sequence[Sequence[str]]) -> bool:
    """True when the sheet exists and is the tool's (marked, adopted or empty)."""
    return ownership(sheet, headers) in ("marked", "adopted", "empty")


def _what(name: str) -> str:
    return (
        f"sheet {name!r} has the name of a sheet salessheet owns, but salessheet did not make "
        "it (it carries no salessheet mark and its first row is not salessheet's header)"
    )


def not_owned_finding(name: str) -> Finding:
    return Finding.of(
        C.SHEET_NOT_OWNED,
        f"{_what(name)}: it is left alone and not read as salessheet's data; `run` will not "
        f"write until it is renamed",
        sheet=name,
        details={"sheet": name},
    )


def refuse_foreign(name: str) -> WriteRefused:
    return WriteRefused(
        f"{_what(name)}; replacing it would lose your data, so nothing was written",
        hint=f"rename your sheet {name!r} (e.g. to '{name.replace('salessheet ', '')} (mine)') "
        f"and run again: salessheet then creates its own {name!r} beside it",
    )


def check_replaceable(sheet: RawSheet | None, name: str, headers: Sequence[Sequence[str]]) -> None:
    """Raise WriteRefused (exit 3) if ``sheet`` exists and is not the tool's."""
    if ownership(sheet, headers) == "foreign":
        raise refuse_foreign(name)
