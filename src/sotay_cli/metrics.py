"""The figures of a period, per unit: pure functions from canonical tables to a table of counts.

Counts are computed where members are (the chi bộ) and summed up the tree; every rate above is
computed from the sums, never averaged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .ingest.values import ACTIVE, CHI_BO, EXEMPT, LEFT, REGULAR, THEMATIC
from .org import Tree
from .periods import Period

COUNTS = [
    "members", "exempt", "eligible", "installed", "active",
    "regular_meetings", "thematic_meetings", "present", "expected",
    "chi_bo", "chi_bo_in_target", "chi_bo_met",
]
RATES = {
    # rate: (numerator, denominator)
    "installed_rate": ("installed", "eligible"),
    "active_rate": ("active", "eligible"),
    "active_of_installed": ("active", "installed"),
    "attendance_rate": ("present", "expected"),
    "meeting_rate": ("chi_bo_met", "chi_bo_in_target"),
}


@dataclass(frozen=True)
class Rules:
    min_accesses: int = 1  # when the export counts accesses in the period
    smartphone_only: bool = False  # eligible = members in activity with a smartphone, when known

    @classmethod
    def from_config(cls, rules: dict) -> "Rules":
        return cls(int(rules.get("min_accesses", 1)), bool(rules.get("smartphone_only", False)))


def member_status(members: pd.DataFrame, usage: pd.DataFrame | None, period: Period, rules: Rules) -> pd.DataFrame:
    """One row per member: chi_bo and the booleans exempt / eligible / installed / active."""
    end = pd.Timestamp(period.end)
    start = pd.Timestamp(period.start)
    status = members["status"]
    out = pd.DataFrame({"card": members["card"].to_numpy(), "chi_bo": members["chi_bo"].to_numpy()})
    out["member"] = (status != LEFT).to_numpy()
    out["exempt"] = (status == EXEMPT).to_numpy()
    eligible = status == ACTIVE
    if rules.smartphone_only and "smartphone" in members:
        eligible &= members["smartphone"].fillna(True).astype(bool)
    out["eligible"] = eligible.to_numpy()
    if usage is None or usage.empty:
        out["installed"] = False
        out["active"] = False
        return out
    cols = [c for c in ("card", "activated", "activated_date", "last_access", "accesses") if c in usage]
    acc = out[["card"]].merge(usage[cols], on="card", how="left")
    activated = acc["activated"].fillna(False).astype(bool)
    if "activated_date" in acc:
        activated &= acc["activated_date"].isna() | (acc["activated_date"] <= end)
    used = pd.Series(False, index=acc.index)
    if "last_access" in acc:
        used |= acc["last_access"].between(start, end)
    if "accesses" in acc:
        counted = acc["accesses"].notna()
        used = used.where(~counted, acc["accesses"].fillna(0) >= rules.min_accesses)
    out["installed"] = (out["eligible"] & activated.to_numpy())
    out["active"] = out["installed"] & used.to_numpy()
    return out


def meeting_counts(meetings: pd.DataFrame | None, period: Period) -> pd.DataFrame:
    """Per chi bộ: regular and thematic meetings in the period, members present at regular ones,
    and the number of months with a regular meeting."""
    columns = ["regular_meetings", "thematic_meetings", "present", "months_regular"]
    if meetings is None or meetings.empty:
        return pd.DataFrame(columns=columns, dtype="int64")
    g = meetings[meetings["date"].between(pd.Timestamp(period.start), pd.Timestamp(period.end))]
    if "card" in g:  # one row per member: count those present at each meeting
        g = (g.assign(attended=g["attended"].astype(int))
             .groupby(["chi_bo", "date", "kind"], as_index=False)["attended"].sum()
             .rename(columns={"attended": "present"}))
    else:  # one row per meeting; duplicates of a meeting are one meeting
        g = g.groupby(["chi_bo", "date", "kind"], as_index=False)["present"].max()
    regular = g[g["kind"] == REGULAR]
    per = pd.DataFrame({
        "regular_meetings": regular.groupby("chi_bo").size(),
        "thematic_meetings": g[g["kind"] == THEMATIC].groupby("chi_bo").size(),
        "present": regular.groupby("chi_bo")["present"].sum(min_count=1),
        "months_regular": regular.assign(month=regular["date"].dt.to_period("M")).groupby("chi_bo")["month"].nunique(),
    })
    return per.fillna(0).astype("int64")


def compute(
    members: pd.DataFrame,
    usage: pd.DataFrame | None,
    meetings: pd.DataFrame | None,
    tree: Tree,
    period: Period,
    rules: Rules = Rules(),
) -> pd.DataFrame:
    """The figures of every unit of `tree` for `period`: counts, then rates from the counts."""
    people = member_status(members, usage, period, rules)
    own = people.groupby("chi_bo")[["member", "exempt", "eligible", "installed", "active"]].sum()
    own = own.rename(columns={"member": "members"}).reindex(tree.units.index, fill_value=0)
    meet = meeting_counts(meetings, period).reindex(tree.units.index, fill_value=0)
    own = own.join(meet)
    units = tree.units
    is_chi_bo = (units["level"] == CHI_BO).to_numpy()
    in_target = is_chi_bo & ~(units["armed_forces"] | units["excluded"]).to_numpy()
    held_all = (own["months_regular"] >= len(period.months)).to_numpy()
    own["expected"] = own["eligible"] * own["regular_meetings"]
    own["present"] = np.minimum(own["present"], own["expected"])  # never more than 100 %
    own["chi_bo"] = is_chi_bo.astype(int)
    own["chi_bo_in_target"] = in_target.astype(int)
    own["chi_bo_met"] = (in_target & held_all).astype(int)
    own["held_meetings"] = held_all & is_chi_bo
    # roll up: every unit sums what lies at or below it
    summed = tree.closure.join(own[COUNTS], on="unit").groupby("ancestor")[COUNTS].sum()
    figures = units[["parent", "level", "depth", "order", "armed_forces", "state_agency", "excluded"]].join(
        summed.astype("int64"))
    figures["held_meetings"] = own["held_meetings"]
    for rate, (num, den) in RATES.items():
        figures[rate] = (figures[num] / figures[den].where(figures[den] > 0)).astype("float64")
    return figures.sort_values("order")
