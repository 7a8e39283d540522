"""Safe replacement of a user's file: lock detection, change detection, atomic replace + backup.

Nothing here knows about spreadsheets. The order of ``atomic_replace`` is what keeps a user's only
copy of the pipeline safe: the new version is complete, flushed and verified on disk before the
old one is moved aside into ``.salessheet-backups/`` and the new one renamed into its place.

A run killed mid-write (kill -9, power loss) leaves its temp file behind; the name carries the
machine and process id, and the next write into the same folder removes the temp files whose
process is gone (never a running one's, nor another machine's).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from salessheet.core.errors import SourceError, WriteRefused
from salessheet.core.files import fsync_dir, read_error_hint, silent_unlink

BACKUP_DIR = ".salessheet-backups"
KEEP_BACKUPS = 5  # the README promises "the last 5" previous versions
TEMP_SUFFIX = ".salessheet-tmp"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileFingerprint:
    """What a file looked like when it was read."""

    size: int
    mtime_ns: int
    sha256: str


def missing_file_hint(path: Path) -> str | None:
    """For a file that is not there: the folder that is missing, or the name meant (a file of
    the same kind whose name is close: ``pipline.xlsx`` → ``pipeline.xlsx``)."""
    import difflib

    folder = path.parent
    if not folder.is_dir():
        return f"the folder {folder} does not exist: check the path"
    try:
        names = [
            p.name
            for p in folder.iterdir()
            if p.suffix.lower() == path.suffix.lower() and not p.name.startswith(("~$", "."))
        ]
    except OSError:
        return None
    near = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
    if near:
        return f"did you mean {' or '.join(str(folder / n) for n in near)}?"
    return None


def regular_file(path: Path, kind: str) -> os.stat_result:
    """The file's stat, or a SourceError naming the path when it is missing, unreadable, a
    folder or not a regular file (``kind``: what it should be, "a workbook", "a CSV file")."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file", hint=missing_file_hint(Path(path))) from None
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot open the file ({exc.strerror})", hint=read_error_hint(path, exc)
        ) from exc
    if stat.S_ISDIR(st.st_mode):
        raise SourceError(f"{path}: is a folder, not {kind}")
    if not stat.S_ISREG(st.st_mode):
        raise SourceError(f"{path}: not a regular file (a device, pipe or socket), not {kind}")
    return st


def fingerprint(path: Path) -> FileFingerprint:
    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return FileFingerprint(size=st.st_size, mtime_ns=st.st_mtime_ns, sha256=digest.hexdigest())


