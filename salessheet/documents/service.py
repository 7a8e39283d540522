"""Issue quotes and contracts for deals of a loaded pipeline: the API the CLI calls.

``issue_documents`` preflights every selected deal, renders the good ones (HTML, DOCX or PDF)
into ``out_dir``, and records them in the register sheet in one write. A deal that fails
preflight is reported with every problem and the batch goes on: a batch that issued some deals
and refused others lists both (``IssueResult.exit_code`` 1); ``IssueResult.error()`` is the
PreflightError (exit 2) when deals were refused and nothing was issued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from salessheet.core.cellsafe import clip_rows
from salessheet.core.errors import ConfigError, PreflightError, SourceError, UsageError
from salessheet.core.formatting import is_known_currency
from salessheet.core.textnorm import normalise
from salessheet.documents.context import (
    TEMPLATE_FIELDS,
    DealData,
    build_context,
    input_hash,
)
from salessheet.documents.deals import DealReader
from salessheet.documents.docx import render_docx
from salessheet.documents.filenames import document_filename, output_path
from salessheet.documents.html import MissingVariable, html_variables, render_html
from salessheet.documents.line_items import read_line_items
from salessheet.documents.money import Totals, compute_totals
from salessheet.documents.pdf import render_pdfs
from salessheet.documents.preflight import SELLER_HINT, SELLER_PLACEHOLDER, preflight
from salessheet.documents.register import Register, check_register, display_number
from salessheet.settings.documents import (
    FORMATS,
    KINDS,
    LANGUAGES,
    REGISTER_SHEET,
    DocumentSettings,
    default_settings,
)
from salessheet.stores.base import SheetReplace, WriteBatch, WriteReport


@dataclass
class IssuedDocument:
    deal_id: str
    kind: str
    number: str  # as shown on the document, e.g. Q-2026-0007-R2
    base_number: str
    revision: int
    fmt: str
    lang: str
    customer: str
    path: Path
    currency: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    registered: bool  # True: a new register row (new number or revision); False: reused

    def to_dict(self) -> dict[str, Any]:
        return {
            "deal_id": self.deal_id,
            "kind": self.kind,
            "number": self.number,
            "revision": self.revision,
            "format": self.fmt,
            "lang": self.lang,
            "customer": self.customer,
            "file": str(self.path),
            "currency": self.currency,
            "subtotal": str(self.subtotal),
            "tax": str(self.tax),
            "total": str(self.total),
            "new": self.registered,
        }


@dataclass
class FailedDeal:
    deal_id: str
    problems: list[str]


@dataclass
class IssueResult:
    kind: str
    fmt: str
    out_dir: Path
    dry_run: bool
    issued: list[IssuedDocument] = field(default_factory=list)
    failed: list[FailedDeal] = field(default_factory=list)
    register_written: bool = False
    write_report: WriteReport | None = None

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> int:
        """0: every selected deal issued; 1: some issued, some refused; 2: deals were refused
        and nothing was written (see ``error()``)."""
        if not self.failed:
            return 0
        return 1 if self.issued else 2

    def refusals(self) -> list[str]:
        """``DEAL: problem``, one line per problem of every refused deal."""
        return [f"{f.deal_id}: {p}" for f in self.failed for p in f.problems]

    def hint(self) -> str:
        """What to do about the refused deals: name the seller in a config (a new user has
        none yet) when that is what stopped them, and fix the sheet for the rest."""
        problems = [p for f in self.failed for p in f.problems]
        seller = any(p.startswith(SELLER_PLACEHOLDER) for p in problems)
        unknown = any(p.startswith(NO_DEAL) for p in problems)
        other = any(not p.startswith((SELLER_PLACEHOLDER, NO_DEAL)) for p in problems)
        parts = [SELLER_HINT] if seller else []
        if unknown:  # a typo on the command line: the sheet is fine
            parts.append("give the deal id as the sheet's id column writes it")
        if other:
            parts.append("fix the pipeline or line items")
        return "; ".join(parts) + " and run again"

    def error(self) -> PreflightError | None:
        """The PreflightError (exit 2) listing every problem of every refused deal, when deals
        were refused and none was issued. A batch that issued some and refused others is no
        error: its result lists both (``exit_code`` 1)."""
        if not self.failed or self.issued:
            return None
        n = len(self.failed)
        return PreflightError(
            f"{n} deal{'s' if n > 1 else ''} refused: no {self.kind} produced for "
            f"{', '.join(f.deal_id for f in self.failed)}",
            self.refusals(),
            hint=self.hint(),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "format": self.fmt,
            "out_dir": str(self.out_dir),
            "dry_run": self.dry_run,
            "register_written": self.register_written,
            "issued": [d.to_dict() for d in self.issued],
            "failed": [{"deal_id": f.deal_id, "problems": f.problems} for f in self.failed],
        }


def template_fields(kind: str, lang: str) -> list[tuple[str, str]]:
    """Every variable a template can use, with a description (for ``--fields``)."""
    if kind not in KINDS:
        raise UsageError(f"unknown document kind {kind!r}; expected one of {', '.join(KINDS)}")
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    fields = list(TEMPLATE_FIELDS)
    if kind == "contract":
        fields = [(n, d) for n, d in fields if n not in ("doc.valid_until", "doc.valid_until_iso")]
    return fields


@dataclass
class _Run:
    pipeline: Any
    settings: DocumentSettings
    reader: DealReader
    kind: str
    fmt: str
    allow_mismatch: bool


def _select(
    pipeline: Any,
    allowed: list[str],
    deal_ids: list[str] | None,
    stage: str | None,
    all_deals: bool,
    kind: str = "quote",
) -> list[tuple[str, Any]]:
    if deal_ids:
        return [(i, pipeline.deal(i)) for i in dict.fromkeys(str(i).strip() for i in deal_ids)]
    if stage:
        lookup = pipeline.profile.stage_lookup()
        stage_id = lookup.get(normalise(stage))
        if stage_id is None:
            raise UsageError(
                f"unknown stage {stage!r}",
                hint=f"stages: {'; '.join(pipeline.profile.stage_spellings())}",
            )
        if stage_id not in allowed:  # was: every deal of the stage refused, one by one
            ids = [s.id for s in pipeline.profile.stages]
            spelt = dict(zip(ids, pipeline.profile.stage_spellings(), strict=True))
            raise UsageError(
                f"stage {stage!r} does not allow a {kind}: no {kind} is issued in it",
                hint=f"stages that allow one: {'; '.join(spelt.get(s, s) for s in allowed)}",
            )
        chosen = [d for d in pipeline.deals if d.stage == stage_id and d.id]
    elif all_deals:
        chosen = [d for d in pipeline.deals if d.stage in allowed and d.id]
    else:
        raise UsageError("name a deal id, or choose deals with --stage STAGE or --all")
    seen: dict[str, Any] = {}
    for d in chosen:
        seen.setdefault(d.id, d)
    return list(seen.items())


def issue_documents(
    pipeline: Any,
    kind: str,
    deal_ids: list[str] | None,
    *,
    stage: str | None = None,
    all_deals: bool = False,
    fmt: str = "html",
    out_dir: Path,
    dry_run: bool = False,
    allow_mismatch: bool = False,
    lang: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    workers: int | None = None,
    register: Register | None = None,
) -> IssueResult:
    """Issue ``kind`` (quote|contract) documents as ``fmt`` (html|docx|pdf) into ``out_dir``.

    Deals: ``deal_ids``, or every deal in ``stage``, or (``all_deals``) every deal whose stage
    allows the document. ``dry_run`` renders but registers nothing. ``lang`` (en|zh) overrides
    the deal's Language column. ``progress(done, total, deal_id)`` is called after each deal.
    ``workers``: processes for a PDF batch (None: one per CPU). ``register``: number the
    documents in this register and leave writing it to the caller (the nightly run shares one
    across its on_enter actions and writes it in its own batch); default: the register sheet,
    written here.
    """
    if kind not in KINDS:
        raise UsageError(f"unknown document kind {kind!r}; expected one of {', '.join(KINDS)}")
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if lang is not None and lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    settings: DocumentSettings = pipeline.profile.documents or default_settings()
    reader = DealReader(pipeline, settings, kind, lang)
    run = _Run(pipeline, settings, reader, kind, fmt, allow_mismatch)
    selected = _select(pipeline, reader.allowed, deal_ids, stage, all_deals, kind)
    result = IssueResult(kind, fmt, Path(out_dir), dry_run)
    if not selected:
        return result
    sheets = _sheets(pipeline, settings)
    place = getattr(pipeline.store, "place", None)  # a CSV's line items are a file beside it
    lines = read_line_items(
        sheets,
        settings,
        reader.ctx,
        source=str(pipeline.source),
        place=place if callable(place) else None,
    )
    own_register = register is None
    check_register(pipeline.sheets.get(REGISTER_SHEET))
    if register is None:
        register = Register(pipeline.sheets.get(REGISTER_SHEET))
    template_source = "docx" if fmt == "docx" else "html"
    checked_templates: dict[Path, set[str]] = {}
    written: list[Path] = []
    out = Path(out_dir)
    total_count = len(selected)
    done = 0
    pending: list[_Prepared] = []

    def tick(deal_id: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total_count, deal_id)

    def finish(prepared: _Prepared, payload: bytes) -> None:
        target = prepared.document.path
        tmp = target.with_name(f".{target.name}.tmp")
        existed = target.exists()
        try:
            out.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(payload)
            tmp.replace(target)
        except OSError as exc:  # was: ".Q-2026-0001_….html.tmp: permission denied"
            tmp.unlink(missing_ok=True)
            raise SourceError(
                f"{out}: cannot write {target.name} there ({exc.strerror or exc}); "
                "nothing was registered",
                hint="give --out a folder you can write to (it is created if missing)",
            ) from exc
        if not existed:
            written.append(target)
        result.issued.append(prepared.document)
        tick(prepared.document.deal_id)

    try:
        for deal_id, deal in selected:
            prepared, problems = _issue_one(
                run, deal_id, deal, lines, register, template_source, checked_templates, out
            )
            if problems or prepared is None:
                result.failed.append(FailedDeal(deal_id, problems))
                tick(deal_id)
            elif prepared.payload is not None:
                finish(prepared, prepared.payload)
            else:
                pending.append(prepared)
        if pending:
            jobs = [(p.html or "", p.base_url) for p in pending]
            for i, payload in render_pdfs(jobs, workers=workers):
                finish(pending[i], payload)
            order = {deal_id: n for n, (deal_id, _) in enumerate(selected)}
            result.issued.sort(key=lambda d: order[d.deal_id])
        if not dry_run and register.changed and own_register:
            result.write_report = pipeline.store.write(
                WriteBatch(
                    sheets=[SheetReplace(REGISTER_SHEET, clip_rows(register.rows_for_write()))]
                )
            )
            result.register_written = True
    except BaseException:
        if not dry_run:
            for path in written:  # not registered: leave no new numbered files behind
                path.unlink(missing_ok=True)
        raise
    return result


@dataclass
class _Prepared:
    document: IssuedDocument
    payload: bytes | None = None  # the rendered file, or None while a PDF waits for rendering
    html: str | None = None
    base_url: str | None = None


def _sheets(pipeline: Any, settings: DocumentSettings) -> dict[str, Any]:
    """The sheets read with the pipeline, plus configured line-item and price-list sheets
    under other names (read now, in one request)."""
    wanted = [settings.line_items_sheet, settings.products_sheet]
    sheets: dict[str, Any] = pipeline.sheets
    missing = [n for n in wanted if n not in sheets]
    if not missing:
        return sheets
    names = {info.name for info in pipeline.store.sheets()}
    extra = [n for n in missing if n in names]
    if not extra:
        return sheets
    return {**sheets, **pipeline.store.read(extra)}


def _template_path(run: _Run, lang: str, source_fmt: str) -> Path:
    templates = run.reader.kind_settings.templates
    per_lang = templates.get(lang) or templates.get("en", {})
    path = per_lang.get(source_fmt)
    if path is None or not path.exists():
        raise ConfigError(
            f"no {source_fmt.upper()} template for {run.kind} in language {lang!r}"
            + (f": {path} does not exist" if path is not None else ""),
            hint=f"set documents.{run.kind}.templates.{lang}.{source_fmt} in the profile",
        )
    return path


def _template_names(path: Path, source_fmt: str) -> set[str]:
    from salessheet.documents.docx import docx_variables

    return docx_variables(path) if source_fmt == "docx" else html_variables(path)


def _unknown_names(
    path: Path, names: set[str], context: dict[str, Any], headers: dict[str, str]
) -> list[str]:
    mapped = {h.strip(): f for f, h in headers.items()}
    out = []
    for name in sorted(names - context.keys()):
        if name in mapped:  # 审批人: the profile reads it as a field documents do not offer
            out.append(
                f"template {path.name} uses {name!r}: that pipeline column is the profile's "
                f"field {mapped[name]!r}, which documents do not offer (salessheet quote "
                "--fields lists the fields they do)"
            )
        else:
            out.append(
                f"template {path.name} uses {name!r}, which is neither a template field nor a "
                "pipeline column (salessheet quote --fields lists the fields)"
            )
    return out


def _fingerprint(run: _Run, deal: Any, data: DealData, totals: Totals) -> str:
    """The input hash (context.input_hash), with the stage as every document language names it
    (so issuing the other language of the same inputs reuses the number)."""
    labels = {lang: run.reader.stage_label(deal, lang) for lang in LANGUAGES}
    return input_hash(
        kind=run.kind, deal=data, stage_labels=labels, totals=totals, settings=run.settings
    )


NO_DEAL = "no deal with id"


def _near_ids(wanted: str, ids: list[str]) -> list[str]:
    """The sheet's ids a mistyped one probably meant: the same but for case or spaces
    (``d-0042``), the same number (``42`` for ``D-0042``), else the closest spellings."""
    import difflib
    import re

    folded = wanted.strip().casefold()
    same = [i for i in ids if i.strip().casefold() == folded]
    if same:
        return same[:3]
    digits = wanted.strip().lstrip("0")
    if digits.isdigit():
        numbered = [i for i in ids if re.sub(r"\D", "", i).lstrip("0") == digits]
        if numbered:
            return numbered[:3]
    return difflib.get_close_matches(wanted, ids, n=3, cutoff=0.8)


def _issue_one(
    run: _Run,
    deal_id: str,
    deal: Any,
    lines: Any,
    register: Register,
    source_fmt: str,
    checked: dict[Path, set[str]],
    out: Path,
) -> tuple[_Prepared | None, list[str]]:
    pipeline = run.pipeline
    settings = run.settings
    if deal is None:
        near = _near_ids(deal_id, [d.id for d in pipeline.deals if d.id])
        also = f" (did you mean {' or '.join(repr(i) for i in near)}?)" if near else ""
        return None, [f"{NO_DEAL} {deal_id!r} in sheet {pipeline.sheet!r}{also}"]
    reader = run.reader
    data, problems = reader.read(deal)
    lang = reader.lang_for(deal)
    locale = reader.locale_for(lang)
    template = _template_path(run, lang, source_fmt)
    if template not in checked:
        checked[template] = _template_names(template, source_fmt)
    currency = reader.currency_for(deal, data)
    items, item_problems = lines.for_deal(deal_id)
    totals: Totals | None = None
    if currency and is_known_currency(currency) and items and not item_problems:
        totals = compute_totals(
            items,
            currency,
            tax_mode=settings.tax_mode,
            discount_rate=data.document_discount or Decimal(0),
        )
    validity = settings.validity_days if run.kind == "quote" else None
    fresh_until = None
    if run.kind == "quote":
        fresh_until = data.valid_until or pipeline.today + dt.timedelta(days=validity or 0)
    problems += preflight(
        kind=run.kind,
        deal=data,
        currency=currency,
        allowed=reader.allowed,
        stage_label=data.stage_label,
        stage_names=pipeline.stage_names,
        written_stage=pipeline.stage_names.of(deal) if deal.stage else "",
        required=reader.kind_settings.required,
        items=items,
        item_problems=item_problems,
        line_items_sheet=lines.sheet_name,
        line_items_place=lines.place,
        line_items_found=lines.sheet_found,
        totals=totals,
        tolerance=settings.reconcile_tolerance,
        reconcile_with=settings.reconcile_with,
        allow_mismatch=run.allow_mismatch,
        valid_until=data.valid_until,
        today=pipeline.today,
        locale=locale,
        lang=lang,
        amount_cell=f"sheet {pipeline.sheet!r} {deal.cell('amount')}"
        if deal.cell("amount")
        else None,
        seller=settings.seller,
        field_cells={
            name: (cell, str(deal.header(name) or name))
            for name in reader.kind_settings.required
            if (cell := deal.cell(name))
        },
        sheet=pipeline.sheet,
    )
    if problems or totals is None:
        return None, problems or ["no line items to price"]
    assert currency is not None
    fingerprint = _fingerprint(run, deal, data, totals)
    assignment = register.assign(
        kind=run.kind,
        deal_id=deal_id,
        pattern=reader.kind_settings.numbering,
        today=pipeline.today,
        input_hash=fingerprint,
        valid_until=fresh_until,
    )
    number = display_number(assignment.number, assignment.revision)
    context = build_context(
        kind=run.kind,
        lang=lang,
        locale=locale,
        deal=data,
        totals=totals,
        settings=settings,
        number=number,
        base_number=assignment.number,
        revision=assignment.revision,
        issue_date=assignment.issue_date,
        valid_until=assignment.valid_until,
    )
    unknown = _unknown_names(template, checked[template], context, data.headers)
    if unknown:
        return None, unknown
    other_lang = lang if lang != reader.default_lang() else None  # never the same file name
    filename = document_filename(number, data.customer, run.fmt, other_lang)
    target = output_path(out, filename)
    payload: bytes | None = None
    html: str | None = None
    try:
        if run.fmt == "docx":
            payload = render_docx(template, context, logo=settings.seller.logo)
        else:
            html = render_html(template, context)
            if run.fmt == "html":
                payload = html.encode("utf-8")
    except MissingVariable as exc:
        return None, [f"{exc}; the data lacks it (salessheet {run.kind} --fields lists them)"]
    if assignment.new_row:
        register.add(
            assignment=assignment,
            deal_id=deal_id,
            kind=run.kind,
            currency=currency,
            subtotal=totals.subtotal,
            tax=totals.tax,
            total=totals.total,
            input_hash=fingerprint,
            file=filename,
        )
    else:
        register.note_file(assignment.number, assignment.revision, deal_id, run.kind, filename)
    document = IssuedDocument(
        deal_id=deal_id,
        kind=run.kind,
        number=number,
        base_number=assignment.number,
        revision=assignment.revision,
        fmt=run.fmt,
        lang=lang,
        customer=data.customer or "",
        path=target,
        currency=currency,
        subtotal=totals.subtotal,
        tax=totals.tax,
        total=totals.total,
        registered=assignment.new_row,
    )
    base_url = str(template.parent) if run.fmt == "pdf" else None
    return _Prepared(document, payload, html, base_url), []
