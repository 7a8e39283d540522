"""Chat webhooks: the JSON each incoming-webhook bot accepts, and one POST with urllib.

Kinds and their payloads:

- ``generic``: ``{"event": "salessheet.digest", ...digest data..., "findings": [...]}``
- ``slack``: ``{"text": fallback, "blocks": [header, section (mrkdwn), ...]}``; ``&<>`` escaped,
  sections ``verbatim`` (Slack links no bare URL and parses no mention in them)
- ``teams``: a message with one Adaptive Card attachment (works with Teams incoming webhooks
  and with Power Automate "post to a channel when a webhook request is received" flows)
- ``feishu`` (飞书): ``{"msg_type": "post", "content": {"post": {"zh_cn": {title, content}}}}``;
  optional signing adds ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key=f"{ts}\\n{secret}",
  msg=b"")) to the body
- ``dingtalk`` (钉钉): ``{"msgtype": "markdown", "markdown": {"title", "text"}}``; optional
  signing appends ``&timestamp=<ms>&sign=<urlencoded base64(HMAC-SHA256(key=secret,
  msg=f"{ts}\\n{secret}"))>`` to the URL
- ``wecom`` (企业微信): ``{"msgtype": "markdown", "markdown": {"content"}}``, at most 4096 bytes

DingTalk, Feishu and WeCom answer HTTP 200 with an error code in the body; that is checked.
Their headings carry the subject with its "[salessheet]" tag, so a bot whose security setting is
a custom keyword (自定义关键词) can use the keyword ``salessheet``.

Everything taken from the report (cells, sheet names, messages quoting cells) goes through
chattext.py for the markup of its service: no link, image, mention, heading, table or emphasis
can come from a cell.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote_plus, urlsplit

from salessheet.notify import chattext
from salessheet.notify.addresses import LinkLocalRefused, Resolver, opener
from salessheet.notify.digest import (
    SUBJECT_TAG,
    Digest,
    Escape,
    finding_line,
    meta_line,
    moved_sections,
    resolved_line,
    summary_line,
    t,
)
from salessheet.notify.results import Attempt

CHAT_ITEMS = 15  # findings per section in a chat message before "... and N more"
MAX_BYTES = {"wecom": 4096, "dingtalk": 18000, "feishu": 18000, "teams": 24000}
SLACK_SECTION_CHARS = 2900  # Slack's limit for a section's text is 3000
USER_AGENT = "salessheet-notify/1"
_P = TypeVar("_P")  # a chat payload
# Rate-limit answers that come back as HTTP 200 with an error code: worth the one retry.
_RATE_LIMIT_CODES = {"dingtalk": {130101}, "wecom": {45009}, "feishu": {9499, 11232}}


# --------------------------------------------------------------------------- content


def _sections(
    d: Digest, max_items: int, with_owner: bool, esc: Escape
) -> list[tuple[str, list[str]]]:
    lang = d.language
    out = []
    for key, items in (("new", d.new), ("persisting", d.persisting)):
        if items:
            lines = [
                finding_line(f, lang, with_owner=with_owner, esc=esc) for f in items[:max_items]
            ]
            if len(items) > max_items:
                lines.append(t(lang, "more", n=len(items) - max_items))
            out.append((f"{t(lang, key)} ({len(items)})", lines))
    out += moved_sections(d, max_items, esc)
    if d.resolved:
        lines = [resolved_line(f, lang, esc) for f in d.resolved[:max_items]]
        if len(d.resolved) > max_items:
            lines.append(t(lang, "more", n=len(d.resolved) - max_items))
        out.append((f"{t(lang, 'resolved')} ({len(d.resolved)})", lines))
    return out


def _intro(d: Digest, esc: Escape) -> list[str]:
    lines = [meta_line(d, esc)]
    if d.audience == "team":
        summary = summary_line(d.meta["summary"], d.language)
        if summary:
            lines.append(summary)
    if not d.new and not d.persisting:
        lines.append(t(d.language, "nothing"))
    return lines


def _fit(render: Callable[[int], _P], budget: int) -> _P:
    """Render with fewer listed findings until the JSON fits ``budget`` bytes."""
    for items in (CHAT_ITEMS, 10, 5, 2):
        payload = render(items)
        if len(json.dumps(payload, ensure_ascii=False).encode("utf-8")) <= budget:
            return payload
    return render(0)  # no finding listed: the least there is to send


def markdown_text(d: Digest, max_items: int = CHAT_ITEMS) -> str:
    """Markdown for DingTalk and WeCom (headings, bold, lists); report values made inert."""
    md = chattext.markdown
    lines = [f"### {SUBJECT_TAG} {md(d.title)}", ""]
    lines += [f"{line}  " for line in _intro(d, md)]
    for header, items in _sections(d, max_items, d.audience == "team", md):
        lines += ["", f"**{header}**", ""]
        lines += [f"- {item}" for item in items]
    return "\n".join(lines)


def _plain_subject(d: Digest) -> str:
    """The subject for a plain-text field (a notification preview, a post title)."""
    return f"{SUBJECT_TAG} {chattext.plain(d.title)}"


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _slack_blocks(d: Digest, max_items: int) -> list[dict[str, Any]]:
    title = chattext.plain(d.title)
    title = title if len(title) <= 150 else title[:149] + "…"
    esc = chattext.slack
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": _mrkdwn("\n".join(esc(line) for line in _intro(d, esc)))},
    ]
    for header, items in _sections(d, max_items, d.audience == "team", esc):
        chunk = f"*{esc(header)}*"
        for item in items:
            line = "\n• " + item
            if len(chunk) + len(line) > SLACK_SECTION_CHARS:
                blocks.append({"type": "section", "text": _mrkdwn(chunk)})
                chunk = line.lstrip("\n")
            else:
                chunk += line
        blocks.append({"type": "section", "text": _mrkdwn(chunk)})
    return blocks[:50]


# --------------------------------------------------------------------------- payloads


def payload_generic(d: Digest) -> dict[str, Any]:
    return {
        "event": "salessheet.digest",
        "audience": d.audience,
        "owner": d.owner,
        "language": d.language,
        "subject": d.subject,
        "text": d.text,
        **d.meta,
        "counts": d.counts,
        "findings": d.new + d.persisting + d.resolved,
    }


def payload_slack(d: Digest) -> dict[str, Any]:
    return {"text": chattext.slack(d.subject), "blocks": _slack_blocks(d, CHAT_ITEMS)}


def teams_message(body: list[dict[str, Any]]) -> dict[str, Any]:
    """A Teams webhook message: one Adaptive Card (1.2) holding ``body``'s blocks."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.2",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def payload_teams(d: Digest) -> dict[str, Any]:
    md = chattext.markdown

    def render(max_items: int) -> dict[str, Any]:
        body: list[dict[str, Any]] = [
            {
                "type": "TextBlock",
                "text": md(d.title),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
        ]
        body += [
            {"type": "TextBlock", "text": line, "wrap": True, "isSubtle": True}
            for line in _intro(d, md)
        ]
        for header, items in _sections(d, max_items, d.audience == "team", md):
            body.append(
                {
                    "type": "TextBlock",
                    "text": header,
                    "weight": "Bolder",
                    "wrap": True,
                    "spacing": "Medium",
                }
            )
            body += [
                {
                    "type": "TextBlock",
                    "text": f"- {item}",
                    "wrap": True,
                    "spacing": "None",
                }
                for item in items
            ]
        return teams_message(body)

    return _fit(render, MAX_BYTES["teams"])


def payload_feishu(d: Digest) -> dict[str, Any]:
    def render(max_items: int) -> dict[str, Any]:
        esc = chattext.plain
        paragraphs = [[{"tag": "text", "text": line}] for line in _intro(d, esc)]
        for header, items in _sections(d, max_items, d.audience == "team", esc):
            paragraphs.append([{"tag": "text", "text": ""}])
            paragraphs.append([{"tag": "text", "text": header}])
            paragraphs += [[{"tag": "text", "text": f"• {item}"}] for item in items]
        lang_key = "zh_cn" if d.language == "zh" else "en_us"
        return {
            "msg_type": "post",
            "content": {"post": {lang_key: {"title": _plain_subject(d), "content": paragraphs}}},
        }

    return _fit(render, MAX_BYTES["feishu"])


def payload_dingtalk(d: Digest) -> dict[str, Any]:
    def render(max_items: int) -> dict[str, Any]:
        return {
            "msgtype": "markdown",
            "markdown": {"title": _plain_subject(d), "text": markdown_text(d, max_items)},
        }

    return _fit(render, MAX_BYTES["dingtalk"])


def payload_wecom(d: Digest) -> dict[str, Any]:
    def render(max_items: int) -> dict[str, Any]:
        return {
            "msgtype": "markdown",
            "markdown": {"content": markdown_text(d, max_items)},
        }

    payload = _fit(render, MAX_BYTES["wecom"])
    content = payload["markdown"]["content"]
    if len(content.encode("utf-8")) > MAX_BYTES["wecom"]:  # a huge title or summary
        cut = content.encode("utf-8")[: MAX_BYTES["wecom"] - 3].decode("utf-8", "ignore")
        payload["markdown"]["content"] = cut + "…"
    return payload


PAYLOADS: dict[str, Callable[[Digest], dict[str, Any]]] = {
    "generic": payload_generic,
    "slack": payload_slack,
    "teams": payload_teams,
    "feishu": payload_feishu,
    "dingtalk": payload_dingtalk,
    "wecom": payload_wecom,
}


# --------------------------------------------------------------------------- signing


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), not yet URL-encoded."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()).decode()


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    sign = quote_plus(dingtalk_sign(secret, timestamp_ms))
    joiner = "&" if urlsplit(url).query else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign}"


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def prepare(
    kind: str, url: str, digest: Digest, *, secret: str | None, now: float
) -> tuple[str, dict[str, Any]]:
    """The URL to POST to and the JSON body, signed when a secret is given."""
    payload = PAYLOADS[kind](digest)
    if secret and kind == "dingtalk":
        url = dingtalk_signed_url(url, secret, int(now * 1000))
    elif secret and kind == "feishu":
        ts = int(now)
        payload = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **payload}
    return url, payload


