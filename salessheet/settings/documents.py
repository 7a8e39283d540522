"""The ``documents:`` section of a profile: seller, terms, tax, numbering, stages, templates.

``parse_document_settings(raw, where)`` returns the settings and a list of problems, each naming
the key path (``config/b2b.yaml: documents.seller.name``), what was found and what was expected.
An absent section gives defaults that work: numbered quotes and contracts with the bundled
English and Chinese templates.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from salessheet.core.formatting import is_known_locale

TAX_MODES = ("exclusive", "inclusive")

KINDS = ("quote", "contract")
RECONCILE_AGAINST = ("lines", "total", "net")
FORMATS = ("html", "docx", "pdf")
LANGUAGES = ("en", "zh")
REGISTER_SHEET = "salessheet documents"
REGISTER_HEADER = [
    "number",
    "revision",
    "deal id",
    "kind",
    "issue date",
    "valid until",
    "currency",
    "subtotal",
    "tax",
    "total",
    "input hash",
    "file",
]

# field -> (type, aliases). The first alias is the header `salessheet init` would write.
LINE_ITEM_COLUMNS: dict[str, tuple[str, list[str]]] = {
    "deal_id": (
        "id",
        ["Deal ID", "Deal", "Opportunity ID", "商机编号", "商机ID", "机会编号", "项目编号"],
    ),
    "sku": ("text", ["SKU", "Product code", "Item code", "Part number", "产品编号", "物料编码"]),
    "product": ("text", ["Product", "Item", "Product name", "产品", "产品名称", "品名", "名称"]),
    "description": ("text", ["Description", "Details", "Specification", "描述", "说明", "规格"]),
    "quantity": ("number", ["Quantity", "Qty", "数量"]),
    "unit": ("text", ["Unit", "UoM", "单位"]),
    "unit_price": ("money", ["Unit price", "Price", "Rate", "单价", "含税单价"]),
    "discount": ("percent", ["Discount", "Discount %", "Line discount", "折扣", "折扣率"]),
    "tax_rate": ("percent", ["Tax rate", "VAT", "VAT rate", "Tax", "税率", "增值税率"]),
    "currency": ("text", ["Currency", "币种", "货币"]),
}
PRODUCT_COLUMNS: dict[str, tuple[str, list[str]]] = {
    "sku": ("id", ["SKU", "Product code", "Item code", "Part number", "产品编号", "物料编码"]),
    "product": ("text", ["Product", "Product name", "Name", "产品", "产品名称", "品名", "名称"]),
    "description": ("text", ["Description", "Details", "Specification", "描述", "说明", "规格"]),
    "unit": ("text", ["Unit", "UoM", "单位"]),
    "unit_price": ("money", ["Unit price", "Price", "List price", "单价", "含税单价", "价格"]),
    "tax_rate": ("percent", ["Tax rate", "VAT", "VAT rate", "税率", "增值税率"]),
    "currency": ("text", ["Currency", "币种", "货币"]),
}
# Extra deal columns documents read when present (found among the deal's unmapped columns).
DEAL_EXTRA_COLUMNS: dict[str, list[str]] = {
    "document_discount": ["Document discount", "Discount", "Overall discount", "整单折扣", "折扣"],
    "valid_until": ["Valid until", "Quote valid until", "Validity", "有效期至", "报价有效期"],
    "customer_tax_id": ["Customer tax ID", "Tax ID", "VAT number", "纳税人识别号", "税号"],
}
FIELDS_REQUIRED_BY_DEFAULT = {
    "quote": ["customer", "currency"],
    "contract": ["customer", "currency", "contact"],
}
DEFAULT_STAGES = {
    "quote": {"from": "opportunity", "to": "negotiation"},
    "contract": {"from": "negotiation"},
}
DEFAULT_NUMBERING = {"quote": "Q-{year}-{seq:04d}", "contract": "HT-{year}-{seq:04d}"}
NUMBER_FIELDS = {"year", "yy", "month", "seq"}
DEAL_FIELDS = [
    "deal_id",
    "customer",
    "stage",
    "amount",
    "currency",
    "owner",
    "expected_close",
    "last_activity",
    "stage_date",
    "lost_reason",
    "probability",
    "contact",
    "email",
    "phone",
    "address",
    "language",
    "notes",
]


@dataclass(frozen=True)
class Seller:
    name: str = "Your Company Ltd."
    name_zh: str | None = None
    address: str | None = None
    address_zh: str | None = None
    tax_id: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    bank_swift: str | None = None
    signatory: str | None = None
    logo: Path | None = None


@dataclass(frozen=True)
class StageRule:
    """Which stages allow a document: an explicit list, or a range in the profile's order."""

    stages: tuple[str, ...] = ()
    first: str | None = None
    last: str | None = None


