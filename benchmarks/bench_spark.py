"""The Spark path against the pandas path on the same data, end to end.

1. ``generate``: about 50M simulated transactions (``clv.simulate`` in chunks of
   1M customers, BG/NBD + Gamma-Gamma at the CDNOW estimates, two years,
   customer ids offset per chunk) written as Parquet files to
   ``benchmarks/_data/tx50m.parquet/`` (microsecond timestamps: Spark cannot
   read pandas' nanoseconds). The generator never holds more than one chunk.
2. ``spark``: ``clv.spark.rfm_summary`` -> ``clv.spark.fit`` (BG/NBD and
   Gamma-Gamma from collected sufficient statistics) -> ``clv.spark.score``
   written to Parquet, on ``local[2]``. The driver never holds the raw
   transactions; only the distinct statistic tuples are collected.
3. ``pandas``: ``clv.read_transactions`` -> ``clv.rfm_summary`` -> ``fit`` ->
   ``clv.customer_value`` -> Parquet, in one process.
4. ``equality``: 1M simulated customers through both paths; largest relative
   differences of the summaries, parameters and scores (target 1e-9).

Each timed path runs in its own process so that its peak memory is its own:
the driver's peak RSS (``ru_maxrss``) and, for Spark, the peak RSS of the
local JVM and of the Python workers (sampled every 0.5 s). In local mode the
JVM is driver and executors at once: its heap holds Spark's shuffle and cache
buffers, not a collected copy of the data.

Run: ``.venv/bin/python benchmarks/bench_spark.py [--rows 50000000] [--keep-data]``
(about 20-40 minutes on 2 cores; needs ~3 GB of disk under benchmarks/_data).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
TX = DATA / "tx50m.parquet"
END = "2025-12-31"
SETTINGS = {"horizon": 52.0, "discount_rate": 0.1, "margin": 0.3}
CHUNK = 1_000_000


class PeakSampler:
    """Peak RSS of this process's children (the JVM; the Python workers summed), sampled in a thread."""

    def __init__(self, every: float = 0.5) -> None:
        import psutil

        self.proc, self.every = psutil.Process(), every
        self.java = self.workers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            java = workers = 0
            try:
                for child in self.proc.children(recursive=True):
                    try:
                        rss, name = child.memory_info().rss, child.name()
                    except psutil.Error:
                        continue
                    if "java" in name:
                        java += rss
                    elif "python" in name:
                        workers += rss
            except psutil.Error:
                pass
            self.java, self.workers = max(self.java, java), max(self.workers, workers)
            time.sleep(self.every)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {"jvm_peak_gb": self.java / 2**30, "workers_peak_gb": self.workers / 2**30}


def driver_peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def generate(rows: int) -> dict[str, Any]:
    import clv

    if TX.exists():
        shutil.rmtree(TX)
    TX.mkdir(parents=True)
    total = customers = i = 0
    start = time.perf_counter()
    while total < rows:
        tx = clv.simulate(CHUNK, seed=1000 + i, start="2024-01-01", end=END).transactions
        tx["customer_id"] += i * CHUNK
        if total + len(tx) > rows:  # cut at a customer boundary just past the target
            ids = tx["customer_id"].to_numpy()
            cut = rows - total
            tx = tx.iloc[: cut + int(np.argmax(ids[cut:] != ids[cut - 1])) if (ids[cut:] != ids[cut - 1]).any() else len(tx)]
        tx.to_parquet(TX / f"part-{i:04d}.parquet", coerce_timestamps="us", allow_truncated_timestamps=True, index=False)
        total += len(tx)
        customers += tx["customer_id"].nunique()
        i += 1
    size = sum(f.stat().st_size for f in TX.iterdir()) / 2**30
    return {"rows": total, "customers": customers, "files": i, "parquet_gb": size, "seconds": time.perf_counter() - start}


def session(master: str = "local[2]") -> Any:
    import clv.spark

    spark = clv.spark.get_session(master, app_name="clv-bench", config={
        "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false", "spark.driver.memory": "8g",
        "spark.sql.shuffle.partitions": "32", "spark.sql.session.timeZone": "UTC",
    })
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def run_spark(path: Path, out: Path) -> dict[str, Any]:
    import clv
    import clv.spark

    sampler = PeakSampler()
    times: dict[str, float] = {}
    t = time.perf_counter()
    spark = session()
    times["session"] = time.perf_counter() - t
    t = time.perf_counter()
    rfm = clv.spark.rfm_summary(spark.read.parquet(str(path)), observation_end=END)
    times["summary"] = time.perf_counter() - t
    t = time.perf_counter()
    stats_rows = len(clv.spark.sufficient_statistics(rfm))
    spend_rows = len(clv.spark.sufficient_statistics(rfm, kind="spend"))
    times["collect_statistics"] = time.perf_counter() - t
    t = time.perf_counter()
    bg = clv.spark.fit(clv.BetaGeo(), rfm)
    gg = clv.spark.fit(clv.GammaGamma(), rfm)
    times["fit"] = time.perf_counter() - t
    t = time.perf_counter()
    clv.spark.score(rfm, bg, gg, **SETTINGS).write.mode("overwrite").parquet(str(out))
    times["score_and_write"] = time.perf_counter() - t
    total = sum(v for k, v in times.items() if k not in ("session", "collect_statistics"))
    customers = rfm.df.count()
    spark.stop()
    return {"path": "spark local[2]", "times": times, "total_without_session": total, "customers": customers,
            "statistics_rows": stats_rows, "spend_rows": spend_rows, "exclusions": rfm.exclusions,
            "bg": bg.params_.to_dict(), "gg": gg.params_.to_dict(), "driver_peak_gb": driver_peak_gb(), **sampler.stop()}


