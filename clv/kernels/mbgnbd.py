"""MBG/NBD model maths (Batislam, Denizel & Filiztekin 2007).

Identical to BG/NBD except that a customer may also drop out right after the
first purchase, so the dropout branch exists for ``x = 0`` too and the beta
terms shift by one.
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
    """Per-customer log-likelihood (Batislam et al. 2007, eq. 4)::

        ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x+1) - ln B(a, b)
        + ln[(alpha+T)^-(r+x) + a/(b+x) (alpha+t_x)^-(r+x)]
    """
    B = backend
    head = (
        B.gammaln(r + x)
        - B.gammaln(r)
        + r * B.log(alpha)
        + B.gammaln(a + b)
        + B.gammaln(b + x + 1)
        - B.gammaln(b)
        - B.gammaln(a + b + x + 1)
    )
    alive = -(r + x) * B.log(alpha + T)
    dead = B.log(a) - B.log(b + x) - (r + x) * B.log(alpha + t_x)
    return head + B.logaddexp(alive, dead)


def loglik_grad(params: NDArray[np.float64], x: Column, t_x: Column, T: Column, weights: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    """Weighted total log-likelihood (eq. 4) and its analytic gradient in ``(r, alpha, a, b)``."""
    ll, grad, _ = derivatives(params, x, t_x, T, weights, k=1)
    return ll, grad


def loglik_hessian(
    params: NDArray[np.float64], x: Column, t_x: Column, T: Column, weights: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Weighted total log-likelihood (eq. 4), gradient and Hessian in ``(r, alpha, a, b)``."""
    ll, grad, hess = derivatives(params, x, t_x, T, weights, k=1, hessian=True)
    return ll, grad, hess  # type: ignore[return-value]


def probability_alive(r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)) (Batislam et al. 2007)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return special.expit(-odds)


def purchase_rate(r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Posterior mean of lambda: P(alive)-weighted mix of ``Gamma(r+x, alpha+T)`` and ``Gamma(r+x, alpha+t_x)``."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    p = probability_alive(r, alpha, a, b, x, t_x, T)
    return (r + x) * (p / (alpha + T) + (1 - p) / (alpha + t_x))


def expected_purchases_if_alive(t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Expected purchases in ``(T, T+t]`` of a customer alive at ``T`` (eq. 9 without its P(alive) factor)."""
    x = np.asarray(x, dtype=float)
    return alive_expectation(t, r, alpha, a, a + b + x, x, T)


def expected_purchases(
    t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """Conditional expected purchases in ``(T, T+t]`` (Batislam et al. 2007, eq. 9)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return expected_purchases_if_alive(t, r, alpha, a, b, x, T) * probability_alive(r, alpha, a, b, x, t_x, T)


def expected_purchases_new(t: ArrayLike, r: float, alpha: float, a: float, b: float) -> NDArray[np.float64]:
    """Expected repeat purchases of a new customer in ``(0, t]`` (Batislam et al. 2007, eq. 7)."""
    t = np.asarray(t, dtype=float)
    zero = np.zeros_like(t)
    return expected_purchases(t, r, alpha, a, b, zero, zero, zero)


def probability_of_purchases(n: ArrayLike, t: ArrayLike, r: float, alpha: float, a: float, b: float) -> NDArray[np.float64]:
    """P(X(t) = n) for a new customer (Batislam et al. 2007, eq. 6)."""
    n, t = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(t, dtype=float))
    p0 = alpha / (alpha + t)
    first = np.exp(special.betaln(a, b + n + 1) - special.betaln(a, b) + stats.nbinom.logpmf(n, r, p0))
    second = np.exp(special.betaln(a + 1, b + n) - special.betaln(a, b)) * stats.nbinom.sf(n - 1, r, p0)
    return first + second
