"""What a template can say: the names a document template sees, built from one analysed period.

Every name here is listed in the README; template authors rely on them, so rename nothing lightly.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ..domain import CHI_BO, TINH, XA
from ..fmt import number, percent, target_percent
from ..metrics import RATES
from ..org import DEFAULT_ROOT
from ..periods import month_words
from ..targets import METRIC_LABELS, target_words

METRIC_ORDER = list(RATES)
BEST_WORST = 5
NAMED = 3  # chi bộ a draft names as best or worst


def report_units(figures: pd.DataFrame, root: str) -> pd.DataFrame:
    """The units a document lists one by one: those right under the issuer. For a xã, its base
    organisations (chi bộ cơ sở and đảng bộ cơ sở); for a province, its đảng bộ xã and the other
    đảng bộ trực thuộc; the root's children when the tree has no xã level."""
    if root in figures.index and figures.at[root, "level"] == TINH:
        return figures[figures["parent"] == root]
    parents = figures["parent"].map(figures["level"])
    base = figures[(parents == XA) & (figures.index != root)]
    if base.empty:
        base = figures[figures["parent"] == root]
    return base


BLANK = "…………"  # a name the draft cannot know, left for the writer to fill in


UNNAMED = ("chưa khai báo tên đảng bộ ([organisation] root trong sotay.toml; tạo bằng: sotay init): tên cơ quan, "
           "địa danh trong văn bản để trống (…………) cho điền tay")


def unnamed(config, root: str) -> bool:
    """Whether nobody said which đảng bộ issues the draft: no [organisation] root or issuer, and no units
    file whose top gives it (the root is then the placeholder 'Toàn đảng bộ')."""
    return root == DEFAULT_ROOT and not config.organisation.get("issuer")


def organisation(config, root: str, level: str | None = None) -> dict:
    """Who issues the document and whom it addresses, from [organisation] (or the root's name)."""
    org = config.organisation
    level = org.get("level") or level or XA
    if unnamed(config, root):  # blanks to fill by hand ('ĐẢNG ỦY …………'), never 'ĐẢNG ỦY TOÀN ĐẢNG BỘ'
        root = f"Đảng bộ {BLANK}"
    bare = root.removeprefix("Đảng bộ ").removeprefix("đảng bộ ")
    place = org.get("place") or bare.split(" ", 1)[-1]
    if level == TINH:
        committee = "Thành ủy" if bare.lower().startswith("thành phố") else "Tỉnh ủy"
        default_issuer, default_code = f"{committee.upper()} {place.upper()}", "TU"
    else:
        committee = "Đảng ủy"
        default_issuer, default_code = f"ĐẢNG ỦY {bare.upper()}", "ĐU"
    issuer = org.get("issuer") or default_issuer
    title = org.get("issuer_title") or _sentence_case(issuer)
    # a Ban (Ban Tổ chức Tỉnh ủy) speaks for itself; a Party committee through its Ban Thường vụ
    is_board = issuer.upper().startswith("BAN ")
    whose = f"{committee} {place}" if is_board else title
    under = "Các đảng bộ trực thuộc" if level == TINH else "Các chi bộ, đảng bộ cơ sở trực thuộc"
    # the bodies a draft names: a province has its Ban Tổ chức and Ủy ban Kiểm tra of the Tỉnh ủy, a xã its Ban
    # Xây dựng Đảng; the organisations it directs are its đảng bộ, a xã's its chi bộ and đảng bộ cơ sở
    subordinates = "các đảng bộ trực thuộc" if level == TINH else "các chi bộ, đảng bộ cơ sở"
    return {
        "name": root,
        "level": level,
        "superior": org.get("superior", ""),
        "issuer": issuer,
        "issuer_title": title,
        "standing": title if is_board else f"Ban Thường vụ {title}",
        "committee": committee,
        "addressees": f"{under} {whose}",
        "archive": title if is_board else f"Văn phòng {committee}",
        "place": place,
        "code": org.get("code") or default_code,
        "is_board": is_board,
        "party_building": f"Ban Tổ chức {committee}" if level == TINH else "Ban Xây dựng Đảng",
        "inspection": f"Ủy ban Kiểm tra {committee}" if level == TINH else "Ủy ban Kiểm tra",
        "subordinates": subordinates,
        "subordinates_title": subordinates[0].upper() + subordinates[1:],
    }


def _sentence_case(upper: str) -> str:
    """'ĐẢNG ỦY XÃ HOA LỘC' -> 'Đảng ủy xã Hoa Lộc' (unit kind lower case, place name capitalised)."""
    words = upper.split()
    kinds = {"ĐẢNG", "ỦY", "BỘ", "XÃ", "PHƯỜNG", "ĐẶC", "KHU", "TỈNH", "THÀNH", "PHỐ", "BAN", "THƯỜNG", "VỤ",
             "TỔ", "CHỨC", "VĂN", "PHÒNG"}
    out, in_kind = [], True
    for i, word in enumerate(words):
        if in_kind and word in kinds:
            out.append(word.capitalize() if i == 0 else word.lower())
        else:
            in_kind = False
            out.append(word.capitalize())
    text = " ".join(out)
    # the names of a province's bodies, as written: 'Ban Tổ chức Tỉnh ủy', 'Văn phòng Thành ủy'
    for written in ("Ban Tổ chức", "Ban Thường vụ", "Đảng ủy", "Tỉnh ủy", "Thành ủy"):
        text = re.sub(rf"\b{written}\b", written, text, flags=re.IGNORECASE)
    return text