def describe_target(kind: str, url: str | None, name: str | None = None) -> str:
    """``slack hooks.slack.com``: enough to recognise the target, never its secret parts."""
    if name:
        return f"{kind} {name}"
    host = urlsplit(url).hostname if url else None
    return f"{kind} {host or '(url from environment)'}"


# --------------------------------------------------------------------------- HTTP


def _app_error(kind: str, body: bytes) -> Attempt | None:
    """DingTalk/WeCom/Feishu report errors inside a 200 answer."""
    if kind not in ("dingtalk", "wecom", "feishu"):
        return None
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    code = data.get("errcode", data.get("code", data.get("StatusCode", 0)))
    if code in (0, None):
        return None
    msg = data.get("errmsg") or data.get("msg") or data.get("StatusMessage") or ""
    transient = isinstance(code, int) and code in _RATE_LIMIT_CODES.get(kind, set())
    return Attempt(False, transient, f"{kind} refused the message: {code} {msg}".rstrip())


def _retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit():
        return min(float(value.strip()), 30.0)
    return None


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    kind: str,
    timeout_s: float,
    allow_link_local: bool = False,
    resolver: Resolver = socket.getaddrinfo,
) -> Attempt:
    """POST once. Never raises; transient = network error, timeout, 429 or 5xx.

    The host is resolved with ``resolver`` and the POST goes to the addresses it answered,
    none of them link-local unless ``allow_link_local`` (see addresses.py)."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
        },
    )
    try:
        with opener(allow_link_local=allow_link_local, resolver=resolver).open(
            request, timeout=timeout_s
        ) as response:
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        detail = ""
        try:
            detail = exc.read(300).decode("utf-8", "replace").strip()
        except Exception:  # noqa: BLE001 - the status is what matters
            pass
        error = f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
        transient = exc.code == 429 or exc.code >= 500
        return Attempt(False, transient, error, _retry_after(exc.headers.get("Retry-After")))
    except TimeoutError:
        return Attempt(False, True, f"no answer within {timeout_s:g} s")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, LinkLocalRefused):
            return Attempt(False, False, f"refused: {reason}")
        if isinstance(reason, TimeoutError):
            return Attempt(False, True, f"no answer within {timeout_s:g} s")
        return Attempt(
            False,
            True,
            f"cannot connect: {getattr(reason, 'strerror', None) or reason}",
        )
    except (OSError, ValueError) as exc:
        return Attempt(False, isinstance(exc, OSError), f"cannot send: {exc}")
    return _app_error(kind, body) or Attempt(True)
