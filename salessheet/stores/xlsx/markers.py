"""salessheet's mark on the sheets it owns in a workbook: a hidden workbook-level defined name.

Every sheet the store replaces for the tool (``SheetReplace``) gets one hidden defined name,
``_salessheet.owned.<sheet>`` (``_salessheet.owned.history`` for `salessheet history`),
referring to cell A1 of that sheet::

    <definedName name="_salessheet.owned.history" hidden="1">'salessheet history'!$A$1</definedName>

Why a defined name: Excel, LibreOffice and openpyxl keep defined names when they open and save
a workbook; ``hidden="1"`` keeps it out of Excel's Name Manager and the Name Box; the reference
follows the sheet when someone renames it and turns into ``#REF!`` when the sheet is deleted, so
the mark dies with its sheet and a new sheet someone makes under the old name carries none. (A
custom document property would survive the sheet's deletion and name no sheet after a rename;
a cell in the sheet itself is overwritten or sorted away by people.)

Reading: ``marked_sheets`` lists the sheets a mark refers to. Writing: ``with_marks`` adds or
repoints the marks in workbook.xml, changing nothing else in the part.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from os import PathLike

MARK_PREFIX = "_salessheet.owned."
_MAX_WORKBOOK_PART = 64 << 20  # a workbook.xml larger than this is not looked into for marks
_DEFINED = re.compile(
    rb"<(?P<p>(?:[\w.-]+:)?)definedName\b(?P<attrs>[^>]*?)(?:/>|>(?P<text>.*?)</(?P=p)definedName>)",
    re.S,
)
_NAME_ATTR = re.compile(rb"""\bname\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_LOCAL = re.compile(rb"\blocalSheetId\s*=")
_REF = re.compile(r"^\s*=?\s*(?:'((?:[^']|'')+)'|([^'!\s]+))!\$?[A-Z]{1,3}\$?\d+\s*$")


def mark_name(sheet: str) -> str:
    """The defined name marking ``sheet``: ``_salessheet.owned.history``."""
    base = sheet[len("salessheet ") :] if sheet.lower().startswith("salessheet ") else sheet
    slug = re.sub(r"[^0-9A-Za-z]+", "_", base).strip("_").lower() or "sheet"
    return MARK_PREFIX + slug


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _ref_sheet(formula: str) -> str | None:
    m = _REF.match(formula)
    if not m:
        return None
    return m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)


def _marks(wb_xml: bytes) -> dict[str, tuple[re.Match[bytes], str | None]]:
    """Workbook-level defined names with our prefix: name (lower case) -> (match, sheet)."""
    out: dict[str, tuple[re.Match[bytes], str | None]] = {}
    if MARK_PREFIX.encode() not in wb_xml:
        return out
    for m in _DEFINED.finditer(wb_xml):
        attrs = m.group("attrs")
        n = _NAME_ATTR.search(attrs)
        if n is None or _LOCAL.search(attrs):
            continue
        name = html.unescape((n.group(1) or n.group(2) or b"").decode("utf-8", "replace"))
        if not name.lower().startswith(MARK_PREFIX):
            continue
        text = html.unescape((m.group("text") or b"").decode("utf-8", "replace"))
        out.setdefault(name.lower(), (m, _ref_sheet(text)))
    return out


def marked_sheets(wb_xml: bytes) -> set[str]:
    """Names of the sheets a salessheet mark in this workbook.xml refers to."""
    return {sheet for _, sheet in _marks(wb_xml).values() if sheet}


def with_marks(wb_xml: bytes, sheets: list[str]) -> bytes:
    """workbook.xml with a mark on each of ``sheets`` (their names as in the workbook);
    unchanged bytes when every mark is already there."""
    out = wb_xml
    for sheet in sheets:
        name = mark_name(sheet)
        formula = html.escape(_quote(sheet) + "!$A$1", quote=False).encode("utf-8")
        found = _marks(out).get(name.lower())
        if found is not None:
            m, current = found
            if current == sheet:
                continue
            p = m.group("p")
            element = (
                b"<" + p + b"definedName" + m.group("attrs").rstrip(b"/ ") + b">"
                + formula + b"</" + p + b"definedName>"
            )  # fmt: skip
            out = out[: m.start()] + element + out[m.end() :]
            continue
        out = _insert(out, name, formula)
    return out


def _insert(wb_xml: bytes, name: str, formula: str | bytes) -> bytes:
    empty = re.search(rb"<((?:\w+:)?)definedNames\s*/>", wb_xml)
    if empty is not None:  # <definedNames/>: open it up first
        p = empty.group(1)
        wb_xml = (
            wb_xml[: empty.start()] + b"<" + p + b"definedNames></" + p + b"definedNames>"
            + wb_xml[empty.end() :]
        )  # fmt: skip
    close = re.search(rb"</(\w+:)?definedNames>", wb_xml)
    p = b""
    if close is not None:
        p = close.group(1) or b""
    else:
        sheets = re.search(rb"</(\w+:)?sheets>", wb_xml)
        if sheets is None:
            return wb_xml  # no sheet list: nothing to mark (the writer refuses such a file)
        p = sheets.group(1) or b""
    element = (
        b"<" + p + b'definedName name="' + html.escape(name).encode() + b'" hidden="1">'
        + (formula if isinstance(formula, bytes) else formula.encode()) + b"</" + p
        + b"definedName>"
    )  # fmt: skip
    if close is not None:
        return wb_xml[: close.start()] + element + wb_xml[close.start() :]
    # CT_Workbook order: sheets, functionGroups, externalReferences, definedNames, calcPr, ...
    after = None
    for tag in (rb"externalReferences", rb"functionGroups", rb"sheets"):
        m = re.search(rb"</(?:\w+:)?" + tag + rb">", wb_xml)
        if m is None and tag != rb"sheets":
            m = re.search(rb"<(?:\w+:)?" + tag + rb"\b[^>]*/>", wb_xml)
        if m is not None:
            after = m.end()
            break
    block = b"<" + p + b"definedNames>" + element + b"</" + p + b"definedNames>"
    return wb_xml[:after] + block + wb_xml[after:]


def workbook_part(zf: zipfile.ZipFile) -> str:
    """The zip path of workbook.xml (from the package relationships)."""
    main = "xl/workbook.xml"
    try:
        rels = zf.read("_rels/.rels")
    except KeyError:
        return main
    for m in re.finditer(rb"<(?:\w+:)?Relationship\b([^>]*?)/?>", rels):
        attrs = m.group(1)
        if b"/officeDocument" in attrs:
            t = re.search(rb"""\bTarget\s*=\s*(?:"([^"]*)"|'([^']*)')""", attrs)
            if t:
                target = html.unescape((t.group(1) or t.group(2)).decode("utf-8", "replace"))
                return posixpath.normpath(target.lstrip("/"))
    return main


def marked_in_file(path: str | PathLike[str]) -> set[str]:
    """The sheets of the workbook at ``path`` that carry salessheet's mark ({} if unreadable:
    the sheets are then recognised by their header row alone)."""
    try:
        with zipfile.ZipFile(path) as zf:
            part = workbook_part(zf)
            info = zf.getinfo(part)
            if info.file_size > _MAX_WORKBOOK_PART:
                return set()
            return marked_sheets(zf.read(part))
    except (OSError, KeyError, zipfile.BadZipFile, EOFError, ValueError, RuntimeError):
        return set()
