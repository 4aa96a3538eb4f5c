"""Permutation tests of per-customer values under one pooled fit (clv.operations.ab_permutation, issue 15).

The size of these tests at 200 simulated experiments per scenario is benchmarks/bench_ab_calibration.py; its figures are in
benchmarks/RESULTS.md ("Session 6: A/B calibration"). Here: the mechanics and known answers.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, stats

from clv.kernels import betageo_family, timechange
from clv.operations.ab_permutation import permutation_row, permutation_test


def _exact_p(v: np.ndarray, treated: np.ndarray) -> float:
    """Two-sided p-value of Welch's t over every split of the customers (full enumeration)."""
    n, k = len(v), int(treated.sum())
    splits = np.array([np.isin(np.arange(n), c) for c in itertools.combinations(range(n), k)])

    def t(mask: np.ndarray) -> np.ndarray:
        a = np.where(mask, v, np.nan)
        b = np.where(mask, np.nan, v)
        se = np.sqrt(np.nanvar(a, axis=-1, ddof=1) / k + np.nanvar(b, axis=-1, ddof=1) / (n - k))
        return np.abs(np.nanmean(a, axis=-1) - np.nanmean(b, axis=-1)) / se

    return float(np.mean(t(splits) >= t(treated) * (1 - 1e-12)))


def test_welch_statistic_and_exact_permutation_p():
    rng = np.random.default_rng(3)
    v = np.r_[rng.exponential(1.0, 7), rng.exponential(1.6, 7)]  # skewed, like P(alive) or spend
    treated = np.r_[np.zeros(7, bool), np.ones(7, bool)]
    res = permutation_test(v, treated, n_permutations=4000, seed=5)
    welch = stats.ttest_ind(v[treated], v[~treated], equal_var=False)
    assert res["t"][0] == pytest.approx(welch.statistic, rel=1e-10)
    assert res["difference"][0] == pytest.approx(v[treated].mean() - v[~treated].mean(), rel=1e-12)
    assert res["p_value_welch"][0] == pytest.approx(2 * stats.norm.sf(abs(welch.statistic)), rel=1e-10)
    exact = _exact_p(v, treated)  # 3,432 splits
    assert res["p_value"][0] == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / 4000) + 1e-3)


def test_separated_arms_missing_values_and_the_omnibus():
    rng = np.random.default_rng(1)
    treated = np.r_[np.zeros(30, bool), np.ones(30, bool)]
    shifted = rng.normal(0, 1, 60) + 10 * treated  # no relabelling beats the observed split
    noise = rng.normal(0, 1, 60)
    noise[[0, 1, 40]] = np.nan  # left out of that column only
    res = permutation_test(np.c_[shifted, noise], treated, n_permutations=499, seed=2)
    assert res["p_value"][0] == pytest.approx(1 / 500) and res["p_value_max"] == pytest.approx(1 / 500)
    assert res["treatment"][1] == pytest.approx(np.nanmean(noise[treated])) and res["control"][1] == pytest.approx(np.nanmean(noise[~treated]))
    assert res["p_value_max"] <= res["p_value"].max()
    again = permutation_test(np.c_[shifted, noise], treated, n_permutations=499, seed=2)
    assert again["p_value"][1] == res["p_value"][1]  # seeded
    constant = permutation_test(np.ones(10), np.arange(10) < 5, n_permutations=50, seed=0)
    assert np.isnan(constant["p_value"][0]) and np.isnan(constant["p_value_max"])


def test_row_interval_is_welch():
    rng = np.random.default_rng(4)
    v, treated = rng.uniform(0.2, 1.0, 400), np.arange(400) % 2 == 1
    res = permutation_test(v, treated, n_permutations=99, seed=1)
    row = permutation_row(res, 0, "lower", 0.9, "permutation")
    se = np.sqrt(v[treated].var(ddof=1) / 200 + v[~treated].var(ddof=1) / 200)
    assert row["difference_upper"] - row["difference"] == pytest.approx(stats.norm.ppf(0.95) * se, rel=1e-10)
    assert row["p_treatment_better"] == pytest.approx(stats.norm.cdf(-row["difference"] / se), rel=1e-10)
    assert row["ratio_lower"] < row["ratio"] < row["ratio_upper"]


@pytest.mark.parametrize("k", [0, 1])
def test_posterior_mean_dropout_against_quadrature(k):
    r, alpha, a, b = 0.6, 5.0, 2.5, 4.0  # a > 1: the beta density is bounded, so quadrature is accurate
    for x, t_x, T in [(0, 0.0, 30.0), (3, 10.0, 38.0), (7, 35.0, 38.0)]:
        def lik(p: float, x: int = x, t_x: float = t_x, T: float = T) -> float:  # lambda integrated out, times the beta weight
            alive = (1 - p) ** (x + k) * (alpha + T) ** -(r + x)
            dead = p * (1 - p) ** (x + k - 1) * (alpha + t_x) ** -(r + x) if x + k > 0 else 0.0
            return (alive + dead) * stats.beta.pdf(p, a, b)

        num = integrate.quad(lambda p: p * lik(p), 0, 1, epsabs=1e-300)[0]
        den = integrate.quad(lik, 0, 1, epsabs=1e-300)[0]
        assert betageo_family.posterior_mean_dropout(r, alpha, a, b, x, t_x, T, k=k) == pytest.approx(num / den, rel=1e-7)


def test_time_changed_quantities_reduce_to_the_family():
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426  # CDNOW BG/NBD (Fader, Hardie & Lee 2005)
    x, t_x, T, tau = np.array([0.0, 2.0, 5.0]), np.array([0.0, 20.0, 40.0]), np.array([50.0, 50.0, 50.0]), np.array([10.0, 10.0, 30.0])
    for theta in (1.0, 1.4):
        op = (timechange.operational_time(t_x, tau, theta), timechange.operational_time(T, tau, theta))
        np.testing.assert_allclose(timechange.probability_alive(r, alpha, a, b, theta, x, t_x, T, tau),
                                   betageo_family.probability_alive(r, alpha, a, b, x, *op, k=0), rtol=1e-12)
        np.testing.assert_allclose(timechange.posterior_mean_dropout(r, alpha, a, b, theta, x, t_x, T, tau),
                                   betageo_family.posterior_mean_dropout(r, alpha, a, b, x, *op, k=0), rtol=1e-12)
    np.testing.assert_allclose(timechange.probability_alive(r, alpha, a, b, 1.0, x, t_x, T, tau),
                               betageo_family.probability_alive(r, alpha, a, b, x, t_x, T, k=0), rtol=1e-12)
