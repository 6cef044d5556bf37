"""What the analysis decides between the inputs, each decision said: members whose chi bộ cannot be
placed, meetings placed on their units, accounts filed under another chi bộ, a quarter's regular use
month by month, old exports, a missing input or column. Every function here records a Problem
rather than deciding silently."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import periods
from .domain import LEFT
from .fmt import number
from .ingest import Dataset
from .ingest.table import Table
from .ingest.values import arrow_text, fold_series, positions
from .metrics import NEEDS, Rules, member_status
from .org import Tree
from .periods import Period, parse_period
from .problems import Problem
from .sources import months_of


def month_words(labels: list[str]) -> str:
    return ", ".join(map(periods.month_words, labels))


def active_by_rule(data: Dataset, sources, tree: Tree, period: Period, rules: Rules, rule: str,
                    unknown: set[str], notes: list[Problem]) -> np.ndarray | None:
    """Per member, regular use over a quarter or a year read month by month: active in every month
    (default), in any month, or in the last month. Months without an export make it unknown."""
    if period.kind == "month" or "active" in unknown:
        return None
    if not data.usage_months:
        if "usage" in sources.files and rule != "any-month":
            # one export cannot tell who used the app in each month (or in the last one): unknown, not a guess
            unknown |= set(NEEDS["access"])
            notes.append(Problem(data.usage.source, "one_file_for_period", "warning",
                                 f"Một tệp tài khoản cho cả {period.words}: không biết đảng viên có sử dụng "
                                 f"{'trong mọi tháng' if rule == 'every-month' else 'trong tháng cuối'} hay không "
                                 f"(quarter_active = \"{rule}\"), nên số sử dụng thường xuyên là 'chưa có số liệu'. "
                                 "Dùng tệp của từng tháng ({period} trong [inputs]) hoặc quarter_active = "
                                 "\"any-month\"."))
        return None
    months = months_of(period)
    need = months[-1:] if rule == "last-month" else months
    gone = [m for m in need if m not in data.usage_months]
    if gone:
        unknown |= set(NEEDS["access"])
        notes.append(Problem(data.usage.source, "months_missing", "warning",
                             f"Không có số liệu tài khoản của {month_words(gone)}: số đảng viên sử dụng thường xuyên trong "
                             f"{period.words} là 'chưa có số liệu' (quy tắc: {RULE_WORDS[rule]})."))
        return None
    members = data.members.frame
    per_month = []
    for m in need:
        month = parse_period(m)
        month = Period(month.label, month.kind, month.start, min(month.end, period.end))
        people = member_status(members, data.usage_months[m].frame, month, rules, tree.member_units)
        per_month.append(people["active"].to_numpy())
    stacked = np.vstack(per_month)
    return stacked.any(axis=0) if rule == "any-month" else stacked.all(axis=0)


RULE_WORDS = {"every-month": "sử dụng trong mọi tháng của kỳ", "any-month": "sử dụng ít nhất một tháng trong kỳ",
              "last-month": "sử dụng trong tháng cuối kỳ"}


def note_stale(data: Dataset, period: Period, stale_days: int, notes: list[Problem],
               meetings_monthly: bool = False) -> None:
    """An account export whose latest date is well before the end of its month (or period) is likely
    an old file, one whose latest date is well after it a file of a later period; accesses and
    activations after the end cannot tell whether the member used (or had) the app inside it. A
    meetings export whose meetings (nearly) all fall outside the period is likely another month's."""
    tables = data.usage_months or ({period.label: data.usage} if data.usage is not None else {})
    for label, table in tables.items():
        f = table.frame
        columns = [c for c in ("last_access", "activated_date") if c in f]
        if not columns or f.empty:
            continue
        end, own_end = period.end, period.full_end
        if label != period.label:
            end = min(parse_period(label).end, period.end)
            own_end = parse_period(label).end
        latest = max(pd.Timestamp(f[c].max()) for c in columns if f[c].notna().any()) if any(
            f[c].notna().any() for c in columns) else None
        if latest is not None and (pd.Timestamp(end) - latest).days > stale_days:
            notes.append(Problem(table.source, "stale_export", "warning",
                                 f"Ngày truy cập, kích hoạt gần nhất trong tệp là {latest:%d/%m/%Y}, trước cuối kỳ "
                                 f"({end:%d/%m/%Y}) {(pd.Timestamp(end) - latest).days} ngày: có thể là tệp xuất cũ."))
        # measured from the period's own end: figures taken to an earlier day expect a later export
        if latest is not None and (latest - pd.Timestamp(own_end)).days > stale_days:
            notes.append(Problem(table.source, "newer_export", "warning",
                                 f"Ngày truy cập, kích hoạt gần nhất trong tệp là {latest:%d/%m/%Y}, sau cuối kỳ "
                                 f"({own_end:%d/%m/%Y}) {(latest - pd.Timestamp(own_end)).days} ngày: có thể là tệp "
                                 "của kỳ sau."))
        if "activated_date" in f:
            late = int((f["activated_date"] >= pd.Timestamp(end) + pd.Timedelta(days=1)).sum())
            if late:
                notes.append(Problem(table.source, "activated_after_end", "warning",
                                     f"{number(late)} tài khoản kích hoạt sau ngày {end:%d/%m/%Y}: được tính là chưa "
                                     "cài đặt trong kỳ. Dùng tệp xuất đúng cuối kỳ."))
        if "last_access" in f:
            after = int((f["last_access"] >= pd.Timestamp(end) + pd.Timedelta(days=1)).sum())
            if after:
                notes.append(Problem(table.source, "access_after_end", "warning",
                                     f"{after} tài khoản có lần truy cập gần nhất sau ngày {end:%d/%m/%Y}: không biết "
                                     "có truy cập trong kỳ hay không, được tính là chưa sử dụng. Dùng tệp xuất đúng "
                                     "cuối kỳ."))
    note_meetings_outside(data, period, notes, meetings_monthly)


