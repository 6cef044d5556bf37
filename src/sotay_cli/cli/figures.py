"""`sotay stats`, `flag`, `rank`, `history`: the figures of a period and across periods."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import (
    ConfigOption,
    FlagFormat,
    ForceOption,
    Inputs,
    Level,
    LevelOption,
    ListFormat,
    Metric,
    NoHistoryOption,
    OutputOption,
    RankLevel,
    StatsFormat,
    StrictOption,
    chosen_format,
    command,
    compare_history,
    emit,
    err,
    fail,
    finish,
    out,
    outputs,
    store_history,
    with_inputs,
    wrote,
)

MetricOption = Annotated[Metric, typer.Option("--metric", "-m", help="Tỷ lệ cần xem.")]


@command()
@with_inputs()
def stats(
    inputs: Inputs,
    level: LevelOption = Level.all,
    output_format: Annotated[Optional[StatsFormat], typer.Option(
        "--format", "-f", help="Bảng trên màn hình (mặc định), CSV, JSON hoặc Excel (xlsx cần --output); với --output "
        "mà không có --format thì theo đuôi tệp.")] = None,
    output: OutputOption = None,
    force: ForceOption = False,
    bom: Annotated[bool, typer.Option("--bom", help="CSV có BOM để Excel mở đúng tiếng Việt.")] = False,
    strict: StrictOption = False,
    no_history: NoHistoryOption = False,
) -> None:
    """Số liệu từng đơn vị trong kỳ: đảng viên, đã cài đặt, sử dụng thường xuyên, sinh hoạt trên ứng dụng.

    Đầu vào lấy từ mục [inputs] của sotay.toml, hoặc từ --members/--usage/--meetings/--units.
    """
    from ..render import stats as render

    output_format = chosen_format(output_format, output, list(StatsFormat), StatsFormat.table)
    if output_format is StatsFormat.xlsx and output in (None, "-"):
        raise fail("--format xlsx cần --output TỆP.xlsx.")
    result = inputs.analyse()
    outputs(force, [output], result)
    compare_history(result, not no_history)
    if output_format is StatsFormat.table:
        render.print_table(out, result, level.value)
    elif output_format is StatsFormat.csv:
        emit(("\ufeff" if bom else "") + render.to_csv(result, level.value), output)
    elif output_format is StatsFormat.json:
        emit(render.json_chunks(result, level.value), output)
    else:
        from ..render.xlsx import write_appendix

        write_appendix(result, output)
        wrote(output)
    store_history(result, not no_history)
    finish(result, strict)


@command()
@with_inputs()
def flag(
    inputs: Inputs,
    level: LevelOption = Level.all,
    output_format: Annotated[Optional[FlagFormat], typer.Option("--format", "-f", help="Mặc định: bảng trên màn hình, CSV "
                                                      "khi chuyển tiếp qua ống hay ghi ra tệp.")] = None,
    fail_on_flag: Annotated[bool, typer.Option("--fail-on-flag", help="Thoát mã 1 khi có đơn vị dưới chỉ tiêu "
                                               "(dùng cho cron).")] = False,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Ghi CSV ra tệp; '-' là đầu ra "
                                                  "chuẩn.")] = None,
    force: ForceOption = False,
    strict: StrictOption = False,
    no_history: NoHistoryOption = False,
) -> None:
    """Chỉ các đơn vị dưới chỉ tiêu, gấp nhất trước, kèm số đảng viên còn thiếu."""
    from ..render import stats as render

    to_file = output not in (None, "-")
    output_format = output_format or (FlagFormat.table if out.is_terminal and not to_file else FlagFormat.csv)
    if output_format is FlagFormat.table and to_file:
        raise fail("--output ghi CSV; bỏ --format table hoặc dùng --format csv.")
    result = inputs.analyse()
    outputs(force, [output], result)
    compare_history(result, not no_history)
    flags = render.select_flags(result, level.value)
    if output_format is FlagFormat.table:
        render.print_flags(out, result, flags)
    else:
        emit(render.flags_csv(result, flags), output)
    store_history(result, not no_history)
    # a cron check: this period's export not there yet is no 'every unit at target'
    waiting = fail_on_flag and bool(result.absent) and not flags
    if waiting:
        from rich.markup import escape

        err.print(f"[yellow]Cảnh báo:[/yellow] chưa có tệp {escape(', '.join(result.absent.values()))}: chưa xét được "
                  "mọi chỉ tiêu, thoát mã 1 (--fail-on-flag).", highlight=False)
    finish(result, strict, flagged=fail_on_flag and (bool(flags) or waiting))


@command()
@with_inputs()
def rank(
    inputs: Inputs,
    metric: MetricOption = Metric.installed_rate,
    level: Annotated[RankLevel, typer.Option("--level", "-l", help="Cấp xếp hạng.")] = RankLevel.chi_bo,
    output_format: Annotated[Optional[ListFormat], typer.Option("--format", "-f", help="Bảng (mặc định), CSV hoặc "
                                                                "JSON; với --output thì theo đuôi tệp.")] = None,
    output: OutputOption = None,
    force: ForceOption = False,
    no_history: NoHistoryOption = False,
) -> None:
    """Xếp hạng đơn vị để thi đua: đồng hạng ghi rõ, kèm thay đổi thứ hạng so với kỳ trước."""
    from ..ranking import rank as ranking
    from ..render import lists
    from ..render.columns import LEVEL_OPTIONS

    output_format = chosen_format(output_format, output, list(ListFormat), ListFormat.table)
    result = inputs.analyse()
    outputs(force, [output], result)
    compare_history(result, not no_history)
    table = ranking(result, metric.value, LEVEL_OPTIONS[level.value])
    if table.empty:  # the warnings above say which file or column is missing
        from ..targets import METRIC_LABELS

        err.print(f"[yellow]Cảnh báo:[/yellow] không đơn vị nào có số liệu {METRIC_LABELS[metric.value]} trong kỳ: "
                  "chưa xếp hạng được.", highlight=False)
    if output_format is ListFormat.json:
        emit(lists.rank_json(result, table, metric.value), output)
    elif output_format is ListFormat.csv:
        emit(lists.rank_csv(result, table, metric.value), output)
    else:
        out.print(lists.rank_table(result, table, metric.value))
    store_history(result, not no_history)


@command()
def history(
    unit: Annotated[Optional[str], typer.Option("--unit", "-u", help="Chuỗi số liệu của một đơn vị (mã hoặc "
                                                "tên).")] = None,
    metric: MetricOption = Metric.installed_rate,
    org: Annotated[Optional[str], typer.Option("--org", help="Tổ chức (đảng bộ gốc) cần xem; mặc định: root trong "
                                               "mục organisation của sotay.toml.")] = None,
    output_format: Annotated[Optional[ListFormat], typer.Option("--format", "-f", help="Bảng (mặc định), CSV hoặc "
                                                                "JSON; với --output thì theo đuôi tệp.")] = None,
    output: OutputOption = None,
    force: ForceOption = False,
    config: ConfigOption = None,
) -> None:
    """Các kỳ đã lưu của tổ chức đang làm việc; với --unit, chuỗi số liệu của đơn vị qua các kỳ."""
    import pandas as pd
    from rich.markup import escape

    from ..config import load_config
    from ..history import default_path, figures, organisations, periods, read_history
    from ..render import lists

    output_format = chosen_format(output_format, output, list(ListFormat), ListFormat.table)
    settings = load_config(config)
    path = default_path(settings)
    outputs(force, [output], inputs=[path])
    con = read_history(path)
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
    if unit is not None and (frame is None or frame.empty):
        raise fail(f"chưa có số liệu nào của '{unit}' trong lịch sử ({path}).")
    if frame is None:
        frame = pd.DataFrame(columns=["org", "period", "kind", "start", "end", "root", "computed_at", "rounding",
                                      "units"])
    elif unit is None:
        frame = frame.drop(columns=["inputs"])
    else:
        frame = frame[["org", "period", "unit", "eligible", "installed", "active", metric.value]]
    if output_format is ListFormat.json:
        emit(lists.history_json(frame), output)
    elif output_format is ListFormat.csv:
        emit(lists.history_csv(frame), output)
    elif frame.empty:
        whose = f" của {chosen}" if chosen is not None else ""
        out.print(f"Chưa lưu kỳ nào{whose} ({path}). Chạy sotay stats hoặc sotay report để lưu.", highlight=False,
                  markup=False)
    else:
        whose = f" của {chosen}" if chosen is not None else ""
        several = chosen is None and len(stored) > 1  # no organisation chosen: each row says whose it is
        out.print(lists.history_table(frame, f"Lịch sử số liệu{whose} ({path})", metric.value, unit is not None,
                                      several))
