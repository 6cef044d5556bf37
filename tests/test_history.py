"""History through real SQLite files: one organisation's runs beside another's, migrations with nothing lost,
files that cannot be written or are not sotay's, two first runs at once; ranking and follow-up lists."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import sqlite3
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
from docx import Document
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import csv_text
from sotay_cli import history
from sotay_cli.analysis import analyse
from sotay_cli.cli import app
from sotay_cli.config import Config, load_config
from sotay_cli.periods import parse_period

runner = CliRunner()
SAMPLE = ["--config", "sample_data/sotay.toml"]
ROOT = "Đảng bộ xã Hoa Lộc"


@pytest.fixture(scope="module")
def june():
    return analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06"))


@pytest.fixture(scope="module")
def may():
    return analyse(load_config("sample_data/sotay.toml"), parse_period("2026-05"))


def write_org(folder: Path, root: str, installed: int) -> Path:
    """A commune of two chi bộ with the same names every commune has; `installed` of its 4 members have the
    app (all used it in June 2026). Returns its sotay.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [["Số thẻ", "Họ và tên", "Chi bộ", "Tình trạng"]]
    rows += [[f"{i}", f"Người {i}", "Chi bộ thôn 1" if i <= 2 else "Chi bộ Công an", "Đang sinh hoạt"]
             for i in range(1, 5)]
    (folder / "dv.csv").write_text(csv_text(rows), encoding="utf-8")
    usage = [["Số thẻ", "Trạng thái", "Ngày kích hoạt", "Lần truy cập gần nhất"]]
    usage += [[f"{i}", "Đã kích hoạt", "01/03/2026", "10/06/2026"] for i in range(1, installed + 1)]
    (folder / "tk.csv").write_text(csv_text(usage), encoding="utf-8")
    toml = folder / "sotay.toml"
    toml.write_text(f'[organisation]\nroot = "{root}"\n\n[inputs]\nmembers = "dv.csv"\nusage = "tk.csv"\n',
                    encoding="utf-8")
    return toml


def org_analysis(folder: Path, root: str, installed: int, period: str = "2026-06"):
    write_org(folder, root, installed)
    config = Config(path=folder / "sotay.toml", organisation={"root": root},
                    inputs={"members": str(folder / "dv.csv"), "usage": str(folder / "tk.csv")})
    return analyse(config, parse_period(period))


def rows(path: Path, sql: str, *args) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def stored(path: Path, org: str | None = None) -> pd.DataFrame:
    """Every stored figure of the file (of `org`), one row per organisation, period and unit."""
    con = history.read_history(path)
    try:
        return history.figures(con, org)
    finally:
        con.close()


def stored_targets(path: Path) -> list[tuple]:
    con = history.read_history(path)
    try:
        return sorted(history.targets(con).itertuples(index=False, name=None))
    finally:
        con.close()


def figure_rows(path: Path, columns: list[str]) -> list[tuple]:
    """The stored figures' `columns` as tuples (None where unknown), by period and unit."""
    frame = stored(path).sort_values(["period", "unit"])[columns].astype(object)
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False, name=None)]


# --- one organisation's runs beside another's -------------------------------------------------------------

def test_round_trip_and_rerun_replaces_only_that_period(tmp_path, june, may):
    path = tmp_path / "h.sqlite"
    assert history.save(path, may) is False
    assert history.save(path, june) is False
    assert history.save(path, june) is True  # re-run: replaced, said so
    assert rows(path, "PRAGMA user_version") == [(history.SCHEMA_VERSION,)]
    assert rows(path, "SELECT org, period FROM runs ORDER BY period") == [(ROOT, "2026-05"), (ROOT, "2026-06")]
    assert rows(path, "SELECT units FROM figures WHERE period = '2026-06'") == [(len(june.figures),)]
    f = stored(path)
    assert (f["period"] == "2026-06").sum() == len(june.figures)
    root = f[(f["period"] == "2026-06") & (f["unit"] == june.root)]
    assert root[["eligible", "installed", "active"]].values.tolist() == [[1920, 1687, 252]]
    inputs = rows(path, "SELECT inputs FROM runs WHERE period = '2026-06'")[0][0]
    assert "dang-vien.xlsx" in inputs and "sha256" in inputs
    assert (ROOT, "2026-06", june.root, "installed_rate", 0.95) in stored_targets(path)


def test_a_stored_run_reads_back_as_the_rows_it_was_compared_as(tmp_path, june, may):
    """What a comparison reads of a stored month is exactly that month's own rows: ids, counts, rates, types."""
    path = tmp_path / "h.sqlite"
    history.save(path, may)
    series = history.read_comparison(path, june).series
    back = series[series["period"] == may.period.label].reset_index(drop=True)
    texts = ["org", "period", "kind", "start"]  # categories in a comparison (they repeat on every row)
    assert all(isinstance(back[c].dtype, pd.CategoricalDtype) for c in texts)
    back = back.astype({c: history.current_rows(may)[c].dtype for c in texts})
    pd.testing.assert_frame_equal(back, history.current_rows(may).sort_values("unit", ignore_index=True))  # id order


