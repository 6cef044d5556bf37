"""Problems found in the input are data, gathered rather than raised.

Each kind of problem is defined once in CATALOGUE: its code, its usual severity and a Vietnamese
title (what `check` and the web page group by); each Problem keeps its file, row, column and the
offending cell (`value`) as fields, the message says it in a sentence. Collection stops at LIMIT per
file with a warning saying so (frictionless-py's `limit_errors`); the counts per code stay whole."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable, Literal

Severity = Literal["error", "warning", "info"]  # info: said in `check`, never counted as a fault


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as the user sees it in Excel."""

    file: str
    code: str
    severity: Severity
    message: str
    sheet: str | None = None
    row: int | None = None  # 1-based, as shown by Excel or a text editor
    column: str | None = None  # the header text as written in the file
    value: str | None = None  # the offending cell, as written

    def as_dict(self) -> dict:
        return asdict(self) | {"title": CATALOGUE[self.code].title if self.code in CATALOGUE else None}

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"trang tính '{self.sheet}'")
        if self.row is not None:
            parts.append(f"dòng {self.row}")
        if self.column:
            parts.append(f"cột '{self.column}'")
        return ", ".join(parts)


class InputError(Exception):
    """A file that cannot be read at all: the CLI exits 2 with this message."""


def count_by_severity(problems: Iterable[Problem]) -> Counter:
    return Counter(p.severity for p in problems)


@dataclass(frozen=True)
class Kind:
    severity: Severity
    title: str


LIMIT = 1000  # problems listed per file; the rest are counted, not listed

CATALOGUE: dict[str, Kind] = {
    # reading a file
    "missing_column": Kind("error", "Thiếu cột bắt buộc"),
    "no_data_rows": Kind("error", "Tệp không có dòng dữ liệu"),
    "ambiguous_column": Kind("warning", "Hai cột cùng nghĩa"),
    "no_usage_column": Kind("warning", "Không có cột lần truy cập"),
    "no_status_column": Kind("warning", "Không có cột tình trạng sinh hoạt"),
    "no_smartphone_column": Kind("info", "Không có cột điện thoại thông minh"),
    "total_row": Kind("warning", "Dòng tổng cộng"),
    "bad_date": Kind("error", "Ngày không hiểu được"),
    "bad_value": Kind("warning", "Giá trị không hiểu được"),
    "bad_number": Kind("error", "Số không hợp lệ"),
    "unknown_status": Kind("warning", "Tình trạng sinh hoạt không rõ"),
    "blank_status": Kind("warning", "Tình trạng sinh hoạt để trống"),
    "unknown_kind": Kind("warning", "Loại sinh hoạt không rõ"),
    "missing_card": Kind("error", "Thiếu số thẻ đảng viên"),
    "missing_unit": Kind("error", "Thiếu tên chi bộ, tổ chức"),
    "missing_date": Kind("error", "Thiếu ngày sinh hoạt"),
    "duplicate_card": Kind("error", "Thẻ trùng"),
    "card_conflict": Kind("error", "Hai người cùng số thẻ"),
    "two_chi_bo": Kind("error", "Đảng viên ở hai chi bộ"),
    "duplicate_account": Kind("warning", "Hai dòng tài khoản một số thẻ"),
    "cell_too_long": Kind("warning", "Ô quá dài cho Excel"),
    "problem_limit": Kind("warning", "Đã dừng liệt kê"),
    "other_sheets": Kind("warning", "Trang tính khác có dữ liệu bị bỏ qua"),
    # between files
    "unknown_card": Kind("warning", "Số thẻ không có trong danh sách đảng viên"),
    "unknown_unit": Kind("warning", "Chi bộ không có trong danh sách"),
    "unit_mismatch": Kind("warning", "Chi bộ khác với danh sách đảng viên"),
    "ambiguous_unit": Kind("error", "Tên chi bộ có ở nhiều nơi"),
    "ambiguous_parent": Kind("error", "Tên cấp trên có ở nhiều nơi"),
    "parent_created": Kind("warning", "Cấp trên được tạo thêm"),
    "unit_not_in_units_file": Kind("warning", "Chi bộ không có trong danh mục tổ chức"),
    "duplicate_unit": Kind("error", "Tổ chức trùng dưới một cấp trên"),
    "cycle": Kind("error", "Quan hệ cấp trên vòng lặp"),
    # what the figures could not know, or decided
    "no_usage": Kind("warning", "Không có tệp tài khoản"),
    "no_access_column": Kind("warning", "Không có lần truy cập"),
    "no_meetings": Kind("warning", "Không có tệp sinh hoạt"),
    "rows_all_rejected": Kind("warning", "Không dòng nào của tệp dùng được"),
    "no_attendance_column": Kind("warning", "Không có số đảng viên dự"),
    "months_missing": Kind("warning", "Tháng không có tệp"),
    "one_file_for_period": Kind("warning", "Một tệp cho cả kỳ"),
    "stale_export": Kind("warning", "Tệp xuất cũ"),
    "access_after_end": Kind("warning", "Truy cập sau cuối kỳ"),
    "newer_export": Kind("warning", "Tệp xuất sau kỳ"),
    "activated_after_end": Kind("warning", "Kích hoạt sau cuối kỳ"),
    "meetings_outside_period": Kind("warning", "Sinh hoạt ngoài kỳ"),
    "meetings_month_empty": Kind("warning", "Tháng không có buổi sinh hoạt"),
    "members_left": Kind("warning", "Đảng viên đã chuyển đi, từ trần"),
    "usage_month_empty": Kind("warning", "Tệp tài khoản của tháng không dùng được"),
    "accesses_not_cut": Kind("warning", "Số lần truy cập không cắt được theo ngày"),
    "attendance_capped": Kind("warning", "Số dự sinh hoạt vượt số đảng viên"),
    "smartphone_blank": Kind("warning", "Điện thoại thông minh để trống"),
}


def count_by_code(problems: Iterable[Problem]) -> Counter:
    return Counter(p.code for p in problems)
