"""`salessheet demo`: the whole tour on a copy of the bundled example workbook."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from salessheet import api
from salessheet.cli.render import render_report, render_run, render_stalled
from salessheet.core.errors import UsageError
from salessheet.core.resources import data_dir
from salessheet.settings.profile import Profile, load_profile
from salessheet.stores.base import CellWrite, WriteBatch

NIGHT_1 = dt.date(2026, 11, 27)
NIGHT_2 = dt.date(2026, 11, 28)  # the example's dates are relative to this day
# The demo's (fictional) seller; a team puts its own under documents.seller in its profile.
DEMO_SELLER = {
    "documents": {
        "seller": {
            "name": "Qinghe Software (Shanghai) Co., Ltd.",
            "name_zh": "青禾软件（上海）有限公司",
            "address": "88 Century Avenue, Pudong\nShanghai 200120, China",
            "address_zh": "上海市浦东新区世纪大道88号\n邮编 200120",
            "tax_id": "91310115MA1K4XXXXX",
            "phone": "+86 21 5555 0100",
            "email": "sales@qinghe.example",
            "bank_name": "中国银行上海浦东支行 Bank of China, Shanghai Pudong Branch",
            "bank_account": "4563 5170 0000 1234",
            "signatory": "张伟 Zhang Wei, Sales Director",
        }
    }
}


def _heading(echo: Callable[[str], None], n: int, text: str) -> None:
    echo("")
    echo(f"━━ {n}. {text} " + "━" * max(0, 70 - len(text)))


# What the demo writes into its folder, and the mark it leaves there: a folder with the mark is
# an earlier demo's, whose files a new demo may replace; any other folder's are the user's.
DEMO_FILES = ("pipeline.xlsx", "report.html", "changes.html", "documents")
DEMO_MARK = ".salessheet-demo"


def demo_folder(out: str | None) -> Path:
    """The demo's folder: a new temporary one, or ``out`` when nothing the demo writes is
    there yet (or an earlier demo wrote it). `demo --out .` beside a team's own pipeline.xlsx
    deleted the team's workbook and report.html and put the demo's in their place."""
    if not out:
        folder = Path(tempfile.mkdtemp(prefix="salessheet-demo-"))
    else:
        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise UsageError(
                f"{folder}: is a file, not a folder; nothing was changed",
                hint="give --out a folder for the demo's copy and documents",
            )
        taken = [n for n in DEMO_FILES if (folder / n).exists() or (folder / n).is_symlink()]
        if taken and not (folder / DEMO_MARK).is_file():
            raise UsageError(
                f"{folder}: already holds {', '.join(taken)}, which the demo would overwrite; "
                "nothing was changed",
                hint="give --out a new or empty folder (or one an earlier demo made), or leave "
                "--out out for a temporary folder",
            )
        folder.mkdir(parents=True, exist_ok=True)
    (folder / DEMO_MARK).write_text(
        "Made by `salessheet demo`: a later demo may replace the files it wrote here.\n",
        encoding="utf-8",
    )
    return folder


def run_demo(out: str | None = None, *, echo: Callable[[str], None] = print) -> Path:
    folder = demo_folder(out)
    workbook = folder / "pipeline.xlsx"
    if workbook.exists():
        workbook.unlink()
    shutil.copyfile(data_dir("examples") / "pipeline.xlsx", workbook)
    profile = load_profile("b2b", overrides=DEMO_SELLER)
    echo(f"salessheet demo — working on a copy: {workbook}")
    echo(
        f"(the demo pretends the nights are {NIGHT_1} and {NIGHT_2}; the example is never changed)"
    )

    _heading(echo, 1, "validate: read-only checks of the pipeline")
    report = api.validate(workbook, profile=profile, today=NIGHT_1)
    echo(render_report(report, title="validate", limit=12))

    _heading(echo, 2, f"night 1 ({NIGHT_1}): `salessheet run` seeds the stage history")
    report = api.run(workbook, profile=profile, today=NIGHT_1)
    echo(render_run(report, limit=5))

    _heading(echo, 3, "during the day a rep edits the sheet")
    p = api.open_pipeline(workbook, profile=profile, today=NIGHT_2)
    col = p.layout.col_of["stage"]
    skipper = next(d for d in p.deals if d.stage == "lead" and d.values.get("amount"))
    backer = next(d for d in p.deals if d.stage == "negotiation" and d.id != "D-0042")
    p.store.write(
        WriteBatch(
            cells=[
                CellWrite(p.sheet, skipper.row, col, "合同签订"),
                CellWrite(p.sheet, backer.row, col, "客户跟进"),
            ]
        )
    )
    echo(f"  {skipper.id}: 客户开发 (lead) → 合同签订 (contract)   — skips three stages")
    echo(f"  {backer.id}: 报价与谈判 (negotiation) → 客户跟进 (follow-up) — moves back")

    _heading(echo, 4, f"night 2 ({NIGHT_2}): the run catches both moves and writes flags")
    report = api.run(workbook, profile=profile, today=NIGHT_2)
    moves = [f for f in report.findings if f.code.endswith("transition")]
    for f in moves:
        echo(f"  {f.severity:<8} {f.code:<20} {f.deal_id}  {f.cell}  {f.message}  [{f.status}]")
    w = report.extra.get("written", {})
    echo(f"  wrote {w.get('cells', 0)} flag cells; every other byte of the workbook is unchanged")

    _heading(echo, 5, "stalled deals, worst first")
    echo(render_stalled(api.stalled(workbook, profile=profile, today=NIGHT_2), limit=10))

    extras = [
        hook(workbook, folder, profile, echo, n)
        for n, hook in enumerate((_documents, _analytics, _week), start=6)
    ]
    _heading(echo, 6 + len(extras), "what next")
    echo(f"  open the workbook:      {workbook}")
    echo(f"  check it again:         salessheet validate {workbook}")
    echo(f"  the nightly job:        salessheet run {workbook}")
    echo(f"  what changed:           salessheet changes {workbook} --days 7")
    echo("  your own pipeline:      salessheet init my-pipeline.xlsx")
    return folder


def _documents(
    workbook: Path, folder: Path, profile: Profile, echo: Callable[[str], None], n: int
) -> bool:
    try:
        import salessheet.documents.service  # noqa: F401
    except ImportError:
        return False
    _heading(echo, n, "a quote and a contract for D-0042, numbered and registered")
    out = folder / "documents"
    for kind, fmt in (
        ("quote", "html"),
        ("quote", "pdf"),
        ("contract", "pdf"),
        ("contract", "docx"),
    ):
        result = api.issue_documents(
            workbook, kind, ["D-0042"], profile=profile, today=NIGHT_2, fmt=fmt, out_dir=out
        )
        err = result.error()
        if err is not None:
            echo(f"  {kind}: {err.render()}")
        for d in result.issued:
            how = "registered" if d.registered else "same inputs: number reused"
            echo(f"  {d.number:<14} {fmt:<5} {d.currency} {d.total:>12}  {d.path.name}  ({how})")
    echo(f"  documents folder: {out}")
    echo("  the numbers are in the workbook's `salessheet documents` sheet")
    return True


def _analytics(
    workbook: Path, folder: Path, profile: Profile, echo: Callable[[str], None], n: int
) -> bool:
    try:
        from salessheet.analytics.html import render_html
        from salessheet.analytics.service import build_report
        from salessheet.analytics.text import render_text
    except ImportError:
        return False
    _heading(echo, n, "pipeline report: funnel, conversion, time in stage, forecast")
    ev = api.evaluate_source(workbook, profile=profile, today=NIGHT_2)
    rep = build_report(ev)
    html = folder / "report.html"
    html.write_text(render_html(rep), encoding="utf-8")
    echo(render_text(rep))
    echo(f"  HTML report: {html}")
    return True


# A week of edits after night 2, one night each: (what a rep did, {deal id: {field: value}}).
# None as a deal's edit blanks its row (the row is deleted); "restore" puts it back.
WEEK: list[tuple[str, dict[str, Any]]] = [
    (
        "a new deal D-0061 (¥88,000) and D-0013's amount up to ¥82,000",
        {
            "D-0061": {
                "customer": "深圳蓝海物流有限公司",
                "stage": "销售机会",
                "amount": 88000,
                "currency": "CNY",
                "owner": "李娜",
                "expected_close": dt.date(2027, 2, 15),
            },
            "D-0013": {"amount": 82000},
        },
    ),
    ("D-0030's amount down to ¥98,000", {"D-0030": {"amount": 98000}}),
    (
        "D-0042 signed (合同签订), D-0049 lost (丢单: 预算取消)",
        {
            "D-0042": {"stage": "合同签订"},
            "D-0049": {"stage": "丢单", "lost_reason": "预算取消"},
        },
    ),
    (
        "D-0028's expected close pushed to 2027-01-31, D-0051 handed from 李娜 to 王芳",
        {"D-0028": {"expected_close": dt.date(2027, 1, 31)}, "D-0051": {"owner": "王芳"}},
    ),
    ("D-0053's row deleted by mistake", {"D-0053": None}),
    ("D-0053's row put back", {"D-0053": "restore"}),
]


def _week(
    workbook: Path, folder: Path, profile: Profile, echo: Callable[[str], None], n: int
) -> bool:
    """Six more nights of edits, then `changes` over the week (text and HTML)."""
    from salessheet.analytics.changes_html import save_changes_html
    from salessheet.analytics.changes_text import render_changes

    _heading(echo, n, "a week of movement: six more nights, then `salessheet changes`")
    saved: dict[str, list[Any]] = {}
    day = NIGHT_2
    for what, edits in WEEK:
        day += dt.timedelta(days=1)
        p = api.open_pipeline(workbook, profile=profile, today=day)
        rows = {d.id: d for d in p.deals if d.id}
        cells: list[CellWrite] = []
        for deal_id, change in edits.items():
            deal = rows.get(deal_id)
            if change is None and deal is not None:
                saved[deal_id] = list(deal.raw_row[: p.layout.width])
                cells += [CellWrite(p.sheet, deal.row, c, None) for c in p.layout.col_of.values()]
            elif change == "restore":
                row = max(d.row for d in p.deals) + 1 if deal is None else deal.row
                blank = next((r for r in range(2, row) if r not in {d.row for d in p.deals}), row)
                for c, v in enumerate(saved.pop(deal_id, []), start=1):
                    if c in p.layout.col_of.values():
                        v = v.date() if isinstance(v, dt.datetime) else v
                        cells.append(CellWrite(p.sheet, blank, c, v))
            else:
                row = deal.row if deal is not None else max(d.row for d in p.deals) + 1
                values = change if deal is not None else {"deal_id": deal_id, **change}
                for field, value in values.items():
                    col = p.layout.col_of.get(field)
                    if col:
                        cells.append(CellWrite(p.sheet, row, col, value))
        p.store.write(WriteBatch(cells=cells))
        report = api.run(workbook, profile=profile, today=day)
        events = report.extra.get("events", [])
        rows_text = f"{len(events)} ledger row" + ("" if len(events) == 1 else "s")
        echo(f"  {day}: {what} → run records {rows_text}")
    result = api.changes(workbook, profile=profile, today=day, days=7)
    echo("")
    echo(render_changes(result, limit=20))
    html = save_changes_html(result, folder / "changes.html")
    echo(f"  HTML waterfall: {html}")
    return True
