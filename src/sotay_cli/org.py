"""The organisation tree: from a units file, from the roster's organisation columns, or one root.

A unit is its place in the tree, never its name alone: every xã of a province has its own
"Chi bộ thôn 1". Its `id` is the path of names from the root down (the root's own name left out),
joined by ` / `: "Đảng bộ xã An Bình / Chi bộ thôn 1"; the root's id is its name.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .domain import CHI_BO, CO_SO, TAGS, TINH, XA
from .gcpause import paused
from .ingest.values import fold
from .problems import Problem

MAX_DEPTH = 12
SEP = " / "
DEFAULT_ROOT = "Toàn đảng bộ"
ROSTER_COLUMNS = ("xa", "co_so", "chi_bo")  # from the top down
_KEY_SEP = "\x1f"  # joins folded names into one key: a fold holds only letters, digits and spaces
# Tree._keys once _whole_keys found whole paths unusable (a unit's name has a '/', or the root is not among the
# units): every row is then matched path by path. None there means not looked at yet.
_NO_WHOLE_KEYS = (None,)


@dataclass
class Tree:
    """Units indexed by id, with `parent` (id), `name`, `label` (the name as shown: with its parent
    when the name alone is ambiguous), `level`, `depth`, `base` (a tổ chức cơ sở đảng), inherited
    tags. `member_units` gives each roster row its chi bộ's id (None: not placed)."""

    units: pd.DataFrame
    root: str
    problems: list[Problem] = field(default_factory=list)
    member_units: pd.Series | None = None
    _index: "_PathIndex | None" = field(default=None, repr=False)
    _keys: tuple | None = field(default=None, repr=False)

    def locate(self, names: pd.Series, uppers: list[pd.Series] | None = None) -> tuple[pd.Series, pd.Series]:
        """The id of the unit each row names (its name, with the names of units above it when the
        export has them); None where no unit or several units match. Returns (ids, ambiguous)."""
        inverse, rows = _distinct_rows([names, *(uppers or [])])
        root_key = fold(self.root)
        ids = np.full(len(rows), None, dtype=object)
        ambiguous = np.zeros(len(rows), dtype=bool)
        # most rows give every name above them: found at once by their whole path folded, in numpy
        found = self._whole_path_ids(rows, root_key)
        if found is not None:
            ids[found >= 0] = self.units.index.to_numpy(dtype=object)[found[found >= 0]]
            rest = np.flatnonzero(found < 0)
        else:
            rest = np.arange(len(rows))
        if len(rest):
            with paused():
                paths = self._paths()
                # the root and the unit itself (a chi bộ cơ sở written again as its own cơ sở) are no uppers
                for i in rest.tolist():
                    row = rows[i]
                    hits = paths.matching(row[0], [c for c in row[1:] if c and fold(c) not in (root_key, fold(row[0]))])
                    if len(hits) == 1:
                        ids[i] = SEP.join(hits[0])
                    ambiguous[i] = len(hits) > 1
        return (pd.Series(ids[inverse], index=names.index, dtype=object),
                pd.Series(ambiguous[inverse], index=names.index, dtype=bool))

    def _whole_path_ids(self, rows: list[tuple[str, ...]], root_key: str) -> np.ndarray | None:
        """For each distinct row (name, uppers top first), the position in `units` of the one unit whose whole
        path, folded, is the row's uppers (the root, blanks and the name itself left out) and name; -1 where
        none or several are (`_PathIndex.matching` then decides, as it would have). None when some unit's
        name has a '/' (its id might not split back into its path)."""
        keys = self._whole_keys()
        if keys is None or not rows:
            return None
        index, unit_of_key, shared = keys
        if not len(index):  # nothing below the root
            return np.full(len(rows), -1, dtype=np.int64)
        folded, filled = [], []
        for column in zip(*rows):
            column = np.asarray(column, dtype=object)
            folded.append(_folded(column))
            filled.append(column != "")
        name = folded[0]
        query = name
        for up, given in zip(reversed(folded[1:]), reversed(filled[1:])):  # the lowest upper joined first
            given = given & (up != root_key) & (up != name)
            query = np.where(given, up + _KEY_SEP + query, query)
        at = index.get_indexer(query)
        ok = at >= 0
        ok[ok] = shared[at[ok]] == 1
        return np.where(ok, unit_of_key[np.maximum(at, 0)], -1)

    def _whole_keys(self) -> tuple[pd.Index, np.ndarray, np.ndarray] | None:
        """The distinct whole paths of the units below the root, folded, each as one string (names joined by
        _KEY_SEP), with the position of a unit that has it and how many have it; None when a name has a '/'."""
        if self._keys is None:
            u = self.units
            names = u["name"].to_numpy(dtype=object)
            if any("/" in n for n in set(names.tolist()) if isinstance(n, str)) or self.root not in u.index:
                self._keys = _NO_WHOLE_KEYS
            else:
                parent_pos = u.index.get_indexer(u["parent"])
                depth = u["depth"].to_numpy()
                keys = np.full(len(u), None, dtype=object)
                mine = _folded(names)
                for d in range(1, int(depth.max()) + 1 if len(depth) else 0):
                    at = np.flatnonzero(depth == d)
                    keys[at] = mine[at] if d == 1 else keys[parent_pos[at]] + _KEY_SEP + mine[at]
                codes, uniques = pd.factorize(keys)  # the root's None: no key
                listed = codes >= 0
                first = np.full(len(uniques), -1, dtype=np.int64)
                first[codes[listed][::-1]] = np.flatnonzero(listed)[::-1]
                self._keys = (pd.Index(uniques, dtype=object), first,
                              np.bincount(codes[listed], minlength=len(uniques)))
        return None if self._keys is _NO_WHOLE_KEYS else self._keys

    def _paths(self) -> "_PathIndex":
        if self._index is None:
            self._index = _PathIndex(tuple(uid.split(SEP)) for uid in self.units.index if uid != self.root)
        return self._index

    def below(self, unit: str) -> set[str]:
        """Ids at or below `unit`: a unit is when it is `unit` or its parent is, level by level down."""
        ids = self.units.index
        parent = ids.get_indexer(self.units["parent"])  # -1: the root
        inside = ids == unit
        for _ in range(MAX_DEPTH + 1):
            grown = inside | ((parent >= 0) & inside[parent])
            if (grown == inside).all():
                break
            inside = grown
        return set(ids[inside])

    def find(self, text: str) -> str | None:
        """The id of a unit given by id, label or (unambiguous) name."""
        u = self.units
        if text in u.index:
            return text
        for column in ("label", "name"):
            hits = u.index[u[column] == text]
            if len(hits) == 1:
                return hits[0]
        return None


