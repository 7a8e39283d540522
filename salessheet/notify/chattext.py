"""Text from cells made inert for the markup each chat service renders.

Customer names, deal ids, owners, column headers, sheet names and the messages that quote cells
come from a spreadsheet anyone may have edited. In a chat message none of it may become a link,
an image (fetched by every client that shows the message), a mention (``@all``, ``@所有人``,
``<@userid>``), a heading, a table, emphasis or code.

- ``markdown``: DingTalk and WeCom markdown and Teams Adaptive Card text. These renderers are
  small Markdown subsets whose support for backslash escapes is not documented, so instead of
  escaping, each character that can start markup is replaced by its full-width twin (``[`` →
  ``［``, ``@`` → ``＠``, ...): the text reads the same, in Chinese the forms are the usual ones,
  and no renderer can turn it into markup.
- ``slack``: Slack mrkdwn wants ``&``, ``<`` and ``>`` as entities (so ``<url|text>`` links and
  ``<!channel>`` mentions cannot be formed); the blocks are also sent with ``verbatim: true``
  so Slack does not link bare URLs or parse mentions itself.
- every service: ``//`` and ``www.`` become ``／／`` and ``www．``, so no client links a bare
  URL from a cell either (the autolinks of GitHub-flavoured Markdown and of chat clients).

Each also turns every run of whitespace, line breaks included, into one space, so a cell
cannot start a new Markdown block (a heading, a list, a quote, a table row).
"""

from __future__ import annotations

import re

_MARKDOWN_TWINS = str.maketrans(
    {
        "[": "［",  # links, images, reference definitions
        "]": "］",
        "<": "＜",  # HTML, <autolinks>, WeCom <@userid> mentions, <font>
        ">": "＞",  # block quotes
        "@": "＠",  # @all, @所有人, @mobile mentions, e-mail autolinks
        "*": "＊",  # emphasis, lists
        "_": "＿",
        "~": "～",  # strikethrough
        "`": "｀",  # code
        "#": "＃",  # headings
        "|": "｜",  # tables
        "&": "＆",  # entities (&#91; is "[")
        "\\": "＼",  # escapes, hard line breaks
    }
)
_LINKISH = re.compile(r"//|(?i:www)\.")


def defang_links(text: str) -> str:
    """``http://x`` → ``http:／／x``, ``www.x`` → ``www．x``: no client links it."""
    return _LINKISH.sub(lambda m: "／／" if m.group() == "//" else m.group()[:3] + "．", text)


def one_line(text: str) -> str:
    return " ".join(text.split())


def plain(text: str) -> str:
    """Plain-text fields (Feishu text tags, titles): one line, and no bare links."""
    return defang_links(one_line(text))


def markdown(text: str) -> str:
    """Cell text that DingTalk, WeCom and Teams render as the plain text it is."""
    return defang_links(one_line(text).translate(_MARKDOWN_TWINS))


def slack(text: str) -> str:
    """Text for Slack mrkdwn: the three entities Slack requires, and no bare links."""
    text = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return defang_links(text)
