"""History through a real SQLite file, change and pace on hand-made series, ranking, follow-up lists."""

from __future__ import annotations

import sqlite3

import openpyxl
import pandas as pd
import pytest
from docx import Document
from typer.testing import CliRunner

from sotay_cli import history
from sotay_cli.analysis import analyse
from sotay_cli.cli import app
from sotay_cli.config import load_config
from sotay_cli.periods import parse_period

runner = CliRunner()
SAMPLE = ["--config", "sample_data/sotay.toml"]


@pytest.fixture(scope="module")
def june():
    return analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06"))


@pytest.fixture(scope="module")
def may():
    return analyse(load_config("sample_data/sotay.toml"), parse_period("2026-05"))


def test_round_trip_and_rerun_replaces_only_that_period(tmp_path, june, may):
    path = tmp_path / "h.sqlite"
    con = history.open_history(path)
    assert history.store(con, may) is False
    assert history.store(con, june) is False
    assert history.store(con, june) is True  # re-run: replaced, said so
    con.close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
    assert [r[0] for r in con.execute("SELECT period FROM runs ORDER BY period")] == ["2026-05", "2026-06"]
    assert con.execute("SELECT COUNT(*) FROM figures WHERE period = '2026-06'").fetchone()[0] == len(june.figures)
    row = con.execute("SELECT eligible, installed, active FROM figures WHERE period = '2026-06' AND unit = ?",
                      (june.root,)).fetchone()
    assert row == (1920, 1687, 252)
    inputs = con.execute("SELECT inputs FROM runs WHERE period = '2026-06'").fetchone()[0]
    assert "dang-vien.xlsx" in inputs and "sha256" in inputs
    assert con.execute("SELECT target FROM targets WHERE period = '2026-06' AND unit = ? AND metric = "
                       "'installed_rate'", (june.root,)).fetchone()[0] == 0.95


def test_migration_from_schema_1_keeps_the_figures(tmp_path, june):
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    con.executescript(history.SCHEMA_V1)
    con.execute("PRAGMA user_version = 1")
    con.execute("INSERT INTO runs VALUES ('2026-05', '2026-06-01T08:00:00', 'Đảng bộ xã Hoa Lộc')")
    con.execute("INSERT INTO figures VALUES ('2026-05', 'Đảng bộ xã Hoa Lộc', NULL, 'xa', 1980, 1920, 1600, 300)")
    con.commit()
    con.close()
    con = history.open_history(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 2
    assert con.execute("SELECT kind, start FROM runs").fetchone() == ("month", "2026-05-01")
    history.store(con, june)
    c = history.compare(con, june.period)
    assert c.previous.label == "2026-05"
    assert c.previous_rates.loc[june.root, "installed_rate"] == pytest.approx(1600 / 1920)
    change = c.change(june.figures).loc[june.root, "installed_rate"]
    assert change == pytest.approx(1687 / 1920 - 1600 / 1920)


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    sqlite3.connect(path).execute("PRAGMA user_version = 99").connection.commit()
    with pytest.raises(history.HistoryError, match="mới hơn"):
        history.open_history(path)


def _series(rates: dict[str, list[float]], start="2026-01") -> pd.DataFrame:
    rows = []
    for unit, values in rates.items():
        for i, value in enumerate(values):
            p = pd.Period(start, freq="M") + i
            rows.append({"period": f"{p.year}-{p.month:02d}", "unit": unit, "kind": "month", "installed_rate": value})
    return pd.DataFrame(rows)


def test_pace_on_hand_made_series():
    series = _series({"A": [0.70, 0.75, 0.80, 0.85], "B": [0.80, 0.80, 0.79, 0.78], "C": [0.10, 0.15, 0.20, 0.25]})
    targets = pd.DataFrame({"installed_rate": [0.95, 0.95, 0.95]}, index=["A", "B", "C"])
    reach = history.pace(series, targets, parse_period("2026-04"), "installed_rate")
    assert reach["A"] == pd.Timestamp("2026-06-01")  # +5 points a month: 85 -> 95 in two months
    assert pd.isna(reach["B"])  # going down: never
    assert pd.isna(reach["C"])  # 14 months more: not this year


def test_stats_json_carries_previous_and_change(history_in_tmp):
    runner.invoke(app, ["stats", "-p", "2026-05", "-f", "csv", *SAMPLE])
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "json", *SAMPLE])
    import json

    total = json.loads(result.stdout)["total"]
    assert total["previous"]["period"] == "2026-05"
    assert total["change"]["installed_rate"] == pytest.approx(total["installed_rate"] - total["previous"]["installed_rate"])
    again = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "csv", *SAMPLE])
    assert "Đã thay số liệu kỳ 2026-06" in again.stderr


