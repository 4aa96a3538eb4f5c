"""Maths shared by BG/NBD and MBG/NBD.

Both likelihoods have the form::

    ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x+k) - ln B(a, b)
    + ln[(alpha+T)^-(r+x) + 1{x+k>0} a/(b+x+k-1) (alpha+t_x)^-(r+x)]

with ``k = 0`` for BG/NBD (Fader, Hardie & Lee 2005, eq. 6) and ``k = 1`` for
MBG/NBD (Batislam et al. 2007, eq. 4): MBG/NBD adds a dropout opportunity
right after the first purchase. Every quantity is written here once, with
``k`` as an argument; :mod:`clv.kernels.bgnbd` and :mod:`clv.kernels.mbgnbd`
bind it and cite their equations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from clv.kernels.backend import NUMPY, Backend
from clv.kernels.design import Column, dot
from clv.kernels.special import alive_expectation

__all__ = [
    "derivatives",
    "expected_purchases_if_alive",
    "log_dropout_odds",
    "loglik",
    "probability_of_purchases",
    "purchase_rate",
]


def loglik(r: Any, alpha: Any, a: Any, b: Any, x: Any, t_x: Any, T: Any, *, k: int, backend: Backend = NUMPY) -> Any:
    """Per-customer log-likelihood of the family (module docstring), for NumPy or PyTensor ``backend``."""
    B = backend
    head = (
        B.gammaln(r + x)
        - B.gammaln(r)
        + r * B.log(alpha)
        + B.gammaln(a + b)
        + B.gammaln(b + x + k)
        - B.gammaln(b)
        - B.gammaln(a + b + x + k)
    )
    alive = -(r + x) * B.log(alpha + T)
    has = x + k > 0
    # b + x + k - 1 is only used where x + k > 0; the inner where keeps the log finite elsewhere.
    dead = B.log(a) - B.log(B.where(has, b + x + k - 1, 1.0)) - (r + x) * B.log(alpha + t_x)
    return head + B.where(has, B.logaddexp(alive, dead), alive)


def log_dropout_odds(r: float, alpha: float, a: float, b: float, x: NDArray, t_x: NDArray, T: NDArray, *, k: int) -> NDArray:
    """Log of ``a/(b+x+k-1) * ((alpha+T)/(alpha+t_x))**(r+x)``; ``-inf`` when ``x + k = 0``.

    P(alive) is ``1 / (1 + exp(odds))`` (Fader, Hardie & Lee 2005, eq. A.1).
    """
    has = x + k > 0
    with np.errstate(divide="ignore"):
        odds = np.log(a) - np.log(np.where(has, b + x + k - 1.0, 1.0)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(has, odds, -np.inf)


def purchase_rate(r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, k: int) -> NDArray[np.float64]:
    """Posterior mean of the purchase rate lambda given the history.

    The posterior of lambda is a mixture of ``Gamma(r+x, alpha+T)`` (still
    alive at ``T``) and ``Gamma(r+x, alpha+t_x)`` (dropped out right after the
    last purchase), weighted by P(alive) and 1 - P(alive).
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    p = special.expit(-log_dropout_odds(r, alpha, a, b, x, t_x, T, k=k))
    return (r + x) * (p / (alpha + T) + (1 - p) / (alpha + t_x))


def expected_purchases_if_alive(
    t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, T: ArrayLike, *, k: int
) -> NDArray[np.float64]:
    """Expected purchases in ``(T, T+t]`` of a customer alive at ``T``, with ``c = a + b + x + k - 1``.

    See :func:`clv.kernels.special.alive_expectation`. For BG/NBD ``c`` passes
    through zero when ``x = 0`` and ``a + b = 1``; the expectation itself is
    smooth there, so such points are evaluated as the mean of the two
    neighbours ``c +/- delta`` (error of order ``delta**2``).
    """
    x, T = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(T, dtype=float))
    c = a + b + x + k - 1.0
    near_pole = np.abs(c) < 1e-5
    with np.errstate(divide="ignore", invalid="ignore"):  # entries at the pole are replaced below
        value = alive_expectation(t, r, alpha, a, c, x, T)
    if np.any(near_pole):
        delta = min(1e-4, b / 2)
        up = alive_expectation(t, r, alpha, a, c + delta, x, T)
        down = alive_expectation(t, r, alpha, a, c - delta, x, T)
        value = np.where(near_pole, (up + down) / 2, value)
    return value


def probability_of_purchases(n: ArrayLike, t: ArrayLike, r: float, alpha: float, a: float, b: float, *, k: int) -> NDArray[np.float64]:
    """P(X(t) = n) for a new customer (Fader, Hardie & Lee 2005, eq. 8, shifted by ``k``).

    The finite sum of the second term is the negative binomial distribution
    function, evaluated with :func:`scipy.stats.nbinom.sf`.
    """
    n, t = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(t, dtype=float))
    p0 = alpha / (alpha + t)
    log_b = special.betaln(a, b)
    first = np.exp(special.betaln(a, b + n + k) - log_b + stats.nbinom.logpmf(n, r, p0))
    has = n + k > 0
    second = np.where(
        has,
        np.exp(special.betaln(a + 1, b + np.where(has, n + k - 1, 0)) - log_b) * stats.nbinom.sf(n - 1, r, p0),
        0.0,
    )
    return first + second


