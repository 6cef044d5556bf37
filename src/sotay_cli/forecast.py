"""Forecasts only from data: when a unit below its target would reach it, at its pace over the last months.

A pace is a least-squares line through the unit's monthly rates; with fewer than three months stored none is
given, since a draft for signature must not predict from one or two points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .ingest.values import positions
from .metrics import STOCK_RATES
from .periods import Period
from .targets import Flag, Flags

METRICS = ("installed_rate", "active_rate")  # the rates a pace is given for
MIN_MONTHS = 3
RECENT = 6  # months the line is drawn through, this one included
NOT_ENOUGH = "chưa đủ số liệu"
FALLING = "đang giảm"


def pace(series: pd.DataFrame, targets: pd.DataFrame, period: Period, metric: str, recent: int = RECENT) -> pd.Series:
    """Per unit below its target in `period`, in words: "dự kiến đạt vào tháng 9/2026", "đang giảm", or "với
    tốc độ hiện nay chưa đạt trong năm 2026"; None with fewer than `MIN_MONTHS` monthly periods of that unit
    among the last `recent` (this one included). `series` holds one row per period and unit; units are
    those of `targets`' index."""
    units = pd.Index(np.asarray(targets.index, dtype=object), dtype=object)
    goal = targets[metric].to_numpy(dtype="float64", na_value=np.nan)
    months = _months(series, units, period, recent)
    at, words = _pace(months, series, goal, np.ones(len(units), dtype=bool), period, metric)
    return pd.Series(words, index=units[at], dtype=object)


def _months(series: pd.DataFrame, units: pd.Index, period: Period, recent: int = RECENT) -> dict[str, np.ndarray]:
    """The monthly rows of `series` among the last `recent` months up to `period`'s end: their `rows`, the
    position of their unit in `units` (-1: none), `x` the months before the end ("2026-05" -> -1) and a code
    of their period. Made once for every metric paced."""
    monthly = np.flatnonzero((series["kind"] == "month").to_numpy(dtype=bool))
    codes, labels = pd.factorize(series["period"].iloc[monthly])
    end = period.end
    # from the few distinct labels; a row without a period (code -1) falls outside
    offset = np.array([(int(p[:4]) - end.year) * 12 + int(p[5:7]) - end.month for p in labels] + [1], dtype=float)
    x = offset[codes]
    inside = (x <= 0) & (x > -recent)
    rows = monthly[inside]
    at = positions(series["unit"].iloc[rows], pd.Series(units, copy=False))
    return {"rows": rows, "at": at, "x": x[inside], "period": codes[inside]}


def _pace(months: dict, series: pd.DataFrame, goal: np.ndarray, wanted: np.ndarray, period: Period,
          metric: str) -> tuple[np.ndarray, np.ndarray]:
    """`pace` of `metric` for the `wanted` unit positions (their targets `goal`) from the rows of `_months`:
    the positions of the units with a row in `period` and their words (None: no pace)."""
    values = series[metric].to_numpy(dtype="float64", na_value=np.nan)[months["rows"]]
    known = ~np.isnan(values)
    periods = np.unique(months["period"][known]).size
    at = months["at"]
    keep = known & (at >= 0)
    keep[keep] = wanted[at[keep]]
    s = pd.DataFrame({"unit": at[keep], metric: values[keep], "x": months["x"][keep]})
    current = s[s["x"] == 0].set_index("unit")[metric]
    if current.empty or periods < MIN_MONTHS:  # a unit has a row per period at most
        return current.index.to_numpy(), np.full(len(current), None, dtype=object)
    end = period.end
    g = s.groupby("unit")
    dx = s["x"] - s["unit"].map(g["x"].mean())
    dy = s[metric] - s["unit"].map(g[metric].mean())
    slope = ((dx * dy).groupby(s["unit"]).sum() / (dx ** 2).groupby(s["unit"]).sum().replace(0, np.nan))
    slope = slope.reindex(current.index).fillna(0.0)
    goal = pd.Series(goal[current.index.to_numpy()], index=current.index)
    words = pd.Series([None] * len(current), index=current.index, dtype=object)
    enough = (current < goal - 1e-12) & (g.size().reindex(current.index) >= MIN_MONTHS)
    month = end.month + np.ceil((goal - current) / slope.where(slope > 0) - 1e-9)
    reaching = enough & (month <= 12)
    words[enough] = f"với tốc độ hiện nay chưa đạt trong năm {end.year}"
    words[enough & (slope < 0)] = FALLING
    words[reaching] = "dự kiến đạt vào tháng " + month[reaching].astype(int).astype(str) + f"/{end.year}"
    return current.index.to_numpy(), words.to_numpy()


def annotate(analysis, series: pd.DataFrame) -> Flags:
    """`analysis.flags` with their pace from `series` (the organisation's stored periods and this one), a new
    table; the paces are computed for the flagged units only and joined to the flags by unit position."""
    flags = analysis.flags
    metric = flags.column("metric")
    paced = [m for m in METRICS if (metric == m).any()]
    if analysis.period.cut_short:  # half a month's use or meetings is no point of a monthly trend
        paced = [m for m in paced if m in STOCK_RATES]
    if not paced:
        return flags
    figures = analysis.figures
    units = pd.Index(np.asarray(figures.index, dtype=object), dtype=object)
    targets = analysis.targets if analysis.targets.index.equals(figures.index) else analysis.targets.reindex(figures.index)
    months = _months(series, units, analysis.period)
    pace_column = flags.column("pace").copy()
    for m in paced:
        rows = metric == m
        at = flags.at[rows]
        wanted = np.zeros(len(units), dtype=bool)
        wanted[at] = True
        where, words = _pace(months, series, targets[m].to_numpy(dtype="float64", na_value=np.nan), wanted,
                             analysis.period, m)
        by_unit = np.full(len(units), None, dtype=object)
        by_unit[where] = words
        pace_column[rows] = by_unit[at]
    return flags.with_pace(pace_column)


def pace_text(flag: Flag) -> str:
    """A flag's pace as a table or CSV shows it: "chưa đủ số liệu" where a pace could be given but is not."""
    if flag.pace:
        return flag.pace
    return NOT_ENOUGH if flag.metric in METRICS else ""


def pace_texts(flags: Flags) -> np.ndarray:
    """`pace_text` of every flag, as a column."""
    pace, metric = flags.column("pace"), flags.column("metric")
    out = np.full(len(pace), "", dtype=object)
    out[np.isin(metric, METRICS)] = NOT_ENOUGH
    given = pd.notna(pace) & (pace != "")
    out[given] = pace[given]
    return out
