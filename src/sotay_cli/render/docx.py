"""The draft as a Word document in the layout of Party documents (Hướng dẫn 36-HD/VPTW), with the
phụ lục table on a landscape section.

Layout facts: A4; margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman 14 pt;
a borderless two-column header (body above and issuing body in capitals, "*", the number and, for a
công văn, the "V/v" summary in italics 12 pt | "ĐẢNG CỘNG SẢN VIỆT NAM" bold 15 pt underlined, the
place and date in italics); the body justified with a 1.27 cm first-line indent and 6 pt between
paragraphs; "Nơi nhận:" on the left (list in 12 pt) and the signing block on the right; page numbers
at the top centre from page 2.
"""

from __future__ import annotations


from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Mm, Pt

from ..atomic import staged
from ..fmt import number, percent, points
from .columns import COLUMN_BY_KEY, appendix_note
from .draft import Draft, runs

FONT = "Times New Roman"
TEXT_WIDTH_MM = 210 - 30 - 15
APPENDIX_COLUMNS = ["eligible", "exempt", "installed", "installed_rate", "active", "active_rate",
                    "active_of_installed", "regular_meetings", "thematic_meetings", "attendance_rate", "chi_bo",
                    "chi_bo_met", "meeting_rate"]
BELOW_FILL = "FFC7CE"
HEAD_FILL = "F2F2F2"


def write_docx(draft: Draft, path: str | Path, appendix: "Appendix | None" = None, chart: Path | None = None,
               into: Path | None = None) -> Path:
    """Write `draft` (and its appendix table) to `path`, through a temporary file (or into `into`, the
    temporary file of the caller's own `atomic_path(path)`)."""
    doc = Document()
    base_style(doc)
    section = doc.sections[0]
    page_layout(section, landscape=False)
    _page_numbers(section)
    _header_block(doc, draft)
    _title_block(doc, draft)
    for block in draft.body:
        if block.style == "chart" and chart is not None:
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run().add_picture(str(chart), width=Mm(150))
            continue
        p = doc.add_paragraph()
        _body_format(p, heading=block.style == "heading")
        _add_runs(p, block.text, bold=block.style == "heading")
    _signing_block(doc, draft)
    if appendix is not None:
        _appendix(doc, draft, appendix)
    path = Path(path)
    with staged(path, into) as tmp:
        doc.save(str(tmp))
    return path


# --- page and styles ------------------------------------------------------------------------------

def base_style(doc) -> None:
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)
    style.paragraph_format.line_spacing = 1.0
    doc.core_properties.author = "sotay"
    doc.core_properties.language = "vi-VN"


def page_layout(section, landscape: bool) -> None:
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.left_margin, section.right_margin = Mm(20), Mm(15)
        section.top_margin, section.bottom_margin = Mm(20), Mm(15)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin, section.right_margin = Mm(30), Mm(15)
        section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)


def _page_numbers(section) -> None:
    """Page number at the top centre, none on the first page."""
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p._p.append(parse_xml(
        f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r><w:rPr><w:sz w:val="28"/></w:rPr><w:t>2</w:t></w:r>'
        "</w:fldSimple>"))


def para(container, text: str = "", size: float | None = None, bold=False, italic=False, underline=False,
          align=WD_ALIGN_PARAGRAPH.CENTER):
    p = container.add_paragraph()
    p.alignment = align
    if text:
        run = p.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        if size:
            run.font.size = Pt(size)
    return p


def _add_runs(p, text: str, bold=False, italic=False, size: float | None = None) -> None:
    for piece, b, i in runs(text):
        run = p.add_run(piece)
        run.bold = bold or b or None
        run.italic = italic or i or None
        if size:
            run.font.size = Pt(size)


def _body_format(p, heading: bool = False) -> None:
    f = p.paragraph_format
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    f.first_line_indent = Cm(1.27)
    f.space_before = Pt(3)
    f.space_after = Pt(3)
    f.line_spacing = 1.15
    if heading:
        f.keep_with_next = True


