"""Every cell parser either returns a value of its type or raises ParseFailure (which becomes a
``bad-value`` finding naming the cell), whatever the cell holds: any text, any float (NaN, the
infinities, 1e308), any int (thousands of digits), dates, booleans, error values. Anything else
escaping a parser would end a whole run as an internal error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salessheet.core.cells import CellError
from salessheet.sheet.parsing import (
    MAX_MAGNITUDE,
    ParseContext,
    ParseFailure,
    numeric_date_kind,
    parse_date,
    parse_id,
    parse_money,
    parse_number,
    parse_numeric_date,
    parse_percent,
    parse_text,
    read_order,
)
from salessheet.sheet.table import ColumnSpec, column_parser

CONTEXTS = [
    ParseContext(),
    ParseContext(
        locale="de_DE", currency="EUR", date_formats=["%d.%m.%Y", "%Y年%m月%d日", "%m/%d/%y"]
    ),
]

# text that looks like what a parser expects, plus anything at all
number_like = st.from_regex(r"\A[-−(]?[¥$€£]?\s?[\d.,' ]{0,40}\s?(元|USD|%|\))?\Z")
date_like = st.from_regex(r"\A\d{1,6}[-/.年]\d{1,3}[-/.月]\d{1,3}日?( \d{1,2}:\d{2})?\Z")
numeric_date = st.from_regex(r"\A\s?\d{1,5}[-/.]\d{1,3}[-/.]\d{1,5}([ T]\d{1,2}:\d{2}(:\d{2})?)?\Z")
long_digits = st.integers(min_value=20, max_value=6000).map(lambda n: "9" * n)
texts = st.one_of(
    st.text(),
    number_like,
    date_like,
    numeric_date,
    long_digits,
    long_digits.map(lambda t: t + ".5"),
)
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e28, -1e15, 1e308, 5e-324]),
)
ints = st.one_of(
    st.integers(),
    st.integers(min_value=10**17, max_value=10**40),
    st.sampled_from([10**5000, -(10**5000), 10**30]),
)
others = st.one_of(
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.sampled_from([CellError("#N/A"), CellError("#SPILL!")]),
)
cells = st.one_of(texts, floats, ints, others)


def _one(parser, value, ctx):  # noqa: ANN001, ANN202
    return parser(value, ctx) if ctx is not None else parser(value)


def _in_order(order: str):  # noqa: ANN202
    return lambda value, ctx: parse_date(value, ctx, order)


def _scaled(scale: Decimal):  # noqa: ANN202 - a money column whose header says 万 / 亿
    return lambda value, ctx: column_parser(ColumnSpec("amount", [], "money"), ctx, scale)(value)


PARSERS = [
    ("money", parse_money, True),
    ("money", _scaled(Decimal(10**4)), True),
    ("money", _scaled(Decimal(10**8)), True),
    ("money", _scaled(Decimal("0.001")), True),
    ("number", parse_number, True),
    ("percent", parse_percent, True),
    ("date", parse_date, True),
    ("date", _in_order("dmy"), True),
    ("date", _in_order("mdy"), True),
    ("date", _in_order("ymd"), True),
    ("date", lambda value, ctx: parse_numeric_date(value, "dmy"), True),
    ("id", parse_id, False),
    ("text", parse_text, False),
]
IDS = [
    "money", "money×1e4", "money×1e8", "money×0.001", "number", "percent", "date",
    "date-dmy", "date-mdy", "date-ymd", "numeric-date", "id", "text",
]  # fmt: skip


@pytest.mark.parametrize("name, parser, takes_ctx", PARSERS, ids=IDS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=cells, which=st.sampled_from(range(len(CONTEXTS))))
def test_a_parser_returns_a_value_or_a_parse_failure(name, parser, takes_ctx, value, which):  # noqa: ANN001
    ctx = CONTEXTS[which] if takes_ctx else None
    try:
        got = _one(parser, value, ctx)
    except ParseFailure:
        return
    if name == "money":
        number, mark = got
        assert isinstance(number, Decimal) and number.is_finite()
        assert abs(number) < MAX_MAGNITUDE and mark in (
            None,
            "CNY",
            "USD",
            "EUR",
            "GBP",
            "HKD",
            "JPY",
        )
        number.quantize(Decimal("0.01"))  # what documents and reports do with it: never fails
    elif name in ("number", "percent"):
        assert isinstance(got, Decimal) and got.is_finite()
    elif name == "date":
        assert type(got) is dt.date
    else:
        assert isinstance(got, str)


@settings(max_examples=500, deadline=None)
@given(value=cells)
def test_classifying_a_date_text_never_fails(value) -> None:  # noqa: ANN001
    kind = numeric_date_kind(value)  # type: ignore[arg-type]
    assert kind in (None, "dmy", "mdy", "either")
    assert read_order(value, dt.date(2017, 2, 1)) in (None, "dmy", "mdy")  # type: ignore[arg-type]


def test_numeric_dates_read_in_the_column_order() -> None:
    assert parse_numeric_date("1/08/26", "dmy") == dt.date(2026, 8, 1)
    assert parse_numeric_date("1/08/26", "mdy") == dt.date(2026, 1, 8)
    assert parse_numeric_date("2017.1.2", "dmy") == dt.date(2017, 1, 2)  # 4 digits: the year
    assert parse_numeric_date("30/05/2026 13:45", "dmy") == dt.date(2026, 5, 30)
    assert parse_numeric_date("02-01-99", "dmy") == dt.date(1999, 1, 2)  # %y's pivot
    with pytest.raises(ParseFailure, match="no such date in mdy order"):
        parse_numeric_date("25/03/17", "mdy")
    assert [numeric_date_kind(t) for t in ("25-03-17", "03-25-17", "02-01-17", "2017-1-2")] == [
        "dmy",
        "mdy",
        "either",
        None,
    ]


BEYOND = [1e28, -1e28, 1e18, "9" * 5000, "1" + "0" * 30, 10**5000, float("inf"), float("nan")]


@pytest.mark.parametrize("value", BEYOND, ids=range(len(BEYOND)))
def test_amounts_beyond_any_deal_are_a_parse_failure(value: object) -> None:
    with pytest.raises(ParseFailure):
        parse_money(value, ParseContext())


def test_amounts_up_to_a_quintillion_still_read() -> None:
    assert parse_money(999_999_999_999_999_999, ParseContext()) == (
        Decimal(999_999_999_999_999_999),
        None,
    )
    assert parse_money("¥123,456,789,012.50", ParseContext()) == (Decimal("123456789012.50"), "CNY")
    assert parse_money(1.5e17, ParseContext())[0] == Decimal("150000000000000000")


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), -float("inf"), 10**5000],
    ids=["nan", "inf", "-inf", "huge"],
)
def test_ids_and_texts_never_show_nan_or_fail_on_huge_numbers(value: object) -> None:
    with pytest.raises(ParseFailure):
        parse_id(value)  # type: ignore[arg-type]
    with pytest.raises(ParseFailure):
        parse_text(value)  # type: ignore[arg-type]


def test_a_nan_date_is_a_parse_failure_not_the_excel_epoch() -> None:
    for value in (float("nan"), "NaN", "nan", float("-inf"), -1e15, "-1e15"):
        with pytest.raises(ParseFailure):
            parse_date(value, ParseContext())
