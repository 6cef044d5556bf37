"""One period analysed end to end: load the exports, build the tree, compute figures, check targets.

This is what every command that needs figures calls; it never prints.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, fields
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .config import Config
from .fmt import ROUNDING_MODES
from .gcpause import paused
from .ingest import Dataset, load_dataset
from . import crosscheck
from .metrics import COUNTS, RATES, Rules, compute, unknown_figures
from .org import TAGS, Tree, build_tree
from .periods import Period
from .sources import resolve as resolve_sources
from .problems import InputError, Problem
from .targets import Flag, TargetError, flags, resolve

if TYPE_CHECKING:
    from .history import Comparison


@dataclass
class Analysis:
    period: Period
    config: Config
    data: Dataset
    tree: Tree
    figures: pd.DataFrame
    targets: pd.DataFrame
    flags: list[Flag]
    rounding: str = "half-up"
    inputs: dict[str, str] = field(default_factory=dict)
    _flag_dicts: list[dict] | None = field(default=None, repr=False)
    comparison: Comparison | None = None  # when a history file is used
    unknown: set[str] = field(default_factory=set)  # figures that need an input or column not given
    notes: list[Problem] = field(default_factory=list)  # what the analysis itself had to decide
    months_missing: list[str] = field(default_factory=list)  # months of the period without an export

    @property
    def problems(self) -> list[Problem]:
        return self.data.problems + self.tree.problems + self.notes

    @property
    def root(self) -> str:
        return self.tree.root

    def total(self) -> pd.Series:
        return self.figures.loc[self.root]

    def to_dict(self) -> dict:
        """The JSON document of `sotay stats --format json` (keys documented in the README)."""
        units = self.unit_dicts()
        errors = sum(p.severity == "error" for p in self.problems)
        total = next(u for u in units if u["id"] == self.root)
        return {
            "period": self.period.label,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "rounding": self.rounding,
            "root": self.root,
            "eligible_means": self.eligible_means,
            "unknown": sorted(self.unknown),
            "months_missing": self.months_missing,
            "counts": self.counts(),
            "total": total,
            "groups": self.group_dicts(),
            "units": units,
            "flags": self.flag_dicts(),
            "problems": {"errors": errors, "warnings": len(self.problems) - errors,
                         "duplicate_cards": self.duplicate_cards},
        }

    @property
    def duplicate_cards(self) -> int:
        codes = sum((t.codes for t in self.data.tables()), Counter())  # whole, past the listing limit too
        return sum(codes[c] for c in ("duplicate_card", "card_conflict", "two_chi_bo"))

    @property
    def eligible_means(self) -> str:
        """Who the denominator counts, in the words the documents use."""
        if self.config.rules.get("smartphone_only"):
            return "đảng viên đang sinh hoạt có điện thoại thông minh"
        return "đảng viên đang sinh hoạt"

    def counts(self) -> dict:
        """The structure of the organisation: đảng bộ xã, tổ chức cơ sở đảng (đảng bộ cơ sở and chi bộ
        cơ sở), chi bộ, đảng viên."""
        t = self.total()
        return {"xa": int(t["n_xa"]), "co_so": int(t["n_co_so"]), "dang_bo_co_so": int(t["n_dang_bo_co_so"]),
                "chi_bo_co_so": int(t["n_chi_bo_co_so"]), "chi_bo": int(t["chi_bo"]), "members": int(t["members"]),
                "eligible": int(t["eligible"])}

    def groups(self) -> pd.DataFrame:
        """One row per tagged group (cơ quan nhà nước, lực lượng vũ trang): the sum of its top-most units."""
        return group_figures(self.figures, self.unknown)

    def group_dicts(self) -> list[dict]:
        g = self.groups()
        out = []
        for key, row in g.iterrows():
            d = {"group": key, "label": GROUP_LABELS[key], "units": int(row["units"])}
            d |= {c: _int(row[c]) for c in COUNTS}
            d |= {r: _num(row[r]) for r in RATES}
            out.append(d)
        return out

    def with_flags(self, flags: list[Flag]) -> None:
        """Replace the flags (given their pace, say) and forget the dicts made of the old ones."""
        self.flags = flags
        self._flag_dicts = None

    def flag_dicts(self) -> list[dict]:
        """Every flag as a JSON object with its unit's label. Flags alike in all but their unit (a country
        has 800,000, many with the same figures) say the same words: each distinct one is written once by
        `Flag.as_dict` and copied with its own unit."""
        if self._flag_dicts is None:
            with paused():
                labels = dict(zip(self.figures.index, self.figures["label"]))
                alike = attrgetter(*(f.name for f in fields(Flag) if f.name != "unit"))
                written: dict[tuple, dict] = {}
                out = []
                for flag in self.flags:
                    key = alike(flag)
                    words = written.get(key)
                    if words is None:
                        words = written[key] = flag.as_dict(self.rounding)
                    d = words.copy()
                    d["unit"] = flag.unit
                    d["label"] = labels.get(flag.unit, flag.unit)
                    out.append(d)
                self._flag_dicts = out
        return self._flag_dicts

    def unit_dicts(self) -> list[dict]:
        """Every unit as a JSON object, built from whole columns: each unit's dict is made in C from one
        row of column lists (a province has 14,000 units and 28,000 flags, a country 380,000 units)."""
        with paused():
            return self._unit_dicts()

    def _unit_dicts(self) -> list[dict]:
        f = self.figures
        n = len(f)
        by_unit: dict[str, list[dict]] = {}
        for flag in self.flag_dicts():
            by_unit.setdefault(flag["unit"], []).append(flag)
        ids = f.index.tolist()
        columns = {"id": ids, "name": f["name"].tolist(), "label": f["label"].tolist(),
                   "level": f["level"].tolist(), "parent": _objects(f["parent"]),
                   "base": f["base"].astype(bool).tolist()}
        for c in COUNTS + ["no_smartphone"]:
            columns[c] = [None] * n if c in self.unknown else f[c].astype("int64").tolist()
        columns |= {r: _floats(f[r]) for r in RATES}
        meetings_known = "regular_meetings" not in self.unknown
        columns["held_meetings"] = f["held_meetings"].astype(bool).tolist() if meetings_known else [None] * n
        # tags and targets repeat from unit to unit: each distinct row is made once, copied per unit
        tags = zip(*(f[t].astype(bool).tolist() for t in TAGS))
        columns["tags"] = _per_distinct(tags, lambda row: [t for t, on in zip(TAGS, row) if on])
        targets = self.targets.reindex(f.index)
        metrics = list(targets.columns)
        columns["targets"] = _per_distinct(zip(*(_floats(targets[m]) for m in metrics)),
                                           lambda row: {m: v for m, v in zip(metrics, row) if v is not None})
        columns["flags"] = [by_unit.get(u, []) for u in ids]
        if self.comparison is not None:
            columns |= self._change_columns()
        keys = list(columns)
        units = [dict(zip(keys, row)) for row in zip(*columns.values())]
        for unit in units:
            if unit["level"] != "chi_bo":  # held_meetings is a chi bộ's own
                del unit["held_meetings"]
        return units

    def _change_columns(self) -> dict[str, list]:
        """`previous` and `change` (against the period before), `year_before` and `change_year`, per unit in
        the figures' order; None where that period is not stored or the unit was not in it."""
        c = self.comparison
        f = self.figures
        out = {}
        for key, change_key, before, label in (("previous", "change", c.previous_rates, c.previous),
                                               ("year_before", "change_year", c.year_rates, c.year_before)):
            if label is None:
                out[key] = out[change_key] = [None] * len(f)
                continue
            known = f.index.isin(before.index)
            delta = c.change(f, "previous" if key == "previous" else "year_before")
            then = before.reindex(f.index)
            rates = list(then.columns)
            then_rows = zip(*(_floats(then[r]) for r in rates))
            delta_rows = zip(*(_floats(delta[r]) for r in delta.columns))
            delta_keys = list(delta.columns)
            out[key], out[change_key] = [], []
            for k, then_row, delta_row in zip(known.tolist(), then_rows, delta_rows):
                out[key].append({"period": label.label, **dict(zip(rates, then_row))} if k else None)
                out[change_key].append(dict(zip(delta_keys, delta_row)) if k else None)
        return out


