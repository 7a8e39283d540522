"""Profile loading speed against a plain YAML parse of the same file, measured in the same run.

Every command loads a profile, so this is on every command's path. Times
  (a) PyYAML's C loader reading config/b2b.yaml into Python data (the baseline), and
  (b) ``load_profile("b2b")``: the same read plus the line of every key, validation of the
      whole profile (documents and notifications sections included) and the runtime objects;
  and, each in a fresh interpreter (imports included, as a command pays them),
  (c) ``import yaml`` + the read (the baseline) and (d) importing the settings package and the
      first ``load_profile("b2b")``.
Each figure is the best of --repeat; the ratios (b)/(a) and (d)/(c) are printed.

    python bench/bench_settings.py [--repeat 200] [--cold 15]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from salessheet.settings.profile import load_profile  # noqa: E402

B2B = REPO / "config" / "b2b.yaml"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
COLD_BASE = (
    "import time; t = time.perf_counter(); import yaml; "
    f"yaml.load(open({str(B2B)!r}, encoding='utf-8').read(), Loader=yaml.CSafeLoader); "
    "print(time.perf_counter() - t)"
)
COLD_LOAD = (
    "import time; t = time.perf_counter(); "
    "from salessheet.settings.profile import load_profile; load_profile('b2b'); "
    "print(time.perf_counter() - t)"
)


def best(func, repeat: int) -> float:
    out = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        out = min(out, time.perf_counter() - t)
    return out


def cold(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        run = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
        )
        times.append(float(run.stdout))
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--cold", type=int, default=15)
    args = ap.parse_args()
    text = B2B.read_text("utf-8")
    a = best(lambda: yaml.load(text, Loader=LOADER), args.repeat)
    b = best(lambda: load_profile("b2b"), args.repeat)
    print(f"(a) yaml read of b2b.yaml      {a * 1000:8.2f} ms")
    print(f"(b) load_profile('b2b')        {b * 1000:8.2f} ms   (b)/(a) = {b / a:.2f}")
    c = cold(COLD_BASE, args.cold)
    d = cold(COLD_LOAD, args.cold)
    print(f"(c) cold: import yaml + read   {c * 1000:8.2f} ms")
    print(f"(d) cold: import + first load  {d * 1000:8.2f} ms   (d)/(c) = {d / c:.2f}")


if __name__ == "__main__":
    main()
