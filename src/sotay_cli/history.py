"""Each organisation's figures of each period, kept in one SQLite file so that reports can speak of progress.

A run is keyed by the organisation (its root unit's id) and the period: computing a period again replaces that
organisation's rows of it and nothing else. The schema's version is SQLite's `user_version`. A file is created
or migrated inside one immediate transaction (two first runs at once both keep their period), read without
ever being written, and refused, untouched, when it is damaged or another program's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd

from .metrics import COUNTS, RATES
from .periods import Period, parse_period

SCHEMA_VERSION = 3
ENV_PATH = "SOTAY_HISTORY"  # overrides every other setting (tests, scripts)
SAMPLE_NAME = "lich-su-mau.sqlite"  # the sample's runs, beside the user's history and never in it
BUSY_SECONDS = 30.0  # how long to wait for another sotay writing the same file

# Version 1 (sotay 0.1 drafts): figures of installed and active members only, no targets, no inputs.
SCHEMA_V1 = """
CREATE TABLE runs (period TEXT PRIMARY KEY, computed_at TEXT NOT NULL, root TEXT NOT NULL);
CREATE TABLE figures (period TEXT NOT NULL REFERENCES runs(period) ON DELETE CASCADE, unit TEXT NOT NULL,
    parent TEXT, level TEXT NOT NULL, members INTEGER NOT NULL, eligible INTEGER NOT NULL,
    installed INTEGER NOT NULL, active INTEGER NOT NULL, PRIMARY KEY (period, unit));
"""
_V1_COUNTS = ["members", "eligible", "installed", "active"]
_RUN_COLUMNS = ["period", "computed_at", "root", "kind", "start", "end", "rounding", "inputs"]


def _schema_v3() -> list[str]:
    # counts may be unknown (NULL): a figure that needs an input not given, or one older files never had
    counts = ", ".join(f'"{c}" INTEGER' for c in COUNTS)
    return [
        """CREATE TABLE runs (org TEXT NOT NULL, period TEXT NOT NULL, computed_at TEXT NOT NULL, root TEXT NOT NULL,
            kind TEXT, start TEXT, "end" TEXT, rounding TEXT, inputs TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (org, period))""",
        f"""CREATE TABLE figures (org TEXT NOT NULL, period TEXT NOT NULL, unit TEXT NOT NULL, label TEXT,
            parent TEXT, level TEXT NOT NULL, {counts}, PRIMARY KEY (org, period, unit),
            FOREIGN KEY (org, period) REFERENCES runs (org, period) ON DELETE CASCADE)""",
        """CREATE TABLE targets (org TEXT NOT NULL, period TEXT NOT NULL, unit TEXT NOT NULL, metric TEXT NOT NULL,
            target REAL NOT NULL, PRIMARY KEY (org, period, unit, metric),
            FOREIGN KEY (org, period) REFERENCES runs (org, period) ON DELETE CASCADE)""",
    ]


# The columns each version's tables must have: a file whose tables lack them is not sotay's.
_SHAPES = {
    1: {"runs": {"period", "computed_at", "root"}, "figures": {"period", "unit", "parent", "level", *_V1_COUNTS}},
    2: {"runs": set(_RUN_COLUMNS), "figures": {"period", "unit", "parent", "level", *_V1_COUNTS},
        "targets": {"period", "unit", "metric", "target"}},
    3: {"runs": {"org", *_RUN_COLUMNS}, "figures": {"org", "period", "unit", "label", "parent", "level", *_V1_COUNTS},
        "targets": {"org", "period", "unit", "metric", "target"}},
}


def _migrate_1_to_2(con: sqlite3.Connection) -> None:
    for column, ddl in (("kind", "TEXT"), ("start", "TEXT"), ("end", "TEXT"), ("rounding", "TEXT"),
                        ("inputs", "TEXT NOT NULL DEFAULT '[]'")):
        con.execute(f'ALTER TABLE runs ADD COLUMN "{column}" {ddl}')
    for period, in con.execute("SELECT period FROM runs").fetchall():
        try:
            p = parse_period(period)
        except ValueError:  # a period today's range refuses: kept, without its dates
            continue
        con.execute('UPDATE runs SET kind = ?, start = ?, "end" = ?, rounding = ? WHERE period = ?',
                    (p.kind, p.start.isoformat(), p.end.isoformat(), "half-up", period))
    for column in COUNTS:
        if column not in _V1_COUNTS:
            con.execute(f'ALTER TABLE figures ADD COLUMN "{column}" INTEGER')  # unknown, not zero
    con.execute("""CREATE TABLE targets (period TEXT NOT NULL REFERENCES runs(period) ON DELETE CASCADE,
        unit TEXT NOT NULL, metric TEXT NOT NULL, target REAL NOT NULL, PRIMARY KEY (period, unit, metric))""")


def _migrate_2_to_3(con: sqlite3.Connection) -> None:
    """Runs keyed by organisation and period; a version 2 run's organisation is the root it stored."""
    for table in ("targets", "figures", "runs"):
        con.execute(f"ALTER TABLE {table} RENAME TO {table}_v2")
    for ddl in _schema_v3():
        con.execute(ddl)
    runs = ", ".join(f'"{c}"' for c in _RUN_COLUMNS)
    con.execute(f"INSERT INTO runs (org, {runs}) SELECT root, {runs} FROM runs_v2")
    kept = ["unit", "parent", "level", *(c for c in COUNTS if c in _columns(con, "figures_v2"))]
    names = ", ".join(f'"{c}"' for c in kept)
    picked = ", ".join(f'f."{c}"' for c in kept)
    con.execute(f"INSERT INTO figures (org, period, {names}) SELECT r.root, f.period, {picked} "
                "FROM figures_v2 f JOIN runs_v2 r USING (period)")
    con.execute("INSERT INTO targets (org, period, unit, metric, target) SELECT r.root, t.period, t.unit, t.metric, "
                "t.target FROM targets_v2 t JOIN runs_v2 r USING (period)")
    for table in ("targets_v2", "figures_v2", "runs_v2"):
        con.execute(f"DROP TABLE {table}")


