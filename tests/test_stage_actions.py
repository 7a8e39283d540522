"""On entering a stage: the nightly `run` carries out a stage's on_enter actions, night after
night, on a workbook and on a Google Sheet, against a real SMTP server (aiosmtpd) and a real
webhook server (pytest-httpserver) on 127.0.0.1.

Each scenario runs beside a twin: the same workbook, the same nights, with the same profile
minus on_enter. The twin's exit codes are what the actions must never change."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import make_xlsx
from openpyxl import load_workbook

from salessheet import api
from salessheet.core import catalogue

D = dt.date
CLOSE = D(2026, 12, 20)
HEADER = ["Deal ID", "Customer", "Stage", "Owner", "Amount", "Currency", "Expected Close",
          "Contact"]  # fmt: skip
DEALS = [
    ["D-1", "Acme Ltd", "negotiation", "Ann", 1000, "CNY", CLOSE, "Li"],
    ["D-2", "Beta 贝塔", "follow_up", "Bob", 5000, "CNY", CLOSE, "Wang"],
    ["D-3", "Gamma", "follow_up", "Cy", 2000, "CNY", CLOSE, "Zhao"],
]
LINES = [
    ["Deal ID", "Product", "Quantity", "Unit price"],
    ["D-1", "Widget", 1, 1000],
    ["D-2", "Widget", 2, 2500],
    ["D-3", "Thing", 1, 2000],
]
HISTORY = "salessheet history"
REGISTER = "salessheet documents"
STAGE_COL = HEADER.index("Stage") + 1


# --- servers --------------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        raw = envelope.original_content or envelope.content
        self.messages.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(raw, policy=email.policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def hooks(httpserver):
    httpserver.expect_request("/chat", method="POST").respond_with_json({"ok": True})
    httpserver.expect_request("/broken", method="POST").respond_with_data("boom", status=500)
    return httpserver


def posts(server, path: str) -> list[dict]:
    return [json.loads(req.get_data()) for req, _ in server.log if req.path == path]


# --- the workbook, the profiles, the nights ---------------------------------------------------


def workbook(path: Path) -> Path:
    return make_xlsx(path, {"Pipeline": [HEADER, *DEALS], "Line Items": LINES})


def profiles(folder: Path, smtp_port: int, hook_url: str, on_enter: str) -> tuple[Path, Path]:
    """The team's profile with ``on_enter`` for negotiation, and its twin without."""
    base = (
        "extends: b2b\n"
        "documents: {seller: {name: Qinghe Software, name_zh: 青禾软件}}\n"
        "notifications:\n"
        f"  email: {{host: 127.0.0.1, port: {smtp_port}, security: none,\n"
        "          from: pipeline@example.com, manager_to: [boss@example.com]}\n"
        "  webhooks:\n"
        f"    - {{kind: generic, url: '{hook_url}/chat', name: sales-chat}}\n"
        f"    - {{kind: generic, url: '{hook_url}/broken', name: ops-chat}}\n"
    )
    team, twin = folder / "team.yaml", folder / "twin.yaml"
    team.write_text(base + "stages:\n  - id: negotiation\n    on_enter:\n" + on_enter, "utf-8")
    twin.write_text(base, "utf-8")
    return team, twin


ACTIONS = (
    "      - {issue: quote, format: html}\n"
    "      - {notify: sales-manager@example.com}\n"
    "      - {notify: sales-chat,\n"
    "         message: {en: A deal reached negotiation, zh: 商机进入报价与谈判}}\n"
)


