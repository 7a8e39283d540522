"""DOCX documents with docxtpl, autoescaped (the one docxtpl module).

``Müller & Söhne <KG>`` comes out as written: values are XML-escaped, never spliced in as XML.
Text with line breaks (addresses) becomes Word line breaks. On a document on which no line is
taxed, the table column that shows the lines' tax rates is left out, as in the HTML templates.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from docx.oxml.ns import qn
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, Listing

from salessheet.core.errors import ConfigError
from salessheet.core.templating import (
    TemplateError,
    TemplateFailed,
    TemplateLimitError,
    UndefinedError,
    docx_environment,
)
from salessheet.documents.html import MissingVariable, template_refused
from salessheet.documents.tagcheck import refuse_full_width_tags


@lru_cache(maxsize=16)
def _template_bytes(path: Path, mtime: float) -> bytes:
    return path.read_bytes()


class _Template(DocxTemplate):  # type: ignore[misc]  # docxtpl has no types: an Any base
    """docxtpl's template with its XML clean-up (``patch_xml``) done once per distinct part."""

    _patched: dict[str, str] = {}

    def patch_xml(self, src_xml: str) -> str:
        done = self._patched.get(src_xml)
        if done is None:
            if len(self._patched) > 64:
                self._patched.clear()
            done = self._patched[src_xml] = super().patch_xml(src_xml)
        return done


def _load(path: Path) -> DocxTemplate:
    try:
        data = _template_bytes(path, path.stat().st_mtime)
        return _Template(io.BytesIO(data))
    except OSError as exc:
        raise ConfigError(f"template {path}: cannot read it ({exc})") from exc
    except Exception as exc:  # python-docx raises several types for a non-DOCX file
        raise ConfigError(f"template {path}: not a DOCX file ({exc})") from exc