def build(analysis, date: dt.date | None = None, extra: dict | None = None) -> dict:
    """The template context for `analysis`."""
    root = analysis.root
    base = report_units(analysis.figures, root)
    # the flags' wording only for the units a document names; a province has 12,000 chi bộ
    worded = set(base.index) | {root}
    unit_dicts, flags = analysis.unit_and_flag_dicts()
    general = next((u["targets"] for u in unit_dicts if u["id"] == root), {})
    units = {u["id"]: _unit(u, analysis.rounding, u["id"] in worded, general) for u in unit_dicts}
    listed = [units[name] for name in base.index]
    chi_bo = [units[name] for name in analysis.figures.index[analysis.figures["level"] == CHI_BO]]
    ranked = [u for u in chi_bo if u["installed_rate"] is not None]
    ranked.sort(key=lambda u: (-(u["installed_rate"] or 0), -(u["active_rate"] or 0), u["name"]))
    # a chi bộ 'leading' at 0% or at the lowest rate, or 'lowest' at 100% or at the highest, would be a claim
    # the figures do not make; none is named both ways
    rates = [u["installed_rate"] for u in ranked]
    best = [u for u in ranked[:BEST_WORST] if u["installed_rate"] > max(0, min(rates))]
    best_ids = {u["id"] for u in best}
    worst = [u for u in reversed(ranked[-BEST_WORST:])
             if u["installed_rate"] < min(1, max(rates)) and u["id"] not in best_ids]
    # more chi bộ than a draft names share the best (or the worst) rate as shown: a draft names none of them
    # ('27 chi bộ cùng đạt 100,00%'), not three picked by name
    shown = [percent(r, mode=analysis.rounding) for r in rates]
    best_tied = shown.count(shown[0]) if best else 0
    worst_tied = shown.count(shown[-1]) if worst else 0

    def named(units: list[dict]) -> list[dict]:
        """The first three, less a tie the cut would split (100%, 95%, 90%, 90%: the first two)."""
        if len(units) <= NAMED:
            return units
        rate = percent(units[NAMED]["installed_rate"], mode=analysis.rounding)
        return [u for u in units[:NAMED] if percent(u["installed_rate"], mode=analysis.rounding) != rate]
    p = analysis.period
    strict = bool(analysis.config.rules.get("strict_targets", False))
    return {
        "period": {"label": p.label, "kind": p.kind, "words": p.words, "start": p.start, "end": p.end},
        "org": organisation(analysis.config, root, analysis.figures.at[root, "level"]),
        "date": date,
        "rounding": analysis.rounding,
        "total": units[root],
        "targets": units[root]["targets"],
        "units": listed,
        "chi_bo": chi_bo,
        "below": [u for u in listed if u["flags"]],
        "below_chi_bo": [u for u in chi_bo if u["flags"]],
        "best": best,
        "worst": worst,
        "best_tied": best_tied,
        "worst_tied": worst_tied,
        "best_named": named(best),
        "worst_named": named(worst),
        "flags": flags,
        "metric_labels": METRIC_LABELS,
        "history": None,
        "eligible_means": analysis.eligible_means,
        "known": {"installed": "installed" not in analysis.unknown, "active": "active" not in analysis.unknown,
                  "meetings": "regular_meetings" not in analysis.unknown},
        "counts": analysis.counts(),
        "groups": analysis.group_dicts(),
        # a metric without a target reads 'tăng số' where a draft says 'phấn đấu … sử dụng thường xuyên'
        "target_text": {m: "tăng số" for m in METRIC_LABELS} | {m: target_words(t, strict)
                                                                for m, t in units[root]["targets"].items()},
        "targets_said": targets_said(units[root]["targets"], strict),
        "target_share": {m: "" for m in METRIC_LABELS} | {m: target_percent(t)
                                                          for m, t in units[root]["targets"].items()},
        "problems": {"duplicate_cards": analysis.duplicate_cards},
        "active_rule": active_rule_words(analysis),
        "months_missing": [{"label": m, "words": month_words(m)} for m in analysis.months_missing],
        # per kind: a sentence on regular use names the usage files missing, one on meetings the meetings'
        "usage_months_missing": [month_words(m) for m in analysis.months_missing_by_kind.get("usage", [])],
        "meetings_months_missing": [month_words(m) for m in analysis.months_missing_by_kind.get("meetings", [])],
        "active_unknown_reason": active_unknown_reason(analysis),
        "unknown_parts": unknown_parts(analysis, units[root]["targets"]),
    } | (extra or {})