def check_unchanged(path: Path, expected: FileFingerprint) -> None:
    """Refuse (exit 3) if the file's content differs from what was read.

    Size and content hash decide; a changed modification time alone (a ``touch``, or an editor
    saving identical bytes) loses nothing and is accepted.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise WriteRefused(
            f"{path}: the file was removed or renamed after it was read; nothing was written.",
            hint="Run again once the file is back in place.",
        ) from None
    if st.st_size == expected.size and st.st_mtime_ns == expected.mtime_ns:
        current = fingerprint(path)
    elif st.st_size != expected.size:
        current = None
    else:
        current = fingerprint(path)
    if current is None or current.sha256 != expected.sha256:
        raise WriteRefused(
            f"{path}: the file changed after salessheet read it (someone saved it during the run);"
            " nothing was written.",
            hint="Run again: the next run reads the new version.",
        )


# --------------------------------------------------------------------------- lock files


def lock_files(path: Path) -> list[Path]:
    """The lock files Excel and LibreOffice create beside an open workbook."""
    path = Path(path)
    return [path.with_name("~$" + path.name), path.with_name(".~lock." + path.name + "#")]


def check_not_locked(path: Path) -> None:
    """Refuse (exit 3) if Excel or LibreOffice has the workbook open (its lock file exists),
    beside ``path`` or, when ``path`` is a link, beside the file it leads to (opened there by
    its real name, the lock file is there)."""
    path = Path(path)
    places = [path]
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a link loop: the write itself fails and says so
        real = path
    if real != path.absolute():
        places.append(real)
    for place in places:
        _check_lock_files(path, place)


def _check_lock_files(path: Path, place: Path) -> None:
    excel, libre = lock_files(place)
    for lock, app, holder_of in (
        (libre, "LibreOffice", _libreoffice_holder),
        (excel, "Excel", _excel_holder),
    ):
        if lock.exists():
            holder = holder_of(lock)
            who = f" by {visible_text(holder)}" if holder else ""
            raise WriteRefused(
                f"{path}: the workbook is open in {app}{who} (lock file "
                f"{visible_text(lock.name)}); nothing was written.",
                hint="Close it there and run again. If nobody has it open, delete "
                f"{visible_text(str(lock), 4096)}.",
            )


def _read_small(path: Path, limit: int = 4096) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit)
    except OSError:
        return b""


def _split_lo_fields(text: str) -> list[str]:
    """LibreOffice lock entries: fields separated by ',', entry ended by ';', '\\' escapes."""
    fields, cur, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur.append(text[i + 1])
            i += 2
            continue
        if ch in ",;":
            fields.append("".join(cur))
            cur = []
            if ch == ";":
                break
        else:
            cur.append(ch)
        i += 1
    else:
        fields.append("".join(cur))
    return [f.strip() for f in fields]


def _libreoffice_holder(lock: Path) -> str | None:
    """``FullName,osuser,host,date,profile;`` -> ``FullName (osuser on host, since date)``."""
    text = _read_small(lock).decode("utf-8", "replace")
    fields = _split_lo_fields(text)
    fields += [""] * (4 - len(fields))
    full, user, host, since = fields[:4]
    name = full or user
    if not name:
        return None
    extra = []
    if full and user and user != full:
        extra.append(f"{user} on {host}" if host else user)
    elif host:
        extra.append(f"on {host}")
    if since:
        extra.append(f"since {since}")
    return name + (f" ({', '.join(extra)})" if extra else "")


_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)


def visible_text(text: str, limit: int = 200) -> str:
    """``text`` safe to print: control characters (a terminal escape sequence, a bidi override,
    a line break) become visible escapes such as ``\\x1b``, and it is cut at ``limit``."""

    def escape(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    shown = _CONTROL.sub(escape, text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _excel_holder(lock: Path) -> str | None:
    """Excel's owner file: byte 0 = length, then the user name (ANSI); at offset 54 a 2-byte
    length and the name again in UTF-16LE. Either may be missing or blank."""
    data = _read_small(lock, 512)
    if len(data) >= 58:
        n = int.from_bytes(data[54:56], "little")
        raw = data[56 : 56 + 2 * n]
        if n and len(raw) == 2 * n:
            name = raw.decode("utf-16-le", "replace").strip()
            if name:
                return name
    if data:
        n = data[0]
        raw = data[1 : 1 + n]
        if n and len(raw) == n:
            name = raw.decode("cp1252", "replace").strip()
            if name:
                return name
    return None


# --------------------------------------------------------------------------- atomic replace


def _backup_name_re(path: Path) -> re.Pattern[str]:
    return re.compile(re.escape(path.stem) + r"\.(\d{6})" + re.escape(path.suffix) + "$")


def _existing_backups(path: Path) -> list[tuple[int, Path]]:
    folder = path.parent / BACKUP_DIR
    if not folder.is_dir():
        return []
    pattern = _backup_name_re(path)
    found = []
    for entry in folder.iterdir():
        m = pattern.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry))
    return sorted(found)


def backups(path: Path) -> list[Path]:
    """This file's backups, oldest first."""
    return [p for _, p in _existing_backups(Path(path))]


def _make_backup(path: Path) -> Path:
    folder = path.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    existing = _existing_backups(path)
    seq = existing[-1][0] + 1 if existing else 1
    while True:
        target = folder / f"{path.stem}.{seq:06d}{path.suffix}"
        try:
            os.link(path, target)  # instant, and the old inode survives the rename
            return target
        except FileExistsError:
            seq += 1
        except OSError:
            break
    # No hard links on this file system: copy (exclusive create, then flush).
    with open(path, "rb") as src, open(target, "xb") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return target


def _prune_backups(path: Path, keep: int) -> None:
    """Remove the oldest backups until at most ``keep`` are left."""
    existing = _existing_backups(path)
    for _, old in existing[: max(0, len(existing) - keep)]:
        try:
            old.unlink()
        except OSError:
            pass


# --------------------------------------------------------------------------- temp files


