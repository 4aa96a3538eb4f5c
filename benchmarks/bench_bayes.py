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
The large fit's budget defaults to 4 chains x (1000 tune + 1000 draws);
``--draws N`` (tuning steps too unless ``--tune``) and ``--chains`` change it.
Session 6 measured the 5-minute goal at ``--large-only --draws 400``
(4 x (400 + 400): 252 s quiet, diagnostics pass; benchmarks/RESULTS.md,
"Session 6: quiet figures").

``--truth-check`` fits the MLE per channel on the large fit's data three ways
(the day-grid RFM, the simulator's exact counts and times, merged counts with
exact times) and counts same-day merges: why the purchase-rate intervals sit
below the simulator's parameters.

``--gradient`` times one log-likelihood + gradient evaluation of the
hierarchical BG/NBD (the likelihood Op NUTS calls at every leapfrog step) on
the 1M-customer data and on the demo data (``data/demo``, 6 channels), in
wall and CPU milliseconds; run it with ``PYTHONPATH`` pointing at another
checkout to compare versions.

``--scoring`` times the Bayesian report's scoring stage on the demo data
(29,850 customers in 6 channels, 100 posterior draws, 52 weekly discounting
periods: ``PosteriorModelSet.score`` as ``clv report --model bayes`` calls it),
with fixed draws around each channel's MLE instead of a sampled posterior so
that it runs without sampling.

Run: ``.venv/bin/python benchmarks/bench_bayes.py [--large | --large-only [--draws N]] [--nutpie] [--gradient] [--scoring] [--truth-check]``
(PyMC-Marketing comes with the ``bench`` extra: ``pip install -e .[bench]``).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path
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


def large_rfm(n: int) -> Any:
    sim = clv.simulate(n, seed=SEED, channels=CHANNELS, start="2024-01-01", end="2025-12-31")
    rfm = clv.rfm_summary(sim.transactions, observation_end="2025-12-31")
    rfm["channel"] = sim.customers["channel"].reindex(rfm.index)
    return rfm


def demo_rfm() -> Any:
    import pandas as pd

    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    rfm = clv.rfm_summary(clv.read_transactions(demo / "transactions.csv"))
    channel = pd.read_csv(demo / "acquisitions.csv").set_index("customer_id")["channel"]
    return rfm.assign(channel=channel.reindex(rfm.index)).dropna(subset=["channel"])


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the chain processes)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def gradient(n: int, repeats: int = 30) -> None:
    """Wall and CPU time of one evaluation of the likelihood Op (value and gradient of every group)."""
    import numpy as np

    print(f"clv from {Path(clv.__file__).parent}; load average {os.getloadavg()[0]:.1f}")
    for label, rfm in ((f"{n:,} customers, 5 channels", large_rfm(n)), ("demo, 6 channels", demo_rfm())):
        model = clv.bayes.HierarchicalBetaGeo(group="channel")
        data = model._prepare(rfm)
        op = model._loglik_op(data)
        groups = len(data["levels"])
        params = [np.full(groups, v) for v in (0.3, 4.0, 0.8, 2.5)]
        out: list[list[Any]] = [[None] for _ in range(5)]
        start = time.perf_counter()
        op.perform(None, params, out)  # first call: imports and compiles (or loads the compiled kernel)
        first = time.perf_counter() - start
        best_wall, best_cpu = np.inf, np.inf
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(repeats):
                op.perform(None, params, out)
            best_wall = min(best_wall, (time.perf_counter() - wall) / repeats)
            best_cpu = min(best_cpu, (time.process_time() - cpu) / repeats)
        print(f"  {label}: {len(data['weights']):,} distinct tuples; first call {first:.2f} s;"
              f" per log-likelihood + gradient {1e3 * best_wall:.2f} ms wall, {1e3 * best_cpu:.2f} ms CPU (best of 3 x {repeats})")
    print(f"load average after {os.getloadavg()[0]:.1f}")


def scoring(n_draws: int = 100) -> None:
    """Wall and CPU time of scoring the demo customers under ``n_draws`` posterior draws (the report's scoring stage)."""
    import numpy as np
    import pandas as pd

    from clv.model_set import PosteriorModelSet

    class Draws:
        def __init__(self, rows: list[dict[str, Any]]) -> None:
            self.table = pd.DataFrame(rows)

        def group_param_draws(self, n: int, *, seed: int) -> Any:
            return self.table[self.table["draw"] < n]

    rfm = demo_rfm()
    rng = np.random.default_rng(SEED)
    t_rows, s_rows = [], []
    for channel, sub in rfm.groupby("channel"):
        fits = clv.BetaGeo().fit(sub).params_, clv.GammaGamma().fit(sub).params_
        for d in range(n_draws):
            for rows, params in zip((t_rows, s_rows), fits):
                rows.append({"draw": d, "group": channel, **{k: v * np.exp(rng.normal(0, 0.05)) for k, v in params.items()}})
    models = PosteriorModelSet(Draws(t_rows), Draws(s_rows))
    load, wall, cpu = os.getloadavg()[0], time.perf_counter(), time.process_time()
    scores = models.score(rfm, rfm["channel"], horizon=52.0, discount_rate=0.1, margin=0.3, time_unit="W", n_draws=n_draws, seed=1)
    print(f"clv from {Path(clv.__file__).parent}: scoring {len(rfm):,} demo customers under {n_draws} draws, 52 weekly periods:"
          f" {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU; load average {load:.1f} before,"
          f" {os.getloadavg()[0]:.1f} after; total CLV {scores['clv'].sum():,.2f}")


