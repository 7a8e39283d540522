"""The team's own rules on real workbooks: conditional checks, approvals (and the approver's
digest over a real SMTP server), stage guidance (init workbook, JSON findings, digests),
on_enter declarations, `salessheet rules --config`, and the shipped example rules."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import socket
from decimal import Decimal
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from openpyxl import Workbook, load_workbook

from salessheet import api
from salessheet.core import catalogue
from salessheet.core.catalogue import CATALOGUE
from salessheet.core.errors import ConfigError
from salessheet.core.findings import findings_json
from salessheet.core.records import Deal, TableLayout
from salessheet.documents.preflight import StageInfo, allowed_stages
from salessheet.init.workbook import init_workbook
from salessheet.notify import EmailSettings, NotificationSettings, send_notifications
from salessheet.rules.engine import unused_text_fields
from salessheet.rules.team import action_failed
from salessheet.settings.profile import Bilingual, StageAction, load_profile
from salessheet.settings.team import document_stages

REPO = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 28)
D = dt.date
# the team's rule ids (finding codes of the profile, not of the catalogue)
APPROVAL, CONTACT, CONTRACT = "discount-approval", "big-deal-contact", "won-without-contract"

TEAM = """\
extends: b2b
approvers:
  default: [Wang Fang]
  by_owner: {Ann: [Li Na, Zhao Lei]}
rules:
  - id: discount-approval
    when: discount > 20% and stage >= "negotiation" and stage != "lost"
    require: [approver]
    severity: error
    message: {en: A discount above 20% needs approval, zh: 折扣超过20%需审批}
  - id: big-deal-contact
    when: amount > 500000
    check: contact is not empty
  - id: won-without-contract
    when: stage in ["contract", "delivery"]
    require: [contract_no]
    severity: info
stages:
  - id: negotiation
    guidance: {en: Quote sent and budget confirmed, zh: 已报价且预算已确认}
