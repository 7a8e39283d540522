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

import datetime as dt
import hashlib
import html
import math
import os
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.parsers import expat

from salessheet.core.cells import col_letter, col_number
from salessheet.core.errors import WriteRefused
from salessheet.stores.base import CellWrite, SheetReplace, WriteReport
from salessheet.stores.file_safety import (
    FileFingerprint,
    atomic_replace,
    check_not_locked,
    check_unchanged,
)

# zlib level 6 (what Excel's files are close to) for ordinary parts; level 1 for very large ones,
# where it is ~3x faster for ~30% more bytes (the write-back must stay within 2x a read).
DEFLATE_LEVEL, DEFLATE_LEVEL_LARGE, LARGE_PART = 6, 1, 8 << 20
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_STRICT_WORKSHEET_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet"
_MAX_ROW, _MAX_COL = 1_048_576, 16_384

# ============================================================================ zip container

_EOCD = struct.Struct("<4s4H2LH")
_CDIR = struct.Struct("<4s4B4HL2L5H2L")
_LOCAL = struct.Struct("<4s2B4HL2L2H")


@dataclass
class _Entry:
    name: str
    cd: tuple  # the central-directory fields, as unpacked by _CDIR
    cd_extra: bytes
    cd_comment: bytes
    raw_name: bytes
    start: int  # local header offset
    end: int  # end of the entry's bytes (next entry or central directory)

    @property
    def flags(self) -> int:
        return self.cd[5]

    @property
    def method(self) -> int:
        return self.cd[6]

    @property
    def crc(self) -> int:
        return self.cd[9]

    @property
    def csize(self) -> int:
        return self.cd[10]

    @property
    def usize(self) -> int:
        return self.cd[11]


class _Zip:
    """A zip read from bytes, keeping every entry's raw bytes for verbatim copying."""

    def __init__(self, data: bytes, label: str):
        self.data, self.label = data, label
        at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
        if at < 0:
            raise WriteRefused(f"{label}: not a zip file (no end of central directory).")
        _, _, _, _, count, cd_size, cd_offset, clen = _EOCD.unpack_from(data, at)
        if count == 0xFFFF or cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:
            raise WriteRefused(f"{label}: ZIP64 workbooks are not supported for writing.")
        self.comment = data[at + 22 : at + 22 + clen]
        self.cd_offset = cd_offset
        entries: list[_Entry] = []
        pos = cd_offset
        for _ in range(count):
            fields = _CDIR.unpack_from(data, pos)
            if fields[0] != b"PK\x01\x02":
                raise WriteRefused(f"{label}: damaged zip central directory.")
            n, m, k = fields[12], fields[13], fields[14]
            raw_name = data[pos + 46 : pos + 46 + n]
            name = raw_name.decode("utf-8" if fields[5] & 0x800 else "cp437")
            extra = data[pos + 46 + n : pos + 46 + n + m]
            comment = data[pos + 46 + n + m : pos + 46 + n + m + k]
            entries.append(_Entry(name, fields, extra, comment, raw_name, fields[18], 0))
            pos += 46 + n + m + k
        ordered = sorted(entries, key=lambda e: e.start)
        for this, nxt in zip(ordered, ordered[1:] + [None], strict=True):
            this.end = nxt.start if nxt else cd_offset
        self.prefix = data[: ordered[0].start] if ordered else b""
        self.entries = entries
        self.by_name = {e.name: e for e in entries}
        if len(self.by_name) != len(entries):
            raise WriteRefused(f"{label}: the zip holds two entries with the same name.")
        self.by_lower = {e.name.lower(): e.name for e in entries}

    def find(self, name: str) -> str | None:
        return name if name in self.by_name else self.by_lower.get(name.lower())

    def _data_span(self, e: _Entry) -> tuple[int, int]:
        local = _LOCAL.unpack_from(self.data, e.start)
        if local[0] != b"PK\x03\x04":
            raise WriteRefused(f"{self.label}: damaged zip entry {e.name}.")
        begin = e.start + 30 + local[10] + local[11]
        return begin, begin + e.csize

    def local_extra(self, e: _Entry) -> bytes:
        local = _LOCAL.unpack_from(self.data, e.start)
        begin = e.start + 30 + local[10]
        return self.data[begin : begin + local[11]]

    def read(self, name: str) -> bytes:
        e = self.by_name[name]
        begin, end = self._data_span(e)
        raw = self.data[begin:end]
        if e.method == 0:
            out = raw
        elif e.method == 8:
            out = zlib.decompress(raw, -15)
        else:
            raise WriteRefused(
                f"{self.label}: zip entry {name} uses compression method {e.method}, "
                "which salessheet cannot rewrite."
            )
        if zlib.crc32(out) != e.crc:
            raise WriteRefused(f"{self.label}: zip entry {name} is damaged (CRC mismatch).")
        return out


def _strip_zip64(extra: bytes) -> bytes:
    out, i = [], 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<2H", extra, i)
        if tag != 0x0001:
            out.append(extra[i : i + 4 + size])
        i += 4 + size
    return b"".join(out)


