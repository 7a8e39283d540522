"""Hostile cell values: every cell is untrusted (issue 12).

A cell can hold 32,767 characters, Markdown, links and mentions; whatever the tool builds from
it must still fit a cell, still be written, and never turn into markup in a chat message.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from conftest import make_xlsx, seller_config
from openpyxl import load_workbook

from salessheet.core.cellsafe import MAX_CELL_UNITS, clip_cell_text, quote_value, utf16_units

HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close", "Override Reason"]


def _units(value: object) -> int:
    return len(str(value).encode("utf-16-le")) // 2


def _sheet_texts(path: Path, name: str) -> list[str]:
    wb = load_workbook(path, read_only=True)
    try:
        rows = wb[name].iter_rows(values_only=True)
        return [v for row in rows for v in row if isinstance(v, str)]
    finally:
        wb.close()


# --------------------------------------------------------------------------- the cell limit


def test_clip_counts_utf16_code_units_as_excel_does_and_never_splits_a_pair() -> None:
    fits = "a" + "😀" * 16383  # 1 + 2 × 16383 = 32,767 code units: exactly a cell
    assert utf16_units(fits) == MAX_CELL_UNITS == _units(fits)
    assert clip_cell_text(fits) is fits
    over = "ab" + "😀" * 16383  # 32,768 code units, only 16,385 characters
    clipped = clip_cell_text(over)
    assert clipped == "ab" + "😀" * 16382 + "…"
    assert _units(clipped) == MAX_CELL_UNITS
    assert clip_cell_text("😀" * 16384) == "😀" * 16383 + "…"  # 32,766 + 1
    assert clip_cell_text(12345) == 12345 and clip_cell_text(None) is None
    assert clip_cell_text("x" * 40_000) == "x" * 32_766 + "…"


def test_a_message_quotes_at_most_200_characters_of_a_cell() -> None:
    assert quote_value("x" * 200) == repr("x" * 200)
    assert quote_value("x" * 32_767) == repr("x" * 200 + "…")
    assert quote_value(3.5) == "3.5"


def test_a_32767_character_stage_cell_does_not_stop_the_run_from_writing(cli, tmp_path) -> None:
    stage = "阶" * 32_767  # as long as Excel lets a cell be
    path = make_xlsx(
        tmp_path / "p.xlsx",
        {
            "Pipeline": [
                HEADER,
                ["D-1", "Acme", stage, 10, "Ann", dt.date(2027, 1, 31), None],
                ["D-2", "Beta", "Lead", 10, "Bob", dt.date(2027, 1, 31), None],
            ]
        },
    )
    code, out = cli.json("run", path, "--today", "2026-11-28")
    assert code == 1  # the unknown stage is an error finding, not a refusal to write
    assert out["written"]["sheets"] == [
        "salessheet history",
        "salessheet findings",
        "salessheet forecast",
    ]
    [finding] = [f for f in out["findings"] if f["code"] == "unknown-stage"]
    assert finding["value"] == stage  # the JSON keeps the whole value
    assert finding["message"].startswith("unknown stage '" + "阶" * 200 + "…'; allowed: ")
    texts = _sheet_texts(path, "salessheet findings")
    assert finding["message"] in texts
    assert max(_units(t) for t in texts) <= MAX_CELL_UNITS
    # the next run with nothing changed writes nothing
    code, again = cli.json("run", path, "--today", "2026-11-28")
    assert code == 1 and again["written"]["unchanged"] is True


def test_texts_built_from_long_cells_are_clipped_in_the_findings_and_the_ledger(
    cli, tmp_path
) -> None:
    """An override reason of 32,767 characters: the ledger note ("override: ...") and the
    finding message ("... overridden by OWNER: ...") both outgrow a cell. Both are written,
    clipped with "…", and a re-run finds them unchanged."""
    path = make_xlsx(
        tmp_path / "p.xlsx",
        {"Pipeline": [HEADER, ["D-1", "Acme", "Lead", 10, "Ann", dt.date(2027, 1, 31), None]]},
    )
    code, _ = cli.json("run", path, "--today", "2026-11-20")
    assert code == 0
    reason = "😀" * 16383 + "!"  # 32,767 code units
    wb = load_workbook(path)
    ws = wb["Pipeline"]
    ws["C2"] = "Negotiation"  # skips two stages: allowed only with the override reason
    ws["G2"] = reason
    wb.save(path)
    code, out = cli.json("run", path, "--today", "2026-11-28")
    assert code == 0  # overridden: an info finding
    [finding] = [f for f in out["findings"] if f["code"] == "illegal-transition"]
    assert finding["severity"] == "info" and finding["message"].endswith(reason)
    findings_texts = _sheet_texts(path, "salessheet findings")
    [written] = [t for t in findings_texts if t.startswith("stage Lead → Negotiation")]
    assert _units(written) == MAX_CELL_UNITS and written.endswith("😀…")
    assert finding["message"].startswith(written[:-1])
    history = _sheet_texts(path, "salessheet history")
    [note] = [t for t in history if t.startswith("override: ")]
    assert note == "override: " + "😀" * 16378 + "…"  # 10 + 32,756 + 1 code units
    code, again = cli.json("run", path, "--today", "2026-11-28")
    assert again["written"]["unchanged"] is True


# --------------------------------------------------------------------------- document batches


def test_a_batch_that_issued_some_and_refused_others_exits_1_listing_both(
    cli, example_copy, tmp_path
) -> None:
    """`quote --all` on the example: 33 deals issued, 3 refused by the preflight."""
    import json

    out_dir = tmp_path / "quotes"
    cfg = str(seller_config(tmp_path))
    res = cli(
        "quote", example_copy, "--all", "--out", out_dir, "--today", "2026-11-28", "--config", cfg
    )
    assert res.exit_code == 1, res.output
    text = res.stdout
    assert text.startswith(f"33 quote(s) written to {out_dir}:\n")
    assert "  Q-2026-0001 " in text and "  Q-2026-0033 " in text
    assert "\n3 deal(s) refused, no quote for them:\n" in text
    assert (
        "\n  D-0021: sheet 'Pipeline': Last Activity H22: cannot read '2026-02-30': "
        "no such date (day is out of range for month)\n" in text
    )
    assert "\n  D-0016: no line items for D-0016 in sheet 'Line Items'\n" in text
    assert len(list(out_dir.iterdir())) == 33
    wb = load_workbook(example_copy, read_only=True)
    assert wb["salessheet documents"].max_row == 34  # header + 33 registered
    wb.close()

    # the same in JSON: one object with both lists (the numbers are reused: same inputs)
    res = cli(
        "quote", example_copy, "--all", "--out", out_dir, "--today", "2026-11-28", "--json",
        "--config", cfg,
    )  # fmt: skip
    assert res.exit_code == 1
    out = json.loads(res.stdout)  # exactly one JSON object
    assert len(out["issued"]) == 33 and not any(d["new"] for d in out["issued"])
    failed = {f["deal_id"]: f["problems"] for f in out["failed"]}
    assert sorted(failed) == ["D-0016", "D-0021", "D-0025"]
    assert failed["D-0016"][-1] == "no line items for D-0016 in sheet 'Line Items'"


def test_a_batch_where_every_deal_was_refused_exits_2_with_nothing_written(
    cli, example_copy, tmp_path
) -> None:
    import json

    before = example_copy.read_bytes()
    out_dir = tmp_path / "quotes"
    args = ("quote", example_copy, "D-0016", "D-0021", "--out", out_dir, "--today", "2026-11-28")
    res = cli(*args, "--json")
    assert res.exit_code == 2
    err = json.loads(res.stdout)["error"]  # the error object and nothing else
    assert err["message"] == "2 deals refused: no quote produced for D-0016, D-0021"
    assert "D-0016: no line items for D-0016 in sheet 'Line Items'" in err["problems"]
    assert not out_dir.exists() and example_copy.read_bytes() == before
    res = cli(*args)
    assert res.exit_code == 2 and res.stdout == "no quote written\n"
    assert "salessheet: 2 deals refused: no quote produced for D-0016, D-0021" in res.stderr


# --------------------------------------------------------------------------- chat markup

LINK = "[点我](http://evil.example)"
HOSTILE_ROWS = [
    # deal id, customer, stage (quoted in the unknown-stage message), owner
    ["D-1", LINK, LINK, "@所有人"],
    ["![x](http://t.example/p.png)", LINK, '<a href="http://evil.example">点</a>', "@all <@U1>"],
    ["D-3", LINK, "# 标题 | a | b |", "<!channel> *粗* _斜_ `码` ~删~ &#91;x&#93;"],
    ["D-4", LINK, "www.evil.example //evil.example", "Ann\n# heading\n- item\n> quote"],
]


def _hostile_workbook(tmp_path: Path) -> Path:
    rows = [["Deal ID", "Customer", "Stage", "Owner", "Amount", "Expected Close"]]
    rows += [[*r, 10, dt.date(2027, 1, 31)] for r in HOSTILE_ROWS]
    return make_xlsx(tmp_path / "p.xlsx", {"Pipeline": rows})


def _markdown_tokens(text: str) -> list:
    """Every token a GitHub-flavoured renderer with bare-URL linking makes of ``text``."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("gfm-like").parse(text)
    return tokens + [c for t in tokens for c in (t.children or [])]


