"""Limits of BG/NBD and MBG/NBD at the edge of their parameter space.

The likelihood of the family (:mod:`clv.kernels.betageo_family`) is a mixture
over a purchase rate ``lam ~ Gamma(r, alpha)`` and a dropout probability
``p ~ Beta(a, b)``. When purchase counts are no more dispersed than Poisson
counts, the maximum lies at ``r, alpha -> inf`` with ``r / alpha = lam`` fixed:
the gamma collapses to a point mass (``Gamma(r+x)/Gamma(r) alpha^r
(alpha+u)^-(r+x) -> lam^x e^(-lam u)``). When dropout is homogeneous, it lies
at ``a, b -> inf`` with ``a / (a+b) = pi`` fixed: the beta collapses
(``B(a, b+n)/B(a, b) -> (1-pi)^n``). Each limit, and both together, is a model
of its own with fewer parameters.

Every expression of the family splits into a rate part and a dropout part::

    L = E_p[(1-p)^(x+k)] R(T) + 1{x+k>0} E_p[p (1-p)^(x+k-1)] R(t_x),   R(u) = E_lam[lam^x e^(-lam u)]

(Fader, Hardie & Lee 2005, eq. 6 with ``k = 0``; Batislam et al. 2007, eq. 4
with ``k = 1``), so one set of functions serves the three limits: ``rate``
is ``"gamma"`` (parameters ``r, alpha``) or ``"point"`` (``lam``), ``dropout``
is ``"beta"`` (``a, b``), ``"point"`` (``dropout_odds = pi / (1 - pi)``,
positive like every other parameter) or ``"none"`` (no parameter: ``b -> inf``
or ``a -> 0`` puts the beta's mass at ``p = 0``, nobody drops out, and the
model is the NBD of Ehrenberg (1959)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

__all__ = [
    "expected_if_alive",
    "loglik",
    "param_names",
    "probability_alive",
    "probability_of_purchases",
    "purchase_rate",
]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(48)


def param_names(rate: str, dropout: str) -> tuple[str, ...]:
    """Parameter names of a limit model, rate part first."""
    return (("r", "alpha") if rate == "gamma" else ("lam",)) + {"beta": ("a", "b"), "point": ("dropout_odds",), "none": ()}[dropout]


def _split(params: tuple[float, ...], rate: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    n = 2 if rate == "gamma" else 1
    return tuple(params[:n]), tuple(params[n:])


def _log_rate(rate_params: tuple[float, ...], x: NDArray, u: NDArray) -> NDArray:
    """``ln E[lam^x e^(-lam u)]``: gamma mixing or a point mass at ``lam``."""
    if len(rate_params) == 2:
        r, alpha = rate_params
        return special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + u)
    (lam,) = rate_params
    return special.xlogy(x, lam) - lam * u


def _log_dropout(drop_params: tuple[float, ...], n: NDArray) -> tuple[NDArray, NDArray]:
    """``ln E[(1-p)^n]`` and ``ln E[p (1-p)^(n-1)]`` (the second only where ``n > 0``)."""
    has = n > 0
    if not drop_params:  # nobody drops out
        return np.zeros_like(n), np.full_like(n, -np.inf)
    if len(drop_params) == 2:
        a, b = drop_params
        log_b = special.betaln(a, b)
        return special.betaln(a, b + n) - log_b, special.betaln(a + 1, b + np.where(has, n - 1, 0)) - log_b
    (odds,) = drop_params
    log_stay = -np.log1p(odds)  # ln(1 - pi)
    return n * log_stay, np.log(odds) + n * log_stay  # ln pi + (n-1) ln(1-pi) = ln odds + n ln(1-pi)


def _branches(params: tuple[float, ...], x: NDArray, t_x: NDArray, T: NDArray, rate: str, k: int) -> tuple[NDArray, NDArray]:
    rate_params, drop_params = _split(params, rate)
    stay, drop = _log_dropout(drop_params, x + k)
    alive = stay + _log_rate(rate_params, x, T)
    dead = np.where(x + k > 0, drop + _log_rate(rate_params, x, t_x), -np.inf)
    return alive, dead


def loglik(params: tuple[float, ...], x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, rate: str, k: int) -> NDArray[np.float64]:
    """Per-customer log-likelihood ``ln L`` of the module docstring."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    alive, dead = _branches(params, x, t_x, T, rate, k)
    return np.logaddexp(alive, dead)


