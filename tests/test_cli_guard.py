"""The one guard: every failure ends with the documented exit code, a message naming the
file, no traceback, and with --format json the error object (always with a hint)."""

from __future__ import annotations

import errno
import json
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import TODAY, make_xlsx, seller_config

from salessheet.cli.app import classify, terminal_safe
from salessheet.core.errors import ConfigError, StoreUnavailable, WriteRefused


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "salessheet", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def error_object(stdout: str) -> dict:
    obj = json.loads(stdout)
    assert set(obj) == {"error"}
    err = obj["error"]
    assert set(err) == {"code", "message", "problems", "hint"}
    assert err["hint"]
    return err


def test_unknown_option_is_usage_with_json_error_object() -> None:
    res = run_cli("validate", "--bogus", "x.xlsx", "--format", "json")
    assert res.returncode == 2
    err = error_object(res.stdout)
    assert err["code"] == 2 and "--bogus" in err["message"]
    assert "Traceback" not in res.stderr


def test_unknown_option_in_text_shows_clicks_usage_line() -> None:
    res = run_cli("validate", "--bogus", "x.xlsx")
    assert res.returncode == 2
    assert res.stdout == ""
    assert "Usage: salessheet validate" in res.stderr and "--bogus" in res.stderr


def test_missing_source_names_the_file(tmp_path: Path) -> None:
    res = run_cli("validate", str(tmp_path / "nope.xlsx"), "--format", "json")
    assert res.returncode == 2
    err = error_object(res.stdout)
    assert "nope.xlsx" in err["message"]


def test_out_folder_that_is_a_file_is_exit_2_naming_the_path(tmp_path: Path) -> None:
    book = tmp_path / "p.xlsx"
    make_xlsx(
        book,
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close"],
                ["D1", "ACME", "Negotiation", 100, "Li", "2027-01-31"],
            ],
            "Line Items": [["Deal ID", "Product", "Quantity", "Unit Price"], ["D1", "X", 1, 100]],
        },
    )
    blocker = tmp_path / "out"
    blocker.write_text("I am a file")
    res = run_cli(
        "quote",
        str(book),
        "D1",
        "--out",
        str(blocker / "quotes"),
        "--today",
        TODAY.isoformat(),
        "--config",
        str(seller_config(tmp_path)),
        "--json",
    )
    assert res.returncode == 2, res.stderr
    err = error_object(res.stdout)
    assert "out/quotes" in err["message"] or "out" in err["message"]
    assert "internal error" not in err["message"]
    assert "Traceback" not in res.stderr


def test_python_dash_m_runs_the_same_cli() -> None:
    res = run_cli("--version")
    assert res.returncode == 0 and res.stdout.startswith("salessheet, version")


class FakePanic(BaseException):
    """What a native extension raises (pyo3's PanicException derives from BaseException)."""


@pytest.mark.parametrize(
    ("exc", "code", "words"),
    [
        (ConfigError("c.yaml: bad"), 2, "c.yaml: bad"),
        (WriteRefused("p.xlsx is open in Excel"), 3, "open in Excel"),
        (StoreUnavailable("quota"), 4, "quota"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (click.exceptions.Abort(), 130, "interrupted"),
        (RuntimeError("boom"), 70, "internal error: RuntimeError: boom"),
        (FakePanic("called `Option::unwrap()`"), 70, "internal error: FakePanic"),
        (MemoryError(), 70, "out of memory"),
        (OSError(errno.ENAMETOOLONG, "File name too long", "a" * 300), 2, "too long"),
        (PermissionError(errno.EACCES, "Permission denied", "/srv/x"), 2, "/srv/x: permission"),
    ],
)
def test_every_failure_maps_to_its_exit_code(exc: BaseException, code: int, words: str) -> None:
    got, message, _problems, hint = classify(exc)
    assert got == code
    assert words in message
    assert hint


def test_terminal_escapes_from_cells_never_reach_the_terminal(tmp_path: Path) -> None:
    book = tmp_path / "p.csv"  # Excel would store the escape as _x001B_; a CSV holds it raw
    book.write_text("Deal ID,Customer,Stage,Owner\nD1,ACME,\x1b[2J\x1b[31mWon!,Li\n")
    res = run_cli("validate", str(book), "--today", TODAY.isoformat())
    assert res.returncode == 1
    assert "\x1b" not in res.stdout and "\x1b" not in res.stderr
    assert "\\x1b[2J" in res.stdout  # shown, visibly
    assert terminal_safe("tab\tand\nnewline") == "tab\tand\nnewline"


def test_hints_name_the_command_and_the_config_to_check(tmp_path: Path) -> None:
    """The hint under an error is one a user can type: the command they ran, and for a
    config error the `config check` of their own file (it was `salessheet COMMAND --help`)."""
    missing = run_cli("validate", str(tmp_path / "nofile.xlsx"), "--today", TODAY.isoformat())
    assert missing.returncode == 2
    assert "hint: see `salessheet validate --help` for usage and examples" in missing.stderr
    book = tmp_path / "p.csv"
    book.write_text("Deal ID,Customer,Stage,Owner\nD1,ACME,Lead,Li\n")
    config = tmp_path / "my team.yaml"
    config.write_text("extends: b2b\nbogus: 1\n")
    res = run_cli("stalled", str(book), "--config", str(config), "--format", "json")
    assert res.returncode == 2
    err = json.loads(res.stdout)["error"]
    assert err["problems"][0].startswith(f"{config}:2: bogus: unknown key")
    quoted = shlex.quote(str(config))
    assert (
        err["hint"]
        == f"fix the keys named and run again; `salessheet config check {quoted}` checks the "
        "config on its own"
    )
    assert "COMMAND" not in res.stderr
