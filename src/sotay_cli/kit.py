"""An offline install kit for the Windows PCs of commune offices.

The kit is one folder to copy on a USB stick: the sotay wheel, every dependency's win_amd64 wheel for
each supported Python, `cai-dat.bat` (a venv in %LOCALAPPDATA%\\sotay\\venv filled by pip with no index,
then a `sotay` launcher on the Desktop), the launchers it copies, and HUONG-DAN.txt for the person at
the PC. Building it needs pip and PyPI (or a folder of wheels); installing it needs neither.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from .atomic import reason, write_bytes

# The Pythons requires-python admits and tools/test-envs.sh tests; tests/test_kit.py keeps the three equal.
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
PLATFORM = "win_amd64"
DISTRIBUTION = "sotay-cli"
VENV = r"%LOCALAPPDATA%\sotay\venv"
INSTALL_SCRIPT, GUIDE, LAUNCHERS = "cai-dat.bat", "HUONG-DAN.txt", "loi-tat"
SOTAY_LAUNCHER, WEB_LAUNCHER = "sotay.bat", "sotay web.bat"


class KitError(Exception):
    """The kit cannot be built (pip, network, a wheel missing for Windows): the CLI exits 2 with this message."""


@dataclass
class Kit:
    folder: Path
    wheel: Path
    pythons: tuple[str, ...]
    packages: dict[str, int] = field(default_factory=dict)  # Python version -> distributions pip would install

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())


def build_kit(out: Path, *, pythons: Sequence[str] = SUPPORTED_PYTHONS, source: Path | None = None,
              wheel: Path | None = None, find_links: Path | None = None, web: bool = False, force: bool = False,
              progress: Callable[[str], None] = lambda message: None) -> Kit:
    """Build the kit in `out`: the sotay wheel (built from `source`, or `wheel` as given), the Windows
    wheels for each of `pythons` (from PyPI, or only from `find_links`), the scripts; then check with pip,
    offline, that the folder alone installs sotay on each of those Pythons."""
    pythons = tuple(sorted(set(pythons), key=_version_key))
    unknown = [p for p in pythons if p not in SUPPORTED_PYTHONS]
    if unknown or not pythons:
        raise KitError(f"Python {', '.join(unknown) or '(trống)'} chưa được kiểm thử; chọn trong "
                       f"{', '.join(SUPPORTED_PYTHONS)}.")
    if importlib.util.find_spec("pip") is None:
        raise KitError("môi trường Python đang chạy sotay không có pip; cài pip (python -m ensurepip) rồi chạy lại.")
    if out.exists() and not out.is_dir():
        raise KitError(f"{out} là tệp, không phải thư mục; chọn --output khác.")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise KitError(f"thư mục {out} đã có tệp; thêm --force để cập nhật bộ cài trong đó (các gói đã tải được "
                       "dùng lại) hoặc chọn --output khác.")
    given = Path(wheel).resolve() if wheel is not None else None
    if given is not None and not given.is_file():
        raise KitError(f"không thấy tệp wheel {wheel}.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("sotay_cli-*.whl"):  # one sotay in the kit: pip would take the newest version
            if old.resolve() != given:
                old.unlink()
    except OSError as exc:
        raise KitError(f"không ghi được vào thư mục {out} ({reason(exc)}).") from exc
    if given is None:
        progress("Đang đóng gói sotay thành tệp wheel…")
        wheel = build_wheel(source or find_source(), out)
    else:
        wheel = given if given.parent == out.resolve() else Path(shutil.copy2(given, out / given.name))
    kit = Kit(out, wheel, pythons)
    for python in pythons:
        progress(f"Đang tải các gói cho Windows, Python {python}…")
        download(wheel, out, python, find_links)
    for python in pythons:
        progress(f"Đang kiểm tra bộ cài với Python {python} (không mạng, không chỉ mục gói)…")
        kit.packages[python] = len(resolve_offline(out, python, _version_of(wheel)))
    write_scripts(out, _version_of(wheel), pythons, web)
    return kit


def find_source(start: Path | None = None) -> Path:
    """The sotay source tree: the folder holding sotay's pyproject.toml, from `start` (default: the
    current folder) upwards, else from this module upwards (an editable install)."""
    for base in (Path(start or Path.cwd()).resolve(), Path(__file__).resolve().parent):
        for folder in (base, *base.parents):
            pyproject = folder / "pyproject.toml"
            if pyproject.is_file() and _project_name(pyproject) == DISTRIBUTION:
                return folder
    raise KitError("không thấy mã nguồn sotay (pyproject.toml) ở thư mục hiện tại hay các thư mục trên nó; "
                   "chạy lệnh trong thư mục mã nguồn, hoặc dùng --source hay --wheel.")


def build_wheel(source: Path, dest: Path) -> Path:
    """`pip wheel --no-deps` of the source tree; the wheel lands in `dest`."""
    with tempfile.TemporaryDirectory(prefix="sotay-wheel-") as tmp:
        _pip(["wheel", "--no-deps", "--wheel-dir", tmp, str(source)], "không đóng gói được sotay")
        built = sorted(Path(tmp).glob("sotay_cli-*.whl"))
        if not built:
            raise KitError("pip không tạo ra tệp wheel của sotay.")
        return Path(shutil.move(str(built[-1]), dest / built[-1].name))


def download(requirement: Path, dest: Path, python: str, find_links: Path | None = None) -> None:
    """Every win_amd64 (or pure-Python) wheel that `requirement` needs on `python`, into `dest`;
    wheels already there are kept, not fetched again."""
    index = ["--no-index", "--find-links", str(find_links)] if find_links else []
    _pip(["download", *_target(python), "--dest", str(dest), *index, str(requirement)],
         f"không tải được các gói cho Windows, Python {python}",
         hint="kiểm tra kết nối mạng (PyPI) rồi chạy lại; hoặc chỉ thư mục có sẵn các gói bằng --find-links")


def resolve_offline(folder: Path, python: str, version: str | None = None) -> list[str]:
    """The wheels `pip install sotay-cli` would take from `folder` alone on a Windows PC with `python`:
    pip resolves for that target with no index and none of this machine's pip settings. A download into a
    scratch folder, not `pip install --dry-run`: pip 23's dry run checks Requires-Python against the running
    Python, not the target. KitError if the folder lacks something."""
    with tempfile.TemporaryDirectory(prefix="sotay-kit-check-") as tmp:
        requirement = f"{DISTRIBUTION}=={version}" if version else DISTRIBUTION
        _pip(["--isolated", "download", "--no-index", "--find-links", str(folder), *_target(python),
              "--dest", tmp, requirement],
             f"bộ cài trong {folder} không cài được sotay trên Windows với Python {python}")
        return sorted(p.name for p in Path(tmp).iterdir())


def _target(python: str) -> list[str]:
    return ["--only-binary=:all:", "--platform", PLATFORM, "--python-version", python, "--implementation", "cp"]


def _pip(args: list[str], what: str, hint: str = "") -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise KitError(f"{what}: không chạy được pip ({exc.strerror or exc}).") from exc
    if done.returncode:
        raise KitError(f"{what}: {_pip_reason(done.stderr or done.stdout)}" + (f"; {hint}." if hint else "."))


def _pip_reason(output: str) -> str:
    """pip's own words for a failure: its ERROR lines, else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    return " ".join(errors[:3]) or (lines[-1] if lines else "pip dừng mà không nói lý do")


