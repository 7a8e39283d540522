"""The notifications: section of a profile and the --notify-email / --webhook options."""

from __future__ import annotations

from pathlib import Path

import yaml

from salessheet.notify import (
    EmailSettings,
    NotificationSettings,
    WebhookTarget,
    parse_notification_settings,
    settings_from_options,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "salessheet" / "notify" / "example.yaml"


def test_example_section_parses_without_problems():
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["notifications"]
    settings, problems = parse_notification_settings(raw, "config/b2b.yaml")
    assert problems == []
    assert settings.language == "zh" and settings.enabled
    email = settings.email
    assert (email.host, email.port, email.security) == ("smtp.example.com", 587, "starttls")
    assert email.sender == "销售管道 <pipeline@example.com>"
    assert email.owners == {"张伟": "zhang.wei@example.com", "Alice Chen": "alice.chen@example.com"}
    assert email.user_env == "SALESSHEET_SMTP_USER"
    assert [(w.kind, w.url_env, w.secret_env) for w in settings.webhooks][:2] == [
        ("wecom", "SALESSHEET_WECOM_WEBHOOK", None),
        ("dingtalk", "SALESSHEET_DINGTALK_WEBHOOK", "SALESSHEET_DINGTALK_SECRET"),
    ]


def test_no_section_means_notifications_off():
    settings, problems = parse_notification_settings(None, "p.yaml")
    assert problems == [] and not settings.enabled


def test_every_problem_names_the_key_path_what_was_found_and_what_was_expected():
    raw = {
        "language": "fr",
        "timeout_s": "ten",
        "email": {
            "host": "smtp.example.com",
            "port": 70000,
            "security": "tls",
            "from": "not-an-address",
            "password": "hunter2",
            "manager_to": ["boss@example.com", "nobody"],
        },
        "webhooks": [
            {"kind": "telegram", "url": "https://t.example.com"},
            {"kind": "slack", "url": "https://a.example.com", "url_env": "SLACK"},
            {"kind": "slack", "url": "ftp://files.example.com", "secret_env": "S"},
            "https://x.example.com",
        ],
        "colour": "blue",
    }
    _, problems = parse_notification_settings(raw, "team.yaml")
    assert problems == [
        "team.yaml: notifications.colour: unknown key, expected one of: allow_link_local, "
        "amount_change_percent, email, include_resolved, language, max_items, retry_delay_s, "
        "send_when_clean, timeout_s, webhooks",
        "team.yaml: notifications.language: found 'fr' (text), expected one of en, zh",
        "team.yaml: notifications.timeout_s: found 'ten' (text), expected a number of seconds "
        "between 0.1 and 300",
        "team.yaml: notifications.email.password: secrets are never read from the config file; "
        "put it in an environment variable and name that variable (user_env, password_env, "
        "url_env, secret_env)",
        "team.yaml: notifications.email.security: found 'tls' (text), expected one of starttls, "
        "ssl, none",
        "team.yaml: notifications.email.port: found 70000 (a number), expected a whole number "
        "between 1 and 65535",
        "team.yaml: notifications.email.from: found 'not-an-address' (text), expected an e-mail "
        "address such as name@example.com",
        "team.yaml: notifications.email.manager_to[1]: found 'nobody' (text), expected an e-mail "
        "address such as name@example.com",
        "team.yaml: notifications.webhooks[0].kind: found 'telegram' (text), expected one of "
        "generic, slack, teams, feishu, dingtalk, wecom",
        "team.yaml: notifications.webhooks[1]: give url or url_env, not both",
        "team.yaml: notifications.webhooks[2].url: found 'ftp://files.example.com' (text), "
        "expected an http(s) URL such as https://hooks.example.com/...",
        "team.yaml: notifications.webhooks[2].secret_env: only dingtalk and feishu sign "
        "messages, not slack",
        "team.yaml: notifications.webhooks[3]: found 'https://x.example.com' (text), expected a "
        "mapping {kind: slack, url_env: MY_SLACK_URL}",
    ]


def test_missing_essentials_are_reported():
    _, problems = parse_notification_settings({"email": {"port": 25}}, "p.yaml")
    assert problems == [
        "p.yaml: notifications.email.host: missing, expected text",
        "p.yaml: notifications.email.from: missing, expected the sender address, e.g. "
        "pipeline@example.com",
        "p.yaml: notifications.email.manager_to: no recipients: give manager_to or set "
        "send_to_owners",
    ]


def test_owner_names_compare_ignoring_case_and_width():
    raw = {
        "email": {
            "host": "h.example.com",
            "from": "a@example.com",
            "send_to_owners": True,
            "owners": {"Alice Chen": "a@example.com", "ＡＬＩＣＥ  chen": "b@example.com"},
        }
    }
    settings, problems = parse_notification_settings(raw, "p.yaml")
    assert problems == [
        "p.yaml: notifications.email.owners.ＡＬＩＣＥ  chen: same owner as 'Alice Chen' "
        "(names compare ignoring case)"
    ]
    assert settings.email.owners == {"Alice Chen": "a@example.com"}


def test_options_build_settings_from_the_environment():
    env = {
        "SALESSHEET_SMTP_HOST": "relay.example.com",
        "SALESSHEET_SMTP_PORT": "465",
        "SALESSHEET_SMTP_SECURITY": "ssl",
        "SALESSHEET_SMTP_FROM": "bot@example.com",
    }
    settings, problems = settings_from_options(
        ["boss@example.com"],
        [
            "slack=https://hooks.slack.com/services/T/B/X",
            "https://h.example.com/in",
            "DingTalk=env:DING_URL",
        ],
        env=env,
    )
    assert problems == []
    assert settings.email == EmailSettings(
        host="relay.example.com",
        sender="bot@example.com",
        port=465,
        security="ssl",
        manager_to=("boss@example.com",),
    )
    assert settings.webhooks == (
        WebhookTarget("slack", url="https://hooks.slack.com/services/T/B/X"),
        WebhookTarget("generic", url="https://h.example.com/in"),
        WebhookTarget("dingtalk", url_env="DING_URL"),
    )


def test_options_merge_over_the_profile_and_report_bad_specs():
    base, _ = parse_notification_settings(
        {
            "language": "zh",
            "email": {
                "host": "smtp.example.com",
                "from": "p@example.com",
                "manager_to": ["old@example.com"],
                "owners": {"张伟": "z@example.com"},
            },
            "webhooks": [{"kind": "wecom", "url": "https://qyapi.example.com/send?key=1"}],
        },
        "p.yaml",
    )
    settings, problems = settings_from_options(
        ["new@example.com"], ["telegram=https://t.example.com", "slack=not a url"], base=base
    )
    assert settings.email.manager_to == ("new@example.com",)
    assert settings.email.owners == {"张伟": "z@example.com"} and settings.language == "zh"
    assert [w.kind for w in settings.webhooks] == ["wecom"]
    assert problems == [
        "command line: --webhook: found 'telegram=https://t.example.com' (text), expected "
        "KIND=URL with KIND one of generic, slack, teams, feishu, dingtalk, wecom",
        "command line: --webhook: found 'not a url' (text), expected an http(s) URL such as "
        "https://hooks.example.com/...",
    ]


def test_notify_email_without_an_smtp_server_is_a_problem():
    settings, problems = settings_from_options(["boss@example.com"], [], env={})
    assert settings == NotificationSettings()
    assert problems == [
        "command line: --notify-email: no SMTP server: set SALESSHEET_SMTP_HOST or email.host",
        "command line: --notify-email: no sender: set SALESSHEET_SMTP_FROM or email.from",
    ]
