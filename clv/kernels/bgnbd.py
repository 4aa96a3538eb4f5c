"""BG/NBD model maths (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Notation follows the paper: ``x`` repeat transactions, ``t_x`` time of the
last one, ``T`` age of the customer, ``r, alpha`` the gamma mixing of the
purchase rate and ``a, b`` the beta mixing of the dropout probability, which
applies after each repeat purchase.
The formulas live in :mod:`clv.kernels.betageo_family` with ``k = 0``; this
module binds ``k`` and names the equations of the paper.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clv.kernels import betageo_family as family
from clv.kernels import betageo_rows as rows
from clv.kernels.backend import NUMPY, Backend
from clv.kernels.design import Column, Groups

PARAMS = ("r", "alpha", "a", "b")

__all__ = [
    "PARAMS",
    "conditional_pmf",
    "dert",
    "expected_purchases",
    "expected_purchases_if_alive",
    "expected_purchases_new",
    "loglik",
    "loglik_grad",
    "loglik_hessian",
    "probability_alive",
    "probability_alive_at",
    "probability_of_purchases",
    "probability_purchase_between",
    "profile_fit_data",
    "purchase_rate",
    "row_derivatives",
    "row_groups",
    "simulate_paths",
]


def loglik(r: Any, alpha: Any, a: Any, b: Any, x: Any, t_x: Any, T: Any, *, backend: Backend = NUMPY) -> Any:
    """Per-customer log-likelihood, Fader, Hardie & Lee (2005), eq. 6; NumPy or PyTensor ``backend``."""
    return family.loglik(r, alpha, a, b, x, t_x, T, k=0, backend=backend)


def loglik_grad(params: NDArray[np.float64], x: Column, t_x: Column, T: Column, weights: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    """Weighted total log-likelihood (eq. 6) and its analytic gradient in ``(r, alpha, a, b)``."""
    ll, grad, _ = family.derivatives(params, x, t_x, T, weights, k=0)
    return ll, grad


# The Bayesian models evaluate every group in one call of the same compiled kernel (clv.bayes.likelihood.GroupedLogLike).
loglik_grad.stack = functools.partial(rows.stack, k=0)  # type: ignore[attr-defined]


def loglik_hessian(
    params: NDArray[np.float64], x: Column, t_x: Column, T: Column, weights: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Weighted total log-likelihood (eq. 6), gradient and Hessian in ``(r, alpha, a, b)``."""
    ll, grad, hess = family.derivatives(params, x, t_x, T, weights, k=0, hessian=True)
    return ll, grad, hess  # type: ignore[return-value]


def probability_alive(r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """P(alive | x, t_x, T), Fader, Hardie & Lee (2005): ``1 / (1 + odds)`` with the odds of :func:`family.log_dropout_odds`."""
    return family.probability_alive(r, alpha, a, b, x, t_x, T, k=0)


def purchase_rate(r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Posterior mean of lambda (see :func:`clv.kernels.betageo_family.purchase_rate`)."""
    return family.purchase_rate(r, alpha, a, b, x, t_x, T, k=0)


def expected_purchases_if_alive(t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Expected purchases in ``(T, T+t]`` of a customer alive at ``T`` (eq. 10 without its P(alive) factor)."""
    return family.expected_purchases_if_alive(t, r, alpha, a, b, x, T, k=0)


def expected_purchases(
    t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """Conditional expected purchases in ``(T, T+t]``, Fader, Hardie & Lee (2005), eq. 10."""
    return family.expected_purchases(t, r, alpha, a, b, x, t_x, T, k=0)


def expected_purchases_new(t: ArrayLike, r: float, alpha: float, a: float, b: float) -> NDArray[np.float64]:
    """Expected repeat purchases of a new customer in ``(0, t]``, Fader, Hardie & Lee (2005), eq. 7."""
    return family.expected_purchases_new(t, r, alpha, a, b, k=0)


def probability_of_purchases(n: ArrayLike, t: ArrayLike, r: float, alpha: float, a: float, b: float) -> NDArray[np.float64]:
    """P(X(t) = n) for a new customer, Fader, Hardie & Lee (2005), eq. 8."""
    return family.probability_of_purchases(n, t, r, alpha, a, b, k=0)


def row_derivatives(
    r: float, alpha: ArrayLike, a: ArrayLike, b: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, hessian: bool = False,
    groups: Groups | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    """Per-customer log-likelihood (eq. 6), gradient and Hessian in ``(r, alpha_i, a_i, b_i)``, for per-customer parameters."""
    return family.row_derivatives(r, alpha, a, b, x, t_x, T, k=0, hessian=hessian, groups=groups)  # type: ignore[arg-type]


row_groups = family.row_groups
profile_fit_data = rows.profile_fit_data
def probability_purchase_between(t0: ArrayLike, t1: ArrayLike, r: float, alpha: float, a: float, b: float) -> NDArray[np.float64]:
    """P(a new customer makes at least one repeat purchase in ``(t0, t1]``) under Fader, Hardie & Lee (2005)'s model.

    See :func:`clv.kernels.betageo_family.probability_purchase_between`.
    """
    return family.probability_purchase_between(t0, t1, r, alpha, a, b, k=0)


def dert(delta: float, r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Discounted expected residual transactions, continuous discounting at ``delta`` per time unit (Fader, Hardie & Lee (2005) model).

    ``P(alive) * int_0^inf exp(-delta t) dE[Y(t) | alive]``; see
    :func:`clv.kernels.betageo_family.dert_if_alive` for the integral.
    """
    return family.dert(delta, r, alpha, a, b, x, t_x, T, k=0)


def probability_alive_at(t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """P(alive at ``T + t`` | x, t_x, T), closed form (Fader, Hardie & Lee (2005) model).

    P(alive at T) times :func:`clv.kernels.betageo_family.alive_at`.
    """
    return family.probability_alive_at(t, r, alpha, a, b, x, t_x, T, k=0)


def conditional_pmf(n: ArrayLike, t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike,
                    T: ArrayLike) -> NDArray[np.float64]:
    """P(Y(T, T+t] = n | x, t_x, T) in closed form: ``1{n=0} (1 - P(alive)) + P(alive) P(n | alive)`` (see
    :func:`clv.kernels.betageo_family.conditional_pmf_if_alive`)."""
    return family.conditional_pmf(n, t, r, alpha, a, b, x, t_x, T, k=0)


def simulate_paths(rng: np.random.Generator, edges: ArrayLike, r: Any, alpha: Any, a: Any, b: Any, x: ArrayLike, t_x: ArrayLike,
                   T: ArrayLike, *, size: int = 1) -> NDArray[np.float64]:
    """Posterior-predictive cumulative purchases by each of ``edges`` after ``T`` (:func:`clv.kernels.betageo_family.simulate_paths`)."""
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, T)))
    return family.simulate_paths(rng, np.asarray(edges, dtype=float), r, alpha, a, b, x, t_x, T, k=0, size=size)


def profile_loglik_grad(theta: NDArray[np.float64], x: NDArray[np.float64], t_x: NDArray[np.float64], T: NDArray[np.float64],
                        weights: NDArray[np.float64], profile: NDArray[np.intp], prepared: Any = None) -> tuple[float, NDArray[np.float64]]:
    """Covariate fits: total log-likelihood and the gradient per covariate profile (:func:`clv.kernels.betageo_rows.profile_loglik_grad`).

    The compiled kernel of :func:`loglik_grad` with each profile as a group; ``prepared`` is
    :func:`profile_fit_data` of the same rows (built here when not given).
    """
    return rows.profile_loglik_grad(theta, x, t_x, T, weights, profile, prepared, k=0)
