"""What ten of a team's conditional rules (a profile's ``rules:``) add to `validate`'s time.

The write-back bench's 20-column workbook of 100,000 deals is validated in fresh processes,
interleaved (so a noisy moment hits both sides), with
  (a) the b2b profile as shipped (the baseline), and
  (b) the same profile with ten conditional rules: stage order, money, percentages, dates with
      today and days(n), text, lists, is empty, and / or / not; some pass on every deal, some
      fail on a few thousand (so the findings they make are in the figure too),
and prints the best time of each, the ratio (b)/(a) and the extra share against the target
(<= 25 %), and the same for CPU time (less troubled by other work on the machine). Each rule
was compiled to closures when the profile loaded; evaluating a deal walks no parse tree.

    python bench/bench_rules.py [--rows 100000] [--repeat 5]
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

from bench_writeback import OWNERS, build_workbook  # noqa: E402

TODAY = "2026-11-28"
TARGET = 0.25
RULES = f"""\
extends: b2b
rules:
  - id: big-deal-contact
    when: amount > 80000 and stage >= "negotiation" and stage != "lost"
    require: [contact]
  - id: discount-cap
    when: stage in ["contract", "delivery"]
    check: discount <= 10
    severity: error
  - id: forecast-probability
    when: stage == "negotiation" and expected_close < today + days(30)
    check: probability >= 50%
  - id: named-customer
    require: [customer]
  - id: amount-range
    when: stage >= "opportunity"
    check: amount >= 1000 and amount <= 100000
  - id: created-before-close
    when: created is not empty
    check: created <= expected_close
  - id: stale-lead
    when: stage in ["research", "lead"] and last_activity < today - days(60)
    require: [contact]
    severity: info
  - id: key-owner-probability
    when: owner in ["{OWNERS[1]}", "{OWNERS[2]}"] and amount > 50000
    check: probability > 0.3 or not stage == "negotiation"
  - id: open-with-amount
    when: not stage == "lost"
    check: amount is not empty
  - id: showcase-customer
    when: customer == "customer 42"
    require: [phone]
"""
VALIDATE = """
import datetime, sys, time
sys.path.insert(0, sys.argv[2])
from salessheet.api import validate
from salessheet.settings.profile import load_profile
profile = load_profile(sys.argv[4])
t, c = time.perf_counter(), time.process_time()
r = validate(sys.argv[1], profile=profile, today=datetime.date.fromisoformat(sys.argv[3]))
t, c = time.perf_counter() - t, time.process_time() - c
print(t, r.deals, len(r.findings), len(profile.rules), c)
"""


def timed(path: Path, profile: str) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", VALIDATE, str(path), str(ROOT), TODAY, profile],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [float(x) for x in out]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pipeline.xlsx"
        build_workbook(path, args.rows)
        cfg = Path(tmp) / "team.yaml"
        cfg.write_text(RULES, encoding="utf-8")
        plain, ruled = [], []
        for _ in range(args.repeat):  # interleaved
            plain.append(timed(path, "b2b"))
            ruled.append(timed(path, str(cfg)))
        t_plain = min(p[0] for p in plain)
        t_ruled = min(r[0] for r in ruled)
        ratio = t_ruled / t_plain
        cpu_ratio = min(r[4] for r in ruled) / min(p[4] for p in plain)
        result = {
            "rows": int(plain[0][1]),
            "rules": int(ruled[0][3]),
            "validate_s": round(t_plain, 3),
            "validate_with_rules_s": round(t_ruled, 3),
            "findings": int(plain[0][2]),
            "findings_with_rules": int(ruled[0][2]),
            "ratio": round(ratio, 3),
            "cpu_ratio": round(cpu_ratio, 3),
            "added": f"{(ratio - 1) * 100:.1f} %",
            "target": f"<= {TARGET * 100:.0f} %",
        }
        print(json.dumps(result))
        verdict = "OK" if ratio - 1 <= TARGET else "OVER TARGET"
        print(
            f"  ten rules add {(ratio - 1) * 100:.1f} % to validate on {result['rows']:,} deals "
            f"({t_plain:.2f} s -> {t_ruled:.2f} s, best of {args.repeat}; CPU time "
            f"+{(cpu_ratio - 1) * 100:.1f} %; "
            f"{result['findings_with_rules'] - result['findings']:,} more findings): {verdict}"
        )


if __name__ == "__main__":
    main()
