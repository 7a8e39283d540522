"""The result of a validate / stalled / run: findings plus the summary of the JSON contract."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from salessheet.core.findings import Finding, sort_findings


@dataclass
class CheckReport:
    source: str
    sheet: str
    today: dt.date
    profile: str
    deals: int
    findings: list[Finding]
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. written cells, dry-run changes
    presorted: bool = False  # keep the findings' order (stalled: worst first)

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.status != "resolved"]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.active if f.severity == severity)

    @property
    def stalled(self) -> int:
        return sum(1 for f in self.active if f.code == "stalled-deal")

    @property
    def exit_code(self) -> int:
        return 1 if self.count("error") else 0

    def summary(self) -> dict[str, int]:
        return {
            "deals": self.deals,
            "errors": self.count("error"),
            "warnings": self.count("warning"),
            "stalled": self.stalled,
            "info": self.count("info"),
            "new": sum(1 for f in self.active if f.status == "new"),
            "resolved": sum(1 for f in self.findings if f.status == "resolved"),
        }

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "sheet": self.sheet,
            "today": self.today.isoformat(),
            "profile": self.profile,
            "summary": self.summary(),
            "findings": [
                f.to_dict()
                for f in (self.findings if self.presorted else sort_findings(self.findings))
            ],
        }
        out.update(self.extra)
        return out
