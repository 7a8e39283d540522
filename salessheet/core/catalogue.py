"""The finding-code catalogue: every code salessheet reports, declared once.

Each code is a registered ``Check``: the stable kebab-case code, its default severity, what it
means in one line, and the module that emits it. Emitters build findings from these objects
(``Finding.of(check, ...)``), never from a bare code string, so that ``salessheet rules``, the
README's list and the findings themselves cannot drift apart. A profile may still set the
severity of some checks (the transition checks); the catalogue holds the default.

``python -m salessheet.core.catalogue README.md`` rewrites the README's table of codes (between
its ``codes:start`` and ``codes:end`` markers) from this file.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
_CODE = re.compile(r"[a-z]+(-[a-z]+)+")


@dataclass(frozen=True, slots=True)
class Check:
    code: str  # stable kebab-case, part of the JSON contract
    severity: Severity  # the default; a profile may configure some (see ``meaning``)
    meaning: str  # one line, for `salessheet rules` and the README
    source: str  # the module that emits it, below ``salessheet`` (e.g. "rules.fields")

    def to_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity,
            "meaning": self.meaning,
            "source": self.source,
        }


CATALOGUE: dict[str, Check] = {}


def register(code: str, severity: Severity, meaning: str, source: str) -> Check:
    """Declare a check. A code is registered once; the registry keeps declaration order."""
    if not _CODE.fullmatch(code):
        raise ValueError(f"finding code {code!r} is not kebab-case")
    if code in CATALOGUE:
        raise ValueError(f"finding code {code!r} is registered twice")
    if severity not in SEVERITIES:
        raise ValueError(f"{code}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    check = Check(code, severity, meaning, source)
    CATALOGUE[code] = check
    return check


# --- the team's own rules (a profile's ``rules:``) ---------------------------------------------
#
# A profile's rule ids are finding codes too. They are checked here, so that they look like the
# built-in codes and never take one of their names, but not registered: the catalogue is the
# same for every profile, a profile's rules belong to that profile (``salessheet rules --config``
# lists them with "source": "profile").

PROFILE_SOURCE = "profile"
# a profile's rule id: kebab-case words that may hold digits (q4-review); built-in codes are
# letters only (_CODE), so this matches every code a finding can carry
RULE_CODE = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+"
_PROFILE_CODE = re.compile(RULE_CODE)


_ANY_CODE = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


def looks_like_code(text: str) -> bool:
    """True when ``text`` has the shape of a finding code (built-in or a profile's rule id):
    what a findings-sheet row someone typed over is checked against before it is read back."""
    return _ANY_CODE.fullmatch(text) is not None


def profile_code_problem(code: str) -> str | None:
    """Why ``code`` cannot be the id of a profile's rule, or None when it can."""
    if not _PROFILE_CODE.fullmatch(code):
        return (
            "a rule id in kebab-case: two or more lowercase words joined by hyphens, such as "
            "discount-approval"
        )
    if code in CATALOGUE:
        return f"an id that is not a built-in finding code ({code} is one: see salessheet rules)"
    return None


def profile_check(code: str, severity: Severity, meaning: str) -> Check:
    """The check of a profile's rule (not registered: see above)."""
    problem = profile_code_problem(code)
    if problem is not None:
        raise ValueError(f"rule id {code!r}: expected {problem}")
    if severity not in SEVERITIES:
        raise ValueError(f"{code}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    return Check(code, severity, " ".join(meaning.split()), PROFILE_SOURCE)


def lookup(code: str) -> Check:
    """The registered check of ``code``; for a code this version no longer reports (read back
    from the findings sheet an older run wrote), an unregistered stand-in."""
    check = CATALOGUE.get(code)
    if check is None:
        return Check(code, "warning", "no longer reported by this version", "an earlier run")
    return check


# --- reading the sheet -----------------------------------------------------------------------
BAD_VALUE = register(
    "bad-value",
    "error",
    "A cell cannot be read as its column's type (date, amount, percentage, an #N/A); "
    "it is reported, never guessed.",
    "sheet.table",
)
# reading the sheet: layout rows, dates, units (issue 11)
ROWS_SKIPPED = register(
    "rows-skipped",
    "info",
    "Rows that are not deals (section titles, subtotal/total rows, a repeated or second header, "
    "instructions, rows named in skip_rows) were skipped; listed once per sheet.",
    "sheet.skips",
)
AMBIGUOUS_DATE = register(
    "ambiguous-date",
    "error",
    "A date column's numeric dates contradict each other (some valid only day first, some only "
    "month first); they stay unread until the column has a date_order.",
    "sheet.table",
)
FORMULA_NOT_CALCULATED = register(
    "formula-not-calculated",
    "error",
    "Cells of a column hold formulas whose results were never saved (a workbook a script wrote, "
    "never opened in Excel or LibreOffice); they stay unread until the file is opened and saved.",
    "sheet.formulas",
)
HEADER_NOTE = register(
    "header-note",
    "info",
    "A header's bracketed text is no unit (`Amount (incl. VAT)`), or a column that is not money "
    "has a unit: noted, not applied; or another table's columns beside the deals, left out.",
    "sheet.table",
)
SHEET_PASSED_OVER = register(
    "sheet-passed-over",
    "warning",
    "A visible sheet before the pipeline (a summary tab) has a header but not a pipeline's "
    "columns: the pipeline was read from the next sheet that has them (name it with --sheet).",
    "sheet.load",
)

# --- per-deal checks -------------------------------------------------------------------------
UNKNOWN_STAGE = register(
    "unknown-stage",
    "error",
    "The stage is none of the profile's stages or their aliases.",
    "rules.fields",
)
MISSING_FIELD = register(
    "missing-field",
    "error",
    "A field the deal's stage requires is empty (or the stage itself is).",
    "rules.fields",
)
MISSING_COLUMN = register(
    "missing-column",
    "error",
    "The sheet has no column for a field some stage requires (a warning while no deal is "
    "in those stages).",
    "rules.fields",
)
MISSING_ID = register(
    "missing-id",
    "error",
    "A row has data but no deal id.",
    "rules.fields",
)
DUPLICATE_ID = register(
    "duplicate-id",
    "error",
    "The same deal id is on more than one row.",
    "rules.fields",
)
NEGATIVE_AMOUNT = register(
    "negative-amount",
    "error",
    "The deal's amount is negative.",
    "rules.fields",
)
CLOSE_DATE_PASSED = register(
    "close-date-passed",
    "warning",
    "An open deal's expected close date has passed.",
    "rules.fields",
)
CLOSE_BEFORE_CREATED = register(
    "close-before-created",
    "warning",
    "The expected close date is before the deal was created.",
    "rules.fields",
)
CURRENCY_MISMATCH = register(
    "currency-mismatch",
    "warning",
    "The amount is written in one currency but the currency column names another.",
    "rules.fields",
)

# --- stage history ---------------------------------------------------------------------------
ILLEGAL_TRANSITION = register(
    "illegal-transition",
    "error",
    "The stage moved in a way the profile does not allow (skipped stages, an undeclared move, "
    "a won deal marked lost); severity: transitions.skip_forward / undeclared.",
    "history.transitions",
)
BACKWARD_TRANSITION = register(
    "backward-transition",
    "warning",
    "The stage moved back to an earlier stage; severity: transitions.backward.",
    "history.transitions",
)
REOPENED_DEAL = register(
    "reopened-deal",
    "error",
    "A deal left a terminal stage (delivered or lost); severity: transitions.reopen.",
    "history.transitions",
)

# --- stalls ----------------------------------------------------------------------------------
STALLED_DEAL = register(
    "stalled-deal",
    "warning",
    "An open deal sat in its stage, or without activity, longer than the stage's stall_days, "
    "or its next step is overdue.",
    "rules.stalled",
)
CLOSE_DATE_SLIPPED = register(
    "close-date-slipped",
    "warning",
    "The expected close date was pushed back stall.slip_warning_after times or more.",
    "rules.stalled",
)

# --- the ledger ------------------------------------------------------------------------------
DEAL_REMOVED = register(
    "deal-removed",
    "warning",
    "A deal the stage history tracked is no longer in the sheet.",
    "history.transitions",
)
LEDGER_MISSING = register(
    "ledger-missing",
    "warning",
    "The `salessheet history` sheet is gone while `salessheet findings` shows earlier runs: it "
    "was deleted or renamed, and a new ledger starts.",
    "rules.engine",
)
LEDGER_UNREADABLE = register(
    "ledger-unreadable",
    "warning",
    "A row of the `salessheet history` sheet cannot be read; it is kept as it is and left out "
    "of the history.",
    "rules.engine",
)
SHEET_NOT_OWNED = register(
    "sheet-not-owned",
    "warning",
    "A sheet has the name of a sheet salessheet owns but salessheet did not make it (no mark, "
    "not its header): it is not read, and `run` refuses to write (exit 3) until it is renamed.",
    "history.ownership",
)

# --- the team's automations (a stage's on_enter: actions) --------------------------------------
ACTION_FAILED = register(
    "action-failed",
    "warning",
    "An on_enter action (issue a quote or contract, notify a channel or address) for a deal "
    "that entered the stage failed on the night it was due and on the three nights after; it "
    "is not tried again and is reported while the deal stays in that stage (the run's exit "
    "code does not change).",
    "rules.team",
)

# Findings of `salessheet stalled` (worst first in this order), and the transition checks.
STALL_CHECKS = (STALLED_DEAL, CLOSE_DATE_PASSED, CLOSE_DATE_SLIPPED)
TRANSITION_CHECKS = (ILLEGAL_TRANSITION, BACKWARD_TRANSITION, REOPENED_DEAL)


# --- the README's table ------------------------------------------------------------------------

README_START = (
    "<!-- codes:start: generated from salessheet/core/catalogue.py by "
    "`python -m salessheet.core.catalogue README.md`; edit the catalogue, not this table -->"
)
README_END = "<!-- codes:end -->"
_SECTION = re.compile(r"<!-- codes:start\b[^\n]*-->\n(.*?)<!-- codes:end -->", re.S)


def markdown_table(checks: Iterable[Check] | None = None) -> str:
    """The checks (default: the catalogue) as a Markdown table."""
    rows = ["| code | severity | meaning | reported by |", "|---|---|---|---|"]
    for c in CATALOGUE.values() if checks is None else checks:
        meaning = c.meaning.replace("|", "\\|")
        rows.append(f"| `{c.code}` | {c.severity} | {meaning} | `{c.source}` |")
    return "\n".join(rows) + "\n"


def readme_section(text: str) -> str | None:
    """The generated table in a README's text (between the markers); None if it has none."""
    m = _SECTION.search(text)
    return m.group(1) if m else None


def with_readme_section(text: str) -> str:
    """``text`` with its generated table made from the catalogue."""
    if readme_section(text) is None:
        raise ValueError(f"no '{README_START[:16]}…' / '{README_END}' section")
    block = f"{README_START}\n{markdown_table()}{README_END}"
    return _SECTION.sub(lambda _m: block, text, count=1)


def _main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "README.md")
    text = path.read_text(encoding="utf-8")
    try:
        new = with_readme_section(text)
    except ValueError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    if new != text:
        path.write_text(new, encoding="utf-8")
    print(f"{path}: {'updated' if new != text else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
