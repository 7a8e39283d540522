"""The loop a new user goes round: `config init`, edit the YAML, `config check` until it is
right. One `config check` lists every problem it can find, each with file, line and key path,
a did-you-mean where a near name exists, and no problem the file does not have."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from salessheet.core.errors import ConfigError
from salessheet.settings.profile import load_profile

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

SMALL = """\
name: small
currency: USD
columns:
  deal_id: {type: id, aliases: [ID]}
  stage: {type: stage, aliases: [Stage]}
  customer: {type: text, aliases: [Customer]}
  amount: {type: money, aliases: [Amount]}
  closing: {type: date, aliases: [Close Date]}
stages:
  - {id: lead, label: Lead, probability: 0.1}
  - {id: negotiation, label: Negotiation, probability: 0.6, required: [customer]}
  - {id: won, label: Won, probability: 1.0, outcome: won, terminal: true}
  - {id: lost, label: Lost, outcome: lost, terminal: true}
"""


def problems_of(cfg: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_profile(str(cfg))
    return [p.replace(str(cfg), "team.yaml") for p in exc.value.problems]


def message_of(cfg: Path) -> str:
    with pytest.raises(ConfigError) as exc:
        load_profile(str(cfg))
    return exc.value.message.replace(str(cfg), "team.yaml")


def write(tmp_path: Path, text: str) -> Path:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(text, "utf-8")
    return cfg


# ------------------------------------------------------------------------- one pass, all of it


def test_one_check_lists_the_checks_across_keys_beside_the_bad_values(cli, tmp_path: Path) -> None:
    """Before, this file took three runs of `config check`: first the three bad values, then
    the repeated rule id (checked once every rule validated), then the currency on a date
    column (checked once the whole file validated)."""
    cfg = write(
        tmp_path,
        SMALL.replace("[Close Date]}", "[Close Date], currency: USD}").replace(
            "probability: 0.6,", "probability: 6,"
        )
        + "transitions:\n"  # 14
        + "  mode: graph\n"  # 15
        + "  graph: {lead: [negotiation, lots], negotiation: [won, lost]}\n"  # 16
        + "rules:\n"  # 17
        + "  - id: big-deal\n"  # 18
        + "    when: amount > 50000\n"  # 19
        + "    require: [customer]\n"  # 20
        + "    severity: critical\n"  # 21
        + "  - id: big-deal\n"  # 22
        + "    check: customer is not empty\n",  # 23
    )
    res = cli("config", "check", str(cfg))
    assert res.exit_code == 2
    assert res.stderr.replace(str(cfg), "team.yaml").splitlines() == [
        "salessheet: team.yaml: 5 problems in the config",
        "  - team.yaml:8: columns.closing.currency: found currency: USD on a date column, "
        "expected currency only on a money column (give the column a type: that reads it, or "
        "drop currency:)",
        "  - team.yaml:11: stages[1] (negotiation).probability: found 6 (a number), expected a "
        "number from 0 to 1",
        "  - team.yaml:16: transitions.graph.lead[1]: found 'lots' (text) (did you mean "
        "'lost'?), expected one of the stages: lead, negotiation, won, lost",
        "  - team.yaml:21: rules[0] (big-deal).severity: found 'critical' (text), expected one "
        "of error, warning, info",
        "  - team.yaml:22: rules[1] (big-deal).id: found 'big-deal' again (as rules[0]), "
        "expected unique rule ids",
        "  hint: fix the keys named, then run `salessheet config check team.yaml` again",
    ]
    code, out = cli.json("config", "check", str(cfg))
    assert code == 2 and len(out["error"]["problems"]) == 5
    # validate with the config says the same, and points at config check
    book = tmp_path / "deals.csv"
    book.write_text("ID,Stage,Customer,Amount,Close Date\nD1,Lead,ACME,100,2026-12-01\n")
    res = cli("validate", str(book), "--config", str(cfg))
    assert res.exit_code == 2
    assert "5 problems in the config" in res.stderr
    assert "team.yaml:22: rules[1] (big-deal).id" in res.stderr.replace(str(cfg), "team.yaml")


def test_a_check_that_read_a_bad_value_says_nothing_until_the_value_is_fixed(
    tmp_path: Path,
) -> None:
    """Each later pass reads defaults where values were bad: a check that read one of those
    (the type under a currency, the header: under column:, the outcome of the only lost
    stage, the type of a field in a condition) would report problems the file does not have."""
    cfg = write(
        tmp_path,
        "name: t\n"  # 1
        "currency: USD\n"  # 2
        "header: None\n"  # 3
        "columns:\n"  # 4
        "  deal_id: {column: A}\n"  # 5
        "  stage: {column: B}\n"  # 6
        "  amount: {column: C, type: moneys, currency: EUR, scale: 1000}\n"  # 7
        "stages:\n"  # 8
        "  - {id: lead, label: Lead}\n"  # 9
        "  - {id: won, label: Won, outcome: Won}\n"  # 10
        "  - {id: lost, label: Lost, outcome: Lots}\n"  # 11
        "rules:\n"  # 12
        "  - id: big-deal\n"  # 13
        "    when: amount > 5\n"  # 14
        '    check: stage == "won"\n',  # 15
    )
    assert problems_of(cfg) == [
        "team.yaml:3: header: found 'None' (text) (did you mean 'none'?), expected none (the "
        "sheet has no header row)",
        "team.yaml:7: columns.amount.type: found 'moneys' (text) (did you mean 'money'?), "
        "expected one of id, text, stage, money, number, percent, date",
        "team.yaml:10: stages[1] (won).outcome: found 'Won' (text) (did you mean 'won'?), "
        "expected open, won or lost",
        "team.yaml:11: stages[2] (lost).outcome: found 'Lots' (text) (did you mean 'lost'?), "
        "expected open, won or lost",
    ]
    # once fixed, the file loads: none of the checks held back had anything to say
    fixed = (
        cfg.read_text("utf-8")
        .replace("None", "none")
        .replace("moneys", "money")
        .replace("Won}", "won}")
        .replace("Lots", "lost")
    )
    cfg.write_text(fixed, "utf-8")
    assert load_profile(str(cfg)).column("amount").currency == "EUR"


def test_items_after_a_removed_one_keep_their_own_place(tmp_path: Path) -> None:
    """A stage missing its label is left out of the later passes: the stages after it are
    still named by their place in the file, with their own line."""
    cfg = write(
        tmp_path,
        SMALL.replace("{id: lead, label: Lead, probability: 0.1}", "{id: lead, probability: 0.1}")
        .replace("required: [customer]}", "required: [customer]}\n  - {id: won, label: Again}")
        .replace("  amount: {type: money, aliases: [Amount]}", "  amount: {type: money}"),
    )
    assert problems_of(cfg) == [
        "team.yaml:7: columns.amount.aliases: found nothing, expected at least one header name",
        "team.yaml:10: stages[0] (lead).label: missing, expected a non-empty text value",
        "team.yaml:13: stages[3] (won).id: found 'won' twice, expected unique stage ids",
    ]


# ------------------------------------------------------------------------- did you mean


def test_near_names_are_offered(tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        SMALL.replace("currency: USD", "curency: USD").replace(
            "required: [customer]", "required: [custmer]"
        )
        + "rules:\n"  # 14
        + "  - id: big-deal\n"  # 15
        + '    when: stage >= "negotation"\n'  # 16
        + "    check: custmer is not empty\n"  # 17
        + "  - id: stage-check\n"  # 18
        + "    when: stage is negotiation\n"  # 19
        + "    require: [customer]\n"  # 20
        + "货币: CNY\n",  # 21
    )
    assert problems_of(cfg) == [
        "team.yaml:2: curency: unknown key (did you mean 'currency'?), expected one of: "
        "approvers, columns, currency, date_formats, description, documents, extends, "
        "first_row, header, header_row, ignore_columns, layout_rows, locale, name, "
        "notifications, null_markers, report, rules, sheet, skip_rows, stages, stages_replace, "
        "stall, timezone, transitions, version",
        "team.yaml:11: stages[1] (negotiation).required[0]: found 'custmer' (text) (did you "
        "mean 'customer'?), expected a field declared under columns (amount, closing, "
        "customer, deal_id, stage)",
        "team.yaml:16: rules[0] (big-deal).when: column 10: unknown stage 'negotation' (did you "
        "mean 'negotiation'?); expected one of the profile's stages: lead, negotiation, won, "
        "lost (ids, labels or aliases)",
        "team.yaml:17: rules[0] (big-deal).check: column 1: unknown name 'custmer' (did you "
        "mean 'customer'?); expected a field of the profile (amount, closing, customer, "
        "deal_id, stage) or today",
        "team.yaml:19: rules[1] (stage-check).when: column 7: is goes with empty (contact is "
        'empty, contact is not empty); to compare with a value, write == "negotiation"',
        "team.yaml:21: 货币: unknown key (config keys are English: did you mean 'currency'?), "
        "expected one of: approvers, columns, currency, date_formats, description, documents, "
        "extends, first_row, header, header_row, ignore_columns, layout_rows, locale, name, "
        "notifications, null_markers, report, rules, sheet, skip_rows, stages, stages_replace, "
        "stall, timezone, transitions, version",
    ]


def test_no_near_name_no_guess(tmp_path: Path) -> None:
    cfg = write(tmp_path, SMALL.replace("currency: USD", "colour: blue"))
    assert problems_of(cfg)[0].startswith("team.yaml:2: colour: unknown key, expected one of:")


# ------------------------------------------------------------------------- how YAML is written


def test_a_key_written_one_level_too_far_left(tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        SMALL.replace("  closing: {type: date, aliases: [Close Date]}\n", "  scale: 1000\n"),
    )
    assert problems_of(cfg) == [
        "team.yaml:8: columns.scale: found 1000 (a number) (scale is also a key of each entry of "
        "columns: if it belongs to the entry above it, indent it under that entry), expected a "
        "mapping"
    ]


def test_a_value_through_an_alias_names_where_it_is_used(tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        SMALL.replace(
            "  amount: {type: money, aliases: [Amount]}\n",
            "  amount: &money\n    type: money\n    aliases: [Amount]\n    currency: USD\n",
        ).replace("  closing: {type: date, aliases: [Close Date]}\n", "  closing: *money\n"),
    )
    assert problems_of(cfg) == [
        "team.yaml:9: columns.closing.aliases[0]: found 'Amount' (also an alias of 'amount'), "
        "expected each header name to belong to one field (the value is used at line 11 "
        "through a YAML alias)",
    ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("  customer: {type: text", "\tcustomer: {type: text"),
            "team.yaml: not valid YAML at line 6, column 1: found character that cannot start "
            "any token; YAML indents with spaces only: replace the tab with spaces",
        ),
        (
            (
                "  customer: {type: text, aliases: [Customer]}",
                "  customer:\n     type: text\n    aliases: [Customer]",
            ),
            "team.yaml: not valid YAML at line 8, column 5: did not find expected key; line 8 is "
            "indented 4 spaces, which lines up with none of the keys of the block that starts "
            "at line 4 (2 spaces), nor with line 7 above it (5 spaces): lines of one mapping or "
            "list line up in one column",
        ),
        (
            (
                "  customer: {type: text, aliases: [Customer]}",
                "  customer:\n  aliases: [Customer]\n    type: text",
            ),
            "team.yaml: not valid YAML at line 8, column 5: did not find expected key; line 8 is "
            "indented 4 spaces, which lines up with none of the keys of the block that starts "
            "at line 4 (2 spaces); line 7 above it is one of those keys: if it belongs under "
            "the key before it, indent it 4 spaces like line 8",
        ),
        (
            (
                "  customer: {type: text, aliases: [Customer]}",
                "  customer: text\n    aliases: [Customer]",
            ),
            "team.yaml: not valid YAML at line 7, column 12: mapping values are not allowed in "
            "this context; line 7 is indented 4 spaces, under line 6 ('customer: text'), whose "
            "key (at 2 spaces) already has a value: keys of one mapping line up in one column, "
            "and a key's own keys go under it only when it has no value",
        ),
        (
            ("  - {id: won,", "  - id: won\n  probability: 1\n  - {id: paid,"),
            "team.yaml: not valid YAML at line 13, column 3: did not find expected '-' "
            "indicator; line 13 is indented like the items of the list that starts at line 10 "
            "(2 spaces) but does not start with '- ': a key of the item above goes under the "
            "item's first key, indented 4 spaces",
        ),
    ],
    ids=["tab", "too-far-right", "too-far-left", "key-under-a-value", "list-item-key"],
)
def test_yaml_mistakes_say_what_to_change(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    assert edit[0] in SMALL
    cfg = write(tmp_path, SMALL.replace(edit[0], edit[1]))
    assert message_of(cfg) == message


# ------------------------------------------------------------------------- the loop on real files


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not here")
def test_the_loop_on_a_real_export(cli, tmp_path: Path) -> None:
    """config init on the Maven CRM export, the edits a new user makes (a stage renamed in a
    rule, a field required in a stage, the currency, a rule from the README), each with a
    typo: one config check names every typo; fixed, validate reads the sheet."""
    src = CORPUS / "maven_crm_sales_opportunities" / "sales_pipeline.csv"
    book = tmp_path / "deals.csv"
    shutil.copy(src, book)
    cfg = tmp_path / "team.yaml"
    res = cli("config", "init", str(book), "--out", str(cfg), "--today", "2026-12-01")
    assert res.exit_code == 0, res.output
    written = cfg.read_text("utf-8")
    assert "currency: USD" in written and "required: [customer, owner]" in written
    edited = (
        written.replace("currency: USD", "currency: usd")
        .replace("required: [customer, owner]", "required: [customer, ownr]")
        .replace(
            "date_order: ymd  # close_date", "date_order: ymd\n    currency: USD  # close_date"
        )
        + "rules:\n"
        + "  - id: big-deal-contact\n"
        + '    when: amount > 50000 and stage >= "negociation"\n'
        + "    check: contact is not empty\n"
        + "  - id: big-deal-contact\n"
        + "    require: [customer]\n"
    )
    cfg.write_text(edited, "utf-8")
    lines = edited.splitlines()

    def at(text: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if text in line)

    code, out = cli.json("config", "check", str(cfg))
    assert code == 2
    got = [p.replace(str(cfg), "team.yaml") for p in out["error"]["problems"]]
    assert got == [
        f"team.yaml:{at('currency: usd')}: currency: found 'usd' (text) (did you mean 'USD'?), "
        "expected an ISO 4217 code such as CNY, USD or EUR",
        f"team.yaml:{at('    currency: USD')}: columns.expected_close.currency: found currency: "
        "USD on a date column, expected currency only on a money column (give the column a "
        "type: that reads it, or drop currency:)",
        f"team.yaml:{at('ownr')}: stages[2] (lost).required[1]: found 'ownr' (text) (did you "
        "mean 'owner'?), expected a field declared under columns (address, amount, approver, "
        "contact, contract_no, created, currency, customer, deal_id, discount, email, "
        "expected_close, language, last_activity, lost_reason, next_step_date, notes, "
        "override_reason, owner, phone, probability, snooze_until, stage, stage_date)",
        f"team.yaml:{at('negociation')}: rules[0] (big-deal-contact).when: column 29: unknown "
        "stage 'negociation' (did you mean 'negotiation'?); expected one of the profile's "
        "stages: research, lead, opportunity, follow_up, negotiation, contract, delivery, lost "
        "(ids, labels or aliases)",
        f"team.yaml:{len(lines) - 1}: rules[1] (big-deal-contact).id: found 'big-deal-contact' "
        "again (as rules[0]), expected unique rule ids",
    ]
    fixed = (
        edited.replace("currency: usd", "currency: USD")
        .replace("ownr", "owner")
        .replace("\n    currency: USD  # close_date", "  # close_date")
        .replace("negociation", "negotiation")
        .replace("  - id: big-deal-contact\n    require", "  - id: big-deal-customer\n    require")
    )
    cfg.write_text(fixed, "utf-8")
    res = cli("config", "check", str(cfg))
    assert res.exit_code == 0, res.output
    code, out = cli.json("validate", str(book), "--config", str(cfg), "--today", "2026-12-01")
    assert code in (0, 1) and out["summary"]["deals"] == 8800
    res = cli("rules", "--config", str(cfg))
    assert res.exit_code == 0 and "big-deal-contact" in res.stdout


# ------------------------------------------------------------------------- headers and names


def test_a_header_written_where_a_field_goes_names_its_field(tmp_path: Path) -> None:
    """A team writing Chinese puts the header (客户, 金额) where the field name goes, and the
    stage's Chinese name where its id goes."""
    cfg = write(
        tmp_path,
        SMALL.replace("aliases: [Customer]", "aliases: [Customer, 客户]")
        .replace("aliases: [Amount]", "aliases: [Amount, 金额]")
        .replace("required: [customer]", "required: [客户]")
        .replace("{id: negotiation, label: Negotiation,", "{id: 谈判, label: Negotiation,")
        + "rules:\n"  # 14
        + "  - id: big-deal\n"  # 15
        + "    when: 金额 > 500000\n"  # 16
        + "    require: [customer]\n",  # 17
    )
    assert problems_of(cfg) == [
        "team.yaml:11: stages[1] (谈判).id: found '谈判' (text), expected a stage id in "
        "lower_snake_case such as site_visit (names in other scripts go in label_zh: or "
        "aliases:)",
        "team.yaml:11: stages[1] (谈判).required[0]: found '客户' (text) (the header of "
        "'customer': write customer), expected a field declared under columns (amount, "
        "closing, customer, deal_id, stage)",
        "team.yaml:16: rules[0] (big-deal).when: column 1: unexpected character '金' ('金额' is "
        "the header of 'amount': write amount)",
    ]


