"""Adopting a sheet salessheet has never seen: guess its config from headers and values.

``guess_config(sheets, profile, source=...)`` returns a ``Guess``: which sheet, which header
row, each column's field, the stage mapping, date orders, money units, null markers and
layout rows, each decision with human-readable evidence. ``salessheet config init`` writes a
config from it.
"""

from salessheet.init.adopt.guess import guess_config
from salessheet.init.adopt.model import ColumnGuess, Guess

__all__ = ["ColumnGuess", "Guess", "guess_config"]
