"""E-mail digests over SMTP (STARTTLS, implicit TLS or plain), standard library only.

Credentials come from environment variables named in the settings (by default
SALESSHEET_SMTP_USER / SALESSHEET_SMTP_PASSWORD), never from the config file. Messages are
``multipart/alternative`` (plain text + HTML) built with :class:`email.message.EmailMessage`,
which encodes Chinese subjects (RFC 2047) and bodies (UTF-8) correctly.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from salessheet.notify.digest import Digest
from salessheet.notify.results import Attempt
from salessheet.settings.notify import EmailSettings

_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def _set_subject(msg: EmailMessage, subject: str) -> None:
    """Encode a non-ASCII subject ourselves.

    CPython's header folding drops the space between two RFC 2047 encoded words when it folds
    at that space ("2026-11-28 · 张伟" arrives as "2026-11-28 ·张伟"); Header.encode() keeps
    spaces inside the encoded words, and set_raw() stores its folded lines unchanged.
    """
    if subject.isascii():
        msg["Subject"] = subject
    else:
        msg.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())


def build_message(digest: Digest, *, sender: str, to: Sequence[str]) -> EmailMessage:
    return compose_message(
        digest.subject, digest.text, digest.html, sender=sender, to=to, language=digest.language
    )


def compose_message(
    subject: str, text: str, html: str | None, *, sender: str, to: Sequence[str], language: str
) -> EmailMessage:
    """A plain-text message, with an HTML alternative when ``html`` is given."""
    msg = EmailMessage()
    _set_subject(msg, subject)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid(idstring="salessheet", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    msg["Content-Language"] = "zh-CN" if language == "zh" else "en"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def _context(settings: EmailSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_file)


def _server_text(raw: object) -> str:
    """The server's own words from an SMTP reply (bytes or str), on one line."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
    return " ".join(text.split())


def _wants_login(code: int, text: str) -> bool:
    """A refusal because the client did not log in (RFC 4954's 530 "Authentication required",
    or a server that says so in words, as some answer 550 "not authenticated")."""
    return code == 530 or "authenticat" in text.lower()


def _describe(exc: BaseException, *, login_hint: str | None = None) -> tuple[str, bool]:
    """A one-line reason, with the server's own text, and whether trying again later could
    help. ``login_hint``: said after a refusal that asks for a login when none was given."""

    def refusal(what: str, code: int, raw: object) -> str:
        text = _server_text(raw)
        reason = f"{what} refused ({code} {text})" if text else f"{what} refused ({code})"
        if login_hint and _wants_login(code, text):
            reason += f": {login_hint}"
        return reason

    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"SMTP login refused ({exc.smtp_code}): check the credentials", False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(refusal(a, c, m) for a, (c, m) in exc.recipients.items())
        transient = all(400 <= c < 500 for c, _ in exc.recipients.values())
        return f"recipients refused: {refused}", transient
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return (
            refusal(f"sender {exc.sender}", exc.smtp_code, exc.smtp_error),
            400 <= exc.smtp_code < 500,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"server does not support it: {exc}", False
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = _server_text(exc.smtp_error)
        reason = f"SMTP error {exc.smtp_code}: {msg}".rstrip(": ")
        if login_hint and _wants_login(exc.smtp_code, msg):
            reason += f"; {login_hint}"
        return reason, 400 <= exc.smtp_code < 500
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message}", False
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}", False
    if isinstance(exc, TimeoutError):
        return "timed out", True
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"server disconnected: {exc}", True
    if isinstance(exc, smtplib.SMTPException):
        return f"SMTP error: {exc}", False
    if isinstance(exc, OSError):
        return f"cannot connect: {exc.strerror or exc}", True
    return f"{type(exc).__name__}: {exc}", False


def _login(server: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib encodes credentials as ASCII; send non-ASCII ones as UTF-8 AUTH PLAIN (RFC 4616)."""
    if user.isascii() and password.isascii():
        server.login(user, password)
        return
    if "plain" not in server.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPNotSupportedError(
            "non-ASCII credentials need AUTH PLAIN, which the server does not offer"
        )
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, response = server.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, response)


def send_messages(
    messages: Sequence[EmailMessage],
    settings: EmailSettings,
    *,
    env: Mapping[str, str],
    timeout_s: float,
) -> list[Attempt]:
    """Send every message over one SMTP session; one Attempt per message, in order.

    Never raises: a connection or login failure is every message's failed Attempt.
    """
    user = env.get(settings.user_env) or None
    password = env.get(settings.password_env) or None
    if user and not password:
        problem = f"{settings.user_env} is set but {settings.password_env} is not"
        return [Attempt(False, False, problem) for _ in messages]
    if user and settings.security == "none" and settings.host.lower() not in _LOOPBACK:
        problem = (
            f"refusing to send the SMTP password unencrypted to {settings.host}: "
            "set email.security to starttls or ssl"
        )
        return [Attempt(False, False, problem) for _ in messages]
    login_hint = None
    if not user:
        login_hint = (
            f"the server wants a login: set {settings.user_env} and {settings.password_env}"
        )
    results: list[Attempt] = []
    try:
        if settings.security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=timeout_s,
                context=_context(settings),
            )
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=timeout_s)
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        reason, transient = _describe(exc)
        where = f"{settings.host}:{settings.port}"
        return [Attempt(False, transient, f"{where}: {reason}") for _ in messages]
    try:
        server.ehlo()
        if settings.security == "starttls":
            server.starttls(context=_context(settings))
            server.ehlo()
        if user:
            _login(server, user, password or "")
        for msg in messages:
            try:
                server.send_message(msg)
                results.append(Attempt(True))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                reason, transient = _describe(exc, login_hint=login_hint)
                results.append(Attempt(False, transient, reason))
                server.rset()
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        reason, transient = _describe(exc, login_hint=login_hint)
        results += [Attempt(False, transient, reason) for _ in messages[len(results) :]]
    finally:
        try:
            server.quit()
        except Exception:  # noqa: BLE001 - the session is over either way
            server.close()
    return results
