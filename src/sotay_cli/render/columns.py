"""The figure columns every output shows, with their Vietnamese headers, in one place."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..fmt import number, round_rate
from ..domain import LEVEL_NAMES, LEVEL_OPTIONS, LEVEL_PLURALS  # noqa: F401 (re-exported for render/)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # full Vietnamese header (CSV, XLSX, DOCX)
    short: str  # narrow header for the terminal
    kind: str  # count or rate


COLUMNS = [
    Column("members", "Tổng số đảng viên", "Đảng viên", "count"),
    Column("exempt", "Miễn sinh hoạt", "Miễn SH", "count"),
    Column("eligible", "Đảng viên đang sinh hoạt", "Đang SH", "count"),
    Column("installed", "Đã cài đặt, kích hoạt", "Đã cài", "count"),
    Column("installed_rate", "Tỷ lệ cài đặt (%)", "% cài", "rate"),
    Column("active", "Sử dụng thường xuyên", "Sử dụng", "count"),
    Column("active_rate", "Tỷ lệ sử dụng (%)", "% SD", "rate"),
    Column("active_of_installed", "Tỷ lệ sử dụng trên số đã cài (%)", "% SD/cài", "rate"),
    Column("regular_meetings", "Số buổi sinh hoạt định kỳ trên ứng dụng", "SH định kỳ", "count"),
    Column("thematic_meetings", "Số buổi sinh hoạt chuyên đề trên ứng dụng", "SH chuyên đề", "count"),
    Column("attendance_rate", "Tỷ lệ đảng viên dự sinh hoạt (%)", "% dự SH", "rate"),
    Column("chi_bo", "Số chi bộ", "Chi bộ", "count"),
    Column("chi_bo_met", "Chi bộ sinh hoạt trên ứng dụng", "CB SH app", "count"),
    Column("meeting_rate", "Tỷ lệ chi bộ sinh hoạt trên ứng dụng (%)", "% CB SH", "rate"),
]
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def select_units(figures: pd.DataFrame, level: str | None) -> pd.DataFrame:
    """Units of one level (`chi-bo`, `co-so`, `xa`, `tinh`), or all of them for None/'all'."""
    if level in (None, "all"):
        return figures
    return figures[figures["level"] == LEVEL_OPTIONS[level]]


def rounded_percent(rate: float | None, rounding: str) -> float | None:
    value = round_rate(rate, 2, rounding)
    return None if value is None else float(value)


def table_frame(figures: pd.DataFrame, rounding: str) -> pd.DataFrame:
    """Units with Vietnamese headers: counts as integers, rates as rounded percentages (87.86)."""
    labels = figures["label"] if "label" in figures else pd.Series(figures.index, index=figures.index)
    out = pd.DataFrame({"Đơn vị": labels.to_numpy(), "Cấp": figures["level"].map(LEVEL_NAMES).to_numpy(),
                        "Trực thuộc": (figures["parent_label"] if "parent_label" in figures
                                       else figures["parent"]).fillna("").to_numpy(),
                        "Mã đơn vị": figures.index.to_numpy()})
    for c in COLUMNS:
        values = figures[c.key]
        out[c.header] = ([rounded_percent(v, rounding) for v in values] if c.kind == "rate"
                         else values.astype("Int64").to_numpy())  # unknown stays empty, never 0
    return out


HISTORY_COLUMNS = [
    Column("installed_rate_prev", "Tỷ lệ cài đặt kỳ trước (%)", "% cài kỳ trước", "rate"),
    Column("installed_rate_change", "Tăng, giảm tỷ lệ cài đặt (điểm %)", "± % cài", "points"),
    Column("active_rate_prev", "Tỷ lệ sử dụng kỳ trước (%)", "% SD kỳ trước", "rate"),
    Column("active_rate_change", "Tăng, giảm tỷ lệ sử dụng (điểm %)", "± % SD", "points"),
]


def with_history(analysis) -> tuple[pd.DataFrame, list[Column]]:
    """The figures, with the previous period's rates and the change beside them when history has them."""
    c = getattr(analysis, "comparison", None)
    if c is None or c.previous is None:
        return analysis.figures, list(COLUMNS)
    figures = analysis.figures.copy()
    before = c.previous_rates.reindex(figures.index)
    change = c.change(analysis.figures, shown=analysis.rounding)  # between the rates as shown beside it
    for rate in ("installed_rate", "active_rate"):
        figures[f"{rate}_prev"] = before[rate]
        figures[f"{rate}_change"] = change[rate]
    return figures, list(COLUMNS) + HISTORY_COLUMNS


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value) -> bool:
    """Text a spreadsheet could take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def safe_text(value: str) -> str:
    """For CSV: text a spreadsheet could take for a formula gets a leading apostrophe. (XLSX cells keep
    the text as it is under Excel's quote prefix instead: render.xlsx.Workbook.)"""
    return "'" + value if formula_like(value) else value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell of `frame` made safe to open in Excel (CSV outputs)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_text)
    return out


def appendix_note(chi_bo: int, chi_bo_in_target: int) -> str:
    """The line under an appendix table: what a red cell means and what each rate is taken over; the chi bộ
    given no meeting target (armed forces) are said, else 129 of 176 would read as 74,14%."""
    note = ("Ô nền đỏ: dưới chỉ tiêu. Tỷ lệ tính trên số đảng viên đang sinh hoạt (không tính đảng viên miễn sinh "
            "hoạt)")
    left = int(chi_bo) - int(chi_bo_in_target)
    if left > 0:
        note += (f"; tỷ lệ chi bộ sinh hoạt trên ứng dụng tính trên các chi bộ được giao chỉ tiêu (không tính "
                 f"{number(left)} chi bộ lực lượng vũ trang)")
    return note + "."
