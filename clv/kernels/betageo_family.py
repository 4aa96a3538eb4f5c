"""Derivatives shared by BG/NBD and MBG/NBD.

Both likelihoods have the form::

    ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x+k) - ln B(a, b)
    + ln[(alpha+T)^-(r+x) + 1{x+k>0} a/(b+x+k-1) (alpha+t_x)^-(r+x)]

with ``k = 0`` for BG/NBD (Fader, Hardie & Lee 2005, eq. 6) and ``k = 1`` for
MBG/NBD (Batislam et al. 2007, eq. 4). This module gives the weighted total,
its gradient and its Hessian in ``(r, alpha, a, b)`` for either, so the
optimiser can take Newton steps. The per-customer log-likelihood itself is
written in each model's module (with a backend, for PyMC).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

from clv.kernels.design import Column, dot

__all__ = ["derivatives"]


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
