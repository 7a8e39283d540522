"""Terminal columns: CJK takes two, combining marks none, emoji two; clipping never splits a
character from its marks and never exceeds the width asked for."""

from __future__ import annotations

import pytest

from salessheet.core.display import clip, ljust, rjust, width

E_ACUTE = "e\u0301"  # e + combining acute accent: one column
FAMILY = "👨\u200d👩\u200d👧"  # one emoji sequence: two columns
SAMPLES = [
    "报价与谈判 Negotiation",
    "北京某某科技有限公司（华东）",
    E_ACUTE * 6 + "tude",
    "Café " + FAMILY + " 👍 ok",
    "a中b文c字d",
    "❤\ufe0f❤\ufe0f❤\ufe0f",
    "plain ascii text",
    "",
]


@pytest.mark.parametrize(
    ("text", "cols"),
    [
        ("abc", 3),
        ("中文", 4),
        ("报价与谈判 Negotiation", 22),
        ("（）", 4),  # full-width punctuation
        (E_ACUTE, 1),
        ("Cafe\u0301", 4),
        ("👍", 2),
        (FAMILY, 2),
        ("❤\ufe0f", 2),  # text-style heart made emoji-style: two columns
        ("·—…→×─", 6),  # ambiguous-width symbols the reports use: one column each
        ("a\tb\n", 2),  # control characters take no column
        ("", 0),
    ],
)
def test_width(text: str, cols: int) -> None:
    assert width(text) == cols


def test_clip_keeps_text_that_fits_and_marks_the_cut() -> None:
    assert clip("报价与谈判", 10) == "报价与谈判"
    assert clip("报价与谈判", 9) == "报价与谈…"
    assert clip("报价与谈判", 6) == "报价…"  # 5 columns: 报价与 would need 7
    assert clip("a中文", 4) == "a中…"
    assert clip(E_ACUTE * 4, 3) == E_ACUTE * 2 + "…"
    assert clip("ab" + FAMILY, 3) == "ab…"
    assert clip("abc", 1) == "…"
    assert clip("abc", 0) == ""


@pytest.mark.parametrize("text", SAMPLES)
def test_clip_never_exceeds_the_width_nor_splits_a_character(text: str) -> None:
    for cols in range(width(text) + 2):
        out = clip(text, cols)
        assert width(out) <= cols, (text, cols, out)
        if out == text:
            continue
        head = out.removesuffix("…")
        assert out.endswith("…") or cols == 0
        assert text.startswith(head)
        rest = text[len(head) :]
        # what was cut off starts with a character of its own, not a mark, selector or joiner
        assert width(rest[0]) > 0 and not head.endswith("\u200d"), (text, cols, out)
        # and the head is the longest that fits: the next character with its marks would not
        piece = 1
        while piece < len(rest) and (width(rest[piece]) == 0 or rest[piece - 1] == "\u200d"):
            piece += 1
        assert cols == 0 or width(head + rest[:piece]) > cols - 1, (text, cols, out)


@pytest.mark.parametrize("text", SAMPLES)
def test_ljust_and_rjust_fill_exactly(text: str) -> None:
    for cols in range(1, width(text) + 3):
        left, right = ljust(text, cols), rjust(text, cols)
        assert width(left) == width(right) == cols, (text, cols)
        assert left.rstrip(" ") == right.lstrip(" ") == clip(text, cols).strip(" ")


def test_ljust_rjust_pad_wide_text_by_columns() -> None:
    assert ljust("中文", 5) == "中文 "
    assert rjust("中文", 5) == " 中文"
    assert ljust("中文字", 4) == "中… "  # 中文 + … would be 5 columns: never half a character
    assert ljust(E_ACUTE, 3) == E_ACUTE + "  "
