"""Exports as they really come: every kind of mess gives the same canonical table."""

import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import MEMBER_HEADER, MEMBER_ROWS, csv_text, to_cp1258, write_xlsx
from sotay_cli.ingest import MEETINGS, MEMBERS, USAGE, load_dataset, load_table
from sotay_cli.problems import InputError

EXPECTED_CARDS = ["03.012345", "38.100000", "38.000007"]


def assert_roster(table, first_data_row):
    assert table.kind == MEMBERS
    assert table.frame["card"].tolist() == EXPECTED_CARDS
    assert table.frame["name"].tolist() == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
    assert table.frame["status"].tolist() == ["active", "exempt", "active"]
    assert [d.strftime("%d/%m/%Y") for d in table.frame["birth_date"]] == ["05/06/1970", "30/11/1982", "07/03/1985"]
    assert table.frame["row"].tolist() == [first_data_row, first_data_row + 1, first_data_row + 2]
    assert table.left_out == {"dòng trống": 1, "dòng tổng cộng": 1}
    assert [p.code for p in table.problems] == ["total_row"]


def test_xlsx_with_merged_titles_numbering_row_stt_blank_and_total(tmp_path, roster_rows):
    path = write_xlsx(tmp_path / "dv.xlsx", roster_rows, merges=("A1:F1", "A2:F2"))
    table = load_table(path)
    assert table.header_row == 4
    assert table.mapping["card"] == "Số thẻ ĐV"
    assert_roster(table, first_data_row=6)


def test_xlsx_starting_below_empty_rows_keeps_excel_row_numbers(tmp_path, roster_rows):
    path = write_xlsx(tmp_path / "dv.xlsx", [[None] * 6, [None] * 6, *roster_rows[3:]])
    assert_roster(load_table(path), first_data_row=5)


def test_csv_semicolon_with_bom_from_vietnamese_windows(tmp_path, roster_rows):
    path = tmp_path / "dv.csv"
    path.write_bytes(csv_text(roster_rows, ";").encode("utf-8-sig"))
    assert_roster(load_table(path), first_data_row=6)


def test_unicode_text_utf16_with_tabs_from_excel(tmp_path, roster_rows):
    path = tmp_path / "dv.txt"
    path.write_bytes(csv_text(roster_rows, "\t").encode("utf-16"))
    assert_roster(load_table(path), first_data_row=6)


def test_nfd_text_from_a_mac(tmp_path, roster_rows):
    path = tmp_path / "dv.csv"
    path.write_text(unicodedata.normalize("NFD", csv_text(roster_rows)), encoding="utf-8")
    table = load_table(path)
    assert_roster(table, first_data_row=6)
    assert table.frame["chi_bo"].iloc[0] == unicodedata.normalize("NFC", "Chi bộ thôn Đông")


def test_windows_1258(tmp_path, roster_rows):
    path = tmp_path / "dv.csv"
    path.write_bytes(to_cp1258(csv_text(roster_rows)))
    assert_roster(load_table(path), first_data_row=6)


def test_card_like_a_decimal_number_stays_text_in_xlsx(tmp_path):
    path = write_xlsx(tmp_path / "dv.xlsx", [["Số thẻ đảng viên", "Họ tên", "Chi bộ"],
                                             ["38.100000", "A", "CB1"], ["0012", "B", "CB1"]])
    assert load_table(path).frame["card"].tolist() == ["38.100000", "0012"]


def test_two_header_rows_under_a_merged_group(tmp_path):
    rows = [["DANH SÁCH TÀI KHOẢN", None, None, None, None],
            ["STT", "Số thẻ đảng viên", "Họ tên", "Tài khoản", None],
            [None, None, None, "Trạng thái", "Lần truy cập gần nhất"],
            [1, "03.1", "A", "Đã kích hoạt", "12/06/2026"],
            [2, "03.2", "B", "Chưa kích hoạt", None]]
    path = write_xlsx(tmp_path / "tk.xlsx", rows, merges=("A1:E1", "D2:E2"))
    table = load_table(path)
    assert table.kind == USAGE
    assert table.mapping == {"card": "Số thẻ đảng viên", "name": "Họ tên", "activated": "Trạng thái",
                             "last_access": "Lần truy cập gần nhất"}
    assert table.frame["activated"].tolist() == [True, False]
    assert table.frame["row"].tolist() == [4, 5]


