"""Findings: one problem each, as data. Rules yield them; the CLI prints them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Status = Literal["new", "persisting", "resolved"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_ORDER = ("code", "severity", "status", "deal_id", "sheet", "row", "column", "cell", "owner")


@dataclass(slots=True)
class Finding:
    code: str  # stable kebab-case
    severity: Severity
    message: str
    deal_id: str | None = None
    sheet: str | None = None
    row: int | None = None  # 1-based sheet row
    column: str | None = None  # header text as in the sheet
    cell: str | None = None  # A1
    value: Any = None  # raw value, JSON-safe
    status: Status = "new"
    owner: str | None = None  # the deal's owner, for per-owner digests
    details: dict[str, Any] = field(default_factory=dict)

    def key(self) -> tuple[str, str, str]:
        """Identity across runs: the same problem on the same deal and field."""
        return (self.code, self.deal_id or f"row:{self.row}", self.column or "")

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in _ORDER}
        out["value"] = json_safe(self.value)
        out["message"] = self.message
        if self.details:
            out["details"] = {k: json_safe(v) for k, v in self.details.items()}
        return out


def json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (SEVERITY_ORDER[f.severity], f.row or 0, f.code, f.column or ""),
    )
