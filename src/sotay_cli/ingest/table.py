"""Find the header in a raw grid, map it to canonical columns and parse the values."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import is_datetime64_any_dtype

from ..problems import LIMIT, InputError, Problem
from . import values as v
from .readers import other_grids, other_sheets_note, read_grid, sheet_hint
from .header import Rival, Suggestion, cell_str, find_header, is_numbering
from .schema import COLUMN_LABELS, KIND_LABELS, config_line, KINDS, MEETINGS, MEMBERS, SCHEMAS, UNITS, USAGE

_TOTAL = re.compile(r"^(tong cong|tong so|tong|cong|toan (xa|phuong|dang bo|tinh)|total)\b")


@dataclass
class Table:
    """One export read into canonical columns, with everything that was left out and why."""

    kind: str
    source: str
    sheet: str | None
    frame: pd.DataFrame
    mapping: dict[str, str] = field(default_factory=dict)  # canonical column -> header text, the columns found
    rules: dict[str, str] = field(default_factory=dict)  # canonical column -> "config", "alias" or "meaning"
    ignored: list[str] = field(default_factory=list)  # header texts not used
    suggestions: list[Suggestion] = field(default_factory=list)  # unused headers close to a missing column
    header_row: int | None = None
    rows_read: int = 0
    left_out: Counter = field(default_factory=Counter)  # reason (Vietnamese) -> rows
    problems: list[Problem] = field(default_factory=list)
    codes: Counter = field(default_factory=Counter)  # every problem per code, listed or not

    @property
    def rows_used(self) -> int:
        return len(self.frame)

    def problem(self, code: str, severity: str, message: str, row=None, column=None, value=None) -> Problem | None:
        """Record a problem (CATALOGUE lists the codes); past LIMIT per file only counted, said once."""
        self.codes[code] += 1
        if len(self.problems) >= LIMIT:
            if len(self.problems) == LIMIT:
                self.codes["problem_limit"] += 1
                self.problems.append(Problem(self.source, "problem_limit", "warning",
                                             f"Đã dừng liệt kê sau {LIMIT:,} vấn đề".replace(",", ".") + "; các vấn "
                                             "đề sau vẫn được đếm (số dòng bỏ ra vẫn đủ) nhưng không liệt kê từng dòng.",
                                             self.sheet))
            return None
        p = Problem(self.source, code, severity, message, self.sheet,
                    None if row is None else int(row), column, None if value is None else str(value))
        self.problems.append(p)
        return p

    def header_of(self, column: str) -> str:
        return self.mapping.get(column, COLUMN_LABELS.get(column, column))

    def count_out(self, reason: str, n: int) -> None:
        if n:
            self.left_out[reason] += int(n)

    def drop(self, mask: pd.Series, reason: str) -> None:
        """Leave out the rows in `mask`, counting them under `reason`."""
        self.frame = keep(self.frame, ~mask.to_numpy(dtype=bool))
        self.count_out(reason, int(mask.sum()))


def keep(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """`frame[rows]`, without the copy when every row stays: filtering Arrow strings copies them all,
    seconds for a country's 5.6 million rows."""
    if rows.all():
        return frame
    kept = np.flatnonzero(rows)
    if len(kept) and kept[-1] - kept[0] + 1 == len(kept):  # one run (a total row at the bottom): a view
        return frame.iloc[kept[0]: kept[-1] + 1]
    return frame[rows]


