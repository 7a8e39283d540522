"""What a file named like a workbook really is, told from its first bytes.

CRM and web-app "Excel" exports are often something else under an .xlsx or .xls name: an HTML
table, CSV or tab-separated text, an XML Spreadsheet 2003 file; a LibreOffice user's sheet may
be an OpenDocument (.ods) file. Reading those as a zip package fails with a message about the
package ("not a zip file", "File not found '_rels/.rels'") that says nothing a user can act on.
``not_a_workbook`` names what the file is and what to do, for the store to raise (exit 2).
Standard library only.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from salessheet.core.errors import SourceError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_HTML = re.compile(rb"<(?:!doctype\s+html|html|table|head|body|meta|style|div)\b", re.I)
_SPREADSHEETML = b"urn:schemas-microsoft-com:office:spreadsheet"
_HEAD = 4096


def _text(head: bytes) -> str | None:
    """The head as text, when it is text (UTF-8 with or without BOM, UTF-16 with BOM, or a
    single-byte code page without control characters); else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head.decode("utf-16")[:_HEAD]
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
    return text if bad == 0 else None


def _ods(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            if "mimetype" not in zf.NameToInfo or zf.getinfo("mimetype").file_size > 200:
                return False
            return zf.read("mimetype").strip().startswith(ODS_MIMETYPE)
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError, NotImplementedError):
        return False


def not_a_workbook(path: Path, head: bytes) -> SourceError | None:
    """The error for a file that is not an .xlsx/.xlsm package (``head``: its first bytes,
    a few KB), naming what it is and what to do; None when it is a zip package that is no
    OpenDocument file (an Office Open XML workbook, or a package the reader will judge)."""
    name = path.name
    suffix = path.suffix or "(no extension)"
    save_as = "open it in Excel or LibreOffice and save it as an Excel workbook (.xlsx)"
    if head.startswith(b"PK"):
        if _ods(path):
            return SourceError(
                f"{path}: an OpenDocument spreadsheet (.ods, LibreOffice's own format), "
                f"not an Excel workbook",
                hint="open it in LibreOffice and save it as an Excel workbook: File › Save As, "
                "file type 'Excel 2007-365 (.xlsx)'",
            )
        if path.suffix.lower() not in (".xlsx", ".xlsm"):
            return SourceError(
                f"{path}: an Excel workbook (.xlsx) under a {suffix} name",
                hint=f"rename it to {path.stem}.xlsx and run again",
            )
        return None
    if head.startswith(OLE_MAGIC):
        return SourceError(
            f"{path}: a legacy Excel 97-2003 .xls workbook"
            + ("" if suffix.lower() == ".xls" else f", not {suffix}"),
            hint=save_as,
        )
    text = _text(head[:_HEAD])
    if text is None:
        return SourceError(
            f"{path}: not an Excel workbook (neither a zip package nor text)",
            hint="give a .xlsx, .xlsm or .csv file",
        )
    lead = text.lstrip()[:_HEAD].encode("utf-8", "replace")
    if _SPREADSHEETML in lead or (lead.startswith(b"<?xml") and b"<Workbook" in lead):
        return SourceError(
            f"{path}: an XML Spreadsheet 2003 file (a CRM's 'Excel' export), "
            f"not an Excel workbook, despite its {suffix} name",
            hint=save_as,
        )
    if lead.startswith(b"<") or _HTML.search(lead):
        return SourceError(
            f"{path}: a web page (HTML), not an Excel workbook, despite its {suffix} name; "
            "many CRM 'Excel' exports are an HTML table",
            hint=f"{save_as}, or export the report from the CRM as CSV",
        )
    first = text.splitlines()[0] if text.strip() else ""
    sep = max(("\t", ",", ";", "|"), key=first.count)
    if first.count(sep):
        what = "tab-separated text" if sep == "\t" else f"CSV text (separated by {sep!r})"
        return SourceError(
            f"{path}: {what}, not an Excel workbook, despite its {suffix} name",
            hint=f"rename it to {Path(name).stem}.csv and run again, or {save_as}",
        )
    return SourceError(
        f"{path}: a text file, not an Excel workbook",
        hint="give a .xlsx, .xlsm or .csv file",
    )
