"""Workbooks with the features a no-loss write must keep, built in a tmp folder.

``build_rich_workbook`` makes, with openpyxl, a pipeline sheet holding an Excel table, data
validation, conditional formatting, comments, hyperlinks, defined names, a chart, an image and
formulas, then injects the formulas' cached values into the XML (openpyxl writes none).
``build_xlsm`` adds a VBA project part to it. The corpus helpers point at real files in
``../shared/corpus`` (None when absent).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CORPUS_FILES = {
    "ayusophia": CORPUS / "ayusophia_sales_pipeline_assessment" / "Sales Pipeline.xlsx",
    "jhurley89": CORPUS / "jhurley89_googlesheets_sales_pipeline" / "sales_pipeline (5).xlsx",
}

HEADERS = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Weighted"]
DEALS = [
    ("D-0001", "Acme 有限公司", "lead", 1200, "Alice"),
    ("D-0002", "Beta GmbH", "opportunity", 5400, "Bob"),
    ("D-0003", "Gamma & Sons", "negotiation", 800, "Alice"),
    ("D-0004", '=HYPERLINK("http://x","y")', "contract", 15000, "Chen"),
    ("D-0005", "Delta <Ltd>", "lost", 300, "Bob"),
    ("D-0006", "Epsilon", "follow_up", 2500, "Chen"),
]
WEIGHT = 0.5  # Weighted = Amount * 0.5, a formula whose cached value is injected


def _png() -> bytes:
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.new("RGB", (24, 16), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def build_rich_workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(HEADERS)
    for i, (deal, customer, stage, amount, owner) in enumerate(DEALS, start=2):
        ws.append([deal, None, stage, amount, owner, f"=D{i}*{WEIGHT}"])
        ws.cell(i, 2).value = customer
        ws.cell(i, 2).data_type = "s"  # keep the HYPERLINK-looking name as text
    last = len(DEALS) + 1
    ws.cell(1, 1).font = Font(bold=True)
    ws.cell(2, 4).number_format = "#,##0.00"
    ws.add_table(
        Table(
            displayName="Deals",
            ref=f"A1:F{last}",
            tableStyleInfo=TableStyleInfo(name="TableStyleMedium9", showRowStripes=True),
        )
    )
    dv = DataValidation(type="list", formula1='"lead,opportunity,negotiation,contract,lost"')
    dv.add(f"C2:C{last}")
    ws.add_data_validation(dv)
    ws.conditional_formatting.add(
        f"D2:D{last}",
        CellIsRule(operator="greaterThan", formula=["10000"], fill=PatternFill("solid", "FFC7CE")),
    )
    ws["A2"].comment = Comment("First deal of the quarter", "Alice")
    ws["E3"].hyperlink = "https://example.com/bob"
    wb.defined_names["BigDeal"] = DefinedName("BigDeal", attr_text=f"Pipeline!$D${last - 2}")
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=4, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=last))
    ws.add_chart(chart, "J2")
    img = Image(io.BytesIO(_png()))
    ws.add_image(img, "J20")
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Total"
    notes["B1"] = f"=SUM(Pipeline!D2:D{last})"
    wb.save(path)
    _inject_cached_values(path, last)
    return path


def _inject_cached_values(path: Path, last: int) -> None:
    """Give every formula the cached value Excel would have stored."""
    total = sum(d[3] for d in DEALS)
    with zipfile.ZipFile(path) as zf:
        items = [(info, zf.read(info.filename)) for info in zf.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                for i, deal in enumerate(DEALS, start=2):
                    data = _set_cached(data, f"F{i}", _num(deal[3] * WEIGHT))
            elif info.filename == "xl/worksheets/sheet2.xml":
                data = _set_cached(data, "B1", _num(total))
            zf.writestr(info, data)
    path.write_bytes(out.getvalue())


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _set_cached(xml: bytes, ref: str, value: str) -> bytes:
    pattern = re.compile(
        rb'(<c r="' + ref.encode() + rb'"[^>]*>\s*<f>[^<]*</f>)\s*(<v\s*/>|<v>\s*</v>)?'
    )
    new, n = pattern.subn(lambda m: m.group(1) + b"<v>" + value.encode() + b"</v>", xml, count=1)
    assert n == 1, f"no formula cell {ref}"
    return new


VBA_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8  # synthetic project


def build_xlsm(path: Path) -> Path:
    """The rich workbook as a macro-enabled .xlsm with a (synthetic) VBA project part."""
    src = path.with_name(path.stem + "-src.xlsx")
    build_rich_workbook(src)
    with zipfile.ZipFile(src) as zf:
        items = [(info, zf.read(info.filename)) for info in zf.infolist()]
    src.unlink()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
                data = data.replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"'
                    b"/></Types>",
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                    b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
                )
            zf.writestr(info, data)
        zf.writestr("xl/vbaProject.bin", VBA_BYTES)
    return path


def corpus_file(name: str) -> Path | None:
    path = CORPUS_FILES[name]
    return path if path.exists() else None


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def build_handmade_workbook(
    path: Path,
    rows: list[list[object]],
    *,
    prefix: str = "",
    shared_strings: bool = True,
    references: bool = True,
    sheet_name: str = "Pipeline",
) -> Path:
    """A workbook written by hand the way other producers do it: an optional namespace prefix
    on every element (``x:``), shared strings, and optionally no ``r`` references on rows and
    cells (both are optional in the format)."""
    p = prefix
    decl = f'xmlns:{p[:-1]}="{MAIN_NS}"' if p else f'xmlns="{MAIN_NS}"'
    strings: list[str] = []
    body = []
    for i, row in enumerate(rows, start=1):
        cells = []
        for j, value in enumerate(row, start=1):
            ref = f' r="{chr(64 + j)}{i}"' if references else ""
            if value is None:
                cells.append(f"<{p}c{ref}/>")
            elif isinstance(value, str) and shared_strings:
                strings.append(value)
                cells.append(f'<{p}c{ref} t="s"><{p}v>{len(strings) - 1}</{p}v></{p}c>')
            elif isinstance(value, str):
                cells.append(f'<{p}c{ref} t="inlineStr"><{p}is><{p}t>{value}</{p}t></{p}is></{p}c>')
            else:
                cells.append(f"<{p}c{ref}><{p}v>{value}</{p}v></{p}c>")
        rref = f' r="{i}"' if references else ""
        body.append(f'<{p}row{rref} spans="1:{len(row)}">{"".join(cells)}</{p}row>')
    width = max((len(r) for r in rows), default=1)
    sheet_data = f"<{p}sheetData>{''.join(body)}</{p}sheetData>" if rows else f"<{p}sheetData/>"
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {decl} '
        f'xmlns:r="{REL_NS}"><{p}dimension ref="A1:{chr(64 + width)}{max(len(rows), 1)}"/>'
        f"{sheet_data}</{p}worksheet>"
    )
    sst = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}sst {decl} '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<{p}si><{p}t>{s}</{p}t></{p}si>" for s in strings)
        + f"</{p}sst>"
    )
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
        "</Types>",
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
        f'Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<{p}workbook {decl} xmlns:r="{REL_NS}"><{p}sheets><{p}sheet name="{sheet_name}" '
        f'sheetId="1" r:id="rId1"/></{p}sheets></{p}workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="/xl/worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
        "xl/sharedStrings.xml": sst,
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text.encode("utf-8"))
    return path
