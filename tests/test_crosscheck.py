"""The checks between the roster and the other exports, on columns read as categories and as text."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sotay_cli import crosscheck
from sotay_cli.ingest import MEMBERS, USAGE, Dataset, Table
from sotay_cli.ingest.values import categories

UNITS = st.sampled_from(["Chi bộ thôn 1", "Chi bộ Thôn 1", "Chi bộ thôn 2", "Chi bộ  thôn 2", "", "Chi bộ 3"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(UNITS.filter(bool), UNITS), min_size=1, max_size=12), st.data())
def test_accounts_filed_under_another_chi_bo_are_found_alike_in_categories_and_in_text(rows, data):
    """note_unit_mismatch compares the codes when both columns are categories: the same warning, count and
    rows as comparing the text; accounts in the roster's order or not, some not in the roster."""
    n = len(rows)
    cards = [f"38.{i:06d}" for i in range(n)]
    order = data.draw(st.permutations(range(n)))
    kept = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    roster = pd.DataFrame({"row": range(10, 10 + n), "card": pd.array(cards, dtype="string[pyarrow]"),
                           "chi_bo": pd.array([r[0] for r in rows], dtype="string[pyarrow]")})
    usage = pd.DataFrame({"row": range(5, 5 + n), "card": pd.array([cards[i] if kept[i] else f"99.{i:06d}"
                                                                    for i in order], dtype="string[pyarrow]"),
                          "chi_bo": pd.array([rows[i][1] for i in order], dtype="string[pyarrow]")})
    said = []
    for as_categories in (False, True):
        if as_categories:
            roster = roster.assign(chi_bo=categories(roster["chi_bo"]))
            usage = usage.assign(chi_bo=categories(usage["chi_bo"]))
        members = Table(MEMBERS, "dv.csv", None, roster)
        accounts = Table(USAGE, "tk.csv", None, usage)
        crosscheck.note_unit_mismatch(Dataset(members, accounts), tree=None)
        said.append([(p.code, p.row, p.message) for p in accounts.problems])
    assert said[0] == said[1]


def test_files_whose_rows_were_all_left_out_give_unknown_figures_not_zero(tmp_path):
    """An accounts file of another commune (no card in the roster) and a meetings file whose chi bộ are all
    unknown gave 0% installed and 0% meeting: now those figures are unknown ('—', null), and a warning says
    no row could be used, why, and how many."""
    import json

    from typer.testing import CliRunner

    from sotay_cli.cli import app

    (tmp_path / "dv.csv").write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n"
                                     "09.000001,A,Chi bộ thôn Một,Đang sinh hoạt\r\n"
                                     "09.000002,B,Chi bộ thôn Hai,Đang sinh hoạt\r\n", encoding="utf-8")
    (tmp_path / "tk.csv").write_text("Số thẻ ĐV,Trạng thái,Lần truy cập gần nhất\r\n07.000001,Đã kích hoạt,20/06/2026\r\n"
                                     "07.000002,Đã kích hoạt,21/06/2026\r\n", encoding="utf-8")
    (tmp_path / "sh.csv").write_text("Chi bộ,Ngày sinh hoạt,Loại,Số đảng viên dự\r\n"
                                     "Chi bộ thôn Ba,10/06/2026,Định kỳ,5\r\n", encoding="utf-8")
    args = ["stats", "-p", "2026-06", "--no-history", "--members", str(tmp_path / "dv.csv")]
    result = CliRunner().invoke(app, [*args, "--usage", str(tmp_path / "tk.csv"), "--meetings",
                                      str(tmp_path / "sh.csv"), "-f", "json"])
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["total"]
    assert total["eligible"] == 2
    assert all(total[k] is None for k in ("installed", "installed_rate", "active", "meeting_rate", "chi_bo_met"))
    said = " ".join(result.stderr.split())
    assert ("tk.csv: Không dòng nào trong 2 dòng của tệp dùng được (2 dòng số thẻ không có trong danh sách đảng "
            "viên): số đã cài đặt, sử dụng là 'chưa có số liệu'.") in said
    assert "sh.csv: Không dòng nào trong 1 dòng của tệp dùng được (1 dòng chi bộ không có trong danh sách" in said
    assert "Không có tệp tài khoản" not in said and "Không có tệp sinh hoạt" not in said
    # one card of the roster among them: the file is used, its figures are figures
    (tmp_path / "tk.csv").write_text("Số thẻ ĐV,Trạng thái,Lần truy cập gần nhất\r\n09.000001,Đã kích hoạt,20/06/2026\r\n"
                                     "07.000002,Đã kích hoạt,21/06/2026\r\n", encoding="utf-8")
    result = CliRunner().invoke(app, [*args, "--usage", str(tmp_path / "tk.csv"), "-f", "json"])
    assert json.loads(result.stdout)["total"]["installed"] == 1


