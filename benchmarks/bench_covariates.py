"""Fit times of BG/NBD, Pareto/NBD and Gamma-Gamma on large simulated data, without and with two covariates.

Customers are drawn from the Pareto/NBD + Gamma-Gamma process on a daily
grid (as :func:`clv.rfm_summary` reports them: weeks = days / 7, recency on
whole days), with two binary covariates ``z1`` (share 0.4) and ``z2`` (0.5)
acting on the purchase rate, the dropout rate and spend. Each fit runs once
after a warm-up on 20k customers; the load average is printed beside the times
(the machine is shared, so say "under load" unless it is near 0).

Run: ``python benchmarks/bench_covariates.py [--sizes 200000 1000000] [--models BetaGeo ParetoNBD GammaGamma]``
(each model is fitted without and with the two covariates, and the ratio of the CPU times is printed).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

import clv

TRUE = {"r": 0.55, "alpha": 10.5, "s": 0.6, "beta": 11.7, "g_purchase": (0.5, -0.2), "g_dropout": (0.3, -0.3)}
SPEND = {"p": 6.25, "q": 3.74, "v": 15.44, "g_spend": (0.4, 0.1)}


def simulate_rfm(n: int, seed: int) -> pd.DataFrame:
    """Day-grid Pareto/NBD + Gamma-Gamma customers with covariates ``z1, z2`` (fast numpy generator)."""
    rng = np.random.default_rng(seed)
    z = np.column_stack([rng.random(n) < 0.4, rng.random(n) < 0.5]).astype(float)
    T_days = rng.integers(7, 7 * 78, size=n)
    T = T_days / 7.0
    lam = rng.gamma(TRUE["r"], 1.0 / (TRUE["alpha"] * np.exp(-z @ np.array(TRUE["g_purchase"]))))
    mu = rng.gamma(TRUE["s"], 1.0 / (TRUE["beta"] * np.exp(-z @ np.array(TRUE["g_dropout"]))))
    active = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * active)
    last = active * rng.random(n) ** (1.0 / np.maximum(x, 1))
    t_x = np.where(x > 0, np.minimum(np.ceil(last * 7.0), T_days) / 7.0, 0.0)
    nu = rng.gamma(SPEND["q"], 1.0 / (SPEND["v"] * np.exp(z @ np.array(SPEND["g_spend"]))))
    m = np.where(x > 0, rng.gamma(SPEND["p"] * np.maximum(x, 1), 1.0 / nu) / np.maximum(x, 1), 0.0)
    return pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": T, "monetary_value": m, "z1": z[:, 0], "z2": z[:, 1]})


def timed(make, rfm: pd.DataFrame) -> tuple[float, float, object]:
    """Wall and CPU seconds of one fit (on a shared machine the CPU time is the steadier figure)."""
    start, cpu = time.perf_counter(), time.process_time()
    model = make().fit(rfm)
    return time.perf_counter() - start, time.process_time() - cpu, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--models", nargs="+", default=["BetaGeo", "ParetoNBD", "GammaGamma"])
    args = parser.parse_args()
    cov = ["z1", "z2"]
    fits = {
        "BetaGeo": lambda: clv.BetaGeo(),
        "BetaGeo + 2 covariates": lambda: clv.BetaGeo(purchase_covariates=cov, dropout_covariates=cov),
        "ParetoNBD": lambda: clv.ParetoNBD(),
        "ParetoNBD + 2 covariates": lambda: clv.ParetoNBD(purchase_covariates=cov, dropout_covariates=cov),
        "GammaGamma": lambda: clv.GammaGamma(),
        "GammaGamma + 2 covariates": lambda: clv.GammaGamma(spend_covariates=cov),
    }
    fits = {name: make for name, make in fits.items() if name.split(" ")[0] in args.models}
    warm = simulate_rfm(20_000, seed=99)
    for make in fits.values():
        make().fit(warm)
    for n in args.sizes:
        rfm = simulate_rfm(n, seed=1)
        print(f"{n:,} customers; load average before: {os.getloadavg()[0]:.2f}")
        plain: dict[str, float] = {}
        for name, make in fits.items():
            seconds, cpu, model = timed(make, rfm)
            shown = ", ".join(f"{k}={v:.4g}" for k, v in model.params_.items())
            base = name.split(" ")[0]
            ratio = f"  {cpu / plain[base]:.1f}x the CPU without" if base in plain and name != base else ""
            plain.setdefault(base, cpu)
            print(f"  {name:<28} wall {seconds:7.2f} s  cpu {cpu:6.2f} s  tuples {model.result_.n_unique:>9,}{ratio}  ({shown})", flush=True)
        print(f"  load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
