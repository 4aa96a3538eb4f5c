"""The PyMC models' likelihood is the MLE's likelihood: agreement at random points.

The models hand the MLE kernels (``clv.kernels.bgnbd.loglik_grad``,
``clv.kernels.gammagamma.loglik_grad``: value and analytic gradient) to PyMC
through :class:`clv.bayes.likelihood.GroupedLogLike`, over compressed
``(group, ...)`` tuples with weights. These tests evaluate the compiled PyMC
term at random points and compare it with the NumPy log-likelihood summed
over every (uncompressed) customer, check the gradient NUTS uses against
PyTensor's symbolic gradient of the same formula written with the PyTensor
backend, and check the mapping from the sampled quantities (mean purchase
rate, mean dropout, ...) to the natural parameters.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import special

import clv.bayes
from clv.bayes.likelihood import GroupedLogLike
from clv.kernels import bgnbd, gammagamma
from clv.kernels.backend import pytensor_backend
from clv.kernels.design import Column


def _random_points(pm_model, names, rng, n):
    """``n`` random points of the model's free variables, with the natural parameters and sampled quantities they imply."""
    start = pm_model.initial_point()
    outputs = pm_model.replace_rvs_by_values([pm_model[k] for k in names])
    params_fn = pytensor.function(pm_model.value_vars, outputs, on_unused_input="ignore")
    for _ in range(n):
        point = {k: np.asarray(v + rng.normal(0.0, 0.7, np.shape(v))) for k, v in start.items()}
        yield point, dict(zip(names, params_fn(*(point[v.name] for v in pm_model.value_vars))))


def _codes(rfm, group):
    levels = sorted(rfm["channel"].unique()) if group else ["all"]
    return np.searchsorted(levels, rfm["channel"]) if group else np.zeros(len(rfm), dtype=int)


