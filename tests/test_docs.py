"""The surface users see, kept honest: docs/cli.md in step with --help, help on every option, the typed
choices equal to the library's names, usage errors in Vietnamese, the CLI's JSON equal to the library's."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from sotay_cli.cli import app
from sotay_cli.cli.common import Kind, Level, Metric

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ["--members", "sample_data/dang-vien.xlsx", "--usage", "sample_data/tai-khoan.xlsx",
          "--meetings", "sample_data/sinh-hoat.xlsx", "--units", "sample_data/to-chuc.xlsx"]
REGENERATE = "python -m typer sotay_cli.cli utils docs --name sotay --output docs/cli.md"


def test_docs_cli_md_is_in_step_with_the_help():
    produced = subprocess.run([sys.executable, "-m", "typer", "sotay_cli.cli", "utils", "docs", "--name", "sotay"],
                              capture_output=True, text=True, check=True, cwd=ROOT).stdout
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")

    def words(text: str) -> str:  # Typer versions differ only in the type hints they print (`files... <list[str]>`)
        return re.sub(r" <[^>`]*>(?=`)", "", text).strip()

    assert words(produced) == words(written), f"docs/cli.md is out of step with --help; run: {REGENERATE}"


def test_every_command_and_option_has_help_in_vietnamese():
    group = get_command(app)
    assert set(group.commands) >= {"check", "sample", "stats", "flag", "rank", "history", "report", "init",
                                   "followup", "kit", "web"}
    for name, command in group.commands.items():
        assert (command.help or "").strip(), name
        for param in command.params:
            if param.param_type_name == "option":
                assert (param.help or "").strip(), f"{name} {param.opts}"
    result = runner.invoke(app, ["stats", "--help"])
    assert "Show this message" not in result.output and "Xem hướng dẫn này rồi" in result.output


def test_the_choices_are_the_library_names():
    from sotay_cli.ingest.schema import KINDS
    from sotay_cli.metrics import RATES
    from sotay_cli.render.columns import LEVEL_OPTIONS

    assert [m.value for m in Metric] == list(RATES)
    assert [k.value for k in Kind] == list(KINDS)
    assert [lv.value for lv in Level] == [*LEVEL_OPTIONS, "all"]


@pytest.mark.parametrize("args,said", [
    (["stats"], "thiếu --period"),
    (["check"], "thiếu tham số: Các tệp xuất (CSV, TXT, XLSX, XLS, ODS)"),
    (["stats", "-p", "2026-06", "-f", "xml"], "'xml' không hợp lệ cho --format / -f; chọn một trong: table, csv, json, xlsx"),
    (["stats", "-p", "2026-06", "--bogus"], "không có tùy chọn --bogus"),
    (["rank", "-p", "2026-06", "-m", "rate"], "chọn một trong: installed_rate"),
    (["sample", "-n", "abc"], "cần một số nguyên"),
    (["khong-co"], "không có lệnh 'khong-co'"),
    (["stats", "-p", "2026-06", "thua"], "thừa tham số: thua"),
])
def test_usage_mistakes_are_said_in_vietnamese(args, said):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert said in result.output and "Traceback" not in result.output
    assert "Invalid value" not in result.output and "Missing option" not in result.output


def test_stats_json_is_the_library_document():
    from sotay_cli.analysis import analyse
    from sotay_cli.config import Config
    from sotay_cli.periods import parse_period

    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "json", "--no-history", *SAMPLE])
    assert result.exit_code == 0, result.output
    inputs = dict(zip(SAMPLE[::2], SAMPLE[1::2]))
    library = analyse(Config(), parse_period("2026-06"), {k.lstrip("-"): v for k, v in inputs.items()}).to_dict()
    assert json.loads(result.stdout) == json.loads(json.dumps(library))


def test_as_of_is_an_input_of_every_analysing_command(tmp_path):
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--as-of", "15/06/2026", "-f", "json", "--no-history",
                                 *SAMPLE])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["end"] == "2026-06-15" and payload["total"]["active"] < 252
    outside = runner.invoke(app, ["flag", "-p", "2026-06", "--as-of", "15/07/2026", *SAMPLE])
    assert outside.exit_code == 2 and "không nằm trong tháng 6 năm 2026" in outside.output


def test_sheet_chooses_the_worksheet_for_every_analysing_command(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Hướng dẫn"
    book.active.append(["Bảng này chỉ là hướng dẫn, không có số liệu."])
    roster = book.create_sheet("DS")
    roster.append(["Số thẻ", "Họ và tên", "Chi bộ"])
    roster.append(["38.000001", "An", "Chi bộ 1"])
    path = tmp_path / "dv.xlsx"
    book.save(path)
    without = runner.invoke(app, ["stats", "-p", "2026-06", "--no-history", "--members", str(path)])
    assert without.exit_code == 2
    chosen = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "json", "--no-history", "--members", str(path),
                                 "--sheet", "DS"])
    assert chosen.exit_code == 0, chosen.output
    assert json.loads(chosen.stdout)["total"]["members"] == 1


def test_output_format_follows_the_file_name_and_a_table_is_for_the_screen(tmp_path):
    base = ["-p", "2026-06", "--no-history", *SAMPLE]
    ok = runner.invoke(app, ["stats", *base, "-o", str(tmp_path / "s.json")])
    assert ok.exit_code == 0 and json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["period"] == "2026-06"
    table = runner.invoke(app, ["stats", *base, "-o", str(tmp_path / "s.txt")])
    assert table.exit_code == 2 and "bảng chỉ in ra màn hình" in table.output
    clash = runner.invoke(app, ["stats", *base, "-f", "xlsx", "-o", str(tmp_path / "s.csv")])
    assert clash.exit_code == 2 and not (tmp_path / "s.csv").exists()
    ranked = runner.invoke(app, ["rank", *base, "-o", str(tmp_path / "r.csv")])
    assert ranked.exit_code == 0 and (tmp_path / "r.csv").read_text(encoding="utf-8").startswith("Hạng,")


def test_what_the_period_decided_is_said_on_screen_not_only_counted(tmp_path):
    result = runner.invoke(app, ["stats", "-p", "2026-08", "--no-history", *SAMPLE])
    assert result.exit_code == 0
    said = [line for line in result.stderr.splitlines() if line.startswith("Cảnh báo:")]
    assert any("tai-khoan.xlsx" in line and "tệp xuất cũ" in line for line in said)


def test_followup_takes_the_same_inputs_and_a_date_before_the_figures_is_refused_first(tmp_path):
    result = runner.invoke(app, ["followup", "-p", "2026-06", "-o", str(tmp_path), *SAMPLE])
    assert result.exit_code == 0, result.output
    early = runner.invoke(app, ["report", "-p", "2026-Q2", "--ngay", "15/06/2026", "--members", "khong-co.xlsx"])
    assert early.exit_code == 2 and "--as-of 15/06/2026" in early.output and "khong-co" not in early.output


def test_every_missing_file_is_named_at_once_and_a_unit_target_suggests_the_name(tmp_path):
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--members", str(tmp_path / "a.xlsx"),
                                 "--usage", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 2 and "không tìm thấy 2 tệp" in result.output
    toml = tmp_path / "sotay.toml"
    toml.write_text('[targets.units."Chi bộ thôn Phu Lộc"]\ninstalled_rate = 0.9\n', encoding="utf-8")
    typo = runner.invoke(app, ["stats", "-p", "2026-06", "-c", str(toml), *SAMPLE])
    assert typo.exit_code == 2 and "có phải 'Chi bộ thôn Phú Lộc'?" in typo.output
