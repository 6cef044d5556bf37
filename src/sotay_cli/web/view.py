"""What the results page shows, drawn from one analysed period: the headline figures, the table by unit,
the flags, the problems found in the files and the draft's text. Formatting only, through the same
columns, labels and formatters as the terminal table (render.stats, render.columns, fmt); no figure is
computed here.

No member's name is shown: the page speaks of units; names go only into the follow-up files.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from ..fmt import number, percent, points
from ..forecast import NOT_ENOUGH, pace_text
from ..domain import CHI_BO
from ..render.columns import COLUMN_BY_KEY, LEVEL_NAMES, with_history
from ..render.stats import TERMINAL_COLUMNS, summary_line
from ..targets import METRIC_LABELS, target_words
from .pipeline import Result

MAX_ROWS = 1500  # units in the page's table; the XLSX phụ lục has them all
MAX_FLAGS = 500
MAX_PROBLEMS = 300
SEVERITY_WORDS = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Lưu ý"}
# problems whose message quotes members' names: the page says what is wrong without them
_QUOTED_NAMES = {"card_conflict": re.compile(r"'[^']*' \((dòng [^)]*)\)")}
UNKNOWN_CODES = ("no_usage", "no_access_column", "no_meetings", "no_attendance_column", "months_missing",
                 "one_file_for_period", "accesses_not_cut", "rows_all_rejected", "usage_month_empty")
HEADLINE = [("eligible", "Đảng viên đang sinh hoạt", "count"), ("installed", "Đã cài đặt, kích hoạt", "count"),
            ("installed_rate", "Tỷ lệ cài đặt", "rate"), ("active", "Sử dụng thường xuyên", "count"),
            ("active_rate", "Tỷ lệ sử dụng", "rate"), ("meeting_rate", "Chi bộ sinh hoạt trên ứng dụng", "rate")]


@dataclass
class Cell:
    text: str
    below: bool = False  # under the unit's target (a flag of sotay's)


def results(result: Result) -> dict:
    """The template context of the results page."""
    a = result.analysis
    flagged = set(zip(a.flags.column("unit").tolist(), a.flags.column("metric").tolist()))
    flags = flag_rows(a)
    return {
        "period": a.period,
        "root": a.figures.at[a.root, "label"],
        "summary": summary_line(a).replace(" (sotay flag).", "."),
        "headline": headline(a, flagged),
        "table": unit_table(a, flagged),
        "groups": group_rows(a),
        "flags": flags,
        "with_pace": any(f["pace"] not in ("", NOT_ENOUGH) or f["deadline"] for f in flags),
        "flag_count": len(a.flags),
        "problems": problem_rows(result),
        "problem_counts": _counts(a.problems),
        "unknown": unknown_words(a),
        "draft": draft_html(_draft_text(result)),
        "has_chart": "chart" in result.files,
        "followup_possible": "installed" not in a.unknown,
    }


def headline(a, flagged) -> list[dict]:
    total = a.total()
    out = []
    for key, label, kind in HEADLINE:
        value = total[key]
        if kind == "count":
            text = "—" if key in a.unknown or pd.isna(value) else number(int(value))
        else:
            text = percent(None if pd.isna(value) else float(value), mode=a.rounding)
        target = a.targets.at[a.root, key] if key in a.targets.columns else math.nan
        out.append({"label": label, "text": text, "below": (a.root, key) in flagged,
                    "target": None if pd.isna(target) else target_words(float(target), _strict(a))})
    return out


def unit_table(a, flagged) -> dict:
    figures, all_columns = with_history(a)
    columns = [c for c in all_columns if c.key in TERMINAL_COLUMNS or c.key == "installed_rate_change"]
    note = None
    if len(figures) > MAX_ROWS:
        figures = figures[(figures["level"] != CHI_BO) | (figures.index == a.root)]
        note = "Bảng chỉ hiện các cấp trên chi bộ; bảng đủ mọi chi bộ có trong phụ lục Excel."
    if len(figures) > MAX_ROWS:
        figures = figures.iloc[:MAX_ROWS]
        note = f"Bảng hiện {number(MAX_ROWS)} đơn vị đầu; bảng đủ có trong phụ lục Excel."
    rows = []
    for unit, row in zip(figures.index, figures.to_dict("records")):
        cells = [Cell(_format(row[c.key], c.kind, c.key, a), (unit, c.key) in flagged) for c in columns]
        rows.append({"label": row["label"], "depth": int(row["depth"]), "root": unit == a.root,
                     "level": LEVEL_NAMES.get(row["level"], row["level"]), "cells": cells})
    return {"columns": columns, "rows": rows, "note": note}


def group_rows(a) -> list[dict]:
    from ..analysis import GROUP_LABELS

    groups = a.groups()
    keys = [k for k in TERMINAL_COLUMNS if k in groups.columns]
    return [{"label": GROUP_LABELS[key], "cells": [_format(row[k], COLUMN_BY_KEY[k].kind, k, a) for k in keys]}
            for key, row in groups.iterrows()] if len(groups) else []


def flag_rows(a) -> list[dict]:
    labels = a.figures["label"]
    return [{"unit": labels.get(f.unit, f.unit), "metric": METRIC_LABELS[f.metric],
             "value": percent(f.value, mode=a.rounding), "target": target_words(f.target, f.strict),
             "gap": f"{number(f.gap)} {f.gap_unit}", "pace": pace_text(f), "deadline": f.deadline_text() or ""}
            for f in a.flags[:MAX_FLAGS]]


def problem_rows(result: Result) -> list[dict]:
    rows = []
    for p in result.analysis.problems[:MAX_PROBLEMS]:
        message = p.message
        if p.code in _QUOTED_NAMES:
            message = _QUOTED_NAMES[p.code].sub(r"\1", message)
        rows.append({"severity": p.severity, "severity_text": SEVERITY_WORDS.get(p.severity, p.severity),
                     "file": result.display(p.file), "sheet": p.sheet or "",
                     "row": "" if p.row is None else number(p.row), "column": p.column or "",
                     "message": result.display(message)})
    return rows


def unknown_words(a) -> list[str]:
    """What cannot be said for want of an input, in the words of the problems (crosscheck.note_unknown)."""
    return [p.message for p in a.notes if p.code in UNKNOWN_CODES]


def _counts(problems) -> dict:
    out = {"error": 0, "warning": 0, "info": 0}
    for p in problems:
        out[p.severity] = out.get(p.severity, 0) + 1
    return out | {"total": len(problems), "shown": min(len(problems), MAX_PROBLEMS)}


def _format(value, kind: str, key: str, a) -> str:
    if key in a.unknown:
        return "—"
    if kind == "count":
        return "—" if pd.isna(value) else number(int(value))
    if kind == "points":
        return points(None if pd.isna(value) else float(value), mode=a.rounding)
    return percent(None if pd.isna(value) else float(value), mode=a.rounding)


def _strict(a) -> bool:
    return bool(a.config.rules.get("strict_targets", False))


def _draft_text(result: Result) -> str:
    md = result.files.get("md")
    return md.read_text(encoding="utf-8") if md and md.exists() else ""


def draft_html(text: str) -> Markup:
    """The draft's Markdown (report.write_report's own) as HTML to read: raw HTML in it is shown as text,
    and it has no links or images to follow."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink", "html_inline", "html_block"])
    return Markup(md.render(text))
