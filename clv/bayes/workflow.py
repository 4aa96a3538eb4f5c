"""The Bayesian counterparts of ``clv fit`` and ``clv score``: fit both models, describe the posterior.

:func:`fit_pair` samples the plain (or grouped) Bayesian BG/NBD and
Gamma-Gamma on one RFM frame; :func:`posterior_json` turns a fitted model
into a JSON-ready description (posterior summary per parameter and the
convergence diagnostics of Vehtari et al. 2021). Per-customer posterior means
and intervals come from :func:`clv.customer_value`, which accepts the fitted
Bayesian models directly.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from clv.bayes.beta_geo import HierarchicalBetaGeo
from clv.bayes.gamma_gamma import HierarchicalGammaGamma

__all__ = ["fit_pair", "posterior_json"]


def fit_pair(
    rfm: pd.DataFrame, *, draws: int = 500, tune: int = 500, chains: int = 2, seed: int, group: str | None = None,
    progressbar: bool = False,
) -> tuple[HierarchicalBetaGeo, HierarchicalGammaGamma]:
    """Sample the Bayesian BG/NBD and Gamma-Gamma on ``rfm`` (pooled over ``group`` when given).

    Parameters
    ----------
    rfm : pandas.DataFrame
        Output of :func:`clv.rfm_summary` (with the group column when ``group`` is given).
    draws, tune, chains : int
        Kept draws and tuning steps per chain, number of chains.
    seed : int
        Seed of both samplers.
    group : str, optional
        Group column for the hierarchical models; ``None`` fits the plain models.
    progressbar : bool
        Show the sampler's progress bar.

    Returns
    -------
    tuple
        The fitted ``(HierarchicalBetaGeo, HierarchicalGammaGamma)``.

    Examples
    --------
    Sampling takes too long for a doctest, so these lines are not run:

    >>> import clv, clv.bayes
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.bayes.fit_pair(rfm, seed=1)  # doctest: +SKIP
    >>> bg.diagnostics().passed  # doctest: +SKIP
    True
    """
    settings = {"draws": int(draws), "tune": int(tune), "chains": int(chains), "random_seed": int(seed)}
    bg = HierarchicalBetaGeo(group=group, progressbar=progressbar).fit(rfm, **settings)
    gg = HierarchicalGammaGamma(group=group, progressbar=progressbar).fit(rfm, **settings)
    return bg, gg


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def posterior_json(model: Any, *, hdi_prob: float = 0.9) -> dict[str, Any]:
    """A fitted Bayesian model as a JSON-ready dict: posterior summary per parameter and diagnostics.

    Parameters
    ----------
    model : HierarchicalBetaGeo or HierarchicalGammaGamma
        A fitted model.
    hdi_prob : float
        Probability mass of the highest-density intervals.

    Returns
    -------
    dict
        ``model``, ``group``, ``groups`` (customers per group),
        ``n_excluded``, ``sampling`` (draws, tune, chains, seed),
        ``parameters`` (``{name: {mean, sd, hdi_lower, hdi_upper, ess_bulk,
        ess_tail, r_hat}}``, one entry per parameter and group) and
        ``diagnostics`` (:meth:`clv.bayes.Diagnostics.to_dict`).

    Examples
    --------
    Needs a fitted model (a PyMC sampling run), so these lines are not run:

    >>> import clv, clv.bayes
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.bayes.fit_pair(rfm, seed=1)  # doctest: +SKIP
    >>> sorted(clv.bayes.posterior_json(bg))  # doctest: +SKIP
    ['diagnostics', 'group', 'groups', 'model', 'n_excluded', 'parameters', 'sampling']
    """
    table = model.summary(hdi_prob=hdi_prob)
    lo, hi = f"hdi_{(1 - hdi_prob) / 2 * 100:g}%", f"hdi_{(1 + hdi_prob) / 2 * 100:g}%"
    parameters = {
        str(name): {
            "mean": _finite(row["mean"]), "sd": _finite(row["sd"]), "hdi_lower": _finite(row[lo]), "hdi_upper": _finite(row[hi]),
            "ess_bulk": _finite(row["ess_bulk"]), "ess_tail": _finite(row["ess_tail"]), "r_hat": _finite(row["r_hat"]),
        }
        for name, row in table.iterrows()
    }
    fit = model.fit_settings_
    diagnostics = {k: (_finite(v) if isinstance(v, float) else v) for k, v in model.diagnostics().to_dict().items()}
    return {
        "model": type(model).__name__,
        "group": model.group,
        "groups": {str(k): int(v) for k, v in model.group_sizes_.items()},
        "n_excluded": model.n_excluded_,
        "sampling": {k: fit[k] for k in ("draws", "tune", "chains", "random_seed", "sampler")},
        "parameters": parameters,
        "diagnostics": diagnostics,
    }
