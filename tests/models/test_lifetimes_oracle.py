"""Agreement with the lifetimes package (test oracle only) for BG/NBD, Gamma-Gamma and CLV.

lifetimes 0.11.3 is unmaintained but faithful to the published formulas; every
prediction method is compared on randomized RFM data.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import clv

lifetimes = pytest.importorskip("lifetimes")

PARAMS = {"r": 0.2425945, "alpha": 4.4136019, "a": 0.7929199, "b": 2.4258881}
SPEND = {"p": 6.24958, "q": 3.74422, "v": 15.44351}


def random_rfm(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = rng.uniform(1, 150, n)
    x = rng.poisson(rng.gamma(0.5, 6, n)).astype(float)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    m = np.where(x > 0, rng.gamma(4, 10, n), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "monetary_value": m})


@pytest.fixture(scope="module")
def oracle():
    bgf = lifetimes.BetaGeoFitter()
    bgf.params_ = pd.Series(PARAMS)
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # lifetimes patches this on in fit()
    ggf = lifetimes.GammaGammaFitter()
    ggf.params_ = pd.Series(SPEND)
    return bgf, ggf


@pytest.fixture(scope="module")
def ours():
    return clv.BetaGeo.from_params(PARAMS), clv.GammaGamma.from_params(SPEND)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_probability_alive(oracle, ours, seed):
    rfm = random_rfm(seed)
    expected = oracle[0].conditional_probability_alive(rfm["frequency"], rfm["recency"], rfm["T"])
    np.testing.assert_allclose(ours[0].probability_alive(rfm), expected, rtol=1e-9)


@pytest.mark.parametrize(("seed", "t"), [(1, 1.0), (2, 39.0), (3, 104.0)])
def test_conditional_expected_purchases(oracle, ours, seed, t):
    rfm = random_rfm(seed)
    expected = oracle[0].conditional_expected_number_of_purchases_up_to_time(t, rfm["frequency"], rfm["recency"], rfm["T"])
    np.testing.assert_allclose(ours[0].expected_purchases(rfm, t), expected, rtol=1e-7)


def test_unconditional_expected_purchases(oracle, ours):
    t = np.array([0.5, 1, 10, 52, 200])
    expected = [oracle[0].expected_number_of_purchases_up_to_time(v) for v in t]
    np.testing.assert_allclose(ours[0].expected_purchases_new(t), expected, rtol=1e-8)


@pytest.mark.parametrize(("n", "t"), [(0, 5.0), (1, 39.0), (3, 39.0), (7, 100.0)])
def test_probability_of_purchases(oracle, ours, n, t):
    assert ours[0].probability_of_purchases(n, t) == pytest.approx(oracle[0].probability_of_n_purchases_up_to_time(t, n), rel=1e-8)


def test_expected_spend(oracle, ours):
    rfm = random_rfm(4)
    rep = rfm[rfm["frequency"] > 0]
    expected = oracle[1].conditional_expected_average_profit(rep["frequency"], rep["monetary_value"])
    np.testing.assert_allclose(ours[1].expected_spend(rep), expected, rtol=1e-10)


def test_fit_matches_lifetimes_on_cdnow():
    rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bgf = lifetimes.BetaGeoFitter().fit(rfm["frequency"], rfm["recency"], rfm["T"])
        rep = rfm[rfm["frequency"] > 0]
        ggf = lifetimes.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    np.testing.assert_allclose(clv.BetaGeo().fit(rfm).params_[list(PARAMS)], bgf.params_[list(PARAMS)], rtol=1e-4)
    np.testing.assert_allclose(clv.GammaGamma().fit(rfm).params_[list(SPEND)], ggf.params_[list(SPEND)], rtol=1e-3)


def test_customer_value_matches_lifetimes_clv(oracle, ours):
    """lifetimes discounts monthly (a month = 4.345 weeks) at a monthly rate; configured the same way we agree."""
    rfm = random_rfm(5)
    annual = 0.12
    monthly = (1 + annual) ** (1 / 12) - 1
    expected = oracle[1].customer_lifetime_value(
        oracle[0], rfm["frequency"], rfm["recency"], rfm["T"], rfm["monetary_value"], time=12, discount_rate=monthly, freq="W"
    )
    # Same periods as lifetimes: 12 periods of 4.345 weeks, discounted at the end of each period.
    # Our annual-rate discount of a period ending at t weeks is (1+annual)^(t*7/365.25); lifetimes uses
    # (1+monthly)^(k); these agree when a year is 12 * 4.345 weeks, so compare within 1%.
    scores = clv.customer_value(ours[0], ours[1], rfm, horizon=12 * 4.345, discount_rate=annual, period=4.345)
    np.testing.assert_allclose(scores["clv"], expected, rtol=1e-2)
    # With weekly discounting (our default) the difference from monthly stays under 1% too.
    weekly = clv.customer_value(ours[0], ours[1], rfm, horizon=12 * 4.345, discount_rate=annual)
    np.testing.assert_allclose(weekly["clv"], expected, rtol=1e-2)


def test_rfm_summary_matches_lifetimes():
    from lifetimes.utils import summary_data_from_transaction_data

    tx = clv.datasets.load_cdnow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = summary_data_from_transaction_data(
            tx, "customer_id", "date", monetary_value_col="amount", observation_period_end="1997-09-30", freq="D"
        )
    ours = clv.rfm_summary(tx, observation_end="1997-09-30", time_unit="D")
    ours = ours[ours.index.isin(expected.index)]
    np.testing.assert_allclose(ours["frequency"], expected["frequency"])
    np.testing.assert_allclose(ours["recency"], expected["recency"])
    np.testing.assert_allclose(ours["T"], expected["T"])
    np.testing.assert_allclose(ours["monetary_value"], expected["monetary_value"], rtol=1e-9)
