"""The phụ lục as an Excel workbook: one sheet per level, official layout, ready to print on A4."""

from __future__ import annotations

import contextlib
import tempfile
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from ..atomic import staged
from ..fmt import number, round_rates
from ..domain import CHI_BO, CO_SO, XA
from ..problems import Problem
from .columns import LEVEL_PLURALS, appendix_note, formula_like, with_history

FONT = "Times New Roman"
CELL_LIMIT = 32_767  # UTF-16 units in one Excel cell


class CellTooLong(UserWarning):
    """A text longer than an Excel cell holds, cut to fit; `problem` says where (file, sheet, row, column)."""

    def __init__(self, problem: Problem):
        super().__init__(f"{problem.location()}: {problem.message}")
        self.problem = problem

    def __reduce__(self):  # rebuilt from its problem (sent back by `background`'s child)
        return type(self), (self.problem,)


class Workbook(xlsxwriter.Workbook):
    """An XLSX workbook whose text cells hold exactly the text given: text Excel would take for a formula
    (=, +, -, @) is stored as is under Excel's quote-prefix style, never run and never shown with an added
    apostrophe; text over 32,767 characters is cut to fit, with a CellTooLong warning naming the cell.

    `tmp` is the file written (atomic.atomic_path's), `shown` the path the user will know it by. With
    `constant_memory`, each sheet must be written row after row, top to bottom (XlsxWriter's mode)."""

    def __init__(self, tmp: str | Path, shown: str | Path, constant_memory: bool = False,
                 scratch: str | None = None):
        self.shown = str(shown)
        self._props: dict[int, dict] = {}
        self._quoted: dict[int | None, object] = {}
        # `scratch`: where XlsxWriter keeps each sheet's rows until `close` (constant_memory); a folder the
        # caller removes however the writing ends (else they stay in the system's temporary folder)
        super().__init__(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                    "constant_memory": constant_memory, "tmpdir": scratch})
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


@contextlib.contextmanager
def streaming_workbook(tmp: str | Path, shown: str | Path) -> Iterator[Workbook]:
    """A Workbook in XlsxWriter's constant_memory mode (each sheet written row after row, top to bottom), its
    rows kept until `close` in a folder removed however the writing ends; on Windows a file XlsxWriter left
    open there never hides the error that stopped the writing."""
    with tempfile.TemporaryDirectory(prefix="sotay-xlsx-", ignore_cleanup_errors=True) as scratch:
        yield Workbook(tmp, shown, constant_memory=True, scratch=scratch)


def write_appendix(analysis, path: str | Path, title: str | None = None, extra: dict | None = None,
                   into: Path | None = None) -> Path:
    """Write the appendix workbook for `analysis` at `path` (atomically), or into `into`, the temporary file
    the caller's own `atomic_path(path)` gave (the caller renames it)."""
    path = Path(path)
    figures, columns = with_history(analysis)  # once for every sheet
    groups = analysis.groups()
    # rows go out as they are written (each sheet is written top to bottom): a province's 12,000 chi bộ are
    # never held as cell objects
    with staged(path, into) as tmp, streaming_workbook(tmp, path) as book:
        styles = _styles(book)
        levels = [lv for lv in (XA, CO_SO, CHI_BO) if (figures["level"] == lv).any() and lv != figures.loc[analysis.root, "level"]]
        for level in levels or [CHI_BO]:
            _sheet(book, styles, analysis, figures, columns, groups, level, title)
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
        # an unknown figure's dash, centred as in the Word appendix (text would sit left of the numbers)
        "dash": book.add_format(cell | {"align": "center"}),
        "total_dash": book.add_format(cell | {"bold": True, "align": "center"}),
        "note": book.add_format(base | {"italic": True, "font_size": 11}),
    }


