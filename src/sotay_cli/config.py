"""sotay.toml: who issues the documents, where the exports are, column names, rules and targets."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .problems import InputError

CONFIG_NAME = "sotay.toml"
INPUT_KINDS = ("members", "usage", "meetings", "units")


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
        return str(path if path.is_absolute() else self.base / path)

    @property
    def root_name(self) -> str:
        return self.organisation.get("root") or "Toàn đảng bộ"


def load_config(path: str | Path | None = None) -> Config:
    """Read sotay.toml (given, or in the current folder); without one, the shipped sample's."""
    if path is None:
        local = Path.cwd() / CONFIG_NAME
        if local.exists():
            path = local
        else:
            config = _read(sample_dir() / CONFIG_NAME)
            config.is_sample = True
            return config
    return _read(Path(path))


def _read(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: không tìm thấy tệp cấu hình.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: tệp cấu hình sai cú pháp TOML ({exc}).") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: tệp cấu hình phải lưu dạng UTF-8.") from exc
    known = {f for f in Config.__dataclass_fields__ if f not in ("path", "is_sample")}
    unknown = set(data) - known
    if unknown:
        raise InputError(f"{path}: mục không hợp lệ trong cấu hình: {', '.join(sorted(unknown))}.")
    return Config(path=path.resolve(), **data)
