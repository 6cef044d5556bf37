"""`sotay kit --windows`: the offline install kit for the Windows PCs of commune offices.

The fast tests run pip for real on a folder of fake wheels (no network); the test that downloads the
real ~250 MB of Windows wheels runs only with SOTAY_KIT_DOWNLOAD=1 (.ci/run sets it), into
SOTAY_KIT_CACHE when given so that a second run fetches nothing again.
"""

from __future__ import annotations

import os
import re
import tomllib
import zipfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sotay_cli import kit
from sotay_cli.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def fake_wheel(folder: Path, name: str, version: str, tag: str = "py3-none-any",
               requires: tuple[str, ...] = ()) -> Path:
    """A wheel pip accepts for resolving: name, version, tags and requirements, no code."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    path = folder / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                       + "".join(f"Requires-Dist: {r}\n" for r in requires))
        wheel.writestr(f"{info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n")
        wheel.writestr(f"{info}/RECORD", "")
    return path


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A package index in a folder: sotay needing a compiled and a pure dependency; the compiled one has a
    Windows wheel for each supported Python and a newer Linux-only release the kit must not take."""
    folder = tmp_path_factory.mktemp("wheels")
    for python in kit.SUPPORTED_PYTHONS:
        cp = "cp" + python.replace(".", "")
        fake_wheel(folder, "fakedep", "1.0", f"{cp}-{cp}-win_amd64")
    fake_wheel(folder, "fakedep", "2.0", "cp312-cp312-manylinux_2_17_x86_64")
    fake_wheel(folder, "fakepure", "1.0")
    sotay = fake_wheel(tmp_path_factory.mktemp("sotay"), "sotay-cli", "0.1.0", requires=("fakedep>=1", "fakepure"))
    return folder, sotay


@pytest.fixture(scope="module")
def made(source, tmp_path_factory):
    folder, sotay = source
    steps = []
    out = tmp_path_factory.mktemp("kit") / "bộ cài sotay"  # a Vietnamese name with spaces, as on a PC
    return kit.build_kit(out, wheel=sotay, find_links=folder, progress=steps.append), steps


def test_kit_holds_the_windows_wheels_for_every_supported_python_and_nothing_else(made):
    result, steps = made
    names = sorted(p.name for p in result.folder.glob("*.whl"))
    assert names == ["fakedep-1.0-cp311-cp311-win_amd64.whl", "fakedep-1.0-cp312-cp312-win_amd64.whl",
                     "fakedep-1.0-cp313-cp313-win_amd64.whl", "fakepure-1.0-py3-none-any.whl",
                     "sotay_cli-0.1.0-py3-none-any.whl"]
    assert result.packages == {"3.11": 3, "3.12": 3, "3.13": 3}
    assert {p.relative_to(result.folder).as_posix() for p in result.folder.rglob("*") if p.suffix != ".whl"} == {
        "cai-dat.bat", "HUONG-DAN.txt", "loi-tat", "loi-tat/sotay.bat"}
    assert steps[0].startswith("Đang tải các gói cho Windows, Python 3.11")
    assert all(step.startswith("Đang") for step in steps)


def test_kit_resolves_with_no_index_for_each_windows_python(made):
    result, _ = made
    assert kit.resolve_offline(result.folder, "3.12") == [
        "fakedep-1.0-cp312-cp312-win_amd64.whl", "fakepure-1.0-py3-none-any.whl", "sotay_cli-0.1.0-py3-none-any.whl"]
    (result.folder / "fakedep-1.0-cp312-cp312-win_amd64.whl").rename(result.folder / "gone")
    try:
        with pytest.raises(kit.KitError, match="không cài được sotay trên Windows với Python 3.12"):
            kit.resolve_offline(result.folder, "3.12")
    finally:
        (result.folder / "gone").rename(result.folder / "fakedep-1.0-cp312-cp312-win_amd64.whl")