def test_stdin_is_read_like_a_file():
    data = csv_text([["Số thẻ", "Họ và tên", "Chi bộ"], ["1", "A", "X"]]).encode()
    table = load_table("-", data=data)
    assert table.source == "-" and table.frame["card"].tolist() == ["1"]


def test_header_named_in_config_is_mapped(tmp_path):
    path = tmp_path / "dv.csv"
    path.write_text(csv_text([["Mã định danh", "Họ và tên", "Chi bộ"], ["9", "A", "X"]]), encoding="utf-8")
    table = load_table(path, kind=MEMBERS, overrides={"Mã định danh": "card"})
    assert table.frame["card"].tolist() == ["9"]


# --- problems ---------------------------------------------------------------------------------

def test_missing_required_column_lists_the_headers_found(tmp_path):
    path = tmp_path / "dv.csv"
    path.write_text(csv_text([["Số thẻ", "Họ và tên", "Ngày sinh"], ["1", "A", "01/01/1970"]]), encoding="utf-8")
    table = load_table(path, kind=MEMBERS)
    [problem] = table.problems
    assert problem.code == "missing_column" and problem.severity == "error"
    assert "'chi bộ'" in problem.message and "'Số thẻ', 'Họ và tên', 'Ngày sinh'" in problem.message
    assert table.rows_used == 0 and table.left_out["thiếu cột bắt buộc"] == 1


def test_duplicate_card_and_member_in_two_chi_bo_name_both_rows(tmp_path):
    rows = [["Số thẻ", "Họ và tên", "Chi bộ"], ["1", "A", "X"], ["1", "A", "X"], ["2", "B", "X"], ["2", "B", "Y"]]
    path = tmp_path / "dv.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    table = load_table(path)
    codes = {p.code: p for p in table.problems}
    assert codes["duplicate_card"].row == 3 and "dòng 2" in codes["duplicate_card"].message
    assert codes["two_chi_bo"].row == 5 and "'X' (dòng 4)" in codes["two_chi_bo"].message
    assert table.frame["card"].tolist() == ["1", "2"] and table.left_out["số thẻ trùng"] == 2


def test_row_without_card_bad_date_and_unknown_status(tmp_path):
    rows = [["Số thẻ", "Họ và tên", "Chi bộ", "Ngày sinh", "Tình trạng"],
            ["", "Không Thẻ", "X", "01/01/1970", ""],
            ["5", "B", "X", "32/01/1970", "Đang sinh hoạt"],
            ["6", "C", "X", "", "nghỉ phép dài"]]
    path = tmp_path / "dv.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    table = load_table(path)
    found = {(p.code, p.row, p.column, p.severity) for p in table.problems}
    assert found == {("missing_card", 2, "Số thẻ", "error"), ("bad_date", 3, "Ngày sinh", "error"),
                     ("unknown_status", 4, "Tình trạng", "warning")}
    assert "32/01/1970" in next(p.message for p in table.problems if p.code == "bad_date")
    assert table.rows_read == 3 and table.rows_used == 2


def test_usage_card_not_in_roster_is_left_out_and_said(tmp_path):
    roster = tmp_path / "dv.csv"
    roster.write_text(csv_text([["Số thẻ", "Họ và tên", "Chi bộ"], ["1", "A", "X"]]), encoding="utf-8")
    usage = tmp_path / "tk.csv"
    usage.write_text(csv_text([["Số thẻ", "Trạng thái", "Lần truy cập gần nhất"], ["1", "Đã kích hoạt", "01/06/2026"],
                               ["99", "Đã kích hoạt", "01/06/2026"]]), encoding="utf-8")
    data = load_dataset(roster, usage)
    [problem] = data.usage.problems
    assert (problem.code, problem.row, problem.file) == ("unknown_card", 3, str(usage))
    assert data.usage.frame["card"].tolist() == ["1"]


def test_meetings_with_one_row_per_member_present(tmp_path):
    path = tmp_path / "sh.csv"
    path.write_text(csv_text([["Chi bộ", "Ngày sinh hoạt", "Số thẻ", "Có mặt"],
                              ["X", "05/06/2026", "1", "x"], ["X", "05/06/2026", "2", "Không"]]), encoding="utf-8")
    table = load_table(path, kind=MEETINGS)
    assert table.frame["attended"].tolist() == [True, False]


# --- files that cannot be read ------------------------------------------------------------------

