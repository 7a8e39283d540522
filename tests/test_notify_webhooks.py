"""Chat webhooks posted to a real HTTP server on localhost (pytest-httpserver), payloads parsed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from urllib.parse import urlsplit

import pytest
from werkzeug import Response

from salessheet.core.findings import Finding
from salessheet.notify import NotificationSettings, WebhookTarget, send_notifications

NOW = 1764300000.123  # fixed "time.time()" for signatures
SECRET = "SECb7c0ffee-钉钉-secret"


def _finding(code, severity, status, deal, row, column, cell, owner, message):
    return Finding(
        code=code,
        severity=severity,
        status=status,
        message=message,
        deal_id=deal,
        sheet="Pipeline",
        row=row,
        column=column,
        cell=cell,
        owner=owner,
    ).to_dict()


def _report(extra: int = 0) -> dict:
    findings = [
        _finding(
            "illegal-transition",
            "error",
            "new",
            "D-0007",
            9,
            "Stage",
            "F9",
            "Alice Chen",
            "Stage moved from lead to contract <skipping> 3 stages & more",
        ),
        _finding(
            "missing-required",
            "error",
            "persisting",
            "D-0002",
            4,
            "金额",
            "D4",
            "张伟",
            "Amount is required in stage negotiation",
        ),
        _finding(
            "past-expected-close",
            "warning",
            "resolved",
            "D-0001",
            3,
            "Expected Close",
            "H3",
            "Alice Chen",
            "Expected close date has passed",
        ),
    ]
    findings += [
        _finding(
            "stalled-in-stage",
            "warning",
            "new",
            f"D-{1000 + i}",
            100 + i,
            "Stage",
            f"F{100 + i}",
            "Bob",
            "In lead for 20 days (limit 14) " + "x" * 40,
        )
        for i in range(extra)
    ]
    return {
        "source": "pipeline.xlsx",
        "sheet": "Pipeline",
        "today": "2026-11-28",
        "profile": "b2b",
        "summary": {"deals": 12, "errors": 2, "warnings": extra},
        "findings": findings,
    }


def _settings(*targets: WebhookTarget, **kw) -> NotificationSettings:
    return NotificationSettings(webhooks=targets, retry_delay_s=kw.pop("retry_delay_s", 0), **kw)


def _send(report, settings, env=None, waits=None):
    sleep = waits.append if waits is not None else (lambda s: None)
    return send_notifications(report, settings, env=env or {}, sleep=sleep, now=lambda: NOW)


def _posted(httpserver, path):
    bodies = [
        (req, json.loads(req.get_data(as_text=True)))
        for req, _ in httpserver.log
        if req.path == path
    ]
    for req, _ in bodies:
        assert req.method == "POST"
        assert req.headers["Content-Type"] == "application/json; charset=utf-8"
    return bodies


def test_every_kind_receives_the_format_its_bot_accepts(httpserver):
    for path in ("/generic", "/slack", "/teams", "/feishu", "/dingtalk", "/wecom"):
        httpserver.expect_request(path, method="POST").respond_with_data("ok")
    settings = _settings(
        WebhookTarget("generic", url=httpserver.url_for("/generic")),
        WebhookTarget("slack", url=httpserver.url_for("/slack")),
        WebhookTarget("teams", url=httpserver.url_for("/teams")),
        WebhookTarget("feishu", url=httpserver.url_for("/feishu"), language="zh"),
        WebhookTarget(
            "dingtalk", url=httpserver.url_for("/dingtalk") + "?access_token=tok", language="zh"
        ),
        WebhookTarget("wecom", url=httpserver.url_for("/wecom") + "?key=k-1", language="zh"),
    )
    results = _send(_report(), settings)
    assert [(r.channel, r.target, r.status, r.attempts) for r in results] == [
        ("webhook", f"{kind} localhost", "sent", 1)
        for kind in ("generic", "slack", "teams", "feishu", "dingtalk", "wecom")
    ]
    title = "Pipeline digest 2026-11-28 · Pipeline: 2 errors (1 new)"
    line_d7 = (
        "[error] D-0007 · Stage F9 · illegal-transition: Stage moved from lead to contract "
        "<skipping> 3 stages & more · owner: Alice Chen"
    )

    [(_, generic)] = _posted(httpserver, "/generic")
    assert generic["event"] == "salessheet.digest"
    assert generic["subject"] == f"[salessheet] {title}"
    assert generic["counts"] == {
        "new": 1,
        "persisting": 1,
        "resolved": 1,
        "open": 2,
        "errors": 2,
        "warnings": 0,
        "infos": 0,
    }
    assert [(f["deal_id"], f["status"]) for f in generic["findings"]] == [
        ("D-0007", "new"),
        ("D-0002", "persisting"),
        ("D-0001", "resolved"),
    ]
    assert generic["summary"] == {"deals": 12, "errors": 2, "warnings": 0}

    [(_, slack)] = _posted(httpserver, "/slack")
    assert slack["text"] == f"[salessheet] {title}"
    assert slack["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": title}}
    sections = [b["text"]["text"] for b in slack["blocks"][1:]]
    assert all(
        b["type"] == "section" and b["text"]["type"] == "mrkdwn" for b in slack["blocks"][1:]
    )
    assert sections[1] == "*New (1)*\n• " + line_d7.replace("&", "&amp;").replace(
        "<", "&lt;"
    ).replace(">", "&gt;")
    assert (
        sections[3]
        == "*Resolved since the last run (1)*\n• D-0001 past-expected-close (Expected Close H3)"
    )

    [(_, teams)] = _posted(httpserver, "/teams")
    assert teams["type"] == "message"
    [attachment] = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.2"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    texts = [b["text"] for b in card["body"]]
    assert all(b["type"] == "TextBlock" for b in card["body"])
    teams_d7 = line_d7.replace("<", "＜").replace(">", "＞").replace("&", "＆")  # inert
    assert texts[0] == title and f"- {teams_d7}" in texts

    [(req, feishu)] = _posted(httpserver, "/feishu")
    assert set(feishu) == {"msg_type", "content"}  # no secret: not signed
    assert feishu["msg_type"] == "post"
    post = feishu["content"]["post"]["zh_cn"]
    zh_subject = "[salessheet] 销售管道日报 2026-11-28 · Pipeline：2 个错误（1 个新问题）"
    assert post["title"] == zh_subject
    assert [{"tag": "text", "text": "新增问题 (1)"}] in post["content"]
    assert all(len(p) == 1 and p[0]["tag"] == "text" for p in post["content"])

    [(req, ding)] = _posted(httpserver, "/dingtalk")
    assert dict(req.args) == {"access_token": "tok"}  # no secret: no timestamp/sign
    assert ding["msgtype"] == "markdown"
    assert ding["markdown"]["title"] == post["title"]
    text = ding["markdown"]["text"]
    assert text.startswith(f"### {post['title']}\n")
    assert (
        "- [错误] D-0002 · 金额 D4 · missing-required：Amount is required in stage negotiation"
        " · 负责人：张伟" in text.splitlines()
    )

    [(req, wecom)] = _posted(httpserver, "/wecom")
    assert dict(req.args) == {"key": "k-1"}
    assert list(wecom) == ["msgtype", "markdown"] and list(wecom["markdown"]) == ["content"]
    assert wecom["msgtype"] == "markdown" and wecom["markdown"]["content"] == text


def _dingtalk_expected_sign(secret: str, timestamp: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def test_dingtalk_signature_in_query_verifies(httpserver):
    httpserver.expect_request("/robot/send").respond_with_json({"errcode": 0, "errmsg": "ok"})
    target = WebhookTarget("dingtalk", url_env="DING_URL", secret_env="DING_SECRET")
    env = {
        "DING_URL": httpserver.url_for("/robot/send") + "?access_token=abc",
        "DING_SECRET": SECRET,
    }
    [result] = _send(_report(), _settings(target), env=env)
    assert (result.status, result.target) == ("sent", "dingtalk localhost")
    [(req, body)] = _posted(httpserver, "/robot/send")
    assert req.args["access_token"] == "abc"
    assert req.args["timestamp"] == "1764300000123"  # milliseconds
    # werkzeug decodes the URL-encoded sign; it must equal a freshly computed HMAC
    assert req.args["sign"] == _dingtalk_expected_sign(SECRET, "1764300000123")
    assert "%2B" in req.query_string.decode() or "+" not in req.args["sign"]
    assert body["msgtype"] == "markdown"


def test_feishu_signature_in_body_verifies(httpserver):
    httpserver.expect_request("/hook").respond_with_json({"code": 0, "msg": "success"})
    target = WebhookTarget("feishu", url=httpserver.url_for("/hook"))
    env = {"SALESSHEET_FEISHU_SECRET": "fs-secret"}  # the default variable name
    [result] = _send(_report(), _settings(target), env=env)
    assert result.status == "sent"
    [(_, body)] = _posted(httpserver, "/hook")
    assert body["timestamp"] == "1764300000"  # seconds
    key = b"1764300000\nfs-secret"
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    assert body["msg_type"] == "post"


def test_server_error_twice_is_one_retry_then_a_reported_failure(httpserver):
    httpserver.expect_request("/flaky").respond_with_data("boom", status=500)
    waits: list[float] = []
    settings = _settings(
        WebhookTarget("slack", url=httpserver.url_for("/flaky")), retry_delay_s=2.5
    )
    [result] = _send(_report(), settings, waits=waits)
    assert (result.status, result.attempts) == ("failed", 2)
    assert result.error == "HTTP 500 INTERNAL SERVER ERROR: boom"
    assert len(_posted(httpserver, "/flaky")) == 2
    assert waits == [2.5]


def test_server_error_then_success_is_sent_on_the_retry(httpserver):
    httpserver.expect_ordered_request("/once").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/once").respond_with_data("ok")
    [result] = _send(_report(), _settings(WebhookTarget("teams", url=httpserver.url_for("/once"))))
    assert (result.status, result.attempts, result.error) == ("sent", 2, None)


def test_client_error_is_not_retried(httpserver):
    httpserver.expect_request("/gone").respond_with_data("no_service", status=404)
    [result] = _send(_report(), _settings(WebhookTarget("slack", url=httpserver.url_for("/gone"))))
    assert (result.status, result.attempts) == ("failed", 1)
    assert result.error == "HTTP 404 NOT FOUND: no_service"


def test_rate_limit_waits_for_retry_after(httpserver):
    httpserver.expect_ordered_request("/rl").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "7"})
    )
    httpserver.expect_ordered_request("/rl").respond_with_data("ok")
    waits: list[float] = []
    [result] = _send(
        _report(), _settings(WebhookTarget("generic", url=httpserver.url_for("/rl"))), waits=waits
    )
    assert (result.status, result.attempts) == ("sent", 2)
    assert waits == [7.0]


def test_error_codes_inside_http_200_are_failures(httpserver):
    httpserver.expect_request("/ding").respond_with_json(
        {"errcode": 310000, "errmsg": "sign not match"}
    )
    httpserver.expect_request("/wecom").respond_with_json(
        {"errcode": 45009, "errmsg": "api freq out of limit"}
    )
    settings = _settings(
        WebhookTarget("dingtalk", url=httpserver.url_for("/ding")),
        WebhookTarget("wecom", url=httpserver.url_for("/wecom")),
    )
    ding, wecom = _send(_report(), settings)
    assert (ding.status, ding.attempts) == ("failed", 1)  # a wrong secret: retrying cannot help
    assert ding.error == "dingtalk refused the message: 310000 sign not match"
    assert (wecom.status, wecom.attempts) == ("failed", 2)  # rate limited: retried once
    assert wecom.error == "wecom refused the message: 45009 api freq out of limit"


def test_missing_environment_variables_are_reported_without_sending(httpserver):
    settings = _settings(
        WebhookTarget("slack", url_env="SLACK_URL"),
        WebhookTarget("dingtalk", url=httpserver.url_for("/d"), secret_env="DING_SECRET"),
    )
    results = _send(_report(), settings, env={})
    assert [(r.target, r.status, r.attempts, r.error) for r in results] == [
        ("slack (url from environment)", "failed", 0, "environment variable SLACK_URL is not set"),
        ("dingtalk localhost", "failed", 0, "environment variable DING_SECRET is not set"),
    ]
    assert httpserver.log == []


def test_wecom_message_fits_its_4096_byte_limit(httpserver):
    httpserver.expect_request("/w").respond_with_json({"errcode": 0, "errmsg": "ok"})
    [result] = _send(
        _report(extra=300),
        _settings(WebhookTarget("wecom", url=httpserver.url_for("/w"), language="zh")),
    )
    assert result.status == "sent"
    [(_, body)] = _posted(httpserver, "/w")
    content = body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert "- ……另有 " in content  # the rest is counted, not silently dropped
    assert "D-0007" in content  # errors come first


def test_unanswered_request_times_out_and_is_reported():
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        settings = _settings(WebhookTarget("generic", url=url), timeout_s=0.1)
        [result] = _send(_report(), settings)
    assert (result.status, result.attempts) == ("failed", 2)
    assert result.error == "no answer within 0.1 s"
    assert result.target == "generic 127.0.0.1"
    assert urlsplit(url).path not in result.render()


@pytest.mark.parametrize("kind", ["generic", "slack", "teams", "feishu", "dingtalk", "wecom"])
def test_clean_run_payload_says_nothing_needs_attention(httpserver, kind):
    httpserver.expect_request("/c").respond_with_data("ok")
    report = {**_report(), "findings": []}
    [result] = _send(report, _settings(WebhookTarget(kind, url=httpserver.url_for("/c"))))
    assert result.status == "sent"
    [(req, _)] = _posted(httpserver, "/c")
    raw = req.get_data(as_text=True)
    assert ("Nothing needs attention." in raw) or (kind == "generic" and '"findings": []' in raw)


def test_a_malformed_report_is_a_reported_failure_not_an_exception(httpserver):
    report = {**_report(), "summary": ["not", "a", "mapping"]}
    settings = _settings(WebhookTarget("slack", url=httpserver.url_for("/s")))
    [result] = _send(report, settings)
    assert (result.status, result.attempts) == ("failed", 0)
    assert result.error.startswith("internal error: ValueError: ")
    assert httpserver.log == []
