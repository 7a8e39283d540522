"""E-mail digests sent to a real SMTP server (aiosmtpd) on 127.0.0.1 and parsed back."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from salessheet.core.findings import Finding
from salessheet.notify import EmailSettings, NotificationSettings, send_notifications

USER, PASSWORD = "pipeline-bot", "s3cret-张"


def _report() -> dict:
    def f(code, severity, status, deal, row, column, cell, owner, message):
        return Finding(
            code=code,
            severity=severity,
            status=status,
            message=message,
            deal_id=deal,
            sheet="Pipeline",
            row=row,
            column=column,
            cell=cell,
            owner=owner,
            value=None,
        ).to_dict()

    return {
        "source": "pipeline.xlsx",
        "sheet": "Pipeline",
        "today": "2026-11-28",
        "profile": "b2b",
        "summary": {"deals": 12, "errors": 2, "warnings": 1, "stalled": 1},
        "findings": [
            f(
                "illegal-transition",
                "error",
                "new",
                "D-0007",
                9,
                "Stage",
                "F9",
                "Alice Chen",
                "Stage moved from lead to contract <skipping> 3 stages",
            ),
            f(
                "missing-required",
                "error",
                "persisting",
                "D-0002",
                4,
                "金额",
                "D4",
                "张伟",
                "Amount is required in stage negotiation",
            ),
            f(
                "stalled-in-stage",
                "warning",
                "new",
                "D-0003",
                5,
                "Stage",
                "F5",
                "张伟",
                "In follow_up for 30 days (limit 14)",
            ),
            f(
                "past-expected-close",
                "warning",
                "resolved",
                "D-0001",
                3,
                "Expected Close",
                "H3",
                "Alice Chen",
                "Expected close date has passed",
            ),
            f(
                "stalled-in-stage",
                "warning",
                "new",
                "D-0011",
                13,
                "Stage",
                "F13",
                "Bob",
                "In lead for 20 days (limit 14)",
            ),
        ],
    }


class Inbox:
    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage, bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg, raw))
        return "250 OK"

    def to(self, address: str) -> email.message.EmailMessage:
        found = [m for _, rcpt, m, _ in self.messages if address in rcpt]
        assert len(found) == 1, f"{len(found)} messages to {address}"
        return found[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as the client's CA file and the server's key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data == (
        USER.encode(),
        PASSWORD.encode("utf-8"),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


def _server_context(cert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*cert)
    return ctx


@pytest.fixture
def starttls_server(cert):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_context(cert),
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def ssl_server(cert):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        ssl_context=_server_context(cert),
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=False,  # the connection is TLS from the start (aiosmtpd cannot tell)
    )
    controller.start()
    yield inbox, port
    controller.stop()


ENV = {"SALESSHEET_SMTP_USER": USER, "SALESSHEET_SMTP_PASSWORD": PASSWORD}
OWNERS = {"alice chen": "alice@example.com", "张伟": "张伟 <zhang.wei@example.com>"}


def _settings(port, cert, *, security="starttls", language="en", **email_kw):
    cfg = EmailSettings(
        host="127.0.0.1",
        port=port,
        security=security,
        sender="Pipeline bot <pipeline@example.com>",
        manager_to=("boss@example.com", "ops@example.com"),
        ca_file=str(cert[0]),
        **email_kw,
    )
    return NotificationSettings(email=cfg, language=language, retry_delay_s=0)


def _parts(msg) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return text, html


def test_manager_digest_over_starttls_lists_new_persisting_and_resolved(starttls_server, cert):
    inbox, port = starttls_server
    results = send_notifications(_report(), _settings(port, cert), env=ENV)

    assert [(r.channel, r.target, r.audience, r.status, r.attempts) for r in results] == [
        ("email", "boss@example.com, ops@example.com", "team", "sent", 1)
    ]
    mail_from, rcpt, msg, _ = inbox.messages[0]
    assert mail_from == "pipeline@example.com"
    assert rcpt == ["boss@example.com", "ops@example.com"]
    assert msg["Subject"] == (
        "[salessheet] Pipeline digest 2026-11-28 · Pipeline: 2 errors, 2 warnings (3 new)"
    )
    text, html = _parts(msg)
    lines = text.splitlines()
    new = lines.index("New (3)")
    assert lines[new + 1 : new + 4] == [
        "  [error] D-0007 · Stage F9 · illegal-transition: Stage moved from lead to contract "
        "<skipping> 3 stages · owner: Alice Chen",
        "  [warning] D-0003 · Stage F5 · stalled-in-stage: In follow_up for 30 days (limit 14)"
        " · owner: 张伟",
        "  [warning] D-0011 · Stage F13 · stalled-in-stage: In lead for 20 days (limit 14)"
        " · owner: Bob",
    ]
    still = lines.index("Still open (1)")
    assert lines[still + 1] == (
        "  [error] D-0002 · 金额 D4 · missing-required: "
        "Amount is required in stage negotiation · owner: 张伟"
    )
    resolved = lines.index("Resolved since the last run (1)")
    assert lines[resolved + 1] == "  D-0001 past-expected-close (Expected Close H3)"
    assert "deals 12 · errors 2 · warnings 1 · stalled 1" in lines
    by_owner = lines.index("By owner")
    assert lines[by_owner + 1 : by_owner + 4] == [
        "  张伟: 1 error, 1 warning, 2 open",
        "  Alice Chen: 1 error, 0 warnings, 1 open",
        "  Bob: 0 errors, 1 warning, 1 open",
    ]
    # HTML: same findings, user text escaped
    assert '<table cellspacing="0" class="findings-new">' in html
    assert "Stage moved from lead to contract &lt;skipping&gt; 3 stages" in html
    assert "<skipping>" not in html
    assert "<li>D-0001 past-expected-close (Expected Close H3)</li>" in html


def test_owner_digests_only_carry_that_owners_deals_and_chinese_is_encoded(starttls_server, cert):
    inbox, port = starttls_server
    settings = _settings(port, cert, language="zh", owners=OWNERS, send_to_owners=True)
    results = send_notifications(_report(), settings, env=ENV)

    assert [(r.target, r.audience, r.status) for r in results] == [
        ("-", "Bob", "skipped"),
        ("boss@example.com, ops@example.com", "team", "sent"),
        ("alice@example.com", "Alice Chen", "sent"),
        ("张伟 <zhang.wei@example.com>", "张伟", "sent"),
    ]
    assert results[0].error == "no address for owner 'Bob' in notifications.email.owners"
    assert len(inbox.messages) == 3  # one SMTP session, three messages

    zhang = inbox.to("zhang.wei@example.com")
    raw = next(r for _, rcpt, _, r in inbox.messages if "zhang.wei@example.com" in rcpt)
    subject_header = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers are pure ASCII
    assert "=?utf-8?" in subject_header
    assert (
        zhang["Subject"]
        == "[salessheet] 我的商机日报 2026-11-28 · 张伟：1 个错误，1 个警告（1 个新问题）"
    )
    assert zhang["To"] == "张伟 <zhang.wei@example.com>"
    text, html = _parts(zhang)
    assert "D-0002" in text and "D-0003" in text
    assert "D-0007" not in text and "D-0011" not in text and "D-0001" not in text
    assert (
        "  [警告] D-0003 · Stage F5 · stalled-in-stage：In follow_up for 30 days (limit 14)"
        in text.splitlines()
    )
    assert "负责人" not in text  # an owner's own digest does not repeat their name per line
    assert '<html lang="zh-CN">' in html and "仍未解决 (1)" in html

    alice_text, _ = _parts(inbox.to("alice@example.com"))
    assert "D-0007" in alice_text and "D-0002" not in alice_text
    assert "自上次运行以来已解决 (1)" in alice_text  # her resolved deal, listed briefly
    assert "  D-0001 past-expected-close (Expected Close H3)" in alice_text.splitlines()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_and_include_resolved_false(ssl_server, cert):
    inbox, port = ssl_server
    settings = _settings(port, cert, security="ssl", include_resolved=False)
    results = send_notifications(_report(), settings, env=ENV)
    assert [r.status for r in results] == ["sent"], results
    text, _ = _parts(inbox.messages[0][2])
    assert "D-0001" not in text and "Resolved" not in text


def test_wrong_password_is_reported_once_never_raised(starttls_server, cert):
    inbox, port = starttls_server
    waits = []
    env = {**ENV, "SALESSHEET_SMTP_PASSWORD": "wrong"}
    results = send_notifications(_report(), _settings(port, cert), env=env, sleep=waits.append)
    assert [(r.status, r.attempts) for r in results] == [("failed", 1)], results
    assert results[0].error.startswith("SMTP login refused (535)")
    assert inbox.messages == [] and waits == []  # a refused login is not retried


def test_a_server_that_wants_a_login_says_so_and_names_the_variables(starttls_server, cert):
    inbox, port = starttls_server
    results = send_notifications(_report(), _settings(port, cert), env={}, sleep=lambda s: None)
    [result] = results
    assert result.status == "failed"
    assert "530" in result.error and "Authentication required" in result.error  # the server's
    assert "set SALESSHEET_SMTP_USER and SALESSHEET_SMTP_PASSWORD" in result.error
    assert inbox.messages == []
    # with a login given, a refusal is about that login, and no such hint is added
    env = {**ENV, "SALESSHEET_SMTP_PASSWORD": "wrong"}
    [wrong] = send_notifications(_report(), _settings(port, cert), env=env)
    assert "SALESSHEET_SMTP_USER" not in (wrong.error or "")


def test_untrusted_certificate_is_a_failure_not_an_exception(starttls_server, cert):
    inbox, port = starttls_server
    settings = _settings(port, cert)
    settings = NotificationSettings(
        email=EmailSettings(**{**settings.email.__dict__, "ca_file": None}), retry_delay_s=0
    )
    results = send_notifications(_report(), settings, env=ENV)
    assert results[0].status == "failed"
    assert results[0].error.startswith("TLS certificate not trusted")
    assert inbox.messages == []


def test_unreachable_server_is_retried_once_then_reported(cert):
    port = _free_port()  # nothing listens there
    waits = []
    results = send_notifications(
        _report(),
        NotificationSettings(email=_settings(port, cert).email, retry_delay_s=1.5),
        env=ENV,
        sleep=waits.append,
    )
    assert [(r.status, r.attempts) for r in results] == [("failed", 2)]
    assert results[0].error.startswith(f"127.0.0.1:{port}: cannot connect")
    assert waits == [1.5]


def test_password_is_not_sent_in_clear_text_to_a_remote_host():
    cfg = EmailSettings(
        host="smtp.example.com",
        port=25,
        security="none",
        sender="pipeline@example.com",
        manager_to=("boss@example.com",),
    )
    results = send_notifications(_report(), NotificationSettings(email=cfg), env=ENV)
    assert results[0].status == "failed"
    assert "refusing to send the SMTP password unencrypted" in results[0].error


def test_clean_run_is_skipped_when_send_when_clean_is_false(starttls_server, cert):
    inbox, port = starttls_server
    report = {**_report(), "findings": []}
    settings = _settings(port, cert)
    quiet = NotificationSettings(email=settings.email, send_when_clean=False)
    assert [r.status for r in send_notifications(report, quiet, env=ENV)] == ["skipped"]
    assert [r.status for r in send_notifications(report, settings, env=ENV)] == ["sent"]
    text, _ = _parts(inbox.messages[0][2])
    assert "Nothing needs attention." in text.splitlines()
    assert inbox.messages[0][2]["Subject"] == (
        "[salessheet] Pipeline digest 2026-11-28 · Pipeline: nothing open"
    )
