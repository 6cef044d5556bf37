"""Running the page: uvicorn on the loopback (unless told otherwise), the browser opened once it listens."""

from __future__ import annotations

import errno
import socket
import threading
import time
import webbrowser
from pathlib import Path
from typing import Callable

from .app import MB, Options, create_app
from .guard import host_literal

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ServeError(Exception):
    """The server cannot start (the port is taken, the address is not this machine's): said in Vietnamese."""


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host_literal(host)
    return f"http://{shown}:{port}/"


def check_port(host: str, port: int) -> int:
    """The port to listen on (a free one for 0); ServeError when it is taken or the address is not ours."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(f"cổng {port} đang được chương trình khác dùng (có thể là một sotay web khác đang "
                                 f"chạy); chọn cổng khác, ví dụ: sotay web --port {port + 1}") from None
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise ServeError(f"không được dùng cổng {port} (cổng dưới 1024 cần quyền quản trị); chọn cổng khác, "
                                 "ví dụ: sotay web --port 8765") from None
            raise ServeError(f"không mở được địa chỉ {host}:{port} ({exc.strerror}); kiểm tra --host.") from None
        return probe.getsockname()[1]


def serve(host: str = "127.0.0.1", port: int = 8765, max_upload_mb: float = 200, open_browser: bool = True,
          workdir: Path | None = None, ready: Callable[[str], None] = lambda url: None) -> None:
    """Serve until interrupted (Ctrl+C). `ready` is told the address once the server listens."""
    import uvicorn

    port = check_port(host, port)
    options = Options(host, port, int(max_upload_mb * MB), workdir or Path.cwd())
    config = uvicorn.Config(create_app(options), host=host, port=port, log_level="warning", access_log=False,
                            server_header=False, timeout_graceful_shutdown=5, lifespan="on")
    server = uvicorn.Server(config)
    url = url_of(host, port)

    def when_ready() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            ready(url)
            if open_browser:
                webbrowser.open(url)

    threading.Thread(target=when_ready, daemon=True).start()
    server.run()
