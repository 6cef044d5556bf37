"""Forecasts only from data: no pace from one or two months; with three or more, which way and when."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sotay_cli import forecast, history
from sotay_cli.analysis import analyse
from sotay_cli.cli import app
from sotay_cli.config import load_config
from sotay_cli.periods import parse_period

runner = CliRunner()
SAMPLE = ["--config", "sample_data/sotay.toml"]
ROOT = "Đảng bộ xã Hoa Lộc"


def series(rates: dict[str, list[float]], start: str = "2026-01") -> pd.DataFrame:
    rows = []
    for unit, values in rates.items():
        for i, value in enumerate(values):
            p = pd.Period(start, freq="M") + i
            rows.append({"period": f"{p.year}-{p.month:02d}", "unit": unit, "kind": "month", "installed_rate": value})
    return pd.DataFrame(rows)


def pace_of(values: list[float], goal: float = 0.95) -> str | None:
    """The pace of one unit whose monthly rates, ending in April 2026, are `values`."""
    start = pd.Period("2026-04", freq="M") - (len(values) - 1)
    targets = pd.DataFrame({"installed_rate": [goal]}, index=["A"])
    words = forecast.pace(series({"A": values}, f"{start.year}-{start.month:02d}"), targets,
                          parse_period("2026-04"), "installed_rate")
    return words["A"]


@pytest.mark.parametrize("months", [1, 2])
def test_no_pace_from_one_or_two_months(months):
    rising = [0.50 + 0.10 * i for i in range(months)]
    assert pace_of(rising) is None
    assert pace_of(list(reversed(rising))) is None


def test_three_months_give_the_month_of_reach():
    assert pace_of([0.70, 0.75, 0.80]) == "dự kiến đạt vào tháng 7/2026"  # +5 points a month: 80 -> 95 in three


def test_six_months_give_the_month_of_least_squares():
    values = [0.40, 0.46, 0.49, 0.55, 0.58, 0.64]
    slope = np.polyfit(range(6), values, 1)[0]
    month = 4 + int(np.ceil((0.95 - values[-1]) / slope))
    assert pace_of(values) == f"dự kiến đạt vào tháng {month}/2026"


def test_only_the_last_six_months_draw_the_line():
    # a long fall long ago, a steady climb of late: the climb decides
    values = [0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.55, 0.65, 0.75, 0.85]
    assert pace_of(values) == pace_of(values[-6:]) == "dự kiến đạt vào tháng 6/2026"


def test_a_falling_rate_is_said_to_fall():
    assert pace_of([0.80, 0.80, 0.79, 0.78]) == forecast.FALLING


@pytest.mark.parametrize("values", [[0.10, 0.15, 0.20, 0.25], [0.60, 0.60, 0.60]], ids=["too-slow", "flat"])
def test_too_slow_or_flat_does_not_reach_within_the_year(values):
    assert pace_of(values) == "với tốc độ hiện nay chưa đạt trong năm 2026"


def test_units_at_target_or_without_one_get_no_pace():
    assert pace_of([0.90, 0.95, 0.97]) is None
    words = forecast.pace(series({"A": [0.1, 0.2, 0.3]}, "2026-02"), pd.DataFrame({"installed_rate": [np.nan]},
                          index=["A"]), parse_period("2026-04"), "installed_rate")
    assert words["A"] is None


def test_months_of_another_kind_or_after_the_period_do_not_count():
    s = series({"A": [0.5, 0.6, 0.7, 0.8]}, "2026-02")  # February to May
    targets = pd.DataFrame({"installed_rate": [0.95]}, index=["A"])
    assert forecast.pace(s, targets, parse_period("2026-04"), "installed_rate")["A"] == "dự kiến đạt vào tháng 7/2026"
    quarters = s.assign(kind="quarter")
    assert forecast.pace(quarters, targets, parse_period("2026-04"), "installed_rate").empty


def test_quarters_stored_beside_the_months_are_left_out():
    s = series({"A": [0.5, 0.6, 0.7, 0.8]}, "2026-02")
    quarter = pd.DataFrame([{"period": "2026-Q1", "unit": "A", "kind": "quarter", "installed_rate": 0.1}])
    targets = pd.DataFrame({"installed_rate": [0.95]}, index=["A"])
    words = forecast.pace(pd.concat([quarter, s], ignore_index=True), targets, parse_period("2026-04"), "installed_rate")
    assert words["A"] == "dự kiến đạt vào tháng 7/2026"


@pytest.fixture(scope="module")
def june():
    return analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06"))


def test_annotate_returns_new_flags_and_leaves_the_analysis_alone(june, tmp_path):
    before = list(june.flags)
    dicts = june.flag_dicts()
    c = history.read_comparison(tmp_path / "none.sqlite", june)
    flags = forecast.annotate(june, c.series)
    assert list(june.flags) == before and june.flag_dicts() == dicts
    assert [(f.unit, f.metric) for f in flags] == [(f.unit, f.metric) for f in before]
    assert all(f.pace is None for f in flags)  # one month: nothing to forecast from


def run_months(*periods: str) -> None:
    for p in periods:
        assert runner.invoke(app, ["stats", "-p", p, "-f", "csv", *SAMPLE]).exit_code == 0


def flag_rows() -> list[dict]:
    result = runner.invoke(app, ["flag", "-p", "2026-06", "-f", "csv", *SAMPLE])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.mark.parametrize("before", [(), ("2026-05",)], ids=["one-month", "two-months"])
def test_fewer_than_three_months_say_not_enough_data(before):
    run_months(*before)
    rows = flag_rows()
    paced = [r for r in rows if r["Mã chỉ tiêu"] in forecast.METRICS]
    assert paced and {r["Dự kiến"] for r in paced} == {"chưa đủ số liệu"}
    assert {r["Dự kiến"] for r in rows if r["Mã chỉ tiêu"] not in forecast.METRICS} <= {""}
    flags = json.loads(runner.invoke(app, ["stats", "-p", "2026-06", "-f", "json", *SAMPLE]).stdout)["flags"]
    assert flags and all(f["pace"] is None for f in flags)


def test_three_months_give_the_root_its_pace(history_in_tmp):
    run_months("2026-04", "2026-05")
    rows = flag_rows()
    stored = history.figures(history.read_history(history_in_tmp), ROOT, unit=ROOT)
    rates = stored.sort_values("period")["installed_rate"].tolist()
    assert len(rates) == 3  # April, May and June (stored by `flag`)
    slope = np.polyfit(range(3), rates, 1)[0]
    if slope < 0:
        expected = "đang giảm"
    elif slope > 0 and 6 + np.ceil((0.95 - rates[-1]) / slope) <= 12:
        expected = f"dự kiến đạt vào tháng {6 + int(np.ceil((0.95 - rates[-1]) / slope))}/2026"
    else:
        expected = "với tốc độ hiện nay chưa đạt trong năm 2026"
    root = [r for r in rows if r["Mã chỉ tiêu"] == "installed_rate" and r["Cấp"] != "Chi bộ"
            and r["Đơn vị"] in (ROOT, "Toàn " + ROOT)]
    assert [r["Dự kiến"] for r in root] == [expected]
    paced = {r["Dự kiến"] for r in rows if r["Mã chỉ tiêu"] in forecast.METRICS}
    assert "chưa đủ số liệu" not in paced


def test_the_draft_says_no_pace(tmp_path):
    run_months("2026-04", "2026-05")
    result = runner.invoke(app, ["report", "-p", "2026-06", "-f", "md", "-o", str(tmp_path), *SAMPLE])
    assert result.exit_code == 0, result.output
    md = (tmp_path / "2026-06" / "cong-van-2026-06.md").read_text(encoding="utf-8")
    assert "chưa đủ số liệu" not in md and "tốc độ hiện nay" not in md
