"""customer_value: discounting arithmetic and intervals."""

import numpy as np
import pytest

import clv
from clv.valuation import discount_factors, period_edges


@pytest.fixture(scope="module")
def fitted():
    rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    return rfm, clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)


def test_zero_discount_equals_margin_times_revenue(fitted):
    rfm, bg, gg = fitted
    s = clv.customer_value(bg, gg, rfm, horizon=52, discount_rate=0.0, margin=0.3)
    np.testing.assert_allclose(s["clv"], 0.3 * s["expected_revenue"], rtol=1e-12)
    np.testing.assert_allclose(s["expected_purchases"], bg.expected_purchases(rfm, 52), rtol=1e-12)
    np.testing.assert_allclose(s["churn_probability"], 1 - s["p_alive"])


def test_discounting_lowers_value_and_is_monotone_in_rate(fitted):
    rfm, bg, gg = fitted
    v = [clv.customer_value(bg, gg, rfm, horizon=104, discount_rate=d)["clv"].sum() for d in (0.0, 0.05, 0.2)]
    assert v[0] > v[1] > v[2] > 0


def test_period_edges_and_factors():
    np.testing.assert_allclose(period_edges(10, 4), [4, 8, 10])
    np.testing.assert_allclose(discount_factors(np.array([365.25 / 7]), 0.1, "W"), [1 / 1.1])
    with pytest.raises(clv.DataError):
        period_edges(-1, 1)


def test_interval_needs_seed_and_brackets_point(fitted):
    rfm, bg, gg = fitted
    head = rfm.head(50)
    with pytest.raises(clv.DataError, match="seed"):
        clv.customer_value(bg, gg, head, horizon=52, discount_rate=0.1, interval=0.9)
    s = clv.customer_value(bg, gg, head, horizon=52, discount_rate=0.1, interval=0.9, n_draws=100, seed=3)
    assert (s["clv_lower"] <= s["clv"] * 1.0001).all() and (s["clv"] <= s["clv_upper"] * 1.0001).all()
    again = clv.customer_value(bg, gg, head, horizon=52, discount_rate=0.1, interval=0.9, n_draws=100, seed=3)
    assert s.equals(again)


@pytest.mark.parametrize("cls", [clv.BetaGeo, clv.ModifiedBetaGeo, clv.ParetoNBD])
def test_every_transaction_model_plugs_in(fitted, cls):
    rfm, _, gg = fitted
    s = clv.customer_value(cls().fit(rfm), gg, rfm, horizon=52, discount_rate=0.1)
    assert np.isfinite(s.to_numpy()).all() and (s["clv"] >= 0).all()
