"""Stores hide the medium: read sheets as raw rows, write only tool-owned cells and sheets."""

from salessheet.stores.base import CellWrite, SheetReplace, Store, WriteBatch, WriteReport
from salessheet.stores.registry import open_store

__all__ = ["CellWrite", "SheetReplace", "Store", "WriteBatch", "WriteReport", "open_store"]
