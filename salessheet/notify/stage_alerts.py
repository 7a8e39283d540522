"""Alerts of a stage's ``on_enter: [{notify: ...}]`` actions: "deal D-2 entered negotiation",
sent by the nightly run to an e-mail address (through ``notifications.email``) or to a named
target of ``notifications.webhooks``.

One message per deal and action, in the language of the channel (``email.language`` or the
target's ``language``, else ``notifications.language``), with the action's own ``message:``
first. Each alert is sent once per night: no retry here (the run tries a failed action again
on the next nights). Never raises: every alert's outcome is an ``Attempt``.

Cells (customer, owner, deal id) go through chattext for the markup of each chat service, as
the digests do.
"""

from __future__ import annotations

import datetime as dt
import html
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from salessheet.core.currency import currency_code
from salessheet.core.records import Deal
from salessheet.notify import chattext, webhooks
from salessheet.notify import email as email_channel
from salessheet.notify.addresses import Resolver
from salessheet.notify.digest import SUBJECT_TAG
from salessheet.notify.results import Attempt
from salessheet.settings.notify import DEFAULT_SECRET_ENV, NotificationSettings, WebhookTarget
from salessheet.settings.profile import Profile, Stage
from salessheet.settings.team import Bilingual
from salessheet.sheet.stagenames import StageNames

EVENT = "salessheet.stage_entered"
DOC_NAMES = {
    "en": {"quote": "Quote", "contract": "Contract"},
    "zh": {"quote": "报价单", "contract": "合同"},
}


@dataclass(frozen=True)
class StageAlert:
    """What an alert says about one deal that entered a stage."""

    deal_id: str
    stage: str  # the stage's id
    stage_label: str
    stage_label_zh: str | None
    from_stage: str | None  # the label of the stage it came from
    from_stage_zh: str | None
    entered: dt.date
    customer: str | None = None
    owner: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    message: Bilingual | None = None  # the action's message:
    documents: tuple[tuple[str, str, str], ...] = ()  # (kind, number, file) issued tonight
    source: str = ""
    sheet: str = ""


@dataclass(frozen=True)
class AlertJob:
    alert: StageAlert
    channel: str  # "email" | "webhook"
    target: str  # the address, or the name of a notifications.webhooks target


def stage_alert(
    profile: Profile,
    deal: Deal,
    stage: Stage,
    message: Bilingual | None,
    *,
    from_stage: str | None,
    entered: dt.date,
    documents: Sequence[tuple[str | None, str, str]] = (),
    source: str = "",
    sheet: str = "",
    names: StageNames | None = None,
) -> StageAlert:
    """The alert about ``deal`` that entered ``stage`` (from ``from_stage``, an id). With
    ``names`` (the pipeline's ``stage_names``) the stages are named as the sheet writes them,
    in a message of either language; else by the profile's labels."""
    came = next((s for s in profile.stages if s.id == from_stage), None)
    amount = deal.values.get("amount")
    currency = deal.values.get("currency")
    if names is None:
        names = StageNames({}, {s.id: (s.label, s.label_zh) for s in profile.stages})
    return StageAlert(
        deal.id,
        stage.id,
        names.for_reader(stage.id, False, deal),
        names.for_reader(stage.id, True, deal),
        names.for_reader(came.id, False) if came else from_stage,
        names.for_reader(came.id, True) if came else None,
        entered,
        _text(deal.values.get("customer")),
        _text(deal.values.get("owner")),
        amount if isinstance(amount, Decimal) else None,
        currency_code(currency, profile.currency),
        message,
        tuple((kind or "", number, file) for kind, number, file in documents),
        source,
        sheet,
    )


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _money(amount: Decimal, currency: str | None, lang: str) -> str:
    from salessheet.core.formatting import format_money

    try:
        return format_money(amount, currency or "CNY", "zh_CN" if lang == "zh" else "en_US")
    except (ValueError, KeyError, TypeError):
        return f"{amount} {currency or ''}".strip()


def headline(a: StageAlert, lang: str) -> str:
    """``D-2 Beta entered Negotiation`` (cells not yet made inert)."""
    who = " ".join(x for x in (a.deal_id, a.customer or "") if x)
    if lang == "zh":
        return f"{who} 进入 {a.stage_label_zh or a.stage_label}"
    return f"{who} entered {a.stage_label}"


def subject(a: StageAlert, lang: str) -> str:
    return f"{SUBJECT_TAG} {headline(a, lang)}"


def lines(a: StageAlert, lang: str) -> list[str]:
    """The alert's text, one line each (cells not yet made inert)."""
    zh = lang == "zh"
    out = []
    if a.message is not None:
        out.append(a.message.pick(lang))
    parts = [("商机" if zh else "Deal", a.deal_id), ("客户" if zh else "Customer", a.customer),
             ("负责人" if zh else "Owner", a.owner)]  # fmt: skip
    sep = "：" if zh else ": "
    out.append(" · ".join(f"{k}{sep}{v}" for k, v in parts if v))
    if a.amount is not None:
        out.append(f"{'金额' if zh else 'Amount'}{sep}{_money(a.amount, a.currency, lang)}")
    stage = (a.stage_label_zh or a.stage_label) if zh else a.stage_label
    came = (a.from_stage_zh or a.from_stage) if zh else a.from_stage
    if zh:
        text = f"阶段：{stage}" + (f"（上一阶段：{came}）" if came else "")
        out.append(text + f"，进入日期 {a.entered.isoformat()}")
    else:
        text = f"Stage: {stage}" + (f" (from {came})" if came else "")
        out.append(text + f", entered {a.entered.isoformat()}")
    for kind, number, file in a.documents:
        name = DOC_NAMES["zh" if zh else "en"].get(kind, kind)
        out.append(f"{'文件' if zh else 'Document'}{sep}{name} {number} ({file})")
    if a.source:
        where = f"{a.source}，工作表 {a.sheet}" if zh else f"{a.source}, sheet {a.sheet}"
        out.append(f"{'来源' if zh else 'Source'}{sep}{where}")
    return out