def _sheet(book, styles, analysis, figures, columns, groups, level: str, title: str | None) -> None:
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
    for j in range(len(headers)):
        ws.write_string(head_row + 1, j, f"({j + 1})", styles["number"])
    targets = analysis.targets
    unit_targets = targets.loc[units.index]
    rounding = analysis.rounding
    # whole columns: each figure's cell values and formats are decided for all the units at once
    cells = [_figure_cells(units[c.key], unit_targets[c.key] if c.key in unit_targets else None, c, rounding, styles)
             for c in columns]
    labels = (units["label"] if "label" in units else units.index.to_series()).astype(str).tolist()
    _rows(ws, head_row + 2, labels, cells, styles)
    row = head_row + 2 + len(labels)
    total = figures.loc[[analysis.root]]
    root_targets = targets.loc[[analysis.root]]
    ws.merge_range(row, 0, row, 1, "Tổng cộng", styles["total_text"])
    # the totals row is the root's figures: every unit summed, rates from the sums
    _cells_row(ws, row, [_figure_cells(total[c.key], root_targets[c.key] if c.key in root_targets else None, c,
                                       rounding, styles, total=True) for c in columns])
    from ..analysis import GROUP_LABELS

    for key in groups.index:
        group = groups.loc[[key]]
        row += 1
        ws.merge_range(row, 0, row, 1, f"Trong đó: {GROUP_LABELS[key].lower()}", styles["text"])
        _cells_row(ws, row, [_figure_cells(group[c.key], None, c, rounding, styles) if c.key in group
                             else ([None], [styles["text"]]) for c in columns])
    root = figures.loc[analysis.root]
    ws.write_string(row + 2, 0, appendix_note(root["chi_bo"], root["chi_bo_in_target"]), styles["note"])
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


UNKNOWN = "—"  # a figure that cannot be given (no denominator, no history): never written as 0


def _rows(ws, first: int, labels: list[str], cells: list[tuple[list, list]], styles) -> None:
    """One row per unit: its number, its name, then its figures (`cells`: per column, values and formats)."""
    number, text = ws.write_number, ws.write_string
    stt, name = styles["stt"], styles["text"]
    values = zip(*(v for v, _ in cells))
    formats = zip(*(f for _, f in cells))
    for i, (label, row_values, row_formats) in enumerate(zip(labels, values, formats)):
        row = first + i
        number(row, 0, i + 1, stt)
        text(row, 1, label, name)
        for col, (value, cell_format) in enumerate(zip(row_values, row_formats), start=2):
            if value.__class__ is str:
                text(row, col, value, cell_format)
            else:
                number(row, col, value, cell_format)


def _cells_row(ws, row: int, cells: list[tuple[list, list]]) -> None:
    for col, (values, formats) in enumerate(cells, start=2):
        value, cell_format = values[0], formats[0]
        if value is None:
            ws.write_blank(row, col, None, cell_format)
        elif value.__class__ is str:
            ws.write_string(row, col, value, cell_format)
        else:
            ws.write_number(row, col, value, cell_format)


def _figure_cells(values: pd.Series, targets: pd.Series | None, column, rounding: str, styles,
                  total: bool = False) -> tuple[list, list]:
    """The cells of one figure column: their values (numbers, or UNKNOWN) and their formats. A rate holds
    the rate already rounded as displayed, so Excel shows the document's figure; a rate below its target
    is shaded."""
    prefix = "total_" if total else ""
    figures = values.to_numpy(dtype="float64", na_value=np.nan)
    unknown = np.isnan(figures)
    dash = styles[prefix + "dash"]
    if column.kind == "count":
        shown = np.where(unknown, 0, figures).astype(np.int64).astype(object)
        shown[unknown] = UNKNOWN
        formats = np.full(len(shown), styles[prefix + "count"], dtype=object)
        formats[unknown] = dash
        return shown.tolist(), formats.tolist()
    rounded = round_rates(figures, 2, rounding)  # in percent, or in points
    unknown = np.isnan(rounded)
    if column.kind == "points":
        ok = styles[prefix + "points"]
        formats = np.full(len(rounded), ok, dtype=object)
    else:
        rounded = np.round(rounded / 100, 6)  # 83.33 % is 0.8333, not 0.8332999999999999
        ok, below = styles[prefix + "rate"], styles[prefix + "rate_bad"]
        formats = np.full(len(rounded), ok, dtype=object)
        if targets is not None:
            goals = targets.to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                formats[figures < goals - 1e-12] = below  # NaN target or figure: never below
    shown = rounded.astype(object)
    shown[unknown] = UNKNOWN
    formats[unknown] = dash
    return shown.tolist(), formats.tolist()