def load_table(
    path: str | Path,
    kind: str | None = None,
    sheet: str | None = None,
    overrides: dict[str, str] | None = None,
    data: bytes | None = None,
) -> Table:
    """Read one export into a Table; raise InputError only when it cannot be read at all."""
    grid = read_grid(path, sheet=sheet, data=data)

    def found(header) -> bool:
        return header is not None and (kind is not None or header.score[0] or header.score[2] >= 3)

    header = find_header(grid, kind, overrides or {})
    if not found(header):
        wanted = "; ".join(f"{KIND_LABELS[k]}: {', '.join(COLUMN_LABELS[c] for c in SCHEMAS[k].required)}"
                           for k in ([kind] if kind else KINDS))
        fits = [g.sheet for g in other_grids(grid, path, data) if found(find_header(g, kind, overrides or {}))]
        raise InputError(f"{grid.source}: không tìm thấy dòng tiêu đề của bảng (cần các cột — {wanted})."
                         + sheet_hint(grid, fits))
    table = Table(header.kind, grid.source, grid.sheet, pd.DataFrame())
    if grid.others:
        table.problem("other_sheets", "warning", other_sheets_note(grid))
    table.header_row = grid.first_row + header.row
    table.mapping = {canonical: header.texts[j] for j, canonical in header.columns.items()}
    table.rules = {canonical: header.rules[j] for j, canonical in header.columns.items()}
    table.ignored = list(header.unused.values())
    table.suggestions = header.suggestions()
    for rival in header.rivals:
        _say_rival(table, rival)

    start = header.row + header.depth
    if start < len(grid.cells) and is_numbering([cell_str(c) for c in grid.cells.iloc[start]]):
        start += 1
    body = grid.cells.iloc[start:]
    body = body.set_axis(range(grid.first_row + start, grid.first_row + len(grid.cells)), axis=0)
    table.rows_read = len(body)

    schema = SCHEMAS[header.kind]
    missing = [(c,) for c in schema.required if c not in table.mapping]
    missing += [tuple(group) for group in schema.any_of if not any(c in table.mapping for c in group)]
    if missing:
        found = ", ".join(f"'{t}'" for t in header.texts.values()) or "(không có)"
        for group in missing:
            label = " hoặc ".join(f"'{COLUMN_LABELS.get(c, c)}'" for c in group)
            table.problem("missing_column", "error",
                          f"Thiếu cột bắt buộc {label} của {KIND_LABELS[header.kind]}; "
                          f"các cột nhận ra được: {found}.{_hint(table, group)} Đổi tên cột hoặc khai báo trong mục "
                          f"[columns] của sotay.toml.", row=table.header_row)
        table.count_out("thiếu cột bắt buộc", len(body))
        table.frame = pd.DataFrame(columns=["row", *schema.aliases])
        return table

    # every mapped column as clean text once; the parsers read dates and numbers back from it
    raw = pd.DataFrame({canonical: v.text(body[j]) for j, canonical in header.columns.items()}, index=body.index)
    blank = np.logical_and.reduce([v.blank(raw[c]) for c in raw.columns]).astype(bool) \
        if len(raw.columns) else np.zeros(len(raw), bool)
    table.count_out("dòng trống", blank.sum())
    raw = keep(raw, ~blank)
    if raw.empty:
        _say_no_data(table, header.depth)
    total = _total_rows(body if len(raw) == len(body) else body.loc[raw.index], raw[schema.required[0]])
    for row in raw.index[total]:
        table.problem("total_row", "warning",
                      "Dòng tổng cộng được bỏ qua; sotay tự tính tổng từ các dòng chi tiết.", row=row)
    table.count_out("dòng tổng cộng", total.sum())
    raw = keep(raw, ~total)
    PARSERS[header.kind](table, raw)
    for group, code, message in WANTED_COLUMNS.get(header.kind, []):
        if not any(c in table.mapping for c in group):
            table.problem(code, "warning", message + _hint(table, group), row=table.header_row)
    return table


def _say_no_data(table: Table, depth: int) -> None:
    """A file with its header and nothing under it (or only blank rows): without a roster no figure can be
    made, an error; an empty account or meeting export is said as a warning."""
    rows = f"dòng {table.header_row}" if depth == 1 else f"dòng {table.header_row}–{table.header_row + depth - 1}"
    table.problem("no_data_rows", "error" if table.kind == MEMBERS else "warning",
                  f"Tệp chỉ có dòng tiêu đề ({rows}), không có dòng dữ liệu nào.", row=table.header_row)


# Columns a figure needs: without any of a group the figure is unknown or read by a rule, said as a warning.
WANTED_COLUMNS: dict[str, list[tuple[tuple[str, ...], str, str]]] = {
    USAGE: [(("last_access", "accesses"), "no_usage_column",
             "Không có cột 'lần truy cập gần nhất' hay 'số lần truy cập': số đảng viên sử dụng thường xuyên "
             "sẽ là “chưa có số liệu”.")],
    MEMBERS: [(("status",), "no_status_column",
               "Không có cột 'tình trạng sinh hoạt': mọi đảng viên được tính là đang sinh hoạt, không trừ người "
               "miễn sinh hoạt.")],
}


