"""`salessheet init`: create a new pipeline workbook for a profile, in English or Chinese.

The target decides the medium: a ``.xlsx`` path (created, never overwritten) or a Google Sheet
(``gsheet:KEY`` or its URL: an existing, empty spreadsheet shared with the service account).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from salessheet.core.errors import SourceError, UsageError
from salessheet.core.workbook_plan import InitPlan
from salessheet.init.plan import build_init_plan
from salessheet.settings.profile import Profile
from salessheet.stores.registry import is_gsheets

ACCEPTED_TARGETS = "a new .xlsx file, a Google Sheets URL, or gsheet:KEY"


def init_workbook(
    path: str,
    *,
    profile: Profile,
    lang: str,
    today: dt.date,
    credentials: str | None = None,
) -> Path | str:
    """Create the workbook at ``path``; return the file's Path (or, for Google, the source).

    Raises UsageError (exit 2) for an existing file or an unsupported target."""
    target = check_target(path)
    if is_gsheets(target):
        plan = build_init_plan(profile, lang, today=today, source=target)
        _init_gsheet(target, plan, credentials)
        return target
    from salessheet.stores.xlsx.openpyxl_io import write_new_xlsx

    file = Path(target)
    plan = build_init_plan(profile, lang, today=today, source=_shown(file))
    write_new_xlsx(plan, file)
    return file


def check_target(path: str) -> str:
    """``path`` as a target init can create (stripped), or UsageError saying why not: nothing
    given, a file that is not .xlsx, an existing file (a Google Sheet is checked when drawn)."""
    target = str(path).strip()
    if not target:
        raise UsageError("no path given", hint=f"give {ACCEPTED_TARGETS}")
    if is_gsheets(target):
        return target
    file = Path(target)
    suffix = file.suffix.lower()
    if suffix != ".xlsx":
        shown = suffix or "(no extension)"
        hint = f"give {ACCEPTED_TARGETS}"
        if suffix == ".xlsm":
            hint = "create a .xlsx file (salessheet adds no macros), then save it as .xlsm"
        raise UsageError(f"{target}: cannot create a {shown!r} pipeline", hint=hint)
    from salessheet.stores.xlsx.openpyxl_io import refuse_existing

    refuse_existing(file)
    return target


def _shown(file: Path) -> str:
    return str(file)


def _init_gsheet(target: str, plan: InitPlan, credentials: str | None) -> None:
    try:
        from salessheet.stores.gsheets.store import GSheetsStore
    except ImportError as exc:
        raise SourceError(
            "Google Sheets support is not installed", hint="pip install 'salessheet[gsheets]'"
        ) from exc
    if not hasattr(GSheetsStore, "initialise"):
        raise SourceError(
            "initialising a Google Sheet is not available yet",
            hint="create a .xlsx with `salessheet init pipeline.xlsx`, then import it into "
            "Google Sheets (File › Import › Replace spreadsheet)",
        )
    GSheetsStore(target, credentials=credentials).initialise(plan)


def check_sheet_name(name: str) -> None:
    """A name Excel and Google Sheets take for a new sheet, and not one of the workbook's
    others (a UsageError naming what is wrong otherwise)."""
    from salessheet.core.cells import sheet_name_problem
    from salessheet.core.owned import COMPANION_SHEETS

    problem = "is empty" if not name.strip() else sheet_name_problem(name)
    if problem is None and name.casefold() in {
        n.casefold() for n in (*COMPANION_SHEETS, "Instructions", "使用说明")
    }:
        problem = "is the name of another sheet init makes or salessheet owns"
    if problem:
        raise UsageError(
            f"--sheet {name!r} {problem}", hint="give another name for the pipeline sheet"
        )
