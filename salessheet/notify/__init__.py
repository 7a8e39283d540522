"""Notifications after a run: e-mail digests and chat webhooks (issue 7).

Public API::

    settings, problems = parse_notification_settings(profile.get("notifications"), where)
    results = send_notifications(report, settings, env=os.environ)
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what __getattr__ gives, for type checkers
    from salessheet.notify.digest import Digest as Digest
    from salessheet.notify.digest import build_digest as build_digest
    from salessheet.notify.digest import report_owners as report_owners
    from salessheet.notify.dispatch import send_notifications as send_notifications
    from salessheet.notify.results import NotificationResult as NotificationResult
    from salessheet.settings.notify import EmailSettings as EmailSettings
    from salessheet.settings.notify import NotificationSettings as NotificationSettings
    from salessheet.settings.notify import WebhookTarget as WebhookTarget
    from salessheet.settings.notify import (
        parse_notification_settings as parse_notification_settings,
    )
    from salessheet.settings.notify import settings_from_options as settings_from_options

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