class _PathIndex:
    """Unit paths found by their last name and the names above it, folded. A province has 1,500
    "Chi bộ thôn 1": scanning every one of them for each name to place made placing quadratic
    (a minute at 12,000 chi bộ). A name given with all the names above it is found at once; else it is
    looked up among those under its most telling upper (that index is built when first needed)."""

    def __init__(self, paths):
        self.paths: list[tuple[tuple[str, ...], tuple[str, ...]]] = []  # (path, its uppers folded)
        self.whole: dict[tuple[str, ...], list[int]] = defaultdict(list)  # the whole path folded
        for path in paths:
            uppers = tuple(fold(p) for p in path[:-1])
            self.whole[(*uppers, fold(path[-1]))].append(len(self.paths))
            self.paths.append((path, uppers))
        self._by_name: dict[str, list[int]] | None = None
        self._by_pair: dict[tuple[str, str], list[int]] | None = None  # (name, one upper) folded

    def _pairs(self) -> None:
        self._by_name, self._by_pair = defaultdict(list), defaultdict(list)
        for i, (path, uppers) in enumerate(self.paths):
            name = fold(path[-1])
            self._by_name[name].append(i)
            for up in dict.fromkeys(uppers):
                self._by_pair[(name, up)].append(i)

    def matching(self, name: str, uppers) -> list[tuple[str, ...]]:
        """The paths ending with `name` whose names above contain `uppers` in order, as listed; of several,
        the one right under the names given when there is one (`_direct`)."""
        key = fold(name)
        folded = [fold(u) for u in uppers]
        whole = self.whole.get((*folded, key))
        if whole is not None and len(whole) == 1:
            # the one unit at exactly this path: any other match lies deeper, so _direct would pick it
            return [self.paths[whole[0]][0]]
        if self._by_pair is None:
            self._pairs()
        if not folded:
            return _direct([self.paths[i][0] for i in self._by_name.get(key, [])], 0)
        candidates = min((self._by_pair.get((key, up), []) for up in folded), key=len)
        hits = [self.paths[i][0] for i in candidates if _in_order(folded, self.paths[i][1])]
        return _direct(hits, len(folded))


