"""BG/BB model maths (Fader, Hardie & Shang 2010, "Customer-base analysis in a discrete-time noncontractual setting").

At each of ``n`` discrete transaction opportunities a living customer buys
with probability ``p`` (Beta(alpha, beta) across customers) and, at the start
of each opportunity, dies with probability ``theta`` (Beta(gamma, delta)).
A history is ``x`` purchases, the last at opportunity ``t_x``, out of ``n``.

Every quantity is written in log space with :func:`scipy.special.betaln`;
the finite sums run over opportunities, so they are exact. Future purchases
of a customer alive at ``n`` are a beta-binomial count over ``K`` further
opportunities survived, with ``P(K = j) = B(gamma + 1, delta + n + j) /
B(gamma, delta + n)`` for ``j < m`` and ``B(gamma, delta + n + m) / B(gamma,
delta + n)`` for ``j = m`` (the posterior of ``theta`` given survival to
``n`` is Beta(gamma, delta + n), that of ``p`` Beta(alpha + x, beta + n - x)).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from clv.kernels.special import hyp2f1

PARAMS = ("alpha", "beta", "gamma", "delta")

__all__ = [
    "PARAMS",
    "conditional_pmf",
    "dert",
    "expected_purchases",
    "loglik",
    "probability_alive",
    "simulate_paths",
]


def _arrays(*values: ArrayLike) -> list[NDArray[np.float64]]:
    return list(np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values)))


def _log_alive_part(alpha: float, beta: float, gamma: float, delta: float, x: NDArray, n: NDArray, m: ArrayLike = 0.0) -> NDArray:
    """``ln[B(alpha+x, beta+n-x)/B(alpha, beta) * B(gamma, delta+n+m)/B(gamma, delta)]``: history and survival to ``n + m``."""
    return (special.betaln(alpha + x, beta + n - x) - special.betaln(alpha, beta)
            + special.betaln(gamma, delta + n + np.asarray(m, dtype=float)) - special.betaln(gamma, delta))


def loglik(alpha: float, beta: float, gamma: float, delta: float, x: ArrayLike, t_x: ArrayLike, n: ArrayLike) -> NDArray[np.float64]:
    """Per-customer log-likelihood, Fader, Hardie & Shang (2010), eq. 5::

        L = B(a+x, b+n-x)/B(a, b) B(g, d+n)/B(g, d)
            + sum_{i=0}^{n-t_x-1} B(a+x, b+t_x-x+i)/B(a, b) B(g+1, d+t_x+i)/B(g, d)

    The sum (death at the start of opportunity ``t_x + i + 1``) is
    accumulated with ``logaddexp`` over ``i``.
    """
    x, t_x, n = _arrays(x, t_x, n)
    out = _log_alive_part(alpha, beta, gamma, delta, x, n)
    head = -special.betaln(alpha, beta) - special.betaln(gamma, delta)
    gap = n - t_x
    for i in range(int(gap.max()) if gap.size else 0):
        term = head + special.betaln(alpha + x, beta + t_x - x + i) + special.betaln(gamma + 1.0, delta + t_x + i)
        out = np.where(i < gap, np.logaddexp(out, term), out)
    return out


def probability_alive(alpha: float, beta: float, gamma: float, delta: float, x: ArrayLike, t_x: ArrayLike, n: ArrayLike,
                      m: ArrayLike = 0.0) -> NDArray[np.float64]:
    """P(alive at opportunity ``n + m`` | history), Fader, Hardie & Shang (2010), eq. 11 (``m = 1``) and appendix eq. A10.

    ``m = 0`` is the probability of having survived the ``n`` observed opportunities.
    """
    x, t_x, n, m = _arrays(x, t_x, n, m)
    return np.exp(_log_alive_part(alpha, beta, gamma, delta, x, n, m) - loglik(alpha, beta, gamma, delta, x, t_x, n))


def _survival_sum(gamma: float, delta: float, n: NDArray, m: NDArray) -> NDArray:
    """``sum_{j=1}^{m} B(gamma, delta+n+j) / B(gamma, delta)``: expected opportunities survived in ``(n, n+m]`` from the start.

    Closed form (Fader, Hardie & Shang 2010, eq. 13)::

        delta/(gamma-1) G(gamma+delta)/G(1+delta) [G(1+delta+n)/G(gamma+delta+n) - G(1+delta+n+m)/G(gamma+delta+n+m)]

    evaluated as ``-exp(u) expm1(v - u)``; at ``gamma = 1`` its limit
    ``delta * [psi(1+delta+n+m) - psi(1+delta+n)]`` is used.
    """
    if abs(gamma - 1.0) < 1e-8:
        return delta * (special.digamma(1.0 + delta + n + m) - special.digamma(1.0 + delta + n))
    u = special.gammaln(1.0 + delta + n) - special.gammaln(gamma + delta + n)
    v = special.gammaln(1.0 + delta + n + m) - special.gammaln(gamma + delta + n + m)
    scale = delta / (gamma - 1.0) * np.exp(special.gammaln(gamma + delta) - special.gammaln(1.0 + delta))
    return -scale * np.exp(u) * np.expm1(v - u)


def expected_purchases(m: ArrayLike, alpha: float, beta: float, gamma: float, delta: float, x: ArrayLike, t_x: ArrayLike,
                       n: ArrayLike) -> NDArray[np.float64]:
    """Expected purchases in the next ``m`` opportunities, ``E[X(n, n+m) | x, t_x, n]``, Fader, Hardie & Shang (2010), eq. 13.

    With ``x = t_x = n = 0`` this is ``E[X(m)]`` of a new customer (eq. 9).
    """
    x, t_x, n, m = _arrays(x, t_x, n, m)
    log_head = (special.betaln(alpha + x + 1.0, beta + n - x) - special.betaln(alpha, beta)
                - loglik(alpha, beta, gamma, delta, x, t_x, n))
    return np.exp(log_head) * _survival_sum(gamma, delta, n, m)


def conditional_pmf(k: ArrayLike, m: int, alpha: float, beta: float, gamma: float, delta: float, x: ArrayLike, t_x: ArrayLike,
                    n: ArrayLike) -> NDArray[np.float64]:
    """P(X(n, n+m) = k | x, t_x, n): exact finite mixture over the opportunities survived (module docstring).

    Equals Fader, Hardie & Shang (2010), eq. 16 (and eq. 7 for a new
    customer, ``x = t_x = n = 0``); the sum over ``j`` has ``m + 1`` terms.
    """
    k, x, t_x, n = _arrays(k, x, t_x, n)
    m = int(m)
    log_alive = _log_alive_part(alpha, beta, gamma, delta, x, n) - loglik(alpha, beta, gamma, delta, x, t_x, n)
    p_alive = np.exp(np.minimum(log_alive, 0.0))
    a_post, b_post = alpha + x, beta + n - x
    base_theta = special.betaln(gamma, delta + n)
    total = np.zeros(np.broadcast(k, x).shape)
    for j in range(m + 1):
        log_k = (special.betaln(gamma, delta + n + m) if j == m else special.betaln(gamma + 1.0, delta + n + j)) - base_theta
        with np.errstate(invalid="ignore"):
            log_bb = (special.gammaln(j + 1.0) - special.gammaln(k + 1.0) - special.gammaln(j - k + 1.0)
                      + special.betaln(a_post + k, b_post + j - k) - special.betaln(a_post, b_post))
        total += np.where((k <= j) & (k >= 0), np.exp(log_k + np.where(k <= j, log_bb, 0.0)), 0.0)
    return np.where(k == 0, 1.0 - p_alive, 0.0) + p_alive * total


def dert(discount_rate: float, alpha: float, beta: float, gamma: float, delta: float, x: ArrayLike, t_x: ArrayLike,
         n: ArrayLike) -> NDArray[np.float64]:
    """Discounted expected residual transactions, Fader, Hardie & Shang (2010), eq. 14::

        B(a+x+1, b+n-x)/B(a, b) * B(g, d+n+1)/(B(g, d) (1+d_r)) * 2F1(1, d+n+1; g+d+n+1; 1/(1+d_r)) / L

    A purchase at opportunity ``n + j`` is discounted by ``(1 + d_r)**-j``
    (``d_r`` the rate per opportunity).
    """
    x, t_x, n = _arrays(x, t_x, n)
    log_head = (special.betaln(alpha + x + 1.0, beta + n - x) - special.betaln(alpha, beta)
                + special.betaln(gamma, delta + n + 1.0) - special.betaln(gamma, delta) - np.log1p(discount_rate)
                - loglik(alpha, beta, gamma, delta, x, t_x, n))
    return np.exp(log_head) * hyp2f1(1.0, delta + n + 1.0, gamma + delta + n + 1.0, 1.0 / (1.0 + discount_rate))


def simulate_paths(rng: np.random.Generator, edges: ArrayLike, alpha: ArrayLike, beta: ArrayLike, gamma: ArrayLike, delta: ArrayLike,
                   x: ArrayLike, t_x: ArrayLike, n: ArrayLike, *, size: int = 1) -> NDArray[np.float64]:
    """``size`` posterior-predictive draws per row of the cumulative purchases in the next ``e`` opportunities, for each of ``edges``.

    Returns shape ``(size, len(x), len(edges))``; ``edges`` are whole,
    increasing numbers of opportunities. Alive at ``n`` with probability
    P(alive) (eq. 11 with ``m = 0``); if alive, ``p ~ Beta(alpha+x, beta+n-x)``
    and ``theta ~ Beta(gamma, delta+n)`` (module docstring); the customer dies
    at the start of opportunity ``G ~ Geometric(theta)``, so survives
    ``K = G - 1`` of them, and buys at each survived opportunity with
    probability ``p``: ``Binomial(min(K, e_j) - min(K, e_{j-1}), p)`` in each
    interval of opportunities.
    """
    x, t_x, n = _arrays(x, t_x, n)
    shape = (size, *x.shape)
    alive = rng.random(shape) < probability_alive(alpha, beta, gamma, delta, x, t_x, n)
    p = rng.beta(np.broadcast_to(alpha + x, shape), np.broadcast_to(beta + n - x, shape))
    theta = rng.beta(np.broadcast_to(gamma, shape), np.broadcast_to(delta + n, shape))
    survived = rng.geometric(np.maximum(theta, 1e-300)) - 1.0
    edges = np.asarray(edges, dtype=float)
    opportunities = np.diff(np.minimum(survived[..., None], edges), axis=-1, prepend=0.0)
    bought = rng.binomial(opportunities.astype(np.int64), np.broadcast_to(p[..., None], opportunities.shape))
    return np.where(alive[..., None], np.cumsum(bought, axis=-1), 0.0)
