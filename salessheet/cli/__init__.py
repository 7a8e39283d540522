"""The command line: parse options, call one API function, print. No logic of its own.

Each command module registers its commands on ``main`` when imported.
"""

from salessheet.cli import (  # noqa: F401 - registers the commands
    check_commands,
    document_commands,
    history_commands,
    info_commands,
    report_commands,
    setup_commands,
)
from salessheet.cli.app import main

__all__ = ["main"]
