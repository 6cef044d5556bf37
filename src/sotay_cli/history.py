"""Each period's figures kept in one SQLite file, so that reports can speak of progress.

A period computed again replaces its own rows and nothing else. The schema's version is SQLite's
`user_version`; `open_history` migrates older files in place, inside a transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .metrics import COUNTS, RATES
from .periods import Period, parse_period

SCHEMA_VERSION = 2
ENV_PATH = "SOTAY_HISTORY"  # overrides every other setting (tests, scripts)

# Version 1 (sotay 0.1 drafts): figures of installed and active members only, no targets, no inputs.
SCHEMA_V1 = """
CREATE TABLE runs (period TEXT PRIMARY KEY, computed_at TEXT NOT NULL, root TEXT NOT NULL);
CREATE TABLE figures (period TEXT NOT NULL REFERENCES runs(period) ON DELETE CASCADE, unit TEXT NOT NULL,
    parent TEXT, level TEXT NOT NULL, members INTEGER NOT NULL, eligible INTEGER NOT NULL,
    installed INTEGER NOT NULL, active INTEGER NOT NULL, PRIMARY KEY (period, unit));
"""
_V1_COUNTS = ["members", "eligible", "installed", "active"]


def _migrate_1_to_2(con: sqlite3.Connection) -> None:
    for column, ddl in (("kind", "TEXT"), ("start", "TEXT"), ("end", "TEXT"), ("rounding", "TEXT"),
                        ("inputs", "TEXT NOT NULL DEFAULT '[]'")):
        con.execute(f'ALTER TABLE runs ADD COLUMN "{column}" {ddl}')
    for period, in con.execute("SELECT period FROM runs").fetchall():
        p = parse_period(period)
        con.execute('UPDATE runs SET kind = ?, start = ?, "end" = ?, rounding = ? WHERE period = ?',
                    (p.kind, p.start.isoformat(), p.end.isoformat(), "half-up", period))
    for column in COUNTS:
        if column not in _V1_COUNTS:
            con.execute(f'ALTER TABLE figures ADD COLUMN "{column}" INTEGER NOT NULL DEFAULT 0')
    con.execute("""CREATE TABLE targets (period TEXT NOT NULL REFERENCES runs(period) ON DELETE CASCADE,
        unit TEXT NOT NULL, metric TEXT NOT NULL, target REAL NOT NULL, PRIMARY KEY (period, unit, metric))""")


MIGRATIONS = {1: _migrate_1_to_2}


class HistoryError(Exception):
    """The history file cannot be used; the message says why, in Vietnamese."""


def default_path(config=None) -> Path:
    if os.environ.get(ENV_PATH):
        return Path(os.environ[ENV_PATH])
    configured = (config.history.get("path") if config is not None else None)
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else config.base / path
    from platformdirs import user_data_dir

    return Path(user_data_dir("sotay", appauthor=False)) / "lich-su.sqlite"


def open_history(path: Path) -> sqlite3.Connection:
    """Open (creating or migrating) the history file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path)
        con.execute("PRAGMA foreign_keys = ON")
        version = con.execute("PRAGMA user_version").fetchone()[0]
    except (sqlite3.Error, OSError) as exc:
        raise HistoryError(f"không mở được tệp lịch sử {path}: {exc}") from exc
    if version > SCHEMA_VERSION:
        raise HistoryError(f"tệp lịch sử {path} do phiên bản sotay mới hơn tạo (lược đồ {version}); hãy cập nhật sotay.")
    with con:
        if version == 0 and not con.execute("SELECT name FROM sqlite_master WHERE name = 'runs'").fetchone():
            con.executescript("BEGIN;" + SCHEMA_V1 + "COMMIT;")
            version = 1
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](con)
            version += 1
            con.execute(f"PRAGMA user_version = {version}")
    return con


def file_digest(path: str) -> dict:
    if path == "-":
        return {"name": "-", "sha256": None}
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return {"name": Path(path).name, "sha256": digest}


def store(con: sqlite3.Connection, analysis) -> bool:
    """Keep `analysis`'s figures and targets; True when the period was there already (replaced)."""
    p = analysis.period
    inputs = [{"kind": kind, **file_digest(path)} for kind, path in analysis.inputs.items()]
    f = analysis.figures
    rows = pd.DataFrame({"period": p.label, "unit": f.index.astype(object), "parent": f["parent"].astype(object),
                         "level": f["level"].astype(object)})
    for column in COUNTS:
        rows[column] = f[column].astype("int64").to_numpy()
    targets = analysis.targets.stack().dropna().rename("target").reset_index()
    targets.columns = ["unit", "metric", "target"]
    with con:
        replaced = con.execute("DELETE FROM runs WHERE period = ?", (p.label,)).rowcount > 0
        con.execute('INSERT INTO runs (period, computed_at, root, kind, start, "end", rounding, inputs) '
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (p.label, dt.datetime.now().isoformat(timespec="seconds"), analysis.root, p.kind,
                     p.start.isoformat(), p.end.isoformat(), analysis.rounding, json.dumps(inputs, ensure_ascii=False)))
        names = ", ".join(f'"{c}"' for c in rows.columns)
        marks = ", ".join("?" for _ in rows.columns)
        values = [[v if isinstance(v, str) else None for v in rows[c]] if c == "parent" else rows[c].tolist()
                  for c in rows.columns]
        con.executemany(f"INSERT INTO figures ({names}) VALUES ({marks})", zip(*values))
        con.executemany("INSERT INTO targets (period, unit, metric, target) VALUES (?, ?, ?, ?)",
                        [(p.label, u, m, float(t)) for u, m, t in targets.itertuples(index=False, name=None)])
    return replaced


