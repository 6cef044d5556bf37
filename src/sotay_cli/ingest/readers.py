"""Turn any export file (CSV/TXT in any usual encoding, XLSX/XLSM/XLS/ODS, stdin) into a raw grid.

A grid is a DataFrame of object cells with integer column labels, plus the spreadsheet row
number of its first row, so that every later problem can name the row the user sees.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import hashlib
import io
import os
import queue
import re
import sys
import threading
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..problems import InputError

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
DELIMITERS = [",", ";", "\t", "|"]
STDIN = "-"
csv.field_size_limit(2**31 - 1)  # a cell of a million characters is data, not an error of the csv module

_stdin_option: contextvars.ContextVar[str | None] = contextvars.ContextVar("sotay_stdin_option", default=None)


@contextlib.contextmanager
def stdin_named(option: str | None = None):
    """Name standard input after the option that reads it ("--members (đầu vào chuẩn)") in the
    messages of a file that cannot be read."""
    token = _stdin_option.set(option)
    try:
        yield
    finally:
        _stdin_option.reset(token)


def stdin_label() -> str:
    return f"{_stdin_option.get() or STDIN} (đầu vào chuẩn)"


@dataclass
class Grid:
    cells: pd.DataFrame  # object cells, columns 0..n-1
    first_row: int  # spreadsheet row number (1-based) of cells.iloc[0]
    source: str  # what the user called the file
    sheet: str | None = None
    others: list[str] = field(default_factory=list)  # the workbook's other visible sheets holding a table, when
    # no sheet was asked for: read_grid reads one sheet only, and says which it left aside (`other_sheets`)


class _Digest:
    """The sha256 of a file's bytes, computed on another thread from the bytes as they are read (hashlib
    lets go of the GIL): the history stores it without reading the file a second time, and the hashing
    runs on the second core while the first parses."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._chunks: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sotay-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self._sha.update(chunk)

    def feed(self, chunk) -> None:
        if chunk:
            self._chunks.put(chunk)

    def close(self) -> None:
        self._chunks.put(None)

    def hexdigest(self) -> str:
        self._thread.join()
        return self._sha.hexdigest()


_DIGESTS: dict[str, tuple[tuple, _Digest]] = {}  # absolute path -> (the file's stat when read, its digest)
_DIGESTS_KEPT = 64  # a long-running `sotay web` reads many uploads: only the latest are kept