def test_members_marked_gone_are_counted_out_with_a_warning(tmp_path):
    """'Đã chuyển sinh hoạt đi' and 'Từ trần' rows were left out of the members without a word."""
    import json

    from typer.testing import CliRunner

    from sotay_cli.cli import app

    (tmp_path / "dv.csv").write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng sinh hoạt\r\n"
                                     "09.000001,A,Chi bộ thôn Một,Đang sinh hoạt\r\n"
                                     "09.000002,B,Chi bộ thôn Một,Đã chuyển sinh hoạt đi\r\n"
                                     "09.000003,C,Chi bộ thôn Một,Từ trần\r\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["stats", "-p", "2026-06", "--no-history", "-f", "json", "--members",
                                      str(tmp_path / "dv.csv")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"]["members"] == 1
    assert ("dv.csv: 2 đảng viên đã chuyển sinh hoạt đi, ra khỏi Đảng hoặc từ trần (theo cột 'Tình trạng sinh "
            "hoạt'): không tính vào số đảng viên.") in " ".join(result.stderr.split())


def test_a_meetings_file_with_no_data_row_says_none_was_held_and_an_empty_roster_stores_nothing(tmp_path):
    """A meetings export with its header only: no meeting held on the app, 0 (with the file's own warning),
    not unknown, so the chi bộ are still flagged. A header-only roster replaced the stored period with 0
    members: now it is not stored."""
    import contextlib
    import json

    from typer.testing import CliRunner

    from sotay_cli.cli import app

    (tmp_path / "dv.csv").write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n"
                                     "09.000001,A,Chi bộ thôn Một,Đang sinh hoạt\r\n", encoding="utf-8")
    (tmp_path / "sh.csv").write_text("Chi bộ,Ngày sinh hoạt,Loại,Số đảng viên dự\r\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["stats", "-p", "2026-06", "-f", "json", "--members", str(tmp_path / "dv.csv"),
                                      "--meetings", str(tmp_path / "sh.csv")])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["total"]["meeting_rate"] == 0 and document["total"]["regular_meetings"] == 0
    assert "meeting_rate" in {f["metric"] for f in document["flags"]}
    said = " ".join(result.stderr.split())
    assert "Dữ liệu: 0 lỗi, 1 cảnh báo trong các tệp (sh.csv)" in said and "Không có tệp sinh hoạt" not in said
    result = CliRunner().invoke(app, ["stats", "-p", "2026-06", "-f", "csv", "--members", str(tmp_path / "empty.csv")])
    assert ("Lịch sử: danh sách đảng viên không có đảng viên nào được tính; số liệu kỳ 2026-06 chưa được lưu vào lịch "
            "sử.") in " ".join(result.stderr.split())
    import os
    import sqlite3

    from sotay_cli import history

    with contextlib.closing(sqlite3.connect(os.environ["SOTAY_HISTORY"])) as con:
        stored = history.periods(con)
    assert stored[["period", "units"]].values.tolist() == [["2026-06", 2]]  # the root and its chi bộ, kept


def test_an_accounts_file_with_no_data_row_gives_unknown_figures_not_zero(tmp_path):
    """An accounts export cut to its header is a failed export, not a commune where nobody installed: it
    read 'có 0/1.920 đảng viên … đã cài đặt, đạt 0,00%' (a meetings file with its header only is another
    matter: no meeting held)."""
    import json

    from typer.testing import CliRunner

    from sotay_cli.cli import app

    (tmp_path / "dv.csv").write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n"
                                     "09.000001,A,Chi bộ thôn Một,Đang sinh hoạt\r\n", encoding="utf-8")
    (tmp_path / "tk.csv").write_text("Số thẻ ĐV,Trạng thái,Lần truy cập gần nhất\r\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["stats", "-p", "2026-06", "-f", "json", "--no-history", "--members",
                                      str(tmp_path / "dv.csv"), "--usage", str(tmp_path / "tk.csv")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"]["installed_rate"] is None
    assert "tk.csv: Tệp không có dòng dữ liệu nào: số đã cài đặt, sử dụng là 'chưa có số liệu'" \
        in " ".join(result.stderr.split())