FORBIDDEN = {
    "link_open",
    "image",
    "html_inline",
    "html_block",
    "code_inline",
    "em_open",
    "s_open",
    "table_open",
    "blockquote_open",
    "fence",
    "code_block",
}


def _assert_inert_markdown(text: str, own_headers: int) -> None:
    tokens = _markdown_tokens(text)
    types = [t.type for t in tokens]
    assert types.count("heading_open") == 1  # our "### [salessheet] ..." only
    assert types.count("strong_open") == own_headers  # our "**New (n)**" section headers
    lists = [t for t in tokens if t.type == "list_item_open"]
    items = [ln for ln in text.splitlines() if ln.startswith("- ")]
    assert len(lists) == len(items)  # one list item per line we wrote, no more
    assert not FORBIDDEN & set(types), sorted(set(types))
    for needle in ("@", "http://", "//", "www.", "<", "]("):
        assert needle not in text, needle


def test_chat_messages_carry_cell_text_as_text_never_as_markup(cli, tmp_path, httpserver) -> None:
    import json

    path = _hostile_workbook(tmp_path)
    kinds = ("dingtalk", "wecom", "slack", "teams", "feishu")
    for kind in kinds:
        httpserver.expect_request(f"/{kind}", method="POST").respond_with_data("ok")
    hooks = [a for k in kinds for a in ("--webhook", f"{k}={httpserver.url_for('/' + k)}")]
    code, out = cli.json("run", path, "--today", "2026-11-28", *hooks)
    assert code == 1
    assert [n["status"] for n in out["notifications"]] == ["sent"] * 5
    posted = {req.path[1:]: json.loads(req.get_data(as_text=True)) for req, _ in httpserver.log}

    ding = posted["dingtalk"]["markdown"]["text"]
    assert posted["wecom"]["markdown"]["content"] == ding
    _assert_inert_markdown(ding, own_headers=1)
    # the text is all there, in full-width twins: readable, not clickable
    assert "unknown stage '［点我］(http:／／evil.example)'" in ding
    assert "owner: ＠所有人" in ding
    assert "!［x］(http:／／t.example/p.png)" in ding
    assert "owner: Ann ＃ heading - item ＞ quote" in ding  # one line: no block can start
    assert "unknown stage 'www．evil.example ／／evil.example'" in ding

    slack = posted["slack"]
    texts = [b["text"] for b in slack["blocks"][1:]]
    assert all(t["type"] == "mrkdwn" and t["verbatim"] is True for t in texts)
    for t in [slack["text"]] + [t["text"] for t in texts]:
        assert "<" not in t and ">" not in t  # no <url|text>, <!channel>, <@U1> can form
        assert "http://" not in t and "www." not in t
    assert "owner: &lt;!channel&gt; *粗*" in "\n".join(t["text"] for t in texts)

    card = posted["teams"]["attachments"][0]["content"]
    for block in card["body"]:
        _assert_inert_teams(block["text"])

    post = posted["feishu"]["content"]["post"]["en_us"]
    spans = [span for paragraph in post["content"] for span in paragraph]
    assert {span["tag"] for span in spans} == {"text"}  # plain text: no a/at/img tags
    assert not any("http://" in s["text"] or "www." in s["text"] for s in spans)


