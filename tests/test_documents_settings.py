"""The documents: section of a profile: defaults that work, and problems that name the key."""

from decimal import Decimal
from pathlib import Path

import yaml

from salessheet.settings.documents import parse_document_settings

REPO = Path(__file__).resolve().parents[1]


def test_absent_section_gives_working_defaults() -> None:
    settings, problems = parse_document_settings(None, "config/b2b.yaml")
    assert problems == []
    assert settings.kind("quote").numbering == "Q-{year}-{seq:04d}"
    assert settings.kind("contract").numbering == "HT-{year}-{seq:04d}"
    assert settings.tax_mode == "exclusive"
    assert settings.reconcile_tolerance == Decimal(0)
    for kind in ("quote", "contract"):
        for lang in ("en", "zh"):
            for fmt in ("html", "docx"):
                assert settings.kind(kind).templates[lang][fmt].is_file()


def test_example_yaml_parses_cleanly() -> None:
    data = yaml.safe_load((REPO / "templates" / "documents.example.yaml").read_text("utf-8"))
    settings, problems = parse_document_settings(
        data["documents"], "ex.yaml", stage_ids=["opportunity", "follow_up", "negotiation"]
    )
    assert problems == []
    assert settings.tax_mode == "inclusive"
    assert settings.default_tax_rate == Decimal("0.13")
    assert settings.seller.bank_account == "4563 5170 0000 1234"
    assert settings.line_item_columns["quantity"][1][0] == "Menge"
    assert "数量" in settings.line_item_columns["quantity"][1]


def test_every_problem_names_the_key_path_found_and_expected(tmp_path: Path) -> None:
    raw = {
        "seller": {"name": "", "fax": "1"},
        "validity_days": -3,
        "tax_mode": "gross",
        "default_tax_rate": "130%",
        "reconcile": {"tolerance": "a cent"},
        "quote": {"numbering": "Q/{year}/{n}", "stages": {"from": "opp"}},
        "contract": {"numbering": "HT-{year}", "templates": {"zh": {"html": "nope.html"}}},
        "line_items": {"columns": {"qty": ["Menge"]}},
        "colour": "blue",
    }
    _, problems = parse_document_settings(
        raw, "my.yaml", base_dir=tmp_path, stage_ids=["opportunity", "negotiation"]
    )
    text = "\n".join(problems)
    expected = [
        "my.yaml: documents.seller.name: found nothing, expected the seller's company name",
        "my.yaml: documents.seller.fax: unknown key",
        "my.yaml: documents.validity_days: found -3 (a number), expected a whole number of days "
        ">= 0",
        "my.yaml: documents.tax_mode: found 'gross' (text), expected 'exclusive' or 'inclusive'",
        "my.yaml: documents.default_tax_rate: found '130%' (text), expected a fraction",
        "my.yaml: documents.reconcile.tolerance: found 'a cent' (text), expected a number",
        "my.yaml: documents.quote.numbering: found 'Q/{year}/{n}' with unknown field(s) 'n'",
        "my.yaml: documents.quote.stages.from: found 'opp' (text), expected one of the profile's "
        "stages",
        "my.yaml: documents.contract.numbering: found 'HT-{year}', expected exactly one {seq}",
        f"my.yaml: documents.contract.templates.zh.html: file '{tmp_path / 'nope.html'}' does",
        "my.yaml: documents.line_items.columns.qty: unknown field",
        "my.yaml: documents.colour: unknown key",
    ]
    for line in expected:
        assert line in text, line
    assert len(problems) == len(expected)


def test_path_characters_in_numbering_are_refused() -> None:
    _, problems = parse_document_settings({"quote": {"numbering": "../Q-{seq}"}}, "p.yaml")
    assert problems == [
        "p.yaml: documents.quote.numbering: found '../Q-{seq}', expected no path characters "
        '(/ \\ : * ? " < > | ..)'
    ]


def test_custom_templates_resolve_against_the_profile_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.html").write_text("<p>{{ customer.name }}</p>", "utf-8")
    settings, problems = parse_document_settings(
        {"quote": {"templates": {"en": {"html": "mine.html"}}}}, "p.yaml", base_dir=tmp_path
    )
    assert problems == []
    assert settings.kind("quote").templates["en"]["html"] == tmp_path / "mine.html"
    assert settings.kind("quote").templates["en"]["docx"].name == "quote.en.docx"


def test_each_column_documents_read_takes_extra_header_names():
    """``documents.line_items.columns`` (and products, deal_columns) has a key for every
    column documents read, in their order: a column added to one list is added to both."""
    from salessheet.settings.documents import (
        DEAL_EXTRA_COLUMNS,
        LINE_ITEM_COLUMNS,
        PRODUCT_COLUMNS,
        DealColumns,
        LineItemColumns,
        ProductColumns,
    )

    assert list(LineItemColumns.model_fields) == list(LINE_ITEM_COLUMNS)
    assert list(ProductColumns.model_fields) == list(PRODUCT_COLUMNS)
    assert list(DealColumns.model_fields) == list(DEAL_EXTRA_COLUMNS)
