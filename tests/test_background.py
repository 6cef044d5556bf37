"""`background.Background`: work in a forked child (Linux), or in this process when its result is asked."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from sotay_cli import background
from sotay_cli.atomic import OutputError, atomic_path
from sotay_cli.background import Background
from sotay_cli.cli import app
from sotay_cli.problems import Problem
from sotay_cli.render.xlsx import CellTooLong

forking = pytest.mark.skipif(not background.FORK, reason="a child process is forked only on Linux")


@pytest.fixture(params=[True, False], ids=["forked", "here"])
def fork(request, monkeypatch):
    if request.param and not background.FORK:
        pytest.skip("a child process is forked only on Linux")
    monkeypatch.setattr(background, "FORK", request.param)
    return request.param


class Unrebuildable(Exception):
    def __init__(self, a, b):  # pickle rebuilds it with one argument: it cannot come back as itself
        super().__init__(f"{a}-{b}")


def pid_and_value(value):
    return os.getpid(), value


def fail(kind):
    raise kind("hỏng")


def warn_then(value):
    warnings.warn("ô bị cắt", UserWarning)
    return value


def test_the_value_comes_back_from_the_child(fork):
    pid, value = Background("x", pid_and_value, {"a": [1, 2]}).result()
    assert value == {"a": [1, 2]}
    assert (pid != os.getpid()) is fork


@pytest.mark.parametrize("kind", [OutputError, ValueError, OSError])
def test_an_error_is_raised_again_as_itself(fork, kind):
    job = Background("x", fail, kind)
    with pytest.raises(kind, match="hỏng") as raised:
        job.result()
    if fork:  # the child's traceback goes with it, for the crash report
        assert "Trong tiến trình ghi song song" in "".join(raised.value.__notes__)
        assert "in fail" in "".join(raised.value.__notes__)


@forking
def test_an_error_that_cannot_be_rebuilt_comes_back_as_its_text():
    def broken():
        raise Unrebuildable(1, 2)

    with pytest.raises(RuntimeError, match="Unrebuildable: 1-2"):
        Background("x", broken).result()


def test_the_childs_warnings_are_shown_here(fork):
    with pytest.warns(UserWarning, match="ô bị cắt"):
        assert Background("x", warn_then, 7).result() == 7


class Odd(UserWarning):
    def __init__(self, a, b):
        super().__init__(f"{a} {b}")


def warn_cut_then(value):
    warnings.warn(CellTooLong(Problem("phu-luc.xlsx", "cell_too_long", "warning", "dài quá", sheet="Chi bộ", row=7,
                                      column="B")))
    warnings.warn(Odd("cảnh báo", "lạ"))  # cannot be rebuilt as itself: comes back as its text
    return value


def test_a_warning_that_cannot_be_rebuilt_never_spoils_the_result(fork):
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        assert Background("x", warn_cut_then, 7).result() == 7
    cut = [w.message for w in shown if isinstance(w.message, CellTooLong)]
    assert len(cut) == 1 and cut[0].problem.row == 7 and cut[0].problem.sheet == "Chi bộ"
    assert any("cảnh báo lạ" in str(w.message) for w in shown)


@forking
def test_a_child_killed_without_a_word_is_a_message_naming_the_file():
    job = Background("phu-luc.xlsx", lambda: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(OutputError, match=r"phu-luc\.xlsx: tiến trình ghi tệp dừng đột ngột \(mã -9\)"):
        job.result()


def slow_write(target: Path, started: Path):
    with atomic_path(target) as tmp:
        tmp.write_text("một nửa", encoding="utf-8")
        started.touch()
        time.sleep(30)
    return target


@forking
def test_an_error_here_stops_the_child_and_leaves_no_file(tmp_path):
    target, started = tmp_path / "phu-luc.xlsx", tmp_path / "started"
    begun = time.monotonic()
    with pytest.raises(ValueError):
        with Background("phu-luc.xlsx", slow_write, target, started):
            while not started.exists():
                time.sleep(0.01)
            raise ValueError("mẫu hỏng")
    assert time.monotonic() - begun < 10, "the child was stopped, not waited for"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["started"], "its temporary file is removed"


def test_report_writes_the_same_appendix_with_or_without_a_child(tmp_path, monkeypatch):
    monkeypatch.setenv("SOTAY_HISTORY", str(tmp_path / "lich-su.sqlite"))
    sheets = {}
    for fork in ([True, False] if background.FORK else [False]):
        monkeypatch.setattr(background, "FORK", fork)
        out = tmp_path / str(fork)
        result = CliRunner().invoke(app, ["report", "-p", "2026-06", "--ngay", "08/07/2026", "-o", str(out),
                                          "--config", "sample_data/sotay.toml", "--no-history"])
        assert result.exit_code == 0, result.output
        folder = out / "2026-06"
        assert sorted(p.name for p in folder.iterdir()) == [
            "cong-van-2026-06.docx", "cong-van-2026-06.md", "phu-luc-2026-06.xlsx"]
        assert str(folder / "phu-luc-2026-06.xlsx") in result.stdout
        book = CalamineWorkbook.from_path(str(folder / "phu-luc-2026-06.xlsx"))
        sheets[fork] = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    assert len(set(map(repr, sheets.values()))) == 1
    assert any(len(rows) > 10 for rows in sheets[False].values())


def test_a_template_error_leaves_no_appendix_and_no_temporary_file(tmp_path, monkeypatch, fork):
    monkeypatch.setenv("SOTAY_HISTORY", str(tmp_path / "lich-su.sqlite"))
    system_tmp = tmp_path / "tmp"  # XlsxWriter's row files of the stopped appendix: none left there either
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    folder = tmp_path / "mau"
    folder.mkdir()
    (folder / "cong-van.md").write_text("Trích yếu: V/v thử\n===\nSố liệu {{ total.khong_co }}.\n", encoding="utf-8")
    sample = Path("sample_data").resolve()
    config = tmp_path / "sotay.toml"
    text = (sample / "sotay.toml").read_text(encoding="utf-8")
    for name in ("dang-vien", "tai-khoan", "sinh-hoat", "to-chuc"):
        text = text.replace(f'= "{name}', f'= "{sample}/{name}')
    config.write_text(text + f'\n[report]\ntemplates = "{folder}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "-p", "2026-06", "-o", str(tmp_path / "out"), "--config",
                                      str(config), "--no-history"])
    assert result.exit_code == 2 and "khong_co" in result.stderr
    left = [p.name for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert left == [], left
    assert list(system_tmp.iterdir()) == []


def test_a_cell_cut_to_fit_excel_is_a_warning_and_the_report_is_written(tmp_path, monkeypatch, fork):
    """A chi bộ named longer than an Excel cell, in the appendix the child writes: one warning, every file."""
    from test_faults import SAMPLE, USAGE, roster

    monkeypatch.setenv("SOTAY_HISTORY", str(tmp_path / "lich-su.sqlite"))
    members = roster(tmp_path / "dv.csv", [("01.000001", "Nguyễn A", "Chi bộ " + "X" * 40_000),
                                           ("01.000002", "Trần B", "Chi bộ 1")])
    out = tmp_path / "bc"
    result = CliRunner().invoke(app, ["report", "-p", "2026-06", "--members", str(members), *USAGE, "-o", str(out),
                                      "--no-history", *SAMPLE])
    assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if "Cảnh báo" in line and "ô Excel" in line]
    assert len(said) == 1 and "phu-luc-2026-06.xlsx" in said[0] and "40.007 ký tự" in said[0]
    assert sorted(p.name for p in (out / "2026-06").iterdir()) == [
        "cong-van-2026-06.docx", "cong-van-2026-06.md", "phu-luc-2026-06.xlsx"]



@forking
def test_a_child_whose_parent_is_killed_stops_and_removes_its_file(tmp_path):
    """kill -9 of the command: its child stops too, instead of writing on for nobody."""
    import subprocess

    target, started = tmp_path / "phu-luc.xlsx", tmp_path / "started"
    script = ("import sys, time\nsys.path.insert(0, sys.argv[3])\nfrom test_background import slow_write\n"
              "from sotay_cli.background import Background\nfrom pathlib import Path\n"
              "job = Background('x', slow_write, Path(sys.argv[1]), Path(sys.argv[2]))\nprint(job._process.pid, "
              "flush=True)\ntime.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", script, str(target), str(started), str(Path(__file__).parent)],
                              stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    parent.kill()
    parent.wait()
    while time.monotonic() < deadline:
        try:  # gone, or a zombie nobody reaps (the parent was killed)
            if Path(f"/proc/{child}/stat").read_text().split(") ")[-1][0] in "ZX":
                break
        except FileNotFoundError:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the child outlived its parent")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["started"]


@pytest.mark.parametrize("where", ["render.docx._signing_block", "render.draft.to_markdown", "report.write_chart"])
def test_a_report_stopped_on_the_way_puts_no_file_in_place(tmp_path, monkeypatch, fork, where):
    """Ctrl-C (or an error) while the draft, the chart or the Markdown is made: none of the report's files
    lands, not the draft without its appendix; the files of before stay as they were."""
    monkeypatch.setenv("SOTAY_HISTORY", str(tmp_path / "lich-su.sqlite"))
    out = tmp_path / "bc"
    runner = CliRunner()
    for period in ("2026-05", "2026-06"):  # two months stored: the report has its chart
        done = runner.invoke(app, ["report", "-p", period, "-o", str(out), "--config", "sample_data/sotay.toml"])
        assert done.exit_code == 0, done.output
    folder = out / "2026-06"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert "bieu-do-2026-06.png" in before and len(before) == 4

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    module, name = where.rsplit(".", 1)
    monkeypatch.setattr(f"sotay_cli.{module}.{name}", stopped)
    if where == "render.draft.to_markdown":
        monkeypatch.setattr("sotay_cli.report.to_markdown", stopped)
    result = runner.invoke(app, ["report", "-p", "2026-06", "-o", str(out), "--config", "sample_data/sotay.toml",
                                 "--force", "--ngay", "08/07/2026"])
    assert result.exit_code == 130, result.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no new file, no temporary one
