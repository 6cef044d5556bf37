"""The chart of the báo cáo: installed and active rates by month, for the root and the weakest units."""

from __future__ import annotations


from pathlib import Path

import pandas as pd

from ..atomic import staged

WEAKEST = 3


def rates_chart(series: pd.DataFrame, root: str, weakest: list[str], path: Path, title: str,
                names: dict | None = None, into: Path | None = None) -> Path | None:
    """Write the PNG at `path` (atomically, or into `into`, the temporary file of the caller's own
    `atomic_path(path)`); None until two months are stored (one point makes no trend). `root` and `weakest`
    are unit ids of `series`; `names` gives the name shown for an id (the id itself when missing)."""
    monthly = series[series["kind"] == "month"]
    if monthly["period"].nunique() < 2:
        return None
    # the Figure and the Agg canvas directly: pyplot (its backends, its figure manager) costs a third more
    # to import, and no window is ever shown
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with rc_context({"font.family": serif_fonts()}):
        fig = Figure(figsize=(8, 4.2), dpi=150)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        _draw(ax, monthly, root, weakest, title, names or {})
        fig.tight_layout()
        with staged(path, into) as tmp:
            fig.savefig(tmp, format="png")
    return path


def serif_fonts() -> list[str]:
    """The first of the serif fonts wanted that is installed (Liberation Serif has Times New Roman's
    metrics), then the generic one: a family asked for and missing is looked up and warned about at every
    text drawn."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [f for f in WANTED_FONTS if f in installed] + ["serif"]


WANTED_FONTS = ["Liberation Serif", "DejaVu Serif"]


def _draw(ax, monthly: pd.DataFrame, root: str, weakest: list[str], title: str, names: dict) -> None:
    from matplotlib.ticker import FuncFormatter

    labels = sorted(monthly["period"].unique())
    x = {p: i for i, p in enumerate(labels)}
    for unit, style in [(root, {"linewidth": 2.6})] + [(u, {"linewidth": 1.2, "alpha": 0.85}) for u in weakest]:
        part = monthly[monthly["unit"] == unit].sort_values("period")
        if part.empty:
            continue
        xs = [x[p] for p in part["period"]]
        line, = ax.plot(xs, part["installed_rate"] * 100, marker="o", label=f"{names.get(unit, unit)}: cài đặt", **style)
        ax.plot(xs, part["active_rate"] * 100, marker="s", linestyle="--", color=line.get_color(),
                label=f"{names.get(unit, unit)}: sử dụng", **style)
    ax.set_xticks(range(len(labels)), [f"{p[5:7]}/{p[:4]}" for p in labels])
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    ax.set_xlabel("Tháng")
    ax.set_ylabel("Tỷ lệ trên số đảng viên đang sinh hoạt")
    ax.set_title(title, fontsize=11)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
