"""Properties checked on generated input (Hypothesis; issue 12).

1. Money and dates round-trip through formatting in each locale the shipped profiles, templates
   and README use (zh_CN, en_US, de_DE): what a document prints, typed back into the sheet,
   reads as the same amount (after the one rounding) and the same date.
2. For random workbooks, ``run`` changes nothing it does not own: every zip part other than its
   two sheets and the workbook's lists of parts is byte for byte what it was, the workbook's
   lists differ only by the entries for its sheets, and the pipeline sheet's XML differs only by
   the cells of its two flag columns (and the used range and row spans that grew to hold them).

Example counts are small (the whole file runs in well under a minute); ``HYPOTHESIS_PROFILE``
is not read: each test states its own settings.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salessheet import api
from salessheet.core.formatting import format_date, format_money
from salessheet.core.money import round_money
from salessheet.core.owned import OWNED_SHEETS
from salessheet.settings.profile import load_profile
from salessheet.sheet.parsing import ParseContext, parse_date, parse_money

# --------------------------------------------------------------------------- money and dates

# The locales: zh_CN (the shipped profiles, Chinese documents), en_US (the example configs,
# English documents), de_DE (the README's `1.234,50 €`). The currencies each can be written in
# unambiguously: a bare ¥ means the yuan to the parser, so the yen is left out where Babel
# writes it as ¥ (en_US, de_DE); zh_CN writes it JP¥.
MONEY = [
    ("zh_CN", ["CNY", "USD", "EUR", "GBP", "HKD", "JPY"]),
    ("en_US", ["CNY", "USD", "EUR", "GBP", "HKD"]),
    ("de_DE", ["CNY", "USD", "EUR", "GBP", "HKD"]),
]
amounts = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=4, allow_nan=False
)


@pytest.mark.parametrize(("locale", "currencies"), MONEY, ids=[m[0] for m in MONEY])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_money_a_document_prints_reads_back_as_the_same_amount(
    locale: str, currencies: list[str], data: st.DataObject
) -> None:
    amount = data.draw(amounts, label="amount")
    currency = data.draw(st.sampled_from(currencies), label="currency")
    printed = format_money(amount, currency, locale)
    value, mark = parse_money(printed, ParseContext(locale=locale, currency=currency))
    assert value == round_money(amount, currency), printed
    assert mark == currency, printed


# (locale, Babel style, the strptime format a config declares for it). The zh_CN formats are
# those the shipped profiles declare; the others are what a config for that locale would add.
B2B_FORMATS = list(load_profile("b2b").date_formats)
DATES = [
    ("zh_CN", "long", B2B_FORMATS),  # 2026年11月8日: what Chinese documents print
    ("zh_CN", "medium", B2B_FORMATS),
    ("zh_CN", "short", B2B_FORMATS),  # 2026/11/8
    ("en_US", "long", ["%Y-%m-%d", "%B %d, %Y"]),  # November 8, 2026: English documents
    ("en_US", "medium", ["%Y-%m-%d", "%b %d, %Y"]),  # Nov 8, 2026
    ("de_DE", "medium", ["%Y-%m-%d", "%d.%m.%Y"]),  # 08.11.2026
]
# Four-digit years (strptime's %Y), the span of dates a pipeline holds and more
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))


@pytest.mark.parametrize(("locale", "style", "formats"), DATES,
                         ids=[f"{d[0]}-{d[1]}" for d in DATES])  # fmt: skip
@settings(max_examples=60, deadline=None)
@given(day=dates)
def test_dates_a_document_prints_read_back_as_the_same_date(
    locale: str, style: str, formats: list[str], day: dt.date
) -> None:
    printed = format_date(day, locale, style)
    assert parse_date(printed, ParseContext(locale=locale, date_formats=formats)) == day, printed


def test_the_shipped_profiles_read_back_what_chinese_documents_print() -> None:
    """The zh_CN rows above use the formats every shipped profile declares."""
    for name in ("b2b", "b2c", "lite"):
        profile = load_profile(name)
        assert profile.locale == "zh_CN"
        ctx = ParseContext.from_profile(profile)
        day = dt.date(2026, 11, 8)
        assert parse_date(format_date(day, "zh_CN", "long"), ctx) == day
        assert parse_money(format_money(Decimal("1234.5"), "CNY", "zh_CN"), ctx) == (
            Decimal("1234.50"),
            "CNY",
        )


# --------------------------------------------------------------------------- random workbooks

TODAY = dt.date(2026, 11, 28)
HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close"]
STAGES = ["lead", "opportunity", "follow_up", "negotiation", "contract", "客户开发", "nonsense"]
OWNED = set(OWNED_SHEETS)
BOOKKEEPING = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
FLAG_HEADERS = ("⚑ salessheet: flags", "⚑ salessheet: days in stage")

texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12
).filter(lambda t: t.strip() == t)  # openpyxl keeps text as is; leading spaces need care
values = st.one_of(
    st.none(),
    texts,
    st.sampled_from(["=cmd|' /C calc'!A0", "@SUM(A1)", "+1", "'quoted", "客户", "<b>&amp;"]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2150, 1, 1)),
)
sheet_names = st.text(alphabet="ABCxyz 客户表_-1", min_size=1, max_size=12).filter(
    lambda n: n.strip() == n and n.casefold() not in {"pipeline", *OWNED}
)


@st.composite
def workbooks(draw: st.DrawFn) -> dict:
    """What to build: the pipeline (deals, extra user columns, a title row), other sheets,
    and the odd parts (styles, merges, formulas with cached values, a comment, an image,
    a chart, data validation, a defined name, a hidden sheet)."""
    n = draw(st.integers(min_value=1, max_value=6))
    deals = [
        [
            f"D-{i}",
            draw(texts),
            draw(st.sampled_from(STAGES)),
            draw(st.integers(min_value=0, max_value=10**7)),
            draw(st.sampled_from(["Ann", "Bob", "张伟"])),
            draw(st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 31))),
        ]
        for i in range(1, n + 1)
    ]
    extra = draw(
        st.lists(st.sampled_from(["Region", "Colour", "Zone 区"]), max_size=2, unique=True)
    )
    others = draw(
        st.lists(
            st.tuples(
                sheet_names,
                st.lists(st.lists(values, min_size=1, max_size=5), min_size=0, max_size=5),
            ),
            max_size=2,
            unique_by=lambda s: s[0].casefold(),
        )
    )
    return {
        "title": draw(st.booleans()),
        "deals": deals,
        "extra": [(h, [draw(values) for _ in deals]) for h in extra],
        "formula": draw(st.booleans()),
        "others": others,
        "bold": draw(st.lists(st.integers(0, 30), max_size=4)),
        "merge": draw(st.booleans()),
        "comment": draw(st.booleans()),
        "image": draw(st.booleans()),
        "chart": draw(st.booleans()),
        "validation": draw(st.booleans()),
        "defined_name": draw(st.booleans()),
        "hidden": draw(st.booleans()),
    }


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 90, 200)).save(buf, format="PNG")
    return buf.getvalue()


def build(spec: dict, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font, PatternFill
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    if spec["title"]:
        ws.append(["Sales pipeline 销售管道"])
    header = HEADER + [h for h, _ in spec["extra"]] + (["Double"] if spec["formula"] else [])
    ws.append(header)
    top = ws.max_row
    for i, deal in enumerate(spec["deals"]):
        row = deal + [col[i] for _, col in spec["extra"]]
        if spec["formula"]:
            row.append(f"=D{top + 1 + i}*2")
        ws.append(row)
        ws.cell(top + 1 + i, 6).number_format = "yyyy-mm-dd"
        ws.cell(top + 1 + i, 4).number_format = "#,##0.00"
    cells = [c for row in ws.iter_rows() for c in row]
    for k in spec["bold"]:
        cell = cells[k % len(cells)]
        cell.font = Font(bold=True, color="FF0000")
        cell.fill = PatternFill("solid", fgColor="FFFF00")
    ws.column_dimensions["B"].width = 30
    ws.freeze_panes = ws.cell(top + 1, 1)
    if spec["comment"]:
        ws.cell(top, 2).comment = Comment("whose customer?", "Ann")
    if spec["validation"]:
        dv = DataValidation(type="list", formula1='"lead,opportunity,negotiation"')
        dv.add(f"C{top + 1}:C{top + len(spec['deals'])}")
        ws.add_data_validation(dv)
    if spec["image"]:
        ws.add_image(Image(io.BytesIO(_png())), "K2")
    if spec["chart"]:
        chart = BarChart()
        chart.add_data(
            Reference(ws, min_col=4, min_row=top, max_row=ws.max_row), titles_from_data=True
        )
        ws.add_chart(chart, "K10")
    if spec["defined_name"]:
        wb.defined_names["Amounts"] = DefinedName(
            "Amounts", attr_text=f"Pipeline!$D${top + 1}:$D$99"
        )
    for name, rows in spec["others"]:
        other = wb.create_sheet(name)
        for row in rows:
            other.append(row)
        other["H1"] = "=SUM(1,2)"
        if spec["merge"]:
            other.merge_cells("J1:L2")
            other["J1"] = "merged"
        if spec["hidden"]:
            other.sheet_state = "hidden"
    wb.save(path)
    _cache_formulas(path)
    return path


def test_the_generated_workbooks_hold_every_odd_part(tmp_path: Path) -> None:
    """What the property below runs on, with every feature switched on: a guard against a
    generator that silently stopped producing them."""
    spec = {
        "title": True,
        "deals": [["D-1", "Acme", "lead", 10, "Ann", dt.date(2026, 1, 1)]],
        "extra": [("Region", ["x"])],
        "formula": True,
        "others": [("客户表", [[1, "=cmd", dt.date(2020, 1, 1)]])],  # =cmd: a formula too
        "bold": [1],
        **dict.fromkeys(
            ["merge", "comment", "image", "chart", "validation", "defined_name", "hidden"], True
        ),
    }
    p = parts(build(spec, tmp_path / "all.xlsx"))
    for part in ("xl/charts/chart1.xml", "xl/comments/comment1.xml", "xl/media/image1.png",
                 "xl/drawings/drawing1.xml", "xl/drawings/commentsDrawing1.vml"):  # fmt: skip
        assert part in p
    sheets = b"".join(v for k, v in p.items() if k.startswith("xl/worksheets/sheet"))
    assert sheets.count(b"<v>42</v>") == 3 and b"<mergeCell " in sheets
    assert b"<dataValidation " in sheets and b'state="hidden"' in p["xl/workbook.xml"]


def _cache_formulas(path: Path) -> None:
    """Give every formula a cached value, as Excel saves them (openpyxl writes none)."""
    with zipfile.ZipFile(path) as zf:
        items = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"<f>([^<]*)</f>(?:<v\s*/>|<v></v>)?", rb"<f>\1</f><v>42</v>", data)
            zf.writestr(info, data)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _sheet_parts(p: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its zip part, resolved through the workbook's relationships."""
    wb = p["xl/workbook.xml"].decode()
    rels = p["xl/_rels/workbook.xml.rels"].decode()
    out = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", wb):
        name = re.search(r'name="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        name = name.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        rid = re.search(r':id="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        rel = re.search(r'<Relationship\b[^>]*Id="' + rid + r'"[^>]*>', rels).group(0)  # type: ignore[union-attr]
        target = re.search(r'Target="([^"]*)"', rel).group(1)  # type: ignore[union-attr]
        out[name] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return out


def _without(xml: str, pattern: str) -> str:
    return re.sub(pattern, "", xml)


def _pipeline_without_flags(xml: str) -> str:
    """The pipeline sheet with the tool's flag columns' cells removed, and the used range and
    row spans (which grew to hold them) set aside."""
    header = [m for m in re.finditer(r'<c r="([A-Z]+)(\d+)"[^>]*t="inlineStr"[^>]*><is><t[^>]*>'
                                     r"([^<]*)</t></is></c>", xml)
              if m.group(3) in FLAG_HEADERS]  # fmt: skip
    for m in header:
        xml = _without(xml, rf'<c r="{m.group(1)}\d+"[^>]*?(?:/>|>.*?</c>)')
    xml = _without(xml, r"<dimension [^>]*/>")
    return _without(xml, r' spans="[^"]*"')


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spec=workbooks())
def test_run_leaves_every_part_it_does_not_own_byte_identical(tmp_path: Path, spec: dict) -> None:
    path = build(spec, tmp_path / f"p{abs(hash(repr(spec))) % 10**8}.xlsx")
    before = parts(path)
    report = api.run(path, today=TODAY)
    after = parts(path)
    written = report.extra["written"]
    assert written["sheets"], written  # a first run writes its sheets
    sheets = _sheet_parts(after)
    owned = {sheets[name] for name in OWNED if name in sheets}
    pipeline = sheets["Pipeline"]
    assert set(before) <= set(after) and set(after) - set(before) == owned
    for name, data in before.items():
        if name not in BOOKKEEPING | {pipeline}:
            assert after[name] == data, f"{name} changed"
    # the lists of parts: only the entries of the tool's sheets (and their marks) were added
    owned_names = "|".join(re.escape(n) for n in OWNED)
    strip = {
        "xl/workbook.xml": [
            rf'<(?:\w+:)?sheet name="(?:{owned_names})"[^>]*/>',
            r'<(?:\w+:)?definedName name="_salessheet\.owned\.[^"]*"[^>]*>[^<]*'
            r"</(?:\w+:)?definedName>",
            r"<(?:\w+:)?definedNames\s*/>|<(?:\w+:)?definedNames></(?:\w+:)?definedNames>",
        ],
        "xl/_rels/workbook.xml.rels": [
            r'<Relationship\b[^>]*Target="[^"]*(?:'
            + "|".join(re.escape(p.split("/")[-1]) for p in owned)
            + r')"[^>]*/>'
        ],
        "[Content_Types].xml": [
            r'<Override PartName="/(?:' + "|".join(re.escape(p) for p in owned) + r')"[^>]*/>'
        ],
    }
    for name, patterns in strip.items():
        old_xml, new_xml = before[name].decode(), after[name].decode()
        for pattern in patterns:
            old_xml, new_xml = _without(old_xml, pattern), _without(new_xml, pattern)
        assert new_xml == old_xml, name
    # the pipeline sheet: the same XML but for the flag columns
    old, new = before[pipeline].decode(), after[pipeline].decode()
    assert _pipeline_without_flags(new) == _pipeline_without_flags(old)
    assert all(h in new for h in FLAG_HEADERS)