@dataclass(frozen=True)
class KindSettings:
    kind: str
    numbering: str
    stages: StageRule
    required: tuple[str, ...]
    templates: dict[str, dict[str, Path]]  # lang -> {"html": path, "docx": path}


@dataclass(frozen=True)
class DocumentSettings:
    seller: Seller = field(default_factory=Seller)
    validity_days: int = 30
    payment_terms: dict[str, str] = field(default_factory=dict)  # lang -> text
    tax_mode: str = "exclusive"
    default_tax_rate: Decimal = Decimal(0)
    reconcile_tolerance: Decimal = Decimal(0)
    # what the deal amount is compared with: "lines" (sum of line totals less the document
    # discount: net for tax-exclusive prices, gross for tax-inclusive), "total" or "net"
    reconcile_with: str = "lines"
    default_language: str | None = None  # None: the profile locale's language
    locales: dict[str, str] = field(default_factory=lambda: {"en": "en_US", "zh": "zh_CN"})
    kinds: dict[str, KindSettings] = field(default_factory=dict)
    line_items_sheet: str = "Line Items"
    products_sheet: str = "Products"
    line_item_columns: dict[str, tuple[str, list[str]]] = field(
        default_factory=lambda: {k: (t, list(a)) for k, (t, a) in LINE_ITEM_COLUMNS.items()}
    )
    product_columns: dict[str, tuple[str, list[str]]] = field(
        default_factory=lambda: {k: (t, list(a)) for k, (t, a) in PRODUCT_COLUMNS.items()}
    )
    deal_columns: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(a) for k, a in DEAL_EXTRA_COLUMNS.items()}
    )

    def kind(self, kind: str) -> KindSettings:
        return self.kinds[kind]


def templates_dir() -> Path:
    """The bundled templates (inside the installed package, else the checkout's templates/)."""
    from salessheet.core.resources import data_dir

    return data_dir("templates")


def default_templates(kind: str) -> dict[str, dict[str, Path]]:
    base = templates_dir()
    return {
        lang: {fmt: base / f"{kind}.{lang}.{fmt}" for fmt in ("html", "docx")} for lang in LANGUAGES
    }


def default_settings() -> DocumentSettings:
    settings, _ = parse_document_settings(None, "defaults")
    return settings


def number_pattern_problem(pattern: Any) -> str | None:
    """None if the numbering pattern is usable, else what is wrong with it."""
    if not isinstance(pattern, str) or not pattern.strip():
        return f"found {pattern!r}, expected a text pattern such as 'Q-{{year}}-{{seq:04d}}'"
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        return f"found {pattern!r}, which is not a valid pattern ({exc})"
    names = [name for _, name, _, _ in parsed if name is not None]
    literal = "".join(text for text, _, _, _ in parsed)
    unknown = [n for n in names if n not in NUMBER_FIELDS]
    if unknown:
        return (
            f"found {pattern!r} with unknown field(s) {', '.join(repr(u) for u in unknown)}, "
            f"expected only {{year}}, {{yy}}, {{month}} and {{seq}}"
        )
    if names.count("seq") != 1:
        return f"found {pattern!r}, expected exactly one {{seq}} (e.g. {{seq:04d}})"
    if any(ch in literal for ch in '/\\:*?"<>|') or ".." in literal:
        return f'found {pattern!r}, expected no path characters (/ \\ : * ? " < > | ..)'
    try:
        pattern.format(year=2026, yy=26, month=11, seq=7)
    except (ValueError, KeyError, IndexError) as exc:
        return f"found {pattern!r}, which does not format ({exc})"
    return None


