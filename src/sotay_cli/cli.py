"""The `sotay` command: parse options, call the library, print. No figures are computed here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table as RichTable

from . import __version__
from .fmt import number
from .ingest import KIND_LABELS, KINDS, Dataset, load_table, reconcile
from .ingest.schema import COLUMN_LABELS, MEETINGS, MEMBERS, UNITS, USAGE
from .problems import InputError, Problem, count_by_severity

app = typer.Typer(
    name="sotay",
    help="Theo dõi cài đặt, sử dụng ứng dụng [bold]Sổ tay đảng viên điện tử[/bold] theo từng chi bộ; "
    "soạn công văn, báo cáo và phụ lục.",
    rich_markup_mode="rich",
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
    err.print(f"[bold red]Lỗi:[/bold red] {message}", highlight=False)
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
    from .config import load_config

    if config_path is None and not Path("sotay.toml").exists():
        return {}
    return load_config(config_path).columns


@app.command()
def check(
    files: Annotated[list[str], typer.Argument(help="Các tệp xuất (CSV, TXT, XLSX, XLS, ODS); '-' là đầu vào chuẩn.")],
    kind: KindOption = None,
    sheet: SheetOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table (bảng cho người đọc) hoặc json.")] = "table",
    show_all: Annotated[bool, typer.Option("--all", help=f"Hiện mọi vấn đề (mặc định {MAX_PROBLEMS_SHOWN} "
                                           "vấn đề đầu mỗi tệp).")] = False,
    config: ConfigOption = None,
) -> None:
    """Kiểm tra các tệp xuất: nhận loại bảng, cột, số dòng dùng được và liệt kê các vấn đề.

    Thoát 0 khi không có lỗi, 1 khi có lỗi dữ liệu, 2 khi không đọc được tệp.
    """
    if kind is not None and kind not in KINDS:
        raise fail(f"--kind phải là một trong: {', '.join(KINDS)}.")
    if fmt not in ("table", "json"):
        raise fail("--format phải là table hoặc json.")
    try:
        overrides = _overrides(config)
        tables = [load_table(f, kind=kind, sheet=sheet, overrides=overrides) for f in files]
    except InputError as exc:
        raise fail(str(exc))
    by_kind = {t.kind: t for t in tables}
    if MEMBERS in by_kind:
        reconcile(Dataset(by_kind[MEMBERS], by_kind.get(USAGE), by_kind.get(MEETINGS), by_kind.get(UNITS)))
    problems = [p for t in tables for p in t.problems]
    counts = count_by_severity(problems)
    if fmt == "json":
        payload = {
            "files": [_table_summary(t) for t in tables],
            "errors": counts["error"],
            "warnings": counts["warning"],
            "problems": [p.as_dict() for p in problems],
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        for t in tables:
            _print_table_summary(t, show_all)
        verdict = "[green]Không có lỗi.[/green]" if not counts["error"] else f"[red]{counts['error']} lỗi[/red]"
        out.print(f"\nTổng: {verdict} {counts['warning']} cảnh báo.", highlight=False)
    raise typer.Exit(EXIT_FLAGGED if counts["error"] else EXIT_OK)


def _table_summary(t) -> dict:
    return {
        "file": t.source, "sheet": t.sheet, "kind": t.kind, "header_row": t.header_row,
        "rows_read": t.rows_read, "rows_used": t.rows_used, "left_out": dict(t.left_out),
        "mapping": t.mapping, "ignored_columns": t.ignored,
    }


def _print_table_summary(t, show_all: bool) -> None:
    where = f" (trang tính '{t.sheet}')" if t.sheet else ""
    out.rule(f"[bold]{t.source}[/bold]{where}")
    out.print(f"Loại bảng: [bold]{KIND_LABELS[t.kind]}[/bold] · dòng tiêu đề: {t.header_row}", highlight=False)
    left = sum(t.left_out.values())
    out.print(f"Đọc {number(t.rows_read)} dòng, dùng {number(t.rows_used)}, bỏ ra {number(left)}"
              + (": " + "; ".join(f"{reason} ({number(n)})" for reason, n in t.left_out.items()) if left else "."),
              highlight=False)
    mapping = RichTable("Cột trong tệp", "Hiểu là", box=None, pad_edge=False)
    for column, header in t.mapping.items():
        mapping.add_row(header, COLUMN_LABELS.get(column, column))
    out.print(mapping)
    if t.ignored:
        out.print("Cột không dùng: " + ", ".join(t.ignored), highlight=False)
    if t.problems:
        _print_problems(t.problems, show_all)


def _print_problems(problems: list[Problem], show_all: bool) -> None:
    shown = problems if show_all else problems[:MAX_PROBLEMS_SHOWN]
    grid = RichTable("Mức", "Dòng", "Cột", "Vấn đề", show_lines=False)
    for p in shown:
        level = "[red]lỗi[/red]" if p.severity == "error" else "[yellow]cảnh báo[/yellow]"
        grid.add_row(level, "" if p.row is None else str(p.row), p.column or "", p.message)
    out.print(grid)
    if len(shown) < len(problems):
        out.print(f"… và {number(len(problems) - len(shown))} vấn đề nữa (dùng --all để xem hết).",
                  highlight=False)


@app.command()
def sample(
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="Thư mục ghi tệp mẫu.")] = Path("sample_data"),
    members: Annotated[int, typer.Option("--members", "-n", min=1, help="Số đảng viên đang sinh hoạt.")] = 1920,
    seed: Annotated[int, typer.Option("--seed", help="Hạt giống ngẫu nhiên (cùng hạt giống, cùng dữ liệu).")] = 2026,
    fmt: Annotated[str, typer.Option("--format", "-f", help="xlsx hoặc csv (CSV ';' có BOM như Excel "
                                     "tiếng Việt).")] = "xlsx",
    province: Annotated[bool, typer.Option("--tinh", help="Sinh dữ liệu cấp tỉnh (đảng bộ xã, cơ sở, chi bộ) "
                                           "thay vì một xã.")] = False,
) -> None:
    """Sinh bộ dữ liệu mẫu (tổng hợp, không phải người thật) để dùng thử và đo tốc độ.

    Mặc định là xã Hoa Lộc tháng 6/2026: 1.920 đảng viên đang sinh hoạt, 1.687 đã cài đặt, 252 sử dụng
    thường xuyên.
    """
    from .sample import Commune, write_sample

    if fmt not in ("xlsx", "csv"):
        raise fail("--format phải là xlsx hoặc csv.")
    commune = Commune(members=members, seed=seed)
    if province:
        commune.chi_bo = max(3, members // 17)
        commune.co_so = max(2, commune.chi_bo // 8)
        commune.xa = max(1, commune.co_so // 11)
    with err.status("Đang sinh dữ liệu mẫu…") if err.is_terminal else _nullcontext():
        paths = write_sample(out_dir, commune, fmt)
    for path in paths:
        out.print(str(path), highlight=False)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --- figures: stats and flag ----------------------------------------------------------------

PeriodOption = Annotated[str, typer.Option("--period", "-p", help="Kỳ báo cáo: 2026-06 (tháng), 2026-Q2 (quý), "
                                           "2026 (năm).")]
MembersOption = Annotated[Optional[str], typer.Option("--members", help="Danh sách đảng viên ('-' là đầu vào chuẩn).")]
UsageOption = Annotated[Optional[str], typer.Option("--usage", help="Danh sách tài khoản ứng dụng.")]
MeetingsOption = Annotated[Optional[str], typer.Option("--meetings", help="Sinh hoạt chi bộ trên ứng dụng.")]
UnitsOption = Annotated[Optional[str], typer.Option("--units", help="Danh mục tổ chức đảng (cây đơn vị).")]
LevelOption = Annotated[str, typer.Option("--level", "-l", help="Cấp hiển thị: chi-bo, co-so, xa, tinh hoặc all.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Có lỗi dữ liệu thì thoát mã 1.")]
OutputOption = Annotated[Optional[str], typer.Option("--output", "-o", help="Ghi ra tệp; '-' là đầu ra chuẩn.")]


def _analyse(period: str, config_path, members, usage, meetings, units):
    """Load, compute and summarise problems on stderr; exits 2 with a reason when it cannot."""
    from .analysis import analyse
    from .config import load_config
    from .periods import parse_period

    try:
        parsed = parse_period(period)
    except ValueError as exc:
        raise fail(f"--period: {exc}.")
    try:
        config = load_config(config_path)
        if config.is_sample and not members:
            err.print(f"[dim]Không thấy sotay.toml ở thư mục hiện tại: dùng dữ liệu mẫu ({config.base}).[/dim]",
                      highlight=False)
        with _progress("Đang đọc dữ liệu và tính số liệu…"):
            result = analyse(config, parsed, {"members": members, "usage": usage, "meetings": meetings,
                                              "units": units})
    except InputError as exc:
        raise fail(str(exc))
    _summarise_problems(result.problems, result.inputs)
    return result


def _use_history(result, enabled: bool) -> None:
    """Store the period's figures and compare with those stored; a broken history file only warns."""
    if not enabled:
        return
    from .history import HistoryError, annotate, default_path, open_history, store

    path = default_path(result.config)
    try:
        con = open_history(path)
        try:
            replaced = store(con, result)
            annotate(result, con)
        finally:
            con.close()
    except HistoryError as exc:
        err.print(f"[yellow]Lịch sử:[/yellow] {exc}; bỏ qua so sánh với kỳ trước.", highlight=False)
        return
    if replaced:
        err.print(f"[dim]Đã thay số liệu kỳ {result.period.label} đã lưu trước đây trong lịch sử ({path}).[/dim]",
                  highlight=False)