def move(path: Path, deal: str, stage: str) -> None:
    wb = load_workbook(path)
    ws = wb["Pipeline"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == deal:
            row[STAGE_COL - 1].value = stage
    wb.save(path)


class Nights:
    """The team's workbook and its twin, run night after night through the CLI."""

    def __init__(self, cli, folder: Path, team: Path, twin: Path) -> None:
        self.cli = cli
        for name in ("team", "twin"):
            (folder / name).mkdir()
        self.book = workbook(folder / "team" / "pipeline.xlsx")
        self.twin_book = workbook(folder / "twin" / "pipeline.xlsx")
        self.team, self.twin = team, twin

    def move(self, deal: str, stage: str) -> None:
        move(self.book, deal, stage)
        move(self.twin_book, deal, stage)

    def run(self, today: str, *extra: str) -> dict:
        code, out = self.cli.json("run", self.book, "--config", self.team, "--today", today, *extra)
        twin_code, twin = self.cli.json(
            "run", self.twin_book, "--config", self.twin, "--today", today, *extra
        )
        assert code == twin_code, (code, twin_code)  # actions never change the exit code
        assert "actions" not in twin  # a profile without on_enter prints what it printed
        out["exit_code"] = code
        out["twin_findings"] = twin["findings"]
        return out


def codes(report: dict) -> list[tuple[str, str | None, str]]:
    return sorted((f["code"], f["deal_id"], f["status"]) for f in report["findings"])


def history_rows(path: Path) -> list[list[Any]]:
    ws = load_workbook(path, read_only=True)[HISTORY]
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


def action_rows(path: Path) -> list[list[Any]]:
    return [r[:9] for r in history_rows(path) if r[3] == "action"]


def done(deal: str, action: str, **extra: Any) -> dict:
    return {"deal_id": deal, "stage": "negotiation", "stage_label": "negotiation",
            "action": action, "status": "done",
            "attempt": 1, "number": None, "file": None, "new": None, "error": None,
            "reason": None, "retry": None} | extra  # fmt: skip


# --- the nights ---------------------------------------------------------------------------------


def test_a_deal_entering_negotiation_gets_its_quote_mail_and_chat_message_once(
    tmp_path: Path, cli, smtp, hooks
) -> None:
    inbox, port = smtp
    team, twin = profiles(tmp_path, port, hooks.url_for("").rstrip("/"), ACTIONS)
    nights = Nights(cli, tmp_path, team, twin)
    documents = nights.book.parent / "documents"

    # night 1: the tool meets a full pipeline (D-1 already in negotiation): nothing is sent
    first = nights.run("2026-11-02")
    assert first["actions"] == []
    assert inbox.messages == [] and list(hooks.log) == [] and not documents.exists()

    # night 2: D-2 moved into negotiation during the day
    nights.move("D-2", "negotiation")
    second = nights.run("2026-11-03")
    quote = documents / "Q-2026-0001_Beta_贝塔.html"
    assert second["actions"] == [
        done("D-2", "issue a quote (html)", number="Q-2026-0001", file=str(quote), new=True),
        done("D-2", "notify sales-manager@example.com"),
        done("D-2", "notify sales-chat"),
    ]
    assert "Beta 贝塔" in quote.read_text("utf-8") and "Q-2026-0001" in quote.read_text("utf-8")
    register = load_workbook(nights.book, read_only=True)[REGISTER]
    assert [r[:4] for r in register.iter_rows(values_only=True)] == [
        ("number", "revision", "deal id", "kind"),
        ("Q-2026-0001", 1, "D-2", "quote"),
    ]
    [(to, mail)] = inbox.messages
    assert to == ["sales-manager@example.com"]
    assert mail["Subject"] == "[salessheet] D-2 Beta 贝塔 entered Negotiation"
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n") == (
        "Deal: D-2 · Customer: Beta 贝塔 · Owner: Bob\n"
        "Amount: CN¥5,000.00\n"
        "Stage: Negotiation (from Follow-up), entered 2026-11-03\n"
        f"Document: Quote Q-2026-0001 ({quote.name})\n"
        f"Source: {nights.book}, sheet Pipeline\n"
    )
    [chat] = posts(hooks, "/chat")
    assert {k: chat[k] for k in ("event", "deal_id", "customer", "stage", "from", "message",
                                 "amount", "currency", "documents")} == {
        "event": "salessheet.stage_entered",
        "deal_id": "D-2",
        "customer": "Beta 贝塔",
        "stage": "negotiation",
        "from": "Follow-up",
        "message": "A deal reached negotiation",
        "amount": "5000",
        "currency": "CNY",
        "documents": [{"kind": "quote", "number": "Q-2026-0001", "file": quote.name}],
    }  # fmt: skip
    # the ledger says what was done, in rows a person can read
    assert action_rows(nights.book) == [
        ["R0002", "2026-11-03", "D-2", "action", "negotiation", "done", None, None,
         f"action=issue a quote (html); attempt=1; entered=R0002; number=Q-2026-0001; "
         f"file={quote.name}"],
        ["R0002", "2026-11-03", "D-2", "action", "negotiation", "done", None, None,
         "action=notify sales-manager@example.com; attempt=1; entered=R0002"],
        ["R0002", "2026-11-03", "D-2", "action", "negotiation", "done", None, None,
         "action=notify sales-chat; attempt=1; entered=R0002"],
    ]  # fmt: skip
    assert second["findings"] == second["twin_findings"]

    # night 2 again (a rerun the same day), then night 3: nothing twice
    before = nights.book.read_bytes()
    again = nights.run("2026-11-03")
    assert again["actions"] == [] and again["written"]["unchanged"]
    assert nights.book.read_bytes() == before
    third = nights.run("2026-11-04")
    assert third["actions"] == []
    assert len(inbox.messages) == 1 and len(posts(hooks, "/chat")) == 1
    assert sorted(p.name for p in documents.iterdir()) == [quote.name]
    assert len(action_rows(nights.book)) == 3
    assert third["findings"] == third["twin_findings"]
    # the ledger's other readers do not see the action rows as changes of a deal
    changes = api.changes(nights.book, profile=str(team), today=D(2026, 11, 4)).to_dict()
    twin_changes = api.changes(nights.twin_book, profile=str(twin), today=D(2026, 11, 4))
    assert changes["movement"] == twin_changes.to_dict()["movement"]