def say_missing_smartphone(table: Table) -> None:
    """A roster without a smartphone column when a rule needs one (`smartphone_only`): said as information."""
    if table.kind != MEMBERS or "smartphone" in table.mapping or any(
            p.code == "no_smartphone_column" for p in table.problems):
        return
    table.problem("no_smartphone_column", "info",
                  "Không có cột 'có điện thoại thông minh': quy tắc smartphone_only không áp dụng được, mẫu số "
                  "gồm mọi đảng viên đang sinh hoạt." + _hint(table, ("smartphone",)), row=table.header_row)


def _hint(table: Table, columns: tuple[str, ...]) -> str:
    """' Có phải cột …?' for the unused headers that look like one of `columns`."""
    return "".join(f" Cột '{s.header}' có phải cột '{s.label}'? Nếu đúng, thêm vào mục [columns] của sotay.toml "
                   f"dòng: {s.config_line}" for s in table.suggestions if s.column in columns)


def _say_rival(table: Table, rival: Rival) -> None:
    """Two headers for one column: a warning naming both and the one read, an error when neither is better."""
    label = COLUMN_LABELS.get(rival.column, rival.column)
    if rival.reason:
        table.problem("ambiguous_column", "warning",
                      f"Hai cột cùng có thể là '{label}': '{rival.used}' và '{rival.other}'; sotay dùng cột "
                      f"'{rival.used}' ({rival.reason}). Nếu phải dùng cột '{rival.other}', thêm vào mục [columns] "
                      f"của sotay.toml dòng: {config_line(rival.other, rival.column)}",
                      row=table.header_row, column=rival.other)
    else:
        table.problem("ambiguous_column", "error",
                      f"Hai cột '{rival.used}' và '{rival.other}' cùng có thể là '{label}', không rõ cột nào đúng; "
                      f"tạm dùng cột '{rival.used}'. Đổi tên một cột, hoặc chỉ rõ cột đúng trong mục [columns] của "
                      f"sotay.toml, ví dụ: {config_line(rival.used, rival.column)}",
                      row=table.header_row, column=rival.other)


def _total_rows(body: pd.DataFrame, key: pd.Series) -> np.ndarray:
    """Rows whose first filled cell says 'Tổng cộng', 'Cộng', 'Tổng số'…

    Only rows whose key column (card, chi bộ, unit) is empty or wordy can be totals; the first
    filled cell of those few is read.
    """
    out = np.zeros(len(body), dtype=bool)
    arr = v.to_arrow_text(key)
    maybe = np.flatnonzero(v.empty_or_wordy(arr))
    if not len(maybe) or body.empty:
        return out
    # the first filled cell of each of those rows, in Arrow (a Python object per cell cost seconds for a
    # country's meetings, whose chi bộ names are all wordy)
    first = None
    for j in reversed(range(min(4, body.shape[1]))):
        cells = v.to_arrow_text(body.iloc[maybe, j])
        if first is None:
            first = cells
        else:
            filled = pc.fill_null(pc.not_equal(cells, ""), False)
            first = pc.if_else(filled, cells, first)
    # only a cell with a letter can fold to 'tổng cộng' and the like (an STT number never does)
    lettered = np.flatnonzero(np.asarray(pc.fill_null(pc.match_substring_regex(first, r"\pL"), False)
                                         .to_numpy(zero_copy_only=False), dtype=bool))
    if len(lettered):
        words = pd.Series(pc.take(first, pa.array(lettered)).to_pylist(), dtype=object)
        out[maybe[lettered]] = v.fold_series(words).str.match(_TOTAL.pattern).fillna(False).to_numpy(dtype=bool)
    return out


# --- per kind -------------------------------------------------------------------------------

def _report_bad(table: Table, raw: pd.DataFrame, bad: pd.Series, column: str, code: str, severity: str,
                message: str) -> None:
    """One problem per cell in `bad`, quoting the cell as the user typed it."""
    if not bad.any():
        return
    header = table.header_of(column)
    shown = v.text(raw.loc[bad.to_numpy(), column])
    for row, value in shown.items():
        table.problem(code, severity, message.format(value=value), row=row, column=header, value=value)