def periods(con: sqlite3.Connection) -> pd.DataFrame:
    return pd.read_sql_query('SELECT period, kind, start, "end", root, computed_at, rounding, inputs, '
                             "(SELECT COUNT(*) FROM figures f WHERE f.period = r.period) AS units "
                             "FROM runs r ORDER BY start, kind", con)


def figures(con: sqlite3.Connection, kind: str | None = None, unit: str | None = None) -> pd.DataFrame:
    """Stored figures (one row per period and unit) with their rates recomputed from the counts."""
    sql = "SELECT f.*, r.kind, r.start FROM figures f JOIN runs r USING (period)"
    where, args = [], []
    if kind:
        where.append("r.kind = ?")
        args.append(kind)
    if unit:
        where.append("f.unit = ?")
        args.append(unit)
    if where:
        sql += " WHERE " + " AND ".join(where)
    frame = pd.read_sql_query(sql + " ORDER BY r.start, f.unit", con, params=args)
    for rate, (num, den) in RATES.items():
        frame[rate] = frame[num] / frame[den].where(frame[den] > 0)
    return frame


@dataclass
class Comparison:
    """A period's figures beside those of the period before and of the same period a year before."""

    previous: Period | None
    year_before: Period | None
    previous_rates: pd.DataFrame  # unit x rate, NaN where unknown
    year_rates: pd.DataFrame
    series: pd.DataFrame  # stored figures of this kind of period, up to and including this one

    def change(self, figures: pd.DataFrame, against: str = "previous") -> pd.DataFrame:
        before = self.previous_rates if against == "previous" else self.year_rates
        return figures[list(RATES)] - before.reindex(figures.index)[list(RATES)]


def compare(con: sqlite3.Connection, period: Period) -> Comparison:
    series = figures(con, kind=period.kind)
    series = series[series["start"] <= period.start.isoformat()]
    stored = set(series["period"])

    def rates(p: Period) -> pd.DataFrame:
        part = series[series["period"] == p.label].set_index("unit")
        return part[list(RATES)]

    prev, year = period.previous(), period.year_before()
    return Comparison(prev if prev.label in stored else None, year if year.label in stored else None,
                      rates(prev), rates(year), series)


def pace(series: pd.DataFrame, targets: pd.DataFrame, period: Period, metric: str, recent: int = 6) -> pd.Series:
    """Per unit below its target, the month it would reach it at its pace over the last `recent`
    monthly periods (a least-squares line through the rates), as a date (first of that month); NaT
    when it would not reach it within the year or has no upward pace. Only monthly series count."""
    s = series[(series["kind"] == "month")][["period", "unit", metric]].dropna()
    if s.empty:
        return pd.Series(dtype="datetime64[ns]")
    # months before the period's end, from the few distinct labels ("2026-05" -> -1)
    end = period.end
    offset = {p: (int(p[:4]) - end.year) * 12 + int(p[5:7]) - end.month for p in s["period"].unique()}
    s = s.assign(x=s["period"].map(offset).astype(float))
    s = s[(s["x"] <= 0) & (s["x"] > -recent)]
    g = s.groupby("unit")
    n = g.size()
    mean_x, mean_y = g["x"].mean(), g[metric].mean()
    s = s.join(mean_x.rename("mx"), on="unit").join(mean_y.rename("my"), on="unit")
    s["dx"], s["dy"] = s["x"] - s["mx"], s[metric] - s["my"]
    slope = (s["dx"] * s["dy"]).groupby(s["unit"]).sum() / (s["dx"] ** 2).groupby(s["unit"]).sum().replace(0, np.nan)
    current = s[s["x"] == 0].set_index("unit")[metric]
    goal = targets[metric].reindex(current.index)
    slope = slope.reindex(current.index)
    ok = (n.reindex(current.index) >= 2) & (slope > 0) & (current < goal)
    steps = np.ceil((goal - current) / slope)
    end = pd.Period(period.end, freq="M")
    within = ok & (steps.fillna(math.inf) <= 12 - end.month)
    month = (end.month + steps[within]).astype(int)  # still in the same year, by `within`
    reach = pd.Series(pd.NaT, index=current.index, dtype="datetime64[ns]")
    reach[within] = pd.to_datetime({"year": np.full(len(month), end.year), "month": month.to_numpy(),
                                    "day": np.ones(len(month), dtype=int)}).to_numpy()
    return reach


def annotate(analysis, con: sqlite3.Connection) -> None:
    """Give `analysis` its comparison with stored periods and its flags their pace."""
    from dataclasses import replace

    comparison = compare(con, analysis.period)
    analysis.comparison = comparison
    year = analysis.period.end.year
    never = f"với tốc độ hiện nay sẽ không đạt trong năm {year}"
    reach = {}
    for metric in ("installed_rate", "active_rate"):
        dates = pace(comparison.series, analysis.targets, analysis.period, metric).dropna()
        reach[metric] = {unit: f"dự kiến đạt vào tháng {d.month}/{d.year}" for unit, d in dates.items()}
    analysis.flags = [replace(f, pace=reach[f.metric].get(f.unit, never)) if f.metric in reach else f
                      for f in analysis.flags]
    analysis._flag_dicts = None
