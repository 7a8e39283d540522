"""The command line: parse options, call one API function, print. No logic of its own.

Each command module registers its commands on ``main`` when imported; ``main`` imports a
command's module only when that command is looked up (app.COMMAND_MODULES), so a command
starts without loading the others.
"""

from salessheet.cli.app import main

__all__ = ["main"]
