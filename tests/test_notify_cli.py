"""`salessheet run --notify-email/--webhook` delivers the run's findings to real local servers."""

from __future__ import annotations

import email
import email.policy
import json
import socket

from aiosmtpd.controller import Controller
from conftest import make_xlsx
from pytest_httpserver import HTTPServer


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 OK"


def test_run_sends_digest_and_webhook_without_changing_exit_code(cli, tmp_path, monkeypatch):
    path = make_xlsx(
        tmp_path / "p.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner", "Amount", "Close Date", "Lost Reason"],
                ["D-1", "上海星河", "报价与谈判", "张伟", None, "2027-01-01", None],
                ["D-2", "Acme", "Closing", "Ann", 10, "2027-01-01", None],
            ]
        },
    )
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    hook = HTTPServer(host="127.0.0.1", port=0)
    hook.start()
    try:
        hook.expect_request("/hook", method="POST").respond_with_data("ok")
        hook.expect_request("/down", method="POST").respond_with_data("no", status=500)
        monkeypatch.setenv("SALESSHEET_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SALESSHEET_SMTP_PORT", str(port))
        monkeypatch.setenv("SALESSHEET_SMTP_SECURITY", "none")
        monkeypatch.setenv("SALESSHEET_SMTP_FROM", "pipeline@example.com")
        code, out = cli.json(
            "run",
            path,
            "--today",
            "2026-11-28",
            "--notify-email",
            "boss@example.com",
            "--webhook",
            f"slack={hook.url_for('/hook')}",
            "--webhook",
            hook.url_for("/down"),
        )
        assert code == 1  # the findings decide; the failed /down target does not
        statuses = sorted((n["channel"], n["status"]) for n in out["notifications"])
        assert ("email", "sent") in statuses and ("webhook", "failed") in statuses
        assert len(inbox.messages) == 1
        msg = inbox.messages[0]
        assert msg["To"] == "boss@example.com"
        body = msg.get_body(preferencelist=("plain",)).get_content()
        assert "D-1" in body and "missing-field" in body
        assert "D-2" in body and "unknown-stage" in body
        slack = [json.loads(r.data) for r, _ in hook.log if r.path == "/hook"]
        assert len(slack) == 1
        text = json.dumps(slack[0], ensure_ascii=False)
        assert "unknown-stage" in text and "D-2" in text
        # the run's results were written regardless
        assert "written" in out
    finally:
        smtp.stop()
        hook.clear()
        hook.stop()


def test_notify_without_any_target_says_no_digest_went_out(cli, tmp_path, monkeypatch):
    # the b2b profile has no `notifications:` section: --notify alone has nowhere to send
    for name in ("SALESSHEET_SMTP_HOST", "SALESSHEET_SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)
    path = make_xlsx(
        tmp_path / "p.xlsx",
        {"Pipeline": [["Deal ID", "Customer", "Stage", "Owner"], ["D-1", "Acme", "Lead", "Ann"]]},
    )
    res = cli("run", path, "--today", "2026-11-28", "--notify", "--format", "json")
    assert res.exit_code == 0  # the night's work is done; only the digest is missing
    out = json.loads(res.stdout)
    [note] = out["notifications"]
    assert note["status"] == "skipped"
    assert "notifications:" in note["error"]
    assert "--notify-email" in note["error"] and "--webhook" in note["error"]
    assert out["written"]["cells"] > 0  # the run itself went through
    res = cli("run", path, "--today", "2026-11-29", "--notify")
    assert res.exit_code == 0
    assert "skipped" in res.stderr and "no digest sent" in res.stderr
    assert "notifications:" in res.stderr


def test_a_bad_smtp_variable_is_named_as_the_variable_not_as_an_option(cli, tmp_path, monkeypatch):
    path = make_xlsx(
        tmp_path / "p.xlsx",
        {"Pipeline": [["Deal ID", "Customer", "Stage", "Owner"], ["D-1", "Acme", "Lead", "Ann"]]},
    )
    before = path.read_bytes()
    monkeypatch.setenv("SALESSHEET_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SALESSHEET_SMTP_SECURITY", "tls")
    monkeypatch.setenv("SALESSHEET_SMTP_PORT", "twenty-five")
    monkeypatch.setenv("SALESSHEET_SMTP_FROM", "not an address")
    res = cli("run", path, "--today", "2026-11-28", "--notify-email", "a@example.com")
    assert res.exit_code == 2
    assert "environment variable: SALESSHEET_SMTP_SECURITY: found 'tls'" in res.stderr
    assert "environment variable: SALESSHEET_SMTP_PORT: found 'twenty-five'" in res.stderr
    assert "environment variable: SALESSHEET_SMTP_FROM: found 'not an address'" in res.stderr
    assert "--smtp-security" not in res.stderr and "command line: sender" not in res.stderr
    assert path.read_bytes() == before  # refused before anything was written