def _per_distinct(rows, make) -> list:
    """`make(row)` for each row, computed once per distinct row and copied (every unit owns its value)."""
    made: dict = {}
    out = []
    for row in rows:
        value = made.get(row)
        if value is None:
            value = made[row] = make(row)
        out.append(value.copy())
    return out


def _floats(column: pd.Series) -> list:
    """A column as a list of floats, None where NaN (JSON's null)."""
    values = column.to_numpy(dtype="float64", na_value=np.nan)
    out = values.tolist()
    for i in np.flatnonzero(np.isnan(values)).tolist():
        out[i] = None
    return out


def _objects(column: pd.Series) -> list:
    """A column of text as a list, None where missing."""
    values = column.to_numpy(dtype=object)
    out = values.tolist()
    for i in np.flatnonzero(pd.isna(values)).tolist():
        out[i] = None
    return out


def _num(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _int(value) -> int | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)


GROUP_LABELS = {"state_agency": "Khối cơ quan nhà nước", "armed_forces": "Khối lực lượng vũ trang"}


def group_figures(figures: pd.DataFrame, unknown: set[str] = frozenset()) -> pd.DataFrame:
    """The figures of each tagged group, summed over its top-most tagged units (a roll-up already
    holds everything below it), rates from the sums; groups with no unit are left out."""
    rows = {}
    for tag in GROUP_LABELS:
        tagged = figures[tag].astype(bool)
        parent_tagged = figures["parent"].map(tagged).fillna(False).astype(bool)
        top = figures[tagged & ~parent_tagged]
        if top.empty:
            continue
        row = top[COUNTS].sum()
        row["units"] = len(top)
        rows[tag] = row
    out = pd.DataFrame(rows).T if rows else pd.DataFrame(columns=[*COUNTS, "units"])
    for rate, (num, den) in RATES.items():
        out[rate] = (out[num] / out[den].where(out[den] > 0)).astype("float64")
    for column in unknown:
        out[column] = np.nan
    return out