NoHistoryOption = Annotated[bool, typer.Option("--no-history", help="Không lưu kỳ này vào lịch sử và không so "
                                               "sánh với kỳ trước.")]


def _progress(message: str):
    return err.status(message) if err.is_terminal else _nullcontext()


def _summarise_problems(problems: list[Problem], inputs: dict[str, str]) -> None:
    if not problems:
        return
    counts = count_by_severity(problems)
    files = sorted({Path(p.file).name for p in problems})
    err.print(f"[yellow]Dữ liệu:[/yellow] {counts['error']} lỗi, {counts['warning']} cảnh báo ({', '.join(files)}); "
              "xem chi tiết bằng lệnh: sotay check " + " ".join(inputs.values()), highlight=False)


def _check_level(level: str) -> None:
    from .render.columns import LEVEL_OPTIONS

    if level != "all" and level not in LEVEL_OPTIONS:
        raise fail(f"--level phải là một trong: {', '.join(LEVEL_OPTIONS)}, all.")


def _emit(text: str | bytes, output: str | None) -> None:
    """Write text (or UTF-8 bytes, as orjson makes them) to stdout or atomically to a file."""
    from .atomic import write_bytes

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
        write_bytes(output, data)
        err.print(f"Đã ghi {output}", highlight=False)


@app.command()
def stats(
    period: PeriodOption,
    members: MembersOption = None,
    usage: UsageOption = None,
    meetings: MeetingsOption = None,
    units: UnitsOption = None,
    level: LevelOption = "all",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, json hoặc xlsx.")] = "table",
    output: OutputOption = None,
    bom: Annotated[bool, typer.Option("--bom", help="CSV có BOM để Excel mở đúng tiếng Việt.")] = False,
    strict: StrictOption = False,
    no_history: NoHistoryOption = False,
    config: ConfigOption = None,
) -> None:
    """Số liệu từng đơn vị trong kỳ: đảng viên, đã cài đặt, sử dụng thường xuyên, sinh hoạt trên ứng dụng.

    Đầu vào lấy từ mục [inputs] của sotay.toml, hoặc từ --members/--usage/--meetings/--units.
    """
    from .render import stats as render

    _check_level(level)
    if fmt not in ("table", "csv", "json", "xlsx"):
        raise fail("--format phải là table, csv, json hoặc xlsx.")
    if fmt == "xlsx" and output in (None, "-"):
        raise fail("--format xlsx cần --output TỆP.xlsx.")
    result = _analyse(period, config, members, usage, meetings, units)
    _use_history(result, not no_history)
    if fmt == "table":
        render.print_table(out, result, level)
    elif fmt == "csv":
        _emit(("\ufeff" if bom else "") + render.to_csv(result, level), output)
    elif fmt == "json":
        _emit(render.to_json(result, level), output)
    else:
        from .render.xlsx import write_appendix

        write_appendix(result, output)
        err.print(f"Đã ghi {output}", highlight=False)
    if strict and any(p.severity == "error" for p in result.problems):
        raise typer.Exit(EXIT_FLAGGED)