def note_meetings_outside(data: Dataset, period: Period, notes: list[Problem], monthly: bool = False) -> None:
    """A meetings export with meetings but none, or under a tenth, in the period: said, with the months
    they are in (a file copied from another month would otherwise make every chi bộ's rate 0)."""
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end) + pd.Timedelta(days=1)
    for table in data.meeting_tables():
        f = table.frame
        if f.empty or "date" not in f:
            continue
        # one meeting per chi bộ, day and kind (an export of one row per member repeats it)
        keys = [c for c in ("unit" if "unit" in f else "chi_bo", "date", "kind") if c in f]
        meetings = f.loc[f["date"].notna(), keys].drop_duplicates()
        when = meetings["date"]
        outside = ~((when >= start) & (when < end))
        n_out, n = int(outside.sum()), len(meetings)
        if not n_out or (n - n_out) * 10 >= n:
            continue
        months = sorted(when[outside].dt.strftime("%Y-%m").unique())
        months_text = month_words(months[:6]) + (", …" if len(months) > 6 else "")
        other = "tháng khác" if period.kind == "month" else "kỳ khác"
        if n_out == n:
            said = (f"cả {number(n)} buổi sinh hoạt đều ngoài {period.words} (trong {months_text}): có thể là tệp "
                    f"của {other}; tỷ lệ chi bộ sinh hoạt trên ứng dụng tính là 0.")
        else:
            said = (f"{number(n_out)}/{number(n)} buổi sinh hoạt ngoài {period.words} (trong {months_text}): có thể "
                    f"là tệp của {other}; chỉ {number(n - n_out)} buổi trong kỳ được tính.")
        notes.append(Problem(table.source, "meetings_outside_period", "warning", said[0].upper() + said[1:]))
    tables = data.meeting_tables()
    if period.kind != "month" and not monthly and len(tables) == 1 and "date" in tables[0].frame:
        # one file for a quarter or a year: a month with no meeting at all in it is likely missing from the
        # export, and 'sinh hoạt đủ các tháng' then holds for no chi bộ (files per month: a month without
        # its file is said by months_missing, and judged on the months that have one)
        when = tables[0].frame["date"]
        inside = when[(when >= start) & (when < end)]
        if len(inside):
            held = set(inside.dt.strftime("%Y-%m").unique())
            empty = [m for m in months_of(period) if m not in held]
            if empty:
                notes.append(Problem(tables[0].source, "meetings_month_empty", "warning",
                                     f"Tệp sinh hoạt không có buổi nào trong {month_words(empty)}: chi bộ sinh hoạt đủ "
                                     f"các tháng trong {period.words} phải có buổi trong cả tháng đó, nên không chi bộ "
                                     "nào đạt. Kiểm tra tệp xuất có đủ các tháng không."))


def note_unplaced(members, tree: Tree) -> None:
    """Members whose chi bộ could not be placed in the tree (an ambiguous name) are left out, counted."""
    unplaced = tree.member_units.isna().to_numpy()
    if unplaced.any():
        members.count_out("chi bộ không xác định được trong cây tổ chức", int(unplaced.sum()))