def _borderless_table(doc, widths_mm: list[float]):
    table = doc.add_table(rows=1, cols=len(widths_mm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, width in zip(table.rows[0].cells, widths_mm):
        cell.width = Mm(width)
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    return table


# --- the document -----------------------------------------------------------------------------------

DATE_LINE_14PT = 34  # characters of the place-and-date line that fit its 90 mm column at 14 pt italic


def _header_block(doc, draft: Draft) -> None:
    h = draft.header
    left_w = 75
    table = _borderless_table(doc, [left_w, TEXT_WIDTH_MM - left_w])
    left, right = table.rows[0].cells
    if h.superior:
        para(left, h.superior, 14)
    para(left, h.issuer, 14, bold=True)
    para(left, "*", 14)
    para(left, h.number_line(draft.symbol), 14)
    if not draft.title and draft.summary:
        para(left, draft.summary, 12, italic=True)
    para(right, "ĐẢNG CỘNG SẢN VIỆT NAM", 15, bold=True, underline=True)
    para(right, "", 14)
    date = h.date_line()
    # 'Xuân Trường, ngày 08 tháng 7 năm 2026' at 14 pt is wider than the column: 13 pt keeps it on one line
    para(right, date, 14 if len(date) <= DATE_LINE_14PT else 13, italic=True)
    doc.add_paragraph()


def _title_block(doc, draft: Draft) -> None:
    if draft.title:
        para(doc, draft.title, 16, bold=True).paragraph_format.space_before = Pt(6)
        if draft.summary:
            para(doc, draft.summary, 14, bold=True)
        para(doc, "-----", 14)
    if draft.to:
        if len(draft.to) == 1:
            p = para(doc, f"Kính gửi: {draft.to[0]}", 14)
        else:
            p = para(doc, "Kính gửi:", 14)
            for item in draft.to:
                para(doc, f"- {item}", 14, align=WD_ALIGN_PARAGRAPH.LEFT).paragraph_format.left_indent = Mm(45)
        p.paragraph_format.space_before = Pt(6)
    doc.add_paragraph().paragraph_format.space_after = Pt(3)


def _signing_block(doc, draft: Draft) -> None:
    doc.add_paragraph()
    table = _borderless_table(doc, [85, TEXT_WIDTH_MM - 85])
    left, right = table.rows[0].cells
    p = para(left, "", align=WD_ALIGN_PARAGRAPH.LEFT)
    run = p.add_run("Nơi nhận:")
    run.bold, run.italic, run.underline, run.font.size = True, True, True, Pt(12)
    for i, item in enumerate(draft.recipients):
        end = "." if i == len(draft.recipients) - 1 else ","
        para(left, f"- {item.rstrip(',.;')}{end}", 12, align=WD_ALIGN_PARAGRAPH.LEFT)
    s = draft.signature
    para(right, s.on_behalf, 14, bold=True)
    para(right, s.position, 14, bold=True)
    for _ in range(4):
        para(right, "", 14)
    para(right, s.name, 14, bold=True) if s.name else para(right, "", 14)


# --- the appendix -------------------------------------------------------------------------------------

class Appendix:
    """The units listed in the phụ lục: their figures, targets and the totals row."""

    def __init__(self, title: str, subtitle: str, units: pd.DataFrame, targets: pd.DataFrame, total: pd.Series,
                 total_targets: pd.Series, rounding: str, extra_columns: list | None = None,
                 groups: list[tuple[str, pd.Series]] | None = None):
        self.title, self.subtitle = title, subtitle
        self.groups = groups or []  # ("Khối cơ quan nhà nước", figures) rows under the totals
        self.extra_columns = extra_columns or []  # e.g. the change since the previous period
        self.units, self.targets, self.total, self.total_targets = units, targets, total, total_targets
        self.rounding = rounding


def _appendix(doc, draft: Draft, appendix: Appendix) -> None:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    page_layout(section, landscape=True)
    section.different_first_page_header_footer = False  # the appendix pages are numbered too
    para(doc, "PHỤ LỤC", 14, bold=True)
    para(doc, appendix.title, 14, bold=True)
    para(doc, appendix.subtitle, 13, italic=True)
    p = doc.add_paragraph()
    p._p.addnext(parse_xml(_table_xml(appendix)))
    note = para(doc, appendix_note(appendix.total["chi_bo"], appendix.total["chi_bo_in_target"]), 11, italic=True,
                align=WD_ALIGN_PARAGRAPH.LEFT)
    note.paragraph_format.space_before = Pt(6)


NAME_MM = 45  # the narrowest the appendix's name column gets


def _table_xml(appendix: Appendix) -> str:
    """The whole table as one XML string: python-docx adds rows cell by cell, far too slowly for the
    1,500 base organisations of a province (this is ~100 times faster)."""
    keys = APPENDIX_COLUMNS
    if (appendix.units["level"] == "chi_bo").all():  # a list of chi bộ: "số chi bộ" would be 1 on every row
        keys = [k for k in keys if k not in ("chi_bo", "chi_bo_met")]
    columns = [COLUMN_BY_KEY[k] for k in keys] + appendix.extra_columns
    # the names keep at least NAME_MM; the figures share the rest of the 262 mm, up to 14.6 mm each. Below
    # 14 mm (15 columns, with the changes since the last period) the headers go down to 9 pt, so that their
    # longest word ('thường', 'chuyên') stays whole on its line
    figure_width = min(14.6, (262 - 10 - NAME_MM) / len(columns))
    widths = [10, 262 - 10 - figure_width * len(columns)] + [figure_width] * len(columns)
    twips = [round(w * 56.7) for w in widths]
    head = ["STT", "Tổ chức đảng", *[c.header for c in columns]]
    head_size = 20 if figure_width >= 14 else 18  # half-points
    rows = [table_row([(h, "center", True, HEAD_FILL) for h in head], twips, header=True, size=head_size),
            table_row([(f"({j})", "center", False, None) for j in range(1, len(head) + 1)], twips, header=True, size=18,
                 italic=True)]
    figures = appendix.units
    values = {c.key: figures[c.key].to_numpy() for c in columns}
    targets = {c.key: appendix.targets[c.key].to_numpy() if c.key in appendix.targets else None for c in columns}
    for i, name in enumerate(figures["label"] if "label" in figures else figures.index):
        cells = [(str(i + 1), "center", False, None), (str(name), "left", False, None)]
        for c in columns:
            target = targets[c.key][i] if targets[c.key] is not None else None
            cells.append(_figure(values[c.key][i], c, target, appendix.rounding))
        rows.append(table_row(cells, twips))
    total = [("", "center", True, None), ("Tổng cộng", "center", True, None)]
    for c in columns:
        cell = _figure(appendix.total[c.key], c, appendix.total_targets.get(c.key), appendix.rounding)
        total.append((cell[0], cell[1], True, cell[3]))
    rows.append(table_row(total, twips))
    for label, group in appendix.groups:
        cells = [("", "center", False, None), (label, "left", False, None)]
        for c in columns:
            cells.append(_figure(group[c.key], c, None, appendix.rounding) if c.key in group
                         else ("", "center", False, None))
        rows.append(table_row(cells, twips, italic=True))
    return table_xml(rows, twips, cell_margin=50)


def table_xml(rows: list[str], twips: list[int], cell_margin: int | None = None) -> str:
    """A centred, fully bordered, fixed-layout table around rows made by `table_row` (widths in twips)."""
    borders = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                      for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    margins = ("" if cell_margin is None else
               f'<w:tblCellMar><w:left w:w="{cell_margin}" w:type="dxa"/><w:right w:w="{cell_margin}" w:type="dxa"/>'
               "</w:tblCellMar>")
    grid = "".join(f'<w:gridCol w:w="{t}"/>' for t in twips)
    return (f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(twips)}" w:type="dxa"/><w:jc w:val="center"/>'
            f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>{margins}'
            f'</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(rows)}</w:tbl>')


def _figure(value, column, target, rounding: str) -> tuple[str, str, bool, str | None]:
    if column.kind == "count":
        return ("—", "center", False, None) if pd.isna(value) else (number(int(value)), "right", False, None)
    if column.kind == "points":
        return points(None if pd.isna(value) else float(value), mode=rounding), "right", False, None
    if value is None or pd.isna(value):
        return "—", "center", False, None
    below = target is not None and not pd.isna(target) and value < target - 1e-12
    return percent(value, mode=rounding), "right", False, BELOW_FILL if below else None


def table_row(cells, twips, header: bool = False, size: int = 20, italic: bool = False) -> str:
    tr_pr = "<w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>" if header else "<w:trPr><w:cantSplit/></w:trPr>"
    out = [f"<w:tr>{tr_pr}"]
    for (text, align, bold, fill), width in zip(cells, twips):
        shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else ""
        rpr = f'{"<w:b/>" if bold else ""}{"<w:i/>" if italic else ""}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>'
        out.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}<w:vAlign w:val="center"/></w:tcPr>'
                   f'<w:p><w:pPr><w:spacing w:before="20" w:after="20"/><w:ind w:firstLine="0"/>'
                   f'<w:jc w:val="{"both" if align == "justify" else align}"/></w:pPr>'
                   f'<w:r><w:rPr>{rpr}</w:rPr><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p></w:tc>')
    out.append("</w:tr>")
    return "".join(out)
