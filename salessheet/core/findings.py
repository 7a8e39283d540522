"""Findings: one problem each, as data. Rules yield them; the CLI prints them.

A finding is built one way, ``Finding.of(check, message, ...)``, from a check of the catalogue
(``salessheet.core.catalogue``); given the record (deal) and the field it is about, it fills the
sheet, row, column header, A1 cell, shown value, owner and deal id the same way for every rule.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, Literal

from salessheet.core.catalogue import Check, Severity
from salessheet.core.cells import col_letter

if TYPE_CHECKING:
    from salessheet.core.records import Record, TableLayout

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
    # the exit criteria of the deal's stage (the profile's stages[].guidance); in the JSON
    # only when set, after the message
    guidance: str | None = None

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
                    value = _shown(record, field, col)
        if value is _UNSET:
            value = None
        elif value is not None and value.__class__ is not str:
            value = json_safe(value)
        return cls(
            check.code,
            severity or check.severity,
            message,
            deal_id,
            sheet,
            row,
            column,
            f"{col_letter(col)}{row}" if col and row else None,
            value,
            status,
            owner,
            {} if details is None else details,
        )

    @classmethod
    def for_field(cls, check: Check, layout: TableLayout, field: str) -> Callable[..., Finding]:
        """``Finding.of(check, message, record=r, field=field, ...)`` for the records of one
        table, with what depends only on the field (column, header, letter) looked up once:
        ``make(record, message, *, value=..., details=..., severity=...)``. Rules that report
        on every row use it; a record of another table gets ``Finding.of`` itself."""
        col = layout.col_of.get(field)
        header = layout.header_of.get(field)
        column = header if header is not None else field_label(field)
        letter = col_letter(col) if col else None
        code, default_severity, sheet = check.code, check.severity, layout.sheet
        new = cls

        def make(
            record: Record,
            message: str,
            *,
            value: Any = _UNSET,
            details: dict[str, Any] | None = None,
            severity: Severity | None = None,
        ) -> Finding:
            if record.layout is not layout:
                return cls.of(check, message, record=record, field=field, value=value,
                              details=details, severity=severity)  # fmt: skip
            if value is _UNSET:
                value = _shown(record, field, col)
            if value is not None and value.__class__ is not str:
                value = json_safe(value)
            row = record.row
            return new(
                code,
                severity or default_severity,
                message,
                getattr(record, "id", None) or None,
                sheet,
                row,
                column,
                f"{letter}{row}" if letter and row else None,
                value,
                "new",
                record.values.get("owner"),
                {} if details is None else details,
            )

        return make

    def key(self) -> tuple[str, str, str]:
        """Identity across runs: the same problem on the same deal and field. A finding on no
        deal is keyed by its row ("row:7"), one on the whole sheet by nothing ("")."""
        where = self.deal_id or (f"row:{self.row}" if self.row is not None else "")
        return (self.code, where, self.column or "")

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in _ORDER}
        out["value"] = json_safe(self.value)
        out["message"] = self.message
        if self.guidance is not None:
            out["guidance"] = self.guidance
        if self.details:
            out["details"] = {k: json_safe(v) for k, v in self.details.items()}
        return out


def shown_value(record: Record, name: str) -> Any:
    """The value a finding shows for field ``name``: a parsed date as ISO text (Google sends
    dates as serial numbers, Excel as date cells), else the raw cell; None when blank."""
    return _shown(record, name, record.layout.col_of.get(name))


def _shown(record: Record, name: str, col: int | None) -> Any:
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
# without building that dict: strings go through the json module's own C string encoder, the
# repeated parts (code/severity/status, sheet, column, owner, detail keys) are encoded once
# per run, and anything but str/int/None is made JSON-safe and handed to the json module's
# C encoder, made once (so floats, bools and lists read exactly as json.dumps writes them).


def _make_encoder() -> Callable[[Any], str]:
    try:
        from json.encoder import c_make_encoder  # type: ignore[attr-defined]  # CPython's, untyped
    except ImportError:  # pragma: no cover - CPython has the C accelerator
        c_make_encoder = None
    if c_make_encoder is None:  # pragma: no cover
        return json.JSONEncoder(ensure_ascii=False).encode
    enc = c_make_encoder(None, None, encode_basestring, None, ": ", ", ", False, False, True)
    return lambda value: "".join(enc(value, 0))


_ENCODE_OTHER = _make_encoder()


def _encode(value: Any) -> str:
    """One value as json.dumps(json_safe(value), ensure_ascii=False) writes it."""
    cls = value.__class__
    if cls is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if cls is int:
        return int.__repr__(value)
    return _ENCODE_OTHER(json_safe(value))


def findings_json(findings: Iterable[Finding], chunk: int = 2048) -> Iterator[str]:
    """The findings as the items of a JSON list (``{...}, {...}``), in pieces of ``chunk``
    findings; joined, they equal ``json.dumps([f.to_dict() for f in findings])[1:-1]``."""
    enc = _encode
    estr = encode_basestring
    memo: dict[str | None, str] = {}  # sheet, column and owner texts, encoded (never None)
    heads: dict[tuple[str, str, str], str] = {}
    keys: dict[str, str] = {}  # detail key -> '"key": '
    out: list[str] = []
    first = True

    def cached(value: Any) -> str:
        if value.__class__ is str:
            return memo.setdefault(value, estr(value))
        return enc(value)  # None, or not text: not memoised (1 == True == Decimal(1))

    for f in findings:
        hk = (f.code, f.severity, f.status)
        head = heads.get(hk)
        if head is None:
            head = heads[hk] = (
                f'{{"code": {enc(f.code)}, "severity": {enc(f.severity)}, '
                f'"status": {enc(f.status)}, "deal_id": '
            )
        sheet, column, owner = f.sheet, f.column, f.owner
        sheet = memo.get(sheet) or cached(sheet)
        column = memo.get(column) or cached(column)
        owner = memo.get(owner) or cached(owner)
        row = f.row
        message = f.message
        details = f.details
        guidance = f.guidance
        if details:
            parts = []
            for k, v in details.items():
                if k.__class__ is str:
                    key = keys.get(k) or keys.setdefault(k, f"{estr(k)}: ")
                else:  # json_safe's way with other keys
                    key = f"{estr(str(k))}: "
                cls = v.__class__
                parts.append(
                    key + (estr(v) if cls is str else int.__repr__(v) if cls is int else enc(v))
                )
            tail = ', "details": {' + ", ".join(parts) + "}}"
        else:
            tail = "}"
        if guidance is not None:
            tail = f', "guidance": {estr(guidance)}' + tail
        deal_id, cell, value = f.deal_id, f.cell, f.value
        out.append(
            f"{head}{estr(deal_id) if deal_id.__class__ is str else enc(deal_id)}, "
            f'"sheet": {sheet}, '
            f'"row": {int.__repr__(row) if row.__class__ is int else enc(row)}, '
            f'"column": {column}, '
            f'"cell": {estr(cell) if cell.__class__ is str else enc(cell)}, '
            f'"owner": {owner}, '
            f'"value": {estr(value) if value.__class__ is str else enc(value)}, '
            f'"message": {estr(message) if message.__class__ is str else enc(message)}{tail}'
        )
        if len(out) >= chunk:
            text = ", ".join(out)
            yield text if first else ", " + text
            first = False
            out.clear()
    if out:
        text = ", ".join(out)
        yield text if first else ", " + text
