"""End to end `sotay stats --format json` from CSV, against DuckDB doing the same join and group-by.

    python benchmarks/bench_stats.py [--country]

Province: 200,000 members, 1,500 base organisations, 12,000 chi bộ. With --country, also 5.6 million
members. Prints wall time and peak memory (of the sotay process) and DuckDB's time on the same files.
Goals (issue 3): province within 2 s; country within 2x DuckDB's time and under 3 GB.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sotay_cli.sample import Commune, write_sample

SCALES = {"province": (200_000, 12_000, 1_500, 136), "country": (5_600_000, 336_000, 42_000, 3_321)}


def make(folder: Path, scale: str) -> None:
    members, chi_bo, co_so, xa = SCALES[scale]
    write_sample(folder, Commune(members=members, chi_bo=chi_bo, co_so=co_so, xa=xa, seed=11), "csv")
    (folder / "sotay.toml").write_text(
        '[organisation]\nroot = "Toàn quốc"\nlevel = "tinh"\n[inputs]\nmembers = "dang-vien.csv"\n'
        'usage = "tai-khoan.csv"\nmeetings = "sinh-hoat.csv"\n', encoding="utf-8")


def run_sotay(folder: Path, history: bool = False) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one `sotay stats --format json` process; with `history`,
    the period is also stored in (and compared with) a history file of the benchmark's own."""
    extra = "" if history else ",'--no-history'"
    code = ("import os, resource, sys; from sotay_cli.cli import main; "
            f"os.environ['SOTAY_HISTORY']='{folder / 'history.sqlite'}'; sys.argv=['sotay','stats','-p','2026-06',"
            f"'-f','json','-o','{folder / 'out.json'}','--config','{folder / 'sotay.toml'}'{extra}];\n"
            "try: main()\nexcept SystemExit: pass\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def run_duckdb(folder: Path, big: bool = False) -> float:
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    opts = "delim=';', header=true, skip=4, all_varchar=true, null_padding=true, strict_mode=false"
    if big:  # DuckDB's parallel reader refuses these files with null_padding at this size
        opts += ", parallel=false"
    con.execute(f"""
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
        group by all""").fetchall()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--country", action="store_true", help="also the 5.6-million-member country")
    args = parser.parse_args()
    for scale in ["province", *(["country"] if args.country else [])]:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            start = time.perf_counter()
            # in a child process: Linux carries a process's peak memory over fork and exec, so making the
            # country's files here would inflate the peak measured for sotay afterwards
            subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                            f"from bench_stats import make; from pathlib import Path; make(Path({str(folder)!r}), "
                            f"{scale!r})"], check=True)
            print(f"{scale}: made the CSV files in {time.perf_counter() - start:.0f} s")
            run_sotay(folder)  # warm the page cache and Python's bytecode
            seconds, peak = run_sotay(folder)
            print(f"{scale}: sotay stats --format json --no-history {seconds:.2f} s end to end, peak {peak:,.0f} MB",
                  flush=True)
            seconds, peak = run_sotay(folder, history=True)
            print(f"{scale}: sotay stats --format json (storing the period in history) {seconds:.2f} s end to end, "
                  f"peak {peak:,.0f} MB", flush=True)
            duck = min(run_duckdb(folder, scale == "country") for _ in range(2))
            goal = "2 s" if scale == "province" else f"2x DuckDB = {2 * duck:.1f} s"
            print(f"{scale}: DuckDB join+group-by {duck:.2f} s; goal {goal}")


if __name__ == "__main__":
    main()
