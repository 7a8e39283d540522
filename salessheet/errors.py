"""The exception hierarchy, importable as ``salessheet.errors`` (it lives in ``salessheet.core``)."""

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
