"""Send a run's digests to every configured target; report each outcome, never raise.

Each target gets a timeout per attempt and at most ONE retry, only after a transient failure
(network error, timeout, HTTP 429/5xx, SMTP 4xx). A failed notification is a result with
status "failed": it does not change the run's exit code and cannot lose the run's results
(call this after the report has been printed or saved).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from salessheet.notify import email as email_channel
from salessheet.notify import webhooks
from salessheet.notify.addresses import Resolver
from salessheet.notify.digest import (
    Digest,
    build_approver_digest,
    build_digest,
    report_approvers,
    report_owners,
)
from salessheet.notify.results import Attempt, NotificationResult
from salessheet.settings.notify import (
    DEFAULT_SECRET_ENV,
    EmailSettings,
    NotificationSettings,
    WebhookTarget,
    normalize_owner,
)


class _DigestOptions(TypedDict):
    """The digest options every e-mail of one run shares (``build_digest``'s keywords)."""

    language: str
    include_resolved: bool
    max_items: int


def send_notifications(
    report: dict[str, Any],
    settings: NotificationSettings,
    *,
    env: Mapping[str, str],
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
    allow_link_local: bool = False,
    resolver: Resolver = socket.getaddrinfo,
) -> list[NotificationResult]:
    """E-mail digests (team + per owner) and one chat message per webhook target.

    ``env`` supplies credentials, webhook URLs given as ``url_env`` and signing secrets (pass
    ``os.environ``). ``sleep`` waits before a retry; ``now`` stamps DingTalk/Feishu signatures.
    A webhook whose host is (or resolves, through ``resolver``, to) a link-local address is
    refused unless ``allow_link_local`` or the settings' ``allow_link_local``. Settings with
    no target at all give one "skipped" result that says so (:func:`nothing_to_send`).
    """
    if settings.email is None and not settings.webhooks:
        return [nothing_to_send()]
    guard = {
        "allow_link_local": allow_link_local or settings.allow_link_local,
        "resolver": resolver,
    }
    results: list[NotificationResult] = []
    if settings.email is not None:
        try:
            results += _send_email(report, settings, settings.email, env=env, sleep=sleep)
        except Exception as exc:  # noqa: BLE001 - a notification bug must not end the run
            results.append(
                NotificationResult(
                    "email",
                    settings.email.host,
                    "team",
                    "failed",
                    0,
                    f"internal error: {type(exc).__name__}: {exc}",
                )
            )
    digests: dict[str, Digest] = {}
    for target in settings.webhooks:
        try:
            results.append(_send_webhook(report, settings, target, digests, env, sleep, now, guard))
        except Exception as exc:  # noqa: BLE001 - a notification bug must not end the run
            results.append(
                NotificationResult(
                    "webhook",
                    webhooks.describe_target(target.kind, target.url, target.name),
                    "team",
                    "failed",
                    0,
                    f"internal error: {type(exc).__name__}: {exc}",
                )
            )
    return results


NO_TARGETS = (
    "no digest sent: no notification targets (the profile has no `notifications:` section with "
    "an `email:` or `webhooks:` target, and neither --notify-email nor --webhook was given)"
)


def nothing_to_send() -> NotificationResult:
    """The one result of a notify with no target at all: "skipped", saying why, so that a
    nightly job asked to notify does not pass for one whose digest went out."""
    return NotificationResult("digest", "-", "team", "skipped", 0, NO_TARGETS)


def _wait(sleep: Callable[[float], None], settings: NotificationSettings, first: Attempt) -> None:
    delay = settings.retry_delay_s
    if first.retry_after is not None:
        delay = max(delay, first.retry_after)
    if delay > 0:
        sleep(delay)


# --------------------------------------------------------------------------- e-mail


def _send_email(
    report: dict[str, Any],
    settings: NotificationSettings,
    cfg: EmailSettings,
    *,
    env: Mapping[str, str],
    sleep: Callable[[float], None],
) -> list[NotificationResult]:
    language = cfg.language or settings.language
    include_resolved = (
        cfg.include_resolved if cfg.include_resolved is not None else settings.include_resolved
    )
    options: _DigestOptions = {
        "language": language,
        "include_resolved": include_resolved,
        "max_items": settings.max_items,
    }
    planned: list[tuple[str, str, Any]] = []  # (audience, recipients, message)
    results: list[NotificationResult] = []
    if cfg.manager_to:
        team = build_digest(report, **options)
        recipients = ", ".join(cfg.manager_to)
        if not team.open_findings and not settings.send_when_clean:
            results.append(
                NotificationResult(
                    "email",
                    recipients,
                    "team",
                    "skipped",
                    0,
                    "nothing open and send_when_clean is false",
                )
            )
        else:
            msg = email_channel.build_message(team, sender=cfg.sender, to=cfg.manager_to)
            planned.append(("team", recipients, msg))
    if cfg.send_to_owners:
        addresses = {normalize_owner(name): addr for name, addr in cfg.owners.items()}
        for owner in report_owners(report):
            digest = build_digest(report, owner=owner, **options)
            if digest.is_empty:
                continue
            addr = addresses.get(normalize_owner(owner))
            if addr is None:
                results.append(
                    NotificationResult(
                        "email",
                        "-",
                        owner,
                        "skipped",
                        0,
                        f"no address for owner {owner!r} in notifications.email.owners",
                    )
                )
                continue
            msg = email_channel.build_message(digest, sender=cfg.sender, to=[addr])
            planned.append((owner, addr, msg))
    if cfg.send_to_approvers:
        results += _plan_approvers(report, cfg, options, planned)
    if not planned:
        return results
    timeout = settings.timeout_s
    first = email_channel.send_messages([m for _, _, m in planned], cfg, env=env, timeout_s=timeout)
    final: list[tuple[Attempt, int]] = [(a, 1) for a in first]
    retry = [i for i, a in enumerate(first) if not a.ok and a.transient]
    if retry:
        _wait(sleep, settings, first[retry[0]])
        second = email_channel.send_messages(
            [planned[i][2] for i in retry], cfg, env=env, timeout_s=timeout
        )
        for i, attempt in zip(retry, second, strict=True):
            final[i] = (attempt, 2)
    for (audience, recipients, _), (attempt, count) in zip(planned, final, strict=True):
        results.append(
            NotificationResult(
                "email",
                recipients,
                audience,
                "sent" if attempt.ok else "failed",
                count,
                None if attempt.ok else attempt.error,
            )
        )
    return results


def _plan_approvers(
    report: dict[str, Any],
    cfg: EmailSettings,
    options: _DigestOptions,
    planned: list[tuple[str, str, Any]],
) -> list[NotificationResult]:
    """Each approver named by a finding gets the deals waiting for them, at the address
    ``email.owners`` gives for that name (the people the notifications know)."""
    skipped = []
    addresses = {normalize_owner(name): addr for name, addr in cfg.owners.items()}
    for name in report_approvers(report):
        addr = addresses.get(normalize_owner(name))
        if addr is None:
            note = f"no address for approver {name!r} in notifications.email.owners"
            skipped.append(NotificationResult("email", "-", name, "skipped", 0, note))
            continue
        digest = build_approver_digest(
            report, name, language=options["language"], max_items=options["max_items"]
        )
        msg = email_channel.build_message(digest, sender=cfg.sender, to=[addr])
        planned.append((name, addr, msg))
    return skipped


# --------------------------------------------------------------------------- webhooks


def _send_webhook(
    report: dict[str, Any],
    settings: NotificationSettings,
    target: WebhookTarget,
    digests: dict[str, Digest],
    env: Mapping[str, str],
    sleep: Callable[[float], None],
    now: Callable[[], float],
    guard: dict[str, Any],
) -> NotificationResult:
    url = target.url or (env.get(target.url_env) if target.url_env else None)
    label = webhooks.describe_target(target.kind, url, target.name)

    def result(status: str, attempts: int, error: str | None = None) -> NotificationResult:
        return NotificationResult("webhook", label, "team", status, attempts, error)

    if not url:
        return result("failed", 0, f"environment variable {target.url_env} is not set")
    secret_env = target.secret_env or DEFAULT_SECRET_ENV.get(target.kind)
    secret = env.get(secret_env) if secret_env else None
    if target.secret_env and not secret:
        return result("failed", 0, f"environment variable {target.secret_env} is not set")
    language = target.language or settings.language
    if language not in digests:
        digests[language] = build_digest(
            report,
            language=language,
            include_resolved=settings.include_resolved,
            max_items=settings.max_items,
        )
    digest = digests[language]
    if not digest.open_findings and not settings.send_when_clean:
        return result("skipped", 0, "nothing open and send_when_clean is false")
    attempt = Attempt(False)
    for number in (1, 2):
        post_url, payload = webhooks.prepare(target.kind, url, digest, secret=secret, now=now())
        attempt = webhooks.post_json(
            post_url, payload, kind=target.kind, timeout_s=settings.timeout_s, **guard
        )
        if attempt.ok:
            return result("sent", number)
        if not attempt.transient or number == 2:
            return result("failed", number, attempt.error)
        _wait(sleep, settings, attempt)
    return result("failed", 2, attempt.error)
