"""What the speed work must not change: inputs hashed while they are read give the hash of the file,
history rows stored from whole columns are the rows of the figures, and a comparison keeps what it needs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import csv_text
from sotay_cli import history
from sotay_cli.analysis import analyse
from sotay_cli.config import load_config
from sotay_cli.ingest import readers, values
from sotay_cli.periods import parse_period


def roster(folder: Path, n: int = 40) -> Path:
    rows = [["Số thẻ", "Họ và tên", "Chi bộ", "Tình trạng"]]
    rows += [[f"{i:06d}", f"Người {i}", f"Chi bộ {i % 3}", "Đang sinh hoạt"] for i in range(n)]
    path = folder / "dv.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("arrow_from_disk", [False, True])
def test_a_file_is_hashed_as_it_is_read(tmp_path, monkeypatch, arrow_from_disk):
    if arrow_from_disk:  # the path of files above readers.LARGE, forced on a small one
        monkeypatch.setattr(readers, "LARGE", 0)
    path = roster(tmp_path)
    readers.read_grid(path)
    assert readers.digest(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(path.read_text(encoding="utf-8") + "999;Người mới;Chi bộ 1;Đang sinh hoạt\n", encoding="utf-8")
    assert readers.digest(path) is None  # changed since it was read: history reads it again
    assert history.file_digest(str(path))["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_history_stores_every_figure_and_target_of_the_run(tmp_path):
    a = analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06"))
    path = tmp_path / "h.sqlite"
    history.save(path, a)
    history.save(path, a)  # replaced, not doubled
    con = history.read_history(path)
    frame = history.figures(con)[["unit", "label", "parent", "level", *history.COUNTS]].astype(object)
    stored = {row[0]: [None if pd.isna(v) else v for v in row[1:]] for row in frame.itertuples(index=False)}
    assert len(stored) == len(a.figures)
    for unit, row in a.figures.iterrows():
        expected = [row["label"], row["parent"] if isinstance(row["parent"], str) else None, row["level"]]
        expected += [None if row[c] != row[c] else int(row[c]) for c in history.COUNTS]
        assert list(stored[unit]) == expected, unit
    targets = sorted(history.targets(con)[["unit", "metric", "target"]].itertuples(index=False, name=None))
    assert targets == sorted((u, m, t) for (u, m), t in a.targets.stack().dropna().items())
    inputs = json.loads(con.execute("SELECT inputs FROM runs").fetchone()[0])
    for item in inputs:
        file = Path(a.inputs[item["kind"]])
        assert item == {"kind": item["kind"], "name": file.name, "sha256": hashlib.sha256(file.read_bytes()).hexdigest()}


def test_a_comparison_reads_only_earlier_periods_of_its_kind(tmp_path):
    config = load_config("sample_data/sotay.toml")
    path = tmp_path / "h.sqlite"
    for label in ("2026-04", "2026-05", "2026-06", "2026-Q2"):
        history.save(path, analyse(config, parse_period(label)))
    may = analyse(config, parse_period("2026-05"))
    c = history.read_comparison(path, may)
    assert list(c.series["period"].unique()) == ["2026-04", "2026-05"]
    assert list(c.series.columns) == [*history.SERIES_COLUMNS, *history.RATES]
    assert c.previous.label == "2026-04"
    assert (c.series["period"] == "2026-05").sum() == len(may.figures)


def test_hashing_threads_end(tmp_path):
    import threading

    before = {t for t in threading.enumerate() if t.name == "sotay-sha256"}
    path = roster(tmp_path)
    readers.read_grid(path)
    readers.digest(path)
    assert {t for t in threading.enumerate() if t.name == "sotay-sha256"} <= before


DATE_PARTS = st.sampled_from(["1", "01", "5", "12", "31", "1952", "26", "69", "2026", "0", "١٢", "٢٠٢٦", "45000", " "])
DATE_TEXT = st.builds(lambda a, s1, b, s2, c, t: f"{a}{s1}{b}{s2}{c}{t}", DATE_PARTS, st.sampled_from(["/", ".", "-", " ", ""]),
                      DATE_PARTS, st.sampled_from(["/", ".", "-", ""]), DATE_PARTS,
                      st.sampled_from(["", " 10:30", "T10:30:00", " 10:30 sáng", "x"])) | st.text(max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(DATE_TEXT, min_size=1, max_size=20))
def test_dates_are_found_by_arrow_as_by_python(cells):
    """values._extract runs the date patterns in Arrow's RE2; Python's re (its \\d reading every script's
    digits) must find the same parts."""
    raw = values.text(pd.Series(cells, dtype=object))
    for pattern in (values._DMY, values._YMD):
        python = raw.astype(object).str.extract(pattern).astype(object)
        expected = python.where(python.notna(), None)
        assert values._extract(raw, pattern).to_dict("list") == expected.to_dict("list")


UNTIDY_CHARS = st.sampled_from(list("ab é\t\n\r\f\x0b\x00\x1f\x7f\ufffe\uffff\ufffd\uffbe") + ["\u00a0", "e\u0301", "\u036f", "\u0370", "Đ", "  "])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(UNTIDY_CHARS, max_size=6).map("".join), min_size=1, max_size=8), st.integers(0, 3))
def test_untidy_cells_are_found_from_the_column_bytes_as_by_the_regex(cells, cut):
    """values._untidy reads a column's UTF-8 bytes at once: exactly the regex for one cell, and for a column
    (sliced, in chunks) never a miss."""
    def regex(arr):
        return bool(pc.any(pc.match_substring_regex(arr, values._UNTIDY)).as_py()) if len(arr) else False

    for cell in cells:
        assert values._untidy(pa.array([cell])) == regex(pa.array([cell])), repr(cell)
    column = pa.array(cells, type=pa.large_string())
    for arr in (column.slice(min(cut, len(column))), pa.chunked_array([column.slice(0, 1), column.slice(1)])):
        assert values._untidy(arr) or not regex(arr)


@settings(max_examples=500, deadline=None)
@given(st.text(), st.text())
def test_a_label_with_its_parent_folds_as_its_two_names(name, parent):
    """org._labels folds each name once and joins them: the same as folding 'name (parent)'."""
    assert values.fold(f"{name} ({parent})") == (values.fold(name) + " " + values.fold(parent)).strip()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "a", "b", "Đ", None]), st.sampled_from(["x", "y", "", None]),
                          st.sampled_from(["1", "2", "3"])), max_size=25))
def test_distinct_rows_are_numbered_in_the_order_of_their_codes(rows):
    from sotay_cli.org import _distinct_rows

    columns = [pd.Series([r[i] for r in rows], dtype=object) for i in range(3)]
    inverse, distinct = _distinct_rows(columns)
    cells = [tuple("" if c is None else c for c in r) for r in rows]
    assert [distinct[i] for i in inverse] == cells
    codes = [pd.factorize(c.fillna(""))[0] for c in columns]
    keys = sorted(set(zip(*codes)))  # lexicographic in each column's order of first appearance
    assert len(distinct) == len(keys) and list(inverse) == [keys.index(k) for k in zip(*codes)]


def test_flag_objects_say_what_each_flag_says():
    """Analysis.flag_dicts writes each distinct flag's words once and copies them with its unit: every dict
    must be the flag's own fields and words with its unit's label, keys in the JSON's order."""
    from dataclasses import fields

    from sotay_cli.targets import Flag

    a = analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06"))
    labels = a.figures["label"]
    assert len(a.flags) > 1
    expected = [{"unit": f.unit, "level": f.level, "metric": f.metric, "value": f.value, "target": f.target,
                 "gap": f.gap, "gap_unit": f.gap_unit, "shortfall": f.shortfall, "pace": f.pace, "strict": f.strict,
                 "message": f.message(a.rounding), "deadline": f.deadline.isoformat() if f.deadline else None,
                 "deadline_text": f.deadline_text(), "label": labels[f.unit]} for f in a.flags]
    assert set(expected[0]) >= {f.name for f in fields(Flag)}  # a field added to Flag is written too
    assert [list(d.items()) for d in a.flag_dicts()] == [list(d.items()) for d in expected]
    # a document's units carry the same flags, unit by unit in the flags' order
    units, flags = a.unit_and_flag_dicts()
    assert flags == a.flag_dicts() and units == a.unit_dicts()
    assert [f for u in units for f in u["flags"]] == sorted(flags, key=lambda f: a.figures.index.get_loc(f["unit"]))