def large(n: int, draws: int, tune: int, resolution: float | None, chains: int = CHAINS) -> None:
    start = time.perf_counter()
    rfm = large_rfm(n)
    prep = time.perf_counter() - start
    load, cpu = os.getloadavg()[0], cpu_seconds()
    start = time.perf_counter()
    model = clv.bayes.HierarchicalBetaGeo(group="channel", progressbar=True).fit(
        rfm, draws=draws, tune=tune, chains=chains, cores=CORES, random_seed=SEED, time_resolution=resolution
    )
    fit, fit_cpu = time.perf_counter() - start, cpu_seconds() - cpu
    print(f"{n:,} customers, 5 channels: simulate + RFM {prep:.1f} s; time_resolution {resolution} weeks;"
          f" unique (channel, x, t_x, T) tuples {model.n_unique_:,}")
    stats = model.idata.sample_stats
    steps = float(stats["n_steps"].mean())
    sizes = ", ".join(f"{v:.3f}" for v in stats["step_size"].isel(draw=-1).values)
    print(f"  hierarchical BG/NBD fit ({chains} x {draws} draws + {tune} tune, {CORES} cores): {fit:.1f} s wall,"
          f" {fit_cpu:.0f} CPU s (all processes); load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"  {steps:.1f} leapfrog steps (gradient evaluations) per draw (max {int(stats['n_steps'].max())}); final step sizes {sizes};"
          f" {1e3 * fit_cpu / (steps * chains * (draws + tune)):.1f} ms CPU per gradient evaluation (whole fit's CPU / kept draws' steps"
          " scaled to all iterations)")
    print(f"  {model.diagnostics()}")
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


def truth_check(n: int) -> None:
    """MLE per channel on the large fit's data: the day-grid RFM against the simulator's exact times and counts.

    ``rfm_summary`` merges purchases on the same day into one; the simulator's
    ``customers`` table keeps the exact repeat count, recency and age. The mean
    purchase rate ``r / alpha`` of each fit is compared with the truth.
    """
    sim = clv.simulate(n, seed=SEED, channels=CHANNELS, start="2024-01-01", end="2025-12-31")
    rfm = clv.rfm_summary(sim.transactions, observation_end="2025-12-31")
    cust = sim.customers
    tx = sim.transactions
    channel_of_row = tx["customer_id"].map(cust["channel"])
    merged = tx.assign(day=tx["date"].dt.floor("D")).duplicated(["customer_id", "day"]).groupby(channel_of_row).sum()
    repeats = channel_of_row.value_counts() - cust["channel"].value_counts()
    n_merged = rfm.attrs["exclusions"]["rows_merged_same_day"]
    print(f"{n:,} customers: {len(tx):,} transactions, {n_merged:,} merged into an earlier purchase on the same day")
    exact = cust[["frequency", "recency", "T"]].reindex(rfm.index)
    variants = {"day grid (rfm_summary)": rfm[["frequency", "recency", "T"]], "exact (simulator)": exact,
                "merged counts, exact times": exact.assign(frequency=rfm["frequency"]).assign(
                    recency=lambda d: d["recency"].where(d["frequency"] > 0, 0.0))}
    for ch, spec in CHANNELS.items():
        at = cust["channel"].reindex(rfm.index) == ch
        truth = spec["params"]["r"] / spec["params"]["alpha"]
        cells = []
        for frame in variants.values():
            sub = frame[at]
            sub.attrs["time_unit"] = "W"
            p = clv.BetaGeo().fit(sub).params_
            cells.append(f"{p['r'] / p['alpha']:.5f} ({p['r'] / p['alpha'] / truth - 1:+.1%})")
        print(f"  {ch:9s} same-day merges {int(merged[ch]):6,} of {int(repeats[ch]):9,} repeat purchases ({merged[ch] / repeats[ch]:.1%});"
              f" mean purchase rate truth {truth:.5f}; MLE " + ", ".join(f"{k} {v}" for k, v in zip(variants, cells)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also time the 1M-customer, 5-channel fit")
    parser.add_argument("--large-only", action="store_true", help="only the large fit")
    parser.add_argument("--n", type=int, default=1_000_000, help="customers in the large fit")
    parser.add_argument("--resolution", type=float, default=0.0, help="time_resolution (weeks) of the large fit; 0 = exact (default)")
    parser.add_argument("--draws", type=int, default=DRAWS, help="kept draws per chain of the large fit")
    parser.add_argument("--tune", type=int, default=None, help="tuning steps per chain of the large fit (default: --draws)")
    parser.add_argument("--chains", type=int, default=CHAINS, help="chains of the large fit (2 run at a time)")
    parser.add_argument("--nutpie", action="store_true", help="also time the nutpie sampler on CDNOW")
    parser.add_argument("--gradient", action="store_true", help="only time one likelihood + gradient evaluation (1M and demo data)")
    parser.add_argument("--scoring", action="store_true", help="only time the Bayesian report's scoring stage on the demo data")
    parser.add_argument("--truth-check", action="store_true", help="only fit the MLE per channel of the large fit's data against the truth")
    args = parser.parse_args()
    if args.gradient:
        gradient(args.n)
        return
    if args.scoring:
        scoring()
        return
    if args.truth_check:
        truth_check(args.n)
        return
    if not args.large_only:
        cdnow(args.nutpie)
    if args.large or args.large_only:
        large(args.n, args.draws, args.draws if args.tune is None else args.tune, args.resolution or None, args.chains)


if __name__ == "__main__":
    main()
