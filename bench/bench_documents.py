"""Documents per second for HTML, DOCX and PDF (targets on 2 cores: 200/s, 20/s, 5/s).

    python bench/bench_documents.py [--deals N]

Issues quotes end to end (pipeline in memory -> preflight -> numbering -> render -> file) with
``dry_run`` so the register is not written, and prints docs/s per format, the ratio to the
target, and the ratio to a baseline measured in the same run (dumping each document's
context as JSON: the cost of everything but the rendering). CPU seconds per document (this
process and its PDF workers) are printed too: on a busy machine wall-clock figures say more
about the neighbours than about the code, and cores / CPU-per-doc is the idle-machine rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from salessheet.documents.context import DealData, build_context  # noqa: E402
from salessheet.documents.money import LineItem, compute_totals  # noqa: E402
from salessheet.documents.pdf import available_cpus  # noqa: E402
from salessheet.documents.service import issue_documents  # noqa: E402
from salessheet.settings.documents import parse_document_settings  # noqa: E402
from salessheet.settings.profile import load_profile  # noqa: E402
from salessheet.sheet.load import load_pipeline  # noqa: E402
from salessheet.stores.memory import MemoryStore  # noqa: E402

TODAY = dt.date(2026, 11, 28)
TARGETS = {"html": 200.0, "docx": 20.0, "pdf": 5.0}
CUSTOMERS = ["上海星河科技有限公司", "Müller & Söhne <KG>", "Acme Robotics Ltd", "北京华信数据"]
PRODUCTS = [
    ("CRM 专业版", "套", 28000, 0.06),
    ("条码扫描枪", "台", 1350, 0.13),
    ("Implementation service", "人天", 2400, 0.06),
    ("Training", "场", 5000, 0.06),
]


def make_pipeline(n: int):
    deals = [["Deal ID", "Customer", "Stage", "Amount", "Currency", "Owner", "Contact", "Language"]]
    lines = [["Deal ID", "Product", "Quantity", "Unit", "Unit price", "Tax rate"]]
    for i in range(1, n + 1):
        amount = 0
        for k in range(4):
            name, unit, price, tax = PRODUCTS[(i + k) % 4]
            qty = 1 + (i * 7 + k) % 9
            lines.append([f"D-{i:05d}", name, qty, unit, price, tax])
            amount += qty * price
        lang = "zh" if i % 2 else "en"
        deals.append([f"D-{i:05d}", CUSTOMERS[i % 4], "negotiation", amount, "CNY", "张伟",
                      "王经理", lang])  # fmt: skip
    profile = load_profile("b2b")
    example = Path(__file__).resolve().parents[1] / "templates" / "documents.example.yaml"
    import yaml

    raw = yaml.safe_load(example.read_text("utf-8"))["documents"]
    profile.documents, problems = parse_document_settings(raw, str(example))
    assert not problems, problems
    store = MemoryStore({"Pipeline": deals, "Line Items": lines}, source="memory:bench")
    return load_pipeline("memory:bench", profile=profile, today=TODAY, store=store)


def baseline(n: int) -> float:
    """Docs/s for building each document's context and dumping it as JSON (no rendering)."""
    settings, _ = parse_document_settings(None, "bench")
    items = [LineItem(qty, price) for qty, price in ((1, 28000), (10, 1350), (8, 2400))]
    start = time.perf_counter()
    for i in range(n):
        totals = compute_totals(items, "CNY", tax_mode="inclusive")
        ctx = build_context(
            kind="quote", lang="zh", locale="zh_CN",
            deal=DealData(deal_id=f"D-{i}", customer=CUSTOMERS[i % 4], currency="CNY"),
            totals=totals, settings=settings, number=f"Q-2026-{i:04d}", base_number="",
            revision=1, issue_date=TODAY, valid_until=TODAY,
        )  # fmt: skip
        json.dumps(ctx, ensure_ascii=False)
    return n / (time.perf_counter() - start)


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def measure(fmt: str, n: int) -> tuple[float, float]:
    """(docs per wall second, CPU seconds per doc)."""
    pipe = make_pipeline(n)
    with tempfile.TemporaryDirectory() as out:
        # warm up: template compile, fonts (not counted)
        issue_documents(pipe, "quote", [pipe.deals[0].id], fmt=fmt, out_dir=Path(out),
                        dry_run=True)  # fmt: skip
        start, cpu = time.perf_counter(), cpu_seconds()
        result = issue_documents(pipe, "quote", None, all_deals=True, fmt=fmt,
                                 out_dir=Path(out), dry_run=True)  # fmt: skip
        elapsed, used = time.perf_counter() - start, cpu_seconds() - cpu
    assert not result.failed, result.failed[:3]
    assert len(result.issued) == n
    return n / elapsed, used / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=0, help="documents per format (0: auto)")
    args = parser.parse_args()
    base = baseline(400)
    cores = available_cpus()
    load = os.getloadavg()[0]
    print(f"baseline (context + JSON, no rendering): {base:8.1f} docs/s")
    print(f"{cores} cores, load average {load:.1f}")
    print(f"{'format':<6} {'docs':>5} {'docs/s':>8} {'target':>7} {'x target':>9} "
          f"{'x baseline':>11} {'cpu s/doc':>10} {'idle docs/s':>12}")  # fmt: skip
    for fmt, default_n in (("html", 400), ("docx", 60), ("pdf", 40)):
        n = args.deals or default_n
        rate, cpu = measure(fmt, n)
        idle = (cores if fmt == "pdf" else 1) / cpu  # only PDF batches use every core
        print(f"{fmt:<6} {n:>5} {rate:>8.1f} {TARGETS[fmt]:>7.0f} {rate / TARGETS[fmt]:>9.2f} "
              f"{rate / base:>11.3f} {cpu:>10.4f} {idle:>12.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
