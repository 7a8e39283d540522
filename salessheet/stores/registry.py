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
    if suffix in (".xlsx", ".xlsm"):
        from salessheet.stores.xlsx.store import XlsxStore

        return XlsxStore(source)
    if suffix in (".csv", ".txt", ".tsv"):
        from salessheet.stores.csv import CsvStore

        return CsvStore(source)
    if suffix == ".xls":
        raise SourceError(
            f"{source}: legacy .xls workbooks are not supported",
            hint="open it in Excel or LibreOffice and save it as .xlsx",
        )
    raise SourceError(
        f"{source}: unknown kind of source {suffix or '(no extension)'!r}",
        hint="give a .xlsx, .xlsm or .csv file, a Google Sheets URL, or gsheet:KEY",
    )
