"""The Sheets transport: endpoint rewrite, which requests are repeated, and the deadline."""

from __future__ import annotations

import gspread
import pytest
from fake_sheets import FakeSheets

from salessheet.core.errors import SourceError, StoreUnavailable
from salessheet.stores.gsheets.transport import (
    RetryPolicy,
    SheetsAdapter,
    emulator_session,
    emulator_settings,
    is_idempotent,
    rewrite_url,
)

KEY = "1TransportKey"
BASE = "https://sheets.googleapis.com/v4/spreadsheets"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def api():
    with FakeSheets(token="transport-token") as fake:
        fake.add_spreadsheet(KEY, "Deals 2026").add_sheet("Pipeline", [["Deal ID"], ["D-1"]])
        yield fake


def session_for(api: FakeSheets, fake_time: FakeTime, **policy):
    adapter = SheetsAdapter(
        endpoint=api.url,
        token=api.token,
        policy=RetryPolicy(**policy),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    adapter.begin(60.0)
    return emulator_session(adapter), adapter


def test_rewrite_keeps_path_and_query():
    url = f"{BASE}/K/values:batchGet?ranges=%27A%27&valueRenderOption=UNFORMATTED_VALUE"
    assert rewrite_url(url, "http://127.0.0.1:8123/") == (
        "http://127.0.0.1:8123/v4/spreadsheets/K/values:batchGet"
        "?ranges=%27A%27&valueRenderOption=UNFORMATTED_VALUE"
    )
    assert rewrite_url("https://www.googleapis.com/drive/v3/files?q=x", "http://h:1/emu/") == (
        "http://h:1/emu/drive/v3/files?q=x"
    )
    assert rewrite_url("https://oauth2.googleapis.com/token", "http://h:1/") == (
        "https://oauth2.googleapis.com/token"
    )


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/v4/spreadsheets/K", True),
        ("GET", "/v4/spreadsheets/K/values:batchGet", True),
        ("PUT", "/v4/spreadsheets/K/values/A1", True),
        ("POST", "/v4/spreadsheets/K/values:batchUpdate", True),
        ("POST", "/v4/spreadsheets/K/values/A1:clear", True),
        ("POST", "/v4/spreadsheets/K/values:batchClear", True),
        ("POST", "/v4/spreadsheets/K/values/A1:append", False),
        ("POST", "/v4/spreadsheets/K:batchUpdate", False),
        ("POST", "/drive/v3/files", False),
    ],
)
def test_which_requests_may_be_repeated(method: str, path: str, expected: bool):
    assert is_idempotent(method, "https://sheets.googleapis.com" + path) is expected


def test_emulator_settings_from_the_environment():
    assert emulator_settings({}) is None
    assert emulator_settings({"SALESSHEET_SHEETS_ENDPOINT": "http://127.0.0.1:1/"}) == (
        "http://127.0.0.1:1/",
        None,
    )
    with pytest.raises(SourceError) as info:
        emulator_settings({"SALESSHEET_SHEETS_ENDPOINT": "localhost:8123"})
    assert "is not an http(s) URL" in info.value.message


def test_real_gspread_talks_to_the_fake_for_sheets_and_drive(api):
    fake_time = FakeTime()
    session, _ = session_for(api, fake_time)
    client = gspread.Client(auth=None, session=session)

    spreadsheet = client.open_by_key(KEY)
    files = client.list_spreadsheet_files(title="Deals 2026")

    assert spreadsheet.title == "Deals 2026"
    assert spreadsheet.worksheet("Pipeline").get_all_values() == [["Deal ID"], ["D-1"]]
    assert [f["id"] for f in files] == [KEY]
    assert api.counts["drive.files.list"] == 1
    assert all(r.path.startswith(("/v4/", "/drive/v3/")) for r in api.log)


def test_append_is_sent_once_even_when_it_fails(api):
    fake_time = FakeTime()
    session, adapter = session_for(api, fake_time)
    api.inject(503, endpoint="values.append")

    response = session.post(
        f"{BASE}/{KEY}/values/Pipeline!A1:append",
        params={"valueInputOption": "RAW"},
        json={"values": [["D-2"]]},
    )

    assert response.status_code == 503
    assert api.counts["values.append"] == 1
    assert fake_time.sleeps == []
    assert api.spreadsheets[KEY].sheet("Pipeline").grid() == [["Deal ID"], ["D-1"]]


def test_idempotent_request_is_retried_with_growing_waits(api):
    fake_time = FakeTime()
    session, adapter = session_for(api, fake_time, max_attempts=4)
    api.inject(500, 502, 429, endpoint="values.get")

    response = session.get(f"{BASE}/{KEY}/values/Pipeline")

    assert response.status_code == 200
    assert response.json()["values"] == [["Deal ID"], ["D-1"]]
    assert api.counts["values.get"] == 4
    assert [round(s, 3) for s in fake_time.sleeps] == sorted(round(s, 3) for s in fake_time.sleeps)
    assert 2.0 <= fake_time.sleeps[2] <= 4.0
    assert adapter.attempts_for_last_request() == 4


def test_retries_stop_at_max_attempts(api):
    fake_time = FakeTime()
    session, _ = session_for(api, fake_time, max_attempts=3)
    api.fail_always(503)
    response = session.get(f"{BASE}/{KEY}")
    assert response.status_code == 503
    assert api.counts["spreadsheets.get"] == 3


def test_no_request_once_the_deadline_has_passed(api):
    fake_time = FakeTime()
    session, adapter = session_for(api, fake_time)
    adapter.begin(5.0)
    fake_time.now += 5.0
    with pytest.raises(StoreUnavailable) as info:
        session.get(f"{BASE}/{KEY}")
    assert "the 5 s deadline passed" in info.value.message
    assert api.total() == 0


def test_a_wait_that_would_cross_the_deadline_is_not_taken(api):
    fake_time = FakeTime()
    session, adapter = session_for(api, fake_time, base_delay_s=8.0)
    adapter.begin(3.0)  # even the first backoff (4-8 s) does not fit
    api.fail_always(429)
    response = session.get(f"{BASE}/{KEY}")
    assert response.status_code == 429
    assert fake_time.sleeps == []
    assert api.counts["spreadsheets.get"] == 1


def test_retry_after_is_honoured_within_the_deadline(api):
    fake_time = FakeTime()
    session, _ = session_for(api, fake_time)
    api.retry_after = "7"
    api.inject(429, endpoint="spreadsheets.get")
    response = session.get(f"{BASE}/{KEY}")
    assert response.status_code == 200
    assert fake_time.sleeps == [7.0]