def test_two_organisations_keep_the_same_period_and_a_rerun_replaces_only_its_own(tmp_path):
    path = tmp_path / "h.sqlite"
    a = org_analysis(tmp_path / "a", "Đảng bộ xã An", installed=1)
    b = org_analysis(tmp_path / "b", "Đảng bộ xã Bình", installed=3)
    assert history.save(path, a) is False
    assert history.save(path, b) is False  # another organisation's June: stored beside, not over
    assert len(stored(path, a.root)) == len(a.figures) and len(stored(path, b.root)) == len(b.figures)
    before_b = (stored(path, b.root), rows(path, "SELECT data, labels, targets FROM figures WHERE org = ?", b.root))
    a_again = org_analysis(tmp_path / "a", "Đảng bộ xã An", installed=2)
    assert history.save(path, a_again) is True
    pd.testing.assert_frame_equal(stored(path, b.root), before_b[0])
    assert rows(path, "SELECT data, labels, targets FROM figures WHERE org = ?", b.root) == before_b[1]
    mine = stored(path, a.root)
    assert mine.loc[mine["unit"] == a.root, "installed"].tolist() == [2]
    assert rows(path, "SELECT org, period FROM runs ORDER BY org") == [(a.root, "2026-06"), (b.root, "2026-06")]


def test_unknown_figures_are_stored_unknown_not_zero(tmp_path):
    folder = tmp_path / "a"
    write_org(folder, "Đảng bộ xã An", installed=1)
    config = Config(path=folder / "sotay.toml", organisation={"root": "Đảng bộ xã An"},
                    inputs={"members": str(folder / "dv.csv")})  # no usage export
    a = analyse(config, parse_period("2026-06"))
    assert "installed" in a.unknown
    history.save(tmp_path / "h.sqlite", a)
    assert set(figure_rows(tmp_path / "h.sqlite", ["installed", "active"])) == {(None, None)}
    f = stored(tmp_path / "h.sqlite")
    assert f.loc[f["unit"] == a.root, "members"].tolist() == [4]


def test_comparison_and_pace_read_only_the_current_organisation(tmp_path):
    path = tmp_path / "h.sqlite"
    for period, installed in (("2026-04", 1), ("2026-05", 2)):
        history.save(path, org_analysis(tmp_path / "b", "Đảng bộ xã Bình", installed, period))
    a = org_analysis(tmp_path / "a", "Đảng bộ xã An", installed=3)
    c = history.read_comparison(path, a)
    assert c.previous is None and c.previous_rates.empty
    assert set(c.series["org"]) == {a.root} and list(c.series["period"].unique()) == ["2026-06"]
    b = org_analysis(tmp_path / "b", "Đảng bộ xã Bình", installed=4)
    assert history.read_comparison(path, b).previous.label == "2026-05"


def test_the_current_period_stands_in_for_its_stored_run(tmp_path, june):
    path = tmp_path / "h.sqlite"
    history.save(path, june)
    c = history.read_comparison(path, june)
    assert (c.series["period"] == "2026-06").sum() == len(june.figures)  # not twice


def test_history_command_shows_the_current_organisation(tmp_path):
    a_toml = write_org(tmp_path / "a", "Đảng bộ xã An", installed=1)
    b_toml = write_org(tmp_path / "b", "Đảng bộ xã Bình", installed=3)
    for toml, periods in ((a_toml, ("2026-05", "2026-06")), (b_toml, ("2026-06",))):
        for p in periods:
            assert runner.invoke(app, ["stats", "-p", p, "-f", "csv", "-c", str(toml)]).exit_code == 0
    mine = json.loads(runner.invoke(app, ["history", "-f", "json", "-c", str(b_toml)]).stdout)
    assert [(r["org"], r["period"]) for r in mine] == [("Đảng bộ xã Bình", "2026-06")]
    chosen = json.loads(runner.invoke(app, ["history", "-f", "json", "--org", "Đảng bộ xã An", "-c", str(b_toml)]).stdout)
    assert [r["period"] for r in chosen] == ["2026-05", "2026-06"]
    unknown = runner.invoke(app, ["history", "--org", "Đảng bộ xã Khác", "-c", str(b_toml)])
    assert unknown.exit_code == 2 and "Đảng bộ xã An, Đảng bộ xã Bình" in unknown.stderr
    # no organisation configured, several stored: every one listed, each row saying whose it is
    plain = tmp_path / "plain.toml"
    plain.write_text("", encoding="utf-8")
    table = runner.invoke(app, ["history", "-c", str(plain)])
    assert table.exit_code == 0 and "Tổ chức" in table.stdout
    assert "Đảng bộ xã An" in table.stdout and "Đảng bộ xã Bình" in table.stdout
    series = json.loads(runner.invoke(app, ["history", "-f", "json", "--unit", "Đảng bộ xã An", "-c", str(a_toml)]).stdout)
    assert [(r["period"], r["installed"]) for r in series] == [("2026-05", 1), ("2026-06", 1)]


