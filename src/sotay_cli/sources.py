"""Which export files make up a period: one file each, or one per month of a quarter or a year.

Staff keep one folder per month (`du-lieu/2026-04/tai-khoan.xlsx`). Where a configured path has
`{period}`, a quarter or a year reads the file of each of its months; a file for the period's own
label (`du-lieu/2026-Q2/…`), when present, wins. Months without a file are said, never filled in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .periods import Period

KINDS = ("members", "usage", "meetings", "units")
MONTHLY = ("usage", "meetings")  # read month by month; the roster and the units as at the last month


@dataclass
class Sources:
    """The files of each kind: label (a month, or the period's own label) -> path."""

    files: dict[str, dict[str, str]] = field(default_factory=dict)
    monthly: set[str] = field(default_factory=set)  # kinds read one file per month
    missing: dict[str, list[str]] = field(default_factory=dict)  # kind -> months without a file
    # kind -> the period's file its {period} path names but that is not there (usage, meetings): read
    # without it, its figures unknown, as if not configured; a roster not there stays an error
    absent: dict[str, str] = field(default_factory=dict)

    def single(self, kind: str) -> str | None:
        """The one file of `kind` (the latest month's when read per month)."""
        files = self.files.get(kind) or {}
        return files[max(files)] if files else None

    @property
    def paths(self) -> dict[str, str]:
        """Every file by kind, for messages and history: 'usage 2026-04' and so on when per month."""
        out = {}
        for kind, files in self.files.items():
            for label, path in files.items():
                out[f"{kind} {label}" if kind in self.monthly else kind] = path
        return out


def months_of(period: Period) -> list[str]:
    """The month labels of `period` up to its end (an as-of day inside the period cuts it short)."""
    return [f"{m.year}-{m.month:02d}" for m in period.months]


def resolve(config, period: Period, given: dict[str, str | None] | None = None) -> Sources:
    """The files for `period`: those given on the command line, else those of sotay.toml."""
    given = {k: v for k, v in (given or {}).items() if v}
    sources = Sources()
    months = months_of(period)
    for kind in KINDS:
        if kind in given:
            sources.files[kind] = {period.label: given[kind]}
            continue
        pattern = config.inputs.get(kind)
        if not pattern:
            continue
        own = config.input_path(kind, period.label)
        by_period = "{period}" in pattern and own != "-"
        if not by_period or period.kind == "month" or Path(own).exists():
            if by_period and kind in MONTHLY and not Path(own).exists():
                sources.absent[kind] = own  # this month's export is not there yet
                continue
            sources.files[kind] = {period.label: own}
            continue
        found = {m: config.input_path(kind, m) for m in months}
        present = {m: p for m, p in found.items() if Path(p).exists()}
        if not present:  # nothing per month either
            if kind in MONTHLY:
                sources.absent[kind] = own
            else:  # the roster's, the units': named in the error
                sources.files[kind] = {period.label: own}
            continue
        if kind in MONTHLY:
            sources.files[kind] = present
            sources.monthly.add(kind)
            gone = [m for m in months if m not in present]
            if gone:
                sources.missing[kind] = gone
        else:  # the roster and the units file as at the end of the last month that has one
            last = max(present)
            sources.files[kind] = {last: present[last]}
    return sources
