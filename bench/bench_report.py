"""`report` speed against `validate` on the same 100,000-deal workbook, measured in the same run.

Builds a 100,000-deal x 20-column workbook (the write-back bench's generator), then times, each
in a fresh process, best of --repeat:
  (a) `validate` (read, map, parse, every rule) — the baseline, and
  (b) `report`: the same evaluation plus every analytics figure, rendered three ways
      (JSON, terminal text and the HTML page with its SVG charts),
and prints (b)/(a) (target <= 2). It also prints how long each rendering takes inside (b): the
first call in the process (importing the renderer and, for HTML, loading its templates) and the
best of three later calls, so a slower renderer shows up even though evaluation dominates.

    python bench/bench_report.py [--rows 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_validate import timed  # noqa: E402
from bench_writeback import build_workbook  # noqa: E402

VALIDATE = """
import datetime, sys, time
sys.path.insert(0, sys.argv[2])
from salessheet.api import validate
t = time.perf_counter()
r = validate(sys.argv[1], today=datetime.date(2026, 11, 28))
t = time.perf_counter() - t
print(t, r.deals, 0)
"""
REPORT = """
import datetime, json, sys, time
sys.path.insert(0, sys.argv[2])
from salessheet.analytics.service import build_report
from salessheet.api import evaluate_source
t = time.perf_counter()
ev = evaluate_source(sys.argv[1], today=datetime.date(2026, 11, 28), record=False)
t_eval = time.perf_counter() - t
rep = build_report(ev)
t_json = time.perf_counter()
out = json.dumps(rep.to_dict(), ensure_ascii=False)
t_json = time.perf_counter() - t_json
t_text = time.perf_counter()
from salessheet.analytics.text import render_text
out += render_text(rep)
t_text = time.perf_counter() - t_text
t_html = time.perf_counter()
from salessheet.analytics.html import render_html
out += render_html(rep)
t_html = time.perf_counter() - t_html
t = time.perf_counter() - t
warm_text, warm_html = [], []
for _ in range(3):
    w = time.perf_counter(); render_text(rep); warm_text.append(time.perf_counter() - w)
    w = time.perf_counter(); render_html(rep); warm_html.append(time.perf_counter() - w)
print(t, rep.funnel.deals, t_eval, t_json, t_text, t_html, min(warm_text), min(warm_html))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.xlsx"
        build_workbook(path, args.rows)
        val, rep = [], []
        for _ in range(args.repeat):  # interleaved, so drift hits both alike
            val.append(timed(VALIDATE, str(path), str(ROOT)))
            rep.append(timed(REPORT, str(path), str(ROOT)))
    t_val = min(v[0] for v in val)
    best = min(rep, key=lambda r: r[0])
    result = {
        "rows": args.rows, "deals": int(best[1]), "validate_s": round(t_val, 3),
        "report_s": round(best[0], 3), "report_evaluation_s": round(best[2], 3),
        "report_figures_and_rendering_s": round(best[0] - best[2], 3),
        "ratio": round(best[0] / t_val, 2),
        "render_ms": {  # best over the repeats, each in a fresh process
            "json": round(1000 * min(r[3] for r in rep), 1),
            "text_first": round(1000 * min(r[4] for r in rep), 1),
            "html_first": round(1000 * min(r[5] for r in rep), 1),
            "text": round(1000 * min(r[6] for r in rep), 1),
            "html": round(1000 * min(r[7] for r in rep), 1),
        },
    }  # fmt: skip
    print(json.dumps(result))
    print(f"report / validate = {result['ratio']} (target <= 2)")


if __name__ == "__main__":
    main()