def test_history_command_lists_periods_and_a_unit_series():
    for p in ("2026-05", "2026-06"):
        runner.invoke(app, ["stats", "-p", p, "-f", "csv", *SAMPLE])
    listed = runner.invoke(app, ["history", "-f", "csv", *SAMPLE])
    assert listed.exit_code == 0 and "2026-05" in listed.stdout and "2026-06" in listed.stdout
    records = json.loads(runner.invoke(app, ["history", "--unit", ROOT, "-f", "json", *SAMPLE]).stdout)
    assert [r["period"] for r in records] == ["2026-05", "2026-06"] and records[-1]["installed"] == 1687
    missing = runner.invoke(app, ["history", "--unit", "Không có", *SAMPLE])
    assert missing.exit_code == 2


def test_the_sample_keeps_its_runs_apart(tmp_path, monkeypatch, history_in_tmp):
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("SOTAY_HISTORY", str(user / "lich-su.sqlite"))
    assert history.default_path(Config(is_sample=True)) == user / history.SAMPLE_NAME
    assert history.default_path(Config()) == user / "lich-su.sqlite"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # no sotay.toml, no input: the bundled sample
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert not (user / "lich-su.sqlite").exists()
    assert rows(user / history.SAMPLE_NAME, "SELECT org, period FROM runs") == [(ROOT, "2026-06")]


# --- migrations ----------------------------------------------------------------------------------------------

SCHEMA_V2 = """
CREATE TABLE runs (period TEXT PRIMARY KEY, computed_at TEXT NOT NULL, root TEXT NOT NULL, kind TEXT, start TEXT,
    "end" TEXT, rounding TEXT, inputs TEXT NOT NULL DEFAULT '[]');
CREATE TABLE figures (period TEXT NOT NULL REFERENCES runs(period) ON DELETE CASCADE, unit TEXT NOT NULL,
    parent TEXT, level TEXT NOT NULL, members INTEGER NOT NULL, exempt INTEGER NOT NULL DEFAULT 0,
    eligible INTEGER NOT NULL, installed INTEGER NOT NULL, active INTEGER NOT NULL,
    regular_meetings INTEGER NOT NULL DEFAULT 0, thematic_meetings INTEGER NOT NULL DEFAULT 0,
    present INTEGER NOT NULL DEFAULT 0, expected INTEGER NOT NULL DEFAULT 0, chi_bo INTEGER NOT NULL DEFAULT 0,
    chi_bo_in_target INTEGER NOT NULL DEFAULT 0, chi_bo_met INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (period, unit));
CREATE TABLE targets (period TEXT NOT NULL REFERENCES runs(period) ON DELETE CASCADE, unit TEXT NOT NULL,
    metric TEXT NOT NULL, target REAL NOT NULL, PRIMARY KEY (period, unit, metric));
PRAGMA user_version = 2;
"""
V2_COUNTS = ["members", "exempt", "eligible", "installed", "active", "regular_meetings", "thematic_meetings",
             "present", "expected", "chi_bo", "chi_bo_in_target", "chi_bo_met"]


def make_v1(path: Path, version: int = 1) -> None:
    con = sqlite3.connect(path)
    con.executescript(history.SCHEMA_V1)
    con.execute(f"PRAGMA user_version = {version}")
    con.execute("INSERT INTO runs VALUES ('2026-04', '2026-05-01T08:00:00', ?)", (ROOT,))
    con.execute("INSERT INTO runs VALUES ('2026-05', '2026-06-01T08:00:00', ?)", (ROOT,))
    for period, installed in (("2026-04", 1500), ("2026-05", 1600)):
        con.execute("INSERT INTO figures VALUES (?, ?, NULL, 'xa', 1980, 1920, ?, 300)", (period, ROOT, installed))
        con.execute("INSERT INTO figures VALUES (?, 'Chi bộ thôn 1', ?, 'chi_bo', 40, 38, 30, 5)", (period, ROOT))
    con.commit()
    con.close()


def make_v2(path: Path) -> list[tuple]:
    """Two periods of two units with every count, targets and inputs; returns the figures rows."""
    con = sqlite3.connect(path)
    con.executescript(SCHEMA_V2)
    figures = []
    for i, period in enumerate(("2026-05", "2026-06")):
        con.execute("INSERT INTO runs VALUES (?, ?, ?, 'month', ?, ?, 'truncate', ?)",
                    (period, f"2026-0{6 + i}-02T09:00:00", ROOT, f"{period}-01", f"{period}-{31 - i}",  # month ends
                     json.dumps([{"kind": "members", "name": "dv.xlsx", "sha256": "ab"}])))
        for unit, parent, level in ((ROOT, None, "xa"), ("Chi bộ thôn 1", ROOT, "chi_bo")):
            row = (period, unit, parent, level, *[10 * i + k for k in range(len(V2_COUNTS))])
            con.execute(f"INSERT INTO figures VALUES ({', '.join('?' * len(row))})", row)
            figures.append(row)
            con.execute("INSERT INTO targets VALUES (?, ?, 'installed_rate', 0.95)", (period, unit))
    con.commit()
    con.close()
    return figures


