"""The time-changed BG/NBD likelihood of clv.kernels.timechange (within-customer A/B test, issue 15)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from clv.kernels import bgnbd, mbgnbd, timechange

CDNOW = (0.243, 4.414, 0.793, 2.426)  # Fader, Hardie & Lee (2005), table 1 (BG/NBD on CDNOW)
CASES = [  # x, t_x, T, tau, x_post
    (0.0, 0.0, 30.0, 10.0, 0.0),
    (3.0, 25.0, 40.0, 12.0, 2.0),
    (2.0, 8.0, 40.0, 12.0, 0.0),
    (4.0, 20.0, 30.0, -5.0, 4.0),  # first seen after assignment
    (1.0, 35.0, 52.0, 0.0, 1.0),
]


@pytest.mark.parametrize("k, kernel", [(0, bgnbd), (1, mbgnbd)])
def test_theta_one_is_the_plain_model(k, kernel):
    x, t_x, T, tau, x_post = (np.array(c) for c in zip(*CASES))
    got = timechange.loglik(*CDNOW, 1.0, x, t_x, T, tau, x_post, k=k)
    np.testing.assert_allclose(got, kernel.loglik(*CDNOW, x, t_x, T), rtol=1e-12)


def test_new_customers_reduce_to_alpha_over_theta():
    """With tau <= 0 the multiplier is the arm-specific alpha / theta of the new-customer design."""
    r, alpha, a, b = CDNOW
    x, t_x, T = np.array([0.0, 2.0, 5.0]), np.array([0.0, 10.0, 30.0]), np.array([20.0, 40.0, 40.0])
    got = timechange.loglik(r, alpha, a, b, 1.3, x, t_x, T, np.zeros(3), x)
    np.testing.assert_allclose(got, bgnbd.loglik(r, alpha / 1.3, a, b, x, t_x, T), rtol=1e-12)


def _direct(case, theta, k):
    """Integrate the process density over lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) numerically, exposure written piecewise.

    Each branch (alive at T, dropped out after t_x) factorises into a lambda integral times a p integral.
    """
    r, alpha, a, b = CDNOW
    x, t_x, T, tau, x_post = case
    tau = max(tau, 0.0)

    def exposure(t):  # integral of the purchase rate / lambda over (0, t]
        return min(t, tau) + theta * max(t - tau, 0.0)

    def over_lambda(t):
        f = lambda lam: lam**x * np.exp(-lam * exposure(t)) * stats.gamma.pdf(lam, r, scale=1 / alpha)  # noqa: E731
        return sum(integrate.quad(f, lo, hi, limit=200, epsabs=0, epsrel=1e-11)[0] for lo, hi in ((0, 1), (1, np.inf)))

    def over_p(f):
        return integrate.quad(lambda p: f(p) * stats.beta.pdf(p, a, b), 0.0, 1.0, limit=200, epsabs=0, epsrel=1e-11)[0]

    alive = over_lambda(T) * over_p(lambda p: (1 - p) ** (x + k))
    dead = over_lambda(t_x) * over_p(lambda p: p * (1 - p) ** (x + k - 1)) if x + k > 0 else 0.0
    return np.log(theta**x_post * (alive + dead))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("k", [0, 1])
def test_matches_direct_integration(case, k):
    theta = 1.4
    got = timechange.loglik(*CDNOW, theta, *case, k=k)
    assert got == pytest.approx(_direct(case, theta, k), rel=1e-7)


@pytest.mark.parametrize("k", [0, 1])
def test_gradient_matches_finite_differences(k):
    x, t_x, T, tau, x_post = (np.array(c) for c in zip(*CASES))
    group = np.array([0, 1, 1, 0, 1])
    w = np.array([1.0, 2.0, 1.0, 3.0, 1.0])
    params = np.array([*CDNOW, 0.9, 1.3])
    _, grad = timechange.loglik_grad(params, x, t_x, T, tau, x_post, group, w, k=k)
    h = 1e-6
    for j in range(len(params)):
        e = np.zeros(len(params))
        e[j] = h * params[j]
        up = timechange.loglik_grad(params + e, x, t_x, T, tau, x_post, group, w, k=k)[0]
        down = timechange.loglik_grad(params - e, x, t_x, T, tau, x_post, group, w, k=k)[0]
        assert grad[j] == pytest.approx((up - down) / (2 * e[j]), rel=1e-5, abs=1e-7)


def test_total_matches_rows_and_stays_finite_for_heavy_buyers():
    x = np.array([10_000.0, 3.0])
    t_x, T, tau, x_post = np.array([51.0, 20.0]), np.array([52.0, 40.0]), np.array([26.0, 10.0]), np.array([5_000.0, 1.0])
    params = np.array([*CDNOW, 1.2])
    ll, grad = timechange.loglik_grad(params, x, t_x, T, tau, x_post, np.zeros(2, np.intp), np.ones(2))
    rows = timechange.loglik(*CDNOW, 1.2, x, t_x, T, tau, x_post)
    assert ll == pytest.approx(rows.sum(), rel=1e-12)
    assert np.isfinite(grad).all()


def test_operational_time_round_trip():
    t = np.array([0.0, 5.0, 10.0, 30.0])
    u = timechange.operational_time(t, 10.0, 1.5)
    np.testing.assert_allclose(u, [0.0, 5.0, 10.0, 40.0])
    np.testing.assert_allclose(timechange.calendar_time(u, 10.0, 1.5), t)


def test_expected_purchases_after_is_the_model_at_operational_time():
    r, alpha, a, b = CDNOW
    got = timechange.expected_purchases_after(10.0, r, alpha, a, b, 1.5, 2.0, 8.0, 20.0)
    assert got == pytest.approx(bgnbd.expected_purchases(15.0, r, alpha, a, b, 2.0, 8.0, 20.0))
