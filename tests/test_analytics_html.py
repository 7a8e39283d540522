"""The HTML report of the example workbook: self-contained, every chart, renders in Chromium."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from salessheet.analytics import build_report, save_html
from salessheet.analytics.html import render_html
from salessheet.api import evaluate_source

REPO = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 28)
CHARTS = ("chart-funnel", "chart-conversion", "chart-time", "chart-forecast", "chart-owners")


@pytest.fixture(scope="module")
def html_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    book = folder / "pipeline.xlsx"
    shutil.copyfile(REPO / "examples" / "pipeline.xlsx", book)
    rep = build_report(evaluate_source(book, today=TODAY))
    return save_html(rep, folder / "report.html")


def test_html_has_every_chart_and_no_external_reference(html_file: Path) -> None:
    html = html_file.read_text(encoding="utf-8")
    for ident in CHARTS:
        assert re.search(rf'<svg id="{ident}"[^>]*>.*?</svg>', html, re.S), ident
    assert 'id="stalled"' in html and "D-0013" in html  # the stalled-deal table
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html, re.I)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "报价与谈判" in html and "销售漏斗" in html  # Chinese labels, as text
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html


def test_html_escapes_sheet_text(tmp_path: Path) -> None:
    from conftest import make_xlsx

    rows = [
        ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Stage Date"],
        ["X1", "<script>alert(1)</script>", "Lead", 100, "<b>Eve</b>", dt.date(2026, 1, 1)],
        ["X2", 'Müller & Söhne "KG"', "Lead", 100, "O'Brien", dt.date(2026, 1, 1)],
    ]
    book = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": rows})
    html = render_html(build_report(evaluate_source(book, today=TODAY)))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Eve</b>" not in html and "&lt;b&gt;Eve&lt;/b&gt;" in html
    # in the stalled table, and the owner also in the owners chart and table
    assert "<td>Müller &amp; Söhne &quot;KG&quot;</td>" in html
    assert html.count("O&#x27;Brien") >= 3 and "O'Brien" not in html


def test_the_renderers_load_no_store_sheet_or_rules() -> None:
    code = (
        "import sys\n"
        "import salessheet.analytics.html, salessheet.analytics.text\n"
        "print(' '.join(m for m in sys.modules if m.startswith('salessheet')))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(res.stdout.split())
    assert {"salessheet.analytics.html", "salessheet.analytics.text"} <= loaded
    heavy = ("salessheet.stores", "salessheet.sheet", "salessheet.rules", "salessheet.history",
             "salessheet.settings", "salessheet.api", "salessheet.analytics.service")  # fmt: skip
    assert sorted(m for m in loaded if m.startswith(heavy)) == []
    assert len(loaded) < 16, sorted(loaded)  # the model, the display helpers, core


def test_screenshot_in_headless_chromium(html_file: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("chromium is not installed (Debian package: chromium)")
    png = tmp_path / "report.png"
    cmd = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
        "--window-size=1280,2400", html_file.as_uri(),
    ]  # fmt: skip
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert png.exists() and png.stat().st_size > 10_000
    image = pytest.importorskip("PIL.Image")
    with image.open(png) as im:
        assert im.size == (1280, 2400)
        rgb = im.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 50  # text, bars and cards, not a blank page
        # the chart colours are on the page: blue (open), green (won), red (lost/bottleneck)
        present = {c for _, c in colours}
        for want in ((0x25, 0x63, 0xEB), (0x16, 0xA3, 0x4A), (0xDC, 0x26, 0x26)):
            assert want in present, want
