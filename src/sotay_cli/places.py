"""The official list of the 34 provinces and 3,321 xã/phường in force since 07/2025 (the
`vietnam-provinces` package), and the names of the Party bodies built from it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from vietnam_provinces import Province, VietNamDivisionType, Ward

from .ingest.values import fold

_PROVINCE_PREFIXES = ("thanh pho ", "tinh ")
_WARD_PREFIXES = ("xa ", "phuong ", "dac khu ")


class PlaceNotFound(LookupError):
    """A name not in the official list; `suggestions` are the closest names that are."""

    def __init__(self, what: str, name: str, suggestions: list[str]):
        hint = f" Có phải: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"không có {what} '{name}' trong danh mục đơn vị hành chính từ 07/2025.{hint}")
        self.suggestions = suggestions


@dataclass(frozen=True)
class Place:
    """A province, and optionally a xã/phường of it, with the Party bodies' names."""

    province: Province
    ward: Ward | None = None

    @property
    def province_words(self) -> str:
        """'tỉnh Thanh Hóa', 'thành phố Hà Nội'."""
        kind = "thành phố" if self.province.division_type == VietNamDivisionType.THANH_PHO_TRUNG_UONG else "tỉnh"
        return f"{kind} {_bare(self.province.name)}"

    @property
    def ward_words(self) -> str:
        """'xã Hoa Lộc', 'phường Ba Đình', 'đặc khu Phú Quốc'."""
        assert self.ward is not None
        return f"{self.ward.division_type.value} {_bare(self.ward.name)}"

    @property
    def place_name(self) -> str:
        """The place in the date line: 'Hoa Lộc, ngày …'."""
        return _bare(self.ward.name) if self.ward else _bare(self.province.name)

    @property
    def root(self) -> str:
        return f"Đảng bộ {self.ward_words if self.ward else self.province_words}"

    @property
    def committee(self) -> str:
        """'Tỉnh ủy' or 'Thành ủy': the province's Party committee."""
        return "Tỉnh ủy" if self.province.division_type == VietNamDivisionType.TINH else "Thành ủy"

    @property
    def superior(self) -> str:
        if self.ward:
            return f"ĐẢNG BỘ {self.province_words.upper()}"
        return f"{self.committee.upper()} {_bare(self.province.name).upper()}"

    @property
    def issuer(self) -> str:
        return f"ĐẢNG ỦY {self.ward_words.upper()}" if self.ward else "BAN TỔ CHỨC"

    @property
    def issuer_title(self) -> str:
        return f"Đảng ủy {self.ward_words}" if self.ward else f"Ban Tổ chức {self.committee}"

    @property
    def code(self) -> str:
        """The issuing body's sign in a document number: 25-CV/ĐU, 1367-CV/BTCTU."""
        return "ĐU" if self.ward else "BTCTU"

    @property
    def level(self) -> str:
        return "xa" if self.ward else "tinh"


def _bare(name: str) -> str:
    """'Thành phố Hà Nội' -> 'Hà Nội'; 'Xã Hoa Lộc' -> 'Hoa Lộc'."""
    for prefix in ("Thành phố ", "Tỉnh ", "Xã ", "Phường ", "Đặc khu "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _key(name: str, prefixes: tuple[str, ...]) -> str:
    key = fold(name)
    for prefix in prefixes:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def find(province: str, ward: str | None = None) -> Place:
    """The place named, matched accent- and case-insensitively; PlaceNotFound with suggestions."""
    provinces = {_key(p.name, _PROVINCE_PREFIXES): p for p in Province.iter_all()}
    wanted = _key(province, _PROVINCE_PREFIXES)
    if wanted not in provinces:
        close = difflib.get_close_matches(wanted, list(provinces), n=3, cutoff=0.6)
        raise PlaceNotFound("tỉnh, thành phố", province, [provinces[k].name for k in close])
    found = provinces[wanted]
    if not ward:
        return Place(found)
    wards = {}
    for w in Ward.iter_by_province(found.code):
        wards.setdefault(_key(w.name, _WARD_PREFIXES), []).append(w)
    wanted_ward = _key(ward, _WARD_PREFIXES)
    matches = wards.get(wanted_ward, [])
    if len(matches) > 1:  # a xã and a phường of the same name: the prefix the user wrote decides
        typed = fold(ward)
        matches = [w for w in matches if typed == fold(w.name)] or matches[:1]
    if not matches:
        close = difflib.get_close_matches(wanted_ward, list(wards), n=3, cutoff=0.6)
        raise PlaceNotFound(f"xã, phường thuộc {found.name}", ward, [wards[k][0].name for k in close])
    return Place(found, matches[0])