def test_a_failing_webhook_is_tried_on_three_more_nights_then_reported(
    tmp_path: Path, cli, smtp, hooks
) -> None:
    inbox, port = smtp
    on_enter = "      - {notify: sales-chat}\n      - {notify: ops-chat}\n"  # ops-chat answers 500
    team, twin = profiles(tmp_path, port, hooks.url_for("").rstrip("/"), on_enter)
    nights = Nights(cli, tmp_path, team, twin)
    nights.run("2026-11-02")
    nights.move("D-2", "negotiation")
    nights.move("D-3", "negotiation")
    error = "HTTP 500 INTERNAL SERVER ERROR: boom"

    def failed(deal: str, attempt: int, retry: bool = True) -> dict:
        return done(deal, "notify ops-chat", status="failed", attempt=attempt, error=error,
                    retry=retry)  # fmt: skip

    night = nights.run("2026-11-03")
    assert night["actions"] == [
        done("D-2", "notify sales-chat"),
        failed("D-2", 1),
        done("D-3", "notify sales-chat"),
        failed("D-3", 1),
    ]
    assert len(posts(hooks, "/broken")) == 2
    assert nights.run("2026-11-03")["actions"] == []  # one attempt a night
    assert len(posts(hooks, "/broken")) == 2

    nights.move("D-3", "contract")  # D-3 moves on: its retry is dropped
    night = nights.run("2026-11-04")
    assert night["actions"] == [
        failed("D-2", 2),
        done("D-3", "notify ops-chat", status="skipped", reason="the deal left negotiation"),
    ]
    assert nights.run("2026-11-05")["actions"] == [failed("D-2", 3)]
    last = nights.run("2026-11-06")
    assert last["actions"] == [failed("D-2", 4, retry=False)]
    [finding] = [f for f in last["findings"] if f["code"] == catalogue.ACTION_FAILED.code]
    assert (finding["severity"], finding["status"], finding["deal_id"], finding["cell"]) == (
        "warning", "new", "D-2", "C3",
    )  # fmt: skip
    assert finding["message"] == (
        f"on entering negotiation: notify ops-chat failed 4 times; last error: {error}"
    )
    assert codes(last) == sorted(
        [*[(f["code"], f["deal_id"], f["status"]) for f in last["twin_findings"]],
         ("action-failed", "D-2", "new")]
    )  # fmt: skip
    assert len(posts(hooks, "/broken")) == 5  # 2 + the three retries of D-2

    # given up: not tried again, and reported every night while D-2 stays in negotiation
    after = nights.run("2026-11-07")
    assert after["actions"] == [] and len(posts(hooks, "/broken")) == 5
    assert ("action-failed", "D-2", "persisting") in codes(after)
    validated = api.validate(nights.book, profile=str(team), today=D(2026, 11, 7)).to_dict()
    assert ("action-failed", "D-2", "persisting") in codes(validated)
    nights.move("D-2", "contract")
    moved_on = nights.run("2026-11-08")
    assert ("action-failed", "D-2", "resolved") in codes(moved_on)
    assert moved_on["actions"] == []
    # every success once, every failure recorded
    assert len(posts(hooks, "/chat")) == 2 and inbox.messages == []
    assert [(r[2], r[5], r[8].split("; ")[1]) for r in action_rows(nights.book)] == [
        ("D-2", "done", "attempt=1"), ("D-2", "failed", "attempt=1"),
        ("D-3", "done", "attempt=1"), ("D-3", "failed", "attempt=1"),
        ("D-2", "failed", "attempt=2"), ("D-3", "skipped", "attempt=1"),
        ("D-2", "failed", "attempt=3"), ("D-2", "failed", "attempt=4"),
    ]  # fmt: skip


