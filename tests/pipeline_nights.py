"""Ten simulated nights of a sales team's edits, shared by the workbook and Google Sheets tests
of field history, `changes`, forecast snapshots and forecast accuracy.

Deals (b2b profile: lead 10 %, opportunity 25 %, follow-up 40 %, negotiation 60 %):

=====  ===========  ======  =====  ============  ==============================================
deal   stage        amount  owner  close         what happens
=====  ===========  ======  =====  ============  ==============================================
A      lead         1000    Ann    2026-10-20    amount up to 1500 (N2), handed to Bob (N5)
B      negotiation  5000    Bob    2026-10-15    won (N3)
C      opportunity  2000    Ann    2026-11-10    close pulled in to 2026-10-28 (N4), won (N9)
D      follow_up    3000    Bob    2026-10-25    amount down to 2400 (N3), lost (N5)
E      negotiation  4000    Cy     2026-10-30    close pushed out to 2026-11-20 (N4), won (N10)
F      (new, N2)    800     Cy     2026-10-28    row deleted (N6), put back (N7)
=====  ===========  ======  =====  ============  ==============================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close", "Lost Reason"]
D = dt.date

Deals = dict[str, list[Any]]  # id -> [customer, stage, amount, owner, close, lost reason]


def start() -> Deals:
    return {
        "A": ["Acme", "Lead", 1000, "Ann", D(2026, 10, 20), None],
        "B": ["Beta", "Negotiation", 5000, "Bob", D(2026, 10, 15), None],
        "C": ["Gamma", "Opportunity", 2000, "Ann", D(2026, 11, 10), None],
        "D": ["Delta", "Follow-up", 3000, "Bob", D(2026, 10, 25), None],
        "E": ["Echo", "Negotiation", 4000, "Cy", D(2026, 10, 30), None],
    }


_saved: dict[str, list[Any]] = {}


def _n2(d: Deals) -> None:
    d["F"] = ["Foxtrot", "Lead", 800, "Cy", D(2026, 10, 28), None]
    d["A"][2] = 1500


def _n3(d: Deals) -> None:
    d["B"][1] = "Contract"
    d["D"][2] = 2400


def _n4(d: Deals) -> None:
    d["C"][4] = D(2026, 10, 28)
    d["E"][4] = D(2026, 11, 20)


def _n5(d: Deals) -> None:
    d["D"][1], d["D"][5] = "Lost", "budget cut"
    d["A"][3] = "Bob"


def _n6(d: Deals) -> None:
    _saved["F"] = d.pop("F")


def _n7(d: Deals) -> None:
    d["F"] = _saved.pop("F")


def _n9(d: Deals) -> None:
    d["C"][1] = "Contract"


def _n10(d: Deals) -> None:
    d["E"][1] = "Contract"


def _nothing(d: Deals) -> None:
    pass


# (night, the day's edits before that night's run)
NIGHTS: list[tuple[dt.date, Callable[[Deals], None]]] = [
    (D(2026, 9, 28), _nothing),  # N1: the first run
    (D(2026, 9, 29), _n2),
    (D(2026, 9, 30), _n3),
    (D(2026, 10, 1), _n4),
    (D(2026, 10, 2), _n5),
    (D(2026, 10, 3), _n6),
    (D(2026, 10, 4), _n7),
    (D(2026, 10, 24), _nothing),  # N8: a quiet night
    (D(2026, 10, 27), _n9),
    (D(2026, 11, 2), _n10),
]


def rows(deals: Deals) -> list[list[Any]]:
    return [HEADER] + [[deal_id, *values] for deal_id, values in deals.items()]


def m(deals: int, amount: str) -> dict[str, Any]:
    return {"deals": deals, "amount": amount}


# `changes --since 2026-09-28 --until 2026-10-04` (N1 -> N7)
WEEK_MOVEMENT = {
    "opening": m(5, "15000.00"),
    "new": m(1, "800.00"),
    "increased": m(1, "500.00"),
    "decreased": m(1, "600.00"),
    "won": m(1, "5000.00"),
    "lost": m(1, "2400.00"),
    "pushed_out": m(0, "0.00"),
    "pulled_in": m(0, "0.00"),
    "removed": m(1, "800.00"),
    "restored": m(1, "800.00"),
    "reopened": m(0, "0.00"),
    "closing": m(4, "8300.00"),
}
WEEK_DEALS = [
    ("A", "increased", "1000", "1500", "500.00", "2026-09-29", "R0002"),
    ("F", "new", "", "lead", "800.00", "2026-09-29", "R0002"),
    ("B", "won", "negotiation", "contract", "-5000.00", "2026-09-30", "R0003"),
    ("D", "decreased", "3000", "2400", "-600.00", "2026-09-30", "R0003"),
    ("C", "close_moved", "2026-11-10", "2026-10-28", "0.00", "2026-10-01", "R0004"),
    ("E", "close_moved", "2026-10-30", "2026-11-20", "0.00", "2026-10-01", "R0004"),
    ("A", "owner_changed", "Ann", "Bob", "0.00", "2026-10-02", "R0005"),
    ("D", "lost", "follow_up", "lost", "-2400.00", "2026-10-02", "R0005"),
    ("F", "removed", "lead", "", "-800.00", "2026-10-03", "R0006"),
    ("F", "restored", "", "lead", "800.00", "2026-10-04", "R0007"),
]
# the quiet night N8 records no ledger row, so N9 is run R0008 and N10 run R0009
# the same window, --close-by 2026-10-31
CLOSE_BY_MOVEMENT = {
    **WEEK_MOVEMENT,
    "opening": m(4, "13000.00"),
    "pushed_out": m(1, "4000.00"),
    "pulled_in": m(1, "2000.00"),
    "closing": m(3, "4300.00"),
}
# the same window, --owner Bob (A counts as Bob's: his at the end of the window)
BOB_MOVEMENT = {
    **{k: m(0, "0.00") for k in WEEK_MOVEMENT},
    "opening": m(3, "9000.00"),
    "increased": m(1, "500.00"),
    "decreased": m(1, "600.00"),
    "won": m(1, "5000.00"),
    "lost": m(1, "2400.00"),
    "closing": m(1, "1500.00"),
}
# `salessheet forecast` after N10 (2026-11-02): the newest snapshot whole; 2026-10-03 (the
# last one on or before the 4-weeks-before-October scoring day; its week's others thinned
# out) with October only; 2026-10-24 and 10-27 (within 14 days) with October and November
FORECAST_SHEET = [
    ["Snapshot", "Owner", "Close Month", "Currency", "Deals", "Amount", "Weighted"],
    ["2026-10-03", "Ann", "2026-10", "CNY", 1, 2000, 500],
    ["2026-10-03", "Bob", "2026-10", "CNY", 1, 1500, 150],
    ["2026-10-24", "Ann", "2026-10", "CNY", 1, 2000, 500],
    ["2026-10-24", "Bob", "2026-10", "CNY", 1, 1500, 150],
    ["2026-10-24", "Cy", "2026-10", "CNY", 1, 800, 80],
    ["2026-10-24", "Cy", "2026-11", "CNY", 1, 4000, 2400],
    ["2026-10-27", "Bob", "2026-10", "CNY", 1, 1500, 150],
    ["2026-10-27", "Cy", "2026-10", "CNY", 1, 800, 80],
    ["2026-10-27", "Cy", "2026-11", "CNY", 1, 4000, 2400],
    ["2026-11-02", None, "2026-11", "CNY", 0, 0, 0],  # nothing expected in November: zeros
    ["2026-11-02", "Bob", "overdue", "CNY", 1, 1500, 150],
    ["2026-11-02", "Cy", "overdue", "CNY", 1, 800, 80],
]
# report --today 2026-11-02: October (won: C, 2000, Ann's) against the forecasts of
# 2026-10-24 (1 week before its end) and 2026-10-03 (4 weeks); none 8 weeks before
OCTOBER = {
    "month": "2026-10",
    "won": {"deals": 1, "amount": "2000.00"},
    "forecasts": [
        {
            "weeks": 1,
            "snapshot": "2026-10-24",
            "deals": 3,
            "weighted": "730.00",
            "unweighted": "4300.00",
            "error_percent": -63.5,
            "error_percent_unweighted": 115.0,
        },
        {
            "weeks": 4,
            "snapshot": "2026-10-03",
            "deals": 2,
            "weighted": "650.00",
            "unweighted": "3500.00",
            "error_percent": -67.5,
            "error_percent_unweighted": 75.0,
        },
        {
            "weeks": 8,
            "snapshot": None,
            "deals": 0,
            "weighted": None,
            "unweighted": None,
            "error_percent": None,
            "error_percent_unweighted": None,
        },
    ],
}
