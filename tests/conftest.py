"""Builders of export files with the mess real ones carry."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from hypothesis import settings

# CI runs the suite in five environments on a busy 2-core machine: property tests are checked for what
# they find, never for how fast one example runs
settings.register_profile("sotay", deadline=None)
settings.load_profile("sotay")

MEMBER_HEADER = ["STT", "Số thẻ ĐV", "Họ và tên", "Ngày sinh", "Chi bộ", "Tình trạng"]
MEMBER_ROWS = [
    [1, "03.012345", "Nguyễn Văn An", "05/06/1970", "Chi bộ thôn Đông", "Đang sinh hoạt"],
    [2, "38.100000", "Trần Thị Bình", "1982-11-30", "Chi bộ thôn Đông", "Miễn sinh hoạt"],
    [3, "38.000007", "Lê Văn Cường", "7/3/85", "Chi bộ thôn Tây", "Đang SH"],
]


def write_xlsx(path: Path, rows: list[list], merges: tuple[str, ...] = (), sheet: str = "DS") -> Path:
    """An XLSX written by openpyxl (not the writer sotay uses), merged cells included."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for cells in merges:
        ws.merge_cells(cells)
    book.save(path)
    return path


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: vowel letters precomposed, tone marks as combining characters."""
    import unicodedata

    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            ch.encode("cp1258")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out.append(base + "".join(c for c in decomposed if c in tones))
    return "".join(out).encode("cp1258")


def csv_text(rows: list[list], sep: str = ",") -> str:
    return "\r\n".join(sep.join("" if c is None else str(c) for c in row) for row in rows) + "\r\n"


@pytest.fixture
def roster_rows():
    return [["ĐẢNG BỘ XÃ THỬ NGHIỆM", None, None, None, None, None],
            ["DANH SÁCH ĐẢNG VIÊN", None, None, None, None, None],
            [None] * 6,
            MEMBER_HEADER,
            ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
            *MEMBER_ROWS,
            [None] * 6,
            ["Tổng cộng", None, "3 đảng viên", None, None, None]]


@pytest.fixture(autouse=True)
def history_in_tmp(tmp_path, monkeypatch):
    """Every test keeps its history in its own temporary SQLite file, never in the user's folder."""
    path = tmp_path / "lich-su.sqlite"
    monkeypatch.setenv("SOTAY_HISTORY", str(path))
    monkeypatch.setenv("SOTAY_CACHE", str(tmp_path / "bao-cao-loi"))  # crash reports, never the user's cache
    return path


def nobody_on_the_app(folder: Path, card: str = "01.000001") -> list[str]:
    """`--usage` of an accounts file where the roster's `card` has an account not activated: nobody is on the
    app, and that is known (an accounts file of which no row is the roster's leaves installation unknown, and
    followup then makes no list)."""
    path = folder / "tk.csv"
    path.write_text(f"Số thẻ ĐV,Trạng thái\r\n{card},Chưa kích hoạt\r\n", encoding="utf-8")
    return ["--usage", str(path)]
