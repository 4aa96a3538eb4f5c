"""BG/NBD model maths (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Notation follows the paper: ``x`` repeat transactions, ``t_x`` time of the
last one, ``T`` age of the customer, ``r, alpha`` the gamma mixing of the
purchase rate and ``a, b`` the beta mixing of the dropout probability.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from clv.kernels.backend import NUMPY, Backend
from clv.kernels.betageo_family import derivatives
from clv.kernels.design import Column
from clv.kernels.special import alive_expectation

PARAMS = ("r", "alpha", "a", "b")

__all__ = [
    "PARAMS",
    "expected_purchases",
    "expected_purchases_if_alive",
    "expected_purchases_new",
    "loglik",
    "loglik_grad",
    "loglik_hessian",
    "probability_alive",
    "probability_of_purchases",
    "purchase_rate",
]


def loglik(r: Any, alpha: Any, a: Any, b: Any, x: Any, t_x: Any, T: Any, *, backend: Backend = NUMPY) -> Any:
    """Per-customer log-likelihood, Fader, Hardie & Lee (2005), eq. 6.

    Written as::

        ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b)
        + ln[(alpha+T)^-(r+x) + 1{x>0} a/(b+x-1) (alpha+t_x)^-(r+x)]

    The same expression evaluates with NumPy or PyTensor (``backend``).
    """
    B = backend
    head = (
        B.gammaln(r + x)
        - B.gammaln(r)
        + r * B.log(alpha)
        + B.gammaln(a + b)
        + B.gammaln(b + x)
        - B.gammaln(b)
        - B.gammaln(a + b + x)
    )
    alive = -(r + x) * B.log(alpha + T)
    # b + x - 1 is only used where x > 0; the inner where keeps the log finite elsewhere.
    dead = B.log(a) - B.log(B.where(x > 0, b + x - 1, 1.0)) - (r + x) * B.log(alpha + t_x)
    return head + B.where(x > 0, B.logaddexp(alive, dead), alive)


def loglik_grad(params: NDArray[np.float64], x: Column, t_x: Column, T: Column, weights: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    """Weighted total log-likelihood (eq. 6) and its analytic gradient in ``(r, alpha, a, b)``."""
    ll, grad, _ = derivatives(params, x, t_x, T, weights, k=0)
    return ll, grad


def loglik_hessian(
    params: NDArray[np.float64], x: Column, t_x: Column, T: Column, weights: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Weighted total log-likelihood (eq. 6), gradient and Hessian in ``(r, alpha, a, b)``."""
    ll, grad, hess = derivatives(params, x, t_x, T, weights, k=0, hessian=True)
    return ll, grad, hess  # type: ignore[return-value]


def _log_dropout_odds(r: float, alpha: float, a: float, b: float, x: NDArray, t_x: NDArray, T: NDArray) -> NDArray:
    """Log of ``a/(b+x-1) * ((alpha+T)/(alpha+t_x))**(r+x)``, -inf when x == 0."""
    has = x > 0
    with np.errstate(divide="ignore"):
        odds = np.log(a) - np.log(np.where(has, b + x - 1.0, 1.0)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(has, odds, -np.inf)


def probability_alive(r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """P(alive | x, t_x, T), Fader, Hardie & Lee (2005), eq. A.1 (``1 / (1 + odds)``)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return special.expit(-_log_dropout_odds(r, alpha, a, b, x, t_x, T))


def purchase_rate(r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Posterior mean of the purchase rate lambda given the history.

    The posterior of lambda is a mixture of ``Gamma(r+x, alpha+T)`` (still
    alive at ``T``) and ``Gamma(r+x, alpha+t_x)`` (dropped out right after the
    last purchase), weighted by P(alive) and 1 - P(alive).
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    p = probability_alive(r, alpha, a, b, x, t_x, T)
    return (r + x) * (p / (alpha + T) + (1 - p) / (alpha + t_x))


def expected_purchases_if_alive(t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Expected purchases in ``(T, T+t]`` of a customer alive at ``T`` (eq. 10 without its P(alive) factor).

    The hypergeometric parameter ``c = a + b + x - 1`` passes through zero
    when ``x = 0`` and ``a + b = 1``; the expectation itself is smooth there,
    so such points are evaluated as the mean of the two neighbours
    ``b +/- delta`` (error of order ``delta**2``).
    """
    x, T = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(T, dtype=float))
    c = a + b + x - 1.0
    near_pole = np.abs(c) < 1e-5
    with np.errstate(divide="ignore", invalid="ignore"):  # entries at the pole are replaced below
        value = alive_expectation(t, r, alpha, a, c, x, T)
    if np.any(near_pole):
        delta = min(1e-4, b / 2)
        up = alive_expectation(t, r, alpha, a, c + delta, x, T)
        down = alive_expectation(t, r, alpha, a, c - delta, x, T)
        value = np.where(near_pole, (up + down) / 2, value)
    return value


def expected_purchases(
    t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """Conditional expected purchases in ``(T, T+t]``, Fader, Hardie & Lee (2005), eq. 10."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return expected_purchases_if_alive(t, r, alpha, a, b, x, T) * probability_alive(r, alpha, a, b, x, t_x, T)


def expected_purchases_new(t: ArrayLike, r: float, alpha: float, a: float, b: float) -> NDArray[np.float64]:
    """Expected purchases of a new customer in ``(0, t]``, Fader, Hardie & Lee (2005), eq. 7."""
    t = np.asarray(t, dtype=float)
    zero = np.zeros_like(t)
    return expected_purchases_if_alive(t, r, alpha, a, b, zero, zero)


def probability_of_purchases(n: ArrayLike, t: ArrayLike, r: float, alpha: float, a: float, b: float) -> NDArray[np.float64]:
    """P(X(t) = n) for a new customer, Fader, Hardie & Lee (2005), eq. 8.

    The finite sum of the second term is the negative binomial distribution
    function, evaluated with :func:`scipy.stats.nbinom.sf`.
    """
    n, t = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(t, dtype=float))
    p0 = alpha / (alpha + t)
    log_beta = special.betaln(a, b + n) - special.betaln(a, b)
    first = np.exp(log_beta + stats.nbinom.logpmf(n, r, p0))
    second = np.where(
        n > 0,
        np.exp(special.betaln(a + 1, b + np.maximum(n, 1) - 1) - special.betaln(a, b)) * stats.nbinom.sf(n - 1, r, p0),
        0.0,
    )
    return first + second