def _assert_inert_teams(text: str) -> None:
    types = {t.type for t in _markdown_tokens(text)}
    assert not FORBIDDEN & types, (text, types)
    assert "heading_open" not in types and "strong_open" not in types
    for needle in ("@", "http://", "//", "www.", "<", "]("):
        assert needle not in text, needle


# --------------------------------------------------------------------------- link-local webhooks

B2B = Path(__file__).resolve().parents[1] / "config" / "b2b.yaml"


def _profile_with_webhooks(tmp_path: Path, *urls: str, allow: bool | None = None) -> Path:
    import yaml

    data = yaml.safe_load(B2B.read_text("utf-8"))
    data["notifications"] = {"webhooks": [{"kind": "slack", "url": u} for u in urls]}
    if allow is not None:
        data["notifications"]["allow_link_local"] = allow
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def test_profile_webhooks_on_link_local_addresses_are_config_errors(cli, tmp_path) -> None:
    import json

    book = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": [HEADER]})
    urls = [
        "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
        "https://hooks.example.com/services/T0/B0/secret",  # a name: judged at send time
        "http://[fe80::1]/hook",
        "http://127.0.0.1:8080/relay",  # loopback: local relays stay allowed
        "http://0xa9fea9fe/",  # 169.254.169.254 in a resolver's legacy spelling
        "http://[::ffff:169.254.169.254]/",
        "http://[::1]/relay",
    ]
    config = _profile_with_webhooks(tmp_path, *urls)
    res = cli("validate", book, "--config", config, "--format", "json")
    assert res.exit_code == 2
    problems = json.loads(res.stdout)["error"]["problems"]
    assert [p.split(": ")[1] for p in problems] == [
        "notifications.webhooks[0].url",
        "notifications.webhooks[2].url",
        "notifications.webhooks[4].url",
        "notifications.webhooks[5].url",
    ]
    assert re.fullmatch(
        re.escape(str(config)) + r":\d+: notifications\.webhooks\[0\]\.url: .*", problems[0]
    )
    assert problems[0].split(": ", 2)[2] == (
        "169.254.169.254 is a link-local address "
        "(169.254.0.0/16, fe80::/10), where cloud metadata services answer; a webhook there "
        "is refused unless notifications.allow_link_local: true or --allow-link-local-webhooks "
        "says it is meant"
    )
    assert "0xa9fea9fe (169.254.169.254) is a link-local address" in problems[2]
    assert not any("secret" in p or "meta-data" in p for p in problems)  # the host only
    allowed = _profile_with_webhooks(tmp_path, *urls, allow=True)
    res = cli("validate", book, "--config", allowed, "--format", "json")
    assert res.exit_code == 0, res.stdout


