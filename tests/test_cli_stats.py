"""`sotay stats` and `sotay flag` through Typer's runner, on the shipped sample."""

import csv
import io
import json
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from sotay_cli.cli import app

runner = CliRunner()
SAMPLE = ["--config", "sample_data/sotay.toml"]


def test_stats_table_shows_the_hoa_loc_figures():
    result = runner.invoke(app, ["stats", "--period", "2026-06", *SAMPLE])
    assert result.exit_code == 0, result.output
    assert "1.687/1.920 đảng viên đang sinh hoạt đã cài đặt (87,86%)" in result.stdout
    assert "252 sử dụng thường xuyên" in result.stdout and "14,94% số đã cài đặt" in result.stdout
    assert "6 cảnh báo" in result.stderr


def test_stats_truncate_rounding_matches_the_level_above(tmp_path):
    sample = Path("sample_data").resolve()
    config = tmp_path / "sotay.toml"
    config.write_text(f"""[organisation]
root = "Đảng bộ xã Hoa Lộc"
[inputs]
members = "{sample / 'dang-vien.xlsx'}"
usage = "{sample / 'tai-khoan.xlsx'}"
[rules]
rounding = "truncate"
""", encoding="utf-8")
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "14,93% số đã cài đặt" in result.stdout


def test_stats_json_keys_and_fractions():
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "json", *SAMPLE])
    payload = json.loads(result.stdout)
    assert {"period", "start", "end", "total", "units"} <= set(payload)
    assert (payload["period"], payload["start"], payload["end"]) == ("2026-06", "2026-06-01", "2026-06-30")
    assert payload["total"]["installed_rate"] == 1687 / 1920
    unit = payload["units"][1]
    assert {"name", "level", "parent", "members", "exempt", "eligible", "installed", "installed_rate", "active",
            "active_rate", "active_of_installed", "flags"} <= set(unit)


def test_stats_csv_level_and_bom():
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "csv", "--bom", "--level", "chi-bo", *SAMPLE])
    assert result.stdout.startswith("\ufeffĐơn vị,Cấp,Trực thuộc,Mã đơn vị,Tổng số đảng viên")
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert len(rows) == 38 and {r["Cấp"] for r in rows} == {"Chi bộ"}
    assert sum(int(r["Đã cài đặt, kích hoạt"]) for r in rows) == 1687


def test_stats_xlsx_opens_with_openpyxl(tmp_path):
    path = tmp_path / "so-lieu.xlsx"
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "xlsx", "-o", str(path), *SAMPLE])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(path)["Các chi bộ"]
    assert ws["B4"].value == "Tên tổ chức đảng" and ws["B5"].value == "(2)"
    total_row = next(r for r in ws.iter_rows(min_row=6) if r[0].value == "Tổng cộng")
    assert total_row[5].value == 1687 and abs(total_row[6].value - 0.8786) < 1e-9
    assert ws.freeze_panes == "C6"


def test_flag_fails_on_flag_for_cron_and_is_csv_when_piped():
    result = runner.invoke(app, ["flag", "-p", "2026-06", "--level", "xa", "--fail-on-flag", *SAMPLE])
    assert result.exit_code == 1
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["Đơn vị"] == "Đảng bộ xã Hoa Lộc" and rows[0]["Mã chỉ tiêu"] == "active_rate"
    assert "còn thiếu 1.573 đảng viên để đạt trên 95%" in rows[0]["Nội dung"]


def test_bad_period_and_level_exit_2():
    assert runner.invoke(app, ["stats", "-p", "2026-13", *SAMPLE]).exit_code == 2
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--level", "huyen", *SAMPLE])
    assert result.exit_code == 2 and "--level" in result.stderr


def test_members_file_missing_exits_2_with_reason():
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--members", "khong-co.csv", *SAMPLE])
    assert result.exit_code == 2 and "khong-co.csv: không tìm thấy tệp" in result.stderr


def test_csv_and_xlsx_neutralise_formula_like_unit_names(tmp_path):
    roster = tmp_path / "dv.csv"
    roster.write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n"
                      '01.000001,Nguyễn Văn A,"=HYPERLINK(""http://x"")",Đang sinh hoạt\r\n'
                      "01.000002,Trần Thị B,@Chi bộ lạ,Đang sinh hoạt\r\n", encoding="utf-8")
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--members", str(roster), "-f", "csv", "--no-history",
                                 *SAMPLE])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    names = {r["Đơn vị"] for r in rows}
    assert "'=HYPERLINK(\"http://x\")" in names and "'@Chi bộ lạ" in names
    out = tmp_path / "x.xlsx"
    runner.invoke(app, ["stats", "-p", "2026-06", "--members", str(roster), "-f", "xlsx", "-o", str(out),
                        "--no-history", *SAMPLE])
    for ws in openpyxl.load_workbook(out).worksheets:
        for row in ws.iter_rows():  # XLSX keeps the text as written, under Excel's quote prefix
            assert all(c.quotePrefix for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@")


def test_rank_of_an_unknown_figure_says_why_the_table_is_empty(tmp_path):
    (tmp_path / "dv.csv").write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n"
                                     "09.000001,A,Chi bộ thôn Một,Đang sinh hoạt\r\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["rank", "-p", "2026-06", "--members", str(tmp_path / "dv.csv"), "--metric",
                                      "active_rate", "--no-history"])
    assert result.exit_code == 0, result.output
    assert ("không đơn vị nào có số liệu tỷ lệ sử dụng thường xuyên trong kỳ: chưa xếp hạng được"
            in " ".join(result.stderr.split()))