def derivatives(
    params: NDArray[np.float64], x: Column, t_x: Column, T: Column, weights: NDArray[np.float64], *, k: int,
    hessian: bool = False,
) -> tuple[float, NDArray[np.float64], NDArray[np.float64] | None]:
    """Weighted total log-likelihood, gradient and (optionally) Hessian.

    The mixture term ``m = ln(e^A + e^D)`` has gradient ``(1-w) dA + w dD``
    and Hessian ``(1-w) d2A + w d2D + w (1-w) (dD - dA)(dD - dA)'`` where
    ``w = e^(D - m)`` is the weight of the dropout branch.
    """
    r, alpha, a, b = params
    ux = x.values
    wx = x.totals(weights)
    n = weights.sum()
    has_u = ux + k > 0
    bxk = np.where(has_u, b + ux + k - 1.0, 1.0)  # b + x - 1 (BG/NBD) or b + x (MBG/NBD)
    ll_x = (special.gammaln(r + ux) - special.gammaln(r) + special.gammaln(a + b) + special.gammaln(b + ux + k)
            - special.gammaln(b) - special.gammaln(a + b + ux + k))
    d_r_x = special.digamma(r + ux) - special.digamma(r)
    d_ab_x = special.digamma(a + b) - special.digamma(a + b + ux + k)
    d_b_x = special.digamma(b + ux + k) - special.digamma(b)
    with np.errstate(divide="ignore"):
        log_odds_x = np.where(has_u, np.log(a) - np.log(bxk), -np.inf)

    rx = (r + ux)[x.index]
    log_aT = np.log(alpha + T.values)[T.index]
    log_atx = np.log(alpha + t_x.values)[t_x.index]
    inv_aT = (1.0 / (alpha + T.values))[T.index]
    inv_atx = (1.0 / (alpha + t_x.values))[t_x.index]
    alive = -rx * log_aT
    dead = log_odds_x[x.index] - rx * log_atx
    mix = np.logaddexp(alive, dead)
    w = np.exp(dead - mix)
    ww = weights * w
    wa = weights - ww
    wwx = x.totals(ww)
    inv_bxk = 1.0 / bxk

    ll = dot(wx, ll_x) + n * r * np.log(alpha) + dot(weights, mix)
    grad = np.array([
        dot(wx, d_r_x) + n * np.log(alpha) - dot(wa, log_aT) - dot(ww, log_atx),
        n * r / alpha - dot(wa, rx * inv_aT) - dot(ww, rx * inv_atx),
        dot(wx, d_ab_x) + wwx.sum() / a,
        dot(wx, d_ab_x + d_b_x) - dot(wwx, inv_bxk),
    ])
    if not hessian:
        return float(ll), grad, None

    t_r = special.polygamma(1, r + ux) - special.polygamma(1, r)
    t_ab = special.polygamma(1, a + b) - special.polygamma(1, a + b + ux + k)
    t_b = special.polygamma(1, b + ux + k) - special.polygamma(1, b)
    hess = np.zeros((4, 4))
    # Head terms.
    hess[0, 0] = dot(wx, t_r)
    hess[0, 1] = n / alpha
    hess[1, 1] = -n * r / alpha**2
    hess[2, 2] = dot(wx, t_ab)
    hess[2, 3] = dot(wx, t_ab)
    hess[3, 3] = dot(wx, t_ab + t_b)
    # Branch curvature: (1-w) d2A + w d2D.
    hess[0, 1] += -dot(wa, inv_aT) - dot(ww, inv_atx)
    hess[1, 1] += dot(wa, rx * inv_aT**2) + dot(ww, rx * inv_atx**2)
    hess[2, 2] += -wwx.sum() / a**2
    hess[3, 3] += dot(wwx, inv_bxk**2)
    # Mixing curvature: w (1-w) (dD - dA)(dD - dA)'.
    v = weights * w * (1.0 - w)
    delta_r = log_aT - log_atx
    delta_alpha = rx * (inv_aT - inv_atx)
    vx = x.totals(v)
    hess[0, 0] += dot(v, delta_r**2)
    hess[0, 1] += dot(v, delta_r * delta_alpha)
    hess[1, 1] += dot(v, delta_alpha**2)
    hess[0, 2] += dot(v, delta_r) / a
    hess[1, 2] += dot(v, delta_alpha) / a
    hess[0, 3] -= dot(v * delta_r, inv_bxk[x.index])
    hess[1, 3] -= dot(v * delta_alpha, inv_bxk[x.index])
    hess[2, 2] += vx.sum() / a**2
    hess[2, 3] -= dot(vx, inv_bxk) / a
    hess[3, 3] += dot(vx, inv_bxk**2)
    hess = np.triu(hess) + np.triu(hess, 1).T
    return float(ll), grad, hess
