"""From a pipeline deal to what its documents need: fields, language, locale, currency.

Also reads the optional deal columns documents use when present (document discount,
valid-until date, customer tax id), found among the deal's unmapped columns by alias.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from salessheet.core.catalogue import BAD_VALUE
from salessheet.core.currency import currency_code
from salessheet.core.findings import json_safe
from salessheet.core.owned import OWNED_COLUMN_PREFIX
from salessheet.core.textnorm import normalise
from salessheet.documents.context import DealData
from salessheet.documents.line_items import rate_from
from salessheet.documents.preflight import StageInfo, allowed_stages
from salessheet.settings.documents import LANGUAGES, DocumentSettings
from salessheet.settings.profile import Profile
from salessheet.sheet.parsing import (
    ParseContext,
    ParseFailure,
    parse_date,
    parse_percent,
    parse_text,
)

LANGUAGE_NAMES = {
    "zh": "zh",
    "cn": "zh",
    "chinese": "zh",
    "中文": "zh",
    "汉语": "zh",
    "简体中文": "zh",
    "en": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
}


def language_of(value: Any) -> str | None:
    """``zh``/``en`` for the ways people write a language (``zh-CN``, ``中文``, ``English``)."""
    if not isinstance(value, str) or not value.strip():
        return None
    key = normalise(value).replace("-", "_")
    return LANGUAGE_NAMES.get(key) or LANGUAGE_NAMES.get(key.split("_")[0])


def _extra_value(extra: dict[str, Any], aliases: list[str]) -> Any:
    wanted = {normalise(a) for a in aliases}
    for header, value in extra.items():
        if normalise(str(header)) in wanted and value not in (None, ""):
            return value
    return None


def _text(value: Any) -> str:
    try:
        return parse_text(value)
    except ParseFailure:
        return str(value)


class DealReader:
    """Reads deals of one pipeline for one document kind."""

    def __init__(
        self, pipeline: Any, settings: DocumentSettings, kind: str, lang: str | None
    ) -> None:
        self.pipeline = pipeline
        self.profile: Profile = pipeline.profile
        self.settings = settings
        self.kind = kind
        self.lang = lang
        self.ctx = ParseContext.from_profile(self.profile)
        self.kind_settings = settings.kind(kind)
        stages = [StageInfo(s.id, s.outcome) for s in self.profile.stages]
        self.allowed = allowed_stages(kind, self.kind_settings.stages, stages)
        self.id_count = Counter(d.id for d in pipeline.deals if d.id)
        self.row_problems: dict[int, list[str]] = {}
        for f in pipeline.findings:
            if f.severity == "error" and f.code == BAD_VALUE.code and f.row:
                self.row_problems.setdefault(f.row, []).append(f"sheet {f.sheet!r}: {f.message}")

    def read(self, deal: Any) -> tuple[DealData, list[str]]:
        """The deal's document data, and problems with the cells documents read."""
        v = deal.values
        problems: list[str] = list(self.row_problems.get(deal.row, []))
        if self.id_count.get(deal.id, 0) > 1:
            rows = [str(d.row) for d in self.pipeline.deals if d.id == deal.id]
            problems.append(
                f"the deal id is on rows {', '.join(rows)} of sheet {self.pipeline.sheet!r}; "
                "make it unique before numbering a document for it"
            )
        data = DealData(
            deal_id=deal.id,
            customer=v.get("customer"),
            stage=deal.stage,
            stage_label=self.stage_label(deal, self.lang_for(deal)),
            amount=v.get("amount"),
            currency=v.get("currency"),
            owner=v.get("owner"),
            contact=v.get("contact"),
            email=v.get("email"),
            phone=v.get("phone"),
            address=v.get("address"),
            language=v.get("language"),
            notes=v.get("notes"),
            expected_close=v.get("expected_close"),
            extra={
                str(k): ("" if val is None else _text(val))
                for k, val in deal.extra.items()
                if not str(k).strip().startswith(OWNED_COLUMN_PREFIX)  # run's flags, day counts
            },
            headers=dict(deal.layout.header_of),
        )
        self._optional_columns(deal, data, problems)
        return data, problems

    def stage_label(self, deal: Any, lang: str) -> str | None:
        """The deal's stage as a document in ``lang`` names it."""
        if not deal.stage:
            return None
        try:
            stage = self.profile.stage(deal.stage)
        except KeyError:
            return None
        return (stage.label_zh or stage.label) if lang == "zh" else stage.label

    def _optional_columns(self, deal: Any, data: DealData, problems: list[str]) -> None:
        cols = self.settings.deal_columns
        # the deal's other columns, and those the profile maps to fields of its own: b2b reads
        # 折扣 / Discount as its `discount`, and documents must not then miss the discount
        columns = {h: deal.raw_value(f) for f, h in deal.layout.header_of.items()}
        columns.update(deal.extra)
        raw_discount = _extra_value(columns, cols["document_discount"])
        if raw_discount is not None:
            try:
                rate = rate_from(raw_discount, parse_percent(raw_discount, self.ctx))
            except ParseFailure as exc:
                rate = None
                problems.append(f"document discount {json_safe(raw_discount)!r}: {exc}")
            else:
                if rate is None:
                    problems.append(
                        f"document discount {json_safe(raw_discount)!r} is not a rate; "
                        "write it as 5%, 0.05 or 5"
                    )
            data.document_discount = rate
        raw_until = _extra_value(columns, cols["valid_until"])
        if raw_until is not None:
            try:
                data.valid_until = parse_date(raw_until, self.ctx)
            except ParseFailure as exc:
                problems.append(f"valid-until date {json_safe(raw_until)!r}: {exc}")
        tax_id = _extra_value(columns, cols["customer_tax_id"])
        if tax_id is not None:
            data.customer_tax_id = _text(tax_id)

    def lang_for(self, deal: Any) -> str:
        """--lang, else the deal's Language column, else the configured or profile language."""
        if self.lang:
            return self.lang
        from_deal = language_of(deal.values.get("language"))
        if from_deal in LANGUAGES:
            return from_deal
        return self.default_lang()

    def default_lang(self) -> str:
        """The team's document language: the configured one, else the profile's, else en."""
        if self.settings.default_language:
            return self.settings.default_language
        profile_lang = language_of(self.profile.locale)
        return profile_lang if profile_lang in LANGUAGES else "en"

    def locale_for(self, lang: str) -> str:
        if language_of(self.profile.locale) == lang:
            return self.profile.locale
        return self.settings.locales.get(lang, "en_US")

    def currency_for(self, deal: Any, data: DealData) -> str | None:
        header = deal.layout.currency_of.get("amount")  # Amount (USD): the amount's own
        cur = header or data.currency or deal.values.get("amount_currency_mark")
        if cur:
            return currency_code(str(cur), "")
        return self.profile.currency
