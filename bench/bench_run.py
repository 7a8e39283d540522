"""The nightly `run`'s time and peak memory against `validate` on the same workbook, measured in
the same run (these machines are noisy: compare the ratios, not the seconds).

Builds the write-back bench's 100,000-row x 20-column workbook, then, each command as a user runs
it (`python -m salessheet ...` in a fresh process, peak RSS from RUSAGE_CHILDREN):
  (a) `validate FILE --format json` (the baseline: read, map, every rule);
  (b) `run FILE` on a fresh copy: the first night (flag columns for every deal, a 100,000-row
      history sheet, the findings and forecast sheets, backup, verification);
  (c) `run FILE` the next day on (b)'s result.
Prints each one's wall and CPU seconds and peak memory, and run/validate for each.

Measured 2026-12-02 (100,000 rows, 2 cores, a busy machine): before the run released the deals
ahead of its write, (b) peaked at 939-963 MB against validate's 350 MB; after, 788 MB.

    python bench/bench_run.py [--rows 100000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_writeback import build_workbook  # noqa: E402

TODAY, NEXT = "2026-11-28", "2026-11-29"
CHILD = """
import os, resource, subprocess, sys, time
root, out, *cmd = sys.argv[1:]
env = dict(os.environ, PYTHONPATH=root)
with open(out, "wb") as f:
    t = time.perf_counter()
    rc = subprocess.run([sys.executable, "-m", "salessheet", *cmd], stdout=f, env=env).returncode
    t = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(t, rc, ru.ru_maxrss, ru.ru_utime + ru.ru_stime)
"""


def measure(out: Path, *cmd: str) -> tuple[float, int, float]:
    """(wall seconds, peak MB, CPU seconds) of one command in a fresh process."""
    got = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(out), *cmd],
                         capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    wall, rc, peak_kb, cpu = float(got[0]), int(got[1]), int(got[2]), float(got[3])
    if rc not in (0, 1):  # 1: findings were reported, as they are on this sheet
        raise SystemExit(f"salessheet {' '.join(cmd)} exited {rc}; see {out}")
    return wall, peak_kb // 1024, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "pipeline.xlsx"
        build_workbook(src, args.rows)
        out = Path(tmp) / "out.txt"
        best: dict[str, list[tuple[float, int, float]]] = {"validate": [], "run": [], "next": []}
        for i in range(args.repeat):
            work = Path(tmp) / f"night{i}"
            work.mkdir()
            target = work / "pipeline.xlsx"
            shutil.copyfile(src, target)
            best["validate"].append(
                measure(out, "validate", str(target), "--today", TODAY, "--format", "json")
            )
            best["run"].append(measure(out, "run", str(target), "--today", TODAY))
            best["next"].append(measure(out, "run", str(target), "--today", NEXT))
        v_wall = min(w for w, _, _ in best["validate"])
        v_peak = max(p for _, p, _ in best["validate"])
        for name, label in (("validate", "(a) validate"), ("run", "(b) run, first night"),
                            ("next", "(c) run, next night")):  # fmt: skip
            wall = min(w for w, _, _ in best[name])
            cpu = min(c for _, _, c in best[name])
            peak = max(p for _, p, _ in best[name])
            print(f"{label:22}: {wall:6.2f} s wall, {cpu:6.2f} s CPU, peak {peak:4d} MB;"
                  f" x validate: {wall / v_wall:.2f} wall, {peak / v_peak:.2f} memory")  # fmt: skip


if __name__ == "__main__":
    main()