def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` (on this machine) may still be running. Unknown counts as yes."""
    if os.name == "nt":  # os.kill(pid, 0) would end the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. another user's process
    return True


def process_tag() -> str:
    """``host-pid``: whose temp files are whose, so a later run can tell a crashed run's
    leftovers (process gone) from a concurrent run's (alive, or on another machine)."""
    return f"{_host_tag()}-{os.getpid()}"


_TAG = re.compile(r"([0-9a-f]{8})-(\d+)-")


def stale_tag(rest: str) -> bool:
    """True when ``rest`` starts with this host's tag of a process that is gone."""
    m = _TAG.match(rest)
    return m is not None and m.group(1) == _host_tag() and not process_alive(int(m.group(2)))


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Remove the temp files of writes whose process is gone (killed mid-write) from
    ``folder``: only this machine's, only of processes no longer running."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
            continue
        # .NAME.HOSTTAG-PID-RANDOM.salessheet-tmp (NAME may hold dots and dashes)
        m = re.search(r"\.([0-9a-f]{8}-\d+-)[^.]*" + re.escape(TEMP_SUFFIX) + "$", name)
        if m and stale_tag(m.group(1)) and entry.is_file(follow_symlinks=False):
            silent_unlink(Path(entry.path))
            removed.append(Path(entry.path))
    return removed


def atomic_replace(
    path: Path,
    write_tmp: Callable[[Path], None],
    verify: Callable[[Path], None],
    *,
    keep_backups: int = KEEP_BACKUPS,
    crash_hook: Callable[[str], None] | None = None,
    before_replace: Callable[[], None] | None = None,
) -> Path | None:
    """Replace ``path`` with the file ``write_tmp`` writes, or leave it exactly as it was.

    Steps (``crash_hook`` is called with each name, so tests can make any step fail):
    ``temp-written`` (temp file beside the target, written and fsynced), ``verified``,
    ``backup-made`` (previous version linked into ``.salessheet-backups/``), ``before-replace``,
    ``replaced`` (renamed into place; only the directory fsync is left). On any exception before
    the rename the temp file and the new backup are removed and the original is untouched.
    ``before_replace`` runs last before the rename (e.g. re-check locks and fingerprint).
    Returns the backup path (None when ``keep_backups`` is 0 or there was no previous file).

    At most ``keep_backups`` backups exist at any moment, even if the process is killed: the
    oldest are removed before the new one is made (if the write then fails, one fewer is left,
    never one more). Temp files left by killed runs are removed first.
    """
    path = Path(path)
    folder = path.parent
    hook = crash_hook or (lambda stage: None)
    remove_stale_temp_files(folder)
    fd, tmp_name = tempfile.mkstemp(
        dir=folder, prefix=f"{_temp_prefix(path)}{process_tag()}-", suffix=TEMP_SUFFIX
    )
    os.close(fd)
    tmp = Path(tmp_name)
    backup: Path | None = None
    replaced = False
    try:
        write_tmp(tmp)
        _copy_owner_and_mode(path, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        hook("temp-written")
        verify(tmp)
        hook("verified")
        if keep_backups > 0 and path.exists():
            _prune_backups(path, keep_backups - 1)
            backup = _make_backup(path)
            fsync_dir(backup.parent)
            hook("backup-made")
        if before_replace is not None:
            before_replace()
        hook("before-replace")
        os.replace(tmp, path)
        replaced = True
        hook("replaced")
    except BaseException:
        if not replaced:
            silent_unlink(tmp)
            if backup is not None:
                silent_unlink(backup)
        raise
    finally:
        if replaced:
            fsync_dir(folder)
    return backup


def _copy_owner_and_mode(original: Path, tmp: Path) -> None:
    """The new file keeps the old one's permissions (and owner, where allowed) and extended
    attributes: the access a shared folder's ACL gives colleagues (``system.posix_acl_access``)
    and the labels and tags other programs keep there. Renaming a new file into place would
    otherwise drop them all, silently, every night."""
    try:
        st = os.stat(original)
    except OSError:
        return  # a new file: the temp file's own (private) mode stays
    _copy_mode_and_owner(original, tmp, st)
    _copy_xattrs(original, tmp)


def _copy_xattrs(original: Path, tmp: Path) -> None:
    if not hasattr(os, "listxattr"):  # Linux only (macOS and Windows keep them elsewhere)
        return
    try:
        names = os.listxattr(original)
    except OSError:
        return  # a file system without extended attributes
    for name in names:
        try:
            os.setxattr(tmp, name, os.getxattr(original, name))
        except OSError:
            pass  # one this process may not set (a security label): the others still go


def _copy_mode_and_owner(original: Path, tmp: Path, st: os.stat_result) -> None:
    try:
        os.chmod(tmp, st.st_mode & 0o7777)
    except OSError:
        pass
    if hasattr(os, "chown"):
        try:
            if (st.st_uid, st.st_gid) != (os.stat(tmp).st_uid, os.stat(tmp).st_gid):
                os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            pass
