"""Headers as people write them: recognised by meaning, rivals said, near misses suggested, a missing
column said rather than counted as zero."""

import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import csv_text, write_xlsx
from sotay_cli.cli import app
from sotay_cli.ingest import MEETINGS, MEMBERS, UNITS, USAGE, load_table
from sotay_cli.ingest.schema import SCHEMAS, header_key, recogniser
from sotay_cli.ingest.table import say_missing_smartphone
from sotay_cli.ingest.values import fold

runner = CliRunner()

# (kind, header as seen in a spreadsheet, the column it names)
SPELLINGS = [
    (MEMBERS, "Số thẻ ĐV", "card"),
    (MEMBERS, "SỐ THẺ ĐẢNG VIÊN", "card"),
    (MEMBERS, "So the dang vien", "card"),
    (MEMBERS, "Số thẻ Đảng viên (*)", "card"),
    (MEMBERS, "1. Mã thẻ", "card"),
    (MEMBERS, "Mã ĐV", "card"),
    (MEMBERS, "Số thẻ đảng viên mới", "card"),
    (MEMBERS, "HỌ VÀ TÊN", "name"),
    (MEMBERS, "Ho ten dang vien", "name"),
    (MEMBERS, "Ngày sinh (dd/mm/yyyy)", "birth_date"),
    (MEMBERS, "Ngày, tháng, năm sinh", "birth_date"),
    (MEMBERS, "Giới tính (Nam/Nữ)", "gender"),
    (MEMBERS, "Chi bộ (thôn, tổ dân phố)", "chi_bo"),
    (MEMBERS, "Tên chi bộ trực thuộc", "chi_bo"),
    (MEMBERS, "TCCS", "co_so"),
    (MEMBERS, "Đảng bộ cơ sở trực thuộc", "co_so"),
    (MEMBERS, "ĐẢNG BỘ XÃ/PHƯỜNG", "xa"),
    (MEMBERS, "Tình trạng sinh hoạt (Đang SH/Miễn SH)", "status"),
    (MEMBERS, "Miễn sinh hoạt", "status"),
    (MEMBERS, "Đảng viên chính thức/dự bị", "membership"),
    (MEMBERS, "SĐT", "phone"),
    (MEMBERS, "Số ĐT liên hệ", "phone"),
    (MEMBERS, "Có ĐTTM", "smartphone"),
    (MEMBERS, "Có điện thoại thông minh (x)", "smartphone"),
    (USAGE, "Lần truy cập cuối", "last_access"),
    (USAGE, "Lần truy cập cuối cùng", "last_access"),
    (USAGE, "Thời gian đăng nhập gần nhất (dd/mm/yyyy)", "last_access"),
    (USAGE, "Đăng nhập mới nhất", "last_access"),
    (USAGE, "LAN TRUY CAP GAN NHAT", "last_access"),
    (USAGE, "Ngày truy cập", "last_access"),
    (USAGE, "Số lần truy cập trong kỳ", "accesses"),
    (USAGE, "Số lần truy cập (lần)", "accesses"),
    (USAGE, "Tổng số lượt đăng nhập trong tháng", "accesses"),
    (USAGE, "Kích hoạt (Có/Không)", "activated"),
    (USAGE, "Đã cài đặt ứng dụng Sổ tay", "activated"),
    (USAGE, "Tình trạng kích hoạt tài khoản", "activated"),
    (USAGE, "Thời điểm cài đặt", "activated_date"),
    (USAGE, "Ngày kích hoạt (dd/mm/yyyy)", "activated_date"),
    (USAGE, "Ngày truy cập đầu tiên", "activated_date"),
    (USAGE, "Tên đăng nhập", "card"),
    (USAGE, "Số thẻ Đ.V", "card"),
    (MEETINGS, "Ngày họp chi bộ (dd/mm/yyyy)", "date"),
    (MEETINGS, "Thời gian tổ chức", "date"),
    (MEETINGS, "Hình thức sinh hoạt (định kỳ/chuyên đề)", "kind"),
    (MEETINGS, "Số ĐV dự", "present"),
    (MEETINGS, "Số đảng viên tham dự trên ứng dụng", "present"),
    (UNITS, "Tên tổ chức đảng", "unit"),
    (UNITS, "Trực thuộc đảng bộ", "parent"),
    (UNITS, "Khối LLVT", "armed_forces"),
    (UNITS, "Thuộc khối cơ quan nhà nước", "state_agency"),
    (UNITS, "Loại trừ khỏi chỉ tiêu", "excluded"),
    (UNITS, "Cấp tổ chức", "level"),
]

