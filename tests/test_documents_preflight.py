"""Which stages allow a document, for every shipped profile and for explicit settings."""

import pytest

from salessheet.documents.preflight import StageInfo, allowed_stages
from salessheet.settings.documents import StageRule
from salessheet.settings.profile import load_profile


@pytest.mark.parametrize(
    ("profile", "quote", "contract"),
    [
        (
            "b2b",
            ["opportunity", "follow_up", "negotiation"],
            ["negotiation", "contract", "delivery"],
        ),
        # b2c and lite have no 'opportunity'/'negotiation': every open stage may be quoted,
        # the last open stage and the won stages may get a contract
        ("b2c", ["lead", "interested", "order"], ["order", "paid"]),
        ("lite", ["lead", "talking", "quoted"], ["quoted", "won"]),
    ],
)
def test_shipped_profiles(profile: str, quote: list[str], contract: list[str]) -> None:
    p = load_profile(profile)
    stages = [StageInfo(s.id, s.outcome) for s in p.stages]
    assert allowed_stages("quote", p.documents.kind("quote").stages, stages) == quote
    assert allowed_stages("contract", p.documents.kind("contract").stages, stages) == contract


def test_explicit_lists_and_ranges_follow_profile_order() -> None:
    stages = [StageInfo("a", "open"), StageInfo("b", "open"), StageInfo("c", "won"),
              StageInfo("x", "lost")]  # fmt: skip
    assert allowed_stages("quote", StageRule(stages=("c", "a")), stages) == ["a", "c"]
    assert allowed_stages("quote", StageRule(first="b"), stages) == ["b", "c"]
    assert allowed_stages("quote", StageRule(last="b"), stages) == ["a", "b"]
    assert allowed_stages("quote", StageRule(first="a", last="x"), stages) == ["a", "b", "c", "x"]
