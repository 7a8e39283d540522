"""Notification settings: the ``notifications:`` section of a profile, or CLI options.

Secrets never live here: SMTP credentials, webhook URLs (``url_env``) and signing secrets
(``secret_env``) are *names* of environment variables, resolved at send time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from salessheet.core.linklocal import webhook_url_problems

LANGUAGES = ("en", "zh")
SECURITY_MODES = ("starttls", "ssl", "none")
WEBHOOK_KINDS = ("generic", "slack", "teams", "feishu", "dingtalk", "wecom")
DEFAULT_USER_ENV = "SALESSHEET_SMTP_USER"
DEFAULT_PASSWORD_ENV = "SALESSHEET_SMTP_PASSWORD"
# Used when a feishu/dingtalk target names no secret_env: sign only if the variable is set.
DEFAULT_SECRET_ENV = {
    "dingtalk": "SALESSHEET_DINGTALK_SECRET",
    "feishu": "SALESSHEET_FEISHU_SECRET",
}
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class EmailSettings:
    host: str
    sender: str
    port: int = 587
    security: str = "starttls"
    manager_to: tuple[str, ...] = ()
    owners: Mapping[str, str] = field(default_factory=dict)  # owner as in the sheet -> address
    send_to_owners: bool = False
    user_env: str = DEFAULT_USER_ENV
    password_env: str = DEFAULT_PASSWORD_ENV
    ca_file: str | None = None  # extra CA bundle (private relay); default: system trust store
    language: str | None = None  # overrides NotificationSettings.language for e-mail
    include_resolved: bool | None = None  # overrides NotificationSettings.include_resolved


@dataclass(frozen=True)
class WebhookTarget:
    kind: str  # one of WEBHOOK_KINDS
    url: str | None = None
    url_env: str | None = None  # environment variable holding the URL (it is a secret)
    secret_env: str | None = None  # environment variable holding the signing secret
    name: str | None = None  # shown in results instead of "kind host"
    language: str | None = None


@dataclass(frozen=True)
class NotificationSettings:
    email: EmailSettings | None = None
    webhooks: tuple[WebhookTarget, ...] = ()
    language: str = "en"
    include_resolved: bool = True
    send_when_clean: bool = True  # send the team digest even when nothing is open
    timeout_s: float = 10.0  # per attempt
    retry_delay_s: float = 2.0  # before the one retry (a 429 Retry-After up to 30 s wins)
    max_items: int = 200  # findings listed per section in an e-mail (chat messages list fewer)
    allow_link_local: bool = False  # webhooks on 169.254.0.0/16, fe80::/10 (core/linklocal.py)

    @property
    def enabled(self) -> bool:
        return self.email is not None or bool(self.webhooks)


# --------------------------------------------------------------------------- profile YAML

_TOP_KEYS = {
    "email",
    "webhooks",
    "language",
    "include_resolved",
    "send_when_clean",
    "timeout_s",
    "retry_delay_s",
    "max_items",
    "allow_link_local",
}
_EMAIL_KEYS = {
    "host",
    "port",
    "security",
    "from",
    "manager_to",
    "owners",
    "send_to_owners",
    "user_env",
    "password_env",
    "ca_file",
    "language",
    "include_resolved",
}
_SECRET_KEYS = {"user", "username", "password", "pass", "secret", "token", "api_key"}
_WEBHOOK_KEYS = {"kind", "url", "url_env", "secret_env", "name", "language"}


def _found(value: Any) -> str:
    kind = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} ({kind})" if value is not None else "nothing"


class _Checker:
    def __init__(self, where: str):
        self.where = where
        self.problems: list[str] = []

    def bad(self, path: str, value: Any, expected: str) -> None:
        self.problems.append(f"{self.where}: {path}: found {_found(value)}, expected {expected}")

    def note(self, path: str, text: str) -> None:
        self.problems.append(f"{self.where}: {path}: {text}")

    def unknown(self, path: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
        for key in raw:
            if not isinstance(key, str) or key not in allowed:
                if isinstance(key, str) and key.lower() in _SECRET_KEYS:
                    self.note(
                        f"{path}.{key}",
                        "secrets are never read from the config file; put it in an environment "
                        "variable and name that variable (user_env, password_env, url_env, "
                        "secret_env)",
                    )
                else:
                    self.note(
                        f"{path}.{key}",
                        f"unknown key, expected one of: {', '.join(sorted(allowed))}",
                    )

    def boolean(self, path: str, value: Any, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.bad(path, value, "true or false")
        return default

    def choice(self, path: str, value: Any, choices: Sequence[str], default: Any) -> Any:
        if value is None:
            return default
        if isinstance(value, str) and value.strip().lower() in choices:
            return value.strip().lower()
        self.bad(path, value, "one of " + ", ".join(choices))
        return default

    def number(self, path: str, value: Any, default: float, low: float, high: float) -> float:
        if value is None:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high:
            return float(value)
        self.bad(path, value, f"a number of seconds between {low:g} and {high:g}")
        return default

    def integer(self, path: str, value: Any, default: int, low: int, high: int) -> int:
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
        self.bad(path, value, f"a whole number between {low} and {high}")
        return default

    def text(self, path: str, value: Any, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.note(path, "missing, expected text")
            return None
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.bad(path, value, "non-empty text")
        return None

    def env_name(self, path: str, value: Any, default: str | None) -> str | None:
        if value is None:
            return default
        if isinstance(value, str) and _ENV_NAME.match(value.strip()):
            return value.strip()
        self.bad(path, value, "the name of an environment variable, such as MY_SECRET")
        return default

    def address(self, path: str, value: Any) -> str | None:
        if isinstance(value, str) and is_email_address(value):
            return value.strip()
        self.bad(path, value, "an e-mail address such as name@example.com")
        return None

    def addresses(self, path: str, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.bad(path, value, "a list of e-mail addresses")
            return ()
        out = []
        for i, item in enumerate(value):
            addr = self.address(f"{path}[{i}]", item)
            if addr:
                out.append(addr)
        return tuple(out)

    def url(self, path: str, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.bad(path, value, "an http(s) URL")
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.bad(path, value, "an http(s) URL such as https://hooks.example.com/...")
            return None
        return value.strip()


def is_email_address(value: str) -> bool:
    """A display name is allowed: ``张伟 <zhang.wei@example.com>``."""
    _, addr = parseaddr(value)
    if not addr or addr.count("@") != 1:
        return False
    local, domain = addr.split("@")
    return bool(local) and "." in domain and not domain.startswith(".") and " " not in addr


def parse_notification_settings(
    raw: dict | None, where: str
) -> tuple[NotificationSettings, list[str]]:
    """Parse the ``notifications:`` section of a profile.

    ``where`` names the file (it starts every problem). Returns the settings (best effort: bad
    values fall back to defaults) and every problem found; the caller raises ConfigError when
    the list is not empty. ``None`` (no section) means notifications are off.
    """
    check = _Checker(where)
    if raw is None:
        return NotificationSettings(), []
    if not isinstance(raw, Mapping):
        check.bad("notifications", raw, "a mapping with email: and/or webhooks:")
        return NotificationSettings(), check.problems
    check.unknown("notifications", raw, _TOP_KEYS)
    p = "notifications"
    language = check.choice(f"{p}.language", raw.get("language"), LANGUAGES, "en")
    settings = NotificationSettings(
        language=language,
        include_resolved=check.boolean(f"{p}.include_resolved", raw.get("include_resolved"), True),
        send_when_clean=check.boolean(f"{p}.send_when_clean", raw.get("send_when_clean"), True),
        timeout_s=check.number(f"{p}.timeout_s", raw.get("timeout_s"), 10.0, 0.1, 300),
        retry_delay_s=check.number(f"{p}.retry_delay_s", raw.get("retry_delay_s"), 2.0, 0, 60),
        max_items=check.integer(f"{p}.max_items", raw.get("max_items"), 200, 1, 10000),
        allow_link_local=check.boolean(f"{p}.allow_link_local", raw.get("allow_link_local"), False),
    )
    email = _parse_email(check, raw.get("email"), f"{p}.email") if "email" in raw else None
    webhooks = _parse_webhooks(check, raw.get("webhooks"), f"{p}.webhooks")
    check.problems += webhook_url_problems(raw, where)
    return replace(settings, email=email, webhooks=webhooks), check.problems


def _parse_email(check: _Checker, raw: Any, p: str) -> EmailSettings | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        check.bad(p, raw, "a mapping with host, from, manager_to, ...")
        return None
    check.unknown(p, raw, _EMAIL_KEYS)
    security = check.choice(f"{p}.security", raw.get("security"), SECURITY_MODES, "starttls")
    port = check.integer(f"{p}.port", raw.get("port"), DEFAULT_PORTS[security], 1, 65535)
    host = check.text(f"{p}.host", raw.get("host"), required=True)
    sender = None
    if raw.get("from") is None:
        check.note(
            f"{p}.from",
            "missing, expected the sender address, e.g. pipeline@example.com",
        )
    else:
        sender = check.address(f"{p}.from", raw.get("from"))
    manager_to = check.addresses(f"{p}.manager_to", raw.get("manager_to"))
    owners: dict[str, str] = {}
    raw_owners = raw.get("owners")
    if raw_owners is not None and not isinstance(raw_owners, Mapping):
        check.bad(f"{p}.owners", raw_owners, "a mapping: owner name as in the sheet -> e-mail")
    elif raw_owners:
        seen: dict[str, str] = {}
        for name, addr in raw_owners.items():
            key_path = f"{p}.owners.{name}"
            if not isinstance(name, str) or not name.strip():
                check.bad(f"{p}.owners", name, "owner names as text")
                continue
            norm = normalize_owner(name)
            if norm in seen:
                check.note(
                    key_path,
                    f"same owner as {seen[norm]!r} (names compare ignoring case)",
                )
                continue
            seen[norm] = name
            good = check.address(key_path, addr)
            if good:
                owners[name.strip()] = good
    send_to_owners = check.boolean(f"{p}.send_to_owners", raw.get("send_to_owners"), False)
    if send_to_owners and not owners and raw_owners is None:
        check.note(f"{p}.owners", "send_to_owners is true but no owners: map names e-mails")
    if not manager_to and not send_to_owners:
        check.note(f"{p}.manager_to", "no recipients: give manager_to or set send_to_owners")
    ca_file = check.text(f"{p}.ca_file", raw.get("ca_file"))
    language = check.choice(f"{p}.language", raw.get("language"), LANGUAGES, None)
    include_resolved = raw.get("include_resolved")
    if include_resolved is not None:
        include_resolved = check.boolean(f"{p}.include_resolved", include_resolved, True)
    if host is None or sender is None:
        return None
    return EmailSettings(
        host=host,
        sender=sender,
        port=port,
        security=security,
        manager_to=manager_to,
        owners=owners,
        send_to_owners=send_to_owners,
        user_env=check.env_name(f"{p}.user_env", raw.get("user_env"), DEFAULT_USER_ENV)
        or DEFAULT_USER_ENV,
        password_env=check.env_name(
            f"{p}.password_env", raw.get("password_env"), DEFAULT_PASSWORD_ENV
        )
        or DEFAULT_PASSWORD_ENV,
        ca_file=ca_file,
        language=language,
        include_resolved=include_resolved,
    )


def _parse_webhooks(check: _Checker, raw: Any, p: str) -> tuple[WebhookTarget, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        check.bad(p, raw, "a list of {kind, url or url_env}")
        return ()
    out = []
    for i, item in enumerate(raw):
        ip = f"{p}[{i}]"
        if not isinstance(item, Mapping):
            check.bad(ip, item, "a mapping {kind: slack, url_env: MY_SLACK_URL}")
            continue
        check.unknown(ip, item, _WEBHOOK_KEYS)
        if item.get("kind") is None:
            check.note(f"{ip}.kind", "missing, expected one of " + ", ".join(WEBHOOK_KINDS))
            continue
        kind = check.choice(f"{ip}.kind", item.get("kind"), WEBHOOK_KINDS, None)
        url = url_env = None
        if item.get("url") is not None and item.get("url_env") is not None:
            check.note(ip, "give url or url_env, not both")
        elif item.get("url") is not None:
            url = check.url(f"{ip}.url", item.get("url"))
        elif item.get("url_env") is not None:
            url_env = check.env_name(f"{ip}.url_env", item.get("url_env"), None)
        else:
            check.note(ip, "missing url (or url_env naming the variable that holds it)")
        secret_env = check.env_name(f"{ip}.secret_env", item.get("secret_env"), None)
        if secret_env and kind not in ("dingtalk", "feishu"):
            check.note(
                f"{ip}.secret_env",
                f"only dingtalk and feishu sign messages, not {kind}",
            )
        name = check.text(f"{ip}.name", item.get("name"))
        language = check.choice(f"{ip}.language", item.get("language"), LANGUAGES, None)
        if kind and (url or url_env):
            out.append(
                WebhookTarget(
                    kind=kind,
                    url=url,
                    url_env=url_env,
                    secret_env=secret_env,
                    name=name,
                    language=language,
                )
            )
    return tuple(out)


def normalize_owner(name: str) -> str:
    """How owner names are compared: NFKC, casefolded, whitespace collapsed."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


