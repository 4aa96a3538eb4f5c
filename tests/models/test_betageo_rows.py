"""The compiled BG/NBD-family kernel (clv.kernels.betageo_rows) equals the NumPy formulas to 1e-12.

The MLE optimiser (``bgnbd.loglik_grad``, ``mbgnbd.loglik_grad``) and the
Bayesian models (:class:`clv.bayes.likelihood.GroupedLogLike`, all groups in
one call) evaluate the compiled kernel; the NumPy expression of the same value
and gradient is what ``betageo_family.derivatives(..., hessian=True)`` computes
for the standard errors. These tests compare the two, including heavy buyers
(x up to 10,000) and extreme parameters, and the stacked evaluation of several
groups against one call per group.
"""

from __future__ import annotations

import numpy as np
import pytest

from clv.bayes.likelihood import GroupedLogLike
from clv.kernels import betageo_family, betageo_rows, bgnbd, mbgnbd
from clv.kernels.design import Column


def _data(rng, n, heavy=False):
    x = rng.poisson(2.0, n).astype(float)
    if heavy:
        x[: n // 10] = rng.integers(100, 10_001, n // 10)
    T = np.round(rng.uniform(1, 80, n), 1)
    t_x = np.where(x > 0, np.round(T * rng.uniform(0, 1, n), 1), 0.0)
    return x, t_x, T, rng.integers(1, 5, n).astype(float)


@pytest.mark.parametrize("k", [0, 1])
@pytest.mark.parametrize("heavy", [False, True])
def test_compiled_value_and_gradient_equal_numpy(k, heavy):
    rng = np.random.default_rng(10 + k + 2 * heavy)
    x, t_x, T, w = _data(rng, 3_000, heavy)
    cols = [Column.of(v) for v in (x, t_x, T)]
    for params in ([0.24, 4.4, 0.79, 2.4], [1e-3, 1e-3, 1e-3, 1e-3], [50.0, 300.0, 40.0, 80.0], [0.05, 0.5, 5.0, 0.2]):
        params = np.array(params)
        ll, grad, _ = betageo_family.derivatives(params, *cols, w, k=k)
        ll_np, grad_np, _ = betageo_family.derivatives(params, *cols, w, k=k, hessian=True)
        np.testing.assert_allclose(ll, ll_np, rtol=1e-12)
        np.testing.assert_allclose(grad, grad_np, rtol=1e-12)
        assert np.isfinite(ll) and np.all(np.isfinite(grad))


def test_mle_entry_points_call_the_compiled_kernel():
    rng = np.random.default_rng(3)
    x, t_x, T, w = _data(rng, 500)
    cols = [Column.of(v) for v in (x, t_x, T)]
    params = np.array([0.3, 5.0, 0.7, 2.0])
    for module, k in ((bgnbd, 0), (mbgnbd, 1)):
        ll, grad = module.loglik_grad(params, *cols, w)
        tables = betageo_rows.RowTables.of_columns(*cols, w)
        ll_c, grad_c = betageo_rows.loglik_grad(params[None, :], tables, k=k)
        assert ll == ll_c[0] and np.array_equal(grad, grad_c[0])
        assert betageo_rows.RowTables.of_columns(*cols, w) is tables  # built once per data, not per optimiser step


def test_all_groups_in_one_call_equal_one_call_per_group():
    rng = np.random.default_rng(4)
    groups = []
    for n in (50, 2_000, 7):
        x, t_x, T, w = _data(rng, n)
        groups.append((Column.of(x), Column.of(t_x), Column.of(T), w))
    params = np.array([[0.2, 3.0, 0.8, 2.5], [0.5, 9.0, 1.2, 4.0], [0.1, 1.0, 0.3, 0.9]])
    op = GroupedLogLike(bgnbd.loglik_grad, groups)
    assert op.stacked is not None
    total, grads = op.evaluate(params)
    for g, data in enumerate(groups):
        ll, grad, _ = betageo_family.derivatives(params[g], *data, k=0, hessian=True)
        np.testing.assert_allclose(grads[g], grad, rtol=1e-12)
        total -= ll
    assert abs(total) <= 1e-12 * abs(op.evaluate(params)[0])


def test_extreme_proposals_give_non_finite_values_the_sampler_rejects():
    x, t_x, T, w = _data(np.random.default_rng(5), 100)
    op = GroupedLogLike(bgnbd.loglik_grad, [(Column.of(x), Column.of(t_x), Column.of(T), w)])
    with np.errstate(all="ignore"):
        total, _ = op.evaluate(np.array([[np.inf, 1.0, 1.0, 1.0]]))
    assert not np.isfinite(total)


@pytest.mark.parametrize("kernel, k", [(bgnbd, 0), (mbgnbd, 1)])
def test_profile_gradient_equals_per_row_derivatives_summed_by_profile(kernel, k):
    """Covariate fits sum the gradient per profile with the compiled kernel; the NumPy per-row derivatives give the same."""
    rng = np.random.default_rng(11)
    x, t_x, T, w = _data(rng, 3_000, heavy=True)
    profile = rng.integers(0, 3, len(x)).astype(np.intp)
    theta = np.array([[0.24, 4.4, 0.79, 2.4], [0.24, 6.0, 0.5, 1.7], [0.24, 3.1, 1.2, 3.3]])
    total, grad = kernel.profile_loglik_grad(theta, x, t_x, T, w, profile)
    ll_rows, g_rows, _ = kernel.row_derivatives(theta[0, 0], theta[profile, 1], theta[profile, 2], theta[profile, 3], x, t_x, T)
    want = np.stack([np.bincount(profile, weights=w * g_rows[:, j], minlength=3) for j in range(4)], axis=1)
    np.testing.assert_allclose(total, np.dot(w, ll_rows), rtol=1e-12)
    np.testing.assert_allclose(grad, want, rtol=1e-10, atol=1e-8)


def _day_grid(rng, n):
    """Day-grid data: few distinct times, so most (group, x) take the tabled path; heavy buyers and repeated tuples included."""
    x = rng.poisson(2.0, n).astype(float)
    x[: n // 20] = rng.choice([150.0, 3_000.0], n // 20)
    T = rng.integers(7, 210, n) / 7.0
    t_x = np.where(x > 0, np.floor(T * 7 * rng.uniform(0, 1, n)) / 7.0, 0.0)
    w = np.where(rng.uniform(size=n) < 0.8, 1.0, rng.integers(2, 9, n).astype(float))
    return x, t_x, T, w


@pytest.mark.parametrize("k", [0, 1])
def test_tabled_times_equal_the_direct_path(k, monkeypatch):
    """Per-(x, time) exponentials and the running product of 1 + e (few distinct times) equal exp and log1p per tuple to 1e-12."""
    rng = np.random.default_rng(21 + k)
    groups = []
    for n in (20_000, 3_000):
        x, t_x, T, w = _day_grid(rng, n)
        groups.append((Column.of(x), Column.of(t_x), Column.of(T), w))
    tables = betageo_rows.RowTables.of_groups(groups)
    _, _, p_tx, p_T, _, _ = tables.pairs
    assert len(p_tx) + len(p_T) < len(tables.ix) / 4  # few distinct (x, time) pairs: the tabled path is taken
    for params in ([[0.24, 4.4, 0.79, 2.4], [0.5, 0.2, 2.0, 0.5]], [[1e-3, 1e-3, 1e-3, 1e-3], [50.0, 300.0, 40.0, 80.0]],
                   [[0.05, 0.5, 5.0, 0.2], [3.0, 1.0, 0.01, 30.0]]):
        params = np.array(params)
        ll, grad = betageo_rows.loglik_grad(params, tables, k=k)
        monkeypatch.setattr(betageo_rows, "MAX_SPAN", -1.0)  # no (group, x) qualifies: exp and log1p per tuple
        ll_d, grad_d = betageo_rows.loglik_grad(params, tables, k=k)
        monkeypatch.undo()
        np.testing.assert_allclose(ll, ll_d, rtol=1e-12)
        np.testing.assert_allclose(grad, grad_d, rtol=1e-12, atol=1e-12 * np.abs(grad_d).max())
        for g, data in enumerate(groups):
            ll_np, grad_np, _ = betageo_family.derivatives(params[g], *data, k=k, hessian=True)
            np.testing.assert_allclose(ll[g], ll_np, rtol=1e-12)
            np.testing.assert_allclose(grad[g], grad_np, rtol=1e-10, atol=1e-12 * np.abs(grad_np).max())
