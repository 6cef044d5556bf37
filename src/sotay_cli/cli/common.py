"""What every command shares: the Typer app, the consoles, the common options, loading a period."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from .. import __version__
from .boundary import Guarded
from ..problems import InputError, Problem, count_by_severity

app = typer.Typer(
    name="sotay",
    help="Theo dõi cài đặt, sử dụng ứng dụng **Sổ tay đảng viên điện tử** theo từng chi bộ; "
    "soạn công văn, báo cáo và phụ lục.",
    cls=Guarded,  # the one error boundary: a Vietnamese line, never a traceback
    rich_markup_mode="markdown",  # help texts print [inputs] and data[table].csv as written
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
if not out.is_terminal:
    out = Console(soft_wrap=True, width=200)  # piped tables keep their columns whole
err = Console(stderr=True, soft_wrap=True)

EXIT_OK, EXIT_FLAGGED, EXIT_USAGE = 0, 1, 2
MAX_PROBLEMS_SHOWN = 50


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    err.print(f"[bold red]Lỗi:[/bold red] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        out.print(f"sotay {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="In phiên bản rồi thoát.")] = False,
) -> None:
    """Theo dõi ứng dụng Sổ tay đảng viên điện tử."""



KindOption = Annotated[Optional[str], typer.Option(
    "--kind", "-k", help="Loại bảng nếu không muốn tự nhận: members (đảng viên), usage (tài khoản), "
    "meetings (sinh hoạt), units (tổ chức).")]
SheetOption = Annotated[Optional[str], typer.Option("--sheet", help="Tên trang tính cần đọc (mặc định: "
                                                    "trang đầu tiên có dữ liệu).")]
ConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", help="Tệp cấu hình (mặc định: "
                                                      "sotay.toml ở thư mục hiện tại).")]



def _overrides(config_path: Path | None) -> dict[str, str]:
    from ..config import load_config

    if config_path is None and not Path("sotay.toml").exists():
        return {}
    return load_config(config_path).columns



PeriodOption = Annotated[str, typer.Option("--period", "-p", help="Kỳ báo cáo: 2026-06 (tháng), 2026-Q2 (quý), "
                                           "2026 (năm).")]
MembersOption = Annotated[Optional[str], typer.Option("--members", help="Danh sách đảng viên ('-' là đầu vào chuẩn).")]
UsageOption = Annotated[Optional[str], typer.Option("--usage", help="Danh sách tài khoản ứng dụng.")]
MeetingsOption = Annotated[Optional[str], typer.Option("--meetings", help="Sinh hoạt chi bộ trên ứng dụng.")]
UnitsOption = Annotated[Optional[str], typer.Option("--units", help="Danh mục tổ chức đảng (cây đơn vị).")]
LevelOption = Annotated[str, typer.Option("--level", "-l", help="Cấp hiển thị: chi-bo, co-so, xa, tinh hoặc all.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Có lỗi dữ liệu thì thoát mã 1.")]
OutputOption = Annotated[Optional[str], typer.Option("--output", "-o", help="Ghi ra tệp; '-' là đầu ra chuẩn.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Ghi đè tệp đã có (không bao giờ ghi đè tệp đầu vào).")]
INPUT_OPTIONS = ("--members", "--usage", "--meetings", "--units")


def _one_stdin(values: dict[str, str | None]) -> None:
    """Standard input can feed one input only."""
    from ..ingest.readers import STDIN

    on_stdin = [option for option, value in values.items() if value == STDIN]
    if len(on_stdin) > 1:
        raise fail(f"{' và '.join(on_stdin)} cùng đọc từ đầu vào chuẩn ('-'); chỉ một đầu vào được là '-', "
                   "các đầu vào khác cần tên tệp.")


def _outputs(force: bool, paths=(), result=None, folders=()) -> None:
    """The output rules of this command (every writer follows them, see atomic.py), checked on `paths`
    and `folders` before anything is written: never an input of `result` (exports, sotay.toml, the
    history file), never an existing file without --force, never under a file or in a read-only folder."""
    from ..atomic import check_outputs, set_rules

    inputs = []
    if result is not None:
        from ..history import default_path

        inputs = [*result.inputs.values(), result.config.path, default_path(result.config)]
    set_rules(force, inputs)
    check_outputs([p for p in paths if p not in (None, "-")], folders)


def _analyse(period: str, config_path, members, usage, meetings, units):
    """Load, compute and summarise problems on stderr; exits 2 with a reason when it cannot."""
    from ..analysis import analyse
    from ..config import load_config
    from ..ingest.readers import STDIN, stdin_named
    from ..periods import parse_period

    try:
        parsed = parse_period(period)
    except ValueError as exc:
        raise fail(f"--period: {exc}.")
    given = dict(zip(INPUT_OPTIONS, (members, usage, meetings, units)))
    _one_stdin(given)
    try:
        config = load_config(config_path, inputs_given=any((members, usage, meetings, units)))
        if config.is_sample:
            err.print("Không có sotay.toml ở thư mục này và không có tệp đầu vào: đang chạy trên [bold]DỮ LIỆU "
                      f"MẪU[/bold] ({escape(config.root_name)}, không phải số liệu thật) — {escape(str(config.base))}.",
                      highlight=False)
        with _progress("Đang đọc dữ liệu và tính số liệu…"), stdin_named(*[o for o, v in given.items() if v == STDIN]):
            result = analyse(config, parsed, {"members": members, "usage": usage, "meetings": meetings,
                                              "units": units})
    except InputError as exc:
        raise fail(str(exc))
    _summarise_problems(result.problems, result.inputs)
    return result


def _compare_history(result, enabled: bool) -> None:
    """Before anything is shown: compare with the organisation's stored periods and give the flags their
    pace, reading the history file only. A file that cannot be read warns; a damaged one stops (exit 2)."""
    if not enabled:
        return
    from rich.markup import escape

    from ..forecast import annotate
    from ..history import HistoryError, HistoryUnavailable, default_path, read_comparison

    try:
        comparison = read_comparison(default_path(result.config), result)
    except HistoryUnavailable as exc:
        err.print(f"[yellow]Lịch sử:[/yellow] {escape(str(exc))}; bỏ qua so sánh với kỳ trước.", highlight=False)
        return
    except HistoryError as exc:
        raise fail(str(exc))
    result.comparison = comparison
    result.with_flags(annotate(result, comparison.series))


def _store_history(result, enabled: bool) -> None:
    """After the command's own outputs are written: keep the period. A file that cannot be written warns
    that the period was not stored (the figures were shown all the same)."""
    if not enabled:
        return
    from rich.markup import escape

    from ..history import HistoryError, HistoryUnavailable, default_path, save

    path = default_path(result.config)
    try:
        replaced = save(path, result)
    except HistoryUnavailable as exc:
        err.print(f"[yellow]Lịch sử:[/yellow] {escape(str(exc))}; số liệu kỳ {result.period.label} chưa được lưu "
                  "vào lịch sử.", highlight=False)
        return
    except HistoryError as exc:
        raise fail(str(exc))
    if replaced:
        err.print(f"[dim]Đã thay số liệu kỳ {result.period.label} của {escape(result.root)} đã lưu trước đây trong "
                  f"lịch sử ({escape(str(path))}).[/dim]", highlight=False)


NoHistoryOption = Annotated[bool, typer.Option("--no-history", help="Không lưu kỳ này vào lịch sử và không so "
                                               "sánh với kỳ trước.")]


def _progress(message: str):
    return err.status(message) if err.is_terminal else contextlib.nullcontext()


def _summarise_problems(problems: list[Problem], inputs: dict[str, str]) -> None:
    if not problems:
        return
    counts = count_by_severity(problems)
    files = sorted({Path(p.file).name for p in problems})
    err.print(f"[yellow]Dữ liệu:[/yellow] {counts['error']} lỗi, {counts['warning']} cảnh báo "
              f"({escape(', '.join(files))}); xem chi tiết bằng lệnh: sotay check "
              + escape(" ".join(inputs.values())), highlight=False)


def _check_level(level: str) -> None:
    from ..render.columns import LEVEL_OPTIONS

    if level != "all" and level not in LEVEL_OPTIONS:
        raise fail(f"--level phải là một trong: {', '.join(LEVEL_OPTIONS)}, all.")


def _emit(text: str | bytes, output: str | None) -> None:
    """Write text (or UTF-8 bytes, as orjson makes them) to stdout or atomically to a file."""
    from ..atomic import write_bytes

    data = text if isinstance(text, bytes) else text.encode("utf-8")
    if output in (None, "-"):
        sys.stdout.flush()
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:  # a text-only stdout (some test runners)
            sys.stdout.write(data.decode("utf-8"))
        else:
            stream.write(data)
            stream.flush()
    else:
        write_bytes(output, data)  # under the command's output rules (_outputs)
        err.print(f"Đã ghi {output}", highlight=False, markup=False)



def _parse_date(text: str | None):
    import datetime as dt

    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise fail(f"--ngay '{text}' không hợp lệ; ghi dạng 08/06/2026 hoặc 2026-06-08.")
