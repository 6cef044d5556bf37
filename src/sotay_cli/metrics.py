"""The figures of a period, per unit: pure functions from canonical tables to a table of counts.

Counts are computed where members are (the chi bộ) and summed up the tree; every rate above is
computed from the sums, never averaged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from .ingest.values import ACTIVE, CHI_BO, EXEMPT, LEFT, REGULAR, THEMATIC, arrow_text
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
    # the whole last day counts: an access at 14:00 on 30/6 is inside June
    end = np.datetime64((pd.Timestamp(period.end) + pd.Timedelta(days=1)).to_datetime64(), "ns") - np.timedelta64(1, "ns")
    start = np.datetime64(pd.Timestamp(period.start).to_datetime64(), "ns")
    status = members["status"].to_numpy()
    # the Arrow-backed text stays as it is: 5.6 million Python strings would cost seconds and gigabytes
    out = pd.DataFrame({"card": members["card"].array, "chi_bo": members["chi_bo"].array})
    out["member"] = status != LEFT
    out["exempt"] = status == EXEMPT
    eligible = status == ACTIVE
    if rules.smartphone_only and "smartphone" in members:
        eligible &= members["smartphone"].fillna(True).astype(bool).to_numpy()
    out["eligible"] = eligible
    n = len(out)
    if usage is None or usage.empty:
        out["installed"] = False
        out["active"] = False
        return out
    # each member's account row, found by hashing the cards in Arrow (usage cards are unique by now)
    pos = pc.index_in(arrow_text(members["card"]), value_set=arrow_text(usage["card"]))
    pos = np.asarray(pc.fill_null(pos, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    found = pos >= 0
    at = pos[found]

    def dates(name: str) -> np.ndarray:
        values = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        values[found] = usage[name].to_numpy(dtype="datetime64[ns]")[at]
        return values

    activated = np.zeros(n, dtype=bool)
    if "activated" in usage:
        activated[found] = usage["activated"].fillna(False).astype(bool).to_numpy()[at]
    if "activated_date" in usage:
        when = dates("activated_date")
        activated &= np.isnat(when) | (when <= end)
    used = np.zeros(n, dtype=bool)
    if "last_access" in usage:
        last = dates("last_access")
        used |= (last >= start) & (last <= end)
    if "accesses" in usage:
        counts = np.full(n, np.nan)
        counts[found] = usage["accesses"].astype("float64").to_numpy()[at]
        counted = ~np.isnan(counts)
        used = np.where(counted, np.nan_to_num(counts) >= rules.min_accesses, used)
    out["installed"] = eligible & activated
    out["active"] = out["installed"].to_numpy() & used
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
