"""How each group's sampled quantities are parameterised: per-group partial centring weights.

A hierarchical quantity ``f[g] ~ Normal(mu, sigma)`` can be sampled centred
(``f[g]`` itself) or non-centred (``z[g] = (f[g] - mu) / sigma``). Which form
NUTS samples well depends on how tightly group ``g``'s own data pin ``f[g]``
down (its sd) against the spread ``sigma``: centred when the data dominate,
non-centred when the population does (Papaspiliopoulos, Roberts & Skold 2007).
On the demo shop neither extreme fits every quantity: six channels whose
dropout concentrations are known to +-0.1-0.2 on the log scale and differ by
about as much. Every group non-centred on such a quantity made a funnel (a
spread near zero with ``z`` pinned by the data), every group centred the
opposite funnel. :func:`centring_weights` gives each group the weight
``w = s^2 / (s^2 + sd^2)`` of the partially centred form of
:func:`clv.bayes.priors.group_parameters`, the data's share of the group's
posterior precision at the typical spread ``s`` (:func:`typical_spread`).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from clv.bayes.laplace import covariance, gradient_differences, minimum, negated
from clv.bayes.priors import spread_log_density

__all__ = ["centring_weights", "group_modes", "typical_spread"]


def group_modes(log_density: Callable[..., Any], starts: Sequence[float], n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Each group's own posterior mode and sd of the sampled quantities (no pooling).

    Parameters
    ----------
    log_density : callable
        ``log_density(*u) -> (value, *gradients)``: the log posterior of
        independent groups, ``u`` one vector (one value per group) per
        sampled quantity.
    starts : sequence of float
        Starting value of each quantity (the prior location).
    n_groups : int
        Number of groups.

    Returns
    -------
    tuple of numpy.ndarray
        Modes and sds, each ``(n_groups, n_quantities)``; ``inf`` sd where a
        group's Hessian block is not positive definite.

    Notes
    -----
    The groups are independent, so one optimisation over all of them finds
    every mode, and ``2 K`` gradient evaluations give every group's ``K x K``
    Hessian block by central differences.
    """
    k = len(starts)

    def flat_density(flat: np.ndarray) -> tuple[float, np.ndarray]:
        value, *grads = log_density(*flat.reshape(k, n_groups))
        return value, np.concatenate(grads)

    objective = negated(flat_density)
    mode = minimum(objective, np.repeat(np.asarray(starts, dtype=float), n_groups), maxiter=1000)
    # Step j moves quantity j of every group at once; the groups are independent, so row j holds
    # column j of every group's Hessian block.
    diffs = gradient_differences(objective, mode, np.kron(np.eye(k), np.ones(n_groups)))
    hess = diffs.reshape(k, k, n_groups).transpose(2, 1, 0)
    sd = np.full((n_groups, k), np.inf)
    for g in range(n_groups):
        cov = covariance(hess[g])
        if cov is not None:
            sd[g] = np.sqrt(np.diag(cov))
    return mode.reshape(k, n_groups).T, sd


def typical_spread(estimate: np.ndarray, sd: np.ndarray, prior: Mapping[str, float]) -> float:
    """Mode of ``log sigma`` in the normal approximation of the groups' own estimates.

    Each group's estimate is taken as ``Normal(f[g], sd[g])`` and
    ``f[g] ~ Normal(mu, sigma)``, so marginally ``Normal(mu, sigma^2 +
    sd[g]^2)``; with ``mu`` at its precision-weighted estimate, this
    maximises that marginal likelihood times the spread prior
    (:func:`clv.bayes.priors.spread_log_density`, on ``log sigma`` as the
    sampler sees it). Groups without a finite sd are left out; with none,
    the prior's mode.
    """
    ok = np.isfinite(sd) & np.isfinite(estimate)
    est, var = estimate[ok], sd[ok] ** 2

    def minus_log_post(log_sigma: float) -> float:
        total = np.exp(2 * log_sigma) + var
        mu = np.sum(est / total) / np.sum(1 / total) if len(est) else 0.0
        loglik = -0.5 * np.sum(np.log(total) + (est - mu) ** 2 / total)
        return -(loglik + spread_log_density(prior, np.exp(log_sigma)) + log_sigma)

    from scipy import optimize

    result = optimize.minimize_scalar(minus_log_post, bounds=(np.log(1e-3), np.log(10.0)), method="bounded")
    return float(np.exp(result.x))


def centring_weights(
    estimate: np.ndarray, sd: np.ndarray, priors: Mapping[str, Mapping[str, float]], names: Sequence[str]
) -> dict[str, tuple[np.ndarray, float]]:
    """Per sampled quantity, each group's partial centring weight and the typical spread.

    Parameters
    ----------
    estimate, sd : numpy.ndarray
        Each group's own mode and sd, ``(n_groups, len(names))`` (:func:`group_modes`).
    priors : mapping
        Resolved priors by quantity (``spread`` entries, :mod:`clv.bayes.priors`).
    names : sequence of str
        The sampled quantities, in column order.

    Returns
    -------
    dict
        ``{name: (w, s)}``: ``w = s^2 / (s^2 + sd^2)`` per group (0 for a
        group without a finite sd) and ``s`` from :func:`typical_spread`,
        the argument of :func:`clv.bayes.priors.group_parameters`.

    Examples
    --------
    >>> import numpy as np
    >>> w, s = centring_weights(np.array([[0.0], [1.0], [2.0]]), np.array([[0.1], [0.1], [np.inf]]),
    ...                         {"k": {"loc": 0.0, "scale": 1.0, "spread": 0.5, "spread_sd": 0.75}}, ["k"])["k"]
    >>> bool(w[0] > 0.9 and w[2] == 0.0)
    True
    """
    out = {}
    for j, name in enumerate(names):
        s = typical_spread(estimate[:, j], sd[:, j], priors[name])
        out[name] = (s**2 / (s**2 + sd[:, j] ** 2), s)
    return out
