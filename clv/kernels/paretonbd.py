"""Pareto/NBD model maths (Schmittlein, Morrison & Colombo 1987).

Expressions follow Fader & Hardie (2005), "A note on deriving the Pareto/NBD
model and related expressions", and Fader, Hardie & Shang (2010) note 028 for
the conditional purchase distribution. Purchases are Poisson(lambda) with
lambda ~ Gamma(r, alpha); lifetimes are Exponential(mu) with
mu ~ Gamma(s, beta).

The likelihood needs ``2F1(r+s+x, s+1; r+s+x+1; z)``, which overflows for heavy
buyers when evaluated directly (lifetimes issue 25, CLVTools issue 100). Here
Euler's transformation rewrites it as ``(1-z)**(-s) * 2F1(1, r+x; r+s+x+1; z)``
(or the mirror image when ``alpha < beta``); the remaining series has terms
no larger than ``z**k`` so it lies in ``[1, 1/(1-z)]`` and its logarithm is
always finite.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from clv.kernels.design import Column, Groups, dot
from clv.kernels.special import gamma_inverse_moment, hyp2f1, log1mexp, log_hyp2f1

PARAMS = ("r", "alpha", "s", "beta")

__all__ = [
    "PARAMS",
    "conditional_pmf",
    "conditional_probability_of_purchases",
    "dert",
    "expected_purchases",
    "expected_purchases_if_alive",
    "expected_purchases_new",
    "loglik",
    "loglik_grad",
    "probability_alive",
    "probability_alive_at",
    "probability_of_purchases",
    "probability_purchase_between",
    "profile_fit_data",
    "profile_loglik_grad",
    "purchase_rate",
    "row_derivatives",
    "row_groups",
    "simulate_paths",
]


def _as_arrays(*values: ArrayLike) -> list[NDArray[np.float64]]:
    return [np.asarray(v, dtype=float) for v in values]


def _log_f(r: float, alpha: ArrayLike, s: float, beta: ArrayLike, x: NDArray, u: NDArray) -> NDArray:
    """``log[2F1(r+s+x, .; r+s+x+1; |alpha-beta|/(max+u)) / (max+u)**(r+s+x)]`` (Fader & Hardie 2005, eq. 22).

    ``alpha`` and ``beta`` may differ by customer (covariates); each customer
    then takes the branch of its own ``alpha >= beta``.
    """
    if np.ndim(alpha) == 0 and np.ndim(beta) == 0:
        return _log_f_branch(r, alpha, s, beta, x, u, bool(alpha >= beta))
    alpha, beta, x, u = np.broadcast_arrays(*_as_arrays(alpha, beta, x, u))
    out = np.empty(alpha.shape)
    upper = alpha >= beta
    for mask, flag in ((upper, True), (~upper, False)):
        if mask.any():
            out[mask] = _log_f_branch(r, alpha[mask], s, beta[mask], x[mask], u[mask], flag)
    return out


def _log_f_branch(r: float, alpha: ArrayLike, s: float, beta: ArrayLike, x: NDArray, u: NDArray, alpha_larger: bool) -> NDArray:
    if alpha_larger:
        z = (alpha - beta) / (alpha + u)
        h = hyp2f1(1.0, r + x, r + s + x + 1.0, z)
        return -s * np.log(beta + u) - (r + x) * np.log(alpha + u) + np.log(h)
    z = (beta - alpha) / (beta + u)
    h = hyp2f1(1.0, s + 1.0, r + s + x + 1.0, z)
    return (1.0 - r - x) * np.log(alpha + u) - (1.0 + s) * np.log(beta + u) + np.log(h)


def _branches(r: float, alpha: float, s: float, beta: float, x: NDArray, t_x: NDArray, T: NDArray) -> tuple[NDArray, NDArray]:
    """Log of the "alive at T" and "died in (t_x, T]" parts of the likelihood, without the common head."""
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    f_tx = _log_f(r, alpha, s, beta, x, t_x)
    f_T = _log_f(r, alpha, s, beta, x, T)
    dead = np.log(s) - np.log(r + s + x) + f_tx + log1mexp(np.minimum(f_T - f_tx, 0.0))
    return alive, dead


def loglik(r: float, alpha: float, s: float, beta: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Per-customer log-likelihood (Fader & Hardie 2005, eq. 22)::

        ln G(r+x) - ln G(r) + r ln alpha + s ln beta
        + ln[(alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A_0]
    """
    x, t_x, T = _as_arrays(x, t_x, T)
    alive, dead = _branches(r, alpha, s, beta, x, t_x, T)
    head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return head + np.logaddexp(alive, dead)


