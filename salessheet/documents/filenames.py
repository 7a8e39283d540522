"""Safe output file names: document number + a safe form of the customer name, inside --out."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from salessheet.core.errors import UsageError

MAX_NAME_BYTES = 150  # well under the 255-byte limit of common file systems
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_SPACES = re.compile(r"[\s_]+")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)
}


def safe_part(text: str, max_bytes: int) -> str:
    """Letters (any script), digits, '-', '.', '_' and the like; never a separator or '..'."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        "_" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    text = _UNSAFE.sub("_", text)
    text = _SPACES.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text).strip("._- ")
    encoded = text.encode("utf-8")[:max_bytes]
    text = encoded.decode("utf-8", errors="ignore").rstrip("._- ")
    if text.upper().split(".")[0] in _WINDOWS_RESERVED:
        text = "_" + text
    return text


def document_filename(number: str, customer: str | None, ext: str, lang: str | None = None) -> str:
    """``Q-2026-0007_Muller_&_Sohne.pdf``-style name, at most MAX_NAME_BYTES + extension.

    ``lang`` (given for a document in a language other than the team's default) goes before
    the extension, ``Q-2026-0007_Muller_&_Sohne.zh.pdf``: the same number in two languages is
    two files, neither replacing the other."""
    number_part = safe_part(number, 60) or "document"
    lang_part = f".{safe_part(lang, 10)}" if lang and safe_part(lang, 10) else ""
    budget = MAX_NAME_BYTES - len(number_part.encode("utf-8")) - 1 - len(lang_part)
    customer_part = safe_part(customer or "", budget) if budget > 0 else ""
    stem = f"{number_part}_{customer_part}" if customer_part else number_part
    return f"{stem}{lang_part}.{safe_part(ext, 10) or 'out'}"


def output_path(out_dir: Path, filename: str) -> Path:
    """``out_dir / filename``, refused unless it resolves to a direct child of ``out_dir``."""
    base = out_dir.resolve()
    target = (base / filename).resolve()
    if target.parent != base or filename in ("", ".", ".."):
        raise UsageError(f"refusing to write {filename!r} outside the output folder {str(base)!r}")
    return target
