"""Find the header of an export (title rows, two-row headers, a numbering row) and name its columns."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from . import values as v
from .readers import Grid
from .schema import COLUMN_LABELS, KINDS, SCHEMAS, HeaderMatch, Recogniser, config_line, recogniser

HEADER_SEARCH_ROWS = 30
_NUMBERING = re.compile(r"^\(?\s*(\d{1,2}|[a-z])\s*\)?$")
_DATA_CELL = re.compile(r"^[\d\s.,/:+-]+$")  # a number, a date, a card: a data row, not a header
_ROW_NUMBER_HEADERS = {"stt", "tt", "so tt", "so thu tu"}


@dataclass(frozen=True)
class Rival:
    """Two headers of one file for the same canonical column."""

    column: str
    used: str  # the header read
    other: str  # the header left out
    reason: str  # why `used` was preferred; "" when both were as good


@dataclass(frozen=True)
class Suggestion:
    """An unrecognised header close to the name of a column the file lacks."""

    header: str
    column: str

    @property
    def label(self) -> str:
        return COLUMN_LABELS.get(self.column, self.column)

    @property
    def config_line(self) -> str:
        return config_line(self.header, self.column)

    def as_dict(self) -> dict:
        return {"header": self.header, "column": self.column, "label": self.label, "config_line": self.config_line}


@dataclass
class Header:
    row: int  # index in the grid of the first header row
    depth: int  # 1 or 2 header rows
    kind: str
    columns: dict[int, str]  # grid column -> canonical
    texts: dict[int, str]  # grid column -> header text shown to the user
    rules: dict[int, str]  # grid column -> "config", "alias" or "meaning"
    unused: dict[int, str]  # grid column -> header text not read (row numbers left out)
    rivals: list[Rival]
    score: tuple
    recognise: Recogniser = field(repr=False)

    def suggestions(self) -> list[Suggestion]:
        """For each unused header, the column it probably means, among those the file lacks."""
        lacking = set(self.recognise.schema.aliases) - set(self.columns.values())
        rivals = {r.other for r in self.rivals}
        out = []
        for text in self.unused.values():
            column = None if text in rivals else self.recognise.suggest(text, lacking)
            if column:
                out.append(Suggestion(text, column))
        return out


def cell_str(value) -> str:
    """A cell as text; a whole number typed in Excel (read as 1.0) as '1', as the user sees it."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else " ".join(str(value).split())


def find_header(grid: Grid, kind: str | None, overrides: dict[str, str]) -> Header | None:
    """The rows, among the first HEADER_SEARCH_ROWS, that name the most columns of a kind of table."""
    rows = [[cell_str(c) for c in row] for row in grid.cells.head(HEADER_SEARCH_ROWS + 1).itertuples(index=False)]
    candidates = []  # (row, depth, second row or None), the same for every kind
    for i, top in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(1 for c in top if c) >= 2:
            candidates.append((i, 1, None))
            if i + 1 < len(rows) and _could_be_second_header_row(top, rows[i + 1]):
                candidates.append((i, 2, rows[i + 1]))
    best: Header | None = None
    for kind_name in [kind] if kind else KINDS:
        recognise = recogniser(kind_name, overrides)
        for i, depth, sub in candidates:
            header = _match_rows(recognise, i, depth, rows[i], sub)
            if len(header.columns) >= 2 and (best is None or header.score > best.score):
                best = header
    return best


def _could_be_second_header_row(top: list[str], sub: list[str]) -> bool:
    """A second header row sits under merged cells (a group over several columns, or a header spanning
    both rows) and holds words only: a row with a number or a date in it is the first data row."""
    if any(_DATA_CELL.match(c) for c in sub if c) or is_numbering(sub):
        return False
    return any(bool(t) != bool(s) for t, s in zip(top, sub))


def _match_rows(recognise: Recogniser, row: int, depth: int, top: list[str], sub: list[str] | None) -> Header:
    found: dict[int, tuple[HeaderMatch, str]] = {}
    unused: dict[int, str] = {}
    group = ""
    for j, head in enumerate(top):
        group = head or group
        candidates = [head]
        if sub is not None and sub[j]:
            candidates = [sub[j], f"{group} {sub[j]}".strip(), head]
        match = next(((m, c) for c in candidates if c and (m := recognise(c))), None)
        if match:
            found[j] = match
        elif (text := (sub[j] if sub is not None and sub[j] else head)) and v.fold(text) not in _ROW_NUMBER_HEADERS:
            unused[j] = text

    # one header per column: the strongest, the leftmost of equals; the others are rivals, said
    chosen: dict[str, int] = {}
    for j, (m, _) in found.items():
        if m.column not in chosen or m.strength > found[chosen[m.column]][0].strength:
            chosen[m.column] = j
    rivals = []
    for j, (m, text) in found.items():
        keep = chosen[m.column]
        if j != keep:
            best, used = found[keep]
            rivals.append(Rival(m.column, used, text, _why(best, m)))
            unused[j] = text
    columns = {j: found[j][0].column for j in sorted(chosen.values())}
    schema = recognise.schema
    present = set(columns.values())
    complete = all(c in present for c in schema.required) and all(
        any(c in present for c in group) for group in schema.any_of)
    return Header(row, depth, schema.kind, columns, {j: found[j][1] for j in columns},
                  {j: found[j][0].rule for j in columns}, dict(sorted(unused.items())), rivals,
                  (complete, len(present & schema.signature), len(present)), recognise)


def _why(used: HeaderMatch, other: HeaderMatch) -> str:
    """Why `used` was read rather than `other`, in the user's words; "" when neither is better."""
    if used.strength == other.strength:
        return ""
    if used.rule == "config":
        return "được khai báo trong mục [columns] của sotay.toml"
    if used.rule == "alias":
        return "tên cột thường dùng hơn" if other.rule == "alias" else "tên cột đúng như thường dùng"
    return "tên cột cụ thể hơn"


def is_numbering(cells: list[str]) -> bool:
    """The row of column numbers under official headers: '(1) (2) (3)…' or 'A B C…', consecutive; or, once
    columns were deleted in Excel, '(1) (2) (5) (6) (7)': at least three numbers written alike (all in
    brackets or none), strictly increasing, blanks between allowed. A data row has a name or a card in it."""
    written = [c for c in cells if c]
    matches = [_NUMBERING.match(v.fold(c)) for c in written]
    if len(matches) < 2 or not all(matches):
        return False
    tokens = [m.group(1) for m in matches]
    keys = [int(t) if t.isdigit() else ord(t) for t in tokens]
    if all(b - a == 1 for a, b in zip(keys, keys[1:])):
        return True
    bracketed = {c.startswith("(") for c in written}
    if len(bracketed) != 1:
        return False
    letters = len(tokens) - len(list(itertools.takewhile(str.isdigit, reversed(tokens))))
    if 2 <= letters < len(tokens):  # the official 'A B 1 2 3': the text columns (two at least), then figures
        head, tail = keys[:letters], keys[letters:]
        return (head[0] == ord("a") and all(b - a == 1 for a, b in zip(head, head[1:]))
                and tail[0] == 1 and all(b > a for a, b in zip(tail, tail[1:])))
    return len(keys) >= 3 and all(t.isdigit() for t in tokens) and all(b > a for a, b in zip(keys, keys[1:]))
