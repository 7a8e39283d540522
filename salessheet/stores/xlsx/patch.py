"""Write tool-owned cells and sheets into an .xlsx/.xlsm by patching its zip, losing nothing.

openpyxl's load-and-save drops what it does not model (shapes, slicers, images in cells, cached
values...). Here only the parts that must change are rewritten, at string level, and every other
zip entry is copied byte for byte (compressed data included, so nothing is recompressed):

- a worksheet that receives cell writes: only the touched ``<row>``/``<c>`` elements and the
  ``<dimension>`` are rewritten; everything else in the part keeps its bytes;
- a tool-owned sheet (``SheetReplace``): its ``<sheetData>`` is regenerated; a new one adds a
  worksheet part plus its entries in the workbook, the workbook's rels and ``[Content_Types].xml``.

Values are written as text or numbers, never formulas. Output is deterministic, and a cell that
already holds the value to write is left alone, so a second run with nothing new changes nothing.
"""

from __future__ import annotations

import hashlib
import html
import os
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from salessheet.core.cells import WriteValue, col_letter, sheet_name_problem
from salessheet.core.errors import WriteRefused
from salessheet.stores.base import CellWrite, SheetReplace, WriteReport
from salessheet.stores.file_safety import (
    FileFingerprint,
    atomic_replace,
    check_not_locked,
    check_unchanged,
)
from salessheet.stores.xlsx.markers import with_marks
from salessheet.stores.xlsx.sheet_patch import (
    _new_worksheet,
    _replace_sheet_data,
    _SharedStrings,
    _SheetPatcher,
)
from salessheet.stores.xlsx.tables import relationships as _relationships
from salessheet.stores.xlsx.tables import resolve as _resolve
from salessheet.stores.xlsx.tables import sheet_tables
from salessheet.stores.xlsx.xmltext import (
    _MAX_COL,
    _MAX_ROW,
    _REL_NS,
    _STRICT_MAIN_NS,
    _STRICT_WORKSHEET_REL,
    _WORKSHEET_REL,
    WORKSHEET_CT,
    _attrs,
    _esc_attr,
)
from salessheet.stores.xlsx.zipio import (
    _prepare_payloads,
    _write_zip,
    _Zip,
)

# zlib level 6 (what Excel's files are close to) for ordinary parts; level 1 for very large ones,
# where it is ~3x faster for ~30% more bytes (the write-back must stay within 2x a read).

# ============================================================================ zip container


# ============================================================================ XML text helpers


# ============================================================================ cell values


# ============================================================================ worksheet patching


# ============================================================================ generated sheets


# ============================================================================ package structure


@dataclass
class _SheetRef:
    name: str
    sheet_id: int
    rid: str
    part: str | None  # zip entry name, None if the target is missing
    rel_type: str


class _Package:
    def __init__(self, z: _Zip):
        self.z = z
        root_rels = z.find("_rels/.rels")
        wb = None
        if root_rels:
            for rel in _relationships(z.read(root_rels)):
                if rel["Type"].endswith("/officeDocument") and rel.get("TargetMode") != "External":
                    wb = _resolve("", rel["Target"])
                    break
        wb = z.find(wb or "xl/workbook.xml")
        if wb is None:
            raise WriteRefused(f"{z.label}: no workbook part found; is this really an .xlsx?")
        self.workbook = wb
        self.wb_dir = posixpath.dirname(wb)
        self.rels_name = posixpath.join(self.wb_dir, "_rels", posixpath.basename(wb) + ".rels")
        found_rels = z.find(self.rels_name)
        if found_rels is None:
            raise WriteRefused(f"{z.label}: the workbook has no relationships part.")
        self.rels_name = found_rels
        self.wb_xml = z.read(wb)
        self.strict = _STRICT_MAIN_NS.encode() in self.wb_xml[:4096]
        self.rels_xml = z.read(found_rels)
        self.rels = {r["Id"]: r for r in _relationships(self.rels_xml)}
        self.sheets: list[_SheetRef] = []
        sheets_m = re.search(rb"<(?:\w+:)?sheets\b[^>]*>(.*?)</(?:\w+:)?sheets>", self.wb_xml, re.S)
        for m in re.finditer(
            rb"<(?:\w+:)?sheet\b([^>]*?)/?>", sheets_m.group(1) if sheets_m else b""
        ):
            attrs = {k.decode(): html.unescape(v.decode()) for k, v in _attrs(m.group(1)).items()}
            rid = next((v for k, v in attrs.items() if k.endswith(":id") or k == "id"), "")
            rel = self.rels.get(rid, {})
            part = z.find(_resolve(self.wb_dir, rel["Target"])) if rel.get("Target") else None
            self.sheets.append(
                _SheetRef(
                    attrs.get("name", ""),
                    int(attrs.get("sheetId", "0") or 0),
                    rid,
                    part,
                    rel.get("Type", ""),
                )
            )

    def sheet(self, name: str) -> _SheetRef | None:
        for s in self.sheets:
            if s.name == name:
                return s
        folded = name.casefold()
        return next((s for s in self.sheets if s.name.casefold() == folded), None)