def test_batch_and_text_files_are_what_notepad_and_cmd_read(made):
    folder = made[0].folder
    guide = (folder / "HUONG-DAN.txt").read_bytes()
    assert guide.startswith(b"\xef\xbb\xbf") and "Nháy đúp vào tệp cai-dat.bat" in guide.decode("utf-8-sig")
    assert "bộ phận công nghệ thông tin của tỉnh" in guide.decode("utf-8-sig")
    for path in (folder / "HUONG-DAN.txt", folder / "cai-dat.bat", folder / "loi-tat" / "sotay.bat"):
        data = path.read_bytes()
        assert b"\n" not in data.replace(b"\r\n", b""), f"{path.name}: a line ends without CR"
    for path in (folder / "cai-dat.bat", folder / "loi-tat" / "sotay.bat"):
        lines = path.read_bytes().decode("utf-8").split("\r\n")
        assert not lines[0].startswith("\ufeff"), "cmd reads a BOM as part of the first command"
        before_utf8 = lines[:next(i for i, line in enumerate(lines) if line.startswith("chcp 65001"))]
        assert all(line.isascii() for line in before_utf8), "cmd reads these lines in the OEM code page"
        blocks = sum(line.rstrip().endswith("(") for line in lines) - sum(line.strip() == ")" for line in lines)
        assert blocks == 0
        # a ')' in an echo inside a ( ... ) block would end the block early
        assert not [line for line in lines if line.lstrip().lower().startswith("echo") and re.search(r"[()]", line)]


def test_install_script_finds_a_supported_64_bit_python_and_installs_offline(made):
    script = (made[0].folder / "cai-dat.bat").read_text(encoding="utf-8")
    assert "for %%V in (3.13 3.12 3.11) do (" in script
    assert 'py -%%V-64 -c ""' in script
    assert "(3, 11) <= sys.version_info[:2] <= (3, 13) and sys.maxsize > 2**32" in script
    assert 'cd /d "%~dp0"' in script  # --find-links . is the kit folder, even when started from elsewhere
    assert "exit /b 1" in script and "goto fail" in script
    assert 'copy /y "loi-tat\\sotay.bat" "%DESKTOP%\\sotay.bat"' in script


def _commands(lines) -> list[str]:
    """The venv and pip command lines, with the Python chosen written %PY%."""
    picked = [line.strip().removesuffix("|| goto fail").strip() for line in lines
              if " -m venv " in line or " -m pip install " in line]
    return [re.sub(r"^py -3\.\d+(-64)?\b", "%PY%", line) for line in picked]


def test_batch_commands_are_the_ones_the_readme_documents(made):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Cài đặt trên máy Windows của văn phòng", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bat\n(.*?)```", section, flags=re.S)
    assert blocks, "the README section shows the commands cai-dat.bat runs"
    script = (made[0].folder / "cai-dat.bat").read_text(encoding="utf-8").splitlines()
    assert _commands(script) == _commands(blocks[0].splitlines())
    assert len(_commands(script)) == 2
    assert "sotay kit --windows -o" in section


def test_web_launcher_only_when_sotay_web_exists(tmp_path):
    kit.write_scripts(tmp_path, "0.1.0", ("3.12",), web=True)
    assert (tmp_path / "loi-tat" / "sotay web.bat").read_text(encoding="utf-8").count('sotay.exe" web') == 1
    script = (tmp_path / "cai-dat.bat").read_text(encoding="utf-8")
    assert 'copy /y "loi-tat\\sotay web.bat" "%DESKTOP%\\sotay web.bat"' in script
    assert "for %%V in (3.12) do (" in script
    assert "Python 3.12, bản 64-bit" in script
    assert "sotay web.bat" in (tmp_path / "HUONG-DAN.txt").read_text(encoding="utf-8-sig")
    (tmp_path / "b").mkdir()
    kit.write_scripts(tmp_path / "b", "0.1.0", ("3.12",), web=False)
    assert not (tmp_path / "b" / "loi-tat" / "sotay web.bat").exists()
    assert "sotay web" not in (tmp_path / "b" / "cai-dat.bat").read_text(encoding="utf-8")