def place(data: Dataset, config: Config) -> Tree:
    """The organisation tree of `data`, every roster row and meeting placed on its unit, and the
    accounts filed under another chi bộ said (`sotay check` runs this too)."""
    members = data.members
    units = data.units.frame if data.units is not None else None
    tree = build_tree(members.frame, units, config.root_name, config.organisation.get("level"),
                      data.units.source if data.units is not None else "", members.source)
    crosscheck.note_unplaced(members, tree)
    for table in data.meeting_tables():
        crosscheck.place_meetings(data, table, tree)
    if data.usage is not None:
        crosscheck.note_unit_mismatch(data, tree)
    return tree


def analyse(config: Config, period: Period, inputs: dict[str, str | None] | None = None,
            sheet: str | None = None) -> Analysis:
    """Analyse `period` with the inputs given, or those configured; InputError when unreadable.

    A quarter or a year whose configured paths have `{period}` is read month by month (sources.py);
    `sheet` names the worksheet to read in workbooks."""
    sources = resolve_sources(config, period, inputs)
    if not sources.single("members"):
        raise InputError("chưa có danh sách đảng viên: dùng --members TỆP hoặc khai báo [inputs] members "
                         "trong sotay.toml.")
    rounding = config.rules.get("rounding", "half-up")
    if rounding not in ROUNDING_MODES:
        raise InputError(f"sotay.toml: rounding phải là một trong {', '.join(ROUNDING_MODES)}, không phải '{rounding}'.")

    def monthly(kind):
        return sources.files[kind] if kind in sources.monthly else sources.single(kind)

    gone = [p for files in sources.files.values() for p in files.values() if p != "-" and not Path(p).exists()]
    if len(gone) > 1:  # one message for every file not found, not one run per file
        raise InputError(f"không tìm thấy {len(gone)} tệp: {', '.join(gone)}.")

    data = load_dataset(sources.single("members"), monthly("usage"), monthly("meetings"), sources.single("units"),
                        overrides=config.columns, sheet=sheet)
    members = data.members
    tree = place(data, config)
    notes: list[Problem] = []
    rules = Rules.from_config(config.rules)
    if rules.smartphone_only:
        crosscheck.note_smartphone(members, notes)
    unknown = unknown_figures(set(data.usage.mapping) if data.usage is not None else None,
                              set(data.meetings.mapping) if data.meetings is not None else None, period.cut_short)
    if period.cut_short and data.usage is not None and "accesses" in data.usage.mapping:
        notes.append(Problem(data.usage.source, "accesses_not_cut", "warning",
                             f"Số lần truy cập trong tệp tính cho cả kỳ, không cắt được ở ngày {period.end:%d/%m/%Y}: "
                             + ("sử dụng thường xuyên tính theo lần truy cập gần nhất." if "last_access" in
                                data.usage.mapping else "số sử dụng thường xuyên là 'chưa có số liệu'.")))
    crosscheck.note_unknown(data, unknown, notes)
    crosscheck.note_stale(data, period, int(config.rules.get("stale_days", 20)), notes)
    active = crosscheck.active_by_rule(data, sources, tree, period, rules, config.rules.get("quarter_active", "every-month"),
                             unknown, notes)
    meeting_months = None
    if "meetings" in sources.monthly:
        meeting_months = len(sources.files["meetings"])
        gone = sources.missing.get("meetings", [])
        if gone:
            notes.append(Problem(data.meetings.source, "months_missing", "warning",
                                 f"Không có tệp sinh hoạt chi bộ của {crosscheck.month_words(gone)}: chi bộ sinh hoạt đủ được "
                                 f"xét trên {meeting_months} tháng có tệp."))
    facts: dict = {}
    meetings_frame = _meetings_frame(data)
    figures = compute(members.frame, data.usage.frame if data.usage else None, meetings_frame, tree, period, rules,
                      unknown, facts, active=active, required_months=meeting_months)
    if facts.get("capped"):
        capped = figures.loc[facts["capped"], "label"].tolist()
        notes.append(Problem(data.meetings.source, "attendance_capped", "warning",
                             f"{len(capped)} chi bộ có số đảng viên dự sinh hoạt nhiều hơn số đang sinh hoạt nhân số buổi "
                             f"({', '.join(capped[:5])}{', …' if len(capped) > 5 else ''}); sotay tính tối đa 100%. "
                             "Kiểm tra cột số đảng viên dự."))
    try:
        targets = resolve(figures, config.targets, tree)
    except TargetError as exc:
        raise InputError(f"sotay.toml [targets]: {exc}.") from exc
    strict = bool(config.rules.get("strict_targets", False))
    deadlines = (config.targets or {}).get("deadlines") or {}
    result = Analysis(period, config, data, tree, figures, targets, flags(figures, targets, strict, deadlines),
                      rounding, sources.paths, unknown=unknown, notes=notes)
    result.months_missing = sorted({m for months in sources.missing.values() for m in months})
    return result


def _meetings_frame(data: Dataset) -> pd.DataFrame | None:
    frames = [t.frame for t in data.meeting_tables()]
    if not frames:
        return None
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