def _parse_common(table: Table, raw: pd.DataFrame, spec: dict[str, str]) -> pd.DataFrame:
    """Parse each mapped column by its type; report cells that cannot be understood."""
    out = pd.DataFrame(index=raw.index)
    out["row"] = raw.index
    for column, kind in spec.items():
        if column not in raw:
            continue
        s = raw[column]
        if kind == "text":
            out[column] = s  # already clean text: load_table passed every column through v.text
        elif kind == "card":
            out[column] = v.card(s)
        elif kind in ("date", "year_date"):
            parsed, bad = v.date(s, allow_year=kind == "year_date")
            out[column] = parsed
            _report_bad(table, raw, bad, column, "bad_date", "error",
                        "Không hiểu ngày '{value}': ghi theo dạng ngày/tháng/năm, ví dụ 05/06/2026.")
        elif kind.startswith("bool"):
            parsed, bad = v.boolean(s, empty=False if kind == "bool_false" else None)
            out[column] = parsed
            _report_bad(table, raw, bad, column, "bad_value", "warning",
                        "Không hiểu giá trị '{value}' (cần Có/Không, x, Đã…/Chưa…); coi như để trống.")
        elif kind == "int":
            parsed, bad = v.integer(s)
            out[column] = parsed
            _report_bad(table, raw, bad, column, "bad_number", "error",
                        "'{value}' không phải số nguyên không âm.")
    return out


def _require(table: Table, frame: pd.DataFrame, column: str, code: str, reason: str, message: str) -> pd.DataFrame:
    col = frame[column]
    empty = col.isna() | (col.eq("").fillna(False).astype(bool) if not is_datetime64_any_dtype(col) else False)
    header = table.header_of(column)
    for row in frame.index[empty.to_numpy()]:
        table.problem(code, "error", message, row=row, column=header)
    table.count_out(reason, empty.sum())
    return keep(frame, ~empty.to_numpy(dtype=bool))


def _parse_members(table: Table, raw: pd.DataFrame) -> None:
    spec = {"card": "card", "name": "text", "birth_date": "year_date", "chi_bo": "text", "co_so": "text",
            "xa": "text", "phone": "text", "smartphone": "bool"}
    f = _parse_common(table, raw, spec)
    if "status" in raw:
        f["status"], bad = v.status(raw["status"])
        _report_bad(table, raw, bad, "status", "unknown_status", "warning",
                    "Không rõ tình trạng '{value}'; tạm tính là đang sinh hoạt. Ghi rõ 'Đang sinh hoạt' "
                    "hoặc 'Miễn sinh hoạt'.")

    else:
        f["status"] = v.ACTIVE
    # gender and membership (chính thức/dự bị) are known headers, not kept: no figure or list uses them, and
    # member data carries only what it needs (at a country's size, two columns of 5.8 million cells)
    f = _require(table, f, "card", "missing_card", "không có số thẻ đảng viên",
                 "Dòng không có số thẻ đảng viên nên không được tính; bổ sung số thẻ.")
    f = _require(table, f, "chi_bo", "missing_unit", "không có chi bộ",
                 "Đảng viên không có tên chi bộ nên không được tính; bổ sung chi bộ sinh hoạt.")
    if "status" in raw:
        blank = (raw.loc[f.index, "status"] == "").to_numpy(dtype=bool)
        if blank.any():
            rows = f.index[blank].tolist()
            table.problem("blank_status", "warning",
                          f"{len(rows)} đảng viên để trống tình trạng sinh hoạt (dòng {', '.join(map(str, rows[:8]))}"
                          f"{', …' if len(rows) > 8 else ''}); sotay tính là đang sinh hoạt. Ghi rõ 'Đang sinh hoạt' "
                          "hoặc 'Miễn sinh hoạt'.", row=rows[0], column=table.header_of("status"))
    table.frame = f
    _drop_duplicate_cards(table)
    # the organisation columns as categories: few names over many rows (org, dataset and crosscheck read them)
    table.frame = table.frame.assign(**{c: v.categories(table.frame[c]) for c in ("xa", "co_so", "chi_bo")
                                        if c in table.frame})


