"""The checks between the roster and the other exports, on columns read as categories and as text."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sotay_cli import crosscheck
from sotay_cli.ingest import MEMBERS, USAGE, Dataset, Table
from sotay_cli.ingest.values import categories

UNITS = st.sampled_from(["Chi bộ thôn 1", "Chi bộ Thôn 1", "Chi bộ thôn 2", "Chi bộ  thôn 2", "", "Chi bộ 3"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(UNITS.filter(bool), UNITS), min_size=1, max_size=12), st.data())
def test_accounts_filed_under_another_chi_bo_are_found_alike_in_categories_and_in_text(rows, data):
    """note_unit_mismatch compares the codes when both columns are categories: the same warning, count and
    rows as comparing the text; accounts in the roster's order or not, some not in the roster."""
    n = len(rows)
    cards = [f"38.{i:06d}" for i in range(n)]
    order = data.draw(st.permutations(range(n)))
    kept = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    roster = pd.DataFrame({"row": range(10, 10 + n), "card": pd.array(cards, dtype="string[pyarrow]"),
                           "chi_bo": pd.array([r[0] for r in rows], dtype="string[pyarrow]")})
    usage = pd.DataFrame({"row": range(5, 5 + n), "card": pd.array([cards[i] if kept[i] else f"99.{i:06d}"
                                                                    for i in order], dtype="string[pyarrow]"),
                          "chi_bo": pd.array([rows[i][1] for i in order], dtype="string[pyarrow]")})
    said = []
    for as_categories in (False, True):
        if as_categories:
            roster = roster.assign(chi_bo=categories(roster["chi_bo"]))
            usage = usage.assign(chi_bo=categories(usage["chi_bo"]))
        members = Table(MEMBERS, "dv.csv", None, roster)
        accounts = Table(USAGE, "tk.csv", None, usage)
        crosscheck.note_unit_mismatch(Dataset(members, accounts), tree=None)
        said.append([(p.code, p.row, p.message) for p in accounts.problems])
    assert said[0] == said[1]
