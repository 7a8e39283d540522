"""The exception hierarchy, importable as ``salessheet.errors``."""

from salessheet.core.errors import (
    ConfigError,
    PreflightError,
    SalessheetError,
    SourceError,
    StoreUnavailable,
    StructureError,
    UsageError,
    WriteRefused,
)

__all__ = [
    "ConfigError",
    "PreflightError",
    "SalessheetError",
    "SourceError",
    "StoreUnavailable",
    "StructureError",
    "UsageError",
    "WriteRefused",
]
