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

from clv.kernels import betageo_rows as rows
from clv.kernels.backend import NUMPY, Backend
from clv.kernels.design import Column, Groups, dot
from clv.kernels.special import alive_expectation, exp_sinh_rule, hyp2f1, log_hyp2f1

__all__ = [
    "alive_at",
    "conditional_pmf",
    "conditional_pmf_if_alive",
    "derivatives",
    "dert",
    "dert_if_alive",
    "expected_purchases",
    "expected_purchases_if_alive",
    "expected_purchases_new",
    "log_dropout_odds",
    "loglik",
    "posterior_mean_dropout",
    "probability_alive",
    "probability_alive_at",
    "probability_of_purchases",
    "probability_purchase_between",
    "purchase_rate",
    "row_derivatives",
    "row_groups",
    "simulate_paths",
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


def probability_alive(r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, k: int) -> NDArray[np.float64]:
    """P(alive | x, t_x, T) = ``1 / (1 + odds)`` with the odds of :func:`log_dropout_odds` (Fader, Hardie & Lee 2005, eq. A.1)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return special.expit(-log_dropout_odds(r, alpha, a, b, x, t_x, T, k=k))


def posterior_mean_dropout(r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, k: int) -> NDArray[np.float64]:
    """Posterior mean of the dropout probability ``p`` given the history.

    The likelihood is ``L(a, b) = int f(x, t_x, T | p) Beta(p; a, b) dp`` and
    ``p Beta(p; a, b) = a / (a + b) Beta(p; a + 1, b)``, so
    ``E[p | x, t_x, T] = a / (a + b) L(a + 1, b) / L(a, b)`` with ``L`` the
    family's likelihood (Fader, Hardie & Lee 2005, eq. 6; Batislam et al. 2007, eq. 4).
    Averaged over the customers of the population it is ``a / (a + b)``.
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return a / (a + b) * np.exp(loglik(r, alpha, a + 1.0, b, x, t_x, T, k=k) - loglik(r, alpha, a, b, x, t_x, T, k=k))


def purchase_rate(r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, k: int) -> NDArray[np.float64]:
    """Posterior mean of the purchase rate lambda given the history.

    The posterior of lambda is a mixture of ``Gamma(r+x, alpha+T)`` (still
    alive at ``T``) and ``Gamma(r+x, alpha+t_x)`` (dropped out right after the
    last purchase), weighted by P(alive) and 1 - P(alive).
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    p = probability_alive(r, alpha, a, b, x, t_x, T, k=k)
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
        delta = np.minimum(1e-4, np.asarray(b) / 2)
        up = alive_expectation(t, r, alpha, a, c + delta, x, T)
        down = alive_expectation(t, r, alpha, a, c - delta, x, T)
        value = np.where(near_pole, (up + down) / 2, value)
    return value


def expected_purchases(t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike,
                       *, k: int) -> NDArray[np.float64]:
    """Conditional expected purchases in ``(T, T+t]``: :func:`expected_purchases_if_alive` times :func:`probability_alive`."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return expected_purchases_if_alive(t, r, alpha, a, b, x, T, k=k) * probability_alive(r, alpha, a, b, x, t_x, T, k=k)


def expected_purchases_new(t: ArrayLike, r: float, alpha: float, a: float, b: float, *, k: int) -> NDArray[np.float64]:
    """Expected repeat purchases of a new customer in ``(0, t]``: :func:`expected_purchases` with an empty history."""
    t = np.asarray(t, dtype=float)
    zero = np.zeros_like(t)
    return expected_purchases(t, r, alpha, a, b, zero, zero, zero, k=k)


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


def probability_purchase_between(t0: ArrayLike, t1: ArrayLike, r: float, alpha: float, a: float, b: float, *, k: int) -> NDArray[np.float64]:
    """P(a new customer makes at least one repeat purchase in ``(t0, t1]``), ``0 <= t0 <= t1``.

    Given ``lambda`` and ``p`` the customer is alive at ``t0`` with probability
    ``(1-p)**k exp(-lambda p t0)`` (dropout is a Poisson(lambda p) event;
    Fader, Hardie & Lee 2005, section 3) and then buys in the interval with
    probability ``1 - exp(-lambda (t1 - t0))``. Integrating over
    ``lambda ~ Gamma(r, alpha)`` gives ``(alpha/(alpha+u))**r`` factors, and
    over ``p ~ Beta(a, b)`` Euler's integral with Pfaff's transformation
    (Abramowitz & Stegun 15.3.1, 15.3.5)::

        P = w [G(t0) - G(t1)],  G(u) = (alpha/(alpha+u))**r 2F1(r, b+k; a+b+k; t0/(alpha+u))

    with ``w = 1`` (BG/NBD) or ``b/(a+b)`` (MBG/NBD). At ``t0 = 0`` this is
    ``w (1 - (alpha/(alpha+t1))**r)``, one minus eq. 8's ``P(X(t1) = 0)``.
    """
    t0, t1 = np.broadcast_arrays(np.asarray(t0, dtype=float), np.asarray(t1, dtype=float))
    c, bk = a + b + k, b + k

    def log_g(u: NDArray[np.float64]) -> NDArray[np.float64]:
        return r * (np.log(alpha) - np.log(alpha + u)) + log_hyp2f1(r, bk, c, t0 / (alpha + u))

    weight = 1.0 if k == 0 else b / (a + b)
    g0 = log_g(t0)
    # G(t0) - G(t1) = G(t0) (1 - exp(log G(t1) - log G(t0))), kept positive in log space
    value = weight * np.exp(g0) * -np.expm1(np.minimum(log_g(t1) - g0, 0.0))
    return np.where(t1 > t0, np.clip(value, 0.0, 1.0), 0.0)


def derivatives(
    params: NDArray[np.float64], x: Column, t_x: Column, T: Column, weights: NDArray[np.float64], *, k: int,
    hessian: bool = False,
) -> tuple[float, NDArray[np.float64], NDArray[np.float64] | None]:
    """Weighted total log-likelihood, gradient and (optionally) Hessian.

    The mixture term ``m = ln(e^A + e^D)`` has gradient ``(1-w) dA + w dD``
    and Hessian ``(1-w) d2A + w d2D + w (1-w) (dD - dA)(dD - dA)'`` where
    ``w = e^(D - m)`` is the weight of the dropout branch.

    Without the Hessian (every step of the optimiser) this is
    :func:`clv.kernels.betageo_rows.loglik_grad`, the compiled kernel the
    Bayesian models evaluate for all groups at once. The Hessian (standard
    errors, once per fit) is computed here in NumPy with the same value and
    gradient; ``tests/models/test_betageo_rows.py`` proves the two agree to 1e-12.
    """
    if not hessian:
        ll_g, grad_g = rows.loglik_grad(np.asarray(params, dtype=float)[None, :], rows.RowTables.of_columns(x, t_x, T, weights), k=k)
        return float(ll_g[0]), grad_g[0], None
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


def _count_terms(r: float, a: NDArray, b: NDArray, x: NDArray, k: int, hessian: bool) -> dict[str, NDArray]:
    """The special-function terms of :func:`row_derivatives`, which depend on ``(x, a, b)`` only."""
    terms = {
        "ll": special.gammaln(r + x) - special.gammaln(r) + special.gammaln(a + b) + special.gammaln(b + x + k)
        - special.gammaln(b) - special.gammaln(a + b + x + k),
        "d_r": special.digamma(r + x) - special.digamma(r),
        "d_ab": special.digamma(a + b) - special.digamma(a + b + x + k),
        "d_b": special.digamma(b + x + k) - special.digamma(b),
    }
    if hessian:
        terms["t_r"] = special.polygamma(1, r + x) - special.polygamma(1, r)
        terms["t_ab"] = special.polygamma(1, a + b) - special.polygamma(1, a + b + x + k)
        terms["t_b"] = special.polygamma(1, b + x + k) - special.polygamma(1, b)
    return terms


def row_groups(x: Column, t_x: Column, T: Column, profile: NDArray[np.intp]) -> Groups:
    """Rows grouped by ``(x, covariate profile)``: the special functions of :func:`row_derivatives` depend on nothing else."""
    return Groups.of(x.index, profile)


def row_derivatives(
    r: float, alpha: NDArray, a: NDArray, b: NDArray, x: NDArray, t_x: NDArray, T: NDArray, *, k: int, hessian: bool = False,
    groups: Groups | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    """Per-customer log-likelihood, gradient ``(n, 4)`` and Hessian ``(n, 4, 4)`` in ``(r, alpha_i, a_i, b_i)``.

    The same formulas as :func:`derivatives` (module docstring), not summed, so
    that ``alpha, a, b`` may differ by customer (covariates, see
    :mod:`clv.kernels.covariates`). With ``groups`` (:func:`row_groups`) the
    special functions are evaluated once per distinct ``(x, profile)``.
    """
    x, t_x, T, alpha, a, b = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, T, alpha, a, b)))
    if groups is None:
        terms = _count_terms(r, a, b, x, k, hessian)
    else:
        terms = {name: v[groups.index] for name, v in _count_terms(r, a[groups.first], b[groups.first], x[groups.first], k, hessian).items()}
    has = x + k > 0
    bxk = np.where(has, b + x + k - 1.0, 1.0)
    rx = r + x
    log_aT, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    inv_aT, inv_atx, inv_bxk = 1.0 / (alpha + T), 1.0 / (alpha + t_x), 1.0 / bxk
    alive = -rx * log_aT
    with np.errstate(divide="ignore"):
        dead = np.where(has, np.log(a) - np.log(bxk), -np.inf) - rx * log_atx
    mix = np.logaddexp(alive, dead)
    w = np.exp(dead - mix)
    ll = terms["ll"] + r * np.log(alpha) + mix
    d_ab = terms["d_ab"]
    grad = np.stack([
        terms["d_r"] + np.log(alpha) - (1 - w) * log_aT - w * log_atx,
        r / alpha - (1 - w) * rx * inv_aT - w * rx * inv_atx,
        d_ab + w / a,
        d_ab + terms["d_b"] - w * inv_bxk,
    ], axis=1)
    if not hessian:
        return ll, grad, None
    t_ab = terms["t_ab"]
    v = w * (1.0 - w)
    delta = np.stack([log_aT - log_atx, rx * (inv_aT - inv_atx), 1.0 / a, -inv_bxk], axis=1)  # dD - dA
    hess = v[:, None, None] * delta[:, :, None] * delta[:, None, :]
    hess[:, 0, 0] += terms["t_r"]
    hess[:, 0, 1] += 1.0 / alpha - (1 - w) * inv_aT - w * inv_atx
    hess[:, 1, 1] += -r / alpha**2 + (1 - w) * rx * inv_aT**2 + w * rx * inv_atx**2
    hess[:, 2, 2] += t_ab - w / a**2
    hess[:, 2, 3] += t_ab
    hess[:, 3, 3] += t_ab + terms["t_b"] + w * inv_bxk**2
    hess[:, 1, 0] = hess[:, 0, 1]
    hess[:, 3, 2] = hess[:, 2, 3]
    return ll, grad, hess
