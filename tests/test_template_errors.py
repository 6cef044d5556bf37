"""A mistake in a user's template: one Vietnamese line naming the file and line, with a close name offered."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sotay_cli.cli import app

SAMPLE = Path("sample_data").resolve()


@pytest.mark.parametrize("text,said", [
    ("{{ total.instaled }}", "dòng 5: không có tên 'instaled' trong dữ liệu của mẫu; có phải 'installed'?"),
    ("{{ totl.installed }}", "dòng 5: không có tên 'totl' trong dữ liệu của mẫu; có phải 'total'?"),
    ("{{ total.installed_rate | percen }}", "dòng 5: không có bộ lọc 'percen'; có phải 'percent'?"),
    ("{% if total %}x", "mẫu hết mà một khối chưa đóng (thiếu 'elif' hoặc 'else' hoặc 'endif'"),
    ("{% iff x %}", "dòng 5: thẻ lạ 'iff'."),
])
def test_a_template_mistake_is_said_in_vietnamese(tmp_path, monkeypatch, text, said):
    monkeypatch.setenv("SOTAY_HISTORY", str(tmp_path / "lich-su.sqlite"))
    folder = tmp_path / "mau"
    folder.mkdir()
    (folder / "cong-van.md").write_text(f"Trích yếu: V/v thử\n===\nĐoạn.\n\nSố liệu {text}.\n\nHết.\n", encoding="utf-8")
    config = (SAMPLE / "sotay.toml").read_text(encoding="utf-8")
    for name in ("dang-vien", "tai-khoan", "sinh-hoat", "to-chuc"):
        config = config.replace(f'= "{name}', f'= "{SAMPLE / name}')
    (tmp_path / "sotay.toml").write_text(config + '\n[report]\ntemplates = "mau"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "-p", "2026-06", "-o", str(tmp_path / "out"), "--config",
                                      str(tmp_path / "sotay.toml"), "--no-history"])
    assert result.exit_code == 2
    line = " ".join(result.stderr.split())
    assert f"cong-van.md, {said}" in line or said in line, line
    assert "Traceback" not in result.output and " found" not in line and "undefined" not in line
