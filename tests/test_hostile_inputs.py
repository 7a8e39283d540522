"""The hostile-input suite, part 3: configs, templates, values, paths and full disks (issue 12).

Part 1 is ``test_hostile_files.py`` (workbooks and CSV files), part 2 ``test_hostile_values.py``
(cell values in cells, documents and chat messages) and ``test_cli_guard.py`` (the exit-code
contract). Every case here runs the real CLI in a child process and checks the exit code, the
message (it names the file and the limit), that no traceback was printed, that the child finished
(a 30 s timeout: a hang guard, not a timed assertion), that its peak memory stayed under 1 GB
(from wait4) and left nothing in TMPDIR, and, for a refusal, that nothing was written: every file
in the case's folder keeps its bytes and no file appears.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import resource
import shlex
import shutil
import signal
import subprocess
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from test_documents_issue import DEALS, LINES, write_workbook
from test_hostile_files import _cli

from salessheet.core import templating
from salessheet.settings import source

TODAY = "2026-11-28"
GB = 1 << 30
SELLER = {"name": "Hostile Test Co.", "name_zh": "测试公司"}


# --------------------------------------------------------------------------- running a case


@dataclass
class Run:
    rc: int
    out: str
    err: str
    peak: int  # bytes, the child's (and its children's) largest resident set

    @property
    def json(self) -> dict:
        return json.loads(self.out)


def hostile(
    work: Path,
    *args: str,
    prefix: tuple[str, ...] = (),
    env: dict | None = None,
    preexec: Callable[[], None] | None = None,
    timeout: float = 30,
) -> Run:
    """``salessheet ARGS`` in a child process run in ``work``, checked for what every case
    must hold (see the module's docstring). ``prefix`` runs it through another command."""
    tmpdir = work.parent / "TMPDIR"
    tmpdir.mkdir(exist_ok=True)
    out, err = work.parent / "stdout", work.parent / "stderr"
    full_env = {**os.environ, "TMPDIR": str(tmpdir), "RUST_BACKTRACE": "1", **(env or {})}
    with out.open("wb") as fo, err.open("wb") as fe:
        proc = subprocess.Popen(
            [*prefix, *_cli(), *args],
            stdout=fo,
            stderr=fe,
            env=full_env,
            cwd=work,
            preexec_fn=preexec,  # noqa: PLW1509 - resource limits for the child only
        )
        killed: list[int] = []
        timer = threading.Timer(timeout, lambda: (killed.append(1), proc.kill()))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    run = Run(
        proc.returncode, out.read_text("utf-8"), err.read_text("utf-8"), usage.ru_maxrss << 10
    )
    shown = run.out + run.err
    assert not killed, f"salessheet {' '.join(args)} did not finish in {timeout} s"
    for word in ("Traceback", "Exception ignored", "panicked", "internal error"):
        assert word not in shown, shown[-3000:]
    assert run.peak < GB, f"peak memory {run.peak >> 20} MB"
    assert list(tmpdir.iterdir()) == [], "temp files left behind"
    return run


def tree(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: file -> sha256, folder -> "/", link -> its target."""
    seen: dict[str, str] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root, name)
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                seen[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                seen[rel] = "/"
            elif path.is_file():
                seen[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                seen[rel] = "special"
    return seen


def refused(run: Run, *words: str, code: int = 2) -> str:
    """An exit-``code`` refusal with the JSON error object and a hint; returns the message."""
    assert run.rc == code, (run.rc, run.out[-2000:], run.err[-2000:])
    error = run.json["error"]
    assert error["hint"]
    for word in words:
        assert word in error["message"], error["message"]
    return error["message"]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The case's folder, holding a pipeline with line items (``p.xlsx``): D-1 may have a
    contract, D-2 a quote."""
    folder = tmp_path / "w"
    folder.mkdir()
    write_workbook(folder / "p.xlsx", DEALS[:2], LINES[:6])
    # documents are refused while the seller is the profile's placeholder
    config_file(folder / "seller.yaml", {"extends": "b2b", "documents": {"seller": SELLER}})
    return folder


def config_file(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


# --------------------------------------------------------------------------- configs


def _bomb() -> str:
    """The "billion laughs" of YAML: 9 nested levels of 9 aliases, 9^9 values, 443 bytes."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "extends: b2b\n" + "\n".join(lines) + "\n"


def _deep_block(depth: int) -> str:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(depth)) + "  " * depth + "x: 1\n"


def _chain(folder: Path, n: int) -> Path:
    for i in range(n):
        parent = f"c{i + 1}.yaml" if i < n - 1 else "b2b"
        (folder / f"c{i}.yaml").write_text(f"extends: {parent}\n", "utf-8")
    return folder / "c0.yaml"


def _write(text: str | bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "cfg.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, "utf-8")
        return path

    return make


def _big(folder: Path) -> Path:
    path = folder / "cfg.yaml"
    with path.open("w") as fh:
        fh.write("extends: b2b\n")
        line = "# " + "x" * 1021 + "\n"  # 1 KiB
        for _ in range(50 * 1024):
            fh.write(line)
    return path


def _folder(folder: Path) -> Path:
    (folder / "cfg.yaml").mkdir()
    return folder / "cfg.yaml"


def _device(folder: Path) -> Path:
    (folder / "cfg.yaml").symlink_to("/dev/zero")
    return folder / "cfg.yaml"


def _fifo(folder: Path) -> Path:
    os.mkfifo(folder / "cfg.yaml")  # opened, it would wait for a writer forever
    return folder / "cfg.yaml"


def _cycle(folder: Path) -> Path:
    (folder / "a.yaml").write_text("extends: b.yaml\n", "utf-8")
    (folder / "b.yaml").write_text("extends: a.yaml\n", "utf-8")
    return folder / "a.yaml"


CONFIGS = {
    "yaml-bomb": (_write(_bomb()), ["cfg.yaml: line 7: refused", "more than 100,000 values"]),
    "alias-containing-itself": (
        _write("extends: b2b\nx: &x [1, *x]\n"),
        ["line 2: refused", "*x refers to a value that contains it"],
    ),
    "1001-aliases": (
        _write("extends: b2b\na: &a 1\nb: [" + ", ".join(["*a"] * 1001) + "]\n"),
        ["line 3: refused", "more than 1,000 alias references"],
    ),
    "nested-100-deep": (_write(_deep_block(100)), ["refused", "nested more than 64 deep"]),
    "nested-100000-deep-flow": (
        _write("x: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ["not valid YAML", "nesting depth"],
    ),
    "50-MB": (_big, ["52,428,813 bytes", "over the limit of 1,048,576"]),
    "extends-cycle": (_cycle, ["makes a cycle"]),
    "extends-chain-of-100": (
        functools.partial(_chain, n=100),
        ["c15.yaml:1: refused", "chain is longer than 16 files"],
    ),
    "binary": (_write(bytes(range(256)) * 16), ["not UTF-8 text (byte 0x80 at line 2)"]),
    "latin-1": (_write("name: Müller\n".encode("latin-1")), ["not UTF-8 text (byte 0xfc"]),
    "folder": (_folder, ["is a folder, not a config file"]),
    "dev-zero": (_device, ["not a regular file"]),
    "fifo": (_fifo, ["not a regular file"]),
}


@pytest.mark.parametrize("case", list(CONFIGS))
def test_a_hostile_config_is_refused_naming_it_and_the_limit(work: Path, case: str) -> None:
    make, words = CONFIGS[case]
    path = make(work)
    before = tree(work)
    run = hostile(work, "validate", "p.xlsx", "--config", path.name, "--today", TODAY,
                  "--format", "json")  # fmt: skip
    message = refused(run, *words)
    assert path.name in message or "c15.yaml" in message
    assert tree(work) == before


def test_config_check_refuses_the_bomb_too(work: Path) -> None:
    path = _write(_bomb())(work)
    run = hostile(work, "config", "check", path.name, "--format", "json")
    refused(run, "cfg.yaml: line 7: refused", "100,000 values")


def _counts(node: yaml.Node) -> tuple[int, int]:
    """(values after expansion, nesting depth) of a composed document, counted here
    independently of the loader."""
    if isinstance(node, yaml.ScalarNode):
        return 1, 0
    kids = (
        [v for pair in node.value for v in pair]
        if isinstance(node, yaml.MappingNode)
        else node.value
    )
    counted = [_counts(k) for k in kids]
    return 1 + sum(c for c, _ in counted), 1 + max((d for _, d in counted), default=0)


def test_the_shipped_configs_are_far_inside_every_limit() -> None:
    files = [*(REPO / "config").glob("*.yaml"), *(REPO / "examples").glob("*.yaml"),
             REPO / "templates" / "documents.example.yaml"]  # fmt: skip
    assert len(files) >= 7
    for path in files:
        text = path.read_text("utf-8")
        values, depth = _counts(yaml.compose(text, Loader=yaml.SafeLoader))
        assert len(text.encode()) * 100 < source.MAX_CONFIG_BYTES, path
        assert values * 100 < source.MAX_CONFIG_VALUES, (path, values)
        assert depth * 8 < source.MAX_CONFIG_DEPTH, (path, depth)
        source.read_config(path)  # and they load


def test_a_config_at_each_limit_still_loads(tmp_path: Path) -> None:
    at_limit = tmp_path / "edge.yaml"
    aliases = ", ".join(["*a"] * source.MAX_CONFIG_ALIASES)
    at_limit.write_text(f"a: &a 1\nb: [{aliases}]\n" + _deep_block(source.MAX_CONFIG_DEPTH - 2))
    data, _ = source.read_yaml(at_limit)
    assert len(data["b"]) == source.MAX_CONFIG_ALIASES
    folder = tmp_path / "chain"
    folder.mkdir()
    data, where = source.read_config(_chain(folder, source.MAX_EXTENDS_CHAIN - 1))
    assert data["name"] and where is not None


# --------------------------------------------------------------------------- templates


def _html_config(work: Path, template: str, kind: str = "quote") -> Path:
    (work / "evil.html").write_text(template, "utf-8")
    docs = {"seller": SELLER, kind: {"templates": {g: {"html": "evil.html"} for g in ("en", "zh")}}}
    return config_file(work / "docs.yaml", {"extends": "b2b", "documents": docs})


def _docx_config(work: Path, template: str) -> Path:
    from docx import Document

    doc = Document()
    doc.add_paragraph(template)
    doc.save(work / "evil.docx")
    docs = {
        "seller": SELLER,
        "quote": {"templates": {g: {"docx": "evil.docx"} for g in ("en", "zh")}},
    }
    return config_file(work / "docs.yaml", {"extends": "b2b", "documents": docs})


NESTED = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
TEMPLATES = {
    "huge-range": ("{% for i in range(10**9) %}x{% endfor %}",
                   ["line 1: refused", "range() of 1,000,000,000 numbers", "100,000"]),
    "endless-loop": (NESTED, ["refused", "longer than 10 s"]),
    "endless-recursion": ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\n{{ f(0) }}",
                          ["refused", "call themselves deeper than Python allows"]),
    "huge-output": ("{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxx"
                    "{% endfor %}{% endfor %}", ["output is over 16,777,216 characters"]),
    "huge-string": ('{{ "x" * 10**10 }}', ["the * operator would build a value of 10,000,000,000"]),
    "doubling-string": ('{% set ns = namespace(s="x") %}{% for i in range(64) %}'
                        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}", ["the ~ operator"]),
    "huge-width": ('{{ "x"|center(2000000000) }}', ["the center filter", "2,000,000,000"]),
    "huge-integer": ("{{ 7 ** 1000000000 }}", ["the ** operator built an integer of more than"]),
    "include-etc-passwd": ("{% include '/etc/passwd' %}", ["it includes '/etc/passwd'"]),
    "include-dot-dot": ("{% include '../../../../../../etc/passwd' %}",
                        ["it includes '../../../../../../etc/passwd'", "bundled templates"]),
    "python-error": ("<p>\n{{ 1 / 0 }}</p>", ["line 2: ZeroDivisionError: division by zero"]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(TEMPLATES))
def test_a_hostile_template_is_refused_naming_it_and_the_limit(work: Path, case: str) -> None:
    template, words = TEMPLATES[case]
    config = _html_config(work, template)
    before = tree(work)
    run = hostile(work, "quote", "p.xlsx", "D-2", "--config", config.name, "--out", "out",
                  "--today", TODAY, "--json")  # fmt: skip
    message = refused(run, "evil.html", *words)
    assert message.startswith("template ")
    assert tree(work) == before  # no document, no register


def test_python_internals_are_out_of_a_templates_reach(work: Path) -> None:
    config = _html_config(work, "{{ customer.name.__class__.__mro__[1].__subclasses__() }}")
    before = tree(work)
    run = hostile(work, "quote", "p.xlsx", "D-2", "--config", config.name, "--out", "out",
                  "--today", TODAY, "--json")  # fmt: skip
    refused(run, "1 deal refused")
    [problem] = run.json["error"]["problems"]
    assert "'__class__'" in problem and "unsafe" in problem
    assert tree(work) == before


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("{% for i in range(10**9) %}x{% endfor %}", ["range() of 1,000,000,000"]),
        ("{% for i in range(100000) %}{% for j in range(2000) %}xxxxxxxxxxxxxxxxxxxx"
         "{% endfor %}{% endfor %}", ["output is over 16,777,216"]),
    ],
    ids=["huge-range", "huge-output"],
)  # fmt: skip
def test_a_hostile_word_template_is_refused_too(work: Path, template: str, words: list) -> None:
    config = _docx_config(work, template)
    before = tree(work)
    run = hostile(work, "quote", "p.xlsx", "D-2", "--config", config.name, "--format", "docx",
                  "--out", "out", "--today", TODAY, "--json")  # fmt: skip
    refused(run, "evil.docx", *words)
    assert tree(work) == before


# Each way one expression could allocate far more than it is long; refused before it runs.
BLOWUPS = {
    "string * n": '{{ "ab" * 10**9 }}',
    "list * n": "{{ [1] * 10**9 }}",
    "str + str doubling": '{% set ns = namespace(s="x") %}{% for i in range(64) %}'
    "{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "list.extend doubling": "{% set l = [1] %}{% for i in range(64) %}{{ l.extend(l) }}"
    "{% endfor %}",
    "integer squaring": "{% set ns = namespace(x=3) %}{% for i in range(64) %}"
    "{% set ns.x = ns.x * ns.x %}{% endfor %}",
    "2 ** n": "{{ 2 ** 100000000 }}",
    "%-format width": '{{ "%0999999999d" % 1 }}',
    "%-format * width": '{{ "%*d" % (999999999, 1) }}',
    "format filter": '{{ "%0999999999d"|format(1) }}',
    "str.format width": '{{ "{:>999999999}".format(1) }}',
    "str.format nested width": '{{ "{:>{w}}".format(1, w=999999999) }}',
    "ljust": '{{ "x".ljust(10**10) }}',
    "zfill": '{{ "1".zfill(10**10) }}',
    "center method": '{{ "x".center(10**10) }}',
    "expandtabs": '{{ ("\t" * 1000).expandtabs(10**6) }}',
    "replace method": '{{ ("x" * 1000000).replace("", "y" * 100) }}',
    "replace filter": '{{ ("x" * 1000000)|replace("", "y" * 100) }}',
    "join method": '{{ ("y" * 100000).join("x" * 1000) }}',
    "join filter": '{{ ("x" * 1000)|join("y" * 100000) }}',
    "translate": '{{ ("a" * 1000000).translate({97: "b" * 1000}) }}',
    "indent width": '{{ "a\nb"|indent(10**9) }}',
    "indent string": '{{ "a\nb"|indent("x" * 10**7) }}',
    "wordwrap": '{{ ("ab " * 1000000)|wordwrap(1, wrapstring="x" * 100) }}',
    "slice": "{{ range(10)|slice(10**9)|list|length }}",
    "batch": "{{ [1]|batch(10**9, 0)|list|length }}",
    "sum of lists": "{{ ([[1] * 10000] * 10000)|sum(start=[])|length }}",
    "lipsum": "{{ lipsum(10**9) }}",
    "tojson": '{{ ("<" * 10000000)|tojson }}',
}


@pytest.mark.parametrize("case", list(BLOWUPS))
def test_no_single_expression_can_build_a_giant_value(case: str) -> None:
    template = templating.html_environment(None).from_string(BLOWUPS[case])
    with pytest.raises(templating.TemplateLimitError, match=r"^line \d: refused: "):
        template.render()


def test_the_bounds_render_every_ordinary_construct_as_the_plain_sandbox_does() -> None:
    source_text = (
        "{% macro row(x) %}<td>{{ x }}</td>{% endmacro %}"
        "{% for i in items if i.n != 2 recursive %}{{ loop.index }}/{{ loop.length }}"
        "{{ '-' if not loop.last }}{{ row(i.name) }}{% if i.kids %}[{{ loop(i.kids) }}]{% endif %}"
        "{% else %}none{% endfor %}|{{ '%05.1f'|format(3.14159) }}|{{ '{:>6}'.format('ab') }}"
        "|{{ items|map(attribute='name')|join(', ') }}|{{ 'a' ~ 1 ~ '<b>' }}|{{ 2 ** 10 }}"
        "|{{ 'ab' * 3 }}|{{ 'x'|center(7) }}|{{ 'a b c'|replace(' ', '_') }}|{{ range(3)|list }}"
        "|{{ 'a\nb'|indent(2, first=True) }}|{{ [1, 2] + [3] }}|{{ '%s-%s' % ('a', 'b') }}"
        "|{{ 'abc'|truncate(5) }}|{{ ['x', 'y']|batch(1)|list }}|{{ 10 // 3 }}|{{ 7 % 3 }}"
    )
    items = [
        {"n": 1, "name": "A&B", "kids": [{"n": 3, "name": "<c>", "kids": []}]},
        {"n": 2, "name": "skip", "kids": []},
        {"n": 5, "name": "E", "kids": []},
    ]
    plain = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    guarded = templating.html_environment(None)
    expected = plain.from_string(source_text).render(items=items)
    assert guarded.from_string(source_text).render(items=items) == expected
    assert "1/2-<td>A&amp;B</td>[1/1<td>&lt;c&gt;</td>]" in expected


# --------------------------------------------------------------------------- values


def _book(path: Path, rows: list[list], text_cells: dict[str, str] | None = None) -> Path:
    """A pipeline sheet; ``text_cells`` are written as text even when they start with '='."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close"])
    for row in rows:
        ws.append(row)
    for ref, text in (text_cells or {}).items():
        ws[ref].value = text
        ws[ref].data_type = "s"
    wb.save(path)
    return path


CLOSE = dt.date(2027, 1, 31)


def test_a_32767_character_stage_is_one_finding_and_the_run_still_writes(work: Path) -> None:
    _book(work / "long.xlsx", [["D-1", "Acme", "阶" * 32_767, 10, "Ann", CLOSE]])
    run = hostile(work, "run", "long.xlsx", "--today", TODAY, "--format", "json")
    assert run.rc == 1
    [finding] = [f for f in run.json["findings"] if f["code"] == "unknown-stage"]
    assert len(finding["value"]) == 32_767 and len(finding["message"]) < 2_000
    assert "salessheet findings" in run.json["written"]["sheets"]


def test_formula_like_text_is_written_back_as_text(work: Path) -> None:
    payload = "=cmd|' /C calc'!A0"
    path = _book(
        work / "f.xlsx",
        [["x", "x", "lead", 10, "x", CLOSE], ["D-2", "Beta", "x", 10, "Bob", CLOSE]],
        {"A2": payload, "B2": payload, "E2": payload, "C3": payload},
    )
    run = hostile(work, "run", "f.xlsx", "--today", TODAY, "--format", "json")
    assert run.rc == 1
    [finding] = [f for f in run.json["findings"] if f["code"] == "unknown-stage"]
    assert finding["value"] == payload
    with zipfile.ZipFile(path) as zf:
        sheets = {n: zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/")}
    written = run.json["written"]["sheets"]
    assert {"salessheet history", "salessheet findings"} <= set(written)
    assert len(sheets) == 1 + len(written)  # the pipeline and the tool's sheets
    assert all("<f>" not in xml and "<f " not in xml for xml in sheets.values())
    holding = [n for n, xml in sheets.items() if "=cmd|" in xml]
    assert len(holding) >= 3  # the pipeline; the id in the ledger, the message in the findings
    from openpyxl import load_workbook

    wb = load_workbook(path)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and "=cmd|" in c.value]  # fmt: skip
    assert cells and all(c.data_type == "s" for c in cells)


def test_right_to_left_overrides_reach_the_terminal_escaped_and_the_json_intact(
    work: Path,
) -> None:
    _book(work / "rtl.xlsx", [["D-1\u202e", "Acme\u202egnp.exe", "lead\u202e", 10, "Ann", CLOSE],
                              ["D-2", "Beta", "\u2067negotiation", 10, "Bob", CLOSE]])  # fmt: skip
    text = hostile(work, "validate", "rtl.xlsx", "--today", TODAY, "--limit", "0")
    assert text.rc == 1
    assert "\u202e" not in text.out and "\u2067" not in text.out
    assert "'lead\\u202e'" in text.out and "'\\u2067negotiation'" in text.out
    data = hostile(work, "validate", "rtl.xlsx", "--today", TODAY, "--format", "json").json
    unknown = [f for f in data["findings"] if f["code"] == "unknown-stage"]
    # the values intact in JSON; an id never keeps a direction mark (it is read without it)
    assert [(f["deal_id"], f["value"]) for f in unknown] == [
        ("D-1", "lead\u202e"),
        ("D-2", "\u2067negotiation"),
    ]


def test_ids_that_differ_by_invisible_characters_are_one_deal_and_said_to_repeat(
    work: Path,
) -> None:
    """``D-1``, ``D‍-1`` (a zero-width joiner) and ``D-1​`` (a zero-width space) look alike in
    every report: they are read as the one id they look like, flagged as repeated, and a ledger
    an earlier version wrote with the invisible characters still matches them."""
    ids = ["D-1", "D\u200d-1", "D-1\u200b"]
    _book(work / "zw.xlsx", [[i, f"C{n}", "lead", 10, "Ann", CLOSE] for n, i in enumerate(ids)])
    first = hostile(work, "run", "zw.xlsx", "--today", TODAY, "--format", "json")
    assert first.rc == 1 and first.json["summary"]["deals"] == 1
    dup = [f for f in first.json["findings"] if f["code"] == "duplicate-id"]
    assert [(f["cell"], f["deal_id"]) for f in dup] == [
        ("A2", "D-1"),
        ("A3", "D-1"),
        ("A4", "D-1"),
    ]
    again = hostile(work, "run", "zw.xlsx", "--today", TODAY, "--format", "json")
    assert again.json["written"]["unchanged"] is True
    from openpyxl import load_workbook

    ledger = load_workbook(work / "zw.xlsx")["salessheet history"]
    deal_ids = {row[2] for row in ledger.iter_rows(min_row=2, values_only=True) if row[2]}
    assert deal_ids == {"D-1"}


def test_a_ledger_id_with_invisible_characters_matches_the_sheets_id() -> None:
    from salessheet.core.cells import RawSheet
    from salessheet.history.ledger import HEADER, Ledger

    row = ["R0001", "2026-11-02", "D-1\u200b", "seen", "", "lead", "2026-11-02", "run", ""]
    ledger = Ledger.from_sheet(RawSheet("salessheet history", [HEADER, row]))
    assert [e.deal_id for e in ledger.events] == ["D-1"] and ledger.problems == []


def test_an_id_on_10000_rows_costs_10000_short_findings(work: Path) -> None:
    _book(work / "dup.xlsx", [["D-1", f"C{i}", "lead", 10, "Ann", CLOSE] for i in range(10_000)])
    run = hostile(work, "validate", "dup.xlsx", "--today", TODAY, "--format", "json")
    assert run.rc == 1
    found = [f for f in run.json["findings"] if f["code"] == "duplicate-id"]
    assert len(found) == 10_000
    assert found[0]["message"] == (
        "deal id 'D-1' appears on 10000 rows ("
        + ", ".join(map(str, range(2, 22)))
        + ", … and 9,980 more)"
    )
    assert found[-1]["details"]["rows"] == list(range(2, 22))
    assert found[-1]["details"]["more_rows"] == 9_980
    assert len(run.out) < 10 << 20


# --------------------------------------------------------------------------- paths


LONG = "a" * 300  # over every file system's 255-byte limit for one name


def test_a_300_character_source_name_is_a_usage_error(work: Path) -> None:
    run = hostile(work, "validate", f"{LONG}.xlsx", "--today", TODAY, "--format", "json")
    refused(run, LONG, "too long")


@pytest.mark.parametrize(
    ("command", "suffix"),
    [
        (("quote", "p.xlsx", "D-2", "--config", "seller.yaml", "--json", "--out"), ""),
        (("contract", "p.xlsx", "D-1", "--config", "seller.yaml", "--json", "--out"), ""),
        (("report", "p.xlsx", "--format", "json", "--html"), ".html"),
        (("config", "init", "p.xlsx", "--format", "json", "--out"), ".yaml"),
    ],
    ids=["quote", "contract", "report", "config-init"],
)
def test_a_300_character_output_name_is_a_usage_error(
    work: Path, command: tuple, suffix: str
) -> None:
    before = tree(work)
    run = hostile(work, *command, LONG + suffix, *(("--today", TODAY) if command[0] != "config"
                                                    else ()))  # fmt: skip
    refused(run, LONG)
    assert "too long" in run.json["error"]["message"]
    assert tree(work) == before


# fmt: off
@pytest.mark.parametrize(
    ("command", "target"),
    [
        (("quote", "p.xlsx", "D-2", "--config", "seller.yaml", "--json", "--today", TODAY,
          "--out"), "blocker"),
        (("quote", "p.xlsx", "D-2", "--config", "seller.yaml", "--json", "--today", TODAY,
          "--out"), "blocker/q"),
        (("contract", "p.xlsx", "D-1", "--config", "seller.yaml", "--json", "--today", TODAY,
          "--out"), "blocker"),
        (("report", "p.xlsx", "--format", "json", "--today", TODAY, "--html"), "blocker/r.html"),
        (("config", "init", "p.xlsx", "--format", "json", "--out"), "blocker/c.yaml"),
    ],
    ids=["quote", "quote-below", "contract", "report", "config-init"],
)
# fmt: on
def test_an_output_path_through_a_file_is_a_usage_error(
    work: Path, command: tuple, target: str
) -> None:
    (work / "blocker").write_text("a file, not a folder")
    before = tree(work)
    run = hostile(work, *command, target)
    refused(run, "blocker")
    assert tree(work) == before


@functools.cache
def _user_namespaces() -> bool:
    """Whether this machine lets us mount a tmpfs in a private user and mount namespace
    (``unshare -Urm``): no root needed where unprivileged user namespaces are on."""
    if shutil.which("unshare") is None:
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp"))
    try:
        done = subprocess.run(
            ["unshare", "-Urm", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$1"', "sh",
             str(probe)],
            capture_output=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def in_tmpfs(mount: Path, options: str, *, setup: str = "", after: str = "") -> tuple[str, ...]:
    """A command prefix: mount a tmpfs with ``options`` at ``mount`` in a private namespace
    (gone with the process: nothing to unmount), run ``setup``, the command, then ``after``
    (its output goes to ``mount``.after, outside the tmpfs), and exit with the command's code."""
    if not _user_namespaces():
        pytest.skip("cannot mount a tmpfs here (no unprivileged user namespaces)")
    mount.mkdir(exist_ok=True)
    m = shlex.quote(str(mount))
    script = (
        f"mount -t tmpfs -o {shlex.quote(options)} tmpfs {m} || exit 97\n{setup}\n"
        f'"$@"; rc=$?\n{{ {after or ":"}; }} > {m}.after 2>&1\nexit $rc'
    )
    return ("unshare", "-Urm", "sh", "-c", script, "sh")


# fmt: off
@pytest.mark.parametrize(
    ("command", "target"),
    [
        (("quote", "p.xlsx", "D-2", "--config", "seller.yaml", "--json", "--today", TODAY,
          "--out"), "q"),
        (("report", "p.xlsx", "--format", "json", "--today", TODAY, "--html"), "r.html"),
        (("config", "init", "p.xlsx", "--format", "json", "--out"), "c.yaml"),
    ],
    ids=["quote", "report", "config-init"],
)
# fmt: on
def test_an_unwritable_output_folder_is_a_usage_error(
    work: Path, command: tuple, target: str
) -> None:
    locked = work.parent / "locked"
    locked.mkdir()
    before = tree(work)
    if os.geteuid() != 0:  # permissions hold for a user
        locked.chmod(0o555)
        try:
            run = hostile(work, *command, str(locked / target))
        finally:
            locked.chmod(0o755)
        words = ["permission denied"]
    else:  # not for root: a read-only file system holds for everyone
        run = hostile(work, *command, str(locked / target), prefix=in_tmpfs(locked, "ro"))
        words = ["read-only"]
    message = refused(run, str(locked))
    assert any(w in message.lower() for w in words), message
    assert tree(work) == before


# --------------------------------------------------------------------------- full disks


def big_workbook(path: Path, rows: int = 20_000, notes: int = 6) -> Path:
    """``rows`` deals, each with ``notes`` text columns: 20,000 rows make a 9 MB sheet, big
    enough to be cut into pieces read in parallel (through TMPDIR)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Pipeline")
    ws.append(["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close"]
              + [f"Note {i}" for i in range(notes)])  # fmt: skip
    stages = ["lead", "opportunity", "follow_up", "negotiation", "research"]
    for i in range(1, rows + 1):
        ws.append([f"D-{i:05d}", f"Customer {i}", stages[i % 5], 1000 + i, "Ann",
                   dt.date(2027, 1, 1 + i % 28)] + [f"note {i}/{j} lorem ipsum dolor"
                                                     for j in range(notes)])  # fmt: skip
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = big_workbook(tmp_path_factory.mktemp("big") / "big.xlsx")
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 8 << 20  # it is cut
    return path


@pytest.mark.parametrize("free_kb", [0, 3_000, 12_000])
def test_a_nearly_full_tmpdir_reads_quietly_and_leaves_nothing(
    big: Path, tmp_path: Path, free_kb: int
) -> None:
    work = tmp_path / "w"
    work.mkdir()
    mount = tmp_path / "tmp"
    size_kb = 32 << 10
    prefix = in_tmpfs(
        mount,
        f"size={size_kb}k",
        setup=f"dd if=/dev/zero of={mount}/fill bs=1k count={size_kb - free_kb} 2>/dev/null",
        after=f"ls -A {mount}",
    )
    run = hostile(work, "validate", str(big), "--today", TODAY, "--format", "json",
                  prefix=prefix, env={"TMPDIR": str(mount)})  # fmt: skip
    assert run.rc in (0, 1) and run.json["summary"]["deals"] == 20_000
    assert Path(f"{mount}.after").read_text().split() == ["fill"]  # no piece, no folder left


def test_a_temp_file_size_limit_reads_quietly_and_leaves_nothing(big: Path, tmp_path: Path) -> None:
    """The same without a tmpfs: every file the child writes is limited to 2 MB (the pieces of
    the cut sheet are bigger), and the signal that would kill it is ignored, so the write
    fails with EFBIG as it would on a full disk."""
    work = tmp_path / "w"
    work.mkdir()

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))

    run = hostile(work, "validate", str(big), "--today", TODAY, "--format", "json",
                  preexec=limit)  # fmt: skip
    assert run.rc in (0, 1) and run.json["summary"]["deals"] == 20_000


def test_a_full_disk_under_the_workbook_refuses_the_write_and_keeps_the_file(
    tmp_path: Path,
) -> None:
    work = tmp_path / "w"
    work.mkdir()
    mount = tmp_path / "disk"
    original = REPO / "examples" / "pipeline.xlsx"
    book = mount / "pipeline.xlsx"
    prefix = in_tmpfs(
        mount,
        "size=1m",
        setup=f"cp {shlex.quote(str(original))} {mount}/ && "
        f"dd if=/dev/zero of={mount}/fill bs=1k count=2048 2>/dev/null; true",
        after=f"sha256sum {book}; ls -A {mount}",
    )
    run = hostile(work, "run", str(book), "--today", TODAY, "--format", "json", prefix=prefix)
    refused(run, str(book), "No space left on device", "the file is unchanged", code=3)
    digest, _, *entries = Path(f"{mount}.after").read_text().split()
    assert digest == hashlib.sha256(original.read_bytes()).hexdigest()
    assert entries == ["fill", "pipeline.xlsx"]  # no temp file, no backup folder


# --------------------------------------------------------------------------- XML entities

ENTITY_BOMB = (
    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd"><!ENTITY a "lollollollollol">'
    + "".join(
        f'<!ENTITY {n} "{("&" + p + ";") * 10}">'
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>"
)


def _with_doctype(path: Path, part: str, anchor: str, reference: str) -> Path:
    """``path`` with a DTD declaring an external and a billion-laughs entity in ``part``, and
    ``reference`` written right after ``anchor`` there."""
    with zipfile.ZipFile(path) as zf:
        items = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == part:
                xml = data.decode()
                at = xml.index("?>") + 2 if xml.startswith("<?xml") else 0
                xml = xml[:at] + ENTITY_BOMB + xml[at:]
                assert anchor in xml
                xml = xml.replace(anchor, anchor + reference, 1)
                data = xml.encode()
            zf.writestr(info, data)
    return path


@pytest.mark.parametrize("reference", ["&e;", "&i;"], ids=["external-entity", "entity-bomb"])
def test_entities_in_a_sheet_are_never_expanded(work: Path, reference: str) -> None:
    _with_doctype(work / "p.xlsx", "xl/worksheets/sheet1.xml", "<t>Deal ID", reference)
    before = tree(work)
    run = hostile(work, "run", "p.xlsx", "--today", TODAY, "--format", "json")
    refused(run, "p.xlsx", "sheet 'Pipeline'", f"unrecognized entity `{reference}`")
    assert tree(work) == before


@pytest.mark.parametrize("reference", ["&e;", "&i;"], ids=["external-entity", "entity-bomb"])
def test_entities_in_the_workbook_part_are_never_expanded(work: Path, reference: str) -> None:
    _with_doctype(work / "p.xlsx", "xl/workbook.xml", 'name="Pipeline', reference)
    before = tree(work)
    run = hostile(work, "run", "p.xlsx", "--today", TODAY, "--format", "json")
    refused(run, "p.xlsx: cannot read the workbook", f"unrecognized entity `{reference[1:-1]}`")
    assert tree(work) == before


def test_the_readme_states_the_config_and_template_limits_the_code_has() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    table = readme[readme.index("## Limits") :]
    rows = {
        "a config file": f"{source.MAX_CONFIG_BYTES >> 20} MiB",
        "a config's values after alias expansion": f"{source.MAX_CONFIG_VALUES:,}",
        "alias references (`*name`) in a config": f"{source.MAX_CONFIG_ALIASES:,}",
        "nesting of mappings and lists in a config": f"{source.MAX_CONFIG_DEPTH}",
        "`extends:` chain": f"{source.MAX_EXTENDS_CHAIN} files",
        "rendering one document (or one part of a Word template)": (
            f"{templating.MAX_RENDER_SECONDS:g} s"
        ),
        "a document's output": f"{templating.MAX_OUTPUT_CHARS >> 20} Mi characters",
        "an integer a template builds": f"{templating.MAX_INT_BITS:,} bits",
    }
    for what, value in rows.items():
        assert f"| {what} | {value} |" in table, what