def test_migration_from_schema_1_keeps_every_figure(tmp_path, june):
    path = tmp_path / "old.sqlite"
    make_v1(path)
    history.open_history(path).close()
    assert rows(path, "PRAGMA user_version") == [(history.SCHEMA_VERSION,)]
    assert rows(path, "SELECT org, period, kind, start, root FROM runs ORDER BY period") == [
        (ROOT, "2026-04", "month", "2026-04-01", ROOT), (ROOT, "2026-05", "month", "2026-05-01", ROOT)]
    assert figure_rows(path, ["org", "period", "unit", "parent", "level", "members", "eligible", "installed",
                              "active"]) == [
        (ROOT, "2026-04", "Chi bộ thôn 1", ROOT, "chi_bo", 40, 38, 30, 5),
        (ROOT, "2026-04", ROOT, None, "xa", 1980, 1920, 1500, 300),
        (ROOT, "2026-05", "Chi bộ thôn 1", ROOT, "chi_bo", 40, 38, 30, 5),
        (ROOT, "2026-05", ROOT, None, "xa", 1980, 1920, 1600, 300)]
    assert set(figure_rows(path, ["chi_bo_met"])) == {(None,)}  # never counted: unknown, not 0
    history.save(path, june)
    c = history.read_comparison(path, june)
    assert c.previous.label == "2026-05"
    assert c.previous_rates.loc[june.root, "installed_rate"] == pytest.approx(1600 / 1920)
    assert c.change(june.figures).loc[june.root, "installed_rate"] == pytest.approx(1687 / 1920 - 1600 / 1920)


def test_migration_from_schema_2_keeps_every_row(tmp_path):
    path = tmp_path / "v2.sqlite"
    figures = make_v2(path)
    runs = rows(path, "SELECT * FROM runs ORDER BY period")
    targets = rows(path, "SELECT * FROM targets ORDER BY period, unit")
    history.open_history(path).close()
    assert rows(path, "PRAGMA user_version") == [(history.SCHEMA_VERSION,)]
    names = ", ".join(history._RUN_COLUMNS).replace("end", '"end"')
    assert rows(path, f"SELECT {names} FROM runs ORDER BY period") == runs
    assert rows(path, "SELECT DISTINCT org FROM runs") == [(ROOT,)]
    assert figure_rows(path, ["period", "unit", "parent", "level", *V2_COUNTS]) == \
        sorted(figures, key=lambda r: (r[0], r[1]))
    assert [row[1:] for row in stored_targets(path)] == targets
    assert len(stored(path, ROOT)) == len(figures)
    assert rows(path, "PRAGMA foreign_key_check") == []


def test_an_older_file_is_read_without_being_written(tmp_path, june):
    path = tmp_path / "v2.sqlite"
    make_v2(path)
    before = path.read_bytes()
    c = history.read_comparison(path, june)
    assert c.previous.label == "2026-05"
    assert c.previous_rates.loc[ROOT, "installed_rate"] == 3 / 2  # installed 3 of eligible 2, as made
    june_rows = c.series[c.series["period"] == "2026-06"]
    assert len(june_rows) == len(june.figures)  # the stored June stands aside for this run's
    assert path.read_bytes() == before


BINH = "Đảng bộ xã Bình"


def make_v3(path: Path) -> tuple[list[tuple], list[tuple]]:
    """Two organisations' two months in version 3 rows, from before sotay counted chi_bo_met: unknown counts,
    a unit without label, targets of one unit. Returns the figures and targets rows (org, period, unit, ...)."""
    con = sqlite3.connect(path)
    for ddl in history._schema_v3():
        con.execute(ddl)
    con.execute("ALTER TABLE figures DROP COLUMN chi_bo_met")
    con.execute("PRAGMA user_version = 3")
    counts = [c for c in history.COUNTS if c != "chi_bo_met"]
    figures, targets = [], []
    for org in (ROOT, BINH):
        for i, period in enumerate(("2026-05", "2026-06")):
            con.execute("INSERT INTO runs VALUES (?, ?, '2026-07-01T08:00:00', ?, 'month', ?, ?, 'half-up', '[]')",
                        (org, period, org, f"{period}-01", f"{period}-28"))
            for unit, label, parent, level in ((org, org, None, "xa"), (f"{org} / Chi bộ thôn 1", None, org, "chi_bo")):
                row = (org, period, unit, label, parent, level,
                       *[None if k == 2 else 10 * i + k for k in range(len(counts))])
                con.execute(f"INSERT INTO figures (org, period, unit, label, parent, level, {', '.join(counts)}) "
                            f"VALUES ({', '.join('?' * len(row))})", row)
                figures.append((*row, None))
            for metric, target in (("active_rate", 0.9), ("installed_rate", 0.95)):
                con.execute("INSERT INTO targets VALUES (?, ?, ?, ?, ?)", (org, period, org, metric, target))
                targets.append((org, period, org, metric, target))
    con.commit()
    con.close()
    return sorted(figures, key=lambda r: (r[1], r[2])), sorted(targets)