def _drop_duplicate_cards(table: Table) -> None:
    """A card twice: 'thẻ trùng' (the same person again, in the same chi bộ), 'sinh hoạt hai chi bộ'
    (the same person in two), or two different people on one card (another name or birth date):
    every case an error naming both rows; only the first row is counted."""
    f = table.frame
    codes, first = v.first_seen(f["card"])
    if first is None:  # the usual case: every card once
        return
    dup = pd.Series(~first, index=f.index)
    involved = f[np.bincount(codes)[codes] > 1]
    first = involved[~involved.duplicated("card", keep="first")].set_index("card")
    header = table.header_of("card")
    for rec in involved[dup.loc[involved.index]].to_dict("records"):
        card, row = rec["card"], rec["row"]
        kept = first.loc[card]
        other_name = "name" in rec and v.fold(rec["name"] or "") != v.fold(kept["name"] or "")
        other_birth = ("birth_date" in rec and not pd.isna(rec["birth_date"]) and not pd.isna(kept["birth_date"])
                       and rec["birth_date"] != kept["birth_date"])
        if other_name or other_birth:
            who = f"'{kept.get('name', '')}' (dòng {kept['row']}) và '{rec.get('name', '')}' (dòng này)"
            table.problem("card_conflict", "error",
                          f"Hai người khác nhau cùng số thẻ {card}: {who}; chỉ tính người thứ nhất. "
                          "Kiểm tra lại số thẻ của một trong hai người.", row=row, column=header)
        elif kept["chi_bo"] == rec["chi_bo"]:
            table.problem("duplicate_card", "error",
                          f"Thẻ trùng: số thẻ {card} đã có ở dòng {kept['row']}; dòng này không được tính.",
                          row=row, column=header)
        else:
            table.problem("two_chi_bo", "error",
                          f"Đảng viên số thẻ {card} có tên ở hai chi bộ: '{kept['chi_bo']}' (dòng {kept['row']}) "
                          f"và '{rec['chi_bo']}' (dòng này); chỉ tính ở chi bộ thứ nhất.", row=row, column=header)
    table.drop(dup, "số thẻ trùng")


def _parse_usage(table: Table, raw: pd.DataFrame) -> None:
    # an account's name is read (a row with only a name is no blank row) but not kept: the roster's is the one
    # used, and a country's 5.6 million names would hold 0.2 GB for nothing
    spec = {"card": "card", "chi_bo": "text", "co_so": "text", "xa": "text", "activated": "bool_false",
            "activated_date": "date", "last_access": "date", "accesses": "int"}
    f = _parse_common(table, raw, spec)
    if "activated" not in f:
        # no status column: an activation or access date means the account is in use
        has_date = pd.Series(False, index=f.index)
        for column in ("activated_date", "last_access"):
            if column in f:
                has_date |= f[column].notna()
        f["activated"] = has_date
    f["activated"] = f["activated"].fillna(False).astype(bool)
    f = _require(table, f, "card", "missing_card", "không có số thẻ đảng viên",
                 "Dòng tài khoản không có số thẻ đảng viên nên không đối chiếu được; bổ sung số thẻ.")
    table.frame = f


def _parse_meetings(table: Table, raw: pd.DataFrame) -> None:
    spec = {"chi_bo": "text", "co_so": "text", "xa": "text", "date": "date", "card": "card", "name": "text"}
    if "card" not in raw:
        spec["present"] = "int"
    f = _parse_common(table, raw, spec)
    if "card" in raw:
        # one row per member present: a 'có mặt' column, when there, says yes or no
        if "present" in raw:
            present, bad = v.boolean(raw["present"], empty=True)
            f["attended"] = present.fillna(True).astype(bool)
        else:
            f["attended"] = True
    f["kind"], bad = v.meeting_kind(raw["kind"]) if "kind" in raw else (v.REGULAR, None)
    if bad is not None:
        _report_bad(table, raw, bad, "kind", "unknown_kind", "warning",
                    "Không rõ loại sinh hoạt '{value}'; tính là sinh hoạt định kỳ.")
    f = _require(table, f, "chi_bo", "missing_unit", "không có chi bộ",
                 "Buổi sinh hoạt không ghi chi bộ nên không được tính.")
    f = _require(table, f, "date", "missing_date", "không có ngày sinh hoạt hợp lệ",
                 "Buổi sinh hoạt không có ngày hợp lệ nên không được tính.")
    table.frame = f


def _parse_units(table: Table, raw: pd.DataFrame) -> None:
    spec = {"unit": "text", "parent": "text", "armed_forces": "bool", "state_agency": "bool", "excluded": "bool"}
    f = _parse_common(table, raw, spec)
    if "level" in raw:
        f["level"] = v.unit_level(raw["level"])
    f = _require(table, f, "unit", "missing_unit", "không có tên tổ chức", "Dòng không có tên tổ chức đảng.")
    # the same name twice under one parent is found when the tree is built (org.build_tree)
    table.frame = f


PARSERS = {MEMBERS: _parse_members, USAGE: _parse_usage, MEETINGS: _parse_meetings, UNITS: _parse_units}
