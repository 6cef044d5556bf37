"""sotay.toml: who issues the documents, where the exports are, column names, rules and targets.

One pydantic schema checks the whole file; a mistake becomes one Vietnamese line that names the key,
its section and what is expected, never a pydantic dump.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from .ingest.schema import COLUMN_LABELS
from .domain import LEVEL_NAMES, LEVELS, TINH, XA
from .metrics import RATES
from .domain import TAGS
from .problems import InputError

CONFIG_NAME = "sotay.toml"

ROUNDINGS = ("half-up", "truncate")
QUARTER_RULES = ("every-month", "any-month", "last-month")
TEXT = "chữ trong ngoặc kép"
PATH = "đường dẫn tệp trong ngoặc kép, ví dụ \"du-lieu/{period}/tai-khoan.xlsx\""
FLAG = "true hoặc false"


def _key(default: Any, expect: str, doc: str, example: Any = None, **constraints: Any) -> Any:
    """A schema field: `doc` is the comment `sotay init` writes above it, `expect` ends the error message
    ("… phải là <expect>"), `example` is written commented out when there is no default."""
    return Field(default, description=doc, json_schema_extra={"expect": expect, "example": example}, **constraints)


def _one_of(values) -> str:
    quoted = [f'"{v}"' for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " hoặc " + quoted[-1]


class _Section(BaseModel):
    """Every table of sotay.toml: no unknown key, no type coerced (`"1"` is not 1, `true` is not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Organisation(_Section):
    root: Optional[str] = _key(None, "tên đảng bộ gốc trong ngoặc kép, ví dụ \"Đảng bộ xã Hoa Lộc\"",
                               "Tên đảng bộ gốc của cây tổ chức, như trong danh sách đảng viên.",
                               "Đảng bộ xã Hoa Lộc")
    level: Optional[Literal[XA, TINH]] = _key(None, _one_of((XA, TINH)),
                                              "Cấp của đảng bộ gốc: \"xa\" hoặc \"tinh\".", XA)
    superior: Optional[str] = _key(None, TEXT, "Cơ quan cấp trên (dòng đầu bên trái văn bản, Hướng dẫn "
                                   "36-HD/VPTW).", "ĐẢNG BỘ TỈNH THANH HÓA")
    issuer: Optional[str] = _key(None, TEXT, "Cơ quan ban hành (viết hoa).", "ĐẢNG ỦY XÃ HOA LỘC")
    issuer_title: Optional[str] = _key(None, TEXT, "Tên cơ quan ban hành dùng trong câu văn.",
                                       "Đảng ủy xã Hoa Lộc")
    place: Optional[str] = _key(None, TEXT, "Địa danh ghi trước ngày tháng.", "Hoa Lộc")
    code: str = _key("ĐU", TEXT, "Ký hiệu cơ quan ban hành trong số văn bản (25-CV/ĐU).")


class Signature(_Section):
    on_behalf: str = _key("T/M BAN THƯỜNG VỤ", TEXT, "Dòng thẩm quyền ký.")
    position: str = _key("PHÓ BÍ THƯ", TEXT, "Chức vụ người ký.")
    name: str = _key("", TEXT, "Họ tên người ký.")


class Inputs(_Section):
    members: Optional[str] = _key(None, PATH, "Danh sách đảng viên.", "du-lieu/dang-vien.xlsx")
    usage: Optional[str] = _key(None, PATH, "Danh sách tài khoản ứng dụng (cài đặt, truy cập).",
                                "du-lieu/{period}/tai-khoan.xlsx")
    meetings: Optional[str] = _key(None, PATH, "Sinh hoạt chi bộ trên ứng dụng.", "du-lieu/{period}/sinh-hoat.xlsx")
    units: Optional[str] = _key(None, PATH, "Danh mục tổ chức đảng (cây đơn vị, nhãn lực lượng vũ trang, cơ quan "
                                "nhà nước).", "du-lieu/to-chuc.xlsx")


class Rules(_Section):
    rounding: Literal[tuple(ROUNDINGS)] = _key(
        "half-up", _one_of(ROUNDINGS),
        "Làm tròn tỷ lệ khi hiển thị: \"half-up\" (làm tròn) hoặc \"truncate\" (cắt bỏ, như một số cấp trên).")
    min_accesses: int = _key(1, "số nguyên từ 1 trở lên",
                             "Đảng viên \"sử dụng thường xuyên\": có truy cập trong kỳ, hoặc ít nhất chừng ấy lượt "
                             "khi tệp xuất có cột số lượt truy cập.", ge=1)
    smartphone_only: bool = _key(False, FLAG, "true: mẫu số chỉ gồm đảng viên có điện thoại thông minh (khi danh "
                                 "sách có cột này).")
    strict_targets: bool = _key(False, FLAG, "true: chỉ tiêu là \"trên X%\" (phải vượt X%); false: \"đạt X%\" "
                                "(từ X% trở lên).")
    quarter_active: Literal[tuple(QUARTER_RULES)] = _key(
        "every-month", _one_of(QUARTER_RULES),
        "Báo cáo quý, năm: đảng viên sử dụng thường xuyên khi sử dụng \"every-month\" (mọi tháng có tệp xuất), "
        "\"any-month\" (ít nhất một tháng) hoặc \"last-month\" (tháng cuối có tệp xuất).")
    stale_days: int = _key(20, "số ngày, nguyên, từ 0 trở lên",
                           "Cảnh báo tệp tài khoản cũ khi ngày truy cập, kích hoạt mới nhất trong tệp sớm hơn cuối kỳ "
                           "quá chừng ấy ngày.", ge=0)


def _target(value: Any) -> Any:
    if value is False:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise ValueError("not a target")
    return value


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        raise ValueError("a date, not a time")
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("not a date") from None
    return value


Target = Annotated[Any, AfterValidator(_target)]
Deadline = Annotated[dt.date, BeforeValidator(_date)]
TARGET = "tỷ lệ từ 0 đến 1 (0.95), từ 0 đến 100 (95 nghĩa là 95%) hoặc false (không đặt chỉ tiêu)"
DEADLINE = "một ngày dạng 2026-07-31"
METRIC_DOCS = {
    "installed_rate": "Tỷ lệ đảng viên đã cài đặt ứng dụng.",
    "active_rate": "Tỷ lệ đảng viên sử dụng thường xuyên.",
    "active_of_installed": "Tỷ lệ sử dụng thường xuyên trên số đã cài đặt.",
    "attendance_rate": "Tỷ lệ đảng viên dự sinh hoạt chi bộ trên ứng dụng.",
    "meeting_rate": "Tỷ lệ chi bộ sinh hoạt định kỳ trên ứng dụng đủ các tháng.",
}
LEVEL_WORDS = {level: name.lower() for level, name in LEVEL_NAMES.items()}
LEVEL_DOCS = {level: f"Chỉ tiêu riêng cho cấp {LEVEL_WORDS.get(level, level)}." for level in LEVELS}
TAG_WORDS = {"armed_forces": "lực lượng vũ trang", "state_agency": "tổ chức đảng trong cơ quan nhà nước",
             "excluded": "đơn vị không tính chỉ tiêu"}
TAG_DOCS = {tag: f"Chỉ tiêu riêng cho nhãn {tag} ({TAG_WORDS.get(tag, tag)})." for tag in TAGS}

Metrics = create_model("Metrics", __base__=_Section,
                       **{m: (Optional[Target], _key(None, TARGET, METRIC_DOCS.get(m, m), 0.95)) for m in RATES})
Deadlines = create_model("Deadlines", __base__=_Section,
                         **{m: (Optional[Deadline], _key(None, DEADLINE, METRIC_DOCS.get(m, m), dt.date(2026, 7, 31)))
                            for m in RATES})
SECTION = "một mục (bảng các khóa)"
Levels = create_model("Levels", __base__=_Section,
                      **{lv: (Optional[Metrics], _key(None, SECTION, LEVEL_DOCS[lv])) for lv in LEVELS})
Tags = create_model("Tags", __base__=_Section,
                    **{tag: (Optional[Metrics], _key(None, SECTION, TAG_DOCS.get(tag, tag))) for tag in TAGS})


class Targets(Metrics):
    levels: Optional[Levels] = _key(None, SECTION, "Chỉ tiêu riêng theo cấp: " + ", ".join(LEVELS) + ".")
    tags: Optional[Tags] = _key(None, SECTION, "Chỉ tiêu riêng theo nhãn: " + ", ".join(TAGS) + ".")
    units: Optional[dict[str, Metrics]] = _key(None, SECTION, "Chỉ tiêu riêng cho từng đơn vị (theo tên hoặc mã).")
    deadlines: Optional[Deadlines] = _key(None, SECTION, "Hạn đạt chỉ tiêu, theo từng chỉ tiêu.")


Column = Literal[tuple(COLUMN_LABELS)]
COLUMN = "tên cột của sotay, một trong: " + ", ".join(COLUMN_LABELS)


class History(_Section):
    path: Optional[str] = _key(None, "đường dẫn tệp trong ngoặc kép, ví dụ \"lich-su.sqlite\"",
                               "Tệp SQLite lưu số liệu các kỳ; bỏ trống để dùng thư mục dữ liệu của người dùng.",
                               "lich-su.sqlite")


class Report(_Section):
    templates: Optional[str] = _key(None, "đường dẫn thư mục trong ngoặc kép, ví dụ \"templates\"",
                                    "Thư mục mẫu văn bản đã sao chép để sửa; mẫu ở đây được dùng thay mẫu có sẵn "
                                    "cùng tên.", "templates")


RECIPIENTS = 'một danh sách chữ trong ngoặc kép, ví dụ recipients = ["Ban Tổ chức Tỉnh ủy", "Lưu VP"]'


class Settings(_Section):
    """The whole of sotay.toml."""

    recipients: list[str] = _key([], RECIPIENTS, "Nơi nhận chung cho mọi văn bản; để trống thì dùng danh sách "
                                 "\"Nơi nhận:\" trong từng mẫu.")
    organisation: Organisation = _key(Organisation(), SECTION, "Đơn vị.")
    signature: Signature = _key(Signature(), SECTION, "Người ký.")
    inputs: Inputs = _key(Inputs(), SECTION, "Tệp xuất.")
    columns: dict[str, Column] = _key({}, COLUMN, "Tên cột lạ trong tệp xuất -> cột sotay hiểu.")
    rules: Rules = _key(Rules(), SECTION, "Quy tắc tính.")
    targets: Targets = _key(Targets(), SECTION, "Chỉ tiêu.")
    history: History = _key(History(), SECTION, "Lịch sử.")
    report: Report = _key(Report(), SECTION, "Văn bản.")

    def sections(self) -> dict[str, Any]:
        """The plain dicts `Config` keeps: defaults filled in, keys without a default left out, targets as
        written (targets.py merges them with its own defaults)."""
        out = {name: getattr(self, name).model_dump(exclude_none=True)
               for name in ("organisation", "signature", "inputs", "rules", "history", "report")}
        out["targets"] = self.targets.model_dump(exclude_unset=True)
        return out | {"recipients": list(self.recipients), "columns": dict(self.columns)}


def sample_dir() -> Path:
    """The shipped sample commune: `sample_data/` of a checkout, or the copy inside the wheel."""
    here = Path.cwd() / "sample_data"
    if (here / CONFIG_NAME).exists():
        return here
    packaged = Path(str(resources.files("sotay_cli") / "sample_data"))
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[2] / "sample_data"


@dataclass
class Config:
    """sotay.toml as plain dicts, checked by the schema and with its defaults filled in (also when built
    by hand), so `rules["quarter_active"]` always exists."""

    path: Path | None = None
    organisation: dict[str, Any] = field(default_factory=dict)
    signature: dict[str, Any] = field(default_factory=dict)
    recipients: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    rules: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    is_sample: bool = False

    def __post_init__(self) -> None:
        given = {name: getattr(self, name) for name in Settings.model_fields}
        label = self.path.name if self.path else CONFIG_NAME
        for name, value in validate(given, label).sections().items():
            setattr(self, name, value)

    @property
    def base(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def input_path(self, kind: str, period: str | None = None) -> str | None:
        """The configured file for `kind`, with `{period}` filled in, relative to sotay.toml."""
        value = self.inputs.get(kind)
        if not value:
            return None
        if period is not None:
            value = value.replace("{period}", period)
        if value == "-":
            return value
        path = Path(value)
        return os.path.normpath(path if path.is_absolute() else self.base / path)

    @property
    def root_name(self) -> str:
        return self.organisation.get("root") or "Toàn đảng bộ"


def load_config(path: str | Path | None = None, inputs_given: bool = False) -> Config:
    """sotay.toml given, or in the current folder. Without one: the shipped sample when no input was given
    on the command line, else an empty configuration (the sample never mixes with the user's files)."""
    if path is not None:
        return _read(Path(path), str(path))
    local = Path.cwd() / CONFIG_NAME
    if local.exists():
        return _read(local, CONFIG_NAME)
    if inputs_given:
        return Config()
    config = _read(sample_dir() / CONFIG_NAME, CONFIG_NAME)
    config.is_sample = True
    return config


def _read(path: Path, label: str) -> Config:
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad may save a BOM in front
        data = tomllib.loads(text)
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise InputError(f"{label}: không tìm thấy tệp cấu hình.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(_syntax_error(label, text, str(exc))) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: tệp cấu hình phải lưu dạng UTF-8.") from exc
    return Config(path=path.resolve(), **validate(data, label).sections())


# tomllib's messages (Python 3.11-3.13), in the user's words; the rest are said without a reason
_TOML_REASONS = [
    ("Invalid value", "giá trị không hợp lệ: chữ phải trong ngoặc kép, ví dụ rounding = \"half-up\"; số, "
                      "true/false thì không; danh sách [..] phải đóng bằng ]"),
    ("Unclosed array", "danh sách mở bằng [ chưa đóng bằng ]"),
    ("Unclosed inline table", "bảng mở bằng { chưa đóng bằng }"),
    ("Unterminated string", "chữ mở ngoặc kép chưa đóng ngoặc kép"),
    ("Illegal character", "chữ mở ngoặc kép chưa đóng ngoặc kép trên cùng dòng, hoặc có ký tự không được phép"),
    ("Unescaped '\\' in a string", "dấu \\ trong chữ ngoặc kép"),
    ("Expected '=' after a key", "thiếu dấu = giữa tên khóa và giá trị"),
    ("Expected ']' at the end of a table declaration", "tên mục thiếu dấu ] đóng, ví dụ [rules]"),
    ("Expected ']]' at the end of an array declaration", "thiếu ]] đóng"),
    ("Expected newline or end of document after a statement", "mỗi khóa phải trên một dòng riêng"),
    ("Invalid statement", "dòng không phải khóa = giá trị, cũng không phải tên mục [..]"),
    ("Invalid initial character for a key part", "tên khóa bắt đầu bằng ký tự không được phép"),
    ("Invalid date or datetime", "ngày không hợp lệ, ví dụ 2026-07-31"),
    ("Cannot overwrite a value", "khóa này đã có giá trị ở trên"),
    ("Cannot declare", "mục hoặc khóa này đã khai báo ở trên"),
    ("Cannot redefine namespace", "mục hoặc khóa này đã khai báo ở trên"),
    ("Cannot mutate immutable namespace", "mục hoặc khóa này đã khai báo ở trên"),
    ("Duplicate inline table key", "khóa lặp lại trong cùng một bảng"),
]
_WINDOWS_PATHS = (" Đường dẫn Windows có dấu \\: ghi trong nháy đơn ('D:\\Du lieu\\dang-vien.xlsx') hoặc dùng dấu / "
                  "(\"D:/Du lieu/dang-vien.xlsx\").")


def _syntax_error(label: str, text: str, message: str) -> str:
    """tomllib's error as "sotay.toml, dòng 5, cột 9: sai cú pháp TOML (reason)". Its position is in the
    message only ("(at line 5, column 9)", "(at end of document)") before Python 3.14."""
    where = re.search(r"line (\d+), column (\d+)", message)
    if where:
        at = f"dòng {where[1]}, cột {where[2]}"
    elif "end of document" in message:
        lines = text.rstrip().splitlines() or [""]
        at = f"cuối tệp (dòng {len(lines)})"
    else:
        at = ""
    reason = next((said for english, said in _TOML_REASONS if message.startswith(english)), None)
    hint = _WINDOWS_PATHS if "escape" in message.lower() or "\\" in message else ""
    return (f"{label}{', ' + at if at else ''}: sai cú pháp TOML{f' ({reason})' if reason else ''}.{hint}")


def validate(data: dict[str, Any], label: str = CONFIG_NAME) -> Settings:
    """The schema applied to parsed TOML; InputError with one line for the first mistake."""
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        more = f" Còn {len(errors) - 1} lỗi khác." if len(errors) > 1 else ""
        raise InputError(f"{label}: {_explain(errors[0])}{more}") from None


def _explain(error: dict) -> str:
    """One error of pydantic's, in the user's words: the key with its section and what is expected."""
    loc = [part for part in error["loc"] if not isinstance(part, int)]
    item = [part for part in error["loc"] if isinstance(part, int)]  # a list's item: the list is named
    *tables, key = loc
    annotation, info = Settings, None
    for part in tables:
        annotation, info = _step(annotation, info, part)
    section = _table(tables) if tables else ""
    if error["type"] == "extra_forbidden":
        parent = _model(annotation)
        known = list(parent.model_fields) if parent else []
        guess = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        if isinstance(error["input"], dict):  # a misspelt table
            hint = f"có phải {_table([*tables, guess[0]])}?" if guess else f"các mục có: {', '.join(known)}."
            return f"mục {_table([*tables, key])} không có; {hint}"
        hint = f"có phải '{guess[0]}'?" if guess else f"các khóa có: {', '.join(known)}."
        return f"khóa '{key}'{' trong ' + section if section else ''} không có; {hint}"
    annotation, info = _step(annotation, info, key)
    if _model(annotation) is not None:
        expect = f"một mục {_table([*tables, key])} (bảng các khóa)"
    else:
        expect = (info.json_schema_extra or {}).get("expect", "") if info else ""
    hint = ""
    if error["type"] == "literal_error" and isinstance(error["input"], str):
        allowed = [str(a) for a in typing.get_args(_unwrap(annotation))]
        guess = difflib.get_close_matches(error["input"], allowed, n=1, cutoff=0.6)
        hint = f" Có phải '{guess[0]}'?" if guess else ""
    name = f"{section} {_bare(key)}" if section else _bare(key)
    shown = _shown(error["input"]) + (f" (mục thứ {item[0] + 1})" if item else "")
    return f"{name} phải là {expect}, không phải {shown}.{hint}"


def _table(parts: list) -> str:
    return "[" + ".".join(map(_bare, parts)) + "]"


def _step(annotation: Any, info: Any, key: Any) -> tuple[Any, Any]:
    """The type one key further down, and the field that describes it (a dict's values: the dict's field)."""
    model = _model(annotation)
    if model is not None:
        found = model.model_fields.get(key)
        return (found.annotation, found) if found else (None, None)
    inner = _unwrap(annotation)
    if typing.get_origin(inner) is dict:
        return typing.get_args(inner)[1], info
    return None, info


def _unwrap(annotation: Any) -> Any:
    """`Optional[X]` -> X."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _model(annotation: Any) -> type[BaseModel] | None:
    inner = _unwrap(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _bare(key: Any) -> str:
    """A key as TOML writes it: bare when it can be, quoted otherwise."""
    key = str(key)
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "một bảng"
    if isinstance(value, list):
        return "một danh sách"
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)
