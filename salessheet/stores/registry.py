"""Pick the store for a source string."""

from __future__ import annotations

from pathlib import Path

from salessheet.core.errors import SourceError
from salessheet.stores.base import Store

EMPTY_SOURCE_HINT = (
    "give a .xlsx, .xlsm or .csv file, a Google Sheets URL, or gsheet:KEY "
    "(is the variable that holds it unset?)"
)


def is_gsheets(source: str) -> bool:
    return source.startswith("gsheet:") or "docs.google.com/spreadsheets" in source


def open_store(source: str, *, credentials: str | None = None) -> Store:
    if not source.strip():  # `validate "$FILE"` with FILE unset
        raise SourceError("no source given: SOURCE is empty", hint=EMPTY_SOURCE_HINT)
    if is_gsheets(source):
        try:
            from salessheet.stores.gsheets.store import GSheetsStore
        except ImportError as exc:
            raise SourceError(
                "Google Sheets support is not installed",
                hint="pip install 'salessheet[gsheets]'",
            ) from exc
        return GSheetsStore(source, credentials=credentials)
    suffix = Path(source).suffix.lower()
    # (an .xls or .ods file is told apart by its content: an Excel workbook under that name is
    # read, anything else is refused naming what it is and what to do)
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        from salessheet.stores.xlsx.store import XlsxStore

        return XlsxStore(source)
    if suffix in (".csv", ".txt", ".tsv"):
        from salessheet.stores.csv import CsvStore

        return CsvStore(source)
    if Path(source).is_dir():  # `validate exports` for `validate exports/deals.csv`
        raise SourceError(f"{source}: is a folder, not a pipeline file", hint=_in_folder(source))
    raise SourceError(
        f"{source}: unknown kind of source {suffix or '(no extension)'!r}",
        hint="give a .xlsx, .xlsm or .csv file, a Google Sheets URL, or gsheet:KEY",
    )


def _in_folder(folder: str) -> str:
    """What to give instead of a folder: the pipeline files in it, when there are some."""
    try:
        names = sorted(
            p.name
            for p in Path(folder).iterdir()
            if p.suffix.lower() in (".xlsx", ".xlsm", ".csv") and not p.name.startswith(("~$", "."))
        )
    except OSError:
        names = []
    if not names:
        return "give the .xlsx, .xlsm or .csv file itself, not the folder"
    shown = ", ".join(str(Path(folder) / n) for n in names[:5])
    more = f" (and {len(names) - 5} more)" if len(names) > 5 else ""
    return f"give the file itself, e.g. {shown}{more}"
