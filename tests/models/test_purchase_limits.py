"""BG/NBD and MBG/NBD at the edge: the homogeneous-purchase-rate limit (issue 11, item 4).

When every customer buys at one Poisson rate, the likelihood of Fader, Hardie &
Lee (2005), eq. 6, rises towards ``r, alpha -> inf`` with ``r / alpha`` fixed.
"""

from __future__ import annotations

import numpy as np
import pytest

import clv
from clv.kernels import betageo_limits as limits
from clv.kernels import bgnbd, mbgnbd

LIMITS = [("point", "beta"), ("gamma", "point"), ("point", "point"), ("gamma", "none"), ("point", "none")]


def _full_and_limit(rate: str, dropout: str, big: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Full parameters far out along a limit's direction, and the limit's own parameters."""
    lam, alpha, a, b, odds = 0.3, 4.0, 0.8, 2.5, 0.25
    r_alpha = (big * lam, big) if rate == "point" else (alpha * lam, alpha)
    a_b = {"point": (big * odds, big), "beta": (a, b), "none": (a, big**2)}[dropout]  # no dropout: b must outgrow e^(lam T)
    limit = ((lam,) if rate == "point" else r_alpha) + {"point": (odds,), "beta": a_b, "none": ()}[dropout]
    return r_alpha + a_b, limit


@pytest.mark.parametrize(("kernel", "k"), [(bgnbd, 0), (mbgnbd, 1)])
@pytest.mark.parametrize(("rate", "dropout"), LIMITS)
def test_each_limit_is_the_limit_of_the_full_model(kernel, k, rate, dropout) -> None:
    x = np.array([0.0, 1, 5, 20])
    t_x = np.array([0.0, 10, 30, 50])
    T = np.full(4, 52.0)
    opts = {"rate": rate, "k": k}
    errors = []
    for big in (1e3, 1e6):
        full, lim = _full_and_limit(rate, dropout, big)
        errors.append([
            np.abs(kernel.loglik(*full, x, t_x, T) - limits.loglik(lim, x, t_x, T, **opts)).max(),
            np.abs(kernel.expected_purchases_if_alive(26, *full, x, T) - limits.expected_if_alive(26, lim, x, T, **opts)).max(),
            np.abs(kernel.probability_alive(*full, x, t_x, T) - limits.probability_alive(lim, x, t_x, T, **opts)).max(),
            np.abs(kernel.purchase_rate(*full, x, t_x, T) - limits.purchase_rate(lim, x, t_x, T, **opts)).max(),
            np.abs(kernel.probability_of_purchases(np.arange(4), 26, *full)
                   - limits.probability_of_purchases(np.arange(4), 26, lim, **opts)).max(),
        ])
    # Differences shrink like 1/big: a thousandfold further out, a (roughly) thousandfold smaller gap.
    # With no dropout b reaches 1e12, where the full kernel's log-gamma differences round at about 3e-3.
    floor = 1e-2 if dropout == "none" else 1e-9
    assert np.all(np.array(errors[1]) < np.maximum(np.array(errors[0]) / 300, floor))
    assert np.all(np.array(errors[1]) < max(floor, 1e-3))


def test_if_alive_expectation_matches_simulation() -> None:
    """``E[(1 - exp(-lam p t)) / p]`` over p ~ Beta(a, b + x) (the quadrature) against Monte Carlo."""
    rng = np.random.default_rng(0)
    lam, a, b, x, t = 0.4, 1.3, 3.0, 4.0, 39.0
    p = rng.beta(a, b + x, size=400_000)
    mc = np.mean(-np.expm1(-lam * p * t) / p)
    got = float(limits.expected_if_alive(t, (lam, a, b), x, 10.0, rate="point", k=0))
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


def test_homogeneous_dropout_gives_the_dropout_limit() -> None:
    """Every customer drops out after a purchase with probability 0.2 (a, b -> inf): the fit recovers odds 0.25."""
    sim = clv.simulate(1500, seed=6, start="2024-01-01", end="2025-12-31", params={"r": 0.5, "alpha": 5.0, "a": 2e4, "b": 8e4})
    rfm = clv.rfm_summary(sim.transactions, observation_end="2025-12-31")
    model = clv.BetaGeo().fit(rfm)
    assert model.boundary_["kind"] == "homogeneous_dropout"
    assert model.params_["dropout_odds"] == pytest.approx(0.25, rel=0.15)
    assert model.params_["r"] == pytest.approx(0.5, rel=0.15)
    assert np.isfinite(model.expected_purchases(rfm, 52)).all()