def test_a_misspelt_field_under_columns_is_a_field_of_its_own(tmp_path: Path) -> None:
    cfg = write(tmp_path, "extends: b2b\nname: team\ncolumns:\n  amout: {aliases: [Amount]}\n")
    assert problems_of(cfg) == [
        "team.yaml:4: columns.amout.aliases[0]: found 'Amount' (also an alias of 'amount'), "
        "expected each header name to belong to one field ('amout' is a field of its own: did "
        "you mean 'amount'?)"
    ]


def test_a_stage_the_sheet_writes_close_to_a_config_alias(cli, tmp_path: Path) -> None:
    """A typo in a stage alias of the config: validate's unknown-stage finding says which
    stage the sheet's value is close to, and how the config spells it."""
    cfg = write(
        tmp_path, SMALL.replace("label: Negotiation,", "label: Negotiation, aliases: [Proposl],")
    )
    book = tmp_path / "deals.csv"
    book.write_text("ID,Stage,Customer,Amount\nD1,Proposal,ACME,100\nD2,Leed,ACME,5\nD3,Xyz,B,1\n")
    code, out = cli.json("validate", str(book), "--config", str(cfg), "--today", "2026-12-01")
    assert code == 1
    got = [f["message"].split(";")[0] for f in out["findings"] if f["code"] == "unknown-stage"]
    assert got == [
        "unknown stage 'Proposal' (did you mean negotiation? the config spells it 'Proposl')",
        "unknown stage 'Leed' (did you mean lead?)",
        "unknown stage 'Xyz'",
    ]


