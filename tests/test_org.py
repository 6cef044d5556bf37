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