def test_cli_builds_the_kit_and_prints_its_folder(source, tmp_path):
    folder, sotay = source
    out = tmp_path / "kit"
    result = runner.invoke(app, ["kit", "--windows", "-o", str(out), "--wheel", str(sotay),
                                 "--find-links", str(folder), "--python", "3.12"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert "Python 3.12: 3 gói" in result.stderr
    assert sorted(p.name for p in out.glob("fakedep-*")) == ["fakedep-1.0-cp312-cp312-win_amd64.whl"]
    has_web = "web" in typer.main.get_command(app).commands
    assert (out / "loi-tat" / "sotay web.bat").exists() == has_web


def test_a_folder_with_files_is_updated_only_with_force(source, tmp_path):
    folder, sotay = source
    out = tmp_path / "kit"
    out.mkdir()
    (out / "ghi-chu.txt").write_text("của người dùng", encoding="utf-8")
    args = ["kit", "--windows", "-o", str(out), "--wheel", str(sotay), "--find-links", str(folder), "--python", "3.13"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert sorted(p.name for p in out.iterdir()) == ["ghi-chu.txt"]
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert (out / "ghi-chu.txt").exists() and (out / "cai-dat.bat").exists()


def test_missing_windows_wheel_exits_2_with_pips_reason_in_one_line(tmp_path):
    folder = tmp_path / "wheels"
    folder.mkdir()
    fake_wheel(folder, "fakedep", "1.0", "cp312-cp312-win_amd64")
    sotay = fake_wheel(tmp_path, "sotay-cli", "0.1.0", requires=("fakedep",))
    result = runner.invoke(app, ["kit", "--windows", "-o", str(tmp_path / "kit"), "--wheel", str(sotay),
                                 "--find-links", str(folder), "--python", "3.11", "--python", "3.12"])
    assert result.exit_code == 2
    progress, message = result.stderr.strip().splitlines()
    assert progress == "Đang tải các gói cho Windows, Python 3.11…"
    assert message.startswith("Lỗi: không tải được các gói cho Windows, Python 3.11:")
    assert "fakedep" in message and "--find-links" in message
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, words", [
    (["-o", "x"], "thêm --windows"),
    (["--windows", "-o", "x", "--python", "3.10"], "Python 3.10 chưa được kiểm thử"),
])
def test_usage_errors_exit_2(args, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["kit", *args])
    assert result.exit_code == 2 and words in result.stderr
    assert not (tmp_path / "x").exists()


def test_source_is_found_from_a_subfolder_and_never_taken_from_another_project(tmp_path):
    assert kit.find_source(ROOT / "tests" / "golden") == ROOT
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "khac"\n', encoding="utf-8")
    if Path(kit.__file__).resolve().is_relative_to(ROOT):  # an editable install: its own tree is the source
        assert kit.find_source(tmp_path) == ROOT
    else:
        with pytest.raises(kit.KitError, match="không thấy mã nguồn sotay"):
            kit.find_source(tmp_path)


def test_supported_pythons_are_requires_python_and_the_ones_ci_tests():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    spec = pyproject["project"]["requires-python"]
    low, high = re.fullmatch(r">=\s*3\.(\d+)\s*,\s*<\s*3\.(\d+)", spec).groups()
    assert kit.SUPPORTED_PYTHONS == tuple(f"3.{m}" for m in range(int(low), int(high)))
    envs = (ROOT / "tools" / "test-envs.sh").read_text(encoding="utf-8")
    assert re.search(r"^PYTHONS=\((.*)\)$", envs, flags=re.M).group(1).split() == list(kit.SUPPORTED_PYTHONS)


@pytest.mark.skipif(not os.environ.get("SOTAY_KIT_DOWNLOAD"),
                    reason="downloads ~250 MB of Windows wheels from PyPI: set SOTAY_KIT_DOWNLOAD=1 (.ci/run does)")
def test_real_kit_resolves_offline_for_every_supported_windows_python(tmp_path):
    out = Path(os.environ.get("SOTAY_KIT_CACHE") or tmp_path / "kit")
    result = runner.invoke(app, ["kit", "--windows", "-o", str(out), "--force"])
    assert result.exit_code == 0, result.output
    wheels = sorted(p.name for p in out.glob("*.whl"))
    assert wheels and all(name.endswith(("-win_amd64.whl", "-none-any.whl")) for name in wheels)
    sotay = next(out.glob("sotay_cli-*.whl"))
    with zipfile.ZipFile(sotay) as wheel:
        inside = wheel.namelist()
    assert "sotay_cli/templates/cong-van.md" in inside and "sotay_cli/sample_data/dang-vien.xlsx" in inside
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    wanted = {re.split(r"[<>=!~;\[ ]", d, 1)[0].lower().replace("-", "_") for d in declared}
    for python in kit.SUPPORTED_PYTHONS:
        names = kit.resolve_offline(out, python)
        got = {name.split("-")[0].lower() for name in names}
        assert wanted <= got, f"Python {python}: missing {wanted - got}"
        cp = "cp" + python.replace(".", "")
        for compiled in ("numpy", "pandas", "pyarrow"):
            assert any(n.startswith(f"{compiled}-") and n.endswith(f"-{cp}-{cp}-win_amd64.whl") for n in names)