@app.command()
def flag(
    period: PeriodOption,
    members: MembersOption = None,
    usage: UsageOption = None,
    meetings: MeetingsOption = None,
    units: UnitsOption = None,
    level: LevelOption = "all",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table hoặc csv (mặc định: table trên màn hình, "
                                     "csv khi chuyển tiếp qua ống).")] = "",
    fail_on_flag: Annotated[bool, typer.Option("--fail-on-flag", help="Thoát mã 1 khi có đơn vị dưới chỉ tiêu "
                                               "(dùng cho cron).")] = False,
    strict: StrictOption = False,
    no_history: NoHistoryOption = False,
    config: ConfigOption = None,
) -> None:
    """Chỉ các đơn vị dưới chỉ tiêu, gấp nhất trước, kèm số đảng viên còn thiếu."""
    from .render import stats as render

    _check_level(level)
    fmt = fmt or ("table" if out.is_terminal else "csv")
    if fmt not in ("table", "csv"):
        raise fail("--format phải là table hoặc csv.")
    result = _analyse(period, config, members, usage, meetings, units)
    _use_history(result, not no_history)
    flags = render.select_flags(result, level)
    if fmt == "table":
        render.print_flags(out, result, flags)
    else:
        sys.stdout.write(render.flags_csv(result, flags))
    if (fail_on_flag and flags) or (strict and any(p.severity == "error" for p in result.problems)):
        raise typer.Exit(EXIT_FLAGGED)


