"""Credentials files: refused when missing, unreadable or readable by others; messages never
show their content."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from salessheet.core.errors import (
    SourceError,
)


def read_key_file(path: Path, origin: str = "--credentials") -> dict[str, Any]:
    """Load a credentials JSON file, refusing missing, unreadable or world-readable files.

    Messages name the file and never include its content.
    """
    where = f"{path} (from {origin})"
    if not path.exists():
        raise SourceError(
            f"credentials file {where} does not exist",
            hint="download the service account's JSON key and give its path",
        )
    if not path.is_file():
        raise SourceError(f"credentials file {where} is not a file")
    if os.name == "posix":
        mode = path.stat().st_mode
        if mode & stat.S_IROTH:
            raise SourceError(
                f"credentials file {where} is readable by every user of this computer",
                hint=f"restrict it to yourself: chmod 600 '{path}'",
            )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(
            f"cannot read credentials file {where}: {exc.strerror or type(exc).__name__}",
            hint="check the file's owner and permissions",
        ) from None
    except UnicodeDecodeError:
        raise SourceError(f"credentials file {where} is not a JSON text file") from None
    try:
        info = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"credentials file {where} is not valid JSON (line {exc.lineno}, column {exc.colno})",
            hint="download the JSON key again; do not edit it",
        ) from None
    if not isinstance(info, dict):
        raise SourceError(f"credentials file {where} is not a JSON object")
    return info


def _key_type_hint(info: Mapping[str, Any]) -> str:
    if "installed" in info or "web" in info:
        return (
            "this is an OAuth client file, not a token: run once "
            "`python -c \"import gspread; gspread.oauth(credentials_filename='FILE')\"` "
            "and use ~/.config/gspread/authorized_user.json"
        )
    return "use a service-account JSON key (IAM & Admin → Service accounts → Keys → Add key → JSON)"