def _method_for(src: _Zip, name: str) -> int:
    e = src.by_name.get(name)
    return 0 if e is not None and e.method == 0 else 8


def _deflate(content: bytes) -> bytes:
    level = DEFLATE_LEVEL if len(content) < LARGE_PART else DEFLATE_LEVEL_LARGE
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    return comp.compress(content) + comp.flush()


def _prepare_payloads(
    src: _Zip, parts: dict[str, bytes], checks: dict[str, bytes]
) -> dict[str, tuple[int, bytes, int, int]]:
    """Compress the new parts while checking that every new XML part is well-formed (for a
    patched worksheet: what was generated, in its place in the part).

    zlib releases the GIL, so compression runs in a worker thread; the check is fed to expat in
    1 MB pieces so the worker is never kept waiting long. Returns name -> (method, payload,
    crc, size)."""
    to_deflate = [n for n in parts if _method_for(src, n) == 8]
    payloads: dict[str, bytes] = {}

    def deflate_all() -> None:
        for name in to_deflate:
            payloads[name] = _deflate(parts[name])

    worker = threading.Thread(target=deflate_all, name="salessheet-deflate", daemon=True)
    worker.start()
    try:
        for name, content in parts.items():
            if name.endswith((".xml", ".rels")):
                _well_formed(checks.get(name, content), f"{src.label}: {name}")
    finally:
        worker.join()
    out = {}
    for name, content in parts.items():
        if name in to_deflate and name not in payloads:
            raise WriteRefused(f"{src.label}: could not compress {name}; nothing was written.")
        method = 8 if name in to_deflate else 0
        out[name] = (method, payloads.get(name, content), zlib.crc32(content), len(content))
    return out


def _write_zip(
    src: _Zip, payloads: dict[str, tuple[int, bytes, int, int]], added: list[str], out_path: Path
) -> None:
    """Write ``src`` with ``payloads`` replacing/adding entries; untouched entries are copied
    as raw bytes in their original order, added entries go last. The central directory keeps
    its own original order too."""
    data = src.data
    central: dict[str, bytes] = {}
    with open(out_path, "wb") as fh:
        pos = 0
        if src.prefix:
            fh.write(src.prefix)
            pos = len(src.prefix)

        def emit_new(name: str, base: _Entry | None) -> None:
            nonlocal pos
            method, payload, crc, usize = payloads[name]
            raw_name = name.encode("utf-8")
            if base is not None:
                f = list(base.cd)
                local_extra = _strip_zip64(src.local_extra(base))
                cd_extra, cd_comment = _strip_zip64(base.cd_extra), base.cd_comment
            else:
                f = list(src.by_name[_bookkeeping_template(src)].cd)
                local_extra, cd_extra, cd_comment = b"", b"", b""
            flags = f[5] & ~0x0008
            if raw_name != name.encode("cp437", "replace"):
                flags |= 0x800
            need = max(f[3], 20) if method == 8 else f[3]
            header = _LOCAL.pack(
                b"PK\x03\x04", need, 0, flags, method, f[7], f[8], crc,
                len(payload), usize, len(raw_name), len(local_extra),
            )  # fmt: skip
            fh.write(header + raw_name + local_extra)
            fh.write(payload)
            cd = _CDIR.pack(
                b"PK\x01\x02", f[1], f[2], need, f[4], flags, method, f[7], f[8], crc,
                len(payload), usize, len(raw_name), len(cd_extra), len(cd_comment),
                0, f[16], f[17], pos,
            )  # fmt: skip
            central[name] = cd + raw_name + cd_extra + cd_comment
            pos += len(header) + len(raw_name) + len(local_extra) + len(payload)

        for e in sorted(src.entries, key=lambda e: e.start):
            if e.name in payloads:
                emit_new(e.name, e)
                continue
            fh.write(memoryview(data)[e.start : e.end])
            f = list(e.cd)
            f[18] = pos
            central[e.name] = _CDIR.pack(*f) + e.raw_name + e.cd_extra + e.cd_comment
            pos += e.end - e.start
        for name in added:
            emit_new(name, None)
        cd_bytes = b"".join(central[name] for name in [e.name for e in src.entries] + added)
        fh.write(cd_bytes)
        n = len(central)
        fh.write(_EOCD.pack(b"PK\x05\x06", 0, 0, n, n, len(cd_bytes), pos, len(src.comment)))
        fh.write(src.comment)


def _bookkeeping_template(src: _Zip) -> str:
    """The entry whose zip metadata (date, version, attributes) new entries copy."""
    for e in src.entries:
        if e.name.endswith(".xml") and e.method in (0, 8):
            return e.name
    return src.entries[0].name


# ============================================================================ XML text helpers

_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ESC_NEEDED = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x")
_ESC_PARTS = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_ESC_MAP = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", "_": "_x005F_"}
_UNESC_X = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _esc_sub(m: re.Match[str]) -> str:
    ch = m.group(0)
    return _ESC_MAP.get(ch) or f"_x{ord(ch):04X}_"


