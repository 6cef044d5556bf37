"""One piece of work done in a second process while this one goes on.

`sotay report` writes its Excel appendix this way: XlsxWriter takes about 1.5 s for a province's 12,000
chi bộ, and the template, the chart and the Word draft take about 1 s meanwhile on the other core.

Only on Linux, where a process is forked: the child shares the parent's analysis as it is, without copying
or pickling it, and ends with `os._exit` (nothing of the parent's is flushed or closed twice). Elsewhere
(Windows, macOS, where `fork` is missing or unsafe) the work is done in this process when its result is
asked for.

What the child warns (a cell cut to fit Excel) is shown by the parent, and what it raises is raised again
in the parent, with the child's traceback as a note: the user sees the same message either way.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
import traceback
import warnings
from typing import Any, Callable

from .atomic import OutputError

FORK = sys.platform.startswith("linux")


class Background:
    """`fn(*args, **kwargs)` started now; `result()` waits for it and returns its value or raises its error.

    As a context manager: leaving the block by an error stops the child, whose temporary file is removed
    (its `finally` blocks run), so a failed command leaves no new file of the child's behind.
    """

    def __init__(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any):
        self.what = what  # the output, as the user named it: said if the child dies without a word
        self._process = None
        self._outcome: tuple | None = None
        self._later = (fn, args, kwargs)
        if not FORK:  # done by `result`: after the caller's own work, as it would be without a child
            return
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        for stream in (sys.stdout, sys.stderr):  # else the child's exit could write their buffers again
            stream.flush()
        with warnings.catch_warnings():
            # Python 3.12+ warns that fork() in a process with threads (Arrow's pool, the progress spinner)
            # could deadlock: the child only runs `fn`, which takes no lock those threads hold
            warnings.simplefilter("ignore", DeprecationWarning)
            self._process = context.Process(target=_child, args=(send, fn, args, kwargs), daemon=True)
            self._process.start()
        send.close()

    def result(self) -> Any:
        if self._outcome is None:
            self._outcome = self._wait() if self._process is not None else _run(*self._later)
        kind, value, caught = self._outcome
        for message, category, filename, lineno in caught:
            warnings.showwarning(message, category, filename, lineno)
        if kind == "error":
            raise value
        return value

    def _wait(self) -> tuple:
        try:
            outcome = pickle.loads(self._receive.recv_bytes())
        except EOFError:  # killed (out of memory, a signal) before it could answer
            self._process.join()
            code = self._process.exitcode
            return ("error", OutputError(
                f"{self.what}: tiến trình ghi tệp dừng đột ngột (mã {code}), tệp chưa được ghi. Chạy lại lệnh; "
                "nếu vẫn lỗi, có thể máy không đủ bộ nhớ."), [])
        finally:
            self._receive.close()
        self._process.join()
        return outcome

    def stop(self) -> None:
        """End the child if it still runs (its temporary file is removed) and wait for it."""
        if self._process is not None and self._outcome is None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._receive.close()
            self._outcome = ("error", OutputError(f"{self.what}: đã dừng, tệp chưa được ghi."), [])

    def __enter__(self) -> Background:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is not None:
            self.stop()


def _run(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple:
    """("ok", value, warnings) or ("error", exception, warnings); warnings as (message, category, file, line)."""
    with warnings.catch_warnings(record=True) as caught:
        try:
            outcome = ("ok", fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - carried to the caller, who raises it
            outcome = ("error", exc)
    return (*outcome, [(w.message, w.category, w.filename, w.lineno) for w in caught])


def _child(send, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    signal.signal(signal.SIGTERM, _exit_on_term)  # `stop`: unwind, so that temporary files are removed
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent too: it stops the child
    threading.Thread(target=_end_with_parent, daemon=True).start()
    kind, value, caught = _run(fn, args, kwargs)
    if kind == "error":
        value.add_note("Trong tiến trình ghi song song:\n" + "".join(traceback.format_exception(value)))
    try:
        payload = pickle.dumps((kind, value, caught))
        pickle.loads(payload)  # an exception that cannot be rebuilt is sent as its text
    except Exception:  # noqa: BLE001
        text = "".join(traceback.format_exception(value)) if kind == "error" else repr(value)
        payload = pickle.dumps(("error", RuntimeError(text), []))
    try:
        send.send_bytes(payload)
        send.close()
    except OSError:  # the parent is gone (killed): nobody to tell
        pass


def _end_with_parent() -> None:
    """A parent killed outright (kill -9) cannot stop its child: the child stops itself, as by `stop`."""
    multiprocessing.connection.wait([multiprocessing.parent_process().sentinel])
    signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)  # to the thread that unwinds


def _exit_on_term(signum, frame) -> None:
    raise SystemExit(1)