def test_a_run_stored_again_with_fewer_units_leaves_none_of_the_old_rows(tmp_path):
    """A run stored again is rewritten in place; units gone since must not stay behind."""
    import copy

    a = analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06"))
    fewer = copy.copy(a)
    fewer.figures = a.figures.iloc[:-2]
    fewer.targets = a.targets.loc[fewer.figures.index]
    path = tmp_path / "h.sqlite"
    assert history.save(path, a) is False
    assert history.save(path, fewer) is True
    con = history.read_history(path)
    assert set(history.figures(con)["unit"]) == set(fewer.figures.index)
    assert set(history.targets(con)["unit"]) <= set(fewer.figures.index)
    assert history.save(path, a) is True
    assert len(history.figures(con)) == len(a.figures)


CARDS = st.sampled_from(["38.300001", "38.300002", "01.000001", "99.999999", "38300002", "A1", "", "38.30000"])


@settings(max_examples=300, deadline=None)
@given(st.lists(CARDS, max_size=15), st.lists(CARDS, max_size=15), st.integers(0, 1))
def test_cards_matched_as_numbers_match_as_text(of, within, numbered):
    """values.card_numbers: two columns of cards of the usual form are matched as numbers; every answer
    is the one Arrow gives on the text."""
    import unittest.mock

    a = pd.Series(pd.array(of, dtype="string[pyarrow]"))
    b = pd.Series(pd.array(within, dtype="string[pyarrow]"))
    arr_a, arr_b = values.arrow_text(a), values.arrow_text(b)
    expect_pos = pc.fill_null(pc.index_in(arr_a, value_set=arr_b), -1).to_pylist()
    expect_in = pc.is_in(arr_a, value_set=arr_b).to_pylist()
    with unittest.mock.patch.object(values, "NUMBERED", 0 if numbered else 10**9):
        assert values.positions(a, b).tolist() == expect_pos
        assert values.isin(a, b).tolist() == expect_in
        codes, first = values.first_seen(a)
        dup = a.duplicated().to_numpy()
        assert (dup.any() and (~first == dup).all()) or (not dup.any() and first is None)
        assert len(set(codes)) == len(set(of))