def _esc_text(text: str) -> str:
    """Escape for an OOXML text node: XML escapes, CR kept, control characters and literal
    ``_xHHHH_`` sequences encoded the way Excel does."""
    if _ESC_NEEDED.search(text) is None:
        return text
    return _ESC_PARTS.sub(_esc_sub, text)


def _esc_attr(text: str) -> str:
    return html.escape(text, quote=True)


def _unesc_text(raw: bytes) -> str:
    text = html.unescape(raw.decode("utf-8")) if b"&" in raw else raw.decode("utf-8")
    if "_x" in text:
        text = _UNESC_X.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return {
        m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _ATTR.finditer(raw)
    }


def _well_formed(xml: bytes, label: str) -> None:
    parser = expat.ParserCreate()
    step = 1 << 20
    try:
        for at in range(0, len(xml), step):
            parser.Parse(xml[at : at + step], False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise WriteRefused(
            f"{label}: generated XML is not well-formed ({exc}); nothing written."
        ) from None


# ============================================================================ cell values

_WS = " \t\n\r"
_LETTERS: dict[int, str] = {}
_COLNUM: dict[bytes, int] = {}


def _letters(col: int) -> str:
    got = _LETTERS.get(col)
    if got is None:
        got = _LETTERS[col] = col_letter(col)
    return got


def _needs_preserve(text: str) -> bool:
    """Whether to mark text xml:space="preserve" (as Excel does) so its whitespace is kept."""
    return text[0] in _WS or text[-1] in _WS or "\n" in text or "\t" in text or "  " in text


def _number_text(value: float | Decimal) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} (not a finite number)")
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} (not a finite number)")
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    return str(int(value))


