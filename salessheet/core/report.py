"""The result of a validate / stalled / run: findings plus the summary of the JSON contract."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from salessheet.core.catalogue import STALLED_DEAL
from salessheet.core.findings import Finding, findings_json, sort_findings

_HEAD_KEYS = ("source", "sheet", "today", "profile", "summary", "findings")


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
    notes: list[str] = field(default_factory=list)  # for the text output only (not in JSON)

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.status != "resolved"]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity and f.status != "resolved")

    @property
    def stalled(self) -> int:
        code = STALLED_DEAL.code
        return sum(1 for f in self.findings if f.code == code and f.status != "resolved")

    @property
    def exit_code(self) -> int:
        return (
            1 if any(f.severity == "error" and f.status != "resolved" for f in self.findings) else 0
        )

    def summary(self) -> dict[str, int]:
        """The counts of the JSON contract, in one pass over the findings."""
        severities = {"error": 0, "warning": 0, "info": 0}
        stalled = new = resolved = 0
        stalled_code = STALLED_DEAL.code
        for f in self.findings:
            status = f.status
            if status == "resolved":
                resolved += 1
                continue
            severities[f.severity] += 1
            if status == "new":
                new += 1
            if f.code == stalled_code:
                stalled += 1
        return {
            "deals": self.deals,
            "errors": severities["error"],
            "warnings": severities["warning"],
            "stalled": stalled,
            "info": severities["info"],
            "new": new,
            "resolved": resolved,
        }

    def ordered(self) -> list[Finding]:
        """The findings in the order the JSON lists them."""
        return self.findings if self.presorted else sort_findings(self.findings)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "sheet": self.sheet,
            "today": self.today.isoformat(),
            "profile": self.profile,
            "summary": self.summary(),
            "findings": [f.to_dict() for f in self.ordered()],
        }
        out.update(self.extra)
        return out

    def iter_json(self, chunk: int = 2048) -> Iterator[str]:
        """``json.dumps(self.to_dict(), ensure_ascii=False)`` in pieces, without building the
        document: the head, then the findings about ``chunk`` at a time, then the extras."""
        if any(k in self.extra for k in _HEAD_KEYS):  # an extra replacing a key: the slow way
            yield json.dumps(self.to_dict(), ensure_ascii=False)
            return
        head = {
            "source": self.source,
            "sheet": self.sheet,
            "today": self.today.isoformat(),
            "profile": self.profile,
            "summary": self.summary(),
        }
        # Head and extras are encoded before the first piece goes out, so that a value json
        # cannot encode fails the whole document, never half of it (findings always encode).
        head_text = json.dumps(head, ensure_ascii=False)[:-1] + ', "findings": ['
        extra = json.dumps(self.extra, ensure_ascii=False)[1:-1]
        yield head_text
        yield from findings_json(self.ordered(), chunk)
        yield "]" + (", " + extra if extra else "") + "}"