def test_what_config_init_printed_saved_as_the_config(cli, tmp_path: Path) -> None:
    """`salessheet config init deals.csv > team.yaml`: team.yaml holds the report; the config
    went to deals.salessheet.yaml. config check (and validate) say so, instead of a YAML
    error about indentation on line 3."""
    book = tmp_path / "deals.csv"
    book.write_text("Deal ID,Stage,Customer,Amount\nD1,Lead,ACME,100\nD2,Won,B,5\n")
    res = cli("config", "init", str(book), "--today", "2026-12-01")
    assert res.exit_code == 0
    cfg = write(tmp_path, res.stdout)
    wrote = tmp_path / "deals.salessheet.yaml"
    assert wrote.is_file()
    res = cli("config", "check", str(cfg))
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [
        f"salessheet: {cfg}: this is what `salessheet config init` printed, not a config: the "
        f"config it wrote is {wrote}",
        f"  hint: check that one: `salessheet config check {wrote}` (config init writes the "
        "config to a file; --out FILE chooses its name)",
    ]
    assert cli("config", "check", str(wrote)).exit_code == 0


def test_a_currency_written_as_a_name_or_a_sign_gets_its_code(tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        "extends: b2b\nname: t\ncurrency: RMB\ncolumns:\n  amount: {currency: usd}\n"
        "  discount: {type: money, currency: 美元}\n  notes: {currency: £}\n",
    )
    assert problems_of(cfg) == [
        "team.yaml:3: currency: found 'RMB' (text) (did you mean 'CNY'?), expected an ISO 4217 "
        "code such as CNY, USD or EUR",
        "team.yaml:5: columns.amount.currency: found 'usd' (text) (did you mean 'USD'?), "
        "expected an ISO 4217 code such as CNY, USD or EUR",
        "team.yaml:6: columns.discount.currency: found '美元' (text) (did you mean 'USD'?), "
        "expected an ISO 4217 code such as CNY, USD or EUR",
        "team.yaml:7: columns.notes.currency: found '£' (text) (did you mean 'GBP'?), expected "
        "an ISO 4217 code such as CNY, USD or EUR",
    ]


