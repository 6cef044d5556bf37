"""What every command shares: the Typer app, the consoles, the choices, the inputs declared once,
the output rules, loading a period and the exit codes."""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import sys
import typing
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from .. import __version__
from ..problems import InputError, count_by_severity
from .boundary import Command, Guarded

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


def command(*args, **kwargs):
    """`@command()` registers a sotay command on the app (its --help in Vietnamese)."""
    return app.command(*args, cls=Command, **kwargs)


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


# --- choices: Typer lists them in --help and refuses any other value (in Vietnamese, see boundary) -----

class Choice(str, Enum):
    def __str__(self) -> str:
        return self.value


StatsFormat = Choice("StatsFormat", {"table": "table", "csv": "csv", "json": "json", "xlsx": "xlsx"})
FlagFormat = Choice("FlagFormat", {"table": "table", "csv": "csv"})
ListFormat = Choice("ListFormat", {"table": "table", "csv": "csv", "json": "json"})
CheckFormat = Choice("CheckFormat", {"table": "table", "json": "json"})
SampleFormat = Choice("SampleFormat", {"xlsx": "xlsx", "csv": "csv"})
Level = Choice("Level", {"chi_bo": "chi-bo", "co_so": "co-so", "xa": "xa", "tinh": "tinh", "all": "all"})
RankLevel = Choice("RankLevel", {"chi_bo": "chi-bo", "co_so": "co-so", "xa": "xa"})
# the rates of metrics.RATES, written out so that `sotay --help` does not load pandas (a test keeps them equal)
Metric = Choice("Metric", {m: m for m in ("installed_rate", "active_rate", "active_of_installed", "attendance_rate",
                                         "meeting_rate")})
Kind = Choice("Kind", {k: k for k in ("members", "usage", "meetings", "units")})


# --- options used by several commands ------------------------------------------------------------

LevelOption = Annotated[Level, typer.Option("--level", "-l", help="Cấp hiển thị.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Có lỗi dữ liệu thì thoát mã 1.")]
OutputOption = Annotated[Optional[str], typer.Option("--output", "-o", help="Ghi ra tệp; '-' là đầu ra chuẩn.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Ghi đè tệp đã có (không bao giờ ghi đè tệp đầu vào).")]
NoHistoryOption = Annotated[bool, typer.Option("--no-history", help="Không lưu kỳ này vào lịch sử và không so "
                                               "sánh với kỳ trước.")]
ConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", help="Tệp cấu hình (mặc định: "
                                                      "sotay.toml ở thư mục hiện tại).")]
SheetOption = Annotated[Optional[str], typer.Option("--sheet", help="Tên trang tính cần đọc trong các tệp Excel, "
                                                    "ODS (mặc định: trang đầu tiên có dữ liệu).")]
KindOption = Annotated[Optional[Kind], typer.Option("--kind", "-k", help="Loại bảng nếu không muốn tự nhận: "
                                                    "members (đảng viên), usage (tài khoản), meetings (sinh hoạt), "
                                                    "units (tổ chức).")]


# --- the inputs of an analysing command, declared once -------------------------------------------

@dataclass
class Inputs:
    """What every analysing command reads: the period, the exports (or sotay.toml's), the sheet, the
    configuration. Declared once (`with_inputs`), as csvkit's common parser and sqlite-utils' option
    decorators do; a command leaves out the options it cannot use."""

    period: str = ""
    as_of: Optional[str] = None
    members: Optional[str] = None
    usage: Optional[str] = None
    meetings: Optional[str] = None
    units: Optional[str] = None
    sheet: Optional[str] = None
    config: Optional[Path] = None

    def files(self) -> dict[str, str | None]:
        return {"members": self.members, "usage": self.usage, "meetings": self.meetings, "units": self.units}

    def parsed_period(self):
        """The period asked for, taken to --as-of's day when given; exits 2 with a reason."""
        from ..periods import as_of, parse_day, parse_period

        try:
            period = parse_period(self.period)
        except ValueError as exc:
            raise fail(f"--period: {exc}.") from None
        if self.as_of:
            if period.cut_short:
                raise fail(f"--period {self.period} đã là một ngày; bỏ --as-of, hoặc ghi --period theo tháng, quý, năm.")
            try:
                period = as_of(period, parse_day(self.as_of))
            except ValueError as exc:
                raise fail(f"--as-of: {exc}.") from None
        return period

    def analyse(self):
        """Load, compute and summarise problems on stderr; exits 2 with a reason when it cannot."""
        from ..analysis import analyse
        from ..config import load_config
        from ..ingest.readers import STDIN, stdin_named

        period = self.parsed_period()
        given = {f"--{kind}": path for kind, path in self.files().items()}
        on_stdin = [option for option, value in given.items() if value == STDIN]
        if len(on_stdin) > 1:
            raise fail(f"{' và '.join(on_stdin)} cùng đọc từ đầu vào chuẩn ('-'); chỉ một đầu vào được là '-', "
                       "các đầu vào khác cần tên tệp.")
        config = load_config(self.config, inputs_given=any(self.files().values()))
        if config.is_sample:
            err.print("Không có sotay.toml ở thư mục này và không có tệp đầu vào: đang chạy trên [bold]DỮ LIỆU "
                      f"MẪU[/bold] ({escape(config.root_name)}, không phải số liệu thật) — {escape(str(config.base))}.",
                      highlight=False)
        with progress("Đang đọc dữ liệu và tính số liệu…"), stdin_named(*on_stdin):
            result = analyse(config, period, self.files(), sheet=self.sheet)
        summarise_problems(result)
        return result


