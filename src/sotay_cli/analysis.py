"""One period analysed end to end: load the exports, build the tree, compute figures, check targets.

This is what every command that needs figures calls; it never prints.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np
import orjson
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
from .targets import FLAG_COLUMNS, Flags, TargetError, flags, resolve

if TYPE_CHECKING:
    from .history import Comparison


# units made into dicts and written at a time by `Analysis.json_chunks` (flags: twice as many): a batch's
# objects and text stay in the processor's caches and its buffer is reused (10,000 units: 30 MB, a fifth slower)
UNIT_BATCH = 1_000


@dataclass
class Analysis:
    period: Period
    config: Config
    data: Dataset
    tree: Tree
    figures: pd.DataFrame
    targets: pd.DataFrame
    flags: Flags
    rounding: str = "half-up"
    inputs: dict[str, str] = field(default_factory=dict)
    comparison: Comparison | None = None  # when a history file is used
    unknown: set[str] = field(default_factory=set)  # figures that need an input or column not given
    notes: list[Problem] = field(default_factory=list)  # what the analysis itself had to decide
    months_missing: list[str] = field(default_factory=list)  # months of the period without an export
    months_missing_by_kind: dict[str, list[str]] = field(default_factory=dict)  # 'usage', 'meetings' -> months
    absent: dict[str, str] = field(default_factory=dict)  # kind -> the period's file its {period} path names, not there

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
        units, flags = self.unit_and_flag_dicts()
        total = next(u for u in units if u["id"] == self.root)
        return self._document(total, units, flags)

    def _document(self, total, units, flags) -> dict:
        errors = sum(p.severity == "error" for p in self.problems)
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
            "flags": flags,
            "problems": {"errors": errors, "warnings": len(self.problems) - errors,
                         "duplicate_cards": self.duplicate_cards},
        }

    def json_chunks(self, level: str | None = None, batch: int = UNIT_BATCH) -> Iterator[bytes]:
        """`to_dict` as orjson writes it (two-space indent, a final newline), in pieces: the units (those of
        `level`, or all) `batch` at a time and the flags likewise, each piece made into dicts, written and
        forgotten before the next, so that a country's gigabyte is never held whole."""
        columns = _UnitColumns(self)
        root = columns.position(self.root)
        total = columns.dicts(np.array([root]))[0]
        skeleton = orjson.dumps(self._document(total, _UNITS, _FLAGS), option=_INDENT)
        # the last ones: names written before them (the root's, the total's) are the user's text
        flags_at = skeleton.rindex(_FLAGS_TEXT)
        units_at = skeleton.rindex(_UNITS_TEXT, 0, flags_at)
        yield skeleton[:units_at]
        n = len(self.figures)
        levels = columns.level
        yield from _array(columns.dicts, (p if level is None else p[levels[p] == level]
                                          for p in (np.arange(lo, min(lo + batch, n)) for lo in range(0, n, batch))))
        yield skeleton[units_at + len(_UNITS_TEXT):flags_at]
        flags = len(self.flags)
        yield from _array(columns.flag_dicts, (np.arange(lo, min(lo + 2 * batch, flags))
                                               for lo in range(0, flags, 2 * batch)))
        yield skeleton[flags_at + len(_FLAGS_TEXT):]

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

    def with_flags(self, flags: Flags) -> None:
        """Replace the flags (given their pace, say). A flag made without its unit's position (`Flags.of`)
        is given it here: labels and each unit's flags are read by position."""
        self.flags = flags.located(self.figures.index)

    def flag_dicts(self) -> list[dict]:
        """Every flag as a JSON object with its unit's label (small callers: a country has 800,000)."""
        return _UnitColumns(self).flag_dicts(np.arange(len(self.flags)))

    def unit_dicts(self) -> list[dict]:
        """Every unit as a JSON object with its flags (small callers; `json_chunks` writes them in batches)."""
        return _UnitColumns(self).dicts(np.arange(len(self.figures)))

    def unit_and_flag_dicts(self) -> tuple[list[dict], list[dict]]:
        """`unit_dicts()` and `flag_dicts()` for one document, each flag's object made once: a unit's flags are
        the same objects as in the list of flags."""
        columns = _UnitColumns(self)
        flags = columns.flag_dicts(np.arange(len(self.flags)))
        return columns.dicts(np.arange(len(self.figures)), flags), flags