def _prepare(value: Any) -> Any:
    if isinstance(value, str):
        return Listing(value) if "\n" in value else value
    if isinstance(value, dict):
        return {k: _prepare(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_prepare(v) for v in value]
    return value


# a cell that prints a line's tax rate: {{ item.tax_rate }} (or another loop name's)
_TAX_RATE = re.compile(r"\{\{[^{}]*\b\w+\.tax_rate\b[^{}]*\}\}")


def _text_of(element: Any) -> str:
    return "".join(t.text or "" for t in element.iter(qn("w:t")))


def _drop_column(table: Any, shows: re.Pattern[str]) -> bool:
    """Remove the column of ``table`` whose cells show ``shows`` (its header goes with it) and
    give its width to the widest column, so the table keeps its width. Only in a plain grid:
    every row has one cell per grid column (no merged cells), and the column holds no ``{%``
    tag a removal could unbalance; else the table is left as it is (False)."""
    grid = table.find(qn("w:tblGrid"))
    cols = grid.findall(qn("w:gridCol")) if grid is not None else []
    rows = [row.findall(qn("w:tc")) for row in table.findall(qn("w:tr"))]
    if not cols or any(len(cells) != len(cols) for cells in rows):
        return False
    if any(cell.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}") is not None for r in rows for cell in r):
        return False
    found = [i for i in range(len(cols)) if any(shows.search(_text_of(r[i])) for r in rows)]
    if len(found) != 1 or any("{%" in _text_of(r[found[0]]) for r in rows):
        return False
    gone = found[0]

    def width(element: Any) -> int:
        value = element.get(qn("w:w")) if element is not None else None
        return int(value) if value and value.isdigit() else 0

    extra = width(cols[gone])
    wide = max((i for i in range(len(cols)) if i != gone), key=lambda i: width(cols[i]))
    if extra:
        cols[wide].set(qn("w:w"), str(width(cols[wide]) + extra))
    grid.remove(cols[gone])
    for cells in rows:
        removed = cells[gone].find(f"{qn('w:tcPr')}/{qn('w:tcW')}")
        kept = cells[wide].find(f"{qn('w:tcPr')}/{qn('w:tcW')}")
        if kept is not None and kept.get(qn("w:type"), "dxa") == "dxa":
            kept.set(qn("w:w"), str(width(kept) + width(removed)))
        cells[gone].getparent().remove(cells[gone])
    return True


def render_docx(path: Path, context: dict[str, Any], *, logo: Path | None = None) -> bytes:
    tpl = _load(path)
    if not context.get("totals", {}).get("has_tax", True):  # no line is taxed: no tax column
        tpl.init_docx()
        for table in list(tpl.docx.element.body.iter(qn("w:tbl"))):
            _drop_column(table, _TAX_RATE)
    ctx = _prepare(context)
    seller = dict(ctx.get("seller", {}))
    seller["logo"] = InlineImage(tpl, str(logo), height=Mm(14)) if logo and logo.exists() else ""
    ctx["seller"] = seller
    try:
        tpl.render(ctx, jinja_env=docx_environment(), autoescape=True)
    except (TemplateError, TemplateLimitError, TemplateFailed) as exc:
        refused = template_refused(path, exc)
        if refused is not None:  # bounded by the environment: see core.templating
            raise refused from exc
        message = getattr(exc, "message", None) or str(exc)
        if type(exc) is UndefinedError:
            raise MissingVariable(f"template {path.name}: {message}") from exc
        raise ConfigError(f"template {path}: {message}") from exc
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


_TEXT_PART = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
_RUN_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")


def _paragraph_texts(path: Path) -> str:
    """The text of the template's body, headers, footers and notes, a paragraph a line (its
    runs joined, as Word splits what was typed in one go)."""
    try:
        with zipfile.ZipFile(io.BytesIO(_template_bytes(path, path.stat().st_mtime))) as z:
            names = [n for n in z.namelist() if _TEXT_PART.fullmatch(n)]
            parts = [z.read(n).decode("utf-8", "replace") for n in names]
    except OSError as exc:
        raise ConfigError(f"template {path}: cannot read it ({exc})") from exc
    except zipfile.BadZipFile as exc:
        raise ConfigError(f"template {path}: not a DOCX file ({exc})") from exc
    return "\n".join(
        html.unescape("".join(_RUN_TEXT.findall(paragraph)))
        for xml in parts
        for paragraph in xml.split("</w:p>")
    )


def docx_variables(path: Path) -> set[str]:
    """Top-level names the DOCX template reads."""
    text = _paragraph_texts(path)
    refuse_full_width_tags(path, text)
    hint = "fix the tag in Word (type it in one go, {{ name }} or {% ... %}), save, and run again"
    try:
        names = set(_load(path).get_undeclared_template_variables(docx_environment()))
    except TemplateError as exc:
        where = _faulty_paragraph(text) or _unknown_tag_paragraph(text, str(exc))
        also = f", in the paragraph {where[0]!r}" if where else ""
        if where and re.match(r"\{%-?\s*(tr|tc)\b", where[1]):
            hint = (
                f"a {where[1][:4]!r} tag repeats a table {'row' if 'tr' in where[1] else 'column'}"
                ": put it in a cell of the table it repeats, in a row of its own"
            )
        said = str(exc).rstrip(".") if also else str(exc)
        raise ConfigError(f"template {path}: {said}{also}", hint=hint) from exc
    # Jinja prints a lone }} as text: a placeholder that lost its {{
    stray = _faulty_paragraph(text, parse=False)
    if stray is not None:
        paragraph, piece = stray
        raise ConfigError(
            f"template {path}: a {piece!r} without its pair, in the paragraph {paragraph!r}, "
            "would be printed as it is",
            hint=hint,
        )
    return names


_DOCXTPL_PREFIX = re.compile(r"^\{\{(?:r|p|tr|tc)\s")
_PIECE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{\{|\}\}|\{%|%\}")


def _unknown_tag_paragraph(text: str, message: str) -> tuple[str, str] | None:
    """The paragraph holding the tag Jinja calls unknown (docxtpl's {%tr %} outside a table
    is one: only a table row turns it into Jinja's {% %})."""
    m = re.search(r"unknown tag '(\w+)'", message)
    if m is None:
        return None
    tag = re.compile(r"\{%-?\s*" + re.escape(m.group(1)) + r"\b.*?%\}")
    for paragraph in text.split("\n"):
        found = tag.search(paragraph)
        if found:
            return paragraph.strip(), found.group()
    return None


def _faulty_paragraph(text: str, *, parse: bool = True) -> tuple[str, str] | None:
    """The first paragraph whose tags do not parse on their own: an unclosed ``{{``, a stray
    ``}}``, or a ``{{ ... }}`` that is no expression (the template's XML line would say
    nothing to whoever wrote it in Word)."""
    env = docx_environment()
    for paragraph in text.split("\n"):
        for piece in _PIECE.findall(paragraph):
            if piece in ("{{", "}}", "{%", "%}"):
                return paragraph.strip(), piece
            if parse and piece.startswith("{{"):
                try:  # docxtpl's {{r x }} / {{p x }} are its own: Jinja sees {{ x }}
                    env.parse(_DOCXTPL_PREFIX.sub("{{ ", piece))
                except TemplateError:
                    return paragraph.strip(), piece
    return None


def docx_text(data: bytes) -> str:
    """All text of a DOCX (paragraphs and table cells), for checks and tests."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]

    def walk(tables: Any) -> None:
        for t in tables:
            for row in t.rows:
                for cell in row.cells:
                    parts.extend(p.text for p in cell.paragraphs)
                    walk(cell.tables)

    walk(doc.tables)
    for section in doc.sections:
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)