# --- documents: report and init ------------------------------------------------------------------

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


@app.command()
def report(
    period: PeriodOption,
    template: Annotated[str, typer.Option("--template", "-t", help="Mẫu văn bản: cong-van (công văn đôn đốc), "
                                          "bao-cao (báo cáo định kỳ), thong-bao (thông báo phân công) hoặc "
                                          "tên một mẫu riêng trong thư mục mẫu.")] = "cong-van",
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="Thư mục ghi; tệp nằm trong thư mục con "
                                          "theo kỳ, ví dụ bao-cao/2026-06/.")] = Path("bao-cao"),
    formats: Annotated[str, typer.Option("--format", "-f", help="Các định dạng, cách nhau dấu phẩy: docx, xlsx, "
                                         "md.")] = "docx,xlsx,md",
    date: Annotated[Optional[str], typer.Option("--ngay", "--date", help="Ngày ban hành in trên văn bản "
                                                "(08/06/2026); bỏ trống: để trống cho viết tay.")] = None,
    number: Annotated[str, typer.Option("--so", "--number", help="Số văn bản (bỏ trống: để trống cho văn thư "
                                        "điền).")] = "",
    force: Annotated[bool, typer.Option("--force", help="Ghi đè tệp đã có.")] = False,
    members: MembersOption = None,
    usage: UsageOption = None,
    meetings: MeetingsOption = None,
    units: UnitsOption = None,
    strict: StrictOption = False,
    no_history: NoHistoryOption = False,
    config: ConfigOption = None,
) -> None:
    """Soạn dự thảo văn bản (Word), phụ lục (Excel) và bản Markdown cho một kỳ.

    Ví dụ: sotay report --period 2026-06 --template bao-cao --ngay 05/07/2026
    """
    from .render.draft import DraftProblem
    from .render.templating import TemplateProblem
    from .report import FORMATS, ReportExists, ReportOptions, write_report

    chosen = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    if not chosen or any(f not in FORMATS for f in chosen):
        raise fail(f"--format chỉ gồm: {', '.join(FORMATS)} (ví dụ docx,xlsx).")
    issued = _parse_date(date)
    result = _analyse(period, config, members, usage, meetings, units)
    _use_history(result, not no_history)
    options = ReportOptions(template, chosen, out_dir, force, issued, number)
    try:
        with _progress("Đang soạn văn bản…") as status:
            step = (lambda message: status.update(message)) if hasattr(status, "update") else (lambda message: None)
            written = write_report(result, options, step)
    except ReportExists as exc:
        raise fail(f"đã có tệp {', '.join(map(str, exc.paths))}; thêm --force để ghi đè hoặc chọn --output khác.")
    except (TemplateProblem, DraftProblem) as exc:
        raise fail(str(exc))
    for path in written:
        out.print(str(path), highlight=False)
    if strict and any(p.severity == "error" for p in result.problems):
        raise typer.Exit(EXIT_FLAGGED)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Thư mục làm việc (mặc định: thư mục hiện tại).")] = Path("."),
    tinh: Annotated[str, typer.Option("--tinh", help="Tỉnh, thành phố (theo danh mục từ 07/2025), ví dụ "
                                      "\"Thanh Hóa\".")] = "",
    xa: Annotated[str, typer.Option("--xa", help="Xã, phường, đặc khu; bỏ trống khi là cấp tỉnh (Ban Tổ chức "
                                    "Tỉnh ủy).")] = "",
    signer: Annotated[str, typer.Option("--nguoi-ky", help="Họ tên người ký.")] = "",
    force: Annotated[bool, typer.Option("--force", help="Ghi đè sotay.toml đã có.")] = False,
) -> None:
    """Tạo sotay.toml (đơn vị, người ký, tệp đầu vào, chỉ tiêu) và sao chép các mẫu văn bản để sửa.

    Ví dụ: sotay init --tinh "Thanh Hóa" --xa "Hoa Lộc"
    """
    from .places import PlaceNotFound, find
    from .scaffold import AlreadyThere, init as scaffold

    if not tinh:
        raise fail("cần --tinh, ví dụ: sotay init --tinh \"Thanh Hóa\" --xa \"Hoa Lộc\".")
    try:
        place = find(tinh, xa or None)
        written = scaffold(folder, place, signer, force)
    except PlaceNotFound as exc:
        raise fail(str(exc))
    except AlreadyThere as exc:
        raise fail(f"đã có {exc}; thêm --force để ghi đè (các mẫu đã sửa được giữ nguyên).")
    out.print(f"{place.superior} / {place.issuer} — địa danh: {place.place_name}", highlight=False)
    for path in written:
        out.print(str(path), highlight=False)
    out.print("Sửa \\[inputs] trong sotay.toml cho đúng tệp xuất, rồi chạy: sotay report --period 2026-06",
              highlight=False)