"""
GUIDANCE = "Quote sent and budget confirmed (已报价且预算已确认)"
HEADER = ["Deal ID", "Customer", "Stage", "Owner", "Amount", "Expected Close", "Contact",
          "Discount", "Approver", "Contract No"]  # fmt: skip
CLOSE = D(2026, 12, 20)
ROWS = [
    ["D-1", "Acme", "negotiation", "Ann", 600000, CLOSE, None, "25%", None, None],
    ["D-2", "Beta", "报价与谈判", "Bob", 1000, CLOSE, "Li", 0.3, "Li Na", None],
    ["D-3", "Gamma", "negotiation", "Ann", 1000, CLOSE, "Li", 0.5, "zhao  LEI", None],
    ["D-4", "Delta", "contract", "Cy", 2000, CLOSE, "Li", 0.1, None, None],
    ["D-5", "Eps", "contract", "Dee", 3000, CLOSE, "Li", None, None, "HT-2026-0001"],
    ["D-6", "Zeta", "lead", "Eve", 900000, CLOSE, None, None, None, None],
    ["D-7", "Eta", "negotiation", "Fay", 100, None, "Wu", 0.05, None, None],
]  # fmt: skip


def team_profile(tmp_path: Path, text: str = TEAM) -> Path:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(text, "utf-8")
    return cfg


def workbook(path: Path, rows: list[list] = ROWS, header: list[str] = HEADER) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def team_findings(report) -> list[tuple]:
    codes = {APPROVAL, CONTACT, CONTRACT, catalogue.MISSING_FIELD.code}
    return [
        (f.code, f.severity, f.deal_id, f.column, f.cell, f.message, f.guidance, f.details)
        for f in report.findings
        if f.code in codes
    ]


def test_conditional_rules_and_approvals_on_a_real_workbook(tmp_path: Path) -> None:
    profile = load_profile(str(team_profile(tmp_path)))
    report = api.validate(workbook(tmp_path / "p.xlsx"), profile=profile, today=TODAY)
    assert team_findings(report) == [
        # D-7: a built-in finding about a deal in negotiation carries the guidance
        ("missing-field", "error", "D-7", "Expected Close", "F8",
         "expected close date is required in stage negotiation", GUIDANCE,  # as its cell says
         {"stage": "negotiation", "stage_label": "negotiation"}),
        # D-1: Ann's deal, 25% off, no approver: Ann's approvers are named
        (APPROVAL, "error", "D-1", "Approver", "I2",
         "A discount above 20% needs approval (折扣超过20%需审批); approvers: Li Na, Zhao Lei",
         GUIDANCE, {"approvers": ["Li Na", "Zhao Lei"]}),
        # D-2: Li Na approves Ann's deals, not Bob's (the default list)
        (APPROVAL, "error", "D-2", "Approver", "I3",
         "A discount above 20% needs approval (折扣超过20%需审批): 'Li Na' may not approve "
         "Bob's deals (approvers: Wang Fang)", GUIDANCE, {"approvers": ["Wang Fang"]}),
        # check: the cell of the first field the condition reads
        (CONTACT, "warning", "D-1", "Contact", "G2",
         "does not meet contact is not empty when amount > 500000", GUIDANCE, {}),
        (CONTACT, "warning", "D-6", "Contact", "G7",
         "does not meet contact is not empty when amount > 500000", None, {}),
        (CONTRACT, "info", "D-4", "Contract No", "J5",
         'contract no is required when stage in ["contract", "delivery"]', None, {}),
    ]  # fmt: skip
    # D-3 (an approver of Ann's, written in another case and spacing) and D-5 pass
    assert {f.deal_id for f in report.findings} == {"D-1", "D-2", "D-4", "D-6", "D-7", None}
    assert report.exit_code == 1


def test_rules_read_their_fields_even_in_read_only_commands(tmp_path: Path) -> None:
    plain = load_profile("b2b")
    team = load_profile(str(team_profile(tmp_path)))
    # validate parses only what its rules read: approver and contract_no are skipped by b2b
    assert {"approver", "contract_no"} <= unused_text_fields(plain)
    assert not {"approver", "contract_no", "contact"} & unused_text_fields(team)


def test_a_required_field_without_a_column_is_one_finding(tmp_path: Path) -> None:
    profile = load_profile(str(team_profile(tmp_path)))
    header = HEADER[:8]  # no Approver, no Contract No
    rows = [r[:8] for r in ROWS]
    report = api.validate(workbook(tmp_path / "p.xlsx", rows, header), profile=profile,
                          today=TODAY)  # fmt: skip
    found = [
        (f.code, f.severity, f.row, f.column, f.message, f.details)
        for f in report.findings
        if f.code in (APPROVAL, CONTRACT)
    ]
    assert found == [
        (APPROVAL, "error", 1, "approver",
         "no approver column, but rule discount-approval requires it (3 deals when discount > "
         '20% and stage >= "negotiation" and stage != "lost")',
         {"field": "approver", "deals": 3}),
        (CONTRACT, "info", 1, "contract no",
         "no contract no column, but rule won-without-contract requires it (2 deals when stage "
         'in ["contract", "delivery"])', {"field": "contract_no", "deals": 2}),
    ]  # fmt: skip


def test_findings_of_rules_are_new_then_persisting_then_resolved(tmp_path: Path) -> None:
    cfg = team_profile(tmp_path)
    path = workbook(tmp_path / "p.xlsx")
    first = api.run(path, profile=str(cfg), today=TODAY)
    assert {(f.code, f.deal_id, f.status) for f in first.findings if f.code == APPROVAL} == {
        (APPROVAL, "D-1", "new"),
        (APPROVAL, "D-2", "new"),
    }
    wb = load_workbook(path)
    wb["Pipeline"]["I2"] = "Zhao Lei"  # D-1 approved by one of Ann's approvers
    wb.save(path)
    second = api.run(path, profile=str(cfg), today=TODAY + dt.timedelta(days=1))
    assert {(f.code, f.deal_id, f.status) for f in second.findings if f.code == APPROVAL} == {
        (APPROVAL, "D-1", "resolved"),
        (APPROVAL, "D-2", "persisting"),
    }
    written = load_workbook(path)["salessheet findings"]
    codes = [row[0] for row in written.iter_rows(min_row=2, values_only=True)]
    assert codes.count(APPROVAL) == 1 and codes.count(CONTACT) == 2


# --- guidance in JSON ---------------------------------------------------------------------------


def test_guidance_is_a_json_key_only_on_findings_about_that_stage(cli, tmp_path: Path) -> None:
    cfg = team_profile(tmp_path)
    path = workbook(tmp_path / "p.xlsx")
    res = cli("validate", path, "--config", cfg, "--today", "2026-11-28", "--format", "json")
    findings = json.loads(res.stdout)["findings"]
    guided = [(f["code"], f["deal_id"]) for f in findings if "guidance" in f]
    assert guided == [(APPROVAL, "D-1"), (APPROVAL, "D-2"), ("missing-field", "D-7"),
                      (CONTACT, "D-1")]  # fmt: skip
    assert {f["guidance"] for f in findings if "guidance" in f} == {GUIDANCE}
    first = findings[0]
    assert list(first) == ["code", "severity", "status", "deal_id", "sheet", "row", "column",
                           "cell", "owner", "value", "message", "guidance", "details"]  # fmt: skip
    # the streamed JSON is exactly json.dumps of the report, guidance and all
    report = api.validate(path, profile=str(cfg), today=TODAY)
    assert "".join(report.iter_json(chunk=2)) == json.dumps(report.to_dict(), ensure_ascii=False)
    text = "".join(findings_json(report.findings, chunk=3))
    assert text == json.dumps([f.to_dict() for f in report.findings], ensure_ascii=False)[1:-1]


def test_json_without_guidance_is_byte_identical(cli, tmp_path: Path) -> None:
    """Guidance on a stage no deal is in changes nothing, down to the byte."""
    cfg = team_profile(tmp_path, "extends: b2b\nstages:\n  - {id: research, guidance: Market "
                                 "sized}\n")  # fmt: skip
    path = workbook(tmp_path / "p.xlsx")
    args = ("validate", path, "--today", "2026-11-28", "--format", "json")
    plain = cli(*args).stdout
    guided = cli(*args, "--config", cfg).stdout
    assert guided == plain and '"guidance"' not in plain


def test_guidance_in_a_profile_without_chinese_labels_is_one_language(tmp_path: Path) -> None:
    cfg = team_profile(
        tmp_path,
        "name: small\ncolumns:\n  deal_id: {type: id, aliases: [ID]}\n"
        "  stage: {type: stage, aliases: [Stage]}\n  customer: {type: text, aliases: [Customer]}\n"
        "stages:\n"
        "  - {id: lead, label: Lead, required: [customer], guidance: {en: Call them, zh: 致电}}\n"
        "  - {id: lost, label: Lost, outcome: lost}\n",
    )
    path = workbook(tmp_path / "p.xlsx", [["L-1", None, "lead"]], ["ID", "Customer", "Stage"])
    report = api.validate(path, profile=str(cfg), today=TODAY)
    assert [(f.code, f.guidance) for f in report.findings] == [("missing-field", "Call them")]


# --- guidance and rules in the init workbook ------------------------------------------------


def _instructions(path: Path, sheet: str) -> list[list]:
    ws = load_workbook(path)[sheet]
    return [[v for v in row if v is not None] for row in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize(
    ("lang", "sheet", "texts"),
    [
        ("en", "Instructions", ["To move on", "Quote sent and budget confirmed",
                                "Your team's rules (validate and run check them)",
                                "A discount above 20% needs approval", "Approvers: Wang Fang",
                                "Ann's deals: Li Na, Zhao Lei"]),
        ("zh", "使用说明", ["推进条件", "已报价且预算已确认",
                            "团队规则（validate 与 run 会检查）", "折扣超过20%需审批",
                            "审批人：Wang Fang", "Ann 的商机：Li Na、Zhao Lei"]),
    ],
)  # fmt: skip
def test_init_workbook_shows_guidance_rules_and_approvers(
    tmp_path: Path, lang: str, sheet: str, texts: list[str]
) -> None:
    profile = load_profile(str(team_profile(tmp_path)))
    path = tmp_path / f"new-{lang}.xlsx"
    init_workbook(str(path), profile=profile, lang=lang, today=TODAY)
    rows = _instructions(path, sheet)
    cells = [v for row in rows for v in row]
    for text in texts:
        assert text in cells, text
    # the guidance sits in the negotiation row of the stages table, in the workbook's language
    row = next(r for r in rows if "negotiation" in r)
    assert row[-1] == ("Quote sent and budget confirmed" if lang == "en" else "已报价且预算已确认")
    rule = next(r for r in rows if APPROVAL in r)
    assert rule[:2] == [APPROVAL, "error" if lang == "en" else "错误"]
    # the columns the rules read are in the new pipeline sheet, and it validates clean
    header = [c.value for c in load_workbook(path)["Pipeline"][1]]
    wanted = (
        ["Discount", "Approver", "Contract No"] if lang == "en" else ["折扣", "审批人", "合同编号"]
    )
    assert set(wanted) <= set(header)
    report = api.validate(path, profile=profile, today=TODAY)
    assert [(f.code, f.message) for f in report.findings] == []


def test_init_workbook_of_a_profile_without_guidance_has_no_guidance_column(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    init_workbook(str(path), profile=load_profile("b2b"), lang="en", today=TODAY)
    cells = [v for row in _instructions(path, "Instructions") for v in row]
    assert "To move on" not in cells and "Your team's rules" not in " ".join(map(str, cells))
    header = [c.value for c in load_workbook(path)["Pipeline"][1]]
    assert "Approver" not in header and "Discount" not in header


# --- the approver's digest, over a real SMTP server -------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address: str) -> tuple[str, str]:
        found = [m for rcpt, m in self.messages if address in rcpt]
        assert len(found) == 1, f"{len(found)} messages to {address}"
        msg = found[0]
        return msg["Subject"], msg.get_body(("plain",)).get_content()


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


def test_the_digest_goes_to_the_approver(tmp_path: Path, smtp) -> None:
    inbox, port = smtp
    profile = load_profile(str(team_profile(tmp_path)))
    report = api.validate(workbook(tmp_path / "p.xlsx"), profile=profile, today=TODAY).to_dict()
    settings = NotificationSettings(
        email=EmailSettings(
            host="127.0.0.1",
            port=port,
            security="none",
            sender="pipeline@example.com",
            manager_to=("boss@example.com",),
            owners={"Li Na": "li.na@example.com", "wang fang": "wang.fang@example.com"},
        ),
        retry_delay_s=0,
    )
    results = send_notifications(report, settings, env={})
    assert [(r.target, r.audience, r.status, r.error) for r in results] == [
        ("-", "Zhao Lei", "skipped", "no address for approver 'Zhao Lei' in "
         "notifications.email.owners"),
        ("boss@example.com", "team", "sent", None),
        ("li.na@example.com", "Li Na", "sent", None),
        ("wang.fang@example.com", "Wang Fang", "sent", None),
    ]  # fmt: skip
    subject, text = inbox.to("li.na@example.com")
    assert subject == (
        "[salessheet] Deals waiting for your approval 2026-11-28 · Li Na: 1 error (1 new)"
    )
    lines = text.splitlines()
    assert (
        "  [error] D-1 · Approver I2 · discount-approval: A discount above 20% needs approval "
        "(折扣超过20%需审批); approvers: Li Na, Zhao Lei · owner: Ann"
    ) in lines
    assert "D-2" not in text and "D-6" not in text  # only what Li Na may approve
    assert lines[lines.index("Exit criteria of these stages") + 1] == f"  {GUIDANCE} — D-1"
    subject, text = inbox.to("wang.fang@example.com")
    assert "D-2 · Approver I3" in text and "D-1 ·" not in text
    # the team digest lists each stage's exit criteria once, with the deals it concerns
    _, team = inbox.to("boss@example.com")
    lines = team.splitlines()
    assert (
        lines[lines.index("Exit criteria of these stages") + 1] == f"  {GUIDANCE} — D-1, D-2, D-7"
    )


def test_approvers_can_be_left_out_of_the_mail(tmp_path: Path, smtp) -> None:
    inbox, port = smtp
    profile = load_profile(str(team_profile(tmp_path)))
    report = api.validate(workbook(tmp_path / "p.xlsx"), profile=profile, today=TODAY).to_dict()
    cfg = EmailSettings(host="127.0.0.1", port=port, security="none", sender="p@example.com",
                        manager_to=("boss@example.com",), owners={"Li Na": "li@example.com"},
                        send_to_approvers=False)  # fmt: skip
    results = send_notifications(report, NotificationSettings(email=cfg), env={})
    assert [(r.audience, r.status) for r in results] == [("team", "sent")]


def test_send_to_approvers_is_a_notifications_key(tmp_path: Path) -> None:
    text = TEAM + (
        "notifications:\n  email:\n    host: smtp.example.com\n    from: p@example.com\n"
        "    manager_to: [boss@example.com]\n    send_to_approvers: false\n"
        "    owners: {Li Na: li@example.com}\n"
    )
    profile = load_profile(str(team_profile(tmp_path, text)))
    assert profile.notifications.email.send_to_approvers is False


# --- approvers: config ------------------------------------------------------------------------


def test_approvers_need_an_approver_column(tmp_path: Path) -> None:
    cfg = team_profile(tmp_path, "name: small\ncolumns:\n  deal_id: {type: id, aliases: [ID]}\n"
                       "  stage: {type: stage, aliases: [Stage]}\n"
                       "stages:\n  - {id: lead, label: Lead}\n  - {id: lost, label: Lost, "
                       "outcome: lost}\napprovers:\n  default: [Wang]\n")  # fmt: skip
    with pytest.raises(ConfigError) as exc:
        load_profile(str(cfg))
    assert exc.value.problems == [
        f"{cfg}:8: approvers: approvers are names for the approver column, but columns has no "
        "approver: add approver: {type: text, aliases: [Approver, 审批人]}"
    ]


def test_approvers_by_owner_replace_the_default(tmp_path: Path) -> None:
    approvers = load_profile(str(team_profile(tmp_path))).approvers
    assert approvers.for_owner("ANN") == ("Li Na", "Zhao Lei")
    assert approvers.for_owner("Bob") == ("Wang Fang",)
    assert approvers.for_owner(None) == ("Wang Fang",)


# --- salessheet rules --------------------------------------------------------------------------


def test_rules_lists_the_teams_rules_beside_the_built_in_codes(cli, tmp_path: Path) -> None:
    cfg = team_profile(tmp_path)
    res = cli("rules", "--config", cfg, "--format", "json")
    assert res.exit_code == 0
    items = json.loads(res.stdout)
    assert [i["code"] for i in items] == [*CATALOGUE, APPROVAL, CONTACT, CONTRACT]
    assert items[len(CATALOGUE):] == [
        {"code": APPROVAL, "severity": "error", "source": "profile",
         "meaning": "A discount above 20% needs approval (折扣超过20%需审批)"},
        {"code": CONTACT, "severity": "warning", "source": "profile",
         "meaning": "when amount > 500000: must pass: contact is not empty"},
        {"code": CONTRACT, "severity": "info", "source": "profile",
         "meaning": 'when stage in ["contract", "delivery"]: requires contract_no'},
    ]  # fmt: skip
    text = cli("rules", "--config", cfg).stdout.splitlines()
    start = text.index("The team's rules (the profile's rules:):")
    assert [ln.split()[:2] for ln in text[start + 1 : start + 4]] == [
        [APPROVAL, "error"],
        [CONTACT, "warning"],
        [CONTRACT, "info"],
    ]
    # the built-in list alone, as before, without a profile (and for b2b: its rules are off)
    assert len(json.loads(cli("rules", "--format", "json").stdout)) == len(CATALOGUE)
    assert len(json.loads(cli("rules", "--profile", "b2b", "--format", "json").stdout)) == len(
        CATALOGUE
    )
    bad = team_profile(tmp_path, TEAM.replace("amount > 500000", "amount >> 5"))
    res = cli("rules", "--config", bad)
    assert res.exit_code == 2 and "rules[1] (big-deal-contact).when: column 9" in res.stderr


# --- on_enter -----------------------------------------------------------------------------------

ON_ENTER = """\
extends: b2b
notifications:
  email: {host: smtp.example.com, from: p@example.com, manager_to: [boss@example.com]}
  webhooks: [{kind: wecom, url_env: TEAM_WECOM, name: sales-chat}]
