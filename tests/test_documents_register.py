"""Register numbering: per kind per year, reuse on same inputs, revisions on change."""

import datetime as dt
from decimal import Decimal

from salessheet.core.cells import RawSheet
from salessheet.documents.register import Register
from salessheet.settings.documents import REGISTER_HEADER

PATTERN = "Q-{year}-{seq:04d}"
DAY = dt.date(2026, 11, 28)


def issue(reg: Register, deal: str, h: str, today=DAY, kind="quote", pattern=PATTERN):
    a = reg.assign(
        kind=kind,
        deal_id=deal,
        pattern=pattern,
        today=today,
        input_hash=h,
        valid_until=today + dt.timedelta(days=30),
    )
    if a.new_row:
        reg.add(
            assignment=a,
            deal_id=deal,
            kind=kind,
            currency="CNY",
            subtotal=Decimal("1.00"),
            tax=Decimal("0.13"),
            total=Decimal("1.13"),
            input_hash=h,
            file=f"{a.display_number}.html",
        )
    return a


def test_sequence_per_kind_and_year() -> None:
    reg = Register()
    assert issue(reg, "D-1", "a").display_number == "Q-2026-0001"
    assert issue(reg, "D-2", "b").display_number == "Q-2026-0002"
    assert issue(reg, "D-1", "c", kind="contract", pattern="HT-{year}-{seq:04d}").number == (
        "HT-2026-0001"
    )
    assert issue(reg, "D-3", "d", today=dt.date(2027, 1, 2)).number == "Q-2027-0001"
    assert issue(reg, "D-4", "e", today=dt.date(2027, 1, 3)).number == "Q-2027-0002"
    rows = reg.rows_for_write()
    assert rows[0] == REGISTER_HEADER
    assert [r[0] for r in rows[1:]] == [
        "Q-2026-0001",
        "Q-2026-0002",
        "HT-2026-0001",
        "Q-2027-0001",
        "Q-2027-0002",
    ]


def test_same_inputs_reuse_the_number_and_add_no_row() -> None:
    reg = Register()
    first = issue(reg, "D-1", "same")
    reg.changed = False
    again = issue(reg, "D-1", "same", today=DAY + dt.timedelta(days=3))
    assert (again.number, again.revision, again.new_row) == (first.number, 1, False)
    assert again.issue_date == DAY  # the document keeps its original dates
    assert again.valid_until == DAY + dt.timedelta(days=30)
    assert not reg.changed
    assert len(reg.rows) == 1


def test_changed_inputs_make_a_revision_of_the_same_number() -> None:
    reg = Register()
    issue(reg, "D-1", "v1")
    r2 = issue(reg, "D-1", "v2", today=DAY + dt.timedelta(days=1))
    assert (r2.number, r2.revision, r2.display_number) == ("Q-2026-0001", 2, "Q-2026-0001-R2")
    r3 = issue(reg, "D-1", "v3")
    assert r3.display_number == "Q-2026-0001-R3"
    # going back to v1 is a change against the latest revision: a new revision, not R1
    assert issue(reg, "D-1", "v1").display_number == "Q-2026-0001-R4"
    assert issue(reg, "D-2", "x").display_number == "Q-2026-0002"


def test_an_expired_quote_is_reissued_as_a_revision() -> None:
    reg = Register()
    issue(reg, "D-1", "same")
    later = issue(reg, "D-1", "same", today=DAY + dt.timedelta(days=45))
    assert later.display_number == "Q-2026-0001-R2"
    assert later.valid_until == DAY + dt.timedelta(days=75)


def test_reads_a_register_as_a_store_returns_it() -> None:
    # xlsx read back: floats for numbers, datetimes or ISO text for dates, extra user column
    sheet = RawSheet(
        "salessheet documents",
        [
            REGISTER_HEADER + ["note"],
            [
                "Q-2026-0007",
                2.0,
                "D-9",
                "quote",
                dt.datetime(2026, 3, 1),
                "2026-03-31",
                "CNY",
                100.0,
                13.0,
                113.0,
                "abc",
                "Q-2026-0007-R2_X.pdf",
                "keep me",
            ],
            [None] * 13,
        ],
    )
    reg = Register(sheet)
    latest = reg.latest("D-9", "quote")
    assert latest is not None and latest.revision == 2
    assert latest.issue_date == dt.date(2026, 3, 1)
    assert latest.valid_until == dt.date(2026, 3, 31)
    same = reg.assign(
        kind="quote",
        deal_id="D-9",
        pattern=PATTERN,
        today=dt.date(2026, 3, 5),
        input_hash="abc",
        valid_until=dt.date(2026, 4, 4),
    )
    assert (same.display_number, same.new_row) == ("Q-2026-0007-R2", False)
    nxt = reg.next_number("quote", PATTERN, dt.date(2026, 5, 1))
    assert nxt == "Q-2026-0008"
    rows = reg.rows_for_write()
    assert rows[1][-1] == "keep me"  # a column the tool does not know is kept
    assert len(rows) == 2  # trailing blank rows dropped


def test_numbers_never_collide_when_the_pattern_changes() -> None:
    reg = Register()
    issue(reg, "D-1", "a", pattern="Q{seq}")
    issue(reg, "D-2", "b", pattern="Q{seq}")
    assert reg.next_number("quote", "Q{seq}", DAY) == "Q3"
    assert reg.next_number("quote", "Q-{year}-{seq:04d}", DAY) == "Q-2026-0001"
