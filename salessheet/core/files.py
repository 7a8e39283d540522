"""Writing a file whole or not at all, and making renames durable. Used by every store and by
the report writer; knows nothing of spreadsheets."""

from __future__ import annotations

import errno
import os
import secrets
import shlex
from pathlib import Path

__all__ = ["fsync_dir", "read_error_hint", "silent_unlink", "write_atomic"]


def read_error_hint(path: Path | str, exc: OSError) -> str | None:
    """How to fix a file that could not be read, when the error says (no permission: whose
    file it is decides; a file on a disk that failed: copy it), else None."""
    quoted = shlex.quote(str(path))
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"you may not read this file: if it is yours, `chmod u+r {quoted}`; else ask its "
            f"owner (`ls -l {quoted}` shows who) or work on a copy you can read"
        )
    if exc.errno == errno.EIO:
        return "the disk could not read the file: copy it from a backup or another disk"
    return None


def silent_unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def fsync_dir(folder: Path) -> None:
    """Make a rename or new name in ``folder`` durable (where the system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported here (e.g. Windows); the rename itself is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _new_temp(path: Path) -> tuple[int, str]:
    """A new, empty temp file beside ``path``, opened for writing, with the mode any new file
    gets (0o666 less the umask: the system applies the umask, which is never read or changed
    here; tempfile.mkstemp would make it 0o600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}"
        try:
            return os.open(tmp, flags, 0o666), str(tmp)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temp file name beside {path}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temp file in the same folder, flushed
    to disk, renamed over ``path``. Raises OSError; no temp file is left behind."""
    fd, tmp = _new_temp(path)
    try:
        try:  # the file keeps its mode; a new one keeps the umask's (see _new_temp)
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            pass
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        silent_unlink(Path(tmp))
        raise
    fsync_dir(path.parent)
