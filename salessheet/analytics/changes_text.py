"""`salessheet changes` as terminal text: the waterfall, the deals behind it, the notes."""

from __future__ import annotations

from decimal import Decimal

from salessheet.analytics.changes import Changes, DealChange, Movement
from salessheet.analytics.text import table
from salessheet.core.display import clip
from salessheet.core.formatting import count, format_money

LABELS = {
    "opening": "Opening",
    "new": "+ New",
    "increased": "+ Increased",
    "decreased": "− Decreased",
    "won": "− Won",
    "lost": "− Lost",
    "pushed_out": "− Pushed out",
    "pulled_in": "+ Pulled in",
    "removed": "− Removed",
    "restored": "+ Restored",
    "reopened": "+ Reopened",
    "closing": "= Closing",
}
KIND_TEXT = {
    "new": "new",
    "increased": "amount up",
    "decreased": "amount down",
    "won": "won",
    "lost": "lost",
    "pushed_out": "pushed out",
    "pulled_in": "pulled in",
    "removed": "removed",
    "restored": "restored",
    "reopened": "reopened",
    "stage_forward": "stage forward",
    "stage_backward": "stage back",
    "owner_changed": "owner",
    "close_moved": "close moved",
}
DEAL_ROWS = 60


def money(amount: Decimal, currency: str, locale: str, signed: bool = False) -> str:
    text = format_money(abs(amount) if signed else amount, currency, locale)
    if signed and amount:
        return ("+" if amount > 0 else "−") + text
    return text


def _amount(text: str, currency: str, locale: str) -> str:
    """A ledger amount (written as text) as money; as it is when it is not a number."""
    try:
        return money(Decimal(text), currency, locale) if text else text
    except (ArithmeticError, ValueError):
        return text


def move_ends(d: DealChange, locale: str) -> tuple[str, str]:
    """A move's from and to as every rendering shows them: stages as the sheet writes them,
    an amount change as money (US$68,652.00 → US$82,000.00, not 68652 → 82000.0)."""
    if d.kind in ("increased", "decreased"):  # a cleared cell: the amount left the sums
        a, b = (_amount(x, d.currency, locale) or "(blank)" for x in (d.from_, d.to))
        return a, b
    src, dst = (d.from_label, d.to_label) if d.from_label is not None else (d.from_, d.to)
    return src or "", dst or ""


def waterfall_lines(m: Movement, locale: str, close_by: bool) -> list[str]:
    rows = []
    for key, line in m.lines.items():
        if key in ("pushed_out", "pulled_in") and not close_by:
            continue
        deals = "" if key in ("increased", "decreased") and not line.deals else str(line.deals)
        rows.append([LABELS[key], deals, money(line.amount, m.currency, locale)])
    return table(["Open pipeline " + f"({m.currency})", "Deals", "Amount"], rows, "<>>")


def render_changes(c: Changes, *, limit: int = DEAL_ROWS) -> str:
    loc = c.locale
    head = f"changes: {c.source}"
    if c.sheet:
        head += f" — sheet {c.sheet!r}, profile {c.profile}"
    lines = [head]
    if c.since_run and c.until_run:
        lines.append(
            f"Window: {c.since.isoformat() if c.since else '?'} → "
            f"{c.until.isoformat() if c.until else '?'} (after run {c.since_run.run} of "
            f"{c.since_run.date.isoformat()} → after run {c.until_run.run} of "
            f"{c.until_run.date.isoformat()})"
        )
    filters = []
    if c.close_by:
        filters.append(f"expected close on or before {c.close_by.isoformat()}")
    if c.owner is not None:
        filters.append(f"owner {c.owner}")
    if filters:
        lines.append("Only deals with " + " and ".join(filters))
    lines.append("")
    lines += waterfall_lines(c.movement, loc, c.close_by is not None)
    quiet = []
    for code, m in sorted(c.other_currencies.items()):
        if not m.moved and m.lines["opening"] == m.lines["closing"]:
            line = m.lines["closing"]
            quiet.append(f"{code} {count(line.deals, 'deal')} {money(line.amount, code, loc)}")
            continue
        lines.append("")
        lines += waterfall_lines(m, loc, c.close_by is not None)
    if quiet:
        lines += ["", "  Unchanged: " + "; ".join(quiet)]
    moves = list(c.deals)
    lines += ["", f"Deals ({len(moves)})" if moves else "No deal moved in the window."]
    rows = []
    for d in moves[: limit or None]:
        change = money(d.amount_change, d.currency, loc, signed=True) if d.amount_change else ""
        src, dst = move_ends(d, loc)
        what = f"{src} → {dst}" if src or dst else ""
        rows.append(
            [d.date.isoformat(), d.run, d.deal_id, KIND_TEXT.get(d.kind, d.kind), what, change]
        )
    if rows:
        lines += table(
            ["Date", "Run", "Deal", "What", "From → to", "Amount"],
            [[clip(x, 40) for x in r] for r in rows],
            "<<<<<>",
        )
        if limit and len(moves) > limit:
            lines.append(f"  … and {len(moves) - limit} more (--format json lists every deal)")
    if c.notes:
        lines += ["", "Notes"]
        lines += [f"  - {n}" for n in c.notes]
    return "\n".join(lines)
