"""Faults a tough tester tries (issue 10): what breaks, what is lost, what is said. Every command through
the runner (the same error boundary as `sotay` itself), every file read back with the real reader."""

from __future__ import annotations

import errno
import os
import random
import re
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import nobody_on_the_app
from sotay_cli import atomic
from sotay_cli.cli import app, main
from sotay_cli.render.followup import SHEET_MAX, SUMMARY_SHEET, _sheet_names
from sotay_cli.ingest import load_table

runner = CliRunner()
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
SAMPLE = ["--config", str(SAMPLE_DIR / "sotay.toml")]
USAGE = ["--usage", str(SAMPLE_DIR / "tai-khoan.xlsx")]


HEADER = "Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n"


def roster(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A members CSV: (card, name, chi bộ) rows, everyone in activity."""
    lines = [HEADER] + [f'{card},"{name}","{unit}",Đang sinh hoạt\r\n' for card, name, unit in
                        ((c, n.replace('"', '""'), u.replace('"', '""')) for c, n, u in rows)]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def crash_reports() -> list[Path]:
    folder = Path(os.environ["SOTAY_CACHE"])
    return sorted(folder.glob("*")) if folder.exists() else []


def stats_csv(out, *args) -> object:
    return runner.invoke(app, ["stats", "-p", "2026-06", "-f", "csv", "-o", str(out), "--no-history", *SAMPLE, *args])


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


# ---- one error boundary ----------------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_and_a_saved_report(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("hỏng giữa chừng")

    monkeypatch.setattr("sotay_cli.analysis.analyse", broken)
    result = runner.invoke(app, ["stats", "-p", "2026-06", *SAMPLE, "--no-history"])
    assert result.exit_code == 1
    no_traceback(result)
    said = [line for line in result.stderr.splitlines() if "Lỗi không lường trước" in line]
    assert len(said) == 1 and "RuntimeError" in said[0]
    [report] = crash_reports()
    assert str(report) in said[0]
    text = report.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "RuntimeError: hỏng giữa chừng" in text


def test_the_installed_command_crosses_the_same_boundary(monkeypatch, capsys):
    monkeypatch.setattr("sotay_cli.analysis.analyse", lambda *a, **k: 1 / 0)
    monkeypatch.setattr(sys, "argv", ["sotay", "stats", "-p", "2026-06", *SAMPLE, "--no-history"])
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 1
    err = capsys.readouterr().err
    assert "ZeroDivisionError" in err and "Traceback" not in err and len(crash_reports()) == 1


def test_a_file_system_error_is_a_known_failure(monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/du-lieu/dang-vien.xlsx")

    monkeypatch.setattr("sotay_cli.analysis.analyse", denied)
    result = runner.invoke(app, ["stats", "-p", "2026-06", *SAMPLE, "--no-history"])
    assert result.exit_code == 2
    assert "Lỗi: /du-lieu/dang-vien.xlsx: không có quyền truy cập." in result.stderr
    no_traceback(result)
    assert not crash_reports()


# ---- output rules, the same for every command ----------------------------------------------------------------


def test_stats_never_writes_over_its_own_input(tmp_path):
    members = roster(tmp_path / "dv.csv", [("01.000001", "Nguyễn Văn A", "Chi bộ 1")])
    before = members.read_bytes()
    for force in ([], ["--force"]):
        result = runner.invoke(app, ["stats", "-p", "2026-06", "--members", str(members), "-f", "csv", "-o",
                                     str(members), "--no-history", *force])
        assert result.exit_code == 2 and "tệp đầu vào" in result.stderr
        no_traceback(result)
    assert members.read_bytes() == before


def test_stats_o_needs_force_over_an_existing_file(tmp_path):
    out = tmp_path / "so-lieu.csv"
    out.write_text("giữ nguyên", encoding="utf-8")
    refused = stats_csv(out)
    assert refused.exit_code == 2 and "--force" in refused.stderr and str(out) in refused.stderr
    assert out.read_text(encoding="utf-8") == "giữ nguyên"
    assert stats_csv(out, "--force").exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("Đơn vị,")


def test_flag_o_follows_the_same_rules(tmp_path):
    out = tmp_path / "duoi-chi-tieu.csv"
    written = runner.invoke(app, ["flag", "-p", "2026-06", "-o", str(out), "--no-history", *SAMPLE])
    assert written.exit_code == 0 and out.read_text(encoding="utf-8").startswith("Đơn vị,")
    again = runner.invoke(app, ["flag", "-p", "2026-06", "-o", str(out), "--no-history", *SAMPLE])
    assert again.exit_code == 2 and "--force" in again.stderr


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    target = tmp_path / "that.csv"
    target.write_text("cũ", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert stats_csv(link, "--force").exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8").startswith("Đơn vị,")


def test_fifos_and_devices_are_refused(tmp_path):
    fifo = tmp_path / "ong"
    os.mkfifo(fifo)
    result = stats_csv(fifo, "--force")
    assert result.exit_code == 2 and "không phải tệp thường" in result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    if os.geteuid() == 0:  # only root makes device files; this one is /dev/null's twin, in tmp
        device = tmp_path / "thiet-bi"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        assert stats_csv(device, "--force").exit_code == 2
        assert stat.S_ISCHR(os.lstat(device).st_mode)


@pytest.mark.parametrize("command", [
    ["stats", "-p", "2026-06", "-f", "csv", "--no-history", "-o"],
    ["report", "-p", "2026-06", "--no-history", "-o"],
    ["followup", "-p", "2026-06", "-o"],
    ["sample", "--members", "30", "-o"],
])
def test_a_path_under_a_regular_file_is_refused(tmp_path, command):
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    result = runner.invoke(app, [*command, str(afile / "out.csv"), *(SAMPLE if command[0] != "sample" else [])])
    assert result.exit_code == 2, result.output
    assert f"{afile} là tệp, không phải thư mục" in result.stderr
    no_traceback(result)
    assert afile.read_text(encoding="utf-8") == "x"


def read_only_folder(tmp_path) -> Path:
    """A folder this process cannot write into: chmod for a user; for root (who ignores modes), /sys."""
    if os.geteuid() != 0:
        folder = tmp_path / "chi-doc"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    if not os.path.isdir("/sys") or os.access("/sys", os.W_OK) and _can_create("/sys"):
        pytest.skip("no read-only folder here")
    return Path("/sys")


def _can_create(folder: str) -> bool:
    try:
        fd = os.open(os.path.join(folder, ".sotay-probe"), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except OSError:
        return False
    os.close(fd)
    os.unlink(os.path.join(folder, ".sotay-probe"))
    return True


@pytest.mark.parametrize("command", [
    ["stats", "-p", "2026-06", "-f", "csv", "--no-history", "-o", "{dir}/so-lieu.csv"],
    ["report", "-p", "2026-06", "--no-history", "-o", "{dir}/bao-cao"],
    ["followup", "-p", "2026-06", "-o", "{dir}/bao-cao"],
    ["sample", "--members", "30", "-o", "{dir}/mau"],
])
def test_a_read_only_folder_is_exit_2_with_a_reason(tmp_path, command):
    folder = read_only_folder(tmp_path)
    args = [a.replace("{dir}", str(folder)) for a in command]
    result = runner.invoke(app, [*args, *(SAMPLE if command[0] != "sample" else [])])
    assert result.exit_code == 2, result.output
    assert str(folder) in result.stderr and ("quyền" in result.stderr or "chỉ cho đọc" in result.stderr)
    no_traceback(result)


def test_sample_and_init_need_force_too(tmp_path):
    folder = tmp_path / "mau"
    assert runner.invoke(app, ["sample", "--members", "30", "-f", "csv", "-o", str(folder)]).exit_code == 0
    first = (folder / "dang-vien.csv").read_bytes()
    again = runner.invoke(app, ["sample", "--members", "40", "-f", "csv", "-o", str(folder)])
    assert again.exit_code == 2 and "--force" in again.stderr
    assert (folder / "dang-vien.csv").read_bytes() == first
    assert runner.invoke(app, ["sample", "--members", "40", "-f", "csv", "-o", str(folder), "--force"]).exit_code == 0
    # init through a symlinked sotay.toml: the link stays, its target is rewritten
    real = tmp_path / "cau-hinh.toml"
    real.write_text("# cũ\n", encoding="utf-8")
    (tmp_path / "sotay.toml").symlink_to(real)
    result = runner.invoke(app, ["init", str(tmp_path), "--tinh", "Thanh Hóa", "--xa", "Hoa Lộc", "--force"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sotay.toml").is_symlink() and "Hoa Lộc" in real.read_text(encoding="utf-8")


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("đĩa hỏng giữa chừng")

    monkeypatch.setattr("sotay_cli.render.xlsx._sheet", broken)
    out = tmp_path / "phu-luc.xlsx"
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "xlsx", "-o", str(out), "--no-history", *SAMPLE])
    assert result.exit_code == 1
    assert os.listdir(tmp_path) == ["bao-cao-loi"]  # the crash report's folder; no xlsx, no temporary file


def test_a_full_disk_is_exit_2_naming_the_file(tmp_path, monkeypatch):
    make_zip = zipfile.ZipFile.__init__

    def full(self, file, *args, **kwargs):  # the workbook's temporary file finds no room; inputs read fine
        if isinstance(file, str) and Path(file).name.startswith(atomic.TEMP_PREFIX):
            raise OSError(errno.ENOSPC, "No space left on device", file)
        return make_zip(self, file, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "__init__", full)
    out = tmp_path / "phu-luc.xlsx"
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "xlsx", "-o", str(out), "--no-history", *SAMPLE])
    assert result.exit_code == 2
    assert f"Lỗi: {out}: không ghi được (hết chỗ trên ổ đĩa)." in result.stderr
    no_traceback(result)
    assert os.listdir(tmp_path) == []


def test_stale_temporary_files_are_swept_by_the_next_write(tmp_path):
    dead = 4_000_000  # beyond any pid_max: no such process
    stale = tmp_path / f".~sotay-{dead}-0a1b2c3d-so-lieu.csv"
    old = tmp_path / f".~sotay-{os.getppid()}-0a1b2c3e-so-lieu.csv"  # a live process, but two hours old
    live = tmp_path / f".~sotay-{os.getppid()}-0a1b2c3f-so-lieu.csv"  # being written right now by another run
    for path in (stale, old, live):
        path.write_bytes(b"half")
    os.utime(old, (time.time() - 7200,) * 2)
    other = tmp_path / ".an-ninh.csv"  # not ours: never touched
    other.write_bytes(b"x")
    assert stats_csv(tmp_path / "so-lieu.csv").exit_code == 0
    assert not stale.exists() and not old.exists()
    assert live.exists() and other.exists()


def test_kill_9_during_report_leaves_no_temporary_file_after_the_next_run(tmp_path):
    """Three runs killed while a file is being written (a temporary file is there), after a short random
    delay; the next run sweeps what they left and leaves only the finished files."""
    out, rng = tmp_path / "bc", random.Random(2026)
    folder = out / "2026-06"
    command = [sys.executable, "-m", "sotay_cli", "report", "-p", "2026-06", "-o", str(out), "--force",
               "--no-history", *SAMPLE]

    def hidden() -> list[str]:
        return [p.name for p in folder.iterdir() if p.name.startswith(".")] if folder.is_dir() else []

    killed_mid_write = 0
    for _ in range(3):
        run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while run.poll() is None and not hidden() and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.01))
        run.kill()
        run.wait()
        killed_mid_write += bool(hidden())
    assert killed_mid_write, "no kill landed during a write"
    assert all(name.startswith(atomic.TEMP_PREFIX) for name in hidden())
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["cong-van-2026-06.docx", "cong-van-2026-06.md",
                                                        "phu-luc-2026-06.xlsx"]
    openpyxl.load_workbook(folder / "phu-luc-2026-06.xlsx")  # whole, not half-written


def test_atomic_rules_for_library_writers(tmp_path):
    """The rules work for any writer (docx, chart, sample): set once, applied by atomic_path."""
    keep = tmp_path / "dv.xlsx"
    keep.write_bytes(b"roster")
    atomic.set_rules(force=True, inputs=[keep])
    try:
        with pytest.raises(atomic.OutputError, match="tệp đầu vào"):
            atomic.write_bytes(keep, b"overwritten")
        atomic.set_rules(force=False)
        with pytest.raises(atomic.OutputExists):
            atomic.write_bytes(keep, b"overwritten")
    finally:
        atomic.set_rules(force=True)
    assert keep.read_bytes() == b"roster"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(atomic.TEMP_PREFIX)]


# ---- reading: huge cells, NUL bytes, standard input --------------------------------------------------------


def test_a_200000_character_cell_reads_and_is_cut_only_in_xlsx(tmp_path):
    long_name = "Nguyễn " + "A" * 200_000
    members = roster(tmp_path / "dv.csv", [("01.000001", long_name, "Chi bộ 1"), ("01.000002", "Trần B", "Chi bộ 1")])
    checked = runner.invoke(app, ["check", str(members)])
    assert checked.exit_code in (0, 1), checked.output
    no_traceback(checked)
    assert load_table(members).frame["name"].str.len().max() == len(long_name)
    result = runner.invoke(app, ["followup", "-p", "2026-06", "--members", str(members), *nobody_on_the_app(tmp_path), "-o",
                                 str(tmp_path / "bc"), *SAMPLE])
    assert result.exit_code == 0, result.output
    book = tmp_path / "bc" / "2026-06" / "doi-chieu-2026-06.xlsx"
    sheet = openpyxl.load_workbook(book).worksheets[1]
    cells = {c.value: c.coordinate for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    cut = next(v for v in cells if v.startswith("Nguyễn A"))
    assert len(cut) == 32_767
    said = [line for line in result.stderr.splitlines() if "Cảnh báo" in line and "ô Excel" in line]
    assert len(said) == 1
    assert str(book) in said[0] and f"trang tính '{sheet.title}'" in said[0]
    assert f"dòng {cells[cut][1:]}" in said[0] and "cột 'B'" in said[0] and "200.007 ký tự" in said[0]


def test_utf8_with_nul_bytes_is_read(tmp_path):
    path = tmp_path / "dv.csv"
    path.write_bytes((HEADER + "01.000001,Nguyễn\x00 Văn A,Chi bộ 1,Đang sinh hoạt\r\n"
                      "01.000002,Trần Thị B,Chi bộ 1\x00\x00\x00,Đang sinh hoạt\r\n").encode("utf-8"))
    table = load_table(path)
    assert table.frame["name"].tolist() == ["Nguyễn Văn A", "Trần Thị B"]
    assert table.frame["chi_bo"].tolist() == ["Chi bộ 1", "Chi bộ 1"]
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0 and "bảng mã" not in result.output


def test_two_inputs_cannot_both_be_stdin():
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--members", "-", "--usage", "-", "--no-history"],
                           input="x")
    assert result.exit_code == 2
    assert "--members và --usage" in result.stderr and "đầu vào chuẩn" in result.stderr
    checked = runner.invoke(app, ["check", "-", "-"], input="x")
    assert checked.exit_code == 2 and "đầu vào chuẩn" in checked.stderr


def test_an_empty_stdin_names_its_option():
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--members", "-", "--no-history"], input="")
    assert result.exit_code == 2
    assert "--members (đầu vào chuẩn): tệp rỗng" in result.stderr


# ---- what is written: formulas, sheet names ----------------------------------------------------------------


FORMULAS = ['=HYPERLINK("http://x","bấm")', "+84 912 345 678", "-Chi bộ", "@Chi bộ lạ"]


def test_xlsx_keeps_formula_like_text_as_written_under_the_quote_prefix(tmp_path):
    members = roster(tmp_path / "dv.csv", [(f"01.00000{i}", name, name) for i, name in enumerate(FORMULAS, 1)])
    out = tmp_path / "phu-luc.xlsx"
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--members", str(members), "-f", "xlsx", "-o", str(out),
                                 "--no-history"])
    assert result.exit_code == 0, result.output
    cells = {c.value: c for ws in openpyxl.load_workbook(out).worksheets for row in ws.iter_rows() for c in row}
    for text in FORMULAS:
        assert text in cells and cells[text].quotePrefix and cells[text].data_type == "s"
    assert not any(isinstance(v, str) and v.startswith("'") for v in cells)
    followup = runner.invoke(app, ["followup", "-p", "2026-06", "--members", str(members), *nobody_on_the_app(tmp_path), "-o",
                                   str(tmp_path / "bc")])
    assert followup.exit_code == 0, followup.output
    book = openpyxl.load_workbook(tmp_path / "bc" / "2026-06" / "doi-chieu-2026-06.xlsx")
    names = {c.value: c for ws in book.worksheets[1:] for row in ws.iter_rows() for c in row}
    assert all(names[text].quotePrefix for text in FORMULAS)
    # CSV has no style: the apostrophe stays there
    csv_out = runner.invoke(app, ["stats", "-p", "2026-06", "--members", str(members), "-f", "csv", "--no-history"])
    assert "'=HYPERLINK" in csv_out.stdout and "'@Chi bộ lạ" in csv_out.stdout


TRICKY_UNITS = ["Chi bộ Tổng hợp", "Tổng Hợp", "Chi bộ 'Đoàn Kết'", "Chi bộ [A]:*?/\\ B", "History",
                "Chi bộ thôn Phú Lộc Đông Bắc Thượng 1", "Chi bộ thôn Phú Lộc Đông Bắc Thượng 2", "Chi bộ ''",
                "Chi bộ " + "Ấp Rạch Giá Kiên Lương " * 3]


def test_followup_sheet_names_are_valid_and_unique(tmp_path):
    members = roster(tmp_path / "dv.csv", [(f"01.{i:06d}", f"Đảng viên {i}", unit)
                                           for i, unit in enumerate(TRICKY_UNITS, 1)])
    result = runner.invoke(app, ["followup", "-p", "2026-06", "--members", str(members), *nobody_on_the_app(tmp_path), "-o",
                                 str(tmp_path / "bc")])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "bc" / "2026-06" / "doi-chieu-2026-06.xlsx")
    titles = book.sheetnames
    assert titles[0] == SUMMARY_SHEET and len(titles) == len(TRICKY_UNITS) + 1
    assert len({t.casefold() for t in titles}) == len(titles)
    for title in titles[1:]:
        valid_sheet_name(title)
    assert {book[t]["A1"].value for t in titles[1:]} >= {"Chi bộ 'Đoàn Kết'", "History"}


def valid_sheet_name(name: str) -> None:
    assert 0 < len(name.encode("utf-16-le")) // 2 <= SHEET_MAX, name
    assert not set(name) & set("[]:*?/\\"), name
    assert not name.startswith("'") and not name.endswith("'"), name
    assert name.casefold() != "history" and not any(ord(c) < 32 for c in name), name


@given(st.lists(st.text(min_size=0, max_size=45), min_size=1, max_size=12))
@settings(max_examples=60, deadline=None, database=None)
def test_any_unit_names_give_valid_unique_sheet_names(units):
    names = _sheet_names(units)
    assert len(names) == len(units)
    assert len({n.casefold() for n in [SUMMARY_SHEET, *names]}) == len(names) + 1
    for name in names:
        valid_sheet_name(name)


# ---- brackets are printed as written -------------------------------------------------------------------------


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_every_help_text_prints_its_brackets():
    group = typer.main.get_command(app)
    seen = 0
    for name, command in group.commands.items():
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        tokens = set(re.findall(r"\S*\[[^\]\s]+\]\S*", " ".join(texts)))
        shown = _plain(runner.invoke(app, [name, "--help"], terminal_width=200).output)
        for token in tokens:
            assert token in shown, (name, token)
        seen += len(tokens)
    assert seen  # at least `stats --help` has some
    stats_help = _plain(runner.invoke(app, ["stats", "--help"]).output)
    assert "từ mục [inputs] của sotay.toml" in stats_help


def test_messages_print_brackets_as_written(tmp_path):
    missing = runner.invoke(app, ["check", str(tmp_path / "data[table].csv")])
    assert missing.exit_code == 2 and f"{tmp_path / 'data[table].csv'}: không tìm thấy tệp" in missing.stderr
    empty = tmp_path / "sotay.toml"
    empty.write_text("", encoding="utf-8")
    no_members = runner.invoke(app, ["stats", "-p", "2026-06", "--config", str(empty), "--no-history"])
    assert no_members.exit_code == 2 and "[inputs] members" in no_members.stderr
    members = roster(tmp_path / "data[table].csv", [("01.000001", "Nguyễn Văn A", "Chi bộ [cũ]"),
                                                   ("01.000002", "Trần Thị B", "Chi bộ [cũ]")])
    for command in (["stats"], ["flag", "-f", "table"]):
        result = runner.invoke(app, [*command, "-p", "2026-06", "--members", str(members), *USAGE, *SAMPLE,
                                     "--no-history"], terminal_width=200)
        assert result.exit_code == 0, result.output
        assert "Chi bộ [cũ]" in result.stdout and "data[table].csv" in result.stderr


def test_stdout_gets_the_whole_document_or_nothing(capsysbinary):
    from sotay_cli.cli import common

    def pieces(fail: bool):
        yield b'{"units": [\n'
        yield "  \"Chi bộ thôn 1\"\n".encode("utf-8") * 50
        if fail:
            raise RuntimeError("lỗi giữa chừng")
        yield b"]}\n"

    with pytest.raises(RuntimeError):
        common.emit(pieces(True), None)
    assert capsysbinary.readouterr().out == b""
    common.emit(pieces(False), "-")
    assert capsysbinary.readouterr().out == b"".join(pieces(False))


def test_stdout_past_the_held_size_is_written_as_it_is_made(monkeypatch, capsysbinary):
    """A document too large to hold (a country's) is not held whole: what was made before a failure is out."""
    from sotay_cli.cli import common

    monkeypatch.setattr(common, "STDOUT_HELD", 100)
    made = []

    def pieces():
        for i in range(50):
            made.append(i)
            yield b"x" * 10
        raise RuntimeError("lỗi giữa chừng")

    with pytest.raises(RuntimeError):
        common.emit(pieces(), None)
    assert capsysbinary.readouterr().out == b"x" * 500


def test_ctrl_c_is_one_vietnamese_line_and_exit_130(monkeypatch, tmp_path):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sotay_cli.render.xlsx._sheet", interrupted)
    out = tmp_path / "phu-luc.xlsx"
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "xlsx", "-o", str(out), "--no-history", *SAMPLE])
    assert result.exit_code == 130
    assert "Đã dừng theo yêu cầu (Ctrl-C)" in result.stderr
    no_traceback(result)
    assert os.listdir(tmp_path) == []  # the temporary file went with it
