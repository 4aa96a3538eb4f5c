"""Pareto/NBD fits per channel on small subsets of the bundled demo (the session-4 hang).

Every ``step``-th customer of data/demo (offsets 0..offsets-1), one Pareto/NBD
fit per channel; prints the wall time of each fit and its outcome (estimates,
or the EdgeOfParameterSpace message when the likelihood rises towards
``s, beta -> inf``). Before the fix several of these fits ran for minutes.
Run (from the repository root):

    python benchmarks/bench_pareto_small_channels.py --step 50 --offsets 3
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

import clv

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=50)
    parser.add_argument("--offsets", type=int, default=3)
    args = parser.parse_args()
    tx = pd.read_csv(DEMO / "transactions.csv", parse_dates=["date"])
    acq = pd.read_csv(DEMO / "acquisitions.csv")
    print(f"load average {os.getloadavg()[0]:.1f}")
    worst = 0.0
    for offset in range(args.offsets):
        ids = acq.customer_id[offset::args.step]
        sub = tx[tx.customer_id.isin(ids)].merge(acq[["customer_id", "channel"]], on="customer_id")
        for channel, group in sub.groupby("channel"):
            rfm = clv.rfm_summary(group[["customer_id", "date", "amount"]], observation_end="2025-12-31")
            start = time.perf_counter()
            try:
                outcome = str(clv.ParetoNBD().fit(rfm).params_.round(3).to_dict())
            except clv.ConvergenceError as exc:
                outcome = f"{type(exc).__name__}: {str(exc)[:90]}"
            elapsed = time.perf_counter() - start
            worst = max(worst, elapsed)
            print(f"offset {offset}  {channel:12s} {len(rfm):4d} customers  {elapsed:6.2f} s  {outcome}")
    print(f"slowest fit {worst:.2f} s")


if __name__ == "__main__":
    main()
