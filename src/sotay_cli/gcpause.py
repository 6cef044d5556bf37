"""Python's cycle collector paused while a step makes hundreds of thousands of small objects (a country's
unit paths, unit and flag dicts): it would scan them all again and again, a fifth to two thirds of such a
step's time. Those objects hold no cycles; the collector runs again as before once the step is done."""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
