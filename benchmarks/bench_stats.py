"""End to end `sotay stats --format json -o out.json` from CSV, as a user runs it, beside DuckDB doing the
same join and group-by on the same files.

    python benchmarks/bench_stats.py [--runs N] [--country] [--country-runs N] [--data DIR]

Province: 200,000 members, 1,500 base organisations, 12,000 chi bộ. With --country, also 5.6 million members
and 336,000 chi bộ (making the files takes minutes; the country is run twice at most).

The headline is the default run: history on, with two earlier months already stored, so the run reads them,
compares and stores its own period (a run of the same period again replaces it, as a user re-running does).
Each figure is the fastest of N runs (the machine is shared: wall times are noisy), with the user+sys CPU
time of that run and the peak resident memory of the sotay process. Goals (issue 13): province default run
within 1.0 s end to end; country default run within 2x DuckDB's time in the same run and under 3 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sotay_cli.sample import Commune, write_sample

SCALES = {"province": (200_000, 12_000, 1_500, 136), "country": (5_600_000, 336_000, 42_000, 3_321)}
GOAL_PROVINCE_S = 1.0
GOAL_COUNTRY_X_DUCKDB = 2.0
GOAL_COUNTRY_MB = 3 * 1024
EARLIER = ["2026-04", "2026-05"]  # stored before the measured run, so that it compares and gives a pace


def make(folder: Path, scale: str) -> None:
    members, chi_bo, co_so, xa = SCALES[scale]
    write_sample(folder, Commune(members=members, chi_bo=chi_bo, co_so=co_so, xa=xa, seed=11), "csv")
    (folder / "sotay.toml").write_text(
        '[organisation]\nroot = "Toàn quốc"\nlevel = "tinh"\n[inputs]\nmembers = "dang-vien.csv"\n'
        'usage = "tai-khoan.csv"\nmeetings = "sinh-hoat.csv"\n', encoding="utf-8")


# The `sotay` entry point in a child that prints its own peak memory last on stderr: Linux carries a
# process's peak over fork and exec, so the parent's RUSAGE_CHILDREN peak would be the largest child's.
CHILD = ("import resource, sys\nfrom sotay_cli.cli import main\nsys.argv = ['sotay', *sys.argv[1:]]\n"
         "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n    code = 0\n"
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(code)\n")


def sotay(folder: Path, period: str = "2026-06", history: bool = True) -> tuple[float, float, float]:
    """Wall seconds, user+sys CPU seconds and peak resident MB of one `sotay stats --format json` process."""
    args = ["stats", "-p", period, "-f", "json", "-o", str(folder / "out.json"), "--force",
            "--config", str(folder / "sotay.toml"), *([] if history else ["--no-history"])]
    env = os.environ | {"SOTAY_HISTORY": str(folder / "history.sqlite")}  # the benchmark's own history
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: units below target, as the sample has
        raise SystemExit(f"sotay failed ({done.returncode}):\n{done.stderr[-3000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, int(done.stderr.strip().splitlines()[-1]) / 1024


def duckdb_sql(folder: Path, big: bool) -> str:
    opts = "delim=';', header=true, skip=4, all_varchar=true, null_padding=true, strict_mode=false"
    if big:  # DuckDB's parallel reader refuses these files with null_padding at this size
        opts += ", parallel=false"
    return f"""
        with m as (select * from read_csv('{folder / 'dang-vien.csv'}', {opts})),
             u as (select * from read_csv('{folder / 'tai-khoan.csv'}', {opts}))
        select m."Chi bộ", count(*) filter (where m."Tình trạng sinh hoạt" = 'Đang sinh hoạt') as eligible,
               count(*) filter (where m."Tình trạng sinh hoạt" = 'Đang sinh hoạt' and u."Trạng thái" = 'Đã kích hoạt')
               as installed,
               count(*) filter (where m."Tình trạng sinh hoạt" = 'Đang sinh hoạt' and u."Trạng thái" = 'Đã kích hoạt'
                                and strptime(u."Lần truy cập gần nhất", '%d/%m/%Y') between '2026-06-01' and '2026-06-30')
               as active
        from m left join u on m."Số thẻ đảng viên" = u."Số thẻ ĐV"
        where m."STT" not like 'Tổng%' and m."STT" <> '(1)'
        group by all"""


def duckdb(folder: Path, big: bool) -> tuple[float, float, float]:
    """DuckDB in a fresh process reading both CSV files, joining members to accounts and counting per chi bộ:
    the query's own wall seconds (the goal's yardstick), the process's wall and user+sys CPU seconds."""
    code = ("import sys, time\nimport duckdb\nstart = time.perf_counter()\n"
            "con = duckdb.connect()\ncon.execute('SET enable_progress_bar = false')\n"
            f"con.execute({duckdb_sql(folder, big)!r}).fetchall()\n"
            "print(time.perf_counter() - start)\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return float(done.stdout.split()[-1]), wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def fastest(runs: list[tuple]) -> tuple:
    return min(runs, key=lambda r: r[0])


def best(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """sotay's fastest run with its CPU time, and the largest peak memory of all the runs."""
    wall, cpu, _ = fastest(runs)
    return wall, cpu, max(r[2] for r in runs)


def line(label: str, wall: float, cpu: float, peak: float | None = None, goal: str = "") -> str:
    text = f"  {label:<44} {wall:6.2f} s wall  {cpu:6.2f} s CPU"
    if peak is not None:
        text += f"  peak {peak:6,.0f} MB"
    return text + (f"   {goal}" if goal else "")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def bench(scale: str, runs: int, data: Path | None = None) -> None:
    big = scale == "country"
    with tempfile.TemporaryDirectory(prefix="sotay-bench-") as tmp:
        folder = Path(tmp) if data is None else data / scale
        start = time.perf_counter()
        if not (folder / "sotay.toml").exists():
            folder.mkdir(parents=True, exist_ok=True)
            # in a child process: making the country's files here would inflate the peaks measured afterwards
            subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                            f"from bench_stats import make; from pathlib import Path; make(Path({str(folder)!r}), "
                            f"{scale!r})"], check=True)
        print(f"{scale}: {SCALES[scale][0]:,} members, {SCALES[scale][1]:,} chi bộ; files ready in "
              f"{time.perf_counter() - start:.0f} s; fastest of {runs} run(s)", flush=True)
        for period in EARLIER:  # earlier months in history (also warms the page cache and the bytecode)
            sotay(folder, period)
        duck = fastest([duckdb(folder, big) for _ in range(runs)])
        print(f"  {'DuckDB query: read both CSV, join, group by':<44} {duck[0]:6.2f} s wall   "
              f"(its process: {duck[1]:.2f} s wall, {duck[2]:.2f} s CPU)", flush=True)
        default = best([sotay(folder) for _ in range(runs)])
        if scale == "province":
            goal = f"goal <= {GOAL_PROVINCE_S:.1f} s: {verdict(default[0] <= GOAL_PROVINCE_S)}"
        else:
            limit = GOAL_COUNTRY_X_DUCKDB * duck[0]
            goal = (f"goal <= {GOAL_COUNTRY_X_DUCKDB:.0f}x DuckDB = {limit:.1f} s: {verdict(default[0] <= limit)}; "
                    f"<= {GOAL_COUNTRY_MB / 1024:.0f} GB: {verdict(default[2] <= GOAL_COUNTRY_MB)}")
        print(line("sotay stats -f json (history on, default)", *default, goal=goal), flush=True)
        print(f"  {'':<44} = {default[0] / duck[0]:.1f}x DuckDB's query", flush=True)
        bare = best([sotay(folder, history=False) for _ in range(runs)])
        print(line("sotay stats -f json --no-history", *bare), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="runs of each case (province); the fastest is shown")
    parser.add_argument("--country", action="store_true", help="also the 5.6-million-member country (minutes)")
    parser.add_argument("--country-runs", type=int, default=1, help="runs of each case for the country")
    parser.add_argument("--data", type=Path, help="keep the files made in DIR/province and DIR/country and use them "
                        "again on the next run (the country's take minutes to make)")
    args = parser.parse_args()
    bench("province", args.runs, args.data)
    if args.country:
        bench("country", args.country_runs, args.data)


if __name__ == "__main__":
    main()