_INDENT = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
_UNITS, _FLAGS = "\x00units\x00", "\x00flags\x00"  # stand-ins for the arrays written in pieces
_UNITS_TEXT, _FLAGS_TEXT = orjson.dumps(_UNITS), orjson.dumps(_FLAGS)


def _array(make, batches) -> Iterator[bytes]:
    """A JSON array, the value of a key of the document (its items at depth 2), from batches of positions:
    each batch's items made (`make(positions)`), written by orjson as an array of its own, indented one level
    further, and freed, all with the cycle collector paused: it would otherwise scan the batch's objects once
    more when it resumes."""
    first = True
    for rows in batches:
        if not len(rows):
            continue
        with paused():
            # inside an object, as in the document: written at its depth, b'{\n  "": [\n    {...}\n  ]\n}'
            text = orjson.dumps({"": make(rows)}, option=orjson.OPT_INDENT_2)
        yield b"[\n" if first else b",\n"
        yield memoryview(text)[len(b'{\n  "": [\n'):-len(b"\n  ]\n}")]  # not copied
        first = False
    yield b"[]" if first else b"\n  ]"


class _UnitColumns:
    """An analysis's units and flags as whole columns, from which any of them are made into JSON objects: each
    unit's dict made in C from one row of column lists (a country has 380,000 units and 800,000 flags)."""

    def __init__(self, analysis: Analysis):
        self.analysis = a = analysis
        f = a.figures
        self.n = len(f)
        self.ids = np.asarray(f.index, dtype=object)
        self.text = {c: f[c].to_numpy(dtype=object) for c in ("name", "label", "level")}
        self.level = self.text["level"]
        self.chi_bo = self.level == "chi_bo"
        self.parent = _objects(f["parent"])
        self.base = f["base"].to_numpy(dtype=bool)
        self.counts = {c: None if c in a.unknown else f[c].to_numpy(dtype="int64") for c in COUNTS + ["no_smartphone"]}
        self.rates = {r: _float_array(f[r]) for r in RATES}
        self.held = None if "regular_meetings" in a.unknown else f["held_meetings"].to_numpy(dtype=bool)
        # tags and targets repeat from unit to unit: each distinct row is made once, copied per unit
        tags, self.tag_row = _distinct_rows(f[list(TAGS)].to_numpy(dtype=bool))
        self.tag_lists = [[t for t, on in zip(TAGS, row) if on] for row in tags]
        targets = a.targets.reindex(f.index)
        rows, self.target_row = _distinct_rows(targets.to_numpy(dtype="float64", na_value=np.nan))
        self.target_dicts = [{m: v for m, v in zip(targets.columns, row) if not math.isnan(v)} for row in rows]
        fl = a.flags
        self.flag_at = fl.at
        # every field of a flag as an array, in the order of its JSON keys (`flag_dicts`)
        self.flag_columns = [*(fl.column(c) for c in FLAG_COLUMNS[:-1]), *fl.words(a.rounding),
                             self.text["label"][self.flag_at]]
        self.by_unit = np.argsort(self.flag_at, kind="stable")  # flags unit by unit, in their order
        self.by_unit_at = self.flag_at[self.by_unit]
        self.changes = self._changes() if a.comparison is not None else None

    def position(self, unit: str) -> int:
        return int(np.flatnonzero(self.ids == unit)[0])

    def _changes(self) -> list:
        c, f = self.analysis.comparison, self.analysis.figures
        out = []
        for key, change_key, before, label in (("previous", "change", c.previous_rates, c.previous),
                                               ("year_before", "change_year", c.year_rates, c.year_before)):
            if label is None:
                out.append((key, change_key, None, None, None, None))
                continue
            delta = c.change(f, "previous" if key == "previous" else "year_before")
            then = before.reindex(f.index)
            out.append((key, change_key, label.label, f.index.isin(before.index),
                        {r: _float_array(then[r]) for r in then.columns},
                        {r: _float_array(delta[r]) for r in delta.columns}))
        return out

    def flag_dicts(self, rows: np.ndarray) -> list[dict]:
        """The flags at `rows` of the table as JSON objects (their words shared by the flags alike). The one
        place a flag's keys are written; a dict display is a third faster than dict(zip(keys, row))."""
        columns = [c[rows].tolist() for c in self.flag_columns]
        with paused():
            return [{"unit": unit, "level": level, "metric": metric, "value": value, "target": target, "gap": gap,
                     "gap_unit": gap_unit, "shortfall": shortfall, "pace": pace, "strict": strict, "message": message,
                     "deadline": deadline, "deadline_text": deadline_text, "label": label}
                    for (unit, level, metric, value, target, gap, gap_unit, shortfall, pace, strict, message, deadline,
                         deadline_text, label) in zip(*columns)]

    def dicts(self, p: np.ndarray, every_flag: list[dict] | None = None) -> list[dict]:
        """The units at positions `p` (increasing) as JSON objects, each with its flags: taken from `every_flag`
        (every flag's object, as `flag_dicts` made them) when given, else made here."""
        k = len(p)
        first = np.searchsorted(self.by_unit_at, p, "left")
        counts = np.searchsorted(self.by_unit_at, p, "right") - first
        ends = np.cumsum(counts)
        rows = self.by_unit[np.arange(ends[-1] if k else 0) - np.repeat(ends - counts - first, counts)]
        with paused():
            flags = self.flag_dicts(rows) if every_flag is None else [every_flag[i] for i in rows.tolist()]
            bounds = [0, *ends.tolist()]
            columns = {"id": self.ids[p].tolist(), "name": self.text["name"][p].tolist(),
                       "label": self.text["label"][p].tolist(), "level": self.level[p].tolist(),
                       "parent": self.parent[p].tolist(), "base": self.base[p].tolist()}
            for c, values in self.counts.items():
                columns[c] = [None] * k if values is None else values[p].tolist()
            columns |= {r: _floats(values[p]) for r, values in self.rates.items()}
            columns["held_meetings"] = [None] * k if self.held is None else self.held[p].tolist()
            columns["tags"] = [self.tag_lists[i].copy() for i in self.tag_row[p].tolist()]  # every unit owns its own
            columns["targets"] = [self.target_dicts[i].copy() for i in self.target_row[p].tolist()]
            columns["flags"] = [flags[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
            for key, change_key, label, known, then, delta in self.changes or ():
                if label is None:
                    columns[key] = columns[change_key] = [None] * k
                    continue
                columns[key] = _records(["period", *then], [repeat(label), *(_floats(v[p]) for v in then.values())])
                columns[change_key] = _records(delta, [_floats(v[p]) for v in delta.values()])
                for i in np.flatnonzero(~known[p]).tolist():  # units the period before did not have
                    columns[key][i] = columns[change_key][i] = None
            units = _records(columns, columns.values())
            for i in np.flatnonzero(~self.chi_bo[p]).tolist():  # held_meetings is a chi bộ's own
                del units[i]["held_meetings"]
        return units


def _records(keys, columns) -> list[dict]:
    """A dict of `keys` for each row of `columns` (lists or iterators of the values, key by key), made in C."""
    return list(map(dict, map(zip, repeat(list(keys)), zip(*columns))))


def _distinct_rows(matrix: np.ndarray) -> tuple[list[list], np.ndarray]:
    """The distinct rows of a 2-D array (as lists) and, for each row, its number among them."""
    bits = matrix
    if matrix.dtype.kind == "f":  # told apart by their bits: -0.0 is not 0.0 (nor in the JSON); every NaN alike
        bits = np.where(np.isnan(matrix), np.nan, matrix).view(np.int64)
    row = np.zeros(len(matrix), dtype=np.int64)
    for column in bits.T:  # a third of the time of np.unique(axis=0)
        codes, uniques = pd.factorize(column)
        row, _ = pd.factorize(row * len(uniques) + codes)
    _, first = np.unique(row, return_index=True)
    return matrix[first].tolist(), row


def _float_array(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype="float64", na_value=np.nan)


def _floats(values: np.ndarray) -> list:
    """Floats as a list, None where NaN (JSON's null)."""
    out = values.tolist()
    for i in np.flatnonzero(np.isnan(values)).tolist():
        out[i] = None
    return out


def _objects(column: pd.Series) -> np.ndarray:
    """A column of text as Python objects, None where missing."""
    values = column.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = None
    return values


def _num(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _int(value) -> int | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)


GROUP_LABELS = {"state_agency": "Khối cơ quan nhà nước", "armed_forces": "Khối lực lượng vũ trang"}


def group_figures(figures: pd.DataFrame, unknown: set[str] = frozenset()) -> pd.DataFrame:
    """The figures of each tagged group, summed over its top-most tagged units (a roll-up already
    holds everything below it), rates from the sums; groups with no unit are left out."""
    rows = {}
    parent = figures.index.get_indexer(figures["parent"])  # every parent's position at once; -1: none
    for tag in GROUP_LABELS:
        tagged = figures[tag].astype(bool).to_numpy()
        parent_tagged = np.where(parent >= 0, tagged[parent], False)
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
    crosscheck.note_left(members, notes)
    if rules.smartphone_only:
        crosscheck.note_smartphone(members, notes)
    # a month's accounts file of which no row could be used, beside months that have rows: a failed export,
    # taken as a month without its file (not as a month when every account vanished)
    empty = [m for m, t in data.usage_months.items() if not t.rows_used]
    if empty and len(empty) < len(data.usage_months):
        for m in empty:
            del data.usage_months[m]
            sources.files["usage"].pop(m, None)
        data.usage = data.usage_months[max(data.usage_months)]
        sources.missing["usage"] = sorted(set(sources.missing.get("usage", [])) | set(empty))
        notes.append(Problem(data.usage.source, "usage_month_empty", "warning",
                             f"Tệp tài khoản của {crosscheck.month_words(empty)} không có dòng nào dùng được: tính như "
                             "tháng chưa có tệp (số đã cài đặt theo tháng gần nhất có tệp)."))
    # files read whose rows were all left out give no figure at all (unknown), not 0%
    usage_tables = list(data.usage_months.values()) or ([data.usage] if data.usage is not None else [])
    usage_gone = crosscheck.rejected_whole(usage_tables)
    meetings_gone = crosscheck.rejected_whole(data.meeting_tables(), empty_is_none=True)
    unknown = unknown_figures(set(data.usage.mapping) if data.usage is not None and not usage_gone else None,
                              set(data.meetings.mapping) if data.meetings is not None and not meetings_gone else None,
                              period.cut_short)
    if usage_gone:
        crosscheck.note_rejected(usage_tables, "usage", notes)
    if meetings_gone:
        crosscheck.note_rejected(data.meeting_tables(), "meetings", notes)
    if period.cut_short and data.usage is not None and "accesses" in data.usage.mapping:
        notes.append(Problem(data.usage.source, "accesses_not_cut", "warning",
                             f"Số lần truy cập trong tệp tính cho cả kỳ, không cắt được ở ngày {period.end:%d/%m/%Y}: "
                             + ("sử dụng thường xuyên tính theo lần truy cập gần nhất." if "last_access" in
                                data.usage.mapping else "số sử dụng thường xuyên là 'chưa có số liệu'.")))
    crosscheck.note_unknown(data, unknown, notes, period, sources.absent)
    crosscheck.note_stale(data, period, int(config.rules.get("stale_days", 20)), notes, "meetings" in sources.monthly)
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
    result.months_missing_by_kind = {kind: list(months) for kind, months in sources.missing.items()}
    result.absent = dict(sources.absent)
    return result


def _meetings_frame(data: Dataset) -> pd.DataFrame | None:
    frames = [t.frame for t in data.meeting_tables()]
    if not frames:
        return None
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