def _value_kind(value: object) -> tuple[str, str] | None:
    """(kind, text) with kind 's' text, 'n' number, 'b' boolean; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, str):
        return ("s", value) if value != "" else None
    if isinstance(value, (int, float, Decimal)):
        return "n", _number_text(value)
    if isinstance(value, dt.datetime):
        return "s", value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return "s", value.isoformat()
    raise TypeError(f"{value!r} (a {type(value).__name__} cannot be written into a cell)")


_MAX_TEXT = 32_767  # Excel's limit for a cell's text, in UTF-16 code units
_MAX_TEXT_HALF = _MAX_TEXT // 2


def _check_text_length(text: str) -> None:
    units = len(text.encode("utf-16-le")) // 2
    if units > _MAX_TEXT:
        raise ValueError(
            f"{text[:40]!r}... ({units:,} characters; Excel cells hold at most {_MAX_TEXT:,})"
        )


def _cell(p: str, ref: str, value: object, style: str | None) -> str:
    """One ``<c>`` element holding ``value`` as text or a number (never a formula);
    "" when the cell would be empty and unstyled."""
    st = f' s="{style}"' if style is not None else ""
    t = type(value)
    if t is not str:
        if value is None:
            return f'<{p}c r="{ref}"{st}/>' if style is not None else ""
        if t is int:
            return f'<{p}c r="{ref}"{st}><{p}v>{value}</{p}v></{p}c>'
        kind = _value_kind(value)
        if kind is None:
            return f'<{p}c r="{ref}"{st}/>' if style is not None else ""
        if kind[0] == "n":
            return f'<{p}c r="{ref}"{st}><{p}v>{kind[1]}</{p}v></{p}c>'
        if kind[0] == "b":
            return f'<{p}c r="{ref}"{st} t="b"><{p}v>{kind[1]}</{p}v></{p}c>'
        value = kind[1]
    elif not value:
        return f'<{p}c r="{ref}"{st}/>' if style is not None else ""
    if len(value) > _MAX_TEXT_HALF:  # type: ignore[arg-type]
        _check_text_length(value)  # type: ignore[arg-type]
    text = _esc_text(value)  # type: ignore[arg-type]
    sp = ' xml:space="preserve"' if _needs_preserve(value) else ""  # type: ignore[arg-type]
    return f'<{p}c r="{ref}"{st} t="inlineStr"><{p}is><{p}t{sp}>{text}</{p}t></{p}is></{p}c>'


# ============================================================================ worksheet patching


class _SharedStrings:
    """Lazily loaded shared strings, to tell whether an existing cell already holds a value."""

    def __init__(self, loader: Callable[[], bytes | None]):
        self._loader, self._items = loader, None

    def get(self, index: int) -> str | None:
        if self._items is None:
            data = self._loader() or b""
            self._items = [_rich_text(m.group(1) or b"") for m in _SI.finditer(data)]
        return self._items[index] if 0 <= index < len(self._items) else None


_SI = re.compile(rb"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.DOTALL)
_RPH = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.DOTALL)
_T = re.compile(rb"<(?:\w+:)?t\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?t>)", re.DOTALL)
_V = re.compile(rb"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.DOTALL)
_F = re.compile(rb"<(?:\w+:)?f[\s/>]")
_IS = re.compile(rb"<(?:\w+:)?is[\s/>]")
_T_ATTR = re.compile(rb"""\st\s*=\s*["'](\w+)["']""")
_S_ATTR = re.compile(rb"""\ss\s*=\s*["'](\d+)["']""")
_R_CELL = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]+)\d+["']""")
_R_ROW = re.compile(rb"""\sr\s*=\s*["'](\d+)["']""")
_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\b[^>]*?\sref\s*=\s*["']([^"']*)["']""")
_SHEETDATA = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData\b[^>]*?(/?)>")


def _rich_text(inner: bytes) -> str:
    inner = _RPH.sub(b"", inner)
    return "".join(_unesc_text(m.group(1) or b"") for m in _T.finditer(inner))


def _same_value(t: bytes, content: bytes, want, sst: _SharedStrings) -> bool:
    """Does an existing cell (type attribute + inner XML) already hold ``want``?"""
    if want is None:
        return _V.search(content) is None and _IS.search(content) is None
    kind, text = want
    vm = _V.search(content)
    v = (vm.group(1) or b"") if vm else None
    if kind == "s":
        if t == b"inlineStr":
            return _rich_text(content) == text
        if t == b"s" and v is not None and v.strip().isdigit():
            return sst.get(int(v)) == text
        return False
    if kind == "b":
        return t == b"b" and v is not None and v.strip() == text.encode()
    if t != b"n" or v is None:
        return False
    try:
        return Decimal(v.decode().strip()) == Decimal(text)
    except ArithmeticError:
        return False


@dataclass
class _Cell:
    col: int
    start: int
    end: int
    tag_end: int
    attrs: bytes
    closed: bool  # self-closing


class _SheetPatcher:
    """Rewrites only the rows and cells that receive writes, scanning the XML as bytes."""

    def __init__(self, xml: bytes, sheet: str, sst: _SharedStrings):
        self.xml, self.sheet, self.sst = xml, sheet, sst
        m = _SHEETDATA.search(xml)
        if m is None:
            raise WriteRefused(f"sheet {sheet!r}: its worksheet XML has no <sheetData>.")
        self.p = (m.group(1) + b":") if m.group(1) else b""
        self.ps = self.p.decode()
        self.sd = m
        p = re.escape(self.p)
        self.row_re = re.compile(rb"<" + p + rb"row\b([^>]*?)(/?)>")
        self.cell_re = re.compile(rb"<" + p + rb"c\b([^>]*?)(/?)>")
        self.cell_open = b"<" + self.p + b"c"
        self.cell_close = b"</" + self.p + b"c>"
        self.formula_open = b"<" + self.p + b"f"
        self.ref_re = re.compile(rb"<" + p + rb'c r="([A-Z]{1,3})\d+"')
        self.row_close = b"</" + self.p + b"row>"
        self.changed = 0
        self.changed_at: list[tuple[int, int]] = []  # (row, col) of every cell that changes
        self.top = self.left = 1 << 30
        self.bottom = self.right = 0
        self._spans_cache: dict[tuple[bytes, int, int], bytes] = {}
        self._fast_pos = 0
        self.check_doc = b""  # what this patch generated, as a document to parse as a check
        self.checks: list[bytes] = []  # each changed row: its start tag + generated cells
        self.generated: list[bytes] = []  # the cells generated for the current row

    # --- rows -------------------------------------------------------------------------
    def patch(self, writes: dict[int, dict[int, object]]) -> bytes:
        xml, p, sd = self.xml, self.p, self.sd
        if sd.group(2):  # <sheetData/>
            head = xml[: sd.start()] + b"<" + p + b"sheetData>"
            body_src, body_start, body_end = b"", 0, 0
            tail = b"</" + p + b"sheetData>" + xml[sd.end() :]
        else:
            close = xml.find(b"</" + p + b"sheetData>", sd.end())
            if close < 0:
                raise WriteRefused(f"sheet {self.sheet!r}: worksheet XML is truncated.")
            head, tail = xml[: sd.end()], xml[close:]
            body_src, body_start, body_end = xml, sd.end(), close
        pending = sorted(writes)
        out: list[bytes] = []
        pos, wi, prev_r = body_start, 0, 0
        row_close, r_row = self.row_close, _R_ROW
        if pending:
            for m in self.row_re.finditer(body_src, body_start, body_end):
                attrs = m.group(1)
                if attrs.startswith(b' r="'):
                    r = int(attrs[4 : attrs.find(b'"', 4)])
                else:
                    rm = r_row.search(attrs)
                    r = int(rm.group(1)) if rm else prev_r + 1
                prev_r = r
                want = pending[wi]
                if want > r:
                    continue
                while want < r:
                    out.append(body_src[pos : m.start()])
                    pos = m.start()
                    out.append(self._new_row(want, writes[want]))
                    wi += 1
                    if wi == len(pending):
                        break
                    want = pending[wi]
                if want == r and wi < len(pending):
                    if not m.group(2) and self._fast_row(body_src, m, r, writes[r], out, pos):
                        pos = self._fast_pos
                        wi += 1
                        if wi >= len(pending):
                            break
                        continue
                    if m.group(2):
                        row_end, body = m.end(), b""
                    else:
                        close = body_src.find(row_close, m.end(), body_end)
                        if close < 0:
                            raise WriteRefused(f"sheet {self.sheet!r}: row {r} is not closed.")
                        row_end, body = close + len(row_close), body_src[m.end() : close]
                    new = self._patched_row(r, attrs, body, m.group(2), writes[r])
                    if new is not None:
                        out.append(body_src[pos : m.start()])
                        out.append(new)
                        pos = row_end
                    wi += 1
                if wi >= len(pending):
                    break
        out.append(body_src[pos:body_end])
        while wi < len(pending):
            out.append(self._new_row(pending[wi], writes[pending[wi]]))
            wi += 1
        if not self.changed:
            return xml
        head = self._dimension(head)
        self.check_doc = head + b"".join(self.checks) + tail
        return head + b"".join(out) + tail

    def _fast_row(self, src: bytes, m: re.Match, r: int, rw: dict, out: list, pos: int) -> bool:
        """The two common cases, cheaply and without copying the row apart:

        - append: every write lands right of the row's last cell (the first run): the new
          cells go just before ``</row>``;
        - owned tail: the row ends with cells that are all being written (the tool's own
          columns from an earlier run), unstyled inline strings or numbers: they are
          regenerated as a block and compared as bytes (equal: the row is left alone).

        Appends to ``out`` and sets ``self._fast_pos``; False (nothing done) otherwise, and
        the careful cell-by-cell path decides."""
        tag_end = m.end()
        close = src.find(self.row_close, tag_end)
        if close < 0:
            return False
        cols = sorted(rw) if len(rw) > 1 else list(rw)
        rs = str(r)
        rsb = rs.encode()
        p, ps, cell_open = self.p, self.ps, self.cell_open
        last = self._col_before(src, tag_end, close)
        if last is None:
            return False
        i = -1
        if last >= cols[0]:
            # Where does the block of written columns start? Left of it, only cells left of
            # every write.
            for col in cols:
                ref = b"<" + p + b'c r="' + _letters(col).encode() + rsb + b'"'
                i = src.find(ref, tag_end, close)
                if i >= 0:
                    break
            if i < 0:
                return False
            before = self._col_before(src, tag_end, i)
            if before is None or before >= cols[0]:
                return False
        if i >= 0:
            end = close
            while src[end - 1] in b" \t\r\n":
                end -= 1
            region = src[i:end]
            refs = self.ref_re.findall(region)
            if (
                region.count(cell_open) != len(refs)
                or not region.endswith(self.cell_close)
                or b"/>" in region  # an empty cell: the careful path decides
                or b' s="' in region
                or b' t="s"' in region
                or self.formula_open in region
                or b"extLst" in region
            ):
                return False
            existing = set()
            for letters in refs:
                col = _COLNUM.get(letters) or col_number(letters.decode())
                if col not in rw:
                    return False  # someone else's cell among them: the careful path
                existing.add(col)
        elif src.find(b"extLst", tag_end, close) >= 0:
            return False
        else:
            end, region, existing = close, b"", set()
        pieces, written, lo, hi = [], [], 0, 0
        for col in cols:
            xml = _cell(ps, (_LETTERS.get(col) or _letters(col)) + rs, rw[col], None)
            if xml:
                pieces.append(xml)
                written.append((r, col))
                if not lo:
                    lo = col
                hi = col
        new = "".join(pieces).encode()
        if lo:
            self._grow(r, lo, hi)
        if new == region:
            self._fast_pos = pos
            return True
        if region:
            k = 0
            for col in cols:
                if k < len(written) and written[k][1] == col:
                    changed = pieces[k].encode() not in region
                    k += 1
                else:
                    changed = col in existing
                if changed:
                    self.changed_at.append((r, col))
                    self.changed += 1
        else:
            self.changed_at += written
            self.changed += len(written)
        attrs = m.group(1)
        new_attrs = self._spans(attrs, lo, hi) if hi else attrs
        start_at = i if i >= 0 else end
        if new_attrs is attrs:
            out.append(src[pos:start_at])
        else:
            start = b"<" + p + b"row" + new_attrs + b">"
            out.append(src[pos : m.start()])
            out.append(start)
            out.append(src[tag_end:start_at])
            self.checks.append(start + self.row_close)
        out.append(new)
        self.checks.append(new)
        self._fast_pos = end
        return True

    def _col_before(self, src: bytes, start: int, end: int) -> int | None:
        """Column of the last cell in src[start:end] (0: no cell); None if it cannot be told
        cheaply (no ``r`` reference first, or something else starting with ``<c``)."""
        j = src.rfind(self.cell_open, start, end)
        if j < 0:
            return 0
        k = j + len(self.cell_open) + 4
        if src[k - 4 : k] != b' r="':
            return None
        e = k
        while 65 <= src[e] <= 90:
            e += 1
        col = _COLNUM.get(src[k:e])
        if col is None:
            if not 0 < e - k <= 3:
                return None
            col = _COLNUM[src[k:e]] = col_number(src[k:e].decode())
        return col

    def _new_row(self, r: int, row_writes: dict[int, object]) -> bytes:
        ps, rs, cells = self.ps, str(r), []
        for col in sorted(row_writes):
            xml = _cell(ps, _letters(col) + rs, row_writes[col], None)
            if xml:
                cells.append(xml)
                self.changed_at.append((r, col))
                self._grow(r, col, col)
        if not cells:
            return b""
        self.changed += len(cells)
        row = f'<{ps}row r="{r}">{"".join(cells)}</{ps}row>'.encode()
        self.checks.append(row)
        return row

    def _patched_row(self, r, attrs: bytes, body: bytes, closed: bytes, row_writes):
        """The new ``<row>`` element, or None when the row does not change."""
        self.generated = []
        new_body, lo, hi = self._patch_cells(r, body, row_writes)
        if new_body is None:
            return None
        if hi:
            attrs = self._spans(attrs, lo, hi)
        start = b"<" + self.p + b"row" + attrs
        self.checks.append(start + b">" + b"".join(self.generated) + self.row_close)
        if closed and not new_body.strip():
            return start + b"/>"
        return start + b">" + new_body + self.row_close

    def _spans(self, attrs: bytes, lo: int, hi: int) -> bytes:
        i = attrs.find(b"spans=")
        if i < 0 or attrs[i + 6 : i + 7] not in (b'"', b"'"):
            return attrs  # no spans (or spaces around "="): spans are only a hint
        j = attrs.find(attrs[i + 6 : i + 7], i + 7)
        value = attrs[i + 7 : j]
        key = (value, lo, hi)
        new = self._spans_cache.get(key)
        if new is None:
            new = value
            nums = [int(x) for x in re.findall(rb"\d+", value)]
            if nums and (lo < min(nums) or hi > max(nums)):
                new = b"%d:%d" % (min(nums + [lo]), max(nums + [hi]))
            if len(self._spans_cache) < 4096:
                self._spans_cache[key] = new
        return attrs if new == value else attrs[: i + 7] + new + attrs[j:]

    # --- cells ------------------------------------------------------------------------
    def _cell_at(self, body: bytes, i: int, implicit: int) -> _Cell | None:
        m = self.cell_re.match(body, i)
        if m is None:
            return None
        attrs = m.group(1)
        rm = _R_CELL.search(attrs)
        col = col_number(rm.group(1).decode()) if rm else implicit
        if m.group(2):
            end = m.end()
        else:
            close = body.find(self.cell_close, m.end())
            if close < 0:
                raise WriteRefused(f"sheet {self.sheet!r}: a cell is not closed.")
            end = close + len(self.cell_close)
        return _Cell(col, i, end, m.end(), attrs, bool(m.group(2)))

    def _is_cell_start(self, body: bytes, i: int) -> bool:
        k = i + len(self.cell_open)
        return body[k : k + 1] in (b" ", b">", b"/", b"\t", b"\n", b"\r")

    def _tail_cells(self, body: bytes, min_col: int) -> tuple[list[_Cell], int] | None:
        """Cells with col >= min_col (found from the row's end) and where cells before them end.
        None when a cell without an ``r`` reference makes a backward scan impossible."""
        found: list[_Cell] = []
        stop = len(body)
        while True:
            i = body.rfind(self.cell_open, 0, stop)
            if i < 0:
                return found[::-1], 0
            stop = i
            if not self._is_cell_start(body, i):
                continue
            cell = self._cell_at(body, i, 0)
            if cell is None or cell.col == 0:
                return None
            if cell.col < min_col:
                return found[::-1], cell.end
            found.append(cell)

    def _all_cells(self, body: bytes) -> list[_Cell]:
        cells, pos, prev = [], 0, 0
        while True:
            i = body.find(self.cell_open, pos)
            if i < 0:
                return cells
            if not self._is_cell_start(body, i):
                pos = i + 1
                continue
            cell = self._cell_at(body, i, prev + 1)
            if cell is None:
                pos = i + 1
                continue
            cells.append(cell)
            prev, pos = cell.col, cell.end

    def _patch_cells(self, r: int, body: bytes, row_writes: dict[int, object]):
        """(new row body or None if unchanged, lowest and highest column written)."""
        order = sorted(row_writes)
        min_col = order[0]
        tail = self._tail_cells(body, min_col)
        implicit = tail is None  # some cells have no r="..": their place gives their column
        if implicit:
            every = self._all_cells(body)
            cells = [c for c in every if c.col >= min_col]
            before = [c for c in every if c.col < min_col]
            insert_at = before[-1].end if before else 0
        else:
            cells, insert_at = tail
        start = cells[0].start if cells else insert_at
        end = cells[-1].end if cells else insert_at
        out: list[bytes] = []
        changed, ci, prev_end, lo, hi = 0, 0, start, 0, 0
        ps, rs = self.ps, str(r)
        for col in order:
            value = row_writes[col]
            while ci < len(cells) and cells[ci].col < col:
                out.append(body[prev_end : cells[ci].end])
                prev_end = cells[ci].end
                ci += 1
            ref = _letters(col) + rs
            if ci < len(cells) and cells[ci].col == col:
                cell = cells[ci]
                ci += 1
                content = (
                    b"" if cell.closed else body[cell.tag_end : cell.end - len(self.cell_close)]
                )
                tm = _T_ATTR.search(cell.attrs)
                want = _value_kind(value)
                if _same_value(tm.group(1) if tm else b"n", content, want, self.sst):
                    out.append(body[prev_end : cell.end])
                else:
                    if _F.search(content):
                        raise WriteRefused(
                            f"sheet {self.sheet!r}, cell {ref}: holds a formula; salessheet "
                            "writes only its own cells and will not overwrite it. Nothing was "
                            "written.",
                            hint="Move the formula out of the salessheet columns.",
                        )
                    sm = _S_ATTR.search(cell.attrs)
                    out.append(body[prev_end : cell.start])
                    new = _cell(ps, ref, value, sm.group(1).decode() if sm else None).encode()
                    if not new and implicit:  # removing it would shift the cells after it
                        new = f'<{ps}c r="{ref}"/>'.encode()
                    out.append(new)
                    self.generated.append(new)
                    self.changed_at.append((r, col))
                    changed += 1
                prev_end = cell.end
                empty = want is None
            else:
                xml = _cell(ps, ref, value, None)
                if xml:
                    out.append(xml.encode())
                    self.generated.append(out[-1])
                    self.changed_at.append((r, col))
                    changed += 1
                empty = not xml
            if not empty:
                lo = lo or col
                hi = col
        if lo:
            self._grow(r, lo, hi)
        if not changed:
            return None, 0, 0
        out.append(body[prev_end:end])
        self.changed += changed
        return body[:start] + b"".join(out) + body[end:], lo, hi

    # --- dimension --------------------------------------------------------------------
    def _grow(self, r: int, lo: int, hi: int) -> None:
        if r < self.top:
            self.top = r
        if r > self.bottom:
            self.bottom = r
        if lo < self.left:
            self.left = lo
        if hi > self.right:
            self.right = hi

    def _dimension(self, head: bytes) -> bytes:
        m = _DIMENSION.search(head)
        if m is None or not self.bottom:
            return head
        refs = re.findall(rb"([A-Za-z]+)(\d+)", m.group(1))
        if not refs:
            return head
        cols = [col_number(c.decode()) for c, _ in refs]
        rows = [int(r) for _, r in refs]
        top, left = min(rows + [self.top]), min(cols + [self.left])
        bottom, right = max(rows + [self.bottom]), max(cols + [self.right])
        ref = f"{col_letter(left)}{top}"
        if (bottom, right) != (top, left):
            ref += f":{col_letter(right)}{bottom}"
        if ref.encode() == m.group(1):
            return head
        return head[: m.start(1)] + ref.encode() + head[m.end(1) :]


# ============================================================================ generated sheets


def _rows_xml(p: bytes, rows: list[list[object]]) -> bytes:
    ps = p.decode()
    width = max((len(r) for r in rows), default=0)
    letters = [_letters(c) for c in range(1, width + 1)]
    out: list[str] = []
    for i, row in enumerate(rows, start=1):
        rs = str(i)
        cells = []
        for j, value in enumerate(row):
            t = type(value)
            if t is str:
                if not value:
                    continue
                if len(value) > _MAX_TEXT_HALF:
                    _check_text_length(value)
                text = value if _ESC_NEEDED.search(value) is None else _esc_text(value)
                if _needs_preserve(value):
                    cells.append(
                        f'<{ps}c r="{letters[j]}{rs}" t="inlineStr"><{ps}is><{ps}t '
                        f'xml:space="preserve">{text}</{ps}t></{ps}is></{ps}c>'
                    )
                else:
                    cells.append(
                        f'<{ps}c r="{letters[j]}{rs}" t="inlineStr"><{ps}is><{ps}t>{text}'
                        f"</{ps}t></{ps}is></{ps}c>"
                    )
            elif t is int:
                cells.append(f'<{ps}c r="{letters[j]}{rs}"><{ps}v>{value}</{ps}v></{ps}c>')
            elif t is dt.date:
                cells.append(
                    f'<{ps}c r="{letters[j]}{rs}" t="inlineStr"><{ps}is><{ps}t>{value.isoformat()}'
                    f"</{ps}t></{ps}is></{ps}c>"
                )
            elif value is not None:
                xml = _cell(ps, letters[j] + rs, value, None)
                if xml:
                    cells.append(xml)
        if cells:
            out.append(f'<{ps}row r="{rs}">{"".join(cells)}</{ps}row>')
    return "".join(out).encode("utf-8")


def _dimension_ref(rows: list[list[object]]) -> str:
    width = max((len(r) for r in rows), default=0)
    if not rows or not width:
        return "A1"
    return f"A1:{col_letter(width)}{len(rows)}"


def _new_worksheet(rows: list[list[object]], strict: bool = False) -> bytes:
    main, rel = (_STRICT_MAIN_NS, _REL_NS[1]) if strict else (_MAIN_NS, _REL_NS[0])
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="' + main.encode() + b'" xmlns:r="' + rel.encode() + b'">'
        b'<dimension ref="' + _dimension_ref(rows).encode() + b'"/>'
        b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        b'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
        b'</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        b"<sheetData>" + _rows_xml(b"", rows) + b"</sheetData>"
        b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        b'footer="0.3"/></worksheet>'
    )


def _replace_sheet_data(xml: bytes, rows: list[list[object]], sheet: str) -> bytes:
    """Regenerate ``<sheetData>`` (and ``<dimension>``) of an existing tool-owned sheet."""
    m = _SHEETDATA.search(xml)
    if m is None:
        raise WriteRefused(f"sheet {sheet!r}: its worksheet XML has no <sheetData>.")
    p = (m.group(1) + b":") if m.group(1) else b""
    if m.group(2):
        end = m.end()
    else:
        close = xml.find(b"</" + p + b"sheetData>", m.end())
        if close < 0:
            raise WriteRefused(f"sheet {sheet!r}: worksheet XML is truncated.")
        end = close + len(p) + 12
    new = b"<" + p + b"sheetData>" + _rows_xml(p, rows) + b"</" + p + b"sheetData>"
    head = xml[: m.start()]
    dm = _DIMENSION.search(head)
    if dm is not None:
        head = head[: dm.start(1)] + _dimension_ref(rows).encode() + head[dm.end(1) :]
    return head + new + xml[end:]


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


def _relationships(xml: bytes) -> list[dict[str, str]]:
    out = []
    for m in re.finditer(rb"<(?:\w+:)?Relationship\b([^>]*?)/?>", xml):
        out.append({k.decode(): html.unescape(v.decode()) for k, v in _attrs(m.group(1)).items()})
    return out


def _resolve(base_dir: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(base_dir, target))


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _check_sheet_name(name: str) -> None:
    if (
        not name
        or len(name) > 31
        or _BAD_SHEET_CHARS.search(name)
        or name[0] == "'"
        or name[-1] == "'"
    ):
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
    close = re.search(rb"</(\w+:)?sheets>", wb)
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
    close = re.search(rb"</(\w+:)?Relationships>", rels)
    rel = b'<%sRelationship Id="%s" Type="%s" Target="%s"/>' % (
        close.group(1) or b"",
        rid.encode(),
        rel_type.encode(),
        target.encode(),
    )
    parts[pkg.rels_name] = rels[: close.start()] + rel + rels[close.start() :]

    close = re.search(rb"</(\w+:)?Types>", ct)
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


def _group_cells(cells: Iterable[CellWrite]) -> dict[str, dict[int, dict[int, object]]]:
    grouped: dict[str, dict[int, dict[int, object]]] = {}
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
    rels_name = z.find(
        posixpath.join(posixpath.dirname(sheet_part), "_rels", posixpath.basename(sheet_part))
        + ".rels"
    )
    if rels_name is None:
        return []
    guards = []
    for rel in _relationships(z.read(rels_name)):
        if not rel.get("Type", "").endswith("/table") or rel.get("TargetMode") == "External":
            continue
        part = z.find(_resolve(posixpath.dirname(sheet_part), rel.get("Target", "")))
        if part is None:
            continue
        head = re.search(rb"<(?:\w+:)?table\b[^>]*>", z.read(part))
        if head is None:
            continue
        attrs = {k.decode(): html.unescape(v.decode()) for k, v in _attrs(head.group(0)).items()}
        refs = re.findall(r"([A-Za-z]+)(\d+)", attrs.get("ref", ""))
        if len(refs) != 2:
            continue
        (c1, r1), (c2, r2) = refs
        left, right, top, bottom = col_number(c1), col_number(c2), int(r1), int(r2)
        name = attrs.get("displayName") or attrs.get("name") or part
        header_rows = int(attrs.get("headerRowCount", "1") or 1)
        total_rows = int(attrs.get("totalsRowCount", "0") or 0)
        if header_rows:
            guards.append((name, left, right, top, top + header_rows - 1, "header row"))
        if total_rows:
            guards.append((name, left, right, bottom - total_rows + 1, bottom, "totals row"))
    return guards


def _check_table_headers(z: _Zip, sheet: _SheetRef, changed: list[tuple[int, int]]) -> None:
    """Refuse to change a table's header or totals cell: Excel would call the file damaged
    when the cell no longer matches the table definition."""
    guards = _table_guards(z, sheet.part)
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
            _check_table_headers(z, ref, patcher.changed_at)
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
    return _Plan(parts, added, written_cells, written_sheets, checks, changed_cells)


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
        if new.read(name) != content:
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
    places = [path] if real == path.absolute() else [path, real]

    def safety_checks() -> None:
        for place in places:
            check_not_locked(place)
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
