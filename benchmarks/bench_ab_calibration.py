"""Calibration of clv.ab_test on simulated experiments (issue 15).

Each experiment simulates two arms with clv.simulate (customers assigned at
their first purchase, uniformly over 4 weeks, observed for about a year) and
runs clv.ab_test. Recorded: the share of experiments in which the
likelihood-ratio test of the purchase model (and the per-metric Wald tests)
reject at 5%, and the share in which the 90% interval of the LTV difference
covers the true difference (computed from the true parameters with the same
formula). Every row's test is recorded: the omnibus likelihood-ratio tests
("same parameters"), the focused 1-df likelihood-ratio tests of the mean
purchase rate, mean dropout and mean spend (clv.operations.focused_tests), and
the Wald tests from the parameter draws. Run both scenarios with one command:

    python benchmarks/bench_ab_calibration.py --experiments 200 --out ab_calibration.jsonl

(--first-seed splits a run over processes; --summarise a.jsonl b.jsonl prints
the summaries of finished experiments.)

Two designs (--design):

* ``new`` (session 4): the design below, new customers assigned at their
  first purchase; post-assignment per-arm fits.
* ``existing`` (session 5): 5,000 existing customers per arm, acquired
  uniformly over 2024, all assigned on 2025-01-01 and observed to 2025-12-31;
  the treatment arm's purchase rate is multiplied by 1 + effect from the
  assignment on (clv.simulate's ``rate_multiplier``, an exact time change).
  clv.ab_test then uses the within-customer test (clv.operations.ab_within),
  each customer's pre-assignment history as the baseline. The true LTV
  difference is computed with the true parameters and multipliers over the
  same customers' histories at assignment (the quantity the interval
  estimates), times the true mean spend.

Session 6: the P(alive) row (both designs) and, under the within-customer
design, the dropout, spend and omnibus rows are permutation tests of
per-customer values under one fit of all arms pooled
(clv.operations.ab_permutation; 2,000 relabellings). The commands for the
session-6 tables:

    python benchmarks/bench_ab_calibration.py --design existing --experiments 200 --out ab_existing.jsonl
    python benchmarks/bench_ab_calibration.py --design new --experiments 200 --first-seed 2000 --out ab_new.jsonl

Design ``new``: CDNOW-like parameters (BG/NBD of Fader, Hardie & Lee 2005; Gamma-Gamma
of Fader & Hardie 2013), 5,000 customers per arm, each customer's clock starting
at the first purchase in January 2024 (assignment), observed to 2024-12-31
(48-52 weeks after assignment). The effect scenario divides the treatment's
alpha by 1.15 (purchase rate r/alpha +15%, nothing else changed).
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
ASSIGNED = "2025-01-01"  # design "existing": assignment day of every customer


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
    out = {"omnibus_purchase_p": float(res.tests.loc["purchase_model", "p_value"]),
           "omnibus_spend_p": float(res.tests.loc["spend_model", "p_value"])}
    for metric in ("purchase_rate", "dropout", "p_alive", "spend", "ltv"):
        out[f"{metric}_p"] = float(t.loc[metric, "p_value"])  # the row's test (focused LR where available)
        out[f"{metric}_wald_p"] = float(t.loc[metric, "p_value_wald"])
    out.update({
        "ltv_covered": float(t.loc["ltv", "difference_lower"] <= truth <= t.loc["ltv", "difference_upper"]),
        "ltv_diff": float(t.loc["ltv", "difference"]),
        "truth": truth,
    })
    return out


def one_existing(seed: int, n_per_arm: int, effect: float, n_draws: int) -> dict[str, float]:
    """One experiment on existing customers (module notes), judged by clv.ab_test's within-customer design."""
    from clv.operations.ab_within import WithinFit, within_purchases

    arms = {"control": {"share": 1.0, "assigned_at": ASSIGNED},
            "treatment": {"share": 1.0, "assigned_at": ASSIGNED, "rate_multiplier": 1.0 + effect}}
    sim = clv.simulate(2 * n_per_arm, params=BASE, spend_params=SPEND, seed=seed, start="2024-01-01", acquisition_end=ASSIGNED,
                       end="2026-01-01", channels=arms)
    table = sim.customers[["channel", "assigned_at"]].rename(columns={"channel": "arm"}).reset_index()
    rfm = clv.operations.experiment_rfm(sim.transactions, table, observation_end="2025-12-31", history=True)
    res = clv.ab_test(rfm, control="control", horizon=HORIZON, discount_rate=RATE, margin=MARGIN, n_draws=n_draws, seed=seed)
    t = res.table.set_index("metric")
    edges = period_edges(HORIZON, 1.0)
    true_fit = WithinFit(BASE, {"control": 1.0, "treatment": 1.0 + effect}, 0.0, np.zeros((6, 6)), {}, 0, len(rfm), 0)
    purchases = within_purchases(true_fit, rfm, edges, discount_factors(edges, RATE, "W"))[0]
    spend = SPEND["p"] * SPEND["v"] / (SPEND["q"] - 1)
    truth = MARGIN * spend * (purchases["treatment"] - purchases["control"])
    out = {"design_used": res.settings["design"],
           "within_ratio": float(res.within.theta["treatment"] / res.within.theta["control"]),
           "omnibus_purchase_p": float(res.tests.loc["purchase_model", "p_value"]),
           "post_assignment_rate_p": float(res.tests.loc["purchase_rate: treatment", "p_value"]),
           "omnibus_permutation_p": float(res.tests.loc["omnibus (permutation): treatment", "p_value"])}
    for metric in ("purchase_rate", "dropout", "p_alive", "spend", "ltv"):
        out[f"{metric}_p"] = float(t.loc[metric, "p_value"])
        out[f"{metric}_wald_p"] = float(t.loc[metric, "p_value_wald"])
    out.update({"ltv_covered": float(t.loc["ltv", "difference_lower"] <= truth <= t.loc["ltv", "difference_upper"]),
                "rate_ratio_covered": float(t.loc["purchase_rate", "ratio_lower"] <= 1.0 + effect <= t.loc["purchase_rate", "ratio_upper"]),
                "ltv_diff": float(t.loc["ltv", "difference"]), "truth": truth})
    return out


