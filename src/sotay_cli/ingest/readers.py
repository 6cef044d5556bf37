"""Turn any export file (CSV/TXT in any usual encoding, XLSX/XLSM/XLS/ODS, stdin) into a raw grid.

A grid is a DataFrame of object cells with integer column labels, plus the spreadsheet row
number of its first row, so that every later problem can name the row the user sees.
"""

from __future__ import annotations

import io
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from ..problems import InputError

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
DELIMITERS = [",", ";", "\t", "|"]


@dataclass
class Grid:
    cells: pd.DataFrame  # object cells, columns 0..n-1
    first_row: int  # spreadsheet row number (1-based) of cells.iloc[0]
    source: str  # what the user called the file
    sheet: str | None = None


def read_grid(path: str | Path, sheet: str | None = None, data: bytes | None = None) -> Grid:
    """Read `path` ('-' for stdin) into a grid of cells, or raise InputError saying why not."""
    name = str(path)
    if data is None:
        data = _read_bytes(name)
    if not data.strip(b"\x00\t\r\n \xef\xbb\xbf\xff\xfe"):
        raise InputError(f"{name}: tệp rỗng, không có dữ liệu.")
    suffix = Path(name).suffix.lower()
    if _looks_like_spreadsheet(data) or suffix in SPREADSHEET_SUFFIXES:
        return _read_workbook(name, data, sheet)
    return _read_text(name, data)


def _read_bytes(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    if not path.exists():
        raise InputError(f"{name}: không tìm thấy tệp.")
    if path.is_dir():
        raise InputError(f"{name}: là thư mục, không phải tệp dữ liệu.")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: không mở được tệp ({exc.strerror}).") from exc


def _looks_like_spreadsheet(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_workbook(name: str, data: bytes, sheet: str | None) -> Grid:
    if data[:4] == b"PK\x03\x04":
        try:
            zipfile.ZipFile(io.BytesIO(data)).testzip()
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise InputError(f"{name}: tệp bảng tính bị hỏng hoặc chưa tải xong ({exc}).") from exc
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for every kind of bad file
        raise InputError(f"{name}: không phải tệp bảng tính đọc được (XLSX, XLS, ODS).") from exc
    names = book.sheet_names
    if sheet is not None:
        if sheet not in names:
            raise InputError(
                f"{name}: không có trang tính '{sheet}'; các trang tính có: {', '.join(names)}."
            )
        candidates = [sheet]
    else:
        candidates = names
    for sheet_name in candidates:
        try:
            ws = book.get_sheet_by_name(sheet_name)
            rows = ws.to_python()
        except Exception as exc:
            raise InputError(f"{name}: không đọc được trang tính '{sheet_name}' ({exc}).") from exc
        if any(any(v != "" for v in row) for row in rows[:200]):
            cells = pd.DataFrame(rows, dtype=object)
            # calamine starts at the first non-empty cell; keep the row numbers Excel shows
            start_row = (ws.start or (0, 0))[0]
            return Grid(cells.replace("", None), start_row + 1, name, sheet_name)
    raise InputError(f"{name}: bảng tính không có trang nào chứa dữ liệu.")


def decode_text(name: str, data: bytes) -> str:
    """Decode exports from Excel and Windows: UTF-8 (BOM or not), UTF-16, Windows-1258."""
    if data[:3] == b"\xef\xbb\xbf":
        encodings = ["utf-8-sig"]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings = ["utf-16"]
    elif data[:200].count(b"\x00") > 20:  # UTF-16 without a BOM
        encodings = ["utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"]
    else:
        encodings = ["utf-8", "cp1258"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise InputError(
        f"{name}: không nhận ra bảng mã của tệp (đã thử UTF-8, UTF-16, Windows-1258); "
        "hãy lưu lại tệp dưới dạng CSV UTF-8 hoặc XLSX."
    )


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter whose per-line count is most often the same non-zero number."""
    best, best_score = ",", (0, 0)
    for delim in DELIMITERS:
        counts = [line.count(delim) for line in lines if line.strip()]
        nonzero = [c for c in counts if c]
        if not nonzero:
            continue
        mode = max(set(nonzero), key=nonzero.count)
        score = (nonzero.count(mode), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_text(name: str, data: bytes) -> Grid:
    text = decode_text(name, data)
    head = text[:200_000].splitlines()[:200]
    delim = sniff_delimiter(head)
    width = max((line.count(delim) for line in head), default=0) + 1
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            header=None,
            names=range(width),
            dtype=object,
            keep_default_na=False,
            na_values=[],
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"{name}: tệp văn bản không đúng dạng bảng ({exc}).") from exc
    if cells.empty:
        raise InputError(f"{name}: tệp rỗng, không có dữ liệu.")
    cells = cells.replace("", None)
    return Grid(cells, 1, name, None)
