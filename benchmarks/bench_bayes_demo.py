"""Wall time and sampler health of the demo Bayesian report at the CLI defaults (issue 18).

Runs what ``clv report -t data/demo/transactions.csv -a data/demo/acquisitions.csv
-s data/demo/channel_spend.csv --out DIR --model bayes --seed 1`` runs (CLI
defaults: 2 chains x (500 tuning + 500 draws), 100 posterior draws for scoring
and intervals), timing each stage from the progress messages, then prints per
model the final step sizes, gradient evaluations per draw, max R-hat, min bulk
and tail ESS and divergences (from the report's ``summary.json``), and the load
average before and after (the goal, under 2 minutes, is for a quiet 2-core
machine; on a loaded one the wall time says little, the sampler statistics
still do).

Run: ``python benchmarks/bench_bayes_demo.py [--draws 500] [--chains 2] [--out DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import clv

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=500, help="--bayes-draws (tuning steps and kept draws per chain)")
    parser.add_argument("--chains", type=int, default=2, help="--chains")
    parser.add_argument("--out", default=None, help="report directory (default: a temporary one)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="bench_bayes_demo_")) / "report"
    start, stages = time.perf_counter(), []

    def progress(text: str) -> None:
        stages.append((time.perf_counter() - start, text))
        print(f"[{stages[-1][0]:7.1f}s] {text}", flush=True)

    load_before = os.getloadavg()
    clv.run_report({"transactions": str(DEMO / "transactions.csv"), "acquisitions": str(DEMO / "acquisitions.csv"),
                    "spend": str(DEMO / "channel_spend.csv"), "out": str(out), "model_kind": "bayes", "seed": 1,
                    "bayes_draws": args.draws, "chains": args.chains, "progress": progress})
    wall = time.perf_counter() - start
    sampler = json.loads((out / "summary.json").read_text())["sections"]["sampler"]
    print(f"\nend to end: {wall:.1f} s; load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    print(f"diagnostics passed: {sampler['passed']}; failures: {sampler['failures'] or 'none'}")
    for model, stats in sampler.get("models", {}).items():
        print(f"{model}: " + ", ".join(f"{k} {v}" for k, v in stats.items()))
    print(f"report: {out}")


if __name__ == "__main__":
    main()
