"""``clv report --engine duckdb`` end to end on a large Parquet log, with peak memory measured by the OS.

1. ``generate``: ``--rows`` transactions (about 3.3 per customer: ~30M customers for 100M rows)
   from a fast NumPy generator (Poisson purchases while alive, gamma spend, five channels, two
   years), written to ``--data/tx/part-*.parquet`` in chunks of 1M customers, plus
   ``acquisitions.parquet`` (first purchase day, channel) and ``spend.csv``. The generator
   never holds more than one chunk.
2. ``report``: each engine runs ``clv report`` in its own child process under
   ``/usr/bin/time -v``; the table records wall time and the OS's peak RSS
   ("Maximum resident set size") of that process tree's largest process.
3. ``--parity N``: N simulated customers through the pandas and DuckDB summaries and BG/NBD fits;
   the number of differing values (0 expected: same digits).

The two prepared runs, one command each (data under ``benchmarks/_data/scale-<rows>``, written once and
reused; every line of output is also appended to ``benchmarks/_data/scale-<rows>/results.jsonl``):

* ``python benchmarks/bench_scale.py --preset 100m``: 100M transactions, ``clv report --engine duckdb``;
* ``python benchmarks/bench_scale.py --preset 50m``: 50M transactions, DuckDB, pandas and Spark ``local[2]``
  in one run (Spark needs Java 17).

Or ``--rows N --engines duckdb,pandas,spark``. Record ``uptime`` beside the figures: the project machine is
shared. The load average is printed at the start and after each engine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

CHANNELS = np.array(["search", "social", "email", "affiliate", "referral"])
START = np.datetime64("2023-01-01")
END = "2024-12-31"


def _chunk(n: int, first_id: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """n customers: first purchase uniform over two years, then Poisson purchases while alive."""
    first = rng.integers(0, 730, n)
    lam = rng.gamma(0.35, 1 / 29.0, n)  # purchases per day (about 3.3 transactions per customer in all)
    span = np.minimum(rng.exponential(250.0, n), 730 - first)
    k = rng.poisson(lam * span) + 1
    cust = np.repeat(np.arange(first_id, first_id + n, dtype=np.int64), k)
    offset = (rng.random(k.sum()) * np.repeat(span, k)).astype(np.int64)
    offset[np.r_[0, np.cumsum(k)[:-1]]] = 0
    day = np.repeat(first, k) + offset
    tx = pd.DataFrame({"customer_id": cust, "date": START + day.astype("timedelta64[D]"),
                       "amount": np.round(rng.gamma(3.0, 12.0, k.sum()), 2)})
    acq = pd.DataFrame({"customer_id": np.arange(first_id, first_id + n, dtype=np.int64),
                        "channel": CHANNELS[rng.choice(5, n, p=[0.35, 0.25, 0.2, 0.12, 0.08])],
                        "acquired_at": START + first.astype("timedelta64[D]")})
    return tx, acq


def generate(rows: int, data: Path, seed: int = 1) -> dict[str, float]:
    """Write about ``rows`` transactions as Parquet parts; returns counts and the time taken."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    shutil.rmtree(data / "tx", ignore_errors=True)  # parts of an earlier, larger run would be read too
    (data / "tx.parquet").unlink(missing_ok=True)
    (data / "tx").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = customers = part = 0
    acq_writer = None
    per_customer = 3.3
    while written < rows:
        n = int(min(1_000_000, max(1, (rows - written) / per_customer)))
        tx, acq = _chunk(n, customers + 1, rng)
        tx["date"] = tx["date"].astype("datetime64[us]")
        acq["acquired_at"] = acq["acquired_at"].astype("datetime64[us]")
        pq.write_table(pa.Table.from_pandas(tx, preserve_index=False), data / "tx" / f"part-{part:04d}.parquet")
        table = pa.Table.from_pandas(acq, preserve_index=False)
        acq_writer = acq_writer or pq.ParquetWriter(data / "acquisitions.parquet", table.schema)
        acq_writer.write_table(table)
        written, customers, part = written + len(tx), customers + n, part + 1
    acq_writer.close()
    months = pd.period_range("2023-01", "2024-12", freq="M").astype(str)
    spend = pd.DataFrame([(c, m, 25_000.0 * (i + 1)) for i, c in enumerate(CHANNELS) for m in months],
                         columns=["channel", "period", "spend"])
    spend.to_csv(data / "spend.csv", index=False)
    return {"rows": written, "customers": customers, "seconds": time.perf_counter() - t0}


