"""Periods as reports are made: a quarter from monthly folders, a missing month, an old export,
figures as of a day, deadlines."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import csv_text
from sotay_cli.analysis import analyse
from sotay_cli.cli import app
from sotay_cli.config import Config
from sotay_cli.periods import parse_period

runner = CliRunner()
Q2 = parse_period("2026-Q2")
CARDS = [f"38.{i:06d}" for i in range(1, 7)]
# who accessed the app in each month: 1 and 2 every month, 3 in April and May, 4 in June only
ACCESS = {"2026-04": {1: "20/04/2026", 2: "21/04/2026", 3: "22/04/2026"},
          "2026-05": {1: "20/05/2026", 2: "21/05/2026", 3: "22/05/2026"},
          "2026-06": {1: "20/06/2026", 2: "21/06/2026", 4: "22/06/2026"}}


def month_folders(tmp_path: Path, months=("2026-04", "2026-05", "2026-06")) -> Config:
    data = tmp_path / "du-lieu"
    (data).mkdir()
    (data / "dang-vien.csv").write_text(csv_text(
        [["Số thẻ", "Họ và tên", "Chi bộ"], *[[c, f"Người {i}", "Chi bộ 1"] for i, c in enumerate(CARDS, 1)]]),
        encoding="utf-8")
    for month in months:
        folder = data / month
        folder.mkdir()
        accessed = ACCESS[month]
        # the export of a month: every account with its last access as of that month's end
        rows = [[c, "Đã kích hoạt", "01/03/2026", accessed.get(i, "15/03/2026")] for i, c in enumerate(CARDS, 1)]
        (folder / "tai-khoan.csv").write_text(csv_text(
            [["Số thẻ", "Trạng thái", "Ngày kích hoạt", "Lần truy cập gần nhất"], *rows]), encoding="utf-8")
        (folder / "sinh-hoat.csv").write_text(csv_text(
            [["Chi bộ", "Ngày sinh hoạt", "Loại", "Số đảng viên dự"], ["Chi bộ 1", f"05/{month[5:]}/2026", "Định kỳ", "5"]]),
            encoding="utf-8")
    return Config(path=tmp_path / "sotay.toml", organisation={"root": "Đảng bộ xã T"},
                  inputs={"members": "du-lieu/dang-vien.csv", "usage": "du-lieu/{period}/tai-khoan.csv",
                          "meetings": "du-lieu/{period}/sinh-hoat.csv"},
                  rules={"quarter_active": "every-month", "stale_days": 20})


@pytest.mark.parametrize("rule,active", [("every-month", 2), ("any-month", 4), ("last-month", 3)])
def test_a_quarter_is_read_from_its_three_monthly_folders(tmp_path, rule, active):
    config = month_folders(tmp_path)
    config.rules["quarter_active"] = rule
    a = analyse(config, Q2)
    assert a.total()["installed"] == 6 and a.total()["active"] == active
    assert a.total()["chi_bo_met"] == 1  # a regular meeting in each of the three months
    assert a.months_missing == []
    assert sorted(a.inputs) == ["meetings 2026-04", "meetings 2026-05", "meetings 2026-06", "members",
                                "usage 2026-04", "usage 2026-05", "usage 2026-06"]


def test_a_missing_month_is_named_and_its_figures_are_unknown(tmp_path):
    config = month_folders(tmp_path, months=("2026-04", "2026-06"))
    a = analyse(config, Q2)
    payload = a.to_dict()
    assert payload["months_missing"] == ["2026-05"]
    assert payload["total"]["active"] is None and payload["total"]["active_rate"] is None
    assert payload["total"]["installed"] == 6  # as at the end of the last month exported
    missing = [p for p in a.problems if p.code == "months_missing"]
    assert len(missing) == 2 and all("tháng 5/2026" in p.message for p in missing)
    # meetings judged over the two months exported
    assert payload["total"]["chi_bo_met"] == 1


def test_a_file_for_the_quarter_itself_wins_over_the_months(tmp_path):
    config = month_folders(tmp_path)
    own = tmp_path / "du-lieu" / "2026-Q2"
    own.mkdir()
    (own / "tai-khoan.csv").write_text(csv_text([["Số thẻ", "Trạng thái", "Lần truy cập gần nhất"],
                                                 [CARDS[0], "Đã kích hoạt", "01/06/2026"]]), encoding="utf-8")
    a = analyse(config, Q2)
    assert a.total()["installed"] == 1
    # one export cannot say who used the app in every month of the quarter: unknown, said
    assert a.to_dict()["total"]["active"] is None
    assert "one_file_for_period" in {p.code for p in a.problems}
    config.rules["quarter_active"] = "any-month"
    assert analyse(config, Q2).total()["active"] == 1


def test_an_old_export_is_said_with_its_latest_date(tmp_path):
    config = month_folders(tmp_path, months=("2026-04",))
    config.inputs["usage"] = "du-lieu/2026-04/tai-khoan.csv"
    config.inputs["meetings"] = "du-lieu/2026-04/sinh-hoat.csv"
    a = analyse(config, parse_period("2026-07"))
    stale = [p for p in a.problems if p.code == "stale_export"]
    assert len(stale) == 1 and "22/04/2026" in stale[0].message and "31/07/2026" in stale[0].message
    assert a.total()["active"] == 0


def test_as_of_a_day_counts_nothing_after_it(tmp_path):
    config = month_folders(tmp_path)
    june = parse_period("2026-06")
    as_of = dataclasses.replace(june, end=dt.date(2026, 6, 20))
    a = analyse(config, as_of)
    assert a.total()["active"] == 1  # card 1 on 20/06 counts; 2 (21/06) and 4 (22/06) come after the day


def test_deadlines_give_the_members_still_needed_before_the_day(tmp_path):
    config = month_folders(tmp_path)
    config.targets = {"active_rate": 0.95, "deadlines": {"active_rate": dt.date(2026, 7, 31)}}
    a = analyse(config, parse_period("2026-06"))
    flag = next(f for f in a.flags if f.metric == "active_rate" and f.unit == "Đảng bộ xã T")
    assert flag.deadline_text() == "cần thêm 3 đảng viên sử dụng thường xuyên trước ngày 31/7/2026"
    assert a.to_dict()["flags"][0]["deadline"] in ("2026-07-31", None)
    assert any(f["deadline_text"] for f in a.to_dict()["flags"])


def test_the_quarterly_report_says_how_regular_use_was_counted(tmp_path):
    from sotay_cli.render.context import build
    from sotay_cli.render.templating import render_text

    config = month_folders(tmp_path)
    config.rules["quarter_active"] = "any-month"
    text = render_text("bao-cao", build(analyse(config, Q2)), None)
    assert "truy cập ứng dụng ít nhất một tháng trong quý" in text
    gaps = month_folders(tmp_path / "gaps", months=("2026-04", "2026-06")) if (tmp_path / "gaps").mkdir() is None else None
    text = render_text("bao-cao", build(analyse(gaps, Q2)), None)
    assert "thiếu số liệu tài khoản của tháng 5/2026" in text


def test_a_period_given_as_a_day_takes_the_figures_to_that_day():
    from sotay_cli.periods import parse_period

    p = parse_period("2026-01-16")
    assert (p.label, p.start, p.end, p.cut_short) == ("2026-01", dt.date(2026, 1, 1), dt.date(2026, 1, 16), True)
    with pytest.raises(ValueError, match="không có trong lịch"):
        parse_period("2026-02-30")


def test_the_draft_says_tinh_den_ngay_and_refuses_a_date_before_it(tmp_path):
    sample = ["--members", "sample_data/dang-vien.xlsx", "--usage", "sample_data/tai-khoan.xlsx",
              "--meetings", "sample_data/sinh-hoat.xlsx", "--units", "sample_data/to-chuc.xlsx"]
    result = runner.invoke(app, ["report", "-p", "2026-06-20", "--ngay", "20/06/2026", "-o", str(tmp_path),
                                 "-f", "md", "--no-history", *sample])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "2026-06-20" / "cong-van-2026-06-20.md").read_text(encoding="utf-8")  # not the month's name
    assert "Tính đến ngày 20/06/2026" in text
    early = runner.invoke(app, ["report", "-p", "2026-06", "--ngay", "16/06/2026", "-o", str(tmp_path / "b"),
                                "-f", "md", "--no-history", *sample])
    assert early.exit_code == 2 and "trước ngày số liệu (30/06/2026); thêm --as-of 16/06/2026" in early.output
    assert not (tmp_path / "b").exists()


def test_the_flag_csv_gives_each_unit_its_deadline_sentence(tmp_path):
    import csv
    import io

    from sotay_cli.render.stats import flags_csv

    config = month_folders(tmp_path)
    config.targets = {"installed_rate": 1.0, "active_rate": 0.95, "deadlines": {"active_rate": "2026-07-31"}}
    a = analyse(config, parse_period("2026-06"))
    rows = list(csv.DictReader(io.StringIO(flags_csv(a, a.flags))))
    active = [r for r in rows if r["Mã chỉ tiêu"] == "active_rate"]
    assert active and all(r["Hạn"].endswith("trước ngày 31/7/2026") for r in active)
    assert all(r["Hạn"] == "" for r in rows if r["Mã chỉ tiêu"] != "active_rate")


def test_the_bao_cao_gives_the_true_reason_regular_use_is_unknown(tmp_path):
    """A quarter read from one accounts file: the file has the last access, but one file cannot tell use in
    every month; the báo cáo said '(tệp tài khoản không có lần truy cập)'."""
    result = CliRunner().invoke(app, ["report", "-p", "2026-Q2", "-t", "bao-cao", "-f", "md", "--no-history",
                                      "--config", "sample_data/sotay.toml", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "2026-Q2" / "bao-cao-2026-Q2.md").read_text(encoding="utf-8")
    assert ("**3. Sử dụng thường xuyên.** Chưa có số liệu (chỉ có một tệp tài khoản cho cả quý, không biết đảng "
            "viên có sử dụng trong mọi tháng hay không).") in text


def test_a_quarter_read_from_one_meetings_file_names_the_months_without_meetings():
    """The sample's meetings file has May and June only: for the second quarter no chi bộ can have met
    every month, and that 0 came without a word."""
    result = CliRunner().invoke(app, ["stats", "-p", "2026-Q2", "-f", "csv", "--no-history", "--config",
                                      "sample_data/sotay.toml"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "sinh-hoat.xlsx: Tệp sinh hoạt không có buổi nào trong tháng 4/2026: chi bộ sinh hoạt đủ" in said
    month = CliRunner().invoke(app, ["stats", "-p", "2026-06", "-f", "csv", "--no-history", "--config",
                                     "sample_data/sotay.toml"])
    assert "không có buổi nào trong" not in month.stderr


def test_a_month_whose_meetings_export_is_not_there_yet_is_read_without_it(tmp_path):
    """`du-lieu/{period}/sinh-hoat.csv` missing for May stopped every command for May ('không tìm thấy tệp'):
    now the meeting figures are unknown and a warning names the file; the accounts are still read."""
    config = month_folders(tmp_path)
    (tmp_path / "du-lieu" / "2026-05" / "sinh-hoat.csv").unlink()
    a = analyse(config, parse_period("2026-05"))
    assert a.total()["installed"] == 6 and "meeting_rate" in a.unknown and "installed" not in a.unknown
    said = [p.message for p in a.notes if p.code == "no_meetings"]
    assert said and said[0].startswith("Chưa có tệp sinh hoạt chi bộ của tháng 5 năm 2026 (không thấy ")
    # a roster missing is still an error
    (tmp_path / "du-lieu" / "dang-vien.csv").unlink()
    with pytest.raises(Exception, match="dang-vien.csv"):
        analyse(config, parse_period("2026-05"))


def test_drafts_say_which_months_the_meeting_figure_covers_and_name_the_usage_months_missing(tmp_path):
    """A quarter with May's meetings file missing said '… đủ các tháng trong kỳ' as if every month was read,
    and the regular-use sentence named the meetings' missing month as the accounts'."""
    from sotay_cli.render.context import build
    from sotay_cli.render.templating import render_text

    config = month_folders(tmp_path)
    (tmp_path / "du-lieu" / "2026-05" / "sinh-hoat.csv").unlink()
    context = build(analyse(config, Q2))
    assert context["meetings_months_missing"] == ["tháng 5/2026"] and context["usage_months_missing"] == []
    for template in ("bao-cao", "cong-van"):
        text = render_text(template, context, None)
        assert ("đủ các tháng trong kỳ (xét trên các tháng có tệp; chưa có tệp sinh hoạt của tháng 5/2026), "
                "đạt") in text, template
    (tmp_path / "du-lieu" / "2026-04" / "tai-khoan.csv").unlink()
    text = render_text("bao-cao", build(analyse(config, Q2)), None)
    assert "**3. Sử dụng thường xuyên.** Chưa có số liệu (thiếu số liệu tài khoản của tháng 4/2026)." in text


def test_a_month_s_accounts_file_with_no_usable_row_is_a_missing_month_not_zero(tmp_path):
    """June's accounts file with its header only, April's and May's with rows: the quarter read 0 installed
    from June (and 0% regular use)."""
    config = month_folders(tmp_path)
    (tmp_path / "du-lieu" / "2026-06" / "tai-khoan.csv").write_text(
        csv_text([["Số thẻ", "Trạng thái", "Ngày kích hoạt", "Lần truy cập gần nhất"]]), encoding="utf-8")
    config.rules["quarter_active"] = "any-month"
    a = analyse(config, Q2)
    assert a.total()["installed"] == 6  # as at May, the latest month with a usable file
    assert a.months_missing_by_kind["usage"] == ["2026-06"]
    assert any(p.code == "usage_month_empty" and "tháng 6/2026" in p.message for p in a.notes)
    config.rules["quarter_active"] = "every-month"
    assert "active" in analyse(config, Q2).unknown  # June cannot be told


def test_flag_for_cron_fails_while_the_period_s_export_is_not_there(tmp_path):
    """`flag --fail-on-flag` exited 0 ('no unit below target') when this month's meetings file had not
    arrived: a cron job took it for 'every target met'."""
    month_folders(tmp_path)  # the files; the config is written below, as a user's
    (tmp_path / "sotay.toml").write_text(
        '[organisation]\nroot = "Đảng bộ xã T"\n[inputs]\nmembers = "du-lieu/dang-vien.csv"\n'
        'usage = "du-lieu/{period}/tai-khoan.csv"\nmeetings = "du-lieu/{period}/sinh-hoat.csv"\n'
        '[targets]\ninstalled_rate = 0.1\nactive_rate = 0.1\nmeeting_rate = 1.0\n', encoding="utf-8")
    args = ["flag", "-p", "2026-05", "--fail-on-flag", "-f", "csv", "--no-history", "--config",
            str(tmp_path / "sotay.toml")]
    assert runner.invoke(app, args).exit_code == 0  # every target met, every file there
    (tmp_path / "du-lieu" / "2026-05" / "sinh-hoat.csv").unlink()
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "chưa xét được mọi chỉ tiêu, thoát mã 1 (--fail-on-flag)" in " ".join(result.stderr.split())