_INPUT_OPTIONS = {
    "period": Annotated[str, typer.Option("--period", "-p", help="Kỳ báo cáo: 2026-06 (tháng), 2026-Q2 (quý), "
                                          "2026 (năm), hoặc 2026-01-16 (tháng 1 tính đến hết ngày 16).")],
    "as_of": Annotated[Optional[str], typer.Option("--as-of", help="Tính số liệu đến hết ngày này trong kỳ "
                                                   "(16/01/2026 hoặc 2026-01-16).")],
    "members": Annotated[Optional[str], typer.Option("--members", help="Danh sách đảng viên ('-' là đầu vào "
                                                     "chuẩn); mặc định theo mục [inputs] của sotay.toml.")],
    "usage": Annotated[Optional[str], typer.Option("--usage", help="Danh sách tài khoản ứng dụng.")],
    "meetings": Annotated[Optional[str], typer.Option("--meetings", help="Sinh hoạt chi bộ trên ứng dụng.")],
    "units": Annotated[Optional[str], typer.Option("--units", help="Danh mục tổ chức đảng (cây đơn vị).")],
    "sheet": SheetOption,
    "config": ConfigOption,
}


def with_inputs(*, skip: tuple[str, ...] = ()):
    """Give the decorated command the input options (all but `skip`), collected into its `inputs`
    parameter: the options are declared here once, with their help, for every command."""
    unknown = set(skip) - set(_INPUT_OPTIONS)
    assert not unknown, unknown

    def decorate(command):
        hints = typing.get_type_hints(command, include_extras=True)
        own = [p.replace(annotation=hints.get(p.name, p.annotation))
               for p in inspect.signature(command).parameters.values() if p.name != "inputs"]
        added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                                   default=inspect.Parameter.empty if name == "period" else None)
                 for name, annotation in _INPUT_OPTIONS.items() if name not in skip]
        required = [p for p in added if p.default is inspect.Parameter.empty]
        optional = [p for p in added if p.default is not inspect.Parameter.empty]
        params = [*required, *[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own], *optional]

        @functools.wraps(command)
        def wrapper(**kwargs):
            values = {f.name: kwargs.pop(f.name) for f in fields(Inputs) if f.name in kwargs}
            return command(inputs=Inputs(**values), **kwargs)

        wrapper.__signature__ = inspect.Signature(params)
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper

    return decorate


def finish(result, strict: bool, flagged: bool = False) -> None:
    """Exit 1 for a cron job: units below target (when asked) or data errors with --strict."""
    if flagged or (strict and any(p.severity == "error" for p in result.problems)):
        raise typer.Exit(EXIT_FLAGGED)


# --- outputs -------------------------------------------------------------------------------------

def outputs(force: bool, paths=(), result=None, folders=(), inputs=()) -> None:
    """The output rules of this command (every writer follows them, see atomic.py), checked on `paths`
    and `folders` before anything is written: never an input of `result` (exports, sotay.toml, the
    history file), never an existing file without --force, never under a file or in a read-only folder."""
    from ..atomic import check_outputs, set_rules

    inputs = list(inputs)
    if result is not None:
        from ..history import default_path

        inputs += [*result.inputs.values(), result.config.path, default_path(result.config)]
    set_rules(force, inputs)
    check_outputs([p for p in paths if p not in (None, "-")], folders)


