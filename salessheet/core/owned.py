"""Names of the sheets salessheet owns (it may create and overwrite them) and of the companion
sheets it reads beside the pipeline. Everything else in a user's file is user-owned."""

HISTORY_SHEET = "salessheet history"
DOCUMENTS_SHEET = "salessheet documents"
FINDINGS_SHEET = "salessheet findings"
LINE_ITEMS_SHEET = "Line Items"
PRODUCTS_SHEET = "Products"
OWNED_SHEETS = (HISTORY_SHEET, DOCUMENTS_SHEET, FINDINGS_SHEET)
COMPANION_SHEETS = (LINE_ITEMS_SHEET, PRODUCTS_SHEET, *OWNED_SHEETS)