def _check_sheet_name(name: str) -> None:
    if sheet_name_problem(name) is not None:
        raise WriteRefused(
            f"cannot create a sheet named {name!r}: Excel sheet names have 1-31 characters, "
            "none of []:*?/\\, and do not start or end with an apostrophe."
        )


def _add_sheet(pkg: _Package, parts: dict[str, bytes], name: str, content: bytes) -> str:
    """Add a worksheet part + workbook, rels and content-type entries; returns the part name."""
    _check_sheet_name(name)
    z = pkg.z
    ct_name = z.find("[Content_Types].xml")
    if ct_name is None:
        raise WriteRefused(f"{z.label}: the package has no [Content_Types].xml.")
    ct = parts.get(ct_name, z.read(ct_name))
    # Avoid names in use, and names that stale overrides or relationships still mention.
    taken = set(z.by_lower) | {p.lower() for p in parts}
    overrides = re.findall(rb'PartName\s*=\s*"([^"]*)"', ct)
    taken |= {m.decode("utf-8", "replace").lstrip("/").lower() for m in overrides}
    taken |= {_resolve(pkg.wb_dir, r.get("Target", "")).lower() for r in pkg.rels.values()}
    n = len(pkg.sheets) + 1
    while True:
        target = f"worksheets/sheet{n}.xml"
        part = _resolve(pkg.wb_dir, target)
        if part.lower() not in taken:
            break
        n += 1
    ids = [int(m) for m in re.findall(r"rId(\d+)", " ".join(pkg.rels))] or [0]
    rid = f"rId{max(ids) + 1}"
    while rid in pkg.rels:
        rid = f"rId{int(rid[3:]) + 1}"
    sheet_id = max([s.sheet_id for s in pkg.sheets] or [0]) + 1
    rel_type = _STRICT_WORKSHEET_REL if pkg.strict else _WORKSHEET_REL

    wb = parts.get(pkg.workbook, pkg.wb_xml)
    close = re.search(rb"</(\w+:)?sheets\s*>", wb)
    if close is None:
        raise WriteRefused(f"{z.label}: the workbook part has no <sheets> list.")
    sp = close.group(1) or b""
    # A prefix for the relationships namespace is usable only if declared on an ancestor of
    # <sheet>: the root element or <sheets> (openpyxl, for one, declares it on each <sheet>).
    root = re.search(rb"<[A-Za-z_][^>]*>", wb)
    sheets_open = re.search(rb"<(?:\w+:)?sheets\b[^>]*>", wb)
    scope = (root.group(0) if root else b"") + (sheets_open.group(0) if sheets_open else b"")
    rp = None
    for ns in _REL_NS:
        m = re.search(rb'xmlns:([\w.-]+)\s*=\s*["\']' + re.escape(ns.encode()) + rb'["\']', scope)
        if m:
            rp = m.group(1)
            break
    decl = b""
    if rp is None:
        rp, decl = b"r", b' xmlns:r="' + _REL_NS[pkg.strict].encode() + b'"'
    entry = b'<%ssheet name="%s" sheetId="%d"%s %s:id="%s"/>' % (
        sp,
        _esc_attr(name).encode("utf-8"),
        sheet_id,
        decl,
        rp,
        rid.encode(),
    )
    parts[pkg.workbook] = wb[: close.start()] + entry + wb[close.start() :]

    rels = parts.get(pkg.rels_name, pkg.rels_xml)
    close = re.search(rb"</(\w+:)?Relationships\s*>", rels)
    if close is None:
        raise WriteRefused(f"{z.label}: the workbook's relationships part has no end tag.")
    rel = b'<%sRelationship Id="%s" Type="%s" Target="%s"/>' % (
        close.group(1) or b"",
        rid.encode(),
        rel_type.encode(),
        target.encode(),
    )
    parts[pkg.rels_name] = rels[: close.start()] + rel + rels[close.start() :]

    close = re.search(rb"</(\w+:)?Types\s*>", ct)
    if close is None:
        raise WriteRefused(f"{z.label}: the content types part has no </Types> end tag.")
    override = b'<%sOverride PartName="/%s" ContentType="%s"/>' % (
        close.group(1) or b"",
        part.encode(),
        WORKSHEET_CT.encode(),
    )
    parts[ct_name] = ct[: close.start()] + override + ct[close.start() :]
    parts[part] = content
    pkg.sheets.append(_SheetRef(name, sheet_id, rid, part, rel_type))
    pkg.rels[rid] = {"Id": rid, "Type": rel_type, "Target": target}
    return part


