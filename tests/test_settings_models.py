"""Settings as models: messages with file, line and key path; extends; config show and schema."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import REPO, TODAY

from salessheet import api
from salessheet.core.errors import ConfigError
from salessheet.settings.profile import Profile, ProfileFile, load_profile, parse_profile

B2B = REPO / "config" / "b2b.yaml"

SMALL = """\
name: small
columns:
  deal_id: {type: id, aliases: [ID]}
  stage: {type: stage, aliases: [Stage]}
  customer: {type: text, aliases: [Customer]}
stages:
  - {id: lead, label: Lead, probability: 0.1, required: [customer]}
  - {id: won, label: Won, probability: 1.0, outcome: won, terminal: true}
  - {id: lost, label: Lost, outcome: lost, terminal: true}
"""


TOP_KEYS = ", ".join(sorted(ProfileFile.model_fields))  # every key a config may have


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_profile(str(path))
    return exc.value.problems


def same_except(a: Profile, b: Profile, *names: str) -> None:
    """Every field of the two profiles is equal except ``names`` (and path and raw)."""
    skip = {"path", "raw", "_by_id", *names}
    for f in dataclasses.fields(Profile):
        if f.name not in skip:
            assert getattr(a, f.name) == getattr(b, f.name), f.name


# ------------------------------------------------------------------------------ messages


def test_a_bad_value_deep_inside_names_file_line_and_key_path(tmp_path: Path) -> None:
    lines = B2B.read_text("utf-8").splitlines()
    n = next(i for i, line in enumerate(lines) if "{id: follow_up," in line)
    lines[n] = lines[n].replace("probability: 0.40", "probability: 1.7")
    cfg = tmp_path / "team.yaml"
    cfg.write_text("\n".join(lines) + "\n", "utf-8")
    assert problems_of(cfg) == [
        f"{cfg}:{n + 1}: stages[3] (follow_up).probability: found 1.7 (a number), "
        "expected a number from 0 to 1"
    ]


def test_every_problem_in_every_section_is_listed_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        SMALL.replace("name: small\n", "name: small\ncolour: blue\nlocale: Chinese\n").replace(
            "probability: 0.1,", "probability: 0.1, stall_days: ten,"
        )
        + "transitions: {mode: graph, graph: {lead: [won, paid]}}\n"
        + "stall:\n  holidays: [CN, '2026-13-01']\n"
        + "documents:\n  validity_days: -1\n  quote: {stages: [lead, offer]}\n"
        + "notifications:\n  email: {host: smtp.example.com, from: me, manager_to: [a@b.cn],"
        + " password: x}\n",
        "utf-8",
    )
    assert problems_of(cfg) == [
        f"{cfg}:2: colour: unknown key, expected one of: {TOP_KEYS}",
        f"{cfg}:3: locale: found 'Chinese' (text), expected a locale such as zh_CN, en_US or de_DE",
        f"{cfg}:9: stages[0] (lead).stall_days: found 'ten' (text), expected a whole number of "
        "days ≥ 1",
        f"{cfg}:12: transitions.graph.lead[1]: found 'paid' (text), expected one of the stages: "
        "lead, won, lost",
        f"{cfg}:14: stall.holidays[1]: found '2026-13-01' (text) (month must be in 1..12), "
        "expected an ISO date or a country code (CN)",
        f"{cfg}:16: documents.validity_days: found -1 (a number), expected a whole number of "
        "days >= 0",
        f"{cfg}:17: documents.quote.stages[1]: found 'offer' (text), expected one of the "
        "profile's stages: lead, won, lost",
        f"{cfg}:19: notifications.email.password: secrets are never read from the config file; "
        "put it in an environment variable and name that variable (user_env, password_env, "
        "url_env, secret_env)",
        f"{cfg}:19: notifications.email.from: found 'me' (text), expected an e-mail address such "
        "as name@example.com",
    ]


def test_missing_and_misplaced_keys(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        SMALL.replace("name: small\n", "")
        .replace("label: Won, ", "")
        .replace(
            "  customer: {type: text, aliases: [Customer]}\n",
            "  customer: {type: text, alias: [Customer]}\n",
        ),
        "utf-8",
    )
    assert problems_of(cfg) == [
        f"{cfg}:1: name: missing, expected a text value",
        f"{cfg}:4: columns.customer.alias: unknown key (did you mean 'aliases'?), expected one "
        "of: aliases, "
        "aliases_replace, column, currency, date_order, null_markers, required, scale, track, type",
        f"{cfg}:4: columns.customer.aliases: found nothing, expected at least one header name",
        f"{cfg}:7: stages[1] (won).label: missing, expected a non-empty text value",
    ]


def test_a_date_that_is_no_date_names_its_line(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(SMALL + "stall:\n  holidays: [2026-10-01, 2026-13-01]\n", "utf-8")
    # read as the text it is, so it is listed with every other problem, at its key path
    assert problems_of(cfg) == [
        f"{cfg}:11: stall.holidays[1]: found '2026-13-01' (text) (month must be in 1..12), "
        "expected an ISO date or a country code (CN)"
    ]


def test_config_check_shows_the_line(cli, tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(SMALL.replace("outcome: won,", "outcome: victory,"), "utf-8")
    res = cli("config", "check", str(cfg))
    assert res.exit_code == 2
    assert (
        f"{cfg}:8: stages[1] (won).outcome: found 'victory' (text), expected open, won or lost"
        in res.stderr
    )
    code, out = cli.json("config", "check", str(cfg))
    assert code == 2 and out["error"]["problems"][0].startswith(f"{cfg}:8: stages[1] (won)")


# ----------------------------------------------------------------------------- label_zh


def test_label_zh_is_optional(tmp_path: Path) -> None:
    cfg = tmp_path / "small.yaml"
    cfg.write_text(SMALL, "utf-8")
    profile = load_profile(str(cfg))
    assert [s.label_zh for s in profile.stages] == [None, None, None]
    assert profile.stage_spellings()[0] == "lead / Lead"
    sheet = tmp_path / "deals.csv"
    sheet.write_text("ID,Stage,Customer\nD1,Lead,\n", "utf-8")
    report = api.validate(sheet, profile=profile, today=TODAY)
    assert [(f.code, f.message) for f in report.findings] == [
        ("missing-field", "customer is required in stage Lead")  # as the sheet writes it
    ]
    # Chinese output falls back to the English label
    from salessheet.init.plan import build_init_plan

    plan = build_init_plan(profile, "zh", today=TODAY)
    dropdown = next(v for v in plan.pipeline.validations if v.kind == "list")
    assert dropdown.values == ("Lead", "Won", "Lost")
    figures = api.report(sheet, profile=profile, today=TODAY)
    assert figures.to_dict()["funnel"]["stages"][0]["label_zh"] is None
    from salessheet.analytics.text import render_text

    text = render_text(figures)
    assert "Lead" in text and "None " not in text and "(None)" not in text


# ------------------------------------------------------------------------------ extends


def test_extends_b2b_with_one_threshold_and_one_alias(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\n"
        "columns:\n  owner: {aliases: [Account Manager]}\n"
        "stages:\n  - {id: negotiation, stall_days: 20}\n",
        "utf-8",
    )
    b2b, team = load_profile("b2b"), load_profile(str(cfg))
    same_except(team, b2b, "columns", "stages")
    assert [c for c in team.columns if c.field != "owner"] == [
        c for c in b2b.columns if c.field != "owner"
    ]
    assert team.column("owner").aliases == [*b2b.column("owner").aliases, "Account Manager"]
    assert team.stages == [
        dataclasses.replace(s, stall_days=20) if s.id == "negotiation" else s for s in b2b.stages
    ]


def test_a_chain_of_two_files_and_where_each_problem_is(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    base = tmp_path / "shared" / "base.yaml"
    base.write_text(
        "extends: b2b\nname: company\ncurrency: EUR\n"
        "stages:\n  - {id: lead, stall_days: 7}\n"
        "  - {id: pilot, label: Pilot, probability: 0.5, stall_days: 15}\n",
        "utf-8",
    )
    team = tmp_path / "team.yaml"
    team.write_text(
        "extends: shared/base.yaml\nname: team\n"
        "columns:\n  stage: {aliases: [Phase], aliases_replace: true}\n"
        "stages:\n  - {id: pilot, required: [customer]}\n",
        "utf-8",
    )
    p = load_profile(str(team))
    b2b = load_profile("b2b")
    assert (p.name, p.currency) == ("team", "EUR")
    assert p.column("stage").aliases == ["Phase"]
    ids = [s.id for s in b2b.stages]
    assert [s.id for s in p.stages] == ids[:2] + ["pilot"] + ids[2:]
    assert p.stage("lead").stall_days == 7
    assert (p.stage("pilot").stall_days, p.stage("pilot").required) == (15, ["customer"])
    # a problem is reported in the file and on the line that wrote the value
    base.write_text(base.read_text("utf-8").replace("stall_days: 15", "stall_days: 0"), "utf-8")
    assert problems_of(team) == [
        f"{base}:6: stages[2] (pilot).stall_days: found 0 (a number), expected a whole number "
        "of days ≥ 1"
    ]


def test_stages_replace_decides_order_and_drops(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: lite\nstages_replace: true\n"
        "stages:\n  - {id: talking}\n  - {id: lead, stall_days: 3}\n  - {id: won}\n"
        "  - {id: lost}\n",
        "utf-8",
    )
    p = load_profile(str(cfg))
    lite = load_profile("lite")
    assert [s.id for s in p.stages] == ["talking", "lead", "won", "lost"]
    assert p.stage("lead") == dataclasses.replace(lite.stage("lead"), stall_days=3)
    assert p.stage("talking") == lite.stage("talking")
    assert "stages_replace" not in p.raw


def test_an_extends_cycle_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n", "utf-8")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a.yaml\n", "utf-8")
    with pytest.raises(ConfigError) as exc:
        load_profile(str(tmp_path / "a.yaml"))
    a, b = (tmp_path / "a.yaml").resolve(), (tmp_path / "b.yaml").resolve()
    assert exc.value.message == f"{tmp_path / 'b.yaml'}:2: extends: 'a.yaml' makes a cycle"
    assert exc.value.problems == [f"{a} → {b} → {a}"]


def test_extends_a_missing_file(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text("name: x\nextends: nowhere.yaml\n", "utf-8")
    with pytest.raises(ConfigError) as exc:
        load_profile(str(cfg))
    assert exc.value.message.startswith(f"{cfg}:2: extends: found 'nowhere.yaml', expected a ")
    assert exc.value.message.endswith(f"{tmp_path / 'nowhere.yaml'} does not exist")


# -------------------------------------------------------------------- config show / schema


def test_config_show_json_round_trips(cli) -> None:
    res = cli("config", "show", "--profile", "b2b", "--format", "json")
    assert res.exit_code == 0
    data = yaml.safe_load(res.stdout)  # JSON is YAML
    b2b = load_profile("b2b")
    assert data == b2b.raw
    assert parse_profile(data, b2b.path) == b2b


def test_config_show_yaml_is_the_effective_profile(cli, tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text("extends: b2c\nname: shop\nstages:\n  - {id: order, stall_days: 1}\n", "utf-8")
    res = cli("config", "show", "--config", str(cfg))
    assert res.exit_code == 0 and res.stdout.startswith("# salessheet profile 'shop'")
    data = yaml.safe_load(res.stdout)
    assert "extends" not in data and data["stages"][2] == {
        **load_profile("b2c").raw["stages"][2],
        "stall_days": 1,
    }
    (tmp_path / "elsewhere").mkdir()
    shown = tmp_path / "elsewhere" / "shown.yaml"
    shown.write_text(res.stdout, "utf-8")
    assert load_profile(str(shown)).stages == load_profile(str(cfg)).stages


def test_config_show_keeps_relative_templates_working(cli, tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "mine.html").write_text("<p>{{ customer.name }}</p>", "utf-8")
    cfg = tmp_path / "team" / "team.yaml"
    cfg.write_text(
        "extends: b2b\ndocuments:\n  quote:\n    templates: {en: {html: mine.html}}\n", "utf-8"
    )
    res = cli("config", "show", "--config", str(cfg))
    shown = tmp_path / "shown.yaml"
    shown.write_text(res.stdout, "utf-8")
    quote = load_profile(str(shown)).documents.kind("quote")
    assert quote == load_profile(str(cfg)).documents.kind("quote")
    assert quote.templates["en"]["html"] == (tmp_path / "team" / "mine.html").resolve()


def test_config_schema_validates_the_shipped_profiles(cli, tmp_path: Path) -> None:
    res = cli("config", "schema")
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    validator = jsonschema.Draft202012Validator(schema)
    validator.check_schema(schema)
    for name in ("b2b", "b2c", "lite"):
        data = yaml.safe_load((REPO / "config" / f"{name}.yaml").read_text("utf-8"))
        assert list(validator.iter_errors(data)) == [], name
    for example in ("documents.example.yaml",):
        docs = yaml.safe_load((REPO / "templates" / example).read_text("utf-8"))
        assert list(validator.iter_errors({**yaml.safe_load(SMALL), **docs})) == []
    # a file that extends another states only what differs; one that does not is complete
    assert validator.is_valid({"extends": "b2b", "stages": [{"id": "lead", "stall_days": 3}]})
    assert not validator.is_valid({"stages": [{"id": "lead"}], "columns": {}})
    assert not validator.is_valid({**yaml.safe_load(SMALL), "colour": "blue"})
    assert not validator.is_valid({"extends": "b2b", "stages": [{"id": "x", "probability": 2}]})


def test_paths_in_a_parent_file_are_relative_to_its_folder(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "shared" / "base.yaml").write_text(
        "extends: b2b\ndocuments:\n  seller: {name: Qinghe, logo: logo.png}\n", "utf-8"
    )
    (tmp_path / "teams").mkdir()
    team = tmp_path / "teams" / "team.yaml"
    team.write_text("extends: ../shared/base.yaml\nname: team\n", "utf-8")
    seller = load_profile(str(team)).documents.seller
    assert (seller.name, seller.logo) == ("Qinghe", (tmp_path / "shared" / "logo.png").resolve())


def test_a_columns_own_null_markers_blank_that_column_only(cli, tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nname: team\ncolumns:\n"
        "  owner: {null_markers: [Unassigned]}\n"
        "  stage: {null_markers: [(none)]}\n",
        "utf-8",
    )
    sheet = tmp_path / "deals.csv"
    sheet.write_text(
        "Deal ID,Customer,Stage,Owner\n"
        "D1,Unassigned,lead,Ana\n"  # a customer so named: not a marker in that column
        "D2,Acme,lead,Unassigned\n"
        "D3,Acme,(none),Ana\n",
        "utf-8",
    )
    found = api.validate(sheet, profile=str(cfg), today=TODAY).findings
    assert [(f.code, f.cell, f.message) for f in found if f.code == "missing-field"] == [
        ("missing-field", "D3", "owner is required in stage lead"),  # as the cell writes it
        ("missing-field", "C4", "the stage is empty ((none))"),
    ]
    schema = json.loads(cli("config", "schema").stdout)
    column = schema["$defs"]["ColumnModel"]["properties"]["null_markers"]
    assert column["items"] == {"type": "string"}
    assert "in this column only" in column["description"]
    assert load_profile(str(cfg)).null_markers == load_profile("b2b").null_markers


def test_scale_on_a_percent_column_is_read_and_on_a_text_column_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text("extends: b2b\nname: team\ncolumns:\n  discount: {scale: 0.01}\n", "utf-8")
    sheet = tmp_path / "deals.csv"
    sheet.write_text("Deal ID,Stage,Discount\nD1,lead,5\nD2,lead,12.5%\nD3,lead,30\n", "utf-8")
    p = api.open_pipeline(sheet, profile=str(cfg), today=TODAY)
    assert [str(d.values["discount"]) for d in p.deals] == ["0.05", "0.125", "0.30"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "extends: b2b\nname: team\ncolumns:\n  owner:\n    scale: 0.01\n"
        "  customer: {currency: USD}\n",
        "utf-8",
    )
    assert problems_of(bad) == [
        f"{bad}:5: columns.owner.scale: found scale: 0.01 on a text column, expected scale only "
        "on a money, number or percent column (give the column a type: that reads it, or drop "
        "scale:)",
        f"{bad}:6: columns.customer.currency: found currency: USD on a text column, expected "
        "currency only on a money column (give the column a type: that reads it, or drop "
        "currency:)",
    ]


def test_out_dir_and_ca_file_stay_relative_to_the_file_that_wrote_them(cli, tmp_path: Path) -> None:
    for folder in ("a", "b", "company", "team"):
        (tmp_path / folder).mkdir()
    mine = tmp_path / "a" / "t.yaml"
    mine.write_text("extends: b2b\ndocuments: {out_dir: documents}\n", "utf-8")
    res = cli("config", "show", "--config", str(mine))
    shown = tmp_path / "b" / "s.yaml"
    shown.write_text(res.stdout, "utf-8")
    want = (tmp_path / "a" / "documents").resolve()
    assert load_profile(str(mine)).documents.out_dir.resolve() == want
    assert load_profile(str(shown)).documents.out_dir == want
    # through an extends: chain, and the e-mail CA file likewise
    (tmp_path / "company" / "base.yaml").write_text(
        "extends: b2b\ndocuments: {out_dir: docs-company}\nnotifications:\n  email:\n"
        "    {host: smtp.example.com, from: a@example.com, manager_to: [b@example.com],"
        " ca_file: ca.pem}\n",
        "utf-8",
    )
    team = tmp_path / "team" / "team.yaml"
    team.write_text("extends: ../company/base.yaml\nname: team\n", "utf-8")
    profile = load_profile(str(team))
    company = (tmp_path / "company").resolve()
    assert profile.documents.out_dir == company / "docs-company"
    assert profile.notifications.email.ca_file == str(company / "ca.pem")


def test_a_stage_problem_in_an_extends_file_names_the_users_own_item(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nname: team\nstages:\n"
        "  - {id: negotiation, stall_days: 20}\n"
        "  - id: contract\n    probability: 1.7\n",
        "utf-8",
    )
    assert problems_of(cfg) == [
        f"{cfg}:6: stages[1] (contract).probability: found 1.7 (a number), expected a number "
        "from 0 to 1",
    ]


def test_a_misspelt_stage_id_in_an_extends_file_gets_a_did_you_mean(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nname: team\nstages:\n  - {id: lead, stall_days: 9}\n"
        "  - {id: negotiaton, stall_days: 20}\n",
        "utf-8",
    )
    assert problems_of(cfg) == [
        f"{cfg}:5: stages[1] (negotiaton).label: missing, expected a non-empty text value "
        "(stage 'negotiaton' is not one of the stages it extends, so it is a new stage; did you "
        "mean 'negotiation'?)",
    ]
    # a new stage of its own name gets no guess, but is told it is a new stage (a user who
    # renamed an id to rename a stage learns how that is done)
    cfg.write_text("extends: b2b\nname: team\nstages:\n  - {id: pilot}\n", "utf-8")
    assert problems_of(cfg) == [
        f"{cfg}:4: stages[0] (pilot).label: missing, expected a non-empty text value (stage "
        "'pilot' is not one of the stages it extends (research, lead, opportunity, follow_up, "
        "negotiation, contract, delivery, lost), so it is a new stage and needs a label; to "
        "rename a stage, keep its id and set label:)"
    ]
