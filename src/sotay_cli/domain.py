"""The words of the domain, in one place: levels of the tree, members' statuses, kinds of meeting,
and how each is said in Vietnamese. Code uses the English values; users read the labels."""

from __future__ import annotations

# levels of the organisation tree, from the leaves up
CHI_BO, CO_SO, XA, TINH = "chi_bo", "co_so", "xa", "tinh"
LEVELS = [CHI_BO, CO_SO, XA, TINH]
LEVEL_NAMES = {CHI_BO: "Chi bộ", CO_SO: "Đảng bộ cơ sở", XA: "Đảng bộ xã", TINH: "Đảng bộ tỉnh"}
LEVEL_PLURALS = {CHI_BO: "Các chi bộ", CO_SO: "Các đảng bộ cơ sở", XA: "Các đảng bộ xã", TINH: "Đảng bộ tỉnh"}
LEVEL_OPTIONS = {"chi-bo": CHI_BO, "co-so": CO_SO, "xa": XA, "tinh": TINH}  # as typed after --level

# a member's Party activity
ACTIVE, EXEMPT, LEFT = "active", "exempt", "left"
STATUS_NAMES = {ACTIVE: "đang sinh hoạt", EXEMPT: "miễn sinh hoạt", LEFT: "đã chuyển đi, ra khỏi Đảng"}

# meetings of a chi bộ
REGULAR, THEMATIC = "regular", "thematic"
MEETING_NAMES = {REGULAR: "sinh hoạt định kỳ", THEMATIC: "sinh hoạt chuyên đề"}

# tags a unit can carry (inherited by everything below it)
TAGS = ("armed_forces", "state_agency", "excluded")
TAG_NAMES = {"armed_forces": "lực lượng vũ trang", "state_agency": "cơ quan nhà nước",
             "excluded": "không tính chỉ tiêu"}
