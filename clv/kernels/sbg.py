"""Shifted-beta-geometric (sBG) model maths (Fader & Hardie 2007, "How to project customer retention").

A contract customer churns at the end of each period with probability
``theta``, constant over time for that customer; ``theta`` varies across
customers as Beta(alpha, beta). The lifetime ``T`` (periods paid for, 1, 2,
...) then has

* ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)`` (eq. 6),
* ``S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)`` (eq. 7),
* retention ``r(t) = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1)`` (eq. 8).

Data convention used throughout: a customer with ``n`` renewals who has
churned was lost at the (n+1)-th renewal opportunity and contributes
``P(T = n + 1)``; a customer still active after ``n`` renewals contributes
``S(n)``. Everything is evaluated in log space with :func:`scipy.special.betaln`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from clv.kernels.design import dot
from clv.kernels.special import hyp2f1

PARAMS = ("alpha", "beta")

__all__ = [
    "PARAMS",
    "derl",
    "expected_residual_lifetime",
    "log_churn_pmf",
    "log_survival",
    "loglik",
    "loglik_grad",
    "retention_rate",
]


def log_survival(t: ArrayLike, alpha: float, beta: float) -> NDArray[np.float64]:
    """``ln S(t) = ln B(alpha, beta + t) - ln B(alpha, beta)``, Fader & Hardie (2007), eq. 7."""
    t = np.asarray(t, dtype=float)
    return special.betaln(alpha, beta + t) - special.betaln(alpha, beta)


def log_churn_pmf(t: ArrayLike, alpha: float, beta: float) -> NDArray[np.float64]:
    """``ln P(T = t) = ln B(alpha + 1, beta + t - 1) - ln B(alpha, beta)`` for ``t >= 1``, Fader & Hardie (2007), eq. 6."""
    t = np.asarray(t, dtype=float)
    return special.betaln(alpha + 1.0, beta + t - 1.0) - special.betaln(alpha, beta)


def retention_rate(t: ArrayLike, alpha: float, beta: float) -> NDArray[np.float64]:
    """Share of the customers active at ``t - 1`` who renew at ``t``: ``(beta + t - 1) / (alpha + beta + t - 1)`` (eq. 8)."""
    t = np.asarray(t, dtype=float)
    return (beta + t - 1.0) / (alpha + beta + t - 1.0)


def loglik(alpha: float, beta: float, renewals: ArrayLike, churned: ArrayLike) -> NDArray[np.float64]:
    """Per-customer log-likelihood: ``ln P(T = n + 1)`` if churned after ``n`` renewals, else ``ln S(n)``."""
    n = np.asarray(renewals, dtype=float)
    lost = np.asarray(churned, dtype=bool)
    return np.where(lost, log_churn_pmf(n + 1.0, alpha, beta), log_survival(n, alpha, beta))


def loglik_grad(params: NDArray[np.float64], renewals: NDArray[np.float64], churned: NDArray[np.bool_],
                weights: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    """Weighted total log-likelihood and its gradient in ``(alpha, beta)``.

    With ``psi`` the digamma function, ``d ln B(a, b) / da = psi(a) - psi(a + b)``;
    the churn term ``B(alpha + 1, beta + n)`` and the survival term
    ``B(alpha, beta + n)`` differ only in their first argument.
    """
    alpha, beta = params
    n = np.asarray(renewals, dtype=float)
    a1 = np.where(churned, alpha + 1.0, alpha)
    b1 = beta + n
    ll = dot(weights, special.betaln(a1, b1)) - weights.sum() * special.betaln(alpha, beta)
    psi_sum = special.digamma(a1 + b1)
    base_a = special.digamma(alpha) - special.digamma(alpha + beta)
    base_b = special.digamma(beta) - special.digamma(alpha + beta)
    grad = np.array([
        dot(weights, special.digamma(a1) - psi_sum) - weights.sum() * base_a,
        dot(weights, special.digamma(b1) - psi_sum) - weights.sum() * base_b,
    ])
    return float(ll), grad


def expected_residual_lifetime(alpha: float, beta: float, renewals: ArrayLike) -> NDArray[np.float64]:
    """Expected number of further renewals of a customer active after ``n`` renewals.

    ``sum_{k>=1} S(n + k) / S(n) = (beta + n) / (alpha - 1)`` for ``alpha > 1``;
    infinite otherwise (the beta mixing leaves enough near-loyal customers
    for the sum to diverge). This is :func:`derl` with ``d = 0``.
    """
    n = np.asarray(renewals, dtype=float)
    if alpha <= 1.0:
        return np.full(n.shape, np.inf)
    return (beta + n) / (alpha - 1.0)


def derl(discount_rate: float, alpha: float, beta: float, renewals: ArrayLike) -> NDArray[np.float64]:
    """Discounted expected residual lifetime of a customer who has just made ``n`` renewals.

    Fader & Hardie (2010), "Customer-base valuation in a contractual setting:
    the perils of ignoring heterogeneity", eq. 6 (their ``n - 1`` renewals is
    our ``n``)::

        DERL(d | n) = sum_{k>=0} S(n + 1 + k | T > n) / (1 + d)**k
                    = (beta + n) / (alpha + beta + n) * 2F1(1, beta + n + 1; alpha + beta + n + 1; 1 / (1 + d))

    The customer is at the end of period ``n + 1``, deciding on the next
    renewal; that payment is counted undiscounted and each later one is
    discounted by a further period. Multiply by the payment per period for
    the residual lifetime value. ``d`` is the discount rate per period (> 0).
    """
    if not discount_rate > 0:
        raise ValueError(f"discount_rate must be positive per period, got {discount_rate}")
    n = np.asarray(renewals, dtype=float)
    first = (beta + n) / (alpha + beta + n)
    return first * hyp2f1(1.0, beta + n + 1.0, alpha + beta + n + 1.0, 1.0 / (1.0 + discount_rate))