def chosen_format(given, output: str | None, choices, default):
    """The --format given, else the one the output's name says (.csv, .json, .xlsx), else `default`;
    a table is for the screen only, and a name that says another format is refused."""
    suffix = Path(output).suffix.lower().lstrip(".") if output not in (None, "-") else ""
    by_name = next((c for c in choices if c.value == suffix), None)
    fmt = given or by_name or default
    if output not in (None, "-"):
        if fmt.value == "table":
            allowed = ", ".join(c.value for c in choices if c.value != "table")
            raise fail(f"--output {output}: bảng chỉ in ra màn hình; ghi ra tệp thì dùng --format {allowed} "
                       "(hoặc đặt tên tệp có đuôi tương ứng).")
        if by_name is not None and by_name is not fmt or (suffix in ("csv", "json", "xlsx") and by_name is None):
            raise fail(f"--format {fmt.value} nhưng tệp '{output}' có đuôi .{suffix}; đổi đuôi tệp hoặc --format.")
    return fmt


STDOUT_HELD = 256 * 2**20  # bytes of machine output held back until it is whole, before stdout


def emit(data, output: str | None) -> None:
    """Every command's machine output (CSV, JSON) goes here: to stdout, or atomically to `output`
    under the command's output rules (`outputs`). `data` is text, bytes, or pieces of UTF-8 bytes
    written as they are made (a country's JSON is never held whole).

    Stdout gets the whole document or nothing, up to `STDOUT_HELD` bytes (a province's JSON is 50 MB): the
    pieces are held until the last is made, so a failure meanwhile leaves no cut-off document in a pipe. A
    larger document (a country's, 1.6 GB) is written as it is made, as holding it would double the memory."""
    from ..atomic import write_chunks

    chunks = [data.encode("utf-8")] if isinstance(data, str) else [data] if isinstance(data, bytes) else data
    if output not in (None, "-"):
        write_chunks(output, chunks)
        wrote(output)
        return
    pieces, held, size = iter(chunks), [], 0
    for chunk in pieces:
        held.append(chunk)
        size += len(chunk)
        if size > STDOUT_HELD:
            break
    sys.stdout.flush()
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:  # a text-only stdout (some test runners)
        import codecs

        decoder = codecs.getincrementaldecoder("utf-8")()
        for chunk in itertools.chain(held, pieces):
            sys.stdout.write(decoder.decode(chunk))
        sys.stdout.write(decoder.decode(b"", final=True))
    else:
        stream.writelines(itertools.chain(held, pieces))
        stream.flush()


def wrote(path) -> None:
    err.print(f"Đã ghi {path}", highlight=False, markup=False)


# --- history -------------------------------------------------------------------------------------

def compare_history(result, enabled: bool) -> None:
    """Before anything is shown: compare with the organisation's stored periods and give the flags their
    pace, reading the history file only. A file that cannot be read warns; a damaged one stops (exit 2)."""
    if not enabled:
        return
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


def store_history(result, enabled: bool) -> None:
    """After the command's own outputs are written: keep the period. A file that cannot be written warns
    that the period was not stored (the figures were shown all the same)."""
    if not enabled:
        return
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


# --- messages ------------------------------------------------------------------------------------

def progress(message: str):
    return err.status(message) if err.is_terminal else contextlib.nullcontext()


def summarise_problems(result) -> None:
    """What the analysis itself decided or could not know (an old export, a month without a file, a
    missing input) is said line by line: `sotay check` cannot see it, it depends on the period. The
    problems of the files themselves are counted, with the command that lists them."""
    for p in result.notes:
        where = f"{Path(p.file).name}: " if p.file else ""
        err.print(f"[yellow]Cảnh báo:[/yellow] {escape(where + p.message)}", highlight=False)
    in_files = [p for p in result.problems if p not in result.notes]
    counts = count_by_severity(in_files)
    if not counts["error"] and not counts["warning"]:
        return
    files = sorted({Path(p.file).name for p in in_files})
    err.print(f"[yellow]Dữ liệu:[/yellow] {counts['error']} lỗi, {counts['warning']} cảnh báo trong các tệp "
              f"({escape(', '.join(files))}); xem chi tiết bằng lệnh: sotay check "
              + escape(" ".join(str(v) for v in result.inputs.values())), highlight=False)


def parse_date(text: str | None):
    """--ngay: 08/06/2026 or 2026-06-08."""
    if not text:
        return None
    from ..periods import parse_day

    try:
        return parse_day(text)
    except ValueError:
        raise fail(f"--ngay '{text}' không hợp lệ; ghi dạng 08/06/2026 hoặc 2026-06-08.") from None


__all__ = ["InputError"]  # re-exported for the command modules
