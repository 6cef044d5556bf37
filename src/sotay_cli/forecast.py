"""Forecasts only from data: when a unit below its target would reach it, at its pace over the last months.

A pace is a least-squares line through the unit's monthly rates; with fewer than three months stored none is
given, since a draft for signature must not predict from one or two points.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .periods import Period
from .targets import Flag

METRICS = ("installed_rate", "active_rate")  # the rates a pace is given for
MIN_MONTHS = 3
RECENT = 6  # months the line is drawn through, this one included
NOT_ENOUGH = "chưa đủ số liệu"
FALLING = "đang giảm"


def pace(series: pd.DataFrame, targets: pd.DataFrame, period: Period, metric: str, recent: int = RECENT) -> pd.Series:
    """Per unit below its target in `period`, in words: "dự kiến đạt vào tháng 9/2026", "đang giảm", or "với
    tốc độ hiện nay chưa đạt trong năm 2026"; None with fewer than `MIN_MONTHS` monthly periods of that unit
    among the last `recent` (this one included). `series` holds one row per period and unit."""
    s = series.loc[series["kind"] == "month", ["period", "unit", metric]].dropna()
    end = period.end
    # months before the period's end, from the few distinct labels ("2026-05" -> -1)
    offset = {p: (int(p[:4]) - end.year) * 12 + int(p[5:7]) - end.month for p in s["period"].unique()}
    s = s.assign(x=s["period"].map(offset).astype(float))
    s = s[(s["x"] <= 0) & (s["x"] > -recent)]
    current = s[s["x"] == 0].set_index("unit")[metric]
    words = pd.Series([None] * len(current), index=current.index, dtype=object)
    if current.empty or s["period"].nunique() < MIN_MONTHS:  # a unit has a row per period at most
        return words
    g = s.groupby("unit")
    dx = s["x"] - s["unit"].map(g["x"].mean())
    dy = s[metric] - s["unit"].map(g[metric].mean())
    slope = ((dx * dy).groupby(s["unit"]).sum() / (dx ** 2).groupby(s["unit"]).sum().replace(0, np.nan))
    slope = slope.reindex(current.index).fillna(0.0)
    goal = targets[metric].reindex(current.index)
    enough = (current < goal - 1e-12) & (g.size().reindex(current.index) >= MIN_MONTHS)
    month = end.month + np.ceil((goal - current) / slope.where(slope > 0) - 1e-9)
    reaching = enough & (month <= 12)
    words[enough] = f"với tốc độ hiện nay chưa đạt trong năm {end.year}"
    words[enough & (slope < 0)] = FALLING
    words[reaching] = "dự kiến đạt vào tháng " + month[reaching].astype(int).astype(str) + f"/{end.year}"
    return words


def annotate(analysis, series: pd.DataFrame) -> list[Flag]:
    """`analysis.flags` with their pace from `series` (the organisation's stored periods and this one)."""
    paced = {f.metric for f in analysis.flags} & set(METRICS)
    words = {m: pace(series, analysis.targets, analysis.period, m).dropna().to_dict() for m in paced}
    # a flag whose pace stays (none yet, as in a first month) is kept: a country has 800,000 flags
    return [f if f.metric not in words or (p := words[f.metric].get(f.unit)) == f.pace else replace(f, pace=p)
            for f in analysis.flags]


def pace_text(flag: Flag) -> str:
    """A flag's pace as a table or CSV shows it: "chưa đủ số liệu" where a pace could be given but is not."""
    if flag.pace:
        return flag.pace
    return NOT_ENOUGH if flag.metric in METRICS else ""