def probability_alive(r: float, alpha: float, s: float, beta: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """P(alive | x, t_x, T) (Fader & Hardie 2005, eq. 18): the "alive" share of the likelihood."""
    x, t_x, T = _as_arrays(x, t_x, T)
    alive, dead = _branches(r, alpha, s, beta, x, t_x, T)
    return special.expit(alive - dead)


def purchase_rate(r: float, alpha: float, s: float, beta: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Posterior mean of lambda.

    Since ``lambda * L(x)`` equals the likelihood written with ``x + 1``
    purchases, ``E[lambda | x, t_x, T] = L(x+1, t_x, T) / L(x, t_x, T)``.
    """
    x, t_x, T = _as_arrays(x, t_x, T)
    return np.exp(loglik(r, alpha, s, beta, x + 1, t_x, T) - loglik(r, alpha, s, beta, x, t_x, T))


def expected_purchases_if_alive(t: ArrayLike, r: float, alpha: float, s: float, beta: float, x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Expected purchases in ``(T, T+t]`` of a customer alive at ``T`` (Fader & Hardie 2005, eq. 24 without P(alive))::

        (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]

    The bracket divided by ``s-1`` is evaluated with ``expm1`` so ``s = 1``
    gives its limit ``ln((beta+T+t)/(beta+T))``.
    """
    t, x, T = _as_arrays(t, x, T)
    log_ratio = np.log(beta + T) - np.log(beta + T + t)
    sm1 = s - 1.0
    growth = -log_ratio if abs(sm1) < 1e-12 else -np.expm1(sm1 * log_ratio) / sm1
    return (r + x) / (alpha + T) * (beta + T) * growth


def expected_purchases(
    t: ArrayLike, r: float, alpha: float, s: float, beta: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """Conditional expected purchases in ``(T, T+t]`` (Fader & Hardie 2005, eq. 24)."""
    x, t_x, T = _as_arrays(x, t_x, T)
    return expected_purchases_if_alive(t, r, alpha, s, beta, x, T) * probability_alive(r, alpha, s, beta, x, t_x, T)


def expected_purchases_new(t: ArrayLike, r: float, alpha: float, s: float, beta: float) -> NDArray[np.float64]:
    """Expected purchases of a new customer in ``(0, t]`` (Fader & Hardie 2005, eq. 17)."""
    t = np.asarray(t, dtype=float)
    zero = np.zeros_like(t)
    return expected_purchases(t, r, alpha, s, beta, zero, zero, zero)


def conditional_probability_of_purchases(
    n: int, t: float, r: float, alpha: float, s: float, beta: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """P(Y(T, T+t] = n | x, t_x, T), Fader, Hardie & Shang (2010), note 028, eq. 16, in log space."""
    x, t_x, T = _as_arrays(x, t_x, T)
    n = int(n)
    if t <= 0:
        return np.full(np.broadcast(x, t_x, T).shape, float(n == 0))
    log_l = loglik(r, alpha, s, beta, x, t_x, T)
    common = r * np.log(alpha) + s * np.log(beta) - special.gammaln(r)
    if alpha < beta:
        lo, hi, p = alpha, beta, r + x + n
    else:
        lo, hi, p = beta, alpha, s + 1.0 + 0 * x
    diff = hi - lo
    p_alive = probability_alive(r, alpha, s, beta, x, t_x, T)
    zeroth = (1.0 - p_alive) if n == 0 else 0.0

    log_b1 = special.gammaln(r + x + n) + common - (r + x + n) * np.log(alpha + T + t) - s * np.log(beta + T + t)
    first = n * np.log(t) - special.gammaln(n + 1) + log_b1 - log_l
    shared = common + special.betaln(r + x + n, s + 1) - special.gammaln(s)
    log_b2 = shared + special.gammaln(r + s + x) + log_hyp2f1(r + s + x, p, r + s + x + n + 1, diff / (hi + T)) - (r + s + x) * np.log(hi + T)
    second = log_b2 - log_l
    terms = [
        i * np.log(t) - special.gammaln(i + 1) + shared + special.gammaln(r + s + x + i)
        + log_hyp2f1(r + s + x + i, p, r + s + x + n + 1, diff / (hi + T + t)) - (r + s + x + i) * np.log(hi + T + t)
        for i in range(n + 1)
    ]
    third = special.logsumexp(np.stack(terms), axis=0) - log_l
    value = np.exp(first) + np.exp(second) - np.exp(third)
    return np.clip(zeroth + value, 0.0, 1.0)


def probability_of_purchases(n: ArrayLike, t: ArrayLike, r: float, alpha: float, s: float, beta: float) -> NDArray[np.float64]:
    """P(X(t) = n) for a new customer: note 028's eq. 16 with an empty history (x = t_x = T = 0)."""
    n, t = np.broadcast_arrays(np.asarray(n), np.asarray(t, dtype=float))
    out = np.empty(n.shape, dtype=float)
    for idx in np.ndindex(n.shape):
        out[idx] = conditional_probability_of_purchases(int(n[idx]), float(t[idx]), r, alpha, s, beta, 0.0, 0.0, 0.0)
    return out


def _log_g(r: float, alpha: Any, s: float, beta: Any, x: NDArray, u: NDArray) -> NDArray:
    """``log G(u)`` with ``G(u) = int_u^inf (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau = exp(f(u)) / (r+s+x)``.

    The "died in (t_x, T]" part of the likelihood is ``s [G(t_x) - G(T)]``.
    """
    return _log_f(r, alpha, s, beta, x, u) - np.log(r + s + x)


def _log_g_derivatives(r: float, alpha: Any, s: float, beta: Any, x: NDArray, u: NDArray) -> tuple[NDArray, NDArray]:
    """``log G`` and its gradient ``(n, 4)`` in ``(r, alpha, s, beta)``.

    In ``alpha`` and ``beta`` the derivatives are exact: differentiating under
    the integral gives ``dG/dalpha = -(r+x) G(x+1)`` and
    ``dG/dbeta = -(s+1) G(s+1)``, both again of the form of ``G``. In ``r``
    and ``s``, which enter the hypergeometric parameters, they are central
    differences of ``log G`` (step 1e-5, error about 1e-10 relative).
    """
    lg = _log_g(r, alpha, s, beta, x, u)
    h_r, h_s = min(1e-5, r / 4), min(1e-5, s / 4)
    grad = np.stack(np.broadcast_arrays(
        (_log_g(r + h_r, alpha, s, beta, x, u) - _log_g(r - h_r, alpha, s, beta, x, u)) / (2 * h_r),
        -(r + x) * np.exp(_log_g(r, alpha, s, beta, x + 1.0, u) - lg),
        (_log_g(r, alpha, s + h_s, beta, x, u) - _log_g(r, alpha, s - h_s, beta, x, u)) / (2 * h_s),
        -(s + 1.0) * np.exp(_log_g(r, alpha, s + 1.0, beta, x, u) - lg),
    ), axis=1)
    return lg, grad


def row_groups(x: Column, t_x: Column, T: Column, profile: NDArray[np.intp] | None = None) -> tuple[Groups, Groups]:
    """Rows grouped by ``(x, t_x)`` and by ``(x, T)`` (and a covariate ``profile`` code): ``G`` depends on nothing else."""
    if profile is None:
        return Groups.of_columns(x, t_x), Groups.of_columns(x, T)
    return Groups.of(x.index, t_x.index, profile), Groups.of(x.index, T.index, profile)


def _pieces(r: float, alpha: NDArray, s: float, beta: NDArray, x: NDArray, t_x: NDArray, T: NDArray,
            groups: tuple[Groups, Groups]) -> dict[str, Any]:
    """Log-likelihood per row and the parts of its gradient, kept per ``(x, t_x)`` or ``(x, T)`` group.

    With ``D = ln s + ln[G(t_x) - G(T)]`` (see :func:`_log_g`), the alive
    branch ``A`` and the dropout weight ``w = e^D / (e^A + e^D)``, the
    gradient of a row is ``d head + dA + w (dD - dA)`` with
    ``dD = (d ln G(t_x) - rho d ln G(T)) / (1 - rho) + (0, 0, 1/s, 0)`` and
    ``rho = G(T) / G(t_x)``. Everything that depends on ``(x, T)`` only is
    computed once per ``(x, T)`` group, and ``G`` at ``t_x`` once per
    ``(x, t_x)`` group.
    """
    g_tx, g_T = groups
    a_T, b_T, x_T, T_T = g_T.take(alpha), g_T.take(beta), x[g_T.first], T[g_T.first]
    lg_tx, dg_tx = _log_g_derivatives(r, g_tx.take(alpha), s, g_tx.take(beta), x[g_tx.first], t_x[g_tx.first])
    lg_T, dg_T = _log_g_derivatives(r, a_T, s, b_T, x_T, T_T)
    log_aT, log_bT = np.log(a_T + T_T), np.log(b_T + T_T)
    d_alive = np.stack(np.broadcast_arrays(-log_aT, -(r + x_T) / (a_T + T_T), -log_bT, -s / (b_T + T_T)), axis=1)
    d_head = np.stack(np.broadcast_arrays(special.digamma(r + x_T) - special.digamma(r) + np.log(a_T), r / a_T, np.log(b_T), s / b_T), axis=1)
    head_alive = special.gammaln(r + x_T) - special.gammaln(r) + r * np.log(a_T) + s * np.log(b_T)
    alive = -(r + x_T) * log_aT - s * log_bT
    i_tx, i_T = g_tx.index, g_T.index
    diff = np.minimum(lg_T[i_T] - lg_tx[i_tx], 0.0)
    rho = np.exp(diff)
    dead = np.log(s) + lg_tx[i_tx] + log1mexp(diff)
    alive_rows = alive[i_T]
    mix = np.logaddexp(alive_rows, dead)
    w = np.exp(dead - mix)
    c_tx = w / np.where(rho < 1.0, 1.0 - rho, 1.0)  # rho = 1 only where t_x = T, and then w = 0
    return {"ll": head_alive[i_T] + mix, "w": w, "c_tx": c_tx, "c_T": c_tx * rho, "i_tx": i_tx, "i_T": i_T,
            "base": d_head + d_alive, "d_alive": d_alive, "dg_tx": dg_tx, "dg_T": dg_T}


def row_derivatives(
    r: float, alpha: ArrayLike, s: float, beta: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *,
    hessian: bool = False, groups: tuple[Groups, Groups] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], None]:
    """Per-customer log-likelihood (Fader & Hardie 2005, eq. 22) and gradient ``(n, 4)`` in ``(r, alpha_i, s, beta_i)``.

    See :func:`_pieces` for the formula. ``groups`` (from :func:`row_groups`)
    say which rows share ``(x, t_x)`` and ``(x, T)`` (and covariate profile);
    without them they are found here. No Hessian is returned (``hessian`` is
    accepted for a uniform interface); callers difference this gradient.
    """
    x, t_x, T, alpha, beta = np.broadcast_arrays(*_as_arrays(x, t_x, T, alpha, beta))
    if groups is None:
        groups = (Groups.of(*(Column.of(v).index for v in (x, t_x, alpha, beta))), Groups.of(*(Column.of(v).index for v in (x, T, alpha, beta))))
    p = _pieces(r, alpha, s, beta, x, t_x, T, groups)
    i_tx, i_T, w = p["i_tx"], p["i_T"], p["w"]
    grad = p["base"][i_T] + p["c_tx"][:, None] * p["dg_tx"][i_tx] - p["c_T"][:, None] * p["dg_T"][i_T] - w[:, None] * p["d_alive"][i_T]
    grad[:, 2] += w / s
    return p["ll"], grad, None


def loglik_grad(params: NDArray[np.float64], x: Column, t_x: Column, T: Column, weights: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    """Weighted total log-likelihood (Fader & Hardie 2005, eq. 22) and its gradient in ``(r, alpha, s, beta)``.

    The per-row gradient of :func:`row_derivatives`, summed group by group
    (no per-row gradient matrix is formed); ``G`` is evaluated once per
    distinct ``(x, t_x)`` and ``(x, T)`` pair.
    """
    r, alpha, s, beta = params
    groups = row_groups(x, t_x, T)
    p = _pieces(r, alpha, s, beta, x.rows, t_x.rows, T.rows, groups)
    n_T = len(groups[1].first)
    i_tx, i_T, w = p["i_tx"], p["i_T"], p["w"]
    ww = weights * w
    grad = (np.einsum("g,gj->j", np.bincount(i_T, weights, n_T), p["base"])
            + np.einsum("g,gj->j", np.bincount(i_tx, weights * p["c_tx"], len(groups[0].first)), p["dg_tx"])
            - np.einsum("g,gj->j", np.bincount(i_T, weights * p["c_T"], n_T), p["dg_T"])
            - np.einsum("g,gj->j", np.bincount(i_T, ww, n_T), p["d_alive"]))
    grad[2] += ww.sum() / s
    return dot(weights, p["ll"]), grad


def profile_fit_data(x: NDArray[np.float64], t_x: NDArray[np.float64], T: NDArray[np.float64], weights: NDArray[np.float64],
                     profile: NDArray[np.intp], groups: tuple[Groups, Groups]) -> tuple[Groups, Groups]:
    """What :func:`profile_loglik_grad` needs of a covariate fit's rows, built once per fit: the row groups of :func:`row_groups` with ``profile``."""
    return groups


def profile_loglik_grad(theta: NDArray[np.float64], x: NDArray[np.float64], t_x: NDArray[np.float64], T: NDArray[np.float64],
                        weights: NDArray[np.float64], profile: NDArray[np.intp], groups: tuple[Groups, Groups]) -> tuple[float, NDArray[np.float64]]:
    """Weighted total log-likelihood (Fader & Hardie 2005, eq. 22) and the gradient summed per covariate profile.

    ``theta`` holds each profile's ``(r, alpha, s, beta)``, shape ``(P, 4)``;
    covariates move ``alpha`` and ``beta`` only, so ``r`` and ``s`` are
    read from the first profile. ``profile`` is each row's profile and
    ``groups`` (from :func:`row_groups` with ``profile``) nest within
    profiles. Returns the total and an array ``(n_profiles, 4)``: row ``p``
    is the gradient of profile ``p``'s rows in ``(r, alpha_p, s, beta_p)``.
    As in :func:`loglik_grad`, no per-row gradient is formed: each part is
    summed over its ``(x, t_x)`` or ``(x, T)`` group, then over profiles.
    """
    g_tx, g_T = groups
    n_prof = len(theta)
    r, s = float(theta[0, 0]), float(theta[0, 2])
    p = _pieces(r, theta[profile, 1], s, theta[profile, 3], x, t_x, T, groups)
    i_tx, i_T, ww = p["i_tx"], p["i_T"], weights * p["w"]
    n_T = len(g_T.first)
    per_T = (np.bincount(i_T, weights, n_T)[:, None] * p["base"] - np.bincount(i_T, weights * p["c_T"], n_T)[:, None] * p["dg_T"]
             - np.bincount(i_T, ww, n_T)[:, None] * p["d_alive"])
    per_tx = np.bincount(i_tx, weights * p["c_tx"], len(g_tx.first))[:, None] * p["dg_tx"]
    p_T, p_tx = profile[g_T.first], profile[g_tx.first]
    grad = np.stack([np.bincount(p_T, per_T[:, j], n_prof) + np.bincount(p_tx, per_tx[:, j], n_prof) for j in range(4)], axis=1)
    grad[:, 2] += np.bincount(profile, ww, n_prof) / s
    return dot(weights, p["ll"]), grad


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(48)


def probability_purchase_between(t0: ArrayLike, t1: ArrayLike, r: float, alpha: float, s: float, beta: float) -> NDArray[np.float64]:
    """P(a new customer makes at least one purchase in ``(t0, t1]``), ``0 <= t0 <= t1``.

    Given ``lambda`` and ``mu`` the first purchase after ``t0`` falls at
    ``t0 + u`` with density ``lambda exp(-lambda u)`` and finds the customer
    alive with probability ``exp(-mu (t0 + u))`` (Fader & Hardie 2005,
    section 2), so::

        P = int_0^(t1-t0) E[lambda exp(-lambda u)] E[exp(-mu (t0 + u))] du
          = int_0^(t1-t0) r alpha**r (alpha+u)**-(r+1) (beta/(beta+t0+u))**s du

    evaluated by 48-point Gauss-Legendre quadrature in ``v = ln(alpha + u)``,
    where the integrand is smooth. At ``t0 = 0`` it equals one minus
    :func:`probability_of_purchases` at ``n = 0``.
    """
    t0, t1 = np.broadcast_arrays(np.asarray(t0, dtype=float), np.asarray(t1, dtype=float))
    lo = np.log(alpha)
    hi = np.log(alpha + np.maximum(t1 - t0, 0.0))
    half = (hi - lo) / 2.0
    v = lo + half[..., None] * (_NODES + 1.0)  # ln(alpha + u) at the nodes
    u = np.exp(v) - alpha
    log_f = np.log(r) + r * (lo - v) + s * (np.log(beta) - np.log(beta + t0[..., None] + u))
    value = half * (np.exp(log_f) @ _WEIGHTS)
    return np.where(t1 > t0, np.clip(value, 0.0, 1.0), 0.0)


def dert(delta: float, r: float, alpha: float, s: float, beta: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Discounted expected residual transactions with continuous discounting at rate ``delta`` per time unit.

    Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for
    customer base analysis", eq. 2::

        DERT = int_0^inf exp(-delta t) dE[Y(t)] = P(alive) (r+x)/(alpha+T) E[1/(delta + mu)],  mu ~ Gamma(s, beta+T)
             = P(alive) (r+x)/(alpha+T) (beta+T) H_s(delta (beta+T))

    with ``H_s(z) = z**(s-1) U(s, s, z)`` (their ``delta**(s-1) Psi(s, s;
    delta(beta+T))`` form), computed by :func:`clv.kernels.special.gamma_inverse_moment`.
    """
    x, t_x, T = _as_arrays(x, t_x, T)
    rate_term = (r + x) / (alpha + T) * (beta + T) * gamma_inverse_moment(s, delta * (beta + T))
    return probability_alive(r, alpha, s, beta, x, t_x, T) * rate_term


def probability_alive_at(
    t: ArrayLike, r: float, alpha: float, s: float, beta: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """P(alive at ``T + t`` | x, t_x, T) = P(alive at T) ((beta+T)/(beta+T+t))**s.

    Alive at ``T`` the dropout rate is Gamma(s, beta+T) and the remaining
    lifetime exponential, so survival for ``t`` more is the Laplace
    transform of that gamma at ``t``.
    """
    t, x, t_x, T = _as_arrays(t, x, t_x, T)
    return probability_alive(r, alpha, s, beta, x, t_x, T) * np.exp(-s * (np.log(beta + T + t) - np.log(beta + T)))


def conditional_pmf(n: ArrayLike, t: ArrayLike, r: float, alpha: float, s: float, beta: float, x: ArrayLike, t_x: ArrayLike,
                    T: ArrayLike) -> NDArray[np.float64]:
    """P(Y(T, T+t] = n | x, t_x, T) for arrays of ``n`` and ``t`` (see :func:`conditional_probability_of_purchases`)."""
    n, t, x, t_x, T = np.broadcast_arrays(*_as_arrays(n, t, x, t_x, T))
    out = np.empty(n.shape)
    for nn in np.unique(n):
        for tt in np.unique(t[n == nn]):
            rows = (n == nn) & (t == tt)
            out[rows] = conditional_probability_of_purchases(int(nn), float(tt), r, alpha, s, beta, x[rows], t_x[rows], T[rows])
    return out


def simulate_paths(rng: np.random.Generator, edges: ArrayLike, r: Any, alpha: Any, s: Any, beta: Any, x: ArrayLike, t_x: ArrayLike,
                   T: ArrayLike, *, size: int = 1) -> NDArray[np.float64]:
    """``size`` posterior-predictive draws per row of the cumulative purchases in ``(T, T+e]`` for each of the increasing ``edges``.

    Returns shape ``(size, len(x), len(edges))``. Alive at ``T`` with
    probability P(alive); if alive, ``lambda ~ Gamma(r+x, alpha+T)`` and
    ``mu ~ Gamma(s, beta+T)``, the remaining lifetime ``L`` is Exponential(mu)
    and the purchases of each interval ``(e_{j-1}, e_j]`` are
    Poisson(lambda * its length before ``L``). The parameters may be scalars
    or arrays broadcasting against ``x`` (covariates).
    """
    x, t_x, T = np.broadcast_arrays(*_as_arrays(x, t_x, T))
    shape = (size, *x.shape)
    alive = rng.random(shape) < probability_alive(r, alpha, s, beta, x, t_x, T)
    lam = rng.gamma(np.broadcast_to(r + x, shape)) / (alpha + T)
    life = rng.exponential(size=shape) * (beta + T) / rng.gamma(np.broadcast_to(s, shape))
    edges = np.asarray(edges, dtype=float)
    exposure = np.diff(np.minimum(life[..., None], edges), prepend=0.0, axis=-1)
    return np.where(alive[..., None], np.cumsum(rng.poisson(lam[..., None] * exposure), axis=-1), 0.0)