def test_a_link_local_webhook_option_is_a_usage_error_before_anything_is_written(
    cli, tmp_path
) -> None:
    import json

    book = make_xlsx(
        tmp_path / "p.xlsx",
        {"Pipeline": [HEADER, ["D-1", "Acme", "Lead", 10, "Ann", dt.date(2027, 1, 31), None]]},
    )
    before = book.read_bytes()
    for spec in ("slack=http://169.254.169.254/hook", "http://[fe80::a:b]:8080/x"):
        res = cli("run", book, "--today", "2026-11-28", "--webhook", spec, "--format", "json")
        assert res.exit_code == 2
        err = json.loads(res.stdout)["error"]
        assert err["message"] == "bad notification options"
        [problem] = err["problems"]
        assert problem.startswith("command line: --webhook: ")
        assert "is a link-local address" in problem
        assert book.read_bytes() == before  # nothing written
    for command in ("run", "schedule"):
        assert "--allow-link-local-webhooks" in cli(command, "--help").output
    # the flag says it is meant (a dry run: nothing is sent anywhere)
    res = cli(
        "run",
        book,
        "--today",
        "2026-11-28",
        "--dry-run",
        "--webhook",
        "slack=http://169.254.169.254/hook",
        "--allow-link-local-webhooks",
    )
    assert res.exit_code == 0, res.output
    res = cli("schedule", book, "--at", "02:00", "--webhook", "http://169.254.169.254/")
    assert res.exit_code == 2 and "is a link-local address" in res.stderr  # before it starts


