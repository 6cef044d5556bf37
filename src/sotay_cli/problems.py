"""Problems found in the input are data, gathered rather than raised."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable, Literal

Severity = Literal["error", "warning", "info"]  # info: said in `check`, never counted as a fault


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as the user sees it in Excel."""

    file: str
    code: str
    severity: Severity
    message: str
    sheet: str | None = None
    row: int | None = None  # 1-based, as shown by Excel or a text editor
    column: str | None = None  # the header text as written in the file

    def as_dict(self) -> dict:
        return asdict(self)

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"trang tính '{self.sheet}'")
        if self.row is not None:
            parts.append(f"dòng {self.row}")
        if self.column:
            parts.append(f"cột '{self.column}'")
        return ", ".join(parts)


class InputError(Exception):
    """A file that cannot be read at all: the CLI exits 2 with this message."""


def count_by_severity(problems: Iterable[Problem]) -> Counter:
    return Counter(p.severity for p in problems)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
