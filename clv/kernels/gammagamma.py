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
from clv.kernels.design import Column, dot

PARAMS = ("p", "q", "v")

__all__ = ["PARAMS", "expected_spend", "loglik", "loglik_grad", "loglik_hessian", "population_mean_spend", "row_derivatives", "simulate_revenue"]


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
    params: NDArray[np.float64], x: NDArray[np.float64] | Column, m: NDArray[np.float64], weights: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64]]:
    """Weighted total log-likelihood (eq. 3) and its analytic gradient in ``(p, q, v)``.

    The gamma functions of ``p x`` and ``p x + q`` depend on the purchase
    count only, so they are evaluated once per distinct ``x`` (pass ``x`` as
    a :class:`clv.kernels.design.Column` to factorise it once, as the
    Bayesian models do; a plain array is factorised on each call). Only
    ``ln(v + x m)`` is evaluated per customer.
    """
    p, q, v = params
    xc = x if isinstance(x, Column) else Column.of(x)
    ux, wx = xc.values, xc.totals(weights)
    n = weights.sum()
    pux = p * ux
    psi_pxq = special.digamma(pux + q)
    xr = ux[xc.index]
    vxm = v + xr * m
    log_vxm = np.log(vxm)
    log_m = np.log(m)
    w_log_vxm = weights * log_vxm
    ll_x = special.gammaln(pux + q) - special.gammaln(pux) + pux * np.log(ux)
    ll = (dot(wx, ll_x) - n * (special.gammaln(q) - q * np.log(v)) + p * dot(weights * xr, log_m) - dot(weights, log_m)
          - dot(p * xr + q, w_log_vxm))
    g_p = dot(wx, ux * (psi_pxq - special.digamma(pux) + np.log(ux))) + dot(weights * xr, log_m - log_vxm)
    g_q = dot(wx, psi_pxq) - n * (special.digamma(q) - np.log(v)) - w_log_vxm.sum()
    g_v = n * q / v - dot(weights, (p * xr + q) / vxm)
    return float(ll), np.array([g_p, g_q, g_v])


def loglik_hessian(
    params: NDArray[np.float64], x: NDArray[np.float64], m: NDArray[np.float64], weights: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Weighted total log-likelihood, gradient and Hessian in ``(p, q, v)``."""
    ll, grad, hess = row_derivatives(*params, x, m, hessian=True)
    return dot(weights, ll), np.einsum("i,ij->j", weights, grad), np.einsum("i,ijk->jk", weights, hess)


def row_derivatives(
    p: float, q: float, v: ArrayLike, x: NDArray[np.float64], m: NDArray[np.float64], *, hessian: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    """Per-customer log-likelihood (eq. 3), gradient ``(n, 3)`` and Hessian ``(n, 3, 3)`` in ``(p, q, v_i)``.

    ``v`` may differ by customer (spend covariates, ``v_i = v exp(g . z_i)``).
    """
    px = p * x
    vxm = v + x * m
    log_vxm = np.log(vxm)
    ll = loglik(p, q, v, x, m)
    psi_pxq = special.digamma(px + q)
    g_p = x * (psi_pxq - special.digamma(px) + np.log(m) + np.log(x) - log_vxm)
    g_q = psi_pxq - special.digamma(q) + np.log(v) - log_vxm
    g_v = q / v - (px + q) / vxm
    grad = np.stack(np.broadcast_arrays(g_p, g_q, g_v), axis=1)
    if not hessian:
        return ll, grad, None
    tri = special.polygamma(1, px + q)
    entries = {
        (0, 0): x**2 * (tri - special.polygamma(1, px)), (0, 1): x * tri, (0, 2): -x / vxm,
        (1, 1): tri - special.polygamma(1, q), (1, 2): 1.0 / v - 1.0 / vxm, (2, 2): -q / v**2 + (px + q) / vxm**2,
    }
    hess = np.empty((len(grad), 3, 3))
    for (i, j), value in entries.items():
        hess[:, i, j] = hess[:, j, i] = value
    return ll, grad, hess


def expected_spend(p: float, q: float, v: ArrayLike, x: ArrayLike, m: ArrayLike) -> NDArray[np.float64]:
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
