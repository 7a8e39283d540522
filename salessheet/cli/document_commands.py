"""quote and contract."""

from __future__ import annotations

import sys
from typing import Any

import click

from salessheet.cli.app import Ctx, data_options, emit, guarded, main, to_stdout
from salessheet.core.errors import UsageError


def _document_command(kind: str) -> None:
    title = {"quote": "a quote", "contract": "a contract"}[kind]

    @main.command(
        kind,
        help=f"""Generate {title} for a deal: numbered, registered, as HTML, DOCX or PDF.

    \b
    Deal fields come from the pipeline row, line items from the `Line Items` sheet
    (optional `Products` price list). The number is registered in the tool-owned
    `salessheet documents` sheet: the same inputs reuse the number; changed inputs
    issue a new revision (-R2). A preflight refuses (exit 2, listing every problem)
    a deal whose stage does not allow {title}, whose fields are missing or whose
    line items do not add up to the deal amount. A batch (--stage, --all, several
    ids) goes on past refused deals: exit 1 when some were issued and some refused
    (both listed), exit 2 only when nothing was written.

    The seller (your company) comes from a config: documents.seller.

    \b
    Examples:
      printf 'extends: b2b\\ndocuments:\\n  seller: {{name: Acme, name_zh: 艾克美}}\\n' > team.yaml
      salessheet {kind} pipeline.xlsx D-0042 --config team.yaml
      salessheet {kind} pipeline.xlsx D-0042 --config team.yaml --format pdf --out {kind}s/
      salessheet {kind} pipeline.xlsx --stage negotiation --config team.yaml --format docx
      salessheet {kind} pipeline.xlsx --all --config team.yaml --dry-run
      salessheet {kind} --fields --lang zh
    """,
    )
    @click.argument("source", required=False)
    @click.argument("deal_ids", nargs=-1, metavar="[DEAL_ID]...")
    @click.option(
        "--format",
        "doc_format",
        type=click.Choice(["html", "docx", "pdf"]),
        default="html",
        show_default=True,
        help="Document format.",
    )
    @click.option(
        "--out",
        "out",
        default=".",
        show_default=True,
        metavar="DIR",
        help="Output folder (created if needed).",
    )
    @click.option("--stage", "stage", metavar="STAGE", help="Every deal in this stage.")
    @click.option("--all", "all_deals", is_flag=True, help="Every deal whose stage allows it.")
    @click.option("--dry-run", is_flag=True, help="Render, but register nothing.")
    @click.option(
        "--allow-mismatch",
        is_flag=True,
        help="Issue even if line items do not add up to the deal amount.",
    )
    @click.option("--lang", type=click.Choice(["en", "zh"]), help="Override the deal's language.")
    @click.option("--fields", is_flag=True, help="List every variable the template can use.")
    @click.option("--json", "json_out", is_flag=True, help="One JSON object on stdout.")
    @data_options(output_format=False)
    @guarded
    def command(
        c: Ctx,
        source: str | None,
        deal_ids: tuple[str, ...],
        doc_format: str,
        out: str,
        stage: str | None,
        all_deals: bool,
        dry_run: bool,
        allow_mismatch: bool,
        lang: str | None,
        fields: bool,
        json_out: bool,
        **_: Any,
    ) -> int:
        from pathlib import Path

        from salessheet.api import documents_fields, issue_documents

        if fields:
            rows = documents_fields(kind, lang or "en")
            text = "\n".join(f"  {name:<28} {desc}" for name, desc in rows)
            emit(
                {"kind": kind, "fields": [{"name": n, "description": d} for n, d in rows]},
                f"Variables a {kind} template can use:\n{text}",
                c.fmt,
            )
            return 0
        if not source:
            raise UsageError("give the SOURCE (and a DEAL_ID, --stage or --all)")
        if not deal_ids and not stage and not all_deals:
            raise UsageError("give a DEAL_ID, --stage STAGE or --all")
        given = [
            *([" ".join(deal_ids)] if deal_ids else []),
            *([f"--stage {stage}"] if stage else []),
            *(["--all"] if all_deals else []),
        ]
        if len(given) > 1:  # one of them used to win silently: `D-0042 --all` issued one quote
            raise UsageError(
                f"give DEAL_IDs, --stage or --all, not {' and '.join(given)}",
                hint="one selection per run: run it once for each",
            )
        bar = None
        # (not into a log: a bar that cannot redraw prints only its label, "quotes")
        show_bar = c.fmt == "text" and (stage or all_deals or len(deal_ids) > 1)
        show_bar = show_bar and sys.stderr.isatty()

        def progress(done: int, total: int, deal_id: str) -> None:
            nonlocal bar
            if not show_bar:
                return
            if bar is None:
                bar = click.progressbar(length=total, label=f"{kind}s", file=sys.stderr)
                bar.__enter__()
            bar.update(1)

        try:
            result = issue_documents(
                source,
                kind,
                list(deal_ids) or None,
                profile=c.profile,
                sheet=c.sheet,
                today=c.today(),
                credentials=c.credentials,
                stage=stage,
                all_deals=all_deals,
                fmt=doc_format,
                out_dir=Path(out),
                dry_run=dry_run,
                allow_mismatch=allow_mismatch,
                lang=lang,
                progress=progress,
            )
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        err = result.error()
        if err is not None:  # refused, and nothing written: exit 2 with every problem
            if c.fmt == "text":
                to_stdout(f"no {kind} written")
            raise err
        lines = []
        for d in result.issued:
            state = "new" if d.registered else "unchanged, number reused"
            if dry_run:
                state = "dry run, not registered"
            lines.append(
                f"  {d.number:<18} {d.deal_id:<10} {d.currency} {d.total}  {d.path}  ({state})"
            )
        text = f"{len(result.issued)} {kind}(s) written to {result.out_dir}:\n" + "\n".join(lines)
        if not result.issued:
            text = f"no {kind} written"
        if result.failed:  # some issued, some refused: both listed, exit 1
            text += (
                f"\n{len(result.failed)} deal(s) refused, no {kind} for them:\n"
                + "\n".join(f"  {line}" for line in result.refusals())
                + f"\n  hint: {result.hint()}"
            )
        emit(result.to_dict(), text, c.fmt)
        return result.exit_code


for _kind in ("quote", "contract"):
    _document_command(_kind)
