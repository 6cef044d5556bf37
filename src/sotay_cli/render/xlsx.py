"""The phụ lục as an Excel workbook: one sheet per level, official layout, ready to print on A4."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from ..atomic import atomic_path
from ..fmt import number, round_rate
from ..domain import CHI_BO, CO_SO, XA
from ..problems import Problem
from .columns import LEVEL_PLURALS, formula_like, with_history

FONT = "Times New Roman"
CELL_LIMIT = 32_767  # UTF-16 units in one Excel cell


class CellTooLong(UserWarning):
    """A text longer than an Excel cell holds, cut to fit; `problem` says where (file, sheet, row, column)."""

    def __init__(self, problem: Problem):
        super().__init__(f"{problem.location()}: {problem.message}")
        self.problem = problem


class Workbook(xlsxwriter.Workbook):
    """An XLSX workbook whose text cells hold exactly the text given: text Excel would take for a formula
    (=, +, -, @) is stored as is under Excel's quote-prefix style, never run and never shown with an added
    apostrophe; text over 32,767 characters is cut to fit, with a CellTooLong warning naming the cell.

    `tmp` is the file written (atomic.atomic_path's), `shown` the path the user will know it by."""

    def __init__(self, tmp: str | Path, shown: str | Path):
        self.shown = str(shown)
        self._props: dict[int, dict] = {}
        self._quoted: dict[int | None, object] = {}
        super().__init__(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        self.worksheet_class = _Sheet

    def add_format(self, properties=None):
        made = super().add_format(properties)
        self._props[id(made)] = dict(properties or {})
        return made

    def add_worksheet(self, name=None, worksheet_class=None):
        sheet = super().add_worksheet(name, worksheet_class)
        sheet.book = self
        return sheet

    def close(self):
        try:
            super().close()
        except xlsxwriter.exceptions.FileCreateError as exc:  # the OS error inside, for atomic_path to name
            if isinstance(exc.__context__, OSError):
                raise exc.__context__ from None
            raise

    def quoted(self, cell_format):
        """The same format with Excel's quote prefix (made once per format)."""
        key = None if cell_format is None else id(cell_format)
        if key not in self._quoted:
            props = {} if cell_format is None else self._props.get(key, {})
            self._quoted[key] = self.add_format(props | {"quote_prefix": True})
        return self._quoted[key]


class _Sheet(Worksheet):
    book: Workbook

    def _write_string(self, row, col, string, cell_format=None):
        if len(string) > CELL_LIMIT // 2 and len(string.encode("utf-16-le")) // 2 > CELL_LIMIT:
            string = self._cut(row, col, string)
        if formula_like(string):
            cell_format = self.book.quoted(cell_format)
        return super()._write_string(row, col, string, cell_format)

    def _cut(self, row: int, col: int, string: str) -> str:
        size = len(string)
        warnings.warn(CellTooLong(Problem(
            self.book.shown, "cell_too_long", "warning",
            f"nội dung dài {number(size)} ký tự, quá {number(CELL_LIMIT)} ký tự một ô Excel chứa được; trong tệp "
            f"này đã cắt bớt phần sau (bắt đầu: \"{string[:40]}…\").",
            sheet=self.name, row=row + 1, column=xl_col_to_name(col))), stacklevel=2)
        return string.encode("utf-16-le")[: CELL_LIMIT * 2].decode("utf-16-le", errors="ignore")


def write_appendix(analysis, path: str | Path, title: str | None = None, extra: dict | None = None) -> Path:
    """Write the appendix workbook for `analysis` at `path` (atomically)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        book = Workbook(tmp, path)
        styles = _styles(book)
        figures = analysis.figures
        levels = [lv for lv in (XA, CO_SO, CHI_BO) if (figures["level"] == lv).any() and lv != figures.loc[analysis.root, "level"]]
        for level in levels or [CHI_BO]:
            _sheet(book, styles, analysis, level, title)
        book.close()
    return path


def _styles(book) -> dict:
    base = {"font_name": FONT, "font_size": 12, "valign": "vcenter"}
    cell = base | {"border": 1}
    return {
        "title": book.add_format(base | {"bold": True, "align": "center", "font_size": 13}),
        "subtitle": book.add_format(base | {"italic": True, "align": "center"}),
        "head": book.add_format(cell | {"bold": True, "align": "center", "text_wrap": True, "bg_color": "#F2F2F2"}),
        "number": book.add_format(cell | {"italic": True, "align": "center", "font_size": 10}),
        "text": book.add_format(cell),
        "stt": book.add_format(cell | {"align": "center"}),
        "count": book.add_format(cell | {"num_format": "#,##0"}),
        "rate": book.add_format(cell | {"num_format": "0.00%"}),
        "rate_bad": book.add_format(cell | {"num_format": "0.00%", "bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "total_text": book.add_format(cell | {"bold": True, "align": "center"}),
        "total_count": book.add_format(cell | {"bold": True, "num_format": "#,##0"}),
        "total_rate": book.add_format(cell | {"bold": True, "num_format": "0.00%"}),
        "total_rate_bad": book.add_format(cell | {"bold": True, "num_format": "0.00%", "bg_color": "#FFC7CE",
                                                  "font_color": "#9C0006"}),
        "points": book.add_format(cell | {"num_format": "+0.00;-0.00;0.00"}),
        "total_points": book.add_format(cell | {"bold": True, "num_format": "+0.00;-0.00;0.00"}),
        "note": book.add_format(base | {"italic": True, "font_size": 11}),
    }


def _rate_value(rate: float, rounding: str) -> float | None:
    """The cell holds the rate already rounded as displayed, so Excel shows the document's figure."""
    value = round_rate(rate, 2, rounding)
    return None if value is None else float(value) / 100


def _sheet(book, styles, analysis, level: str, title: str | None) -> None:
    figures, columns = with_history(analysis)
    units = figures[figures["level"] == level]
    name = LEVEL_PLURALS[level][:31]
    ws = book.add_worksheet(name)
    headers = ["STT", "Tên tổ chức đảng", *[c.header for c in columns]]
    last = len(headers) - 1
    lines = [title or "PHỤ LỤC: KẾT QUẢ CÀI ĐẶT, SỬ DỤNG ỨNG DỤNG SỔ TAY ĐẢNG VIÊN ĐIỆN TỬ",
             f"{LEVEL_PLURALS[level]} trực thuộc {analysis.root} — {analysis.period.words}"]
    ws.merge_range(0, 0, 0, last, lines[0], styles["title"])
    ws.merge_range(1, 0, 1, last, lines[1], styles["subtitle"])
    head_row = 3
    ws.set_row(head_row, 66)
    for j, header in enumerate(headers):
        ws.write_string(head_row, j, header, styles["head"])
        ws.write_string(head_row + 1, j, f"({j + 1})", styles["number"])
    targets = analysis.targets
    unit_targets = targets.loc[units.index]
    row = head_row + 2
    # column-wise: a province's 12,000 chi bộ × 14 figures must not go through .loc cell by cell
    values = {c.key: units[c.key].to_numpy() for c in columns}
    goals = {c.key: unit_targets[c.key].to_numpy() if c.key in unit_targets else None for c in columns}
    for i, unit in enumerate(units["label"] if "label" in units else units.index):
        ws.write_number(row, 0, i + 1, styles["stt"])
        ws.write_string(row, 1, str(unit), styles["text"])
        for j, column in enumerate(columns, start=2):
            goal = goals[column.key]
            _write_figure(ws, row, j, column, values[column.key][i], None if goal is None else goal[i],
                          analysis.rounding, styles, total=False)
        row += 1
    total = figures.loc[analysis.root]
    ws.merge_range(row, 0, row, 1, "Tổng cộng", styles["total_text"])
    for j, column in enumerate(columns, start=2):
        # the totals row is the root's figures: every unit summed, rates from the sums
        _write_figure(ws, row, j, column, total[column.key], targets.loc[analysis.root].get(column.key),
                      analysis.rounding, styles, total=True)
    from ..analysis import GROUP_LABELS

    for key, group in analysis.groups().iterrows():
        row += 1
        ws.merge_range(row, 0, row, 1, f"Trong đó: {GROUP_LABELS[key].lower()}", styles["text"])
        for j, column in enumerate(columns, start=2):
            if column.key in group:
                _write_figure(ws, row, j, column, group[column.key], None, analysis.rounding, styles, total=False)
            else:
                ws.write_blank(row, j, None, styles["text"])
    ws.write_string(row + 2, 0, "Ô tô đỏ: dưới chỉ tiêu. Tỷ lệ tính trên số đảng viên đang sinh hoạt; "
                    "đảng viên miễn sinh hoạt không tính vào mẫu số.", styles["note"])
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 50)
    ws.set_column(2, last, 11)
    ws.freeze_panes(head_row + 2, 2)
    ws.repeat_rows(head_row, head_row + 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.set_footer("&CTrang &P/&N")


def _write_figure(ws, row, col, column, value, target, rounding, styles, total: bool) -> None:
    prefix = "total_" if total else ""
    if column.kind == "points":
        shown = round_rate(value, 2, rounding)
        if shown is None:
            ws.write_string(row, col, "—", styles[prefix + "count"])
        else:
            ws.write_number(row, col, float(shown), styles[prefix + "points"])
        return
    if column.kind == "rate":
        shown = _rate_value(value, rounding)
        if shown is None:
            ws.write_string(row, col, "—", styles[prefix + "count"])
            return
        bad = target is not None and not math.isnan(target) and value < target - 1e-12
        ws.write_number(row, col, shown, styles[prefix + ("rate_bad" if bad else "rate")])
    elif value is None or value != value:  # unknown: never written as 0
        ws.write_string(row, col, "—", styles[prefix + "count"])
    else:
        ws.write_number(row, col, int(value), styles[prefix + "count"])