def test_a_misspelt_key_is_one_problem_and_a_bad_pattern_says_why(tmp_path: Path) -> None:
    """`colum:` for `column:` was two problems (an unknown key, and column missing); a
    pattern that does not compile said only what a pattern is; 1万 in a rule, 'unexpected
    character'."""
    cfg = write(
        tmp_path,
        SMALL
        + "skip_rows:\n"  # 14
        + "  where:\n"  # 15
        + '    - {column: Stage, matches: "(?i)total("}\n'  # 16
        + '    - {colum: Stage, matches: "x"}\n'  # 17
        + "rules:\n"  # 18
        + "  - id: big-deal\n"  # 19
        + "    check: amount > 1.5万\n",  # 20
    )
    assert problems_of(cfg) == [
        "team.yaml:16: skip_rows.where[0].matches: found '(?i)total(' (text), expected a "
        "regular expression (missing ), unterminated subpattern at position 9)",
        "team.yaml:17: skip_rows.where[1].colum: unknown key (did you mean 'column'?), expected "
        "one of: column, matches",
        "team.yaml:20: rules[0] (big-deal).check: column 10: write the number out: 1.5万 is 15000",
    ]


def test_a_wrong_column_letter_is_not_also_a_column_without_headers(tmp_path: Path) -> None:
    """With header: none a column is found by its letter: a wrong letter was also reported as
    'aliases: found nothing, expected at least one header name' (the check read the letter
    as absent)."""
    cfg = write(
        tmp_path,
        "name: t\nheader: none\ncolumns:\n  deal_id: {column: A}\n  stage: {column: ZZZZ}\n"
        "stages:\n  - {id: lead, label: Lead}\n  - {id: lost, label: Lost, outcome: lost}\n",
    )
    assert problems_of(cfg) == [
        "team.yaml:5: columns.stage.column: found 'ZZZZ' (text), expected a column letter such "
        "as E, or a column number from 1",
    ]