def _signature(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _digesting(name: str) -> _Digest | None:
    """A digest fed by the reading of the file `name`, registered for `digest`; None for stdin."""
    if name == STDIN:
        return None
    signature = _signature(name)
    if signature is None:
        return None
    digest = _Digest()
    key = os.path.abspath(name)
    _DIGESTS.pop(key, None)
    _DIGESTS[key] = (signature, digest)
    while len(_DIGESTS) > _DIGESTS_KEPT:
        _DIGESTS.pop(next(iter(_DIGESTS)))
    return digest


def digest(path: str | Path) -> str | None:
    """The sha256 (hex) of the file at `path` as this process read it, or None when it was not read here
    or has changed since (size, time or inode)."""
    key = os.path.abspath(str(path))
    known = _DIGESTS.get(key)
    if known is None or known[0] != _signature(key):
        return None
    return known[1].hexdigest()


def read_grid(path: str | Path, sheet: str | None = None, data: bytes | None = None) -> Grid:
    """Read `path` ('-' for stdin) into a grid of cells, or raise InputError saying why not."""
    name = str(path)
    if data is None and name != STDIN:
        grid = _read_large_utf8(name)
        if grid is not None:
            return grid
    if data is None:
        data = _read_bytes(name)
        hashing = _digesting(name)
        if hashing is not None:
            hashing.feed(data)
            hashing.close()
    on_disk = name != STDIN and Path(name).is_file()
    shown = stdin_label() if name == STDIN else name  # in messages
    if _blank(data):
        raise InputError(f"{shown}: tệp rỗng, không có dữ liệu.")
    suffix = Path(name).suffix.lower()
    if _looks_like_spreadsheet(data) or suffix in SPREADSHEET_SUFFIXES:
        grid = _read_workbook(name if on_disk else shown, data, sheet, on_disk)
    else:
        grid = _read_text(shown, data)
    grid.source = name
    return grid


_BLANK = b"\x00\t\r\n \xef\xbb\xbf\xff\xfe"


def _blank(data: bytes) -> bool:
    """Nothing but whitespace, NULs and byte-order marks (looking at the start first: stripping a
    gigabyte copies it)."""
    if data[:65536].strip(_BLANK):
        return False
    return len(data) <= 65536 or not data.strip(_BLANK)


def _read_bytes(name: str) -> bytes:
    if name == STDIN:
        return sys.stdin.buffer.read()
    path = Path(name)
    if not path.exists():
        raise InputError(f"{name}: không tìm thấy tệp.")
    if path.is_dir():
        raise InputError(f"{name}: là thư mục, không phải tệp dữ liệu.")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: không mở được tệp ({exc.strerror}).") from exc


def _looks_like_spreadsheet(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_workbook(name: str, data: bytes, sheet: str | None, on_disk: bool) -> Grid:
    if data[:4] == b"PK\x03\x04":
        try:  # a truncated download loses the zip's central directory, at the end
            zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise InputError(f"{name}: {_DAMAGED}") from exc
    from python_calamine import CalamineWorkbook  # workbooks only: CSV exports never load it

    try:
        book = CalamineWorkbook.from_path(name) if on_disk else CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for every kind of bad file
        raise InputError(f"{name}: không phải tệp bảng tính đọc được (XLSX, XLS, ODS).") from exc
    names = book.sheet_names
    if sheet is not None:
        if sheet not in names:
            raise InputError(
                f"{name}: không có trang tính '{sheet}'; các trang tính có: {', '.join(names)}."
            )
        candidates = [sheet]
    else:
        candidates = names
    for sheet_name in candidates:
        rows, start = _sheet_rows(book, name, sheet_name)
        if any(any(v != "" for v in row) for row in rows[:200]):
            cells = pd.DataFrame(rows, dtype=object)
            # calamine starts at the first non-empty cell; keep the row numbers Excel shows
            grid = Grid(cells, start + 1, name, sheet_name)
            if sheet is None:
                grid.others = _other_tables(book, name, sheet_name)
            return grid
    raise InputError(f"{name}: bảng tính không có trang nào chứa dữ liệu.")


_DAMAGED = ("tệp Excel bị hỏng, chưa tải xong hoặc không thật là tệp Excel (đuôi .xlsx nhưng nội dung khác). "
            "Hãy xuất lại tệp từ hệ thống, hoặc mở tệp bằng Excel rồi lưu lại (File > Save As > Excel Workbook).")


def _sheet_rows(book, name: str, sheet_name: str) -> tuple[list[list], int]:
    """The cells of one sheet as rows, and the index of its first row (calamine starts at the first
    non-empty cell)."""
    try:
        ws = book.get_sheet_by_name(sheet_name)
        return ws.to_python(), (ws.start or (0, 0))[0]
    except Exception as exc:
        raise InputError(f"{name}: không đọc được trang tính '{sheet_name}': {_DAMAGED}") from exc


def _other_tables(book, name: str, read: str) -> list[str]:
    """The visible sheets after `read` that hold more than a title or a note: two rows of two filled
    cells at least (hidden sheets are the lists behind drop-downs, not data)."""
    from python_calamine import SheetVisibleEnum

    visible = {m.name for m in book.sheets_metadata if m.visible == SheetVisibleEnum.Visible}
    names = book.sheet_names
    out = []
    for other in names[names.index(read) + 1:]:
        if other not in visible:
            continue
        ws = book.get_sheet_by_name(other)
        if ws.height < 2 or ws.width < 2:
            continue
        rows = ws.to_python(nrows=200)
        if sum(sum(v != "" for v in row) >= 2 for row in rows) >= 2:
            out.append(other)
    return out


def other_sheets_note(grid: Grid) -> str:
    """The warning on a workbook read from one sheet while others hold tables too."""
    skipped = ", ".join(f"'{s}'" for s in grid.others)
    return (f"Tệp có {len(grid.others) + 1} trang tính có dữ liệu; đã đọc trang '{grid.sheet}', bỏ qua trang "
            f"{skipped}. Nếu cần trang khác, dùng --sheet \"TÊN TRANG\"; nếu danh sách chia nhiều trang, gộp lại "
            "thành một trang.")


def other_grids(grid: Grid, path: str | Path, data: bytes | None = None):
    """The grids of `grid.others`, read again from the file (standard input cannot be read twice: none)."""
    if str(path) == STDIN and data is None:
        return
    for other in grid.others:
        yield read_grid(path, sheet=other, data=data)


def sheet_hint(grid: Grid, fits: list[str]) -> str:
    """For a sheet without a header row: which sheet was read, the others holding data, and `fits`,
    those of them where a header of the wanted kind was found."""
    if grid.sheet is None:
        return ""
    if not grid.others:
        return f" Đã đọc trang tính '{grid.sheet}'."
    others = ", ".join(f"'{s}'" for s in grid.others)
    said = f" Đã đọc trang tính '{grid.sheet}'; các trang khác có dữ liệu: {others}."
    if len(fits) == 1:
        return f"{said} Trang '{fits[0]}' có dòng tiêu đề: dùng --sheet \"{fits[0]}\" để đọc trang đó."
    return f"{said} Chọn trang chứa bảng bằng --sheet \"TÊN TRANG\"."


def decode_text(name: str, data: bytes) -> str:
    """Decode exports from Excel and Windows: UTF-8 (BOM or not), UTF-16, Windows-1258.

    NUL characters (byte 0, left by some database exports to pad fields) carry nothing and are dropped."""
    if data[:3] == b"\xef\xbb\xbf":
        encodings = ["utf-8-sig"]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings = ["utf-16"]
    elif _utf16_parity(data[:200]) is not None:  # UTF-16 without a BOM
        encodings = ["utf-16-le" if _utf16_parity(data[:200]) == 1 else "utf-16-be", "utf-8", "cp1258"]
    else:
        encodings = ["utf-8", "cp1258"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            if encoding.startswith("utf-16") and len(encodings) > 1:
                continue
            break
        return text.replace("\x00", "") if "\x00" in text else text
    raise InputError(
        f"{name}: không nhận ra bảng mã của tệp (đã thử UTF-8, UTF-16, Windows-1258); "
        "hãy lưu lại tệp dưới dạng CSV UTF-8 hoặc XLSX."
    )


def _utf16_parity(head: bytes) -> int | None:
    """1 (little-endian) or 0 (big-endian) when the NUL bytes of `head` sit at every other position, as
    UTF-16 text of Latin letters puts them; None otherwise."""
    nuls = [i % 2 for i, b in enumerate(head) if b == 0]
    if len(nuls) <= 20:
        return None
    odd = sum(nuls)
    if odd >= 0.9 * len(nuls):
        return 1
    if odd <= 0.1 * len(nuls):
        return 0
    return None


def _looks_binary(text: str) -> bool:
    """Control or unassigned characters (NUL apart) in more than 1 % of the start: not a text export."""
    head = text[:20_000]
    odd = sum(1 for ch in head if ch not in "\t\r\n\x00" and unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"))
    return odd > len(head.replace("\x00", "")) / 100


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter whose per-line count is most often the same non-zero number."""
    best, best_score = ",", (0, 0)
    for delim in DELIMITERS:
        counts = [line.count(delim) for line in lines if line.strip()]
        nonzero = [c for c in counts if c]
        if not nonzero:
            continue
        mode = max(set(nonzero), key=nonzero.count)
        score = (nonzero.count(mode), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _nfc_utf8(name: str, data: bytes) -> bytes | memoryview:
    """The file as UTF-8 bytes in NFC, without a BOM; decoding only when it must (a UTF-8 file with a
    BOM, as Excel saves "CSV UTF-8", is handed on as a view: no copy of a gigabyte)."""
    if data[:3] == b"\xef\xbb\xbf" and data.find(b"\x00") < 0:
        if _looks_binary(data[3:20_003].decode("utf-8", errors="replace")):
            raise InputError(f"{name}: tệp không phải dạng văn bản (CSV/TXT) đọc được.")
        raw, body = data, memoryview(data)[3:]
    else:
        raw = body = decode_text(name, data).encode("utf-8")
    # decomposed accents (Mac, Windows-1258) need composing; U+0300..U+036F start with 0xCC or 0xCD
    if (raw.find(b"\xcc") >= 0 or raw.find(b"\xcd") >= 0) and _COMBINING.search(body):
        body = unicodedata.normalize("NFC", bytes(body).decode("utf-8", errors="replace")).encode("utf-8")
    return body


_COMBINING = re.compile(rb"\xcc[\x80-\xbf]|\xcd[\x80-\xaf]")  # U+0300..U+036F in UTF-8


def _layout(head_text: str) -> tuple[str, list[list[str]], int, int]:
    """From the start of a text export: the delimiter, the first rows split, the table's width, and
    the index of its first row (title lines above the table are shorter; it starts at the first
    full-width row)."""
    head = head_text.splitlines()[:200]
    delim = sniff_delimiter(head)
    head_rows = list(csv.reader(head, delimiter=delim))
    width = max((len(r) for r in head_rows), default=1)
    start = next((i for i, r in enumerate(head_rows) if len(r) == width), 0)
    return delim, head_rows, width, start


def _read_text(name: str, data: bytes) -> Grid:
    body = _nfc_utf8(name, data)
    delim, head_rows, width, start = _layout(bytes(body[:200_000]).decode("utf-8", errors="ignore"))
    try:
        cells = _read_body_arrow(body, delim, start, width, quoted=_has_quote(body),
                                 repeated=_repeated_columns(head_rows, start, width))
        first_row = start + 1
    except pa.ArrowInvalid:
        # ragged rows inside the table: the slower parser copes with them
        cells, first_row = _read_body_pandas(name, bytes(body), delim), 1
    if cells.empty:
        raise InputError(f"{name}: tệp rỗng, không có dữ liệu.")
    return Grid(cells, first_row, name, None)


LARGE = 8 << 20  # bytes: above this, a UTF-8 text file is parsed by Arrow straight from the disk


def _read_large_utf8(name: str) -> Grid | None:
    """A big UTF-8 CSV/TXT read by Arrow from the file itself: the whole file never sits in memory as
    bytes. None when the file is small, not UTF-8 text or not regular; the general path then reads it.
    (Decomposed accents are composed later, column by column, in `values.text`.)"""
    path = Path(name)
    try:
        if not path.is_file() or path.stat().st_size < LARGE or path.suffix.lower() in SPREADSHEET_SUFFIXES:
            return None
        with path.open("rb") as f:
            head_bytes = f.read(200_000)
    except OSError:
        return None
    if _looks_like_spreadsheet(head_bytes) or head_bytes[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head_bytes:
        return None
    # the BOM taken off first: utf-8-sig counts an error's position from after it, and a character cut at
    # the end of the slice then looked like a bad byte further up (a roster with a BOM read whole into memory)
    head_bytes = head_bytes[3:] if head_bytes[:3] == b"\xef\xbb\xbf" else head_bytes
    try:
        head_text = head_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head_bytes) - 4:  # not just a character cut at the end of the slice
            return None
        head_text = head_bytes[: exc.start].decode("utf-8")
    if _looks_binary(head_text):
        return None
    delim, head_rows, width, start = _layout(head_text)
    try:
        quoted = _file_has_quote(path)
    except OSError:
        return None
    hashing = _digesting(name)
    try:
        with path.open("rb", buffering=0) as raw:
            cells = _read_body_arrow(_Hashed(raw, hashing), delim, start, width, quoted=quoted,
                                     repeated=_repeated_columns(head_rows, start, width))
    except (pa.ArrowInvalid, OSError):
        return None  # ragged rows or a byte that is not UTF-8 further down: the general path copes
    finally:
        if hashing is not None:
            hashing.close()
    if cells.empty:
        return None
    return Grid(cells, start + 1, name, None)


class _Hashed(io.RawIOBase):
    """A file whose bytes are handed to a digest as Arrow reads them."""

    def __init__(self, raw, digest: _Digest | None) -> None:
        self._raw, self._digest = raw, digest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        if self._digest is not None:
            self._digest.feed(chunk)
        return chunk


def _file_has_quote(path: Path) -> bool:
    """Whether the file holds a '"' anywhere (a first pass at the speed of memchr: 0.15 s of CPU for a
    gigabyte in the page cache)."""
    buf = bytearray(8 << 20)
    with path.open("rb", buffering=0) as f:
        while n := f.readinto(buf):
            if buf.find(b'"', 0, n) >= 0:
                return True
    return False


def _has_quote(body: bytes | memoryview) -> bool:
    whole = body.obj if isinstance(body, memoryview) else body  # a view skips the BOM: no '"' in a BOM
    return whole.find(b'"') >= 0


def _repeated_columns(head_rows: list[list[str]], start: int, width: int) -> frozenset[int]:
    """The columns whose cells repeat in the first rows of the table (chi bộ, status, gender…: each value at
    least four times over on average): read as dictionaries, a small integer per row, each value once."""
    rows = head_rows[start + 1:]
    if len(rows) < 50:
        return frozenset()
    return frozenset(j for j in range(width) if 4 * len({r[j] if j < len(r) else "" for r in rows}) <= len(rows))


def _read_body_arrow(body: bytes | memoryview | io.RawIOBase, delim: str, start: int, width: int,
                     quoted: bool = True, repeated: frozenset[int] = frozenset()) -> pd.DataFrame:
    """The rows from `start` on as columns of text. Only a quoted cell can hold a line break: a file without
    any '"' (`quoted` False) is cut into blocks at its line ends and parsed on every core, where a line
    break allowed inside values makes Arrow find the blocks one after the other (and costs 1.6 times the
    CPU; a country's roster: 1 GB)."""
    names = [f"c{i}" for i in range(width)]
    table = pacsv.read_csv(
        body if isinstance(body, io.RawIOBase) else pa.BufferReader(pa.py_buffer(body)),
        read_options=pacsv.ReadOptions(skip_rows=start, column_names=names),
        parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=quoted, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.dictionary(pa.int32(), pa.large_string())
                                                           if j in repeated else pa.large_string()
                                                           for j, n in enumerate(names)},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    frame = table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow")}.get)
    return frame.set_axis(range(width), axis=1)


def _read_body_pandas(name: str, body: bytes, delim: str) -> pd.DataFrame:
    text = body.decode("utf-8", errors="replace")
    width = max(line.count(delim) for line in text.splitlines()) + 1
    try:
        return pd.read_csv(io.StringIO(text), sep=delim, header=None, names=range(width), dtype=object,
                           keep_default_na=False, na_values=[], skip_blank_lines=False, engine="c")
    except (pd.errors.ParserError, ValueError) as exc:
        row = _unclosed_quote(text, delim)
        if row is None and "EOF inside string" in str(exc):
            found = re.search(r"starting at row (\d+)", str(exc))
            row = int(found[1]) + 1 if found else None  # pandas counts records from 0
        if row is not None:
            raise InputError(
                f"{name}, dòng {row}: có dấu ngoặc kép (\") mở ở dòng này mà không có dấu đóng, nên từ đó đến hết tệp "
                f"thành một ô. Hãy mở tệp bằng Notepad, thêm dấu \" đóng hoặc xóa dấu \" thừa ở dòng {row}, hoặc "
                "xuất lại tệp từ hệ thống.") from exc
        raise InputError(f"{name}: tệp văn bản không đúng dạng bảng (các cột không tách được theo dấu "
                         f"'{_DELIMITER_NAMES.get(delim, delim)}'); hãy xuất lại tệp dạng XLSX hoặc CSV.") from exc


_DELIMITER_NAMES = {",": ",", ";": ";", "\t": "tab", "|": "|"}


def _unclosed_quote(text: str, delim: str) -> int | None:
    """The line (1-based) where a quoted cell that never closes starts, or None. Only on the way to an
    error: the csv module walks the records and says where the file ended inside quotes."""
    reader = csv.reader(io.StringIO(text), delimiter=delim, strict=True)
    start = 1
    while True:
        try:
            next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            if "end of data" in str(exc):
                return start
        start = reader.line_num + 1
