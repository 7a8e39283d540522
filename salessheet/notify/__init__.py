"""Notifications after a run: e-mail digests and chat webhooks (issue 7).

Public API::

    settings, problems = parse_notification_settings(profile.get("notifications"), where)
    results = send_notifications(report, settings, env=os.environ)
"""

from importlib import import_module
from typing import Any

# Imported on first use: the profile loader needs only `settings`, not SMTP, TLS and HTTP.
_HOMES = {
    "Digest": "digest",
    "build_digest": "digest",
    "report_owners": "digest",
    "send_notifications": "dispatch",
    "NotificationResult": "results",
    "EmailSettings": "settings",
    "NotificationSettings": "settings",
    "WebhookTarget": "settings",
    "parse_notification_settings": "settings",
    "settings_from_options": "settings",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"salessheet.notify.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'salessheet.notify' has no attribute {name!r}")


__all__ = [
    "Digest",
    "EmailSettings",
    "NotificationResult",
    "NotificationSettings",
    "WebhookTarget",
    "build_digest",
    "parse_notification_settings",
    "report_owners",
    "send_notifications",
    "settings_from_options",
]
