"""Where sotay writes, and how. Every file goes through `atomic_path`, under one set of rules:

- never over a file the command reads, never over an existing file without `force`;
- through a symbolic link to its target (the link stays), never onto a folder, a FIFO or a device;
- through a temporary sibling `.~sotay-<pid>-<token>-<name>` renamed over the target at the end, so a
  crash leaves the old file or none; the temporary file is removed on failure, and one left by a
  killed run is swept by the next write into that folder;
- a file-system error becomes an `OutputError` naming the file, in Vietnamese.

The command line sets `force` and the inputs once per command (`set_rules`); library callers get
the defaults (overwrite allowed, no inputs known).
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator


class OutputError(Exception):
    """A file the command may not or cannot write: the CLI exits 2 with this message."""


class OutputExists(OutputError):
    """Files already there and no --force; `paths` are those that would be overwritten."""

    def __init__(self, paths: list[Path]):
        super().__init__(f"đã có tệp {', '.join(map(str, paths))}; thêm --force để ghi đè hoặc chọn chỗ ghi khác.")
        self.paths = paths


@dataclass(frozen=True)
class Rules:
    force: bool = True
    inputs: tuple[str, ...] = ()


_rules: contextvars.ContextVar[Rules] = contextvars.ContextVar("sotay_output_rules", default=Rules())


def set_rules(force: bool, inputs: Iterable[str | Path | None] = ()) -> None:
    """The rules of the running command (the CLI runs each command in its own context)."""
    _rules.set(Rules(force, tuple(str(p) for p in inputs if p and str(p) != "-")))


TEMP_PREFIX = ".~sotay-"
_TEMP = re.compile(r"^\.~sotay-(\d+)-[0-9a-f]+-")
STALE_AFTER = 3600  # seconds: a temporary file this old belongs to no running write

_REASONS = {
    errno.EACCES: "không có quyền truy cập",
    errno.EPERM: "không có quyền, hệ thống không cho phép",
    errno.EROFS: "ổ đĩa chỉ cho đọc",
    errno.ENOSPC: "hết chỗ trên ổ đĩa",
    errno.EDQUOT: "vượt hạn mức dung lượng",
    errno.ENOTDIR: "một phần của đường dẫn là tệp, không phải thư mục",
    errno.EISDIR: "là thư mục",
    errno.ENOENT: "không tìm thấy",
    errno.ENAMETOOLONG: "tên tệp quá dài",
    errno.ELOOP: "liên kết tượng trưng vòng quanh",
    errno.EBUSY: "đang bị chương trình khác dùng",
    errno.ETXTBSY: "đang bị chương trình khác dùng",
    errno.EIO: "lỗi đọc ghi của ổ đĩa",
    errno.EMFILE: "mở quá nhiều tệp cùng lúc",
}


def reason(exc: OSError, windows: bool = os.name == "nt") -> str:
    """The Vietnamese words for an OS error (the system's own text when there are none). On Windows a
    file open in Excel cannot be replaced, and the system calls that a permission error."""
    if windows and isinstance(exc, PermissionError):
        return "tệp đang mở trong chương trình khác (ví dụ Excel, Word) hoặc không có quyền ghi; đóng tệp rồi chạy lại"
    return _REASONS.get(exc.errno, exc.strerror or type(exc).__name__)


def target_of(path: str | Path, rules: Rules | None = None) -> Path:
    """The file a write to `path` lands on, once the rules allow it; OutputError saying why not."""
    rules = rules or _rules.get()
    real = Path(os.path.realpath(path))  # through symbolic links: the link stays, its target changes
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise OutputError(f"{path}: {_file_above(real)} là tệp, không phải thư mục; chọn chỗ ghi khác.") from None
    except OSError as exc:
        raise OutputError(f"{path}: không ghi được ({reason(exc)}).") from exc
    if st is None:
        above = _existing_above(real)
        if not above.is_dir():
            raise OutputError(f"{path}: {above} là tệp, không phải thư mục; chọn chỗ ghi khác.")
        for source in rules.inputs:  # an input not made yet (the history file of a first run)
            if os.path.realpath(source) == str(real):
                raise OutputError(f"{path}: là tệp sotay dùng cho việc khác ({source}); ghi ra tệp khác.")
        return real
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{path}: là thư mục; hãy cho tên một tệp.")
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(f"{path}: không phải tệp thường (ống FIFO, thiết bị hoặc socket); sotay chỉ ghi ra tệp thường.")
    for source in rules.inputs:
        with contextlib.suppress(OSError):
            if os.path.samefile(source, real):
                raise OutputError(f"{path}: là tệp đầu vào của lệnh ({source}); ghi ra tệp khác để không mất dữ liệu gốc.")
    if not rules.force:
        raise OutputExists([Path(path)])
    return real


def _existing_above(path: Path) -> Path:
    for parent in path.parents:
        if os.path.lexists(parent):
            return parent
    return Path(path.anchor or ".")


def _file_above(path: Path) -> Path:
    """The first ancestor of `path` that is not a folder (the cause of ENOTDIR)."""
    for parent in reversed(path.parents):
        if os.path.lexists(parent) and not parent.is_dir():
            return parent
    return path.parent


def check_folder(folder: str | Path, shown: str | Path | None = None) -> None:
    """A folder files can be written into (made when missing): not a file, not under one, writable."""
    shown = folder if shown is None else shown
    real = Path(os.path.realpath(folder))
    if os.path.lexists(real) and not real.is_dir():
        raise OutputError(f"{shown}: {real} là tệp, không phải thư mục; chọn chỗ ghi khác.")
    above = real if real.is_dir() else _existing_above(real)
    if not above.is_dir():
        raise OutputError(f"{shown}: {above} là tệp, không phải thư mục; chọn chỗ ghi khác.")
    if not os.access(above, os.W_OK | os.X_OK):
        raise OutputError(f"{shown}: không có quyền ghi vào thư mục {above}.")


def check_outputs(paths: Iterable[str | Path] = (), folders: Iterable[str | Path] = ()) -> list[Path]:
    """The rules applied to every path (and folder) before anything is written, so that a refusal leaves
    nothing half done; every existing file is named in one message."""
    for folder in folders:
        check_folder(folder)
    targets, existing = [], []
    for path in paths:
        try:
            real = target_of(path)
        except OutputExists:
            existing.append(Path(path))
            continue
        check_folder(real.parent, path)
        targets.append(real)
    if existing:
        raise OutputExists(existing)
    return targets


def sweep(folder: Path, now: float | None = None) -> list[Path]:
    """Remove the temporary files of writes that died (their process is gone, or they are over an
    hour old) from `folder`; returns those removed."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.match(entry.name)
        if not match or int(match.group(1)) == os.getpid():
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            if old or not process_alive(int(match.group(1))):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # another run swept it first, or the folder forbids it: harmless
    return removed


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (True when it cannot be told: on Windows only age tells)."""
    if os.name == "nt":  # no signal 0 there: only age tells
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, owned by someone else
    return True


def _temp_beside(real: Path, shown: str | Path) -> Path:
    """Create the temporary sibling (mode from the umask, or the replaced file's mode)."""
    name = real.name if len(real.name) <= 150 else real.stem[:140] + real.suffix[-10:]
    tmp = real.parent / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{name}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise OutputError(f"{shown}: không ghi được vào thư mục {real.parent} ({reason(exc)}).") from exc
    os.close(fd)
    with contextlib.suppress(OSError):
        os.chmod(tmp, stat.S_IMODE(os.stat(real).st_mode))
    return tmp


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`'s real file; on success it replaces that file in one rename."""
    real = target_of(target)
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{target}: không tạo được thư mục {real.parent} ({reason(exc)}).") from exc
    sweep(real.parent)
    tmp = _temp_beside(real, target)
    try:
        try:
            yield tmp
            os.replace(tmp, real)
        except OSError as exc:
            if exc.filename not in (None, str(tmp), str(real)):
                raise  # about some other file: not ours to explain
            raise OutputError(f"{target}: không ghi được ({reason(exc)}).") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def staged(target: str | Path, into: Path | None = None) -> contextlib.AbstractContextManager[Path]:
    """Where a writer writes `target`: `atomic_path(target)`, or `into`, a temporary file its caller already
    has from its own `atomic_path` and renames with the others (a report's files land together)."""
    return atomic_path(target) if into is None else contextlib.nullcontext(into)


def write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_chunks(target: str | Path, chunks: Iterable[bytes]) -> None:
    """`write_bytes` for output made piece by piece: each piece goes to the temporary file as it comes, and
    the file replaces the target only once the last is written."""
    with atomic_path(target) as tmp, open(tmp, "wb") as stream:  # closed before the rename
        stream.writelines(chunks)