MIGRATIONS = {1: _migrate_1_to_2, 2: _migrate_2_to_3}

_START_AGAIN = ("sotay không sửa tệp này. Để bắt đầu lịch sử mới, đổi tên hoặc chuyển tệp đó đi nơi khác, "
                "hoặc khai báo đường dẫn khác ở khóa path, mục history của sotay.toml")


class HistoryError(Exception):
    """The history file cannot be used (damaged, another program's, from a newer sotay); the message says
    why and what to do, in Vietnamese."""


class HistoryUnavailable(HistoryError):
    """The history file cannot be read or written just now (read-only, busy, no permission): a command
    goes on without it and says so."""


def default_path(config=None) -> Path:
    """SOTAY_HISTORY, else `[history] path`, else the user's data folder; for the bundled sample, a file
    of its own beside that one."""
    configured = config.history.get("path") if config is not None else None
    if os.environ.get(ENV_PATH):
        path = Path(os.environ[ENV_PATH])
    elif configured:
        path = Path(configured) if Path(configured).is_absolute() else config.base / configured
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("sotay", appauthor=False)) / "lich-su.sqlite"
    return path.with_name(SAMPLE_NAME) if config is not None and config.is_sample else path


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in con.execute(f'PRAGMA table_info("{table}")')}


def _inspect(con: sqlite3.Connection, path: Path) -> int:
    """The file's schema version (0: new and empty); HistoryError when it is not a sotay history file
    or comes from a newer sotay. sqlite3.Error when it cannot be read."""
    version = con.execute("PRAGMA user_version").fetchone()[0]
    tables = {name for name, in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%'")}
    if version > SCHEMA_VERSION:
        raise HistoryError(f"tệp lịch sử {path} do phiên bản sotay mới hơn tạo (lược đồ {version}); "
                           "hãy cập nhật sotay.")
    if version == 0:
        if not tables:
            return 0
        if tables == set(_SHAPES[1]):  # a first run stopped between creating and numbering it
            version = 1
        else:
            raise HistoryError(f"{path} không phải tệp lịch sử của sotay (có bảng {', '.join(sorted(tables))}); "
                               + _START_AGAIN + ".")
    for table, needed in _SHAPES[version].items():
        missing = needed - _columns(con, table)
        if missing:
            what = f"bảng {table} thiếu cột {', '.join(sorted(missing))}" if table in tables else f"không có bảng {table}"
            raise HistoryError(f"{path} không phải tệp lịch sử của sotay ({what}); " + _START_AGAIN + ".")
    return version


def _upgrade(con: sqlite3.Connection, version: int) -> None:
    """Create (version 0) or migrate to the current schema; inside the caller's transaction."""
    if version == 0:
        for ddl in _schema_v3():
            con.execute(ddl)
        version = SCHEMA_VERSION
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](con)
        version += 1
    for column in COUNTS:  # a count sotay learnt after the file was made: unknown for the older runs
        if column not in _columns(con, "figures"):
            con.execute(f'ALTER TABLE figures ADD COLUMN "{column}" INTEGER')
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _current(con: sqlite3.Connection, version: int) -> bool:
    return version == SCHEMA_VERSION and set(COUNTS) <= _columns(con, "figures")