# --------------------------------------------------------------------------- CLI options


def settings_from_options(
    email_to: Sequence[str] = (),
    webhooks: Sequence[str] = (),
    *,
    base: NotificationSettings | None = None,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    smtp_security: str | None = None,
    sender: str | None = None,
    language: str | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[NotificationSettings, list[str]]:
    """Settings from ``--notify-email ADDR`` and ``--webhook [KIND=]URL`` options.

    Options are merged over ``base`` (the profile's settings): ``--notify-email`` replaces the
    manager recipients, ``--webhook`` adds targets. SMTP host, port, security and sender come
    from the arguments, else from ``base``, else from the environment variables
    SALESSHEET_SMTP_HOST, SALESSHEET_SMTP_PORT, SALESSHEET_SMTP_SECURITY, SALESSHEET_SMTP_FROM.

    A webhook spec is ``URL`` (generic JSON POST), ``KIND=URL`` or ``KIND=env:VAR`` (the URL is
    read from the environment variable VAR when sending). DingTalk/Feishu signing secrets are
    read from SALESSHEET_DINGTALK_SECRET / SALESSHEET_FEISHU_SECRET when set.
    """
    env = env or {}
    base = base or NotificationSettings()
    check = _Checker("command line")
    settings = base
    if language is not None:
        settings = replace(
            settings,
            language=check.choice("--lang", language, LANGUAGES, settings.language),
        )
    if email_to:
        recipients = check.addresses("--notify-email", list(email_to))
        old = base.email
        security = smtp_security or (old.security if old else None)
        security = security or env.get("SALESSHEET_SMTP_SECURITY") or "starttls"
        security = check.choice("--smtp-security", security, SECURITY_MODES, "starttls")
        host = smtp_host or (old.host if old else None) or env.get("SALESSHEET_SMTP_HOST")
        port: Any = smtp_port or (old.port if old else None) or env.get("SALESSHEET_SMTP_PORT")
        if isinstance(port, str):
            port = int(port) if port.strip().isdigit() else port
        port = check.integer("SMTP port", port, DEFAULT_PORTS[security], 1, 65535)
        from_ = sender or (old.sender if old else None) or env.get("SALESSHEET_SMTP_FROM")
        if not host:
            check.note(
                "--notify-email",
                "no SMTP server: set SALESSHEET_SMTP_HOST or email.host",
            )
        if not from_:
            check.note("--notify-email", "no sender: set SALESSHEET_SMTP_FROM or email.from")
        elif not is_email_address(from_):
            check.bad("sender", from_, "an e-mail address such as pipeline@example.com")
            from_ = None
        if host and from_ and recipients:
            email = (
                replace(old, host=host, port=port, security=security, sender=from_)
                if old
                else EmailSettings(host=host, port=port, security=security, sender=from_)
            )
            settings = replace(settings, email=replace(email, manager_to=recipients))
    targets = list(settings.webhooks)
    for spec in webhooks:
        target = _parse_webhook_spec(check, spec)
        if target:
            targets.append(target)
    settings = replace(settings, webhooks=tuple(targets))
    return settings, check.problems


def _parse_webhook_spec(check: _Checker, spec: str) -> WebhookTarget | None:
    kind, sep, rest = spec.partition("=")
    if sep and kind.strip().lower() in WEBHOOK_KINDS:
        kind = kind.strip().lower()
    elif sep and "://" not in kind:
        check.bad("--webhook", spec, "KIND=URL with KIND one of " + ", ".join(WEBHOOK_KINDS))
        return None
    else:
        kind, rest = "generic", spec
    rest = rest.strip()
    if rest.startswith("env:"):
        var = check.env_name("--webhook", rest[4:], None)
        return WebhookTarget(kind=kind, url_env=var) if var else None
    url = check.url("--webhook", rest)
    return WebhookTarget(kind=kind, url=url) if url else None