@pytest.mark.parametrize("group, centered", [(None, False), ("channel", False), ("channel", True)])
def test_beta_geo_potential_equals_numpy_loglik(small_rfm, group, centered):
    model = clv.bayes.HierarchicalBetaGeo(group=group, centered_from=1 if centered else None)
    pm_model = model.build_model(small_rfm)
    fn = pm_model.compile_logp(vars=[pm_model["loglik"]], jacobian=False)
    codes = _codes(small_rfm, group)
    x, t_x, T = (small_rfm[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    for point, params in _random_points(pm_model, bgnbd.PARAMS, np.random.default_rng(0), 5):
        expected = bgnbd.loglik(*(params[k][codes] for k in bgnbd.PARAMS), x, t_x, T).sum()
        assert float(fn(point)) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("group", [None, "channel"])
def test_gamma_gamma_potential_equals_numpy_loglik(small_rfm, group):
    model = clv.bayes.HierarchicalGammaGamma(group=group)
    pm_model = model.build_model(small_rfm)
    fn = pm_model.compile_logp(vars=[pm_model["loglik"]], jacobian=False)
    keep = (small_rfm["frequency"] > 0) & (small_rfm["monetary_value"] > 0)
    sub = small_rfm[keep]
    codes = _codes(sub, group)
    x, m = sub["frequency"].to_numpy(float), sub["monetary_value"].to_numpy(float)
    for point, params in _random_points(pm_model, gammagamma.PARAMS, np.random.default_rng(1), 5):
        expected = gammagamma.loglik(*(params[k][codes] for k in gammagamma.PARAMS), x, m).sum()
        assert float(fn(point)) == pytest.approx(expected, rel=1e-10)


def test_sampled_quantities_are_the_mean_rate_and_mean_dropout(small_rfm):
    pm_model = clv.bayes.HierarchicalBetaGeo(group="channel", centered_from=None).build_model(small_rfm)
    for point, params in _random_points(pm_model, bgnbd.PARAMS, np.random.default_rng(2), 3):
        u = {k: point["mu_" + link + "_" + k] + np.exp(point[f"sigma_{link}_{k}_log__"]) * point[f"z_{k}"]
             for k, link in clv.bayes.priors.BETA_GEO_LINKS.items()}
        np.testing.assert_allclose(params["r"], np.exp(u["r"]), rtol=1e-12)
        np.testing.assert_allclose(params["r"] / params["alpha"], np.exp(u["purchase_rate"]), rtol=1e-12)
        np.testing.assert_allclose(params["a"] / (params["a"] + params["b"]), special.expit(u["dropout"]), rtol=1e-12)
        np.testing.assert_allclose(params["a"] + params["b"], np.exp(u["concentration"]), rtol=1e-12)


def _per_group_columns(codes, *columns, weights, n_groups, factorise):
    out = []
    for g in range(n_groups):
        rows = codes == g
        cols = [Column.of(c[rows]) if factorise else c[rows] for c in columns]
        out.append((*cols, weights[rows]))
    return out


@pytest.mark.parametrize("kernel", ["bgnbd", "gammagamma"])
def test_op_value_and_gradient_match_the_formula(kernel):
    """Value: the PyTensor-backend formula over every row; gradient: central differences of the NumPy formula.

    (PyTensor's symbolic gradient of the ``switch``-guarded BG/NBD formula is
    NaN at zero-repeat rows, one reason the models use the kernel's analytic
    gradient instead.)
    """
    rng = np.random.default_rng(3)
    n, n_groups = 600, 3
    codes = rng.integers(0, n_groups, n)
    weights = rng.integers(1, 5, n).astype(float)
    x = np.concatenate([np.zeros(100), rng.integers(1, 40, n - 103), [800.0, 3000.0, 9000.0]])
    if kernel == "bgnbd":
        T = rng.uniform(1.0, 400.0, n)
        columns = (x, np.where(x > 0, T * rng.uniform(0, 1, n), 0.0), T)
        names, derivatives, formula = bgnbd.PARAMS, bgnbd.loglik_grad, bgnbd.loglik
        factorise = True
    else:
        columns = (np.maximum(x, 1.0), rng.uniform(1.0, 300.0, n))
        names, derivatives, formula = gammagamma.PARAMS, gammagamma.loglik_grad, gammagamma.loglik
        factorise = False
    op = GroupedLogLike(derivatives, _per_group_columns(codes, *columns, weights=weights, n_groups=n_groups, factorise=factorise))
    inputs = [pt.dvector(k) for k in names]
    total = op(*inputs)[0]
    fn = pytensor.function(inputs, [total, *pytensor.grad(total, inputs)])
    reference = pytensor.function(inputs, pt.dot(weights, formula(*(v[codes] for v in inputs), *columns, backend=pytensor_backend())))

    def numpy_total(theta):
        return float(weights @ formula(*(v[codes] for v in theta), *columns))

    for _ in range(4):
        theta = [np.exp(rng.normal(0.0, 1.0, n_groups)) for _ in names]
        value, *grads = fn(*theta)
        assert float(value) == pytest.approx(float(reference(*theta)), rel=1e-10)
        for i, grad in enumerate(grads):
            assert np.all(np.isfinite(grad))
            for g in range(n_groups):
                h = 1e-6 * theta[i][g]
                up = [t.copy() for t in theta]
                down = [t.copy() for t in theta]
                up[i][g] += h
                down[i][g] -= h
                assert grad[g] == pytest.approx((numpy_total(up) - numpy_total(down)) / (2 * h), rel=1e-5, abs=1e-4)


def test_op_refuses_second_derivatives():
    op = GroupedLogLike(gammagamma.loglik_grad, [(np.array([2.0]), np.array([10.0]), np.array([1.0]))])
    p = [pt.dvector(k) for k in gammagamma.PARAMS]
    first = pytensor.grad(op(*p)[0], p[0]).sum()
    with pytest.raises(NotImplementedError, match="first derivatives"):
        pytensor.grad(first, p[0])


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


def test_prepared_spend_data_gives_the_same_value_and_gradient():
    """The Bayesian model's Gamma-Gamma kernel on data prepared once equals the MLE's kernel on the raw columns."""
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.integers(1, 40, 500), [800.0, 9000.0]]).astype(float)
    m = rng.uniform(0.5, 300.0, len(x))
    weights = rng.integers(1, 4, len(x)).astype(float)
    data = gammagamma.SpendData.of(Column.of(x), m, weights)
    for params in ([5.0, 4.0, 30.0], [0.3, 1.2, 1e3], [50.0, 80.0, 0.5]):
        value, grad = gammagamma.prepared_loglik_grad(np.array(params), data)
        expected = float(weights @ gammagamma.loglik(*params, x, m))
        assert value == pytest.approx(expected, rel=1e-12)
        np.testing.assert_allclose(grad, weights @ gammagamma.row_derivatives(*params, x, m)[1], rtol=1e-10)


def test_partially_centred_group_values_follow_normal_mu_sigma():
    # group_parameters' partial centring (weights 0, 0.3, 1 at typical spread 0.2) changes the coordinates, not the model:
    # (f[g] - mu) / sigma is standard normal for every weight.
    import pymc as pm

    priors = {"k": {"loc": 0.5, "scale": 1.0, "spread": 0.25, "spread_sd": 0.75}}
    with pm.Model(coords={"group": ["a", "b", "c"]}):
        value = clv.bayes.priors.group_parameters(priors, {"k": "log"}, True, {"k": (np.array([0.0, 0.3, 1.0]), 0.2)})["k"]
        mu, sigma = pm.modelcontext(None)["mu_log_k"], pm.modelcontext(None)["sigma_log_k"]
        draws = pm.draw([mu, sigma, value], draws=20000, random_seed=3)
    standardised = (draws[2] - draws[0][:, None]) / draws[1][:, None]
    np.testing.assert_allclose(standardised.mean(axis=0), 0.0, atol=0.03)
    np.testing.assert_allclose(standardised.std(axis=0), 1.0, atol=0.03)
