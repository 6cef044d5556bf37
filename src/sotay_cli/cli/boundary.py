"""The one place where failures meet the user: a known failure is a Vietnamese line and exit 2; anything
else is one short line pointing at a saved report (exit 1). Never a traceback on screen.

`Guarded` is the class of the Typer app, so `sotay` itself and tests through CliRunner cross the same
boundary; each command runs in its own context (the output rules of `atomic.set_rules` end with it).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import os
import platform
import re
import secrets
import shlex
import sys
import traceback
import warnings
from pathlib import Path

import typer
from typer.core import TyperCommand, TyperGroup

EXIT_CRASH, EXIT_USAGE = 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


HELP_TEXT = "Xem hướng dẫn này rồi thoát."


class Guarded(TyperGroup):
    def invoke(self, ctx):
        return contextvars.copy_context().run(guarded, functools.partial(super().invoke, ctx))

    def get_help_option(self, ctx):
        return _vietnamese_help(super().get_help_option(ctx))


class Command(TyperCommand):
    """Every sotay command: its --help said in Vietnamese."""

    def get_help_option(self, ctx):
        return _vietnamese_help(super().get_help_option(ctx))


def _vietnamese_help(option):
    if option is not None:
        option.help = HELP_TEXT
    return option


def guarded(call):
    """Run `call`; an exception that is not Typer's own becomes a message and an exit code."""
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return call()
        except usage_errors() as exc:  # a mistake in the command line: said in Vietnamese, exit 2
            if type(exc).__name__ == "NoArgsIsHelpError":  # `sotay` alone: Typer prints the help
                raise
            _say("Lỗi:", usage_message(exc))
            raise typer.Exit(EXIT_USAGE) from None
        except (typer.Exit, typer.Abort, typer.TyperException):  # Typer's own: exits
            raise
        except KeyboardInterrupt:  # Ctrl-C: every file is written through a temporary one, removed on the way out
            _say("Đã dừng", "theo yêu cầu (Ctrl-C): không có tệp nào ghi dở; tệp đã ghi xong trước đó vẫn giữ.")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            raise typer.Exit(handle(exc)) from None


def usage_errors() -> type:
    from typer._click.exceptions import UsageError

    return UsageError


def usage_message(exc) -> str:
    """Click's usage errors (English) as one Vietnamese line."""
    from typer._click import exceptions as cx

    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "sotay"
    see = f" Xem: {command} --help."
    param = getattr(exc, "param", None)
    hint = " / ".join(param.opts) if param is not None and getattr(param, "opts", None) else (
        getattr(exc, "param_hint", None) or "")
    if isinstance(exc, cx.MissingParameter):
        if getattr(param, "param_type_name", "") == "argument" and getattr(param, "help", None):
            return f"thiếu tham số: {param.help.rstrip('.')}.{see}"  # its help, not its English name
        return f"thiếu {hint or 'một tham số bắt buộc'}.{see}"
    if isinstance(exc, cx.NoSuchOption):
        close = [p for p in (exc.possibilities or [])]
        return (f"không có tùy chọn {exc.option_name}" + (f"; có phải {', '.join(close)}?" if close else ".")
                + see)
    text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if isinstance(exc, cx.BadParameter):
        if m := re.search(r"'([^']*)' is not one of (.*?)\.?$", text):
            return f"'{m[1]}' không hợp lệ cho {hint}; chọn một trong: {m[2].replace(chr(39), '')}.{see}"
        if m := re.search(r"'([^']*)' is not a valid (\w+)", text):
            kind = {"integer": "một số nguyên", "int": "một số nguyên", "float": "một số", "boolean": "có hoặc không",
                    "bool": "có hoặc không"}.get(m[2], "giá trị đúng kiểu")
            return f"'{m[1]}' không hợp lệ cho {hint}: cần {kind}.{see}"
        for words, kind in (("valid integer", "một số nguyên"), ("valid number", "một số"),
                            ("greater than or equal", "một số không nhỏ hơn giới hạn"), ("valid boolean", "có/không")):
            if words in text:
                return f"giá trị không hợp lệ cho {hint}: cần {kind}.{see}"
        return f"giá trị không hợp lệ cho {hint}.{see}"
    if m := re.match(r"No such command '([^']*)'", text):
        close = re.search(r"Did you mean '([^']*)'", text)
        return f"không có lệnh '{m[1]}'" + (f"; có phải '{close[1]}'?" if close else ".") + " Xem: sotay --help."
    if m := re.match(r"Got unexpected extra argument(?:\(s\)|s)? \((.*)\)", text):
        return f"thừa tham số: {m[1]}.{see}"
    return f"sai cú pháp lệnh ({text}).{see}"