def dert_if_alive(delta: float, r: float, alpha: float, a: float, b: float, x: ArrayLike, T: ArrayLike, *, k: int) -> NDArray[np.float64]:
    """Discounted expected residual transactions of a customer alive at ``T``, continuous discounting at ``delta`` per time unit.

    Alive at ``T``, the purchase rate is Gamma(r+x, alpha+T) and the dropout
    probability Beta(a, b+x+k). A customer with ``(lambda, p)`` is still
    active ``t`` later with probability ``exp(-p lambda t)``, so the purchase
    rate at ``T + t`` is ``lambda exp(-p lambda t)`` and::

        DERT = int_0^inf exp(-delta t) E[lambda exp(-p lambda t)] dt
             = (r+x)/(alpha+T) int_0^inf exp(-delta t) phi(t) dt,
        phi(t) = E_p[((alpha+T)/(alpha+T+p t))**(r+x+1)]
               = (1-w)**a 2F1(a+b+k-r-1, a; a+b+x+k; w),  w = t/(alpha+T+t)

    (Pfaff's transformation, so no parameter grows with ``x``). The integral
    has no closed form; with ``t = s/delta`` it is
    ``int exp(-s) phi(s/delta) ds``, evaluated with the exp-sinh rule of
    :func:`clv.kernels.special.exp_sinh_rule` (125 nodes shared by every
    customer; ``phi`` is completely monotone and bounded by 1). Measured
    against adaptive quadrature: relative error below 1e-9 for parameters
    from 0.05 to 200, ``delta`` from 1e-5 to 0.5 and ``x`` up to 3,000.
    Customers are evaluated per distinct ``(x, T)`` pair.
    """
    x, T = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(T, dtype=float))
    pairs, inverse = np.unique(np.stack([x.ravel(), T.ravel()]), axis=1, return_inverse=True)
    ux, uT = pairs
    nodes, weights = exp_sinh_rule()
    c = alpha + uT
    t = nodes[:, None] / delta
    w = t / (c + t)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        phi = np.exp(a * np.log1p(-w)) * hyp2f1(a + b + k - r - 1.0, a, a + b + ux + k, w)
    phi = np.where(np.isfinite(phi), phi, 0.0)  # only at w rounding to 1, where exp(-s) is below 1e-26
    value = (r + ux) / (c * delta) * np.einsum("j,jn->n", weights, phi)
    return value[inverse.ravel()].reshape(x.shape)


