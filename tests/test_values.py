"""The value parsers, on hand-picked cells and on generated ones (hypothesis)."""

import datetime as dt
import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sotay_cli.ingest import values as v


def s(*cells):
    return pd.Series(list(cells), dtype=object)


def test_fold_ignores_accents_case_and_punctuation():
    assert v.fold("Số thẻ ĐV") == "so the dv"
    assert v.fold("  HỌ VÀ   TÊN ") == "ho va ten"
    assert v.fold("Chính thức/Dự bị") == "chinh thuc du bi"


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậếềểễệốồổỗộớờởỡợúùủũụứừửữựíìỉĩịýỳỷỹỵ ĐÂ/-.",
               max_size=30))
def test_fold_is_the_same_for_nfc_and_nfd_text(text):
    assert v.fold(unicodedata.normalize("NFC", text)) == v.fold(unicodedata.normalize("NFD", text))
    assert v.fold_series(s(unicodedata.normalize("NFD", text))).iloc[0] == v.fold(text)


@given(st.integers(min_value=0, max_value=99), st.integers(min_value=0, max_value=999999))
def test_card_numbers_stay_text_with_leading_zeros_and_dots(province, number):
    card = f"{province:02d}.{number:06d}"
    assert v.card(s(card, f" {card} ", f"'{card}")).tolist() == [card, card, card]


_CARD_CELLS = st.one_of(
    st.builds(lambda a, b, sep: f"{a:02d}{sep}{b:06d}", st.integers(0, 99), st.integers(0, 999999),
              st.sampled_from([".", ".", ",", "", "-", "/", "·"])),
    st.sampled_from(["", " ", "'38.100000", " 38.100000 ", "38 100000", "ab.123456", "٣٨.١٠٠٠٠٠", "38.1000001"]))


@given(st.lists(_CARD_CELLS, min_size=1, max_size=12))
def test_a_column_of_canonical_cards_is_read_as_the_general_rules_read_it(cells):
    """Cards already canonical are handed on, and the few of another form rewritten alone: the same cells
    the general rules give on the whole column."""
    column = pd.Series(cells, dtype=object)
    general = v._card_forms(v.arrow_text(v.text(column)), column.index)
    assert v.card(column).tolist() == general.tolist()
    many = pd.Series([*cells, *cells, "38.000001"] * 2, dtype=object)
    assert v.card(many).tolist() == (general.tolist() * 2 + ["38.000001"]) * 2


def test_card_from_a_number_cell_loses_only_the_spurious_decimal():
    assert v.card(s(38100000.0, "38.100000")).tolist() == ["38.100000", "38.100000"]


@given(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2069, 12, 31)))
def test_dates_in_every_written_form_parse_to_the_same_day(day):
    serial = (day - dt.date(1899, 12, 30)).days
    cells = s(day.strftime("%d/%m/%Y"), f"{day.day}/{day.month}/{day.year}", day.isoformat(),
              day.strftime("%d-%m-%Y"), day.strftime("%d.%m.%Y"), float(serial), str(serial),
              dt.datetime(day.year, day.month, day.day, 14, 30), day.strftime("%d/%m/%Y 08:15"))
    parsed, bad = v.date(cells)
    assert not bad.any()
    assert set(parsed.dt.date) == {day}


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2069, 12, 31)))
def test_two_digit_years_are_this_century_up_to_69(day):
    parsed, bad = v.date(s(f"{day.day}/{day.month}/{day.year % 100:02d}"))
    assert not bad.any() and parsed.iloc[0].date() == day


def test_bad_dates_are_flagged_not_guessed():
    parsed, bad = v.date(s("31/02/2026", "hôm qua", "", None, "2026-13-01"))
    assert bad.tolist() == [True, True, False, False, True]
    assert parsed.isna().all()


def test_bare_year_is_a_birth_year_only_when_allowed():
    parsed, bad = v.date(s("1975", 1980.0), allow_year=True)
    assert [d.date() for d in parsed] == [dt.date(1975, 1, 1), dt.date(1980, 1, 1)]
    assert not bad.any()


