"""Build the bundled DOCX templates (docxtpl tags in a python-docx document).

    python templates/dev/build_docx_templates.py

Writes quote.en.docx, quote.zh.docx, contract.en.docx and contract.zh.docx next to this file.
The variables are the same as the HTML templates' (``salessheet quote --fields`` lists them).
Edit a copy in Word to make your own: keep each ``{{ ... }}`` / ``{%tr ... %}`` tag in one
piece of text (type it in one go, or paste it as plain text). On a document on which no line
is taxed, salessheet leaves out the column showing ``{{ item.tax_rate }}`` (documents/docx.py).
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent.parent
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
MUTED = RGBColor(0x5F, 0x6B, 0x7A)
LATIN_FONT = "Arial"
CJK_FONT = "Microsoft YaHei"

LABELS = {
    "en": {
        "number": {"quote": "Quote no.", "contract": "Contract no."},
        "date": "Date",
        "valid_until": "Valid until",
        "reference": "Deal ref.",
        "tax_id": "Tax ID",
        "customer": {"quote": "Prepared for", "contract": "Buyer"},
        "seller": {"quote": "Your contact", "contract": "Seller"},
        "contact": "Contact",
        "items": ["#", "Item", "Qty", "Unit", "Unit price", "Disc.", "{{ totals.tax_label }}",
                  "Amount"],  # fmt: skip
        "subtotal": "Subtotal{{ ' (incl. ' ~ totals.tax_name ~ ')' if totals.tax_inclusive "
        "and totals.has_tax else '' }}",
        "discount": "Discount ({{ totals.discount_rate }})",
        "tax": "{{ 'incl. ' ~ totals.tax_name if totals.tax_inclusive else totals.tax_label }} "
        "{{ line.rate }}",
        "total": {"quote": "Total", "contract": "Contract price"},
        "currency": "All amounts in {{ totals.currency_name }} ({{ totals.currency }}).",
        "words": "In words (大写): {{ totals.total_in_words }}",
        "intro": {
            "quote": "Dear {{ customer.contact or customer.name }}, thank you for your "
            "interest. We are pleased to quote as follows:",
            "contract": "This sales contract is made between the Buyer and the Seller named "
            "above. The parties agree as follows:",
        },
        "payment": "Payment",
        "validity": "Validity: this quotation is valid until {{ doc.valid_until }}.",
        "bank": ["Beneficiary", "Bank", "Account", "SWIFT"],
        "sign_customer": {"quote": "Accepted by the customer", "contract": "For the Buyer"},
        "sign_seller": {"quote": "For the seller", "contract": "For the Seller"},
        "sign_caption": "Name, signature and date",
        "clauses": [
            ("1. Goods, services and price", None),
            ("2. Payment", "{{ terms.payment }}"),
            (
                "3. Delivery and acceptance",
                "The Seller delivers the goods and services at the time and place agreed by "
                "the parties. The Buyer inspects them within seven working days of receipt; "
                "without written objection in that period they are deemed accepted.",
            ),
            (
                "4. Warranty and support",
                "The Seller warrants that the goods are new and conform to the agreed "
                "specifications, and provides warranty and after-sales support for twelve "
                "months from acceptance.",
            ),
            (
                "5. Liability and disputes",
                "A party in breach of this contract is liable for the resulting loss. The "
                "parties will first seek to settle any dispute amicably; failing that, a "
                "dispute goes to the competent court at the Seller's place of business.",
            ),
            (
                "6. General",
                "This contract is made in two counterparts, one for each party, with equal "
                "legal effect, and takes effect when signed by both parties.",
            ),
        ],
    },
    "zh": {
        "number": {"quote": "报价单号", "contract": "合同编号"},
        "date": {"quote": "报价日期", "contract": "签订日期"},
        "valid_until": "有效期至",
        "reference": "商机编号",
        "tax_id": "税号",
        "customer": {"quote": "客户", "contract": "甲方（买方）"},
        "seller": {"quote": "我方联系人", "contract": "乙方（卖方）"},
        "contact": "联系人",
        "items": ["序号", "产品名称", "数量", "单位", "单价", "折扣", "税率", "金额"],
        "subtotal": "小计{{ '（含税）' if totals.tax_inclusive else '（不含税）' }}",
        "discount": "整单折扣（{{ totals.discount_rate }}）",
        "tax": "{{ '其中' if totals.tax_inclusive else '' }}{{ totals.tax_name }} {{ line.rate }}",
        "total": {"quote": "合计", "contract": "合同总价"},
        "currency": "币种：{{ totals.currency_name }}（{{ totals.currency }}）",
        "words": "合计金额（大写）：{{ totals.total_in_words }}",
        "intro": {
            "quote": "尊敬的{{ customer.contact or customer.name }}：感谢贵司的垂询，"
            "现将报价详列如下：",
            "contract": "甲乙双方根据《中华人民共和国民法典》及相关法律法规，本着平等自愿、"
            "诚实信用的原则，经友好协商，就甲方向乙方购买下列产品及服务事宜达成如下协议：",
        },
        "payment": "付款方式",
        "validity": "报价有效期：本报价有效期至{{ doc.valid_until }}。",
        "bank": ["开户名称", "开户银行", "银行账号", "SWIFT"],
        "sign_customer": {"quote": "客户确认（签字 / 盖章）", "contract": "甲方（盖章）"},
        "sign_seller": {"quote": "报价方（盖章）", "contract": "乙方（盖章）"},
        "sign_caption": "签字、盖章及日期",
        "clauses": [
            ("第一条　产品名称、数量及价款", None),
            ("第二条　付款方式", "{{ terms.payment }}"),
            (
                "第三条　交付与验收",
                "乙方应按双方约定的时间和地点交付产品及服务。甲方应在收货后七个工作日内完成验收；"
                "逾期未提出书面异议的，视为验收合格。",
            ),
            (
                "第四条　质量保证与售后服务",
                "乙方保证所交付产品为全新、合格产品，符合国家标准及双方约定的技术要求，"
                "并提供自验收合格之日起十二个月的质量保证及售后服务。",
            ),
            (
                "第五条　违约责任与争议解决",
                "任何一方违反本合同约定的，应承担相应的违约责任。因本合同引起的争议，双方应友好"
                "协商解决；协商不成的，任何一方可向乙方所在地有管辖权的人民法院提起诉讼。",
            ),
            (
                "第六条　其他",
                "本合同一式两份，甲乙双方各执一份，具有同等法律效力，自双方签字盖章之日起生效。",
            ),
        ],
    },
}


def label(lang: str, key: str, kind: str):
    value = LABELS[lang][key]
    return value[kind] if isinstance(value, dict) else value


def set_fonts(doc: Document) -> None:
    for style_name in ("Normal", "Table Grid"):
        style = doc.styles[style_name]
        style.font.name = LATIN_FONT
        style.font.size = Pt(9)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs"):
            fonts.set(qn(attr), LATIN_FONT)
        fonts.set(qn("w:eastAsia"), CJK_FONT)
    normal = doc.styles["Normal"].paragraph_format
    normal.space_after = Pt(2)
    normal.space_before = Pt(0)
    normal.line_spacing = 1.1


def shade(cell, color: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), color)
    tcpr.append(shd)


def borders(table, *, bottom_only: bool = False, color: str = "D5DCE5") -> None:
    tblpr = table._tbl.tblPr
    b = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        visible = edge == "insideH" or (edge == "bottom") if bottom_only else False
        el.set(qn("w:val"), "single" if visible else "nil")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:color"), color)
        b.append(el)
    tblpr.append(b)


def widths(table, mm: list[float]) -> None:
    """Fixed column widths: the grid (LibreOffice reads it) and every cell (Word reads those)."""
    table.autofit = False
    tblpr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    for col, w in zip(table.columns, mm, strict=False):
        col.width = Mm(w)
    for row in table.rows:
        for cell, w in zip(row.cells, mm, strict=False):
            cell.width = Mm(w)


def para(container, text: str = "", *, bold=False, size=None, color=None, align=None,
         space_after=None):  # fmt: skip
    p = container.add_paragraph() if hasattr(container, "add_paragraph") else container
    if text:
        run = p.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color
    if align is not None:
        p.alignment = align
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    return p


PHONE_EMAIL = "{{{{ [{who}.phone, {who}.email] | select | join('  ·  ') }}}}"


def optional(container, condition: str, text: str, **kw) -> None:
    """A paragraph that is left out when ``condition`` is false (docxtpl {%p if %})."""
    para(container, "{%p if " + condition + " %}", space_after=0)
    para(container, text, **kw)
    para(container, "{%p endif %}", space_after=0)


def cell_text(cell, text: str, **kw):
    p = cell.paragraphs[0]
    return para(p, text, **kw)


def tag_row(table, tag: str) -> None:
    """A table row holding only a docxtpl row tag ({%tr ... %})."""
    row = table.add_row()
    cell_text(row.cells[0], tag)


def build(kind: str, lang: str) -> Path:
    doc = Document()
    set_fonts(doc)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(16)
    section.top_margin, section.bottom_margin = Mm(14), Mm(16)
    footer = section.footer.paragraphs[0]
    para(footer, "{{ doc.number }} · {{ seller.display_name }}", size=7, color=MUTED)

    # header: seller left, title right
    top = doc.add_table(rows=1, cols=2)
    borders(top)
    widths(top, [100, 78])
    left, right = top.rows[0].cells
    cell_text(left, "{%p if seller.logo %}")
    para(left, "{{ seller.logo }}", space_after=2)
    para(left, "{%p endif %}")
    para(left, "{{ seller.display_name }}", bold=True, size=14, color=ACCENT)
    small = {"size": 8, "color": MUTED, "space_after": 0}
    optional(left, "seller.display_address", "{{ seller.display_address }}", **small)
    optional(left, "seller.phone or seller.email", PHONE_EMAIL.format(who="seller"), **small)
    optional(left, "seller.website", "{{ seller.website }}", **small)
    optional(left, "seller.tax_id", label(lang, "tax_id", kind) + ": {{ seller.tax_id }}", **small)
    cell_text(right, "{{ doc.title }}", bold=True, size=20, color=ACCENT,
              align=WD_ALIGN_PARAGRAPH.RIGHT)  # fmt: skip
    meta = [
        (label(lang, "number", kind), "{{ doc.number }}"),
        (label(lang, "date", kind), "{{ doc.issue_date }}"),
    ]
    if kind == "quote":
        meta.append((label(lang, "valid_until", kind), "{{ doc.valid_until }}"))
    meta.append((label(lang, "reference", kind), "{{ deal.id }}"))
    for name, value in meta:
        p = para(right, align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=0)
        r = p.add_run(name + "  ")
        r.font.size, r.font.color.rgb = Pt(8.5), MUTED
        r = p.add_run(value)
        r.font.size, r.bold = Pt(8.5), True
    rule = para(doc, space_after=4)
    ppr = rule._p.get_or_add_pPr()
    pbdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:color", "1F3A5F"), ("w:space", "1")):
        bottom.set(qn(k), v)
    pbdr.append(bottom)
    ppr.append(pbdr)

    # parties
    parties = doc.add_table(rows=1, cols=2)
    borders(parties)
    widths(parties, [89, 89])
    c1, c2 = parties.rows[0].cells
    for c in (c1, c2):
        shade(c, "E8EEF5")
    cell_text(c1, label(lang, "customer", kind).upper() if lang == "en" else
              label(lang, "customer", kind), size=7.5, color=MUTED, bold=True)  # fmt: skip
    para(c1, "{{ customer.name }}", bold=True, size=11, space_after=1)
    line = {"size": 8.5, "space_after": 0}
    contact = label(lang, "contact", kind) + ": "
    optional(c1, "customer.contact", contact + "{{ customer.contact }}", **line)
    optional(c1, "customer.address", "{{ customer.address }}", **line)
    optional(c1, "customer.phone or customer.email", PHONE_EMAIL.format(who="customer"), **line)
    cell_text(c2, label(lang, "seller", kind).upper() if lang == "en" else
              label(lang, "seller", kind), size=7.5, color=MUTED, bold=True)  # fmt: skip
    if kind == "quote":
        para(c2, "{{ deal.owner or seller.display_name }}", bold=True, size=11, space_after=1)
        para(c2, "{{ seller.display_name }}", **line)
    else:
        para(c2, "{{ seller.display_name }}", bold=True, size=11, space_after=1)
        optional(c2, "seller.display_address", "{{ seller.display_address }}", **line)
        optional(c2, "deal.owner", contact + "{{ deal.owner }}", **line)
    optional(c2, "seller.phone or seller.email", PHONE_EMAIL.format(who="seller"), **line)

    para(doc, space_after=2)
    para(doc, label(lang, "intro", kind), space_after=4)
    clauses = label(lang, "clauses", kind)
    if kind == "contract":
        para(doc, clauses[0][0], bold=True, size=10, color=ACCENT, space_after=2)

    # items
    heads = label(lang, "items", kind)
    items = doc.add_table(rows=1, cols=8)
    borders(items, bottom_only=True)
    item_widths = [11, 58, 12, 12, 29, 13, 12, 31]
    for i, (cell, text) in enumerate(zip(items.rows[0].cells, heads, strict=True)):
        shade(cell, "1F3A5F")
        align = WD_ALIGN_PARAGRAPH.RIGHT if i in (2, 4, 5, 6, 7) else None
        cell_text(cell, text, bold=True, size=8.5, color=RGBColor(0xFF, 0xFF, 0xFF), align=align)
    tag_row(items, "{%tr for item in items %}")
    row = items.add_row().cells
    values = ["{{ item.no }}", None, "{{ item.quantity }}", "{{ item.unit }}",
              "{{ item.unit_price }}", "{{ item.discount }}", "{{ item.tax_rate }}",
              "{{ item.total }}"]  # fmt: skip
    for i, (cell, text) in enumerate(zip(row, values, strict=True)):
        align = WD_ALIGN_PARAGRAPH.RIGHT if i in (2, 4, 5, 6, 7) else None
        if text is None:
            cell_text(cell, "{{ item.product }}", bold=True, size=8.5, space_after=0)
            optional(cell, "item.description", "{{ item.description }}", size=7.5, color=MUTED,
                     space_after=0)  # fmt: skip
            optional(cell, "item.sku", "{{ item.sku }}", size=7, color=MUTED, space_after=0)
        else:
            cell_text(cell, text, size=8.5, align=align)
    tag_row(items, "{%tr endfor %}")
    widths(items, item_widths)

    # totals
    para(doc, space_after=2)
    totals = doc.add_table(rows=0, cols=3)
    borders(totals)
    totals.alignment = WD_TABLE_ALIGNMENT.RIGHT

    def total_row(name: str, value: str, *, big: bool = False, muted: bool = False):
        cells = totals.add_row().cells
        size = 11 if big else 9
        color = ACCENT if big else (MUTED if muted else None)
        cell_text(cells[1], name, bold=big, size=size, color=color)
        cell_text(cells[2], value, bold=big, size=size, color=color,
                  align=WD_ALIGN_PARAGRAPH.RIGHT)  # fmt: skip

    def totals_tag(tag: str):
        cells = totals.add_row().cells
        cell_text(cells[1], tag)

    total_row(label(lang, "subtotal", kind), "{{ totals.subtotal }}")
    totals_tag("{%tr if totals.has_discount %}")
    total_row(label(lang, "discount", kind), "−{{ totals.discount }}")
    totals_tag("{%tr endif %}")
    totals_tag("{%tr for line in totals.tax_lines %}")
    total_row(label(lang, "tax", kind), "{{ line.tax }}", muted=True)
    totals_tag("{%tr endfor %}")
    total_row(label(lang, "total", kind) + " ({{ totals.currency }})", "{{ totals.total }}",
              big=True)  # fmt: skip
    widths(totals, [70, 60, 48])

    para(doc, "{{ terms.tax_note }} " + label(lang, "currency", kind), size=8, color=MUTED,
         space_after=0)  # fmt: skip
    para(doc, "{%p if totals.total_in_words %}")
    para(doc, label(lang, "words", kind), bold=True, size=9.5, color=ACCENT)
    para(doc, "{%p endif %}")

    if kind == "quote":
        para(doc, space_after=2)
        p = para(doc, space_after=1)
        r = p.add_run(label(lang, "payment", kind) + ": ")
        r.bold = True
        p.add_run("{{ terms.payment }}")
        para(doc, label(lang, "validity", kind), space_after=4)
        bank_block(doc, lang, kind)
    else:
        for title, text in clauses[1:]:
            para(doc, title, bold=True, size=10, color=ACCENT, space_after=1)
            para(doc, text, space_after=3)
            if title == clauses[1][0]:
                bank_block(doc, lang, kind)

    # signatures
    para(doc, space_after=6)
    sig = doc.add_table(rows=1, cols=2)
    borders(sig)
    widths(sig, [89, 89])
    for cell, head, who in (
        (sig.rows[0].cells[0], label(lang, "sign_customer", kind), "{{ customer.name }}"),
        (sig.rows[0].cells[1], label(lang, "sign_seller", kind), "{{ seller.display_name }}"),
    ):
        cell_text(cell, head, size=8, color=MUTED, bold=True)
        para(cell, who, bold=True, size=9, space_after=18 if kind == "contract" else 12)
        para(cell, "_" * 38, color=MUTED, space_after=0)
        para(cell, label(lang, "sign_caption", kind), size=7.5, color=MUTED)

    slim(doc)
    path = HERE / f"{kind}.{lang}.docx"
    doc.core_properties.title = "{{ doc.title }} {{ doc.number }}"
    doc.core_properties.author = "salessheet"
    doc.save(path)
    return path


def slim(doc) -> None:
    """Drop what the python-docx default template carries but these documents never use
    (800 KB of latent and unused styles, a thumbnail, custom XML): every render parses and
    re-compresses each part, so a small package renders several times faster."""
    for rels in (doc.part.rels, doc.part.package.rels):
        for rid, rel in list(rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in ("stylesWithEffects", "thumbnail", "customXml"):
                del rels[rid]
    styles = doc.styles.element
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
    used = set()
    for el in doc.element.iter():
        if el.tag in (qn("w:pStyle"), qn("w:rStyle"), qn("w:tblStyle")):
            used.add(el.get(qn("w:val")))
    by_id = {st.get(qn("w:styleId")): st for st in styles.findall(qn("w:style"))}
    for st in by_id.values():
        if st.get(qn("w:default")) == "1":
            used.add(st.get(qn("w:styleId")))
    used |= {"Normal", "TableGrid", "DefaultParagraphFont", "TableNormal", "NoList"}
    pending = list(used)
    while pending:  # keep what the used styles are based on or linked to
        st = by_id.get(pending.pop())
        if st is None:
            continue
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = st.find(qn(tag))
            if ref is not None and ref.get(qn("w:val")) not in used:
                used.add(ref.get(qn("w:val")))
                pending.append(ref.get(qn("w:val")))
    for sid, st in by_id.items():
        if sid not in used:
            styles.remove(st)


def bank_block(doc, lang: str, kind: str) -> None:
    names = label(lang, "bank", kind)
    para(doc, "{%p if seller.bank_account %}")
    bank = doc.add_table(rows=0, cols=2)
    borders(bank)
    for name, value in zip(
        names,
        [
            "{{ seller.display_name }}",
            "{{ seller.bank_name }}",
            "{{ seller.bank_account }}",
            "{{ seller.bank_swift }}",
        ],  # fmt: skip
        strict=True,
    ):
        cells = bank.add_row().cells
        cell_text(cells[0], name, size=8.5, color=MUTED)
        cell_text(cells[1], value, size=8.5)
    widths(bank, [30, 120])
    para(doc, "{%p endif %}")


if __name__ == "__main__":
    for kind in ("quote", "contract"):
        for lang in ("en", "zh"):
            print("wrote", build(kind, lang))
