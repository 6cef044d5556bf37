"""Edges of an export found by new users: a file with its header and no data under it, a numbering row
with gaps where columns were deleted in Excel."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import MEMBER_HEADER, MEMBER_ROWS, csv_text, write_xlsx
from sotay_cli.cli import app
from sotay_cli.ingest import MEETINGS, MEMBERS, USAGE, load_table
from sotay_cli.ingest.header import is_numbering

runner = CliRunner()

TITLE = [["ĐẢNG BỘ XÃ THỬ NGHIỆM", None, None], [None, None, None]]
ROSTER_HEADER = ["Số thẻ", "Họ và tên", "Chi bộ", "Tình trạng"]
USAGE_HEADER = ["Số thẻ", "Trạng thái", "Lần truy cập gần nhất"]
MEETINGS_HEADER = ["Chi bộ", "Ngày sinh hoạt", "Số ĐV dự"]


def _csv(path, rows):
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


def _check_json(*paths):
    result = runner.invoke(app, ["check", *map(str, paths), "--format", "json"])
    return result, json.loads(result.stdout)


# --- a header and no data -------------------------------------------------------------------

def test_roster_with_only_its_header_is_an_error_naming_the_header_row(tmp_path):
    path = _csv(tmp_path / "dv.csv", [*TITLE, ROSTER_HEADER])
    result, payload = _check_json(path)
    assert result.exit_code == 1
    assert payload["errors"] == 1
    assert [(p["code"], p["severity"], p["row"], p["file"], p["message"]) for p in payload["problems"]] == [
        ("no_data_rows", "error", 3, str(path), "Tệp chỉ có dòng tiêu đề (dòng 3), không có dòng dữ liệu nào.")]
    assert payload["problems"][0]["title"] == "Tệp không có dòng dữ liệu"


def test_roster_with_only_blank_rows_under_its_header_says_the_same_with_its_sheet(tmp_path):
    path = write_xlsx(tmp_path / "dv.xlsx", [ROSTER_HEADER, [None] * 4, ["", " ", None, ""], [None] * 4],
                      sheet="Danh sách")
    table = load_table(path, MEMBERS)
    assert [(p.code, p.severity, p.sheet, p.row) for p in table.problems] == [
        ("no_data_rows", "error", "Danh sách", 1)]
    assert table.problems[0].message == "Tệp chỉ có dòng tiêu đề (dòng 1), không có dòng dữ liệu nào."
    assert table.problems[0].location() == f"{path}, trang tính 'Danh sách', dòng 1"


def test_roster_with_its_header_and_numbering_row_only_has_no_data(tmp_path):
    path = _csv(tmp_path / "dv.csv", [ROSTER_HEADER, ["(1)", "(2)", "(3)", "(4)"]])
    assert [p.code for p in load_table(path, MEMBERS).problems] == ["no_data_rows"]


def test_two_row_header_with_nothing_under_it_names_both_rows(tmp_path):
    path = write_xlsx(tmp_path / "dv.xlsx", [["Số thẻ", "Họ và tên", "Đơn vị", None],
                                             [None, None, "Chi bộ", "Đảng bộ xã"]],
                      merges=("C1:D1", "A1:A2", "B1:B2"))
    table = load_table(path, MEMBERS)
    assert table.mapping["chi_bo"] == "Chi bộ"
    assert [p.message for p in table.problems if p.code == "no_data_rows"] == [
        "Tệp chỉ có dòng tiêu đề (dòng 1–2), không có dòng dữ liệu nào."]


def test_stats_with_an_empty_roster_says_the_error_and_strict_exits_1(tmp_path):
    path = _csv(tmp_path / "dv.csv", [ROSTER_HEADER])
    result = runner.invoke(app, ["stats", "--period", "2026-06", "--members", str(path)])
    assert result.exit_code == 0, result.output
    assert "Dữ liệu: 1 lỗi, 0 cảnh báo trong các tệp (dv.csv)" in result.stderr
    strict = runner.invoke(app, ["stats", "--period", "2026-06", "--members", str(path), "--strict"])
    assert strict.exit_code == 1, strict.output


@pytest.mark.parametrize("kind,header", [(USAGE, USAGE_HEADER), (MEETINGS, MEETINGS_HEADER)])
def test_empty_usage_or_meetings_export_is_a_warning(tmp_path, kind, header):
    path = _csv(tmp_path / f"{kind}.csv", [header, [None] * len(header)])
    table = load_table(path, kind)
    assert [(p.code, p.severity, p.row) for p in table.problems if p.code == "no_data_rows"] == [
        ("no_data_rows", "warning", 1)]


def test_check_of_an_empty_usage_export_beside_a_roster_warns_without_failing(tmp_path):
    roster = _csv(tmp_path / "dv.csv", [ROSTER_HEADER, ["01.000001", "A", "X", "Đang sinh hoạt"]])
    usage = _csv(tmp_path / "tk.csv", [USAGE_HEADER])
    result, payload = _check_json(roster, usage)
    assert result.exit_code == 0, result.output
    assert [(p["file"], p["code"], p["severity"]) for p in payload["problems"]] == [
        (str(usage), "no_data_rows", "warning")]


def test_a_file_with_data_rows_has_no_such_problem(tmp_path):
    path = _csv(tmp_path / "dv.csv", [ROSTER_HEADER, [None] * 4, ["01.000001", "A", "X", "Đang sinh hoạt"]])
    assert [p.code for p in load_table(path, MEMBERS).problems] == []


# --- a numbering row with gaps --------------------------------------------------------------

GAPPED = ["(1)", "(2)", "(5)", "(6)", "(7)", "(8)"]


@pytest.mark.parametrize("numbering", [
    GAPPED,
    ["1", "2", "5", "6", "7", "8"],
    [1, 2, 5, 6, 7, 8],  # numbers typed in the cells of an XLSX
    ["(1)", None, "(5)", "(6)", None, "(9)"],
    ["(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
])
def test_numbering_row_with_gaps_is_left_out_of_the_data(tmp_path, numbering):
    path = write_xlsx(tmp_path / "dv.xlsx", [MEMBER_HEADER, numbering, *MEMBER_ROWS])
    table = load_table(path, MEMBERS)
    assert table.problems == []
    assert table.rows_read == len(MEMBER_ROWS)
    assert table.frame["row"].tolist() == [3, 4, 5]


def test_check_with_roster_and_usage_both_numbered_with_gaps_finds_nothing(tmp_path):
    roster = _csv(tmp_path / "dv.csv", [["STT", "Số thẻ", "Họ và tên", "Ngày sinh", "Chi bộ"],
                                        ["(1)", "(2)", "(4)", "(5)", "(7)"],
                                        ["1", "01.000001", "Nguyễn Văn An", "05/06/1970", "Chi bộ thôn Đông"]])
    usage = _csv(tmp_path / "tk.csv", [["Số thẻ", "Trạng thái", "Lần truy cập gần nhất", "Số lần truy cập"],
                                       ["(1)", "(3)", "(6)", "(7)"],
                                       ["01.000001", "Đã kích hoạt", "02/06/2026", "4"]])
    result, payload = _check_json(roster, usage)
    assert result.exit_code == 0, result.output
    assert [p["code"] for p in payload["problems"]] == ["no_status_column"]
    assert [f["rows_used"] for f in payload["files"]] == [1, 1]


# what people type in the cells of a data row
NAMES = st.sampled_from(["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "A", "X", "Chi bộ thôn Đông",
                         "Đang sinh hoạt", "Miễn SH", "Đã kích hoạt", "Chưa", "x", "Có", "Nam", "Nữ"])
CARDS = st.one_of(st.from_regex(r"\d{2}\.\d{6}", fullmatch=True), st.from_regex(r"\d{5,9}", fullmatch=True))
DATES = st.one_of(
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")), st.dates().map(lambda d: d.isoformat()),
    st.builds(lambda d, m, y: f"{d}/{m}/{y}", st.integers(1, 31), st.integers(1, 12), st.integers(0, 99)))
SMALL = st.integers(0, 99).map(str)  # an STT, a count of accesses
ANY_CELL = st.one_of(NAMES, CARDS, DATES, SMALL, st.just(""))


@st.composite
def data_rows(draw):
    """A row of any export: at least a name, a card or a date (no export is only small numbers)."""
    cells = draw(st.lists(ANY_CELL, min_size=0, max_size=10))
    anchor = draw(st.one_of(NAMES, CARDS, DATES))
    cells.insert(draw(st.integers(0, len(cells))), anchor)
    return cells


@given(data_rows())
def test_no_data_row_is_taken_for_numbering(cells):
    assert not is_numbering(cells)


@st.composite
def numbering_rows(draw):
    """Column numbers strictly increasing with gaps (columns deleted), written alike, blanks between."""
    numbers = sorted(draw(st.sets(st.integers(1, 60), min_size=3, max_size=20)))
    form = draw(st.sampled_from(["({})", "{}", "( {} )", "{})"]))
    cells = [form.format(n) for n in numbers]
    for _ in range(draw(st.integers(0, 4))):
        cells.insert(draw(st.integers(0, len(cells))), "")
    return cells


@given(numbering_rows())
def test_numbering_rows_with_gaps_or_blanks_are_numbering(cells):
    assert is_numbering(cells)


@pytest.mark.parametrize("cells", [
    ["(1)", "(5)"],  # two numbers with a gap: too little to tell
    ["(1)", "2", "(5)"],  # written two ways
    ["(1)", "(5)", "(3)"],  # not increasing
    ["(1)", "(2)", "(2)", "(3)"],
    ["1", "01.234567", "3"],
    ["(1)", "(2)", "Nguyễn Văn An"],
    ["a", "c", "f"],  # letters only when consecutive
])
def test_rows_that_are_not_clearly_numbering(cells):
    assert not is_numbering(cells)


@pytest.mark.parametrize("cells", [["A", "B", "1", "2", "3"], ["(A)", "(B)", "(C)", "(1)", "(2)"],
                                   ["A", "B", "", "1", "2", "4"]])
def test_official_letters_then_numbers_is_numbering(cells):
    """The forms' own style: letters over the text columns (STT, name), numbers over the figures."""
    assert is_numbering(cells)


@pytest.mark.parametrize("cells", [["A", "1", "2"], ["B", "C", "1", "2"], ["A", "B", "2", "3"], ["A", "(B)", "1"],
                                   ["A", "B", "1", "1"]])
def test_letters_then_numbers_not_in_that_form_is_not_numbering(cells):
    assert not is_numbering(cells)


def test_consecutive_numbering_is_still_numbering():
    assert is_numbering(["(1)", "(2)"]) and is_numbering(["A", "B", "C"]) and is_numbering(["1", "", "2", "3"])
