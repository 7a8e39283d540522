"""What `run` adds to its report for people: the "since last run" movement the nightly digest
shows (new, won, lost, pushed, big amount changes), and the forecast snapshot it records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from salessheet.analytics.changes import DealChange, movement, name_stages
from salessheet.core.money import round_money
from salessheet.history.transitions import current_rows

DEFAULT_THRESHOLD = 20.0


def since_last_run(
    evaluation: Any, threshold_percent: float | None = None
) -> dict[str, Any] | None:
    """The movement between the previous run and this one; None only when there is no
    previous run to compare with (the first run).

    A run that records nothing new is one of two kinds. A re-run on the day of the ledger's
    last run (after a failure such as a write Google applied but whose answer was lost, so
    the night's digest never went out) reports that last run's movement, against the run
    before it, with ``"rerun_of"`` naming it: the re-run sends what the failed night would
    have. Any other night reports that nothing moved since the last run (empty lists, the
    pipeline the same before and after), so the digest says so instead of leaving the
    section out."""
    ledger = evaluation.new_ledger
    runs = ledger.runs()
    p = evaluation.pipeline
    rerun_of = None
    if evaluation.events:
        between = (len(runs) - 2, len(runs) - 1)  # the previous run and this one
    elif runs and runs[-1][1] == p.today:
        between, rerun_of = (len(runs) - 2, len(runs) - 1), runs[-1][0]
    else:
        between = (len(runs) - 1, len(runs) - 1)  # nothing recorded: nothing moved since
    if between[0] < 0:
        return None
    if threshold_percent is None:
        settings = getattr(p.profile, "notifications", None)
        threshold_percent = getattr(settings, "amount_change_percent", DEFAULT_THRESHOLD)
    owners = {i: str(d.values.get("owner") or "").strip() for i, d in current_rows(p).items()}
    c = movement(ledger, p.profile, runs_between=between, sheet_owners=owners)
    rows = current_rows(p)
    stages = {d_id: d.stage for d_id, d in rows.items()}
    names = p.stage_names  # ids stay the keys; the labels are the sheet's words for people
    name_stages(c.deals, names)

    def base(d: DealChange) -> dict[str, Any]:
        return {"deal_id": d.deal_id, "owner": d.owner or None, "currency": d.currency}

    def amount(x: Decimal, currency: str) -> str:
        return str(round_money(abs(x), currency))

    out: dict[str, Any] = {
        "since": c.since_run.to_dict() if c.since_run else None,
        "until": c.until_run.to_dict() if c.until_run else None,
        "currency": c.currency,
        "movement": c.movement.to_dict(),
        "threshold_percent": threshold_percent,
        "new": [],
        "won": [],
        "lost": [],
        "pushed": [],
        "amount_changes": [],
    }
    if rerun_of is not None:
        out["rerun_of"] = rerun_of
    elif not evaluation.events:  # this run recorded no run of its own: until is today
        out["until"] = {"run": None, "date": p.today.isoformat()}
    for d in c.deals:
        if d.kind == "new":
            row = rows.get(d.deal_id)
            out["new"].append(
                base(d)
                | {
                    "stage": d.to,
                    "stage_label": names.of(row) if row and row.stage == d.to else d.to_label,
                    "amount": amount(d.amount_change, d.currency),
                }
            )
        elif d.kind in ("won", "lost"):
            row = rows.get(d.deal_id)
            out[d.kind].append(
                base(d)
                | {
                    "from": d.from_,
                    "to": d.to,
                    "from_label": d.from_label,
                    "to_label": names.of(row) if row and row.stage == d.to else d.to_label,
                    "amount": amount(d.amount_change, d.currency),
                }
            )
        elif d.kind in ("close_moved", "pushed_out") and _later(d.from_, d.to):
            row = rows.get(d.deal_id)
            out["pushed"].append(
                base(d)
                | {
                    "from": d.from_,
                    "to": d.to or None,
                    "stage": stages.get(d.deal_id),
                    "stage_label": names.of(row) if row else None,
                }
            )
        elif d.kind in ("increased", "decreased"):
            before = d.before or Decimal(0)
            percent = None if not before else float(d.amount_change / before * 100)
            if percent is None or abs(percent) >= threshold_percent:
                out["amount_changes"].append(
                    base(d)
                    | {
                        "from": d.from_,
                        "to": d.to,
                        "change": str(round_money(d.amount_change, d.currency)),
                        "percent": None if percent is None else round(percent, 1),
                    }
                )
    return out


def _later(old: str, new: str) -> bool:
    """True if an expected close moved later (or was cleared)."""
    try:
        a = dt.date.fromisoformat(old) if old else None
        b = dt.date.fromisoformat(new) if new else None
    except ValueError:
        return False
    return a is not None and (b is None or b > a)