def handle(exc: Exception) -> int:
    """Say what went wrong in one line; the exit code."""
    if isinstance(exc, BrokenPipeError):
        _quiet_stdout()  # the reader of a pipe stopped early (`| head`): nothing to say
        return EXIT_CRASH
    message = known_failure(exc)
    if message is not None:
        _say("Lỗi:", message)
        return EXIT_USAGE
    _say("Lỗi không lường trước:", crash_line(exc))
    return EXIT_CRASH


def known_failure(exc: BaseException) -> str | None:
    """The message of a failure sotay expects (an unreadable input, an output it may not write, a
    file-system error), or None."""
    from ..atomic import OutputError, reason
    from ..problems import InputError

    known: tuple[type, ...] = (InputError, OutputError)
    history = sys.modules.get("sotay_cli.history")  # never imported: none of its errors can be here
    if history is not None and hasattr(history, "HistoryError"):
        known += (history.HistoryError,)
    if isinstance(exc, known):
        return str(exc)
    if isinstance(exc, OSError):
        names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
        return f"{' → '.join(names) or 'hệ thống tệp'}: {reason(exc)}."
    if isinstance(exc, MemoryError):
        return "không đủ bộ nhớ để xử lý dữ liệu này; đóng bớt chương trình khác hoặc chia nhỏ tệp."
    return None


def crash_line(exc: BaseException) -> str:
    try:
        path = save_report(exc)
    except Exception as problem:  # noqa: BLE001 - the report is a courtesy; the line must still print
        return (f"sotay gặp lỗi nội bộ ({type(exc).__name__}: {exc}) và không lưu được báo cáo lỗi "
                f"({problem}).")
    return (f"sotay gặp lỗi nội bộ ({type(exc).__name__}); báo cáo đầy đủ đã lưu ở {path} — "
            "hãy gửi tệp này cho người hỗ trợ.")


def cache_dir() -> Path:
    """Where crash reports go: $SOTAY_CACHE, or the user's cache folder."""
    from platformdirs import user_cache_dir

    return Path(os.environ.get("SOTAY_CACHE") or user_cache_dir("sotay", appauthor=False))


def save_report(exc: BaseException) -> Path:
    from .. import __version__

    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now()
    path = folder / f"loi-{now:%Y%m%d-%H%M%S}-{os.getpid()}-{secrets.token_hex(2)}.txt"
    text = (f"sotay {__version__} — {now:%d/%m/%Y %H:%M:%S}\n"
            f"Python {sys.version.split()[0]} trên {platform.platform()}\n"
            f"Lệnh: {shlex.join(sys.argv)}\n\n" + "".join(traceback.format_exception(exc)))
    path.write_text(text, encoding="utf-8")
    return path


def _say(label: str, message: str) -> None:
    from rich.text import Text

    from .common import err

    err.print(Text.assemble((label, "bold red"), " ", message), highlight=False)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings that carry a Problem (a cell cut to fit Excel) are shown as one; others in one line."""
    from rich.text import Text

    from .common import err

    problem = getattr(message, "problem", None)
    if problem is not None:
        err.print(Text.assemble(("Cảnh báo:", "yellow"), f" {problem.location()}: {problem.message}"),
                  highlight=False)
    else:
        err.print(Text.assemble(("Cảnh báo:", "yellow"), f" {message}"), highlight=False, style="dim")


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