def targets_said(targets: dict, strict: bool = False) -> str:
    """The root's targets in one phrase, only those set: 'cài đặt, sử dụng thường xuyên đạt 95% số đảng viên;
    100% chi bộ sinh hoạt trên ứng dụng'."""
    parts = []
    installed, active = targets.get("installed_rate"), targets.get("active_rate")
    if installed is not None and active is not None and abs(installed - active) < 1e-12:
        parts.append(f"cài đặt, sử dụng thường xuyên {target_words(installed, strict)} số đảng viên")
    else:
        if installed is not None:
            parts.append(f"cài đặt {target_words(installed, strict)} số đảng viên")
        if active is not None:
            parts.append(f"sử dụng thường xuyên {target_words(active, strict)} số đảng viên")
    if targets.get("meeting_rate") is not None:
        parts.append(f"{target_percent(targets['meeting_rate'])} chi bộ sinh hoạt trên ứng dụng")
    return "; ".join(parts)


def unknown_parts(analysis, targets: dict) -> list[str]:
    """The targets set that a draft cannot judge for want of figures, in words: never 'đều đạt chỉ tiêu' over
    them (a target not set is not 'chưa đánh giá được')."""
    u = analysis.unknown
    parts = []
    if "installed" in u and "installed_rate" in targets:
        parts.append("cài đặt, sử dụng ứng dụng" if "active_rate" in targets else "cài đặt ứng dụng")
    elif "active" in u and "active_rate" in targets:
        parts.append("sử dụng thường xuyên")
    if "meeting_rate" in u and "meeting_rate" in targets:
        parts.append("sinh hoạt chi bộ trên ứng dụng")
    return parts


def active_unknown_reason(analysis) -> str | None:
    """Why regular use is unknown, in words for the draft (None when it is known or no note says why)."""
    if "active" not in analysis.unknown:
        return None
    codes = {p.code for p in analysis.notes}
    span = {"quarter": "quý", "year": "năm"}.get(analysis.period.kind, "kỳ")
    for code, words in (("one_file_for_period", f"chỉ có một tệp tài khoản cho cả {span}, không biết đảng viên có sử "
                                                "dụng trong mọi tháng hay không"),
                        ("accesses_not_cut", "số lần truy cập trong tệp tính cho cả kỳ, không cắt được theo ngày"),
                        ("no_access_column", "tệp tài khoản không có lần truy cập"),
                        ("rows_all_rejected", "không dòng nào của tệp tài khoản dùng được")):
        if code in codes:
            return words
    return None


def active_rule_words(analysis) -> str | None:
    """How regular use over a quarter or a year was counted, in a sentence for the draft."""
    p = analysis.period
    if p.kind == "month" or "active" in analysis.unknown:
        return None
    span = "quý" if p.kind == "quarter" else "năm"
    if not any(k.startswith("usage ") for k in analysis.inputs):
        return f"Đảng viên sử dụng thường xuyên trong {span} là đảng viên có truy cập ứng dụng trong {span}."
    rule = analysis.config.rules.get("quarter_active", "every-month")
    return {"every-month": f"Đảng viên sử dụng thường xuyên trong {span} là đảng viên truy cập ứng dụng trong tất cả "
                           f"các tháng của {span}.",
            "any-month": f"Đảng viên sử dụng thường xuyên trong {span} là đảng viên truy cập ứng dụng ít nhất một "
                         f"tháng trong {span}.",
            "last-month": f"Đảng viên sử dụng thường xuyên trong {span} tính theo tháng cuối {span}."}[rule]


def _unit(u: dict, rounding: str, worded: bool = True, general: dict | None = None) -> dict:
    if not u["flags"]:
        return u
    flags = sorted(u["flags"], key=lambda f: METRIC_ORDER.index(f["metric"]))
    return u | {"flags": [_flag(f, rounding, general) if worded else f for f in flags]}


def _flag(f: dict, rounding: str = "half-up", general: dict | None = None) -> dict:
    """A flag with its metric's label and `short`: 'tỷ lệ cài đặt 89,29% (còn thiếu 2 đảng viên)'; with the
    unit's own target when it is not the one the draft states for all (`general`, the root's): 'tỷ lệ sử dụng
    thường xuyên 40,82% (chỉ tiêu 100%, còn thiếu 29 đảng viên)', so the shortfall can be checked."""
    label = METRIC_LABELS[f["metric"]]
    own = general is not None and general.get(f["metric"]) is not None and f.get("target") is not None \
        and abs(f["target"] - general[f["metric"]]) > 1e-12
    target = f"chỉ tiêu {target_percent(f['target'])}, " if own else ""
    if f["metric"] == "meeting_rate" and f["level"] == CHI_BO:
        short = f["message"]
    else:
        short = f"{label} {percent(f['value'], mode=rounding)} ({target}còn thiếu {number(f['gap'])} {f['gap_unit']})"
        if f.get("deadline_text"):
            short = f"{label} {percent(f['value'], mode=rounding)} ({target}{f['deadline_text']})"
    return f | {"label": label, "short": short}
