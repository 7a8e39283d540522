"""Notifications after a run: e-mail digests and chat webhooks (issue 7).

Public API::

    settings, problems = parse_notification_settings(profile.get("notifications"), where)
    results = send_notifications(report, settings, env=os.environ)
"""

from salessheet.notify.digest import Digest, build_digest, report_owners
from salessheet.notify.dispatch import send_notifications
from salessheet.notify.results import NotificationResult
from salessheet.notify.settings import (
    EmailSettings,
    NotificationSettings,
    WebhookTarget,
    parse_notification_settings,
    settings_from_options,
)

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
