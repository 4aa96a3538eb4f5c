"""Gamma-Gamma spend model maths (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").

A customer's transaction values are Gamma(p, nu); nu varies across customers
as Gamma(q, v). The likelihood uses the mean ``m`` of the ``x`` repeat
transactions of each customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from clv.kernels.backend import NUMPY, Backend
from clv.kernels.design import Column, dot

PARAMS = ("p", "q", "v")

__all__ = [
    "DETERMINISTIC_PARAMS",
    "HOMOGENEOUS_PARAMS",
    "PARAMS",
    "SpendData",
    "expected_spend",
    "expected_spend_deterministic",
    "expected_spend_homogeneous",
    "fit_deterministic",
    "fit_homogeneous",
    "gamma_shape_mle",
    "loglik",
    "loglik_deterministic",
    "loglik_grad",
    "loglik_hessian",
    "loglik_homogeneous",
    "population_mean_spend",
    "population_mean_spend_deterministic",
    "prepared_loglik_grad",
    "row_derivatives",
    "simulate_spend_ratio",
]


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


@dataclass(frozen=True)
class SpendData:
    """Gamma-Gamma fitting data with every parameter-free term of :func:`loglik_grad` computed once.

    A sampler evaluates the log-likelihood thousands of times on the same
    customers: building this once leaves one logarithm and one division per
    customer for each evaluation (:func:`prepared_loglik_grad`).

    Attributes
    ----------
    x : Column
        Purchase counts, factorised (the gamma functions run per distinct count).
    xm, weights, weighted_x : numpy.ndarray
        Per customer: ``x m``, the weights and ``weights * x``.
    wx : numpy.ndarray
        Total weight per distinct count.
    n, sum_x_log_m, sum_log_m : float
        ``sum w``, ``sum w x ln m`` and ``sum w ln m``.
    """

    x: Column
    xm: NDArray[np.float64]
    weights: NDArray[np.float64]
    weighted_x: NDArray[np.float64]
    wx: NDArray[np.float64]
    n: float
    sum_x_log_m: float
    sum_log_m: float

    @classmethod
    def of(cls, x: NDArray[np.float64] | Column, m: NDArray[np.float64], weights: NDArray[np.float64]) -> SpendData:
        """Prepare counts ``x`` (array or :class:`Column`), mean spends ``m`` and ``weights``."""
        xc = x if isinstance(x, Column) else Column.of(x)
        m = np.asarray(m, dtype=float)
        weights = np.asarray(weights, dtype=float)
        xr = xc.values[xc.index]
        log_m = np.log(m)
        weighted_x = weights * xr
        return cls(xc, xr * m, weights, weighted_x, xc.totals(weights), float(weights.sum()), dot(weighted_x, log_m), dot(weights, log_m))


def loglik_grad(
    params: NDArray[np.float64], x: NDArray[np.float64] | Column, m: NDArray[np.float64], weights: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64]]:
    """Weighted total log-likelihood (eq. 3) and its analytic gradient in ``(p, q, v)``.

    The gamma functions of ``p x`` and ``p x + q`` depend on the purchase
    count only, so they are evaluated once per distinct ``x`` (pass ``x`` as
    a :class:`clv.kernels.design.Column` to factorise it once). Only
    ``ln(v + x m)`` is evaluated per customer. Repeated evaluations on the same
    data should prepare it once with :class:`SpendData` and call
    :func:`prepared_loglik_grad`, as the Bayesian model does.
    """
    return prepared_loglik_grad(params, SpendData.of(x, m, weights))


def prepared_loglik_grad(params: NDArray[np.float64], data: SpendData) -> tuple[float, NDArray[np.float64]]:
    """:func:`loglik_grad` on prepared data: ``sum w [... - (p x + q) ln(v + x m)]`` and its gradient (eq. 3).

    With ``L = ln(v + x m)`` per customer, every data-only sum comes from
    ``data``, and the per-customer work is ``L``, ``1 / (v + x m)`` and four
    inner products.
    """
    p, q, v = params
    ux, wx, n = data.x.values, data.wx, data.n
    pux = p * ux
    psi_pxq = special.digamma(pux + q)
    vxm = v + data.xm
    log_vxm = np.log(vxm)
    inv_vxm = 1.0 / vxm
    x_log_vxm, log_vxm_sum = dot(data.weighted_x, log_vxm), dot(data.weights, log_vxm)
    ll_x = special.gammaln(pux + q) - special.gammaln(pux) + pux * np.log(ux)
    ll = (dot(wx, ll_x) - n * (special.gammaln(q) - q * np.log(v)) + p * data.sum_x_log_m - data.sum_log_m
          - p * x_log_vxm - q * log_vxm_sum)
    g_p = dot(wx, ux * (psi_pxq - special.digamma(pux) + np.log(ux))) + data.sum_x_log_m - x_log_vxm
    g_q = dot(wx, psi_pxq) - n * (special.digamma(q) - np.log(v)) - log_vxm_sum
    g_v = n * q / v - p * dot(data.weighted_x, inv_vxm) - q * dot(data.weights, inv_vxm)
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


# -- limits of the model at the edge of its parameter space ---------------------------------------------------------
#
# When the customers' mean spends show no heterogeneity beyond what the per-transaction noise explains, the
# maximum of eq. 3 lies at infinity. Two directions have a finite limit, each a model of its own:
#
# * ``q, v -> inf`` with ``q / v = nu`` fixed: the mixing distribution Gamma(q, v) of ``nu`` (mean q/v, variance
#   q/v^2) collapses to a point mass, so every customer shares one transaction-value distribution Gamma(p, nu)
#   with mean ``mu = p / nu``. The mean of ``x`` transactions is then Gamma(p x, p x / mu) (rate ``x nu``).
# * ``p -> inf`` with ``p v = kappa`` fixed: a customer's mean transaction value ``zeta = p / nu`` is inverse-gamma
#   (q, kappa) while the spread of a transaction around it vanishes, so the mean spend ``m`` equals ``zeta``
#   whatever ``x`` is, and the density of ``m`` tends to the inverse-gamma density.
#
# Both limits are densities of ``m`` with respect to the same measure as eq. 3, so their log-likelihoods compare
# with the full model's. When both hold (every mean spend equal), the density is degenerate: the spend is one
# constant.

HOMOGENEOUS_PARAMS = ("p", "mean_spend")
DETERMINISTIC_PARAMS = ("q", "kappa")


def loglik_homogeneous(p: Any, mean_spend: Any, x: Any, m: Any) -> Any:
    """Log density of the mean spend in the ``q, v -> inf`` limit: ``m ~ Gamma(p x, rate p x / mean_spend)``::

        p x ln(p x / mu) + (p x - 1) ln m - p x m / mu - ln G(p x)

    the limit of eq. 3 (Fader & Hardie 2013) as the Gamma(q, v) mixing of ``nu`` tends to a point mass at
    ``p / mu``.
    """
    px = p * x
    return px * (np.log(px) - np.log(mean_spend)) + (px - 1) * np.log(m) - px * m / mean_spend - special.gammaln(px)


def loglik_deterministic(q: Any, kappa: Any, x: Any, m: Any) -> Any:
    """Log density of the mean spend in the ``p -> inf, p v = kappa`` limit: ``m ~ InverseGamma(q, kappa)``::

        q ln kappa - ln G(q) - (q + 1) ln m - kappa / m

    ``x`` does not enter: each customer's transactions all equal their own mean ``p / nu``.
    """
    return q * np.log(kappa) - special.gammaln(q) - (q + 1) * np.log(m) - kappa / m + 0.0 * x


def _log_root(score: Any) -> float:
    """Root of a decreasing function of ``ln s`` on ``s`` in ``[e^-30, e^30]`` (the upper end when it stays positive)."""
    lo, hi = -30.0, 30.0
    if score(hi) > 0:
        return float(np.exp(hi))
    return float(np.exp(optimize.brentq(score, lo, hi, xtol=1e-14, rtol=1e-15)))


def gamma_shape_mle(log_mean_gap: float) -> float:
    """Shape ``s`` solving ``ln s - digamma(s) = log_mean_gap`` (the gamma-shape likelihood equation).

    ``log_mean_gap`` is ``ln(weighted mean) - weighted mean of logs`` of the
    observations, positive unless they are all equal (then the shape is
    infinite). ``ln s - digamma(s)`` falls from infinity to 0, so the root is
    unique.
    """
    if not log_mean_gap > 0:
        return float("inf")
    return _log_root(lambda log_s: float(np.log(np.exp(log_s)) - special.digamma(np.exp(log_s)) - log_mean_gap))


def fit_homogeneous(x: NDArray[np.float64], m: NDArray[np.float64], weights: NDArray[np.float64]) -> tuple[float, float]:
    """Maximum-likelihood ``(p, mean_spend)`` of :func:`loglik_homogeneous`.

    ``mean_spend`` is the transaction-weighted mean ``sum w x m / sum w x``;
    with it, the score equation of ``p`` reads
    ``sum w x [ln(p x) - digamma(p x)] = sum w x [ln mu - ln m]``, whose left
    side falls in ``p``; the right side is positive unless every mean spend is
    equal (Jensen), in which case ``p`` is infinite.
    """
    wx = weights * x
    mu = float(dot(wx, m) / wx.sum())
    rhs = float(dot(wx, np.log(mu) - np.log(m)))
    if not rhs > 0:
        return float("inf"), mu

    def score(log_p: float) -> float:
        px = np.exp(log_p) * x
        return float(dot(wx, np.log(px) - special.digamma(px))) - rhs

    return _log_root(score), mu


def fit_deterministic(m: NDArray[np.float64], weights: NDArray[np.float64]) -> tuple[float, float]:
    """Maximum-likelihood ``(q, kappa)`` of :func:`loglik_deterministic`: ``1 / m`` is Gamma(q, rate kappa).

    ``kappa = q / mean(1/m)`` and ``q`` solves the gamma-shape equation
    (:func:`gamma_shape_mle`) on the customers' ``1 / m`` (weighted).
    """
    y = 1.0 / m
    total = weights.sum()
    mean_y = float(dot(weights, y) / total)
    q = gamma_shape_mle(np.log(mean_y) - float(dot(weights, np.log(y)) / total))
    return q, q / mean_y


def expected_spend_homogeneous(p: float, mean_spend: float, x: ArrayLike, m: ArrayLike) -> NDArray[np.float64]:
    """Expected transaction value in the ``q, v -> inf`` limit: ``mean_spend`` for everyone.

    The limit of eq. 5: ``p (v + x m) / (p x + q - 1) -> p v / q = p / nu``;
    a customer's own history carries no information on a value all share.
    """
    return np.full(np.broadcast(np.asarray(x, dtype=float), np.asarray(m, dtype=float)).shape, float(mean_spend))


def expected_spend_deterministic(q: float, kappa: float, x: ArrayLike, m: ArrayLike) -> NDArray[np.float64]:
    """Expected transaction value in the ``p -> inf`` limit: the customer's own mean ``m`` when ``x > 0``.

    The limit of eq. 5, ``(kappa + p x m) / (p x + q - 1) -> m``; customers
    without repeat purchases get the population mean ``kappa / (q - 1)``.
    """
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    return np.where(x > 0, m, population_mean_spend_deterministic(q, kappa))


def population_mean_spend_deterministic(q: float, kappa: float) -> float:
    """Mean of the inverse-gamma(q, kappa) mean spend, ``kappa / (q - 1)`` (infinite when ``q <= 1``)."""
    return float(kappa / (q - 1.0)) if q > 1 else float("inf")


def simulate_spend_ratio(rng: np.random.Generator, p: float, q: float, x: NDArray, purchases: NDArray) -> NDArray[np.float64]:
    """Draws of ``R`` with the revenue of the cumulative ``purchases`` (shape ``(..., len(edges))``) equal to ``(v + x m) R``.

    The customer's ``nu`` has the posterior ``Gamma(p x + q, v + x m)``
    (Fader & Hardie 2013; the prior ``Gamma(q, v)`` when ``x = 0``), i.e.
    ``nu = G / (v + x m)`` with ``G ~ Gamma(p x + q, 1)``; the value of ``n``
    transactions, each Gamma(p, nu), is ``Gamma(p n, 1) / nu``. So the revenue
    is ``(v + x m) R`` with ``R = Gamma(p n, 1) / G``, whose law depends on
    ``x`` and the purchases only: customers who differ in ``m`` alone share it,
    and ``E[R | n] = p n / (p x + q - 1)``. Each interval's purchases get their
    own gamma draw, so the cumulative revenue is a consistent path. ``p`` and
    ``q`` may be scalars or arrays broadcasting against ``x`` (per-group
    parameters).
    """
    n = np.asarray(purchases, dtype=float)
    increments = np.diff(n, axis=-1, prepend=0.0)
    g = rng.gamma(np.broadcast_to(p * np.asarray(x, dtype=float) + q, n.shape[:-1]))
    buys = increments > 0
    value = np.zeros(n.shape)
    value[buys] = rng.gamma((np.broadcast_to(np.expand_dims(np.asarray(p, dtype=float), -1), n.shape) * increments)[buys])
    return np.cumsum(value, axis=-1) / g[..., None]
