"""Timing of clv.predictive on a 1M-customer base (BG/NBD + Gamma-Gamma), 1,000 simulations.

The base is drawn from the BG/NBD generative process (CDNOW parameters) on a
one-week grid over two years of acquisitions, the resolution the report uses
for large data; spend means are rounded to whole currency units so customers
share tuples. Usage: python benchmarks/bench_predictive.py [n_customers] [n_sims]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pandas as pd

import clv


def base(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    T = rng.integers(1, 105, n).astype(float)  # weeks since the first purchase
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    k = rng.geometric(p)  # dropout after the k-th repeat purchase
    arrivals = rng.poisson(lam * T)
    x = np.minimum(arrivals, k).astype(float)
    # last purchase of x uniform arrivals in [0, T] (exact when not dropped; a fair approximation otherwise), on the week grid
    t_x = np.where(x > 0, np.ceil(T * rng.beta(np.maximum(x, 1), 1)), 0.0)
    t_x = np.minimum(t_x, T)
    nu = rng.gamma(3.744, 1 / 15.444, n)
    m = np.where(x > 0, np.round(rng.gamma(6.25 * np.maximum(x, 1)) / (np.maximum(x, 1) * nu)), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "monetary_value": m})


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    sims = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rfm = base(n)
    bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    tuples = len(rfm.drop_duplicates())
    purchase_tuples = len(rfm[["frequency", "recency", "T"]].drop_duplicates())
    print(f"{n:,} customers, {purchase_tuples:,} (x, t_x, T) tuples, {tuples:,} with spend; load {os.getloadavg()}")
    for label, spend in (("purchases only", None), ("purchases + revenue", gg)):
        start, cpu = time.perf_counter(), time.process_time()
        pred = clv.predictive(bg, spend, rfm, horizon=52, n_sims=sims, seed=1)
        print(f"{label}: {time.perf_counter() - start:.1f} s wall, {time.process_time() - cpu:.1f} s CPU (all threads) "
              f"for {sims} simulations; load {os.getloadavg()}")
        print(pred.totals().round(0).to_string())
