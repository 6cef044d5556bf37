"""`sotay stats`, `flag`, `rank`, `history`: the figures of a period and across periods."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.table import Table as RichTable

from ..fmt import number
from ..problems import InputError
from ..render.columns import spreadsheet_safe
from .common import (EXIT_FLAGGED, ConfigOption, ForceOption, LevelOption, MeetingsOption, MembersOption, NoHistoryOption,
                     OutputOption, PeriodOption, StrictOption, UnitsOption, UsageOption, _analyse, _check_level,
                     _compare_history, _emit, _outputs, _store_history, app, err, fail, out)


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
    force: ForceOption = False,
    bom: Annotated[bool, typer.Option("--bom", help="CSV có BOM để Excel mở đúng tiếng Việt.")] = False,
    strict: StrictOption = False,
    no_history: NoHistoryOption = False,
    config: ConfigOption = None,
) -> None:
    """Số liệu từng đơn vị trong kỳ: đảng viên, đã cài đặt, sử dụng thường xuyên, sinh hoạt trên ứng dụng.

    Đầu vào lấy từ mục [inputs] của sotay.toml, hoặc từ --members/--usage/--meetings/--units.
    """
    from ..render import stats as render

    _check_level(level)
    if fmt not in ("table", "csv", "json", "xlsx"):
        raise fail("--format phải là table, csv, json hoặc xlsx.")
    if fmt == "xlsx" and output in (None, "-"):
        raise fail("--format xlsx cần --output TỆP.xlsx.")
    result = _analyse(period, config, members, usage, meetings, units)
    _outputs(force, [output], result)
    _compare_history(result, not no_history)
    if fmt == "table":
        render.print_table(out, result, level)
    elif fmt == "csv":
        _emit(("\ufeff" if bom else "") + render.to_csv(result, level), output)
    elif fmt == "json":
        _emit(render.to_json(result, level), output)
    else:
        from ..render.xlsx import write_appendix

        write_appendix(result, output)
        err.print(f"Đã ghi {output}", highlight=False, markup=False)
    _store_history(result, not no_history)
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
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Ghi CSV ra tệp; '-' là đầu ra "
                                                  "chuẩn.")] = None,
    force: ForceOption = False,
    strict: StrictOption = False,
    no_history: NoHistoryOption = False,
    config: ConfigOption = None,
) -> None:
    """Chỉ các đơn vị dưới chỉ tiêu, gấp nhất trước, kèm số đảng viên còn thiếu."""
    from ..render import stats as render

    _check_level(level)
    to_file = output not in (None, "-")
    fmt = fmt or ("table" if out.is_terminal and not to_file else "csv")
    if fmt not in ("table", "csv"):
        raise fail("--format phải là table hoặc csv.")
    if fmt == "table" and to_file:
        raise fail("--output ghi CSV; bỏ --format table hoặc dùng --format csv.")
    result = _analyse(period, config, members, usage, meetings, units)
    _outputs(force, [output], result)
    _compare_history(result, not no_history)
    flags = render.select_flags(result, level)
    if fmt == "table":
        render.print_flags(out, result, flags)
    else:
        _emit(render.flags_csv(result, flags), output)
    _store_history(result, not no_history)
    if (fail_on_flag and flags) or (strict and any(p.severity == "error" for p in result.problems)):
        raise typer.Exit(EXIT_FLAGGED)



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
    from rich.markup import escape

    from ..metrics import RATES
    from ..ranking import rank as ranking
    from ..render.columns import LEVEL_OPTIONS
    from ..targets import METRIC_LABELS

    if metric not in RATES:
        raise fail(f"--metric phải là một trong: {', '.join(RATES)}.")
    if level not in LEVEL_OPTIONS:
        raise fail(f"--level phải là một trong: {', '.join(LEVEL_OPTIONS)}.")
    if fmt not in ("table", "csv", "json"):
        raise fail("--format phải là table, csv hoặc json.")
    result = _analyse(period, config, None, None, None, None)
    _compare_history(result, not no_history)
    table = ranking(result, metric, LEVEL_OPTIONS[level])
    from ..fmt import percent

    shown = table.assign(
        value_text=[percent(v, mode=result.rounding) for v in table["value"]],
        rank_text=[f"{r} (đồng hạng)" if t else str(r) for r, t in zip(table["rank"], table["tied"])],
        move_text=["—" if pd.isna(m) else ("=" if m == 0 else f"{'↑' if m > 0 else '↓'}{abs(int(m))}")
                   for m in table["move"]])
    if fmt == "json":
        records = [{"rank": int(r.rank), "unit": r.unit, "value": float(r.value), "tied": bool(r.tied),
                    "previous_rank": None if pd.isna(r.previous_rank) else int(r.previous_rank),
                    "move": None if pd.isna(r.move) else int(r.move)} for r in table.itertuples()]
        sys.stdout.write(json.dumps({"period": result.period.label, "metric": metric, "units": records},
                                    ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        sys.stdout.write(shown.rename(columns={"rank_text": "Hạng", "unit": "Đơn vị", "value_text": METRIC_LABELS[metric],
                                               "move_text": "So với kỳ trước"})
                         [["Hạng", "Đơn vị", METRIC_LABELS[metric], "So với kỳ trước"]].pipe(spreadsheet_safe).to_csv(index=False))
    else:
        grid = RichTable(title=f"Xếp hạng theo {METRIC_LABELS[metric]} — {result.period.words}", title_justify="left")
        for header, justify in (("Hạng", "right"), ("Đơn vị", "left"), ("Tỷ lệ", "right"), ("So với kỳ trước", "right")):
            grid.add_column(header, justify=justify)
        for r in shown.itertuples():
            grid.add_row(r.rank_text, escape(str(r.unit)), r.value_text, r.move_text)
        out.print(grid)
    _store_history(result, not no_history)



@app.command()
def history(
    unit: Annotated[Optional[str], typer.Option("--unit", "-u", help="Chuỗi số liệu của một đơn vị.")] = None,
    metric: Annotated[str, typer.Option("--metric", "-m", help="Chỉ số của chuỗi (mặc định installed_rate).")]
    = "installed_rate",
    org: Annotated[Optional[str], typer.Option("--org", help="Tổ chức (đảng bộ gốc) cần xem; mặc định: root trong "
                                               "mục organisation của sotay.toml.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv hoặc json.")] = "table",
    config: ConfigOption = None,
) -> None:
    """Các kỳ đã lưu của tổ chức đang làm việc; với --unit, chuỗi số liệu của đơn vị qua các kỳ."""
    from rich.markup import escape

    from ..config import load_config
    from ..fmt import percent
    from ..history import HistoryError, default_path, figures, organisations, periods, read_history
    from ..metrics import RATES

    if metric not in RATES:
        raise fail(f"--metric phải là một trong: {', '.join(RATES)}.")
    if fmt not in ("table", "csv", "json"):
        raise fail("--format phải là table, csv hoặc json.")
    try:
        settings = load_config(config)
        path = default_path(settings)
        con = read_history(path)
    except (HistoryError, InputError) as exc:
        raise fail(str(exc))
    if settings.is_sample:
        err.print(f"[dim]Không có sotay.toml ở thư mục này: đang xem lịch sử của dữ liệu mẫu "
                  f"({escape(str(path))}).[/dim]", highlight=False)
    try:
        stored = organisations(con) if con is not None else []
        chosen = org or settings.organisation.get("root") or (stored[0] if len(stored) == 1 else None)
        if org is not None and org not in stored:
            raise fail(f"chưa có kỳ nào của '{org}' trong lịch sử ({path})"
                       + (f"; đã lưu: {', '.join(stored)}." if stored else "."))
        if chosen is not None and chosen not in stored and stored:
            err.print(f"[dim]Lịch sử chưa có kỳ nào của {escape(chosen)}; đã lưu: {escape(', '.join(stored))} "
                      "(xem bằng --org).[/dim]", highlight=False)
        if con is None:
            frame = None
        elif unit is None:
            frame = periods(con, chosen)
        else:
            frame = figures(con, chosen, unit=unit)
    finally:
        if con is not None:
            con.close()
    several = chosen is None and len(stored) > 1  # no organisation chosen: each row says whose it is
    if unit is not None and (frame is None or frame.empty):
        raise fail(f"chưa có số liệu nào của '{unit}' trong lịch sử ({path}).")
    if frame is None:
        frame = pd.DataFrame(columns=["org", "period", "kind", "start", "end", "root", "computed_at", "rounding",
                                      "units"])
    elif unit is None:
        frame = frame.drop(columns=["inputs"])
    else:
        frame = frame[["org", "period", "unit", "eligible", "installed", "active", metric]]
    if fmt == "json":
        sys.stdout.write(frame.to_json(orient="records", force_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        sys.stdout.write(spreadsheet_safe(frame).to_csv(index=False))
    else:
        whose = f" của {chosen}" if chosen is not None else ""
        if frame.empty:
            out.print(f"Chưa lưu kỳ nào{whose} ({path}). Chạy sotay stats hoặc sotay report để lưu.", highlight=False,
                      markup=False)
            return
        grid = RichTable(title=escape(f"Lịch sử số liệu{whose} ({path})"), title_justify="left")
        if several:
            grid.add_column("Tổ chức")
        if unit is None:
            for header in ("Kỳ", "Số đơn vị", "Tính lúc"):
                grid.add_column(header)
            for r in frame.itertuples():
                grid.add_row(*([escape(r.org)] if several else []), r.period, number(r.units), r.computed_at)
        else:
            from ..targets import METRIC_LABELS

            units = frame["unit"].nunique() > 1  # a name under two parents: each row says which unit
            if units:
                grid.add_column("Đơn vị")
            for header in ("Kỳ", "Đang SH", "Đã cài", "Sử dụng", METRIC_LABELS[metric]):
                grid.add_column(header, justify="right")
            for r in frame.itertuples():
                grid.add_row(*([escape(r.org)] if several else []), *([escape(r.unit)] if units else []), r.period,
                             _count(r.eligible), _count(r.installed), _count(r.active), percent(getattr(r, metric)))
        out.print(grid)


def _count(value) -> str:
    return "—" if pd.isna(value) else number(int(value))