# other columns that make a table of each kind complete, none of them rival to the one tested
FILLERS = {
    MEMBERS: {"card": "Số thẻ", "name": "Họ và tên", "chi_bo": "Chi bộ"},
    USAGE: {"card": "Số thẻ", "activated": "Trạng thái", "last_access": "Lần truy cập gần nhất"},
    MEETINGS: {"chi_bo": "Chi bộ", "date": "Ngày sinh hoạt", "present": "Số đảng viên dự"},
    UNITS: {"unit": "Tên đơn vị", "parent": "Cấp trên"},
}


def write_csv(tmp_path, rows, name="t.csv"):
    path = tmp_path / name
    path.write_text(csv_text(rows, ";"), encoding="utf-8")
    return path


@pytest.mark.parametrize("kind,header,column", SPELLINGS, ids=[h for _, h, _ in SPELLINGS])
def test_header_spelling_names_its_column_in_a_file(tmp_path, kind, header, column):
    others = [h for c, h in FILLERS[kind].items() if c != column]
    path = write_csv(tmp_path, [["STT", *others, header], ["1", *["x"] * len(others), ""]])
    table = load_table(path, kind=kind)
    assert table.mapping[column] == header
    assert header not in table.ignored
    assert not [p for p in table.problems if p.code == "ambiguous_column"]


def test_enough_spellings_are_covered():
    assert len(SPELLINGS) >= 30
    assert {"SĐT", "Mã ĐV", "TCCS"} <= {h for _, h, _ in SPELLINGS}


@pytest.mark.parametrize("kind", [MEMBERS, USAGE, MEETINGS, UNITS])
def test_every_alias_of_today_is_still_an_alias(kind):
    recognise, aliases = recogniser(kind), SCHEMAS[kind].aliases
    for names in aliases.values():
        for name in names:
            # an alias listed under two columns names the first of them
            owner = next(c for c, others in aliases.items() if header_key(name) in map(header_key, others))
            assert (recognise(name).column, recognise(name).rule) == (owner, "alias"), name


NOT_THESE = """
    members  | Ghi chú | -
    usage    | Ghi chú | -
    usage    | Ngày sinh | activated_date
    members  | Ngày sinh hoạt | birth_date
    members  | Số điện thoại | card
    members  | Ngày cấp thẻ | card
    members  | Số CCCD | card
    members  | Ngày vào Đảng | -
    members  | Ngày chính thức | membership
    members  | Địa chỉ (xã/phường) | xa
    members  | Quê quán | -
    members  | Họ tên bí thư chi bộ | -
    members  | Số chi bộ | chi_bo
    usage    | Tỷ lệ cài đặt | activated
    usage    | Tên đăng nhập | last_access
    usage    | Số điện thoại | card
    meetings | Vắng mặt | present
    meetings | Ngày sinh | date
    meetings | Nội dung | -
"""  # kind | header | the column it must not be taken for ('-': no column at all)


@pytest.mark.parametrize("kind,header,wrong", [
    (kind, header, None if wrong == "-" else wrong)
    for kind, header, wrong in ([c.strip() for c in line.split("|")] for line in NOT_THESE.strip().splitlines())
])
def test_headers_that_must_not_be_taken_for_a_column(kind, header, wrong):
    match = recogniser(kind)(header)
    if wrong is None:
        assert match is None
    else:
        assert match is None or match.column != wrong


@pytest.mark.parametrize("kind,header", [(MEMBERS, "Ngày sinh"), (MEMBERS, "Số điện thoại")])
def test_near_negatives_name_their_own_column(kind, header):
    assert recogniser(kind)(header).column == {"Ngày sinh": "birth_date", "Số điện thoại": "phone"}[header]


_MARKS = ["\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031b"]


