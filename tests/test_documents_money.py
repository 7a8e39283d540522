"""Document money: Decimal math, rounded once per line and once per tax group, both tax modes."""

from decimal import Decimal as D

import pytest

from salessheet.documents.money import LineItem, compute_totals, line_total


def test_line_total_rounds_half_up_once() -> None:
    # 3 x 19.99 x 0.9 = 53.973 -> 53.97 ; 1 x 0.125 -> 0.13 (half up, not banker's)
    assert line_total(LineItem(D("3"), D("19.99"), D("0.1")), "CNY") == D("53.97")
    assert line_total(LineItem(D("1"), D("0.125")), "CNY") == D("0.13")
    assert line_total(LineItem(D("1"), D("0.135")), "CNY") == D("0.14")
    assert line_total(LineItem(D("2.5"), D("3.3333")), "CNY") == D("8.33")
    assert line_total(LineItem(D("3"), D("333.5")), "JPY") == D("1001")  # 1000.5 -> 1001


def test_no_float_noise_over_many_lines() -> None:
    items = [LineItem(D("1"), D("0.10"))] * 10
    totals = compute_totals(items, "CNY")
    assert totals.subtotal == D("1.00")
    assert str(totals.total) == "1.00"


def test_tax_exclusive_prices() -> None:
    items = [
        LineItem(D("3"), D("19.99"), D("0.1"), D("0.13")),  # 53.97
        LineItem(D("2.5"), D("100"), D("0"), D("0.06")),  # 250.00
    ]
    t = compute_totals(items, "CNY", tax_mode="exclusive")
    assert [p.total for p in t.lines] == [D("53.97"), D("250.00")]
    assert t.subtotal == D("303.97")
    assert [(x.rate, x.base, x.tax) for x in t.tax_lines] == [
        (D("0.13"), D("53.97"), D("7.02")),  # 7.0161 -> 7.02
        (D("0.06"), D("250.00"), D("15.00")),
    ]
    assert t.tax == D("22.02")
    assert t.net == D("303.97")
    assert t.total == D("325.99")


def test_tax_inclusive_prices_extract_the_tax() -> None:
    # 含税价: 11,300.00 at 13% contains 1,300.00 of VAT
    t = compute_totals(
        [LineItem(D("1"), D("11300"), tax_rate=D("0.13"))], "CNY", tax_mode="inclusive"
    )
    assert t.total == D("11300.00")
    assert t.tax == D("1300.00")
    assert t.net == D("10000.00")
    assert t.subtotal == D("11300.00")


def test_document_discount_per_tax_group() -> None:
    items = [
        LineItem(D("3"), D("19.99"), D("0.1"), D("0.13")),  # 53.97
        LineItem(D("2.5"), D("100"), D("0"), D("0.06")),  # 250.00
    ]
    t = compute_totals(items, "CNY", tax_mode="inclusive", discount_rate=D("0.05"))
    # 53.97 x 5% = 2.6985 -> 2.70 ; 250 x 5% = 12.50
    assert t.discount == D("15.20")
    assert t.total == D("288.77")  # 303.97 - 15.20
    # 51.27 x 0.13/1.13 = 5.898 -> 5.90 ; 237.50 x 0.06/1.06 = 13.443 -> 13.44
    assert [x.tax for x in t.tax_lines] == [D("5.90"), D("13.44")]
    assert t.tax == D("19.34")
    assert t.net == D("269.43")
    ex = compute_totals(items, "CNY", tax_mode="exclusive", discount_rate=D("0.05"))
    assert ex.net == D("288.77")
    assert ex.tax == D("6.67") + D("14.25")  # 51.27 x 13% = 6.6651 ; 237.50 x 6% = 14.25
    assert ex.total == D("309.69")


def test_unknown_tax_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="tax mode"):
        compute_totals([], "CNY", tax_mode="gross")
