"""CPU time of posterior predictions through the shared wrappers (issue 12), without sampling.

A posterior of 2 chains x 100 draws for 3 groups is set directly (no PyMC
run), then HierarchicalBetaGeo.expected_purchases with interval=0.9 and
clv.customer_value over all 200 draws are timed on CDNOW (2,357 customers).
Usage: PYTHONPATH=<tree> python benchmarks/bench_posterior_predictions.py
(run it with main's tree and with a branch's to compare).
"""

from __future__ import annotations

import os
import time

import arviz as az
import numpy as np

import clv
import clv.bayes


def posterior(names: tuple[str, ...], centre: tuple[float, ...], levels: list[str], rng: np.random.Generator) -> az.InferenceData:
    draws = {k: np.exp(np.log(c) + 0.05 * rng.standard_normal((2, 100, len(levels)))) for k, c in zip(names, centre)}
    return az.from_dict(posterior=draws, coords={"group": levels}, dims={k: ["group"] for k in names})


def cpu_seconds(call, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    levels = ["a", "b", "c"]
    rfm["channel"] = np.array(levels)[rfm.index.to_numpy() % 3]
    rng = np.random.default_rng(5)
    state = {"levels": levels, "sizes": [1, 1, 1], "n_excluded": 0, "n_unique": 3, "data_hash": "-", "fit": {}}
    bg = clv.bayes.HierarchicalBetaGeo(group="channel")
    bg.restore_state(posterior(("r", "alpha", "a", "b"), (0.24, 4.4, 0.79, 2.4), levels, rng), state)
    gg = clv.bayes.HierarchicalGammaGamma(group="channel")
    gg.restore_state(posterior(("p", "q", "v"), (6.25, 3.7, 15.4), levels, rng), state)
    print(f"load average {os.getloadavg()[0]:.1f}")
    seconds = cpu_seconds(lambda: bg.expected_purchases(rfm, 39.0, interval=0.9), 3)
    print(f"expected_purchases, 200 draws x {len(rfm):,} customers, interval=0.9: {seconds:.2f} s CPU")
    seconds = cpu_seconds(lambda: clv.customer_value(bg, gg, rfm, horizon=52, discount_rate=0.1), 1)
    print(f"customer_value, 200 draws, 52-week horizon: {seconds:.2f} s CPU")


if __name__ == "__main__":
    main()
