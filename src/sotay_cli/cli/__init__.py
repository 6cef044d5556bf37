"""The `sotay` command: parse options, call the library, print. No figures are computed here.

One module per group of commands; each registers on the shared Typer app.
"""

# importing a module registers its commands; --help lists them in this order
from . import inputs  # noqa: F401, I001
from . import figures  # noqa: F401
from . import documents  # noqa: F401
from .common import app

__all__ = ["app", "main"]


def main() -> None:
    app()
