"""Findings: one problem each, as data. Rules yield them; the CLI prints them.

A finding is built one way, ``Finding.of(check, message, ...)``, from a check of the catalogue
(``salessheet.core.catalogue``); given the record (deal) and the field it is about, it fills the
sheet, row, column header, A1 cell, shown value, owner and deal id the same way for every rule.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, Literal

from salessheet.core.catalogue import Check, Severity
from salessheet.core.cells import a1

if TYPE_CHECKING:
    from salessheet.core.records import Record

__all__ = [
    "SEVERITY_ORDER",
    "Finding",
    "Severity",
    "Status",
    "field_label",
    "findings_json",
    "json_safe",
    "shown_value",
    "sort_findings",
]

Status = Literal["new", "persisting", "resolved"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_ORDER = ("code", "severity", "status", "deal_id", "sheet", "row", "column", "cell", "owner")
_UNSET: Any = object()

# How a finding names a field whose column the sheet lacks (and how messages name fields).
FIELD_LABELS = {
    "deal_id": "deal id",
    "customer": "customer",
    "stage": "stage",
    "amount": "amount",
    "currency": "currency",
    "owner": "owner",
    "expected_close": "expected close date",
    "last_activity": "last activity date",
    "stage_date": "stage date",
    "lost_reason": "lost reason",
    "probability": "probability",
}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " "))


@dataclass(slots=True)
class Finding:
    code: str  # stable kebab-case, from the catalogue
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

    @classmethod
    def of(
        cls,
        check: Check,
        message: str,
        *,
        record: Record | None = None,
        field: str | None = None,
        value: Any = _UNSET,
        severity: Severity | None = None,
        details: dict[str, Any] | None = None,
        sheet: str | None = None,
        row: int | None = None,
        col: int | None = None,
        column: str | None = None,
        deal_id: str | None = None,
        status: Status = "new",
    ) -> Finding:
        """The one way to build a finding.

        With ``record`` (a deal), the sheet, row, deal id and owner are the record's; with
        ``field`` too, the column is the field's header (its label when the sheet has no such
        column), the cell is the field's cell and the value is what the cell shows
        (``shown_value``) unless ``value`` is given. Without a record (a cell read before deals
        exist, a whole column, the ledger) the caller names sheet/row/col/column itself.
        ``severity`` overrides the check's default where the profile configures it.
        """
        owner = None
        if record is not None:
            layout = record.layout
            sheet = layout.sheet
            row = record.row
            deal_id = getattr(record, "id", None) or None
            owner = record.values.get("owner")
            if field is not None:
                col = layout.col_of.get(field)
                if column is None:
                    header = layout.header_of.get(field)
                    column = header if header is not None else field_label(field)
                if value is _UNSET:
                    value = shown_value(record, field)
        return cls(
            check.code,
            severity or check.severity,
            message,
            deal_id,
            sheet,
            row,
            column,
            a1(row, col) if col and row else None,
            None if value is _UNSET else json_safe(value),
            status,
            owner,
            {} if details is None else details,
        )

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


def shown_value(record: Record, name: str) -> Any:
    """The value a finding shows for field ``name``: a parsed date as ISO text (Google sends
    dates as serial numbers, Excel as date cells), else the raw cell; None when blank."""
    col = record.layout.col_of.get(name)
    raw = record.raw_row[col - 1] if col and col <= len(record.raw_row) else None
    if raw is None or raw == "":
        return None
    parsed = record.values.get(name)
    if isinstance(parsed, dt.date):
        return parsed.isoformat()
    return json_safe(raw)


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


# --- JSON, fast: the CLI streams tens of thousands of findings -------------------------------
#
# Each finding becomes exactly the text ``json.dumps(f.to_dict(), ensure_ascii=False)`` gives,
# without building that dict: the same C encoder the json module uses, made once, and a
# plain dict literal per finding. Values json_safe would convert (Decimal, dates, ...) reach
# ``_default`` and are converted the same way.


def _default(value: Any) -> Any:
    return json_safe(value)


def _make_encoder() -> Any:
    try:
        from json.encoder import c_make_encoder  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - CPython always has the C accelerator
        c_make_encoder = None
    if c_make_encoder is None:  # pragma: no cover
        enc = json.JSONEncoder(ensure_ascii=False, default=_default)
        return lambda obj, _level: enc.iterencode(obj)
    return c_make_encoder(None, _default, encode_basestring, None, ": ", ", ", False, False, True)


_ENCODE = _make_encoder()


def findings_json(findings: Iterable[Finding], chunk: int = 2048) -> Iterator[str]:
    """The findings as the items of a JSON list (``{...}, {...}``), in pieces of about
    ``chunk`` findings each; joined they equal ``json.dumps([f.to_dict() ...])[1:-1]``."""
    encode = _ENCODE
    batch: list[dict[str, Any]] = []
    first = True
    for f in findings:
        d = {
            "code": f.code,
            "severity": f.severity,
            "status": f.status,
            "deal_id": f.deal_id,
            "sheet": f.sheet,
            "row": f.row,
            "column": f.column,
            "cell": f.cell,
            "owner": f.owner,
            "value": f.value,
            "message": f.message,
        }
        if f.details:
            d["details"] = f.details
        batch.append(d)
        if len(batch) >= chunk:
            text = "".join(encode(batch, 0))[1:-1]
            yield text if first else ", " + text
            first = False
            batch.clear()
    if batch:
        text = "".join(encode(batch, 0))[1:-1]
        yield text if first else ", " + text
