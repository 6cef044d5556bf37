"""The chart of the báo cáo: installed and active rates by month, for the root and the weakest units."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..atomic import atomic_path

WEAKEST = 3


def rates_chart(series: pd.DataFrame, root: str, weakest: list[str], path: Path, title: str) -> Path | None:
    """Write the PNG; None until two months are stored (one point makes no trend)."""
    monthly = series[series["kind"] == "month"]
    if monthly["period"].nunique() < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    plt.rcParams["font.family"] = ["Liberation Serif", "DejaVu Serif", "serif"]
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=150)
    labels = sorted(monthly["period"].unique())
    x = {p: i for i, p in enumerate(labels)}
    for unit, style in [(root, {"linewidth": 2.6})] + [(u, {"linewidth": 1.2, "alpha": 0.85}) for u in weakest]:
        part = monthly[monthly["unit"] == unit].sort_values("period")
        if part.empty:
            continue
        xs = [x[p] for p in part["period"]]
        line, = ax.plot(xs, part["installed_rate"] * 100, marker="o", label=f"{unit}: cài đặt", **style)
        ax.plot(xs, part["active_rate"] * 100, marker="s", linestyle="--", color=line.get_color(),
                label=f"{unit}: sử dụng", **style)
    ax.set_xticks(range(len(labels)), [f"{p[5:7]}/{p[:4]}" for p in labels])
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    ax.set_xlabel("Tháng")
    ax.set_ylabel("Tỷ lệ trên số đảng viên đang sinh hoạt")
    ax.set_title(title, fontsize=11)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
