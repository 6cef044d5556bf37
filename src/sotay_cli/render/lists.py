"""The ranking (`sotay rank`) and the stored periods (`sotay history`) as people and scripts read them:
a rich table, CSV rows, JSON records. The CLI only chooses which and where to write it."""

from __future__ import annotations

import datetime as dt
import math

import orjson
import pandas as pd
from rich.markup import escape
from rich.table import Table

from ..fmt import number, percent
from ..targets import METRIC_LABELS
from .columns import spreadsheet_safe


def json_bytes(payload) -> bytes:
    """Every JSON sotay writes: UTF-8, indented, NaN as null (orjson writes non-finite floats as null)."""
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts, missing values as None (never NaN or pandas' NA)."""
    out = []
    for row in frame.astype(object).to_dict("records"):
        out.append({k: (None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v)
                    for k, v in row.items()})
    return out


# --- sotay rank ------------------------------------------------------------------------------------

def _move(m) -> str:
    return "—" if pd.isna(m) else ("=" if m == 0 else f"{'↑' if m > 0 else '↓'}{abs(int(m))}")


def rank_json(analysis, table: pd.DataFrame, metric: str) -> bytes:
    records = [{"rank": int(r.rank), "unit": r.unit, "id": r.id, "value": float(r.value), "tied": bool(r.tied),
                "previous_rank": None if pd.isna(r.previous_rank) else int(r.previous_rank),
                "move": None if pd.isna(r.move) else int(r.move)} for r in table.itertuples()]
    return json_bytes({"period": analysis.period.label, "metric": metric, "units": records})


def _rank_text(table: pd.DataFrame, rounding: str) -> pd.DataFrame:
    return pd.DataFrame({
        "Hạng": [f"{r} (đồng hạng)" if t else str(r) for r, t in zip(table["rank"], table["tied"])],
        "Đơn vị": table["unit"],
        "Tỷ lệ": [percent(v, mode=rounding) for v in table["value"]],
        "So với kỳ trước": [_move(m) for m in table["move"]],
    })


def rank_csv(analysis, table: pd.DataFrame, metric: str) -> str:
    shown = _rank_text(table, analysis.rounding).rename(columns={"Tỷ lệ": METRIC_LABELS[metric]})
    return spreadsheet_safe(shown).to_csv(index=False)


def rank_table(analysis, table: pd.DataFrame, metric: str) -> Table:
    grid = Table(title=f"Xếp hạng theo {METRIC_LABELS[metric]} — {analysis.period.words}", title_justify="left")
    for header, justify in (("Hạng", "right"), ("Đơn vị", "left"), ("Tỷ lệ", "right"), ("So với kỳ trước", "right")):
        grid.add_column(header, justify=justify)
    for r in _rank_text(table, analysis.rounding).itertuples(index=False):
        grid.add_row(r[0], escape(str(r[1])), r[2], r[3])
    return grid


# --- sotay history ---------------------------------------------------------------------------------

def history_json(frame: pd.DataFrame) -> bytes:
    return json_bytes(_records(frame))


def history_csv(frame: pd.DataFrame) -> str:
    return spreadsheet_safe(frame).to_csv(index=False)


def _count(value) -> str:
    return "—" if pd.isna(value) else number(int(value))


def history_table(frame: pd.DataFrame, title: str, metric: str, per_unit: bool, several: bool) -> Table:
    """The stored periods (or one unit's series with `per_unit`); `several`: rows of several organisations."""
    grid = Table(title=escape(title), title_justify="left")
    if several:
        grid.add_column("Tổ chức")
    if not per_unit:
        for header in ("Kỳ", "Số liệu đến ngày", "Số đơn vị", "Tính lúc"):
            grid.add_column(header)
        for r in frame.itertuples():  # a period taken to an earlier day (2026-06-16) shows it
            grid.add_row(*([escape(r.org)] if several else []), r.period, f"{dt.date.fromisoformat(r.end):%d/%m/%Y}",
                         number(r.units), r.computed_at)
        return grid
    units = frame["unit"].nunique() > 1  # a name under two parents: each row says which unit
    if units:
        grid.add_column("Đơn vị")
    for header in ("Kỳ", "Đang SH", "Đã cài", "Sử dụng", METRIC_LABELS[metric]):
        grid.add_column(header, justify="right")
    for r in frame.itertuples():
        grid.add_row(*([escape(r.org)] if several else []), *([escape(r.unit)] if units else []), r.period,
                     _count(r.eligible), _count(r.installed), _count(r.active), percent(getattr(r, metric)))
    return grid
