"""The exports of one period read together and reconciled with the roster."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..problems import Problem
from .schema import MEETINGS, MEMBERS, UNITS, USAGE
from .table import Table, load_table
from .values import isin


@dataclass
class Dataset:
    members: Table
    usage: Table | None = None
    meetings: Table | None = None
    units: Table | None = None
    extra_problems: list[Problem] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [t for t in (self.members, self.usage, self.meetings, self.units) if t is not None]

    @property
    def problems(self) -> list[Problem]:
        return [p for t in self.tables() for p in t.problems]


def load_dataset(
    members: str | Path,
    usage: str | Path | None = None,
    meetings: str | Path | None = None,
    units: str | Path | None = None,
    overrides: dict[str, str] | None = None,
    sheet: str | None = None,
) -> Dataset:
    """Load each export with its kind fixed, then reconcile usage and meetings with the roster."""
    def load(path, kind):
        return None if path is None else load_table(path, kind=kind, overrides=overrides, sheet=sheet)

    data = Dataset(load(members, MEMBERS), load(usage, USAGE), load(meetings, MEETINGS), load(units, UNITS))
    reconcile(data)
    return data


def reconcile(data: Dataset) -> None:
    """Cross-file checks: usage and attendance of cards not in the roster, duplicate accounts."""
    roster = data.members.frame
    cards = pd.Index(roster["card"]) if "card" in roster else pd.Index([])
    if data.usage is not None and "card" in data.usage.frame:
        usage = data.usage
        _merge_duplicate_accounts(usage)
        unknown = ~isin(usage.frame["card"], cards)
        for row, card in usage.frame.loc[unknown, ["row", "card"]].itertuples(index=False):
            usage.problem("unknown_card", "warning",
                          f"Tài khoản số thẻ {card} không có trong danh sách đảng viên; không được tính. "
                          "Kiểm tra lại số thẻ hoặc danh sách đảng viên.", row=row, column=usage.header_of("card"))
        usage.drop(unknown, "số thẻ không có trong danh sách đảng viên")
    if data.meetings is not None and "chi_bo" in data.meetings.frame and "chi_bo" in roster:
        meetings = data.meetings
        known = set(roster["chi_bo"].unique())
        if data.units is not None and "unit" in data.units.frame:
            known |= set(data.units.frame["unit"])
        unknown = ~isin(meetings.frame["chi_bo"], known)
        for row, unit in meetings.frame.loc[unknown, ["row", "chi_bo"]].itertuples(index=False):
            meetings.problem("unknown_unit", "warning",
                             f"Chi bộ '{unit}' không có trong danh sách đảng viên; buổi sinh hoạt không được tính.",
                             row=row, column=meetings.header_of("chi_bo"))
        meetings.drop(unknown, "chi bộ không có trong danh sách đảng viên")
        if "card" in meetings.frame:
            stranger = ~isin(meetings.frame["card"], cards) & meetings.frame["card"].ne("")
            for row, card in meetings.frame.loc[stranger, ["row", "card"]].itertuples(index=False):
                meetings.problem("unknown_card", "warning",
                                 f"Điểm danh số thẻ {card} không có trong danh sách đảng viên; không được tính.",
                                 row=row, column=meetings.header_of("card"))
            meetings.drop(stranger, "số thẻ điểm danh không có trong danh sách đảng viên")


def _merge_duplicate_accounts(usage: Table) -> None:
    """Two account rows for one card: keep one row carrying the most favourable facts of both."""
    f = usage.frame
    dup = f.duplicated("card", keep="first")
    if not dup.any():
        return
    first_row = f[~dup].set_index("card")["row"]
    for row, card in f.loc[dup, ["row", "card"]].itertuples(index=False):
        usage.problem("duplicate_account", "warning",
                      f"Số thẻ {card} có hai dòng tài khoản (dòng {first_row[card]} và dòng này); "
                      "đã gộp làm một.", row=row, column=usage.header_of("card"))
    agg = {"row": "first", "activated": "max"}
    for column, how in (("activated_date", "min"), ("last_access", "max"), ("accesses", "max")):
        if column in f:
            agg[column] = how
    for column in f.columns:
        agg.setdefault(column, "first")
    agg.pop("card")
    merged = f.groupby("card", sort=False, as_index=False).agg(agg)
    usage.count_out("dòng tài khoản trùng (đã gộp)", dup.sum())
    usage.frame = merged.set_index(merged["row"].to_numpy())