def dert(delta: float, r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, k: int) -> NDArray[np.float64]:
    """Discounted expected residual transactions: ``P(alive) * int_0^inf exp(-delta t) dE[Y(t) | alive]`` (:func:`dert_if_alive`)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return dert_if_alive(delta, r, alpha, a, b, x, T, k=k) * probability_alive(r, alpha, a, b, x, t_x, T, k=k)


def probability_alive_at(t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike,
                         *, k: int) -> NDArray[np.float64]:
    """P(alive at ``T + t`` | x, t_x, T): P(alive at ``T``) times :func:`alive_at`."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return alive_at(t, r, alpha, a, b, x, T, k=k) * probability_alive(r, alpha, a, b, x, t_x, T, k=k)


def alive_at(t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, T: ArrayLike, *, k: int) -> NDArray[np.float64]:
    """P(still alive at ``T + t`` | alive at ``T``), closed form.

    A customer with ``(lambda, p)`` survives the purchases of ``(T, T+t]``
    with probability ``exp(-p lambda t)``; with ``lambda ~ Gamma(r+x,
    alpha+T)`` and ``p ~ Beta(a, b+x+k)`` (the posterior given survival to
    ``T``) and Pfaff's transformation::

        E[((alpha+T)/(alpha+T+p t))**(r+x)] = (1-w)**a 2F1(a+b+k-r, a; a+b+x+k; w),  w = t/(alpha+T+t)
    """
    t, x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (t, x, T)))
    w = t / (alpha + T + t)
    with np.errstate(divide="ignore"):
        return np.exp(a * np.log1p(-w)) * hyp2f1(a + b + k - r, a, a + b + x + k, w)


