"""Exports of another month than the period asked for: the bundled sample (meetings of May and June
2026, accounts to 30/06/2026) copied into a July folder, or analysed as June 2025."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sotay_cli import crosscheck
from sotay_cli.analysis import analyse
from sotay_cli.cli import app
from sotay_cli.config import load_config
from sotay_cli.domain import REGULAR
from sotay_cli.ingest import MEETINGS, MEMBERS, Dataset, Table
from sotay_cli.periods import parse_period
from sotay_cli.render.context import build
from sotay_cli.render.templating import render_text

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


@pytest.fixture(scope="module")
def by_month(tmp_path_factory) -> Path:
    """The sample rearranged by month: the June exports copied into du-lieu/2026-06 and du-lieu/2026-07."""
    folder = tmp_path_factory.mktemp("by-month")
    for name in ("dang-vien.xlsx", "to-chuc.xlsx"):
        shutil.copy(SAMPLE / name, folder / name)
    for month in ("2026-06", "2026-07"):
        (folder / "du-lieu" / month).mkdir(parents=True)
        for name in ("tai-khoan.xlsx", "sinh-hoat.xlsx"):
            shutil.copy(SAMPLE / name, folder / "du-lieu" / month / name)
    text = (SAMPLE / "sotay.toml").read_text(encoding="utf-8")
    text = text.replace('usage = "tai-khoan.xlsx"', 'usage = "du-lieu/{period}/tai-khoan.xlsx"')
    text = text.replace('meetings = "sinh-hoat.xlsx"', 'meetings = "du-lieu/{period}/sinh-hoat.xlsx"')
    assert text.count("du-lieu/{period}/") == 2
    (folder / "sotay.toml").write_text(text, encoding="utf-8")
    return folder


def warnings_of(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Cảnh báo:")]


def test_june_meetings_in_a_july_folder_are_said_with_their_count_and_months(by_month):
    july = runner.invoke(app, ["stats", "-p", "2026-07", "-f", "json", "--no-history",
                               "--config", str(by_month / "sotay.toml")])
    assert july.exit_code == 0, july.stderr
    said = [w for w in warnings_of(july) if "buổi sinh hoạt" in w]
    assert said == ["Cảnh báo: sinh-hoat.xlsx: Cả 80 buổi sinh hoạt đều ngoài tháng 7 năm 2026 (trong tháng 5/2026, "
                    "tháng 6/2026): có thể là tệp của tháng khác; tỷ lệ chi bộ sinh hoạt trên ứng dụng tính là 0."]
    assert any("có thể là tệp xuất cũ" in w for w in warnings_of(july))  # the accounts, as before
    # the same files for their own month: nothing said about them
    june = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "json", "--no-history",
                               "--config", str(by_month / "sotay.toml")])
    assert june.exit_code == 0, june.stderr
    assert not [w for w in warnings_of(june) if "ngoài tháng" in w or "tệp xuất cũ" in w or "kỳ sau" in w]


def test_the_warning_is_a_problem_counted_like_the_other_notes(by_month):
    a = analyse(load_config(by_month / "sotay.toml"), parse_period("2026-07"))
    codes = [p.code for p in a.problems]
    assert codes.count("meetings_outside_period") == 1 and codes.count("stale_export") == 1
    assert a.total()["regular_meetings"] == 0


def test_accounts_of_a_year_after_the_period_are_said_newer_and_their_late_activations_counted():
    config = load_config(SAMPLE / "sotay.toml")
    a = analyse(config, parse_period("2025-06"))
    by_code = {p.code: p.message for p in a.problems}
    assert by_code["newer_export"] == ("Ngày truy cập, kích hoạt gần nhất trong tệp là 30/06/2026, sau cuối kỳ "
                                       "(30/06/2025) 365 ngày: có thể là tệp của kỳ sau.")
    late = int(re.match(r"([\d.]+) tài khoản kích hoạt sau ngày 30/06/2025", by_code["activated_after_end"])
               .group(1).replace(".", ""))
    frame = a.data.usage.frame
    assert late == int((frame["activated_date"] > pd.Timestamp("2025-06-30 23:59:59")).sum()) > 0
    assert "meetings_outside_period" in by_code and "stale_export" not in by_code
    # the period the files are from: none of these
    own = {p.code for p in analyse(config, parse_period("2026-06")).problems}
    assert not own & {"newer_export", "activated_after_end", "meetings_outside_period", "stale_export"}


def meetings_table(dates: list[str], per_member: int = 1) -> Dataset:
    rows = [(f"Chi bộ {i % 3}", pd.Timestamp(d)) for i, d in enumerate(dates) for _ in range(per_member)]
    frame = pd.DataFrame({"row": range(2, 2 + len(rows)), "chi_bo": [r[0] for r in rows],
                          "date": [r[1] for r in rows], "kind": REGULAR})
    members = Table(MEMBERS, "dv.csv", None, pd.DataFrame({"row": [], "card": []}))
    return Dataset(members, meetings=Table(MEETINGS, "sh.csv", None, frame))


@pytest.mark.parametrize("inside, outside, said", [
    (0, 12, "Cả 12 buổi sinh hoạt đều ngoài tháng 6 năm 2026 (trong tháng 4/2026, tháng 5/2026)"),
    (1, 19, "19/20 buổi sinh hoạt ngoài tháng 6 năm 2026 (trong tháng 4/2026, tháng 5/2026): có thể là tệp của "
            "tháng khác; chỉ 1 buổi trong kỳ được tính."),
    (2, 18, None),  # a tenth in the period: a file of the month with old meetings in it
    (10, 0, None),
    (0, 0, None),
])
def test_meetings_mostly_outside_the_period_are_said_once(inside, outside, said):
    # a meeting a day; the ones outside in April and May; each repeated per member present
    dates = ([f"2026-06-{d + 1:02d}" for d in range(inside)]
             + [f"2026-0{4 + d % 2}-{d // 2 + 1:02d}" for d in range(outside)])
    notes = []
    crosscheck.note_meetings_outside(meetings_table(dates, per_member=3), parse_period("2026-06"), notes)
    assert [p.code for p in notes] == ([] if said is None else ["meetings_outside_period"])
    if said:
        assert said in notes[0].message and notes[0].file == "sh.csv"


def test_a_quarter_says_another_period_not_another_month():
    notes = []
    crosscheck.note_meetings_outside(meetings_table(["2026-01-05", "2026-02-05"]), parse_period("2026-Q2"), notes)
    assert notes[0].message.startswith("Cả 2 buổi sinh hoạt đều ngoài quý II năm 2026 (trong tháng 1/2026, "
                                       "tháng 2/2026): có thể là tệp của kỳ khác;")


@pytest.mark.parametrize("template", ["cong-van", "bao-cao"])
def test_a_rate_over_no_installed_member_is_left_out_of_the_prose_not_a_dash(template):
    config = load_config(SAMPLE / "sotay.toml")
    old = render_text(template, build(analyse(config, parse_period("2025-06"))), None)
    # nobody installed by June 2025: regular use over the installed has no denominator
    assert "0 đảng viên" in old and "—" not in old.split("Sử dụng thường xuyên")[-1].split("\n")[0]
    assert "số đảng viên đã cài đặt" not in old
    assert "đạt 0,00% số đảng viên đang sinh hoạt." in old
    own = render_text(template, build(analyse(config, parse_period("2026-06"))), None)
    assert re.search(r"số đảng viên đang sinh hoạt và \d+,\d\d% số đảng viên đã cài đặt", own)
