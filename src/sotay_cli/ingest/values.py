"""Vectorised parsers for the values real exports hold.

Each parser takes a Series of raw cells (str, float, int, date or None, as read from CSV or a
workbook) and returns the parsed Series together with a boolean mask of the cells that were
not empty but could not be understood, so that the caller can report them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

from ..domain import ACTIVE, CHI_BO, CO_SO, EXEMPT, LEFT, LEVELS, REGULAR, THEMATIC, TINH, XA  # noqa: F401

if int(pd.__version__.split(".")[0]) < 3:
    # pandas 2.2: pandas 3's behaviour, which the code is written and tested for; otherwise every fillna on
    # object cells warns (FutureWarning) and the CLI shows each warning to the user
    pd.set_option("future.no_silent_downcasting", True)

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


@functools.lru_cache(maxsize=1 << 20)
def fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive key: 'Số thẻ ĐV' -> 'so the dv'.

    Cached: unit names, statuses and headers repeat, and the tree folds each name many times."""
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    return _NON_ALNUM.sub(" ", _COMBINING.sub("", text).lower()).strip()


def per_unique(s: pd.Series, fn) -> pd.Series:
    """Apply `fn` (Series -> Series of the same length) to the distinct values only, then spread back.

    Exports repeat the same few statuses, chi bộ names and dates over thousands of rows; working on
    the distinct values keeps every parser fast at province scale.
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    uniques = pd.Series(np.asarray(uniques, dtype=object) if not isinstance(uniques, pd.Index) else uniques.to_numpy(object))
    result = fn(pd.concat([uniques, pd.Series([None], dtype=object)], ignore_index=True))
    codes = np.where(codes < 0, len(uniques), codes)
    return result.iloc[codes].set_axis(s.index)


def isin(s: pd.Series, values) -> pd.Series:
    """`s.isin(values)` through Arrow's hash set: pandas' own isin on Arrow strings walks a Python list.
    Two columns of cards of the usual form are compared as numbers (card_numbers)."""
    arr = arrow_text(s)
    held = getattr(getattr(values, "array", None), "_pa_array", None)  # a column or index already in Arrow
    if held is not None and held.type in (pa.string(), pa.large_string()):
        mine, theirs = card_numbers(arr), card_numbers(held)
        if mine is not None and theirs is not None:
            return pd.Series(pd.Index(mine).isin(theirs), index=s.index)
        value_set = held if held.type == arr.type else held.cast(arr.type)
    else:
        value_set = arrow_text(pd.Series(list(values) if isinstance(values, (set, frozenset)) else values,
                                         dtype=object).astype(str))
    return pd.Series(pc.is_in(arr, value_set=value_set).fill_null(False).to_numpy(zero_copy_only=False),
                     index=s.index)


def positions(of: pd.Series, within: pd.Series) -> np.ndarray:
    """For each cell of `of`, the position of the same text in `within` (the first), -1 where there is none:
    Arrow's index_in, or a lookup of numbers when both are cards of the usual form, each once in `within`."""
    a, b = arrow_text(of), arrow_text(within)
    mine, theirs = card_numbers(a), card_numbers(b)
    if mine is not None and theirs is not None:
        if (_known_distinct(a) or _known_distinct(b)) and np.array_equal(mine, theirs):
            # the accounts listed in the roster's order, each card once: every row is its own position
            return np.arange(len(mine), dtype=np.int64)
        index = pd.Index(theirs)
        if index.is_unique:
            return index.get_indexer(mine).astype(np.int64)
    return np.asarray(pc.fill_null(pc.index_in(a, value_set=b), -1).to_numpy(zero_copy_only=False), dtype=np.int64)


class _ByColumn:
    """What was found about the last few columns, by column: each is held with its finding, so that its id
    stays its own while it is here."""

    def __init__(self, kept: int = 6):
        self._found: dict[int, tuple[object, object]] = {}
        self._kept = kept

    def get(self, column, default=None):
        held = self._found.get(id(column))
        return held[1] if held is not None and held[0] is column else default

    def put(self, column, finding) -> None:
        self._found.pop(id(column), None)
        self._found[id(column)] = (column, finding)
        while len(self._found) > self._kept:
            self._found.pop(next(iter(self._found)))


NUMBERED = 100_000  # cells: from this many, a column of cards is hashed as numbers rather than as text
_CARD_NUMBER = r"^\d{2}\.\d{6}$"
_numbered = _ByColumn()  # a column of cards -> its numbers, or None (not all of the usual form)
_UNSEEN = object()


