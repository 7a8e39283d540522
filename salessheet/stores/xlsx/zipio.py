"""Reading and writing the zip container of a workbook byte for byte: entries are copied with
their original compression, only replaced parts are deflated again."""

from __future__ import annotations

import struct
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salessheet.core.errors import WriteRefused
from salessheet.stores.xlsx.xmltext import (
    DEFLATE_LEVEL,
    DEFLATE_LEVEL_LARGE,
    LARGE_PART,
    _well_formed,
)

_EOCD = struct.Struct("<4s4H2LH")


_CDIR = struct.Struct("<4s4B4HL2L5H2L")


_LOCAL = struct.Struct("<4s2B4HL2L2H")


@dataclass
class _Entry:
    name: str
    cd: tuple[Any, ...]  # the central-directory fields, as unpacked by _CDIR
    cd_extra: bytes
    cd_comment: bytes
    raw_name: bytes
    start: int  # local header offset
    end: int  # end of the entry's bytes (next entry or central directory)

    @property
    def flags(self) -> int:
        return int(self.cd[5])

    @property
    def method(self) -> int:
        return int(self.cd[6])

    @property
    def crc(self) -> int:
        return int(self.cd[9])

    @property
    def csize(self) -> int:
        return int(self.cd[10])

    @property
    def usize(self) -> int:
        return int(self.cd[11])


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
            # never more than the directory promised (+1 byte to notice a lie): a part that
            # inflates past it is damaged, not something to hold in memory
            inflater = zlib.decompressobj(-15)
            try:
                out = inflater.decompress(raw, e.usize + 1)
            except zlib.error as exc:
                raise self._damaged(name, str(exc)) from None
            if len(out) != e.usize or not inflater.eof:
                raise self._damaged(name, "its size is not the one its directory gives")
        else:
            raise self._method_refused(e)
        if zlib.crc32(out) != e.crc:
            raise self._damaged(name, "CRC mismatch")
        return out

    def holds(self, name: str, content: bytes, block: int = 1 << 20) -> bool:
        """Does entry ``name`` read as exactly ``content``? Inflated ``block`` bytes at a time,
        so checking a 100 MB sheet holds a block of it, not a second copy; the size, the end of
        the stream and the CRC are checked as ``read`` checks them."""
        e = self.by_name[name]
        if e.usize != len(content):
            return False
        begin, end = self._data_span(e)
        raw = memoryview(self.data)[begin:end]
        if e.method == 0:
            return raw == content and zlib.crc32(raw) == e.crc
        if e.method != 8:
            raise self._method_refused(e)
        inflater = zlib.decompressobj(-15)
        pos = crc = 0
        pending: bytes | memoryview = raw
        try:
            while True:
                chunk = inflater.decompress(pending, block)
                pending = inflater.unconsumed_tail
                if chunk:
                    if chunk != content[pos : pos + len(chunk)]:
                        return False
                    crc = zlib.crc32(chunk, crc)
                    pos += len(chunk)
                if inflater.eof or not chunk and not pending:
                    break
        except zlib.error as exc:
            raise self._damaged(name, str(exc)) from None
        if pos != e.usize or not inflater.eof:
            raise self._damaged(name, "its size is not the one its directory gives")
        if crc != e.crc:
            raise self._damaged(name, "CRC mismatch")
        return True

    def _damaged(self, name: str, why: str) -> WriteRefused:
        return WriteRefused(f"{self.label}: zip entry {name} is damaged ({why}).")

    def _method_refused(self, e: _Entry) -> WriteRefused:
        return WriteRefused(
            f"{self.label}: zip entry {e.name} uses compression method {e.method}, "
            "which salessheet cannot rewrite."
        )


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
