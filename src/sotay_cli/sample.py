"""Deterministic synthetic exports, shaped like the real ones (title rows, STT, a total row).

The default commune reproduces the figures of xã Hoa Lộc (Thanh Hóa) in its dispatch of 2026:
1,920 members in activity, 1,687 of them with the app installed, 252 regular users in June 2026.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_path

SURNAMES = np.array(["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
                     "Dương", "Lý", "Mai", "Trịnh", "Đinh", "Lương", "Hà", "Cao"])
SURNAME_WEIGHTS = np.array([38, 11, 9, 7, 5, 4, 2, 2, 2, 2, 1.5, 1.5, 1, 1, 1, 1.5, 1, 1, 1, 1], dtype=float)
MIDDLE_MALE = np.array(["Văn", "Đức", "Ngọc", "Hữu", "Minh", "Quang", "Xuân", "Đình", "Công", "Thanh"])
MIDDLE_FEMALE = np.array(["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Hồng", "Minh", "Phương"])
GIVEN_MALE = np.array(["Hùng", "Dũng", "Tuấn", "Nam", "Thành", "Long", "Hải", "Sơn", "Cường", "Quân", "Tùng",
                       "Phong", "Đạt", "Hiếu", "Trung", "Thắng", "Khánh", "Bình", "Lộc", "Tâm", "Vinh", "Hưng"])
GIVEN_FEMALE = np.array(["Lan", "Hương", "Hoa", "Mai", "Thảo", "Hằng", "Nga", "Linh", "Trang", "Huyền", "Yến",
                         "Nhung", "Dung", "Hạnh", "Loan", "Phương", "Thủy", "Vân", "Hà", "Ngọc", "Oanh", "Liên"])
VILLAGES = ["Phú Lộc", "Đông Hải", "Tây Sơn", "Phúc Thọ", "Xuân Phú", "Yên Lộc", "Đồng Tâm", "Thắng Lợi",
            "Quang Trung", "Hòa Bình", "Tiến Thành", "Minh Khai", "Phúc Lộc", "Hưng Long", "Thành Công",
            "Kim Sơn", "Trung Hòa", "Bắc Sơn", "Nam Tiến", "Tân Phong", "Vĩnh An", "Mỹ Lộc", "Long Hải",
            "Đại Đồng", "Lộc Tiến", "Hoa Trung", "Hoa Đông", "Hoa Nam", "Trường Xuân", "An Lạc"]
INSTITUTIONS = [
    ("Chi bộ Trường Mầm non", ""), ("Chi bộ Trường Tiểu học", ""), ("Chi bộ Trường THCS", ""),
    ("Chi bộ Trạm Y tế", "co quan"), ("Chi bộ Cơ quan Đảng - Mặt trận - Đoàn thể", "co quan"),
    ("Chi bộ Cơ quan Ủy ban nhân dân", "co quan"), ("Chi bộ Công an", "llvt"), ("Chi bộ Quân sự", "llvt"),
]


@dataclass
class Commune:
    """What a synthetic commune is made of; the defaults are xã Hoa Lộc in June 2026."""

    members: int = 1920  # members in activity (đang sinh hoạt)
    installed: int | None = None  # default: 1,687 of 1,920
    active: int | None = None  # default: 252 of 1,920
    exempt: int | None = None  # default: 3.5 % of members
    chi_bo: int | None = None  # default: about 50 members each
    co_so: int = 0  # 0: chi bộ directly under the root
    xa: int = 0  # 0: the root is a commune; > 0: a province of that many đảng bộ xã
    seed: int = 2026
    place: str = "Hoa Lộc"
    province: str = "Thanh Hóa"
    year: int = 2026
    month: int = 6

    def resolved(self) -> "Commune":
        c = Commune(**self.__dict__)
        c.installed = round(c.members * 1687 / 1920) if c.installed is None else c.installed
        c.active = round(c.members * 252 / 1920) if c.active is None else c.active
        c.exempt = round(c.members * 0.035) if c.exempt is None else c.exempt
        c.chi_bo = max(1, round(c.members / 50)) if c.chi_bo is None else c.chi_bo
        return c


def _unit_names(c: Commune) -> pd.DataFrame:
    """The tree: one row per chi bộ with its cơ sở, xã and tags."""
    n = c.chi_bo
    if c.xa == 0 and c.co_so == 0:
        names, tags = [], []
        for name, tag in INSTITUTIONS[: min(len(INSTITUTIONS), max(0, n - 1))]:
            names.append(f"{name} xã {c.place}" if tag else f"{name} {c.place}")
            tags.append(tag)
        k = 0
        while len(names) < n:
            village = VILLAGES[k % len(VILLAGES)] + ("" if k < len(VILLAGES) else f" {k // len(VILLAGES) + 1}")
            names.insert(k, f"Chi bộ thôn {village}")
            tags.insert(k, "")
            k += 1
        return pd.DataFrame({"chi_bo": names, "co_so": "", "xa": "", "tag": tags})
    xa = max(c.xa, 1)
    co_so = max(c.co_so, xa)
    co_so_xa = np.arange(co_so) % xa
    chi_bo_co_so = np.sort(np.arange(n) % co_so)
    xa_names = np.array([f"Đảng bộ xã {VILLAGES[i % len(VILLAGES)]} {i // len(VILLAGES) + 1}" for i in range(xa)])
    co_so_names = np.array([f"Đảng bộ cơ sở số {i + 1}" for i in range(co_so)])
    # numbered within their cơ sở, as in life: every cơ sở has its own "Chi bộ thôn 1"
    first = np.searchsorted(chi_bo_co_so, chi_bo_co_so)
    chi_bo = pd.Series(np.arange(n) - first + 1).astype(str)
    tag = np.where(np.arange(n) % 97 == 5, "llvt", np.where(np.arange(n) % 13 == 3, "co quan", ""))
    return pd.DataFrame({
        "chi_bo": ("Chi bộ thôn " + chi_bo).to_numpy(),
        "co_so": co_so_names[chi_bo_co_so],
        "xa": xa_names[co_so_xa[chi_bo_co_so]],
        "tag": tag,
    })


def make_tables(commune: Commune | None = None) -> dict[str, pd.DataFrame]:
    """The four canonical tables of a synthetic commune (or province), before any export mess."""
    c = (commune or Commune()).resolved()
    rng = np.random.default_rng(c.seed)
    units = _unit_names(c)
    total = c.members + c.exempt
    # members spread over chi bộ, unevenly as in life
    weights = rng.gamma(4.0, 1.0, len(units))
    spread = rng.choice(len(units), size=total - len(units), p=weights / weights.sum())
    unit_of = np.sort(np.concatenate([np.arange(len(units)), spread]))  # no empty chi bộ
    female = rng.random(total) < 0.38
    surname = rng.choice(SURNAMES, total, p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())
    middle = np.where(female, rng.choice(MIDDLE_FEMALE, total), rng.choice(MIDDLE_MALE, total))
    given = np.where(female, rng.choice(GIVEN_FEMALE, total), rng.choice(GIVEN_MALE, total))
    name = pd.Series(surname) + " " + pd.Series(middle) + " " + pd.Series(given)
    if total < 800_000:
        card_numbers = rng.choice(np.arange(100000, 999999), size=total, replace=False)
        card = pd.Series(card_numbers).map("{:06d}".format).radd("38.")
    else:  # a country: the province code in front, as real cards carry it
        n = rng.permutation(total)
        card = (pd.Series(n // 1_000_000 + 1).map("{:02d}.".format)
                + pd.Series(n % 1_000_000).map("{:06d}".format))
    birth = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 365 * 62, total), unit="D")
    exempt = np.zeros(total, dtype=bool)
    exempt[rng.choice(total, c.exempt, replace=False)] = True
    birth = birth.where(~exempt, pd.Timestamp("1935-01-01") + pd.to_timedelta(rng.integers(0, 365 * 12, total), unit="D"))
    phone = "09" + pd.Series(rng.integers(10_000_000, 99_999_999, total)).astype(str)
    members = pd.DataFrame({
        "card": card, "name": name, "birth_date": birth.normalize(),
        "gender": np.where(female, "Nữ", "Nam"),
        "chi_bo": units["chi_bo"].to_numpy()[unit_of],
        "co_so": units["co_so"].to_numpy()[unit_of], "xa": units["xa"].to_numpy()[unit_of],
        "status": np.where(exempt, "Miễn sinh hoạt", "Đang sinh hoạt"),
        "membership": np.where(rng.random(total) < 0.04, "Dự bị", "Chính thức"),
        "phone": phone,
    })
    # accounts: exactly `installed` of those in activity, a few exempt members too
    active_idx = np.flatnonzero(~exempt)
    installed = np.zeros(total, dtype=bool)
    installed[rng.choice(active_idx, c.installed, replace=False)] = True
    exempt_idx = np.flatnonzero(exempt)
    installed[exempt_idx[: len(exempt_idx) // 5]] = True
    regular = np.zeros(total, dtype=bool)
    regular[rng.choice(np.flatnonzero(installed & ~exempt), c.active, replace=False)] = True
    month_start = pd.Timestamp(c.year, c.month, 1)
    month_end = month_start + pd.offsets.MonthEnd(0)
    campaign = pd.Timestamp("2025-08-01")
    days_in_month = (month_end - month_start).days + 1
    in_month = month_start + pd.to_timedelta(rng.integers(0, days_in_month, total), unit="D")
    # regular users activated before their access this month; the others before the month began
    limit = pd.Series(np.where(regular, in_month, month_start - pd.Timedelta(days=1)), dtype="datetime64[ns]")
    activated = campaign + pd.to_timedelta(((limit - campaign).dt.days * rng.random(total)).astype(int), unit="D")
    before = activated + pd.to_timedelta(((limit - activated).dt.days * rng.random(total)).astype(int), unit="D")
    last_access = pd.Series(np.where(regular, in_month, before), dtype="datetime64[ns]")
    last_access = last_access.where(regular | (rng.random(total) < 0.8)).where(installed)
    activated = activated.where(installed)
    usage = pd.DataFrame({
        "card": card, "name": name, "chi_bo": members["chi_bo"],
        "activated": np.where(installed, "Đã kích hoạt", "Chưa kích hoạt"),
        "activated_date": activated.dt.normalize(), "last_access": last_access.dt.normalize(),
    })
    # meetings of the month and the one before, one row per meeting with its attendance
    eligible = pd.Series(np.bincount(unit_of[~exempt], minlength=len(units)))  # per unit: names repeat
    rows = []
    for offset in (1, 0):
        start = month_start - pd.offsets.MonthBegin(offset) if offset else month_start
        held = rng.random(len(units)) < (0.7 if offset else 0.8)
        thematic = rng.random(len(units)) < 0.3
        day = rng.integers(3, 26, len(units))
        present = np.floor(eligible.to_numpy() * rng.uniform(0.6, 0.97, len(units))).astype(int)
        for kind, mask in (("Sinh hoạt định kỳ", held), ("Sinh hoạt chuyên đề", held & thematic)):
            rows.append(pd.DataFrame({
                "chi_bo": units["chi_bo"][mask].to_numpy(),
                "co_so": units["co_so"][mask].to_numpy(), "xa": units["xa"][mask].to_numpy(),
                "date": start + pd.to_timedelta(day[mask] + (3 if kind.endswith("đề") else 0), unit="D"),
                "kind": kind, "present": present[mask],
            }))
    meetings = pd.concat(rows, ignore_index=True).sort_values(["date", "chi_bo"], ignore_index=True)
    unit_rows = units.assign(
        parent=np.where(units["co_so"] != "", units["co_so"], _root_name(c)),
        level="Chi bộ" if c.co_so == 0 and c.xa == 0 else "Chi bộ trực thuộc",
    )
    if c.xa or c.co_so:  # the units file names every level, the xã and the đảng bộ cơ sở too
        tops = units[["co_so", "xa"]].drop_duplicates()
        xa = pd.DataFrame({"chi_bo": tops["xa"].unique(), "co_so": "", "xa": "", "tag": "",
                           "parent": _root_name(c), "level": "Đảng bộ xã"})
        co_so = pd.DataFrame({"chi_bo": tops["co_so"].to_numpy(), "co_so": "", "xa": tops["xa"].to_numpy(), "tag": "",
                              "parent": tops["xa"].to_numpy(), "level": "Đảng bộ cơ sở"})
        unit_rows = pd.concat([xa, co_so, unit_rows], ignore_index=True)
    return {"members": members, "usage": usage, "meetings": meetings, "units": unit_rows}


def _root_name(c: Commune) -> str:
    return f"Đảng bộ xã {c.place}" if c.xa == 0 else f"Đảng bộ tỉnh {c.province}"


# --- writing the exports with the mess of real ones ---------------------------------------

def _export_frames(c: Commune, tables: dict[str, pd.DataFrame]) -> dict[str, tuple[list[str], pd.DataFrame]]:
    m, u, g, n = tables["members"], tables["usage"], tables["meetings"], tables["units"]
    has_tree = (m["co_so"] != "").any()
    member_cols = {"card": "Số thẻ đảng viên", "name": "Họ và tên", "birth_date": "Ngày sinh",
                   "gender": "Giới tính", "chi_bo": "Chi bộ"}
    if has_tree:
        member_cols |= {"co_so": "Đảng bộ cơ sở", "xa": "Đảng bộ xã"}
    member_cols |= {"status": "Tình trạng sinh hoạt", "membership": "Chính thức/Dự bị", "phone": "Số điện thoại"}
    members = m[list(member_cols)].rename(columns=member_cols)
    usage_cols = {"card": "Số thẻ ĐV", "name": "Họ tên", "chi_bo": "Tên chi bộ", "activated": "Trạng thái",
                  "activated_date": "Ngày kích hoạt", "last_access": "Lần truy cập gần nhất"}
    usage = u[list(usage_cols)].rename(columns=usage_cols)
    # the app's export writes some cards without their dot ("38123456"), as typed at registration
    dotless = np.arange(len(usage)) % 29 == 7
    usage.loc[dotless, "Số thẻ ĐV"] = usage.loc[dotless, "Số thẻ ĐV"].str.replace(".", "", regex=False)
    # the app still lists two members who moved away: the roster no longer has them
    gone = pd.DataFrame({"Số thẻ ĐV": ["38.000017", "38.000023"], "Họ tên": ["Lê Văn Tâm", "Đỗ Thị Hạnh"],
                         "Tên chi bộ": [m["chi_bo"].iloc[0]] * 2, "Trạng thái": ["Đã kích hoạt"] * 2,
                         "Ngày kích hoạt": [pd.Timestamp("2025-09-12")] * 2,
                         "Lần truy cập gần nhất": [pd.Timestamp("2025-12-02")] * 2})
    usage = pd.concat([usage, gone], ignore_index=True)
    meetings = g.rename(columns={"chi_bo": "Chi bộ", "co_so": "Đảng bộ cơ sở", "xa": "Đảng bộ xã",
                                 "date": "Ngày sinh hoạt", "kind": "Loại sinh hoạt", "present": "Số đảng viên dự"})
    if not has_tree:
        meetings = meetings.drop(columns=["Đảng bộ cơ sở", "Đảng bộ xã"])
    units = n[["chi_bo", "parent", "level"]].rename(columns={"chi_bo": "Tên tổ chức đảng", "parent": "Trực thuộc",
                                                             "level": "Loại tổ chức"})
    units["Lực lượng vũ trang"] = np.where(n["tag"] == "llvt", "x", "")
    units["Cơ quan nhà nước"] = np.where(n["tag"] == "co quan", "x", "")
    root = _root_name(c).upper()
    as_of = f"(Số liệu đến ngày {pd.Timestamp(c.year, c.month, 1) + pd.offsets.MonthEnd(0):%d/%m/%Y})"
    return {
        "dang-vien": ([root, "DANH SÁCH ĐẢNG VIÊN", as_of], members),
        "tai-khoan": (["HỆ THỐNG QUẢN TRỊ SỔ TAY ĐẢNG VIÊN ĐIỆN TỬ", "DANH SÁCH TÀI KHOẢN ĐẢNG VIÊN", as_of], usage),
        "sinh-hoat": (["TỔNG HỢP SINH HOẠT CHI BỘ TRÊN ỨNG DỤNG", as_of], meetings),
        "to-chuc": ([root, "DANH MỤC TỔ CHỨC ĐẢNG TRỰC THUỘC"], units),
    }


def write_sample(out_dir: str | Path, commune: Commune | None = None, fmt: str = "xlsx") -> list[Path]:
    """Write the synthetic exports into `out_dir`; returns the paths written."""
    c = (commune or Commune()).resolved()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, (titles, frame) in _export_frames(c, make_tables(c)).items():
        path = out / f"{stem}.{fmt}"
        with atomic_path(path) as tmp:
            (_write_xlsx if fmt == "xlsx" else _write_csv)(tmp, titles, frame)
        written.append(path)
    return written


def _with_stt_and_total(frame: pd.DataFrame, total_label: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The rows numbered in an STT column, and the 'Tổng cộng' row exports end with."""
    body = frame.copy()
    body.insert(0, "STT", np.arange(1, len(body) + 1))
    total = {column: "" for column in body.columns}
    total["STT"] = ""
    total[body.columns[1]] = total_label
    return body, total


