"""`sotay check` and `sotay sample`: the exports as read, and synthetic ones."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from ..fmt import number
from ..ingest import KIND_LABELS, Dataset, load_table, reconcile
from ..ingest.schema import COLUMN_LABELS, MEETINGS, MEMBERS, UNITS, USAGE
from ..ingest.table import say_missing_smartphone
from ..problems import InputError, Problem, count_by_severity
from .common import (
    EXIT_FLAGGED,
    EXIT_OK,
    MAX_PROBLEMS_SHOWN,
    CheckFormat,
    ConfigOption,
    ForceOption,
    KindOption,
    SampleFormat,
    SheetOption,
    command,
    emit,
    err,
    fail,
    out,
    outputs,
    progress,
)


@command()
def check(
    files: Annotated[list[str], typer.Argument(help="Các tệp xuất (CSV, TXT, XLSX, XLS, ODS); '-' là đầu vào chuẩn.")],
    kind: KindOption = None,
    sheet: SheetOption = None,
    output_format: Annotated[CheckFormat, typer.Option("--format", "-f", help="Bảng cho người đọc, hoặc JSON.")]
    = CheckFormat.table,
    show_all: Annotated[bool, typer.Option("--all", help=f"Hiện mọi vấn đề (mặc định {MAX_PROBLEMS_SHOWN} "
                                           "vấn đề đầu mỗi tệp).")] = False,
    config: ConfigOption = None,
) -> None:
    """Kiểm tra các tệp xuất: nhận loại bảng, cột, số dòng dùng được và liệt kê các vấn đề.

    Thoát 0 khi không có lỗi, 1 khi có lỗi dữ liệu, 2 khi không đọc được tệp.
    """
    if files.count("-") > 1:
        raise fail("chỉ một tệp được đọc từ đầu vào chuẩn ('-'); các tệp khác cần tên tệp.")
    try:
        settings = _settings(config)
        overrides = settings.columns if settings else {}
        tables = [load_table(f, kind=kind.value if kind else None, sheet=sheet, overrides=overrides) for f in files]
    except InputError as exc:
        raise fail(str(exc))
    if settings and settings.rules.get("smartphone_only"):
        for t in tables:
            say_missing_smartphone(t)
    by_kind = {t.kind: t for t in tables}
    tree_problems: list[Problem] = []
    if MEMBERS in by_kind:
        data = Dataset(by_kind[MEMBERS], by_kind.get(USAGE), by_kind.get(MEETINGS), by_kind.get(UNITS))
        reconcile(data)
        tree_problems = _place(data, settings)
    problems = [p for t in tables for p in t.problems] + tree_problems
    counts = count_by_severity(problems)
    if output_format is CheckFormat.json:
        from ..render.lists import json_bytes

        payload = {
            "files": [_table_summary(t) for t in tables],
            "errors": counts["error"],
            "warnings": counts["warning"],
            "by_code": dict(sorted((sum((t.codes for t in tables), Counter())
                                    + Counter(p.code for p in tree_problems)).items())),
            "problems": [p.as_dict() for p in problems],
        }
        emit(json_bytes(payload), None)
    else:
        for t in tables:
            _print_table_summary(t, show_all)
        if tree_problems:
            out.rule("Cây tổ chức")
            _print_problems(tree_problems, show_all)
        verdict = "[green]Không có lỗi.[/green]" if not counts["error"] else f"[red]{counts['error']} lỗi[/red]"
        notes = f" {counts['info']} lưu ý." if counts["info"] else ""
        out.print(f"\nTổng: {verdict} {counts['warning']} cảnh báo.{notes}", highlight=False)
    raise typer.Exit(EXIT_FLAGGED if counts["error"] else EXIT_OK)


def _place(data: Dataset, settings) -> list[Problem]:
    """The tree of the files given, as `stats` builds it: same-named units, ambiguous chi bộ, accounts
    filed under another chi bộ, meetings of unknown chi bộ."""
    from ..analysis import place
    from ..config import Config

    tree = place(data, settings or Config())
    return tree.problems


def _settings(config_path: Path | None):
    """sotay.toml when given or in the current folder (its `[columns]` and rules), else None: `check`
    reads the files it is given, never the sample's configuration."""
    from ..config import load_config

    if config_path is None and not Path("sotay.toml").exists():
        return None
    return load_config(config_path)


def _table_summary(t) -> dict:
    return {
        "file": t.source, "sheet": t.sheet, "kind": t.kind, "header_row": t.header_row,
        "rows_read": t.rows_read, "rows_used": t.rows_used, "left_out": dict(t.left_out),
        "mapping": t.mapping,
        "columns": [{"header": header, "column": column, "rule": t.rules.get(column)}
                    for column, header in t.mapping.items()],
        "ignored_columns": t.ignored,
        "suggestions": [s.as_dict() for s in t.suggestions],
    }