# ============================================================================ planning


@dataclass
class _Plan:
    parts: dict[str, bytes]  # changed or added part -> new content
    added: list[str]  # parts that did not exist, in the order they are appended
    written_cells: int
    written_sheets: list[str]
    checks: dict[str, bytes]  # part -> the XML to parse as a check, when not the whole part
    changed_cells: list[CellWrite]


def _group_cells(cells: Iterable[CellWrite]) -> dict[str, dict[int, dict[int, WriteValue]]]:
    grouped: dict[str, dict[int, dict[int, WriteValue]]] = {}
    for c in cells:
        if not (1 <= c.row <= _MAX_ROW and 1 <= c.col <= _MAX_COL):
            raise WriteRefused(
                f"sheet {c.sheet!r}: cell row {c.row}, column {c.col} is outside the sheet."
            )
        grouped.setdefault(c.sheet, {}).setdefault(c.row, {})[c.col] = c.value
    return grouped


def _table_guards(z: _Zip, sheet_part: str) -> list[tuple[str, int, int, int, int, str]]:
    """Rows of the sheet's Excel tables whose cells Excel keeps in step with the table's own
    definition (the header row, the totals row): (table, first col, last col, row, row, what)."""
    guards = []
    for t in sheet_tables(z.find, z.read, sheet_part):
        if t.header_rows:
            guards.append((t.name, t.left, t.right, t.top, t.top + t.header_rows - 1, "header row"))
        if t.totals_rows:
            first = t.bottom - t.totals_rows + 1
            guards.append((t.name, t.left, t.right, first, t.bottom, "totals row"))
    return guards


def _check_table_headers(
    z: _Zip, sheet: _SheetRef, part: str, changed: list[tuple[int, int]]
) -> None:
    """Refuse to change a table's header or totals cell (of ``sheet``, stored in ``part``):
    Excel would call the file damaged when the cell no longer matches the table definition."""
    guards = _table_guards(z, part)
    for name, left, right, top, bottom, what in guards:
        for r, c in changed:
            if top <= r <= bottom and left <= c <= right:
                raise WriteRefused(
                    f"sheet {sheet.name!r}, cell {col_letter(c)}{r}: is in the {what} of the "
                    f"Excel table {name!r}; changing it would damage the table. Nothing was "
                    "written.",
                    hint="Keep the salessheet columns outside the table, or rename the column "
                    "in Excel.",
                )