def _write_xlsx(path: Path, titles: list[str], frame: pd.DataFrame) -> None:
    body, total = _with_stt_and_total(frame, f"Tổng cộng: {len(frame)} dòng")
    header_row = len(titles) + 1  # a blank line under the titles
    with pd.ExcelWriter(path, engine="xlsxwriter", datetime_format="dd/mm/yyyy",
                        date_format="dd/mm/yyyy") as writer:
        body.to_excel(writer, sheet_name="Danh sách", startrow=header_row + 2, index=False, header=False)
        ws = writer.sheets["Danh sách"]
        book = writer.book
        head = book.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1,
                                "text_wrap": True})
        title = book.add_format({"bold": True, "align": "center"})
        last = len(body.columns) - 1
        for i, line in enumerate(titles):
            ws.merge_range(i, 0, i, last, line, title)
        ws.write_row(header_row, 0, list(body.columns), head)
        ws.write_row(header_row + 1, 0, [f"({i + 1})" for i in range(len(body.columns))], head)
        ws.write_row(header_row + 2 + len(body), 0, list(total.values()))
        ws.set_row(header_row, 30)
        ws.set_column(0, 0, 6)
        ws.set_column(1, last, 18)


def _write_csv(path: Path, titles: list[str], frame: pd.DataFrame) -> None:
    body, total = _with_stt_and_total(frame, f"Tổng cộng: {len(frame)} dòng")
    numbering = {column: f"({i + 1})" for i, column in enumerate(body.columns)}
    body = pd.concat([pd.DataFrame([numbering]), body.astype(object), pd.DataFrame([total])], ignore_index=True)
    buf = io.StringIO()
    for line in titles:
        buf.write(line + "\n")
    buf.write("\n")
    body.to_csv(buf, sep=";", index=False, date_format="%d/%m/%Y", lineterminator="\r\n")
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))