def _tree_rss_kb(pid: int) -> int:
    """Resident memory (kB) of ``pid`` and its descendants, from /proc (0 when gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) if "VmRSS" in status else 0
            todo += [int(c) for t in Path(f"/proc/{p}/task").iterdir() for c in (t / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) used so far by ``pid`` and its descendants, from /proc (load-independent)."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            todo += [int(c) for t in Path(f"/proc/{p}/task").iterdir() for c in (t / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total


def _watch(proc: subprocess.Popen, max_rss_gb: float | None, timeout: float | None) -> tuple[str, list[tuple[float, float, str, float, float]]]:
    """Poll the child each second: stop it past ``max_rss_gb`` (the machine is shared) or ``timeout`` seconds.

    Returns why it was stopped ("" if it ended by itself) and ``(seconds, CPU seconds, progress line, RSS GB, load)`` at each
    progress line (the CPU seconds of the child's process tree so far: per-stage CPU is the difference of two lines).
    """
    t0, stopped, stages, peak = time.perf_counter(), "", [], 0.0
    lines: list[str] = []

    def read() -> None:
        for ln in proc.stderr:
            lines.append(ln.rstrip("\n"))
            if ln.startswith("["):
                stages.append((round(time.perf_counter() - t0, 1), round(_tree_cpu_s(proc.pid), 1), ln.strip()[:120], round(peak, 2),
                               round(os.getloadavg()[0], 1)))

    import threading

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid) / 1024**2)
        if max_rss_gb is not None and peak > max_rss_gb:
            stopped = f"stopped: tree RSS {peak:.2f} GB > {max_rss_gb} GB"
        elif timeout is not None and time.perf_counter() - t0 > timeout:
            stopped = f"stopped: over {timeout:.0f} s"
        if stopped:
            os.killpg(proc.pid, 9)
            break
        time.sleep(1.0)
    proc.wait()
    reader.join(timeout=5)
    proc.stderr_lines = lines  # type: ignore[attr-defined]
    return stopped, stages


def summary_child(engine: str, tx: str) -> None:
    """The summary stage alone (``--command summary``): read and summarise ``tx`` to ``END``; one progress line per step."""
    import clv

    t0 = time.perf_counter()
    if engine == "duckdb":
        import clv.duckdb

        con = clv.duckdb.connect(memory_limit=os.environ.get("CLV_DUCKDB_MEMORY_LIMIT") or None, temp_directory="auto")
        customers = clv.duckdb.rfm_summary(tx, observation_end=END, con=con).customers
    elif engine == "pandas":
        log = clv.read_transactions(tx)
        print(f"[{time.perf_counter() - t0:.1f} s] read {len(log):,} rows", file=sys.stderr, flush=True)
        customers = len(clv.rfm_summary(log, observation_end=END))
    else:
        raise SystemExit(f"--command summary: engine {engine!r} not supported (duckdb, pandas)")
    print(f"[{time.perf_counter() - t0:.1f} s] summary of {customers:,} customers", file=sys.stderr, flush=True)


def run_report(engine: str, data: Path, out: Path, *, max_rss_gb: float | None = None, timeout: float | None = None,
               command: str = "report") -> dict[str, object]:
    """``clv report``, ``clv score`` or the summary alone in a child process under /usr/bin/time -v.

    Records wall seconds, CPU seconds, the OS's peak RSS (GB) of the largest process, the load average after, and each
    progress line with the time, the tree's CPU seconds and the tree's peak RSS so far. ``max_rss_gb``/``timeout`` stop a run that would take
    the shared machine's memory or the session's time; the record then says how far it got.
    """
    tx = str(data / "tx") if engine != "pandas" else str(data / "tx.parquet")
    if engine == "pandas" and not (data / "tx.parquet").exists():  # pandas reads one file
        import pyarrow.parquet as pq

        pq.write_table(pq.read_table(data / "tx"), data / "tx.parquet")
    if command == "summary":
        cmd = [sys.executable, str(Path(__file__).resolve()), "--summary-child", engine, tx]
    elif command == "score":
        cmd = [sys.executable, "-m", "clv.cli", "score", "-t", tx, "--observation-end", END, "--out",
               str(out / f"scores-{engine}.csv"), "--engine", engine]
    else:
        cmd = [sys.executable, "-m", "clv.cli", "report", "-t", tx, "-a", str(data / "acquisitions.parquet"),
               "-s", str(data / "spend.csv"), "--observation-end", END, "--out", str(out / engine), "--engine", engine]
    if engine == "spark":
        cmd += ["--spark-master", "local[2]"]
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-v", *cmd], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env=os.environ.copy(), start_new_session=True)
    stopped, stages = _watch(proc, max_rss_gb, timeout)
    wall = time.perf_counter() - t0
    err = "\n".join(proc.stderr_lines)  # type: ignore[attr-defined]
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", err))
    last = [ln for ln in proc.stderr_lines if ln.strip() and not ln.startswith(("\t", "Command "))]  # type: ignore[attr-defined]
    return {"command": command, "engine": engine, "exit": proc.returncode, "stopped": stopped, "seconds": round(wall, 1),
            "cpu_seconds": round(cpu, 1) if cpu else None,
            "peak_rss_gb": round(int(peak.group(1)) / 1024**2, 2) if peak else None,
            "load_average_after": [round(x, 2) for x in os.getloadavg()], "stages": stages,
            "error": last[-1] if proc.returncode and last else ""}


def parity(n: int, seed: int = 5) -> dict[str, object]:
    """pandas vs DuckDB on n customers: differing summary values and BG/NBD parameters (0 = same digits)."""
    import clv
    import clv.duckdb

    tx, _ = _chunk(n, 1, np.random.default_rng(seed))
    t0 = time.perf_counter()
    rfm = clv.rfm_summary(tx, observation_end=END)
    t_pandas = time.perf_counter() - t0
    t0 = time.perf_counter()
    drfm = clv.duckdb.rfm_summary(tx, observation_end=END)
    t_duck = time.perf_counter() - t0
    got = drfm.to_pandas()
    diff = {c: int((got[c].to_numpy() != rfm[c].to_numpy()).sum()) for c in rfm.columns}
    bg, dbg = clv.BetaGeo().fit(rfm), clv.duckdb.fit(clv.BetaGeo(), drfm)
    return {"customers": len(rfm), "transactions": len(tx), "differing_summary_values": diff,
            "index_equal": bool(got.index.equals(rfm.index)),
            "bgnbd_params_equal": bool((bg.params_.to_numpy() == dbg.params_.to_numpy()).all()),
            "summary_seconds_pandas": round(t_pandas, 2), "summary_seconds_duckdb": round(t_duck, 2)}


PRESETS = {"100m": {"rows": 100_000_000, "engines": "duckdb"}, "50m": {"rows": 50_000_000, "engines": "duckdb,pandas,spark"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), help="100m: DuckDB on 100M rows; 50m: three engines on 50M rows")
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--data", type=Path, default=None, help="default benchmarks/_data/scale-<rows>")
    parser.add_argument("--engines", default="duckdb", help="comma-separated: duckdb,pandas,spark")
    parser.add_argument("--parity", type=int, default=0, help="customers for the pandas/DuckDB equality check")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the data (the default when it is complete)")
    parser.add_argument("--command", choices=["report", "score", "summary"], default="report",
                        help="clv report (default), clv score, or the summary stage alone")
    parser.add_argument("--duckdb-memory-limit", default=None,
                        help="DuckDB's memory cap in the child (e.g. 3GB; it spills beyond), as CLV_DUCKDB_MEMORY_LIMIT")
    parser.add_argument("--summary-child", nargs=2, metavar=("ENGINE", "TX"), help=argparse.SUPPRESS)
    parser.add_argument("--max-rss-gb", type=float, default=None, help="stop a run whose process tree passes this RSS (shared machine)")
    parser.add_argument("--timeout", type=float, default=None, help="stop a run after this many seconds")
    parser.add_argument("--out", type=Path, default=None, help="report directory (default <data>/reports)")
    parser.add_argument("--label", default="", help="added to every output line (e.g. the code version measured)")
    args = parser.parse_args()
    if args.summary_child:
        summary_child(*args.summary_child)
        return
    if args.duckdb_memory_limit:
        os.environ["CLV_DUCKDB_MEMORY_LIMIT"] = args.duckdb_memory_limit
    if args.preset:
        args.rows, args.engines = PRESETS[args.preset]["rows"], PRESETS[args.preset]["engines"]
    data = args.data or Path(__file__).parent / "_data" / f"scale-{args.rows}"
    data.mkdir(parents=True, exist_ok=True)
    log = data / "results.jsonl"

    def emit(record: dict[str, object]) -> None:
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **({"label": args.label} if args.label else {}),
                           **record})
        print(line, flush=True)
        with log.open("a") as handle:
            handle.write(line + "\n")

    emit({"rows": args.rows, "engines": args.engines, "command": args.command,
          "duckdb_memory_limit": os.environ.get("CLV_DUCKDB_MEMORY_LIMIT"), "load_average_start": [round(x, 2) for x in os.getloadavg()]})
    if args.parity:
        emit({"parity": parity(args.parity)})
    done = data / "generated.json"
    if args.skip_generate or (done.exists() and json.loads(done.read_text()).get("requested") == args.rows):
        emit({"generate": "reused", "data": str(data)})
    else:
        done.unlink(missing_ok=True)
        stats = generate(args.rows, data)
        done.write_text(json.dumps({"requested": args.rows, **stats}))
        emit({"generate": stats})
    for engine in [e for e in args.engines.split(",") if e]:
        emit({"report": run_report(engine, data, args.out or data / "reports", max_rss_gb=args.max_rss_gb, timeout=args.timeout,
                                   command=args.command)})
        emit({"load_average": [round(x, 2) for x in os.getloadavg()]})


if __name__ == "__main__":
    main()