@pytest.mark.parametrize("name,content,words", [
    ("empty.csv", b"", "rỗng"),
    ("random.xlsx", bytes(range(256)) * 10, "bảng tính"),
    ("truncated.xlsx", None, "hỏng"),
    ("noheader.csv", "a,b,c\n1,2,3\n".encode(), "tiêu đề"),
    ("binary.csv", b"\x81\x8a\x00\x9f" * 100, "bảng mã"),
])
def test_unreadable_files_raise_input_error_with_a_reason(tmp_path, roster_rows, name, content, words):
    path = tmp_path / name
    if content is None:
        full = write_xlsx(tmp_path / "full.xlsx", roster_rows).read_bytes()
        content = full[: len(full) // 2]
    path.write_bytes(content)
    with pytest.raises(InputError, match=words):
        load_table(path)


def test_each_member_keeps_the_status_of_its_own_row(tmp_path, roster_rows):
    """The exempt member is the one whose row says so (Trần Thị Bình), the others are in activity."""
    table = load_table(write_xlsx(tmp_path / "dv.xlsx", roster_rows), kind="members")
    status = dict(zip(table.frame["name"], table.frame["status"]))
    assert status == {"Nguyễn Văn An": "active", "Trần Thị Bình": "exempt", "Lê Văn Cường": "active"}


@pytest.mark.parametrize("encode, arrow_from_disk", [
    (lambda text: text.encode("utf-8-sig"), True),
    (lambda text: text.encode("utf-8"), True),
    (lambda text: unicodedata.normalize("NFD", text).encode("utf-8"), True),
    (lambda text: to_cp1258(text), False),
    (lambda text: text.encode("utf-16"), False),
], ids=["utf8-bom", "utf8", "nfd", "cp1258", "utf16"])
def test_large_file_path_reads_exactly_what_the_general_path_reads(tmp_path, roster_rows, monkeypatch, encode,
                                                                    arrow_from_disk):
    """Files above readers.LARGE are parsed by Arrow from the disk; forced here on small files, the
    result must be the same table, problems and row numbers included."""
    from sotay_cli.ingest import readers

    messy = roster_rows + [["  ", "38.000009", "Phạm  Thị\u00a0Dung ", "01/01/1990", "Chi bộ thôn Tây", "Đang SH"]]
    path = tmp_path / "dv.csv"
    path.write_bytes(encode(csv_text(messy, ";")))
    general = load_table(path, kind="members")
    monkeypatch.setattr(readers, "LARGE", 0)
    assert (readers._read_large_utf8(str(path)) is not None) == arrow_from_disk
    fast = load_table(path, kind="members")
    pd.testing.assert_frame_equal(fast.frame.reset_index(drop=True), general.frame.reset_index(drop=True),
                                  check_dtype=False)
    assert [(p.code, p.row, p.column) for p in fast.problems] == [(p.code, p.row, p.column) for p in general.problems]
    assert fast.header_row == general.header_row and fast.rows_read == general.rows_read
    assert "Phạm Thị Dung" in set(fast.frame["name"])


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""], ids=["bom", "no-bom"])
@pytest.mark.parametrize("cut", [1, 2])
def test_a_character_cut_by_the_end_of_the_first_slice_keeps_a_large_file_on_arrow(tmp_path, monkeypatch, bom, cut):
    """The first 200,000 bytes decide the layout; a 'ộ' (3 bytes) cut by their end, after a BOM or not, is
    no reason to read the whole file into memory."""
    from sotay_cli.ingest import readers

    head = bom + csv_text([["Số thẻ", "Họ và tên", "Chi bộ"]], ";").encode("utf-8")
    row = "38.{:06d};Người {:06d};Chi bộ {}\r\n"
    body = "".join(row.format(i, i, i % 7) for i in range(4000)).encode("utf-8")
    pad = 200_000 - cut - len(head) - len(body) - len(b"38.999999;;Chi b")
    data = head + body + f"38.999999;{'x' * pad};Chi bộ 1\r\n".encode("utf-8")
    assert data[200_000 - cut: 200_003 - cut] == "ộ".encode("utf-8")
    path = tmp_path / "dv.csv"
    path.write_bytes(data)
    monkeypatch.setattr(readers, "LARGE", 0)
    grid = readers._read_large_utf8(str(path))
    assert grid is not None
    assert grid.cells.iloc[-1].tolist() == ["38.999999", "x" * pad, "Chi bộ 1"]


