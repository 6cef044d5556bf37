"""The four kinds of table, their canonical columns, and how a header written by people is recognised.

A header names a canonical column in one of three ways, tried in this order:
- config: the user's `[columns]` in sotay.toml ("header" = "column") always wins;
- alias: the header is, word for word, one of the texts seen in real exports (`aliases` below);
- meaning: its words satisfy the column's rule in `MEANINGS` ("truy cập" with "gần nhất"…).
Accents, case, punctuation, numbering ("1.") and parenthesised notes ("(dd/mm/yyyy)") never matter.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

from .values import fold

MEMBERS, USAGE, MEETINGS, UNITS = "members", "usage", "meetings", "units"
KINDS = [MEMBERS, USAGE, MEETINGS, UNITS]

KIND_LABELS = {
    MEMBERS: "danh sách đảng viên",
    USAGE: "tài khoản ứng dụng",
    MEETINGS: "sinh hoạt chi bộ trên ứng dụng",
    UNITS: "danh mục tổ chức đảng",
}

_CARD = [
    "số thẻ đảng viên", "số thẻ ĐV", "số thẻ", "thẻ đảng viên", "mã thẻ", "mã thẻ đảng viên",
    "số thẻ đảng", "mã đảng viên", "mã ĐV", "số thẻ Đ.V", "số hiệu thẻ",
    "tên đăng nhập", "tài khoản",
]
_NAME = ["họ tên", "họ và tên", "họ tên đảng viên", "họ và tên đảng viên", "tên đảng viên", "đảng viên"]
_CHI_BO = [
    "chi bộ", "tên chi bộ", "chi bộ sinh hoạt", "nơi sinh hoạt", "chi bộ đang sinh hoạt",
    "chi bộ trực thuộc", "tổ chức đảng", "tên tổ chức đảng", "đơn vị", "tên đơn vị",
]

_CO_SO = [
    "đảng bộ cơ sở", "tổ chức cơ sở đảng", "TCCS", "đảng bộ, chi bộ cơ sở", "cơ sở đảng",
    "đảng bộ/chi bộ cơ sở", "chi bộ cơ sở", "đảng bộ", "đảng bộ bộ phận",
]
_XA = [
    "đảng bộ xã", "đảng bộ xã/phường", "đảng bộ xã, phường", "đảng bộ cấp xã", "xã/phường",
    "xã phường", "đảng bộ phường", "đảng bộ trực thuộc", "đảng bộ cấp trên",
]

COLUMN_LABELS = {
    "card": "số thẻ đảng viên",
    "name": "họ và tên",
    "birth_date": "ngày sinh",
    "gender": "giới tính",
    "chi_bo": "chi bộ",
    "co_so": "đảng bộ cơ sở",
    "xa": "đảng bộ xã",
    "status": "tình trạng sinh hoạt",
    "membership": "chính thức/dự bị",
    "phone": "điện thoại",
    "smartphone": "có điện thoại thông minh",
    "activated": "đã kích hoạt",
    "activated_date": "ngày kích hoạt",
    "last_access": "lần truy cập gần nhất",
    "accesses": "số lần truy cập",
    "date": "ngày sinh hoạt",
    "kind": "loại sinh hoạt",
    "present": "số đảng viên có mặt",
    "unit": "tên tổ chức đảng",
    "parent": "cấp trên trực tiếp",
    "level": "loại tổ chức",
    "armed_forces": "lực lượng vũ trang",
    "state_agency": "cơ quan nhà nước",
    "excluded": "không tính chỉ tiêu",
}


# --- header words ------------------------------------------------------------------------------

# Abbreviations of administrative spreadsheets, read as the words they stand for.
ABBREVIATIONS = {
    "SĐT": "số điện thoại", "ĐT": "điện thoại", "ĐTDĐ": "điện thoại di động", "ĐTTM": "điện thoại thông minh",
    "ĐV": "đảng viên", "Đ.V": "đảng viên", "TCCS": "tổ chức cơ sở đảng", "TCĐ": "tổ chức đảng",
    "LLVT": "lực lượng vũ trang", "SH": "sinh hoạt", "TK": "tài khoản", "CQNN": "cơ quan nhà nước",
}
_EXPANSIONS = {fold(short): fold(long) for short, long in ABBREVIATIONS.items()}
_ABBREVIATION = re.compile(r"(?<!\S)(" + "|".join(re.escape(k) for k in sorted(_EXPANSIONS, key=len, reverse=True))
                           + r")(?!\S)")
# notes that never change what a header means: "(dd/mm/yyyy)", "(lần)", "(*)", "[1]", a leading "1." or "a)"
_NOTES = re.compile(r"\([^)]*\)|\[[^\]]*\]|\*")
_LEADING_NUMBER = re.compile(r"^\s*(?:\d{1,2}|[ivxIVX]{1,4}|[a-zA-Z])\s*[.)]\s+")


@functools.lru_cache(maxsize=4096)
def header_words(text: str) -> str:
    """Folded words with abbreviations spelled out: 'Số thẻ ĐV (*)' -> 'so the dang vien'."""
    return _ABBREVIATION.sub(lambda m: _EXPANSIONS[m.group(1)], fold(text))


@functools.lru_cache(maxsize=4096)
def header_key(text: str) -> str:
    """`header_words` without the notes: the form compared with the aliases."""
    bare = _LEADING_NUMBER.sub("", _NOTES.sub(" ", str(text)))
    return header_words(bare) or header_words(text)


# --- recognition by meaning --------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """A header has this meaning when it holds a phrase of every group of `needs` and none of `unless`
    (whole words, compared folded: 'ngày' also finds 'Ngay', 'NGÀY')."""

    needs: tuple[tuple[str, ...], ...]
    unless: tuple[str, ...] = ()

    def matches(self, words: str) -> bool:
        padded = f" {words} "
        return (all(any(f" {p} " in padded for p in group) for group in self.needs)
                and not any(f" {p} " in padded for p in self.unless))


def means(*needs: str | tuple[str, ...], unless: tuple[str, ...] = ()) -> Rule:
    """`means(("truy cập", "đăng nhập"), ("cuối", "gần nhất"))`: one of the first AND one of the second."""
    groups = tuple((g,) if isinstance(g, str) else g for g in needs)
    return Rule(tuple(tuple(header_words(p) for p in g) for g in groups), tuple(header_words(p) for p in unless))


DATE = ("ngày", "thời gian", "thời điểm", "ngày tháng", "dd mm yyyy", "dd mm yy")
ACCESS = ("truy cập", "đăng nhập")
RECENT = ("cuối", "lần cuối", "gần nhất", "mới nhất", "gần đây", "sau cùng")
FIRST = ("đầu tiên", "lần đầu")
COUNTED = ("số lượng", "tổng", "tổng số", "tỷ lệ", "tỉ lệ")  # a count of units, not a member's value
ADDRESS = ("địa chỉ", "quê", "quê quán", "nơi ở", "thường trú", "tạm trú", "cư trú", "nơi sinh")

CARD = means(("thẻ", "mã đảng viên", "mã số đảng viên", "mã định danh đảng viên"),
             unless=DATE + ("nơi", "căn cước", "cccd", "cmnd", "bảo hiểm", "bhyt", "ngân hàng", "atm"))
ACCOUNT = means(("tên đăng nhập", "tài khoản đăng nhập", "tên tài khoản"))
NAME = means(("họ tên", "họ và tên", "tên đảng viên"),
             unless=("chi bộ", "đơn vị", "tổ chức", "bí thư", "cha", "mẹ", "vợ", "chồng"))
CHI_BO = means(("chi bộ", "tổ chức đảng", "nơi sinh hoạt", "sinh hoạt tại"),
               unless=COUNTED + DATE + ("cơ sở", "cấp trên", "số", "mã", "bí thư"))

CO_SO = means(("cơ sở", "đảng bộ bộ phận"), unless=COUNTED + ("mã",))
XA = means(("xã", "phường", "đặc khu", "đảng bộ cấp trên", "đảng bộ trực thuộc"), unless=COUNTED + ADDRESS + ("mã",))

# One rule per canonical column and kind; the first rule that fits a header names its column, so
# narrower rules come before broader ones ("loại trừ" before "loại").
MEANINGS: dict[str, dict[str, Rule | tuple[Rule, ...]]] = {
    MEMBERS: {
        "card": CARD,
        "name": NAME,
        "birth_date": means(("ngày sinh", "năm sinh", "sinh ngày", "sinh năm", "tháng năm sinh"),
                            unless=("sinh hoạt",)),
        "gender": means(("giới tính", "giới", "nam nữ")),
        "co_so": CO_SO,
        "chi_bo": CHI_BO,
        "xa": XA,
        "status": means(("tình trạng", "trạng thái", "miễn sinh hoạt", "đang sinh hoạt"),
                        unless=("sức khỏe", "hôn nhân", "tài khoản", "kích hoạt", "cài đặt", "ứng dụng",
                                "điện thoại")),
        "membership": means(("chính thức", "dự bị"), unless=DATE),
        "smartphone": means(("thông minh", "smartphone")),
        "phone": means(("điện thoại", "di động"), unless=("thông minh",)),
    },
    USAGE: {
        "card": (CARD, ACCOUNT),
        "name": NAME,
        "co_so": CO_SO,
        "chi_bo": CHI_BO,
        "xa": XA,
        "accesses": means(("số lần", "lượt", "số lượt", "tần suất"), ACCESS + ("sử dụng",)),
        "last_access": (means(ACCESS + ("sử dụng", "hoạt động"), RECENT, unless=FIRST),
                        means(ACCESS, DATE, unless=FIRST)),
        "activated_date": (means(("kích hoạt", "cài đặt", "đăng ký", "tạo tài khoản"), DATE),
                           means(ACCESS, FIRST)),
        "activated": means(("kích hoạt", "cài đặt"), unless=DATE + COUNTED),
    },
    MEETINGS: {
        "co_so": CO_SO,  # the units above the chi bộ tell apart the same name in two places
        "chi_bo": CHI_BO,
        "xa": XA,
        "date": means(DATE, ("sinh hoạt", "họp", "tổ chức", "buổi")),
        "kind": means(("loại", "hình thức", "định kỳ", "chuyên đề"), unless=DATE + COUNTED + ("số",)),
        "present": means(("có mặt", "tham dự", "dự", "điểm danh"),
                         unless=("vắng", "dự kiến", "dự bị", "không", "tỷ lệ", "tỉ lệ")),
        "card": CARD,
        "name": NAME,
    },
    UNITS: {
        "excluded": means(("loại trừ", "không tính", "không xét", "ngoài chỉ tiêu", "trừ chỉ tiêu",
                           "miễn chỉ tiêu")),
        "armed_forces": means(("vũ trang", "quân sự")),
        "state_agency": means(("cơ quan", "nhà nước", "hành chính"), unless=("cấp trên",)),
        "parent": means(("cấp trên", "trực thuộc", "thuộc")),
        "level": means(("loại", "loại hình", "cấp")),
        "unit": means(("tổ chức", "đơn vị", "chi bộ", "đảng bộ"), unless=COUNTED + ("bí thư",)),
    },
}


@dataclass(frozen=True)
class Schema:
    kind: str
    aliases: dict[str, list[str]]
    required: list[str]
    # at least one of each group must be present
    any_of: list[list[str]] = field(default_factory=list)
    # columns that tell this kind apart from the others
    signature: frozenset[str] = frozenset()

    @property
    def meanings(self) -> list[tuple[str, tuple[Rule, ...]]]:
        return [(column, rules if isinstance(rules, tuple) else (rules,))
                for column, rules in MEANINGS[self.kind].items()]


SCHEMAS: dict[str, Schema] = {
    MEMBERS: Schema(
        MEMBERS,
        {
            "card": _CARD,
            "name": _NAME,
            "birth_date": ["ngày sinh", "năm sinh", "ngày tháng năm sinh", "sinh ngày", "ngày, tháng, năm sinh"],
            "gender": ["giới tính", "giới", "nam/nữ", "nam nữ"],
            "chi_bo": _CHI_BO,
            "co_so": _CO_SO,
            "xa": _XA,
            "status": [
                "tình trạng", "trạng thái sinh hoạt", "tình trạng sinh hoạt", "trạng thái", "sinh hoạt",
                "tình trạng đảng viên", "trạng thái đảng viên", "ghi chú sinh hoạt",
            ],
            "membership": [
                "chính thức/dự bị", "chính thức, dự bị", "loại đảng viên", "đảng viên chính thức/dự bị",
                "chính thức dự bị", "loại",
            ],
            "phone": ["số điện thoại", "điện thoại", "SĐT", "số ĐT", "ĐT", "điện thoại di động", "di động"],
            "smartphone": [
                "điện thoại thông minh", "có điện thoại thông minh", "smartphone", "có smartphone",
                "dùng điện thoại thông minh", "sử dụng điện thoại thông minh", "ĐTTM",
            ],
        },
        required=["card", "name", "chi_bo"],
        signature=frozenset({"status", "birth_date", "gender", "membership", "phone", "smartphone"}),
    ),
    USAGE: Schema(
        USAGE,
        {
            "card": _CARD,
            "name": _NAME,
            "chi_bo": _CHI_BO,
            "co_so": ["đảng bộ cơ sở", "TCCS", "tổ chức cơ sở đảng"],
            "xa": ["đảng bộ xã", "xã/phường", "đảng bộ xã/phường"],
            "activated": [
                "đã kích hoạt", "kích hoạt", "đã cài đặt", "cài đặt", "trạng thái", "trạng thái tài khoản",
                "tình trạng kích hoạt", "trạng thái kích hoạt", "tình trạng", "tình trạng tài khoản",
                "đã cài đặt ứng dụng", "cài đặt ứng dụng", "kích hoạt tài khoản",
            ],
            "activated_date": [
                "ngày kích hoạt", "ngày cài đặt", "thời gian kích hoạt", "ngày đăng ký", "ngày kích hoạt tài khoản",
            ],
            "last_access": [
                "lần truy cập gần nhất", "truy cập gần nhất", "ngày truy cập gần nhất", "đăng nhập gần nhất",
                "lần đăng nhập cuối", "thời gian truy cập gần nhất", "lần đăng nhập gần nhất",
                "truy cập lần cuối", "ngày đăng nhập gần nhất", "thời gian đăng nhập gần nhất",
            ],
            "accesses": [
                "số lần truy cập", "lượt truy cập", "số lượt truy cập", "số lần đăng nhập",
                "số lần truy cập trong kỳ", "số lượt đăng nhập",
            ],
        },
        required=["card"],
        any_of=[["activated", "activated_date", "last_access"]],
        signature=frozenset({"activated", "activated_date", "last_access", "accesses"}),
    ),
    MEETINGS: Schema(
        MEETINGS,
        {
            "chi_bo": _CHI_BO,
            "co_so": ["đảng bộ cơ sở", "TCCS", "tổ chức cơ sở đảng"],
            "xa": ["đảng bộ xã", "xã/phường", "đảng bộ xã/phường"],
            "date": [
                "ngày sinh hoạt", "ngày", "thời gian", "ngày họp", "thời gian sinh hoạt", "ngày tổ chức",
                "ngày sinh hoạt chi bộ", "kỳ sinh hoạt",
            ],
            "kind": [
                "loại sinh hoạt", "hình thức", "loại", "loại hình sinh hoạt", "hình thức sinh hoạt",
                "loại kỳ sinh hoạt", "nội dung sinh hoạt", "định kỳ/chuyên đề",
            ],
            "present": [
                "số đảng viên dự", "số ĐV dự", "có mặt", "số có mặt", "số đảng viên có mặt", "điểm danh",
                "số điểm danh", "số lượng tham dự", "dự", "số đảng viên tham dự", "tham dự",
                "số đảng viên điểm danh", "đã điểm danh",
            ],
            "card": _CARD,
            "name": _NAME,
        },
        required=["chi_bo", "date"],
        signature=frozenset({"date", "kind", "present"}),
    ),
    UNITS: Schema(
        UNITS,
        {
            "unit": [
                "tên đơn vị", "đơn vị", "tổ chức đảng", "tên tổ chức đảng", "tên chi bộ", "chi bộ", "tên",
                "tên tổ chức", "tổ chức", "mã đơn vị",
            ],
            "parent": [
                "cấp trên", "trực thuộc", "đơn vị cấp trên", "tổ chức cấp trên", "thuộc", "cấp ủy cấp trên",
                "cấp trên trực tiếp", "đảng bộ cấp trên",
            ],
            "level": ["loại", "loại tổ chức", "cấp", "loại hình", "loại đơn vị", "loại hình tổ chức"],
            "armed_forces": ["lực lượng vũ trang", "LLVT", "vũ trang", "khối lực lượng vũ trang"],
            "state_agency": ["cơ quan nhà nước", "khối cơ quan", "cơ quan", "khối cơ quan nhà nước"],
            "excluded": ["loại trừ", "không tính", "không xét chỉ tiêu", "không tính chỉ tiêu", "ngoài chỉ tiêu"],
        },
        required=["unit"],
        signature=frozenset({"parent", "level", "armed_forces", "state_agency", "excluded"}),
    ),
}


# --- naming the column of a header ------------------------------------------------------------

CONFIG, ALIAS, MEANING = "config", "alias", "meaning"
_LONGEST_HEADER = 150  # longer cells are sentences (titles, notes), never headers
_SEEN_LIMIT = 20_000
SUGGEST_SCORE = 80  # rapidfuzz ratio (0-100) from which an unknown header is offered as a known one


@dataclass(frozen=True)
class HeaderMatch:
    column: str
    rule: str  # CONFIG, ALIAS or MEANING
    # compared between two headers for the same column, higher wins: config, then alias (the usual
    # wording first in the list), then meaning (fewer words, more specific)
    strength: tuple[int, int]


class Recogniser:
    """Names the canonical column of the headers of one kind of table."""

    def __init__(self, schema: Schema, overrides: dict[str, str] | None = None):
        self.schema = schema
        self.aliases: dict[str, tuple[str, int]] = {}
        for column, names in schema.aliases.items():
            for i, name in enumerate([*names, column]):
                self.aliases.setdefault(header_key(name), (column, i))
        self.config = {header_words(h): c for h, c in (overrides or {}).items() if c in schema.aliases}
        self.meanings = schema.meanings
        self._seen: dict[str, HeaderMatch | None] = {}

    def __call__(self, header: str) -> HeaderMatch | None:
        if header not in self._seen:
            if len(self._seen) > _SEEN_LIMIT:  # data cells of the rows searched: never let them pile up
                self._seen.clear()
            self._seen[header] = self._match(header)
        return self._seen[header]

    def _match(self, header: str) -> HeaderMatch | None:
        if len(header) > _LONGEST_HEADER or not any(ch.isalpha() for ch in header):
            return None  # a sentence, a number, a date: a title or a data cell
        words, key = header_words(header), header_key(header)
        column = self.config.get(words) or self.config.get(key)
        if column:
            return HeaderMatch(column, CONFIG, (3, 0))
        if key in self.aliases:
            column, order = self.aliases[key]
            return HeaderMatch(column, ALIAS, (2, -order))
        for column, rules in self.meanings:
            if any(rule.matches(words) for rule in rules):
                return HeaderMatch(column, MEANING, (1, -len(key.split())))
        return None

    def suggest(self, header: str, wanted: set[str]) -> str | None:
        """The column among `wanted` that an unrecognised header is probably meant for (a typo, two
        words run together), or None when none is close enough."""
        from rapidfuzz import fuzz, process  # only when a header is left unread

        choices = {k: c for k, (c, _) in self.aliases.items() if c in wanted}
        choices.update({header_key(COLUMN_LABELS[c]): c for c in wanted if c in COLUMN_LABELS})
        key = header_key(header)
        if not key or not choices:
            return None
        best = process.extractOne(key, list(choices), scorer=fuzz.ratio, score_cutoff=SUGGEST_SCORE)
        return None if best is None else choices[best[0]]


@functools.lru_cache(maxsize=64)
def _recogniser(kind: str, overrides: tuple[tuple[str, str], ...]) -> Recogniser:
    return Recogniser(SCHEMAS[kind], dict(overrides))


def recogniser(kind: str, overrides: dict[str, str] | None = None) -> Recogniser:
    """The recogniser of `kind` with the user's `[columns]`, built once per configuration."""
    return _recogniser(kind, tuple(sorted((overrides or {}).items())))


def config_line(header: str, column: str) -> str:
    """The `[columns]` line of sotay.toml that maps `header` to `column`."""
    return f"{json.dumps(header, ensure_ascii=False)} = {json.dumps(column)}"
