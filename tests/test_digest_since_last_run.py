"""The nightly digest's "since last run" section: from the run report, in English and
Chinese, per owner, and with cell text made inert in chat markup."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pipeline_nights as story
import pytest
from aiosmtpd.controller import Controller
from markdown_it import MarkdownIt
from test_changes import write_deals
from test_notify_cli import Inbox

from salessheet.notify.digest import build_digest
from salessheet.notify.webhooks import markdown_text, payload_slack


def reports(cli, tmp_path, upto: int) -> list[dict]:
    from conftest import make_xlsx

    deals = story.start()
    path = make_xlsx(tmp_path / "pipeline.xlsx", {"Pipeline": story.rows(deals)})
    out = []
    for day, edit in story.NIGHTS[:upto]:
        edit(deals)
        write_deals(path, deals)
        out.append(cli.json("run", path, "--today", day.isoformat())[1])
    return out


def test_team_digest_in_english_and_chinese(cli, tmp_path) -> None:
    night3 = reports(cli, tmp_path, 3)[2]
    en = build_digest(night3, language="en").text
    assert "Since the last run (2026-09-29 → 2026-09-30)" in en
    assert "Open pipeline CN¥16,300.00 → CN¥10,700.00 (6 → 5 deals)" in en
    assert "Won (1)\n  B · Bob · Negotiation → Contract · CN¥5,000.00" in en
    assert "Amount changes of 20% or more (1)\n  D · Bob · CN¥3,000.00 → CN¥2,400.00 (-20%)" in en
    zh = build_digest(night3, language="zh").text
    assert "自上次运行以来（2026-09-29 → 2026-09-30）" in zh
    assert "在手管道 ¥16,300.00 → ¥10,700.00（6 → 5 个商机）" in zh
    assert "赢单（1）\n  B · Bob · Negotiation → Contract · ¥5,000.00" in zh
    assert "金额变动 ≥ 20%（1）" in zh
    html = build_digest(night3, language="zh").html
    assert '<ul class="moved">' in html and "赢单（1）" in html


def test_owner_digest_lists_only_their_deals(cli, tmp_path) -> None:
    night2 = reports(cli, tmp_path, 2)[1]
    ann = build_digest(night2, owner="Ann").text
    assert "Amount changes of 20% or more (1)\n  A · Ann" in ann
    assert "New deals" not in ann  # F is Cy's
    assert "Open pipeline" not in ann  # team totals are for the team digest
    cy = build_digest(night2, owner="cy").text
    assert "New deals (1)\n  F · Cy · Lead · CN¥800.00" in cy


def test_threshold_comes_from_the_profile(cli, tmp_path) -> None:
    night3 = reports(cli, tmp_path, 3)[2]
    report = {**night3, "since_last_run": {**night3["since_last_run"], "amount_changes": []}}
    assert "Amount changes" not in build_digest(report).text
    # notifications.amount_change_percent decides what run lists (default 20)
    assert night3["since_last_run"]["threshold_percent"] == 20.0


def test_cell_text_is_inert_in_chat_markup(cli, tmp_path) -> None:
    night2 = reports(cli, tmp_path, 2)[1]
    evil = json.loads(json.dumps(night2))
    evil["since_last_run"]["new"][0]["deal_id"] = (
        "[click](http://evil.example/x) ![i](http://e/i.png)"
    )
    evil["since_last_run"]["new"][0]["owner"] = "**boss** <@everyone>"
    digest = build_digest(evil, language="zh")
    text = markdown_text(digest)
    tokens = MarkdownIt("gfm-like").parse(text)
    links = [t for tok in tokens for t in (tok.children or []) if t.type in ("link_open", "image")]
    assert links == []
    slack = json.dumps(payload_slack(digest), ensure_ascii=False)
    assert "<http" not in slack and "&lt;@everyone&gt;" in slack


@pytest.fixture
def smtp(monkeypatch) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1 that `run --notify-email` sends to."""
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(port)), ("SECURITY", "none"),
                        ("FROM", "pipeline@example.com")):  # fmt: skip
        monkeypatch.setenv(f"SALESSHEET_SMTP_{name}", value)
    try:
        yield inbox
    finally:
        server.stop()


def _mailed(cli, path, day: str, inbox: Inbox) -> tuple[dict, str]:
    before = len(inbox.messages)
    code, out = cli.json("run", path, "--today", day, "--notify-email", "boss@example.com")
    assert code in (0, 1), out
    [note] = out["notifications"]
    assert note["status"] == "sent", note
    [msg] = inbox.messages[before:]
    return out, msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def test_a_same_day_rerun_mails_what_the_failed_night_recorded(cli, tmp_path, smtp) -> None:
    from conftest import make_xlsx

    deals = story.start()
    path = make_xlsx(tmp_path / "pipeline.xlsx", {"Pipeline": story.rows(deals)})
    assert cli.json("run", path, "--today", "2026-09-28")[0] in (0, 1)
    day, edit = story.NIGHTS[1]  # F is new, A's amount goes up 50 %
    edit(deals)
    write_deals(path, deals)
    # the night's attempt records R0002 but its digest never goes out (as when a Google
    # Sheets write is applied and its answer lost: exit 4 before notifying)
    code, failed = cli.json("run", path, "--today", day.isoformat())
    assert code in (0, 1) and failed["events"]
    out, body = _mailed(cli, path, day.isoformat(), smtp)  # the re-run the hint suggests
    assert out["events"] == [] and out["written"]["unchanged"] is True  # nothing new to record
    assert out["since_last_run"]["rerun_of"] == "R0002"
    assert "Since the last run (2026-09-28 → 2026-09-29)" in body
    assert "New deals (1)\n  F · Cy · Lead · CN¥800.00" in body
    assert "Amount changes of 20% or more (1)\n  A · Ann" in body


def test_a_night_without_movement_says_nothing_moved(cli, tmp_path, smtp) -> None:
    from conftest import make_xlsx

    deals = story.start()
    path = make_xlsx(tmp_path / "pipeline.xlsx", {"Pipeline": story.rows(deals)})
    assert cli.json("run", path, "--today", "2026-09-28")[0] in (0, 1)
    out, body = _mailed(cli, path, "2026-09-29", smtp)  # nobody touched the sheet
    assert out["events"] == []
    assert "Since the last run (2026-09-28 → 2026-09-29)" in body
    assert "No deal moved." in body
    assert "Open pipeline CN¥15,000.00 → CN¥15,000.00 (5 → 5 deals)" in body
    zh = build_digest(out, language="zh").text
    assert "自上次运行以来（2026-09-28 → 2026-09-29）" in zh and "没有商机变化。" in zh
