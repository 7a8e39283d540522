"""Template tags typed with full-width braces (｛｛ 客户名称 ｝｝), as a Chinese input method
writes them: Jinja2 and docxtpl see plain text and print it as it is, so the document would go
out with the placeholder in it. A template holding one is refused before any deal renders."""

from __future__ import annotations

import re
from pathlib import Path

from salessheet.core.errors import ConfigError

# an opening pair and a closing pair, each brace or percent sign half- or full-width, with at
# least one full-width character in the tag (a tag all half-width is Jinja's own)
_TAG = re.compile(r"[{｛][{｛%％][^{}｛｝\n]{0,80}?[%％}｝][}｝]")
_FULL_WIDTH = set("｛｝％")
_HALF = str.maketrans("｛｝％", "{}%")


def full_width_tags(text: str) -> list[str]:
    """Each distinct tag of ``text`` written with a full-width brace or percent sign."""
    found: list[str] = []
    for match in _TAG.finditer(text):
        tag = match.group()
        if _FULL_WIDTH & set(tag) and tag not in found:
            found.append(tag)
    return found


def refuse_full_width_tags(path: Path, text: str) -> None:
    """ConfigError (exit 2) listing the template's full-width tags and how to type each."""
    tags = full_width_tags(text)
    if not tags:
        return
    raise ConfigError(
        f"template {path}: {len(tags)} tag(s) written with full-width braces (｛ ｝ ％, as a "
        "Chinese input method types them) would be printed as they are",
        [f"{tag} : type it as {tag.translate(_HALF)}" for tag in tags],
        hint="switch the input method to half-width (英文标点) and retype the braces, then run "
        "again",
    )
