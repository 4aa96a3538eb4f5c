"""The PyMC models' likelihood is the MLE's likelihood: agreement at random points.

The models build their log-likelihood from ``clv.kernels.bgnbd.loglik`` and
``clv.kernels.gammagamma.loglik`` with the PyTensor backend and sum it over
compressed ``(group, ...)`` tuples with weights. These tests evaluate the
compiled PyMC term at random parameter values and compare it with the NumPy
kernel summed over every (uncompressed) customer.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

import clv.bayes
from clv.kernels import bgnbd, gammagamma
from clv.kernels.backend import pytensor_backend


def _per_group(model, names, rng, n_groups, centered=False):
    """A random point of the PyMC model and the per-group natural parameters it implies."""
    point, params = {}, {}
    for k in names:
        if n_groups is None:
            log_k = rng.normal(0.0, 1.0)
            point[f"log_{k}"] = np.asarray(log_k)
            params[k] = np.array([np.exp(log_k)])
        else:
            mu, log_sigma, z = rng.normal(0.0, 1.0), rng.normal(-1.0, 0.5), rng.normal(0.0, 1.0, n_groups)
            point[f"mu_log_{k}"] = np.asarray(mu)
            point[f"sigma_log_{k}_log__"] = np.asarray(log_sigma)
            if centered:
                point[f"log_{k}_centered"] = mu + np.exp(log_sigma) * z
            else:
                point[f"z_{k}"] = z
            params[k] = np.exp(mu + np.exp(log_sigma) * z)
    return point, params


@pytest.mark.parametrize("group, centered", [(None, False), ("channel", False), ("channel", True)])
def test_beta_geo_potential_equals_numpy_loglik(small_rfm, group, centered):
    model = clv.bayes.HierarchicalBetaGeo(group=group, centered_from=1 if centered else None)
    pm_model = model.build_model(small_rfm)
    fn = pm_model.compile_logp(vars=[pm_model["loglik"]], jacobian=False)
    levels = sorted(small_rfm["channel"].unique()) if group else ["all"]
    codes = np.searchsorted(levels, small_rfm["channel"]) if group else np.zeros(len(small_rfm), dtype=int)
    x, t_x, T = (small_rfm[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    rng = np.random.default_rng(0)
    for _ in range(5):
        point, params = _per_group(pm_model, bgnbd.PARAMS, rng, len(levels) if group else None, centered)
        expected = bgnbd.loglik(*(params[k][codes] for k in bgnbd.PARAMS), x, t_x, T).sum()
        assert float(fn(point)) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("group", [None, "channel"])
def test_gamma_gamma_potential_equals_numpy_loglik(small_rfm, group):
    model = clv.bayes.HierarchicalGammaGamma(group=group)
    pm_model = model.build_model(small_rfm)
    fn = pm_model.compile_logp(vars=[pm_model["loglik"]], jacobian=False)
    keep = (small_rfm["frequency"] > 0) & (small_rfm["monetary_value"] > 0)
    sub = small_rfm[keep]
    levels = sorted(small_rfm["channel"].unique()) if group else ["all"]
    codes = np.searchsorted(levels, sub["channel"]) if group else np.zeros(len(sub), dtype=int)
    x, m = sub["frequency"].to_numpy(float), sub["monetary_value"].to_numpy(float)
    rng = np.random.default_rng(1)
    for _ in range(5):
        point, params = _per_group(pm_model, gammagamma.PARAMS, rng, len(levels) if group else None)
        expected = gammagamma.loglik(*(params[k][codes] for k in gammagamma.PARAMS), x, m).sum()
        assert float(fn(point)) == pytest.approx(expected, rel=1e-10)


def test_pytensor_backend_matches_numpy_elementwise_including_heavy_buyers():
    rng = np.random.default_rng(2)
    n = 400
    x = np.concatenate([np.zeros(50), rng.integers(1, 50, n - 60), [1000, 5000, 10000] * 3, [0]]).astype(float)
    T = rng.uniform(1.0, 500.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    m = rng.uniform(1.0, 500.0, n)
    params = [pt.dvector(k) for k in ("r", "alpha", "a", "b")]
    bg = pytensor.function(params, bgnbd.loglik(*params, x, t_x, T, backend=pytensor_backend()))
    sp = [pt.dvector(k) for k in ("p", "q", "v")]
    xs = np.maximum(x, 1.0)
    gg = pytensor.function(sp, gammagamma.loglik(*sp, xs, m, backend=pytensor_backend()))
    for _ in range(10):
        theta = [np.exp(rng.normal(0, 1.5, n)) for _ in range(4)]
        expected = bgnbd.loglik(*theta, x, t_x, T)
        got = bg(*theta)
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-8)
        spend = [np.exp(rng.normal(1, 1, n)) for _ in range(3)]
        np.testing.assert_allclose(gg(*spend), gammagamma.loglik(*spend, xs, m), rtol=1e-10, atol=1e-8)
