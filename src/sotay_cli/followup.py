"""Down to each member: who in each chi bộ has not installed the app, or installed it and not used it.

This is the only output of sotay that carries members' names; it holds no more than a secretary
needs to go and see each one (name, birth year, phone, optionally masked).
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from .metrics import member_status

NOT_INSTALLED = "Chưa cài đặt, kích hoạt"
NOT_ACTIVE = "Đã cài đặt, chưa sử dụng trong kỳ"
NO_SMARTPHONE = "Không có điện thoại thông minh (không tính vào mẫu số)"
UNKNOWN_USE = "tệp tài khoản không cho biết ai đã sử dụng ứng dụng trong kỳ"  # said wherever the list is short


def followup_list(analysis, unit: str | None = None, mask_phone: bool = False,
                  counts: dict | None = None) -> pd.DataFrame:
    """One row per member still to bring onto the app: chi_bo (the unit's id), chi_bo_label, name,
    birth_year, phone, reason. Members without a smartphone stay on the list, marked: they are the
    ones who most need a visit, even where the rules leave them out of the rates.

    `unit` (id, label or unambiguous name) keeps the chi bộ at or below that unit of the tree. `counts`, when
    given, gets 'used_after_end': the members (of that unit) left off the list because their account was
    used after the period's end."""
    from .metrics import Rules
    from .problems import InputError

    data = analysis.data
    if data.usage is None:
        raise InputError("danh sách đôn đốc cần tệp tài khoản ứng dụng (--usage hoặc [inputs] usage).")
    if "installed" in analysis.unknown:  # a file of which no row could be used: nobody is known installed
        raise InputError(f"danh sách đôn đốc cần biết ai đã cài đặt, nhưng không dòng nào của tệp tài khoản "
                         f"{data.usage.source} dùng được (xem cảnh báo ở trên); kiểm tra tệp có đúng đơn vị, đúng kỳ "
                         "không.")
    members = data.members.frame
    usage = data.usage.frame
    people = member_status(members, usage, analysis.period, Rules.from_config(analysis.config.rules),
                           analysis.tree.member_units)
    no_phone = people["no_smartphone"].to_numpy() & ~people["installed"].to_numpy()
    # without the last access or the access count, nobody is known to be 'installed, not using': only
    # the members who have not installed are listed (never a member guessed idle)
    done = people["active" if use_known(analysis) else "installed"].to_numpy()
    # an account last used after the period's end (an export made late) is counted not active, as it cannot
    # be told; but it is in use: nobody need be sent to it, and listing it 'chưa sử dụng' would be a claim
    late = people["eligible"].to_numpy() & people["installed"].to_numpy() & ~done & used_after_end(analysis)
    todo = (people["eligible"].to_numpy() & ~(done | late)) | no_phone
    todo &= people["unit"].notna().to_numpy()
    late &= people["unit"].notna().to_numpy()
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
        late &= people["unit"].isin(below).to_numpy()
    if counts is not None:
        counts["used_after_end"] = int(late.sum())
    order = analysis.figures["order"]
    out = out.assign(_o=out["chi_bo"].map(order), _r=out["reason"] == NOT_ACTIVE)
    return out.sort_values(["_o", "_r", "name"]).drop(columns=["_o", "_r"]).reset_index(drop=True)


def used_after_end(analysis) -> np.ndarray:
    """Per roster row: whether the member's account was last used after the period's end."""
    from .ingest.values import positions

    members, usage = analysis.data.members.frame, analysis.data.usage.frame
    out = np.zeros(len(members), dtype=bool)
    if "last_access" not in usage or "card" not in members:
        return out
    at = positions(members["card"], usage["card"])
    found = at >= 0
    last = usage["last_access"].to_numpy(dtype="datetime64[ns]")[at[found]]
    out[found] = last >= np.datetime64(analysis.period.end, "D") + np.timedelta64(1, "D")
    return out


def use_known(analysis) -> bool:
    """Whether the usage export tells who used the app in the period (a last access or an access count)."""
    return "active" not in analysis.unknown


def summary(analysis, todo: pd.DataFrame) -> pd.DataFrame:
    chi_bo = analysis.figures[analysis.figures["level"] == "chi_bo"]
    chi_bo = chi_bo[chi_bo.index.isin(todo["chi_bo"].unique()) | (chi_bo["eligible"] > 0)]
    counts = todo.groupby(["chi_bo", "reason"]).size().unstack(fill_value=0)
    out = pd.DataFrame({"eligible": chi_bo["eligible"], "installed": chi_bo["installed"], "active": chi_bo["active"]})
    for reason in (NOT_INSTALLED, NOT_ACTIVE, NO_SMARTPHONE):
        out[reason] = counts[reason].reindex(out.index, fill_value=0) if reason in counts else 0
    return out[out.index.isin(todo["chi_bo"].unique())]
