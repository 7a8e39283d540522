"""PDF documents: WeasyPrint renders the HTML document (the one weasyprint module).

Needs pango (and harfbuzz-subset for fast font subsetting) and a CJK font such as Debian's
fonts-noto-cjk, so Chinese renders as Chinese and not as boxes. One font configuration is
shared by every document of a process (fonts load once); a batch of PDFs is spread over the
machine's cores by forked worker processes.

Fonts are subset without WeasyPrint's second HarfBuzz pass when that pass would change
nothing (see ``_skip_idle_second_subset_pass``): the same PDF bytes, 0.05-0.1 s less CPU per
document.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import lru_cache
from typing import Any

from salessheet.core.errors import ConfigError

logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)

PARALLEL_FROM = 4  # fewer documents than this render in this process


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango missing
        raise ConfigError(
            f"PDF output needs WeasyPrint and its system libraries (pango): {exc}",
            hint="apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "
            "fonts-noto-cjk, or use --format html / docx",
        ) from exc
    return weasyprint


# WeasyPrint versions whose Font._harfbuzz_subset the subsetting below mirrors
_SUBSET_TESTED_VERSIONS = ("70.",)
_DROP_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH",
                b"PCLT", b"SVG ")  # fmt: skip


@lru_cache(maxsize=1)
def _skip_idle_second_subset_pass() -> bool:
    """Subset fonts without WeasyPrint's second HarfBuzz pass when it would change nothing.

    WeasyPrint subsets each font twice: keeping glyph ids (the PDF refers to glyphs by id),
    then keeping ids ``0..max used`` to drop glyphs after the last used one. When the first
    pass already ends at the last used glyph (it does whenever no used glyph pulls in a later
    one), the second pass rewrites the whole font for nothing: for Noto Sans CJK, whose Chinese
    glyphs sit near id 63,000, that is about 50 ms per font and two CJK fonts per document.
    Here CFF fonts (Noto CJK is one) get a first pass with WeasyPrint's flags and dropped
    tables plus its final "no hinting", and the second pass only when there are trailing
    glyphs to drop: the embedded fonts, and so the PDFs, are byte for byte the same (checked
    with the bundled quotes and contracts). TrueType fonts (cheap to subset; their hinting
    tables make one pass differ from two) and WeasyPrint versions this was not checked
    against keep WeasyPrint's own subsetting."""
    weasyprint = _weasyprint()
    if not weasyprint.__version__.startswith(_SUBSET_TESTED_VERSIONS):
        return False
    from weasyprint.pdf import fonts
    from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset

    two_pass = getattr(fonts.Font, "_harfbuzz_subset", None)
    if two_pass is None or harfbuzz_subset is None:
        return False
    sub = harfbuzz_subset

    def subset_input(glyphs: list[int], flags: int) -> Any:
        hb_input = ffi.gc(sub.hb_subset_input_create_or_fail(), sub.hb_subset_input_destroy)
        harfbuzz.hb_set_add_sorted_array(
            sub.hb_subset_input_glyph_set(hb_input),
            ffi.new("hb_codepoint_t[]", glyphs),
            len(glyphs),
        )
        sub.hb_subset_input_set_flags(hb_input, flags)
        tags = [harfbuzz.hb_tag_from_string(name, -1) for name in _DROP_TABLES]
        harfbuzz.hb_set_add_sorted_array(
            sub.hb_subset_input_set(hb_input, sub.HB_SUBSET_SETS_DROP_TABLE_TAG),
            ffi.new("hb_codepoint_t[]", tags),
            len(tags),
        )
        return hb_input

    def subset(font: Any, to_unicode: dict[int, Any], hinting: bool) -> None:
        if "CFF " not in font.tables:  # TrueType: two passes do differ (hinting tables)
            return two_pass(font, to_unicode, hinting)
        flags = sub.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED | sub.HB_SUBSET_FLAGS_DESUBROUTINIZE
        if not hinting:
            flags |= sub.HB_SUBSET_FLAGS_NO_HINTING
        if font.missing:
            flags |= sub.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
        last = max(to_unicode)
        first = subset_input(sorted(to_unicode), flags | sub.HB_SUBSET_FLAGS_RETAIN_GIDS)
        face = ffi.gc(sub.hb_subset_or_fail(font.hb_face, first), harfbuzz.hb_face_destroy)
        if face != ffi.NULL and harfbuzz.hb_face_get_glyph_count(face) > last + 1:
            second = subset_input(list(range(last + 1)), flags)
            face = ffi.gc(sub.hb_subset_or_fail(face, second), harfbuzz.hb_face_destroy)
        data = fonts.get_hb_object_data(face) if face != ffi.NULL else None
        if not data:
            return two_pass(font, to_unicode, hinting)  # it warns if subsetting fails again
        font.file_content = data

    fonts.Font._harfbuzz_subset = subset
    return True


@lru_cache(maxsize=1)
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    _skip_idle_second_subset_pass()
    return FontConfiguration()


_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL | re.IGNORECASE)


@lru_cache(maxsize=16)
def _stylesheet(css: str, base_url: str | None) -> Any:
    return _weasyprint().CSS(string=css, base_url=base_url, font_config=_font_config())


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """PDF bytes of an HTML document. A plain ``<style>`` block is parsed once per process
    and applied as a stylesheet (the same rules, without re-parsing them per document)."""
    weasyprint = _weasyprint()
    sheets = []
    blocks = _STYLE.findall(html)
    if len(blocks) == 1:
        sheets.append(_stylesheet(blocks[0], base_url))
        html = _STYLE.sub("", html, count=1)
    document = weasyprint.HTML(string=html, base_url=base_url)
    data = document.write_pdf(stylesheets=sheets, font_config=_font_config())
    if len(blocks) == 1:
        _rendered_styles.add((blocks[0], base_url))
    return data


# style blocks this process has rendered a document with: its fonts and styles are loaded
_rendered_styles: set[tuple[str, str | None]] = set()


def _warm(html: str, base_url: str | None) -> bool:
    blocks = _STYLE.findall(html)
    return len(blocks) == 1 and (blocks[0], base_url) in _rendered_styles


def _job(html: str, base_url: str | None) -> bytes:
    return render_pdf(html, base_url=base_url)


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def render_pdfs(
    jobs: list[tuple[str, str | None]], *, workers: int | None = None
) -> Iterator[tuple[int, bytes]]:
    """Render ``(html, base_url)`` jobs; yields ``(index, pdf bytes)`` as each one is done.

    ``workers``: processes to use (None: one per CPU); 1 or a small batch renders here."""
    _weasyprint()
    count = available_cpus() if workers is None else max(1, workers)
    count = min(count, len(jobs))
    # Workers are forked (they share the loaded fonts and need no importable __main__); a
    # process with other threads is never forked, it renders in-process instead.
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if count <= 1 or len(jobs) < PARALLEL_FROM or not can_fork or threading.active_count() > 1:
        for i, (html, base_url) in enumerate(jobs):
            yield i, render_pdf(html, base_url=base_url)
        return
    first = 0
    if not _warm(*jobs[0]):
        # the first one here: fonts and styles are loaded once, before the workers fork
        yield 0, render_pdf(jobs[0][0], base_url=jobs[0][1])
        first = 1
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        futures = {
            pool.submit(_job, html, base): i for i, (html, base) in enumerate(jobs) if i >= first
        }
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
