"""The posterior-draws path of the budgeting API, fed by a stand-in for a grouped Bayesian model.

The stand-in implements the documented protocol (``group_param_draws(n_draws,
seed=)``, long format: ``draw, group`` and one column per parameter; a
``group`` attribute naming the RFM column) by drawing each group's
parameters from its MLE's asymptotic normal, so posterior means should land
on the per-group MLE figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv


class StandIn:
    def __init__(self, fits: dict[str, object], group: str | None = "channel") -> None:
        self.fits = fits
        self.group = group

    def group_param_draws(self, n_draws: int, *, seed: int) -> pd.DataFrame:
        frames = []
        for i, (name, model) in enumerate(sorted(self.fits.items())):
            draws = model.result_.sample_params(n_draws, seed=seed + i)
            frames.append(draws.assign(draw=np.arange(n_draws), group=name))
        return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def shop():
    sim = clv.simulate(4000, seed=21, start="2024-01-01", end="2025-06-30", channels={
        "good": {"share": 0.5, "params": {"r": 0.8, "alpha": 8.0, "a": 0.6, "b": 4.0}},
        "poor": {"share": 0.5, "params": {"r": 0.3, "alpha": 10.0, "a": 1.2, "b": 1.8}},
    })
    rfm = clv.rfm_summary(sim.transactions, observation_end="2025-06-30")
    rfm["channel"] = sim.customers["channel"].reindex(rfm.index).to_numpy()
    tms = {c: clv.BetaGeo().fit(rfm[rfm["channel"] == c]) for c in ("good", "poor")}
    sms = {c: clv.GammaGamma().fit(rfm[rfm["channel"] == c]) for c in ("good", "poor")}
    return rfm, tms, sms


def test_forecast_base_from_posterior_draws(shop):
    rfm, tms, sms = shop
    kw = dict(periods=4, period_length=13, discount_rate=0.1, margin=0.3)
    bayes = clv.forecast_base(StandIn(tms), StandIn(sms), rfm, n_draws=60, seed=4, **kw)
    assert bayes.attrs["point"] == "posterior mean" and bayes.attrs["interval"] == 0.9
    assert ((bayes["discounted_margin_lower"] < bayes["discounted_margin"])
            & (bayes["discounted_margin"] < bayes["discounted_margin_upper"])).all()
    # the posterior mean of a grouped forecast is close to the sum of the per-group MLE forecasts
    mle = sum(clv.forecast_base(tms[c], sms[c], rfm[rfm["channel"] == c], **kw)[["expected_purchases", "discounted_margin"]]
              for c in ("good", "poor"))
    np.testing.assert_allclose(bayes[["expected_purchases", "discounted_margin"]], mle, rtol=0.03)
    again = clv.forecast_base(StandIn(tms), StandIn(sms), rfm, n_draws=60, seed=4, **kw)
    pd.testing.assert_frame_equal(bayes, again)


def test_forecast_base_posterior_tracking_basis(shop):
    rfm, tms, sms = shop
    kw = dict(periods=6, period_length=4, discount_rate=0.0, basis="unconditional")
    bayes = clv.forecast_base(StandIn(tms), StandIn(sms), rfm, n_draws=40, seed=1, **kw)
    mle = sum(clv.forecast_base(tms[c], sms[c], rfm[rfm["channel"] == c], **kw)["cumulative_repeat_purchases"]
              for c in ("good", "poor"))
    np.testing.assert_allclose(bayes["cumulative_repeat_purchases"], mle, rtol=0.03)


def test_single_group_posterior_needs_no_group_column(shop):
    rfm = shop[0]
    pooled_t, pooled_s = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    bayes = clv.forecast_base(StandIn({"all": pooled_t}, group=None), StandIn({"all": pooled_s}, group=None),
                              rfm.drop(columns="channel"), periods=2, period_length=13, discount_rate=0.1, n_draws=30, seed=2)
    mle = clv.forecast_base(pooled_t, pooled_s, rfm, periods=2, period_length=13, discount_rate=0.1)
    np.testing.assert_allclose(bayes["expected_revenue"], mle["expected_revenue"], rtol=0.03)


def test_posterior_forecast_errors(shop):
    rfm, tms, sms = shop
    kw = dict(periods=2, period_length=13, discount_rate=0.1)
    with pytest.raises(clv.DataError, match="column 'channel': missing from the RFM frame"):
        clv.forecast_base(StandIn(tms), StandIn(sms), rfm.drop(columns="channel"), seed=1, **kw)
    with pytest.raises(clv.DataError, match="needs an explicit seed"):
        clv.forecast_base(StandIn(tms), StandIn(sms), rfm, **kw)
    with pytest.raises(clv.DataError, match="needs a Bayesian spend model"):
        clv.forecast_base(StandIn(tms), sms["good"], rfm, seed=1, **kw)
    other = rfm.assign(channel=np.where(rfm["channel"] == "good", "good", "tv"))
    with pytest.raises(clv.DataError, match="no parameters for group 'tv'"):
        clv.forecast_base(StandIn(tms), StandIn(sms), other, seed=1, **kw)


def test_new_customer_value_and_max_cac_from_posterior_draws(shop):
    _, tms, sms = shop
    kw = dict(horizon=52, discount_rate=0.1, margin=0.3)
    bayes = clv.new_customer_value(StandIn(tms), StandIn(sms), n_draws=80, seed=3, **kw)
    mle = clv.new_customer_value(tms, sms, **kw)
    assert list(bayes.index) == ["good", "poor"]
    np.testing.assert_allclose(bayes["ltv"], mle.loc[["good", "poor"], "ltv"], rtol=0.03)
    np.testing.assert_allclose(bayes["mean_spend"], mle.loc[["good", "poor"], "mean_spend"], rtol=0.03)
    assert ((bayes["ltv_lower"] < bayes["ltv"]) & (bayes["ltv"] < bayes["ltv_upper"])).all()
    assert bayes.attrs["point"] == "posterior mean"
    only = clv.new_customer_value(StandIn(tms), StandIn(sms), group="poor", n_draws=80, seed=3, **kw)
    assert only.loc["poor", "ltv"] == pytest.approx(bayes.loc["poor", "ltv"])

    caps = clv.max_cac(StandIn(tms), StandIn(sms), discount_rate=0.1, margin=0.3, target_ratio=2, horizon=104,
                       payback=26, n_draws=80, seed=3)
    assert caps.loc["good", "max_cac"] > caps.loc["poor", "max_cac"]
    assert ((caps["max_cac_lower"] <= caps["max_cac"]) & (caps["max_cac"] <= caps["max_cac_upper"])).all()
