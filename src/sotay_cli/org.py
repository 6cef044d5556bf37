"""The organisation tree: from a units file, from the roster's organisation columns, or one root."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .ingest.values import CHI_BO, CO_SO, TINH, XA
from .problems import Problem

TAGS = ("armed_forces", "state_agency", "excluded")
MAX_DEPTH = 12
LEVEL_LABELS = {CHI_BO: "Chi bộ", CO_SO: "Đảng bộ cơ sở", XA: "Đảng bộ xã", TINH: "Đảng bộ tỉnh"}


@dataclass
class Tree:
    """Units indexed by name, with `parent`, `level`, `depth`, inherited tags; `closure` pairs every
    unit with each of its ancestors (itself included), which is what roll-ups sum over."""

    units: pd.DataFrame
    closure: pd.DataFrame  # columns: unit, ancestor
    root: str
    problems: list[Problem] = field(default_factory=list)

    def children(self, name: str) -> list[str]:
        return self.units.index[self.units["parent"] == name].tolist()


def build_tree(
    members: pd.DataFrame,
    units: pd.DataFrame | None = None,
    root: str = "Toàn đảng bộ",
    root_level: str | None = None,
    units_source: str = "",
) -> Tree:
    parent: dict[str, str | None] = {}
    level: dict[str, str] = {}
    tags = pd.DataFrame(columns=list(TAGS), dtype=bool)
    problems: list[Problem] = []
    if units is not None and len(units):
        named = units.set_index("unit")
        parent.update({u: (p or None) for u, p in named.get("parent", pd.Series(None, index=named.index))
                       .fillna("").items()})
        if "level" in named:
            level.update({u: lv for u, lv in named["level"].items() if isinstance(lv, str)})
        tags = pd.DataFrame({t: named[t].fillna(False).astype(bool) if t in named else False for t in TAGS},
                            index=named.index)
    # the roster's own organisation columns fill in what the units file does not say
    for child, up in _roster_links(members):
        parent.setdefault(child, up)
    for name in list(parent.values()):
        if name and name not in parent:
            parent[name] = None
    tops = [u for u, p in parent.items() if p is None]
    if len(tops) == 1 and tops[0] not in set(members.get("chi_bo", [])) and root in ("", None, "Toàn đảng bộ"):
        root = tops[0]
    for u in tops:
        if u != root:
            parent[u] = root
    parent[root] = None

    # object dtype on purpose: pandas 3 would make an Arrow "str" index, whose every lookup converts
    # the whole index back to Python objects (seconds at the size of a country's 380,000 units)
    frame = pd.DataFrame({"parent": pd.Series(list(parent.values()), index=pd.Index(list(parent), dtype=object),
                                              dtype=object)})
    frame.index.name = "unit"
    # ancestors, level by level (no Python loop over members: the tree is walked per depth)
    up = frame["parent"]
    closure = [pd.DataFrame({"unit": frame.index, "ancestor": frame.index})]
    current = pd.Series(frame.index, index=frame.index)
    depth = pd.Series(0, index=frame.index)
    for _ in range(MAX_DEPTH):
        current = current.map(up)
        alive = current.notna()
        if not alive.any():
            break
        depth[alive] += 1
        closure.append(pd.DataFrame({"unit": current.index[alive], "ancestor": current[alive].to_numpy()}))
    else:
        cyclic = current[current.notna()].index.tolist()
        problems.append(Problem(units_source or "danh mục tổ chức", "cycle", "error",
                                f"Quan hệ cấp trên bị vòng lặp ở: {', '.join(cyclic[:5])}; kiểm tra cột 'Trực thuộc'."))
    closure = pd.concat(closure, ignore_index=True).drop_duplicates()
    frame["depth"] = depth
    has_children = frame.index.isin(set(frame["parent"].dropna()))
    if root_level is None:
        root_level = TINH if depth.max() >= 3 else XA
    inferred = np.where(~has_children, CHI_BO, np.where(depth == 1, XA if root_level == TINH else CO_SO, CO_SO))
    frame["level"] = pd.Series(inferred, index=frame.index).where(
        ~frame.index.isin(set(level)), pd.Series(level, dtype=object).reindex(frame.index))
    frame.loc[root, "level"] = root_level
    # tags hold for everything below the tagged unit
    own = tags.reindex(frame.index).fillna(False).astype(bool)
    inherited = closure.join(own, on="ancestor").groupby("unit")[list(TAGS)].any()
    frame = frame.join(inherited)
    frame["order"] = _tree_order(frame, root)
    return Tree(frame.sort_values("order"), closure, root, problems)


def _roster_links(members: pd.DataFrame) -> list[tuple[str, str | None]]:
    """(unit, its parent) from the roster's chi bộ / cơ sở / xã columns, first mention first.

    Each chi bộ is read from its first member only (pd.factorize + np.unique, not drop_duplicates
    over millions of rows), which is also the rule when a chi bộ is filed under two parents."""
    columns = [c for c in ("chi_bo", "co_so", "xa") if c in members]
    if "chi_bo" not in columns or members.empty:
        return []
    codes, _ = pd.factorize(members["chi_bo"])
    _, first = np.unique(codes, return_index=True)
    chains = members[columns].iloc[np.sort(first)]
    cells = [chains[c].fillna("").astype(str).to_numpy(dtype=object) for c in columns]
    links = []
    for level, child in enumerate(cells):
        # the parent is the next filled cell to the right (a chi bộ cơ sở sits right under the xã)
        up = np.full(len(child), None, dtype=object)
        for higher in reversed(cells[level + 1:]):
            up = np.where(higher != "", higher, up)
        keep = (child != "") & (child != up)
        pairs = pd.DataFrame({"child": child[keep], "up": up[keep]}).drop_duplicates("child")
        links += [(c, u if isinstance(u, str) else None) for c, u in zip(pairs["child"], pairs["up"])]
    return links


def _tree_order(frame: pd.DataFrame, root: str) -> pd.Series:
    """Depth-first position, children in the order they first appear, so tables read as a tree."""
    kids: dict[str, list[str]] = {}
    for unit, up in frame["parent"].items():
        if up is not None and isinstance(up, str):
            kids.setdefault(up, []).append(unit)
    order, stack = {}, [root]
    while stack:
        unit = stack.pop()
        if unit in order:
            continue
        order[unit] = len(order)
        stack.extend(reversed(kids.get(unit, [])))
    return pd.Series(order).reindex(frame.index).fillna(len(order)).astype(int)
