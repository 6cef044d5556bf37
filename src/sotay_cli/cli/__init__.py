"""The `sotay` command: parse options, call the library, print. No figures are computed here.

One module per group of commands; each registers on the shared Typer app. Failures cross one
boundary (`boundary.Guarded`, the app's class): a Vietnamese line, never a traceback.
"""

import gc
import sys

# importing a module registers its commands; --help lists them in this order
from . import inputs  # noqa: F401, I001
from . import figures  # noqa: F401
from . import documents  # noqa: F401
from . import kit  # noqa: F401
from . import web  # noqa: F401
from .boundary import handle
from .common import app

__all__ = ["app", "main"]


def main() -> None:
    # Everything imported so far lives as long as the process: frozen, the cycle collector no longer walks
    # it at every collection; and collections come less often (a run makes millions of short-lived objects
    # with no cycles). A province's `stats` spends 10-15 % less CPU (benchmarks/bench_stats.py).
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        app()
    except Exception as exc:  # escaped before a command ran (the options of `sotay` itself)
        sys.exit(handle(exc))
