"""Where the shipped profiles, templates and examples live (installed or in a checkout)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # salessheet/


def data_dir(name: str) -> Path:
    """`config`, `templates` or `examples`: inside the installed package, else the checkout."""
    installed = _PACKAGE_DIR / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent / name
    if checkout.is_dir():
        return checkout
    try:  # editable installs map the data packages through an import finder
        from importlib.resources import files

        return Path(str(files(f"salessheet.{name}")))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - broken install
        return installed