def _print_table_summary(t, show_all: bool) -> None:
    where = f" (trang tính '{t.sheet}')" if t.sheet else ""
    out.rule(f"[bold]{escape(t.source)}[/bold]{escape(where)}")
    out.print(f"Loại bảng: [bold]{KIND_LABELS[t.kind]}[/bold] · dòng tiêu đề: {t.header_row}", highlight=False)
    left = sum(t.left_out.values())
    out.print(f"Đọc {number(t.rows_read)} dòng, dùng {number(t.rows_used)}, bỏ ra {number(left)}"
              + (": " + "; ".join(f"{reason} ({number(n)})" for reason, n in t.left_out.items()) if left else "."),
              highlight=False)
    mapping = RichTable("Cột trong tệp", "Hiểu là", "Nhận theo", box=None, pad_edge=False)
    for column, header in t.mapping.items():
        mapping.add_row(escape(header), COLUMN_LABELS.get(column, column), RULE_WORDS.get(t.rules.get(column), ""))
    out.print(mapping)
    if t.ignored:
        out.print("Cột không dùng: " + ", ".join(t.ignored), highlight=False, markup=False)
    if t.suggestions:
        for s in t.suggestions:
            out.print(f"Cột '{s.header}': có phải cột '{s.label}'?", highlight=False, markup=False)
        out.print("Nếu đúng, thêm vào sotay.toml:\n[columns]\n" + "\n".join(s.config_line for s in t.suggestions),
                  highlight=False, markup=False)
    if t.problems:
        _print_problems(t.problems, show_all)


RULE_WORDS = {"config": "khai báo trong sotay.toml", "alias": "tên quen dùng", "meaning": "nghĩa của tên cột"}
LEVEL_WORDS = {"error": "[red]lỗi[/red]", "warning": "[yellow]cảnh báo[/yellow]", "info": "[cyan]lưu ý[/cyan]"}


def _print_problems(problems: list[Problem], show_all: bool) -> None:
    shown = problems if show_all else problems[:MAX_PROBLEMS_SHOWN]
    grid = RichTable("Mức", "Dòng", "Cột", "Vấn đề", show_lines=False)
    for p in shown:
        grid.add_row(LEVEL_WORDS.get(p.severity, p.severity), "" if p.row is None else str(p.row),
                     escape(p.column or ""), escape(p.message))
    out.print(grid)
    if len(shown) < len(problems):
        out.print(f"… và {number(len(problems) - len(shown))} vấn đề nữa (dùng --all để xem hết).",
                  highlight=False)


def sample_config(folder: Path, commune, fmt: str, province: bool) -> Path:
    """The folder's own sotay.toml: its files, and the tỉnh or xã the data is made for (as `sotay init`)."""
    from ..atomic import write_bytes
    from ..config import CONFIG_NAME
    from ..places import find
    from ..scaffold import config_text

    place = find(commune.province, None if province else commune.place)
    names = {"members": "dang-vien", "usage": "tai-khoan", "meetings": "sinh-hoat", "units": "to-chuc"}
    text = config_text(place, inputs={key: f"{name}.{fmt}" for key, name in names.items()}, templates=False)
    path = folder / CONFIG_NAME
    write_bytes(path, ("# Dữ liệu mẫu tổng hợp, không phải người thật.\n" + text).encode("utf-8"))
    return path


@command()
def sample(
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="Thư mục ghi tệp mẫu.")] = Path("du-lieu-mau"),
    members: Annotated[int, typer.Option("--members", "-n", min=1, help="Số đảng viên đang sinh hoạt.")] = 1920,
    seed: Annotated[int, typer.Option("--seed", help="Hạt giống ngẫu nhiên (cùng hạt giống, cùng dữ liệu).")] = 2026,
    output_format: Annotated[SampleFormat, typer.Option("--format", "-f", help="Excel, hoặc CSV ';' có BOM như Excel "
                                              "tiếng Việt.")] = SampleFormat.xlsx,
    province: Annotated[bool, typer.Option("--tinh", help="Sinh dữ liệu cấp tỉnh (đảng bộ xã, cơ sở, chi bộ) "
                                           "thay vì một xã.")] = False,
    force: ForceOption = False,
) -> None:
    """Sinh bộ dữ liệu mẫu (tổng hợp, không phải người thật) để dùng thử và đo tốc độ.

    Mặc định là xã Hoa Lộc tháng 6/2026: 1.920 đảng viên đang sinh hoạt, 1.687 đã cài đặt, 252 sử dụng
    thường xuyên. Thư mục có kèm sotay.toml: vào thư mục đó rồi chạy các lệnh như với đơn vị thật.
    """
    from ..sample import Commune, write_sample

    outputs(force, folders=[out_dir])
    commune = Commune(members=members, seed=seed)
    if province:
        commune.chi_bo = max(3, members // 17)
        commune.co_so = max(2, commune.chi_bo // 8)
        commune.xa = max(1, commune.co_so // 11)
    with progress("Đang sinh dữ liệu mẫu…"):
        paths = write_sample(out_dir, commune, output_format.value)
        paths.append(sample_config(out_dir, commune, output_format.value, province))
    for path in paths:
        out.print(str(path), highlight=False)
    err.print(f"Dùng thử: cd {out_dir} && sotay report --period {commune.year}-{commune.month:02d}", highlight=False,
              markup=False)
