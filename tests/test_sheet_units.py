"""Units in money headers: scale and currency taken exactly, non-units reported, never applied."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salessheet.sheet.units import HeaderUnit, describe, parse_header_unit

D = Decimal


@pytest.mark.parametrize(
    ("header", "base", "scale", "currency"),
    [
        # the forms the brief names
        ("预计金额（万元）", "预计金额", D(10_000), "CNY"),
        ("Amount (USD)", "Amount", D(1), "USD"),
        ("Deal Value ($000s)", "Deal Value", D(1_000), "USD"),
        ("Revenue, $M", "Revenue", D(1_000_000), "USD"),
        ("Amount in thousands", "Amount", D(1_000), None),
        ("金额(元)", "金额", D(1), "CNY"),
        # more scales: 千/k/K/'000/(000s), 亿, mn/MM/million, bn
        ("金额（千元）", "金额", D(1_000), "CNY"),
        ("合同额（亿元）", "合同额", D(100_000_000), "CNY"),
        ("预计金额 (万)", "预计金额", D(10_000), None),
        ("Amount (k)", "Amount", D(1_000), None),
        ("Amount (K)", "Amount", D(1_000), None),
        ("Value ('000)", "Value", D(1_000), None),
        ("Amount (000s)", "Amount", D(1_000), None),
        ("Pipeline (USD mn)", "Pipeline", D(1_000_000), "USD"),
        ("Pipeline (MM)", "Pipeline", D(1_000_000), None),
        ("Deal Value, millions USD", "Deal Value", D(1_000_000), "USD"),
        ("Bookings ($bn)", "Bookings", D(1_000_000_000), "USD"),
        ("Amount (x 1,000)", "Amount", D(1_000), None),
        # currencies by code, symbol and word, in brackets or after a separator
        ("amount_usd", "amount", D(1), "USD"),
        ("Amount USD", "Amount", D(1), "USD"),
        ("Amount in EUR", "Amount", D(1), "EUR"),
        ("Amount [EUR]", "Amount", D(1), "EUR"),
        ("Amount (RMB)", "Amount", D(1), "CNY"),
        ("金额（人民币）", "金额", D(1), "CNY"),
        ("Price (£)", "Price", D(1), "GBP"),
        ("Revenue (US$ mn)", "Revenue", D(1_000_000), "USD"),
        ("Valor (R$)", "Valor", D(1), "BRL"),
        # German and Spanish thousands
        ("Umsatz (TEUR)", "Umsatz", D(1_000), "EUR"),
        ("Betrag (Tsd. €)", "Betrag", D(1_000), "EUR"),
        ("Montant (k€)", "Montant", D(1_000), "EUR"),
        ("Importe (miles de €)", "Importe", D(1_000), "EUR"),
        # Chinese unit glued or labelled
        ("金额万元", "金额", D(10_000), "CNY"),
        ("合同金额（单位：万元）", "合同金额", D(10_000), "CNY"),
        # a percent header: values are 0–100
        ("Probability (%)", "Probability", D("0.01"), None),
        ("Win %", "Win", D("0.01"), None),
    ],
)
def test_units_in_headers(header, base, scale, currency):
    unit = parse_header_unit(header)
    assert unit == HeaderUnit(base, scale, currency, None)
    assert isinstance(unit.scale, Decimal)


@pytest.mark.parametrize(
    ("header", "base", "remark"),
    [
        ("Amount (incl. VAT)", "Amount", "(incl. VAT)"),
        ("金额（含税）", "金额", "(含税)"),
        ("Amount (USD/EUR)", "Amount", "(USD/EUR)"),  # two currencies: not one unit
        ("Win Rate (Lead)", "Win Rate", "(Lead)"),
        ("Amount (kg)", "Amount", "(kg)"),  # k + an unknown letter is no scale
    ],
)
def test_bracketed_text_that_is_not_a_unit_is_reported_never_applied(header, base, remark):
    unit = parse_header_unit(header)
    assert (unit.base, unit.scale, unit.currency) == (base, Decimal(1), None)
    assert unit.note is not None and unit.note.startswith(remark)
    assert "not a unit" in unit.note


def test_a_unit_next_to_a_remark_is_still_read():
    unit = parse_header_unit("Amount (USD) (incl. VAT)")
    assert (unit.base, unit.scale, unit.currency) == ("Amount", Decimal(1), "USD")
    assert unit.note is not None and unit.note.startswith("(incl. VAT)")


@pytest.mark.parametrize(
    "header",
    [
        "Amount",
        "Sales Amount",
        "Close Date",
        "Deal - Value",
        "Risk_>45_days",
        "hubspot_owner_id",
        "Amount k",  # a bare letter after a space is a word, not a scale
        "Sales all",  # a lower-case word that is also an ISO code (ALL) is a word
        "Pipeline top",
    ],
)
def test_headers_without_a_unit_come_back_unchanged(header):
    unit = parse_header_unit(header)
    assert unit == HeaderUnit(header, Decimal(1), None, None)
    assert not unit.has_unit


def test_full_width_and_spaces_are_normalised_in_the_base():
    assert parse_header_unit(" invoice_amount_local ").base == "invoice_amount_local"
    assert parse_header_unit("预计金额（万元）").base == parse_header_unit("预计金额(万元)").base


def test_scale_is_exact_for_the_mapper():
    """10⁴ × a Decimal amount is exact: 12.34 万元 = 123,400 yuan to the cent."""
    unit = parse_header_unit("预计金额（万元）")
    assert Decimal("12.34") * unit.scale == Decimal("123400.00")
    assert Decimal("0.0001") * unit.scale == Decimal("1")


def test_describe_says_the_unit_in_words():
    assert describe(parse_header_unit("预计金额（万元）")) == "× 10,000 CNY"
    assert describe(parse_header_unit("Probability (%)")) == "÷ 100 (percent)"
    assert describe(parse_header_unit("Amount")) == "no unit"
