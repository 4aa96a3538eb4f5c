"""BG/NBD and MBG/NBD at the edge: the homogeneous-purchase-rate limit (issue 11, item 4).

When every customer buys at one Poisson rate, the likelihood of Fader, Hardie &
Lee (2005), eq. 6, rises towards ``r, alpha -> inf`` with ``r / alpha`` fixed.
"""

from __future__ import annotations

import numpy as np
import pytest

import clv
from clv.kernels import betageo_family as family
from clv.kernels import bgnbd, mbgnbd


@pytest.mark.parametrize(("kernel", "k"), [(bgnbd, 0), (mbgnbd, 1)])
def test_rate_limit_is_the_limit_of_the_full_model(kernel, k) -> None:
    lam, a, b = 0.3, 0.8, 2.5
    x = np.array([0.0, 1, 5, 20])
    t_x = np.array([0.0, 10, 30, 50])
    T = np.full(4, 52.0)
    errors = []
    for big in (1e3, 1e6):
        r, alpha = big * lam, big
        errors.append([
            np.abs(kernel.loglik(r, alpha, a, b, x, t_x, T) - family.rate_limit_loglik(lam, a, b, x, t_x, T, k=k)).max(),
            np.abs(kernel.expected_purchases_if_alive(26, r, alpha, a, b, x, T)
                   - family.rate_limit_expected_if_alive(26, lam, a, b, x, T, k=k)).max(),
            np.abs(kernel.probability_alive(r, alpha, a, b, x, t_x, T)
                   - family.rate_limit_probability_alive(lam, a, b, x, t_x, T, k=k)).max(),
            np.abs(kernel.probability_of_purchases(np.arange(4), 26, r, alpha, a, b)
                   - family.rate_limit_probability_of_purchases(np.arange(4), 26, lam, a, b, k=k)).max(),
        ])
    # Differences shrink like 1/alpha: a thousandfold larger alpha, a (roughly) thousandfold smaller gap.
    assert np.all(np.array(errors[1]) < np.array(errors[0]) / 300)
    assert np.all(np.array(errors[1]) < 1e-3)


def test_if_alive_expectation_matches_simulation() -> None:
    """``E[(1 - exp(-lam p t)) / p]`` over p ~ Beta(a, b + x) (the quadrature) against Monte Carlo."""
    rng = np.random.default_rng(0)
    lam, a, b, x, t = 0.4, 1.3, 3.0, 4.0, 39.0
    p = rng.beta(a, b + x, size=400_000)
    mc = np.mean(-np.expm1(-lam * p * t) / p)
    got = float(family.rate_limit_expected_if_alive(t, lam, a, b, x, 10.0, k=0))
    assert got == pytest.approx(mc, rel=5e-3)


def test_poisson_purchasing_gives_the_rate_limit() -> None:
    sim = clv.simulate(1500, seed=5, start="2024-01-01", end="2025-12-31",
                       params={"r": 1e5, "alpha": 1e5 / 0.3, "a": 0.8, "b": 2.5})
    rfm = clv.rfm_summary(sim.transactions, observation_end="2025-12-31")
    model = clv.ModifiedBetaGeo().fit(rfm)
    assert model.boundary_["kind"] == "homogeneous_purchase_rate"
    assert model.params_["lam"] == pytest.approx(0.3 * 7 / 7, rel=0.05)  # simulate's rate is per week, like the RFM frame
    for values in (model.expected_purchases(rfm, 26), model.probability_alive(rfm), model.purchase_rate(rfm)):
        assert np.isfinite(values).all()
    assert np.all(np.diff(model.expected_purchases_new([13, 26, 52])) > 0)
    scores = clv.customer_value(model, clv.GammaGamma().fit(rfm), rfm, horizon=52, discount_rate=0.1, margin=0.3)
    assert np.isfinite(scores["clv"]).all()
