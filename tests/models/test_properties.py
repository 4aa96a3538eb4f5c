"""Invariants of the BG/NBD and Gamma-Gamma maths over wide parameter and data ranges (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from clv.kernels import bgnbd, gammagamma

positive = st.floats(min_value=1e-2, max_value=1e2)
params = st.tuples(positive, positive, positive, positive)


@st.composite
def histories(draw):
    x = draw(st.integers(min_value=0, max_value=10_000))
    T = draw(st.floats(min_value=0.0, max_value=520.0))
    t_x = 0.0 if x == 0 else draw(st.floats(min_value=0.0, max_value=1.0)) * T
    return float(x), t_x, T


@settings(max_examples=300, deadline=None)
@given(params, histories())
def test_probability_alive_in_unit_interval(p, h):
    value = bgnbd.probability_alive(*p, *h)
    assert np.isfinite(value) and 0.0 <= value <= 1.0
    if h[0] == 0:
        assert value == 1.0


@settings(max_examples=300, deadline=None)
@given(params, histories())
def test_expectations_finite_and_non_decreasing(p, h):
    times = np.array([0.0, 1.0, 13.0, 52.0, 104.0, 520.0])
    values = np.array([bgnbd.expected_purchases(t, *p, *h) for t in times])
    assert np.all(np.isfinite(values))
    assert values[0] == 0.0
    assert np.all(np.diff(values) >= -1e-9 * np.maximum(1.0, values[1:]))


@settings(max_examples=300, deadline=None)
@given(params, histories())
def test_loglik_and_purchase_rate_finite(p, h):
    assert np.isfinite(bgnbd.loglik(*p, *h))
    rate = bgnbd.purchase_rate(*p, *h)
    assert np.isfinite(rate) and rate > 0


@settings(max_examples=200, deadline=None)
@given(params, st.floats(min_value=0.0, max_value=520.0))
def test_unconditional_expectation_finite_and_increasing(p, t):
    e1 = bgnbd.expected_purchases_new(t, *p)
    e2 = bgnbd.expected_purchases_new(t + 1.0, *p)
    assert np.isfinite(e1) and np.isfinite(e2) and -1e-12 <= e1 <= e2 + 1e-12


@settings(max_examples=100, deadline=None)
@given(params, st.floats(min_value=0.1, max_value=200.0))
def test_purchase_distribution_sums_to_one(p, t):
    probs = bgnbd.probability_of_purchases(np.arange(0, 400), t, *p)
    assert np.all((probs >= 0) & (probs <= 1))
    # Markov's inequality bounds the mass beyond 399 purchases by E[X] / 400.
    mean = bgnbd.expected_purchases_new(t, *p)
    assert 1.0 - mean / 400 - 1e-9 <= probs.sum() <= 1.0 + 1e-9


@settings(max_examples=200, deadline=None)
@given(st.tuples(positive, st.floats(min_value=1.01, max_value=100.0), positive),
       st.integers(min_value=1, max_value=10_000), st.floats(min_value=0.01, max_value=1e5))
def test_gamma_gamma_expected_spend_between_prior_and_own_mean(p, x, m):
    value = gammagamma.expected_spend(*p, x, m)
    prior = gammagamma.population_mean_spend(*p)
    assert np.isfinite(value) and np.isfinite(gammagamma.loglik(*p, x, m))
    assert min(prior, m) * (1 - 1e-9) <= value <= max(prior, m) * (1 + 1e-9)


def test_unconditional_expectation_not_negative_from_rounding():
    # Found by hypothesis: t tiny and a near 1 multiplied the bracket's rounding error by c / (a - 1) = 1,534.
    assert bgnbd.expected_purchases_new(1e-17, 32.0, 1.0, 1.01, 15.3354) >= 0.0


def test_unconditional_expectation_increases_where_scipy_hyp2f1_is_degenerate():
    """Found by Hypothesis: a - 1 - r an integer and z near 0.9, where SciPy's 2F1(10, 70; 85; 0.907) is 7% off.

    Reference values from mpmath's ``hyp2f1`` at 40 digits: E[X(54)] = 5.665846596507604, E[X(55)] = 5.665923417207472.
    """
    e = bgnbd.expected_purchases_new(np.array([54.0, 55.0]), 10.0, 5.5, 16.0, 70.0)
    np.testing.assert_allclose(e, [5.665846596507604, 5.665923417207472], rtol=1e-12)