class Resolver:
    """Answers like ``socket.getaddrinfo`` from a fixed table, and notes every question."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002, ANN001
        import socket

        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out = []
        for ip in self.table[host]:
            if ":" in ip:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)))
        return out


def _one_target(url: str | None = None, **kw):
    from salessheet.notify import NotificationSettings, WebhookTarget

    return NotificationSettings(
        webhooks=(WebhookTarget("generic", url=url, **kw),), retry_delay_s=0, timeout_s=5
    )


REPORT = {"source": "p.xlsx", "sheet": "Pipeline", "today": "2026-11-28", "findings": []}


def test_a_name_resolving_to_link_local_is_refused_at_send_time(httpserver) -> None:
    """DNS rebinding: a name that passed the settings check resolves to 169.254.169.254 when
    the digest is sent. The connection refuses; nothing is sent anywhere."""
    from salessheet.notify import send_notifications

    port = httpserver.port
    resolver = Resolver({"hooks.test": ["169.254.169.254"], "mixed.test": ["127.0.0.1", "fe80::1"]})
    for host, shown in (("hooks.test", "169.254.169.254"), ("mixed.test", "fe80::1")):
        [result] = send_notifications(
            REPORT, _one_target(f"http://{host}:{port}/hook"), env={}, resolver=resolver
        )
        assert result.status == "failed" and result.attempts == 1  # refused: not retried
        assert result.error.startswith(f"refused: {host} ({shown}) is a link-local address")
    assert resolver.asked == ["hooks.test", "mixed.test"]
    assert httpserver.log == []


def test_a_name_is_connected_to_at_the_address_that_was_checked(httpserver) -> None:
    """The POST goes to the address the resolver answered (``hooks.test`` exists nowhere
    else), so a second lookup cannot send it elsewhere; with the allowance a name that also
    answers link-local is used (its loopback answer first: nothing goes to 169.254/16)."""
    from salessheet.notify import send_notifications

    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    port = httpserver.port
    resolver = Resolver({"hooks.test": ["127.0.0.1"], "mixed.test": ["127.0.0.1", "fe80::1"]})
    [sent] = send_notifications(
        REPORT, _one_target(f"http://hooks.test:{port}/hook"), env={}, resolver=resolver
    )
    assert (sent.status, sent.target) == ("sent", "generic hooks.test")
    [req] = [r for r, _ in httpserver.log]
    assert req.headers["Host"] == f"hooks.test:{port}"
    mixed = _one_target(f"http://mixed.test:{port}/hook")
    [refused] = send_notifications(REPORT, mixed, env={}, resolver=resolver)
    assert refused.status == "failed" and len(httpserver.log) == 1
    [allowed] = send_notifications(REPORT, mixed, env={}, resolver=resolver, allow_link_local=True)
    assert allowed.status == "sent" and len(httpserver.log) == 2
    from dataclasses import replace

    [by_profile] = send_notifications(
        REPORT, replace(mixed, allow_link_local=True), env={}, resolver=resolver
    )
    assert by_profile.status == "sent" and len(httpserver.log) == 3


def test_a_link_local_url_from_the_environment_is_refused_when_sending() -> None:
    """``url_env``: the settings never see the URL; the real resolver answers a literal
    address without any lookup, and the connection refuses it. (fe80::1 without a zone: even
    a broken guard could not send a packet there.)"""
    from salessheet.notify import send_notifications

    [result] = send_notifications(
        REPORT, _one_target(url_env="HOOK_URL"), env={"HOOK_URL": "http://[fe80::1]:9/hook"}
    )
    assert result.status == "failed"
    assert result.error.startswith("refused: fe80::1 is a link-local address")


def test_https_to_a_checked_address_still_verifies_the_name(tmp_path, monkeypatch) -> None:
    """Connecting to the resolved address must not weaken TLS: the certificate is checked
    against the URL's host name (``hooks.test``), not the address connected to."""
    import ssl

    import trustme
    from pytest_httpserver import HTTPServer

    from salessheet.notify import send_notifications

    ca = trustme.CA()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("hooks.test").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the system trust store, for this test
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=server_context)
    server.start()
    try:
        server.expect_request("/hook", method="POST").respond_with_data("ok")
        resolver = Resolver({"hooks.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
        [sent] = send_notifications(
            REPORT, _one_target(f"https://hooks.test:{server.port}/hook"), env={},
            resolver=resolver,
        )  # fmt: skip
        assert sent.status == "sent", sent.error
        [wrong] = send_notifications(
            REPORT, _one_target(f"https://other.test:{server.port}/hook"), env={},
            resolver=resolver,
        )  # fmt: skip
        assert wrong.status == "failed" and "CERTIFICATE_VERIFY_FAILED" in wrong.error
        assert len(server.log) == 1
    finally:
        server.stop()