def test_migration_from_schema_3_keeps_every_row_in_a_smaller_file(tmp_path):
    path = tmp_path / "v3.sqlite"
    figures, targets = make_v3(path)
    runs = rows(path, "SELECT * FROM runs ORDER BY org, period")
    before = path.read_bytes()
    with read_only(path):  # read through a conversion into memory, the file untouched
        assert stored_targets(path) == targets
        assert figure_rows(path, ["org", "period", "unit", "label", "parent", "level", *history.COUNTS]) == figures
    assert path.read_bytes() == before
    history.open_history(path).close()
    assert rows(path, "PRAGMA user_version") == [(4,)]
    assert rows(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") == [("figures",), ("runs",)]
    assert rows(path, "SELECT * FROM runs ORDER BY org, period") == runs
    assert figure_rows(path, ["org", "period", "unit", "label", "parent", "level", *history.COUNTS]) == figures
    assert stored_targets(path) == targets
    assert rows(path, "SELECT org, period, units FROM figures ORDER BY org, period") == [
        (org, p, 2) for org in (BINH, ROOT) for p in ("2026-05", "2026-06")]
    assert rows(path, "PRAGMA foreign_key_check") == [] and rows(path, "PRAGMA freelist_count") == [(0,)]
    plain = tmp_path / "plain.toml"
    plain.write_text("", encoding="utf-8")
    listed = runner.invoke(app, ["history", "-f", "json", "--org", BINH, "-c", str(plain)],
                           env={"SOTAY_HISTORY": str(path)})
    assert [(r["period"], r["units"]) for r in json.loads(listed.stdout)] == [("2026-05", 2), ("2026-06", 2)]


def test_a_run_is_kept_as_arrow_files_in_id_order(tmp_path, june):
    """The format the module's docstring promises: any Arrow reader opens a run's blobs."""
    path = tmp_path / "h.sqlite"
    history.save(path, june)
    data, labels, goals = (pa.ipc.open_file(pa.py_buffer(blob)).read_all().to_pandas()
                           for blob in rows(path, "SELECT data, labels, targets FROM figures")[0])
    assert list(data.columns) == ["unit", *history.COUNTS] and list(labels.columns) == ["label", "parent", "level"]
    assert data["unit"].tolist() == sorted(june.figures.index)
    root = data.set_index("unit").loc[june.root]
    assert (root["eligible"], root["installed"], root["active"]) == (1920, 1687, 252)
    expected = june.figures.loc[data["unit"], ["label", "parent", "level"]].astype(object)
    assert labels.astype(object).where(labels.notna(), None).values.tolist() == \
        expected.where(expected.notna(), None).values.tolist()
    goals = goals.set_index("unit")
    expected = june.targets.dropna(how="all")
    pd.testing.assert_frame_equal(goals.sort_index(), expected[sorted(expected.columns)].sort_index(),
                                  check_names=False, check_index_type=False)


@pytest.mark.parametrize("damage", ["substr(data, 1, 200)", "'ARROW1 ' || data"], ids=["cut", "text"])
@pytest.mark.parametrize("command", [["stats", "-p", "2026-06", "-f", "csv"], ["history", "--unit", ROOT]],
                         ids=["stats", "history-unit"])
def test_a_run_whose_blob_is_damaged_is_refused_and_left_alone(history_in_tmp, command, damage):
    assert runner.invoke(app, ["stats", "-p", "2026-05", "-f", "csv", *SAMPLE]).exit_code == 0
    con = sqlite3.connect(history_in_tmp)
    con.execute(f"UPDATE figures SET data = {damage}")
    con.commit()
    con.close()
    before = history_in_tmp.read_bytes()
    result = runner.invoke(app, [*command, *SAMPLE])
    assert result.exit_code == 2, result.output
    assert "bị hỏng" in result.stderr and "đổi tên" in result.stderr and "Traceback" not in result.output
    assert history_in_tmp.read_bytes() == before


def test_a_first_run_stopped_before_numbering_its_file_is_migrated(tmp_path):
    path = tmp_path / "half.sqlite"
    make_v1(path, version=0)  # an older sotay stopped between creating the tables and setting the version
    history.open_history(path).close()
    assert len(stored(path)) == 4


# --- files that cannot be written, or are not sotay's ----------------------------------------------------------

@contextlib.contextmanager
def read_only(path: Path):
    """`path` made read-only for this process: chmod for a user, the immutable flag for root (whom
    permissions do not stop)."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("root, and no immutable flag here: cannot make a file read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_history_file_still_gives_the_figures(history_in_tmp):
    assert runner.invoke(app, ["stats", "-p", "2026-05", "-f", "csv", *SAMPLE]).exit_code == 0
    before = history_in_tmp.read_bytes()
    with read_only(history_in_tmp):
        result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "json", *SAMPLE])
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["total"]
    assert total["installed"] == 1687 and total["previous"]["period"] == "2026-05"  # still compared
    assert "2026-06 chưa được lưu" in result.stderr and "Traceback" not in result.output
    assert history_in_tmp.read_bytes() == before


@pytest.mark.parametrize("existing", [False, True], ids=["new-file", "existing-file"])
def test_a_read_only_history_folder_still_gives_the_figures(tmp_path, monkeypatch, existing):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "h.sqlite"
    monkeypatch.setenv("SOTAY_HISTORY", str(path))
    if existing:
        assert runner.invoke(app, ["stats", "-p", "2026-05", "-f", "csv", *SAMPLE]).exit_code == 0
    with read_only(folder):
        result = runner.invoke(app, ["flag", "-p", "2026-06", "-f", "csv", *SAMPLE])
    assert result.exit_code == 0, result.output
    assert "Chi bộ" in result.stdout and "2026-06 chưa được lưu" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == (["h.sqlite"] if existing else [])
    if existing:
        assert rows(path, "SELECT period FROM runs") == [("2026-05",)]


def damaged_schema(path: Path) -> None:
    history.open_history(path).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA writable_schema = ON")
    con.execute("UPDATE sqlite_master SET sql = 'CREATE TABLE runs (' WHERE name = 'runs'")
    con.commit()
    con.close()


def foreign(sql: str):
    def make(path: Path) -> None:
        con = sqlite3.connect(path)
        con.executescript(sql)
        con.commit()
        con.close()
    return make


BAD_FILES = {
    "not-a-database": lambda path: path.write_bytes(b"SQLite format 2\x00" + bytes(range(256)) * 16),
    "malformed-schema": damaged_schema,
    "runs-of-another-shape": foreign("CREATE TABLE runs (id INTEGER PRIMARY KEY, command TEXT); "
                                     "INSERT INTO runs VALUES (1, 'make');"),
    "runs-of-another-shape-v2": foreign("CREATE TABLE runs (id INTEGER, command TEXT); PRAGMA user_version = 2;"),
    "other-tables": foreign("CREATE TABLE contacts (name TEXT, phone TEXT); INSERT INTO contacts VALUES ('A', '1');"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
@pytest.mark.parametrize("command", [["stats", "-p", "2026-06", "-f", "csv"], ["history"],
                                     ["report", "-p", "2026-06"]], ids=["stats", "history", "report"])
def test_a_damaged_or_foreign_file_is_refused_and_left_alone(history_in_tmp, tmp_path, kind, command):
    BAD_FILES[kind](history_in_tmp)
    before = history_in_tmp.read_bytes()
    extra = ["-o", str(tmp_path / "out")] if command[0] == "report" else []
    result = runner.invoke(app, [*command, *extra, *SAMPLE])
    assert result.exit_code == 2, result.output
    assert str(history_in_tmp) in result.stderr and "đổi tên" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    assert history_in_tmp.read_bytes() == before
    assert not (tmp_path / "out").exists()


def test_a_newer_schema_is_refused(history_in_tmp):
    con = sqlite3.connect(history_in_tmp)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    with pytest.raises(history.HistoryError, match="mới hơn"):
        history.open_history(history_in_tmp)
    for command in (["stats", "-p", "2026-06"], ["history"]):
        result = runner.invoke(app, [*command, *SAMPLE])
        assert result.exit_code == 2 and "mới hơn" in result.stderr


def _store_at_once(path: str, analysis, barrier) -> None:
    barrier.wait()
    history.save(Path(path), analysis)


def test_two_first_runs_at_once_both_keep_their_period(tmp_path):
    """Processes creating one new history file at the same moment, many times: every period is kept."""
    base = org_analysis(tmp_path / "a", "Đảng bộ xã An", installed=2)
    periods = ["2026-03", "2026-04", "2026-05", "2026-06"]
    each = [dataclasses.replace(base, period=parse_period(p)) for p in periods]
    context = multiprocessing.get_context("fork")
    for round_ in range(20):
        path = tmp_path / f"round-{round_}" / "h.sqlite"
        barrier = context.Barrier(len(each))
        workers = [context.Process(target=_store_at_once, args=(str(path), a, barrier)) for a in each]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
        assert [w.exitcode for w in workers] == [0] * len(each), f"round {round_}"
        assert rows(path, "SELECT period FROM runs ORDER BY period") == [(p,) for p in periods]
        assert len(stored(path)) == len(base.figures) * len(periods)


# --- order: a command that fails stores nothing -------------------------------------------------------------

def test_a_failing_report_stores_nothing(tmp_path, history_in_tmp):
    bad = runner.invoke(app, ["report", "-p", "2026-06", "-t", "khong-co-mau", "-o", str(tmp_path), *SAMPLE])
    assert bad.exit_code == 2
    assert not history_in_tmp.exists() or rows(history_in_tmp, "SELECT COUNT(*) FROM runs") == [(0,)]
    first = runner.invoke(app, ["report", "-p", "2026-06", "-o", str(tmp_path), *SAMPLE])
    assert first.exit_code == 0, first.output
    stored = rows(history_in_tmp, "SELECT computed_at FROM runs")
    again = runner.invoke(app, ["report", "-p", "2026-06", "-o", str(tmp_path), *SAMPLE])
    assert again.exit_code == 2 and "--force" in again.stderr
    assert "Đã thay số liệu" not in again.stderr
    assert rows(history_in_tmp, "SELECT computed_at FROM runs") == stored


def test_a_rerun_says_it_replaced_the_period(history_in_tmp):
    runner.invoke(app, ["stats", "-p", "2026-05", "-f", "csv", *SAMPLE])
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "json", *SAMPLE])
    total = json.loads(result.stdout)["total"]
    assert total["previous"]["period"] == "2026-05"
    assert total["change"]["installed_rate"] == pytest.approx(total["installed_rate"] - total["previous"]["installed_rate"])
    assert "Đã thay" not in result.stderr
    again = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "csv", *SAMPLE])
    assert f"Đã thay số liệu kỳ 2026-06 của {ROOT}" in again.stderr


def test_no_history_neither_reads_nor_writes(history_in_tmp):
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-f", "csv", "--no-history", *SAMPLE])
    assert result.exit_code == 0 and not history_in_tmp.exists()


# --- periods -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,year", [("0001-01", "0001"), ("9999-12", "9999"), ("0000-01", "0000"),
                                       ("1999-Q4", "1999"), ("2101", "2101")])
def test_periods_outside_2000_2100_are_refused_in_vietnamese(text, year):
    with pytest.raises(ValueError, match=f"năm {year} nằm ngoài khoảng 2000–2100"):
        parse_period(text)
    result = runner.invoke(app, ["stats", "-p", text, *SAMPLE])
    assert result.exit_code == 2 and "nằm ngoài khoảng 2000–2100" in result.stderr
    assert "Traceback" not in result.output


def test_the_edges_of_the_range_compare_with_the_period_before(history_in_tmp):
    assert parse_period("2000-01").previous().label == "1999-12"
    assert parse_period("2100-Q4").year_before().label == "2099-Q4"
    result = runner.invoke(app, ["stats", "-p", "2000-01", "-f", "csv", *SAMPLE])
    assert result.exit_code == 0, result.output


@given(st.text(max_size=12) | st.from_regex(r"\A-?\d{1,5}(-([Qq]?\d{1,3}))?\Z"))
def test_any_period_text_is_a_period_or_a_vietnamese_reason(text):
    try:
        p = parse_period(text)
    except ValueError as exc:
        assert "kỳ" in str(exc) or "năm" in str(exc) or "tháng" in str(exc)
        return
    assert 2000 <= p.start.year <= 2100 and p.start <= p.end
    assert p.previous().end < p.start and p.year_before().kind == p.kind
    assert parse_period(p.label) == p


# --- ranking and follow-up lists -----------------------------------------------------------------------------

def test_rank_states_ties_and_orders_by_rate(june):
    from sotay_cli.ranking import rank

    table = rank(june, "installed_rate", "chi_bo")
    assert table["rank"].is_monotonic_increasing
    assert table["value"].is_monotonic_decreasing
    shown = table["value"].round(4)
    ties = table[shown.duplicated(keep=False)]
    assert ties["tied"].all() and len(ties) > 0
    assert table.loc[0, "unit"].endswith("Chi bộ thôn Bắc Sơn")


def test_followup_lists_exactly_the_members_left_to_bring(june, tmp_path):
    from sotay_cli.followup import NOT_ACTIVE, NOT_INSTALLED, followup_list
    from sotay_cli.render.followup import write_docx, write_xlsx
    from sotay_cli.metrics import Rules, member_status

    todo = followup_list(june)
    people = member_status(june.data.members.frame, june.data.usage.frame, june.period, Rules())
    expected_missing = set(people.loc[people["eligible"] & ~people["installed"], "card"])
    expected_idle = set(people.loc[people["installed"] & ~people["active"], "card"])
    assert set(todo.loc[todo["reason"] == NOT_INSTALLED, "card"]) == expected_missing
    assert set(todo.loc[todo["reason"] == NOT_ACTIVE, "card"]) == expected_idle
    assert len(expected_missing) == 1920 - 1687 and len(expected_idle) == 1687 - 252
    xlsx = write_xlsx(june, todo, tmp_path / "f.xlsx")
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames[0] == "Tổng hợp" and len(book.sheetnames) == 1 + todo["chi_bo"].nunique()
    names = [r[1] for ws in book.worksheets[1:] for r in ws.iter_rows(min_row=4, values_only=True)]
    assert sorted(names) == sorted(todo["name"])
    doc = Document(str(write_docx(june, todo, tmp_path / "f.docx")))
    greetings = [p.text for p in doc.paragraphs if p.text.startswith("Kính gửi: Đồng chí Bí thư")]
    assert len(greetings) == todo["chi_bo"].nunique()


def test_followup_masks_phones(june):
    from sotay_cli.followup import followup_list

    phones = followup_list(june, mask_phone=True)["phone"]
    assert phones.str.match(r"^\d{3}\*{4}\d{3}$").all()


def test_followup_cli_writes_both_files(tmp_path):
    result = runner.invoke(app, ["followup", "-p", "2026-06", "-o", str(tmp_path), *SAMPLE])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "2026-06" / "doi-chieu-2026-06.xlsx").exists()
    assert "1.668 đảng viên cần đôn đốc" in result.stderr


def test_report_with_history_says_the_change_and_shows_the_chart(tmp_path):
    runner.invoke(app, ["stats", "-p", "2026-05", "-f", "csv", *SAMPLE])
    result = runner.invoke(app, ["report", "-p", "2026-06", "-t", "bao-cao", "-o", str(tmp_path), *SAMPLE])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "2026-06"
    md = (folder / "bao-cao-2026-06.md").read_text(encoding="utf-8")
    assert "so với tháng 5 năm 2026" in md and "điểm phần trăm" in md
    doc = Document(str(folder / "bao-cao-2026-06.docx"))
    assert len(doc.inline_shapes) == 1  # the chart
    header = [c.text for c in doc.tables[-1].rows[0].cells]
    assert header[-2:] == ["Tăng, giảm tỷ lệ cài đặt (điểm %)", "Tăng, giảm tỷ lệ sử dụng (điểm %)"]
    sheet = openpyxl.load_workbook(folder / "phu-luc-2026-06.xlsx").worksheets[0]
    assert "Tỷ lệ cài đặt kỳ trước (%)" in [c.value for c in sheet[4]]
    assert (folder / "bieu-do-2026-06.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_figures_to_an_earlier_day_never_replace_the_whole_month(tmp_path):
    """`--period 2026-06-16` after the month was stored replaced the month's figures with the half month's
    (1.687 installed became 1.684): now it is not stored, and says so; the other way round, the month
    replaces the half month as any re-run does. `history` shows the day each period's figures run to."""
    def stats(period):
        result = runner.invoke(app, ["stats", "-p", period, "-f", "csv", *SAMPLE])
        assert result.exit_code == 0, result.output
        return result

    stats("2026-06")
    said = stats("2026-06-16").stderr
    assert ("Lịch sử: đã có số liệu kỳ 2026-06 của Đảng bộ xã Hoa Lộc tính đến ngày 30/06/2026, không thay bằng số "
            "liệu tính đến ngày 16/06/2026; số liệu kỳ 2026-06 chưa được lưu vào lịch sử.") in " ".join(said.split())
    stored = json.loads(runner.invoke(app, ["history", "-f", "json", *SAMPLE]).stdout)
    assert [(r["period"], r["end"]) for r in stored] == [("2026-06", "2026-06-30")]
    table = runner.invoke(app, ["history", *SAMPLE]).stdout
    assert "Số liệu đến ngày" in table and "30/06/2026" in table

    history.default_path(load_config("sample_data/sotay.toml")).unlink()
    stats("2026-06-16")
    assert "Đã thay" in stats("2026-06").stderr
    stored = json.loads(runner.invoke(app, ["history", "-f", "json", *SAMPLE]).stdout)
    assert [(r["period"], r["end"]) for r in stored] == [("2026-06", "2026-06-30")]


def test_a_draft_to_a_day_compares_only_the_rate_installed_and_is_named_by_its_day(tmp_path):
    """Half of June's use set against all of May's read 'giảm 11,34 điểm phần trăm'; and the draft to 15/06
    was written over the month's own files (same names)."""
    assert runner.invoke(app, ["stats", "-p", "2026-05", "-f", "csv", *SAMPLE]).exit_code == 0
    result = runner.invoke(app, ["report", "-p", "2026-06-15", "-f", "md,xlsx", "-o", str(tmp_path), *SAMPLE])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "2026-06-15").iterdir()) == [
        "bieu-do-2026-06-15.png", "cong-van-2026-06-15.md", "phu-luc-2026-06-15.xlsx"]
    text = (tmp_path / "2026-06-15" / "cong-van-2026-06-15.md").read_text(encoding="utf-8")
    compared = text.split("So với tháng 5 năm 2026, ", 1)[1].split(".", 1)[0]
    assert compared.startswith("tỷ lệ cài đặt") and "sử dụng" not in compared
    sheet = openpyxl.load_workbook(tmp_path / "2026-06-15" / "phu-luc-2026-06-15.xlsx").worksheets[0]
    headers = [c.value for c in sheet[4]]
    active_change = headers.index(next(h for h in headers if h and h.startswith("Tăng, giảm tỷ lệ sử dụng")))
    installed_change = headers.index(next(h for h in headers if h and h.startswith("Tăng, giảm tỷ lệ cài đặt")))
    rows = list(sheet.iter_rows(min_row=6, max_row=10, values_only=True))
    assert all(r[active_change] == "—" for r in rows) and all(isinstance(r[installed_change], (int, float)) for r in rows)