def card_numbers(arr: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """A long column of cards as numbers ('38.300002' -> 38300002: one card, one number) when every cell
    has the usual form, else None. Hashing 5.6 million numbers is several times faster than hashing as
    many strings, and a country's roster and accounts are matched four times. The last few columns'
    numbers are kept (each column is held with them, so its id stays its own)."""
    known = _numbered.get(arr, _UNSEEN)
    if known is not _UNSEEN:
        return known
    numbers = None
    if len(arr) >= NUMBERED and arr.type in (pa.string(), pa.large_string()):
        numbers = _nine_byte_cards(arr)
    _numbered.put(arr, numbers)
    return numbers


def _utf8_chunks(arr: pa.Array | pa.ChunkedArray) -> Iterator[tuple[pa.Array, np.ndarray | None, np.ndarray | None]]:
    """Each chunk of a column with, for a chunk of strings, its cells' offsets (one more than it has cells: cell
    i is data[offsets[i]:offsets[i + 1]]) and its UTF-8 bytes, as numpy arrays over Arrow's buffers (no copy);
    with None, None for a chunk of another type. What the byte-level tests below read instead of a regex."""
    for chunk in (arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]):
        if chunk.type not in (pa.string(), pa.large_string()):
            yield chunk, None, None
            continue
        _, offsets, data = chunk.buffers()
        width = np.int64 if chunk.type == pa.large_string() else np.int32
        offsets = (np.zeros(1, dtype=width) if offsets is None  # a chunk of no cells may have no offsets
                   else np.frombuffer(offsets, dtype=width)[chunk.offset: chunk.offset + len(chunk) + 1])
        yield chunk, offsets, np.zeros(0, dtype=np.uint8) if data is None else np.frombuffer(data, dtype=np.uint8)


_CARD_DIGITS = np.array([0, 1, 3, 4, 5, 6, 7, 8])  # the bytes of 'dd.dddddd' that are digits
_CARD_WEIGHTS = 10 ** np.arange(7, -1, -1, dtype=np.int64)


def _card_digits(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of 9 bytes (a table of cells): their 8 digit positions' values, and which rows are 'dd.dddddd'
    (ASCII digits around a dot)."""
    digits = cells[:, _CARD_DIGITS] - np.uint8(48)  # a byte below '0' wraps round, above 9 too
    return digits, (cells[:, 2] == 46) & (digits <= 9).all(axis=1)


def _nine_byte_cards(arr: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """The numbers of cards that all match _CARD_NUMBER, read from the UTF-8 bytes: such a cell is 9 bytes,
    so a chunk's bytes are a 9-column table of digits and a dot (numpy, no regex, no new strings); None
    when some cell does not match."""
    out = []
    for chunk, offsets, data in _utf8_chunks(arr):
        if not len(chunk):
            continue
        if chunk.null_count or offsets is None:
            return None
        if offsets[-1] - offsets[0] != 9 * len(chunk) or (np.diff(offsets) != 9).any():
            return None
        cells = data[offsets[0]: offsets[-1]].reshape(-1, 9)
        digits, shaped = _card_digits(cells)
        if not shaped.all():
            return None
        out.append(digits.astype(np.int64) @ _CARD_WEIGHTS)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


_distinct = _ByColumn()  # the last few columns of cards first_seen found all distinct -> True


def _known_distinct(arr) -> bool:
    return _distinct.get(arr, False)


def first_seen(s: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Each row's code among the distinct values (numbered in order of first appearance, missing values
    one value) and the mask of the rows where a value appears first: `~s.duplicated()`. The mask is None
    when every value is distinct. Hashed by Arrow, then numpy: pandas' duplicated() on a country's
    5.6 million cards takes seconds."""
    numbers = card_numbers(arrow_text(s)) if isinstance(s.dtype, (pd.StringDtype, pd.ArrowDtype)) else None
    if numbers is not None and len(numbers):
        # cards are numbers below 10^8: marked in a table of that many bytes, they are all distinct when
        # as many marks are set as there are cards (a quarter of the time of hashing them)
        mark = np.zeros(int(numbers.max()) + 1, dtype=bool)
        mark[numbers] = True
        if np.count_nonzero(mark) == len(numbers):
            _distinct.put(arrow_text(s), True)
            return np.arange(len(numbers), dtype=np.int64), None
        del mark
    codes, uniques = pd.factorize(numbers if numbers is not None else s, use_na_sentinel=False)
    if len(uniques) == len(s):
        return codes, None
    first = np.ones(len(codes), dtype=bool)
    first[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]
    return codes, first


def arrow_text(s: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A column of text as Arrow large strings, without a copy when pandas already holds it in Arrow."""
    if isinstance(s.dtype, (pd.StringDtype, pd.ArrowDtype)) and hasattr(s.array, "_pa_array"):
        arr = s.array._pa_array
        if arr.type in (pa.string(), pa.large_string()):
            return arr
    if isinstance(s.dtype, pd.CategoricalDtype):  # each name converted once, then spread by its code
        names = pa.array(s.cat.categories.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
        codes = s.cat.codes.to_numpy()
        return pc.take(names, pa.array(codes, mask=codes < 0))
    return pa.array(s.astype(object).where(s.notna(), None), type=pa.large_string())


def categories(s: pd.Series) -> pd.Series:
    """A column of text with few distinct values (the roster's chi bộ, cơ sở and xã) as a Categorical whose
    categories are in the order first met: a small integer per row instead of a string (a country's three
    columns held 0.5 GB), and its distinct values known without hashing again."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(np.asarray(uniques, dtype=object),
                                                                          dtype=object)), index=s.index)


