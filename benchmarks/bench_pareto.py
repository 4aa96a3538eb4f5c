"""Wall time of the Pareto/NBD maximum-likelihood fit: clv vs lifetimes, in the same run.

CDNOW (2,357 customers, weeks, calibration end 1997-09-30). Each library fits
from its own defaults (clv: L-BFGS-B on log-parameters plus Newton polish and
the observed information; lifetimes 0.11.3: ``ParetoNBDFitter().fit`` with
Nelder-Mead, ``tol=1e-4``). One warm-up fit of each, then ``--repeats``
interleaved fits; the median and best times and the ratio lifetimes / clv are
printed, with the log-likelihood each optimum reaches (both evaluated with
clv's kernel, so they are comparable).

Run: ``.venv/bin/python benchmarks/bench_pareto.py [--repeats 7]``
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from typing import Any

import clv
from clv.kernels import paretonbd


def fit_clv(rfm: Any) -> tuple[float, tuple[float, ...]]:
    start = time.perf_counter()
    model = clv.ParetoNBD().fit(rfm)
    return time.perf_counter() - start, tuple(model.params_)


def fit_lifetimes(rfm: Any) -> tuple[float, tuple[float, ...]]:
    from lifetimes import ParetoNBDFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        fitter = ParetoNBDFitter().fit(rfm["frequency"], rfm["recency"], rfm["T"])
        elapsed = time.perf_counter() - start
    return elapsed, tuple(fitter.params_[["r", "alpha", "s", "beta"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    x, t_x, T = (rfm[c].to_numpy() for c in ("frequency", "recency", "T"))
    fit_clv(rfm)
    fit_lifetimes(rfm)
    ours, theirs = [], []
    for _ in range(args.repeats):
        t, ours_params = fit_clv(rfm)
        ours.append(t)
        t, their_params = fit_lifetimes(rfm)
        theirs.append(t)

    print(f"Pareto/NBD fit on CDNOW ({len(rfm)} customers), {args.repeats} interleaved repeats after one warm-up")
    for name, times, params in (("clv", ours, ours_params), ("lifetimes", theirs, their_params)):
        ll = paretonbd.loglik(*params, x, t_x, T).sum()
        shown = ", ".join(f"{p}={v:.4f}" for p, v in zip(paretonbd.PARAMS, params))
        print(f"  {name:<10} median {statistics.median(times):6.3f} s  best {min(times):6.3f} s  LL {ll:.4f}  ({shown})")
    print(f"  ratio lifetimes / clv: median {statistics.median(theirs) / statistics.median(ours):.2f}x, "
          f"best {min(theirs) / min(ours):.2f}x")


if __name__ == "__main__":
    main()
