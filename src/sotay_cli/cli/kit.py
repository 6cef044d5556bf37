"""`sotay kit`: the offline install kit for the Windows PCs of commune offices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import app, command, err, fail, out


@command()
def kit(
    output: Annotated[Path, typer.Option("--output", "-o", help="Thư mục ghi bộ cài (sẽ được tạo).")],
    windows: Annotated[bool, typer.Option("--windows", help="Bộ cài cho máy Windows 64-bit (hiện chỉ có loại "
                                          "này).")] = False,
    python: Annotated[Optional[list[str]], typer.Option("--python", help="Phiên bản Python trên máy sẽ cài; lặp "
                                                        "lại để chọn nhiều (mặc định: mọi bản được hỗ trợ).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Cập nhật bộ cài trong thư mục đã có tệp (gói đã tải "
                                        "được dùng lại).")] = False,
    source: Annotated[Optional[Path], typer.Option("--source", help="Thư mục mã nguồn sotay (mặc định: tìm từ "
                                                   "thư mục hiện tại).")] = None,
    wheel: Annotated[Optional[Path], typer.Option("--wheel", help="Dùng tệp wheel sotay có sẵn thay vì đóng gói "
                                                  "từ mã nguồn.")] = None,
    find_links: Annotated[Optional[Path], typer.Option("--find-links", help="Lấy các gói từ thư mục này thay vì "
                                                       "tải từ PyPI.")] = None,
) -> None:
    """Tạo bộ cài không cần mạng cho máy Windows của văn phòng: các gói, cai-dat.bat và HUONG-DAN.txt.

    Ví dụ: sotay kit --windows -o bo-cai-sotay   (rồi chép thư mục sang máy Windows)
    """
    from ..atomic import set_rules
    from ..kit import SUPPORTED_PYTHONS, KitError, build_kit

    if not windows:
        raise fail("hiện chỉ tạo được bộ cài cho Windows: thêm --windows.")
    web = "web" in typer.main.get_command(app).commands
    set_rules(True)  # build_kit itself refuses a folder that has files, unless --force
    try:
        made = build_kit(output, pythons=python or SUPPORTED_PYTHONS, source=source, wheel=wheel,
                         find_links=find_links, web=web, force=force,
                         progress=lambda message: err.print(message, highlight=False))
    except KitError as exc:
        raise fail(str(exc))
    counts = ", ".join(f"Python {p}: {n} gói" for p, n in made.packages.items())
    err.print(f"Đã tạo bộ cài {made.wheel.name} ({counts}; {made.size / 1e6:.0f} MB). Chép cả thư mục sang máy "
              "Windows rồi nháy đúp vào cai-dat.bat; hướng dẫn trong HUONG-DAN.txt.", highlight=False)
    out.print(str(made.folder), highlight=False)
