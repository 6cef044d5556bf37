"""Vietnamese formatting of numbers, rates and dates (Babel, locale `vi`).

Rates are rounded here, once, by the configured rule (half-up or truncate, as the level above
does), then handed to Babel already exact so that it only places the separators.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from functools import lru_cache

import numpy as np

from babel.dates import format_date
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

LOCALE = "vi"
ROUNDING_MODES = {"half-up": ROUND_HALF_UP, "truncate": ROUND_DOWN}


@lru_cache(maxsize=1 << 16)
def round_rate(rate: float | None, digits: int = 2, mode: str = "half-up") -> Decimal | None:
    """A fraction as a percentage with `digits` decimals: 1687/1920 -> 87.86 (half-up) or 87.85 (truncate)."""
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return None
    if mode not in ROUNDING_MODES:
        raise ValueError(f"rounding must be one of {', '.join(ROUNDING_MODES)}")
    # repr() gives the shortest decimal that is the float, so 0.8785 stays 0.8785, not 0.87849999…
    percent = Decimal(repr(float(rate))) * 100
    return percent.quantize(Decimal(1).scaleb(-digits), rounding=ROUNDING_MODES[mode])


@lru_cache(maxsize=None)
def _separators(locale: str) -> dict[int, str]:
    """Babel's decimal and group symbols of `locale`, as a str.translate table from Python's ',' and '.'."""
    return str.maketrans({",": get_group_symbol(locale), ".": get_decimal_symbol(locale)})


def _localise(value: Decimal | int, digits: int) -> str:
    # Python places the separators of the C locale; the table swaps in the `vi` symbols Babel holds.
    # Babel's format_decimal gives the same text but costs ~50 µs a call, too slow for 50,000 flags.
    return f"{value:,.{digits}f}".translate(_separators(LOCALE))


@lru_cache(maxsize=1 << 16)
def percent(rate: float | None, digits: int = 2, mode: str = "half-up", sign: str = "%") -> str:
    """'87,86%'; '—' when there is no denominator. Cached: a country's flags repeat the same few rates."""
    value = round_rate(rate, digits, mode)
    if value is None:
        return "—"
    return _localise(value, digits) + sign


def target_percent(rate: float | None) -> str:
    """A target as people write it: '95%', '100%', '97,5%' (no trailing zeros)."""
    text = percent(rate, 2, "half-up", "")
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text + ("%" if text != "—" else "")


def number(value: float | int | None) -> str:
    """'1.687', '200.579'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value).is_integer():
        return _localise(int(value), 0)
    return format_decimal(value, locale=LOCALE)


def round_rates(values: np.ndarray, digits: int = 2, mode: str = "half-up", scale: int = 1) -> np.ndarray:
    """`round_rate` of every value times `scale` (NaN where it gives None), the product taken exactly and each
    distinct value rounded once: a province's 12,000 chi bộ have a few thousand distinct rates."""
    distinct, inverse = np.unique(np.asarray(values, dtype="float64"), return_inverse=True)
    done = [round_rate(v, digits, mode) for v in distinct.tolist()]
    return np.array([np.nan if d is None else float(d * scale) for d in done], dtype="float64")[inverse.reshape(-1)]


def shown_change(after: np.ndarray, before: np.ndarray, mode: str = "half-up", digits: int = 2) -> np.ndarray:
    """The change from `before` to `after` (fractions) as a document shows it: the difference of the two rates
    each rounded as shown, so that the figures on a page agree (19,48% then 13,13%: 6,35 points down, where
    the unrounded rates differ by 6,36). A fraction again, exact to `digits` decimals of a percent; NaN where
    either rate is unknown. The JSON keeps the exact change."""
    scale = 10 ** digits  # each rate in steps of the last digit shown: 87,86% -> 8786
    return (round_rates(after, digits, mode, scale) - round_rates(before, digits, mode, scale)) / (100 * scale)


def points(delta: float | None, digits: int = 2, mode: str = "half-up") -> str:
    """A change of rate in percentage points: '+3,25' / '-1,20'."""
    value = round_rate(delta, digits, mode)
    if value is None:
        return "—"
    text = _localise(abs(value), digits)
    return ("+" if value > 0 else "-" if value < 0 else "") + text


def change_words(delta: float | None, digits: int = 2, mode: str = "half-up") -> str:
    """A change of rate in words: 'tăng 3,25 điểm phần trăm', 'giảm 1,20 điểm phần trăm', 'không thay đổi'."""
    value = round_rate(delta, digits, mode)
    if value is None:
        return "chưa có số liệu kỳ trước"
    if value == 0:
        return "không thay đổi"
    return f"{'tăng' if value > 0 else 'giảm'} {_localise(abs(value), digits)} điểm phần trăm"


def long_date(day: dt.date) -> str:
    """'ngày 08 tháng 6 năm 2026' (day on two digits, month without, as official documents write)."""
    return format_date(day, format="'ngày' dd 'tháng' M 'năm' y", locale=LOCALE)


def month_year(day: dt.date) -> str:
    """'tháng 6 năm 2026'."""
    return format_date(day, format="'tháng' M 'năm' y", locale=LOCALE)


def short_date(day: dt.date) -> str:
    return format_date(day, format="dd/MM/yyyy", locale=LOCALE)
