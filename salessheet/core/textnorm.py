"""Normalising header names and stage values so people's spelling variants match."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def normalise(text: str) -> str:
    """NFKC (full-width → half-width, incl. brackets), casefold, collapse and strip spaces."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return _SPACES.sub(" ", text).strip()


def without_brackets(text: str) -> str:
    """`amount (cny)` → `amount`; used as a second chance when matching headers."""
    return _SPACES.sub(" ", _BRACKETED.sub(" ", text)).strip()


def is_zh(locale: str) -> bool:
    """A Chinese locale (zh, zh_CN, zh-Hant-TW, ...): stage names are shown in Chinese."""
    return locale.lower().startswith("zh")