def test_dry_run_lists_the_actions_and_does_none(tmp_path: Path, cli, smtp, hooks) -> None:
    inbox, port = smtp
    team, twin = profiles(tmp_path, port, hooks.url_for("").rstrip("/"), ACTIONS)
    nights = Nights(cli, tmp_path, team, twin)
    nights.run("2026-11-02")
    nights.move("D-2", "negotiation")
    before = nights.book.read_bytes()

    planned = nights.run("2026-11-03", "--dry-run")
    assert planned["actions"] == [
        done("D-2", "issue a quote (html)", status="planned"),
        done("D-2", "notify sales-manager@example.com", status="planned"),
        done("D-2", "notify sales-chat", status="planned"),
    ]
    text = cli("run", nights.book, "--config", team, "--today", "2026-11-03", "--dry-run")
    assert text.exit_code == planned["exit_code"]
    assert (
        "On-enter actions: 3 planned (dry run: nothing done):\n"
        "  D-2          negotiation  issue a quote (html): planned\n"
        "  D-2          negotiation  notify sales-manager@example.com: planned\n"
        "  D-2          negotiation  notify sales-chat: planned\n"
    ) in text.stdout
    assert nights.book.read_bytes() == before
    assert inbox.messages == [] and list(hooks.log) == []
    assert not (nights.book.parent / "documents").exists()

    # the real run does them all, and says so
    text = cli("run", nights.book, "--config", team, "--today", "2026-11-03")
    quote = nights.book.parent / "documents" / "Q-2026-0001_Beta_贝塔.html"
    assert (
        "On-enter actions (3 done):\n"
        f"  D-2          negotiation  issue a quote (html): done — Q-2026-0001 → {quote}\n"
        "  D-2          negotiation  notify sales-manager@example.com: done\n"
        "  D-2          negotiation  notify sales-chat: done\n"
    ) in text.stdout
    assert quote.exists() and len(inbox.messages) == 1 and len(posts(hooks, "/chat")) == 1


def test_documents_go_where_the_profile_or_the_command_says(
    tmp_path: Path, cli, smtp, hooks
) -> None:
    _, port = smtp
    team, twin = profiles(tmp_path, port, hooks.url_for("").rstrip("/"),
                          "      - {issue: quote, format: pdf}\n")  # fmt: skip
    seller = "name_zh: 青禾软件}"
    text = team.read_text("utf-8").replace(seller + "}", seller + ", out_dir: quotes}")
    team.write_text(text, "utf-8")
    nights = Nights(cli, tmp_path, team, twin)
    nights.run("2026-11-02")
    nights.move("D-2", "negotiation")
    night = nights.run("2026-11-03")
    pdf = tmp_path / "quotes" / "Q-2026-0001_Beta_贝塔.pdf"  # relative to the config file
    assert [a["file"] for a in night["actions"]] == [str(pdf)]
    assert pdf.read_bytes().startswith(b"%PDF-")
    nights.move("D-3", "negotiation")
    elsewhere = tmp_path / "elsewhere"
    night = nights.run("2026-11-04", "--documents-out", str(elsewhere))
    assert [(a["number"], a["file"]) for a in night["actions"]] == [
        ("Q-2026-0002", str(elsewhere / "Q-2026-0002_Gamma.pdf"))
    ]