def text_body(a: StageAlert, lang: str) -> str:
    return "\n".join(lines(a, lang)) + "\n"


def html_body(a: StageAlert, lang: str) -> str:
    items = "".join(f"<p>{html.escape(line)}</p>" for line in lines(a, lang))
    return f'<!doctype html><html lang="{lang}"><body>{items}</body></html>'


# --------------------------------------------------------------------------- chat payloads


def payload(kind: str, a: StageAlert, lang: str) -> dict[str, Any]:
    """The JSON body for a webhook of ``kind`` (see notify.webhooks for each service)."""
    title = subject(a, lang)
    if kind == "generic":
        return {
            "event": EVENT,
            "deal_id": a.deal_id,
            "customer": a.customer,
            "owner": a.owner,
            "stage": a.stage,
            "stage_label": (a.stage_label_zh or a.stage_label) if lang == "zh" else a.stage_label,
            "from": a.from_stage,
            "entered": a.entered.isoformat(),
            "amount": None if a.amount is None else str(a.amount),
            "currency": a.currency,
            "message": a.message.pick(lang) if a.message is not None else None,
            "documents": [{"kind": k, "number": n, "file": f} for k, n, f in a.documents],
            "language": lang,
            "subject": title,
            "text": text_body(a, lang),
            "source": a.source,
            "sheet": a.sheet,
        }
    if kind == "slack":
        esc = chattext.slack
        body = "\n".join(esc(line) for line in lines(a, lang))
        head = chattext.plain(title)
        return {
            "text": esc(title),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": head[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": body, "verbatim": True}},
            ],
        }
    md = chattext.markdown
    md_title = f"{SUBJECT_TAG} {md(headline(a, lang))}"  # the tag stays as written
    if kind == "teams":
        blocks = [{"type": "TextBlock", "text": md_title, "weight": "Bolder", "wrap": True}]
        blocks += [{"type": "TextBlock", "text": md(line), "wrap": True} for line in lines(a, lang)]
        return webhooks.teams_message(blocks)
    if kind == "feishu":
        paragraphs = [[{"tag": "text", "text": chattext.plain(line)}] for line in lines(a, lang)]
        key = "zh_cn" if lang == "zh" else "en_us"
        post = {key: {"title": chattext.plain(title), "content": paragraphs}}
        return {"msg_type": "post", "content": {"post": post}}
    text = "\n".join([f"### {md_title}", ""] + [f"{md(line)}  " for line in lines(a, lang)])
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": chattext.plain(title), "text": text}}
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    raise ValueError(f"unknown webhook kind {kind!r}")


# --------------------------------------------------------------------------- sending


def send_stage_alerts(
    jobs: Sequence[AlertJob],
    settings: NotificationSettings,
    *,
    env: Mapping[str, str],
    allow_link_local: bool = False,
    resolver: Resolver = socket.getaddrinfo,
    now: Callable[[], float] = time.time,
) -> list[Attempt]:
    """Send each alert once; one Attempt per job, in order. E-mails share one SMTP session."""
    out: list[Attempt | None] = [None] * len(jobs)
    mails = [i for i, j in enumerate(jobs) if j.channel == "email"]
    if mails:
        cfg = settings.email
        if cfg is None:
            for i in mails:
                out[i] = Attempt(False, False, "no notifications.email (the SMTP server)")
        else:
            lang = cfg.language or settings.language
            messages = [
                email_channel.compose_message(
                    subject(jobs[i].alert, lang),
                    text_body(jobs[i].alert, lang),
                    html_body(jobs[i].alert, lang),
                    sender=cfg.sender,
                    to=[jobs[i].target],
                    language=lang,
                )
                for i in mails
            ]
            sent = email_channel.send_messages(messages, cfg, env=env, timeout_s=settings.timeout_s)
            for i, attempt in zip(mails, sent, strict=True):
                out[i] = attempt
    guard = {
        "allow_link_local": allow_link_local or settings.allow_link_local,
        "resolver": resolver,
    }
    for i, job in enumerate(jobs):
        if job.channel == "webhook":
            target = next((t for t in settings.webhooks if t.name == job.target), None)
            out[i] = _post(job.alert, target, job.target, settings, env, now, guard)
    return [a if a is not None else Attempt(False, False, "not sent") for a in out]


def _post(
    alert: StageAlert,
    target: WebhookTarget | None,
    name: str,
    settings: NotificationSettings,
    env: Mapping[str, str],
    now: Callable[[], float],
    guard: dict[str, Any],
) -> Attempt:
    if target is None:
        return Attempt(False, False, f"no target named {name!r} in notifications.webhooks")
    url = target.url or (env.get(target.url_env) if target.url_env else None)
    if not url:
        return Attempt(False, False, f"environment variable {target.url_env} is not set")
    secret_env = target.secret_env or DEFAULT_SECRET_ENV.get(target.kind)
    secret = env.get(secret_env) if secret_env else None
    if target.secret_env and not secret:
        return Attempt(False, False, f"environment variable {target.secret_env} is not set")
    body = payload(target.kind, alert, target.language or settings.language)
    if secret and target.kind == "dingtalk":
        url = webhooks.dingtalk_signed_url(url, secret, int(now() * 1000))
    elif secret and target.kind == "feishu":
        ts = int(now())
        body = {"timestamp": str(ts), "sign": webhooks.feishu_sign(secret, ts), **body}
    return webhooks.post_json(url, body, kind=target.kind, timeout_s=settings.timeout_s, **guard)
