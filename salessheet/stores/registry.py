"""Pick the store for a source string."""

from __future__ import annotations

from pathlib import Path

from salessheet.core.errors import SourceError
from salessheet.stores.base import Store


def is_gsheets(source: str) -> bool:
    return source.startswith("gsheet:") or "docs.google.com/spreadsheets" in source


def open_store(source: str, *, credentials: str | None = None) -> Store:
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
    raise SourceError(
        f"{source}: unknown kind of source {suffix or '(no extension)'!r}",
        hint="give a .xlsx, .xlsm or .csv file, a Google Sheets URL, or gsheet:KEY",
    )
