"""Google Sheets sources: the forms a user pastes, and clear refusals for the rest."""

from __future__ import annotations

import pytest

from salessheet.core.errors import SourceError
from salessheet.stores.gsheets.source import GSheetRef, is_gsheet_source, parse_gsheet_source

KEY = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (f"gsheet:{KEY}", GSheetRef(KEY, None)),
        (f"gsheet:{KEY}#gid=42", GSheetRef(KEY, 42)),
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0", GSheetRef(KEY, 0)),
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit?gid=7#gid=7", GSheetRef(KEY, 7)),
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit?usp=sharing", GSheetRef(KEY, None)),
        (f"https://docs.google.com/spreadsheets/d/{KEY}", GSheetRef(KEY, None)),
        (f"https://docs.google.com/spreadsheets/u/1/d/{KEY}/edit#gid=123", GSheetRef(KEY, 123)),
        (f"docs.google.com/spreadsheets/d/{KEY}/edit", GSheetRef(KEY, None)),
        (f"https://docs.google.com/spreadsheet/ccc?key={KEY}&hl=en", GSheetRef(KEY, None)),
    ],
)
def test_accepted_forms(source: str, expected: GSheetRef) -> None:
    assert is_gsheet_source(source)
    assert parse_gsheet_source(source) == expected


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("gsheet:", "bad spreadsheet key ''"),
        ("gsheet:abc/def", "bad spreadsheet key 'abc/def'"),
        (f"gsheet:{KEY}#gid=x1", "bad tab id"),
        ("https://docs.google.com/spreadsheets/d/e/2PACX-1vQ/pubhtml", "published to the web"),
        ("https://docs.google.com/spreadsheets/", "no spreadsheet key"),
        ("pipeline.xlsx", "not a Google Sheets source"),
    ],
)
def test_refused_forms_say_why(source: str, says: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_gsheet_source(source)
    assert says in info.value.message
    assert info.value.exit_code == 2


def test_files_are_not_google_sources() -> None:
    assert not is_gsheet_source("pipeline.xlsx")
    assert not is_gsheet_source("/data/docs/spreadsheets/d/x.csv")