def summarise(rows: list[dict[str, float]]) -> dict[str, float]:
    """Rejection rates at 5% of every test, and the LTV interval's coverage."""
    out = {f"reject_{k[:-2]}_5pct": float(np.mean([r[k] < 0.05 for r in rows])) for k in rows[0] if k.endswith("_p")}
    out["monte_carlo_se_at_5pct"] = float(np.sqrt(0.05 * 0.95 / len(rows)))
    out["ltv_90pct_interval_coverage"] = float(np.mean([r["ltv_covered"] for r in rows]))
    if "rate_ratio_covered" in rows[0]:
        out["rate_ratio_90pct_interval_coverage"] = float(np.mean([r["rate_ratio_covered"] for r in rows]))
        out["mean_within_ratio"] = float(np.mean([r["within_ratio"] for r in rows]))
        out["designs_used"] = sorted({r["design_used"] for r in rows})
    out["true_ltv_difference"] = float(np.mean([r["truth"] for r in rows]))
    out["mean_estimated_ltv_difference"] = float(np.mean([r["ltv_diff"] for r in rows]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--design", choices=["new", "existing"], default="existing",
                    help="new: new customers, post-assignment fits (session 4); existing: existing customers, within-customer test.")
    ap.add_argument("--scenario", choices=["null", "effect", "both"], default="both")
    ap.add_argument("--experiments", type=int, default=200, help="Simulated experiments per scenario (seeds first-seed, +1, ...).")
    ap.add_argument("--first-seed", type=int, default=1000, help="Seed of the first experiment (to split a run over processes).")
    ap.add_argument("--n-per-arm", type=int, default=5000)
    ap.add_argument("--n-draws", type=int, default=200)
    ap.add_argument("--effect", type=float, default=0.15, help="Relative rise of the treatment's purchase rate r/alpha.")
    ap.add_argument("--end", default="2025-01-01", help="End of observation (exclusive); arms are assigned in January 2024.")
    ap.add_argument("--out", default=None, help="JSON-lines file: one line per experiment, appended as it finishes.")
    ap.add_argument("--summarise", nargs="+", default=None, metavar="JSONL",
                    help="Only print the summaries of the experiments in these --out files (e.g. of parallel runs).")
    args = ap.parse_args()
    if args.summarise:
        rows = [json.loads(line) for path in args.summarise for line in open(path) if line.strip()]
        for design in ("new", "existing"):
            for scenario in ("null", "effect"):
                mine = [r for r in rows if r["scenario"] == scenario and r.get("design", "new") == design]
                if mine:
                    load = [x for r in mine for x in r.get("load_average", [])[:1]]
                    print(json.dumps({"design": design, "scenario": scenario, "experiments": len(mine), **summarise(mine),
                                      "load_average_1min_mean": float(np.mean(load)) if load else None}, indent=2))
        return
    scenarios = ["null", "effect"] if args.scenario == "both" else [args.scenario]
    for scenario in scenarios:
        effect = 0.0 if scenario == "null" else args.effect
        start, load_before = time.perf_counter(), os.getloadavg()
        rows = []
        for seed in range(args.first_seed, args.first_seed + args.experiments):
            run = one(seed, args.n_per_arm, effect, args.n_draws, args.end) if args.design == "new" else \
                one_existing(seed, args.n_per_arm, effect, args.n_draws)
            rows.append({"design": args.design, "scenario": scenario, "seed": seed, **run})
            if args.out:
                with open(args.out, "a") as fh:
                    fh.write(json.dumps({**rows[-1], "load_average": os.getloadavg()}) + "\n")
        summary = {"design": args.design, "scenario": scenario, "effect": effect, "end": args.end, "experiments": args.experiments,
                   "n_per_arm": args.n_per_arm, "n_draws": args.n_draws, **summarise(rows),
                   "seconds": round(time.perf_counter() - start, 1), "load_average_start": load_before,
                   "load_average_end": os.getloadavg()}
        print(json.dumps(summary, indent=2), flush=True)


if __name__ == "__main__":
    main()
