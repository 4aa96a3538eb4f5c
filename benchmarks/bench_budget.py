"""Wall time of a 12-month forecast of an existing base: clv.forecast_base vs the same sums with lifetimes.

lifetimes has no base forecast; the equivalent a budgeting script writes is,
for each month end ``t_k``, the sum over customers of
``BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time(t_k, ...)``
times the Gamma-Gamma ``conditional_expected_average_profit``, differenced per
month. Both libraries are given the same parameters (clv's MLE), so the
figures agree and only the time differs. Data: a simulated business
(``clv.simulate``, CDNOW parameters) summarised at daily resolution, so many
customers share their ``(frequency, recency, T)``, as in real logs.

Run: ``.venv/bin/python benchmarks/bench_budget.py [--customers 100000]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import clv


def clv_forecast(bg, gg, rfm):
    return clv.forecast_base(bg, gg, rfm, periods=12, period_length=52 / 12, discount_rate=0.0)


def lifetimes_forecast(bg, gg, rfm):
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    lbg = BetaGeoFitter()
    lbg.params_ = bg.params_.copy()
    lgg = GammaGammaFitter()
    lgg.params_ = gg.params_.copy()
    x, t_x, T = (rfm[c].to_numpy() for c in ("frequency", "recency", "T"))
    spend = lgg.conditional_expected_average_profit(rfm["frequency"], rfm["monetary_value"]).to_numpy()
    ends = np.arange(1, 13) * 52 / 12
    cum = np.array([lbg.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T) for t in ends])
    purchases = np.diff(cum.sum(axis=1), prepend=0.0)
    revenue = np.diff((cum * spend).sum(axis=1), prepend=0.0)
    return purchases, revenue


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), float(np.median(times)), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sim = clv.simulate(args.customers, seed=1, start="2023-01-01", end="2024-12-31")
    rfm = clv.rfm_summary(sim.transactions)
    bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    unique = len(rfm[["frequency", "recency", "T", "monetary_value"]].drop_duplicates())
    print(f"{len(rfm):,} customers, {unique:,} distinct (frequency, recency, T, monetary_value)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clv_best, clv_median, table = best_of(lambda: clv_forecast(bg, gg, rfm), args.repeats)
        lt_best, lt_median, (purchases, revenue) = best_of(lambda: lifetimes_forecast(bg, gg, rfm), args.repeats)
    np.testing.assert_allclose(table["expected_purchases"], purchases, rtol=1e-6)
    np.testing.assert_allclose(table["expected_revenue"], revenue, rtol=1e-6)
    print(f"clv.forecast_base     best {clv_best:.3f} s, median {clv_median:.3f} s")
    print(f"lifetimes (12 sums)   best {lt_best:.3f} s, median {lt_median:.3f} s")
    print(f"ratio lifetimes / clv: {lt_best / clv_best:.1f}x (best), {lt_median / clv_median:.1f}x (median)")


if __name__ == "__main__":
    main()
