"""One period analysed end to end: load the exports, build the tree, compute figures, check targets.

This is what every command that needs figures calls; it never prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from .config import Config
from .fmt import ROUNDING_MODES
from .ingest import Dataset, load_dataset
from .metrics import COUNTS, RATES, Rules, compute
from .org import TAGS, Tree, build_tree
from .periods import Period
from .problems import InputError, Problem
from .targets import Flag, TargetError, flags, resolve


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

    @property
    def problems(self) -> list[Problem]:
        return self.data.problems + self.tree.problems

    @property
    def root(self) -> str:
        return self.tree.root

    def total(self) -> pd.Series:
        return self.figures.loc[self.root]

    def flags_of(self, unit: str) -> list[Flag]:
        return [f for f in self.flags if f.unit == unit]

    def to_dict(self) -> dict:
        """The JSON document of `sotay stats --format json` (keys documented in the README)."""
        units = [self.unit_dict(name) for name in self.figures.index]
        errors = sum(p.severity == "error" for p in self.problems)
        return {
            "period": self.period.label,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "rounding": self.rounding,
            "root": self.root,
            "total": self.unit_dict(self.root),
            "units": units,
            "flags": [f.as_dict(self.rounding) for f in self.flags],
            "problems": {"errors": errors, "warnings": len(self.problems) - errors},
        }

    def unit_dict(self, name: str) -> dict:
        row = self.figures.loc[name]
        out = {"name": name, "level": row["level"], "parent": row["parent"]}
        out |= {c: int(row[c]) for c in COUNTS}
        out |= {r: _num(row[r]) for r in RATES}
        if row["level"] == "chi_bo":
            out["held_meetings"] = bool(row["held_meetings"])
        out["tags"] = [t for t in TAGS if bool(row[t])]
        out["targets"] = {m: _num(v) for m, v in self.targets.loc[name].items() if not math.isnan(v)}
        out["flags"] = [f.as_dict(self.rounding) for f in self.flags_of(name)]
        return out


def _num(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def analyse(config: Config, period: Period, inputs: dict[str, str | None] | None = None) -> Analysis:
    """Analyse `period` with the inputs given, or those configured; InputError when unreadable."""
    paths = {kind: config.input_path(kind, period.label) for kind in ("members", "usage", "meetings", "units")}
    paths |= {k: v for k, v in (inputs or {}).items() if v}
    if not paths.get("members"):
        raise InputError("chưa có danh sách đảng viên: dùng --members TỆP hoặc khai báo [inputs] members "
                         "trong sotay.toml.")
    rounding = config.rules.get("rounding", "half-up")
    if rounding not in ROUNDING_MODES:
        raise InputError(f"sotay.toml: rounding phải là một trong {', '.join(ROUNDING_MODES)}, không phải '{rounding}'.")
    data = load_dataset(paths["members"], paths.get("usage"), paths.get("meetings"), paths.get("units"),
                        overrides=config.columns)
    units = data.units.frame if data.units is not None else None
    tree = build_tree(data.members.frame, units, config.root_name, config.organisation.get("level"),
                      paths.get("units") or "")
    figures = compute(data.members.frame, data.usage.frame if data.usage else None,
                      data.meetings.frame if data.meetings else None, tree, period, Rules.from_config(config.rules))
    try:
        targets = resolve(figures, config.targets)
    except TargetError as exc:
        raise InputError(f"sotay.toml [targets]: {exc}.") from exc
    return Analysis(period, config, data, tree, figures, targets, flags(figures, targets), rounding,
                    {k: v for k, v in paths.items() if v})
