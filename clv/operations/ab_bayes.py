"""Bayesian A/B comparison on lifetime value: :mod:`clv.bayes` with the arm as group.

The arms' hierarchical BG/NBD and Gamma-Gamma posteriors give every compared
quantity of :data:`clv.operations.ab_test.METRICS` per posterior draw, and
P(treatment better) is the posterior share of draws in which the treatment
arm is better. The frame is the one :func:`clv.ab_test` takes (time since
assignment, see :mod:`clv.operations.ab_test`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.operations.ab_test import METRICS, arm_metrics, check_arms
from clv.valuation import discount_factors, period_edges

__all__ = ["ab_test_bayes"]


def ab_test_bayes(
    rfm: pd.DataFrame,
    arm: str = "arm",
    control: Any = None,
    horizon: float = 52.0,
    discount_rate: float = 0.1,
    margin: float = 1.0,
    seed: int = 0,
    *,
    time_unit: str = "W",
    draws: int = 500,
    chains: int = 2,
    interval: float = 0.9,
    progressbar: bool = False,
    tune: int | None = None,
) -> pd.DataFrame:
    """Bayesian comparison of arms: :mod:`clv.bayes` with ``group=arm``, P(treatment better) from the posterior.

    Fits :class:`clv.bayes.HierarchicalBetaGeo` and
    :class:`clv.bayes.HierarchicalGammaGamma` with the arm as group (the arms
    share a population prior, which pulls them towards each other: with two
    groups this makes the comparison conservative), and evaluates
    :func:`arm_metrics` at every posterior draw.

    Parameters
    ----------
    rfm, arm, control, horizon, discount_rate, margin, time_unit, interval
        As for :func:`ab_test`.
    seed : int
        Seed of the samplers.
    draws, chains : int
        Posterior draws per chain and chains.
    progressbar : bool
        Show the sampler's progress bar.
    tune : int, optional
        Tuning steps per chain; default ``draws``.

    Returns
    -------
    pandas.DataFrame
        One row per treatment arm and metric: ``arm, metric, control,
        treatment`` (posterior means), ``difference`` (posterior mean),
        ``difference_lower``, ``difference_upper`` (equal-tailed credible
        interval), ``ratio`` (posterior mean), ``p_treatment_better``
        (posterior probability) and ``better``.

    Examples
    --------
    >>> import clv
    >>> sim = clv.simulate(600, seed=5, start="2024-01-01", end="2025-01-01", channels={"a": {}, "b": {}})
    >>> rfm = clv.rfm_summary(sim.transactions).join(sim.customers["channel"].rename("arm"))
    >>> table = clv.operations.ab_test_bayes(rfm, control="a", draws=100, chains=1, seed=1)  # doctest: +SKIP
    >>> table.columns.tolist()  # doctest: +SKIP
    ['arm', 'metric', 'control', 'treatment', 'difference', 'difference_lower', 'difference_upper', 'ratio', 'p_treatment_better', 'better']
    """
    from clv import bayes
    from clv.models import BetaGeo, GammaGamma

    names, control = check_arms(rfm, arm, control)
    grouped = rfm.assign(**{arm: rfm[arm].astype(str)})
    names = [str(n) for n in names]
    settings = {"draws": draws, "tune": draws if tune is None else tune, "chains": chains, "random_seed": seed}
    tm = bayes.HierarchicalBetaGeo(group=arm, progressbar=progressbar).fit(grouped, **settings)
    sm = bayes.HierarchicalGammaGamma(group=arm, progressbar=progressbar).fit(grouped, **settings)
    n = draws * chains
    t_draws, s_draws = tm.group_param_draws(n, seed=seed), sm.group_param_draws(n, seed=seed)
    edges = period_edges(float(horizon), 1.0)
    at = {"edges": edges, "factors": discount_factors(edges, discount_rate, time_unit), "margin": margin}
    values = {}
    for name in names:
        g = grouped[grouped[arm] == name]
        hist = g[["frequency", "recency", "T"]].value_counts(sort=False)
        u, w = hist.index.to_frame(index=False), hist.to_numpy(dtype=float)
        tp = t_draws[t_draws["group"] == name].set_index("draw")[list(BetaGeo.param_names)]
        sp = s_draws[s_draws["group"] == name].set_index("draw")[list(GammaGamma.param_names)]
        values[name] = pd.DataFrame([
            arm_metrics(BetaGeo.from_params(dict(zip(tp.columns, row_t))), GammaGamma.from_params(dict(zip(sp.columns, row_s))),
                        u, weights=w, **at)
            for row_t, row_s in zip(tp.to_numpy(), sp.to_numpy())
        ])
    lo, hi = (1 - interval) / 2, (1 + interval) / 2
    rows = []
    for name in names[1:]:
        for metric, (_, better) in METRICS.items():
            c, t = values[control if control in values else names[0]][metric].to_numpy(), values[name][metric].to_numpy()
            diff = t - c
            rows.append({"arm": name, "metric": metric, "control": float(c.mean()), "treatment": float(t.mean()),
                         "difference": float(diff.mean()), "difference_lower": float(np.quantile(diff, lo)),
                         "difference_upper": float(np.quantile(diff, hi)), "ratio": float(np.mean(t / c)),
                         "p_treatment_better": float(np.mean(diff > 0 if better == "higher" else diff < 0)), "better": better})
    return pd.DataFrame(rows)
