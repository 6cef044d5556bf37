"""`sotay init`: a commented sotay.toml for one Party body and the templates copied for editing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .atomic import write_bytes
from .config import CONFIG_NAME
from .places import Place
from .render.templating import SUFFIX, shipped_templates


class AlreadyThere(Exception):
    """sotay.toml exists and --force was not given."""


def _q(text: str) -> str:
    """A TOML basic string (JSON's escaping is valid TOML for these names)."""
    return json.dumps(text, ensure_ascii=False)


def config_text(place: Place, signer: str = "", position: str = "PHÓ BÍ THƯ") -> str:
    return f"""# Cấu hình sotay cho {place.issuer_title}.
# Sửa bằng bất kỳ trình soạn thảo nào (lưu dạng UTF-8). Dòng bắt đầu bằng # là chú thích.

# Nơi nhận chung cho mọi văn bản; bỏ dấu # để dùng thay danh sách "Nơi nhận:" trong từng mẫu.
# recipients = ["Như trên", "Thường trực Đảng ủy", "Lưu Văn phòng Đảng ủy"]

[organisation]
# Tên đảng bộ gốc của cây tổ chức (như trong danh sách đảng viên) và cấp của nó: "xa" hoặc "tinh".
root = {_q(place.root)}
level = {_q(place.level)}
# Phần đầu văn bản theo Hướng dẫn 36-HD/VPTW: cơ quan cấp trên, cơ quan ban hành, tên dùng trong câu văn,
# địa danh ghi trước ngày tháng, ký hiệu cơ quan ban hành trong số văn bản (25-CV/ĐU).
superior = {_q(place.superior)}
issuer = {_q(place.issuer)}
issuer_title = {_q(place.issuer_title)}
place = {_q(place.place_name)}
code = {_q(place.code)}

[signature]
# Khối chữ ký bên phải cuối văn bản.
on_behalf = "T/M BAN THƯỜNG VỤ"
position = {_q(position)}
name = {_q(signer)}

[inputs]
# Tệp xuất, tính từ thư mục chứa tệp này; {{period}} được thay bằng kỳ báo cáo (ví dụ 2026-06).
# Dùng "-" để đọc từ đầu vào chuẩn. Bỏ dòng nào không có.
members = "du-lieu/dang-vien.xlsx"
usage = "du-lieu/{{period}}/tai-khoan.xlsx"
meetings = "du-lieu/{{period}}/sinh-hoat.xlsx"
# units = "du-lieu/to-chuc.xlsx"

[columns]
# Tên cột lạ trong tệp xuất -> cột sotay hiểu, ví dụ:
# "Mã thẻ Đảng" = "card"

[rules]
# Làm tròn tỷ lệ khi hiển thị: "half-up" (làm tròn, mặc định) hoặc "truncate" (cắt bỏ như một số cấp trên).
rounding = "half-up"
# Đảng viên "sử dụng thường xuyên": có truy cập trong kỳ, hoặc ít nhất min_accesses lượt khi có cột số lượt.
min_accesses = 1
# true: mẫu số chỉ gồm đảng viên có điện thoại thông minh (khi danh sách có cột này).
smartphone_only = false

[targets]
# Chỉ tiêu (tỷ lệ 0–1). Nguồn: thông báo phân công của Ban Thường vụ Đảng ủy xã (trên 95% đảng viên truy cập,
# sử dụng ứng dụng; 100% chi bộ sinh hoạt định kỳ, chuyên đề trên ứng dụng; 100% đảng viên ở tổ chức đảng trong
# cơ quan nhà nước); công văn của Ban Thường vụ Tỉnh ủy (03 đảng bộ lực lượng vũ trang không tính vào chỉ tiêu
# chi bộ sinh hoạt trên ứng dụng). Có thể đặt riêng theo cấp ([targets.levels.chi_bo]), theo nhãn
# ([targets.tags.state_agency]) hoặc từng đơn vị ([targets.units."Chi bộ thôn Đông"]).
installed_rate = 0.95
active_rate = 0.95
meeting_rate = 1.0

[targets.tags.state_agency]
installed_rate = 1.0
active_rate = 1.0

[targets.tags.armed_forces]
meeting_rate = false

[history]
# Tệp SQLite lưu số liệu các kỳ; bỏ trống để dùng thư mục dữ liệu của người dùng.
# path = "lich-su.sqlite"

[report]
# Thư mục mẫu văn bản đã sao chép để sửa; mẫu ở đây được dùng thay mẫu có sẵn cùng tên.
templates = "templates"
"""


def init(folder: Path, place: Place, signer: str = "", force: bool = False) -> list[Path]:
    """Write `folder/sotay.toml` and copy the shipped templates to `folder/templates/` (edited
    templates already there are kept). Returns the files written."""
    config = folder / CONFIG_NAME
    if config.exists() and not force:
        raise AlreadyThere(str(config))
    written = []
    write_bytes(config, config_text(place, signer).encode("utf-8"))
    written.append(config)
    target = folder / "templates"
    target.mkdir(parents=True, exist_ok=True)
    for template in sorted(shipped_templates().glob("*" + SUFFIX)):
        copy = target / template.name
        if copy.exists():
            continue
        shutil.copyfile(template, copy)
        written.append(copy)
    return written
