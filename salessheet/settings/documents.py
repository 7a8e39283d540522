"""The ``documents:`` section of a profile: seller, terms, tax, numbering, stages, templates.

``DocumentsModel`` is the section as written (validated with the rest of the profile, see
salessheet.settings.base); ``build_documents`` turns it into the ``DocumentSettings`` the
documents layer uses. ``parse_document_settings(raw, where)`` does both for a section on its own
and returns the settings and a list of problems, each naming the key path
(``config/b2b.yaml: documents.seller.name``), what was found and what was expected. An absent
section gives defaults that work: numbered quotes and contracts with the bundled English and
Chinese templates.
"""

import string
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
)
from pydantic.json_schema import WithJsonSchema

from salessheet.settings.base import (
    ConfigModel,
    Expect,
    Metadata,
    checked,
    choice,
    item,
    near,
    problem,
    problems,
    text,
)
from salessheet.settings.problems import best_effort

TaxMode = Literal["exclusive", "inclusive"]
TAX_MODES: tuple[str, ...] = get_args(TaxMode)

KINDS = ("quote", "contract")
ReconcileAgainst = Literal["lines", "total", "net"]
RECONCILE_AGAINST: tuple[str, ...] = get_args(ReconcileAgainst)
FORMATS = ("html", "docx", "pdf")
LanguageName = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = get_args(LanguageName)
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
DealField = Literal[
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
DEAL_FIELDS: list[str] = list(get_args(DealField))


# What documents call the tax unless documents.tax_name / tax_name_zh say otherwise (China's).
DEFAULT_TAX_NAMES = {"en": "VAT", "zh": "增值税"}

# The seller names a shipped profile comes with: documents refuse them (preflight).
PLACEHOLDER_SELLER = "Your Company Ltd."
PLACEHOLDER_SELLER_ZH = "贵公司名称"


@dataclass(frozen=True)
class Seller:
    name: str = PLACEHOLDER_SELLER
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
    # the tax's name on documents (sales tax, GST ...), on Chinese ones tax_name_zh (falls back
    # to tax_name); None: DEFAULT_TAX_NAMES
    tax_name: str | None = None
    tax_name_zh: str | None = None
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
    # where the nightly run puts the documents of on_enter actions (None: its default)
    out_dir: Path | None = None

    def kind(self, kind: str) -> KindSettings:
        return self.kinds[kind]

    def tax_names(self) -> dict[str, str]:
        """The tax's name on documents in each language: VAT / 增值税 unless set."""
        zh = self.tax_name_zh or self.tax_name
        return {"en": self.tax_name or DEFAULT_TAX_NAMES["en"], "zh": zh or DEFAULT_TAX_NAMES["zh"]}


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


# ----------------------------------------------------------------------- the section's model


def _optional_text(value: Any) -> Any:
    """Text, or a number YAML read as one (a tax id, an account number); blank is nothing."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return value


def _resolve(value: str, base_dir: Path | None) -> Path:
    p = Path(value).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = base_dir / p
    return p


def _existing(value: str, info: ValidationInfo) -> str:
    p = _resolve(value, (info.context or {}).get("base_dir"))
    if not p.exists():
        raise problem(note=f"file {str(p)!r} does not exist")
    return value


def _short_line(value: str | None) -> str | None:
    if value is not None and (len(value) > 40 or any(c in value for c in "\r\n\t")):
        raise problem(TAX_NAME_EXPECTED + " (at most 40 characters)")
    return value


def _known_stage(value: str, info: ValidationInfo) -> str:
    ids = (info.context or {}).get("stage_ids")
    if ids is not None and value not in ids:
        wanted = f"one of the profile's stages: {', '.join(ids)}"
        raise problems([item(wanted, hint=near(value, ids))])
    return value


def _rate_or_amount(rate: bool) -> Metadata:
    def parse(value: Any) -> Decimal:
        raw = str(value).strip()
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
                raise InvalidOperation
            number = Decimal(raw.rstrip("%").strip())
        except InvalidOperation:
            raise problem("a number") from None
        if raw.endswith("%"):
            number = number / 100
        if rate and not (0 <= number < 1):
            raise problem("a fraction from 0 to below 1 (0.13 or '13%')")
        if not rate and number < 0:
            raise problem("zero or more")
        return number

    schema = {"anyOf": [{"type": "number"}, {"type": "string"}]}
    return (BeforeValidator(parse), WithJsonSchema(schema))


def _numbering(value: str) -> str:
    message = number_pattern_problem(value)
    if message:
        raise problem(note=message)
    return value


def _is_locale(name: str) -> bool:
    from salessheet.core.formatting import is_known_locale  # Babel: only when locales are set

    return is_known_locale(name)


def _to_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


OptionalText = Annotated[str | None, BeforeValidator(_optional_text), Expect("text")]
ExistingFile = Annotated[
    str, BeforeValidator(_optional_text), Expect("a file path"), AfterValidator(_existing)
]
StageRef = Annotated[str, Expect("a stage id"), AfterValidator(_known_stage)]
TAX_NAME_EXPECTED = "the tax's name on documents, one short line: VAT, GST, sales tax, 增值税"
TaxName = Annotated[
    str | None,
    BeforeValidator(_optional_text),
    Expect(TAX_NAME_EXPECTED),
    AfterValidator(_short_line),
]
HeaderList = Annotated[
    list[Annotated[str, *text("a header name")]],
    BeforeValidator(_to_list),
    Expect("a list of header names"),
]


class SellerModel(ConfigModel):
    """Who issues the documents."""

    name: Annotated[str, BeforeValidator(_optional_text), Expect("the seller's company name")] = (
        PLACEHOLDER_SELLER
    )
    name_zh: OptionalText = None
    address: OptionalText = None
    address_zh: OptionalText = None
    tax_id: OptionalText = None
    phone: OptionalText = None
    email: OptionalText = None
    website: OptionalText = None
    bank_name: OptionalText = None
    bank_account: OptionalText = None
    bank_swift: OptionalText = None
    signatory: OptionalText = None
    logo: ExistingFile | None = None


class ReconcileModel(ConfigModel):
    """How the deal amount is compared with the line items."""

    tolerance: Annotated[Decimal, *_rate_or_amount(rate=False)] = Decimal(0)
    against: Annotated[ReconcileAgainst, *choice(RECONCILE_AGAINST)] = "lines"


class StageRange(ConfigModel):
    """Stages from ``from`` to ``to`` (inclusive) in the profile's order."""

    first: StageRef | None = Field(None, alias="from")
    to: StageRef | None = None


def _stages_kind(value: Any) -> str | None:
    return "list" if isinstance(value, list) else "range" if isinstance(value, dict) else None


def _some_range(value: Any) -> Any:
    if isinstance(value, StageRange) and value.first is None and value.to is None:
        raise problem("a list of stage ids or {from: STAGE, to: STAGE}")
    return value


StageRuleField = Annotated[
    Union[Annotated[list[StageRef], Tag("list")], Annotated[StageRange, Tag("range")]],  # noqa: UP007
    Discriminator(_stages_kind),
    Expect("a list of stage ids or {from: STAGE, to: STAGE}"),
    AfterValidator(_some_range),
]


class TemplatePair(ConfigModel):
    """Your own templates for one language (relative to the config file's folder)."""

    unknown_word = "unknown format"

    html: ExistingFile | None = None
    docx: ExistingFile | None = None


class KindModel(ConfigModel):
    """Numbering, allowed stages, required fields and templates of one document kind."""

    numbering: Annotated[
        str, Expect("a text pattern such as 'Q-{year}-{seq:04d}'"), AfterValidator(_numbering)
    ]
    stages: StageRuleField | None = None
    required: (
        Annotated[
            list[Annotated[DealField, *choice(tuple(DEAL_FIELDS))]], Expect("a list of deal fields")
        ]
        | None
    ) = None
    templates: Annotated[
        dict[str, TemplatePair], Expect("a mapping of language → {html, docx}")
    ] = {}


class QuoteModel(KindModel):
    numbering: Annotated[
        str, Expect("a text pattern such as 'Q-{year}-{seq:04d}'"), AfterValidator(_numbering)
    ] = DEFAULT_NUMBERING["quote"]


class ContractModel(KindModel):
    numbering: Annotated[
        str, Expect("a text pattern such as 'HT-{year}-{seq:04d}'"), AfterValidator(_numbering)
    ] = DEFAULT_NUMBERING["contract"]


class _HeaderMap(ConfigModel):
    unknown_word = "unknown field"


# Extra header names for the columns of LINE_ITEM_COLUMNS, PRODUCT_COLUMNS and
# DEAL_EXTRA_COLUMNS: a field each, in the same order.


class LineItemColumns(_HeaderMap):
    deal_id: HeaderList | None = None
    sku: HeaderList | None = None
    product: HeaderList | None = None
    description: HeaderList | None = None
    quantity: HeaderList | None = None
    unit: HeaderList | None = None
    unit_price: HeaderList | None = None
    discount: HeaderList | None = None
    tax_rate: HeaderList | None = None
    currency: HeaderList | None = None


class ProductColumns(_HeaderMap):
    sku: HeaderList | None = None
    product: HeaderList | None = None
    description: HeaderList | None = None
    unit: HeaderList | None = None
    unit_price: HeaderList | None = None
    tax_rate: HeaderList | None = None
    currency: HeaderList | None = None


class DealColumns(_HeaderMap):
    document_discount: HeaderList | None = None
    valid_until: HeaderList | None = None
    customer_tax_id: HeaderList | None = None


class LineItemsModel(ConfigModel):
    """The sheet of line items and extra header names for its columns."""

    sheet: OptionalText = None
    columns: LineItemColumns = LineItemColumns()


class ProductsModel(ConfigModel):
    """The product list and extra header names for its columns."""

    sheet: OptionalText = None
    columns: ProductColumns = ProductColumns()


class DocumentsModel(ConfigModel):
    """Quotes and contracts: seller, terms, tax, numbering, stages, templates."""

    seller: Annotated[SellerModel, Expect("a mapping")] = SellerModel()
    validity_days: Annotated[int, Field(ge=0), Expect("a whole number of days >= 0")] = 30
    payment_terms: Annotated[
        dict[str, str] | None,
        BeforeValidator(lambda v: {lang: v for lang in LANGUAGES} if isinstance(v, str) else v),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string"},
                    {"type": "object", "additionalProperties": {"type": "string"}},
                ]
            }
        ),
        Expect("text or {en: ..., zh: ...}"),
    ] = None
    tax_mode: Annotated[TaxMode, Expect("'exclusive' or 'inclusive' (含税价)")] = "exclusive"
    default_tax_rate: Annotated[Decimal, *_rate_or_amount(rate=True)] = Decimal(0)
    tax_name: TaxName = None
    tax_name_zh: TaxName = None
    reconcile: Annotated[ReconcileModel, Expect("a mapping")] = ReconcileModel()
    default_language: Annotated[LanguageName, Expect("'en' or 'zh'")] | None = None
    locales: Annotated[
        dict[str, Annotated[str, *checked(_is_locale, "a locale such as 'en_GB'")]],
        Expect("a mapping"),
    ] = {}
    quote: Annotated[QuoteModel, Expect("a mapping")] = QuoteModel()
    contract: Annotated[ContractModel, Expect("a mapping")] = ContractModel()
    line_items: Annotated[LineItemsModel, Expect("a mapping")] = LineItemsModel()
    products: Annotated[ProductsModel, Expect("a mapping")] = ProductsModel()
    deal_columns: Annotated[DealColumns, Expect("a mapping")] = DealColumns()
    out_dir: Annotated[
        str | None,
        BeforeValidator(_optional_text),
        Expect("the folder for the documents of on_enter actions (relative to this file)"),
    ] = None