def test_a_document_that_cannot_be_issued_fails_like_any_action(
    tmp_path: Path, cli, smtp, hooks
) -> None:
    _, port = smtp
    team, twin = profiles(tmp_path, port, hooks.url_for("").rstrip("/"),
                          "      - {issue: quote, format: html}\n")  # fmt: skip
    nights = Nights(cli, tmp_path, team, twin)
    wb = load_workbook(nights.book)
    wb["Line Items"].delete_rows(3)  # D-2 has no line items now
    wb.save(nights.book)
    nights.run("2026-11-02")
    nights.move("D-2", "negotiation")
    [action] = nights.run("2026-11-03")["actions"]
    assert (action["status"], action["attempt"], action["retry"]) == ("failed", 1, True)
    assert "no line items" in action["error"]
    assert not (nights.book.parent / "documents").exists()
    assert REGISTER not in load_workbook(nights.book, read_only=True).sheetnames


# --- on a Google Sheet ----------------------------------------------------------------------------


def test_on_a_google_sheet_actions_add_at_most_one_request(
    tmp_path: Path, smtp, hooks, monkeypatch
) -> None:
    from fake_sheets import FakeSheets

    inbox, port = smtp
    team, twin = profiles(tmp_path, port, hooks.url_for("").rstrip("/"), ACTIONS)
    with FakeSheets(token="actions-token") as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        books = {}
        for key in ("TeamKey_actions", "TwinKey_actions"):
            book = fake.add_spreadsheet(key, "Pipeline", locale="en_US")
            book.add_sheet("Pipeline", [HEADER, *DEALS])
            book.add_sheet("Line Items", LINES)
            books[key] = book
        out = tmp_path / "documents"

        def night(today: str) -> tuple[dict, Counter, Counter]:
            counts = []
            reports = []
            for key, cfg in (("TeamKey_actions", team), ("TwinKey_actions", twin)):
                fake.reset_counts()
                report = api.run(f"gsheet:{key}", profile=str(cfg), today=D.fromisoformat(today),
                                 documents_out=out)  # fmt: skip
                counts.append(Counter(fake.counts))
                reports.append(report)
            assert reports[0].exit_code == reports[1].exit_code
            return reports[0].to_dict(), counts[0], counts[1]

        first, requests, twin_requests = night("2026-11-02")
        assert first["actions"] == [] and requests == twin_requests
        for book in books.values():
            book.sheet("Pipeline").set("C3", "negotiation")  # D-2
        second, requests, twin_requests = night("2026-11-03")
        assert [a["status"] for a in second["actions"]] == ["done", "done", "done"]
        # the register is a new sheet: one spreadsheets.batchUpdate more; the ledger rows and the
        # register's values go in the run's one values.batchUpdate
        assert requests - twin_requests == Counter({"spreadsheets.batchUpdate": 1})
        assert requests["values.batchUpdate"] == 1 and sum(requests.values()) <= 5
        team_book = books["TeamKey_actions"]
        assert [r[:4] for r in team_book.sheet(REGISTER).grid()] == [
            ["number", "revision", "deal id", "kind"],
            ["Q-2026-0001", 1, "D-2", "quote"],
        ]
        ledger = team_book.sheet(HISTORY).grid()
        assert [r[5] for r in ledger if r[3] == "action"] == ["done", "done", "done"]
        assert (out / "Q-2026-0001_Beta_贝塔.html").exists()
        assert len(inbox.messages) == 1 and len(posts(hooks, "/chat")) == 1

        third, requests, twin_requests = night("2026-11-04")  # nothing to do
        assert third["actions"] == [] and requests == twin_requests
        assert len(inbox.messages) == 1 and len(posts(hooks, "/chat")) == 1

        for book in books.values():
            book.sheet("Pipeline").set("C4", "negotiation")  # D-3: the register exists now
        fourth, requests, twin_requests = night("2026-11-05")
        assert [(a["deal_id"], a["status"]) for a in fourth["actions"]] == [("D-3", "done")] * 3
        assert requests == twin_requests  # its growth and values ride in the run's batch
        registered = [r[:4] for r in team_book.sheet(REGISTER).grid()]
        assert registered[2] == ["Q-2026-0002", 1, "D-3", "quote"]


