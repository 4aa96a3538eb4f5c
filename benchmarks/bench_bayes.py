"""Wall time of the Bayesian BG/NBD: clv.bayes vs PyMC-Marketing, in the same run.

CDNOW (2,357 customers, weeks, calibration end 1997-09-30), ``group=None``:
end-to-end time (build, compile, sample 4 chains x 1000 draws after 1000
tuning steps, 2 chains in parallel) of :class:`clv.bayes.HierarchicalBetaGeo`
against ``pymc_marketing.clv.BetaGeoModel`` with the same draws, tuning,
chains and cores; the ratio is printed. PyTensor's on-disk compile cache is
warm for both (one short warm-up fit of each first), so "compile" means graph
rewriting and linking, not the C compiler.

``--large`` also times a 1,000,000-customer, 5-channel hierarchical fit on
simulated data (RFM from the simulated transaction log). At daily resolution
the million customers form about 489,000 distinct (channel, x, t_x, T) tuples,
all fitted exactly by default; ``--resolution W`` rounds recency and T to W
weeks for fitting instead (``time_resolution`` of ``fit``, an approximation).

Run: ``.venv/bin/python benchmarks/bench_bayes.py [--large] [--nutpie]``
(PyMC-Marketing comes with the ``bench`` extra: ``pip install -e .[bench]``).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import clv
import clv.bayes

DRAWS, TUNE, CHAINS, CORES, SEED = 1000, 1000, 4, 2, 2024


def cdnow_rfm() -> Any:
    return clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")


def time_clv(rfm: Any, *, draws: int, tune: int, sampler: str = "pymc") -> tuple[float, Any]:
    start = time.perf_counter()
    model = clv.bayes.HierarchicalBetaGeo(group=None, sampler=sampler).fit(
        rfm, draws=draws, tune=tune, chains=CHAINS, cores=CORES, random_seed=SEED
    )
    return time.perf_counter() - start, model


def time_pymc_marketing(rfm: Any, *, draws: int, tune: int) -> tuple[float, Any]:
    from pymc_marketing.clv import BetaGeoModel

    data = rfm[["frequency", "recency", "T"]].reset_index()
    start = time.perf_counter()
    model = BetaGeoModel(data=data)
    model.fit(method="mcmc", draws=draws, tune=tune, chains=CHAINS, cores=CORES, random_seed=SEED, progressbar=False)
    return time.perf_counter() - start, model


def cdnow(nutpie: bool) -> None:
    rfm = cdnow_rfm()
    print(f"CDNOW: {len(rfm)} customers; {CHAINS} chains x {DRAWS} draws (+{TUNE} tune), {CORES} cores")
    time_clv(rfm, draws=20, tune=20)  # warm the compile cache
    time_pymc_marketing(rfm, draws=20, tune=20)
    ours, model = time_clv(rfm, draws=DRAWS, tune=TUNE)
    theirs, peer = time_pymc_marketing(rfm, draws=DRAWS, tune=TUNE)
    diag = model.diagnostics()
    post = peer.idata.posterior
    print(f"  clv.bayes (pymc NUTS)        {ours:7.1f} s   unique tuples {model.n_unique_}  {diag}")
    print(f"  pymc-marketing BetaGeoModel  {theirs:7.1f} s   divergences {int(peer.idata.sample_stats['diverging'].sum())}")
    print(f"  ratio pymc-marketing / clv   {theirs / ours:7.2f}x")
    means = model.group_params().xs("all")["mean"]
    print("  posterior means clv:", {k: round(float(means[k]), 4) for k in ("r", "alpha", "a", "b")})
    print("  posterior means pymc-marketing:", {k: round(float(post[k].mean()), 4) for k in ("r", "alpha", "a", "b")})
    if nutpie:
        time_clv(rfm, draws=20, tune=20, sampler="nutpie")
        t_nut, m_nut = time_clv(rfm, draws=DRAWS, tune=TUNE, sampler="nutpie")
        print(f"  clv.bayes (nutpie)           {t_nut:7.1f} s   ratio pymc-marketing / clv-nutpie {theirs / t_nut:.2f}x  {m_nut.diagnostics()}")


CHANNELS = {
    "search": {"share": 0.60, "params": {"r": 0.25, "alpha": 4.0, "a": 0.80, "b": 2.5}},
    "social": {"share": 0.25, "params": {"r": 0.40, "alpha": 5.0, "a": 1.00, "b": 3.0}},
    "email": {"share": 0.10, "params": {"r": 0.30, "alpha": 3.0, "a": 0.60, "b": 3.0}},
    "tv": {"share": 0.04, "params": {"r": 0.20, "alpha": 6.0, "a": 0.90, "b": 2.0}},
    "referral": {"share": 0.01, "params": {"r": 0.35, "alpha": 4.5, "a": 0.70, "b": 2.8}},
}


def large(n: int, draws: int, tune: int, resolution: float | None) -> None:
    start = time.perf_counter()
    sim = clv.simulate(n, seed=SEED, channels=CHANNELS, start="2024-01-01", end="2025-12-31")
    rfm = clv.rfm_summary(sim.transactions, observation_end="2025-12-31")
    rfm["channel"] = sim.customers["channel"].reindex(rfm.index)
    prep = time.perf_counter() - start
    start = time.perf_counter()
    model = clv.bayes.HierarchicalBetaGeo(group="channel", progressbar=True).fit(
        rfm, draws=draws, tune=tune, chains=CHAINS, cores=CORES, random_seed=SEED, time_resolution=resolution
    )
    fit = time.perf_counter() - start
    print(f"{n:,} customers, 5 channels: simulate + RFM {prep:.1f} s; time_resolution {resolution} weeks;"
          f" unique (channel, x, t_x, T) tuples {model.n_unique_:,}")
    steps = float(model.idata.sample_stats["n_steps"].mean())
    print(f"  hierarchical BG/NBD fit ({CHAINS} x {draws} draws + {tune} tune, {CORES} cores): {fit:.1f} s,"
          f" {steps:.1f} leapfrog steps per iteration   {model.diagnostics()}")
    start = time.perf_counter()
    model.probability_alive(rfm, n_draws=400, interval=0.9)
    print(f"  P(alive) mean + 90% interval for all customers (400 draws, chunked): {time.perf_counter() - start:.1f} s")
    table = model.group_params().unstack("quantity")
    truth = {k: (v["params"]["r"] / v["params"]["alpha"], v["params"]["a"] / (v["params"]["a"] + v["params"]["b"])) for k, v in CHANNELS.items()}
    for ch, (rate, drop) in truth.items():
        row = table.loc[ch]
        print(
            f"  {ch:9s} rate {row[('mean', 'purchase_rate')]:.4f} [{row[('lower', 'purchase_rate')]:.4f}, {row[('upper', 'purchase_rate')]:.4f}]"
            f" truth {rate:.4f};  dropout {row[('mean', 'dropout_probability')]:.3f}"
            f" [{row[('lower', 'dropout_probability')]:.3f}, {row[('upper', 'dropout_probability')]:.3f}] truth {drop:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also time the 1M-customer, 5-channel fit")
    parser.add_argument("--large-only", action="store_true", help="only the large fit")
    parser.add_argument("--n", type=int, default=1_000_000, help="customers in the large fit")
    parser.add_argument("--resolution", type=float, default=0.0, help="time_resolution (weeks) of the large fit; 0 = exact (default)")
    parser.add_argument("--draws", type=int, default=DRAWS, help="draws (and tuning steps) per chain of the large fit")
    parser.add_argument("--nutpie", action="store_true", help="also time the nutpie sampler on CDNOW")
    args = parser.parse_args()
    if not args.large_only:
        cdnow(args.nutpie)
    if args.large or args.large_only:
        large(args.n, args.draws, args.draws, args.resolution or None)


if __name__ == "__main__":
    main()