def conditional_pmf_if_alive(n: ArrayLike, t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, T: ArrayLike,
                             *, k: int) -> NDArray[np.float64]:
    """P(Y(T, T+t] = n | alive at ``T``): eq. 8 of Fader, Hardie & Lee (2005) with the posterior parameters.

    Alive at ``T`` the customer is a new customer with ``r + x, alpha + T``
    and dropout Beta(a, b + x + k), so::

        P(n) = B(a, b'+n)/B(a, b') NB(n; r+x, (alpha+T)/(alpha+T+t))
               + 1{n>0} B(a+1, b'+n-1)/B(a, b') P(NB >= n),   b' = b + x + k
    """
    n, t, x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (n, t, x, T)))
    bp = b + x + k
    prob = (alpha + T) / (alpha + T + t)
    log_b = special.betaln(a, bp)
    first = np.exp(special.betaln(a, bp + n) - log_b + stats.nbinom.logpmf(n, r + x, prob))
    pos = n > 0
    second = np.where(pos, np.exp(special.betaln(a + 1.0, bp + np.where(pos, n - 1.0, 0.0)) - log_b) * stats.nbinom.sf(n - 1, r + x, prob), 0.0)
    return first + second


def conditional_pmf(n: ArrayLike, t: ArrayLike, r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike,
                    T: ArrayLike, *, k: int) -> NDArray[np.float64]:
    """P(Y(T, T+t] = n | x, t_x, T) in closed form: ``1{n=0} (1 - P(alive)) + P(alive) P(n | alive)`` (:func:`conditional_pmf_if_alive`)."""
    n = np.asarray(n, dtype=float)
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    p_alive = probability_alive(r, alpha, a, b, x, t_x, T, k=k)
    return np.where(n == 0, 1.0 - p_alive, 0.0) + p_alive * conditional_pmf_if_alive(n, t, r, alpha, a, b, x, T, k=k)


def simulate_paths(rng: np.random.Generator, edges: NDArray, r: Any, alpha: Any, a: Any, b: Any, x: NDArray, t_x: NDArray, T: NDArray,
                   *, k: int, size: int = 1) -> NDArray[np.float64]:
    """``size`` posterior-predictive draws per row of the cumulative purchases in ``(T, T+e]`` for each of the increasing ``edges``.

    Returns shape ``(size, len(x), len(edges))``. Alive at ``T`` with
    probability P(alive); if alive, ``lambda ~ Gamma(r+x, alpha+T)`` and
    ``p ~ Beta(a, b+x+k)`` (the posterior given survival to ``T``); then
    ``M_j ~ Poisson(lambda (e_j - e_{j-1}))`` purchase opportunities in each
    interval and a dropout after purchase ``K ~ Geometric(p)``, so
    ``min(M_1 + ... + M_j, K)`` purchases by ``e_j``. The parameters may be
    scalars or arrays broadcasting against ``x`` (covariates).
    """
    shape = (size, *x.shape)
    alive = rng.random(shape) < special.expit(-log_dropout_odds(r, alpha, a, b, x, t_x, T, k=k))
    lam = rng.gamma(np.broadcast_to(r + x, shape)) / (alpha + T)
    p = rng.beta(np.broadcast_to(a, shape), np.broadcast_to(b + x + k, shape))
    widths = np.diff(np.asarray(edges, dtype=float), prepend=0.0)
    opportunities = np.cumsum(rng.poisson(lam[..., None] * widths), axis=-1)
    return np.where(alive[..., None], np.minimum(opportunities, rng.geometric(np.maximum(p, 1e-300))[..., None]), 0.0)
