"""Notification settings: the ``notifications:`` section of a profile, or CLI options.

Secrets never live here: SMTP credentials, webhook URLs (``url_env``) and signing secrets
(``secret_env``) are *names* of environment variables, resolved at send time.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator

from salessheet.core.linklocal import check_webhook_url
from salessheet.settings.base import (
    ConfigModel,
    Expect,
    choice,
    found_text,
    item,
    problem,
    problems,
    strip,
)
from salessheet.settings.problems import best_effort

LanguageName = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = get_args(LanguageName)
SecurityMode = Literal["starttls", "ssl", "none"]
SECURITY_MODES: tuple[str, ...] = get_args(SecurityMode)
WebhookKind = Literal["generic", "slack", "teams", "feishu", "dingtalk", "wecom"]
WEBHOOK_KINDS: tuple[str, ...] = get_args(WebhookKind)
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
    # approvers (the profile's approvers:) get the deals waiting for them; address from owners
    send_to_approvers: bool = True
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
    amount_change_percent: float = 20.0  # "since last run": amount changes listed from this %

    @property
    def enabled(self) -> bool:
        return self.email is not None or bool(self.webhooks)


# --------------------------------------------------------------------------- profile YAML

_SECRET_KEYS = {"user", "username", "password", "pass", "secret", "token", "api_key"}
_SECRETS_NOTE = (
    "secrets are never read from the config file; put it in an environment variable and name "
    "that variable (user_env, password_env, url_env, secret_env)"
)
_URL_EXPECTED = "an http(s) URL such as https://hooks.example.com/..."
_ADDRESS = "an e-mail address such as name@example.com"


def is_email_address(value: str) -> bool:
    """A display name is allowed: ``张伟 <zhang.wei@example.com>``."""
    _, addr = parseaddr(value)
    if not addr or addr.count("@") != 1:
        return False
    local, domain = addr.split("@")
    return bool(local) and "." in domain and not domain.startswith(".") and " " not in addr


def is_url(value: str) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def normalize_owner(name: str) -> str:
    """How owner names are compared: NFKC, casefolded, whitespace collapsed."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


class _NotifyModel(ConfigModel):
    @classmethod
    def unknown_key_note(cls, key: Any, above: Any = None) -> str:
        if isinstance(key, str) and key.lower() in _SECRET_KEYS:
            return _SECRETS_NOTE
        return super().unknown_key_note(key, above)


Language = Annotated[LanguageName, *choice(LANGUAGES, fold=True)]
Address = Annotated[
    str,
    strip,
    Expect(_ADDRESS),
    AfterValidator(lambda v: v if is_email_address(v) else _raise(_ADDRESS)),
]
EnvName = Annotated[
    str,
    strip,
    Expect("the name of an environment variable, such as MY_SECRET"),
    AfterValidator(lambda v: v if _ENV_NAME.match(v) else _raise("env")),
]
Text = Annotated[
    str,
    strip,
    Expect("non-empty text", missing="text"),
    AfterValidator(lambda v: v or _raise("blank")),
]


def _raise(why: str) -> Any:
    raise ValueError(why)


