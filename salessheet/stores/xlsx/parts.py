"""Small readers of an xlsx package's XML parts (standard library only, no openpyxl).

Used where python-calamine does not tell us enough: which sheet is which part, which cells hold
error values, which parts a reader needs besides the sheet.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from salessheet.core.cells import CellError, col_number
from salessheet.stores.xlsx.zipguard import read_part

NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CELL_RE = re.compile(rb"<c\b([^>]*)>(.*?)</c>", re.S)
_REF_RE = re.compile(rb'\br="([A-Z]+)(\d+)"')
_V_RE = re.compile(rb"<v>([^<]*)</v>")
# a cell whose first child is a formula (<f> comes first in a cell, by the schema)
_FORMULA_CELL_RE = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*?)>\s*<(?:[\w.-]+:)?f[\s/>]")


@dataclass(frozen=True)
class SheetEntry:
    name: str
    part: str  # zip part path, e.g. 'xl/worksheets/sheet1.xml'
    visible: bool  # not state="hidden" / "veryHidden"
    worksheet: bool  # a grid of cells (not a chart sheet, dialog sheet or macro sheet)


def _main_part(zf: zipfile.ZipFile) -> str:
    main = "xl/workbook.xml"
    try:
        root_rels = ET.fromstring(read_part(zf, "_rels/.rels", zf.filename))
        for rel in root_rels.iter(f"{{{NS_PKG}}}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                main = rel.get("Target", main).lstrip("/")
    except KeyError:
        pass
    return main


def _workbook_rels(zf: zipfile.ZipFile, main: str) -> dict[str | None, tuple[str, str]]:
    """Relationship id -> (part path, relationship type) of the workbook part."""
    folder, base = posixpath.split(main)
    rels = ET.fromstring(
        read_part(zf, posixpath.join(folder, "_rels", base + ".rels"), zf.filename)
    )
    targets: dict[str | None, tuple[str, str]] = {}
    for rel in rels.iter(f"{{{NS_PKG}}}Relationship"):
        target = rel.get("Target", "")
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = posixpath.normpath(posixpath.join(folder, target))
        targets[rel.get("Id")] = (path, rel.get("Type", ""))
    return targets


def reader_parts(zf: zipfile.ZipFile) -> tuple[list[str], str | None]:
    """The parts a reader needs to read one worksheet's values (besides the worksheet): the
    package's and the workbook's relationships, the workbook, its shared strings and styles;
    and which of them holds the shared strings. Anything else (other sheets, images, pivot
    caches, whatever else a package carries) never goes into a piece."""
    main = _main_part(zf)
    folder, base = posixpath.split(main)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    wanted = ["[Content_Types].xml", "_rels/.rels", main, rels]
    strings = None
    for path, kind in _workbook_rels(zf, main).values():
        if kind.endswith(("/sharedStrings", "/styles")):
            wanted.append(path)
        if kind.endswith("/sharedStrings") and path in zf.NameToInfo:
            strings = path
    names = set(zf.NameToInfo)
    return [n for n in dict.fromkeys(wanted) if n in names], strings


_FULL_CALC = re.compile(
    rb"""<(?:[\w.-]+:)?calcPr\b[^>]*?\sfullCalcOnLoad\s*=\s*["'](?:1|true)["']"""
)


def results_are_placeholders(zf: zipfile.ZipFile) -> bool:
    """The workbook asks to be recalculated when opened (``fullCalcOnLoad``): written by a
    program that does not calculate (xlsxwriter and its kin save every formula's result as 0,
    openpyxl saves none), and never saved by Excel or LibreOffice since (they drop the flag).
    A formula's saved 0 is then no result."""
    try:
        return _FULL_CALC.search(read_part(zf, _main_part(zf), zf.filename)) is not None
    except (KeyError, SyntaxError, ValueError):
        return False


def workbook_sheets(zf: zipfile.ZipFile) -> list[SheetEntry]:
    """The workbook's sheets in tab order, from workbook.xml and its relationships."""
    main = _main_part(zf)
    wb = ET.fromstring(read_part(zf, main, zf.filename))
    targets = _workbook_rels(zf, main)
    out = []
    for sheet in wb.iter():
        if not isinstance(sheet.tag, str) or not sheet.tag.endswith("}sheet"):
            continue  # (any namespace: transitional or Strict Open XML)
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        if rid in targets:
            path, kind = targets[rid]
            out.append(
                SheetEntry(
                    sheet.get("name", ""),
                    path,
                    sheet.get("state", "visible") == "visible",
                    kind.endswith("/worksheet"),
                )
            )
    return out


def error_cells(xml: bytes) -> dict[tuple[int, int], CellError]:
    """(0-based row, 0-based col) -> CellError for every cell of type t="e" in a worksheet."""
    out: dict[tuple[int, int], CellError] = {}
    if b"#" not in xml or b't="e"' not in xml:  # every error value starts with "#"; memchr
        return out
    for m in _CELL_RE.finditer(xml):
        attrs = m.group(1)
        if b't="e"' not in attrs:
            continue
        ref = _REF_RE.search(attrs)
        v = _V_RE.search(m.group(2))
        if ref and v:
            col = col_number(ref.group(1).decode())
            out[(int(ref.group(2)) - 1, col - 1)] = CellError(v.group(1).decode())
    return out


def formula_columns_in(xml: bytes, first_row: int) -> set[int]:
    """The columns (1-based) of a worksheet holding a formula at or below ``first_row``,
    whatever its cached value: empty when it was never calculated (a file written by a
    script) or when it shows "" (``=IF(..., "")``), and then only its XML tells it is there.
    A cell without an ``r`` reference is not placed, and left out."""
    out: set[int] = set()
    for m in _FORMULA_CELL_RE.finditer(xml):
        ref = _REF_RE.search(m.group(1))
        if ref and int(ref.group(2)) >= first_row:
            out.add(col_number(ref.group(1).decode()))
    return out
