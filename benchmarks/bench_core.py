"""Core engine benchmarks, clv against lifetimes in the same process.

1. BG/NBD fit on 1M simulated customers: clv.BetaGeo vs lifetimes.BetaGeoFitter
   (same RFM frame; parameters compared to 1e-4).
2. RFM summary of 5M transactions: clv.rfm_summary vs
   lifetimes.utils.summary_data_from_transaction_data (outputs compared).
3. Scoring 1M customers with clv.customer_value (52 weekly discounting periods).

Run: ``python benchmarks/bench_core.py [--customers 1000000] [--transactions 5000000] [--repeats 3]``.
Prints wall times (best of ``repeats``) and ratios. Timings are informational,
never asserted.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd

import clv


def best_of(repeats: int, fn):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def transactions_with_at_least(n_rows: int, seed: int) -> pd.DataFrame:
    """Simulate enough CDNOW-like customers for ``n_rows`` transactions, then keep the first ``n_rows`` customers' rows."""
    n_customers = int(n_rows / 2.6)
    tx = clv.simulate(n_customers, seed=seed, start="2022-01-01", end="2023-12-31").transactions
    while len(tx) < n_rows:
        n_customers = int(n_customers * 1.1)
        tx = clv.simulate(n_customers, seed=seed, start="2022-01-01", end="2023-12-31").transactions
    return tx.iloc[:n_rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--summary-only", action="store_true", help="only the RFM summary comparison")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # lifetimes' deprecation noise; this is a script, not library code
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    if args.summary_only:
        summary_benchmark(args, summary_data_from_transaction_data)
        return
    print(f"== BG/NBD fit, {args.customers:,} simulated customers ==")
    sim = clv.simulate(args.customers, seed=1, start="2022-01-01", end="2023-12-31")
    rfm = clv.rfm_summary(sim.transactions, observation_end="2023-12-31")
    t_clv, bg = best_of(args.repeats, lambda: clv.BetaGeo().fit(rfm))
    t_lt, bgf = best_of(1, lambda: BetaGeoFitter().fit(rfm["frequency"], rfm["recency"], rfm["T"]))
    rel = np.max(np.abs(bg.params_[["r", "alpha", "a", "b"]].to_numpy() / bgf.params_[["r", "alpha", "a", "b"]].to_numpy() - 1))
    print(f"clv {t_clv:.3f} s  lifetimes {t_lt:.3f} s  ratio {t_lt / t_clv:.1f}x  max relative parameter difference {rel:.1e}")
    print(f"  clv {bg.params_.round(5).to_dict()}  ({bg.result_.n_unique:,} distinct (x, t_x, T) tuples)")

    print(f"== scoring {args.customers:,} customers with customer_value (52 weekly periods) ==")
    gg = clv.GammaGamma().fit(rfm)
    t_score, scores = best_of(args.repeats, lambda: clv.customer_value(bg, gg, rfm, horizon=52, discount_rate=0.1))
    print(f"clv {t_score:.3f} s for {len(scores):,} customers")

    summary_benchmark(args, summary_data_from_transaction_data)


def summary_benchmark(args, summary_data_from_transaction_data) -> None:
    """read_transactions + rfm_summary against lifetimes' summary, same process, same frame."""
    print(f"== RFM summary of {args.transactions:,} transactions (clv: read_transactions + rfm_summary) ==")
    tx = transactions_with_at_least(args.transactions, seed=2)
    end = tx["date"].max().normalize()
    shuffled = tx.sample(frac=1.0, random_state=7)
    for label, frame in (("log sorted by customer and date", tx), ("rows shuffled", shuffled)):
        t_rfm, ours = best_of(args.repeats, lambda f=frame: clv.rfm_summary(clv.read_transactions(f), observation_end=end, time_unit="D"))
        t_lt_rfm, theirs = best_of(1, lambda f=frame: summary_data_from_transaction_data(
            f, "customer_id", "date", monetary_value_col="amount", observation_period_end=end, freq="D"))
        same = all(np.allclose(ours[c].to_numpy(), theirs.loc[ours.index, c].to_numpy()) for c in ("frequency", "recency", "T", "monetary_value"))
        print(f"{label}: clv {t_rfm:.3f} s  lifetimes {t_lt_rfm:.3f} s  ratio {t_lt_rfm / t_rfm:.1f}x  same output: {same}  "
              f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
