"""Reading a province roster: prints how long sotay takes to read 200,000 members from XLSX and CSV.

    python benchmarks/bench_ingest.py [--members 200000]

Goals (issue 2): XLSX within 3 s, CSV within 1 s on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sotay_cli.ingest import load_table
from sotay_cli.sample import Commune, write_sample


def province(members: int) -> Commune:
    chi_bo = members // 17
    return Commune(members=members, chi_bo=chi_bo, co_so=chi_bo // 8, xa=max(1, chi_bo // 88), seed=7)


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        for fmt in ("xlsx", "csv"):
            write_sample(folder, province(args.members), fmt)
        print(f"made the files in {time.perf_counter() - start:.1f} s")
        for fmt, goal in (("xlsx", 3.0), ("csv", 1.0)):
            path = folder / f"dang-vien.{fmt}"
            rows = load_table(path).rows_used
            seconds = best_of(args.repeat, lambda: load_table(path))
            verdict = "met" if seconds <= goal else "NOT met"
            print(f"read {rows:,} members from {fmt.upper():4} ({path.stat().st_size / 1e6:.1f} MB): "
                  f"{seconds:.2f} s (goal {goal:.0f} s: {verdict})")


if __name__ == "__main__":
    main()
