"""Gamma-Gamma spend model maths (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").

A customer's transaction values are Gamma(p, nu); nu varies across customers
as Gamma(q, v). The likelihood uses the mean ``m`` of the ``x`` repeat
transactions of each customer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from clv.kernels.backend import NUMPY, Backend
from clv.kernels.design import dot

PARAMS = ("p", "q", "v")

__all__ = ["PARAMS", "expected_spend", "loglik", "loglik_grad", "population_mean_spend", "simulate_revenue"]


def loglik(p: Any, q: Any, v: Any, x: Any, m: Any, *, backend: Backend = NUMPY) -> Any:
    """Log density of the mean spend ``m`` over ``x`` transactions (Fader & Hardie 2013, eq. 3)::

        ln G(px+q) - ln G(px) - ln G(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(v + x m)
    """
    B = backend
    px = p * x
    return (
        B.gammaln(px + q)
        - B.gammaln(px)
        - B.gammaln(q)
        + q * B.log(v)
        + (px - 1) * B.log(m)
        + px * B.log(x)
        - (px + q) * B.log(v + x * m)
    )


def loglik_grad(
    params: NDArray[np.float64], x: NDArray[np.float64], m: NDArray[np.float64], weights: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64]]:
    """Weighted total log-likelihood and its analytic gradient in ``(p, q, v)``."""
    p, q, v = params
    px = p * x
    log_vxm = np.log(v + x * m)
    ll = loglik(p, q, v, x, m)
    psi_pxq = special.digamma(px + q)
    g_p = x * (psi_pxq - special.digamma(px) + np.log(m) + np.log(x) - log_vxm)
    g_q = psi_pxq - special.digamma(q) + np.log(v) - log_vxm
    g_v = q / v - (px + q) / (v + x * m)
    return dot(weights, ll), np.array([dot(weights, g_p), dot(weights, g_q), dot(weights, g_v)])


def expected_spend(p: float, q: float, v: float, x: ArrayLike, m: ArrayLike) -> NDArray[np.float64]:
    """Conditional expected value of a transaction (Fader & Hardie 2013, eq. 5)::

        E[Z | x, m] = p (v + x m) / (p x + q - 1)

    i.e. a weighted average of the population mean ``p v / (q - 1)`` and the
    customer's own mean ``m``. Customers with ``x = 0`` get the population mean.
    """
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    return p * (v + x * m) / (p * x + q - 1.0)


def population_mean_spend(p: float, q: float, v: float) -> float:
    """Mean transaction value in the population, ``p v / (q - 1)`` (infinite when ``q <= 1``)."""
    return float(p * v / (q - 1.0)) if q > 1 else float("inf")


def simulate_revenue(rng: np.random.Generator, p: float, q: float, v: float, x: NDArray, m: NDArray, purchases: NDArray) -> NDArray[np.float64]:
    """One draw of the total value of ``purchases`` future transactions per entry (``purchases`` may be ``(sims, rows)``).

    The customer's ``nu`` is drawn from its posterior ``Gamma(p x + q, v + x m)``
    (Fader & Hardie 2013; the prior ``Gamma(q, v)`` when ``x = 0``); the sum of
    ``n`` transactions, each Gamma(p, nu), is ``Gamma(p n, nu)``.
    """
    n = np.asarray(purchases, dtype=float)
    nu = rng.gamma(np.broadcast_to(p * x + q, n.shape)) / (v + x * m)
    buys = n > 0
    out = np.zeros(n.shape)
    out[buys] = rng.gamma(p * n[buys]) / nu[buys]
    return out