def _project_name(pyproject: Path) -> str | None:
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None


def _version_of(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def _version_key(python: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", python))


# --- what the PC runs ------------------------------------------------------------------------------

def write_scripts(folder: Path, version: str, pythons: Sequence[str], web: bool = False) -> list[Path]:
    """cai-dat.bat, the launchers it copies, HUONG-DAN.txt: CRLF line ends; the batch files UTF-8 without
    BOM (cmd would read a BOM as part of the first command), the guide UTF-8 with BOM for Notepad."""
    launchers = {SOTAY_LAUNCHER: sotay_launcher()}
    if web:
        launchers[WEB_LAUNCHER] = web_launcher()
    files = {
        folder / INSTALL_SCRIPT: _crlf(install_script(version, pythons, tuple(launchers))),
        folder / GUIDE: b"\xef\xbb\xbf" + _crlf(guide(version, pythons, web)),
        **{folder / LAUNCHERS / name: _crlf(text) for name, text in launchers.items()},
    }
    (folder / LAUNCHERS).mkdir(exist_ok=True)
    for path, data in files.items():
        write_bytes(path, data)
    return list(files)


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _python_words(pythons: Sequence[str]) -> str:
    return pythons[0] if len(pythons) == 1 else ", ".join(pythons[:-1]) + " hoặc " + pythons[-1]


def install_script(version: str, pythons: Sequence[str], launchers: Sequence[str]) -> str:
    ordered = sorted(pythons, key=_version_key)
    newest_first = " ".join(reversed(ordered))
    low, high = _version_key(ordered[0]), _version_key(ordered[-1])
    copies = "\n".join(
        f'copy /y "{LAUNCHERS}\\{name}" "%LOCALAPPDATA%\\sotay\\{name}" >nul || goto fail\n'
        f'copy /y "{LAUNCHERS}\\{name}" "%DESKTOP%\\{name}" >nul || goto fail' for name in launchers)
    return f"""@echo off
rem sotay {version}: installs from the wheels in this folder, with no network. Made by `sotay kit --windows`;
rem the README ("Cai dat tren may Windows cua van phong") documents the same commands.
setlocal EnableExtensions
chcp 65001 >nul
cd /d "%~dp0"
title Cài đặt sotay {version}

set "PY="
for %%V in ({newest_first}) do (
  if not defined PY py -%%V-64 -c "" >nul 2>&1 && set "PY=py -%%V-64"
)
if not defined PY (
  python -c "import sys; sys.exit(not ({low} <= sys.version_info[:2] <= {high} and sys.maxsize > 2**32))" >nul 2>&1 && set "PY=python"
)
if not defined PY (
  echo Chưa có Python {_python_words(pythons)}, bản 64-bit, trên máy này.
  echo Hãy cài Python bằng bộ cài do bộ phận công nghệ thông tin của tỉnh cung cấp, rồi nháy đúp lại vào cai-dat.bat.
  echo Xem thêm tệp HUONG-DAN.txt trong thư mục này.
  goto fail
)

echo Đang tạo môi trường Python riêng cho sotay trong %LOCALAPPDATA%\\sotay\\venv ...
%PY% -m venv --clear "{VENV}" || goto fail
echo Đang cài sotay {version} và các gói đi kèm từ thư mục này, không cần mạng ...
"{VENV}\\Scripts\\python.exe" -m pip install --no-index --find-links . {DISTRIBUTION} || goto fail

echo Đang đặt lối tắt sotay lên màn hình nền ...
set "DESKTOP="
for /f "usebackq delims=" %%D in (`powershell -NoProfile -Command "[Environment]::GetFolderPath('Desktop')"`) do set "DESKTOP=%%D"
if not defined DESKTOP set "DESKTOP=%USERPROFILE%\\Desktop"
{copies}

echo.
echo Đã cài xong sotay {version}.
echo Trên màn hình nền có tệp {SOTAY_LAUNCHER}: nháy đúp để mở cửa sổ lệnh sotay.
pause
exit /b 0

:fail
echo.
echo Cài đặt chưa xong. Hãy chụp màn hình cửa sổ này gửi người hỗ trợ.
pause
exit /b 1
"""


def sotay_launcher() -> str:
    return f"""@echo off
rem Opens a command window where `sotay` works (installed by cai-dat.bat).
chcp 65001 >nul
if not exist "{VENV}\\Scripts\\sotay.exe" (
  echo Chưa cài sotay trên máy này: hãy nháy đúp vào cai-dat.bat trong bộ cài.
  pause
  exit /b 1
)
set "PATH={VENV}\\Scripts;%PATH%"
cd /d "%USERPROFILE%\\Documents" 2>nul || cd /d "%USERPROFILE%"
title sotay
cmd /k sotay --help
"""


def web_launcher() -> str:
    return f"""@echo off
rem Starts `sotay web` (installed by cai-dat.bat).
chcp 65001 >nul
if not exist "{VENV}\\Scripts\\sotay.exe" (
  echo Chưa cài sotay trên máy này: hãy nháy đúp vào cai-dat.bat trong bộ cài.
  pause
  exit /b 1
)
cd /d "%USERPROFILE%\\Documents" 2>nul || cd /d "%USERPROFILE%"
title sotay web
"{VENV}\\Scripts\\sotay.exe" web
pause
"""


def guide(version: str, pythons: Sequence[str], web: bool = False) -> str:
    web_line = (f"   Tệp \"{WEB_LAUNCHER}\" mở sotay trong trình duyệt.\n" if web else "")
    return f"""SOTAY {version} - BỘ CÀI ĐẶT CHO MÁY WINDOWS (KHÔNG CẦN MẠNG)

Thư mục này chứa sotay và mọi gói nó cần, cho Windows 64-bit với Python {_python_words(pythons)}.
Cài đặt không cần mạng và không cần quyền quản trị máy.

Bước 1. Cài Python (nếu máy chưa có)
   Dùng bộ cài Python do bộ phận công nghệ thông tin của tỉnh cung cấp
   (Python {_python_words(pythons)}, bản 64-bit). Chọn "Install Now" và để nguyên các lựa chọn có sẵn.

Bước 2. Nháy đúp vào tệp cai-dat.bat trong thư mục này
   Cửa sổ đen hiện ra và tự cài; khi thấy dòng "Đã cài xong", bấm một phím bất kỳ để đóng.
   Nếu Windows hỏi "Windows protected your PC", bấm "More info" rồi "Run anyway".

Bước 3. Dùng sotay
   Trên màn hình nền có tệp "{SOTAY_LAUNCHER}": nháy đúp để mở cửa sổ lệnh, rồi gõ lệnh, ví dụ:
      sotay init --tinh "Thanh Hóa" --xa "Hoa Lộc"
      sotay report --period 2026-06
{web_line}
Cập nhật: chép bộ cài mới vào máy rồi nháy đúp vào cai-dat.bat của bộ cài mới.
Gỡ bỏ: xóa thư mục %LOCALAPPDATA%\\sotay\\venv và tệp {SOTAY_LAUNCHER} trên màn hình nền.
   Lịch sử số liệu các kỳ nằm trong tệp %LOCALAPPDATA%\\sotay\\lich-su.sqlite: giữ lại nếu còn dùng.

Khi có lỗi: chụp màn hình cửa sổ đen và gửi người hỗ trợ kèm tên tệp bộ cài.
"""
