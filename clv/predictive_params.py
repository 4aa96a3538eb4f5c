"""Where :func:`clv.predictive` takes its parameter sets from: MLE fits (with or without covariates) and posteriors.

A :class:`Source` gives each customer a *profile* code (customers with the
same code share their parameters in every set) and, for set ``j`` and the
profiles of a block of histories, the kernel's parameters (scalars, or arrays
over the block where they differ by profile).

* MLE without covariates: ``n`` draws from the asymptotic normal of the
  log-parameters (:meth:`clv.FitResult.sample_params`), or the estimates.
* MLE with covariates: the same draws of the full vector (base parameters and
  coefficients), mapped to each covariate profile by the fitted links
  (``model.links_``, Fader & Hardie 2007's ``alpha_i = alpha exp(-g . z_i)``).
* Bayesian (``clv.bayes``): ``n`` posterior draws of each group's parameters
  (:meth:`group_param_draws`); each customer takes its group's, and a
  customer of no group the model knows (or none at all) takes the population
  level (:meth:`population_param_draws`: a new group drawn at each posterior
  draw, the Bayesian counterpart of the pooled MLE fit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from clv.errors import DataError
from clv.kernels import bgbb, bgnbd
from clv.model_set import is_posterior
from clv.models.beta_geo_beta_binom import BetaGeoBetaBinom

__all__ = ["Source", "kernel_of", "source"]


def kernel_of(model: Any) -> Any:
    """The kernel module that simulates ``model``'s purchases (``None`` when there is none)."""
    if isinstance(model, BetaGeoBetaBinom):
        return bgbb
    if is_posterior(model):
        return bgnbd if tuple(model.param_names) == tuple(bgnbd.PARAMS) else None
    return getattr(model, "kernel", None)


@dataclass
class Source:
    """Parameter sets of one model for :func:`clv.predictive`."""

    kernel: Any
    n_sets: int
    profile: np.ndarray  # per customer
    params: Callable[[int, np.ndarray], list[Any]]  # (set, profiles of a block) -> parameters


def _mle(model: Any, rfm: pd.DataFrame, n: int, seed: int, uncertainty: bool) -> Source:
    if getattr(model, "boundary_", None):
        raise DataError(f"predictive: {type(model).__name__} was fitted at a boundary of its parameter space "
                        f"({model.boundary_.get('kind')}); simulate with an interior fit")
    result = model.result_
    sets = np.asarray(result.estimates, dtype=float)[None, :]
    if uncertainty and np.all(np.isfinite(result.cov_log)):
        sets = result.sample_params(n, seed=seed).to_numpy()
    kernel = kernel_of(model)
    links = getattr(model, "links_", None)
    if links is None:
        return Source(kernel, len(sets), np.zeros(len(rfm)), lambda j, prof: list(sets[j]))
    profiles, codes = np.unique(links.design(rfm), axis=0, return_inverse=True)
    rows = [links.row_params(theta, profiles) for theta in sets]
    return Source(kernel, len(sets), codes.reshape(-1).astype(float),
                  lambda j, prof: [v if np.ndim(v) == 0 else v[prof.astype(np.int64)] for v in rows[j]])


def _posterior(model: Any, rfm: pd.DataFrame, n: int, seed: int, uncertainty: bool) -> Source:
    names = list(model.param_names)
    if tuple(names) != tuple(bgnbd.PARAMS) and tuple(names) != ("p", "q", "v"):
        raise DataError(f"predictive: no simulation for {type(model).__name__} (parameters {names})")
    draws = model.group_param_draws(n, seed=seed)
    groups = [str(g) for g in model.groups_]
    table = np.stack([draws.loc[draws["group"].astype(str) == g, names].to_numpy() for g in groups], axis=1)  # (draws, groups, k)
    if model.group is None:
        codes = np.zeros(len(rfm))
    else:
        if model.group not in rfm.columns:
            raise DataError(f"column '{model.group}': the Bayesian model's group column is missing from the RFM frame")
        labels = rfm[model.group].astype(str).where(rfm[model.group].notna(), None)
        codes = pd.Index(groups).get_indexer(labels).astype(float)
        unknown = codes < 0
        if unknown.any():
            table = np.concatenate([table, _population(model, names, n, seed, labels[unknown].iloc[0], groups)], axis=1)
            codes[unknown] = len(groups)
    if not uncertainty:
        table = table.mean(axis=0, keepdims=True)
    return Source(kernel_of(model), len(table), codes, lambda j, prof: list(table[j][prof.astype(np.int64)].T))


def _population(model: Any, names: list[str], n: int, seed: int, label: Any, groups: list[str]) -> np.ndarray:
    """``(draws, 1, k)`` population-level draws for customers of no known group: the Bayesian counterpart of the pooled fit.

    ``population_param_draws`` picks the same posterior draws as
    ``group_param_draws`` for the same seed, so set ``j`` stays one joint draw.
    """
    population = getattr(model, "population_param_draws", None)
    if not callable(population):
        raise DataError(f"column '{model.group}': group {label!r} is not among the model's groups {groups}, and "
                        f"{type(model).__name__} has no population level (population_param_draws) to value it with")
    return population(n, seed=seed)[names].to_numpy(dtype=float)[:, None, :]


def source(model: Any, rfm: pd.DataFrame, n: int, seed: int, uncertainty: bool) -> Source:
    """The parameter sets of ``model`` (MLE or posterior) for the customers of ``rfm``."""
    if is_posterior(model):
        return _posterior(model, rfm, n, seed, uncertainty)
    return _mle(model, rfm, n, seed, uncertainty)
