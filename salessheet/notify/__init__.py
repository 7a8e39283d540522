"""Notifications after a run: e-mail digests and chat webhooks (issue 7).

Public API::

    settings, problems = parse_notification_settings(profile.get("notifications"), where)
    results = send_notifications(report, settings, env=os.environ)
"""

from importlib import import_module
from typing import Any

# Imported on first use: the profile loader needs only `settings`, not SMTP, TLS and HTTP.
_HOMES = {
    "Digest": "salessheet.notify.digest",
    "build_digest": "salessheet.notify.digest",
    "report_owners": "salessheet.notify.digest",
    "send_notifications": "salessheet.notify.dispatch",
    "NotificationResult": "salessheet.notify.results",
    "EmailSettings": "salessheet.settings.notify",
    "NotificationSettings": "salessheet.settings.notify",
    "WebhookTarget": "salessheet.settings.notify",
    "parse_notification_settings": "salessheet.settings.notify",
    "settings_from_options": "salessheet.settings.notify",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
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
