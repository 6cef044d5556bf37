"""`sotay check` and `sotay sample` through Typer's runner."""

import json

import pytest
from typer.testing import CliRunner

from conftest import csv_text, write_xlsx
from sotay_cli.cli import app
from sotay_cli.ingest import load_dataset

runner = CliRunner()


def test_check_sample_data_reports_rows_mapping_and_warnings():
    result = runner.invoke(app, ["check", "sample_data/dang-vien.xlsx", "sample_data/tai-khoan.xlsx"])
    assert result.exit_code == 0, result.output
    assert "Loại bảng: danh sách đảng viên" in result.output
    assert "Đọc 1.988 dòng, dùng 1.987, bỏ ra 1: dòng tổng cộng (1)" in result.output
    assert "số thẻ không có trong danh sách đảng viên (2)" in result.output
    assert "Không có lỗi." in result.output


def test_check_json_has_files_and_problems(tmp_path):
    path = tmp_path / "dv.csv"
    path.write_text(csv_text([["Số thẻ", "Họ và tên", "Chi bộ"], ["1", "A", "X"], ["1", "A", "X"]]),
                    encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["errors"] == 1
    assert payload["files"][0]["rows_used"] == 1
    assert payload["problems"][0] | {"message": ""} == {
        "file": str(path), "code": "duplicate_card", "severity": "error", "message": "",
        "sheet": None, "row": 3, "column": "Số thẻ", "value": None, "title": "Thẻ trùng"}


def test_check_reads_stdin():
    data = csv_text([["Số thẻ", "Họ và tên", "Chi bộ"], ["1", "A", "X"]]).encode("utf-16")
    result = runner.invoke(app, ["check", "-", "--format", "json"], input=data)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"][0]["rows_used"] == 1


@pytest.mark.parametrize("name,content", [
    ("empty.csv", b""),
    ("random.xlsx", bytes(range(256)) * 10),
    ("truncated.xlsx", None),
    ("noheader.csv", b"a,b,c\n1,2,3\n"),
])
def test_broken_files_exit_2_with_one_line_and_no_traceback(tmp_path, roster_rows, name, content):
    path = tmp_path / name
    if content is None:
        full = write_xlsx(tmp_path / "full.xlsx", roster_rows).read_bytes()
        content = full[: len(full) // 3]
    path.write_bytes(content)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Lỗi: " + str(path))


def test_missing_file_exits_2():
    result = runner.invoke(app, ["check", "khong-co.xlsx"])
    assert result.exit_code == 2 and "không tìm thấy tệp" in result.stderr


def test_sample_is_deterministic_and_reads_back(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        result = runner.invoke(app, ["sample", "-o", str(folder), "--members", "300", "--format", "csv"])
        assert result.exit_code == 0, result.output
    for name in ("dang-vien.csv", "tai-khoan.csv", "sinh-hoat.csv", "to-chuc.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    data = load_dataset(first / "dang-vien.csv", first / "tai-khoan.csv", first / "sinh-hoat.csv",
                        first / "to-chuc.csv")
    members = data.members.frame
    assert (members["status"] == "active").sum() == 300
    assert not [p for p in data.problems if p.severity == "error"]


def test_shipped_sample_has_the_figures_of_hoa_loc():
    data = load_dataset("sample_data/dang-vien.xlsx", "sample_data/tai-khoan.xlsx")
    members = data.members.frame
    active = members[members["status"] == "active"]
    assert len(active) == 1920
    usage = data.usage.frame.set_index("card")
    installed = usage.loc[active["card"], "activated"]
    assert installed.sum() == 1687
    june = usage.loc[active["card"], "last_access"].between("2026-06-01", "2026-06-30")
    assert (june & installed).sum() == 252


@pytest.mark.parametrize("province", [False, True], ids=["xa", "tinh"])
def test_a_sample_folder_runs_as_it_is(tmp_path, monkeypatch, province):
    """`sotay sample` writes its own sotay.toml: in that folder the commands read its files, not the
    bundled sample, under the tỉnh or xã the data is made for."""
    import json

    folder = tmp_path / "mau"
    made = runner.invoke(app, ["sample", "-o", str(folder), "--members", "600", "-f", "csv",
                               *(["--tinh"] if province else [])])
    assert made.exit_code == 0, made.output
    assert str(folder / "sotay.toml") in made.stdout and f"cd {folder} && sotay report" in made.stderr
    monkeypatch.chdir(folder)
    monkeypatch.setenv("SOTAY_HISTORY", str(tmp_path / "lich-su.sqlite"))
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "json", "--no-history"])
    assert result.exit_code in (0, 1), result.output
    assert "DỮ LIỆU MẪU" not in result.stderr  # not the bundled sample
    total = json.loads(result.stdout)["total"]
    assert total["eligible"] == 600
    assert (total["level"], total["name"]) == (("tinh", "Đảng bộ tỉnh Thanh Hóa") if province else
                                               ("xa", "Đảng bộ xã Hoa Lộc"))