@contextlib.contextmanager
def _transaction(con: sqlite3.Connection, mode: str = "DEFERRED"):
    """One transaction, its reads seeing one state of the file; IMMEDIATE waits for the write lock first."""
    con.execute(f"BEGIN {mode}")
    try:
        yield
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _refusal(exc: sqlite3.Error, path: Path) -> HistoryError:
    """What an SQLite error means for the user: a damaged file (stop), or one that cannot be used now."""
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in str(exc):
        return HistoryError(f"tệp lịch sử {path} bị hỏng hoặc không phải tệp SQLite; " + _START_AGAIN + ".")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return HistoryUnavailable(f"tệp lịch sử {path} đang bận (một lệnh sotay khác đang ghi)")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return HistoryUnavailable(f"không ghi được vào tệp lịch sử {path} (tệp hoặc thư mục chỉ đọc, "
                                  "hoặc không có quyền)")
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        return HistoryUnavailable(f"không ghi được vào tệp lịch sử {path} (ổ đĩa đầy hoặc lỗi đọc ghi)")
    return HistoryError(f"không dùng được tệp lịch sử {path} ({exc}).")


def open_history(path: Path) -> sqlite3.Connection:
    """Open the history file for writing, created or migrated first, in one transaction that waits for
    another sotay doing the same. HistoryUnavailable when it cannot be written; HistoryError when it is
    damaged, another program's or a newer sotay's (the file is then left exactly as it was)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HistoryUnavailable(f"không tạo được thư mục {path.parent} cho tệp lịch sử ({exc.strerror})") from exc
    return _prepared(path, lambda: sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None), True)


def read_history(path: Path) -> sqlite3.Connection | None:
    """The history file opened read-only at the current schema, or None when there is none yet. An older
    file is migrated in a copy in memory; the file itself is never written."""
    if not path.exists():
        return None
    uri = f"{path.resolve().as_uri()}?mode=ro"
    return _prepared(path, lambda: sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS, isolation_level=None), False)


def _prepared(path: Path, connect, writable: bool) -> sqlite3.Connection:
    """Connect, check the file is sotay's, and bring it to the current schema: in place under the write
    lock when `writable`, else in a copy in memory."""
    con = None
    try:
        con = connect()
        con.execute("PRAGMA foreign_keys = ON")
        with _transaction(con):  # one state of the file for every look at it
            current = _current(con, _inspect(con, path))
        if not current:
            if not writable:
                memory = sqlite3.connect(":memory:", isolation_level=None)
                con.backup(memory)
                con.close()
                con = memory
            with _transaction(con, "IMMEDIATE"):
                _upgrade(con, _inspect(con, path))  # looked at again under the lock: another may have done it
        return con
    except (sqlite3.Error, HistoryError) as exc:
        if con is not None:
            con.close()
        if isinstance(exc, HistoryError):
            raise
        raise _refusal(exc, path) from exc


def file_digest(path: str) -> dict:
    """The file's name and sha256: as computed while it was read for the analysis (readers.digest), else
    read again in blocks (a file not read by this process)."""
    if path == "-":
        return {"name": "-", "sha256": None}
    from .ingest.readers import digest

    known = digest(path)
    if known is None:
        with open(path, "rb") as f:
            known = hashlib.file_digest(f, "sha256").hexdigest()
    return {"name": Path(path).name, "sha256": known}


def _values(column: pd.Series) -> list:
    """A column as Python values for SQLite, None where unknown (NaN, NA)."""
    if column.dtype != object and not column.isna().any():
        return column.tolist()
    return column.astype(object).where(column.notna(), None).tolist()


def _pk_order(units: list[str]) -> np.ndarray:
    """Positions of `units` in the order of the tables' primary keys (SQLite compares TEXT as UTF-8
    bytes, which orders as Python compares str): inserting in key order keeps SQLite's B-tree appends
    local, a quarter faster for a province's 55,000 rows."""
    return np.asarray(sorted(range(len(units)), key=units.__getitem__), dtype=np.int64)