stages:
  - id: negotiation
    on_enter:
      - {issue: quote, format: pdf}
      - {notify: sales-manager@example.com}
      - {notify: sales-chat, message: {en: A deal reached negotiation, zh: 商机进入报价与谈判}}
  - id: contract
    on_enter: [{issue: contract}]
"""


def test_on_enter_actions_are_declared_per_stage(tmp_path: Path) -> None:
    profile = load_profile(str(team_profile(tmp_path, ON_ENTER)))
    assert profile.stage("negotiation").on_enter == (
        StageAction("issue", document="quote", format="pdf"),
        StageAction("notify", target="sales-manager@example.com", channel="email"),
        StageAction("notify", target="sales-chat", channel="webhook",
                    message=Bilingual("A deal reached negotiation", "商机进入报价与谈判")),
    )  # fmt: skip
    assert profile.stage("contract").on_enter == (
        StageAction("issue", document="contract", format="pdf"),  # pdf unless told
    )
    assert profile.stage("lead").on_enter == ()


def test_on_enter_problems_name_the_stage_the_action_and_the_line(tmp_path: Path) -> None:
    text = (
        "extends: b2b\n"  # 1
        "stages:\n"  # 2
        "  - id: lead\n"  # 3
        "    on_enter:\n"  # 4
        "      - {issue: contract, format: pdf}\n"  # 5
        "      - {notify: boss@example.com}\n"  # 6
        "      - {notify: sales-chat}\n"  # 7
        "      - {issue: quote, notify: x@example.com}\n"  # 8
        "      - {notify: x@example.com, format: docx}\n"  # 9
        "      - {issue: invoice}\n"  # 10
        "      - {}\n"  # 11
    )
    cfg = team_profile(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_profile(str(cfg))
    # one run lists them all: what needs the rest of the profile (documents, notifications)
    # is checked for the actions that are well formed, beside those that are not
    assert [p.replace(str(cfg), "team.yaml") for p in exc.value.problems] == [
        "team.yaml:5: stages[0] (lead).on_enter[0].issue: a contract cannot be issued in stage "
        "lead (documents.contract.stages allows negotiation, contract, delivery)",
        "team.yaml:6: stages[0] (lead).on_enter[1].notify: notify boss@example.com: e-mail needs "
        "notifications.email (the SMTP server)",
        "team.yaml:7: stages[0] (lead).on_enter[2].notify: found 'sales-chat', expected an "
        "e-mail address or the name of a target in notifications.webhooks (none has a name)",
        "team.yaml:8: stages[0] (lead).on_enter[3]: expected one of issue: quote|contract or "
        "notify: ADDRESS|TARGET, not both",
        "team.yaml:9: stages[0] (lead).on_enter[4].format: format goes with issue: (the "
        "document's format)",
        "team.yaml:9: stages[0] (lead).on_enter[4].notify: notify x@example.com: e-mail needs "
        "notifications.email (the SMTP server)",
        "team.yaml:10: stages[0] (lead).on_enter[5].issue: found 'invoice' (text), expected "
        "quote or contract",
        "team.yaml:11: stages[0] (lead).on_enter[6]: expected one of issue: quote|contract or "
        "notify: ADDRESS|TARGET",
    ]


@pytest.mark.parametrize("name", ["b2b", "b2c", "lite"])
def test_on_enter_document_stages_match_the_documents_preflight(name: str) -> None:
    profile = load_profile(name)
    infos = [StageInfo(s.id, s.outcome) for s in profile.stages]
    for kind, settings in profile.documents.kinds.items():
        rule = settings.stages
        assert document_stages(kind, rule, profile.stages) == allowed_stages(kind, rule, infos)


def test_action_failed_is_a_finding_on_the_deal() -> None:
    layout = TableLayout("Pipeline", 1, {"deal_id": 1, "stage": 2}, {"deal_id": "ID",
                                                                     "stage": "Stage"})  # fmt: skip
    deal = Deal(layout, 5, {"owner": "Ann"}, ["D-9", "contract"], "D-9", "contract")
    stage = load_profile("b2b").stage("contract")
    f = action_failed(deal, stage, StageAction("notify", target="x@example.com",
                                               channel="email"), 4, "SMTP 554")  # fmt: skip
    assert (f.code, f.severity, f.deal_id, f.cell, f.owner) == (
        catalogue.ACTION_FAILED.code, "warning", "D-9", "B5", "Ann",
    )  # fmt: skip
    assert f.message == (
        "on entering contract: notify x@example.com failed 4 times; last error: SMTP 554"
    )
    assert f.details == {"stage": "contract", "stage_label": "contract",
                         "action": "notify x@example.com", "attempts": 4}  # fmt: skip


# --- the shipped example rules ------------------------------------------------------------------


def _uncommented(name: str, start: str, stop: str | None) -> str:
    """The profile with its commented-out block from ``start`` to ``stop`` switched on."""
    lines = (REPO / "config" / f"{name}.yaml").read_text("utf-8").splitlines()
    out, on = [], False
    for line in lines:
        if line.startswith(start):
            on = True
        elif stop and line.startswith(stop):
            on = False
        if on and line.startswith("#"):
            line = line[2:] if line.startswith("# ") else ""
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("b2b", ["discount-approval", "big-deal-contact", "won-without-contract"]),
        ("b2c", ["discount-approval", "big-order-phone"]),
    ],
)
def test_the_shipped_example_rules_load_when_switched_on(
    tmp_path: Path, name: str, ids: list[str]
) -> None:
    assert load_profile(name).rules == ()  # off as shipped: today's results stay the same
    cfg = team_profile(tmp_path, _uncommented(name, "# approvers:", "# Per stage"))
    profile = load_profile(str(cfg))
    assert [r.id for r in profile.rules] == ids
    assert profile.approvers is not None and profile.approvers.default


def test_the_b2b_examples_catch_what_the_guide_asks(tmp_path: Path) -> None:
    profile = load_profile(str(team_profile(tmp_path, _uncommented("b2b", "# approvers:",
                                                                   "# Per stage"))))  # fmt: skip
    rows = [
        ["D-1", "Acme", "合同签订", "张伟", 800000, CLOSE, "王建国", "30%", None, "HT-1"],
        ["D-2", "Beta", "negotiation", "张伟", 900000, CLOSE, None, "10%", None, None],
        ["D-3", "Gamma", "交付与售后", "刘敏", 1000, CLOSE, "Wu", "25%", "销售经理", None],
        ["D-4", "Delta", "negotiation", "刘敏", 1000, CLOSE, "Wu", "25%", "李娜", None],
    ]  # fmt: skip
    report = api.validate(workbook(tmp_path / "p.xlsx", rows), profile=profile, today=TODAY)
    found = sorted(
        (f.deal_id, f.code) for f in report.findings if f.code in {r.id for r in profile.rules}
    )
    assert found == [
        ("D-1", "discount-approval"),  # 张伟's deals: 李娜 or 销售总监
        ("D-2", "big-deal-contact"),
        ("D-3", "won-without-contract"),
        ("D-4", "discount-approval"),  # 李娜 approves 张伟's deals only
    ]


def test_the_commented_guidance_and_on_enter_example_is_valid(tmp_path: Path) -> None:
    text = (REPO / "config" / "b2b.yaml").read_text("utf-8")
    block = text[text.index("#   - id: negotiation") :].split("\n\n", 1)[0]
    stages = "\n".join(re.sub(r"^#", "", line) for line in block.splitlines())
    cfg = team_profile(
        tmp_path,
        "extends: b2b\nnotifications:\n  email: {host: smtp.example.com, from: p@example.com, "
        "manager_to: [boss@example.com]}\nstages:\n" + stages + "\n",
    )
    stage = load_profile(str(cfg)).stage("negotiation")
    assert stage.guidance is not None and stage.guidance.zh
    assert [a.kind for a in stage.on_enter] == ["issue", "notify"]


def test_discount_and_approver_are_optional_fields_of_every_shipped_profile() -> None:
    for name in ("b2b", "b2c", "lite"):
        profile = load_profile(name)
        for field, kind in (("discount", "percent"), ("approver", "text")):
            col = profile.column(field)
            assert col is not None and col.type == kind and not col.required, (name, field)
            assert any(re.search(r"[\u4e00-\u9fff]", a) for a in col.aliases)
    assert load_profile("b2b").column("contract_no").aliases[-2:] == ["合同编号", "合同号"]
    assert Decimal("0.2") == Decimal(20) / 100  # 20% in a condition is this number


def test_a_condition_on_a_column_the_sheet_lacks_is_one_finding(tmp_path: Path) -> None:
    """check: and when: on a field without a column read it empty on every deal: they give
    one finding on the header row, as require: does, not one per deal."""
    cfg = team_profile(
        tmp_path,
        "extends: b2b\nrules:\n"
        "  - id: discount-cap\n    check: discount <= 20%\n    severity: error\n"
        "  - id: big-discount-approval\n    when: not (discount <= 20%)\n"
        "    require: [approver]\n"
        '  - id: contact-in-negotiation\n    when: stage == "negotiation"\n'
        "    check: contact is not empty and discount < 50%\n",
    )
    header = [h for h in HEADER if h != "Discount"]
    rows = [[v for i, v in enumerate(r) if HEADER[i] != "Discount"] for r in ROWS]
    report = api.validate(workbook(tmp_path / "p.xlsx", rows, header), profile=str(cfg),
                          today=TODAY)  # fmt: skip
    rules = {"discount-cap", "big-discount-approval", "contact-in-negotiation"}
    found = [
        (f.code, f.severity, f.row, f.cell, f.column, f.message, f.details)
        for f in report.findings
        if f.code in rules
    ]
    assert found == [
        ("discount-cap", "error", 1, None, "discount",
         "no discount column, but rule discount-cap checks it (7 deals)",
         {"field": "discount", "deals": 7}),
        ("big-discount-approval", "warning", 1, None, "discount",
         "no discount column, but rule big-discount-approval reads it in when: "
         "not (discount <= 20%): the rule is not checked (7 deals)",
         {"field": "discount", "deals": 7}),
        ("contact-in-negotiation", "warning", 1, None, "discount",
         "no discount column, but rule contact-in-negotiation checks it (4 deals when "
         'stage == "negotiation")', {"field": "discount", "deals": 4}),
    ]  # fmt: skip


def test_a_check_passes_where_a_field_it_compares_is_empty(tmp_path: Path) -> None:
    """check: is judged as SQL's CHECK: a part comparing an empty field is unknown and passes.
    A team capping discounts at 30% does not want every deal without a discount flagged; a
    team that wants the field filled says so (is not empty, or require:)."""
    cfg = team_profile(
        tmp_path,
        "extends: b2b\nrules:\n"
        "  - id: discount-cap\n    check: discount <= 30%\n"
        "  - id: discount-cap-filled\n    check: discount is not empty and discount <= 30%\n"
        "  - id: big-needs-contact\n    check: amount < 500000 or contact is not empty\n",
    )
    rows = [
        ["D-1", "Acme", "lead", "Ann", 1000, CLOSE, "Li", None, None, None],  # no discount
        ["D-2", "Beta", "lead", "Ann", 1000, CLOSE, "Li", 0.4, None, None],  # 40% > 30%
        ["D-3", "Gamma", "lead", "Ann", 1000, CLOSE, "Li", 0.3, None, None],  # 30%: fine
        ["D-4", "Delta", "lead", "Ann", None, CLOSE, None, 0.1, None, None],  # no amount
        ["D-5", "Eps", "lead", "Ann", 900000, CLOSE, None, 0.1, None, None],  # big, no contact
    ]  # fmt: skip
    report = api.validate(workbook(tmp_path / "p.xlsx", rows), profile=str(cfg), today=TODAY)
    rules = {"discount-cap", "discount-cap-filled", "big-needs-contact"}
    found = [(f.code, f.deal_id, f.cell) for f in report.findings if f.code in rules]
    assert found == [
        ("discount-cap", "D-2", "H3"),
        ("discount-cap-filled", "D-1", "H2"),  # the part that failed: is not empty
        ("discount-cap-filled", "D-2", "H3"),
        # D-4: amount < 500000 compares an empty amount: unknown, so the check passes
        ("big-needs-contact", "D-5", "E6"),
    ]