def _make_plan(z: _Zip, cells: list[CellWrite], sheets: list[SheetReplace]) -> _Plan:
    pkg = _Package(z)
    sst_name = next(
        (
            z.find(_resolve(pkg.wb_dir, r["Target"]))
            for r in pkg.rels.values()
            if r.get("Type", "").endswith("/sharedStrings")
        ),
        None,
    )
    sst = _SharedStrings(lambda: z.read(sst_name) if sst_name else None)
    parts: dict[str, bytes] = {}
    added: list[str] = []
    written_cells = 0
    written_sheets: list[str] = []
    checks: dict[str, bytes] = {}
    changed_cells: list[CellWrite] = []

    for sheet_name, writes in _group_cells(cells).items():
        ref = pkg.sheet(sheet_name)
        if ref is None or ref.part is None:
            raise WriteRefused(f"{z.label}: no sheet named {sheet_name!r} to write into.")
        if not ref.rel_type.endswith("/worksheet"):
            raise WriteRefused(f"{z.label}: sheet {sheet_name!r} is not a worksheet.")
        patcher = _SheetPatcher(parts.get(ref.part) or z.read(ref.part), ref.name, sst)
        try:
            new = patcher.patch(writes)
        except (TypeError, ValueError) as exc:
            raise WriteRefused(f"sheet {sheet_name!r}: cannot write value {exc}.") from None
        if patcher.changed:
            _check_table_headers(z, ref, ref.part, patcher.changed_at)
            parts[ref.part] = new
            checks[ref.part] = patcher.check_doc
            written_cells += patcher.changed
            changed_cells += [
                CellWrite(ref.name, r, c, writes[r][c]) for r, c in patcher.changed_at
            ]

    for rep in sheets:
        width = max((len(r) for r in rep.rows), default=0)
        if len(rep.rows) > _MAX_ROW or width > _MAX_COL:
            raise WriteRefused(
                f"sheet {rep.name!r}: {len(rep.rows):,} rows x {width:,} columns do not fit in an "
                f"Excel sheet ({_MAX_ROW:,} x {_MAX_COL:,}); nothing was written."
            )
        try:
            ref = pkg.sheet(rep.name)
            if ref is None:
                part = _add_sheet(pkg, parts, rep.name, _new_worksheet(rep.rows, pkg.strict))
                added.append(part)
                written_sheets.append(rep.name)
                continue
            if ref.part is None or not ref.rel_type.endswith("/worksheet"):
                raise WriteRefused(f"{z.label}: sheet {rep.name!r} is not a worksheet.")
            old = parts.get(ref.part) or z.read(ref.part)
            new = _replace_sheet_data(old, rep.rows, ref.name)
        except (TypeError, ValueError) as exc:
            raise WriteRefused(f"sheet {rep.name!r}: cannot write value {exc}.") from None
        if new != z.read(ref.part):
            parts[ref.part] = new
            checks.pop(ref.part, None)
            written_sheets.append(ref.name)
    _mark_replaced(pkg, parts, sheets)
    return _Plan(parts, added, written_cells, written_sheets, checks, changed_cells)


def _mark_replaced(pkg: _Package, parts: dict[str, bytes], sheets: list[SheetReplace]) -> None:
    """Every sheet replaced for the tool carries salessheet's mark (see markers.py)."""
    names = [ref.name for rep in sheets if (ref := pkg.sheet(rep.name)) is not None]
    if not names:
        return
    wb = parts.get(pkg.workbook, pkg.wb_xml)
    marked = with_marks(wb, names)
    if marked != wb:
        parts[pkg.workbook] = marked


@dataclass(frozen=True)
class PatchPreview:
    """What a write would do, for ``--dry-run``: the cell writes that would change a cell
    (others already hold their value) and the tool-owned sheets whose content would change."""

    cells: list[CellWrite]
    sheets: list[str]

    @property
    def unchanged(self) -> bool:
        return not self.cells and not self.sheets


def preview_patch(path: Path, cells: list[CellWrite], sheets: list[SheetReplace]) -> PatchPreview:
    """The cells and sheets a ``patch_xlsx`` with these writes would change; writes nothing."""
    path = Path(path)
    plan = _make_plan(_Zip(path.read_bytes(), str(path)), cells, sheets)
    return PatchPreview(plan.changed_cells, plan.written_sheets)


def plan_patch(path: Path, cells: list[CellWrite], sheets: list[SheetReplace]) -> dict[str, bytes]:
    """The new content of every zip part that would change ({} when nothing would)."""
    path = Path(path)
    return _make_plan(_Zip(path.read_bytes(), str(path)), cells, sheets).parts


# ============================================================================ writing