def distinct_text(s: pd.Series) -> list:
    """The distinct values of a column of text, in no particular order (a Categorical's used categories;
    Arrow's hash otherwise: never a Python string per row)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        used = np.unique(s.cat.codes.to_numpy())
        return s.cat.categories[used[used >= 0]].tolist() + ([None] if len(used) and used[0] < 0 else [])
    return pc.unique(arrow_text(s)).to_pylist()


def fold_series(s: pd.Series) -> pd.Series:
    """`fold` over a Series of cells."""
    return per_unique(s, lambda u: text(u).map(fold).astype(object))


def _scalar_text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y") if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def to_arrow_text(s: pd.Series) -> pa.Array | pa.ChunkedArray:
    """Any column of cells as Arrow strings (typed workbook cells written as text). A CSV column comes
    in chunks and stays so: joining them would copy every cell."""
    if isinstance(s.dtype, (pd.StringDtype, pd.ArrowDtype)):
        arr = s.array._pa_array if hasattr(s.array, "_pa_array") else pa.array(s.array)
        # pandas keeps large_string; casting to string would copy every cell for nothing
        return arr if arr.type in (pa.string(), pa.large_string()) else arr.cast(pa.large_string())
    if isinstance(s.dtype, pd.CategoricalDtype) and infer_dtype(s.cat.categories, skipna=True) in ("string", "empty"):
        return arrow_text(s)  # a CSV column read as a dictionary: each name once, spread by its code
    values = s.to_numpy(dtype=object)
    if infer_dtype(values, skipna=True) in ("string", "empty"):
        return pa.array(values, type=pa.large_string(), from_pandas=True)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # typed cells repeat: convert each once
    texts = pa.array([_scalar_text(u) for u in uniques] + [""], type=pa.large_string())
    return pc.take(texts, pa.array(np.where(codes < 0, len(uniques), codes)))


def text(s: pd.Series) -> pd.Series:
    """Cells as stripped NFC text ('' for empty), whitespace collapsed; whole numbers lose Excel's '.0'.
    A column of text read as categories (a CSV's repeated columns) stays so, its categories cleaned."""
    if isinstance(s.dtype, pd.CategoricalDtype) and infer_dtype(s.cat.categories, skipna=True) in ("string", "empty"):
        names = pa.array(s.cat.categories.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
        codes = s.cat.codes.to_numpy()
        cleaned = _clean(names)
        if cleaned.equals(names) and not (codes < 0).any():
            return s
        # names alike once cleaned become one category; a missing cell is ''
        merged, distinct = pd.factorize(np.asarray(cleaned.to_pylist() + [""], dtype=object))
        return pd.Series(pd.Categorical.from_codes(merged[np.where(codes < 0, len(names), codes)],
                                                   categories=pd.Index(distinct, dtype=object)), index=s.index)
    arr = to_arrow_text(s)
    if _repetitive(arr):  # a column of repeated names: clean each name once
        names = pc.unique(arr)
        cleaned = _clean(names)
        if cleaned.equals(names):  # already clean: spreading it back would copy every cell
            out = arr if arr.null_count == 0 else pc.fill_null(arr, "")
        else:
            out = pc.fill_null(pc.take(cleaned, pc.index_in(arr, value_set=names)), "")
    else:
        out = _clean(arr)
    return pd.Series(pd.arrays.ArrowStringArray(out), index=s.index)


def blank(s: pd.Series) -> np.ndarray:
    """Which cells of a column `text` gave are empty (a Categorical's from its categories)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        empty = np.array([c == "" for c in s.cat.categories] + [True], dtype=bool)
        codes = s.cat.codes.to_numpy()
        return empty[np.where(codes < 0, len(empty) - 1, codes)]
    return np.asarray(pc.equal(pa.array(s.array), "").to_numpy(zero_copy_only=False), dtype=bool)


def _repetitive(arr: pa.Array, sample: int = 20_000) -> bool:
    """Whether most values repeat (chi bộ, statuses), judged on a slice: hashing a whole column of
    unique card numbers to find out costs more than cleaning it."""
    if len(arr) <= sample:
        return len(pc.unique(arr)) < len(arr) // 2
    head = arr.slice(0, sample)
    return len(pc.unique(head)) < sample // 4


def _clean(arr: pa.Array) -> pa.Array:
    arr = pc.fill_null(arr, "") if arr.null_count else arr
    # one scan decides whether anything needs doing: spaces at either end or doubled, tabs and line
    # breaks, NBSP, decomposed accents (U+0300..U+036F, from a Mac or Windows-1258), control characters
    # (Word's line break U+000B pasted into a cell) and U+FFFE, U+FFFF: no Word or XML file may hold them. Clean columns are
    # handed on as they are: trimming or composing them would copy every cell for nothing.
    if not len(arr) or not _untidy(arr):
        return arr
    arr = pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, _SPACES, " "))
    if _ARROW_COMPOSES:
        return pc.utf8_normalize(arr, "NFC")
    return pa.array(arr.to_pandas().str.normalize("NFC"), type=arr.type)


# RE2: \s is [\t\n\f\r ]; then the C0 controls, DEL and U+FFFE, U+FFFF (characters no XML file may hold)
_UNTIDY = r"^\s|\s$|\s\s|[\x{0}-\x{1f}\x{7f}\x{a0}\x{300}-\x{36f}\x{fffe}\x{ffff}]"
_SPACES = r"[\s\x{a0}\x{0}-\x{1f}\x{7f}\x{fffe}\x{ffff}]+"  # each run of them one space


def _untidy(arr: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any cell matches `_UNTIDY`, judged on the UTF-8 bytes of the whole column at once (numpy, a
    few passes over a few megabytes: a third of the regex's time). A pair of spaces across two cells
    counts too; it only means cleaning a column that a cell's own spaces make untidy anyway."""
    for chunk, offsets, data in _utf8_chunks(arr):
        if offsets is None:
            return bool(pc.any(pc.match_substring_regex(chunk, _UNTIDY)).as_py())
        if offsets[-1] == offsets[0]:
            continue
        b = data[offsets[0]: offsets[-1]]
        if ((b < 32) | (b == 127)).any():  # tabs, line breaks, form feeds, control characters
            return True
        space = (b == 32) | (b == 12)
        nxt = b[1:]
        if (space[:-1] & space[1:]).any() or ((b[:-1] == 0xC2) & (nxt == 0xA0)).any():
            return True
        if (((b[:-1] == 0xCC) & (nxt >= 0x80) & (nxt <= 0xBF)) | ((b[:-1] == 0xCD) & (nxt >= 0x80) & (nxt <= 0xAF))).any():
            return True
        if ((b[:-2] == 0xEF) & (nxt[:-1] == 0xBF) & (b[2:] >= 0xBE)).any():  # U+FFFE, U+FFFF
            return True
        starts, ends = offsets[:-1] - offsets[0], offsets[1:] - offsets[0]
        filled = ends > starts
        if space[starts[filled]].any() or space[ends[filled] - 1].any():  # \t\n\r were found above
            return True
    return False


# pyarrow before 26 returns NFD whatever form is asked for (apache/arrow#51225): compose in Python there
_ARROW_COMPOSES = pc.utf8_normalize(pa.array(["e\u0301"]), "NFC")[0].as_py() == "\u00e9"


_CARD_DD_6 = r"^(\d{2})[.,\-/·]?(\d{6})$"
_CARD_OR_BLANK = r"^(?:\d{2}\.\d{6})?$"  # the canonical form (ASCII digits), or an empty cell


def empty_or_wordy(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Which cells are '' or start with something other than an ASCII digit (RE2's ^\\D; a null is
    neither), from each cell's first byte: a regex over a country's cards took most of a second."""
    out = []
    for chunk, offsets, data in _utf8_chunks(arr):
        if chunk.null_count or offsets is None:
            wordy = pc.or_(pc.equal(chunk, ""), pc.match_substring_regex(chunk, r"^\D"))
            out.append(np.asarray(pc.fill_null(wordy, False).to_numpy(zero_copy_only=False), dtype=bool))
            continue
        starts, filled = offsets[:-1], offsets[1:] > offsets[:-1]
        wordy = ~filled
        if filled.any():
            first = data[starts[filled]]
            wordy[filled] = (first < 48) | (first > 57)
        out.append(wordy)
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


def _canonical_cells(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Which cells match _CARD_OR_BLANK, judged on the UTF-8 bytes (RE2 over a country's cards took a second):
    a cell empty or of 9 bytes, digits around a dot."""
    out = []
    for chunk, offsets, data in _utf8_chunks(arr):
        if chunk.null_count or offsets is None:
            out.append(np.asarray(pc.fill_null(pc.match_substring_regex(chunk, _CARD_OR_BLANK), False)
                                  .to_numpy(zero_copy_only=False), dtype=bool))
            continue
        lengths = np.diff(offsets)
        ok = lengths == 0
        nine = np.flatnonzero(lengths == 9)
        if len(nine):
            ok[nine] = _card_digits(data[offsets[nine][:, None] + np.arange(9)])[1]
        out.append(ok)
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


def card(s: pd.Series) -> pd.Series:
    """Party card numbers in one canonical form, kept as text (leading zeros stay).

    Spaces and Excel's leading ' go; the usual 'dd.dddddd' number is written with its dot whatever
    separator (or none) the export used: '38300002', ' 38.300002 ', '38,300002' are all '38.300002'.
    Other forms are kept, upper-cased."""
    cells = arrow_text(text(s))
    canonical = _canonical_cells(cells)
    if canonical.all():
        # every card already canonical (an export of the national system): nothing to rewrite
        return pd.Series(pd.arrays.ArrowStringArray(cells), index=s.index)
    if canonical.mean() < 0.5:
        return _card_forms(cells, s.index)
    # the few cards of another form rewritten alone: the rules leave a canonical card as it is
    out = pd.Series(pd.arrays.ArrowStringArray(cells), index=s.index)
    out[~canonical] = _card_forms(pc.filter(cells, pa.array(~canonical)), None).to_numpy(dtype=object)
    return out


def _card_forms(cells: pa.Array | pa.ChunkedArray, index) -> pd.Series:
    arr = pc.utf8_upper(pc.replace_substring(pc.utf8_ltrim(cells, "'"), " ", ""))
    out = pd.Series(pd.arrays.ArrowStringArray(pc.replace_substring_regex(arr, _CARD_DD_6, r"\1.\2")), index=index)
    # RE2's \d is ASCII; Python's reads every script's digits: cells with other characters go through re
    # (pandas sent the whole column through re for one such cell: 0.7 s for a province's cards)
    other = ~np.asarray(pc.fill_null(pc.string_is_ascii(arr), True).to_numpy(zero_copy_only=False), dtype=bool)
    if other.any():
        cells = pd.Series(pc.filter(arr, pa.array(other)).to_pylist(), dtype=object)
        out[other] = cells.str.replace(_CARD_DD_6, r"\1.\2", regex=True).to_numpy()
    return out


_YES = {"co", "x", "v", "1", "true", "yes", "y", "dung", "roi", "ok", "da", "dat", "co su dung"}
_NO = {"khong", "0", "false", "no", "n", "chua", "k", "ko", "sai"}
_CHECKS = {"✓", "✔", "☑", "√", "✗", "✘", "☐"}


def boolean(s: pd.Series, empty: bool | None = None) -> tuple[pd.Series, pd.Series]:
    """Yes/no cells ('Có', 'x', '✓', 'Đã kích hoạt', 'Chưa…', 1/0, TRUE/FALSE) -> boolean."""
    frame = per_unique(s, lambda u: pd.DataFrame(dict(zip(("value", "bad"), _boolean(u, empty)))))
    return frame["value"].astype("boolean"), frame["bad"].astype(bool)


def _boolean(s: pd.Series, empty: bool | None) -> tuple[pd.Series, pd.Series]:
    raw = text(s)
    key = fold_series(raw)
    yes = key.isin(_YES) | key.str.startswith("da ") | raw.isin({"✓", "✔", "☑", "√"})
    no = (
        key.isin(_NO)
        | key.str.startswith("chua ")
        | key.str.startswith("khong ")
        | raw.isin({"✗", "✘", "☐", "-"})
    )
    blank = raw == ""
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[yes] = True
    out[no & ~yes] = False
    if empty is not None:
        out[blank] = empty
    bad = ~(yes | no | blank)
    return out, bad


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_DMY = re.compile(r"^(?P<day>\d{1,2})[/.\-](?P<month>\d{1,2})[/.\-](?P<year>\d{2}|\d{4})"
                  r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2})?.*)?$")
_YMD = re.compile(r"^(?P<year>\d{4})[/.\-](?P<month>\d{1,2})[/.\-](?P<day>\d{1,2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2})?.*)?$")


_FIRST_DAY, _LAST_DAY = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31 23:59:59")


def _bounded(ts: pd.Series) -> pd.Series:
    """Dates from 1900 to 2100, in nanoseconds; anything else (year 2300, 0001) is not a date here."""
    ts = pd.Series(ts)
    inside = ts.notna() & (ts >= _FIRST_DAY) & (ts <= _LAST_DAY)
    return ts.where(inside).astype("datetime64[ns]")


def _from_parts(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    frame = pd.DataFrame({"year": year, "month": month, "day": day}).astype("float64")
    frame = frame.where(frame["year"].between(1900, 2100), np.nan)
    return _bounded(pd.to_datetime(frame, errors="coerce"))


def date(s: pd.Series, allow_year: bool = False) -> tuple[pd.Series, pd.Series]:
    """Dates as dd/mm/yyyy, d/m/yy, yyyy-mm-dd, Excel serials, or real date cells.

    With `allow_year`, a bare year (a 'Năm sinh' column) becomes 1 January of that year.
    """
    if isinstance(s.dtype, pd.CategoricalDtype) and infer_dtype(s.cat.categories, skipna=True) == "string":
        # a CSV's repeated column: each distinct text read once, then spread by its code
        names = pa.array(s.cat.categories.to_numpy(dtype=object), type=pa.large_string())
        value, bad = date(pd.Series(pd.arrays.ArrowStringArray(pc.fill_null(names, ""))), allow_year)
        codes = s.cat.codes.to_numpy()
        value = np.append(value.to_numpy(), np.datetime64("NaT", "ns"))[codes]  # code -1, a missing cell: NaT
        return (pd.Series(value, index=s.index, name="value"),
                pd.Series(np.append(bad.to_numpy(), False)[codes], index=s.index, name="bad"))
    usual = _usual_dates(arrow_text(s)) if isinstance(s.dtype, (pd.StringDtype, pd.ArrowDtype)) else None
    if usual is None:
        return _dates_per_unique(s, allow_year)
    value, bad, done = usual
    if not done.all():  # the other forms, read by the general rules
        rest = np.flatnonzero(~done)
        other, other_bad = _dates_per_unique(s.iloc[rest], allow_year)
        value[rest], bad[rest] = other.to_numpy(), other_bad.to_numpy()
    return pd.Series(value, index=s.index, name="value"), pd.Series(bad, index=s.index, name="bad")


def _dates_per_unique(s: pd.Series, allow_year: bool) -> tuple[pd.Series, pd.Series]:
    frame = per_unique(s, lambda u: pd.DataFrame(dict(zip(("value", "bad"), _date(u, allow_year)))))
    return frame["value"], frame["bad"].astype(bool)


_DATE_SEPARATORS = np.frombuffer(b"/.-", dtype=np.uint8)
_MONTHS = np.arange(np.datetime64("1900-01"), np.datetime64("2101-02"))  # every month of the years read, and one
_MONTH_STARTS = _MONTHS.astype("datetime64[D]").astype(np.int64)  # days since 1970-01-01
_MONTH_LENGTHS = np.diff(_MONTH_STARTS)


def _usual_dates(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The cells written 'dd/mm/yyyy' (ASCII digits, '/', '.' or '-' between them: how every export writes
    a date) and the empty ones, read from their UTF-8 bytes as `_date` reads them, without a Python object
    per distinct date (a roster's birth dates: tens of thousands). Gives each cell's day (NaT where none),
    which cells are bad (no such day, a year outside 1900-2100) and which were read (`done`); None for a
    column with missing cells."""
    lengths, tables = [], []
    for chunk, offsets, data in _utf8_chunks(arr):
        if offsets is None or chunk.null_count:
            return None
        lengths.append(np.diff(offsets))
        if (lengths[-1] == 10).all():  # every cell of 10 bytes: the bytes are a table
            tables.append(data[offsets[0]: offsets[-1]].reshape(-1, 10))
        elif len(data) >= 10:
            tables.append(np.lib.stride_tricks.sliding_window_view(data, 10)[offsets[:-1][lengths[-1] == 10]])
    length = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
    ten = length == 10
    if not ten.any():
        return np.full(len(length), np.datetime64("NaT", "ns"), dtype="datetime64[ns]"), np.zeros(len(length), bool), length == 0
    # one row of bytes per position in the cell, each a contiguous vector; '/', '.', '-' less 48 wrap round
    b = np.ascontiguousarray(np.concatenate(tables).T) - np.uint8(48)
    shaped = (b[[0, 1, 3, 4, 6, 7, 8, 9]] <= 9).all(axis=0) & (b[2] >= 253) & (b[5] >= 253)
    b = b.astype(np.int32)
    day, month, year = b[0] * 10 + b[1], b[3] * 10 + b[4], b[6] * 1000 + b[7] * 100 + b[8] * 10 + b[9]
    year += np.where(year >= 100, 0, np.where(year <= 69, 2000, 1900))  # '0026' is read as '26' is
    known = (1900 <= year) & (year <= 2100) & (1 <= month) & (month <= 12)
    month_index = np.where(known, (year - 1900) * 12 + month - 1, 0)
    real = shaped & known & (1 <= day) & (day <= _MONTH_LENGTHS[month_index])
    nanoseconds = (_MONTH_STARTS[month_index] + day - 1) * 86_400_000_000_000
    value = np.where(real, nanoseconds, np.iinfo(np.int64).min).view("datetime64[ns]")  # the least int64 is NaT
    if ten.all():
        return value, shaped & ~real, shaped
    out = np.full(len(length), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    bad, done = np.zeros(len(length), dtype=bool), length == 0
    out[ten], bad[ten], done[ten] = value, shaped & ~real, shaped
    return out, bad, done


def _date(s: pd.Series, allow_year: bool) -> tuple[pd.Series, pd.Series]:
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if s.empty:
        return out, pd.Series(False, index=s.index)
    if infer_dtype(s, skipna=True) in ("string", "empty"):  # text cells (every CSV): no date objects
        is_date = pd.Series(False, index=s.index)
    else:
        is_date = s.map(lambda v: isinstance(v, (dt.date, pd.Timestamp)), na_action="ignore")
        is_date = is_date.fillna(False).astype(bool)
    if is_date.any():
        out[is_date] = _bounded(pd.to_datetime(s[is_date].astype(object), errors="coerce")).to_numpy()
    rest = ~is_date
    raw = text(s.where(rest, None))
    number = pd.to_numeric(raw.where(raw.str.fullmatch(r"\d+(?:\.\d+)?"), None), errors="coerce")
    if allow_year:
        year_only = number.between(1900, 2100) & (number % 1 == 0)
        out[year_only] = pd.to_datetime(number[year_only].astype(int).astype(str) + "-01-01")
        number = number.where(~year_only)
    # Excel's days from 01/01/1900 (2 from this epoch: 1 would be 31/12/1899) to 31/12/2100; others are not a
    # real date here
    serial = number.between(2, 73415)
    if serial.any():
        out[serial] = _EXCEL_EPOCH + pd.to_timedelta(number[serial].round(6), unit="D")
    dmy = _extract(raw, _DMY)
    has_dmy = dmy["day"].notna()
    if has_dmy.any():
        year = dmy.loc[has_dmy, "year"].astype(int)
        year = year.where(year >= 100, np.where(year <= 69, 2000 + year, 1900 + year))
        out[has_dmy] = _from_parts(year, dmy.loc[has_dmy, "month"], dmy.loc[has_dmy, "day"])
    ymd = _extract(raw, _YMD)
    has_ymd = ymd["year"].notna()
    if has_ymd.any():
        out[has_ymd] = _from_parts(ymd.loc[has_ymd, "year"], ymd.loc[has_ymd, "month"], ymd.loc[has_ymd, "day"])
    bad = (raw != "") & rest & out.isna()
    bad |= is_date & out.isna()
    return out.dt.normalize(), bad


def _extract(raw: pd.Series, pattern: re.Pattern) -> pd.DataFrame:
    """`raw.str.extract(pattern)` (named groups; None where it does not match), run by Arrow's RE2 on ASCII
    text and by Python's re on the rest, whose \\d also reads other scripts' digits as it always did."""
    arr = arrow_text(raw)
    groups = pc.extract_regex(arr, pattern.pattern).flatten()  # a non-match is null in every group
    out = pd.DataFrame({name: pd.Series(g.to_numpy(zero_copy_only=False), index=raw.index, dtype=object)
                        for name, g in zip(pattern.groupindex, groups)})
    other = ~np.asarray(pc.fill_null(pc.string_is_ascii(arr), True).to_numpy(zero_copy_only=False), dtype=bool)
    if other.any():
        python = raw[other].astype(object).str.extract(pattern).astype(object)
        out.loc[other] = python.where(python.notna(), None).to_numpy()
    return out


def integer(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Counts: whole numbers >= 0 ('1.234' is read as a Vietnamese thousands separator)."""
    frame = per_unique(s, lambda u: pd.DataFrame(dict(zip(("value", "bad"), _integer(u)))))
    return frame["value"], frame["bad"].astype(bool)


def _integer(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    raw = text(s)
    # no look-behind: pandas 2.2 runs this on Arrow strings with RE2, which has none
    grouped = raw.str.fullmatch(r"\d{1,3}(?:[.,]\d{3})+")
    cleaned = raw.where(~grouped, raw.str.replace(r"[.,]", "", regex=True))
    num = pd.to_numeric(cleaned.where(raw != "", None), errors="coerce")
    ok = num.notna() & (num >= 0) & (num % 1 == 0)
    bad = (raw != "") & ~ok
    return num.where(ok).astype("Int64"), bad


# Statuses of a member's Party activity, as people write them.
_STATUS_RULES: list[tuple[str, str]] = [
    (r"\bmien\b|\bmsh\b|\bmien sh\b", EXEMPT),
    (r"chuyen di|chuyen sinh hoat di|da chuyen|chuyen ra|tu tran|qua doi|tu vong|xoa ten|khai tru|"
     r"ra khoi dang|dua ra khoi|xin ra|\bchet\b", LEFT),
    (r"dang sinh hoat|^sinh hoat$|^dang sh$|^dsh$|binh thuong|dang hoat dong|^hoat dong$|"
     r"chinh thuc|du bi|tam tru|sinh hoat tam thoi|^sh$", ACTIVE),
]


def status(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Member status -> active / exempt / left; empty means active; unknown is flagged (and active)."""
    frame = per_unique(s, lambda u: pd.DataFrame(dict(zip(("value", "bad"), _status(u)))))
    return frame["value"], frame["bad"].astype(bool)


def _status(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    key = fold_series(s)
    out = pd.Series(None, index=s.index, dtype=object)
    for pattern, value in _STATUS_RULES:
        hit = out.isna() & key.str.contains(pattern, regex=True)
        out[hit] = value
    bad = out.isna() & (key != "")
    return out.fillna(ACTIVE), bad


def meeting_kind(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    frame = per_unique(s, lambda u: pd.DataFrame(dict(zip(("value", "bad"), _meeting_kind(u)))))
    return frame["value"], frame["bad"].astype(bool)


def _meeting_kind(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    key = fold_series(s)
    thematic = key.str.contains("chuyen de")
    regular = key.str.contains(r"dinh ky|thuong ky|thuong le|hang thang|thuong xuyen") | (key == "")
    out = pd.Series(np.where(thematic, THEMATIC, REGULAR), index=s.index, dtype=object)
    return out, ~(thematic | regular)


def unit_level(s: pd.Series) -> pd.Series:
    return per_unique(s, _unit_level)


def _unit_level(s: pd.Series) -> pd.Series:
    """'Chi bộ', 'Chi bộ cơ sở', 'Đảng bộ cơ sở', 'Đảng bộ xã', 'Đảng bộ tỉnh' -> level; None if unknown."""
    key = fold_series(s)
    out = pd.Series(None, index=s.index, dtype=object)
    rules = [
        (r"chi bo co so|chi bo truc thuoc (?:dang uy|dang bo) (?:xa|phuong)", CHI_BO),
        (r"tinh|thanh pho truc thuoc trung uong", TINH),
        (r"\bxa\b|phuong|dac khu|dang bo truc thuoc|cap tren co so", XA),
        (r"co so|bo phan|tccs", CO_SO),
        (r"chi bo", CHI_BO),
    ]
    for pattern, value in rules:
        hit = out.isna() & key.str.contains(pattern, regex=True)
        out[hit] = value
    return out
