"""Figures that can be signed: each unit is itself, a missing input is said, nothing is borrowed.

Every test here is built on small hand-made exports shaped like a province's: the same chi bộ names
in every xã, cards written three ways, a blank status, a chi bộ cơ sở, tagged groups.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import csv_text
from sotay_cli.analysis import analyse
from sotay_cli.cli import app
from sotay_cli.config import Config
from sotay_cli.ingest import values as v
from sotay_cli.metrics import COUNTS
from sotay_cli.periods import parse_period

runner = CliRunner()
JUNE = parse_period("2026-06")


def table(text: str) -> list[list[str]]:
    """Rows written as lines of cells separated by '|' (an empty cell is an empty string)."""
    return [[c.strip() for c in line.split("|")] for line in text.strip("\n").splitlines() if line.strip()]


def write(folder: Path, name: str, rows: list[list]) -> str:
    path = folder / name
    path.write_text(csv_text(rows), encoding="utf-8")
    return str(path)


ROSTER_HEAD = ["Số thẻ", "Họ và tên", "Ngày sinh", "Chi bộ", "Đảng bộ xã", "Tình trạng"]


def province(tmp_path: Path) -> dict[str, str]:
    """Two xã, each with its own 'Chi bộ thôn 1' and 'Chi bộ Công an'."""
    members = write(tmp_path, "dv.csv", [
        ROSTER_HEAD,
        ["01.000001", "An", "1970", "Chi bộ thôn 1", "Đảng bộ xã An Bình", "Đang sinh hoạt"],
        ["01.000002", "Bình", "1971", "Chi bộ thôn 1", "Đảng bộ xã An Bình", "Đang sinh hoạt"],
        ["01.000003", "Cúc", "1972", "Chi bộ Công an", "Đảng bộ xã An Bình", "Đang sinh hoạt"],
        ["02.000001", "Dũng", "1980", "Chi bộ thôn 1", "Đảng bộ xã Bình Minh", "Đang sinh hoạt"],
        ["02.000002", "Én", "1981", "Chi bộ thôn 1", "Đảng bộ xã Bình Minh", "Đang sinh hoạt"],
        ["02.000003", "Giang", "1982", "Chi bộ thôn 1", "Đảng bộ xã Bình Minh", "Đang sinh hoạt"],
        ["02.000004", "Hà", "1983", "Chi bộ Công an", "Đảng bộ xã Bình Minh", "Đang sinh hoạt"],
    ])
    usage = write(tmp_path, "tk.csv", table("""
        Số thẻ | Trạng thái | Lần truy cập gần nhất
        01.000001 | Đã kích hoạt | 10/06/2026
        02.000001 | Đã kích hoạt | 10/06/2026
        02.000002 | Đã kích hoạt | 01/05/2026
        02.000003 | Đã kích hoạt | 12/06/2026
    """))
    return {"members": members, "usage": usage}


def by_id(payload: dict) -> dict[str, dict]:
    return {u["id"]: u for u in payload["units"]}


def test_same_named_chi_bo_in_two_xa_stay_two_units(tmp_path):
    inputs = province(tmp_path)
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "json", "--no-history",
                                 "--members", inputs["members"], "--usage", inputs["usage"]])
    assert result.exit_code == 0, result.output
    units = by_id(json.loads(result.stdout))
    a, b = units["Đảng bộ xã An Bình / Chi bộ thôn 1"], units["Đảng bộ xã Bình Minh / Chi bộ thôn 1"]
    assert (a["members"], a["installed"], a["active"]) == (2, 1, 1)
    assert (b["members"], b["installed"], b["active"]) == (3, 3, 2)
    assert a["parent"] == "Đảng bộ xã An Bình" and b["parent"] == "Đảng bộ xã Bình Minh"
    assert a["label"] == "Chi bộ thôn 1 (Đảng bộ xã An Bình)"
    assert units["Đảng bộ xã An Bình"]["members"] == 3 and units["Đảng bộ xã Bình Minh"]["members"] == 4


def test_same_named_units_in_a_units_file_are_placed_by_their_parents(tmp_path):
    inputs = province(tmp_path)
    units = write(tmp_path, "dm.csv", table("""
        Tên tổ chức đảng | Trực thuộc | Loại tổ chức | Lực lượng vũ trang
        Đảng bộ xã An Bình | Đảng bộ tỉnh T | Đảng bộ xã | 
        Đảng bộ xã Bình Minh | Đảng bộ tỉnh T | Đảng bộ xã | 
        Chi bộ thôn 1 | Đảng bộ xã An Bình | Chi bộ | 
        Chi bộ Công an | Đảng bộ xã An Bình | Chi bộ | x
        Chi bộ thôn 1 | Đảng bộ xã Bình Minh | Chi bộ | 
        Chi bộ Công an | Đảng bộ xã Bình Minh | Chi bộ | x
    """))
    config = Config(organisation={"root": "Đảng bộ tỉnh T", "level": "tinh"}, inputs=inputs | {"units": units})
    a = analyse(config, JUNE)
    f = a.figures
    assert f.loc["Đảng bộ xã Bình Minh / Chi bộ thôn 1", "members"] == 3
    assert f.loc["Đảng bộ xã An Bình / Chi bộ Công an", "armed_forces"]
    assert f.loc["Đảng bộ tỉnh T", "members"] == 7
    assert not [p for p in a.problems if p.severity == "error"]


def two_chi_bo_thon_1(tmp_path: Path, second_parent: str) -> str:
    """A units file with 'Chi bộ thôn 1' under Đảng bộ xã An Bình, and again under `second_parent`."""
    return write(tmp_path, "dm.csv", [["Tên tổ chức đảng", "Trực thuộc"], ["Chi bộ thôn 1", "Đảng bộ xã An Bình"],
                                      ["Chi bộ thôn 1", second_parent]])


def test_the_same_name_twice_under_one_parent_is_an_error_naming_both_rows(tmp_path):
    inputs = province(tmp_path)
    units = two_chi_bo_thon_1(tmp_path, "Đảng bộ xã An Bình")
    a = analyse(Config(inputs=inputs | {"units": units}), JUNE)
    dup = [p for p in a.problems if p.code == "duplicate_unit"]
    assert len(dup) == 1 and dup[0].severity == "error" and "dòng 2 và dòng 3" in dup[0].message


def test_an_ambiguous_chi_bo_name_without_parent_columns_is_not_guessed(tmp_path):
    units = two_chi_bo_thon_1(tmp_path, "Đảng bộ xã Bình Minh")
    members = write(tmp_path, "dv2.csv", [["Số thẻ", "Họ và tên", "Chi bộ"], ["9", "X", "Chi bộ thôn 1"]])
    a = analyse(Config(inputs={"members": members, "units": units}), JUNE)
    assert [p.code for p in a.problems if p.severity == "error"] == ["ambiguous_unit"]
    assert a.total()["members"] == 0
    assert a.data.members.left_out["chi bộ không xác định được trong cây tổ chức"] == 1


def test_chi_bo_co_so_counts_as_a_base_organisation_and_as_a_chi_bo(tmp_path):
    members = write(tmp_path, "dv.csv", table("""
        Số thẻ | Họ và tên | Chi bộ
        1 | A | Chi bộ Trường THCS
        2 | B | Chi bộ thôn 2
    """))
    units = write(tmp_path, "dm.csv", table("""
        Tên tổ chức đảng | Trực thuộc | Loại tổ chức
        Chi bộ Trường THCS | Đảng bộ xã T | Chi bộ cơ sở
        Chi bộ thôn 2 | Đảng bộ xã T | Chi bộ
    """))
    meetings = write(tmp_path, "sh.csv", [["Chi bộ", "Ngày sinh hoạt", "Loại"], ["Chi bộ thôn 2", "03/06/2026", "Định kỳ"]])
    a = analyse(Config(organisation={"root": "Đảng bộ xã T"},
                       inputs={"members": members, "units": units, "meetings": meetings}), JUNE)
    total = a.total()
    assert total["chi_bo_in_target"] == 2 and total["chi_bo_met"] == 1 and total["meeting_rate"] == 0.5
    assert a.counts() | {} == {"xa": 1, "co_so": 2, "dang_bo_co_so": 0, "chi_bo_co_so": 2, "chi_bo": 2,
                               "members": 2, "eligible": 2}
    assert any(f.unit == "Chi bộ Trường THCS" and f.metric == "meeting_rate" for f in a.flags)


def test_inputs_given_without_sotay_toml_never_take_the_sample(tmp_path, monkeypatch):
    inputs = province(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "json", "--no-history",
                                 "--members", inputs["members"], "--usage", inputs["usage"]])
    payload = json.loads(result.stdout)
    assert payload["root"] != "Đảng bộ xã Hoa Lộc"
    assert payload["total"]["regular_meetings"] is None and payload["total"]["meeting_rate"] is None
    assert "sample" not in json.dumps(payload)


def test_a_missing_input_is_unknown_not_zero_and_said(tmp_path):
    inputs = province(tmp_path)
    a = analyse(Config(inputs={"members": inputs["members"]}), JUNE)
    payload = a.to_dict()
    for key in ("installed", "active", "installed_rate", "active_rate", "regular_meetings", "meeting_rate"):
        assert payload["total"][key] is None, key
    assert payload["total"]["eligible"] == 7
    assert {"no_usage", "no_meetings"} <= {p.code for p in a.problems}
    assert not a.flags  # nothing is below a target it cannot be measured against
    from sotay_cli.render.stats import summary_line

    assert "Chưa có số liệu cài đặt" in summary_line(a) and "0,00" not in summary_line(a)


def test_usage_without_an_access_column_leaves_regular_use_unknown(tmp_path):
    inputs = province(tmp_path)
    usage = write(tmp_path, "tk2.csv", [["Số thẻ", "Trạng thái"], ["01.000001", "Đã kích hoạt"]])
    a = analyse(Config(inputs={"members": inputs["members"], "usage": usage}), JUNE)
    assert a.total()["installed"] == 1
    assert np.isnan(a.total()["active"]) and a.to_dict()["total"]["active_rate"] is None
    assert "no_access_column" in {p.code for p in a.problems}


@given(st.integers(0, 99), st.integers(0, 999_999), st.sampled_from(["{}.{}", "{}{}", "{},{}", " {} . {} ", "{} {}"]))
def test_card_numbers_written_any_usual_way_are_one_card(province_code, number, form):
    canonical = f"{province_code:02d}.{number:06d}"
    written = form.format(f"{province_code:02d}", f"{number:06d}")
    assert v.card(pd.Series([written], dtype=object)).tolist() == [canonical]


def test_cards_written_differently_match_their_accounts(tmp_path):
    members = write(tmp_path, "dv.csv", [["Số thẻ", "Họ và tên", "Chi bộ"], ["38.300002", "A", "Chi bộ 1"],
                                         ["38.300003", "B", "Chi bộ 1"], ["38.300004", "C", "Chi bộ 1"]])
    usage = write(tmp_path, "tk.csv", [["Số thẻ", "Trạng thái", "Lần truy cập gần nhất"],
                                       ["38300002", "Đã kích hoạt", "05/06/2026"],
                                       [" 38.300003 ", "Đã kích hoạt", "05/06/2026"],
                                       ['"38,300004"', "Đã kích hoạt", "05/06/2026"]])
    a = analyse(Config(inputs={"members": members, "usage": usage}), JUNE)
    assert a.total()["installed"] == 3 and a.total()["active"] == 3
    assert "unknown_card" not in {p.code for p in a.problems}


def test_two_people_on_one_card_is_an_error_naming_both_rows(tmp_path):
    members = write(tmp_path, "dv.csv", table("""
        Số thẻ | Họ và tên | Ngày sinh | Chi bộ
        38.300002 | Nguyễn Văn A | 01/01/1970 | Chi bộ 1
        38300002 | Trần Thị B | 02/02/1990 | Chi bộ 1
        38.300005 | Lê C | 01/01/1970 | Chi bộ 1
        38.300005 | Lê C | 01/01/1970 | Chi bộ 1
    """))
    a = analyse(Config(inputs={"members": members}), JUNE)
    codes = {p.code: p for p in a.problems if p.severity == "error"}
    assert set(codes) == {"card_conflict", "duplicate_card"}
    assert "Nguyễn Văn A" in codes["card_conflict"].message and "Trần Thị B" in codes["card_conflict"].message
    assert "dòng 2" in codes["card_conflict"].message and codes["card_conflict"].row == 3
    assert a.to_dict()["problems"]["duplicate_cards"] == 2
    assert a.total()["members"] == 2


def test_smartphone_rule_is_said_counted_and_kept_in_the_followup(tmp_path):
    members = write(tmp_path, "dv.csv", table("""
        Số thẻ | Họ và tên | Chi bộ | Điện thoại thông minh
        1 | A | Chi bộ 1 | Có
        2 | B | Chi bộ 1 | Không
        3 | C | Chi bộ 1 | 
    """))
    usage = write(tmp_path, "tk.csv", [["Số thẻ", "Trạng thái", "Lần truy cập gần nhất"],
                                       ["1", "Đã kích hoạt", "05/06/2026"]])
    config = Config(inputs={"members": members, "usage": usage}, rules={"smartphone_only": True})
    a = analyse(config, JUNE)
    assert a.total()["eligible"] == 2 and a.total()["no_smartphone"] == 1
    assert a.eligible_means == "đảng viên đang sinh hoạt có điện thoại thông minh"
    assert "smartphone_blank" in {p.code for p in a.problems}
    from sotay_cli.followup import NO_SMARTPHONE, followup_list

    todo = followup_list(a)
    assert dict(zip(todo["name"], todo["reason"]))["B"] == NO_SMARTPHONE
    assert set(todo["name"]) == {"B", "C"}


def test_target_wording_and_strict_targets(tmp_path):
    from sotay_cli.targets import Flag, target_words

    assert target_words(1.0) == "đạt 100%" and target_words(0.95, strict=True) == "trên 95%"
    assert target_words(0.95) == "đạt 95%"
    flag = Flag("u", "chi_bo", "installed_rate", 0.9, 1.0, 1, "đảng viên", 0.1)
    assert "để đạt 100%" in flag.message() and "trên 100%" not in flag.message()
    # 19 of 20 is exactly 95 %: met when the target is "95%", not when it is "trên 95%"
    rows = [["Số thẻ", "Họ và tên", "Chi bộ"]] + [[str(i), f"N{i}", "Chi bộ 1"] for i in range(20)]
    members = write(tmp_path, "dv.csv", rows)
    usage = write(tmp_path, "tk.csv", [["Số thẻ", "Trạng thái", "Lần truy cập gần nhất"]] +
                  [[str(i), "Đã kích hoạt", "05/06/2026"] for i in range(19)])
    inputs = {"members": members, "usage": usage}
    loose = analyse(Config(inputs=inputs, targets={"active_rate": False}), JUNE)
    strict = analyse(Config(inputs=inputs, targets={"active_rate": False}, rules={"strict_targets": True}), JUNE)
    assert not [f for f in loose.flags if f.metric == "installed_rate"]
    flagged = [f for f in strict.flags if f.metric == "installed_rate" and f.level == "chi_bo"]
    assert len(flagged) == 1 and flagged[0].gap == 1 and "trên 95%" in flagged[0].message()


def test_counts_per_level_and_group_rows(tmp_path):
    inputs = province(tmp_path)
    units = write(tmp_path, "dm.csv", table("""
        Tên tổ chức đảng | Trực thuộc | Lực lượng vũ trang | Cơ quan nhà nước
        Chi bộ Công an | Đảng bộ xã An Bình | x | 
        Chi bộ Công an | Đảng bộ xã Bình Minh | x | 
        Chi bộ thôn 1 | Đảng bộ xã An Bình |  | x
    """))
    a = analyse(Config(organisation={"root": "Đảng bộ tỉnh T", "level": "tinh"}, inputs=inputs | {"units": units}),
                JUNE)
    payload = a.to_dict()
    assert payload["counts"] == {"xa": 2, "co_so": 4, "dang_bo_co_so": 0, "chi_bo_co_so": 4, "chi_bo": 4,
                                 "members": 7, "eligible": 7}
    groups = {g["group"]: g for g in payload["groups"]}
    assert groups["armed_forces"]["units"] == 2 and groups["armed_forces"]["members"] == 2
    assert groups["armed_forces"]["installed"] == 0
    assert groups["state_agency"]["members"] == 2 and groups["state_agency"]["installed_rate"] == 0.5


def test_every_guess_is_a_warning_with_a_count(tmp_path):
    members = write(tmp_path, "dv.csv", table("""
        Số thẻ | Họ và tên | Chi bộ | Tình trạng
        1 | A | Chi bộ 1 | 
        2 | B | Chi bộ 1 | 
        3 | C | Chi bộ 2 | Đang sinh hoạt
    """))
    usage = write(tmp_path, "tk.csv", [["Số thẻ", "Tên chi bộ", "Trạng thái", "Lần truy cập gần nhất"],
                                       ["1", "Chi bộ 2", "Đã kích hoạt", "05/06/2026"]])
    meetings = write(tmp_path, "sh.csv", [["Chi bộ", "Ngày sinh hoạt", "Số đảng viên dự"],
                                          ["Chi bộ 1", "05/06/2026", "30"], ["Chi bộ 9", "05/06/2026", "3"]])
    units = write(tmp_path, "dm.csv", [["Tên tổ chức đảng", "Trực thuộc"], ["Chi bộ 1", "Đảng bộ Khối"]])
    a = analyse(Config(organisation={"root": "Đảng bộ xã T"},
                       inputs={"members": members, "usage": usage, "meetings": meetings, "units": units}), JUNE)
    problems = {p.code: p for p in a.problems}
    assert "2 đảng viên để trống tình trạng" in problems["blank_status"].message
    assert "1 tài khoản ghi chi bộ khác" in problems["unit_mismatch"].message
    assert "Đảng bộ Khối" in problems["parent_created"].message
    assert "1 chi bộ có số đảng viên dự" in problems["attendance_capped"].message
    assert problems["unknown_unit"].row == 3 and a.data.meetings.left_out
    assert all(p.severity == "warning" for p in problems.values())


def _xa_rows(xa: str, n: int, seed: int) -> list[list]:
    rng = np.random.default_rng(seed)
    return [[f"{xa[-1]}{i:05d}", f"Người {i}", f"Chi bộ thôn {rng.integers(1, 4)}", xa,
             rng.choice(["Đang sinh hoạt", "Miễn sinh hoạt"], p=[0.9, 0.1])] for i in range(n)]


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(0, 2**16),
       st.sampled_from(["rename", "reorder", "remove"]))
@example(1, 1, 0, "remove")  # A's one account was the file's only row: found by Hypothesis in CI
def test_one_xa_never_changes_another_xa_figures(n_a, n_b, seed, change):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        head = ["Số thẻ", "Họ và tên", "Chi bộ", "Đảng bộ xã", "Tình trạng"]
        a_rows, b_rows = _xa_rows("Đảng bộ xã A", n_a, seed), _xa_rows("Đảng bộ xã B", n_b, seed + 1)
        # every other member of each xã has an account: B always has one, so removing A never leaves an
        # accounts file of which no row is the roster's (that file's figures are unknown, for B too)
        usage = [["Số thẻ", "Trạng thái", "Lần truy cập gần nhất"]] + [
            [r[0], "Đã kích hoạt", "05/06/2026"] for r in a_rows[::2] + b_rows[::2]]
        config = Config(organisation={"root": "Tỉnh", "level": "tinh"})

        def figures_of_b(rows):
            m = write(tmp, "dv.csv", [head, *rows])
            u = write(tmp, "tk.csv", usage)
            f = analyse(config, JUNE, {"members": m, "usage": u}).figures
            b = f[f.index.str.startswith("Đảng bộ xã B")]
            return b[COUNTS].sort_index()

        before = figures_of_b(a_rows + b_rows)
        if change == "rename":
            changed = [[r[0], r[1], r[2].replace("thôn", "xóm"), r[3], r[4]] for r in a_rows] + b_rows
        elif change == "reorder":
            changed = b_rows[::-1] + a_rows[::-1]
        else:
            changed = b_rows
        pd.testing.assert_frame_equal(figures_of_b(changed), before)


def test_a_guest_at_another_chi_bo_meeting_does_not_credit_his_own_chi_bo(tmp_path):
    members = write(tmp_path, "dv.csv", [["Số thẻ", "Họ và tên", "Chi bộ"], ["1", "A", "Chi bộ thôn 1"],
                                         ["2", "B", "Chi bộ thôn 2"]])
    meetings = write(tmp_path, "sh.csv", [["Chi bộ", "Ngày sinh hoạt", "Số thẻ"],
                                          ["Chi bộ thôn 1", "05/06/2026", "1"], ["Chi bộ thôn 1", "05/06/2026", "2"]])
    f = analyse(Config(organisation={"root": "Xã T"}, inputs={"members": members, "meetings": meetings}), JUNE).figures
    assert f.loc["Chi bộ thôn 1", "regular_meetings"] == 1 and f.loc["Chi bộ thôn 2", "regular_meetings"] == 0


def test_names_differing_only_in_case_are_one_chi_bo(tmp_path):
    members = write(tmp_path, "dv.csv", [["Số thẻ", "Họ và tên", "Chi bộ"], ["1", "A", "Chi bộ thôn 1"],
                                         ["2", "B", "Chi bộ Thôn 1"], ["3", "C", "Chi bộ thôn 2"]])
    meetings = write(tmp_path, "sh.csv", [["Chi bộ", "Ngày sinh hoạt"], ["Chi bộ THÔN 1", "05/06/2026"],
                                          ["Chi bộ thôn 2", "06/06/2026"]])
    a = analyse(Config(organisation={"root": "Xã T"}, inputs={"members": members, "meetings": meetings}), JUNE)
    assert a.total()["chi_bo"] == 2 and a.total()["chi_bo_met"] == 2
    assert a.figures.loc["Chi bộ thôn 1", "members"] == 2


def test_a_blank_co_so_cell_means_right_under_the_xa_and_a_repeated_name_is_no_upper(tmp_path):
    members = write(tmp_path, "dv.csv", [
        ["Số thẻ", "Họ và tên", "Chi bộ", "Đảng bộ cơ sở", "Đảng bộ xã"],
        ["1", "A", "Chi bộ Công an", "", "Đảng bộ xã T"], ["2", "B", "Chi bộ Công an", "", "Đảng bộ xã T"],
        ["3", "C", "Chi bộ Công an", "Đảng bộ Trường THPT", "Đảng bộ xã T"],
        ["4", "D", "Chi bộ Trường TH", "Chi bộ Trường TH", "Đảng bộ xã T"]])
    meetings = write(tmp_path, "sh.csv", [["Chi bộ", "Đảng bộ cơ sở", "Ngày sinh hoạt"],
                                          ["Chi bộ Công an", "", "05/06/2026"],
                                          ["Chi bộ Trường TH", "Chi bộ Trường TH", "06/06/2026"]])
    a = analyse(Config(organisation={"root": "Đảng bộ xã T"}, inputs={"members": members, "meetings": meetings}), JUNE)
    f = a.figures
    assert f.loc["Chi bộ Công an", "members"] == 2 and f.loc["Đảng bộ Trường THPT / Chi bộ Công an", "members"] == 1
    assert f.loc["Chi bộ Công an", "regular_meetings"] == 1 and f.loc["Chi bộ Trường TH", "regular_meetings"] == 1
    assert not [p for p in a.problems if p.code in ("ambiguous_unit", "unknown_unit")]


def test_as_of_a_day_never_uses_an_access_count_of_the_whole_month(tmp_path):
    import dataclasses
    import datetime as dt

    members = write(tmp_path, "dv.csv", [["Số thẻ", "Họ và tên", "Chi bộ"], ["1", "A", "Chi bộ 1"], ["2", "B", "Chi bộ 1"]])
    usage = write(tmp_path, "tk.csv", [["Số thẻ", "Trạng thái", "Lần truy cập gần nhất", "Số lần truy cập"],
                                       ["1", "Đã kích hoạt", "10/06/2026", "3"], ["2", "Đã kích hoạt", "01/07/2026", "5"]])
    day = dataclasses.replace(JUNE, end=dt.date(2026, 6, 15))
    a = analyse(Config(inputs={"members": members, "usage": usage}), day)
    assert a.total()["active"] == 1 and "accesses_not_cut" in {p.code for p in a.problems}
    after = next(p for p in analyse(Config(inputs={"members": members, "usage": usage}), JUNE).problems
                 if p.code == "access_after_end")
    assert after.message.startswith("1 tài khoản")


def test_names_of_the_xa_column_are_dang_bo_xa_in_the_counts(tmp_path):
    members = write(tmp_path, "dv.csv", [["Số thẻ", "Họ và tên", "Chi bộ", "Đảng bộ xã"],
                                         ["1", "A", "Chi bộ thôn 1", "Đảng bộ xã An"],
                                         ["2", "B", "Chi bộ thôn 2", "Đảng bộ xã An"],
                                         ["3", "C", "Chi bộ thôn 1", "Đảng bộ xã Bình"]])
    a = analyse(Config(inputs={"members": members}), JUNE)
    assert a.counts() | {} == {"xa": 2, "co_so": 3, "dang_bo_co_so": 0, "chi_bo_co_so": 3, "chi_bo": 3,
                               "members": 3, "eligible": 3}