def place_meetings(data: Dataset, meetings, tree: Tree) -> None:
    """Each meeting row given its chi bộ's id: by the member's card when the export has one row per
    member, else by the chi bộ's name (with its parents' names when the export has them)."""
    f = meetings.frame
    if f.empty or "chi_bo" not in f:
        return
    uppers = [f[c] for c in ("xa", "co_so") if c in f]
    ids, ambiguous = tree.locate(f["chi_bo"], uppers)
    if "card" in f:
        roster = data.members.frame
        by_card = pd.Series(tree.member_units.astype(object).to_numpy(), index=roster["card"].to_numpy())
        by_card = by_card[~by_card.index.duplicated()]
        from_card = f["card"].map(by_card)
        # the meeting's own chi bộ first (a guest from another chi bộ attends *this* meeting); the
        # member's chi bộ only where the row's name cannot be placed
        ids = ids.where(ids.notna(), from_card)
        ambiguous &= ids.isna()
    header = meetings.header_of("chi_bo")
    for row, name in f.loc[ambiguous.to_numpy(), ["row", "chi_bo"]].itertuples(index=False):
        meetings.problem("ambiguous_unit", "error",
                         f"Chi bộ '{name}' có ở nhiều nơi trong cây tổ chức; tệp sinh hoạt cần cột Đảng bộ xã hoặc "
                         "Đảng bộ cơ sở để phân biệt. Buổi sinh hoạt này chưa được tính.", row=row, column=header)
    unknown = ids.isna() & ~ambiguous
    for row, name in f.loc[unknown.to_numpy(), ["row", "chi_bo"]].itertuples(index=False):
        meetings.problem("unknown_unit", "warning",
                         f"Chi bộ '{name}' không có trong danh sách đảng viên hay danh mục tổ chức; buổi sinh hoạt "
                         "không được tính.", row=row, column=header)
    meetings.frame = f.assign(unit=ids.to_numpy())
    meetings.drop(ambiguous, "tên chi bộ có ở nhiều nơi")
    meetings.drop(meetings.frame["unit"].isna(), "chi bộ không có trong danh sách đảng viên")


def note_unit_mismatch(data: Dataset, tree: Tree) -> None:
    """An account filed under another chi bộ than the member's in the roster: the roster wins, said."""
    usage, roster = data.usage, data.members.frame
    f = usage.frame
    if f.empty or "chi_bo" not in f or "chi_bo" not in roster:
        return
    # each account's roster row, found by hashing the cards (both are unique by now)
    pos = positions(f["card"], roster["card"])
    # compared in Arrow: a Python string per account would cost more than the whole comparison
    found = pos >= 0
    mine, roster_names = f["chi_bo"], roster["chi_bo"]
    if isinstance(mine.dtype, pd.CategoricalDtype) and isinstance(roster_names.dtype, pd.CategoricalDtype):
        # both read as categories: compared by their codes, each account's name looked up among the roster's
        # once (get_indexer needs unique categories, which pandas makes every Categorical's)
        given_codes, their_codes = mine.cat.codes.to_numpy(), roster_names.cat.codes.to_numpy()[np.maximum(pos, 0)]
        names = mine.cat.categories
        filled = np.append(np.asarray(names != "", dtype=bool), False)  # a missing name: never said to differ
        as_theirs = np.append(roster_names.cat.categories.get_indexer(names), -2)
        g = np.where(given_codes < 0, len(names), given_codes)
        differ = found & filled[g] & (their_codes >= 0) & (as_theirs[g] != their_codes)
    else:
        theirs = pc.take(arrow_text(roster_names), pa.array(np.maximum(pos, 0)))
        given = arrow_text(mine)
        differ = found & np.asarray(pc.fill_null(pc.and_(pc.not_equal(given, ""), pc.not_equal(given, theirs)), False)
                                    .to_numpy(zero_copy_only=False), dtype=bool)
    if differ.any():  # written differently: the same name unless it differs folded too (those few read out)
        at = np.flatnonzero(differ)
        given_at = pd.Series(mine.iloc[at].to_numpy(dtype=object), dtype=object)
        theirs_at = pd.Series(roster_names.iloc[pos[at]].to_numpy(dtype=object), dtype=object)
        differ[at] = fold_series(given_at).to_numpy() != fold_series(theirs_at).to_numpy()
    differ = pd.Series(differ, index=f.index)
    n = int(differ.sum())
    if n:
        rows = f.loc[differ.to_numpy(), "row"].tolist()
        usage.problem("unit_mismatch", "warning",
                      f"{n} tài khoản ghi chi bộ khác với danh sách đảng viên (dòng {', '.join(map(str, rows[:8]))}"
                      f"{', …' if n > 8 else ''}); sotay tính theo chi bộ trong danh sách đảng viên.",
                      row=rows[0], column=usage.header_of("chi_bo"))


def note_left(members, notes: list[Problem]) -> None:
    """Members the roster marks as gone (moved away, out of the Party, dead) are not counted: said, with
    how many, so that the roster's rows and the members counted can be matched."""
    f = members.frame
    if "status" not in f:
        return
    gone = int((f["status"] == LEFT).sum())
    if gone:
        notes.append(Problem(members.source, "members_left", "warning",
                             f"{number(gone)} đảng viên đã chuyển sinh hoạt đi, ra khỏi Đảng hoặc từ trần (theo cột "
                             f"'{members.header_of('status')}'): không tính vào số đảng viên.",
                             column=members.header_of("status")))