def _verify(tmp: Path, src: _Zip, plan: _Plan) -> None:
    """Re-open the written file with two zip readers: the same entries in the same order,
    copied entries byte-identical, changed entries decompressing (CRC checked) to exactly the
    planned content, which was checked to be well-formed XML before it was written."""
    label = f"{tmp.name} (temporary file)"
    new = _Zip(tmp.read_bytes(), label)
    local_order = [e.name for e in sorted(src.entries, key=lambda e: e.start)] + plan.added
    expected = [e.name for e in src.entries] + plan.added  # central directory order
    if [e.name for e in sorted(new.entries, key=lambda e: e.start)] != local_order or [
        e.name for e in new.entries
    ] != expected:
        raise WriteRefused(f"{label}: zip entries differ from the plan; nothing replaced.")
    for e in new.entries:
        if e.name in plan.parts:
            continue
        old = src.by_name[e.name]
        a, b = new._data_span(e), src._data_span(old)
        if (old.crc, old.csize, old.usize, old.method) != (e.crc, e.csize, e.usize, e.method) or (
            new.data[a[0] : a[1]] != src.data[b[0] : b[1]]
        ):
            raise WriteRefused(f"{label}: copied entry {e.name} differs; nothing replaced.")

    for name, content in plan.parts.items():
        if not new.holds(name, content):
            raise WriteRefused(f"{label}: {name} does not read back as written.")
    with zipfile.ZipFile(tmp) as zf:
        if zf.namelist() != expected:
            raise WriteRefused(f"{label}: the zip directory does not read back; nothing replaced.")


def patch_xlsx(
    path: Path,
    read_fp: FileFingerprint,
    cells: list[CellWrite],
    sheets: list[SheetReplace],
    *,
    keep_backups: int = 5,
    crash_hook: Callable[[str], None] | None = None,
) -> WriteReport:
    """Write owned cells and sheets into the workbook at ``path``, changing nothing else.

    Refuses (WriteRefused, exit 3, file untouched) when the file changed since ``read_fp`` was
    taken, Excel/LibreOffice holds it open, it is read-only, a write would overwrite a formula
    or an Excel table's header, or a value cannot be stored. Writes nothing (``unchanged``)
    when every cell and sheet already holds what would be written.

    The new file is written beside the old one, fsynced, re-read and checked, the old one is
    kept in ``.salessheet-backups/`` (``keep_backups`` newest), then renamed into place.
    ``crash_hook(stage)`` is called at "temp-written", "verified", "backup-made",
    "before-replace" and "replaced", so tests can make any step fail.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WriteRefused(f"{path}: cannot read the workbook to update it ({exc}).") from None
    if len(data) != read_fp.size or hashlib.sha256(data).hexdigest() != read_fp.sha256:
        raise WriteRefused(
            f"{path}: the file changed after salessheet read it (someone saved it during the run);"
            " nothing was written.",
            hint="Run again: the next run reads the new version.",
        )
    src = _Zip(data, str(path))
    plan = _make_plan(src, cells, sheets)
    if not plan.parts:
        return WriteReport(unchanged=True)
    # Write where the bytes live: replacing a symlink would leave its target stale.
    real = path.resolve()

    def safety_checks() -> None:
        check_not_locked(path)  # beside the link and beside the file it leads to
        check_unchanged(real, read_fp)

    safety_checks()
    if not os.stat(real).st_mode & 0o222:
        raise WriteRefused(
            f"{path}: the file is read-only; nothing was written.",
            hint="Make it writable (or copy it) if salessheet should update it.",
        )
    try:
        backup = atomic_replace(
            real,
            lambda tmp: _write_zip(
                src, _prepare_payloads(src, plan.parts, plan.checks), plan.added, tmp
            ),
            lambda tmp: _verify(tmp, src, plan),
            keep_backups=keep_backups,
            crash_hook=crash_hook,
            before_replace=safety_checks,
        )
    except OSError as exc:
        raise WriteRefused(
            f"{path}: could not write the updated workbook ({exc.strerror or exc}); "
            "the file is unchanged.",
            hint="Check free disk space and that the folder is writable.",
        ) from exc
    return WriteReport(
        written_cells=plan.written_cells,
        written_sheets=plan.written_sheets,
        backup=str(backup) if backup else None,
    )
