"""One period analysed end to end: load the exports, build the tree, compute figures, check targets.

This is what every command that needs figures calls; it never prints.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .config import Config
from .fmt import ROUNDING_MODES
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
        if self._flag_dicts is None:
            labels = dict(zip(self.figures.index, self.figures["label"]))
            self._flag_dicts = [f.as_dict(self.rounding) | {"label": labels.get(f.unit, f.unit)} for f in self.flags]
        return self._flag_dicts

    def unit_dicts(self) -> list[dict]:
        """Every unit as a JSON object, built column-wise (a province has 14,000 units and 50,000 flags)."""
        f = self.figures
        by_unit: dict[str, list[dict]] = {}
        for flag in self.flag_dicts():
            by_unit.setdefault(flag["unit"], []).append(flag)
        columns = {"id": f.index.tolist(), "name": f["name"].tolist(), "label": f["label"].tolist(),
                   "level": f["level"].tolist(),
                   "parent": [p if isinstance(p, str) else None for p in f["parent"]],
                   "base": f["base"].astype(bool).tolist()}
        n = len(f)
        for c in COUNTS + ["no_smartphone"]:
            columns[c] = [None] * n if c in self.unknown else f[c].astype("int64").tolist()
        columns |= {r: [None if math.isnan(v) else v for v in f[r].astype("float64").tolist()] for r in RATES}
        tag_lists = [[t for t, on in zip(TAGS, row) if on] for row in f[list(TAGS)].astype(bool).itertuples(index=False)]
        held = f["held_meetings"].tolist()
        targets = self.targets.reindex(f.index)
        target_dicts = [{m: v for m, v in zip(targets.columns, row) if not math.isnan(v)}
                        for row in targets.itertuples(index=False)]
        keys = list(columns)
        units = []
        meetings_known = "regular_meetings" not in self.unknown
        # dict(zip(...)) row by row runs in C; 380,000 units of a country in about a second
        for i, row in enumerate(zip(*columns.values())):
            unit = dict(zip(keys, row))
            if row[3] == "chi_bo":
                unit["held_meetings"] = bool(held[i]) if meetings_known else None
            unit["tags"] = tag_lists[i]
            unit["targets"] = target_dicts[i]
            unit["flags"] = by_unit.get(row[0], [])
            units.append(unit)
        if self.comparison is not None:
            self._add_changes(units)
        return units

    def _add_changes(self, units: list[dict]) -> None:
        """`previous` and `change` (against the period before), `year_before` and `change_year`."""
        c = self.comparison
        for key, change_key, before, label in (("previous", "change", c.previous_rates, c.previous),
                                               ("year_before", "change_year", c.year_rates, c.year_before)):
            delta = c.change(self.figures, "previous" if key == "previous" else "year_before")
            before_rows = before.reindex(self.figures.index).to_dict("index")
            delta_rows = delta.to_dict("index")
            for unit in units:
                known = label is not None and unit["id"] in before.index
                unit[key] = ({"period": label.label} | {r: _num(v) for r, v in before_rows[unit["id"]].items()}
                             if known else None)
                unit[change_key] = {r: _num(v) for r, v in delta_rows[unit["id"]].items()} if known else None


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

    data = load_dataset(sources.single("members"), monthly("usage"), monthly("meetings"), sources.single("units"),
                        overrides=config.columns, sheet=sheet)
    members = data.members
    tree = place(data, config)
    notes: list[Problem] = []
    rules = Rules.from_config(config.rules)
    if rules.smartphone_only:
        crosscheck.note_smartphone(members, notes)
    unknown = unknown_figures(set(data.usage.mapping) if data.usage is not None else None,
                              set(data.meetings.mapping) if data.meetings is not None else None)
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
