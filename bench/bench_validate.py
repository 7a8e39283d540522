"""`validate` speed and memory against python-calamine alone, measured in the same run.

Builds a 100,000-deal x 20-column workbook (the write-back bench's generator), then times
  (a) python-calamine reading the sheet into Python lists (the baseline), and
  (b) salessheet's full `validate` (read, map, parse, every rule), in a fresh process each,
and prints (b)/(a) (target <= 1.5) and validate's peak memory (target <= 400 MB). A sheet this
big is read on all usable cores (printed as "cores"); `taskset -c 0 python bench/...` measures
the one-core path.

    python bench/bench_validate.py [--rows 100000] [--repeat 3]
    python bench/bench_validate.py --rows 1048575 --repeat 1     # Excel's row limit
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_writeback import build_workbook  # noqa: E402

from salessheet.stores.xlsx.split import usable_cores  # noqa: E402

CALAMINE = """
import resource, sys, time, python_calamine
t, c = time.perf_counter(), time.process_time()
wb = python_calamine.CalamineWorkbook.from_path(sys.argv[1])
rows = wb.get_sheet_by_name(wb.sheet_names[0]).to_python(skip_empty_area=False)
t, c = time.perf_counter() - t, time.process_time() - c
print(t, len(rows), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 0, c)
"""
VALIDATE = """
import datetime, resource, sys, time
sys.path.insert(0, sys.argv[2])
from salessheet.api import validate
t, c = time.perf_counter(), time.process_time()
r = validate(sys.argv[1], today=datetime.date(2026, 11, 28))
t, c = time.perf_counter() - t, time.process_time() - c
print(t, r.deals, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(r.findings), c)
"""


def timed(script: str, *args: str) -> list[float]:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                         check=True).stdout.split()  # fmt: skip
    return [float(x) for x in out]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.xlsx"
        build_workbook(path, args.rows)
        size = path.stat().st_size / 1e6
        base, val = [], []
        for _ in range(args.repeat):  # interleaved, so a noisy moment hits both sides
            base.append(timed(CALAMINE, str(path)))
            val.append(timed(VALIDATE, str(path), str(ROOT)))
    t_base = min(b[0] for b in base)
    t_val = min(v[0] for v in val)
    c_base = min(b[4] for b in base)
    c_val = min(v[4] for v in val)
    peak_mb = max(v[2] for v in val) / 1024
    base_mb = max(b[2] for b in base) / 1024
    result = {
        "rows": args.rows, "file_mb": round(size, 1), "cores": usable_cores(),
        "calamine_read_s": round(t_base, 3), "validate_s": round(t_val, 3),
        "ratio": round(t_val / t_base, 2), "cpu_ratio": round(c_val / c_base, 2),
        "calamine_cpu_s": round(c_base, 3), "validate_cpu_s": round(c_val, 3),
        "validate_peak_mb": round(peak_mb),
        "calamine_peak_mb": round(base_mb), "findings": int(val[0][3]),
    }  # fmt: skip
    print(json.dumps(result))
    print(f"validate / calamine = {result['ratio']} wall, {result['cpu_ratio']} CPU "
          "(target <= 1.5); "
          f"validate peak memory {result['validate_peak_mb']} MB (target <= 400)")  # fmt: skip


if __name__ == "__main__":
    main()