# --- across periods and down to members: history, rank, followup -------------------------------

@app.command()
def followup(
    period: PeriodOption,
    unit: Annotated[Optional[str], typer.Option("--unit", "-u", help="Chỉ các chi bộ thuộc đơn vị này.")] = None,
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="Thư mục ghi (thư mục con theo kỳ).")] = Path("bao-cao"),
    mask_phone: Annotated[bool, typer.Option("--mask-phone", help="Che giữa số điện thoại (091****678).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Ghi đè tệp đã có.")] = False,
    members: MembersOption = None,
    usage: UsageOption = None,
    config: ConfigOption = None,
) -> None:
    """Danh sách từng đảng viên chưa cài đặt hoặc đã cài mà chưa sử dụng, theo chi bộ (XLSX và DOCX).

    Đây là lệnh duy nhất ghi tên đảng viên; giữ các tệp này như hồ sơ đảng viên.
    """
    from .followup import followup_list, write_docx, write_xlsx

    result = _analyse(period, config, members, usage, None, None)
    try:
        todo = followup_list(result, unit, mask_phone)
    except KeyError:
        raise fail(f"không có đơn vị '{unit}' trong cây tổ chức.")
    folder = out_dir / result.period.label
    paths = [folder / f"doi-chieu-{result.period.label}.xlsx", folder / f"doi-chieu-{result.period.label}.docx"]
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise fail(f"đã có tệp {', '.join(map(str, existing))}; thêm --force để ghi đè.")
    with _progress("Đang lập danh sách…"):
        write_xlsx(result, todo, paths[0])
        write_docx(result, todo, paths[1])
    err.print(f"{number(len(todo))} đảng viên cần đôn đốc ở {number(todo['chi_bo'].nunique())} chi bộ.",
              highlight=False)
    for path in paths:
        out.print(str(path), highlight=False)


