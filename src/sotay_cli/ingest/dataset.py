"""The exports of one period read together and reconciled with the roster."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..problems import Problem
from .schema import MEETINGS, MEMBERS, UNITS, USAGE
from .table import Table, load_table
from .values import distinct_text, first_seen, fold_series, isin


@dataclass
class Dataset:
    """`usage` is the latest account export; `usage_months` holds one per month when a quarter or a
    year is read from monthly files (the latest is `usage` too). `more_meetings` are the meeting
    exports of the other months."""

    members: Table
    usage: Table | None = None
    meetings: Table | None = None
    units: Table | None = None
    usage_months: dict[str, Table] = field(default_factory=dict)
    more_meetings: list[Table] = field(default_factory=list)

    def tables(self) -> list[Table]:
        out = [t for t in (self.members, self.meetings, *self.more_meetings, self.units) if t is not None]
        usage = list(self.usage_months.values()) or ([self.usage] if self.usage is not None else [])
        return out[:1] + usage + out[1:]

    def meeting_tables(self) -> list[Table]:
        return [t for t in (self.meetings, *self.more_meetings) if t is not None]

    @property
    def problems(self) -> list[Problem]:
        return [p for t in self.tables() for p in t.problems]


def load_dataset(
    members: str | Path,
    usage: str | Path | dict[str, str] | None = None,
    meetings: str | Path | dict[str, str] | None = None,
    units: str | Path | None = None,
    overrides: dict[str, str] | None = None,
    sheet: str | None = None,
) -> Dataset:
    """Load each export with its kind fixed, then reconcile usage and meetings with the roster.

    `usage` and `meetings` may be {month label: path} (a quarter or a year read month by month)."""
    def load(path, kind):
        return None if path is None else load_table(path, kind=kind, overrides=overrides, sheet=sheet)

    usage_months = {m: load(p, USAGE) for m, p in sorted(usage.items())} if isinstance(usage, dict) else {}
    meeting_list = ([load(p, MEETINGS) for _, p in sorted(meetings.items())] if isinstance(meetings, dict)
                    else [load(meetings, MEETINGS)] if meetings is not None else [])
    data = Dataset(load(members, MEMBERS),
                   usage_months[max(usage_months)] if usage_months else load(usage, USAGE),
                   meeting_list[0] if meeting_list else None, load(units, UNITS),
                   usage_months, meeting_list[1:])
    reconcile(data)
    return data


def reconcile(data: Dataset) -> None:
    """Cross-file checks: usage and attendance of cards not in the roster, duplicate accounts."""
    roster = data.members.frame
    cards = pd.Index(roster["card"]) if "card" in roster else pd.Index([])
    for usage in (list(data.usage_months.values()) or [data.usage]):
        if usage is None or "card" not in usage.frame:
            continue
        _merge_duplicate_accounts(usage)
        unknown = ~isin(usage.frame["card"], cards)
        for row, card in usage.frame.loc[unknown, ["row", "card"]].itertuples(index=False):
            usage.problem("unknown_card", "warning",
                          f"Tài khoản số thẻ {card} không có trong danh sách đảng viên; không được tính. "
                          "Kiểm tra lại số thẻ hoặc danh sách đảng viên.", row=row, column=usage.header_of("card"))
        usage.drop(unknown, "số thẻ không có trong danh sách đảng viên")
    for meetings in data.meeting_tables():
        if "chi_bo" not in meetings.frame or "chi_bo" not in roster:
            continue
        # the distinct names found by Arrow: a Python string per member would cost seconds for a country
        names = pd.Series(distinct_text(roster["chi_bo"]), dtype=object)
        if data.units is not None and "unit" in data.units.frame:
            names = pd.concat([names, data.units.frame["unit"].astype(object)], ignore_index=True)
        known = set(fold_series(names))  # 'Chi bộ Thôn 1' is 'Chi bộ thôn 1'
        unknown = ~isin(fold_series(meetings.frame["chi_bo"]), known)
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
    first = first_seen(f["card"])[1]  # cards of the usual form hashed as numbers: pandas' duplicated() takes seconds
    dup = pd.Series(False if first is None else ~first, index=f.index)
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
