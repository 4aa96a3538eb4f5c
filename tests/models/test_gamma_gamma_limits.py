"""Gamma-Gamma at the edge of its parameter space: the limit models (issue 11, item 4).

When mean spends show no heterogeneity the likelihood of Fader & Hardie (2013),
eq. 3, rises towards ``q, v -> inf`` (or ``p -> inf``); the fit returns the limit
model there, with its own parameters, instead of an error.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import clv
from clv.kernels import gammagamma


def _iid_spend_rfm(seed: int = 4, n: int = 800) -> pd.DataFrame:
    """The issue's case: 800 simulated customers, every amount i.i.d. Gamma(6, scale 35/6)."""
    sim = clv.simulate(n, seed=seed, start="2024-01-01", end="2025-12-31")
    tx = sim.transactions.copy()
    tx["amount"] = np.random.default_rng(seed).gamma(6, 35 / 6, size=len(tx))
    return clv.rfm_summary(tx, observation_end="2025-12-31")


@pytest.fixture(scope="module")
def iid_rfm() -> pd.DataFrame:
    return _iid_spend_rfm()


def test_iid_spend_gives_the_homogeneous_limit(iid_rfm: pd.DataFrame) -> None:
    gg = clv.GammaGamma().fit(iid_rfm)
    assert gg.boundary_["kind"] == "homogeneous_spend"
    assert set(gg.boundary_["runaway"]) == {"q", "v"}
    # By hand: the limit's MLE of the common mean is the transaction-weighted mean of the repeat mean spends.
    rep = iid_rfm[(iid_rfm["frequency"] > 0) & (iid_rfm["monetary_value"] > 0)]
    by_hand = float((rep["frequency"] * rep["monetary_value"]).sum() / rep["frequency"].sum())
    assert gg.params_["mean_spend"] == pytest.approx(by_hand, rel=1e-8)
    spend = gg.expected_spend(iid_rfm)
    assert np.isfinite(spend).all() and np.allclose(spend, by_hand, rtol=1e-8)
    assert gg.population_mean_spend() == pytest.approx(by_hand, rel=1e-8)
    # p is near the true shape 6, and the limit is at least as likely as where the full optimiser stopped.
    assert 4 < gg.params_["p"] < 9
    assert gg.log_likelihood_ >= gg.boundary_["log_likelihood_interior"] - 1e-4 * abs(gg.log_likelihood_)


def test_limit_is_the_limit_of_the_full_likelihood() -> None:
    """Eq. 3 at large q (v = q p / mu) tends to the homogeneous density; at large p (v = kappa / p) to the inverse gamma."""
    rng = np.random.default_rng(1)
    x = rng.integers(1, 8, 50).astype(float)
    m = rng.gamma(5.0, 8.0, 50)
    p, mu = 3.0, 40.0
    for q in (1e4, 1e6):
        full = gammagamma.loglik(p, q, q * mu / p, x, m)
        assert np.allclose(full, gammagamma.loglik_homogeneous(p, mu, x, m), atol=100 / q)
    q, kappa = 4.0, 100.0
    for big_p in (1e4, 1e6):
        full = gammagamma.loglik(big_p, q, kappa / big_p, x, m)
        assert np.allclose(full, gammagamma.loglik_deterministic(q, kappa, x, m), atol=1e3 / big_p)


def test_limit_estimates_are_the_maximum() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(1, 8, 400).astype(float)
    m = rng.gamma(6.0 * x, 35 / 6 / x)
    w = np.ones_like(x)
    p, mu = gammagamma.fit_homogeneous(x, m, w)
    best = gammagamma.loglik_homogeneous(p, mu, x, m).sum()
    for dp, dmu in [(1.01, 1), (0.99, 1), (1, 1.001), (1, 0.999)]:
        assert gammagamma.loglik_homogeneous(p * dp, mu * dmu, x, m).sum() < best
    q, kappa = gammagamma.fit_deterministic(m, w)
    best = gammagamma.loglik_deterministic(q, kappa, x, m).sum()
    for dq, dk in [(1.01, 1), (0.99, 1), (1, 1.001), (1, 0.999)]:
        assert gammagamma.loglik_deterministic(q * dq, kappa * dk, x, m).sum() < best


def test_one_price_gives_a_constant_spend() -> None:
    rfm = pd.DataFrame({"frequency": [1, 2, 5, 0], "monetary_value": [25.0, 25.0, 25.0, 0.0]})
    gg = clv.GammaGamma().fit(rfm)
    assert gg.boundary_["kind"] == "constant_spend"
    assert gg.expected_spend(rfm).tolist() == [25.0] * 4
    assert gg.population_mean_spend() == 25.0


def test_per_customer_constant_spend_gives_the_deterministic_limit() -> None:
    """Each customer always pays their own price (one-price shop with same-day baskets): p -> inf."""
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, 600)
    price = rng.choice([25.0, 50.0, 75.0, 37.5], size=600, p=[0.7, 0.15, 0.1, 0.05])
    rfm = pd.DataFrame({"frequency": x, "monetary_value": price})
    gg = clv.GammaGamma().fit(rfm)
    assert gg.boundary_["kind"] == "deterministic_spend"
    assert np.allclose(gg.expected_spend(rfm), price)
    q, kappa = gg.params_
    assert gg.population_mean_spend() == pytest.approx(kappa / (q - 1))


def test_boundary_is_saved_and_loaded(iid_rfm: pd.DataFrame, tmp_path) -> None:
    gg = clv.GammaGamma().fit(iid_rfm)
    path = gg.save(tmp_path / "gg.json")
    assert json.loads(path.read_text())["result"]["extra"]["boundary"]["kind"] == "homogeneous_spend"
    back = clv.load_model(path)
    assert back.boundary_ == gg.boundary_
    pd.testing.assert_series_equal(back.expected_spend(iid_rfm), gg.expected_spend(iid_rfm))
    draw = gg.with_params(gg.result_.sample_params(3, seed=1).to_numpy()[0])
    assert draw.boundary_["kind"] == "homogeneous_spend" and np.isfinite(draw.expected_spend(iid_rfm)).all()


def test_interior_fit_has_no_boundary() -> None:
    rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    gg = clv.GammaGamma().fit(rfm)
    assert gg.boundary_ is None
    assert gg.params_.round(3).to_dict() == {"p": 6.25, "q": 3.744, "v": 15.444}  # Fader & Hardie (2013)
