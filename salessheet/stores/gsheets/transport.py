"""HTTP transport for the Google Sheets store: endpoint rewrite, bounded retries, deadline.

A requests adapter mounted on ``https://sheets.googleapis.com/`` and ``https://www.googleapis.com/``:

* with an emulator endpoint (``SALESSHEET_SHEETS_ENDPOINT``) every such request goes to that base
  instead, keeping the path and query, with ``Authorization: Bearer <SALESSHEET_SHEETS_TOKEN>``;
* an idempotent request that gets 408/429/5xx or a connection error is retried with exponential
  backoff and jitter, at most ``max_attempts`` times and never past the overall deadline;
* a non-idempotent request (``values:append``, ``spreadsheets:batchUpdate``, Drive create, …) is
  sent exactly once: the caller decides, after looking, whether to send it again;
* every attempt gets a timeout, capped by the time left before the deadline.

``sleep``, ``clock`` and ``rng`` are injectable so tests never sleep for real.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from salessheet.core.errors import SourceError, StoreUnavailable

GOOGLE_BASES = ("https://sheets.googleapis.com/", "https://www.googleapis.com/")
ENDPOINT_ENV = "SALESSHEET_SHEETS_ENDPOINT"
TOKEN_ENV = "SALESSHEET_SHEETS_TOKEN"
# What a caller may catch for "the network failed" without importing requests itself.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (requests.RequestException,)
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# POST calls that set or read state the same way however often they are sent.
_IDEMPOTENT_POST_SUFFIXES = (
    "/values:batchGet",
    "/values:batchGetByDataFilter",
    "/values:batchUpdate",
    "/values:batchClear",
    ":clear",
)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay_s: float = 1.0
    max_delay_s: float = 32.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0


@dataclass
class Attempt:
    method: str
    path: str
    outcome: str  # HTTP status as text, or the exception class name
    idempotent: bool


@dataclass
class TransportStats:
    attempts: list[Attempt] = field(default_factory=list)
    slept_s: float = 0.0

    def requests_sent(self) -> int:
        return len(self.attempts)


def is_idempotent(method: str, url: str) -> bool:
    """True if sending this request twice has the same effect as sending it once."""
    method = method.upper()
    if method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE"):
        return True
    path = urlsplit(url).path
    return method == "POST" and path.endswith(_IDEMPOTENT_POST_SUFFIXES)


def rewrite_url(url: str, endpoint: str) -> str:
    """Move a googleapis.com URL onto ``endpoint``, keeping path and query."""
    for base in GOOGLE_BASES:
        if url.startswith(base):
            target = urlsplit(endpoint)
            src = urlsplit(url)
            path = target.path.rstrip("/") + src.path
            return urlunsplit((target.scheme, target.netloc, path, src.query, ""))
    return url


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class SheetsAdapter(HTTPAdapter):
    """Rewrites (optionally), retries idempotent requests, and enforces the deadline."""

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        token: str | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        self.endpoint = endpoint
        self._token = token
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._deadline_at: float | None = None
        self._deadline_s: float | None = None
        self.stats = TransportStats()

    def begin(self, deadline_s: float) -> None:
        """Start an operation: every request from now on must finish within ``deadline_s``."""
        self._deadline_s = deadline_s
        self._deadline_at = self._clock() + deadline_s

    def _remaining(self) -> float:
        if self._deadline_at is None:
            return float("inf")
        return self._deadline_at - self._clock()

    def _timeout(self, given: object) -> tuple[float, float]:
        connect, read = self.policy.connect_timeout_s, self.policy.read_timeout_s
        if isinstance(given, tuple) and len(given) == 2 and all(given):
            connect, read = float(given[0]), float(given[1])
        elif isinstance(given, int | float) and given:
            connect = read = float(given)
        left = self._remaining()
        return (max(0.001, min(connect, left)), max(0.001, min(read, left)))

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        backoff = min(self.policy.max_delay_s, self.policy.base_delay_s * 2 ** (attempt - 1))
        delay: float = backoff * (0.5 + 0.5 * self._rng.random())
        hinted = _retry_after(response) if response is not None else None
        if hinted is not None:
            delay = max(delay, hinted)
        return delay

    def send(
        self,
        request: Any,  # a PreparedRequest: its url and method are set by the time it is sent
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        if self.endpoint:
            request.url = rewrite_url(request.url, self.endpoint)
            if self._token:
                request.headers["Authorization"] = f"Bearer {self._token}"
            else:
                request.headers.pop("Authorization", None)
        idempotent = is_idempotent(request.method or "GET", request.url)
        where = urlsplit(request.url)
        label = f"{request.method} {where.path}"
        attempt = 0
        while True:
            attempt += 1
            if self._remaining() <= 0:
                raise StoreUnavailable(
                    f"Google Sheets: gave up on {label}: the {self._deadline_s:g} s deadline passed"
                    f" after {attempt - 1} attempt(s)",
                    hint="the network or Google is slow or down: try again later",
                )
            try:
                response = super().send(
                    request,
                    stream=stream,
                    timeout=self._timeout(timeout),
                    verify=verify,
                    cert=cert,
                    proxies=proxies,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                self.stats.attempts.append(
                    Attempt(request.method or "", where.path, type(exc).__name__, idempotent)
                )
                if not idempotent:
                    raise StoreUnavailable(
                        f"Google Sheets: {label} failed ({type(exc).__name__}) and was not"
                        " repeated because repeating it could apply it twice",
                        hint="check the sheet, then run again",
                    ) from None
                if not self._may_retry(attempt, None):
                    raise StoreUnavailable(
                        f"could not reach {where.scheme}://{where.netloc}"
                        f" ({type(exc).__name__}) after {attempt} attempt(s)",
                        hint="check the network connection (and any proxy), then run again",
                    ) from None
                continue
            self.stats.attempts.append(
                Attempt(request.method or "", where.path, str(response.status_code), idempotent)
            )
            if response.status_code not in RETRY_STATUSES or not idempotent:
                return response
            if not self._may_retry(attempt, response):
                return response
            response.close()

    def _may_retry(self, attempt: int, response: requests.Response | None) -> bool:
        """Sleep before the next attempt and return True, or return False to give up."""
        if attempt >= self.policy.max_attempts:
            return False
        delay = self._delay(attempt, response)
        if delay >= self._remaining():
            return False
        self._sleep(delay)
        self.stats.slept_s += delay
        return True

    def pause(self, attempt: int) -> bool:
        """Back off before a caller-decided repeat; False if the deadline leaves no room."""
        return self._may_retry(attempt, None)

    def attempts_for_last_request(self) -> int:
        """How many attempts the most recent request took (for messages)."""
        if not self.stats.attempts:
            return 0
        last = self.stats.attempts[-1]
        count = 0
        for item in reversed(self.stats.attempts):
            if (item.method, item.path) != (last.method, last.path):
                break
            count += 1
        return count


def emulator_settings(env: Mapping[str, str]) -> tuple[str, str | None] | None:
    """(endpoint, token) when ``SALESSHEET_SHEETS_ENDPOINT`` is set, else None."""
    endpoint = env.get(ENDPOINT_ENV, "").strip()
    if not endpoint:
        return None
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(
            f"{ENDPOINT_ENV}={endpoint!r} is not an http(s) URL",
            hint="e.g. http://127.0.0.1:8123/",
        )
    return endpoint, env.get(TOKEN_ENV) or None


def mount(session: requests.Session, adapter: SheetsAdapter) -> None:
    """Route every googleapis.com request of ``session`` through ``adapter``."""
    for base in GOOGLE_BASES:
        session.mount(base, adapter)


def emulator_session(adapter: SheetsAdapter) -> requests.Session:
    """A plain session for the emulator: no Google credentials, no proxy from the environment."""
    session = requests.Session()
    session.trust_env = False
    mount(session, adapter)
    return session
