"""Reporting periods: a month (2026-06), a quarter (2026-Q2) or a year (2026)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

_MONTH = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])", re.ASCII)
_YEAR = re.compile(r"(\d{4})", re.ASCII)
_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
FIRST_YEAR, LAST_YEAR = 2000, 2100  # reports of the app's years; also keeps every date within pandas' range


@dataclass(frozen=True)
class Period:
    label: str  # canonical: 2026-06, 2026-Q2, 2026
    kind: str  # month, quarter, year
    start: dt.date
    end: dt.date

    @property
    def full_end(self) -> dt.date:
        """The period's own last day, whatever day the figures are taken to (see `as_of`)."""
        if self.kind == "month":
            return _month(self.start.year, self.start.month).end
        if self.kind == "quarter":
            return _quarter(self.start.year, (self.start.month - 1) // 3 + 1).end
        return _year(self.start.year).end

    @property
    def cut_short(self) -> bool:
        """Whether the figures are taken to a day before the period's end ('tính đến ngày 16/01/2026')."""
        return self.end < self.full_end

    @property
    def file_label(self) -> str:
        """The label output files are named by: the period's, or with the day the figures are taken to when
        cut short (2026-06-15, 2026-Q2-den-2026-05-15), so that a mid-month draft never takes the place of
        the month's own."""
        if not self.cut_short:
            return self.label
        return self.end.isoformat() if self.kind == "month" else f"{self.label}-den-{self.end.isoformat()}"

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
        """The period just before, of the same kind (1999-12 before 2000-01: only parsing keeps to the range)."""
        return _shift(self, -1)

    def year_before(self) -> "Period":
        return _shift(self, -{"month": 12, "quarter": 4, "year": 1}[self.kind])


def _shift(p: Period, steps: int) -> Period:
    if p.kind == "month":
        months = p.start.year * 12 + p.start.month - 1 + steps
        return _month(months // 12, months % 12 + 1)
    if p.kind == "quarter":
        quarters = p.start.year * 4 + (p.start.month - 1) // 3 + steps
        return _quarter(quarters // 4, quarters % 4 + 1)
    return _year(p.start.year + steps)


def _month(year: int, month: int) -> Period:
    start = dt.date(year, month, 1)
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    return Period(f"{year}-{month:02d}", "month", start, end)


def _quarter(year: int, quarter: int) -> Period:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = (pd.Timestamp(start) + pd.offsets.QuarterEnd(0)).date()
    return Period(f"{year}-Q{quarter}", "quarter", start, end)


def _year(year: int) -> Period:
    return Period(str(year), "year", dt.date(year, 1, 1), dt.date(year, 12, 31))


def month_words(label: str) -> str:
    """'2026-05' -> 'tháng 5/2026', as warnings and drafts name a month."""
    return f"tháng {int(label[5:7])}/{label[:4]}"


def parse_day(text: str) -> dt.date:
    """'2026-01-16' or '16/01/2026'; ValueError with a Vietnamese reason."""
    text = text.strip()
    if m := _DAY.fullmatch(text):
        parts = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.fullmatch(text):
        parts = int(m[3]), int(m[2]), int(m[1])
    else:
        raise ValueError(f"ngày '{text}' không hợp lệ; ghi dạng 2026-01-16 hoặc 16/01/2026")
    if not FIRST_YEAR <= parts[0] <= LAST_YEAR:
        raise ValueError(f"năm {parts[0]} nằm ngoài khoảng {FIRST_YEAR}–{LAST_YEAR} trong ngày '{text}'")
    try:
        return dt.date(*parts)
    except ValueError:
        raise ValueError(f"ngày '{text}' không có trong lịch") from None


def as_of(period: Period, day: dt.date) -> Period:
    """`period` with its figures taken to the end of `day` (accesses and meetings after it not counted)."""
    if not period.start <= day <= period.full_end:
        raise ValueError(f"ngày {day:%d/%m/%Y} không nằm trong {period.words} "
                         f"({period.start:%d/%m/%Y}–{period.full_end:%d/%m/%Y})")
    return Period(period.label, period.kind, period.start, day)


def parse_period(text: str) -> Period:
    """Parse a period or raise ValueError with a Vietnamese reason; a day ('2026-01-16') is its month
    taken to that day."""
    text = text.strip()
    if _DAY.fullmatch(text):
        day = parse_day(text)
        return as_of(_month(day.year, day.month), day)
    for pattern in (_MONTH, _QUARTER, _YEAR):
        if m := pattern.fullmatch(text):
            break
    else:
        raise ValueError(f"kỳ '{text}' không hợp lệ; ghi dạng 2026-06 (tháng), 2026-Q2 (quý), 2026 (năm) "
                         "hoặc 2026-01-16 (tháng 1, tính đến ngày 16)")
    year = int(m[1])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"năm {m[1]} nằm ngoài khoảng {FIRST_YEAR}–{LAST_YEAR} trong kỳ '{text}'")
    if pattern is _YEAR:
        return _year(year)
    if pattern is _QUARTER:
        return _quarter(year, int(m[2]))
    if not 1 <= int(m[2]) <= 12:
        raise ValueError(f"tháng {int(m[2])} không hợp lệ trong kỳ '{text}'")
    return _month(year, int(m[2]))
