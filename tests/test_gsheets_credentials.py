"""Google credentials: every wrong key file gets a message saying what to do, never a secret.

These use the real google-auth code; the key files' token_uri points at the local fake, so
"Google rejected the key" is exercised without the network.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_sheets import FakeSheets

from salessheet.core.errors import SourceError, StoreUnavailable
from salessheet.stores.gsheets.store import GSheetsStore

KEY = "1TestSheetKey_abc-123"
EMAIL = "pipeline-bot@acme-sales.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def api():
    with FakeSheets(token="ya29.secret-access-token") as fake:
        yield fake


def write_key(path: Path, info: dict, mode: int = 0o600) -> Path:
    path.write_text(json.dumps(info), encoding="utf-8")
    os.chmod(path, mode)
    return path


def service_account_info(pem: str, token_uri: str) -> dict:
    return {
        "type": "service_account",
        "project_id": "acme-sales",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": EMAIL,
        "client_id": "1234567890",
        "token_uri": token_uri,
    }


def store_for(credentials: str | None, env: dict | None = None) -> GSheetsStore:
    return GSheetsStore(f"gsheet:{KEY}", credentials=credentials, env=env or {})


def test_missing_key_file(tmp_path: Path):
    path = tmp_path / "nope.json"
    with pytest.raises(SourceError) as info:
        store_for(str(path)).sheets()
    assert info.value.message == f"credentials file {path} (from --credentials) does not exist"
    assert info.value.exit_code == 2


def test_key_file_from_the_environment_variable(tmp_path: Path):
    path = tmp_path / "env-key.json"
    with pytest.raises(SourceError) as info:
        store_for(None, {"GOOGLE_APPLICATION_CREDENTIALS": str(path)}).sheets()
    assert "(from GOOGLE_APPLICATION_CREDENTIALS) does not exist" in info.value.message


def test_no_credentials_at_all(tmp_path: Path):
    with pytest.raises(SourceError) as info:
        store_for(None, {"HOME": str(tmp_path)}).sheets()
    assert info.value.message == f"no Google credentials to open gsheet:{KEY}"
    assert "--credentials FILE" in info.value.hint
    assert "GOOGLE_APPLICATION_CREDENTIALS" in info.value.hint


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_world_readable_key_is_refused(tmp_path: Path, private_key_pem: str):
    path = write_key(
        tmp_path / "key.json", service_account_info(private_key_pem, "http://x/token"), 0o644
    )
    with pytest.raises(SourceError) as info:
        store_for(str(path)).sheets()
    assert "readable by every user of this computer" in info.value.message
    assert info.value.hint == f"restrict it to yourself: chmod 600 '{path}'"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_key_file(tmp_path: Path):
    path = write_key(tmp_path / "key.json", {"type": "service_account"}, 0o000)
    with pytest.raises(SourceError) as info:
        store_for(str(path)).sheets()
    assert "cannot read credentials file" in info.value.message


def test_key_file_that_is_not_json(tmp_path: Path):
    path = tmp_path / "key.json"
    path.write_text('{"type": "service_account", "private_key": "-----BEGIN', encoding="utf-8")
    os.chmod(path, 0o600)
    with pytest.raises(SourceError) as info:
        store_for(str(path)).sheets()
    assert "is not valid JSON (line 1" in info.value.message
    assert "BEGIN" not in info.value.render()


def test_oauth_client_file_is_not_a_token(tmp_path: Path):
    path = write_key(
        tmp_path / "client.json",
        {"installed": {"client_id": "x.apps.googleusercontent.com", "client_secret": "GOCSPX-s"}},
    )
    with pytest.raises(SourceError) as info:
        store_for(str(path)).sheets()
    assert "not a service-account key or an OAuth user token" in info.value.message
    assert "gspread.oauth(credentials_filename=" in info.value.hint
    assert "GOCSPX-s" not in info.value.render()


def test_damaged_private_key(tmp_path: Path):
    info_ = service_account_info("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n", "http://x/token")
    path = write_key(tmp_path / "key.json", info_)
    with pytest.raises(SourceError) as info:
        store_for(str(path)).sheets()
    assert info.value.message == (
        f"the private key in {path} cannot be loaded (damaged or edited key file)"
    )
    assert "MIIEvQIBADAN" not in info.value.render()


def test_rejected_service_account_key(api, tmp_path: Path, private_key_pem: str):
    api.token_reply = (
        400,
        {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
    )
    path = write_key(
        tmp_path / "key.json", service_account_info(private_key_pem, f"{api.url}token")
    )
    with pytest.raises(StoreUnavailable) as info:
        store_for(str(path)).sheets()
    text = info.value.render()
    assert info.value.exit_code == 4
    assert f"Google did not accept the key in {path} for {EMAIL}: invalid_grant" in text
    assert "create a new JSON key" in text
    assert private_key_pem.splitlines()[1] not in text
    assert api.counts["oauth.token"] >= 1
    assert "spreadsheets.get" not in api.counts  # nothing is sent to Sheets without a token


def test_oauth_user_token_without_refresh_token(tmp_path: Path):
    path = write_key(
        tmp_path / "authorized_user.json",
        {
            "type": "authorized_user",
            "client_id": "x.apps.googleusercontent.com",
            "client_secret": "GOCSPX-secret",
        },
    )
    with pytest.raises(SourceError) as info:
        store_for(str(path)).sheets()
    text = info.value.render()
    assert "is an OAuth user token without refresh_token" in text
    assert "GOCSPX-secret" not in text


def test_service_account_requests_go_through_the_retrying_transport(
    api, tmp_path: Path, private_key_pem: str
):
    """With a good key: a token is fetched from the key's token_uri, then the Sheets request
    is handed to salessheet's transport (which, with no time left, sends nothing to Google)."""
    path = write_key(
        tmp_path / "key.json", service_account_info(private_key_pem, f"{api.url}token")
    )
    store = GSheetsStore(f"gsheet:{KEY}", credentials=str(path), env={}, deadline_s=0)
    with pytest.raises(StoreUnavailable) as info:
        store.sheets()
    assert "the 0 s deadline passed after 0 attempt(s)" in info.value.message
    assert api.counts["oauth.token"] == 1
    assert store.requests_sent == 0
