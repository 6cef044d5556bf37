"""The per-unit table as people and scripts read it: a rich table, CSV, JSON; and the flags."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..fmt import number, percent, points
from ..forecast import pace_text, pace_texts
from ..targets import METRIC_LABELS
from .columns import LEVEL_NAMES, LEVEL_OPTIONS, select_units, spreadsheet_safe, table_frame, with_history

TERMINAL_COLUMNS = ["eligible", "installed", "installed_rate", "active", "active_rate", "active_of_installed",
                    "regular_meetings", "attendance_rate", "chi_bo_met", "meeting_rate"]


def to_csv(analysis, level: str) -> str:
    frame = table_frame(select_units(analysis.figures, level), analysis.rounding)
    return spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n")


def to_json(analysis, level: str) -> bytes:
    """UTF-8 JSON bytes, whole (small callers; the command writes `json_chunks` as they come)."""
    return b"".join(json_chunks(analysis, level))


def json_chunks(analysis, level: str):
    """The JSON document in pieces of UTF-8 bytes: at a country's size the text is a gigabyte and a half,
    never held whole. orjson: the standard encoder with indent runs in pure Python, 4 s for a province."""
    return analysis.json_chunks(None if level == "all" else LEVEL_OPTIONS[level])


def print_table(console: Console, analysis, level: str) -> None:
    figures, all_columns = with_history(analysis)
    figures = select_units(figures, level)
    columns = [c for c in all_columns if c.key in TERMINAL_COLUMNS or c.key == "installed_rate_change"]
    table = Table(title=escape(f"{analysis.root} — {analysis.period.words}"), title_justify="left", header_style="bold")
    table.add_column("Đơn vị", overflow="fold", min_width=24)
    for c in columns:
        table.add_column(c.short, justify="right", no_wrap=True)
    for unit, row in figures.iterrows():
        indent = "  " * int(row["depth"])
        style = "bold" if unit == analysis.root else None
        cells = [indent + escape(str(row["label"]))]  # names as written: "Chi bộ [cũ]" keeps its brackets
        for c in columns:
            cells.append(_cell(row[c.key], c, analysis.targets.loc[unit].get(c.key), analysis.rounding))
        table.add_row(*cells, style=style)
    console.print(table)
    console.print(summary_line(analysis), highlight=False, markup=False)
    groups = analysis.groups()
    if len(groups):
        from ..analysis import GROUP_LABELS

        grid = Table(title="Theo khối", title_justify="left", header_style="bold")
        grid.add_column("Khối", min_width=24)
        keys = [c for c in columns if c.key in groups.columns]
        for c in keys:
            grid.add_column(c.short, justify="right", no_wrap=True)
        for key, row in groups.iterrows():
            grid.add_row(GROUP_LABELS[key], *[_cell(row[c.key], c, None, analysis.rounding) for c in keys])
        console.print(grid)


def summary_line(analysis) -> str:
    """One sentence for the root; an unknown figure is said to be unknown, never given as 0."""
    t, r = analysis.total(), analysis.rounding
    c = analysis.counts()
    if c["dang_bo_co_so"] and c["chi_bo_co_so"]:
        kinds = f"{number(c['dang_bo_co_so'])} đảng bộ cơ sở, {number(c['chi_bo_co_so'])} chi bộ cơ sở"
    else:
        kinds = "đều là chi bộ cơ sở" if c["chi_bo_co_so"] else "đều là đảng bộ cơ sở"
    structure = f"{number(c['co_so'])} tổ chức cơ sở đảng ({kinds})"
    if c["chi_bo"] != c["chi_bo_co_so"]:
        structure += f", {number(c['chi_bo'])} chi bộ"
    structure += f", {number(c['members'])} đảng viên"
    if c["xa"] > 1:
        structure = f"{number(c['xa'])} đảng bộ xã, " + structure
    whole = analysis.root if analysis.root.lower().startswith("toàn") else f"Toàn {analysis.root}"
    text = f"{whole}: {structure}. "
    if "installed" in analysis.unknown:
        text += "Chưa có số liệu cài đặt, sử dụng (" + ("thiếu tệp tài khoản" if analysis.data.usage is None else
                                                        "không dòng nào của tệp tài khoản dùng được") + ")."
    else:
        text += (f"{number(t['installed'])}/{number(t['eligible'])} {analysis.eligible_means} đã cài đặt "
                 f"({percent(t['installed_rate'], mode=r)}); ")
        if "active" in analysis.unknown:
            text += "chưa có số liệu sử dụng thường xuyên."
        else:
            text += (f"{number(t['active'])} sử dụng thường xuyên ({percent(t['active_rate'], mode=r)} số đang "
                     f"sinh hoạt, {percent(t['active_of_installed'], mode=r)} số đã cài đặt).")
    return text + f" {number(len(analysis.flags))} chỉ tiêu chưa đạt (sotay flag)."


def _cell(value, column, target, rounding: str) -> str:
    if column.kind == "count":
        return "—" if pd.isna(value) else number(int(value))
    if column.kind == "points":
        return points(None if pd.isna(value) else float(value), mode=rounding)
    text = percent(value, mode=rounding)
    if target is not None and not math.isnan(target) and not math.isnan(value) and value < target - 1e-12:
        return f"[red]{text}[/red]"
    return text


def select_flags(analysis, level: str):
    if level == "all":
        return analysis.flags
    return analysis.flags.where(analysis.flags.column("level") == LEVEL_OPTIONS[level])


def print_flags(console: Console, analysis, flags) -> None:
    if not flags:
        console.print(f"[green]Mọi đơn vị đạt chỉ tiêu trong {analysis.period.words}.[/green]", highlight=False)
        return
    table = Table(title=f"Đơn vị dưới chỉ tiêu — {analysis.period.words}", title_justify="left",
                  header_style="bold")
    with_pace = bool(pd.notna(flags.column("pace")).any())
    with_deadline = bool(pd.notna(flags.column("deadline")).any())
    headers = [("#", "right"), ("Đơn vị", "left"), ("Chỉ tiêu", "left"), ("Đạt", "right"), ("Yêu cầu", "right"),
               ("Còn thiếu", "right")] + ([("Theo tốc độ hiện nay", "left")] if with_pace else []) + (
               [("Hạn", "left")] if with_deadline else [])
    for header, justify in headers:
        table.add_column(header, justify=justify, overflow="fold")
    labels = analysis.figures["label"].to_numpy(dtype=object)
    for i, (f, at) in enumerate(zip(flags, flags.at.tolist()), start=1):
        cells = [str(i), escape(str(labels[at])), METRIC_LABELS[f.metric], f"[red]{percent(f.value, mode=analysis.rounding)}[/red]",
                 percent(f.target, mode=analysis.rounding), f"{number(f.gap)} {f.gap_unit}"]
        table.add_row(*cells, *([pace_text(f)] if with_pace else []),
                      *([escape(f.deadline_text() or "")] if with_deadline else []))
    console.print(table)


def flags_csv(analysis, flags) -> str:
    """The flags as CSV, from their columns: the words of each distinct value written once."""
    message, _, deadline_text = flags.words(analysis.rounding)
    level, metric = pd.Series(flags.column("level"), dtype=object), pd.Series(flags.column("metric"), dtype=object)
    frame = pd.DataFrame({
        "Đơn vị": analysis.figures["label"].to_numpy(dtype=object)[flags.at], "Mã đơn vị": flags.column("unit"),
        "Cấp": level.map(lambda v: LEVEL_NAMES.get(v, v)), "Chỉ tiêu": metric.map(METRIC_LABELS),
        "Mã chỉ tiêu": metric, "Đạt (%)": _pcts(flags.column("value"), analysis.rounding),
        "Yêu cầu (%)": _pcts(flags.column("target"), analysis.rounding), "Còn thiếu": flags.column("gap"),
        "Đơn vị tính": flags.column("gap_unit"), "Nội dung": message, "Dự kiến": pace_texts(flags),
        "Hạn": pd.Series(deadline_text, dtype=object).fillna(""),
    }, columns=["Đơn vị", "Mã đơn vị", "Cấp", "Chỉ tiêu", "Mã chỉ tiêu", "Đạt (%)", "Yêu cầu (%)",
                "Còn thiếu", "Đơn vị tính", "Nội dung", "Dự kiến", "Hạn"])
    buf = io.StringIO()
    spreadsheet_safe(frame).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def _pcts(rates, rounding: str) -> pd.Series:
    """`_pct` of each rate, computed once per distinct rate."""
    codes, distinct = pd.factorize(rates)
    return pd.Series(np.array([_pct(r, rounding) for r in distinct.tolist()], dtype="float64")[codes])


def _pct(rate: float, rounding: str) -> float | None:
    from .columns import rounded_percent

    return rounded_percent(rate, rounding)