def store(con: sqlite3.Connection, analysis) -> bool:
    """Keep `analysis`'s figures and targets under its organisation and period, in one transaction; True
    when that organisation's run of the period was there already (replaced). Other runs are untouched.

    Rows go in from whole columns (no Python object per row but SQLite's own tuple), in key order; a run
    stored before is rewritten in place."""
    p, org = analysis.period, analysis.root
    inputs = [{"kind": kind, **file_digest(path)} for kind, path in analysis.inputs.items()]
    order = _pk_order(analysis.figures.index.astype(str).tolist())
    f = analysis.figures.iloc[order]
    units = f.index.astype(str).tolist()
    columns = {"unit": units, "label": _values(f["label"]) if "label" in f else [None] * len(f),
               "parent": _values(f["parent"]), "level": f["level"].astype(str).tolist()}
    columns |= {c: _values(f[c].astype("Int64")) for c in COUNTS if c in f}
    # targets, unit x metric, row by row in key order (unit, then metric), NaN (no target) left out
    t = analysis.targets
    t = t.iloc[order] if t.index.equals(analysis.figures.index) else t.iloc[_pk_order(t.index.astype(str).tolist())]
    t = t[sorted(t.columns)]
    values = t.to_numpy(dtype="float64")
    at, metric = np.nonzero(~np.isnan(values))
    targets = (np.asarray(t.index.astype(str), dtype=object)[at].tolist(),
               np.asarray(t.columns, dtype=object)[metric].tolist(), values[at, metric].tolist())
    root = f.loc[org, "label"] if "label" in f else org
    con.execute("PRAGMA cache_size = -65536")  # up to 64 MB of pages: a province's rows replaced in memory
    run = {"org": org, "period": p.label, "computed_at": dt.datetime.now().isoformat(timespec="seconds"),
           "root": str(root), "kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat(),
           "rounding": analysis.rounding, "inputs": json.dumps(inputs, ensure_ascii=False)}

    def rows(table: str):
        return zip(repeat(org), repeat(p.label), *(columns.values() if table == "figures" else targets))

    tables = {"figures": (["org", "period", *columns], ("org", "period", "unit"), len(units)),
              "targets": (["org", "period", "unit", "metric", "target"], ("org", "period", "unit", "metric"),
                          len(targets[0]))}
    with _transaction(con, "IMMEDIATE"):
        replaced = con.execute("SELECT 1 FROM runs WHERE org = ? AND period = ?", (org, p.label)).fetchone() is not None
        _upsert(con, "runs", list(run), [tuple(run.values())], ("org", "period"))
        for table, (names, keys, n) in tables.items():
            # the rows of a run stored before are rewritten in place: half the work of deleting and adding them
            _upsert(con, table, names, rows(table), keys)
            stored = con.execute(f"SELECT COUNT(*) FROM {table} WHERE org = ? AND period = ?", (org, p.label))
            if stored.fetchone()[0] != n:  # units gone since then: this run's rows written anew
                con.execute(f"DELETE FROM {table} WHERE org = ? AND period = ?", (org, p.label))
                _upsert(con, table, names, rows(table), keys)
    return replaced


def _upsert(con: sqlite3.Connection, table: str, names: list[str], rows, keys: tuple[str, ...]) -> None:
    """INSERT `rows`; a row whose key is there already is rewritten in place, every other column set as a new
    row would have it (a column not given goes back to its default)."""
    others = [c for c in _columns(con, table) if c not in keys]
    quoted = ", ".join(f'"{c}"' for c in names)
    update = ", ".join(f'"{c}" = excluded."{c}"' for c in others)
    con.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(names))}) "
                    f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {update}", rows)


def save(path: Path, analysis) -> bool:
    """Open (create, migrate) the file at `path` and store `analysis` in it; True when it replaced the
    organisation's earlier run of the period. HistoryUnavailable or HistoryError as `open_history`."""
    return _on(open_history(path), path, store, analysis)


def organisations(con: sqlite3.Connection) -> list[str]:
    return [org for org, in con.execute("SELECT DISTINCT org FROM runs ORDER BY org")]


def periods(con: sqlite3.Connection, org: str | None = None) -> pd.DataFrame:
    """The stored runs (of `org`, or of every organisation), oldest first."""
    sql = ('SELECT org, period, kind, start, "end", root, computed_at, rounding, inputs, '
           "(SELECT COUNT(*) FROM figures f WHERE f.org = r.org AND f.period = r.period) AS units FROM runs r"
           + (" WHERE org = ?" if org is not None else "") + " ORDER BY org, start, kind")
    return pd.read_sql_query(sql, con, params=[org] if org is not None else [])


def figures(con: sqlite3.Connection, org: str | None = None, kind: str | None = None,
            unit: str | None = None) -> pd.DataFrame:
    """Stored figures (one row per organisation, period and unit) with their rates recomputed from the
    counts. `unit` matches a unit's id or its label."""
    given = {c: v for c, v in {"f.org = ?": org, "r.kind = ?": kind, "(f.unit = ? OR f.label = ?)": unit}.items()
             if v is not None}
    sql = ("SELECT f.*, r.kind, r.start FROM figures f JOIN runs r USING (org, period)"
           + (" WHERE " + " AND ".join(given) if given else "") + " ORDER BY f.org, r.start, f.unit")
    args = [v for clause, v in given.items() for _ in range(clause.count("?"))]
    return _with_rates(pd.read_sql_query(sql, con, params=args))


