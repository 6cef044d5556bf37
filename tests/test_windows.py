"""What a Windows PC in a commune office brings: files saved by Excel on Vietnamese Windows, folders
with Vietnamese names and spaces, sotay.toml edited in Notepad, and no POSIX-only calls in the code.

What can only be checked on Windows itself (backslash paths, cmd running cai-dat.bat) is skipped here
with the reason; docs/windows.md lists it.
"""

from __future__ import annotations

import ast
import os
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import csv_text, to_cp1258
from sotay_cli.cli import app
from sotay_cli.ingest import MEMBERS, load_table

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]


def test_excel_csv_on_vietnamese_windows_is_cp1258_with_semicolons(tmp_path, roster_rows):
    """'CSV (Comma delimited)' in Excel on Vietnamese Windows: the ANSI code page (1258, tone marks as
    combining characters) and the list separator ';' of the region settings."""
    path = tmp_path / "Danh sách đảng viên.csv"
    data = to_cp1258(csv_text(roster_rows, ";"))
    assert b"\xd2" in data or b"\xde" in data or b"\xf2" in data  # really cp1258: combining tone marks
    path.write_bytes(data)
    table = load_table(path)
    assert table.kind == MEMBERS
    assert table.frame["name"].tolist() == NAMES
    assert all(unicodedata.is_normalized("NFC", n) for n in table.frame["chi_bo"])
    assert table.frame["chi_bo"].tolist()[0] == "Chi bộ thôn Đông"


def test_unicode_text_from_excel_in_a_vietnamese_folder_through_the_cli(tmp_path, roster_rows):
    """'Unicode Text (*.txt)': UTF-16 little-endian with BOM, tab-separated, CRLF; in a folder whose
    name has accents and spaces, as on a staff member's Desktop."""
    folder = tmp_path / "Dữ liệu tháng 6" / "Văn phòng Đảng ủy"
    folder.mkdir(parents=True)
    path = folder / "DS đảng viên.txt"
    path.write_bytes(b"\xff\xfe" + csv_text(roster_rows, "\t").encode("utf-16-le"))
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert f'"file": "{path}"' in result.stdout
    assert '"rows_used": 3' in result.stdout


def test_a_windows_path_in_sotay_toml_is_kept_as_written(tmp_path, monkeypatch):
    """Notepad writes CRLF; a path in single quotes keeps its backslashes (TOML literal string)."""
    monkeypatch.chdir(tmp_path)
    Path("sotay.toml").write_bytes(
        "[organisation]\r\nroot = \"Đảng bộ xã Thử\"\r\n[inputs]\r\nmembers = 'D:\\Dữ liệu\\đảng viên.xlsx'\r\n"
        .encode("utf-8"))
    result = runner.invoke(app, ["stats", "-p", "2026-06"])
    assert result.exit_code == 2
    assert "D:\\Dữ liệu\\đảng viên.xlsx" in result.stderr


def test_sotay_toml_saved_by_notepad_with_a_bom_loads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sample = ROOT / "sample_data"
    Path("sotay.toml").write_bytes(
        ("\ufeff[organisation]\r\nroot = \"Đảng bộ xã Hoa Lộc\"\r\n[inputs]\r\n"
         f"members = '{sample / 'dang-vien.xlsx'}'\r\nusage = '{sample / 'tai-khoan.xlsx'}'\r\n").encode("utf-8"))
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--format", "json"])
    assert result.exit_code == 0, result.stderr


@pytest.mark.skipif(os.name != "nt", reason="backslash separators and drive letters exist only on Windows")
def test_backslash_path_with_vietnamese_names_on_windows(tmp_path, roster_rows):
    path = tmp_path / "Tài liệu" / "đảng viên.csv"
    path.parent.mkdir()
    path.write_bytes(csv_text(roster_rows, ";").encode("utf-8-sig"))
    assert "\\" in str(path)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output


# Modules that exist only on POSIX systems, and calls that fail or mean something else on Windows.
POSIX_MODULES = {"fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "posix", "syslog", "crypt"}
POSIX_CALLS = {"os.fork", "os.symlink", "os.getuid", "os.geteuid", "os.getgid", "os.killpg", "os.setsid",
               "os.getpgid", "os.mkfifo", "os.chown", "os.lchown", "signal.alarm", "signal.setitimer",
               "signal.SIGALRM", "signal.SIGKILL", "signal.SIGPIPE", "signal.SIGHUP", "signal.SIGUSR1"}
# os.kill(pid, 0) asks whether a process lives on POSIX; on Windows it ends that process (TerminateProcess):
# allowed only in a function that looks at os.name or sys.platform before it.
GUARDED_ON_WINDOWS = {"os.kill"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _guard_lines(function: ast.AST) -> list[int]:
    return [n.lineno for n in ast.walk(function) if isinstance(n, ast.Compare)
            and any(_dotted(side) in ("os.name", "sys.platform") for side in (n.left, *n.comparators))]


def posix_only_uses(package: Path = ROOT / "src" / "sotay_cli") -> set[str]:
    found = set()
    for path in sorted(package.rglob("*.py")):
        where = path.relative_to(package).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {f"{where}: import {a.name}" for a in node.names if a.name.split(".")[0] in POSIX_MODULES}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in POSIX_MODULES:
                found.add(f"{where}: from {node.module} import")
            elif isinstance(node, ast.Attribute) and _dotted(node) in POSIX_CALLS:
                found.add(f"{where}: {_dotted(node)}")
            elif isinstance(node, ast.Attribute) and _dotted(node) in GUARDED_ON_WINDOWS:
                inside = [f for f in functions if f.lineno <= node.lineno <= f.end_lineno]
                if not any(line < node.lineno for f in inside for line in _guard_lines(f)):
                    found.add(f"{where}: {_dotted(node)}")
    return found


def test_no_posix_only_module_or_call_on_the_paths_a_windows_user_takes():
    assert posix_only_uses() == set()


def test_the_guard_is_recognised_and_an_unguarded_kill_is_not(tmp_path):
    guarded = "import os\ndef alive(pid):\n    if os.name == 'nt':\n        return True\n    os.kill(pid, 0)\n"
    unguarded = "import os\ndef alive(pid):\n    os.kill(pid, 0)\n    return os.name == 'nt'\n"
    (tmp_path / "a.py").write_text(guarded, encoding="utf-8")
    assert posix_only_uses(tmp_path) == set()
    (tmp_path / "b.py").write_text(unguarded + "import fcntl\n", encoding="utf-8")
    assert posix_only_uses(tmp_path) == {"b.py: os.kill", "b.py: import fcntl"}


def test_a_backslash_path_in_double_quotes_gets_a_hint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("sotay.toml").write_text('[inputs]\nmembers = "D:\\Du lieu\\dang-vien.xlsx"\n', encoding="utf-8")
    result = runner.invoke(app, ["stats", "-p", "2026-06"])
    assert result.exit_code == 2 and "nháy đơn" in result.stderr


def test_a_file_open_in_excel_on_windows_is_said_so():
    from sotay_cli.atomic import reason

    said = reason(PermissionError(13, "Access is denied"), windows=True)
    assert "đang mở trong chương trình khác" in said
