"""salessheet: a governed sales pipeline on top of the spreadsheet a team already uses."""

__version__ = "0.1.0"