def note_smartphone(members, notes: list[Problem]) -> None:
    f = members.frame
    if "smartphone" not in f:
        notes.append(Problem(members.source, "no_smartphone_column", "warning",
                             "smartphone_only = true nhưng danh sách đảng viên không có cột điện thoại thông minh; "
                             "mọi đảng viên đang sinh hoạt được tính."))
        return
    blank = int(f["smartphone"].isna().sum())
    if blank:
        notes.append(Problem(members.source, "smartphone_blank", "warning",
                             f"{blank} đảng viên để trống cột điện thoại thông minh; sotay tính là có điện thoại.",
                             column=members.header_of("smartphone")))


# the figures an input or a column gives, as a warning names them when they are unknown
UNKNOWN_FIGURES = {
    "usage": "số đã cài đặt, sử dụng",
    "access": "số đảng viên sử dụng thường xuyên",
    "meetings": "số buổi sinh hoạt, điểm danh và tỷ lệ chi bộ sinh hoạt trên ứng dụng",
    "attendance": "tỷ lệ dự sinh hoạt",
}
MISSING_WORDS = {kind: f"{cause}: {UNKNOWN_FIGURES[kind]} là 'chưa có số liệu'." for kind, cause in (
    ("usage", "Không có tệp tài khoản ứng dụng"),
    ("access", "Tệp tài khoản không có cột lần truy cập hay số lần truy cập"),
    ("meetings", "Không có tệp sinh hoạt chi bộ"),
    ("attendance", "Tệp sinh hoạt chi bộ không có cột số đảng viên dự hay số thẻ điểm danh"))}


def rejected_whole(tables: list[Table], empty_is_none: bool = False) -> bool:
    """Whether files were read of which no row could be used (every chi bộ unknown, every card not in the
    roster, a file of another commune, or no row at all): their figures are unknown, never 0. With
    `empty_is_none` (meetings), a file with no row under its header says nothing happened (no meeting held):
    its figures are 0, and its own warning says so; an accounts file with no row is a failed export."""
    if empty_is_none and not sum(t.rows_read for t in tables):
        return False
    return bool(tables) and not any(t.rows_used for t in tables)


def note_rejected(tables: list[Table], kind: str, notes: list[Problem]) -> None:
    """Why not one row of `tables` (of `kind`: 'usage', 'meetings') could be used, with the counts per reason."""
    why = sum((t.left_out for t in tables), Counter())
    reasons = "; ".join(f"{number(n)} {reason if reason.startswith('dòng ') else 'dòng ' + reason}"
                        for reason, n in why.most_common())
    read = sum(t.rows_read for t in tables)
    files = " ".join(f'"{t.source}"' if " " in t.source else t.source for t in tables)
    whose = "của tệp" if len(tables) == 1 else f"của {len(tables)} tệp"
    said = (f"Không dòng nào trong {number(read)} dòng {whose} dùng được ({reasons})" if read else
            f"Tệp không có dòng dữ liệu nào")
    notes.append(Problem(tables[0].source, "rows_all_rejected", "warning",
                         f"{said}: {UNKNOWN_FIGURES[kind]} là 'chưa có số liệu'. Kiểm tra tệp có đúng đơn vị, đúng "
                         "kỳ không (sotay "
                         f"check {files})."))


def note_unknown(data: Dataset, unknown: set[str], notes: list[Problem], period: Period | None = None,
                 absent: dict[str, str] | None = None) -> None:
    """Why figures are unknown. `absent`: the files a {period} path names for the period that are not there."""
    absent = absent or {}

    def missing(kind: str, code: str) -> None:
        if kind in absent:  # configured per month, this one not exported yet
            what = {"usage": "tài khoản ứng dụng", "meetings": "sinh hoạt chi bộ"}[kind]
            notes.append(Problem(absent[kind], code, "warning",
                                 f"Chưa có tệp {what} của {period.words} (không thấy {absent[kind]}): "
                                 f"{UNKNOWN_FIGURES[kind]} là 'chưa có số liệu'."))
        else:
            notes.append(Problem(data.members.source, code, "warning", MISSING_WORDS[kind]))

    if "installed" in unknown:
        if data.usage is None:  # else every row was left out: note_rejected says why
            missing("usage", "no_usage")
    elif "active" in unknown:
        notes.append(Problem(data.usage.source, "no_access_column", "warning", MISSING_WORDS["access"]))
    if "regular_meetings" in unknown:
        if not data.meeting_tables():
            missing("meetings", "no_meetings")
    elif "attendance_rate" in unknown:
        notes.append(Problem(data.meetings.source, "no_attendance_column", "warning", MISSING_WORDS["attendance"]))