def _owners(value: dict[str, str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    found = []
    for name in value:
        norm = normalize_owner(name)
        if norm in seen:
            note = f"same owner as {seen[norm]!r} (names compare ignoring case)"
            found.append(item(note=note, sub=(name,)))
        else:
            seen[norm] = name
    if found:
        raise problems(found)
    return value


def _recipients(value: bool, info: ValidationInfo) -> bool:
    data = info.data
    if value and "owners" in data and data["owners"] is None:
        raise problem(
            note="send_to_owners is true but no owners: map names e-mails", at=("owners",)
        )
    if "manager_to" in data and not data["manager_to"] and not value:
        note = "no recipients: give manager_to or set send_to_owners"
        raise problem(note=note, at=("manager_to",))
    return value


class EmailModel(_NotifyModel):
    """E-mail through an SMTP server; the login is read from environment variables."""

    host: Text
    security: Annotated[SecurityMode, *choice(SECURITY_MODES, fold=True)] = "starttls"
    port: Annotated[int, Field(ge=1, le=65535), Expect("a whole number between 1 and 65535")] | (
        None
    ) = None
    sender: Annotated[
        str,
        strip,
        Expect(_ADDRESS, missing="the sender address, e.g. pipeline@example.com"),
        AfterValidator(lambda v: v if is_email_address(v) else _raise(_ADDRESS)),
    ] = Field(alias="from")
    manager_to: Annotated[
        list[Address],
        BeforeValidator(lambda v: [v] if isinstance(v, str) else v),
        Expect("a list of e-mail addresses"),
    ] = []
    owners: Annotated[
        dict[Text, Address] | None,
        Expect("a mapping: owner name as in the sheet -> e-mail"),
        AfterValidator(_owners),
    ] = None
    send_to_owners: Annotated[bool, Expect("true or false"), AfterValidator(_recipients)] = Field(
        False, validate_default=True
    )
    send_to_approvers: Annotated[bool, Expect("true or false")] = True
    user_env: EnvName = DEFAULT_USER_ENV
    password_env: EnvName = DEFAULT_PASSWORD_ENV
    ca_file: Text | None = None
    language: Language | None = None
    include_resolved: Annotated[bool, Expect("true or false")] | None = None


def _url_or_env(value: str | None, info: ValidationInfo) -> str | None:
    if "url" not in info.data:
        return value  # the url itself is wrong: said already
    if value is not None and info.data["url"] is not None:
        raise problem(note="give url or url_env, not both", at=())
    if value is None and info.data["url"] is None:
        raise problem(note="missing url (or url_env naming the variable that holds it)", at=())
    return value


def _signing(value: str | None, info: ValidationInfo) -> str | None:
    kind = info.data.get("kind")
    if value and kind and kind not in ("dingtalk", "feishu"):
        raise problem(note=f"only dingtalk and feishu sign messages, not {kind}")
    return value


class WebhookModel(_NotifyModel):
    """One chat or HTTP target for the team digest."""

    kind: Annotated[WebhookKind, *choice(WEBHOOK_KINDS, fold=True)]
    url: (
        Annotated[
            str,
            strip,
            Expect(_URL_EXPECTED, missing="an http(s) URL"),
            AfterValidator(lambda v: v if is_url(v) else _raise("url")),
        ]
        | None
    ) = None
    url_env: Annotated[EnvName | None, AfterValidator(_url_or_env)] = Field(
        None, validate_default=True
    )
    secret_env: Annotated[EnvName | None, AfterValidator(_signing)] = None
    name: Text | None = None
    language: Language | None = None


class NotificationsModel(_NotifyModel):
    """Who hears about a run: e-mail and chat webhooks. Secrets come from the environment."""

    language: Language = "en"
    include_resolved: Annotated[bool, Expect("true or false")] = True
    send_when_clean: Annotated[bool, Expect("true or false")] = True
    timeout_s: Annotated[
        float, Field(ge=0.1, le=300), Expect("a number of seconds between 0.1 and 300")
    ] = 10.0
    retry_delay_s: Annotated[
        float, Field(ge=0, le=60), Expect("a number of seconds between 0 and 60")
    ] = 2.0
    max_items: Annotated[
        int, Field(ge=1, le=10000), Expect("a whole number between 1 and 10000")
    ] = 200
    email: Annotated[EmailModel, Expect("a mapping with host, from, manager_to, ...")] | None = None
    allow_link_local: Annotated[bool, Expect("true or false")] = False
    amount_change_percent: Annotated[
        float, Field(ge=0, le=100000), Expect("a percentage such as 20")
    ] = Field(20.0, description="the digest's 'since last run' lists amount changes from this %")
    webhooks: Annotated[
        list[Annotated[WebhookModel, Expect("a mapping {kind: slack, url_env: MY_SLACK_URL}")]],
        Expect("a list of {kind, url or url_env}"),
    ] = []

    @field_validator("webhooks")
    @classmethod
    def _not_link_local(cls, hooks: list[WebhookModel], info: ValidationInfo) -> list[WebhookModel]:
        """Webhook URLs on link-local addresses (cloud metadata services) are refused unless
        ``allow_link_local: true`` (see salessheet.core.linklocal)."""
        if info.data.get("allow_link_local"):
            return hooks
        found = [
            item(note=text, sub=(i, "url"))
            for i, hook in enumerate(hooks)
            if hook.url and (text := check_webhook_url(hook.url))
        ]
        if found:
            raise problems(found)
        return hooks


def parse_notification_settings(
    raw: dict[str, Any] | None, where: str
) -> tuple[NotificationSettings, list[str]]:
    """Parse the ``notifications:`` section of a profile on its own.

    ``where`` names the file (it starts every problem). Returns the settings (best effort: bad
    values fall back to defaults) and every problem found; the caller raises ConfigError when
    the list is not empty. ``None`` (no section) means notifications are off.
    """
    if raw is None:
        return NotificationSettings(), []
    if not isinstance(raw, Mapping):
        return NotificationSettings(), [
            f"{where}: notifications: found {found_text(raw)}, expected a mapping with email: "
            "and/or webhooks:"
        ]
    model, found = best_effort(NotificationsModel, dict(raw), {}, where, ("notifications",))
    return build_notifications(model), found


def build_notifications(
    m: NotificationsModel | None, base_dir: Path | None = None
) -> NotificationSettings:
    """The settings the notify layer uses, from the validated section (None: off);
    ``base_dir`` (the config's folder) anchors a relative ``email.ca_file``."""
    if m is None:
        return NotificationSettings()
    email = None
    if m.email is not None:
        e = m.email
        email = EmailSettings(
            host=e.host,
            sender=e.sender,
            port=e.port if e.port is not None else DEFAULT_PORTS[e.security],
            security=e.security,
            manager_to=tuple(e.manager_to),
            owners={name.strip(): addr for name, addr in (e.owners or {}).items()},
            send_to_owners=e.send_to_owners,
            send_to_approvers=e.send_to_approvers,
            user_env=e.user_env,
            password_env=e.password_env,
            ca_file=_anchor(e.ca_file, base_dir),
            language=e.language,
            include_resolved=e.include_resolved,
        )
    return NotificationSettings(
        email=email,
        webhooks=tuple(
            WebhookTarget(w.kind, w.url, w.url_env, w.secret_env, w.name, w.language)
            for w in m.webhooks
        ),
        language=m.language,
        include_resolved=m.include_resolved,
        send_when_clean=m.send_when_clean,
        timeout_s=float(m.timeout_s),
        retry_delay_s=float(m.retry_delay_s),
        max_items=m.max_items,
        allow_link_local=m.allow_link_local,
        amount_change_percent=float(m.amount_change_percent),
    )


def _anchor(path: str | None, base_dir: Path | None) -> str | None:
    """A relative path from a config file, as a path from the config's folder."""
    if not path or base_dir is None or Path(path).expanduser().is_absolute():
        return path
    return str(base_dir / Path(path).expanduser())


_COMMAND_LINE = "command line"
_ENVIRONMENT = "environment variable"


class _OptionCheck:
    """Command-line values (``--notify-email``, ``--webhook``) and the SMTP environment
    variables they fall back on, checked with the same tests. Each problem names where the
    value came from (``origin``): an option, or the environment variable that held it."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, path: str, value: Any, expected: str, origin: str = _COMMAND_LINE) -> None:
        self.problems.append(f"{origin}: {path}: found {found_text(value)}, expected {expected}")

    def note(self, path: str, text: str) -> None:
        self.problems.append(f"{_COMMAND_LINE}: {path}: {text}")

    def choice(
        self,
        path: str,
        value: Any,
        choices: Sequence[str],
        default: Any,
        origin: str = _COMMAND_LINE,
    ) -> Any:
        if isinstance(value, str) and value.strip().lower() in choices:
            return value.strip().lower()
        self.bad(path, value, "one of " + ", ".join(choices), origin)
        return default

    def integer(
        self, path: str, value: Any, default: int, low: int, high: int, origin: str = _COMMAND_LINE
    ) -> int:
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
        self.bad(path, value, f"a whole number between {low} and {high}", origin)
        return default

    def addresses(self, path: str, values: list[str]) -> tuple[str, ...]:
        out = []
        for i, value in enumerate(values):
            if is_email_address(value):
                out.append(value.strip())
            else:
                self.bad(f"{path}[{i}]", value, _ADDRESS)
        return tuple(out)

    def url(self, path: str, value: str) -> str | None:
        if is_url(value):
            return value.strip()
        self.bad(path, value, _URL_EXPECTED)
        return None

    def env_name(self, path: str, value: str) -> str | None:
        if _ENV_NAME.match(value.strip()):
            return value.strip()
        self.bad(path, value, "the name of an environment variable, such as MY_SECRET")
        return None


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
    check = _OptionCheck()
    settings = base
    if language is not None:
        settings = replace(
            settings,
            language=check.choice("--lang", language, LANGUAGES, settings.language),
        )
    if email_to:
        recipients = check.addresses("--notify-email", list(email_to))
        old = base.email

        def given(argument: Any, name: str, configured: Any, var: str) -> tuple[Any, str, str]:
            """(value, its name, its origin): the argument, else the profile's (already
            checked), else the environment variable, which a problem then names."""
            if argument:
                return argument, name, _COMMAND_LINE
            if configured:
                return configured, name, _COMMAND_LINE
            return env.get(var), var, _ENVIRONMENT

        security, name, origin = given(
            smtp_security, "smtp_security", old.security if old else None,
            "SALESSHEET_SMTP_SECURITY",
        )  # fmt: skip
        security = check.choice(name, security or "starttls", SECURITY_MODES, "starttls", origin)
        host = smtp_host or (old.host if old else None) or env.get("SALESSHEET_SMTP_HOST")
        port, name, origin = given(
            smtp_port, "smtp_port", old.port if old else None, "SALESSHEET_SMTP_PORT"
        )
        if isinstance(port, str):
            port = int(port) if port.strip().isdigit() else port
        port = check.integer(name, port, DEFAULT_PORTS[security], 1, 65535, origin)
        from_, from_name, from_origin = given(
            sender, "sender", old.sender if old else None, "SALESSHEET_SMTP_FROM"
        )
        if not host:
            check.note(
                "--notify-email",
                "no SMTP server: set SALESSHEET_SMTP_HOST or email.host",
            )
        if not from_:
            check.note("--notify-email", "no sender: set SALESSHEET_SMTP_FROM or email.from")
        elif not is_email_address(from_):
            check.bad(
                from_name, from_, "an e-mail address such as pipeline@example.com", from_origin
            )
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


def _parse_webhook_spec(check: _OptionCheck, spec: str) -> WebhookTarget | None:
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
        var = check.env_name("--webhook", rest[4:])
        return WebhookTarget(kind=kind, url_env=var) if var else None
    url = check.url("--webhook", rest)
    return WebhookTarget(kind=kind, url=url) if url else None
