"""BG/NBD and MBG/NBD with the purchase rate multiplied by ``theta`` from an assignment time on.

In BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam et al. 2007) a
customer drops out only at purchases, so the whole history is driven by one
Poisson process of rate ``lambda``. If a treatment multiplies that rate by
``theta`` from the assignment time ``tau`` on (times measured from the
customer's first purchase; ``tau <= 0`` for customers first seen after
assignment), the purchases form a time-changed Poisson process with the
operational time::

    Lambda(t) = min(t, tau) + theta * max(t - tau, 0),   tau clipped at 0.

Given ``lambda`` and ``p`` the density of the purchase times is the model's
density at the operational times times the Jacobian of the time change,
``theta`` per purchase after ``tau``. Integrating over the gamma and beta
mixing distributions therefore gives, exactly::

    l(x, t_x, T, tau, x_post) = l_BG(x, Lambda(t_x), Lambda(T)) + x_post ln(theta)

with ``l_BG`` eq. 6 of Fader, Hardie & Lee (2005) (or eq. 4 of Batislam et
al. 2007, ``k = 1``) and ``x_post`` the repeat purchases after ``tau``. For
``tau = 0`` this is the model with ``alpha / theta``: the design of new
customers with arm-specific ``alpha`` is nested. Pareto/NBD has no such exact
form (its dropout runs in calendar time, not at purchases).

The formulas are those of :mod:`clv.kernels.betageo_family`; this module only
applies the time change and adds the derivatives in ``theta``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clv.kernels import betageo_family as family
from clv.kernels.design import Column, dot

__all__ = ["calendar_time", "expected_purchases_after", "log_theta_score", "loglik", "loglik_grad", "operational_time", "posterior_mean_dropout",
           "probability_alive"]


def operational_time(t: ArrayLike, tau: ArrayLike, theta: ArrayLike) -> NDArray[np.float64]:
    """``Lambda(t) = min(t, tau) + theta max(t - tau, 0)`` with ``tau`` clipped at 0 (module docstring)."""
    t, tau, theta = (np.asarray(v, dtype=float) for v in (t, tau, theta))
    tau = np.maximum(tau, 0.0)
    return np.minimum(t, tau) + theta * np.maximum(t - tau, 0.0)


def calendar_time(u: ArrayLike, tau: ArrayLike, theta: ArrayLike) -> NDArray[np.float64]:
    """The inverse of :func:`operational_time`: ``u`` if ``u <= tau``, else ``tau + (u - tau) / theta`` (``tau`` clipped at 0)."""
    u, tau, theta = (np.asarray(v, dtype=float) for v in (u, tau, theta))
    tau = np.maximum(tau, 0.0)
    return np.where(u <= tau, u, tau + (u - tau) / theta)


def loglik(r: float, alpha: float, a: float, b: float, theta: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, tau: ArrayLike,
           x_post: ArrayLike, *, k: int = 0) -> NDArray[np.float64]:
    """Per-customer log-likelihood under the time change: ``l_BG(x, Lambda(t_x), Lambda(T)) + x_post ln(theta)``.

    ``k = 0`` for BG/NBD (Fader, Hardie & Lee 2005, eq. 6), ``k = 1`` for MBG/NBD (Batislam et al. 2007, eq. 4).
    """
    x, t_x, T, x_post = (np.asarray(v, dtype=float) for v in (x, t_x, T, x_post))
    theta = np.asarray(theta, dtype=float)
    base = family.loglik(r, alpha, a, b, x, operational_time(t_x, tau, theta), operational_time(T, tau, theta), k=k)
    return base + x_post * np.log(theta)


def loglik_grad(params: NDArray[np.float64], x: NDArray[np.float64], t_x: NDArray[np.float64], T: NDArray[np.float64],
                tau: NDArray[np.float64], x_post: NDArray[np.float64], group: NDArray[np.intp], weights: NDArray[np.float64], *,
                k: int = 0) -> tuple[float, NDArray[np.float64]]:
    """Weighted total log-likelihood and its gradient in ``(r, alpha, a, b, theta_0, ..., theta_{G-1})``.

    Row ``i`` has multiplier ``theta_{group[i]}``. The gradient in ``(r, alpha,
    a, b)`` is the family's at the operational times
    (:func:`clv.kernels.betageo_family.derivatives`). In ``theta`` it is
    ``x_post / theta + dl/dLambda(T) (T - tau)_+ + dl/dLambda(t_x) (t_x - tau)_+``
    where, with ``P`` = P(alive) at the operational times,
    ``dl/dLambda(T) = -(r+x) P / (alpha + Lambda(T))`` and
    ``dl/dLambda(t_x) = -(r+x) (1 - P) / (alpha + Lambda(t_x))`` (the
    alive and dropped-out branches' weights in the mixture of eq. 6).
    """
    r, alpha, a, b = params[:4]
    thetas = np.asarray(params[4:], dtype=float)
    theta = thetas[group]
    op_tx, op_T = operational_time(t_x, tau, theta), operational_time(T, tau, theta)
    ll, grad4, _ = family.derivatives(np.asarray(params[:4], dtype=float), Column.of(x), Column.of(op_tx), Column.of(op_T), weights, k=k)
    d_theta = _d_theta(r, alpha, a, b, theta, x, t_x, T, tau, x_post, op_tx, op_T, k)
    ll += dot(weights, x_post * np.log(theta))
    grad_theta = np.bincount(group, weights=weights * d_theta, minlength=len(thetas))
    return float(ll), np.concatenate([grad4, grad_theta])


def _d_theta(r: float, alpha: float, a: float, b: float, theta: NDArray, x: NDArray, t_x: NDArray, T: NDArray, tau: NDArray, x_post: NDArray,
             op_tx: NDArray, op_T: NDArray, k: int) -> NDArray[np.float64]:
    """Per-row ``dl/dtheta`` (formula in :func:`loglik_grad`)."""
    alive = family.probability_alive(r, alpha, a, b, x, op_tx, op_T, k=k)
    tau0 = np.maximum(tau, 0.0)
    return (x_post / theta - (r + x) * alive / (alpha + op_T) * np.maximum(T - tau0, 0.0)
            - (r + x) * (1.0 - alive) / (alpha + op_tx) * np.maximum(t_x - tau0, 0.0))


def log_theta_score(r: float, alpha: float, a: float, b: float, theta: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, tau: ArrayLike,
                    x_post: ArrayLike, *, k: int = 0) -> NDArray[np.float64]:
    """Per-customer score in ``ln(theta)``: ``theta dl/dtheta`` (the derivative of :func:`loglik_grad`).

    At the maximum-likelihood estimate of a model with one ``theta`` for every customer the scores sum to zero; the
    difference of their means between two groups of customers is Rao's score statistic for ``theta`` differing between the
    groups (Rao 1948).
    """
    x, t_x, T, tau, x_post = (np.asarray(v, dtype=float) for v in (x, t_x, T, tau, x_post))
    theta = np.asarray(theta, dtype=float)
    op_tx, op_T = operational_time(t_x, tau, theta), operational_time(T, tau, theta)
    return theta * _d_theta(r, alpha, a, b, theta, x, t_x, T, tau, x_post, op_tx, op_T, k)


def expected_purchases_after(t: ArrayLike, r: float, alpha: float, a: float, b: float, theta: float, x_pre: ArrayLike,
                             t_x_pre: ArrayLike, tau: ArrayLike, *, k: int = 0) -> NDArray[np.float64]:
    """Expected purchases in ``(tau, tau + t]`` under multiplier ``theta``, given the history up to ``tau``.

    After ``tau`` the operational time runs ``theta`` times faster, so this is
    the family's conditional expectation (Fader, Hardie & Lee 2005, eq. 10)
    at ``theta t`` with the pre-assignment history ``(x_pre, t_x_pre, tau)``.
    """
    tau = np.maximum(np.asarray(tau, dtype=float), 0.0)
    return family.expected_purchases(theta * np.asarray(t, dtype=float), r, alpha, a, b, x_pre, t_x_pre, tau, k=k)



def probability_alive(r: float, alpha: float, a: float, b: float, theta: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike,
                      tau: ArrayLike, *, k: int = 0) -> NDArray[np.float64]:
    """P(alive at ``T`` | whole history) under the time change: the family's P(alive) at the operational times.

    The Jacobian factor ``theta^x_post`` is common to both branches of the likelihood and cancels
    (Fader, Hardie & Lee 2005, eq. A.1, at ``Lambda(t_x), Lambda(T)``).
    """
    theta = np.asarray(theta, dtype=float)
    return family.probability_alive(r, alpha, a, b, x, operational_time(t_x, tau, theta), operational_time(T, tau, theta), k=k)


def posterior_mean_dropout(r: float, alpha: float, a: float, b: float, theta: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike,
                           tau: ArrayLike, *, k: int = 0) -> NDArray[np.float64]:
    """Posterior mean of the dropout probability ``p`` given the whole history, under the time change.

    :func:`clv.kernels.betageo_family.posterior_mean_dropout` at the operational times (the ``theta^x_post`` factor cancels).
    """
    theta = np.asarray(theta, dtype=float)
    return family.posterior_mean_dropout(r, alpha, a, b, x, operational_time(t_x, tau, theta), operational_time(T, tau, theta), k=k)
