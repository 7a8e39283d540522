"""`salessheet changes --html`: the waterfall as one self-contained page (inline CSS and SVG)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from salessheet.analytics import display as D
from salessheet.analytics.changes import Changes
from salessheet.analytics.changes_text import KIND_TEXT, LABELS, money, move_ends
from salessheet.analytics.svg_history import waterfall_chart
from salessheet.core.errors import SourceError
from salessheet.core.formatting import format_money
from salessheet.core.templating import Markup, report_environment

TEMPLATE = "report/changes.html.j2"
DEAL_ROWS = 200
DEFINITIONS = (
    "Opening and closing: deals open at each end (in the sheet, in an open stage), at their "
    "amount then. New: first seen after the opening run. Increased / decreased: amount changes "
    "while open. Won / lost: left the open stages. Pushed out / pulled in (with --close-by): the "
    "expected close crossed the date. Removed / restored: the row left / came back. Reopened: a "
    "won or lost deal open again. Opening + flows = closing, exactly."
)


def render_changes_html(c: Changes) -> str:
    return report_environment().get_template(TEMPLATE).render(_context(c))


def _context(c: Changes) -> dict[str, Any]:
    loc = c.locale
    others = [m for _, m in sorted(c.other_currencies.items())]
    movements = [c.movement, *(m for m in others if m.moved)]
    quiet = [m for m in others if not m.moved]
    charts = {
        m.currency: Markup(
            waterfall_chart(m.lines, m.currency, loc, close_by=c.close_by is not None)
        )
        for m in movements
    }
    return {
        "c": c,
        "zh": D.is_zh(loc),
        "source_name": c.source.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or c.source,
        "movements": movements,
        "quiet": quiet,
        "charts": charts,
        "labels": LABELS,
        "kinds": KIND_TEXT,
        "notes": [DEFINITIONS, *c.notes],
        "DEAL_ROWS": DEAL_ROWS,
        "format_money": lambda amount, currency: format_money(amount, currency, loc),
        "ends": lambda d: move_ends(d, loc),
        "n_of": D.n_of,
        "signed": lambda amount, currency: money(Decimal(amount), currency, loc, signed=True),
    }


def save_changes_html(c: Changes, path: str | Path) -> Path:
    from salessheet.core.files import write_atomic

    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SourceError(f"{path}: the folder {folder} does not exist")
    try:
        write_atomic(path, render_changes_html(c).encode("utf-8"))
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot write the HTML page ({exc.strerror or exc})",
            hint="give --html a file in a folder you can write to",
        ) from exc
    return path
