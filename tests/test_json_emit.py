"""The JSON document of `sotay stats --format json`, as `Analysis.json_chunks` writes it from whole columns, is
byte for byte the document made plainly: each unit and flag written out field by field from the figures, the
targets, the flags and the comparison, and given to orjson whole."""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sotay_cli import history
from sotay_cli.analysis import _distinct_rows, analyse
from sotay_cli.config import load_config
from sotay_cli.metrics import COUNTS, RATES
from sotay_cli.org import TAGS
from sotay_cli.periods import parse_period

INDENT = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def _num(value):
    return None if pd.isna(value) else float(value)


def flag_by_hand(a, flag) -> dict:
    d = flag.deadline
    return {"unit": flag.unit, "level": flag.level, "metric": flag.metric, "value": flag.value,
            "target": flag.target, "gap": flag.gap, "gap_unit": flag.gap_unit, "shortfall": flag.shortfall,
            "pace": flag.pace, "strict": flag.strict, "message": flag.message(a.rounding),
            "deadline": d.isoformat() if d else None, "deadline_text": flag.deadline_text(),
            "label": a.figures.loc[flag.unit, "label"]}


def unit_by_hand(a, unit: str, flags: list[dict]) -> dict:
    row = a.figures.loc[unit]
    d = {"id": unit, "name": row["name"], "label": row["label"], "level": row["level"],
         "parent": None if pd.isna(row["parent"]) else row["parent"], "base": bool(row["base"])}
    d |= {c: None if c in a.unknown else int(row[c]) for c in [*COUNTS, "no_smartphone"]}
    d |= {r: _num(row[r]) for r in RATES}
    if row["level"] == "chi_bo":
        d["held_meetings"] = None if "regular_meetings" in a.unknown else bool(row["held_meetings"])
    d["tags"] = [t for t in TAGS if row[t]]
    d["targets"] = {m: float(v) for m, v in a.targets.loc[unit].items() if not pd.isna(v)}
    d["flags"] = [f for f in flags if f["unit"] == unit]
    c = a.comparison
    if c is None:
        return d
    for key, change_key, before, period, against in (("previous", "change", c.previous_rates, c.previous, "previous"),
                                                     ("year_before", "change_year", c.year_rates, c.year_before,
                                                      "year_before")):
        if period is None or unit not in before.index:
            d[key] = d[change_key] = None
            continue
        d[key] = {"period": period.label, **{r: _num(v) for r, v in before.loc[unit].items()}}
        d[change_key] = {r: _num(v) for r, v in c.change(a.figures, against).loc[unit].items()}
    return d


def document_by_hand(a, level: str | None = None) -> bytes:
    flags = [flag_by_hand(a, f) for f in a.flags]
    units = [unit_by_hand(a, u, flags) for u in a.figures.index]
    total = next(u for u in units if u["id"] == a.root)
    if level is not None:
        units = [u for u in units if u["level"] == level]
    return orjson.dumps(a._document(total, units, flags), option=INDENT)


@pytest.fixture(scope="module")
def june():
    return analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06"))


@pytest.fixture
def compared(june):
    """June beside a May that lacks the first units (their `previous` and `change` null) and a June of the
    year before that has every unit; the flags given a pace."""
    rates = june.figures[list(RATES)]
    may = (rates * 0.9).iloc[3:]
    series = history.current_rows(june)
    june.comparison = history.Comparison(parse_period("2026-05"), parse_period("2025-06"), may, rates * 0.5, series)
    kept = june.flags
    june.with_flags(kept.with_pace(["đang giảm" if i % 3 else None for i in range(len(kept))]))
    yield june
    june.with_flags(kept)
    june.comparison = None


@pytest.mark.parametrize("batch", [1, 3, 1_000])
@pytest.mark.parametrize("level", [None, "chi_bo", "xa"])
def test_the_document_is_the_one_written_unit_by_unit(june, batch, level):
    assert b"".join(june.json_chunks(level, batch=batch)) == document_by_hand(june, level)


@pytest.mark.parametrize("batch", [2, 1_000])
def test_the_document_with_a_comparison_is_the_one_written_unit_by_unit(compared, batch):
    text = b"".join(compared.json_chunks(batch=batch))
    assert text == document_by_hand(compared)
    assert b'"previous": null' in text and b'"change_year": {' in text and b'"pace": "' in text


def test_a_chi_bo_alone_has_held_meetings(june):
    units = orjson.loads(b"".join(june.json_chunks()))["units"]
    assert {u["level"] for u in units if "held_meetings" in u} == {"chi_bo"}
    assert any(u["level"] != "chi_bo" for u in units)


def test_unknown_figures_are_null(june):
    """Figures that need an input not given are null in every unit, chi bộ's held_meetings too."""
    kept = june.unknown
    june.unknown = {"regular_meetings", "active"}
    try:
        text = b"".join(june.json_chunks(batch=4))
        assert text == document_by_hand(june)
        units = orjson.loads(text)["units"]
        assert all(u["active"] is None for u in units)
        assert all(u["held_meetings"] is None for u in units if u["level"] == "chi_bo")
    finally:
        june.unknown = kept


def test_units_tags_and_targets_are_their_own(june):
    units = orjson.loads(b"".join(june.json_chunks()))["units"]
    tagged = {u["id"]: u["tags"] for u in units}
    assert tagged == {u: [t for t in TAGS if june.figures.loc[u, t]] for u in june.figures.index}
    assert any(tagged.values())
    assert len({orjson.dumps(u["targets"]) for u in units}) > 1


def test_a_document_without_units_of_the_level_has_an_empty_list(june):
    text = b"".join(june.json_chunks("no such level", batch=2))
    assert b'"units": [],' in text and text == document_by_hand(june, "no such level")
    assert np.any(june.figures["level"].to_numpy() == "chi_bo")


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4).flatmap(lambda width: st.lists(
    st.lists(st.sampled_from([0.0, -0.0, np.nan, 0.95, 1.0]), min_size=width, max_size=width), min_size=1, max_size=30)))
def test_distinct_rows_give_back_every_row_as_written(rows):
    """Each row is its distinct row, as the JSON writes it (-0.0 is not 0.0, every NaN null), and no two
    distinct rows are written alike."""
    matrix = np.array(rows, dtype="float64")
    distinct, number = _distinct_rows(matrix)
    assert [orjson.dumps(distinct[i]) for i in number.tolist()] == [orjson.dumps(r) for r in matrix.tolist()]
    assert len({orjson.dumps(r) for r in distinct}) == len(distinct)
    flags = _distinct_rows(~np.isnan(matrix))
    assert [flags[0][i] for i in flags[1].tolist()] == (~np.isnan(matrix)).tolist()