@app.command()
def rank(
    period: PeriodOption,
    metric: Annotated[str, typer.Option("--metric", "-m", help="installed_rate, active_rate, active_of_installed, "
                                        "attendance_rate hoặc meeting_rate.")] = "installed_rate",
    level: Annotated[str, typer.Option("--level", "-l", help="Cấp xếp hạng: chi-bo, co-so, xa.")] = "chi-bo",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv hoặc json.")] = "table",
    no_history: NoHistoryOption = False,
    config: ConfigOption = None,
) -> None:
    """Xếp hạng đơn vị để thi đua: đồng hạng ghi rõ, kèm thay đổi thứ hạng so với kỳ trước."""
    from .metrics import RATES
    from .ranking import rank as ranking
    from .render.columns import LEVEL_OPTIONS
    from .targets import METRIC_LABELS

    if metric not in RATES:
        raise fail(f"--metric phải là một trong: {', '.join(RATES)}.")
    if level not in LEVEL_OPTIONS:
        raise fail(f"--level phải là một trong: {', '.join(LEVEL_OPTIONS)}.")
    if fmt not in ("table", "csv", "json"):
        raise fail("--format phải là table, csv hoặc json.")
    result = _analyse(period, config, None, None, None, None)
    _use_history(result, not no_history)
    table = ranking(result, metric, LEVEL_OPTIONS[level])
    from .fmt import percent

    shown = table.assign(
        value_text=[percent(v, mode=result.rounding) for v in table["value"]],
        rank_text=[f"{r} (đồng hạng)" if t else str(r) for r, t in zip(table["rank"], table["tied"])],
        move_text=["—" if pd_isna(m) else ("=" if m == 0 else f"{'↑' if m > 0 else '↓'}{abs(int(m))}")
                   for m in table["move"]])
    if fmt == "json":
        records = [{"rank": int(r.rank), "unit": r.unit, "value": float(r.value), "tied": bool(r.tied),
                    "previous_rank": None if pd_isna(r.previous_rank) else int(r.previous_rank),
                    "move": None if pd_isna(r.move) else int(r.move)} for r in table.itertuples()]
        sys.stdout.write(json.dumps({"period": result.period.label, "metric": metric, "units": records},
                                    ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        sys.stdout.write(shown.rename(columns={"rank_text": "Hạng", "unit": "Đơn vị", "value_text": METRIC_LABELS[metric],
                                               "move_text": "So với kỳ trước"})
                         [["Hạng", "Đơn vị", METRIC_LABELS[metric], "So với kỳ trước"]].to_csv(index=False))
    else:
        grid = RichTable(title=f"Xếp hạng theo {METRIC_LABELS[metric]} — {result.period.words}", title_justify="left")
        for header, justify in (("Hạng", "right"), ("Đơn vị", "left"), ("Tỷ lệ", "right"), ("So với kỳ trước", "right")):
            grid.add_column(header, justify=justify)
        for r in shown.itertuples():
            grid.add_row(r.rank_text, r.unit, r.value_text, r.move_text)
        out.print(grid)


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


@app.command()
def history(
    unit: Annotated[Optional[str], typer.Option("--unit", "-u", help="Chuỗi số liệu của một đơn vị.")] = None,
    metric: Annotated[str, typer.Option("--metric", "-m", help="Chỉ số của chuỗi (mặc định installed_rate).")]
    = "installed_rate",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv hoặc json.")] = "table",
    config: ConfigOption = None,
) -> None:
    """Các kỳ đã lưu; với --unit, chuỗi số liệu của đơn vị qua các kỳ."""
    from .config import load_config
    from .fmt import percent
    from .history import HistoryError, default_path, figures, open_history, periods
    from .metrics import RATES

    if metric not in RATES:
        raise fail(f"--metric phải là một trong: {', '.join(RATES)}.")
    if fmt not in ("table", "csv", "json"):
        raise fail("--format phải là table, csv hoặc json.")
    try:
        path = default_path(load_config(config))
        con = open_history(path)
        frame = periods(con) if unit is None else figures(con, unit=unit)
        con.close()
    except (HistoryError, InputError) as exc:
        raise fail(str(exc))
    if unit is not None and frame.empty:
        raise fail(f"chưa có số liệu nào của '{unit}' trong lịch sử ({path}).")
    if unit is None:
        frame = frame.drop(columns=["inputs"])
    else:
        frame = frame[["period", "unit", "eligible", "installed", "active", metric]]
    if fmt == "json":
        sys.stdout.write(frame.to_json(orient="records", force_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    else:
        if frame.empty:
            out.print(f"Chưa lưu kỳ nào ({path}). Chạy sotay stats hoặc sotay report để lưu.", highlight=False)
            return
        grid = RichTable(title=f"Lịch sử số liệu ({path})", title_justify="left")
        if unit is None:
            for header in ("Kỳ", "Đơn vị gốc", "Số đơn vị", "Tính lúc"):
                grid.add_column(header)
            for r in frame.itertuples():
                grid.add_row(r.period, r.root, number(r.units), r.computed_at)
        else:
            from .targets import METRIC_LABELS

            for header in ("Kỳ", "Đang SH", "Đã cài", "Sử dụng", METRIC_LABELS[metric]):
                grid.add_column(header, justify="right")
            for r in frame.itertuples():
                grid.add_row(r.period, number(r.eligible), number(r.installed), number(r.active),
                             percent(getattr(r, metric)))
        out.print(grid)


def main() -> None:
    app()
