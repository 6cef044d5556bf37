"""Files a new user hands over that used to be read wrongly or answered in English: a workbook whose list
goes on in a second sheet, a cover sheet in front of the table, a cut-off XLSX, a CSV with a stray quote,
a sotay.toml with a syntax error."""

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from conftest import MEMBER_HEADER
from sotay_cli.cli import app

runner = CliRunner()


def members(n: int, first: int = 0) -> list[list]:
    return [[i + 1, f"38.{first + i:06d}", f"Người {first + i}", "01/01/1980", "Chi bộ thôn Đông", "Đang sinh hoạt"]
            for i in range(n)]


def workbook(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    book.save(path)
    return path


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_second_sheet_with_members_is_named_in_a_warning(tmp_path):
    path = workbook(tmp_path / "dv.xlsx", {"Danh sách": [["DANH SÁCH ĐẢNG VIÊN"], MEMBER_HEADER, *members(5)],
                                           "Danh sách (2)": [MEMBER_HEADER, *members(4, first=10)]})
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"rows_used": 5' in result.stdout
    assert ("Tệp có 2 trang tính có dữ liệu; đã đọc trang 'Danh sách', bỏ qua trang 'Danh sách (2)'. "
            "Nếu cần trang khác, dùng --sheet \\\"TÊN TRANG\\\"") in result.stdout
    assert '"code": "other_sheets"' in result.stdout

    chosen = runner.invoke(app, ["check", str(path), "--sheet", "Danh sách (2)", "--format", "json"])
    assert chosen.exit_code == 0 and '"rows_used": 4' in chosen.stdout and "other_sheets" not in chosen.stdout


def test_a_title_only_sheet_or_a_hidden_list_is_not_data(tmp_path):
    path = workbook(tmp_path / "dv.xlsx", {"DS": [MEMBER_HEADER, *members(3)],
                                           "Ghi chú": [["Danh sách lập ngày 01/06/2026"]],
                                           "Danh mục": [["Đang sinh hoạt", "x"], ["Miễn sinh hoạt", "y"]]},
                    hidden=("Danh mục",))
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert result.exit_code == 0 and '"rows_used": 3' in result.stdout
    assert "other_sheets" not in result.stdout


def test_a_cover_sheet_without_a_header_points_to_the_sheet_with_one(tmp_path):
    path = workbook(tmp_path / "dv.xlsx", {"Hướng dẫn": [["HƯỚNG DẪN"], ["Điền danh sách ở trang sau", "nhé"],
                                                         ["Liên hệ văn phòng", "0123"]],
                                           "DS": [MEMBER_HEADER, *members(3)]})
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    no_traceback(result)
    assert "không tìm thấy dòng tiêu đề" in result.stderr
    assert ("Đã đọc trang tính 'Hướng dẫn'; các trang khác có dữ liệu: 'DS'. Trang 'DS' có dòng tiêu đề: "
            "dùng --sheet \"DS\" để đọc trang đó.") in result.stderr
    assert runner.invoke(app, ["check", str(path), "--sheet", "DS"]).exit_code == 0


def test_a_cover_sheet_in_front_of_two_tables_lists_them_without_choosing(tmp_path):
    notes = [["HƯỚNG DẪN"], ["Điền danh sách", "ở trang sau"], ["Liên hệ", "văn phòng"]]
    path = workbook(tmp_path / "dv.xlsx", {"Hướng dẫn": notes, "Ghi chú": notes,
                                           "DS": [MEMBER_HEADER, *members(3)], "DS2": [MEMBER_HEADER, *members(2)]})
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert ("Đã đọc trang tính 'Hướng dẫn'; các trang khác có dữ liệu: 'Ghi chú', 'DS', 'DS2'. "
            "Chọn trang chứa bảng bằng --sheet \"TÊN TRANG\".") in result.stderr


def test_a_truncated_xlsx_is_called_damaged_in_vietnamese(tmp_path):
    whole = workbook(tmp_path / "full.xlsx", {"DS": [MEMBER_HEADER, *members(50)]}).read_bytes()
    path = tmp_path / "dv.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    no_traceback(result)
    assert f"{path}: tệp Excel bị hỏng" in result.stderr and "xuất lại tệp" in result.stderr
    assert "zip" not in result.stderr.lower()


def test_an_unclosed_quote_names_the_files_own_row(tmp_path):
    path = tmp_path / "dv.csv"
    path.write_text("DANH SÁCH ĐẢNG VIÊN\n"
                    "Số thẻ ĐV,Họ và tên,Chi bộ,Tình trạng\n"
                    '38.000001,"Nguyễn\nVăn An",CB1,Đang sinh hoạt\n'
                    "\n"
                    '38.000002,"Bình,CB1,Đang sinh hoạt\n'
                    "38.000003,Cường,CB1,Đang sinh hoạt\n", encoding="utf-8-sig")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    no_traceback(result)
    assert f"{path}, dòng 6: có dấu ngoặc kép (\") mở" in result.stderr
    assert "tokenizing" not in result.stderr and "EOF" not in result.stderr


def test_a_toml_syntax_error_gives_line_and_column_in_vietnamese(tmp_path):
    config = tmp_path / "sotay.toml"
    config.write_text('[organisation]\nroot = "X"\n\n[rules]\nbroken = [\n\n[report]\ntemplates = "m"\n',
                      encoding="utf-8")
    result = runner.invoke(app, ["check", "-c", str(config), "x.csv"])
    assert result.exit_code == 2
    no_traceback(result)
    assert f"{config}, dòng 7, cột 2: sai cú pháp TOML (" in result.stderr
    assert "Invalid" not in result.stderr


def test_a_toml_cut_at_the_end_names_the_last_line(tmp_path):
    config = tmp_path / "sotay.toml"
    config.write_text('[organisation]\nroot = "X"\n\n[rules]\nbroken = [\n', encoding="utf-8")
    result = runner.invoke(app, ["check", "-c", str(config), "x.csv"])
    assert result.exit_code == 2
    assert f"{config}, cuối tệp (dòng 5): sai cú pháp TOML (" in result.stderr
