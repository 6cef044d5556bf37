"""Random files into `check` and `stats`: whatever the bytes, rows or headers, sotay answers 0, 1 or 2 with
a message, never a traceback and never an unexpected error (a crash report)."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from typer.testing import CliRunner

from sotay_cli.cli import app

runner = CliRunner()

HEADERS = ["STT", "Số thẻ đảng viên", "Số thẻ ĐV", "Họ và tên", "Ngày sinh", "Chi bộ", "Tình trạng",
           "Tình trạng sinh hoạt", "Đã cài đặt", "Ngày kích hoạt", "Lần truy cập gần nhất", "Số điện thoại",
           "Tên tổ chức đảng", "Trực thuộc", "Ngày sinh hoạt", "Loại sinh hoạt", "Số đảng viên dự", "", "(1)"]
VALUES = ["", "01.000001", "38.100000", "38.000007", "05/06/1970", "1982-11-30", "7/3/85", "45000", "Đang sinh hoạt",
          "Miễn sinh hoạt", "Đang SH", "Chi bộ thôn Đông", "Có", "x", "✓", "=1+1", "@SUM(A1)", "Tổng cộng", "(1)",
          "-", "0912345678", "nan", "1e308", "Định kỳ", "Chuyên đề",
          "A" * 140_000]  # over the csv module's 131,072-character field limit

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=24)
cell = st.one_of(st.sampled_from(VALUES), text, st.integers(-10**15, 10**15), st.floats(allow_nan=True))
header = st.one_of(st.sampled_from(HEADERS), text)
table = st.tuples(st.lists(header, min_size=1, max_size=8), st.lists(st.lists(cell, max_size=9), max_size=15))
raw = st.one_of(st.binary(max_size=3000), st.binary(max_size=3000).map(lambda b: b"PK\x03\x04" + b),
                st.binary(max_size=3000).map(lambda b: b"\xef\xbb\xbf" + b))


def csv_bytes(rows: list[list], delimiter: str, encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter).writerows(rows)
    return buf.getvalue().encode(encoding, errors="replace")


def xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@st.composite
def export_file(draw) -> tuple[str, bytes]:
    """A file name and its bytes: random bytes, or random headers and rows as CSV (any usual encoding and
    delimiter) or XLSX."""
    kind = draw(st.sampled_from(["bytes", "csv", "xlsx"]))
    if kind == "bytes":
        return draw(st.sampled_from(["x.csv", "x.xlsx", "x.txt", "x.xls"])), draw(raw)
    head, body = draw(table)
    rows = [head, *body]
    if kind == "xlsx":
        return "x.xlsx", xlsx_bytes(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258"]))
    return "x.csv", csv_bytes(rows, draw(st.sampled_from([",", ";", "\t", "|"])), encoding)


@given(export_file())
@settings(max_examples=50, deadline=None, database=None, derandomize=True,  # the same 50 files on every run
          suppress_health_check=[HealthCheck.too_slow])
def test_any_file_gets_an_answer_never_a_traceback(export):
    name, data = export
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        config = Path(folder) / "sotay.toml"
        config.write_text("", encoding="utf-8")
        for args in (["check", str(path)],
                     ["stats", "-p", "2026-06", "--members", str(path), "--config", str(config), "--no-history"]):
            result = runner.invoke(app, args)
            assert result.exit_code in (0, 1, 2), (args, result.output)
            assert "Traceback" not in result.output and "Lỗi không lường trước" not in result.output, result.output
            assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    crashes = Path(os.environ["SOTAY_CACHE"])
    assert not crashes.exists() or not any(crashes.iterdir())