def run_pandas(path: Path, out: Path) -> dict[str, Any]:
    import clv

    times: dict[str, float] = {}
    t = time.perf_counter()
    tx = clv.read_transactions(path)
    times["read"] = time.perf_counter() - t
    t = time.perf_counter()
    rfm = clv.rfm_summary(tx, observation_end=END)
    times["summary"] = time.perf_counter() - t
    rows = len(tx)
    del tx
    t = time.perf_counter()
    bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    times["fit"] = time.perf_counter() - t
    t = time.perf_counter()
    clv.customer_value(bg, gg, rfm, **SETTINGS).to_parquet(out)
    times["score_and_write"] = time.perf_counter() - t
    return {"path": "pandas", "times": times, "total": sum(times.values()), "rows": rows, "customers": len(rfm),
            "exclusions": rfm.attrs["exclusions"], "bg": bg.params_.to_dict(), "gg": gg.params_.to_dict(),
            "driver_peak_gb": driver_peak_gb()}


def _rel(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300), initial=0.0))


def _close(a: Any, b: Any) -> float:
    """Largest |a - b| / max(|b|, 1): the 1e-9 criterion (relative, absolute near zero)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0), initial=0.0))


def run_equality(n_customers: int) -> dict[str, Any]:
    import clv
    import clv.spark

    sim = clv.simulate(n_customers, seed=7, start="2024-01-01", end=END)
    path = DATA / "eq1m.parquet"
    sim.transactions.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=True, index=False)
    tx = clv.read_transactions(path)
    rfm = clv.rfm_summary(tx, observation_end=END)
    bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    scores = clv.customer_value(bg, gg, rfm, **SETTINGS)

    spark = session()
    srfm = clv.spark.rfm_summary(spark.read.parquet(str(path)), observation_end=END)
    got_rfm = srfm.to_pandas()
    sbg, sgg = clv.spark.fit(clv.BetaGeo(), srfm), clv.spark.fit(clv.GammaGamma(), srfm)
    got = clv.spark.score(srfm, sbg, sgg, **SETTINGS).toPandas().set_index("customer_id").sort_index()
    spark.stop()
    path.unlink()
    assert got_rfm.index.equals(rfm.index) and got.index.equals(scores.index)
    return {
        "customers": len(rfm), "transactions": len(tx),
        "exclusions_equal": got_rfm.attrs == rfm.attrs,
        "monetary_value_not_identical": int((got_rfm["monetary_value"].to_numpy() != rfm["monetary_value"].to_numpy()).sum()),
        "gg_params_identical": bool((sgg.params_.to_numpy() == gg.params_.to_numpy()).all()),
        "rfm_max_diff": {c: _close(got_rfm[c], rfm[c]) for c in rfm.columns},
        "bg_max_rel_diff": _rel(sbg.params_, bg.params_),
        "gg_max_rel_diff": _rel(sgg.params_, gg.params_),
        "scores_max_diff": {c: _close(got[c], scores[c]) for c in scores.columns},
    }


def stage(name: str, *args: str) -> dict[str, Any]:
    """Run one stage in a fresh process and return its JSON result."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, __file__, "--stage", name, *args], capture_output=True, text=True, env=env,
                          check=False)
    if proc.returncode:
        raise RuntimeError(f"stage {name} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--equality-customers", type=int, default=1_000_000)
    parser.add_argument("--keep-data", action="store_true", help="Leave benchmarks/_data in place.")
    parser.add_argument("--skip", nargs="*", default=[], choices=["generate", "spark", "pandas", "equality"])
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.stage:
        result = {
            "generate": lambda: generate(args.rows),
            "spark": lambda: run_spark(TX, Path(args.out)),
            "pandas": lambda: run_pandas(TX, Path(args.out)),
            "equality": lambda: run_equality(args.equality_customers),
        }[args.stage]()
        print(json.dumps(result, default=float))
        return

    DATA.mkdir(exist_ok=True)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    results: dict[str, Any] = {}
    try:
        if "generate" not in args.skip:
            results["generate"] = stage("generate", "--rows", str(args.rows))
            print("generate", json.dumps(results["generate"]), flush=True)
        for name in ("spark", "pandas"):
            if name not in args.skip:
                results[name] = stage(name, "--out", str(DATA / f"scores_{name}.parquet"))
                print(name, json.dumps(results[name]), flush=True)
        if "equality" not in args.skip:
            results["equality"] = stage("equality", "--equality-customers", str(args.equality_customers))
            print("equality", json.dumps(results["equality"]), flush=True)
    finally:
        if not args.keep_data:
            shutil.rmtree(DATA, ignore_errors=True)
    if "spark" in results and "pandas" in results:
        s, p = results["spark"], results["pandas"]
        print(f"\nend to end: spark {s['total_without_session']:.1f}s (+{s['times']['session']:.1f}s session) vs "
              f"pandas {p['total']:.1f}s; ratio spark/pandas {s['total_without_session'] / p['total']:.2f}")
        print(f"peak memory: spark driver {s['driver_peak_gb']:.2f} GB (JVM {s['jvm_peak_gb']:.2f} GB, "
              f"workers {s['workers_peak_gb']:.2f} GB) vs pandas {p['driver_peak_gb']:.2f} GB")
        print(f"parameters spark vs pandas: BG max rel diff {_rel(list(s['bg'].values()), list(p['bg'].values())):.2e}, "
              f"GG {_rel(list(s['gg'].values()), list(p['gg'].values())):.2e}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
