"""A change of rate as documents show it: the difference of the two rates as rounded on the page."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sotay_cli.fmt import change_words, percent, points, round_rate, shown_change
from sotay_cli.history import Comparison
from sotay_cli.metrics import RATES
from sotay_cli.periods import parse_period

fractions = st.integers(0, 10**6).map(lambda n: n / 10**6)


def test_the_page_adds_up_where_the_unrounded_rates_would_not():
    before, after = 0.194848, 0.13125  # shown 19,48% and 13,13%: 6,35 points apart on the page
    assert percent(before) == "19,48%" and percent(after) == "13,13%"
    assert change_words(after - before) == "giảm 6,36 điểm phần trăm"  # the unrounded rates' change
    assert change_words(shown_change(np.array([after]), np.array([before]))[0]) == "giảm 6,35 điểm phần trăm"


@settings(max_examples=300, deadline=None)
@given(after=fractions, before=fractions, mode=st.sampled_from(["half-up", "truncate"]))
def test_the_shown_change_is_the_difference_of_the_shown_rates(after, before, mode):
    delta = shown_change(np.array([after]), np.array([before]), mode)[0]
    expected = round_rate(after, 2, mode) - round_rate(before, 2, mode)
    assert round_rate(delta, 2, mode) == expected  # under either rule: the delta is exact to the shown digit
    sign = "+" if expected > 0 else "-" if expected < 0 else ""
    assert points(delta, mode=mode) == sign + f"{abs(expected):.2f}".replace(".", ",")


def test_unknown_on_either_side_is_unknown():
    out = shown_change(np.array([np.nan, 0.5, 0.5]), np.array([0.5, np.nan, 0.25]))
    assert np.isnan(out[:2]).all() and out[2] == 0.25


def test_comparison_change_shown_and_exact():
    units = pd.Index(["A", "B"], dtype=object)
    now = pd.DataFrame({r: [0.13125, np.nan] for r in RATES}, index=units)
    before = pd.DataFrame({r: [0.194848, 0.5] for r in RATES}, index=units)
    c = Comparison(parse_period("2026-05"), None, before, before.iloc[:0], pd.DataFrame())
    exact, shown = c.change(now), c.change(now, shown="half-up")
    assert exact.loc["A", "active_rate"] == 0.13125 - 0.194848
    assert shown.loc["A", "active_rate"] == -0.0635 and np.isnan(shown.loc["B", "active_rate"])
    assert Decimal(repr(float(shown.loc["A", "installed_rate"]))) == Decimal("-0.0635")


def test_the_bao_cao_says_the_change_of_use_beside_the_rate_it_changes(tmp_path, monkeypatch):
    import re

    from typer.testing import CliRunner

    from sotay_cli.cli import app

    monkeypatch.setenv("SOTAY_HISTORY", str(tmp_path / "lich-su.sqlite"))
    runner = CliRunner()
    for period in ("2026-05", "2026-06"):
        result = runner.invoke(app, ["report", "-p", period, "-t", "bao-cao", "-f", "md", "-o", str(tmp_path),
                                     "--config", "sample_data/sotay.toml"])
        assert result.exit_code == 0, result.output
    text = (tmp_path / "2026-06" / "bao-cao-2026-06.md").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if "Sử dụng thường xuyên" in x)
    assert re.search(r"đạt [\d,]+% số đảng viên đang sinh hoạt \((tăng|giảm) [\d,]+ điểm phần trăm so với tháng 5 "
                     r"năm 2026\) và [\d,]+% số đảng viên đã cài đặt\.", line), line
