"""Small readers of an xlsx package's XML parts (standard library only, no openpyxl).

Used where python-calamine does not tell us enough: which cells hold error values.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from xml.etree import ElementTree as ET

from salessheet.cells import CellError, col_number

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CELL_RE = re.compile(rb"<c\b([^>]*)>(.*?)</c>", re.S)
_REF_RE = re.compile(rb'\br="([A-Z]+)(\d+)"')
_V_RE = re.compile(rb"<v>([^<]*)</v>")


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip part path (e.g. 'xl/worksheets/sheet1.xml')."""
    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for rel in rels.iter(f"{{{NS_PKG}}}Relationship"):
        target = rel.get("Target", "")
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id")] = path
    out = {}
    for sheet in wb.iter(f"{{{NS_MAIN}}}sheet"):
        rid = sheet.get(f"{{{NS_REL}}}id")
        if rid in targets:
            out[sheet.get("name", "")] = targets[rid]
    return out


def error_cells(xml: bytes) -> dict[tuple[int, int], CellError]:
    """(0-based row, 0-based col) -> CellError for every cell of type t="e" in a worksheet."""
    out: dict[tuple[int, int], CellError] = {}
    if b't="e"' not in xml:
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
