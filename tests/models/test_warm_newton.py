"""Large fits take Newton steps with the subsample's Hessian held fixed (LikelihoodOptimiser._chord).

They must land where the cold path (L-BFGS-B from the default start, then the
Newton polish) lands: same estimates, same standard errors to rounding of the
numerical Hessian. Data: the simulator of benchmarks/bench_covariates.py
(Pareto/NBD customers on a daily grid, two 0/1 covariates), large enough for the
warm start (more than 80,000 distinct tuples).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv


def simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = np.column_stack([rng.random(n) < 0.4, rng.random(n) < 0.5]).astype(float)
    T_days = rng.integers(7, 7 * 78, size=n)
    T = T_days / 7.0
    lam = rng.gamma(0.55, 1.0 / (10.5 * np.exp(-z @ np.array([0.5, -0.2]))))
    mu = rng.gamma(0.6, 1.0 / (11.7 * np.exp(-z @ np.array([0.3, -0.3]))))
    active = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * active)
    last = active * rng.random(n) ** (1.0 / np.maximum(x, 1))
    t_x = np.where(x > 0, np.minimum(np.ceil(last * 7.0), T_days) / 7.0, 0.0)
    return pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": T, "z1": z[:, 0], "z2": z[:, 1]})


@pytest.fixture(scope="module")
def rfm() -> pd.DataFrame:
    return simulate(400_000, seed=5)


def cold(model: clv.BetaGeo | clv.ParetoNBD, rfm: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> clv.FitResult:
    with monkeypatch.context() as patch:
        patch.setattr(type(model), "_warm_start", lambda self, data: None)
        return model.fit(rfm).result_


@pytest.mark.slow
@pytest.mark.parametrize("make", [
    lambda: clv.ParetoNBD(),
    lambda: clv.BetaGeo(purchase_covariates=["z1", "z2"], dropout_covariates=["z1", "z2"]),
], ids=["pareto", "bgnbd-covariates"])
def test_warm_newton_with_a_fixed_hessian_lands_on_the_cold_optimum(make, rfm: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    warm = make().fit(rfm).result_
    assert warm.n_unique > 80_000  # the warm start applies
    reference = cold(make(), rfm, monkeypatch)
    np.testing.assert_allclose(warm.estimates, reference.estimates, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(warm.cov_log)), np.sqrt(np.diag(reference.cov_log)), rtol=1e-3)
    assert warm.log_likelihood == pytest.approx(reference.log_likelihood, rel=1e-12)
