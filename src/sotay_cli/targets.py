"""Targets from sotay.toml, resolved per unit, and the flags of units below them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .fmt import number, percent, target_percent
from .metrics import RATES
from .domain import TAGS

# Defaults taken from the dispatches (see sotay.toml for the citations):
# > 95 % of members access and use the app; 100 % of chi bộ hold their meetings on it;
# 100 % of members in state-agency organisations; armed forces left out of the chi bộ target.
DEFAULT_TARGETS: dict = {
    "installed_rate": 0.95,
    "active_rate": 0.95,
    "meeting_rate": 1.0,
    "tags": {
        "state_agency": {"installed_rate": 1.0, "active_rate": 1.0},
        "armed_forces": {"meeting_rate": False},
    },
}
METRIC_LABELS = {
    "installed_rate": "tỷ lệ cài đặt",
    "active_rate": "tỷ lệ sử dụng thường xuyên",
    "active_of_installed": "tỷ lệ sử dụng trên số đã cài đặt",
    "attendance_rate": "tỷ lệ đảng viên dự sinh hoạt",
    "meeting_rate": "tỷ lệ chi bộ sinh hoạt trên ứng dụng",
}
GAP_UNITS = {"installed_rate": "đảng viên", "active_rate": "đảng viên", "active_of_installed": "đảng viên",
             "attendance_rate": "lượt đảng viên", "meeting_rate": "chi bộ"}


class TargetError(ValueError):
    """A target in sotay.toml that makes no sense; the message is for the user."""


def _value(metric: str, raw) -> float:
    if raw is False or raw is None:
        return np.nan
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise TargetError(f"chỉ tiêu '{metric}' phải là số (0,95 ghi là 0.95) hoặc false, không phải {raw!r}")
    value = raw / 100 if raw > 1 else float(raw)
    if not 0 <= value <= 1:
        raise TargetError(f"chỉ tiêu '{metric}' phải nằm trong khoảng 0–1 (hoặc 0–100 %)")
    return value


def resolve(figures: pd.DataFrame, config: dict | None = None, tree=None) -> pd.DataFrame:
    """Target per unit and metric (NaN: no target). Later rules win: default, level, tag, unit.

    A unit of `[targets.units]` is named by its id, its label or a name that only one unit has."""
    config = _merged(config or {})
    targets = pd.DataFrame(index=figures.index, columns=list(RATES), dtype="float64")
    for metric in RATES:
        if metric in config:
            targets[metric] = _value(metric, config[metric])
    for level, rules in config.get("levels", {}).items():
        for metric, raw in rules.items():
            _check_metric(metric)
            targets.loc[figures["level"] == level, metric] = _value(metric, raw)
    for tag, rules in config.get("tags", {}).items():
        if tag not in TAGS:
            raise TargetError(f"nhãn '{tag}' không có; dùng một trong: {', '.join(TAGS)}")
        for metric, raw in rules.items():
            _check_metric(metric)
            targets.loc[figures[tag].astype(bool), metric] = _value(metric, raw)
    for named, rules in config.get("units", {}).items():
        unit = tree.find(named) if tree is not None else (named if named in targets.index else None)
        if unit is None:
            same = int((figures["name"] == named).sum()) if "name" in figures else 0
            if same > 1:
                raise TargetError(f"chỉ tiêu riêng cho '{named}' nhưng có {same} đơn vị cùng tên; ghi theo đường dẫn, "
                                  f"ví dụ \"{figures.index[(figures['name'] == named).to_numpy()][0]}\"")
            import difflib

            close = difflib.get_close_matches(named, figures["label"].tolist(), n=1, cutoff=0.8)
            raise TargetError(f"chỉ tiêu riêng cho đơn vị '{named}' nhưng không có đơn vị này trong dữ liệu"
                              + (f"; có phải '{close[0]}'?" if close else ""))
        for metric, raw in rules.items():
            _check_metric(metric)
            targets.loc[unit, metric] = _value(metric, raw)
    excluded = figures["excluded"].astype(bool)
    targets.loc[excluded, :] = np.nan
    return targets


def _check_metric(metric: str) -> None:
    if metric not in RATES:
        raise TargetError(f"chỉ tiêu '{metric}' không có; dùng một trong: {', '.join(RATES)}")


def _merged(config: dict) -> dict:
    merged = {k: v for k, v in DEFAULT_TARGETS.items() if k != "tags"}
    merged["tags"] = {tag: dict(rules) for tag, rules in DEFAULT_TARGETS["tags"].items()}
    for key, value in config.items():
        if key == "deadlines":
            merged[key] = dict(value)
        elif key in ("levels", "tags", "units"):
            for name, rules in value.items():
                merged.setdefault(key, {}).setdefault(name, {}).update(rules)
        else:
            _check_metric(key)
            merged[key] = value
    return merged


@dataclass(frozen=True)
class Flag:
    unit: str
    level: str
    metric: str
    value: float
    target: float
    gap: int  # members (or chi bộ) still missing to reach the target
    gap_unit: str
    shortfall: float  # target - value, for ordering
    pace: str | None = None  # when the unit would reach the target at its pace (needs history)

    strict: bool = False  # the target is "trên X%": the value must be above it
    deadline: dt.date | None = None  # the day the target must be reached by ([targets.deadlines])

    def deadline_text(self) -> str | None:
        """'cần thêm 138 đảng viên cài đặt trước ngày 31/7/2026'."""
        if self.deadline is None:
            return None
        d = self.deadline
        return f"cần thêm {number(self.gap)} {DEADLINE_WORDS[self.metric]} trước ngày {d.day}/{d.month}/{d.year}"

    def message(self, rounding: str = "half-up") -> str:
        if self.metric == "meeting_rate" and self.level == "chi_bo":
            return "chưa sinh hoạt định kỳ trên ứng dụng đủ các tháng trong kỳ"
        target = target_words(self.target, self.strict)
        reach = f"đạt {target}" if target.startswith("trên") else target
        return (f"{METRIC_LABELS[self.metric]} {percent(self.value, mode=rounding)} (chỉ tiêu {target}): "
                f"còn thiếu {number(self.gap)} {self.gap_unit} để {reach}")

    def as_dict(self, rounding: str = "half-up") -> dict:
        # by hand: dataclasses.asdict deep-copies every field, 2 s for a province's 50,000 flags
        return {"unit": self.unit, "level": self.level, "metric": self.metric, "value": self.value,
                "target": self.target, "gap": self.gap, "gap_unit": self.gap_unit, "shortfall": self.shortfall,
                "pace": self.pace, "strict": self.strict, "message": self.message(rounding),
                "deadline": self.deadline.isoformat() if self.deadline else None,
                "deadline_text": self.deadline_text()}


def _day(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


DEADLINE_WORDS = {"installed_rate": "đảng viên cài đặt", "active_rate": "đảng viên sử dụng thường xuyên",
                  "active_of_installed": "đảng viên đã cài đặt sử dụng thường xuyên",
                  "attendance_rate": "lượt đảng viên dự sinh hoạt", "meeting_rate": "chi bộ sinh hoạt trên ứng dụng"}


def target_words(target: float, strict: bool = False) -> str:
    """'đạt 100%', 'trên 95%' (strict), 'đạt 95%'."""
    if target >= 1 - 1e-12:
        return "đạt 100%"
    return f"{'trên' if strict else 'đạt'} {target_percent(target)}"


def flags(figures: pd.DataFrame, targets: pd.DataFrame, strict: bool = False,
          deadlines: dict | None = None) -> list[Flag]:
    """Every unit and metric below its target, most urgent (largest shortfall) first. With `strict`
    a unit must be above a target under 100 % ("trên 95%"); reaching it exactly is not enough."""
    found = []
    for metric, (num, den) in RATES.items():
        t_all = targets[metric]
        value = figures[metric]
        below = t_all.notna() & value.notna() & (value < t_all - 1e-12)
        if strict:
            below |= t_all.notna() & value.notna() & (t_all < 1 - 1e-12) & ((value - t_all).abs() <= 1e-12)
        if not below.any():
            continue
        f = figures.loc[below]
        t = t_all[below]
        need = np.ceil(t * f[den] - 1e-9) - f[num]
        if strict:  # the smallest count strictly above the target
            need = np.where(t < 1 - 1e-12, np.floor(t * f[den] + 1e-9) + 1 - f[num], need)
        for unit, level, v, target, gap in zip(f.index, f["level"], f[metric], t, need):
            found.append(Flag(unit, level, metric, float(v), float(target), int(max(gap, 1)),
                              GAP_UNITS[metric], float(target - v), strict=strict and target < 1 - 1e-12,
                              deadline=_day((deadlines or {}).get(metric))))
    found.sort(key=lambda fl: (-fl.shortfall, -fl.gap, fl.unit))
    return found
