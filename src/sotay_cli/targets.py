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
    value = raw / 100 if raw > 1 else float(raw) + 0.0  # + 0.0: a -0.0 written in the config is 0.0
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


FLAG_COLUMNS = ["unit", "level", "metric", "value", "target", "gap", "gap_unit", "shortfall", "pace", "strict",
                "deadline"]  # a Flag's fields, in order
_OBJECT_COLUMNS = ("unit", "level", "metric", "gap_unit", "pace", "deadline")


class Flags:
    """Every flag of a period as one table (a country has 800,000): the columns of `FLAG_COLUMNS` and `at`,
    the unit's position in the figures the flags were found in. No Python object per flag: iterating or
    indexing makes `Flag` objects for the rows asked only; the words are written once per distinct flag."""

    def __init__(self, frame: pd.DataFrame, words: dict | None = None):
        self.frame = frame.reset_index(drop=True)
        self._words = {} if words is None else words  # rounding -> (message, deadline, deadline_text) columns

    @classmethod
    def from_columns(cls, columns: dict) -> Flags:
        """From arrays (object arrays stay Python objects: a column of text ids is not converted)."""
        data = {c: pd.Series(np.asarray(columns[c], dtype=object) if c in _OBJECT_COLUMNS else columns[c],
                             dtype=object if c in _OBJECT_COLUMNS else None, copy=False)
                for c in [*FLAG_COLUMNS, "at"]}
        return cls(pd.DataFrame(data))

    @classmethod
    def of(cls, flags: list[Flag], at=None) -> Flags:
        """A table of `Flag` objects (tests, small callers); `at` the units' positions, -1 when not given."""
        columns = {c: [getattr(f, c) for f in flags] for c in FLAG_COLUMNS}
        columns["value"], columns["target"], columns["shortfall"] = (np.asarray(columns[c], dtype="float64")
                                                                     for c in ("value", "target", "shortfall"))
        columns["gap"] = np.asarray(columns["gap"], dtype="int64")
        columns["strict"] = np.asarray(columns["strict"], dtype=bool)
        columns["at"] = np.full(len(flags), -1, dtype="int64") if at is None else np.asarray(at, dtype="int64")
        return cls.from_columns(columns)

    def __len__(self) -> int:
        return len(self.frame)

    def __bool__(self) -> bool:
        return len(self.frame) > 0

    def __iter__(self):
        step = 10_000
        for start in range(0, len(self.frame), step):
            yield from self._objects(slice(start, start + step))

    def __getitem__(self, key):
        """A `Flag` for an integer; a table for a slice, a mask or positions."""
        if isinstance(key, (int, np.integer)):
            return self._objects(slice(key, key + 1 if key != -1 else None))[0]
        rows = self.frame.iloc[key]
        return Flags(rows, None)

    def __eq__(self, other) -> bool:
        if isinstance(other, Flags):
            return list(self) == list(other)
        return NotImplemented

    def _objects(self, rows) -> list[Flag]:
        part = self.frame.iloc[rows]
        return [Flag(*row) for row in zip(*(part[c].tolist() for c in FLAG_COLUMNS))]

    def where(self, mask) -> Flags:
        """The flags where `mask` holds, in the same order (their words kept)."""
        mask = np.asarray(mask, dtype=bool)
        words = {r: tuple(column[mask] for column in cols) for r, cols in self._words.items()}
        return Flags(self.frame[mask], words)

    def with_pace(self, pace) -> Flags:
        """The same flags with the pace column given (the words do not depend on it)."""
        return Flags(self.frame.assign(pace=pd.Series(np.asarray(pace, dtype=object), dtype=object)), self._words)

    def located(self, units: pd.Index) -> Flags:
        """These flags, each with its unit's position in `units` where it was not given (`of` without `at`)."""
        at = self.at
        if not (at < 0).any():
            return self
        found = np.where(at < 0, units.get_indexer(self.frame["unit"]), at)
        return Flags(self.frame.assign(at=found), self._words)

    @property
    def at(self) -> np.ndarray:
        return self.frame["at"].to_numpy()

    def column(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy()

    def words(self, rounding: str = "half-up") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Columns of each flag's `message`, deadline (ISO text) and `deadline_text`, written by `Flag`'s own
        methods once per distinct flag (all fields but its unit and pace) and shared by the flags alike."""
        if rounding not in self._words:
            key = np.zeros(len(self.frame), dtype="int64")
            for c in ("level", "metric", "value", "target", "gap", "gap_unit", "strict", "deadline"):
                codes, uniques = pd.factorize(self.frame[c], use_na_sentinel=False)
                key, _ = pd.factorize(key * max(len(uniques), 1) + codes)
            _, first = np.unique(key, return_index=True)
            alike = self._objects(first)
            message = np.array([f.message(rounding) for f in alike], dtype=object)
            day = np.array([f.deadline.isoformat() if f.deadline else None for f in alike], dtype=object)
            text = np.array([f.deadline_text() for f in alike], dtype=object)
            self._words[rounding] = (message[key], day[key], text[key])
        return self._words[rounding]


def flags(figures: pd.DataFrame, targets: pd.DataFrame, strict: bool = False,
          deadlines: dict | None = None) -> Flags:
    """Every unit and metric below its target, most urgent (largest shortfall) first, then by gap and unit.
    With `strict` a unit must be above a target under 100 % ("trên 95%"); reaching it exactly is not enough."""
    targets = targets if targets.index.equals(figures.index) else targets.reindex(figures.index)
    parts = []
    for metric, (num, den) in RATES.items():
        t_all = targets[metric].to_numpy(dtype="float64", na_value=np.nan)
        value = figures[metric].to_numpy(dtype="float64", na_value=np.nan)
        known = ~np.isnan(t_all) & ~np.isnan(value)
        with np.errstate(invalid="ignore"):
            below = known & (value < t_all - 1e-12)
            if strict:
                below |= known & (t_all < 1 - 1e-12) & (np.abs(value - t_all) <= 1e-12)
        at = np.flatnonzero(below)
        if not len(at):
            continue
        t, v = t_all[at], value[at]
        d = figures[den].to_numpy(dtype="float64", na_value=np.nan)[at]
        n = figures[num].to_numpy(dtype="float64", na_value=np.nan)[at]
        need = np.ceil(t * d - 1e-9) - n
        if strict:  # the smallest count strictly above the target
            need = np.where(t < 1 - 1e-12, np.floor(t * d + 1e-9) + 1 - n, need)
        parts.append({"at": at, "metric": metric, "value": v, "target": t, "gap": np.maximum(need, 1).astype("int64"),
                      "gap_unit": GAP_UNITS[metric], "shortfall": t - v, "strict": strict & (t < 1 - 1e-12),
                      "deadline": _day((deadlines or {}).get(metric))})
    if not parts:
        empty = {c: np.empty(0, dtype=object) for c in _OBJECT_COLUMNS}
        return Flags.from_columns(empty | {"value": np.empty(0), "target": np.empty(0), "shortfall": np.empty(0),
                                           "gap": np.empty(0, "int64"), "strict": np.empty(0, bool),
                                           "at": np.empty(0, "int64")})
    sizes = [len(p["at"]) for p in parts]
    columns = {c: np.concatenate([p[c] for p in parts]) for c in ("at", "value", "target", "gap", "shortfall", "strict")}
    for c in ("metric", "gap_unit", "deadline"):  # one value per metric, repeated for its flags
        columns[c] = np.repeat(np.array([p[c] for p in parts], dtype=object), sizes)
    ids = np.asarray(figures.index, dtype=object)
    at = columns["at"]
    # shortfall, then gap, largest first, then the unit's id as Python orders text (UTF-8 bytes order the
    # same way); flags equal in all three stay in metric order (a stable sort)
    order = np.lexsort((_text_rank(ids, at), -columns["gap"], -columns["shortfall"]))
    columns = {c: a[order] for c, a in columns.items()}
    columns["unit"] = ids[columns["at"]]
    columns["level"] = figures["level"].to_numpy(dtype=object)[columns["at"]]
    columns["pace"] = np.full(len(order), None, dtype=object)
    return Flags.from_columns(columns)


def _text_rank(ids: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The rank of each `ids[at]` among them in Python's order of text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    distinct, inverse = np.unique(at, return_inverse=True)
    rank = pc.rank(pa.array(ids[distinct], type=pa.string()), sort_keys="ascending", tiebreaker="dense")
    return rank.to_numpy()[inverse]
