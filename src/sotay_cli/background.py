"""One piece of work done in a second process while this one goes on.

`sotay report` writes its Excel appendix this way: XlsxWriter takes about 1.5 s for a province's 12,000
chi bộ, and the template, the chart and the Word draft take about 1 s meanwhile on the other core.

Only on Linux, where a process is forked: the child shares the parent's analysis as it is, without copying
or pickling it, and ends with `os._exit` (nothing of the parent's is flushed or closed twice). Elsewhere
(Windows, macOS, where `fork` is missing or unsafe) the work is done in this process when its result is
asked for, as if there were no child.

What the child warns (a cell cut to fit Excel) is shown by the parent, and what it raises is raised again
in the parent, with the child's traceback as a note: the user sees the same messages either way.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import pickle
import signal
import sys
import threading
import traceback
import warnings
from typing import Any, Callable

from .atomic import OutputError

FORK = sys.platform.startswith("linux")

# Python 3.12+ warns that fork() in a process with threads (Arrow's pool, the progress spinner, a web
# server's) could deadlock the child: ours only runs its function, which takes no lock those threads hold
# (Arrow's pool and allocator are fork-safe). Set once here: catch_warnings around each fork is not
# thread-safe in the web server.
warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning)


class Background:
    """`fn(*args, **kwargs)` started now; `result()` waits for it and returns its value or raises its error.

    As a context manager: leaving the block by an error stops the child (SIGTERM, unwound as SystemExit, so
    its `finally` blocks and `with` blocks clean up) and waits for it.
    """

    def __init__(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any):
        self.what = what  # the output, as the user named it: said if the child dies without a word
        self._call = (fn, args, kwargs)
        self._outcome: tuple | None = None
        self._process = self._receive = None
        if FORK:
            self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        for stream in (sys.stdout, sys.stderr):  # else the child's exit could write their buffers again
            stream.flush()
        # Ctrl-C held back until the child ignores it (else it could print a traceback of its own)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._process = context.Process(target=_child, args=(send, *self._call), daemon=True)
            self._process.start()
        except OSError:  # no process to be had (memory, a limit): the work is done here, when asked
            self._process = None
            self._receive.close()
        finally:
            send.close()
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a Ctrl-C held back arrives here
            except BaseException:
                self.stop()
                raise

    def result(self) -> Any:
        if self._process is None:  # no child: done here, now
            fn, args, kwargs = self._call
            return fn(*args, **kwargs)
        if self._outcome is None:
            self._outcome = self._wait()
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
            return ("error", OutputError(
                f"{self.what}: tiến trình ghi tệp dừng đột ngột (mã {self._process.exitcode}), tệp chưa được "
                "ghi. Chạy lại lệnh; nếu vẫn lỗi, có thể máy không đủ bộ nhớ."), [])
        finally:
            self._receive.close()
        self._process.join()
        return outcome

    def stop(self) -> None:
        """End the child if it still runs and wait for it; its result is then an error."""
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


def _child(send, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent too: the parent stops the child
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGTERM, _exit_on_term)  # `stop`: unwind, so that temporary files are removed
    threading.Thread(target=_end_with_parent, daemon=True).start()
    with warnings.catch_warnings(record=True) as caught:
        try:
            kind, value = "ok", fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - carried to the parent, which raises it
            kind, value = "error", exc
            exc.add_note("Trong tiến trình ghi song song:\n" + "".join(traceback.format_exception(exc)))
    try:
        send.send_bytes(pickle.dumps((kind, _rebuildable(value), [_warning(w) for w in caught])))
        send.close()
    except OSError:  # the parent is gone (killed): nobody to tell
        pass


def _rebuildable(value: Any) -> Any:
    """`value` if pickle gives it back, else (an exception whose class cannot be rebuilt) its text in a
    RuntimeError with the same notes."""
    try:
        pickle.loads(pickle.dumps(value))
        return value
    except Exception:  # noqa: BLE001 - any failure to rebuild
        if not isinstance(value, BaseException):
            raise
        text = RuntimeError("".join(traceback.format_exception_only(value)).strip())
        for note in getattr(value, "__notes__", []):
            text.add_note(note)
        return text


def _warning(caught: warnings.WarningMessage) -> tuple:
    """A warning as (message, category, file, line), its message a plain UserWarning when it cannot be
    rebuilt on the other side."""
    message = caught.message
    try:
        pickle.loads(pickle.dumps(message))
    except Exception:  # noqa: BLE001
        message = UserWarning(str(message))
    return message, caught.category, caught.filename, caught.lineno


def _end_with_parent() -> None:
    """A parent killed outright (kill -9) cannot stop its child: the child stops itself, as by `stop`."""
    multiprocessing.connection.wait([multiprocessing.parent_process().sentinel])
    signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)  # to the thread that unwinds


def _exit_on_term(signum, frame) -> None:
    raise SystemExit(1)
