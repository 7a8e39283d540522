"""`changes` over a year of nightly history against `report` on the same workbook.

Builds the write-back bench's 20-column workbook with --rows deals (default 20,000), then a year
of nightly ledger history as `run` writes it (the first night sees every deal; then each night
about 2 % of the deals change: amounts, stages, expected closes, owners) and a year of forecast
snapshots (thinned as `run` thins them), both written into the workbook by the store's own
writer. Then, each in a fresh process, best of --repeat, interleaved:
  (a) `report` (read, evaluate, every figure including forecast accuracy, JSON) — the baseline,
  (b) `changes` over the last 7 days (read, replay the ledger, waterfall, JSON and text),
  (c) `changes` over the whole year,
and prints (b)/(a) and (c)/(a) (target <= 2), the ledger's size, and its growth per 1,000 deals
per night (rows, cells and compressed bytes in the xlsx).

    python bench/bench_changes.py [--rows 20000] [--nights 365] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_validate import timed  # noqa: E402
from bench_writeback import OWNERS, STAGES, build_workbook  # noqa: E402

REPORT = """
import datetime, json, sys, time
sys.path.insert(0, sys.argv[2])
from salessheet.analytics.service import build_report
from salessheet.api import evaluate_source
t = time.perf_counter()
ev = evaluate_source(sys.argv[1], today=datetime.date.fromisoformat(sys.argv[3]), record=False)
rep = build_report(ev)
out = json.dumps(rep.to_dict(), ensure_ascii=False)
print(time.perf_counter() - t, len(rep.accuracy.months))
"""
CHANGES = """
import datetime, json, sys, time
sys.path.insert(0, sys.argv[2])
from salessheet.api import changes
from salessheet.analytics.changes_text import render_changes
t = time.perf_counter()
c = changes(sys.argv[1], today=datetime.date.fromisoformat(sys.argv[3]), days=int(sys.argv[4]))
out = json.dumps(c.to_dict(), ensure_ascii=False) + render_changes(c)
assert c.movement.balanced
print(time.perf_counter() - t, len(c.deals))
"""
FIRST = dt.date(2025, 11, 29)


def build_history(rows: int, nights: int, seed: int = 7) -> tuple[list, list, dict]:
    """Ledger and forecast rows for a year of nights on the bench workbook's deals."""
    from salessheet.core.money import round_money
    from salessheet.history.ledger import HEADER, LedgerEvent
    from salessheet.history.snapshots import ForecastHistory, SnapshotRow, bucket

    rng = random.Random(seed)
    order = ["research", "lead", "opportunity", "follow_up", "negotiation", "contract"]
    deals = {}
    for i in range(rows):
        stage = STAGES[i % 7]
        close = FIRST + dt.timedelta(days=i % 400)
        deals[f"D-{i:06d}"] = [stage, Decimal(1000 + (i * 37) % 90000), OWNERS[i % 20], close]
    events: list[LedgerEvent] = [
        LedgerEvent("R0001", FIRST, "", "tracking", "", "amount, owner, probability", None, "")
    ]
    for deal_id, (stage, amount, owner, close) in deals.items():
        note = f"close={close.isoformat()}; amount={amount}; owner={owner}"
        events.append(LedgerEvent("R0001", FIRST, deal_id, "seen", "", stage, FIRST, "run", note))
    history = ForecastHistory()
    ids = list(deals)
    per_night = []
    for n in range(nights):
        day = FIRST + dt.timedelta(days=n)
        run = f"R{n + 1:04d}"
        before = len(events)
        if n:
            for deal_id in rng.sample(ids, rows // 50):  # 2 % of the deals change each night
                d = deals[deal_id]
                kind = rng.random()
                if kind < 0.4:
                    new = max(Decimal(100), d[1] + rng.choice([-1, 1]) * rng.randint(1, 50) * 100)
                    events.append(LedgerEvent(run, day, deal_id, "amount", str(d[1]), str(new),
                                              None, "", ""))  # fmt: skip
                    d[1] = new
                elif kind < 0.7 and d[0] in order[:-1]:
                    to = order[order.index(d[0]) + 1] if rng.random() < 0.85 else "lost"
                    events.append(LedgerEvent(run, day, deal_id, "stage", d[0], to, day, "run"))
                    d[0] = to
                elif kind < 0.93:
                    new = d[3] + dt.timedelta(days=rng.choice([-14, 7, 14, 30]))
                    events.append(LedgerEvent(run, day, deal_id, "close", d[3].isoformat(),
                                              new.isoformat(), day, "run"))  # fmt: skip
                    d[3] = new
                else:
                    new = rng.choice(OWNERS)
                    events.append(LedgerEvent(run, day, deal_id, "owner", d[2], new, None, "", ""))
                    d[2] = new
        per_night.append(len(events) - before)
        groups: dict = {}
        for stage, amount, owner, close in deals.values():
            if stage in order[:-1]:
                key = (owner, bucket(close, day), "CNY")
                g = groups.setdefault(key, [0, Decimal(0)])
                g[0] += 1
                g[1] += amount
        snap = [
            SnapshotRow(day, o, mo, c, k, a, round_money(a * Decimal("0.3"), "CNY"))
            for (o, mo, c), (k, a) in groups.items()
        ]
        history = history.with_snapshot(day, snap, "CNY")
    ledger = [list(HEADER)] + [e.row() for e in events]
    stats = {"ledger_rows": len(ledger) - 1, "changes_per_night": sum(per_night[1:]) / (nights - 1)}
    return ledger, history.sheet_rows(), stats


def part_size(path: Path, sheet_index: int) -> tuple[int, int]:
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(f"xl/worksheets/sheet{sheet_index}.xml")
        return info.compress_size, info.file_size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--nights", type=int, default=365)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from salessheet.stores.base import SheetReplace
    from salessheet.stores.file_safety import fingerprint
    from salessheet.stores.xlsx.patch import patch_xlsx

    today = (FIRST + dt.timedelta(days=args.nights - 1)).isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.xlsx"
        build_workbook(path, args.rows)
        ledger, forecast, stats = build_history(args.rows, args.nights)
        patch_xlsx(
            path,
            fingerprint(path),
            [],
            [
                SheetReplace("salessheet history", ledger),
                SheetReplace("salessheet forecast", forecast),
            ],
            keep_backups=0,
        )
        packed, raw = part_size(path, 2)
        rep, week, year = [], [], []
        for _ in range(args.repeat):  # interleaved, so drift hits all alike
            rep.append(timed(REPORT, str(path), str(ROOT), today))
            week.append(timed(CHANGES, str(path), str(ROOT), today, "7"))
            year.append(timed(CHANGES, str(path), str(ROOT), today, str(args.nights)))
    t_rep, t_week, t_year = (min(x[0] for x in xs) for xs in (rep, week, year))
    rows, per_night = stats["ledger_rows"], stats["changes_per_night"]
    per_row = packed / rows
    per_1000 = per_night * 1000 / args.rows
    result = {
        "deals": args.rows, "nights": args.nights, "ledger_rows": rows,
        "ledger_xlsx_bytes": packed, "ledger_xml_bytes": raw,
        "forecast_rows": len(forecast) - 1, "forecast_cells": (len(forecast) - 1) * 7,
        "report_s": round(t_rep, 3), "changes_7_days_s": round(t_week, 3),
        "changes_year_s": round(t_year, 3),
        "ratio_7_days": round(t_week / t_rep, 2), "ratio_year": round(t_year / t_rep, 2),
        "growth_per_1000_deals_per_night": {
            "rows": round(per_1000, 1), "cells": round(per_1000 * 9, 1),
            "xlsx_bytes": round(per_1000 * per_row), "at_changed_share": "2 % of deals",
        },
    }  # fmt: skip
    print(json.dumps(result))
    print(f"changes / report = {result['ratio_7_days']} (7 days), {result['ratio_year']} (a year)"
          " (target <= 2)")  # fmt: skip


if __name__ == "__main__":
    main()