class _Parser:
    def __init__(self, where: str, base_dir: Path | None, stage_ids: list[str] | None):
        self.where = where
        self.base_dir = base_dir
        self.stage_ids = stage_ids
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{self.where}: documents.{path.strip('.')}: {message}")

    def mapping(self, raw: Any, path: str) -> dict:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem(path, f"found {type(raw).__name__} {raw!r}, expected a mapping")
            return {}
        return raw

    def unknown_keys(self, raw: dict, path: str, allowed: set[str]) -> None:
        for key in raw:
            if key not in allowed:
                self.problem(
                    f"{path}.{key}" if path else str(key),
                    f"unknown key, expected one of {', '.join(sorted(allowed))}",
                )

    def text(self, raw: dict, key: str, path: str, default: str | None) -> str | None:
        value = raw.get(key, default)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # a tax id or account number YAML read as a number
        if not isinstance(value, str):
            self.problem(f"{path}.{key}", f"found {value!r}, expected text")
            return default
        return value.strip() or None

    def decimal(self, raw: dict, key: str, path: str, default: Decimal, *, rate: bool) -> Decimal:
        value = raw.get(key)
        if value is None:
            return default
        text = str(value).strip()
        percent = text.endswith("%")
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            number = Decimal(text.rstrip("%").strip())
        except InvalidOperation:
            self.problem(f"{path}.{key}", f"found {value!r}, expected a number")
            return default
        if percent:
            number = number / 100
        if rate and not (0 <= number < 1):
            self.problem(
                f"{path}.{key}",
                f"found {value!r}, expected a fraction from 0 to below 1 (0.13 or '13%')",
            )
            return default
        if not rate and number < 0:
            self.problem(f"{path}.{key}", f"found {value!r}, expected zero or more")
            return default
        return number

    def path(self, value: Any, path: str) -> Path | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"found {value!r}, expected a file path")
            return None
        p = Path(value).expanduser()
        if not p.is_absolute() and self.base_dir is not None:
            p = self.base_dir / p
        if not p.exists():
            self.problem(path, f"file {str(p)!r} does not exist")
        return p

    def stage(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"found {value!r}, expected a stage id")
            return None
        if self.stage_ids is not None and value not in self.stage_ids:
            self.problem(
                path,
                f"found {value!r}, expected one of the profile's stages: "
                f"{', '.join(self.stage_ids)}",
            )
        return value