@st.composite
def respelled(draw, header: str) -> str:
    """The header typed again: accents added or dropped, case changed, spaces doubled, maybe in NFD."""
    plain = "".join(c for c in unicodedata.normalize("NFD", header) if not unicodedata.combining(c))
    out = []
    for ch in plain:
        if ch in "dD" and draw(st.booleans()):
            ch = "đ" if ch == "d" else "Đ"
        ch = ch.upper() if draw(st.booleans()) else ch.lower()
        if ch.isalpha() and draw(st.integers(0, 3)) == 0:
            ch += draw(st.sampled_from(_MARKS))
        if ch == " ":
            ch = draw(st.sampled_from([" ", "  ", "\u00a0", " \t "]))
        out.append(ch)
    text = "".join(out)
    return draw(st.sampled_from([unicodedata.normalize("NFC", text), text]))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SPELLINGS).flatmap(lambda case: st.tuples(st.just(case), respelled(case[1]))))
def test_accents_case_and_spaces_never_change_the_column(tmp_path_factory, case_and_variant):
    (kind, header, column), variant = case_and_variant
    others = [h for c, h in FILLERS[kind].items() if c != column]
    path = write_csv(tmp_path_factory.mktemp("respelled"), [[*others, variant], [*["x"] * len(others), ""]])
    table = load_table(path, kind=kind)
    assert fold(table.mapping.get(column, "")) == fold(variant), (variant, table.mapping)


# --- the file of the issue: "Lần truy cập cuối" ---------------------------------------------------

def test_last_access_written_otherwise_is_read_and_check_says_by_meaning(tmp_path):
    usage = write_csv(tmp_path, [["STT", "Số thẻ ĐV", "Họ tên", "Trạng thái", "Lần truy cập cuối"],
                                 ["1", "1", "A", "Đã kích hoạt", "12/06/2026"]], "tk.csv")
    table = load_table(usage)
    assert table.kind == USAGE and table.mapping["last_access"] == "Lần truy cập cuối"
    assert table.rules == {"card": "alias", "name": "alias", "activated": "alias", "last_access": "meaning"}
    assert table.frame["last_access"].notna().all() and table.ignored == []
    result = runner.invoke(app, ["check", str(usage), "--format", "json"])
    assert result.exit_code == 0, result.output
    [summary] = json.loads(result.stdout)["files"]
    assert {"header": "Lần truy cập cuối", "column": "last_access", "rule": "meaning"} in summary["columns"]
    assert {"header": "Số thẻ ĐV", "column": "card", "rule": "alias"} in summary["columns"]


def test_usage_without_any_access_column_warns_that_regular_use_is_unknown(tmp_path):
    table = load_table(write_csv(tmp_path, [["Số thẻ", "Trạng thái"], ["1", "Đã kích hoạt"]]), kind=USAGE)
    [problem] = table.problems
    assert (problem.code, problem.severity) == ("no_usage_column", "warning")
    assert "chưa có số liệu" in problem.message
    assert "last_access" not in table.mapping and "accesses" not in table.mapping


def test_usage_with_an_access_count_only_is_not_warned(tmp_path):
    table = load_table(write_csv(tmp_path, [["Số thẻ", "Trạng thái", "Lượt truy cập"], ["1", "Có", "3"]]))
    assert table.kind == USAGE and table.problems == []


def test_usage_without_activation_nor_access_date_is_an_error(tmp_path):
    table = load_table(write_csv(tmp_path, [["Số thẻ", "Số lần truy cập"], ["1", "3"]]), kind=USAGE)
    assert [(p.code, p.severity) for p in table.problems] == [("missing_column", "error")]
    assert table.rows_used == 0


def test_roster_without_status_warns_that_everyone_counts_as_active(tmp_path):
    table = load_table(write_csv(tmp_path, [["Số thẻ", "Họ và tên", "Chi bộ"], ["1", "A", "X"]]))
    [problem] = table.problems
    assert (problem.code, problem.severity) == ("no_status_column", "warning")
    assert "đang sinh hoạt" in problem.message
    assert set(table.mapping) == {"card", "name", "chi_bo"}


