"""Parse a Google Sheets source (``gsheet:KEY`` or a docs.google.com URL) into (key, gid)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from salessheet.core.errors import SourceError

_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_PATH_KEY = re.compile(r"/spreadsheets/(?:u/\d+/)?d/([^/?#]+)")
_GID = re.compile(r"(?:^|[#&?])gid=(\d+)")
_EXAMPLES = "gsheet:KEY or https://docs.google.com/spreadsheets/d/KEY/edit#gid=0"


@dataclass(frozen=True)
class GSheetRef:
    """A spreadsheet key and, if the URL named one, the tab's numeric id (``gid``)."""

    key: str
    gid: int | None = None


def is_gsheet_source(source: str) -> bool:
    """True if ``source`` names a Google Sheet (whether or not it is well formed)."""
    return source.startswith("gsheet:") or "docs.google.com/spreadsheet" in source


def parse_gsheet_source(source: str) -> GSheetRef:
    """``gsheet:KEY[#gid=N]`` or a docs.google.com spreadsheet URL -> GSheetRef.

    Raises SourceError naming the source and showing the accepted forms.
    """
    text = source.strip()
    if text.startswith("gsheet:"):
        rest = text[len("gsheet:") :]
        key, _, frag = rest.partition("#")
        return GSheetRef(_check_key(source, key), _gid(source, frag))
    if "docs.google.com/spreadsheet" not in text:
        raise SourceError(f"not a Google Sheets source: {source!r}", hint=f"use {_EXAMPLES}")
    parts = urlsplit(text if "://" in text else "https://" + text)
    if "/spreadsheets/d/e/" in parts.path:
        raise SourceError(
            f"{source!r} is a 'published to the web' link, which the Sheets API cannot open",
            hint="open the sheet and copy the address from the browser bar (…/d/KEY/edit)",
        )
    match = _PATH_KEY.search(parts.path)
    if match:
        key = match.group(1)
    else:  # the old form: docs.google.com/spreadsheet/ccc?key=KEY
        keys = parse_qs(parts.query).get("key", [])
        if not keys:
            raise SourceError(f"no spreadsheet key in {source!r}", hint=f"use {_EXAMPLES}")
        key = keys[0]
    gid = _gid(source, parts.fragment) if "gid=" in parts.fragment else _gid(source, parts.query)
    return GSheetRef(_check_key(source, key), gid)


def _check_key(source: str, key: str) -> str:
    if not key or not _KEY.match(key):
        raise SourceError(
            f"bad spreadsheet key {key!r} in {source!r}:"
            " a key has only letters, digits, '-' and '_'",
            hint=f"use {_EXAMPLES}",
        )
    return key


def _gid(source: str, text: str) -> int | None:
    if not text:
        return None
    match = _GID.search(text)
    if match:
        return int(match.group(1))
    if "gid=" in text:
        raise SourceError(f"bad tab id (gid) in {source!r}: expected digits after 'gid='")
    return None
