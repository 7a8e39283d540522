"""The fake Sheets API behaves like the documented one where the store depends on it, so the
store tests cannot pass against a fake that is kinder than Google."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from fake_sheets import FakeSheets, Formula, SheetError

KEY = "1FakeCheck"


@pytest.fixture
def api():
    with FakeSheets(token="fake-check") as fake:
        book = fake.add_spreadsheet(KEY)
        book.add_sheet(
            "Deals",
            [
                ["id", "amount", "close", "check", ""],
                ["0E761F02", 1200.5, dt.date(2026, 11, 28), SheetError("#N/A"), ""],
                [],
                ["D-2", 3.0, None, True],
            ],
            row_count=10,
            col_count=6,
        )
        yield fake


def call(api: FakeSheets, method: str, path: str, token: str | None = "ok", **kwargs):
    headers = {} if token is None else {"Authorization": f"Bearer {api.token}"}
    if token not in (None, "ok"):
        headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, f"{api.url}{path}", headers=headers, timeout=10, **kwargs)


def get(api: FakeSheets, rng: str, **params) -> dict:
    response = call(api, "GET", f"v4/spreadsheets/{KEY}/values/{rng}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_render_options(api):
    unformatted = get(api, "Deals", valueRenderOption="UNFORMATTED_VALUE")
    assert unformatted["range"] == "Deals!A1:F10"
    assert unformatted["values"] == [
        ["id", "amount", "close", "check"],
        ["0E761F02", 1200.5, 46354, "#N/A"],
        [],
        ["D-2", 3, "", True],
    ]
    formatted = get(api, "Deals")
    assert formatted["values"][1] == ["0E761F02", "1200.5", "11/28/2026", "#N/A"]
    assert formatted["values"][3] == ["D-2", "3", "", "TRUE"]
    dates_as_text = get(
        api,
        "Deals!C2",
        valueRenderOption="UNFORMATTED_VALUE",
        dateTimeRenderOption="FORMATTED_STRING",
    )
    assert dates_as_text["values"] == [["11/28/2026"]]


def test_trimming_empty_ranges_and_columns(api):
    assert "values" not in get(api, "Deals!E1:F10")
    assert get(api, "Deals!A1:B4", majorDimension="COLUMNS")["values"] == [
        ["id", "0E761F02", "", "D-2"],
        ["amount", "1200.5", "", "3"],
    ]


def test_raw_and_user_entered_writes(api):
    sheet = api.spreadsheets[KEY].sheet("Deals")
    for option, cell in (("RAW", "E2"), ("USER_ENTERED", "E3")):
        response = call(
            api,
            "PUT",
            f"v4/spreadsheets/{KEY}/values/Deals!{cell}",
            params={"valueInputOption": option},
            json={"values": [["=1+1"]]},
        )
        assert response.status_code == 200
    assert sheet.get("E2") == "=1+1"
    assert sheet.get("E3") == Formula("=1+1", 2)  # Google shows the formula's result
    missing = call(api, "PUT", f"v4/spreadsheets/{KEY}/values/Deals!E4", json={"values": [["x"]]})
    assert missing.status_code == 400
    assert "valueInputOption" in missing.json()["error"]["message"]


def test_writes_outside_the_grid_are_refused(api):
    response = call(
        api,
        "POST",
        f"v4/spreadsheets/{KEY}/values:batchUpdate",
        json={"valueInputOption": "RAW", "data": [{"range": "Deals!A11", "values": [["x"]]}]},
    )
    assert response.status_code == 400
    assert (
        "exceeds grid limits. Max rows: 10, max columns: 6" in response.json()["error"]["message"]
    )


def test_batch_update_is_all_or_nothing(api):
    response = call(
        api,
        "POST",
        f"v4/spreadsheets/{KEY}:batchUpdate",
        json={
            "requests": [
                {"addSheet": {"properties": {"title": "New"}}},
                {"addSheet": {"properties": {"title": "deals"}}},  # names ignore case
            ]
        },
    )
    assert response.status_code == 400
    assert "already exists" in response.json()["error"]["message"]
    assert [s.title for s in api.spreadsheets[KEY].sheets] == ["Deals"]


def test_append_goes_below_the_table(api):
    response = call(
        api,
        "POST",
        f"v4/spreadsheets/{KEY}/values/Deals!A1:D1:append",
        params={"valueInputOption": "RAW"},
        json={"values": [["D-3", 7]]},
    )
    assert response.status_code == 200
    assert response.json()["updates"]["updatedRange"] == "Deals!A5:B5"
    assert api.spreadsheets[KEY].sheet("Deals").get("A5") == "D-3"


def test_auth_sharing_and_counts(api):
    assert call(api, "GET", f"v4/spreadsheets/{KEY}", token=None).status_code == 401
    assert call(api, "GET", f"v4/spreadsheets/{KEY}", token="nope").status_code == 401
    assert call(api, "GET", "v4/spreadsheets/unknown").status_code == 404
    api.add_spreadsheet("private", shared=False)
    denied = call(api, "GET", "v4/spreadsheets/private")
    assert denied.status_code == 403
    assert denied.json()["error"]["status"] == "PERMISSION_DENIED"
    assert api.counts["spreadsheets.get"] == 4


def test_answers_are_shaped_like_googles(api):
    """What the recorded traffic showed (tests/test_gsheets_recordings.py checks it against the
    recordings themselves, when they are present)."""
    base = f"v4/spreadsheets/{KEY}"
    batch = {
        "requests": [
            {  # gspread writes field paths with "/"
                "updateSheetProperties": {
                    "properties": {"sheetId": 0, "gridProperties": {"rowCount": 4}},
                    "fields": "gridProperties/rowCount",
                }
            },
            {
                "mergeCells": {
                    "mergeType": "MERGE_ROWS",
                    "range": {"startRowIndex": 0, "endRowIndex": 2, "endColumnIndex": 2},
                }
            },
        ]
    }
    updated = call(api, "POST", f"{base}:batchUpdate", json=batch)
    assert updated.json() == {"spreadsheetId": KEY, "replies": [{}, {}]}
    assert updated.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert updated.text.startswith('{\n  "spreadsheetId"') and updated.text.endswith("}\n")

    meta = call(
        api, "GET", base, params={"fields": "properties/title,sheets(properties(title),merges)"}
    ).json()
    assert meta == {
        "properties": {"title": "Pipeline"},
        "sheets": [
            {
                "properties": {"title": "Deals"},
                "merges": [  # one a row, sheetId 0 left out as Google does
                    {
                        "startRowIndex": 0,
                        "endRowIndex": 1,
                        "startColumnIndex": 0,
                        "endColumnIndex": 2,
                    },
                    {
                        "startRowIndex": 1,
                        "endRowIndex": 2,
                        "startColumnIndex": 0,
                        "endColumnIndex": 2,
                    },
                ],
            }
        ],
    }
    assert get(api, "Deals")["range"] == "Deals!A1:F4"
    unknown = {"properties": {"sheetId": 0}, "fields": "gridProperties.rowCont"}
    refused = call(
        api, "POST", f"{base}:batchUpdate", json={"requests": [{"updateSheetProperties": unknown}]}
    )
    assert refused.status_code == 400


def test_user_entered_formulas_and_iso_dates_show_as_google_shows_them(api):
    response = call(
        api,
        "PUT",
        f"v4/spreadsheets/{KEY}/values/Deals!E1:E3",
        params={"valueInputOption": "USER_ENTERED"},
        json={"values": [["=4/2"], ["=1/0"], ["2020-01-01"]]},
    )
    assert response.status_code == 200
    assert get(api, "Deals!E1:E3")["values"] == [["2"], ["#DIV/0!"], ["2020-01-01"]]
    assert get(api, "Deals!E1:E3", valueRenderOption="UNFORMATTED_VALUE")["values"] == [
        [2],
        ["#DIV/0!"],
        [43831],
    ]
