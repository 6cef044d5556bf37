"""The page's safety, as ASGI middleware: only the Host names of this server (DNS rebinding), a request
body no larger than the limit (413 with a Vietnamese page, the body read to its end first so the browser
sees the answer), and headers that keep the page to itself (no script, style or frame from elsewhere)."""

from __future__ import annotations

import ipaddress
from typing import Callable

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARDS = ("0.0.0.0", "::", "")
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                 b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
Page = Callable[[int, str, str], bytes]  # status, title, message -> the HTML of a page


def host_literal(host: str) -> str:
    """`host` as a Host header writes it: an IPv6 address in brackets."""
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host headers this server answers: the loopback names and the --host given, with the port."""
    names = set(LOOPBACK_NAMES) | ({host_literal(host)} if host not in WILDCARDS else set())
    return {f"{name}:{port}".lower() for name in names}


def host_allowed(value: str, allowed: set[str], any_ip: bool) -> bool:
    """A Host header of this server. Listening on every interface (0.0.0.0), any IP address with the port
    is fine too: DNS rebinding needs a name, and other machines call this one by its address."""
    value = value.strip().lower()
    if value in allowed:
        return True
    if not any_ip:
        return False
    name, _, port = value.rpartition(":")
    if not name or port != next(iter(allowed)).rpartition(":")[2]:
        return False
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


class TooLarge(Exception):
    pass


class Guard:
    """Host check, body limit and security headers around the app."""

    def __init__(self, app, host: str, port: int, max_body: int, page: Page):
        self.app = app
        self.allowed = allowed_hosts(host, port)
        self.any_ip = host in WILDCARDS
        self.max_body = max_body
        self.page = page

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if not host_allowed(headers.get(b"host", b"").decode("latin-1"), self.allowed, self.any_ip):
            await _drain(receive)
            return await self._answer(send, 400, "Địa chỉ không được phép",
                                      "Trang sotay chỉ mở được từ chính máy này, theo địa chỉ in ra khi chạy lệnh "
                                      "sotay web (ví dụ http://127.0.0.1:8765).")
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _drain(receive)
            return await self._too_large(send)

        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    if message.get("more_body"):
                        await _drain(receive)
                    raise TooLarge
            return message

        started = False

        async def secured(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, counted, secured)
        except TooLarge:
            if started:
                raise
            await self._too_large(send)

    async def _too_large(self, send):
        mb = self.max_body / (1024 * 1024)
        shown = f"{mb:g}".replace(".", ",")
        await self._answer(send, 413, "Tệp quá lớn",
                           f"Các tệp gửi lên vượt giới hạn {shown} MB. Chọn ít tệp hơn, hoặc chạy lại với giới hạn "
                           f"lớn hơn: sotay web --max-upload {max(2 * int(mb), 1)}")

    async def _answer(self, send, status: int, title: str, message: str):
        body = self.page(status, title, message)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
                                *SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": body})


async def _drain(receive) -> None:
    """Read the rest of the request body: a browser still sending a large file shows a connection error
    instead of the answer when the server stops reading."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return