def test_a_stage_key_written_at_the_top_level_says_where_it_belongs(tmp_path: Path) -> None:
    """`required:` one indentation level too far left, after the stages: a top-level key
    nobody knows; it is a key of each stage (and of each column: the entry above decides)."""
    cfg = write(
        tmp_path, SMALL + "  - {id: paid, label: Paid, outcome: won}\nrequired: [customer]\n"
    )
    assert problems_of(cfg) == [
        "team.yaml:15: required: unknown key (required is a key of each entry of stages: if it "
        "belongs to the entry above it, indent it under that entry), expected one of: "
        "approvers, columns, currency, date_formats, description, documents, extends, "
        "first_row, header, header_row, ignore_columns, layout_rows, locale, name, "
        "notifications, null_markers, report, rules, sheet, skip_rows, stages, stages_replace, "
        "stall, timezone, transitions, version"
    ]


def test_a_holiday_that_is_no_date_is_listed_with_the_rest(tmp_path: Path) -> None:
    """2026-02-30 unquoted is a YAML date that is none: it stopped the whole file at a YAML
    error; now it is one problem among the others."""
    cfg = write(
        tmp_path,
        SMALL.replace("currency: USD", "currency: usd") + "stall:\n  holidays: [CN, 2026-02-30]\n",
    )
    assert problems_of(cfg) == [
        "team.yaml:2: currency: found 'usd' (text) (did you mean 'USD'?), expected an ISO 4217 "
        "code such as CNY, USD or EUR",
        "team.yaml:15: stall.holidays[1]: found '2026-02-30' (text) (day is out of range for "
        "month), expected an ISO date or a country code (CN)",
    ]
