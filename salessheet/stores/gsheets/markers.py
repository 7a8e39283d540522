"""salessheet's mark on the sheets it owns in a Google Sheet: developer metadata on the sheet.

Every sheet the store replaces for the tool gets one developer metadata entry located on the
sheet (``{"sheetId": N}``) with key ``salessheet.owned`` and the tool's name for the sheet as
value, visibility DOCUMENT (so any credentials that can open the spreadsheet see it, whatever
Google Cloud project they belong to). It costs no request of its own: it is read in the one
metadata request (``sheets(developerMetadata(metadataKey))`` in the fields mask) and created in
the same ``spreadsheets.batchUpdate`` that adds the sheet (with an id chosen here, so the
metadata request can name it) or, for a sheet from an earlier version, that grows grids — a run
sends that request only when something needs it. The mark stays with the sheet when it is
renamed and is deleted with it; people do not see it in the Sheets UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

MARK_KEY = "salessheet.owned"
META_FIELDS = "developerMetadata(metadataKey,metadataValue)"


def is_marked(sheet: Mapping[str, Any]) -> bool:
    """True if a sheet of the metadata answer carries salessheet's mark."""
    return any(
        isinstance(m, Mapping) and m.get("metadataKey") == MARK_KEY
        for m in sheet.get("developerMetadata", []) or []
    )


def owned_as(sheet: Mapping[str, Any]) -> str | None:
    """The tool's name for a sheet of the metadata answer that carries salessheet's mark (the
    name it was made under: it stays when someone renames the tab), else None."""
    for m in sheet.get("developerMetadata", []) or []:
        if isinstance(m, Mapping) and m.get("metadataKey") == MARK_KEY:
            value = m.get("metadataValue")
            return str(value) if value else None
    return None


def mark_request(sheet_id: int, name: str) -> dict[str, Any]:
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataKey": MARK_KEY,
                "metadataValue": name,
                "location": {"sheetId": sheet_id},
                "visibility": "DOCUMENT",
            }
        }
    }


def add_marks(
    requests: list[dict[str, Any]],
    names: Iterable[str],
    find: Callable[[str], Any],
    taken: set[int],
    fresh_ids: Callable[[set[int], int], list[int]],
) -> list[dict[str, Any]]:
    """``requests`` plus a mark for each of ``names`` (replaced sheets) that is new (its
    ``addSheet`` gets an id chosen here) or not marked yet. ``find(name)`` gives the sheet's
    tab (``sheet_id``, ``marked``) or None."""
    names = list(dict.fromkeys(names))
    adds = {
        r["addSheet"]["properties"].get("title"): r["addSheet"]["properties"]
        for r in requests
        if "addSheet" in r
    }
    ids = iter(fresh_ids(set(taken), len(adds)))
    marks: list[dict[str, Any]] = []
    for name in names:
        if name in adds:
            props = adds[name]
            props.setdefault("sheetId", next(ids))
            marks.append(mark_request(int(props["sheetId"]), name))
            continue
        tab = find(name)
        if tab is not None and not tab.marked:
            marks.append(mark_request(tab.sheet_id, name))
    return requests + marks
