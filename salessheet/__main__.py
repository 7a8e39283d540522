"""``python -m salessheet``: the same command line as the ``salessheet`` script."""

from salessheet.cli import main

main(prog_name="salessheet")
