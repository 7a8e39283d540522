"""PDF documents: WeasyPrint renders the HTML document (the one weasyprint module).

Needs pango (with harfbuzz-subset) and a CJK font such as Debian's fonts-noto-cjk, so Chinese
renders as Chinese and not as boxes. Only WeasyPrint's public API is used (``HTML``, ``CSS``,
``FontConfiguration``, ``write_pdf``), checked with WeasyPrint 63 to 70 (62 and older install
with a pydyf they cannot use). What makes a batch fast: one font configuration per process
(fonts load once), a plain ``<style>`` block parsed once per process, and a batch spread over
the machine's cores by forked worker processes.

WeasyPrint's warnings (say, a CSS property a custom template uses that it does not support) go
to its ``weasyprint`` logger untouched: showing or hiding them is the application's choice.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import lru_cache
from typing import Any

from salessheet.core.errors import ConfigError

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


@lru_cache(maxsize=1)
def _font_config() -> Any:
    _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

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
    data: bytes = document.write_pdf(stylesheets=sheets, font_config=_font_config())
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
