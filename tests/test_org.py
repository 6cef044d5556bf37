"""The organisation tree's placing of names, against the path-by-path search it replaces."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sotay_cli import org

NAMES = st.sampled_from(["Chi bộ thôn 1", "Chi bộ Thôn 1", "chi bo thon 1", "Chi bộ thôn 2", "Đảng bộ xã A",
                         "Đảng bộ Xã A", "Đảng bộ xã B", "Đảng bộ cơ sở 1", "Tỉnh X", "-", "", "Chi bộ 1/5"])
ROWS = st.tuples(NAMES, NAMES, NAMES)  # xã, cơ sở, chi bộ


@settings(max_examples=400, deadline=None)
@given(st.lists(ROWS, min_size=1, max_size=12), st.lists(ROWS, min_size=1, max_size=12),
       st.sampled_from(["Tỉnh X", org.DEFAULT_ROOT]))
def test_names_found_by_their_whole_path_are_placed_as_the_search_places_them(roster, asked, root):
    """Tree.locate finds a name given with all the names above it by its whole path folded, at once; every
    row it places (or finds ambiguous) must be placed as `_PathIndex.matching` alone places it."""
    members = pd.DataFrame(roster, columns=["xa", "co_so", "chi_bo"])
    members = members[members["chi_bo"] != ""]
    if members.empty:
        return
    tree = org.build_tree(members, None, root)
    meetings = pd.DataFrame(asked, columns=["xa", "co_so", "chi_bo"])
    fast = tree.locate(meetings["chi_bo"], [meetings["xa"], meetings["co_so"]])

    slow_tree = org.build_tree(members, None, root)
    slow_tree._keys = org._NO_WHOLE_KEYS  # as if some name held a '/': every row searched path by path
    slow = slow_tree.locate(meetings["chi_bo"], [meetings["xa"], meetings["co_so"]])
    assert fast[0].tolist() == slow[0].tolist()
    assert fast[1].tolist() == slow[1].tolist()
    if not any("/" in n for n in tree.units["name"]):
        assert tree._keys is not None and tree._keys is not org._NO_WHOLE_KEYS  # the fast way was taken


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(NAMES, NAMES, NAMES), min_size=1, max_size=20), st.sampled_from([2**62, 1, 7]),
       st.booleans(), st.booleans())
def test_distinct_rows_are_the_same_whatever_the_key_size_and_column_type(rows, limit, as_categories, one_spelling):
    """org._distinct_rows combines the columns' codes into one key (ranked densely first when it would
    overflow, forced here with a small limit); the roster's columns come as categories. The rows and their
    numbering are the ones of ranking column by column on plain text."""
    import unittest.mock

    from sotay_cli.ingest.values import categories

    plain = [pd.Series([r[i] for r in rows], dtype=object) for i in range(3)]
    with unittest.mock.patch.object(org, "_KEY_LIMIT", 1):
        expect = org._distinct_rows(plain, one_spelling=one_spelling)
    columns = [categories(pd.Series(c, dtype="string[pyarrow]")) if as_categories else c for c in plain]
    with unittest.mock.patch.object(org, "_KEY_LIMIT", limit):
        inverse, distinct = org._distinct_rows(columns, one_spelling=one_spelling)
    assert inverse.tolist() == expect[0].tolist() and distinct == expect[1]


@settings(max_examples=200, deadline=None)
@given(st.lists(ROWS, min_size=1, max_size=15), st.data())
def test_below_a_unit_are_itself_and_the_units_whose_path_starts_with_it(roster, data):
    """A unit's id is its path below the root: the units at or below it are it and those whose id continues
    its own (every unit, for the root)."""
    members = pd.DataFrame(roster, columns=["xa", "co_so", "chi_bo"])
    members = members[members["chi_bo"] != ""]
    if members.empty:
        return
    tree = org.build_tree(members, None, "Tỉnh X")
    unit = data.draw(st.sampled_from(list(tree.units.index)))
    ids = set(tree.units.index)
    expected = ids if unit == tree.root else {u for u in ids if u == unit or u.startswith(unit + org.SEP)}
    assert tree.below(unit) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(ROWS, min_size=1, max_size=12), st.sampled_from(["Tỉnh X", org.DEFAULT_ROOT]))
def test_labels_and_parents_values_are_those_of_each_units_parent_by_id(roster, root):
    """build_tree takes the parents' levels and labels by position: every unit's `base` and `parent_label` are
    its parent's found by id; its key is its name folded, or 'name (parent)' folded when another unit's name folds
    alike, and its label its id when another unit has its key, else its name or 'name (parent)'."""
    members = pd.DataFrame(roster, columns=["xa", "co_so", "chi_bo"])
    members = members[members["chi_bo"] != ""]
    if members.empty:
        return
    units = org.build_tree(members, None, root).units
    by_id = units.to_dict("index")
    names = [org.fold(u["name"]) for u in by_id.values()]

    def with_parent(u):
        return f"{u['name']} ({by_id[u['parent']]['name'] if u['parent'] in by_id else ''})"

    keys = [org.fold(with_parent(u)) if names.count(org.fold(u["name"])) > 1 else org.fold(u["name"])
            for u in by_id.values()]
    for (uid, u), key in zip(by_id.items(), keys):
        parent = by_id.get(u["parent"])
        assert (u["parent_label"] == parent["label"]) if parent else pd.isna(u["parent_label"])
        assert u["base"] == (parent is not None and parent["level"] == org.XA and u["level"] in (org.CHI_BO, org.CO_SO))
        unique_name, unique_key = names.count(org.fold(u["name"])) == 1, keys.count(key) == 1
        assert u["label"] == (uid if not unique_key else u["name"] if unique_name else with_parent(u))


def test_a_unit_is_written_as_most_rows_write_it():
    """'chi bộ thôn 2' on the first row and 'Chi bộ thôn 2' on three: one chi bộ, named as the three write
    it (the letter to its secretary read 'Đồng chí Bí thư chi bộ thôn 2'); the units keep the file's order."""
    import pandas as pd

    from sotay_cli.org import _distinct_rows

    inverse, rows = _distinct_rows([pd.Series(["Xã A"] * 5),
                                    pd.Series(["chi bộ thôn 2", "Chi bộ thôn 1", "Chi bộ thôn 2", "Chi bộ thôn 2",
                                               "CHI BỘ THÔN 1"])], one_spelling=True)
    assert rows == [("Xã A", "Chi bộ thôn 2"), ("Xã A", "Chi bộ thôn 1")]  # a tie: the first met
    assert inverse.tolist() == [0, 1, 0, 0, 1]