def _folded(names: np.ndarray) -> np.ndarray:
    """`fold` of each name, each distinct name folded once (a country's 380,000 units have a few thousand)."""
    codes, uniques = pd.factorize(names, use_na_sentinel=False)
    return np.array([fold(u) for u in uniques], dtype=object)[codes]


def _direct(hits: list[tuple[str, ...]], named: int) -> list[tuple[str, ...]]:
    """Among several units of that name, the one right under the names given (a blank 'Đảng bộ cơ sở'
    cell means the chi bộ sits right under the xã, not in some đảng bộ cơ sở of the xã)."""
    if len(hits) > 1:
        direct = [h for h in hits if len(h) == named + 1]
        if len(direct) == 1:
            return direct
    return hits


def _in_order(wanted: list[str], folded: tuple[str, ...]) -> bool:
    pos = 0
    for up in wanted:
        try:
            pos = folded.index(up, pos) + 1
        except ValueError:
            return False
    return True


def _roster_chains(members: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Each roster row's chain of unit names (top first) as a code into the distinct chains.

    Codes are computed per column and combined (no Python loop over members): a country's roster
    has millions of rows and a few hundred thousand distinct chains."""
    columns = [c for c in ROSTER_COLUMNS if c in members]
    if "chi_bo" not in columns or members.empty:
        return np.zeros(len(members), dtype=np.int64), []
    inverse, rows = _distinct_rows([members[c] for c in columns], one_spelling=True)
    chains = []
    for names in rows:
        chain: list[str] = []
        for name in names:  # top first, blanks and repeats (a chi bộ cơ sở) left out
            if name and (not chain or fold(chain[-1]) != fold(name)):
                chain.append(name)
        chains.append(tuple(chain))
    return inverse, chains


_KEY_LIMIT = 2**62  # a combined key of codes stays below this; past it, it is ranked densely first


def _distinct_rows(columns: list[pd.Series], one_spelling: bool = False) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Each row's position among the distinct rows of `columns` (text; missing read as ''), and those rows
    in the order of their first codes: hashed column by column, never a Python object per row.

    With `one_spelling`, names alike folded are one name, written as most rows write it: 'Chi bộ Thôn 1'
    and 'Chi bộ thôn 1' are one chi bộ (each distinct name is folded once, never each member's)."""
    codes, uniques = [], []
    for column in columns:
        if isinstance(column.dtype, pd.CategoricalDtype) and "" not in column.cat.categories:
            column = column.cat.add_categories([""])  # pandas 2.2 fills a Categorical only from its categories
        code, unique = pd.factorize(column.fillna(""))
        code, unique = code.astype(np.int64), np.asarray(unique, dtype=object)
        if one_spelling and len(unique):
            # every spelling's code becomes its first spelling's (uniques are in order met: the order of the
            # units stays that of the file), written as the spelling most rows use ('Chi bộ thôn 2' on three
            # rows, not 'chi bộ thôn 2' met first on one); a tie goes to the first met
            first: dict[str, int] = {}
            canon = np.array([first.setdefault(fold(u), i) for i, u in enumerate(unique)], dtype=np.int64)
            if len(first) < len(unique):
                rows_of = np.bincount(code, minlength=len(unique))
                most = np.lexsort((np.arange(len(unique)), -rows_of, canon))  # by name, most rows, first met
                chosen = most[np.r_[True, canon[most][1:] != canon[most][:-1]]]
                unique = unique.copy()
                unique[canon[chosen]] = unique[chosen]
            code = canon[code]
        codes.append(code)
        uniques.append(unique)
    key = codes[0]
    width = len(uniques[0])
    for code, unique in zip(codes[1:], uniques[1:]):
        if width * max(len(unique), 1) >= _KEY_LIMIT:
            key = _ranks(key)  # dense again: never overflows
            width = int(key.max()) + 1 if len(key) else 0
        key = key * len(unique) + code  # the same order as ranking each step: one hash, not one per column
        width *= max(len(unique), 1)
    inverse = _ranks(key)
    first = np.empty(int(inverse.max()) + 1 if len(inverse) else 0, dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1)  # the last write is the first row
    rows = list(zip(*(unique[code[first]].tolist() for code, unique in zip(codes, uniques))))
    return inverse, rows


def _ranks(keys: np.ndarray) -> np.ndarray:
    """Each key's rank among the distinct keys (`np.unique(keys, return_inverse=True)[1]`), found by hashing
    and sorting only the distinct keys: a country's 5.6 million rows are never sorted."""
    codes, distinct = pd.factorize(keys)
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[np.argsort(distinct, kind="stable")] = np.arange(len(distinct))
    return rank[codes]


@dataclass
class _Node:
    name: str
    parent: str | None  # the parent's name as written
    row: int | None
    level: str | None = None
    tags: dict = field(default_factory=dict)
    path: tuple[str, ...] = ()


def _units_file_paths(units: pd.DataFrame, root: str, source: str, problems: list[Problem]) -> list[_Node]:
    """The units file's rows placed in the tree by their parents' names."""
    nodes = []
    for rec in units.to_dict("records"):
        parent = rec.get("parent")
        parent = parent if isinstance(parent, str) and parent else None
        level = rec.get("level") if isinstance(rec.get("level"), str) else None
        tags = {t: bool(rec[t]) for t in TAGS if t in rec and not pd.isna(rec[t])}
        nodes.append(_Node(rec["unit"], parent, rec.get("row"), level, tags))
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, n in enumerate(nodes):
        by_name[fold(n.name)].append(i)
    created: dict[str, list] = {}
    ambiguous: dict[str, list] = {}
    parent_of: dict[int, int | None] = {}
    for i, n in enumerate(nodes):
        if n.parent is None or fold(n.parent) == fold(root):
            parent_of[i] = None
            continue
        candidates = [j for j in by_name.get(fold(n.parent), []) if j != i]
        if len(candidates) > 1:
            ambiguous.setdefault(n.parent, []).append(n.row)
        if not candidates:
            created.setdefault(n.parent, []).append(n.row)
            nodes.append(_Node(n.parent, None, None))
            by_name[fold(n.parent)].append(len(nodes) - 1)
            parent_of[len(nodes) - 1] = None
            candidates = [len(nodes) - 1]
        parent_of[i] = candidates[0]
    for name, rows in created.items():
        problems.append(Problem(source, "parent_created", "warning",
                                f"Cấp trên '{name}' không có dòng riêng trong danh mục tổ chức; sotay đã tạo đơn vị này "
                                f"cho {len(rows)} đơn vị trực thuộc (dòng {_rows(rows)}). Thêm một dòng cho '{name}'.",
                                row=rows[0], column="Trực thuộc"))
    for name, rows in ambiguous.items():
        problems.append(Problem(source, "ambiguous_parent", "error",
                                f"Có nhiều đơn vị tên '{name}' trong danh mục; {len(rows)} đơn vị ghi trực thuộc "
                                f"'{name}' (dòng {_rows(rows)}) được xếp vào đơn vị đầu tiên. Ghi rõ tên để phân biệt.",
                                row=rows[0], column="Trực thuộc"))
    cyclic = []
    for i, n in enumerate(nodes):
        path, j, seen = [n.name], parent_of.get(i), {i}
        while j is not None and j not in seen and len(path) <= MAX_DEPTH:
            seen.add(j)
            path.append(nodes[j].name)
            j = parent_of.get(j)
        if j is not None:
            cyclic.append(n.name)
            path = [n.name]
        n.path = tuple(reversed(path))
    if cyclic:
        problems.append(Problem(source, "cycle", "error",
                                f"Quan hệ cấp trên bị vòng lặp ở: {', '.join(cyclic[:5])}; các đơn vị này được xếp "
                                "thẳng dưới đơn vị gốc. Kiểm tra cột 'Trực thuộc'."))
    seen_paths: dict[tuple, _Node] = {}
    kept = []
    for n in nodes:
        key = tuple(fold(p) for p in n.path)
        if key in seen_paths:
            first = seen_paths[key]
            problems.append(Problem(source, "duplicate_unit", "error",
                                    f"Tổ chức '{n.name}' có hai lần dưới cùng cấp trên (dòng {first.row} và dòng {n.row}); "
                                    "chỉ lấy dòng đầu.", row=n.row, column="Tên tổ chức đảng"))
            continue
        seen_paths[key] = n
        kept.append(n)
    return kept


def _rows(rows: list) -> str:
    shown = [str(r) for r in rows[:8] if r is not None]
    return ", ".join(shown) + (", …" if len(rows) > 8 else "")


def build_tree(
    members: pd.DataFrame,
    units: pd.DataFrame | None = None,
    root: str | None = DEFAULT_ROOT,
    root_level: str | None = None,
    units_source: str = "",
    members_source: str = "",
) -> Tree:
    with paused():  # a country's 380,000 unit paths and chains are Python objects
        return _build_tree(members, units, root, root_level, units_source, members_source)


def _build_tree(members: pd.DataFrame, units: pd.DataFrame | None, root: str | None, root_level: str | None,
                units_source: str, members_source: str) -> Tree:
    root = root or DEFAULT_ROOT
    problems: list[Problem] = []
    codes, chains = _roster_chains(members)
    nodes = _units_file_paths(units, root, units_source or "danh mục tổ chức", problems) \
        if units is not None and len(units) else []

    # the root: configured, or the one top every path shares
    configured = root != DEFAULT_ROOT
    if not configured:  # the units file's one top, else the roster's
        listed = [n.path for n in nodes if n.path] or [c for c in chains if c]
        tops = {fold(p[0]) for p in listed}
        if len(tops) == 1 and not any(len(c) == 1 and fold(c[0]) in tops for c in chains):
            root = listed[0][0]
    root_key = fold(root)
    # the root itself is rarely a row of the units file: creating it is no guess
    problems[:] = [p for p in problems if not (p.code == "parent_created" and f"'{root}'" in p.message.split(" không")[0])]

    def strip(path: tuple[str, ...]) -> tuple[str, ...]:
        return path[1:] if path and fold(path[0]) == root_key else path

    root_node = None
    node_paths: dict[tuple, _Node] = {}
    for n in nodes:
        p = strip(n.path)
        if not p:
            root_node = n
        else:
            node_paths[p] = n

    # each roster chain placed: on the units file's unit when there is one, else where the roster says
    chain_paths: list[tuple[str, ...] | None] = []
    if node_paths:
        listed = _PathIndex(node_paths)
        suffixes: dict[tuple[str, ...], list[tuple]] = defaultdict(list)  # the last k names of a path, folded
        for p, folded in listed.paths:
            whole = (*folded, fold(p[-1]))
            for k in range(1, len(p) + 1):
                suffixes[whole[-k:]].append(p)
        added, unclear = Counter(), {}
        for chain in chains:
            chain = strip(chain)
            hits = listed.matching(chain[-1], chain[:-1]) if chain else []
            if len(hits) == 1:
                chain_paths.append(hits[0])
            elif len(hits) > 1:
                chain_paths.append(None)
                unclear[chain] = hits
            else:
                # not in the units file: placed under the deepest named parent it has there
                up = tuple(chain[:-1])
                for k in range(len(up), 0, -1):
                    parents = suffixes.get(tuple(fold(x) for x in up[:k]), [])
                    if len(parents) == 1:
                        up = parents[0] + up[k:]
                        break
                chain_paths.append(up + (chain[-1],))
                added[chain[-1]] += 1
        if added:
            names = list(added)
            problems.append(Problem(members_source or "danh sách đảng viên", "unit_not_in_units_file", "warning",
                                    f"{len(names)} chi bộ có trong danh sách đảng viên nhưng không có trong danh mục "
                                    f"tổ chức ({', '.join(names[:5])}{', …' if len(names) > 5 else ''}); đã thêm vào "
                                    "cây theo các cột tổ chức của danh sách đảng viên."))
        for chain, hits in unclear.items():
            problems.append(Problem(members_source or "danh sách đảng viên", "ambiguous_unit", "error",
                                    f"Chi bộ '{chain[-1]}' có ở {len(hits)} nơi trong danh mục tổ chức "
                                    f"({'; '.join(SEP.join(h[:-1]) or root for h in hits[:3])}); danh sách đảng viên cần "
                                    "cột Đảng bộ xã hoặc Đảng bộ cơ sở để phân biệt. Đảng viên của chi bộ này chưa được tính.",
                                    column="Chi bộ"))
    else:
        chain_paths = [strip(c) or None for c in chains]

    # every path and all its prefixes become units
    paths: dict[tuple, None] = {}
    for p in [*node_paths, *(c for c in chain_paths if c)]:
        for k in range(1, len(p) + 1):
            paths.setdefault(p[:k])
    ids = [SEP.join(p) for p in paths]
    parents = [SEP.join(p[:-1]) if len(p) > 1 else root for p in paths]
    names = [p[-1] for p in paths]
    index = pd.Index([root, *ids], dtype=object, name="unit")
    # object dtype on purpose: pandas 3 would make an Arrow "str" index, whose every lookup converts
    # the whole index back to Python objects (seconds at the size of a country's 380,000 units)
    frame = pd.DataFrame({"parent": pd.Series([None, *parents], index=index, dtype=object),
                          "name": pd.Series([root, *names], index=index, dtype=object)})
    frame["depth"] = pd.Series([0, *(len(p) for p in paths)], index=index)

    # every unit's parent as a position: the tags and the order follow parents in numpy
    parent_pos = frame.index.get_indexer(frame["parent"])  # -1: the root

    # levels: the units file's when it says, else by place in the tree
    given = {SEP.join(p): n.level for p, n in node_paths.items() if n.level}
    if root_node is not None and root_node.level and not root_level:
        root_level = root_node.level
    has_children = frame.index.isin(set(frame["parent"].dropna()))
    depth = frame["depth"].to_numpy()
    # a name the roster writes in its 'Đảng bộ xã' column is a đảng bộ xã, however deep the tree
    from_xa_column = np.zeros(len(frame), dtype=bool)
    if "xa" in members:
        xa_names = {fold(n) for n in members["xa"].dropna().unique().tolist() if n}  # distinct names first
        xa_names.discard(fold(root))
        from_xa_column = (depth == 1) & has_children & frame["name"].map(fold).isin(xa_names).to_numpy()
    if root_level is None:
        root_level = TINH if frame["depth"].max() >= 3 or from_xa_column.any() else XA
    inferred = np.where(~has_children, CHI_BO, np.where(depth == 1, XA if root_level == TINH else CO_SO, CO_SO))
    inferred = np.where(from_xa_column, XA, inferred)
    level = pd.Series(inferred, index=frame.index, dtype=object)
    stated = pd.Series(given, dtype=object).reindex(frame.index)
    level = level.where(stated.isna(), stated)
    # a unit given as a chi bộ that has units under it is a đảng bộ (cơ sở)
    level[(level == CHI_BO) & has_children] = CO_SO
    level.iloc[0] = root_level
    frame["level"] = level
    # a tổ chức cơ sở đảng: a unit right under the xã (the root, when the root is a xã); parents' values are
    # taken by position (mapping by id hashed every id again: a third of building a province's tree)
    levels = frame["level"].to_numpy(dtype=object)
    frame["base"] = (_of_parents(levels, parent_pos, None) == XA) & (frame["level"].isin([CHI_BO, CO_SO]))
    frame["label"] = _labels(frame, root, parent_pos)
    frame["parent_label"] = pd.Series(_of_parents(frame["label"].to_numpy(dtype=object), parent_pos, np.nan),
                                      index=frame.index)  # as Series.map gives it: 'str' in pandas 3

    own = pd.DataFrame({t: pd.Series({SEP.join(p): n.tags.get(t, False) for p, n in node_paths.items()}, dtype=object)
                        .reindex(frame.index).fillna(False).astype(bool) for t in TAGS}, index=frame.index)
    if root_node is not None:
        for t, on in root_node.tags.items():
            own.loc[root, t] = on
    # a tag holds for everything under a tagged unit: parents before children, depth by depth
    inherited = own[list(TAGS)].to_numpy(dtype=bool, copy=True)
    depth = frame["depth"].to_numpy()
    for d in range(1, int(depth.max()) + 1 if len(depth) else 0):
        rows = np.flatnonzero(depth == d)
        inherited[rows] |= inherited[parent_pos[rows]]
    for i, t in enumerate(TAGS):
        frame[t] = inherited[:, i]
    frame["order"] = _tree_order(frame, root, parent_pos)

    # each member's unit, per distinct chain (never per member)
    chain_codes = index.get_indexer(pd.Index([SEP.join(p) if p else None for p in chain_paths], dtype=object))
    member_codes = chain_codes[codes] if chains else np.full(len(members), -1, dtype=np.int64)
    member_units = pd.Series(pd.Categorical.from_codes(member_codes, categories=index), index=members.index)
    return Tree(frame.sort_values("order"), root, problems, member_units)


def _of_parents(values: np.ndarray, parent_pos: np.ndarray, missing) -> np.ndarray:
    """Each unit's parent's value among `values` (object), `missing` for the root."""
    out = values[parent_pos]
    out[parent_pos < 0] = missing
    return out


def _labels(frame: pd.DataFrame, root: str, parent_pos: np.ndarray) -> pd.Series:
    """The name, or 'name (parent's name)' where another unit has the same name, or the whole path."""
    names = frame["name"].to_numpy(dtype=object)
    folded = _folded(names)
    repeated = pd.Index(folded).duplicated(keep=False)
    labels = names.copy()
    parent_names = _of_parents(names, parent_pos, "")
    labels[repeated] = names[repeated] + " (" + parent_names[repeated] + ")"
    # fold("name (parent)") is fold(name) and fold(parent) joined by a space (the brackets fold away): each
    # distinct name is folded once, never each of a country's 380,000 labels
    up = _folded(parent_names)
    joined = np.where(up == "", folded, np.where(folded == "", up, folded + " " + up))
    still = pd.Index(np.where(repeated, joined, folded)).duplicated(keep=False)
    labels[still] = frame.index.to_numpy(dtype=object)[still]
    return pd.Series(labels, index=frame.index, dtype=object)


def _tree_order(frame: pd.DataFrame, root: str, parent_pos: np.ndarray | None = None) -> pd.Series:
    """Depth-first position, children in the order they first appear, so tables read as a tree.

    That is the order of each unit's positions from the root down (a parent's a prefix of its children's),
    sorted in numpy; a walk in Python when some unit does not lead up to the root."""
    depth = frame["depth"].to_numpy()
    if parent_pos is not None and len(frame) and frame.index[0] == root:
        chain = np.full((len(frame), int(depth.max()) + 1), -1, dtype=np.int64)
        rows = np.arange(len(frame))
        chain[rows, depth] = rows
        current, whole = rows.copy(), True
        for step in range(1, chain.shape[1]):
            up = np.flatnonzero(depth >= step)
            current[up] = parent_pos[current[up]]
            if (current[up] < 0).any():
                whole = False
                break
            chain[up, depth[up] - step] = current[up]
        if whole and (chain[:, 0] == 0).all():
            order = np.empty(len(frame), dtype=np.int64)
            order[np.lexsort(chain.T[::-1])] = np.arange(len(frame))
            return pd.Series(order, index=frame.index)
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
