"""The flags as one table, their paces joined by unit position, and the JSON written in pieces: each the same
as the object-by-object way it replaced."""

from __future__ import annotations

import datetime as dt

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sotay_cli import atomic, forecast, history
from sotay_cli.analysis import analyse
from sotay_cli.config import load_config
from sotay_cli.ingest import values
from sotay_cli.metrics import RATES
from sotay_cli.periods import parse_period
from sotay_cli.targets import GAP_UNITS, Flag, Flags, flags

INDENT = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def flags_one_by_one(figures, targets, strict=False, deadlines=None) -> list[Flag]:
    """The flags as they were found before the table: a Flag per unit and metric, sorted in Python."""
    found = []
    for metric, (num, den) in RATES.items():
        for unit, row in figures.iterrows():
            v, t = row[metric], targets.at[unit, metric]
            if pd.isna(v) or pd.isna(t):
                continue
            below = v < t - 1e-12 or (strict and t < 1 - 1e-12 and abs(v - t) <= 1e-12)
            if not below:
                continue
            need = np.ceil(t * row[den] - 1e-9) - row[num]
            if strict and t < 1 - 1e-12:
                need = np.floor(t * row[den] + 1e-9) + 1 - row[num]
            day = (deadlines or {}).get(metric)
            found.append(Flag(unit, row["level"], metric, float(v), float(t), int(max(need, 1)), GAP_UNITS[metric],
                              float(t - v), strict=strict and t < 1 - 1e-12,
                              deadline=dt.date.fromisoformat(day) if day else None))
    found.sort(key=lambda f: (-f.shortfall, -f.gap, f.unit))
    return found


# ids that Python orders differently from their first letter's ASCII order: accents, case, paths
NAMES = ["Chi bộ A", "Chi bộ a", "Chi bộ Ấp", "Chi bộ Đông", "Chi bộ Z", "Đảng bộ xã B / Chi bộ 1",
         "Đảng bộ xã B / Chi bộ 10", "Đảng bộ xã B / Chi bộ 2", "Ủy ban", "chi bộ"]
unit_rows = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 3), st.integers(0, 3),
                               st.sampled_from(["chi_bo", "co_so", "xa"]),
                               st.sampled_from([0.95, 1.0, 0.9, 0.5, np.nan])),
                     min_size=1, max_size=len(NAMES))


def figures_of(rows) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = NAMES[:len(rows)]
    eligible = np.array([r[0] for r in rows], dtype=float)
    installed = np.minimum([r[1] for r in rows], eligible)
    active = np.minimum(installed, [r[2] * 2 for r in rows])
    meetings = np.array([r[3] for r in rows], dtype=float)
    met = np.minimum(meetings, [r[2] for r in rows])
    counts = {"eligible": eligible, "installed": installed, "active": active, "expected": eligible * 2,
              "present": installed, "chi_bo_in_target": meetings, "chi_bo_met": met}
    figures = pd.DataFrame(counts, index=pd.Index(ids, dtype=object))
    for rate, (num, den) in RATES.items():
        figures[rate] = figures[num] / figures[den].where(figures[den] > 0)
    figures["level"] = [r[4] for r in rows]
    targets = pd.DataFrame({m: [r[5] for r in rows] for m in RATES}, index=figures.index)
    targets["meeting_rate"] = np.where(figures["level"] == "chi_bo", 1.0, np.nan)
    return figures, targets


@settings(max_examples=150, deadline=None)
@given(unit_rows, st.booleans(), st.sampled_from([{}, {"installed_rate": "2026-07-31"}]))
def test_the_table_holds_the_flags_found_one_by_one(rows, strict, deadlines):
    figures, targets = figures_of(rows)
    table = flags(figures, targets, strict, deadlines)
    expected = flags_one_by_one(figures, targets, strict, deadlines)
    assert list(table) == expected
    message, day, text = table.words()
    assert list(message) == [f.message() for f in expected]
    assert list(text) == [f.deadline_text() for f in expected]
    assert list(day) == [f.deadline.isoformat() if f.deadline else None for f in expected]
    assert [figures.index[i] for i in table.at] == [f.unit for f in expected]


@pytest.fixture(scope="module")
def june():
    return analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06"))


def test_a_flag_is_made_only_for_the_rows_asked(june):
    every = list(june.flags)
    assert june.flags[0] == every[0] and june.flags[-1] == every[-1]
    assert list(june.flags[2:5]) == every[2:5]
    chi_bo = june.flags.where(june.flags.column("level") == "chi_bo")
    assert list(chi_bo) == [f for f in every if f.level == "chi_bo"]
    assert list(chi_bo.words()[0]) == [f.message() for f in every if f.level == "chi_bo"]
    assert list(Flags.of(every)) == every