def test_undoing_a_wrong_move_is_no_entry(tmp_path: Path, cli, smtp, hooks) -> None:
    _, port = smtp
    team, twin = profiles(tmp_path, port, hooks.url_for("").rstrip("/"),
                          "      - {notify: sales-chat}\n")  # fmt: skip
    nights = Nights(cli, tmp_path, team, twin)
    nights.run("2026-11-02")
    nights.move("D-1", "delivery")  # negotiation -> delivery skips contract: illegal
    assert nights.run("2026-11-03")["actions"] == []
    nights.move("D-1", "negotiation")  # put back: a reverted move, not a deal entering
    back = nights.run("2026-11-04")
    assert [e[8] for e in back["events"] if e[3] == "stage"] == ["reverted"]
    assert back["actions"] == [] and list(hooks.log) == []


def test_alerts_speak_each_services_format_and_cells_stay_inert(httpserver) -> None:
    from salessheet.notify.stage_alerts import AlertJob, StageAlert, send_stage_alerts
    from salessheet.settings.notify import NotificationSettings, WebhookTarget
    from salessheet.settings.team import Bilingual

    for path in ("/slack", "/wecom", "/feishu", "/teams"):
        httpserver.expect_request(path, method="POST").respond_with_json({"errcode": 0})
    alert = StageAlert(
        "D-7", "negotiation", "Negotiation", "报价与谈判", "Follow-up", "客户跟进",
        D(2026, 11, 3), customer="[Evil](http://x.example) @all <!channel>", owner="张伟",
        message=Bilingual("Quote it", "请报价"), source="p.xlsx", sheet="Pipeline",
    )  # fmt: skip
    settings = NotificationSettings(
        webhooks=(
            WebhookTarget("slack", url=httpserver.url_for("/slack"), name="s"),
            WebhookTarget("wecom", url=httpserver.url_for("/wecom"), name="w", language="zh"),
            WebhookTarget("feishu", url=httpserver.url_for("/feishu"), name="f", language="zh"),
            WebhookTarget("teams", url=httpserver.url_for("/teams"), name="t"),
        )
    )
    jobs = [AlertJob(alert, "webhook", name) for name in ("s", "w", "f", "t", "nobody")]
    attempts = send_stage_alerts(jobs, settings, env={})
    assert [a.ok for a in attempts] == [True, True, True, True, False]
    assert attempts[4].error == "no target named 'nobody' in notifications.webhooks"
    [teams] = posts(httpserver, "/teams")
    assert teams["type"] == "message"
    [attachment] = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.2")
    assert card["body"][0]["weight"] == "Bolder"
    assert card["body"][1] == {"type": "TextBlock", "text": "Quote it", "wrap": True}
    slack, wecom, feishu = (posts(httpserver, p)[0] for p in ("/slack", "/wecom", "/feishu"))
    section = slack["blocks"][1]["text"]
    assert section["verbatim"] is True
    assert section["text"].splitlines()[:2] == [
        "Quote it",
        "Deal: D-7 · Customer: [Evil](http:／／x.example) @all &lt;!channel&gt; · Owner: 张伟",
    ]
    assert wecom["markdown"]["content"].splitlines()[:3] == [
        "### [salessheet] D-7 ［Evil］(http:／／x.example) ＠all ＜!channel＞ 进入 报价与谈判",
        "",
        "请报价  ",
    ]
    assert "阶段：报价与谈判（上一阶段：客户跟进），进入日期 2026-11-03  " in wecom["markdown"][
        "content"].splitlines()  # fmt: skip
    assert feishu["content"]["post"]["zh_cn"]["content"][0] == [{"tag": "text", "text": "请报价"}]
