"""The four kinds of table, their canonical columns and the header texts seen for them."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Schema:
    kind: str
    aliases: dict[str, list[str]]
    required: list[str]
    # at least one of each group must be present
    any_of: list[list[str]] = field(default_factory=list)
    # columns that tell this kind apart from the others
    signature: frozenset[str] = frozenset()

    def folded(self) -> dict[str, str]:
        """Folded alias -> canonical column."""
        out: dict[str, str] = {}
        for column, names in self.aliases.items():
            for name in [column, *names]:
                out.setdefault(fold(name), column)
        return out


SCHEMAS: dict[str, Schema] = {
    MEMBERS: Schema(
        MEMBERS,
        {
            "card": _CARD,
            "name": _NAME,
            "birth_date": ["ngày sinh", "năm sinh", "ngày tháng năm sinh", "sinh ngày", "ngày, tháng, năm sinh"],
            "gender": ["giới tính", "giới", "nam/nữ", "nam nữ"],
            "chi_bo": _CHI_BO,
            "co_so": [
                "đảng bộ cơ sở", "tổ chức cơ sở đảng", "TCCS", "đảng bộ, chi bộ cơ sở", "cơ sở đảng",
                "đảng bộ/chi bộ cơ sở", "chi bộ cơ sở", "đảng bộ", "đảng bộ bộ phận",
            ],
            "xa": [
                "đảng bộ xã", "đảng bộ xã/phường", "đảng bộ xã, phường", "đảng bộ cấp xã", "xã/phường",
                "xã phường", "đảng bộ phường", "đảng bộ trực thuộc", "đảng bộ cấp trên",
            ],
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