def probability_alive(params: tuple[float, ...], x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, rate: str, k: int) -> NDArray[np.float64]:
    """P(alive | x, t_x, T): the alive branch's share of the likelihood (Fader, Hardie & Lee 2005, eq. A.1)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    alive, dead = _branches(params, x, t_x, T, rate, k)
    with np.errstate(invalid="ignore"):
        return special.expit(alive - dead)


def purchase_rate(params: tuple[float, ...], x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, rate: str, k: int) -> NDArray[np.float64]:
    """Posterior mean purchase rate: ``lam`` for a point mass; else the gamma mixture of the two branches."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    rate_params, _ = _split(params, rate)
    if rate == "point":
        return np.full(np.broadcast(x, t_x, T).shape, float(rate_params[0]))
    r, alpha = rate_params
    alive = probability_alive(params, x, t_x, T, rate=rate, k=k)
    return (r + x) * (alive / (alpha + T) + (1 - alive) / (alpha + t_x))


def expected_if_alive(t: ArrayLike, params: tuple[float, ...], x: ArrayLike, T: ArrayLike, *, rate: str, k: int) -> NDArray[np.float64]:
    """Expected purchases in ``(T, T+t]`` of a customer alive at ``T``.

    With rate ``lam`` and dropout probability ``p`` after each purchase, a
    customer alive at ``T`` expects ``(1 - e^(-lam p t)) / p`` purchases.

    * no dropout: the posterior mean rate times ``t``;
    * point rate, point dropout: that value at ``pi``;
    * gamma rate (posterior Gamma(r+x, alpha+T)), point dropout:
      ``(1 - ((alpha+T) / (alpha+T+pi t))^(r+x)) / pi``;
    * point rate, beta dropout (posterior Beta(a, b+x+k)): writing the ratio
      as ``lam t * integral_0^1 e^(-lam t p s) ds`` and taking the expectation
      inside gives ``lam t * integral_0^1 1F1(a; a+b+x+k; -lam t s) ds``,
      evaluated by 48-point Gauss-Legendre quadrature.
    """
    t = np.asarray(t, dtype=float)
    x, T = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(T, dtype=float))
    rate_params, drop_params = _split(params, rate)
    shape = np.broadcast(t, x).shape
    t_b, x_b, T_b = np.broadcast_arrays(t, x, T)
    if not drop_params:  # alive for ever: the posterior mean rate times t
        mean_rate = rate_params[0] if rate == "point" else (rate_params[0] + x_b) / (rate_params[1] + T_b)
        return np.reshape(mean_rate * t_b, shape)
    if len(drop_params) == 1:
        pi = drop_params[0] / (1.0 + drop_params[0])
        if rate == "point":
            value = -np.expm1(-rate_params[0] * pi * t_b) / pi
        else:
            r, alpha = rate_params
            value = -np.expm1(-(r + x_b) * np.log1p(pi * t_b / (alpha + T_b))) / pi
        return np.reshape(value, shape)
    a, b = drop_params
    c = rate_params[0] * t_b
    s = (_NODES + 1.0) / 2.0
    values = special.hyp1f1(a, a + b + x_b[..., None] + k, -c[..., None] * s)
    return np.reshape(c * (values @ _WEIGHTS) / 2.0, shape)


def probability_of_purchases(n: ArrayLike, t: ArrayLike, params: tuple[float, ...], *, rate: str, k: int) -> NDArray[np.float64]:
    """P(X(t) = n) for a new customer (Fader, Hardie & Lee 2005, eq. 8, in rate and dropout parts)::

        E[(1-p)^(n+k)] P(N(t) = n) + 1{n+k>0} E[p (1-p)^(n+k-1)] P(N(t) >= n)

    with ``N(t)`` negative binomial (gamma rate) or Poisson (point rate).
    """
    n, t = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(t, dtype=float))
    rate_params, drop_params = _split(params, rate)
    if rate == "gamma":
        count: Any = stats.nbinom(rate_params[0], rate_params[1] / (rate_params[1] + t))
    else:
        count = stats.poisson(rate_params[0] * t)
    stay, drop = _log_dropout(drop_params, n + k)
    second = np.where((n + k > 0) & np.isfinite(drop), np.exp(drop) * count.sf(n - 1), 0.0)
    return np.exp(stay) * count.pmf(n) + second
