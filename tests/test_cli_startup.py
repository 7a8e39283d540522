"""The command line starts without loading what the command does not need: a command's module
is imported when that command is looked up (salessheet.cli.app.COMMAND_MODULES)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import click

from salessheet.cli.app import COMMAND_MODULES, main


def _modules_after(*args: str) -> set[str]:
    """The modules a fresh `salessheet ARGS` process has imported when it exits."""
    script = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
        "from salessheet.cli import main\n"
        "main(prog_name='salessheet')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_the_table_names_every_command_in_its_module() -> None:
    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"salessheet.cli.{module}")
    registered = {
        name: cmd.callback.__module__.rsplit(".", 1)[1]
        for name, cmd in main.commands.items()
        if cmd.callback is not None
    }
    assert registered == COMMAND_MODULES


def test_version_and_help_load_no_command() -> None:
    for args in (["--version"], ["--help"]):
        loaded = _modules_after(*args)
        assert not {m for m in loaded if m.startswith(("pydantic", "salessheet.settings"))}
        assert "salessheet.api" not in loaded
        assert "python_calamine" not in loaded


def test_help_lists_every_command_with_its_short_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "salessheet", "--help"], capture_output=True, text=True, check=True
    )
    listed = {
        line.split()[0]: " ".join(line.split()[1:])
        for line in done.stdout.split("Commands:")[1].splitlines()
        if line.startswith("  ") and line.split()
    }
    ctx = click.Context(main)
    assert sorted(main.list_commands(ctx)) == sorted(COMMAND_MODULES)
    for name in COMMAND_MODULES:
        short = main.commands[name].get_short_help_str(limit=500)
        words = listed[name].removesuffix("...").split()
        assert words and short.startswith(" ".join(words)), (name, listed[name], short)


def test_a_command_loads_only_its_own_module() -> None:
    loaded = _modules_after("rules", "--format", "json")
    assert "salessheet.cli.info_commands" in loaded
    others = {f"salessheet.cli.{m}" for m in COMMAND_MODULES.values()} - {
        "salessheet.cli.info_commands"
    }
    assert not loaded & others
