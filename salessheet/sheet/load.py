"""Loading a pipeline: open the store, pick the sheet, map the deals, in one read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from salessheet.core.catalogue import SHEET_PASSED_OVER
from salessheet.core.cells import RawSheet
from salessheet.core.errors import SourceError, StructureError
from salessheet.core.findings import Finding
from salessheet.core.owned import COMPANION_SHEETS, LINE_ITEMS_SHEET, OWNED_SHEETS, PRODUCTS_SHEET
from salessheet.core.records import Deal
from salessheet.settings.profile import Profile
from salessheet.sheet.parsing import ParseContext
from salessheet.sheet.pipeline import Pipeline
from salessheet.sheet.table import (
    UNKNOWN_STAGE,
    map_table,
    options_from_profile,
    specs_from_profile,
)
from salessheet.stores.base import Store
from salessheet.stores.registry import open_store


@dataclass(kw_only=True)
class OpenPipeline(Pipeline):
    """A pipeline together with the store it was read from (for the api and documents, which
    write back). Rules are given it as a plain ``Pipeline`` and never touch the store."""

    store: Store


def parse_context(profile: Profile, store: Store) -> ParseContext:
    return ParseContext.from_profile(profile, locale=getattr(store, "locale", None) or None)


def load_pipeline(
    source: str,
    *,
    profile: Profile,
    sheet: str | None = None,
    today: dt.date | Callable[[str], dt.date],
    store: Store | None = None,
    credentials: str | None = None,
    skip_text: frozenset[str] = frozenset(),
) -> OpenPipeline:
    store = store or open_store(source, credentials=credentials)
    if callable(today):  # "today" in the sheet's own time zone, else the profile's
        today = today(getattr(store, "timezone", None) or profile.timezone)
    infos = store.sheets()
    names = [s.name for s in infos]
    if sheet is not None:
        if sheet not in names:
            raise SourceError(
                f"{source}: no sheet named {sheet!r}",
                hint=f"sheets in this file: {', '.join(repr(n) for n in names)}",
            )
        if sheet in OWNED_SHEETS:  # was: "no header row found", and a config init hint
            tabs = [n for n in names if n not in COMPANION_SHEETS]
            raise SourceError(
                f"{source}: sheet {sheet!r} is one salessheet writes (its own records), "
                "not a pipeline",
                hint="give --sheet the sheet that holds the deals"
                + (f": {', '.join(repr(n) for n in tabs)}" if tabs else ""),
            )
        candidates = [sheet]
    else:
        visible = [s.name for s in infos if s.visible and s.name not in OWNED_SHEETS]
        visible = [n for n in visible if n not in (LINE_ITEMS_SHEET, PRODUCTS_SHEET)]
        if profile.sheet and profile.sheet in visible:
            visible.remove(profile.sheet)
            visible.insert(0, profile.sheet)
        gid_sheet = getattr(store, "gid_sheet", None)
        linked = gid_sheet() if callable(gid_sheet) else None
        if linked in visible:  # the tab a pasted Google Sheets link points at
            visible.remove(linked)
            visible.insert(0, linked)
        candidates = visible
    if not candidates:
        raise SourceError(f"{source}: no visible sheet to read", hint="name one with --sheet")
    ctx = parse_context(profile, store)
    specs = specs_from_profile(profile)
    options = options_from_profile(profile)
    extras = [n for n in COMPANION_SHEETS if n in names]
    first_error: StructureError | None = None
    passed_over: list[tuple[str, StructureError]] = []  # sheets with a header but no pipeline
    sheets: dict[str, RawSheet] = {}
    for i, name in enumerate(candidates):
        wanted = [name] + ([n for n in extras if n not in sheets] if i == 0 else [])
        sheets.update(store.read(wanted))
        try:
            table = map_table(
                sheets[name],
                specs,
                ctx,
                record_type=Deal,
                source=source,
                skip_text=skip_text,
                options=options,
            )
        except StructureError as exc:
            # With an explicit sheet that error is the answer; otherwise keep looking for the
            # pipeline sheet (a summary tab in front of it has a header, but not its columns).
            if sheet is not None:
                raise
            if "no header row" not in exc.message:
                passed_over.append((name, exc))
            first_error = first_error or exc
            continue
        # map_table made Deals (record_type=Deal); its result is typed for any Record
        deals: list[Deal] = table.records  # type: ignore[assignment]
        unknown: set[int] = set()
        for d in deals:
            d.id = d.values.get("deal_id") or ""
            st = d.values.get("stage")
            if st is UNKNOWN_STAGE:
                d.values["stage"] = None
                unknown.add(d.row)
                st = None
            d.stage = st
        for skipped, why in passed_over:
            reason = why.problems[0] if why.problems else why.message
            table.findings.append(
                Finding.of(
                    SHEET_PASSED_OVER,
                    f"sheet {skipped!r} passed over ({reason}): the pipeline is read from sheet "
                    f"{name!r}; name the sheet with --sheet if that is wrong",
                    sheet=skipped,
                )
            )
        by_row = {d.row: d for d in deals}
        for f in table.findings:
            deal = by_row.get(f.row or 0)
            if deal is not None:
                f.deal_id = deal.id or None
                f.owner = deal.values.get("owner")
        return OpenPipeline(
            source,
            profile,
            name,
            today,
            deals,
            table.findings,
            sheets,
            table.layout,
            unknown,
            table.skipped,
            table.unread_cells,
            store=store,
        )
    if passed_over:  # a sheet with a header but a broken table says the most
        first_error = passed_over[0][1]
    assert first_error is not None
    first_error.sheets = [sheets[c] for c in candidates if c in sheets]
    if len(candidates) > 1:
        first_error.problems.append(
            f"looked in the sheets {', '.join(repr(c) for c in candidates)}; "
            "none has a header row naming a deal id and a stage"
        )
    raise first_error
