"""Each organisation's figures of each period, kept in one SQLite file so that reports can speak of progress.

A run is keyed by the organisation (its root unit's id) and the period: computing a period again replaces that
organisation's rows of it and nothing else. The schema's version is SQLite's `user_version`. A file is created
or migrated inside one immediate transaction (two first runs at once both keep their period), read without
ever being written, and refused, untouched, when it is damaged or another program's.

Since version 4 a run's figures are one row of `figures` holding three Arrow IPC files (zstd-compressed):
`data`, its units' ids (in id order) and counts, all a comparison reads; `labels`, the same units' labels,
parents and levels, in the same order; `targets`, the units that have one, each metric a column. A
province's month is 0.4 MB instead of 16 MB of rows, stored or read in a few milliseconds: no Python object
per row on either side. Any Arrow reader opens them (`pyarrow.ipc.open_file(blob).read_all()`); `figures`
and `targets` below give them as rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import fmt
from .ingest.values import positions
from .metrics import COUNTS, RATES, STOCK_RATES
from .periods import Period, parse_period

SCHEMA_VERSION = 4
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


def _schema_v4() -> list[str]:
    return [_schema_v3()[0],  # runs as in version 3
            """CREATE TABLE figures (org TEXT NOT NULL, period TEXT NOT NULL, units INTEGER NOT NULL,
            data BLOB NOT NULL, labels BLOB NOT NULL, targets BLOB NOT NULL, PRIMARY KEY (org, period),
            FOREIGN KEY (org, period) REFERENCES runs (org, period) ON DELETE CASCADE)"""]


# The columns each version's tables must have: a file whose tables lack them is not sotay's.
_SHAPES = {
    1: {"runs": {"period", "computed_at", "root"}, "figures": {"period", "unit", "parent", "level", *_V1_COUNTS}},
    2: {"runs": set(_RUN_COLUMNS), "figures": {"period", "unit", "parent", "level", *_V1_COUNTS},
        "targets": {"period", "unit", "metric", "target"}},
    3: {"runs": {"org", *_RUN_COLUMNS}, "figures": {"org", "period", "unit", "label", "parent", "level", *_V1_COUNTS},
        "targets": {"org", "period", "unit", "metric", "target"}},
    4: {"runs": {"org", *_RUN_COLUMNS}, "figures": {"org", "period", "units", "data", "labels", "targets"}},
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


def _migrate_3_to_4(con: sqlite3.Connection) -> None:
    for table in ("targets", "figures"):
        con.execute(f"ALTER TABLE {table} RENAME TO {table}_v3")
    con.execute(_schema_v4()[1])
    _convert_v3(con, "figures_v3", "targets_v3")
    for table in ("targets_v3", "figures_v3"):
        con.execute(f"DROP TABLE {table}")


def _convert_v3(con: sqlite3.Connection, figures: str, targets: str) -> None:
    """Each run's version 3 rows, in the tables named `figures` and `targets`, become its three Arrow blobs
    in the version 4 table figures: nothing left out, a count the file never had null (unknown)."""
    for org, period in con.execute("SELECT org, period FROM runs").fetchall():
        f = pd.read_sql_query(f"SELECT * FROM {figures} WHERE org = ? AND period = ? ORDER BY unit", con,
                              params=[org, period])
        long = pd.read_sql_query(f"SELECT unit, metric, target FROM {targets} WHERE org = ? AND period = ?", con,
                                 params=[org, period])
        wide = long.pivot(index="unit", columns="metric", values="target")
        data = _figures_table(f["unit"], f["label"], f["parent"], f["level"], {c: f[c] for c in COUNTS if c in f})
        _insert(con, org, period, data, _targets_table(wide))


MIGRATIONS = {1: _migrate_1_to_2, 2: _migrate_2_to_3, 3: _migrate_3_to_4}

_START_AGAIN = ("sotay không sửa tệp này. Để bắt đầu lịch sử mới, đổi tên hoặc chuyển tệp đó đi nơi khác, "
                "hoặc khai báo đường dẫn khác ở khóa path, mục history của sotay.toml")


class HistoryError(Exception):
    """The history file cannot be used (damaged, another program's, from a newer sotay); the message says
    why and what to do, in Vietnamese."""


class HistoryUnavailable(HistoryError):
    """The history file cannot be read or written just now (read-only, busy, no permission): a command
    goes on without it and says so."""


class NoMembers(HistoryUnavailable):
    """A roster with no member counted (empty, unreadable columns): its zeros never replace a stored period."""


class FullerRunKept(HistoryUnavailable):
    """The period is stored already with figures taken to a later day (the whole month, say): figures taken
    to an earlier day (`--period 2026-06-16`) never replace them."""


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
        for ddl in _schema_v4():
            con.execute(ddl)
        version = SCHEMA_VERSION
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](con)
        version += 1
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _current(con: sqlite3.Connection, version: int) -> bool:
    return version == SCHEMA_VERSION


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
    file is migrated into memory (a version 3 file's runs read from it, not copied first); the file itself is
    never written."""
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
            version = _inspect(con, path)
            current = _current(con, version)
        if not current:
            if not writable:
                memory = sqlite3.connect("file::memory:", uri=True, isolation_level=None)
                if version == 3:  # a country's 1.4 GB of rows not copied into memory to become 35 MB of blobs
                    con.close()
                    con = memory
                    if _converted_v3(memory, path):
                        return memory
                    memory.close()  # migrated meanwhile by another sotay: read as it is now
                    return _prepared(path, connect, writable)
                con.backup(memory)
                con.close()
                con = memory
            with _transaction(con, "IMMEDIATE"):
                version = _inspect(con, path)  # looked at again under the lock: another may have done it
                _upgrade(con, version)
            if writable and 0 < version < SCHEMA_VERSION:
                _compact(con)
        return con
    except (sqlite3.Error, HistoryError) as exc:
        if con is not None:
            con.close()
        if isinstance(exc, HistoryError):
            raise
        raise _refusal(exc, path) from exc


def _converted_v3(memory: sqlite3.Connection, path: Path) -> bool:
    """The version 3 file at `path` (attached read-only, read in one transaction) converted into `memory` at
    the current schema; False when the file is no longer at version 3."""
    memory.execute("ATTACH DATABASE ? AS old", (f"{path.resolve().as_uri()}?mode=ro",))
    try:
        with _transaction(memory, "IMMEDIATE"):
            if memory.execute("PRAGMA old.user_version").fetchone()[0] != 3:
                return False
            for ddl in _schema_v4():
                memory.execute(ddl)
            runs = ", ".join(f'"{c}"' for c in ["org", *_RUN_COLUMNS])
            memory.execute(f"INSERT INTO runs ({runs}) SELECT {runs} FROM old.runs")
            _convert_v3(memory, "old.figures", "old.targets")
            memory.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    finally:
        memory.execute("DETACH DATABASE old")
    return True


def _compact(con: sqlite3.Connection) -> None:
    """Give back the pages a migration freed (a country's three months: 1.4 GB of rows become 10 MB of
    blobs). VACUUM rewrites the file under SQLite's journal, safe from a kill; when another sotay holds
    the file past the busy timeout, it stays as large, its free pages used by the runs stored later."""
    try:
        con.execute("VACUUM")
    except sqlite3.OperationalError:
        pass


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


# --- a run's figures and targets as Arrow blobs --------------------------------------------------------------

_CODEC = pa.ipc.IpcWriteOptions(compression="zstd")
_LABELS = ["label", "parent", "level"]  # a run's `labels`; its `data` is the unit ids and the counts


def _text(values) -> pa.Array:
    """Texts (a Series, an Index, a list) as an Arrow string array, null where missing (None, NaN, NA)."""
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # ids or levels that are not text: as their text
        return pa.array(pd.Index(values).astype(str), type=pa.string())


def _figures_table(units, labels, parents, levels, counts: dict, order: np.ndarray | None = None) -> pa.Table:
    """A run's figures, `data` and `labels` side by side: one row per unit in id order (UTF-8 bytes, as
    Python compares str; `order` when the caller sorted them already), counts unknown as null."""
    columns = {"unit": units if isinstance(units, pa.Array) else _text(units), "label": _text(labels),
               "parent": _text(parents), "level": _text(levels)}
    columns |= {c: pa.array(pd.Series(v, copy=False).astype("Int64"), type=pa.int64()) for c, v in counts.items()}
    table = pa.table(columns)
    return table.take(pc.sort_indices(table["unit"]) if order is None else order)


def _targets_table(wide: pd.DataFrame, units: pa.Array | None = None, order: np.ndarray | None = None) -> pa.Table:
    """A run's `targets`: the units with at least one target, in id order, a column per metric (sorted), null
    where the unit has none. `units` and their `order`: the figures' own, when the targets are of the same
    units in the same order."""
    wide = wide[sorted(wide.columns)]
    values = wide.to_numpy(dtype="float64")
    kept = ~np.isnan(values).all(axis=1)
    columns = {"unit": _text(wide.index) if units is None else units}
    columns |= {str(m): pa.array(values[:, i], type=pa.float64(), from_pandas=True) for i, m in enumerate(wide.columns)}
    table = pa.table(columns)
    if order is None:
        table = table.filter(kept)
        return table.take(pc.sort_indices(table["unit"]))
    return table.take(order[kept[order]])


def _encode(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema, options=_CODEC) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _decode(con: sqlite3.Connection, blob: bytes) -> pa.Table:
    """A blob read back and checked whole (offsets, UTF-8): HistoryError when it is not what sotay wrote."""
    try:
        table = pa.ipc.open_file(pa.py_buffer(blob)).read_all()
        table.validate(full=True)
        return table
    except pa.ArrowException as exc:
        path = con.execute("PRAGMA database_list").fetchone()[2]
        raise HistoryError(f"tệp lịch sử {path} bị hỏng (số liệu của một kỳ không đọc được); " + _START_AGAIN
                           + ".") from exc


def _insert(con: sqlite3.Connection, org: str, period: str, figures: pa.Table, targets: pa.Table) -> None:
    data = figures.select([c for c in figures.column_names if c not in _LABELS])
    blobs = [memoryview(_encode(t)) for t in (data, figures.select(_LABELS), targets)]
    con.execute("INSERT INTO figures (org, period, units, data, labels, targets) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (org, period) DO UPDATE SET units = excluded.units, data = excluded.data, "
                "labels = excluded.labels, targets = excluded.targets", (org, period, figures.num_rows, *blobs))


def store(con: sqlite3.Connection, analysis) -> bool:
    """Keep `analysis`'s figures and targets under its organisation and period, in one transaction; True
    when that organisation's run of the period was there already (replaced). Other runs are untouched."""
    p, org = analysis.period, analysis.root
    f, t = analysis.figures, analysis.targets
    if org in f.index and not f.at[org, "members"]:
        raise NoMembers("danh sách đảng viên không có đảng viên nào được tính")
    inputs = [{"kind": kind, **file_digest(path)} for kind, path in analysis.inputs.items()]
    units = _text(f.index)
    order = pc.sort_indices(units).to_numpy()
    data = _figures_table(units, f["label"] if "label" in f else [None] * len(f), f["parent"], f["level"],
                          {c: f[c] for c in COUNTS if c in f}, order)
    targets = _targets_table(t, units, order) if t.index.equals(f.index) else _targets_table(t)
    at = pc.index(data["unit"], org).as_py()  # a scan, not the hash table f.loc would build (5 ms)
    root = (data["label"][at].as_py() if at >= 0 else None) or org
    run = {"org": org, "period": p.label, "computed_at": dt.datetime.now().isoformat(timespec="seconds"),
           "root": root, "kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat(),
           "rounding": analysis.rounding, "inputs": json.dumps(inputs, ensure_ascii=False)}
    names = ", ".join(f'"{c}"' for c in run)
    update = ", ".join(f'"{c}" = excluded."{c}"' for c in run if c not in ("org", "period"))
    with _transaction(con, "IMMEDIATE"):
        stored = con.execute("SELECT end FROM runs WHERE org = ? AND period = ?", (org, p.label)).fetchone()
        if stored is not None and stored[0] > run["end"]:
            raise FullerRunKept(
                f"đã có số liệu kỳ {p.label} của {root} tính đến ngày {dt.date.fromisoformat(stored[0]):%d/%m/%Y}, "
                f"không thay bằng số liệu tính đến ngày {p.end:%d/%m/%Y}")
        replaced = stored is not None
        # rewritten in place, not replaced: INSERT OR REPLACE would delete the run's figures first (cascade)
        con.execute(f"INSERT INTO runs ({names}) VALUES ({', '.join('?' * len(run))}) "
                    f"ON CONFLICT (org, period) DO UPDATE SET {update}", tuple(run.values()))
        _insert(con, org, p.label, data, targets)
    return replaced


def save(path: Path, analysis) -> bool:
    """Open (create, migrate) the file at `path` and store `analysis` in it; True when it replaced the
    organisation's earlier run of the period. HistoryUnavailable or HistoryError as `open_history`."""
    return _on(open_history(path), path, store, analysis)


def organisations(con: sqlite3.Connection) -> list[str]:
    return [org for org, in con.execute("SELECT DISTINCT org FROM runs ORDER BY org")]


def periods(con: sqlite3.Connection, org: str | None = None) -> pd.DataFrame:
    """The stored runs (of `org`, or of every organisation), oldest first."""
    sql = ('SELECT org, period, kind, start, "end", root, computed_at, rounding, inputs, '
           "COALESCE((SELECT units FROM figures f WHERE f.org = r.org AND f.period = r.period), 0) AS units FROM runs r"
           + (" WHERE org = ?" if org is not None else "") + " ORDER BY org, start, kind")
    return pd.read_sql_query(sql, con, params=[org] if org is not None else [])


def _stored(con: sqlite3.Connection, blobs: list[str], where: dict, order: str = "f.org, r.start") -> list[tuple]:
    """(org, period, kind, start, table) of each stored run matching `where` (clause: value), in `order`;
    the table the columns of its `blobs` side by side."""
    read = ", ".join(f"CAST(f.{b} AS BLOB)" for b in blobs)
    sql = (f"SELECT f.org, f.period, r.kind, r.start, {read} FROM figures f JOIN runs r USING (org, period)"
           + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order}")
    runs = []
    for row in con.execute(sql, list(where.values())):
        tables = [_decode(con, blob) for blob in row[4:]]
        runs.append((*row[:4], pa.Table.from_arrays([c for t in tables for c in t.columns],
                                                    [n for t in tables for n in t.column_names])))
    return runs


def _frame(runs: list[tuple], columns: list[str], types: dict) -> pd.DataFrame:
    """The runs' tables as one frame: org, period, then `columns` (null where a run lacks one), kind, start.
    Typed as SQLite rows read by pandas would be: a count with an unknown value is float, a column never
    known is None."""
    names = ["org", "period", *columns, "kind", "start"]
    types = {"org": pa.string(), "period": pa.string(), "kind": pa.string(), "start": pa.string(), **types}
    parts = []
    for org, period, kind, start, t in runs:
        n = t.num_rows
        given = {"org": org, "period": period, "kind": kind, "start": start}
        parts.append(pa.table([pa.chunked_array([pa.repeat(pa.scalar(given[c], pa.string()), n)]) if c in given
                               else t[c] if c in t.column_names else pa.chunked_array([pa.nulls(n, types[c])])
                               for c in names], names=names))
    table = pa.concat_tables(parts) if parts else pa.table({c: pa.array([], types[c]) for c in names})
    frame = table.to_pandas()
    for c in columns:
        if len(frame) and table[c].null_count == len(frame):
            frame[c] = pd.Series([None] * len(frame), dtype=object)
    return frame


_TYPES = {"unit": pa.string(), "label": pa.string(), "parent": pa.string(), "level": pa.string(),
          **{c: pa.int64() for c in COUNTS}}


def figures(con: sqlite3.Connection, org: str | None = None, kind: str | None = None,
            unit: str | None = None) -> pd.DataFrame:
    """Stored figures (one row per organisation, period and unit) with their rates recomputed from the
    counts. `unit` matches a unit's id or its label."""
    runs = _stored(con, ["data", "labels"],
                   {c: v for c, v in {"f.org = ?": org, "r.kind = ?": kind}.items() if v is not None})
    if unit is not None:
        runs = [(*run, t.filter(pc.fill_null(pc.or_(pc.equal(t["unit"], unit), pc.equal(t["label"], unit)), False)))
                for *run, t in runs]
    frame = _frame(runs, ["unit", *_LABELS, *COUNTS], _TYPES)
    # runs of one start (a month and its quarter) interleave by unit, as SQLite's ORDER BY org, start, unit did
    frame = frame.sort_values(["org", "start", "unit"], kind="stable", ignore_index=True)
    return _with_rates(frame)


def targets(con: sqlite3.Connection, org: str | None = None) -> pd.DataFrame:
    """Stored targets, one row per organisation, period, unit and metric that has one."""
    runs = _stored(con, ["targets"], {"f.org = ?": org} if org is not None else {}, "f.org, r.start, r.kind")
    parts = [pd.DataFrame({"org": o, "period": p, **t.to_pandas().melt(id_vars="unit", var_name="metric",
                                                                       value_name="target").dropna()})
             for o, p, _, _, t in runs if t.num_rows]
    return (pd.concat(parts, ignore_index=True) if parts
            else pd.DataFrame(columns=["org", "period", "unit", "metric", "target"]))


def _with_rates(frame: pd.DataFrame, counts: list[str] = COUNTS) -> pd.DataFrame:
    for column in counts:
        if column not in frame:
            frame[column] = float("nan")
    # in NumPy: pandas' division, where and astype of each rate cost a province's comparison a third of its time
    as_float = {c: frame[c].to_numpy(dtype="float64", na_value=np.nan) for c in dict.fromkeys(sum(RATES.values(), ()))}
    with np.errstate(invalid="ignore"):
        for rate, (num, den) in RATES.items():
            frame[rate] = as_float[num] / np.where(as_float[den] > 0, as_float[den], np.nan)
    return frame


@dataclass
class Comparison:
    """A period's figures beside those of the period before and of the same period a year before."""

    previous: Period | None
    year_before: Period | None
    previous_rates: pd.DataFrame  # unit x rate, NaN where unknown
    year_rates: pd.DataFrame
    series: pd.DataFrame  # the organisation's periods of this kind up to this one: SERIES_COLUMNS and rates
    # figures taken to a day before the period's end: use and meetings over half a month are no change from
    # a whole month's; only the rate installed (as at a day) compares
    cut_short: bool = False

    def change(self, figures: pd.DataFrame, against: str = "previous", shown: str | None = None) -> pd.DataFrame:
        """The rates of `figures` less those of the period before (or of the year before), unknown (NaN) for
        the rates over the period when it is cut short. With `shown` (the rounding rule), the change as
        documents show it: between the rates as rounded there (fmt.shown_change)."""
        before = (self.previous_rates if against == "previous" else self.year_rates).reindex(figures.index)
        if shown is None:
            out = figures[list(RATES)] - before[list(RATES)]
        else:
            out = pd.DataFrame({r: fmt.shown_change(figures[r].to_numpy(dtype="float64", na_value=np.nan),
                                                    before[r].to_numpy(dtype="float64", na_value=np.nan), shown)
                                for r in RATES}, index=figures.index)
        if self.cut_short:
            out[[r for r in RATES if r not in STOCK_RATES]] = np.nan
        return out



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


_PERIOD_LENGTH = {"month": "+1 month", "quarter": "+3 months", "year": "+1 year"}  # SQLite date() modifiers


def _stored_series(con: sqlite3.Connection, org: str, period: Period) -> pd.DataFrame:
    """The organisation's stored periods of `period`'s kind up to it, the same period left out (this run
    stands for it): only the columns a comparison needs, the runs chosen by SQLite."""
    # a run stored to a day before its period's end (--period 2026-05-15) is no period to compare with, nor a
    # point of a trend: half a month's use beside whole months'. Left out by SQLite, never decoded (a run
    # without an end is an older file's, whole)
    whole = '(r."end" IS NULL OR r."end" >= date(r.start, ?, \'-1 day\'))'
    runs = _stored(con, ["data"], {"f.org = ?": org, "r.kind = ?": period.kind,
                                   "r.start <= ?": period.start.isoformat(), "f.period <> ?": period.label,
                                   whole: _PERIOD_LENGTH[period.kind]})
    return _with_rates(_frame(runs, ["unit", *SERIES_COUNTS], _TYPES), SERIES_COUNTS)


def compare(con: sqlite3.Connection | None, analysis) -> Comparison:
    """`analysis` beside the periods stored for its organisation (none when `con` is None); a run of the
    same period stored before is left out, this one standing for it."""
    period = analysis.period
    series = current_rows(analysis)
    if con is not None:
        stored = _stored_series(con, analysis.root, period)
        if not stored.empty:
            series = pd.concat([stored, series], ignore_index=True)
    # a run's own texts repeat on each of its rows: a category each (a country's 1.5 million rows: 96 MB -> 6 MB)
    series = series.astype({c: "category" for c in ("org", "period", "kind", "start")})
    labels = set(series["period"].unique())
    figure_ids = pd.Series(analysis.figures.index.to_numpy(dtype=object), copy=False)

    def rates(p: Period) -> pd.DataFrame:
        # ids as Python strings, as the figures' index holds them: every lookup in an index of Arrow strings
        # converts all of it first (a country's changes looked up 380,000 ids that way, twice). A unit still
        # there is given the figures' own string: a country's earlier month held 380,000 copies.
        part = series.loc[series["period"] == p.label, ["unit", *RATES]]  # not the texts a take would copy
        ids = part["unit"].to_numpy(dtype=object)
        at = positions(part["unit"], figure_ids)
        ids[at >= 0] = figure_ids.to_numpy()[at[at >= 0]]
        return part[list(RATES)].set_axis(pd.Index(ids, dtype=object, name="unit"))

    prev, year = period.previous(), period.year_before()
    return Comparison(prev if prev.label in labels else None, year if year.label in labels else None,
                      rates(prev), rates(year), series, period.cut_short)


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
