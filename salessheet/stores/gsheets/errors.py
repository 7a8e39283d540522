"""What Google's error answers mean for the user: each becomes one of our errors, with a hint.

Pure functions of the answer (a gspread APIError's code, status and message, or an auth
exception) and of what the store knows (the sheet, the account); no third-party import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from salessheet.core.errors import (
    SalessheetError,
    SourceError,
    StoreUnavailable,
    WriteRefused,
)


def error_parts(exc: Any) -> tuple[int, str, str]:
    """(HTTP status, Google's status name, message) of a gspread APIError.

    Google answers ``{"error": {"code", "message", "status"}}``; a body that is not JSON (an
    HTML error page from a proxy or Google's front end) leaves gspread's code at -1, so the
    status comes from the HTTP answer then.
    """
    error = getattr(exc, "error", {}) or {}
    code = getattr(exc, "code", -1)
    response = getattr(exc, "response", None)
    status = str(error.get("status", "")).strip()
    message = str(error.get("message", "")).strip()
    if not isinstance(code, int) or code <= 0:
        code = int(getattr(response, "status_code", 0) or 0)
        status = str(getattr(response, "reason", "") or "").strip()
        message = "(no JSON error in the answer)"
    return code, status, message


def share_hint(who: str, editor: bool = False) -> str:
    if editor:
        return f"share the sheet with {who} as Editor (Viewer cannot write)"
    return f"share the sheet with {who} (Editor, or Viewer for read-only use)"


def api_error(
    exc: Any,
    *,
    action: str,
    writing: bool,
    where: str,
    source: str,
    who: str,
    emulated: bool,
    attempts: int,
    opened: bool = False,
) -> SalessheetError:
    """Our error for Google's answer ``exc`` to trying to ``action`` ``where`` (``writing``: a
    change). ``who``: the account to share the sheet with; ``attempts``: the tries made;
    ``opened``: Google already answered for this spreadsheet in this run (so a 404 means it went
    away meanwhile, not a wrong key)."""
    code, status, message = error_parts(exc)
    error = _error_for(
        code,
        status,
        message,
        action=action,
        writing=writing,
        where=where,
        source=source,
        who=who,
        emulated=emulated,
        after=f" after {attempts} attempts" if attempts > 1 else "",
        opened=opened,
    )
    # a caller may try again (after looking) only where Google may not have acted yet
    # (an attribute of this error alone: callers read it with getattr(exc, "transient", True))
    error.transient = code in (408, 429) or code >= 500  # type: ignore[attr-defined]
    return error


def _error_for(
    code: int,
    status: str,
    message: str,
    *,
    action: str,
    writing: bool,
    where: str,
    source: str,
    who: str,
    emulated: bool,
    after: str,
    opened: bool = False,
) -> SalessheetError:
    if code == 404 and opened:
        # the run read it minutes ago: the key is right, the spreadsheet went away meanwhile
        return StoreUnavailable(
            f"{where} was there when this run opened it, but Google answered 404 when trying"
            f" to {action} it: it was deleted while the run worked; nothing was written",
            hint="if it was deleted by mistake, restore it from Google Drive's Trash; then run"
            f" again ({source})",
        )
    if code == 404:
        return SourceError(
            f"{where} not found (Google Sheets 404)",
            hint=f"check the key in {source!r}: copy the address from the browser bar",
        )
    low = message.lower()
    if code == 403:
        if "has not been used" in low or "is disabled" in low or "not enabled" in low:
            return StoreUnavailable(
                "the Google Sheets API is not enabled for the project of these credentials",
                hint="enable it: Google Cloud console → APIs & Services → Library → "
                "Google Sheets API → Enable (then wait a minute)",
            )
        if "insufficient authentication scopes" in low:
            return StoreUnavailable(
                f"the credentials are not allowed to use Google Sheets for {where}"
                " (403 insufficient authentication scopes)",
                hint="create the OAuth user token again with the scope"
                " https://www.googleapis.com/auth/spreadsheets",
            )
        if status == "RESOURCE_EXHAUSTED" or "quota" in low or "rate limit" in low:
            return StoreUnavailable(
                f"Google Sheets quota exceeded for {where}{after}",
                hint="wait a minute and run again",
            )
        if writing:
            return StoreUnavailable(
                f"no permission to change {where} (403 permission denied)",
                hint=share_hint(who, editor=True),
            )
        return StoreUnavailable(
            f"no access to {where} (403 permission denied)", hint=share_hint(who)
        )
    if code == 401:
        if emulated:
            hint = "check SALESSHEET_SHEETS_TOKEN"
        else:
            hint = "the key may have been deleted or revoked: create a new key and use that"
        return StoreUnavailable(
            f"Google rejected the credentials for {where} (401 unauthenticated)", hint=hint
        )
    if code == 429:
        return StoreUnavailable(
            f"Google Sheets quota exceeded while trying to {action} {where}{after}",
            hint="wait a minute and run again",
        )
    if isinstance(code, int) and code >= 500 or code == 408:
        return StoreUnavailable(
            f"Google Sheets unavailable ({code} {status}) while trying to {action} {where}{after}",
            hint="try again later",
        )
    if code == 400 and writing:
        return WriteRefused(
            f"Google Sheets refused to {action} {where}: {message}",
            hint="nothing was written by this request; run again, and report a bug if it persists",
        )
    if code == 400 and "not supported for this document" in low:
        return SourceError(
            f"{where} is not a Google Sheet (an Excel or other file stored in Google Drive):"
            f" Google Sheets answered {message!r}",
            hint="open it in Google Sheets, choose File › Save as Google Sheets, and use the"
            " new sheet's address",
        )
    if code == 400:
        return SourceError(f"Google Sheets refused to {action} {where}: {message}")
    return StoreUnavailable(
        f"Google Sheets error {code} {status} while trying to {action} {where}: {message}"
    )


def auth_error(exc: BaseException, key_path: Path | None, account: str | None) -> SalessheetError:
    """Our error for a failed sign-in (google-auth's RefreshError, or no network on the way)."""
    reason = ""
    if exc.args and isinstance(exc.args[0], str):
        reason = exc.args[0].split("\n")[0][:200]
    name = type(exc).__name__
    if name == "RefreshError":
        who = f" for {account}" if account else ""
        return StoreUnavailable(
            f"Google did not accept the key in {key_path}{who}: {reason or name}",
            hint="the key may be deleted, revoked or from another project: create a new JSON"
            " key for the service account and use that file",
        )
    return StoreUnavailable(
        f"could not reach Google's sign-in service ({name})",
        hint="check the network connection, then run again",
    )
