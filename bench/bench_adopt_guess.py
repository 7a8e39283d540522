"""`config init`'s guess (salessheet.init.adopt.guess_config) against the time to look at
every cell once, measured in the same run.

Builds a 10,000-row x 50-column sheet in memory (ids, names, stages, amounts as text and
numbers, dates in three forms, flags, free text, null markers, a title row and a subtotal
row), then times
  (a) the baseline: counting every column's values (one ``Counter`` per column), and
  (b) ``guess_config`` on the same sheet,
and prints both, (b)/(a), and (b) in ms against the target (well under 1 s). With the corpus
at ../shared/corpus, every pipeline file there is timed too (reading excluded).

    python bench/bench_adopt_guess.py [--rows 10000] [--cols 50] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from salessheet.core.cells import RawSheet  # noqa: E402
from salessheet.init.adopt import guess_config  # noqa: E402
from salessheet.settings.profile import load_profile  # noqa: E402
from salessheet.stores.registry import open_store  # noqa: E402

NOT_PIPELINES = {
    "报价单模板.xlsx",
    "data.xlsx",
    "SBQQ__Quote__c.csv",
    "accounts.csv",
    "products.csv",
    "sales_teams.csv",
    "data_dictionary.csv",
}
STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]
BASE = [
    "Deal ID",
    "Customer",
    "Stage",
    "Amount",
    "Close Date",
    "Created",
    "Owner",
    "Probability",
    "Currency",
    "Last Activity",
    "Lost Reason",
    "Email",
]


def build_sheet(rows: int, cols: int, seed: int = 7) -> RawSheet:
    rnd = random.Random(seed)
    header = BASE + [f"Custom {i}" for i in range(cols - len(BASE))]
    out: list[list] = [["Pipeline export"], header[:cols]]
    day0 = dt.date(2024, 1, 1)
    for i in range(rows):
        stage = STAGES[rnd.randrange(6)]
        d = day0 + dt.timedelta(days=rnd.randrange(900))
        row = [
            f"D-{i:06d}",
            f"Customer {rnd.randrange(rows // 3)} Ltd",
            stage,
            f"{rnd.randrange(1, 900_000):,}.{rnd.randrange(100):02d}",
            f"{d.day}/{d.month}/{d.year % 100:02d}",
            d - dt.timedelta(days=rnd.randrange(1, 200)),
            ["Alice", "Bob", "Carla", "Dmitri", "Eve"][rnd.randrange(5)],
            float(rnd.choice([10, 20, 40, 60, 90, 100])),
            "USD",
            d.isoformat() if rnd.random() < 0.7 else "N/A",
            "Price" if stage == "Closed Lost" else "",
            f"buyer{i}@example.com",
        ]
        for j in range(cols - len(BASE)):
            kind = j % 5
            if kind == 0:
                row.append(rnd.random() * 1000)
            elif kind == 1:
                row.append(["si", "no"][rnd.randrange(2)])
            elif kind == 2:
                row.append(f"note {rnd.randrange(50)}")
            elif kind == 3:
                row.append((day0 + dt.timedelta(days=rnd.randrange(700))).isoformat())
            else:
                row.append("Sin_Factura" if rnd.random() < 0.8 else str(rnd.randrange(10_000)))
        out.append(row[:cols])
    out.append(["Total", "", "", "", ""])
    return RawSheet("Pipeline", out)


def baseline(sheet: RawSheet) -> None:
    width = max(len(r) for r in sheet.rows)
    for c in range(width):
        Counter(r[c] if c < len(r) else None for r in sheet.rows)


def best_of(fn, repeat: int) -> float:
    return timed(fn, repeat)[1]


def clear_caches() -> None:
    """Empty the per-value caches, as in a fresh ``config init`` process."""
    from salessheet.init.adopt import headers, values
    from salessheet.sheet import layout, units

    for fn in (values.read_number_text, values.read_date_text, values._text_kind,
               layout.value_shape, units.parse_header_unit):  # fmt: skip
        fn.cache_clear()
    headers._INDEXES.clear()


def timed(fn, repeat: int) -> tuple[float, float]:
    """(first run, best run): the first run starts with empty value caches (a cold
    ``config init``), the best one shows the work once they are filled."""
    clear_caches()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times[0], min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--cols", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    profile = load_profile("b2b")
    sheet = build_sheet(args.rows, args.cols)
    t_base = best_of(lambda: baseline(sheet), args.repeat)
    t_first, t_guess = timed(
        lambda: guess_config({"Pipeline": sheet}, profile, source="bench"), args.repeat
    )
    result = {
        "rows": args.rows,
        "cols": args.cols,
        "baseline_ms": round(t_base * 1000, 1),
        "guess_first_ms": round(t_first * 1000, 1),
        "guess_ms": round(t_guess * 1000, 1),
        "ratio": round(t_guess / t_base, 2),
        "first_ratio": round(t_first / t_base, 2),
        "target_ms": 1000,
    }
    print(json.dumps(result))
    print(
        f"guess_config {result['guess_first_ms']} ms cold, {result['guess_ms']} ms warm = "
        f"{result['first_ratio']} / {result['ratio']} × counting every cell "
        f"({result['baseline_ms']} ms); target well under {result['target_ms']} ms"
    )
    corpus = ROOT.parent / "shared" / "corpus"
    if not corpus.is_dir():
        corpus = ROOT.parents[1] / "shared" / "corpus"
    for path in sorted(corpus.glob("*/*")) if corpus.is_dir() else []:
        if path.suffix not in (".xlsx", ".csv") or path.name in NOT_PIPELINES:
            continue
        store = open_store(str(path))
        sheets = store.read([s.name for s in store.sheets()])
        cells = sum(len(r) for s in sheets.values() for r in s.rows)
        first, best = timed(
            lambda s=sheets, p=path: guess_config(s, profile, source=str(p)), args.repeat
        )
        print(
            f"  {first * 1000:7.1f} ms cold {best * 1000:7.1f} ms warm  {cells:>9,} cells  "
            f"{path.parent.name}/{path.name}"
        )


if __name__ == "__main__":
    main()