@pytest.mark.parametrize("cell", ["Có", "có", "x", "X", "✓", "1", 1.0, "TRUE", True, "Đã kích hoạt", "đã cài đặt"])
def test_yes_words(cell):
    parsed, bad = v.boolean(s(cell))
    assert parsed.iloc[0] == True and not bad.iloc[0]  # noqa: E712


@pytest.mark.parametrize("cell", ["Không", "không", "0", 0.0, "FALSE", False, "Chưa kích hoạt", "chưa cài", "-"])
def test_no_words(cell):
    parsed, bad = v.boolean(s(cell))
    assert parsed.iloc[0] == False and not bad.iloc[0]  # noqa: E712


def test_unknown_yes_no_is_flagged_and_empty_takes_the_default():
    parsed, bad = v.boolean(s("có lẽ", "", None), empty=False)
    assert bad.tolist() == [True, False, False]
    assert parsed.tolist()[1:] == [False, False]


@pytest.mark.parametrize("cell,expected", [
    ("Đang sinh hoạt", v.ACTIVE), ("đang SH", v.ACTIVE), ("ĐSH", v.ACTIVE), ("", v.ACTIVE),
    ("Miễn sinh hoạt", v.EXEMPT), ("Miễn SH", v.EXEMPT), ("miễn công tác và sinh hoạt", v.EXEMPT),
    ("MSH", v.EXEMPT), ("Đã chuyển sinh hoạt đi", v.LEFT), ("Từ trần", v.LEFT), ("Xóa tên", v.LEFT),
])
def test_statuses_as_people_write_them(cell, expected):
    parsed, bad = v.status(s(cell))
    assert parsed.iloc[0] == expected and not bad.iloc[0]


def test_unknown_status_is_flagged_and_counted_active():
    parsed, bad = v.status(s("nghỉ phép"))
    assert parsed.iloc[0] == v.ACTIVE and bad.iloc[0]


@given(st.integers(min_value=0, max_value=10**7))
def test_counts_with_vietnamese_thousands_separators(n):
    written = f"{n:,}".replace(",", ".")
    parsed, bad = v.integer(s(written, str(n), float(n)))
    assert parsed.tolist() == [n, n, n] and not bad.any()


def test_negative_and_fractional_counts_are_flagged():
    parsed, bad = v.integer(s("-3", "2,5", "abc", ""))
    assert bad.tolist() == [True, True, True, False]


def test_meeting_kinds():
    parsed, bad = v.meeting_kind(s("Sinh hoạt định kỳ", "Chuyên đề", "", "họp gì đó"))
    assert parsed.tolist() == [v.REGULAR, v.THEMATIC, v.REGULAR, v.REGULAR]
    assert bad.tolist() == [False, False, False, True]


def test_text_is_nfc_and_whitespace_collapsed():
    nfd = unicodedata.normalize("NFD", "Chi bộ  thôn\u00a0Phú Lộc ")
    assert v.text(s(nfd)).iloc[0] == "Chi bộ thôn Phú Lộc"


@given(st.one_of(st.integers(min_value=-10**7, max_value=10**7).map(str),
                 st.integers(min_value=1, max_value=9999).map(lambda y: f"01/01/{y:04d}"),
                 st.integers(min_value=1, max_value=9999).map(lambda y: f"{y:04d}-06-05"),
                 st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31))))
def test_dates_out_of_range_are_bad_cells_never_a_crash(cell):
    parsed, bad = v.date(s(cell))
    assert parsed.isna().all() == bool(bad.iloc[0]) or parsed.notna().all()
    if parsed.notna().all():
        assert 1900 <= parsed.iloc[0].year <= 2100


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["38.300001", "38.300002", "01.000001", "99.999999"]), min_size=1, max_size=12),
       st.booleans())