# ------------------------------------------------------------------------ runtime settings


def parse_document_settings(
    raw: dict[str, Any] | None,
    where: str,
    *,
    base_dir: Path | None = None,
    stage_ids: list[str] | None = None,
) -> tuple[DocumentSettings, list[str]]:
    """Parse the ``documents:`` mapping of a profile on its own.

    ``where`` names the file in messages; ``base_dir`` resolves relative template and logo
    paths (the profile's folder); ``stage_ids`` (the profile's stages, in order) lets stage
    names be checked here. Best effort: bad values fall back to their defaults.
    """
    if raw is not None and not isinstance(raw, dict):
        return build_documents(None, base_dir), [
            f"{where}: documents: found {raw!r}, expected a mapping"
        ]
    context = {"base_dir": base_dir, "stage_ids": stage_ids}
    model, found = best_effort(DocumentsModel, raw or {}, context, where, ("documents",))
    return build_documents(model, base_dir), found


def build_documents(m: DocumentsModel | None, base_dir: Path | None) -> DocumentSettings:
    """The settings the documents layer uses, from the validated section (None: defaults)."""
    m = m or DocumentsModel()
    terms = {str(lang): t.strip() for lang, t in (m.payment_terms or {}).items()}
    line_cols = {k: (t, list(a)) for k, (t, a) in LINE_ITEM_COLUMNS.items()}
    for key, aliases in m.line_items.columns:
        if aliases:
            line_cols[key] = (line_cols[key][0], list(aliases) + line_cols[key][1])
    product_cols = {k: (t, list(a)) for k, (t, a) in PRODUCT_COLUMNS.items()}
    for key, aliases in m.products.columns:
        if aliases:
            product_cols[key] = (product_cols[key][0], list(aliases) + product_cols[key][1])
    deal_cols = {k: list(a) for k, a in DEAL_EXTRA_COLUMNS.items()}
    for key, aliases in m.deal_columns:
        if aliases:
            deal_cols[key] = list(aliases) + deal_cols[key]
    seller = m.seller
    names = {k: getattr(seller, k) for k in Seller.__dataclass_fields__ if k != "logo"}
    if names["name_zh"] == PLACEHOLDER_SELLER_ZH and names["name"] != PLACEHOLDER_SELLER:
        # a team that named itself (seller.name) kept the profile's Chinese placeholder: its
        # Chinese documents show that name, rather than being refused for 贵公司名称
        names["name_zh"] = None
    return DocumentSettings(
        seller=Seller(**names, logo=_resolve(seller.logo, base_dir) if seller.logo else None),
        validity_days=m.validity_days,
        payment_terms=terms,
        tax_mode=m.tax_mode,
        default_tax_rate=m.default_tax_rate,
        tax_name=m.tax_name,
        tax_name_zh=m.tax_name_zh,
        reconcile_tolerance=m.reconcile.tolerance,
        reconcile_with=m.reconcile.against,
        default_language=m.default_language,
        locales={"en": "en_US", "zh": "zh_CN", **m.locales},
        kinds={kind: _kind(kind, getattr(m, kind), base_dir) for kind in KINDS},
        line_items_sheet=m.line_items.sheet or "Line Items",
        products_sheet=m.products.sheet or "Products",
        line_item_columns=line_cols,
        product_columns=product_cols,
        deal_columns=deal_cols,
        out_dir=_resolve(m.out_dir, base_dir) if m.out_dir else None,
    )


def _kind(kind: str, m: KindModel, base_dir: Path | None) -> KindSettings:
    if m.stages is None:
        default = DEFAULT_STAGES[kind]
        rule = StageRule(first=default.get("from"), last=default.get("to"))
    elif isinstance(m.stages, StageRange):
        rule = StageRule(first=m.stages.first, last=m.stages.to)
    else:
        rule = StageRule(stages=tuple(m.stages))
    templates = default_templates(kind)
    for lang, pair in m.templates.items():
        for fmt in ("html", "docx"):
            value = getattr(pair, fmt)
            if value is not None:
                templates.setdefault(str(lang), {})[fmt] = _resolve(value, base_dir)
    required = m.required if m.required is not None else FIELDS_REQUIRED_BY_DEFAULT[kind]
    return KindSettings(kind, m.numbering, rule, tuple(required), templates)