def test_a_file_without_quotes_is_read_in_parallel_with_the_same_cells(tmp_path, roster_rows, monkeypatch):
    """Line breaks are allowed inside values only when the file has a '"' (Arrow then finds its blocks
    one after the other); a file without one is cut at its line ends. Both read the same cells, and a
    quoted cell over two lines is still one cell on either path."""
    from sotay_cli.ingest import readers

    calls = []
    real = readers._read_body_arrow
    monkeypatch.setattr(readers, "_read_body_arrow", lambda *a, **k: calls.append(k["quoted"]) or real(*a, **k))
    monkeypatch.setattr(readers, "LARGE", 0)
    plain = tmp_path / "plain.csv"
    plain.write_bytes(csv_text(roster_rows, ";").replace('"', "").encode("utf-8"))
    fast = load_table(plain, kind="members")
    assert calls == [False]
    assert_roster(fast, first_data_row=6)
    assert readers._has_quote(plain.read_bytes()) is False  # the general path, in memory
    assert readers._has_quote(memoryview(b'\xef\xbb\xbfa;"b"')[3:]) is True
    quoted = tmp_path / "quoted.csv"
    rows = [list(r) for r in roster_rows]
    rows[5][2] = '"Nguyễn Văn\nAn"'  # a name typed over two lines in Excel, quoted by its CSV export
    quoted.write_bytes(csv_text(rows, ";").encode("utf-8"))
    calls.clear()
    table = load_table(quoted, kind="members")
    assert calls == [True]
    assert table.frame["card"].tolist() == EXPECTED_CARDS and table.frame["name"].iloc[0] == "Nguyễn Văn An"


def test_repeated_columns_read_as_categories_give_the_table_of_a_workbook(tmp_path):
    """A CSV's columns whose first rows repeat (chi bộ, status…) are read as categories: the same table,
    problems and row numbers as the same sheet read from a workbook, cell by cell; with untidy and blank
    repeated cells, a duplicate card and a total row."""
    statuses = ["Đang sinh hoạt", " Miễn  sinh hoạt", "", "Đang SH", "chuyển đi"]
    rows = [["DANH SÁCH ĐẢNG VIÊN", None, None, None, None, None], MEMBER_HEADER]
    for i in range(120):
        rows.append([i + 1, f"38.{100000 + i % 117:06d}", f"Người {i}", f"0{1 + i % 9}/06/1980",
                     ["Chi bộ thôn Đông", "Chi bộ  thôn Tây ", "", "Chi bộ thôn Đông"][i % 4], statuses[i % 5]])
    rows.append(["Tổng cộng", None, None, None, None, None])
    csv_path = tmp_path / "dv.csv"
    csv_path.write_bytes(csv_text(rows, ";").encode("utf-8"))
    from sotay_cli.ingest import readers

    assert readers._repeated_columns([list(map(str, r)) for r in rows], 1, 6) == {3, 4, 5}  # dates, chi bộ, status
    from_csv = load_table(csv_path, kind="members")
    from_book = load_table(write_xlsx(tmp_path / "dv.xlsx", rows), kind="members")
    assert isinstance(from_csv.frame["chi_bo"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(from_csv.frame.astype(object), from_book.frame.astype(object))
    assert [(p.code, p.row, p.column, p.message) for p in from_csv.problems] == \
        [(p.code, p.row, p.column, p.message) for p in from_book.problems]
    assert from_csv.left_out == from_book.left_out and from_csv.rows_read == from_book.rows_read


_TOTAL_CELLS = st.sampled_from(["", "1", "12", "Tổng cộng", "TỔNG SỐ", "Cộng", "cộng đồng", "Chi bộ 1", "38.000001",
                                " ", "Toàn xã", "x"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_TOTAL_CELLS, min_size=5, max_size=5), min_size=1, max_size=12), st.integers(0, 4),
       st.booleans())
def test_total_rows_are_the_rows_whose_first_filled_cell_says_total(rows, key, as_categories):
    """table._total_rows reads the first filled cell in Arrow, for the rows whose key is empty or wordy only:
    the rows found are those, read one by one, whose key cell is empty or wordy and whose first filled cell
    among the first four, folded, starts like 'tổng cộng'; columns of text and of categories alike."""
    import re

    from sotay_cli.ingest import table, values

    body = pd.DataFrame(rows, dtype=object, index=range(7, 7 + len(rows)))
    if as_categories:
        body = body.astype("category")
    keys = values.text(body[key])
    expected = []
    for cells in rows:
        k = " ".join(cells[key].split())
        first = next((c for c in cells[:4] if c != ""), "")
        expected.append((k == "" or not k[0].isdigit()) and bool(re.match(table._TOTAL, values.fold(first))))
    assert table._total_rows(body, keys).tolist() == expected