def parse_document_settings(
    raw: dict | None,
    where: str,
    *,
    base_dir: Path | None = None,
    stage_ids: list[str] | None = None,
) -> tuple[DocumentSettings, list[str]]:
    """Parse the ``documents:`` mapping of a profile.

    ``where`` names the file in messages; ``base_dir`` resolves relative template and logo
    paths (the profile's folder); ``stage_ids`` (the profile's stages, in order) lets stage
    names be checked here.
    """
    p = _Parser(where, base_dir, stage_ids)
    if raw is not None and not isinstance(raw, dict):
        p.problems.append(f"{where}: documents: found {raw!r}, expected a mapping")
        raw = None
    raw = raw or {}
    p.unknown_keys(
        raw,
        "",
        {
            "seller",
            "validity_days",
            "payment_terms",
            "tax_mode",
            "default_tax_rate",
            "reconcile",
            "default_language",
            "locales",
            "quote",
            "contract",
            "line_items",
            "products",
            "deal_columns",
        },
    )
    seller = _seller(p, p.mapping(raw.get("seller"), "seller"))

    validity = raw.get("validity_days", 30)
    if isinstance(validity, bool) or not isinstance(validity, int) or validity < 0:
        p.problem("validity_days", f"found {validity!r}, expected a whole number of days >= 0")
        validity = 30

    terms_raw = raw.get("payment_terms")
    terms: dict[str, str] = {}
    if isinstance(terms_raw, str):
        terms = {lang: terms_raw for lang in LANGUAGES}
    elif isinstance(terms_raw, dict):
        for lang, text in terms_raw.items():
            if not isinstance(text, str):
                p.problem(f"payment_terms.{lang}", f"found {text!r}, expected text")
            else:
                terms[str(lang)] = text.strip()
    elif terms_raw is not None:
        p.problem("payment_terms", f"found {terms_raw!r}, expected text or {{en: ..., zh: ...}}")

    tax_mode = raw.get("tax_mode", "exclusive")
    if tax_mode not in TAX_MODES:
        p.problem("tax_mode", f"found {tax_mode!r}, expected 'exclusive' or 'inclusive' (含税价)")
        tax_mode = "exclusive"
    default_rate = p.decimal(raw, "default_tax_rate", "", Decimal(0), rate=True)

    rec = p.mapping(raw.get("reconcile"), "reconcile")
    p.unknown_keys(rec, "reconcile", {"tolerance", "against"})
    tolerance = p.decimal(rec, "tolerance", "reconcile", Decimal(0), rate=False)
    against = rec.get("against", "lines")
    if against not in RECONCILE_AGAINST:
        p.problem(
            "reconcile.against",
            f"found {against!r}, expected one of {', '.join(RECONCILE_AGAINST)}",
        )
        against = "lines"

    default_language = raw.get("default_language")
    if default_language is not None and default_language not in LANGUAGES:
        p.problem("default_language", f"found {default_language!r}, expected 'en' or 'zh'")
        default_language = None

    locales = {"en": "en_US", "zh": "zh_CN"}
    for lang, loc in p.mapping(raw.get("locales"), "locales").items():
        if not isinstance(loc, str) or not is_known_locale(loc):
            p.problem(f"locales.{lang}", f"found {loc!r}, expected a locale such as 'en_GB'")
        else:
            locales[str(lang)] = loc

    kinds = {kind: _kind(p, kind, p.mapping(raw.get(kind), kind)) for kind in KINDS}

    li = p.mapping(raw.get("line_items"), "line_items")
    p.unknown_keys(li, "line_items", {"sheet", "columns"})
    li_sheet = p.text(li, "sheet", "line_items", "Line Items") or "Line Items"
    li_cols = _columns(p, li.get("columns"), "line_items.columns", LINE_ITEM_COLUMNS)
    pr = p.mapping(raw.get("products"), "products")
    p.unknown_keys(pr, "products", {"sheet", "columns"})
    pr_sheet = p.text(pr, "sheet", "products", "Products") or "Products"
    pr_cols = _columns(p, pr.get("columns"), "products.columns", PRODUCT_COLUMNS)
    deal_cols = {k: list(a) for k, a in DEAL_EXTRA_COLUMNS.items()}
    for key, aliases in p.mapping(raw.get("deal_columns"), "deal_columns").items():
        if key not in deal_cols:
            p.problem(f"deal_columns.{key}", f"unknown field, expected one of {sorted(deal_cols)}")
        elif not _is_text_list(aliases):
            p.problem(f"deal_columns.{key}", f"found {aliases!r}, expected a list of headers")
        else:
            deal_cols[key] = list(aliases) + deal_cols[key]

    settings = DocumentSettings(
        seller=seller,
        validity_days=validity,
        payment_terms=terms,
        tax_mode=tax_mode,
        default_tax_rate=default_rate,
        reconcile_tolerance=tolerance,
        reconcile_with=against,
        default_language=default_language,
        locales=locales,
        kinds=kinds,
        line_items_sheet=li_sheet,
        products_sheet=pr_sheet,
        line_item_columns=li_cols,
        product_columns=pr_cols,
        deal_columns=deal_cols,
    )
    return settings, p.problems


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _seller(p: _Parser, raw: dict) -> Seller:
    keys = [f for f in Seller.__dataclass_fields__ if f != "logo"]
    p.unknown_keys(raw, "seller", set(keys) | {"logo"})
    values = {k: p.text(raw, k, "seller", getattr(Seller, k, None)) for k in keys}
    if not values["name"]:
        p.problem("seller.name", "found nothing, expected the seller's company name")
        values["name"] = Seller.name
    return Seller(**values, logo=p.path(raw.get("logo"), "seller.logo"))