def test_history_command_lists_periods_and_a_unit_series(history_in_tmp):
    for p in ("2026-05", "2026-06"):
        runner.invoke(app, ["stats", "-p", p, "-f", "csv", *SAMPLE])
    listed = runner.invoke(app, ["history", "-f", "csv", *SAMPLE])
    assert listed.exit_code == 0 and "2026-05" in listed.stdout and "2026-06" in listed.stdout
    series = runner.invoke(app, ["history", "--unit", "Đảng bộ xã Hoa Lộc", "-f", "json", *SAMPLE])
    import json

    records = json.loads(series.stdout)
    assert [r["period"] for r in records] == ["2026-05", "2026-06"] and records[-1]["installed"] == 1687
    missing = runner.invoke(app, ["history", "--unit", "Không có", *SAMPLE])
    assert missing.exit_code == 2


def test_rank_states_ties_and_orders_by_rate(june):
    from sotay_cli.ranking import rank

    table = rank(june, "installed_rate", "chi_bo")
    assert table["rank"].is_monotonic_increasing
    assert table["value"].is_monotonic_decreasing
    shown = table["value"].round(4)
    ties = table[shown.duplicated(keep=False)]
    assert ties["tied"].all() and len(ties) > 0
    assert table.loc[0, "unit"] == "Chi bộ thôn Bắc Sơn"


def test_followup_lists_exactly_the_members_left_to_bring(june, tmp_path):
    from sotay_cli.followup import NOT_ACTIVE, NOT_INSTALLED, followup_list, write_docx, write_xlsx
    from sotay_cli.metrics import Rules, member_status

    todo = followup_list(june)
    people = member_status(june.data.members.frame, june.data.usage.frame, june.period, Rules())
    expected_missing = set(people.loc[people["eligible"] & ~people["installed"], "card"])
    expected_idle = set(people.loc[people["installed"] & ~people["active"], "card"])
    assert set(todo.loc[todo["reason"] == NOT_INSTALLED, "card"]) == expected_missing
    assert set(todo.loc[todo["reason"] == NOT_ACTIVE, "card"]) == expected_idle
    assert len(expected_missing) == 1920 - 1687 and len(expected_idle) == 1687 - 252
    xlsx = write_xlsx(june, todo, tmp_path / "f.xlsx")
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames[0] == "Tổng hợp" and len(book.sheetnames) == 1 + todo["chi_bo"].nunique()
    names = [r[1] for ws in book.worksheets[1:] for r in ws.iter_rows(min_row=4, values_only=True)]
    assert sorted(names) == sorted(todo["name"])
    doc = Document(str(write_docx(june, todo, tmp_path / "f.docx")))
    greetings = [p.text for p in doc.paragraphs if p.text.startswith("Kính gửi: Đồng chí Bí thư")]
    assert len(greetings) == todo["chi_bo"].nunique()


def test_followup_masks_phones(june):
    from sotay_cli.followup import followup_list

    phones = followup_list(june, mask_phone=True)["phone"]
    assert phones.str.match(r"^\d{3}\*{4}\d{3}$").all()


def test_followup_cli_writes_both_files(tmp_path):
    result = runner.invoke(app, ["followup", "-p", "2026-06", "-o", str(tmp_path), *SAMPLE])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "2026-06" / "doi-chieu-2026-06.xlsx").exists()
    assert "1.668 đảng viên cần đôn đốc" in result.stderr


def test_report_with_history_says_the_change_and_shows_the_chart(tmp_path, history_in_tmp):
    runner.invoke(app, ["stats", "-p", "2026-05", "-f", "csv", *SAMPLE])
    result = runner.invoke(app, ["report", "-p", "2026-06", "-t", "bao-cao", "-o", str(tmp_path), *SAMPLE])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "2026-06"
    md = (folder / "bao-cao-2026-06.md").read_text(encoding="utf-8")
    assert "so với tháng 5 năm 2026" in md and "điểm phần trăm" in md
    doc = Document(str(folder / "bao-cao-2026-06.docx"))
    assert len(doc.inline_shapes) == 1  # the chart
    header = [c.text for c in doc.tables[-1].rows[0].cells]
    assert header[-2:] == ["Tăng, giảm tỷ lệ cài đặt (điểm %)", "Tăng, giảm tỷ lệ sử dụng (điểm %)"]
    sheet = openpyxl.load_workbook(folder / "phu-luc-2026-06.xlsx").worksheets[0]
    assert "Tỷ lệ cài đặt kỳ trước (%)" in [c.value for c in sheet[4]]
    assert (folder / "bieu-do-2026-06.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_flag_csv_carries_the_pace(history_in_tmp):
    runner.invoke(app, ["stats", "-p", "2026-05", "-f", "csv", *SAMPLE])
    result = runner.invoke(app, ["flag", "-p", "2026-06", "-f", "csv", *SAMPLE])
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    paced = [r for r in rows if r["Mã chỉ tiêu"] == "installed_rate"]
    assert paced and all(r["Dự kiến"] for r in paced)
