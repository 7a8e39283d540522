"""Names of the sheets salessheet owns (it may create and overwrite them) and of the companion
sheets it reads beside the pipeline. Everything else in a user's file is user-owned.

A sheet is the tool's by more than its name: each store marks the sheets it writes (a hidden
workbook-level defined name in xlsx, developer metadata in Google Sheets) and reports the mark
as ``RawSheet.marked``; see ``salessheet.history.ownership``."""

HISTORY_SHEET = "salessheet history"
DOCUMENTS_SHEET = "salessheet documents"
FINDINGS_SHEET = "salessheet findings"
FORECAST_SHEET = "salessheet forecast"
LINE_ITEMS_SHEET = "Line Items"
PRODUCTS_SHEET = "Products"
OWNED_SHEETS = (HISTORY_SHEET, DOCUMENTS_SHEET, FINDINGS_SHEET, FORECAST_SHEET)
COMPANION_SHEETS = (LINE_ITEMS_SHEET, PRODUCTS_SHEET, *OWNED_SHEETS)
# The columns `run` adds to the pipeline sheet (flags, days in stage) start their headers with
# this; they are the tool's, not the deal's.
OWNED_COLUMN_PREFIX = "⚑ salessheet"
