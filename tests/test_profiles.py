"""Profiles: built-ins load, headers and stages are recognised, broken configs are explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from salessheet.core.errors import ConfigError
from salessheet.core.textnorm import normalise
from salessheet.settings.profile import load_profile
from salessheet.sheet.table import _alias_index, match_header, specs_from_profile


@pytest.mark.parametrize("name", ["b2b", "b2c", "lite"])
def test_builtin_profiles_load(name: str) -> None:
    p = load_profile(name)
    assert p.name == name
    assert any(s.outcome == "lost" for s in p.stages)
    assert 4 <= len(p.stages) <= 8


def test_b2b_stages_thresholds_and_requirements() -> None:
    p = load_profile("b2b")
    assert [s.id for s in p.stages] == [
        "research",
        "lead",
        "opportunity",
        "follow_up",
        "negotiation",
        "contract",
        "delivery",
        "lost",
    ]
    assert {s.id: s.stall_days for s in p.stages} == {
        "research": 30,
        "lead": 14,
        "opportunity": 21,
        "follow_up": 14,
        "negotiation": 10,
        "contract": 30,
        "delivery": None,
        "lost": None,
    }
    for s in p.stages:
        assert {"customer", "owner"} <= set(s.required)
    req = {s.id: set(s.required) for s in p.stages}
    assert "expected_close" not in req["lead"] and "expected_close" in req["opportunity"]
    assert "amount" not in req["follow_up"] and "amount" in req["negotiation"]
    assert "lost_reason" in req["lost"]


HEADERS = {
    "deal_id": ["Deal ID", "ID", "商机编号", "编号"],
    "customer": ["Customer", "Account", "Company", "客户名称", "客户"],
    "stage": ["Stage", "Deal Stage", "销售阶段", "阶段"],
    "amount": ["Amount", "Value", "Deal Value", "金额", "预计金额"],
    "currency": ["Currency", "币种"],
    "owner": ["Owner", "Sales Rep", "负责人", "销售"],
    "expected_close": ["Expected Close", "Close Date", "预计成交日期"],
    "last_activity": ["Last Activity", "Last Contact", "最近跟进日期"],
    "stage_date": ["Stage Date", "Stage Change Date", "阶段变更日期"],
    "lost_reason": ["Lost Reason", "Loss Reason", "丢单原因"],
}


@pytest.mark.parametrize("field,headers", sorted(HEADERS.items()))
def test_b2b_recognises_headers_in_any_spelling(field: str, headers: list[str]) -> None:
    exact = _alias_index(specs_from_profile(load_profile("b2b")))
    for h in headers:
        for variant in (h, f"  {h.upper()}  ", h.replace(" ", "   "), f"{h}（元）"):
            assert match_header(variant, exact) == field, variant


def test_b2b_accepts_every_stage_spelling() -> None:
    lookup = load_profile("b2b").stage_lookup()
    for spelling, sid in [
        ("报价与谈判", "negotiation"),
        ("Negotiation", "negotiation"),
        ("negotiation", "negotiation"),
        ("客户跟进", "follow_up"),
        ("Follow-up", "follow_up"),
        ("follow up", "follow_up"),
        ("lost", "lost"),
        ("Lost", "lost"),
        ("丢单", "lost"),
        ("已输单", "lost"),
        ("合同签订", "contract"),
        ("交付与售后", "delivery"),
        ("市场调研", "research"),
    ]:
        assert lookup[normalise(spelling)] == sid, spelling


def test_broken_config_lists_every_problem_with_key_path(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "name: team\ncurrency: rmb\ntimezone: Mars/Base\n"
        "columns:\n  deal_id: {type: id, aliases: [ID]}\n"
        "  stage: {type: colour, aliases: [Stage]}\n"
        "stages:\n  - {id: lead, label: Lead, label_zh: 线索, probability: 1.5, stall_days: -3,\n"
        "     required: [budget]}\n  - {id: lost, label: Lost, label_zh: 丢单, outcome: lost}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as exc:
        load_profile(str(cfg))
    problems = exc.value.problems
    expected = [
        f"{cfg}:2: currency: found 'rmb' (text) (did you mean 'CNY'?), expected an ISO 4217 code",
        f"{cfg}:3: timezone: found 'Mars/Base' (text), expected an IANA time zone",
        f"{cfg}:6: columns.stage.type: found 'colour' (text), expected one of id, text, stage",
        f"{cfg}:8: stages[0] (lead).probability: found 1.5 (a number), expected a number from 0 "
        "to 1",
        f"{cfg}:8: stages[0] (lead).stall_days: found -3 (a number), expected a whole number of "
        "days",
        f"{cfg}:9: stages[0] (lead).required[0]: found 'budget' (text), expected a field declared "
        "under columns",
    ]
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    assert all(p.startswith(str(cfg)) for p in problems)
    assert len(problems) == len(expected)


def test_config_check_cli(cli, tmp_path: Path) -> None:
    ok = cli("config", "check", "config/b2b.yaml")
    assert ok.exit_code == 0 and "OK" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstages: [\n", encoding="utf-8")
    res = cli("config", "check", str(bad))
    assert res.exit_code == 2
    assert "not valid YAML at line" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_unknown_profile_name(cli, tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("Deal ID,Stage\nD1,lead\n", encoding="utf-8")
    res = cli("validate", str(tmp_path / "p.csv"), "--profile", "enterprise")
    assert res.exit_code == 2
    assert "unknown profile 'enterprise'" in res.stderr and "b2b, b2c, lite" in res.stderr