def test_pace_texts_are_each_flags_pace_text(june):
    paced = june.flags.with_pace(["đang giảm" if i % 3 == 0 else None for i in range(len(june.flags))])
    assert list(forecast.pace_texts(paced)) == [forecast.pace_text(f) for f in paced]
    assert {forecast.pace_text(f) for f in paced} >= {"đang giảm", forecast.NOT_ENOUGH, ""}


def test_annotate_joins_each_units_pace_to_its_flags(june):
    """Three months of a made-up history: the paces of the table are those of `forecast.pace` per unit."""
    months = []
    for back, scale in ((2, 0.8), (1, 0.9)):
        rows = history.current_rows(june).assign(period=f"2026-{6 - back:02d}")
        rows["installed_rate"] = rows["installed_rate"] * scale
        months.append(rows)
    series = pd.concat([*months, history.current_rows(june)], ignore_index=True)
    paced = forecast.annotate(june, series)
    words = forecast.pace(series, june.targets, june.period, "installed_rate")
    installed = [p for p in paced if p.metric == "installed_rate"]
    assert installed and [p.pace for p in installed] == [words.get(p.unit) for p in installed]
    assert any(p.pace for p in installed)
    assert all(p.pace is None for p in paced if p.metric not in forecast.METRICS)
    assert all(p.pace is None for p in june.flags)  # the analysis keeps its own table


@pytest.mark.parametrize("batch", [1, 2, 7, 10_000])
@pytest.mark.parametrize("level", [None, "chi_bo", "tinh"])
def test_json_in_pieces_is_the_document_written_whole(june, batch, level):
    whole = june.to_dict()
    if level is not None:
        whole["units"] = [u for u in whole["units"] if u["level"] == level]
    assert b"".join(june.json_chunks(level, batch=batch)) == orjson.dumps(whole, option=INDENT)


def test_json_in_pieces_without_flags_and_with_changes(june, tmp_path):
    """No flag at all, and a period before that lacks a unit (its `previous` and `change` null)."""
    rates = june.figures[list(RATES)].iloc[1:] * 0.9
    series = history.current_rows(june)
    june.comparison = history.Comparison(parse_period("2026-05"), None, rates, rates.iloc[:0], series)
    kept = june.flags
    try:
        june.with_flags(kept.where(np.zeros(len(kept), dtype=bool)))
        text = b"".join(june.json_chunks(batch=3))
        assert text == orjson.dumps(june.to_dict(), option=INDENT)
        assert b'"flags": []' in text and b'"change": {' in text and b'"change": null' in text
    finally:
        june.with_flags(kept)
        june.comparison = None


def test_a_write_in_pieces_that_fails_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "out.json"
    target.write_bytes(b"old")

    def pieces():
        yield b"new "
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        atomic.write_chunks(target, pieces())
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    atomic.write_chunks(target, iter([b"a", b"", b"bc"]))
    assert target.read_bytes() == b"abc"


def test_names_that_look_like_the_stand_ins_are_written_as_names(june):
    """The document is written around stand-ins for its two long arrays; a unit named like one stays a name."""
    import copy

    odd = copy.copy(june)
    odd.figures = june.figures.copy()
    odd.figures.loc[june.root, ["name", "label"]] = ["\x00units\x00", "\x00flags\x00"]
    text = b"".join(odd.json_chunks(batch=4))
    assert text == orjson.dumps(odd.to_dict(), option=INDENT)
    assert text.count(b'"\\u0000units\\u0000"') == 2  # in the total and in the units


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(NAMES + ["", "x"]), unique=True),
       st.lists(st.one_of(st.none(), st.sampled_from(NAMES + ["y", ""])), max_size=30),
       st.sampled_from([object, "str"]))
def test_unit_positions_are_those_of_a_lookup_in_the_index(units, ids, dtype):
    index = pd.Index(units, dtype=object)
    column = pd.Series(ids, dtype=dtype)
    expected = index.get_indexer(column.astype(object)).tolist()
    assert values.positions(column, pd.Series(index, copy=False)).tolist() == expected


def test_flags_made_without_positions_keep_their_units_labels_and_places():
    """`Flags.of` (small callers) gives no unit positions: an analysis given such flags finds them by id, so
    each flag keeps its own unit's label and each unit its own flags."""
    a = analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06"))
    expected_flags, expected_units = a.flag_dicts(), a.unit_dicts()
    a.with_flags(Flags.of(list(a.flags)))
    assert a.flag_dicts() == expected_flags
    assert a.unit_dicts() == expected_units


def test_a_minus_zero_target_is_zero():
    """TOML accepts -0.0: it is the target 0, so every unit's JSON says 0.0 however the units are ordered."""
    from sotay_cli.targets import _value

    assert np.signbit(_value("installed_rate", -0.0)) == np.False_
    assert _value("installed_rate", -0.0) == 0.0 and _value("installed_rate", 0.95) == 0.95
