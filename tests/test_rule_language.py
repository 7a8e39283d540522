"""The condition language of a profile's rules: every construct on a deal, and every refusal of
an unsafe or malformed condition as `config check` reports it (rule, column, YAML line)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from salessheet.core.errors import ConfigError
from salessheet.settings.conditions import Condition, ConditionError, Scope, compile_condition
from salessheet.settings.profile import load_profile

TODAY = dt.date(2026, 11, 28)
B2B = load_profile("b2b")
SCOPE = Scope.of(
    {c.field: c.type for c in B2B.columns},
    [(s.id, (s.label, s.label_zh or "", *s.aliases)) for s in B2B.stages],
)
# the issue's deal: stage negotiation, amount 600000, contact empty
DEAL = {
    "deal_id": "D-0001",
    "stage": "negotiation",
    "amount": Decimal("600000"),
    "contact": None,
    "owner": "Ann Lee",
    "expected_close": dt.date(2026, 12, 20),
    "created": dt.date(2026, 10, 1),
    "discount": Decimal("0.25"),
    "currency": "CNY",
}


def holds(expr: str, deal: dict | None = None, today: dt.date = TODAY) -> bool:
    return compile_condition(expr, SCOPE)(DEAL if deal is None else deal, today)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("amount > 500000", True),
        ('stage >= "negotiation" and contact is empty', True),
        ('stage < "opportunity"', False),
        ('contact == "Li"', False),
        # expected close 2026-12-20, today 2026-11-28: within 30 days, not within 20
        ("expected_close < today + days(30)", True),
        ("expected_close < today + days(20)", False),
    ],
)
def test_the_issues_examples(expr: str, expected: bool) -> None:
    assert holds(expr) is expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # numbers and every comparison
        ("amount == 600000", True),
        ("amount == 600000.00", True),
        ("amount != 600000", False),
        ("amount <= 600000", True),
        ("amount < 600000", False),
        ("amount >= 600001", False),
        ("500000 < amount", True),  # a literal on the left
        # percentages: 20% is 0.2
        ("discount > 20%", True),
        ("discount >= 25%", True),
        ("discount > 25%", False),
        ("discount == 0.25", True),
        ("discount > 12.5%", True),
        # text in double quotes, compared ignoring case and spacing (as headers are)
        ('owner == "Ann Lee"', True),
        ('owner == " ann  LEE "', True),
        ('owner != "Bob"', True),
        ('currency == "CNY"', True),
        # dates
        ('expected_close == date("2026-12-20")', True),
        ('expected_close > date("2026-12-31")', False),
        ('today == date("2026-11-28")', True),
        ("today - days(30) < expected_close", True),
        ("days(10) + today > expected_close", False),
        ('expected_close - days(20) <= date("2026-11-30")', True),
        ("today + days(30) > expected_close", True),  # today on the left
        ("today - days(3) + days(5) < expected_close", True),
        ("created <= expected_close", True),  # a field with a field
        ("expected_close < created", False),
        # + and - on numbers
        ("amount - 100000 >= 500000", True),
        ("amount + 1 > 600000", True),
        ("amount - 1 - 1 == 599998", True),  # left to right
        # lists
        ('owner in ["Bob", "ann lee"]', True),
        ('owner in ["Bob"]', False),
        ("amount in [600000, 700000]", True),
        ('expected_close in [date("2026-12-20")]', True),
        ('stage in ["lead", "报价与谈判"]', True),
        ("owner in []", False),
        # and, or, not, parentheses
        ('amount < 5 or owner == "Ann Lee"', True),
        ('amount > 5 and owner == "Bob"', False),
        ("not amount > 500000", False),
        ('not (amount > 5 or contact is empty) or stage == "negotiation"', True),
        ('(amount > 5 or contact is empty) and stage == "lead"', False),
        ("amount > 5 and (contact is empty or contact is not empty)", True),
        ("amount > 1 and amount > 2 and amount > 3 and amount > 4 and owner is not empty", True),
        ("amount > 1 and amount > 2 and amount > 3 and amount > 4 and owner is empty", False),
        ("amount < 1 or amount < 2 or amount < 3 or amount < 4 or owner is not empty", True),
        ("amount < 1 or amount < 2 or amount < 3 or amount < 4 or owner is empty", False),
        # is empty / is not empty
        ("contact is empty", True),
        ("contact is not empty", False),
        ("owner is not empty", True),
        ("not contact is empty", False),
        # stage: by id, English label, Chinese label or alias, in the profile's order
        ('stage == "报价与谈判"', True),
        ('stage == "Negotiation"', True),
        ('stage == "Quote"', True),  # an alias
        ('stage == "follow up"', False),
        ('"negotiation" <= stage', True),
        ('stage > "客户跟进"', True),
        ('stage <= "contract"', True),
        ('stage != "lost"', True),
    ],
)
def test_every_construct(expr: str, expected: bool) -> None:
    assert holds(expr) is expected


def test_terminal_stages_sit_where_the_profile_lists_them() -> None:
    lost = {**DEAL, "stage": "lost"}
    assert holds('stage >= "negotiation"', lost)  # lost is listed last in b2b
    assert holds('stage > "delivery"', lost)
    assert not holds('stage < "delivery"', lost)
    delivered = {**DEAL, "stage": "delivery"}
    assert holds('stage > "contract" and stage < "lost"', delivered)


def test_money_compares_in_the_deals_own_currency() -> None:
    dollars = {**DEAL, "currency": "USD", "amount": Decimal("600000")}
    assert holds("amount > 500000", dollars)  # no conversion: the number as the deal has it
    assert holds('currency == "usd" and amount > 500000', dollars)


def test_any_comparison_with_an_empty_field_is_false() -> None:
    blank = {**DEAL, "amount": None, "expected_close": None, "owner": None, "stage": None}
    for expr in (
        "amount > 0",
        "amount < 0",
        "amount == 0",
        "amount != 0",
        "amount + 1 > 0",
        "amount in [0]",
        "expected_close < today + days(30)",
        "expected_close >= today",
        "today + days(1) > expected_close",
        "created <= expected_close",
        "expected_close >= created",
        'owner == "Ann Lee"',
        'owner != "Ann Lee"',
        'owner in ["Ann Lee"]',
        'stage >= "research"',
        'stage != "lost"',
        'stage in ["lead"]',
    ):
        assert not holds(expr, blank), expr
    assert holds("not amount > 0", blank)  # the negation of a false comparison
    assert holds("amount is empty and owner is empty and stage is empty", blank)
    assert holds("today + days(1) > today", blank)  # no field: nothing empty


@pytest.mark.parametrize(
    "expr",
    [
        'stage >= "negotiation" and stage != "lost"',
        "amount > 5 and amount < 6",
        "amount >= 5 and amount <= 5",
        'owner == "Ann" and owner == "ann "',  # text compares ignoring case and spacing
        'expected_close > date("2026-12-01") and expected_close <= date("2026-12-02")',
        "amount > 1 and (amount < 0 or owner is empty)",  # only top-level parts are paired
        "expected_close < today + days(30) and expected_close > today",
    ],
)
def test_parts_that_can_hold_together_are_accepted(expr: str) -> None:
    compile_condition(expr, SCOPE)


def test_numbers_listed_without_spaces_stay_a_list() -> None:
    """Only a group of three digits that must be a thousands group is refused: a list written
    without spaces, whose groups could be items, keeps its items."""
    assert compile_condition("amount in [100,200,300]", SCOPE)({"amount": Decimal(200)}, TODAY)
    assert compile_condition("amount in [1,500]", SCOPE)({"amount": Decimal(500)}, TODAY)


def test_text_tests_stay_right_across_deals() -> None:
    cond = compile_condition('owner == "ann lee" or owner in ["Bob"]', SCOPE)
    owners = ["Bob", "Ann Lee", "Cy", "ANN  LEE", None, "Bob", "Cy"]
    assert [cond({"owner": o}, TODAY) for o in owners] == [
        True, True, False, True, False, True, False
    ]  # fmt: skip


def test_a_field_missing_from_the_deal_is_empty() -> None:
    assert holds("lost_reason is empty", {"stage": "lead"})
    assert not holds('lost_reason == "price"', {"stage": "lead"})


def test_compiled_once_to_a_plain_function() -> None:
    cond = compile_condition('amount > 500000 and stage >= "negotiation"', SCOPE)
    assert isinstance(cond, Condition)
    assert cond.source == 'amount > 500000 and stage >= "negotiation"'
    assert cond.fields == ("amount", "stage")
    deals = [{**DEAL, "amount": Decimal(n)} for n in (1, 500000, 500001, 900000)]
    assert [cond.test(d, TODAY) for d in deals] == [False, False, True, True]


def test_the_profile_holds_compiled_rules(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\nrules:\n"
        "  - id: big-deal-contact\n"
        "    when: amount > 500000\n"
        "    require: [contact]\n",
        "utf-8",
    )
    rule = load_profile(str(cfg)).rules[0]
    assert rule.when is not None and rule.when.source == "amount > 500000"
    assert rule.when(DEAL, TODAY) is True
    assert rule.require == ("contact",)


# --- refusals, as `config check` reports them -------------------------------------------------

TEMPLATE = "extends: b2b\nrules:\n  - id: team-rule\n    require: [contact]\n    when: '{expr}'\n"


def refusal(tmp_path: Path, expr: str) -> list[str]:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(TEMPLATE.format(expr=expr.replace("'", "''")), "utf-8")
    with pytest.raises(ConfigError) as exc:
        load_profile(str(cfg))
    return [p.replace(str(cfg), "team.yaml") for p in exc.value.problems]


FIELDS = (
    "address, amount, approver, contact, contract_no, created, currency, customer, deal_id, "
    "discount, email, expected_close, language, last_activity, lost_reason, next_step_date, "
    "notes, override_reason, owner, phone, probability, snooze_until, stage, stage_date"
)
STAGES = "research, lead, opportunity, follow_up, negotiation, contract, delivery, lost"


@pytest.mark.parametrize(
    ("expr", "column", "message"),
    [
        # unsafe: attribute access, calls other than date() and days(), lambdas
        ("amount.real > 1", 7, "attribute access (.real) is not allowed"),
        ("owner.__class__", 6, "attribute access (.__class__) is not allowed"),
        (
            '__import__("os")',
            1,
            "calls other than date() and days() are not allowed, found __import__()",
        ),
        ('eval("1") > 0', 1, "calls other than date() and days() are not allowed, found eval()"),
        ("len(owner) > 3", 1, "calls other than date() and days() are not allowed, found len()"),
        ("lambda x: x", 1, "lambda functions are not part of the rule language"),
        ("amount > 5 if owner else 3", 12, "'if' is not part of the rule language"),
        ("owner[0] > 1", 6, "indexing with [...] is not allowed"),
        # unknown names and stages
        (
            "amout > 5",
            1,
            f"unknown name 'amout' (did you mean 'amount'?); expected a field of the profile "
            f"({FIELDS}) or today",
        ),
        (
            'stage >= "negociation"',
            10,
            "unknown stage 'negociation' (did you mean 'negotiation'?); expected one of the "
            f"profile's stages: {STAGES} (ids, "
            "labels or aliases)",
        ),
        (
            'stage in ["lead", "paid"]',
            19,
            f"unknown stage 'paid'; expected one of the profile's stages: {STAGES} (ids, labels "
            "or aliases)",
        ),
        # type errors
        (
            "stage > 5",
            9,
            'a stage compares with a stage name in double quotes, such as "negotiation"; found '
            "5 (a number)",
        ),
        ('contact < "Li"', 9, "text is compared with == or != (or in [...]), not <"),
        (
            'amount > "500000"',
            10,
            'cannot compare amount (a number) with "500000" (text); write numbers without quotes',
        ),
        (
            'expected_close < "2026-12-31"',
            18,
            'cannot compare expected_close (a date) with "2026-12-31" (text); write dates as '
            'date("2026-12-31")',
        ),
        ("expected_close < 5", 18, "cannot compare expected_close (a date) with 5 (a number)"),
        (
            "today - created > 30",
            7,
            "one date cannot be subtracted from another; compare the dates, or add days(n) to "
            "one of them",
        ),
        (
            'owner + 1 == "x"',
            1,
            "+ works on numbers, or on a date and days(n); found owner (text)",
        ),
        (
            "days(30) > 2",
            1,
            "days(n) is added to or subtracted from a date, such as today + days(30)",
        ),  # fmt: skip
        ("days(1.5) + today > today", 6, "days() takes a whole number, such as days(30)"),
        ('date("2026-13-01") > today', 6, "'2026-13-01' is no date (month must be in 1..12)"),
        (
            "date(20261231) > today",
            6,
            'date() takes a date in double quotes, such as date("2026-12-31")',
        ),
        (
            "amount",
            1,
            "expected a condition (a comparison, in [...], is empty, ...), found amount (a number)",
        ),  # fmt: skip
        (
            "amount > 5 and 3",
            16,
            "and takes conditions (comparisons, in, is empty), found 3 (a number)",
        ),
        ("(amount > 5) > 3", 2, "compare values, not conditions (join conditions with and / or)"),
        (
            "owner in owner",
            10,
            'in takes a list in brackets, such as ["a", "b"]; found owner (text)',
        ),  # fmt: skip
        (
            'amount in [1, "a"]',
            15,
            'this list is compared with amount (a number), but holds "a" (text)',
        ),
        # two parts that exclude each other: the rule never applied (or failed every deal)
        (
            "amount > 500000 and amount < 1000",
            21,
            "amount > 500000 and amount < 1000 can never both hold: no amount is both",
        ),
        (
            'stage > "contract" and stage < "delivery"',  # adjacent stages: none between
            24,
            'stage > "contract" and stage < "delivery" can never both hold: no stage is both',
        ),
        (
            'owner == "Ann" and amount > 5 and owner in ["Bob", "Cy"]',
            35,
            'owner == "Ann" and owner in ["Bob", "Cy"] can never both hold: no owner is both',
        ),
        (
            'expected_close >= date("2026-12-02") and expected_close < date("2026-12-02")',
            42,
            'expected_close >= date("2026-12-02") and expected_close < date("2026-12-02") can '
            "never both hold: no expected close is both",
        ),
        # thousands separators inside a list: [1,000, 2000] was silently [1, 0, 2000]
        (
            "amount in [1,000, 2000]",
            12,
            "write the number out: 1,000 is 1000; separate the items of a list with a comma and "
            "a space",
        ),
        (
            "amount in [1000, 2,500.5]",
            18,
            "write the number out: 2,500.5 is 2500.5; separate the items of a list with a comma "
            "and a space",
        ),
        (
            "amount in [1,000,000]",
            12,
            "write the number out: 1,000,000 is 1000000; separate the items of a list with a "
            "comma and a space",
        ),
        (
            "today is empty",
            1,
            "is empty tests a field, such as contact is empty; found today (a date)",
        ),  # fmt: skip
        # malformed: parentheses, quotes, operators, endings
        ("(amount > 5", 1, "'(' is never closed with ')'"),
        ("amount > 5)", 11, "')' has no matching '('"),
        ("((amount > 5) or (owner is empty)", 1, "'(' is never closed with ')'"),
        ('owner in ["a", "b"', 10, "'[' is never closed with ']'"),
        ("contact == 'Li'", 12, 'text goes in double quotes, such as "Li"'),
        ('contact == "Li', 12, "this text has no closing double quote"),
        ("amount = 5", 8, "use == to compare"),
        ("amount > 5 && owner is empty", 12, "use and"),
        ("amount >", 9, "the condition ends too early"),
        ("stage > 5 > 3", 11, "unexpected '>'"),
        ("amount > 5 amount", 12, "unexpected 'amount'"),
        (" ", 1, "the condition is empty"),
    ],
)
def test_refusals_name_the_rule_the_column_and_the_line(
    tmp_path: Path, expr: str, column: int, message: str
) -> None:
    if not expr.strip():  # YAML keeps the blank text; the model refuses it as blank
        assert refusal(tmp_path, expr) == [
            "team.yaml:5: rules[0] (team-rule).when: found nothing, expected a condition such as "
            "amount > 500000 and contact is empty"
        ]
        with pytest.raises(ConditionError, match="the condition is empty"):
            compile_condition(expr, SCOPE)
        return
    assert refusal(tmp_path, expr) == [
        f"team.yaml:5: rules[0] (team-rule).when: column {column}: {message}"
    ]


def test_a_multi_line_condition_names_line_and_column(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\n"
        "rules:\n"
        "  - id: big-deal-contact\n"
        "    require: [contact]\n"
        "    severity: error\n"
        "    when: |\n"
        "      amount > 500000\n"
        '        and stage >= "negociation"\n',
        "utf-8",
    )
    with pytest.raises(ConfigError) as exc:
        load_profile(str(cfg))
    assert exc.value.problems == [
        f"{cfg}:6: rules[0] (big-deal-contact).when: line 2, column 16: unknown stage "
        "'negociation' (did you mean 'negotiation'?); expected one of the profile's stages: "
        f"{STAGES} (ids, labels or aliases)"
    ]


def test_every_problem_of_every_rule_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(
        "extends: b2b\n"  # 1
        "rules:\n"  # 2
        "  - id: discount-approval\n"  # 3
        "    when: discount > 20% and stage >= 5\n"  # 4
        "    require: [approver, budget]\n"  # 5
        "  - id: missing-field\n"  # 6
        "    check: owner is not empty\n"  # 7
        "  - id: Big_Deal\n"  # 8
        "    check: amount.real > 1\n"  # 9
        "    severity: fatal\n"  # 10
        "  - id: both-ways\n"  # 11
        "    require: [contact]\n"  # 12
        "    check: contact is empty\n"  # 13
        "  - id: neither-way\n"  # 14
        "    message: {fr: bonjour}\n"  # 15
        "  - id: discount-approval\n"  # 16
        "    require: [approver]\n",  # 17
        "utf-8",
    )
    with pytest.raises(ConfigError) as exc:
        load_profile(str(cfg))
    assert [p.replace(str(cfg), "team.yaml") for p in exc.value.problems] == [
        "team.yaml:4: rules[0] (discount-approval).when: column 29: a stage compares with a "
        'stage name in double quotes, such as "negotiation"; found 5 (a number)',
        "team.yaml:5: rules[0] (discount-approval).require[1]: found 'budget' (text), expected "
        f"a field declared under columns ({FIELDS})",
        "team.yaml:6: rules[1] (missing-field).id: found 'missing-field' (text), expected an id "
        "that is not a built-in finding code (missing-field is one: see salessheet rules)",
        "team.yaml:8: rules[2] (Big_Deal).id: found 'Big_Deal' (text), expected a rule id in "
        "kebab-case: two or more lowercase words joined by hyphens, such as discount-approval",
        "team.yaml:9: rules[2] (Big_Deal).check: column 7: attribute access (.real) is not allowed",
        "team.yaml:10: rules[2] (Big_Deal).severity: found 'fatal' (text), expected one of "
        "error, warning, info",
        "team.yaml:11: rules[3] (both-ways): expected either require: [fields] or check: "
        "<condition>, not both",
        "team.yaml:14: rules[4] (neither-way): expected either require: [fields] or check: "
        "<condition>",
        "team.yaml:15: rules[4] (neither-way).message.fr: found 'fr' (text), expected en or zh",
        # checks across the rules run in the same pass, for the rules that validated
        "team.yaml:16: rules[5] (discount-approval).id: found 'discount-approval' again (as "
        "rules[0]), expected unique rule ids",
    ]


def test_config_check_cli_reports_the_rule(cli, tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text(TEMPLATE.format(expr="stage > 5"), "utf-8")
    res = cli("config", "check", str(cfg))
    assert res.exit_code == 2
    assert (
        f"{cfg}:5: rules[0] (team-rule).when: column 9: a stage compares with a stage name"
        in res.stderr
    )
    assert "Traceback" not in res.stderr + res.stdout
