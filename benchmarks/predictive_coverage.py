"""Coverage of clv.predictive on businesses simulated from known BG/NBD + Gamma-Gamma parameters.

For each business: simulate two years, fit BetaGeo and GammaGamma on the first
52 weeks (calibration), predict the 52-week holdout with clv.predictive and
check (a) the share of customers whose holdout purchases fall in their 90%
interval, for both interval rules ("central": mass at least 90%; "closest":
mass closest to 90%), beside the mean predictive mass the intervals state,
and (b) whether the base's total holdout revenue falls in its 90%
interval. Usage: python benchmarks/predictive_coverage.py [n_businesses] [n_customers]
"""

from __future__ import annotations

import sys
import time

import numpy as np

import clv


def one_business(seed: int, n_customers: int, n_sims: int = 500) -> tuple[float, float, bool, bool, float, float, float]:
    sim = clv.simulate(n_customers, seed=seed, start="2024-01-01", end="2026-01-01", acquisition_end="2024-07-01")
    data = clv.calibration_holdout(sim.transactions, calibration_end="2024-12-30", observation_end="2025-12-31")
    bg, gg = clv.BetaGeo().fit(data), clv.GammaGamma().fit(data)
    horizon = float(data["duration_holdout"].iloc[0])
    pred = clv.predictive(bg, gg, data, horizon=horizon, n_sims=n_sims, seed=seed, observed="holdout_frequency")
    y = data["holdout_frequency"].to_numpy()
    revenue = float((data["holdout_frequency"] * data["holdout_monetary_value"]).sum())
    c = pred.customers
    per_customer = float(np.mean((y >= c["purchases_lower"]) & (y <= c["purchases_upper"])))
    randomised = pred.coverage(seed=seed)
    totals = pred.totals()
    covered = bool(totals["revenue_lower"].iloc[0] <= revenue <= totals["revenue_upper"].iloc[0])
    covered_n = bool(totals["purchases_lower"].iloc[0] <= y.sum() <= totals["purchases_upper"].iloc[0])
    closest = clv.predictive(bg, None, data, horizon=horizon, n_sims=n_sims, seed=seed, interval_rule="closest").customers
    per_customer_closest = float(np.mean((y >= closest["purchases_lower"]) & (y <= closest["purchases_upper"])))
    stated, stated_closest = float(c["purchases_mass"].mean()), float(closest["purchases_mass"].mean())
    return per_customer, randomised, covered, covered_n, stated, per_customer_closest, stated_closest


if __name__ == "__main__":
    n_businesses = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    n_customers = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    start = time.perf_counter()
    results = []
    for seed in range(1, n_businesses + 1):
        results.append(one_business(seed, n_customers))
        print(seed, *results[-1], flush=True)
    per_customer = np.array([r[0] for r in results])
    print(f"{n_businesses} businesses x {n_customers} customers, {time.perf_counter() - start:.0f} s")
    randomised = np.array([r[1] for r in results])
    print(f"per-customer 90% interval [lower, upper] coverage of holdout purchases: mean {per_customer.mean():.3f}, "
          f"range {per_customer.min():.3f}-{per_customer.max():.3f}")
    for name, cover, mass in (("central", 0, 4), ("closest", 5, 6)):
        got, stated = np.array([r[cover] for r in results]), np.array([r[mass] for r in results])
        print(f"per-customer 90% interval, rule {name}: covers {got.mean():.3f} (range {got.min():.3f}-{got.max():.3f}); "
              f"mean stated mass {stated.mean():.3f} (range {stated.min():.3f}-{stated.max():.3f})")
    print(f"per-customer randomised-PIT 90% coverage: mean {randomised.mean():.3f}, range {randomised.min():.3f}-{randomised.max():.3f}")
    print(f"total holdout revenue inside its 90% interval: {sum(r[2] for r in results)} of {n_businesses}")
    print(f"total holdout purchases inside its 90% interval: {sum(r[3] for r in results)} of {n_businesses}")
