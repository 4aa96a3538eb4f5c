"""Calibration of clv.ab_test on simulated experiments (issue 15).

Each experiment simulates two arms with clv.simulate (customers assigned at
their first purchase, uniformly over 4 weeks, observed for about a year) and
runs clv.ab_test. Recorded: the share of experiments in which the
likelihood-ratio test of the purchase model (and the per-metric Wald tests)
reject at 5%, and the share in which the 90% interval of the LTV difference
covers the true difference (computed from the true parameters with the same
formula). Run:

    python benchmarks/bench_ab_calibration.py --scenario null --experiments 200
    python benchmarks/bench_ab_calibration.py --scenario effect --experiments 200
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time

import numpy as np
import pandas as pd

import clv
from clv.operations.ab_test import arm_metrics
from clv.valuation import discount_factors, period_edges

BASE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW BG/NBD (Fader, Hardie & Lee 2005)
SPEND = {"p": 6.25, "q": 3.74, "v": 15.44}  # CDNOW Gamma-Gamma (Fader & Hardie 2013)
HORIZON, RATE, MARGIN = 52.0, 0.1, 0.3


@functools.lru_cache
def _true_ltv(items: tuple[tuple[str, float], ...]) -> float:
    params = dict(items)
    edges = period_edges(HORIZON, 1.0)
    tm, sm = clv.BetaGeo.from_params(params), clv.GammaGamma.from_params(SPEND)
    rfm = clv.rfm_summary(clv.datasets.load_cdnow())  # only p_alive uses it; LTV does not
    return arm_metrics(tm, sm, rfm, edges=edges, factors=discount_factors(edges, RATE, "W"), margin=MARGIN)["ltv"]


def true_ltv(params: dict[str, float]) -> float:
    return _true_ltv(tuple(sorted(params.items())))


def one(seed: int, n_per_arm: int, effect: float, n_draws: int, end: str = "2025-01-01") -> dict[str, float]:
    treated = {**BASE, "alpha": BASE["alpha"] / (1 + effect)}  # purchase rate r/alpha up by `effect`
    arms = {"control": {"share": 1.0, "params": BASE}, "treatment": {"share": 1.0, "params": treated}}
    sim = clv.simulate(2 * n_per_arm, spend_params=SPEND, seed=seed, start="2024-01-01", end=end,
                       acquisition_end="2024-01-29", channels=arms)
    last_day = (pd.Timestamp(end) - pd.Timedelta(days=1)).date()
    rfm = clv.rfm_summary(sim.transactions, observation_end=last_day).join(sim.customers["channel"].rename("arm"))
    res = clv.ab_test(rfm, control="control", horizon=HORIZON, discount_rate=RATE, margin=MARGIN, n_draws=n_draws, seed=seed)
    t = res.table.set_index("metric")
    truth = true_ltv(treated) - true_ltv(BASE)
    return {
        "lr_p": float(res.tests.loc["purchase_model", "p_value"]),
        "lr_spend_p": float(res.tests.loc["spend_model", "p_value"]),
        "rate_p": float(t.loc["purchase_rate", "p_value"]),
        "ltv_p": float(t.loc["ltv", "p_value"]),
        "ltv_covered": float(t.loc["ltv", "difference_lower"] <= truth <= t.loc["ltv", "difference_upper"]),
        "ltv_diff": float(t.loc["ltv", "difference"]),
        "truth": truth,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", choices=["null", "effect"], required=True)
    ap.add_argument("--experiments", type=int, default=200)
    ap.add_argument("--n-per-arm", type=int, default=5000)
    ap.add_argument("--n-draws", type=int, default=200)
    ap.add_argument("--end", default="2025-01-01", help="End of observation (exclusive); arms are assigned in January 2024.")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    effect = 0.0 if args.scenario == "null" else 0.15
    start = time.perf_counter()
    rows = [one(1000 + i, args.n_per_arm, effect, args.n_draws, args.end) for i in range(args.experiments)]
    lr = np.array([r["lr_p"] for r in rows])
    summary = {
        "scenario": args.scenario, "end": args.end, "experiments": args.experiments, "n_per_arm": args.n_per_arm, "n_draws": args.n_draws,
        "reject_lr_purchase_model_5pct": float(np.mean(lr < 0.05)),
        "reject_lr_spend_model_5pct": float(np.mean([r["lr_spend_p"] < 0.05 for r in rows])),
        "reject_purchase_rate_wald_5pct": float(np.mean([r["rate_p"] < 0.05 for r in rows])),
        "reject_ltv_wald_5pct": float(np.mean([r["ltv_p"] < 0.05 for r in rows])),
        "ltv_90pct_interval_coverage": float(np.mean([r["ltv_covered"] for r in rows])),
        "true_ltv_difference": rows[0]["truth"],
        "mean_estimated_ltv_difference": float(np.mean([r["ltv_diff"] for r in rows])),
        "seconds": round(time.perf_counter() - start, 1), "load_average": os.getloadavg(),
    }
    text = json.dumps(summary, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"summary": summary, "experiments": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
