"""PDF documents: WeasyPrint renders the HTML document (the one weasyprint module).

Needs pango (and harfbuzz-subset for fast font subsetting) and a CJK font such as Debian's
fonts-noto-cjk, so Chinese renders as Chinese and not as boxes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from salessheet.errors import ConfigError

logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


def render_pdf(html: str, *, base_url: Path | None = None) -> bytes:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango missing
        raise ConfigError(
            f"PDF output needs WeasyPrint and its system libraries (pango): {exc}",
            hint="apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "
            "fonts-noto-cjk, or use --format html / docx",
        ) from exc
    document = weasyprint.HTML(string=html, base_url=str(base_url) if base_url else None)
    return document.write_pdf()