def test_positions_of_the_same_cards_in_the_same_order(cards, checked_first):
    """An account export in the roster's order, every card once (first_seen says so), is matched row by
    row without hashing; the answer stays Arrow's on the text, repeated cards included."""
    import unittest.mock

    import pyarrow.compute as pc

    roster = pd.Series(pd.array(cards, dtype="string[pyarrow]"))
    usage = pd.Series(pd.array(list(cards), dtype="string[pyarrow]"))
    expect = pc.fill_null(pc.index_in(v.arrow_text(usage), value_set=v.arrow_text(roster)), -1).to_pylist()
    with unittest.mock.patch.object(v, "NUMBERED", 0):
        if checked_first:
            v.first_seen(roster)
        assert v._known_distinct(v.arrow_text(roster)) == (checked_first and len(set(cards)) == len(cards))
        assert v.positions(usage, roster).tolist() == expect
        assert v.positions(roster, usage).tolist() == expect


_CARD_LIKE = st.one_of(
    st.builds(lambda a, b: f"{a:02d}.{b:06d}", st.integers(0, 99), st.integers(0, 999999)),
    st.text(alphabet="0123456789.,- a٣", min_size=0, max_size=10))


@settings(max_examples=300, deadline=None)
@given(st.lists(_CARD_LIKE, min_size=1, max_size=10), st.integers(0, 3), st.booleans())
def test_cards_read_as_numbers_from_their_bytes_as_the_regex_reads_them(cells, cut, large):
    """values._nine_byte_cards: numbers exactly when every cell matches ^\\d{2}\\.\\d{6}$ (RE2, ASCII
    digits), each the cell without its dot; for a sliced column and one in chunks too."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pa.array(cells, type=pa.large_string() if large else pa.string())
    for arr in (column, column.slice(min(cut, len(column))),
                pa.chunked_array([column.slice(0, 1), column.slice(1)])):
        cast = arr.cast(pa.large_string())
        matches = pc.all(pc.fill_null(pc.match_substring_regex(cast, v._CARD_NUMBER), False)).as_py() \
            if len(arr) else True
        numbers = v._nine_byte_cards(arr)
        assert (numbers is not None) == bool(matches)
        if numbers is not None:
            assert numbers.tolist() == [int(c.replace(".", "")) for c in arr.to_pylist()]


_CELLS = st.sampled_from(["Chi bộ thôn 1", " Chi bộ  thôn 1 ", "Chi bo\u0301", "", " ", "12", "1.234", "x", "Đang SH",
                          "05/06/2026", "e\u0301", "\u00a0a"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELLS, min_size=1, max_size=15), st.booleans())
def test_a_column_read_as_categories_parses_as_the_same_column_of_text(cells, missing):
    """A CSV's repeated columns come as categories (readers._repeated_columns): cleaned, found blank and
    parsed as the same cells in plain text are."""
    import pyarrow as pa

    values = [None if missing and i == 0 else c for i, c in enumerate(cells)]
    plain = pd.Series(pd.array(values, dtype="string[pyarrow]"))
    coded = pd.Series(pa.chunked_array([pa.array(values, type=pa.large_string()).dictionary_encode()]).to_pandas())
    assert isinstance(coded.dtype, pd.CategoricalDtype)
    assert v.text(coded).astype(object).tolist() == v.text(plain).astype(object).tolist()
    assert v.blank(v.text(coded)).tolist() == v.blank(v.text(plain)).tolist()
    assert v.to_arrow_text(coded).to_pylist() == v.to_arrow_text(plain).to_pylist()
    for parse in (v.integer, v.status, v.boolean, v.date):
        a, b = parse(coded), parse(plain)
        assert a[0].astype(object).tolist() == b[0].astype(object).tolist() and a[1].tolist() == b[1].tolist()
    assert v.fold_series(coded).tolist() == v.fold_series(plain).tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_CARD_LIKE, st.just("")), min_size=1, max_size=10), st.integers(0, 3), st.booleans())
def test_canonical_cards_are_told_from_their_bytes_as_the_regex_tells_them(cells, cut, large):
    """values._canonical_cells: the cards left as they are are exactly the cells that match
    ^(?:\\d{2}\\.\\d{6})?$; on sliced and chunked columns too."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pa.array(cells, type=pa.large_string() if large else pa.string())
    for arr in (column, column.slice(min(cut, len(column))),
                pa.chunked_array([column.slice(0, 1), column.slice(1)])):
        assert v._canonical_cells(arr).tolist() == pc.match_substring_regex(arr, v._CARD_OR_BLANK).to_pylist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789 aĐ٣-.", max_size=4)), min_size=1, max_size=10),
       st.integers(0, 3))
