"""Units ranked for emulation (thi đua): ties stated, and the move since the previous period."""

from __future__ import annotations

import pandas as pd

from .fmt import round_rate


def _ranks(rates: pd.Series, rounding: str) -> pd.Series:
    # units are ranked on the rate as the documents print it, so two units shown equal share a rank
    shown = rates.map(lambda r: round_rate(r, 2, rounding)).astype("float64")
    return shown.rank(ascending=False, method="min")


def rank(analysis, metric: str = "installed_rate", level: str = "chi_bo") -> pd.DataFrame:
    """Columns: rank, unit, value, tied (bool), previous_rank, move (+ up, - down; NaN unknown)."""
    f = analysis.figures
    units = f[(f["level"] == level) & f[metric].notna()]
    ranks = _ranks(units[metric], analysis.rounding)
    out = pd.DataFrame({"rank": ranks.astype(int), "unit": units["label"].to_numpy(), "id": units.index,
                        "value": units[metric].to_numpy()},
                       index=units.index.rename(None))
    out["tied"] = out["rank"].map(out["rank"].value_counts()) > 1
    out["previous_rank"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    c = analysis.comparison
    if c is not None and c.previous is not None and metric in c.previous_rates:
        before = c.previous_rates.loc[c.previous_rates.index.isin(units.index), metric].dropna()
        out["previous_rank"] = _ranks(before, analysis.rounding).astype("Int64").reindex(out.index).to_numpy()
    out["move"] = out["previous_rank"] - out["rank"]
    return out.sort_values(["rank", "unit"]).reset_index(drop=True)