def test_roster_without_smartphone_column_is_noted_only_when_the_rule_needs_it(tmp_path):
    rows = [["Số thẻ", "Họ và tên", "Chi bộ", "Tình trạng"], ["1", "A", "X", "Đang sinh hoạt"]]
    table = load_table(write_csv(tmp_path, rows))
    assert table.problems == []
    say_missing_smartphone(table)
    say_missing_smartphone(table)
    assert [(p.code, p.severity) for p in table.problems] == [("no_smartphone_column", "info")]
    (tmp_path / "sotay.toml").write_text("[rules]\nsmartphone_only = true\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(tmp_path / "t.csv"), "-c", str(tmp_path / "sotay.toml")])
    assert result.exit_code == 0, result.output
    assert "lưu ý" in result.output and "điện thoại thông minh" in result.output


# --- two headers for one column -------------------------------------------------------------------

def test_alias_is_preferred_to_a_header_read_by_meaning_and_both_are_named(tmp_path):
    rows = [["Số thẻ", "Trạng thái", "Thời gian đăng nhập cuối", "Lần truy cập gần nhất"],
            ["1", "Có", "01/06/2026", "12/06/2026"]]
    table = load_table(write_csv(tmp_path, rows), kind=USAGE)
    assert table.mapping["last_access"] == "Lần truy cập gần nhất"
    [problem] = table.problems
    assert (problem.code, problem.severity, problem.column) == ("ambiguous_column", "warning",
                                                                "Thời gian đăng nhập cuối")
    assert "'Lần truy cập gần nhất' và 'Thời gian đăng nhập cuối'" in problem.message
    assert "sotay dùng cột 'Lần truy cập gần nhất'" in problem.message
    assert '"Thời gian đăng nhập cuối" = "last_access"' in problem.message
    assert "Thời gian đăng nhập cuối" in table.ignored
    assert table.frame["last_access"].iloc[0].day == 12


def test_two_headers_equally_good_are_an_error(tmp_path):
    rows = [["Số thẻ", "Trạng thái", "Lần truy cập cuối", "Ngày đăng nhập cuối"], ["1", "Có", "01/06/2026", ""]]
    table = load_table(write_csv(tmp_path, rows), kind=USAGE)
    [problem] = table.problems
    assert (problem.code, problem.severity) == ("ambiguous_column", "error")
    assert "'Lần truy cập cuối' và 'Ngày đăng nhập cuối'" in problem.message
    assert table.mapping["last_access"] == "Lần truy cập cuối"


def test_the_same_header_twice_is_an_error(tmp_path):
    table = load_table(write_csv(tmp_path, [["Số thẻ", "Họ và tên", "Chi bộ", "Số thẻ"], ["1", "A", "X", "2"]]))
    assert [(p.code, p.severity) for p in table.problems if p.code == "ambiguous_column"] == [
        ("ambiguous_column", "error")]


def test_the_users_columns_win_over_an_alias_and_say_so(tmp_path):
    rows = [["Số thẻ", "Trạng thái", "Thời gian đăng nhập cuối", "Lần truy cập gần nhất"],
            ["1", "Có", "01/06/2026", "12/06/2026"]]
    table = load_table(write_csv(tmp_path, rows), kind=USAGE, overrides={"Thời gian đăng nhập cuối": "last_access"})
    assert table.mapping["last_access"] == "Thời gian đăng nhập cuối" and table.rules["last_access"] == "config"
    [problem] = table.problems
    assert problem.severity == "warning" and "sotay.toml" in problem.message
    assert table.frame["last_access"].iloc[0].day == 1


# --- suggestions ----------------------------------------------------------------------------------

def test_a_header_close_to_a_missing_column_is_suggested_with_its_config_line(tmp_path):
    usage = write_csv(tmp_path, [["Số thẻ", "Trạng thái", "Lần truycập gần nhất", "Ghi chú"],
                                 ["1", "Có", "12/06/2026", ""]], "tk.csv")
    table = load_table(usage, kind=USAGE)
    assert [(s.header, s.column) for s in table.suggestions] == [("Lần truycập gần nhất", "last_access")]
    [problem] = table.problems
    assert problem.code == "no_usage_column" and "có phải cột 'lần truy cập gần nhất'?" in problem.message

    result = runner.invoke(app, ["check", str(usage)])
    assert "Cột 'Lần truycập gần nhất': có phải cột 'lần truy cập gần nhất'?" in result.output
    assert '[columns]\n"Lần truycập gần nhất" = "last_access"' in result.output
    result = runner.invoke(app, ["check", str(usage), "--format", "json"])
    [summary] = json.loads(result.stdout)["files"]
    assert summary["suggestions"] == [{"header": "Lần truycập gần nhất", "column": "last_access",
                                       "label": "lần truy cập gần nhất",
                                       "config_line": '"Lần truycập gần nhất" = "last_access"'}]

    # the line, pasted into sotay.toml as told, maps the column
    (tmp_path / "sotay.toml").write_text('[columns]\n"Lần truycập gần nhất" = "last_access"\n', encoding="utf-8")
    result = runner.invoke(app, ["check", str(usage), "--format", "json", "-c", str(tmp_path / "sotay.toml")])
    [summary] = json.loads(result.stdout)["files"]
    assert {"header": "Lần truycập gần nhất", "column": "last_access", "rule": "config"} in summary["columns"]
    assert summary["suggestions"] == [] and json.loads(result.stdout)["warnings"] == 0


def test_no_suggestion_for_headers_far_from_any_column(tmp_path):
    rows = [["Số thẻ", "Họ và tên", "Chi bộ", "Tình trạng", "Ghi chú", "Dân tộc", "Nghề nghiệp"],
            ["1", "A", "X", "Đang sinh hoạt", "", "Kinh", "Nông dân"]]
    table = load_table(write_csv(tmp_path, rows))
    assert table.suggestions == [] and table.ignored == ["Ghi chú", "Dân tộc", "Nghề nghiệp"]


def test_missing_required_column_suggests_the_close_header(tmp_path):
    table = load_table(write_csv(tmp_path, [["Sốthẻ đảng viên", "Họ và tên", "Chi bộ"], ["1", "A", "X"]]),
                       kind=MEMBERS)
    [problem] = table.problems
    assert problem.code == "missing_column"
    assert "Cột 'Sốthẻ đảng viên' có phải cột 'số thẻ đảng viên'?" in problem.message
    assert '"Sốthẻ đảng viên" = "card"' in problem.message


# --- header rows as offices lay them out -----------------------------------------------------------

def test_official_title_block_above_a_header_by_meaning(tmp_path):
    rows = [["ĐẢNG BỘ TỈNH THANH HÓA", None, None, "ĐẢNG CỘNG SẢN VIỆT NAM", None],
            ["ĐẢNG ỦY XÃ HOA LỘC", None, None, "Hoa Lộc, ngày 16 tháng 01 năm 2026", None],
            ["DANH SÁCH TÀI KHOẢN SỔ TAY ĐẢNG VIÊN", None, None, None, None],
            ["TT", "Mã ĐV", "Họ và tên", "Kích hoạt (Có/Không)", "Đăng nhập lần cuối (dd/mm/yyyy)"],
            ["(1)", "(2)", "(3)", "(4)", "(5)"],
            [1, "03.1", "A", "Có", "12/06/2026"],
            [2, "03.2", "B", "Không", None]]
    table = load_table(write_xlsx(tmp_path / "tk.xlsx", rows, merges=("A3:E3",)))
    assert (table.kind, table.header_row) == (USAGE, 4)
    assert table.mapping == {"card": "Mã ĐV", "name": "Họ và tên", "activated": "Kích hoạt (Có/Không)",
                             "last_access": "Đăng nhập lần cuối (dd/mm/yyyy)"}
    assert table.frame["row"].tolist() == [6, 7]


def test_two_row_header_read_by_meaning(tmp_path):
    rows = [["STT", "Số thẻ", "Họ tên", "Truy cập", None, "Ghi chú"],
            [None, None, None, "Lần cuối", "Số lần", None],
            [1, "03.1", "A", "12/06/2026", 4, ""]]
    table = load_table(write_xlsx(tmp_path / "tk.xlsx", rows, merges=("D1:E1",)))
    assert table.kind == USAGE and table.header_row == 1
    assert table.mapping == {"card": "Số thẻ", "name": "Họ tên", "last_access": "Truy cập Lần cuối",
                             "accesses": "Truy cập Số lần"}
    assert table.frame["accesses"].tolist() == [4] and table.frame["row"].tolist() == [3]


def test_first_data_row_is_never_taken_for_a_second_header_row(tmp_path):
    # the status column has a header no rule knows; its first value would match 'status' by meaning
    rows = [["Số thẻ", "Họ và tên", "Chi bộ", "Ghi chú"], ["1", "A", "X", "Miễn sinh hoạt"],
            ["2", "B", "X", "Đang sinh hoạt"]]
    table = load_table(write_csv(tmp_path, rows))
    assert table.header_row == 1 and table.frame["card"].tolist() == ["1", "2"]
