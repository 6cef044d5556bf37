"""The per-unit table as people and scripts read it: a rich table, CSV, JSON; and the flags."""

from __future__ import annotations

import io
import math

import orjson

import pandas as pd
from rich.console import Console
from rich.table import Table

from ..fmt import number, percent, points
from ..targets import METRIC_LABELS
from .columns import LEVEL_NAMES, LEVEL_OPTIONS, select_units, spreadsheet_safe, table_frame, with_history

TERMINAL_COLUMNS = ["eligible", "installed", "installed_rate", "active", "active_rate", "active_of_installed",
                    "regular_meetings", "attendance_rate", "chi_bo_met", "meeting_rate"]


def to_csv(analysis, level: str) -> str:
    frame = table_frame(select_units(analysis.figures, level), analysis.rounding)
    return spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n")


def to_json(analysis, level: str) -> bytes:
    """UTF-8 JSON bytes: at a country's size the text is a gigabyte, and decoding it only to encode it
    again costs seconds."""
    payload = analysis.to_dict()
    if level != "all":
        payload["units"] = [u for u in payload["units"] if u["level"] == LEVEL_OPTIONS[level]]
    # orjson: the standard encoder with indent runs in pure Python, 4 s for a province
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def print_table(console: Console, analysis, level: str) -> None:
    figures, all_columns = with_history(analysis)
    figures = select_units(figures, level)
    columns = [c for c in all_columns if c.key in TERMINAL_COLUMNS or c.key == "installed_rate_change"]
    table = Table(title=f"{analysis.root} — {analysis.period.words}", title_justify="left", header_style="bold")
    table.add_column("Đơn vị", overflow="fold", min_width=24)
    for c in columns:
        table.add_column(c.short, justify="right", no_wrap=True)
    for unit, row in figures.iterrows():
        indent = "  " * int(row["depth"])
        style = "bold" if unit == analysis.root else None
        cells = [indent + str(unit)]
        for c in columns:
            cells.append(_cell(row[c.key], c, analysis.targets.loc[unit].get(c.key), analysis.rounding))
        table.add_row(*cells, style=style)
    console.print(table)
    total = analysis.total()
    console.print(
        f"Toàn {analysis.root}: {number(total['installed'])}/{number(total['eligible'])} đảng viên đang sinh hoạt đã "
        f"cài đặt ({percent(total['installed_rate'], mode=analysis.rounding)}); {number(total['active'])} sử dụng "
        f"thường xuyên ({percent(total['active_rate'], mode=analysis.rounding)} số đang sinh hoạt, "
        f"{percent(total['active_of_installed'], mode=analysis.rounding)} số đã cài đặt). "
        f"{len(analysis.flags)} chỉ tiêu chưa đạt (sotay flag).", highlight=False)


def _cell(value, column, target, rounding: str) -> str:
    if column.kind == "count":
        return number(int(value))
    if column.kind == "points":
        return points(None if pd.isna(value) else float(value), mode=rounding)
    text = percent(value, mode=rounding)
    if target is not None and not math.isnan(target) and not math.isnan(value) and value < target - 1e-12:
        return f"[red]{text}[/red]"
    return text


def select_flags(analysis, level: str):
    if level == "all":
        return analysis.flags
    return [f for f in analysis.flags if f.level == LEVEL_OPTIONS[level]]


def print_flags(console: Console, analysis, flags) -> None:
    if not flags:
        console.print(f"[green]Mọi đơn vị đạt chỉ tiêu trong {analysis.period.words}.[/green]", highlight=False)
        return
    table = Table(title=f"Đơn vị dưới chỉ tiêu — {analysis.period.words}", title_justify="left",
                  header_style="bold")
    with_pace = any(f.pace for f in flags)
    headers = [("#", "right"), ("Đơn vị", "left"), ("Chỉ tiêu", "left"), ("Đạt", "right"), ("Yêu cầu", "right"),
               ("Còn thiếu", "right")] + ([("Theo tốc độ hiện nay", "left")] if with_pace else [])
    for header, justify in headers:
        table.add_column(header, justify=justify, overflow="fold")
    for i, f in enumerate(flags, start=1):
        cells = [str(i), f.unit, METRIC_LABELS[f.metric], f"[red]{percent(f.value, mode=analysis.rounding)}[/red]",
                 percent(f.target, mode=analysis.rounding), f"{number(f.gap)} {f.gap_unit}"]
        table.add_row(*cells, *([f.pace or ""] if with_pace else []))
    console.print(table)


def flags_csv(analysis, flags) -> str:
    frame = pd.DataFrame([{
        "Đơn vị": f.unit, "Cấp": LEVEL_NAMES.get(f.level, f.level), "Chỉ tiêu": METRIC_LABELS[f.metric],
        "Mã chỉ tiêu": f.metric, "Đạt (%)": _pct(f.value, analysis.rounding),
        "Yêu cầu (%)": _pct(f.target, analysis.rounding), "Còn thiếu": f.gap, "Đơn vị tính": f.gap_unit,
        "Nội dung": f.message(analysis.rounding), "Dự kiến": f.pace or "",
    } for f in flags], columns=["Đơn vị", "Cấp", "Chỉ tiêu", "Mã chỉ tiêu", "Đạt (%)", "Yêu cầu (%)", "Còn thiếu",
                                "Đơn vị tính", "Nội dung", "Dự kiến"])
    buf = io.StringIO()
    spreadsheet_safe(frame).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def _pct(rate: float, rounding: str) -> float | None:
    from .columns import rounded_percent

    return rounded_percent(rate, rounding)