def test_cells_that_may_be_totals_are_found_from_their_first_byte_as_by_the_regex(cells, cut):
    """values.empty_or_wordy (the rows table._total_rows looks at): '' or a first character that is no ASCII
    digit, exactly as RE2's ^\\D says; a null is neither; sliced and chunked columns too."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pa.array(cells, type=pa.large_string())
    for arr in (column, column.slice(min(cut, len(column))), pa.chunked_array([column.slice(0, 1), column.slice(1)])):
        regex = pc.fill_null(pc.or_(pc.equal(arr, ""), pc.match_substring_regex(arr, r"^\D")), False)
        assert v.empty_or_wordy(arr).tolist() == regex.to_pylist()


_DATE_LIKE = st.one_of(
    st.builds(lambda d, s1, m, s2, y: f"{d:02d}{s1}{m:02d}{s2}{y:04d}", st.integers(0, 32), st.sampled_from("/.-"),
              st.integers(0, 13), st.sampled_from("/.-"), st.sampled_from([0, 1899, 1900, 1952, 2000, 2024, 2100, 2101,
                                                                         9999])),
    st.text(alphabet="0123456789/.- x٣", min_size=0, max_size=11), st.just(""), st.just("1952"))


@settings(max_examples=150, deadline=None)
@given(st.lists(_DATE_LIKE, min_size=1, max_size=12), st.integers(0, 3), st.booleans())
def test_usual_dates_read_from_their_bytes_as_the_general_rules_read_them(cells, cut, allow_year):
    """values.date reads 'dd/mm/yyyy' cells of a column of text from their bytes (the rest by the general
    rules): the same days and bad cells as the general rules, for sliced and chunked columns and for a
    CSV's column of categories."""
    import pyarrow as pa

    expected_value, expected_bad = v._dates_per_unique(pd.Series(cells, dtype=object), allow_year)
    column = pa.array(cells, type=pa.large_string())
    cut = min(cut, len(cells))
    for arr, start in ((column.slice(cut), cut), (pa.chunked_array([column.slice(0, 1), column.slice(1)]), 0),
                       (pa.chunked_array([column.dictionary_encode()]), 0)):
        series = pd.Series(arr.to_pandas() if pa.types.is_dictionary(arr.type) else pd.arrays.ArrowStringArray(arr))
        value, bad = v.date(series, allow_year)
        pd.testing.assert_series_equal(value, expected_value.iloc[start:].reset_index(drop=True))
        pd.testing.assert_series_equal(bad, expected_bad.iloc[start:].reset_index(drop=True))


def test_usual_dates_are_checked_against_the_calendar():
    cells = pd.Series(pd.array(["29/02/2000", "29/02/1900", "31/04/2026", "00/01/2026", "01/13/2026", "31/12/2100",
                                "01/01/1900", "31/12/1899", "05.06-2026", "5/6/2026", ""], dtype="string[pyarrow]"))
    value, bad = v.date(cells)
    assert [d.strftime("%d/%m/%Y") if not pd.isna(d) else None for d in value] == [
        "29/02/2000", None, None, None, None, "31/12/2100", "01/01/1900", None, "05/06/2026", "05/06/2026", None]
    assert bad.tolist() == [False, True, True, True, True, False, False, True, False, False, False]


def test_the_first_excel_serial_read_is_01_01_1900():
    """Excel's serial 1 would be 31/12/1899 from the 1899-12-30 epoch: outside 1900-2100, a bad cell."""
    parsed, bad = v.date(s("1", "2", "73415", "73416"))
    assert bad.tolist() == [True, False, False, True]
    assert parsed.iloc[1] == pd.Timestamp("1900-01-01") and parsed.iloc[2] == pd.Timestamp("2100-12-31")
