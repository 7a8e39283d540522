"""What one send attempt and one notification came to. Failures are data, never exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Attempt:
    """One try at one target. ``transient`` failures (network, timeout, 429, 5xx) are retried."""

    ok: bool
    transient: bool = False
    error: str | None = None
    retry_after: float | None = None  # seconds, from a 429's Retry-After


@dataclass(frozen=True)
class NotificationResult:
    channel: str  # "email" | "webhook"
    target: str  # recipients, or "kind host" for a webhook (never the secret URL)
    audience: str  # "team" or the owner's name
    status: str  # "sent" | "failed" | "skipped"
    attempts: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "target": self.target,
            "audience": self.audience,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
        }

    def render(self) -> str:
        text = f"{self.status}: {self.channel} {self.target} ({self.audience})"
        if self.attempts > 1:
            text += f" after {self.attempts} attempts"
        return f"{text}: {self.error}" if self.error else text
