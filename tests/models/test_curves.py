"""Expected purchases along a curve of times (clv.kernels.curves) equal the per-time NumPy/SciPy evaluation to 1e-12.

Scoring with weekly discounting evaluates ``alive_expectation`` of every
distinct ``(x, T)`` at all period ends at once; that shape goes through one
compiled power series per customer (:mod:`clv.kernels.curves`). Each time
alone goes through NumPy and SciPy's ``hyp2f1``, the reference here.
"""

from __future__ import annotations

import numpy as np
import pytest

from clv.kernels import bgnbd, curves, special


def _customers(rng, n, heavy):
    x = rng.integers(0, 40, n).astype(float)
    if heavy:
        x[: n // 5] = rng.integers(500, 10_001, n // 5)
    return x[:, None], rng.uniform(0.0, 120.0, n)[:, None]


def _curve_and_each_time(r, alpha, a, b, x, T, times):
    c = a + b + x - 1.0
    curve = special.alive_expectation(times[None, :], r, alpha, a, c, x, T)
    alone = np.column_stack([special.alive_expectation(t, r, alpha, a, c, x, T)[:, 0] for t in times])
    return curve, alone


@pytest.mark.parametrize("heavy", [False, True])
def test_curve_equals_each_time_alone(heavy):
    """Equal to 1e-12 of each customer's curve (its largest value).

    Single small values can differ by more, relatively: at small ``t`` the
    bracket ``1 - (1-z)^(a-1) F`` cancels (two terms of 1e-2 leaving 1e-4),
    which multiplies both evaluations' rounding errors alike.
    """
    rng = np.random.default_rng(1 + heavy)
    x, T = _customers(rng, 400, heavy)
    times = np.arange(1.0, 53.0)
    for params in ([0.24, 4.4, 0.79, 2.4], [2.0, 0.5, 6.0, 1.0], [0.05, 40.0, 0.05, 30.0], [3.0, 2.0, 0.5, 0.6]):
        curve, alone = _curve_and_each_time(*params, x, T, times)
        assert np.all(np.isfinite(curve))
        assert np.all(np.abs(curve - alone) <= 1e-12 * np.max(np.abs(alone), axis=1, keepdims=True))


def test_curve_at_a_equal_to_one_is_the_limit():
    """At ``a = 1`` the factor ``c / (a - 1)`` meets a bracket of order ``a - 1``; the series sums ``F - 1`` to keep it precise.

    The expectation is smooth in ``a``, so the mean of the values at ``a = 1 +/- 1e-4`` is the limit to about 1e-8.
    """
    rng = np.random.default_rng(5)
    x, T = _customers(rng, 200, False)
    times = np.arange(1.0, 53.0)
    at_one, _ = _curve_and_each_time(0.3, 4.0, 1.0 + 1e-12, 2.0, x, T, times)
    up, _ = _curve_and_each_time(0.3, 4.0, 1.0 + 1e-4, 2.0, x, T, times)
    down, _ = _curve_and_each_time(0.3, 4.0, 1.0 - 1e-4, 2.0, x, T, times)
    np.testing.assert_allclose(at_one, (up + down) / 2, rtol=1e-7)


def test_per_customer_parameters_and_the_model_entry_point():
    rng = np.random.default_rng(3)
    x, T = _customers(rng, 300, False)
    params = [rng.uniform(0.1, 3.0, (300, 1)) for _ in range(4)]
    times = np.linspace(0.5, 104.0, 30)
    curve = bgnbd.expected_purchases_if_alive(times[None, :], *params, x, T)
    alone = np.column_stack([bgnbd.expected_purchases_if_alive(t, *params, x, T)[:, 0] for t in times])
    assert np.all(np.abs(curve - alone) <= 1e-12 * np.max(np.abs(alone), axis=1, keepdims=True))


def test_rows_whose_series_does_not_converge_are_reported():
    # z up to 0.999 with a slowly decaying series: more than 5 terms needed.
    _, ok = curves.alive_expectation_rows(*(np.array([v]) for v in (0.5, 0.01, -0.2, 1.5, 0.0, 0.0)), np.linspace(1.0, 20.0, 10),
                                          max_terms=5)
    assert not ok[0]
