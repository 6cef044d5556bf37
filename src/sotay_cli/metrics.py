"""The figures of a period, per unit: pure functions from canonical tables to a table of counts.

Counts are computed where members are (the chi bộ) and summed up the tree; every rate above is
computed from the sums, never averaged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .domain import ACTIVE, CHI_BO, CO_SO, EXEMPT, LEFT, REGULAR, THEMATIC, XA
from .ingest.values import positions
from .org import Tree
from .periods import Period

COUNTS = [
    "members", "exempt", "eligible", "installed", "active",
    "regular_meetings", "thematic_meetings", "present", "expected",
    "chi_bo", "chi_bo_in_target", "chi_bo_met",
]
# which figures need which input: without it they are unknown (null, "—"), never 0
NEEDS = {
    "usage": ["installed", "active", "installed_rate", "active_rate", "active_of_installed"],
    "access": ["active", "active_rate", "active_of_installed"],
    "meetings": ["regular_meetings", "thematic_meetings", "present", "expected", "chi_bo_met",
                 "attendance_rate", "meeting_rate"],
    "attendance": ["present", "expected", "attendance_rate"],
}
STOCK_RATES = ("installed_rate",)  # a state at a day; the other rates count what happened over the period
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


def member_status(members: pd.DataFrame, usage: pd.DataFrame | None, period: Period, rules: Rules,
                  units: pd.Series | None = None) -> pd.DataFrame:
    """One row per member: its unit id (`units`, else the chi bộ name) and the booleans exempt /
    eligible / installed / active / no_smartphone."""
    # the whole last day counts: an access at 14:00 on 30/6 is inside June
    end = np.datetime64((pd.Timestamp(period.end) + pd.Timedelta(days=1)).to_datetime64(), "ns") - np.timedelta64(1, "ns")
    start = np.datetime64(pd.Timestamp(period.start).to_datetime64(), "ns")
    status = members["status"].to_numpy()
    # the Arrow-backed text stays as it is: 5.6 million Python strings would cost seconds and gigabytes
    out = pd.DataFrame({"card": members["card"].array,
                        "unit": units.array if units is not None else members["chi_bo"].array})
    out["member"] = status != LEFT
    out["exempt"] = status == EXEMPT
    eligible = status == ACTIVE
    no_phone = np.zeros(len(out), dtype=bool)
    if "smartphone" in members:
        no_phone = eligible & ~members["smartphone"].fillna(True).astype(bool).to_numpy()
    out["no_smartphone"] = no_phone
    if rules.smartphone_only:
        eligible = eligible & ~no_phone
    out["eligible"] = eligible
    n = len(out)
    if usage is None or usage.empty:
        out["installed"] = False
        out["active"] = False
        return out
    # each member's account row, found by hashing the cards (usage cards are unique by now)
    pos = positions(members["card"], usage["card"])
    found = pos >= 0
    at = pos[found]

    def dates(name: str) -> np.ndarray:
        values = np.full(n, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
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
    # an export's access count covers its whole period: figures taken to an earlier day cannot use it
    if "accesses" in usage and not getattr(period, "cut_short", False):
        counts = np.full(n, np.nan)
        counts[found] = usage["accesses"].astype("float64").to_numpy()[at]
        counted = ~np.isnan(counts)
        used = np.where(counted, np.nan_to_num(counts) >= rules.min_accesses, used)
    out["installed"] = eligible & activated
    out["active"] = out["installed"].to_numpy() & used
    return out


def meeting_counts(meetings: pd.DataFrame | None, period: Period) -> pd.DataFrame:
    """Per unit (`unit` id, else the chi bộ name): regular and thematic meetings in the period, members
    present at regular ones, and the number of months with a regular meeting."""
    columns = ["regular_meetings", "thematic_meetings", "present", "months_regular"]
    if meetings is None or meetings.empty:
        return pd.DataFrame(columns=columns, dtype="int64")
    key = "unit" if "unit" in meetings else "chi_bo"
    g = meetings[meetings["date"].between(pd.Timestamp(period.start), pd.Timestamp(period.end))]
    g = g[g[key].notna()].rename(columns={key: "_unit"})
    if "card" in g:  # one row per member: count those present at each meeting
        g = (g.assign(attended=g["attended"].astype(int))
             .groupby(["_unit", "date", "kind"], as_index=False, observed=True)["attended"].sum()
             .rename(columns={"attended": "present"}))
    else:  # one row per meeting; duplicates of a meeting are one meeting
        if "present" not in g:  # no attendance column: attendance is unknown (see unknown_figures)
            g = g.assign(present=0)
        g = g.groupby(["_unit", "date", "kind"], as_index=False, observed=True)["present"].max()
    regular = g[g["kind"] == REGULAR]
    per = pd.DataFrame({
        "regular_meetings": regular.groupby("_unit", observed=True).size(),
        "thematic_meetings": g[g["kind"] == THEMATIC].groupby("_unit", observed=True).size(),
        "present": regular.groupby("_unit", observed=True)["present"].sum(min_count=1),
        "months_regular": regular.assign(month=regular["date"].dt.to_period("M"))
        .groupby("_unit", observed=True)["month"].nunique(),
    })
    return per.fillna(0).astype("int64")


def compute(
    members: pd.DataFrame,
    usage: pd.DataFrame | None,
    meetings: pd.DataFrame | None,
    tree: Tree,
    period: Period,
    rules: Rules = Rules(),
    unknown: set[str] | frozenset[str] = frozenset(),
    notes: dict | None = None,
    active: np.ndarray | None = None,
    required_months: int | None = None,
) -> pd.DataFrame:
    """The figures of every unit of `tree` for `period`: counts, then rates from the counts.

    The figures named in `unknown` (an input or a column missing) are NaN, never 0. `notes`, when
    given, receives the rules applied on their own (`capped`: units whose attendance was capped).
    `active`, when given, is each member's regular use decided month by month (a quarter's rule);
    `required_months` the months a chi bộ must have met in (those exported; default every month)."""
    people = member_status(members, usage, period, rules, tree.member_units)
    if active is not None:
        people["active"] = people["eligible"].to_numpy() & people["installed"].to_numpy() & active
    sums = ["member", "exempt", "eligible", "installed", "active", "no_smartphone"]
    if isinstance(people["unit"].dtype, pd.CategoricalDtype):  # the tree's unit of each member: count by code
        codes = people["unit"].cat.codes.to_numpy()
        at = tree.units.index.get_indexer(people["unit"].cat.categories)
        kept = at >= 0
        placed = codes >= 0
        totals = {}
        for c in sums:
            counts = np.bincount(codes[placed & people[c].to_numpy(dtype=bool)], minlength=len(at))
            totals[c] = np.zeros(len(tree.units), dtype=np.int64)
            totals[c][at[kept]] = counts[kept]
        own = pd.DataFrame(totals, index=tree.units.index)
    else:
        own = people.groupby("unit", observed=True)[sums].sum().reindex(tree.units.index, fill_value=0)
    own = own.rename(columns={"member": "members"})
    if meetings is not None and "unit" not in meetings and "chi_bo" in meetings:
        meetings = meetings.assign(unit=tree.locate(meetings["chi_bo"])[0])
    meet = meeting_counts(meetings, period).reindex(tree.units.index, fill_value=0)
    own = own.join(meet)
    units = tree.units
    is_chi_bo = (units["level"] == CHI_BO).to_numpy()
    in_target = is_chi_bo & ~(units["armed_forces"] | units["excluded"]).to_numpy()
    months = len(period.months) if required_months is None else required_months
    held_all = (own["months_regular"] >= months).to_numpy()
    own["expected"] = own["eligible"] * own["regular_meetings"]
    capped = own["present"] > own["expected"]
    if notes is not None:
        notes["capped"] = own.index[capped.to_numpy()].tolist()
    own["present"] = np.minimum(own["present"], own["expected"])  # never more than 100 %
    own["chi_bo"] = is_chi_bo.astype(int)
    own["chi_bo_in_target"] = in_target.astype(int)
    own["chi_bo_met"] = (in_target & held_all).astype(int)
    own["held_meetings"] = held_all & is_chi_bo
    # the structure: tổ chức cơ sở đảng (đảng bộ cơ sở, chi bộ cơ sở), đảng bộ xã
    base = units["base"].to_numpy()
    own["n_xa"] = (units["level"] == XA).to_numpy().astype(int)
    own["n_co_so"] = base.astype(int)
    own["n_dang_bo_co_so"] = (base & (units["level"] == CO_SO).to_numpy()).astype(int)
    own["n_chi_bo_co_so"] = (base & is_chi_bo).astype(int)
    rolled = COUNTS + ["no_smartphone"] + STRUCTURE
    # roll up: every unit sums what lies at or below it, each level added into its parents from the deepest up
    # (positions in numpy: joining and grouping a country's 1.5 million (unit, ancestor) pairs by id took seconds)
    values = own[rolled].to_numpy(dtype="int64", copy=True)
    parent_pos = units.index.get_indexer(units["parent"])
    depth = units["depth"].to_numpy()
    for d in range(int(depth.max()), 0, -1):
        rows = np.flatnonzero(depth == d)
        np.add.at(values, parent_pos[rows], values[rows])
    summed = pd.DataFrame(values, index=units.index, columns=rolled)
    figures = units[["parent", "name", "label", "parent_label", "level", "depth", "order", "base", "armed_forces",
                     "state_agency", "excluded"]].join(summed.astype("int64"))
    figures["held_meetings"] = own["held_meetings"]
    for rate, (num, den) in RATES.items():
        figures[rate] = (figures[num] / figures[den].where(figures[den] > 0)).astype("float64")
    for column in unknown:
        figures[column] = np.nan
    if "meetings" in unknown or "regular_meetings" in unknown:
        figures["held_meetings"] = None
    return figures.sort_values("order")


STRUCTURE = ["n_xa", "n_co_so", "n_dang_bo_co_so", "n_chi_bo_co_so"]


def unknown_figures(usage_columns: set[str] | None, meeting_columns: set[str] | None,
                    cut_short: bool = False) -> set[str]:
    """The figures that cannot be known without an input (columns None: no such file) or a column."""
    unknown: set[str] = set()
    if usage_columns is None:
        unknown |= set(NEEDS["usage"])
    elif not usage_columns & ({"last_access"} if cut_short else {"last_access", "accesses"}):
        unknown |= set(NEEDS["access"])
    if meeting_columns is None:
        unknown |= set(NEEDS["meetings"])
    elif not meeting_columns & {"present", "card"}:
        unknown |= set(NEEDS["attendance"])
    return unknown