def _kind(p: _Parser, kind: str, raw: dict) -> KindSettings:
    p.unknown_keys(raw, kind, {"numbering", "stages", "required", "templates"})
    numbering = raw.get("numbering", DEFAULT_NUMBERING[kind])
    problem = number_pattern_problem(numbering)
    if problem:
        p.problem(f"{kind}.numbering", problem)
        numbering = DEFAULT_NUMBERING[kind]

    stages_raw = raw.get("stages", DEFAULT_STAGES[kind])
    rule = StageRule()
    if isinstance(stages_raw, list):
        ids = [p.stage(s, f"{kind}.stages[{i}]") for i, s in enumerate(stages_raw)]
        rule = StageRule(stages=tuple(s for s in ids if s))
    elif isinstance(stages_raw, dict) and set(stages_raw) <= {"from", "to"} and stages_raw:
        explicit = "stages" in raw
        first = stages_raw.get("from")
        last = stages_raw.get("to")
        if explicit:
            first = p.stage(first, f"{kind}.stages.from") if first is not None else None
            last = p.stage(last, f"{kind}.stages.to") if last is not None else None
        rule = StageRule(first=first, last=last)
    else:
        p.problem(
            f"{kind}.stages",
            f"found {stages_raw!r}, expected a list of stage ids or {{from: STAGE, to: STAGE}}",
        )

    required = raw.get("required", FIELDS_REQUIRED_BY_DEFAULT[kind])
    if not isinstance(required, list) or any(r not in DEAL_FIELDS for r in required):
        p.problem(
            f"{kind}.required",
            f"found {required!r}, expected a list of deal fields from: {', '.join(DEAL_FIELDS)}",
        )
        required = FIELDS_REQUIRED_BY_DEFAULT[kind]

    templates = default_templates(kind)
    for lang, per_format in p.mapping(raw.get("templates"), f"{kind}.templates").items():
        for fmt, value in p.mapping(per_format, f"{kind}.templates.{lang}").items():
            if fmt not in ("html", "docx"):
                p.problem(f"{kind}.templates.{lang}.{fmt}", "unknown format, expected html, docx")
                continue
            path = p.path(value, f"{kind}.templates.{lang}.{fmt}")
            if path is not None:
                templates.setdefault(str(lang), {})[fmt] = path
    return KindSettings(kind, numbering, rule, tuple(required), templates)


def _columns(
    p: _Parser, raw: Any, path: str, defaults: dict[str, tuple[str, list[str]]]
) -> dict[str, tuple[str, list[str]]]:
    columns = {k: (t, list(a)) for k, (t, a) in defaults.items()}
    for key, aliases in p.mapping(raw, path).items():
        if key not in columns:
            p.problem(f"{path}.{key}", f"unknown field, expected one of {', '.join(columns)}")
        elif isinstance(aliases, str) and aliases.strip():
            columns[key] = (columns[key][0], [aliases] + columns[key][1])
        elif _is_text_list(aliases):
            columns[key] = (columns[key][0], list(aliases) + columns[key][1])
        else:
            p.problem(f"{path}.{key}", f"found {aliases!r}, expected a list of header names")
    return columns
