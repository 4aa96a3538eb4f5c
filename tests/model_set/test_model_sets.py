"""The model set (clv.model_set): one bootstrap, one fallback policy, the pooled fallback, and every
budget/valuation/segment function accepting a single model, channel models or posterior channel models.

Simulated two-channel shop (clv.simulate, seed 3) as in the channel docstrings; numbers checked here
are identities between the per-channel path and the single-model path, not reference values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
from clv.model_set import (
    POOLED,
    MLEModelSet,
    PosteriorModelSet,
    fallback_reason,
    fit_groups,
    is_model_set,
    parameter_draws,
)

CHANNELS = {"email": {"share": 0.6}, "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
SETTINGS = dict(horizon=52, discount_rate=0.1, margin=0.3)


@pytest.fixture(scope="module")
def shop():
    sim = clv.simulate(1000, seed=3, start="2024-01-01", end="2025-01-01", channels=CHANNELS)
    rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    acq = clv.read_acquisitions(sim.acquisitions)
    models = clv.fit_channel_models(rfm, acq)
    channel = acq.set_index("customer_id")["channel"]
    return rfm, models, channel


class _Draws:
    """Stand-in posterior: fixed parameter draws per channel (the PosteriorDraws protocol)."""

    def __init__(self, table: pd.DataFrame, population: pd.DataFrame | None = None) -> None:
        self.table, self.population = table, population

    def group_param_draws(self, n_draws, *, seed):
        return self.table


class _DrawsWithPopulation(_Draws):
    def population_param_draws(self, n_draws, *, seed):
        return self.population


def _posterior(models: clv.ChannelModels, population: bool) -> PosteriorModelSet:
    """Two 'posterior draws' per channel: the MLE estimates scaled by 0.95 and 1.05."""
    def frame(kind: str, groups) -> pd.DataFrame:
        rows = []
        for d, f in enumerate((0.95, 1.05)):
            for g in groups:
                m = (models.transaction_models if kind == "t" else models.spend_models)[g]
                rows.append({"draw": d, "group": g, **{k: v * f for k, v in m.params_.items()}})
        return pd.DataFrame(rows)

    cls = _DrawsWithPopulation if population else _Draws
    tm = cls(frame("t", ["email", "search"]), frame("t", ["*"]))
    sm = cls(frame("s", ["email", "search"]), frame("s", ["*"]))
    return clv.PosteriorChannelModels(tm, sm)


def test_one_bootstrap_is_seeded_and_refuses_without_covariance(shop):
    _, models, _ = shop
    a = models.draws(5, seed=1)
    b = models.draws(5, seed=1)
    assert [d["email"][0].params_.tolist() for d in a] == [d["email"][0].params_.tolist() for d in b]
    bare = clv.BetaGeo.from_params(models.transaction_models["email"].params_.to_dict())
    with pytest.raises(clv.DataError, match="standard errors are not available"):
        parameter_draws(bare, 3, seed=1)


def test_fallback_policy_names_the_reason(shop):
    rfm, models, _ = shop
    bare = clv.BetaGeo.from_params(models.transaction_models["email"].params_.to_dict())
    assert fallback_reason(models.transaction_models["email"]) is None
    assert "no standard errors" in fallback_reason(bare)

    class Boundary:
        def __init__(self) -> None:
            self.boundary_ = {"kind": "homogeneous_spend", "reason": "q, v -> inf (no spend heterogeneity)"}

    assert fallback_reason(Boundary()) == "fit at a boundary: Boundary: homogeneous_spend"

    def fit(name):
        if name == "broken":
            raise clv.ConvergenceError("did not converge\nsecond line")
        if name == "edge":
            return models.transaction_models["email"], Boundary()
        return models.transaction_models["*"], models.spend_models["*"]

    sizes = {"small": 3, "broken": 500, "edge": 500, "fine": 500}
    got = fit_groups(list(sizes), sizes, fit, label="BetaGeo + GammaGamma", n_all=len(rfm))
    assert got.sources == {
        "*": "pooled MLE",
        "small": "pooled MLE (3 customers < 100)",
        "broken": "pooled MLE (channel fit failed: did not converge)",
        "edge": "pooled MLE (channel fit at a boundary: Boundary: homogeneous_spend)",
        "fine": "channel MLE",
    }
    assert got.names == ["*", "fine"]
    assert got.pair("edge", got.point())[0] is models.transaction_models["*"]


def test_customers_without_a_group_use_the_pooled_model(shop):
    _rfm, models, _channel = shop
    point = models.point()
    assert models.pair("no such channel", point) is point[POOLED]
    bare = MLEModelSet({"email": point["email"][0]}, {"email": point["email"][1]})
    with pytest.raises(clv.DataError, match="no pooled model"):
        bare.pair("search", bare.point())


def test_posterior_population_fallback_for_customers_without_a_group(shop):
    rfm, models, channel = shop
    without = _posterior(models, population=False)
    draws = without.draws(2, seed=0)
    with pytest.raises(clv.DataError, match="population_param_draws"):
        without.pair("(no acquisition record)", draws[0])
    with_pop = _posterior(models, population=True)
    draws = with_pop.draws(2, seed=0)
    assert with_pop.pair("(no acquisition record)", draws[0]) is draws[0][POOLED]
    orphans = channel.reindex(rfm.index).copy()
    orphans.iloc[:10] = np.nan  # ten customers without a channel are valued with the population level
    scores = with_pop.score(rfm, orphans.dropna(), n_draws=2, seed=0, **SETTINGS)
    assert np.isfinite(scores["clv"]).all()


@pytest.mark.parametrize("kind", ["mle", "posterior"])
def test_customer_value_accepts_channel_models(shop, kind):
    rfm, models, channel = shop
    models = models if kind == "mle" else _posterior(models, population=True)
    got = clv.customer_value(models, None, rfm, groups=channel, n_draws=2, seed=0, **SETTINGS)
    assert got.columns[0] == "channel"
    assert (got["channel"] == channel.reindex(rfm.index)).all()
    if kind == "mle":
        email = channel.reindex(rfm.index) == "email"
        one = clv.customer_value(models.transaction_models["email"], models.spend_models["email"], rfm[email], **SETTINGS)
        pd.testing.assert_series_equal(got.loc[email, "clv"], one["clv"])


@pytest.mark.parametrize("kind", ["mle", "posterior"])
def test_forecast_base_per_channel(shop, kind):
    rfm, models, channel = shop
    models = models if kind == "mle" else _posterior(models, population=True)
    kw = dict(periods=4, period_length=13, discount_rate=0.1, margin=0.3)
    got = clv.forecast_base(models, None, rfm, groups=channel, **({"interval": 0.9, "n_draws": 4, "seed": 1} if kind == "mle" else
                                                                   {"n_draws": 2, "seed": 0}), **kw)
    assert list(pd.unique(got["channel"])) == ["email", "search"]
    assert got.attrs["n_customers"] == len(rfm)
    if kind == "mle":
        email = (channel.reindex(rfm.index) == "email").to_numpy()
        one = clv.forecast_base(models.transaction_models["email"], models.spend_models["email"], rfm[email], **kw)
        np.testing.assert_allclose(got.loc[got["channel"] == "email", "expected_purchases"], one["expected_purchases"])
        assert {"expected_purchases_lower", "expected_purchases_upper"} <= set(got.columns)


@pytest.mark.parametrize("kind", ["mle", "posterior"])
def test_segments_and_watchlist_accept_channel_models(shop, kind):
    rfm, models, channel = shop
    mle = models
    models = models if kind == "mle" else _posterior(models, population=True)
    scores = clv.customer_value(mle.transaction_models["*"], mle.spend_models["*"], rfm, **SETTINGS)
    table = clv.customer_segments(scores, rfm, models, groups=channel, seed=0)
    assert table.columns[0] == "channel"
    watch = clv.churn_watchlist(table, top=5)
    assert list(watch.columns[:2]) == ["rank", "channel"]
    if kind == "mle":
        direct = clv.customer_segments(scores, rfm, mle.transaction_models, groups=channel)
        assert (table["stage"] == direct["stage"]).all()


@pytest.mark.parametrize("kind", ["mle", "posterior"])
def test_new_customer_value_and_max_cac_accept_channel_models(shop, kind):
    _, models, _ = shop
    models = models if kind == "mle" else _posterior(models, population=False)
    ltv = clv.new_customer_value(models, None, seed=0, n_draws=2, **SETTINGS)
    assert {"email", "search"} <= set(ltv.index)
    caps = clv.max_cac(models, None, discount_rate=0.1, payback=26, seed=0, n_draws=2)
    assert {"email", "search"} <= set(caps.index)


def test_model_set_detection(shop):
    _, models, _ = shop
    assert is_model_set(models) and is_model_set(_posterior(models, population=False))
    assert not is_model_set(models.transaction_models["email"])
