"""Reporting periods: a month (2026-06), a quarter (2026-Q2) or a year (2026)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Period:
    label: str  # canonical: 2026-06, 2026-Q2, 2026
    kind: str  # month, quarter, year
    start: dt.date
    end: dt.date

    @property
    def months(self) -> list[pd.Period]:
        return list(pd.period_range(self.start, self.end, freq="M"))

    @property
    def words(self) -> str:
        """'tháng 6 năm 2026', 'quý II năm 2026', 'năm 2026'."""
        if self.kind == "month":
            return f"tháng {self.start.month} năm {self.start.year}"
        if self.kind == "quarter":
            return f"quý {ROMAN[(self.start.month - 1) // 3 + 1]} năm {self.start.year}"
        return f"năm {self.start.year}"

    def previous(self) -> "Period":
        """The period just before, of the same kind."""
        return parse_period(_shift(self, -1))

    def year_before(self) -> "Period":
        return parse_period(_shift(self, -{"month": 12, "quarter": 4, "year": 1}[self.kind]))


def _shift(p: Period, steps: int) -> str:
    if p.kind == "month":
        m = pd.Period(p.start, freq="M") + steps
        return f"{m.year}-{m.month:02d}"
    if p.kind == "quarter":
        q = pd.Period(p.start, freq="Q") + steps
        return f"{q.year}-Q{q.quarter}"
    return str(p.start.year + steps)


def parse_period(text: str) -> Period:
    """Parse a period or raise ValueError with a Vietnamese reason."""
    text = text.strip()
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(f"tháng {month} không hợp lệ trong kỳ '{text}'")
        start = dt.date(year, month, 1)
        end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
        return Period(f"{year}-{month:02d}", "month", start, end)
    if m := _QUARTER.match(text):
        year, quarter = int(m[1]), int(m[2])
        start = dt.date(year, 3 * quarter - 2, 1)
        end = (pd.Timestamp(start) + pd.offsets.QuarterEnd(0)).date()
        return Period(f"{year}-Q{quarter}", "quarter", start, end)
    if m := _YEAR.match(text):
        year = int(m[1])
        return Period(str(year), "year", dt.date(year, 1, 1), dt.date(year, 12, 31))
    raise ValueError(f"kỳ '{text}' không hợp lệ; ghi dạng 2026-06 (tháng), 2026-Q2 (quý) hoặc 2026 (năm)")