def _with_rates(frame: pd.DataFrame, counts: list[str] = COUNTS) -> pd.DataFrame:
    for column in counts:
        if column not in frame:
            frame[column] = float("nan")
    for rate, (num, den) in RATES.items():
        frame[rate] = (frame[num] / frame[den].where(frame[den] > 0)).astype("float64")
    return frame


@dataclass
class Comparison:
    """A period's figures beside those of the period before and of the same period a year before."""

    previous: Period | None
    year_before: Period | None
    previous_rates: pd.DataFrame  # unit x rate, NaN where unknown
    year_rates: pd.DataFrame
    series: pd.DataFrame  # the organisation's periods of this kind up to this one: SERIES_COLUMNS and rates

    def change(self, figures: pd.DataFrame, against: str = "previous") -> pd.DataFrame:
        before = self.previous_rates if against == "previous" else self.year_rates
        return figures[list(RATES)] - before.reindex(figures.index)[list(RATES)]


# what a comparison keeps of each stored period: enough to give its rates (forecasts, charts, changes)
SERIES_COUNTS = list(dict.fromkeys(c for pair in RATES.values() for c in pair))
SERIES_COLUMNS = ["org", "period", "unit", *SERIES_COUNTS, "kind", "start"]


def current_rows(analysis) -> pd.DataFrame:
    """`analysis`'s figures shaped as the stored ones of a comparison (`SERIES_COLUMNS` and the rates)."""
    f, p = analysis.figures, analysis.period
    rows = pd.DataFrame({"org": analysis.root, "period": p.label, "unit": f.index.astype(str)})
    for column in SERIES_COUNTS:
        rows[column] = f[column].to_numpy() if column in f else float("nan")
    return _with_rates(rows.assign(kind=p.kind, start=p.start.isoformat()), SERIES_COUNTS)


def _stored_series(con: sqlite3.Connection, org: str, period: Period) -> pd.DataFrame:
    """The organisation's stored periods of `period`'s kind up to it, the same period left out (this run
    stands for it): only the columns a comparison needs, filtered by SQLite."""
    columns = ", ".join(f'f."{c}"' for c in ["org", "period", "unit", *SERIES_COUNTS])
    sql = (f"SELECT {columns}, r.kind, r.start FROM figures f JOIN runs r USING (org, period) "
           "WHERE f.org = ? AND r.kind = ? AND r.start <= ? AND f.period <> ? ORDER BY f.org, r.start, f.unit")
    stored = pd.read_sql_query(sql, con, params=[org, period.kind, period.start.isoformat(), period.label])
    return _with_rates(stored, SERIES_COUNTS)


def compare(con: sqlite3.Connection | None, analysis) -> Comparison:
    """`analysis` beside the periods stored for its organisation (none when `con` is None); a run of the
    same period stored before is left out, this one standing for it."""
    period = analysis.period
    series = current_rows(analysis)
    if con is not None:
        stored = _stored_series(con, analysis.root, period)
        if not stored.empty:
            series = pd.concat([stored, series], ignore_index=True)
    labels = set(series["period"].unique())  # a few labels; iterating 40,000 Arrow strings costs 50 ms

    def rates(p: Period) -> pd.DataFrame:
        # ids as Python strings, as the figures' index holds them: every lookup in an index of Arrow strings
        # converts all of it first (a country's changes looked up 380,000 ids that way, twice)
        part = series[series["period"] == p.label]
        return part[list(RATES)].set_axis(pd.Index(part["unit"].to_numpy(dtype=object), dtype=object, name="unit"))

    prev, year = period.previous(), period.year_before()
    return Comparison(prev if prev.label in labels else None, year if year.label in labels else None,
                      rates(prev), rates(year), series)


def read_comparison(path: Path, analysis) -> Comparison:
    """`compare` against the file at `path`, read only; HistoryUnavailable or HistoryError as `read_history`."""
    return _on(read_history(path), path, compare, analysis)


def _on(con: sqlite3.Connection | None, path: Path, work, analysis):
    """`work(con, analysis)`, a database error refused as about the file at `path`, `con` closed after."""
    try:
        return work(con, analysis)
    except sqlite3.Error as exc:
        raise _refusal(exc, path) from exc
    finally:
        if con is not None:
            con.close()
