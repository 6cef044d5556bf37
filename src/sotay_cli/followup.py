"""Down to each member: who in each chi bộ has not installed the app, or installed it and not used it.

This is the only output of sotay that carries members' names; it holds no more than a secretary
needs to go and see each one (name, birth year, phone, optionally masked).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_path
from .metrics import member_status
from .render.xlsx import FONT, Workbook

NOT_INSTALLED = "Chưa cài đặt, kích hoạt"
NOT_ACTIVE = "Đã cài đặt, chưa sử dụng trong kỳ"
NO_SMARTPHONE = "Không có điện thoại thông minh (không tính vào mẫu số)"


def followup_list(analysis, unit: str | None = None, mask_phone: bool = False) -> pd.DataFrame:
    """One row per member still to bring onto the app: chi_bo (the unit's id), chi_bo_label, name,
    birth_year, phone, reason. Members without a smartphone stay on the list, marked: they are the
    ones who most need a visit, even where the rules leave them out of the rates.

    `unit` (id, label or unambiguous name) keeps the chi bộ at or below that unit of the tree."""
    from .metrics import Rules
    from .problems import InputError

    data = analysis.data
    if data.usage is None:
        raise InputError("danh sách đôn đốc cần tệp tài khoản ứng dụng (--usage hoặc [inputs] usage).")
    members = data.members.frame
    usage = data.usage.frame
    people = member_status(members, usage, analysis.period, Rules.from_config(analysis.config.rules),
                           analysis.tree.member_units)
    no_phone = people["no_smartphone"].to_numpy() & ~people["installed"].to_numpy()
    todo = (people["eligible"].to_numpy() & ~people["active"].to_numpy()) | no_phone
    todo &= people["unit"].notna().to_numpy()
    rows = members.loc[todo]
    status = people.loc[todo]
    labels = analysis.figures["label"]
    reasons = np.where(status["installed"].to_numpy(), NOT_ACTIVE, NOT_INSTALLED).astype(object)
    reasons[status["no_smartphone"].to_numpy() & ~status["installed"].to_numpy()] = NO_SMARTPHONE
    ids = status["unit"].astype(object).to_numpy()
    out = pd.DataFrame({
        "chi_bo": ids,
        "chi_bo_label": pd.Series(ids).map(labels).to_numpy(),
        "name": rows["name"].to_numpy() if "name" in rows else "",
        "birth_year": rows["birth_date"].dt.year.astype("Int64").to_numpy() if "birth_date" in rows else pd.NA,
        "phone": rows["phone"].fillna("").astype(str).to_numpy() if "phone" in rows else "",
        "reason": reasons,
        "card": rows["card"].to_numpy(),
    })
    if mask_phone:
        out["phone"] = out["phone"].str.replace(r"^(\d{3})\d+(\d{3})$", r"\1****\2", regex=True)
    if unit is not None:
        tree = analysis.tree
        found = tree.find(unit)
        if found is None:
            raise KeyError(unit)
        below = tree.below(found)
        out = out[out["chi_bo"].isin(below)]
    order = analysis.figures["order"]
    out = out.assign(_o=out["chi_bo"].map(order), _r=out["reason"] == NOT_ACTIVE)
    return out.sort_values(["_o", "_r", "name"]).drop(columns=["_o", "_r"]).reset_index(drop=True)


def summary(analysis, todo: pd.DataFrame) -> pd.DataFrame:
    chi_bo = analysis.figures[analysis.figures["level"] == "chi_bo"]
    chi_bo = chi_bo[chi_bo.index.isin(todo["chi_bo"].unique()) | (chi_bo["eligible"] > 0)]
    counts = todo.groupby(["chi_bo", "reason"]).size().unstack(fill_value=0)
    out = pd.DataFrame({"eligible": chi_bo["eligible"], "installed": chi_bo["installed"], "active": chi_bo["active"]})
    for reason in (NOT_INSTALLED, NOT_ACTIVE, NO_SMARTPHONE):
        out[reason] = counts[reason].reindex(out.index, fill_value=0) if reason in counts else 0
    return out[out.index.isin(todo["chi_bo"].unique())]


SUMMARY_SHEET = "Tổng hợp"
SHEET_MAX = 31  # characters (UTF-16 units) in an Excel sheet name
_NOT_IN_SHEET_NAMES = re.compile(r"[\x00-\x1f\x7f\[\]:*?/\\]+")


def _sheet_names(units: list[str], taken: tuple[str, ...] = (SUMMARY_SHEET,)) -> list[str]:
    """One Excel sheet name per unit, in order: at most 31 characters, none of []:*?/\\ nor a control
    character, no apostrophe at either end, not Excel's reserved 'History', and unique without regard
    to case, the names in `taken` (the summary sheet) included."""
    used = {t.casefold() for t in taken} | {"history"}
    names = []
    for unit in units:
        base = _sheet_fit(" ".join(_NOT_IN_SHEET_NAMES.sub(" ", unit.removeprefix("Chi bộ ")).split())) or "Chi bộ"
        name, k = base, 2
        while name.casefold() in used:
            suffix = f" ({k})"
            name = (_sheet_fit(base, SHEET_MAX - len(suffix)) or "Chi bộ") + suffix
            k += 1
        used.add(name.casefold())
        names.append(name)
    return names


def _sheet_fit(text: str, limit: int = SHEET_MAX) -> str:
    """`text` cut to `limit` UTF-16 units, without apostrophes or spaces at either end."""
    text = text.strip("' ")
    while len(text.encode("utf-16-le")) // 2 > limit:
        text = text[:-1].rstrip("' ")
    return text


def write_xlsx(analysis, todo: pd.DataFrame, path: Path) -> Path:
    with atomic_path(path) as tmp:
        book = Workbook(tmp, path)  # formula-like text kept as written, under Excel's quote prefix
        base = {"font_name": FONT, "font_size": 12}
        title = book.add_format(base | {"bold": True, "font_size": 13})
        head = book.add_format(base | {"bold": True, "border": 1, "bg_color": "#F2F2F2", "text_wrap": True,
                                       "align": "center", "valign": "vcenter"})
        cell = book.add_format(base | {"border": 1})
        ws = book.add_worksheet(SUMMARY_SHEET)
        ws.write_string(0, 0, f"Đảng viên cần đôn đốc cài đặt, sử dụng ứng dụng — {analysis.period.words}",
                        title)
        headers = ["STT", "Chi bộ", "Đang sinh hoạt", "Đã cài đặt", "Sử dụng trong kỳ", NOT_INSTALLED, NOT_ACTIVE,
                   NO_SMARTPHONE]
        labels = analysis.figures["label"]
        for j, h in enumerate(headers):
            ws.write_string(2, j, h, head)
        s = summary(analysis, todo)
        for i, (unit, row) in enumerate(s.iterrows(), start=1):
            ws.write_number(2 + i, 0, i, cell)
            ws.write_string(2 + i, 1, labels[unit], cell)
            for j, key in enumerate(["eligible", "installed", "active", NOT_INSTALLED, NOT_ACTIVE, NO_SMARTPHONE],
                                    start=2):
                ws.write_number(2 + i, j, int(row[key]), cell)
        ws.set_column(0, 0, 5)
        ws.set_column(1, 1, 45)
        ws.set_column(2, 7, 16)
        ws.freeze_panes(3, 0)
        names = dict(zip(s.index, _sheet_names([labels[u] for u in s.index])))
        for unit, group in todo.groupby("chi_bo", sort=False):
            sheet = book.add_worksheet(names[unit])
            sheet.write_string(0, 0, labels[unit], title)
            for j, h in enumerate(["STT", "Họ và tên", "Năm sinh", "Điện thoại", "Tình trạng"]):
                sheet.write_string(2, j, h, head)
            for i, r in enumerate(group.itertuples(index=False), start=1):
                sheet.write_number(2 + i, 0, i, cell)
                sheet.write_string(2 + i, 1, str(r.name), cell)
                if pd.isna(r.birth_year):
                    sheet.write_string(2 + i, 2, "", cell)
                else:
                    sheet.write_number(2 + i, 2, int(r.birth_year), cell)
                sheet.write_string(2 + i, 3, str(r.phone), cell)
                sheet.write_string(2 + i, 4, r.reason, cell)
            sheet.set_column(0, 0, 5)
            sheet.set_column(1, 1, 30)
            sheet.set_column(2, 2, 10)
            sheet.set_column(3, 3, 16)
            sheet.set_column(4, 4, 34)
            sheet.freeze_panes(3, 0)
            sheet.repeat_rows(2)
            sheet.set_paper(9)
        book.close()
    return path


def write_docx(analysis, todo: pd.DataFrame, path: Path) -> Path:
    """One page per chi bộ, addressed to its secretary."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import parse_xml

    from .render.docx import _base_style, _page, _para, _row, table_xml

    doc = Document()
    _base_style(doc)
    _page(doc.sections[0], landscape=False)
    widths = [round(w * 56.7) for w in (10, 60, 20, 32, 43)]
    first = True
    for unit, group in todo.groupby("chi_bo", sort=False):
        if not first:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        first = False
        _para(doc, f"Kính gửi: Đồng chí Bí thư {analysis.figures.at[unit, 'label']}", 14, bold=True)
        p = _para(doc, f"Danh sách đảng viên cần đôn đốc cài đặt, sử dụng ứng dụng Sổ tay đảng viên điện tử "
                  f"({analysis.period.words}): {len(group)} đồng chí.", 13, italic=True)
        p.paragraph_format.space_after = p.paragraph_format.space_before = None
        rows = [_row([(h, "center", True, "F2F2F2") for h in ("STT", "Họ và tên", "Năm sinh", "Điện thoại",
                                                               "Tình trạng")], widths, header=True, size=24)]
        for i, r in enumerate(group.itertuples(index=False), start=1):
            year = "" if pd.isna(r.birth_year) else str(int(r.birth_year))
            rows.append(_row([(str(i), "center", False, None), (str(r.name), "left", False, None),
                              (year, "center", False, None), (str(r.phone), "center", False, None),
                              (r.reason, "left", False, None)], widths, size=24))
        anchor = doc.add_paragraph()
        anchor._p.addnext(parse_xml(table_xml(rows, widths)))
        _para(doc, "Đề nghị đồng chí phân công đảng viên hướng dẫn trực tiếp từng đồng chí trong danh sách.", 13,
              align=WD_ALIGN_PARAGRAPH.LEFT).paragraph_format.space_before = None
    if first:
        _para(doc, f"Mọi đảng viên đang sinh hoạt đã cài đặt và sử dụng ứng dụng trong {analysis.period.words}.", 14)
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return path


def output_paths(period_label: str, out_dir: Path) -> list[Path]:
    """`out_dir/<period>/doi-chieu-<period>.xlsx` and `.docx`."""
    return [out_dir / period_label / f"doi-chieu-{period_label}.{suffix}" for suffix in ("xlsx", "docx")]


def write_lists(analysis, todo: pd.DataFrame, out_dir: Path, force: bool = False) -> list[Path]:
    """The lists at `output_paths`; report.ReportExists when either is there already and `force` is
    off, the same rule as `sotay report`."""
    from .report import ReportExists

    paths = output_paths(analysis.period.label, out_dir)
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise ReportExists(existing)
    return [write_xlsx(analysis, todo, paths[0]), write_docx(analysis, todo, paths[1])]
