"""`sotay web`: the page for the office, served from this computer."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape

from .common import command, err, fail


@command()
def web(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Cổng (0: một cổng trống bất kỳ).")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Địa chỉ lắng nghe. Mặc định 127.0.0.1: chỉ máy này mở "
                                      "được trang; địa chỉ khác cho máy khác trong mạng mở được.")] = "127.0.0.1",
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Không tự mở trình duyệt.")] = False,
    max_upload: Annotated[float, typer.Option("--max-upload", min=1, help="Tổng dung lượng tệp gửi lên một lần, "
                                              "tính bằng MB.")] = 200,
    folder: Annotated[Optional[str], typer.Option("--dir", help="Thư mục có sotay.toml (mặc định: thư mục "
                                                  "hiện tại).")] = None,
) -> None:
    """Mở trang làm báo cáo trên trình duyệt: chọn tệp xuất, chọn kỳ, xem số liệu và tải văn bản.

    Trang chạy trên máy này; không tệp nào gửi đi đâu. Tắt bằng Ctrl+C.
    """
    from pathlib import Path

    from ..web.server import ServeError, is_loopback, serve

    if not is_loopback(host):
        err.print(f"[bold yellow]Cảnh báo:[/bold yellow] trang lắng nghe trên {escape(host)}: máy khác trong mạng mở được "
                  "trang và xem số liệu, văn bản. Chỉ dùng trong mạng tin cậy; bỏ --host để chỉ máy này mở được.",
                  highlight=False)
    workdir = Path(folder) if folder else Path.cwd()
    if not workdir.is_dir():
        raise fail(f"--dir {folder}: không phải thư mục.")

    def ready(url: str) -> None:
        err.print(f"sotay web đang chạy: [bold]{escape(url)}[/bold] — tắt bằng Ctrl+C.", highlight=False)

    try:
        serve(host, port, max_upload, not no_browser, workdir.resolve(), ready)
    except ServeError as exc:
        raise fail(str(exc))
    except KeyboardInterrupt:
        pass
    err.print("Đã tắt sotay web; các tệp tạm của trang đã được xóa.", highlight=False)
