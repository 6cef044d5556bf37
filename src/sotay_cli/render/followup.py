"""The follow-up lists as files: an Excel workbook (a summary, then one sheet per chi bộ, or above
SHEETS_MAX chi bộ one list sheet with a chi bộ column and a filter) and a Word document (one page per
chi bộ secretary). These are the only files sotay writes with members' names."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from ..atomic import atomic_path
from ..followup import NO_SMARTPHONE, NOT_ACTIVE, NOT_INSTALLED, UNKNOWN_USE, summary, use_known
from .xlsx import FONT, streaming_workbook

SUMMARY_SHEET = "Tổng hợp"
LIST_SHEET = "Danh sách"
SHEETS_MAX = 100  # chi bộ with a sheet each; above (a province: ~12,000), one list sheet (LibreOffice opens
#                   no workbook of 10,000 sheets, and thousands of tabs help no one)
ROWS_MAX = 1_048_576  # rows in an Excel sheet
SHEET_MAX = 31  # characters (UTF-16 units) in an Excel sheet name
_NOT_IN_SHEET_NAMES = re.compile(r"[\x00-\x1f\x7f\[\]:*?/\\]+")


def _sheet_names(units: list[str], taken: tuple[str, ...] = (SUMMARY_SHEET,)) -> list[str]:
    """One Excel sheet name per unit, in order: at most 31 characters, none of []:*?/\\ nor a control
    character, no apostrophe at either end, not Excel's reserved 'History', and unique without regard
    to case, the names in `taken` (the summary sheet) included."""
    used = {t.casefold() for t in taken} | {"history"}
    names = []
    for unit in units:
        base = _sheet_fit(" ".join(_NOT_IN_SHEET_NAMES.sub(" ", unit.removeprefix("Chi bộ ")).split())) or "Chi bộ"
        name, k = base, 2
        while name.casefold() in used:
            suffix = f" ({k})"
            name = (_sheet_fit(base, SHEET_MAX - len(suffix)) or "Chi bộ") + suffix
            k += 1
        used.add(name.casefold())
        names.append(name)
    return names


def _sheet_fit(text: str, limit: int = SHEET_MAX) -> str:
    """`text` cut to `limit` UTF-16 units, without apostrophes or spaces at either end."""
    text = text.strip("' ")
    while len(text.encode("utf-16-le")) // 2 > limit:
        text = text[:-1].rstrip("' ")
    return text


def write_xlsx(analysis, todo: pd.DataFrame, path: Path) -> Path:
    # every sheet is written row after row, top to bottom (a province lists 170,000 members); formula-like
    # text kept as written, under Excel's quote prefix
    with atomic_path(path) as tmp, streaming_workbook(tmp, path) as book:
        base = {"font_name": FONT, "font_size": 12}
        title = book.add_format(base | {"bold": True, "font_size": 13})
        head = book.add_format(base | {"bold": True, "border": 1, "bg_color": "#F2F2F2", "text_wrap": True,
                                       "align": "center", "valign": "vcenter"})
        cell = book.add_format(base | {"border": 1})
        dash = book.add_format(base | {"border": 1, "align": "center"})
        unknown = set() if use_known(analysis) else {"active", NOT_ACTIVE}
        ws = book.add_worksheet(SUMMARY_SHEET)
        ws.write_string(0, 0, f"Đảng viên cần đôn đốc cài đặt, sử dụng ứng dụng — {analysis.period.words}",
                        title)
        if unknown:
            ws.write_string(1, 0, f"Chỉ gồm đảng viên chưa cài đặt, kích hoạt: {UNKNOWN_USE}.")
        headers = ["STT", "Chi bộ", "Đang sinh hoạt", "Đã cài đặt", "Sử dụng trong kỳ", NOT_INSTALLED, NOT_ACTIVE,
                   NO_SMARTPHONE]
        labels = analysis.figures["label"]
        for j, h in enumerate(headers):
            ws.write_string(2, j, h, head)
        s = summary(analysis, todo)
        for i, (unit, row) in enumerate(s.iterrows(), start=1):
            ws.write_number(2 + i, 0, i, cell)
            ws.write_string(2 + i, 1, labels[unit], cell)
            for j, key in enumerate(["eligible", "installed", "active", NOT_INSTALLED, NOT_ACTIVE, NO_SMARTPHONE],
                                    start=2):
                if key in unknown or pd.isna(row[key]):  # not in the exports: a dash, never 0
                    ws.write_string(2 + i, j, "—", dash)
                else:
                    ws.write_number(2 + i, j, int(row[key]), cell)
        ws.set_column(0, 0, 5)
        ws.set_column(1, 1, 45)
        ws.set_column(2, 7, 16)
        ws.freeze_panes(3, 0)
        if todo["chi_bo"].nunique() > SHEETS_MAX:
            _list_sheets(book, todo, title, head, cell)
        else:
            _unit_sheets(book, todo, s.index, labels, title, head, cell)
        book.close()
    return path


def _unit_sheets(book, todo: pd.DataFrame, units, labels, title, head, cell) -> None:
    """One sheet per chi bộ, its label as the title."""
    names = dict(zip(units, _sheet_names([labels[u] for u in units])))
    for unit, group in todo.groupby("chi_bo", sort=False):
        sheet = book.add_worksheet(names[unit])
        sheet.write_string(0, 0, labels[unit], title)
        _members(sheet, group, ["STT", "Họ và tên", "Năm sinh", "Điện thoại", "Tình trạng"], head, cell)


def _list_sheets(book, todo: pd.DataFrame, title, head, cell) -> None:
    """All chi bộ on one sheet, a Chi bộ column first, with a filter on the headers; past Excel's rows,
    on 'Danh sách (2)' and on."""
    per_sheet = ROWS_MAX - 3
    for k, start in enumerate(range(0, len(todo), per_sheet), start=1):
        sheet = book.add_worksheet(LIST_SHEET if k == 1 else f"{LIST_SHEET} ({k})")
        sheet.write_string(0, 0, "Danh sách đảng viên cần đôn đốc, theo chi bộ (lọc theo cột Chi bộ)", title)
        chunk = todo.iloc[start:start + per_sheet]
        _members(sheet, chunk, ["STT", "Chi bộ", "Họ và tên", "Năm sinh", "Điện thoại", "Tình trạng"], head, cell,
                 first=start + 1)
        sheet.autofilter(2, 0, 2 + len(chunk), 5)


def _members(sheet, group: pd.DataFrame, headers: list[str], head, cell, first: int = 1) -> None:
    """The header row (row 3) and one row per member below it, numbered from `first`; with a "Chi bộ"
    header, the chi bộ label in the second column."""
    for j, h in enumerate(headers):
        sheet.write_string(2, j, h, head)
    with_unit = "Chi bộ" in headers
    c = 2 if with_unit else 1
    for row, r in enumerate(group.itertuples(index=False), start=3):
        sheet.write_number(row, 0, first + row - 3, cell)
        if with_unit:
            sheet.write_string(row, 1, str(r.chi_bo_label), cell)
        sheet.write_string(row, c, str(r.name), cell)
        if pd.isna(r.birth_year):
            sheet.write_string(row, c + 1, "", cell)
        else:
            sheet.write_number(row, c + 1, int(r.birth_year), cell)
        sheet.write_string(row, c + 2, str(r.phone), cell)
        sheet.write_string(row, c + 3, r.reason, cell)
    sheet.set_column(0, 0, 5)
    if with_unit:
        sheet.set_column(1, 1, 40)
    sheet.set_column(c, c, 30)
    sheet.set_column(c + 1, c + 1, 10)
    sheet.set_column(c + 2, c + 2, 16)
    sheet.set_column(c + 3, c + 3, 34)
    sheet.freeze_panes(3, 0)
    sheet.repeat_rows(2)
    sheet.set_paper(9)
    if with_unit:
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)  # all six columns across the page


def write_docx(analysis, todo: pd.DataFrame, path: Path) -> Path:
    """One page per chi bộ, addressed to its secretary.

    python-docx makes the document (styles, page layout) and each kind of paragraph once, as a pattern;
    the pages are then written from those patterns straight into the file's word/document.xml, one chi bộ
    at a time. Held as python-docx objects, a province's 170,000 members took 5.5 GB and minutes."""
    from docx import Document
    from docx.document import _Body
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.shared import Pt
    from lxml import etree

    from .docx import base_style, page_layout, para, table_row, table_xml

    doc = Document()
    base_style(doc)
    page_layout(doc.sections[0], landscape=False)
    scratch = _Body(OxmlElement("w:body"), doc)
    scratch.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    para(scratch, _MARK, 14, bold=True)
    intro = para(scratch, _MARK, 13, italic=True)
    intro.paragraph_format.space_after = intro.paragraph_format.space_before = None
    scratch.add_paragraph()  # the table follows an empty paragraph, as Word puts it
    para(scratch, "Đề nghị đồng chí phân công đảng viên hướng dẫn trực tiếp từng đồng chí trong danh sách.", 13,
         align=WD_ALIGN_PARAGRAPH.LEFT).paragraph_format.space_before = Pt(6)
    para(scratch, _MARK, 14)
    page_break, to, intro, empty, ask, nobody = (_inner(etree.tostring(e, encoding="unicode")) for e in scratch._element)
    widths = [round(w * 56.7) for w in (12, 58, 20, 32, 43)]  # mm: 'STT' in 12 pt bold on one line
    head = table_row([(h, "center", True, "F2F2F2") for h in ("STT", "Họ và tên", "Năm sinh", "Điện thoại",
                                                           "Tình trạng")], widths, header=True, size=24)
    labels = analysis.figures["label"]
    heading = ("Danh sách đảng viên cần đôn đốc cài đặt, sử dụng ứng dụng Sổ tay đảng viên điện tử" if use_known(analysis)
               else f"Danh sách đảng viên chưa cài đặt, kích hoạt ứng dụng Sổ tay đảng viên điện tử ({UNKNOWN_USE})")

    def pages():
        first = True
        for unit, group in todo.groupby("chi_bo", sort=False):
            rows = [head]
            for i, r in enumerate(group.itertuples(index=False), start=1):
                year = "" if pd.isna(r.birth_year) else str(int(r.birth_year))
                rows.append(table_row([(str(i), "center", False, None), (str(r.name), "left", False, None),
                                       (year, "center", False, None), (str(r.phone), "center", False, None),
                                       (r.reason, "left", False, None)], widths, size=24))
            yield "".join(("" if first else page_break,
                           to.replace(_MARK, escape(f"Kính gửi: Đồng chí Bí thư {labels[unit]}")),
                           intro.replace(_MARK, escape(f"{heading} ({analysis.period.words}): {len(group)} đồng chí.")),
                           empty, _inner(table_xml(rows, widths)), ask))
            first = False
        if first:
            yield nobody.replace(_MARK, escape(f"Mọi đảng viên đang sinh hoạt đã cài đặt và sử dụng ứng dụng trong "
                                               f"{analysis.period.words}."))

    skeleton = io.BytesIO()
    doc.save(skeleton)
    with atomic_path(path) as tmp, zipfile.ZipFile(skeleton) as parts, \
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info in parts.infolist():
            if info.filename != "word/document.xml":
                out.writestr(info, parts.read(info.filename))
                continue
            text = parts.read(info.filename).decode("utf-8")
            end = text.rindex("<w:sectPr")  # the pages go before the section properties, last in the body
            streamed = zipfile.ZipInfo(info.filename, info.date_time)
            streamed.compress_type = zipfile.ZIP_DEFLATED
            # about 1.8 kB a member: ZIP64 sizes only for a list that may pass zip's 2 GiB
            with out.open(streamed, "w", force_zip64=len(todo) > ZIP64_MEMBERS) as body:
                body.write(text[:end].encode("utf-8"))
                for page in pages():
                    body.write(page.encode("utf-8"))
                body.write(text[end:].encode("utf-8"))
    return path


ZIP64_MEMBERS = 500_000
_MARK = "\ue000sotay\ue000"  # where a pattern's text goes (a private-use character no cell holds)
def _inner(xml: str) -> str:
    """An element's XML as it is inside the document, whose root declares the w: prefix already."""
    from docx.oxml.ns import nsdecls

    return xml.replace(" " + nsdecls("w"), "", 1)


def output_paths(period_label: str, out_dir: Path) -> list[Path]:
    """`out_dir/<period>/doi-chieu-<period>.xlsx` and `.docx`."""
    return [out_dir / period_label / f"doi-chieu-{period_label}.{suffix}" for suffix in ("xlsx", "docx")]


def write_lists(analysis, todo: pd.DataFrame, out_dir: Path, force: bool = False) -> list[Path]:
    """The lists at `output_paths`; report.ReportExists when either is there already and `force` is
    off, the same rule as `sotay report`."""
    from ..report import ReportExists

    paths = output_paths(analysis.period.file_label, out_dir)
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise ReportExists(existing)
    return [write_xlsx(analysis, todo, paths[0]), write_docx(analysis, todo, paths[1])]