def test_a_run_stored_to_a_day_is_no_period_to_compare_with(tmp_path):
    """May stored to 15/05, then June: the draft said 'So với tháng 5 năm 2026, … tỷ lệ sử dụng thường xuyên
    tăng 3,18 điểm phần trăm', a whole June against half of May."""
    assert runner.invoke(app, ["stats", "-p", "2026-05-15", "-f", "csv", *SAMPLE]).exit_code == 0
    result = runner.invoke(app, ["report", "-p", "2026-06", "-f", "md", "-o", str(tmp_path), *SAMPLE])
    assert result.exit_code == 0, result.output
    assert "So với tháng 5" not in (tmp_path / "2026-06" / "cong-van-2026-06.md").read_text(encoding="utf-8")



def test_a_run_to_a_day_gives_no_pace_from_half_a_month_s_use():
    """`stats -p 2026-06-15` said 'đang giảm' for the regular use of every chi bộ: half a month's use set
    in the trend of whole months; the rate installed (a state at a day) keeps its pace."""
    for month in ("2026-04", "2026-05"):
        assert runner.invoke(app, ["stats", "-p", month, "-f", "csv", *SAMPLE]).exit_code == 0
    result = runner.invoke(app, ["stats", "-p", "2026-06-15", "-f", "json", *SAMPLE])
    flags = json.loads(result.stdout)["flags"]
    assert {f["pace"] for f in flags if f["metric"] == "active_rate"} == {None}
    assert {f["pace"] for f in flags if f["metric"] == "installed_rate"} != {None}
