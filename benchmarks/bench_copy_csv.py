"""Writing a report's ``customers.csv``: DuckDB's COPY (``clv.duckdb.copy_csv``) against pandas' ``to_csv``.

One command::

    python benchmarks/bench_copy_csv.py --acquisitions /work/scratch_s6sum/scale-10000000/acquisitions.parquet

The table has the columns of ``customers.csv`` (``customer_id``, ``channel`` and
``acquired_at`` from the acquisition table, or simulated with ``--rows``; cost, cohort,
scored flag, four money columns and P(alive) drawn at random with a fixed seed).
Both writers get the same rows; the script checks that the two files are
byte-identical and prints wall and CPU seconds (all threads) of each, and the
peak RSS of the process. pandas is timed from the DataFrame in memory
(``round_money`` + ``to_csv``, as ``clv.reports.write_report`` does); DuckDB
from its table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from clv.duckdb import connect, copy_csv
from clv.output import csv_line_end
from clv.reports.workbook import round_money


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    fn()
    return time.perf_counter() - wall, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acquisitions", help="Parquet acquisition table (customer_id, channel, acquired_at)")
    parser.add_argument("--rows", type=int, default=3_000_000, help="simulated rows when no --acquisitions")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's)")
    args = parser.parse_args()
    con = connect(threads=args.threads)
    source = (f"read_parquet('{args.acquisitions}')" if args.acquisitions else
              f"(SELECT range AS customer_id, ['search', 'social', 'email', 'tv'][1 + range % 4] AS channel, "
              f"TIMESTAMP '2023-01-01' + to_days(CAST(range % 700 AS INTEGER)) AS acquired_at FROM range({args.rows}))")
    con.execute("SELECT setseed(0.5)")
    con.execute(f"""CREATE TABLE customers AS SELECT customer_id, channel, acquired_at,
        CASE WHEN random() < 0.1 THEN NULL ELSE round(random() * 50, 2) END AS cost, strftime(acquired_at, '%Y-%m') AS cohort,
        random() < 0.97 AS scored, random() * 400 AS revenue_to_date, random() * 120 AS ltv_realized,
        random() * random() * 300 AS clv, random() * 400 AS ltv_expected, random() AS p_alive
        FROM {source} ORDER BY customer_id""")
    rows = con.execute("SELECT count(*) FROM customers").fetchone()[0]
    folder = Path(tempfile.mkdtemp(prefix="bench_copy_csv_"))
    frame = con.execute("SELECT * FROM customers ORDER BY customer_id").df()
    result = {"rows": rows, "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    result["duckdb_wall_s"], result["duckdb_cpu_s"] = _timed(
        lambda: copy_csv(con, "SELECT * FROM customers ORDER BY customer_id", folder / "duck.csv"))
    result["pandas_wall_s"], result["pandas_cpu_s"] = _timed(
        lambda: round_money(frame).to_csv(folder / "pandas.csv", index=False, lineterminator=csv_line_end(frame)))
    result["identical"] = (folder / "duck.csv").read_bytes() == (folder / "pandas.csv").read_bytes()
    result["file_mb"] = round((folder / "duck.csv").stat().st_size / 1e6, 1)
    result["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}))


if __name__ == "__main__":
    main()
