"""`sotay init`: a commented sotay.toml for one Party body and the templates copied for editing.

The file is written with tomlkit from the schema in config.py: every key appears with its comment and
its default; a key without a default is shown commented out with an example.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import BaseModel
from tomlkit.items import Table

from .atomic import write_bytes
from .ingest.schema import COLUMN_LABELS
from .config import CONFIG_NAME, LEVELS, METRIC_DOCS, TAG_WORDS, Settings
from .domain import TAGS
from .places import Place
from .render.templating import SUFFIX, shipped_templates
from .targets import DEFAULT_TARGETS


class AlreadyThere(Exception):
    """sotay.toml exists and --force was not given."""


INTROS = {
    "organisation": "Đơn vị: cây tổ chức và phần đầu văn bản theo Hướng dẫn 36-HD/VPTW.",
    "signature": "Khối chữ ký bên phải cuối văn bản.",
    "inputs": "Tệp xuất, tính từ thư mục chứa tệp này; {period} được thay bằng kỳ báo cáo (ví dụ 2026-06). "
              "Dùng \"-\" để đọc từ đầu vào chuẩn. Bỏ dòng nào không có.",
    "columns": "Tên cột lạ trong tệp xuất -> cột sotay hiểu. Cột sotay hiểu: {columns}.",
    "rules": "Quy tắc tính số liệu.",
    "targets": "Chỉ tiêu: tỷ lệ 0–1 (0.95), hoặc 0–100 (95 nghĩa là 95%), hoặc false (không đặt chỉ tiêu). Nguồn: "
               "thông báo phân công của Ban Thường vụ Đảng ủy xã (trên 95% đảng viên truy cập, sử dụng ứng dụng; "
               "100% chi bộ sinh hoạt định kỳ, chuyên đề trên ứng dụng; 100% đảng viên ở tổ chức đảng trong cơ quan "
               "nhà nước); công văn của Ban Thường vụ Tỉnh ủy (03 đảng bộ lực lượng vũ trang không tính vào chỉ tiêu "
               "chi bộ sinh hoạt trên ứng dụng).",
    "history": "Lịch sử số liệu các kỳ (để so sánh với kỳ trước và dự báo).",
    "report": "Mẫu văn bản.",
}
WIDTH = 110


def _comments(container, text: str) -> None:
    """`text` as comment lines no wider than WIDTH."""
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > WIDTH - 2:
            container.add(tomlkit.comment(line))
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        container.add(tomlkit.comment(line))


def _commented_out(container, data: dict[str, Any]) -> None:
    """A setting shown but not in force: rendered by tomlkit, each line behind a '#'."""
    for line in tomlkit.dumps(data).strip().splitlines():
        container.add(tomlkit.comment(line))


def _section(model: type[BaseModel], values: dict[str, Any], intro: str) -> Table:
    """A table with every key of `model`: its comment, then the value given, the default, or the
    commented-out example when the key has no default."""
    table = tomlkit.table()
    _comments(table, intro)
    table.add(tomlkit.nl())
    for name, info in model.model_fields.items():
        _comments(table, info.description or "")
        value = values.get(name, info.default)
        if value is None:
            _commented_out(table, {name: (info.json_schema_extra or {})["example"]})
        else:
            table.add(name, value)
    return table


def _targets() -> Table:
    targets = tomlkit.table()
    _comments(targets, INTROS["targets"])
    targets.add(tomlkit.nl())
    defaults = {k: v for k, v in DEFAULT_TARGETS.items() if k not in ("levels", "tags", "units", "deadlines")}
    for metric, doc in METRIC_DOCS.items():
        targets.add(tomlkit.comment(doc))
        targets.add(metric, defaults.get(metric, False))
    targets.add(tomlkit.nl())
    _comments(targets, "Chỉ tiêu riêng theo cấp (" + ", ".join(LEVELS) + "), ví dụ:")
    _commented_out(targets, {"targets": {"levels": {"chi_bo": {"meeting_rate": 1.0}}}})
    targets.add(tomlkit.nl())
    _comments(targets, "Chỉ tiêu riêng theo nhãn trong danh mục tổ chức đảng: "
              + "; ".join(f"{tag} ({TAG_WORDS.get(tag, tag)})" for tag in TAGS) + ".")
    tags = tomlkit.table(is_super_table=True)
    for tag, rules in DEFAULT_TARGETS.get("tags", {}).items():
        table = tomlkit.table()
        for metric, value in rules.items():
            table.add(metric, value)
        tags.add(tag, table)
    targets.add("tags", tags)
    targets.add(tomlkit.nl())
    _comments(targets, "Chỉ tiêu riêng cho từng đơn vị (theo tên hoặc mã), ví dụ:")
    _commented_out(targets, {"targets": {"units": {"Chi bộ thôn Đông": {"installed_rate": 1.0}}}})
    targets.add(tomlkit.nl())
    _comments(targets, "Hạn đạt từng chỉ tiêu (ghi ngày dạng 2026-07-31): nhắc \"cần thêm N đảng viên cài đặt "
              "trước ngày …\" cho đơn vị chưa đạt. Ví dụ:")
    _commented_out(targets, {"targets": {"deadlines": {"installed_rate": tomlkit.date("2026-07-31")}}})
    return targets


def config_document(place: Place, signer: str = "", position: str = "PHÓ BÍ THƯ", inputs: dict | None = None,
                    templates: bool = True) -> tomlkit.TOMLDocument:
    """The commented sotay.toml of `place`; `inputs` instead of the usual folders, and without a templates
    folder of its own when `templates` is off (the shipped ones are used)."""
    fields = Settings.model_fields
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"Cấu hình sotay cho {place.issuer_title}."))
    doc.add(tomlkit.comment("Sửa bằng bất kỳ trình soạn thảo nào (lưu dạng UTF-8). Dòng bắt đầu bằng # là chú "
                            "thích; bỏ dấu # để dùng dòng đó."))
    doc.add(tomlkit.nl())
    example = tomlkit.dumps({"recipients": ["Như trên", "Thường trực Đảng ủy", "Lưu Văn phòng Đảng ủy"]}).strip()
    _comments(doc, fields["recipients"].description)
    doc.add(tomlkit.comment(f"Ví dụ: {example}"))
    doc.add("recipients", tomlkit.array())
    given = {
        "organisation": {"root": place.root, "level": place.level, "superior": place.superior,
                         "issuer": place.issuer, "issuer_title": place.issuer_title, "place": place.place_name,
                         "code": place.code},
        # a xã's Ban Thường vụ signs through a deputy secretary; the province's Ban Tổ chức through a deputy head
        "signature": ({"position": position, "name": signer} if place.ward else
                      {"on_behalf": "K/T TRƯỞNG BAN", "position": "PHÓ TRƯỞNG BAN", "name": signer}),
        "inputs": inputs or {"members": "du-lieu/dang-vien.xlsx", "usage": "du-lieu/{period}/tai-khoan.xlsx",
                             "meetings": "du-lieu/{period}/sinh-hoat.xlsx"},
        "report": {"templates": "templates"} if templates else {},
    }
    for name, info in fields.items():
        if name == "recipients":
            continue
        if name == "columns":
            table = tomlkit.table()
            _comments(table, INTROS["columns"].format(columns=", ".join(COLUMN_LABELS)) + " Ví dụ:")
            _commented_out(table, {"Mã thẻ Đảng": "card"})
        elif name == "targets":
            table = _targets()
        else:
            table = _section(info.annotation, given.get(name, {}), INTROS[name])
        doc.add(name, table)
    return doc


def config_text(place: Place, signer: str = "", position: str = "PHÓ BÍ THƯ", **options) -> str:
    return tomlkit.dumps(config_document(place, signer, position, **options))


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
