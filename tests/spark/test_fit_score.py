"""Fitting from Spark-aggregated sufficient statistics and scoring with mapInPandas equal the pandas path.

Reference numbers: CDNOW MLE in weeks, calibration end 1997-09-30 (Fader, Hardie & Lee 2005 for
BG/NBD; Fader & Hardie 2013 for Gamma-Gamma; Fader, Hardie & Lee 2005 "Counting your customers
the easy way" note for Pareto/NBD), as quoted in the team brief.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import clv
import clv.spark

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

TOL = {"rtol": 1e-9, "atol": 1e-9}
PUBLISHED = {
    "BetaGeo": {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259},
    "ParetoNBD": {"r": 0.5533, "alpha": 10.578, "s": 0.6062, "beta": 11.669},
    "GammaGamma": {"p": 6.2496, "q": 3.7442, "v": 15.4435},
}


@pytest.fixture(scope="module")
def cdnow_pair(spark):
    tx = clv.datasets.load_cdnow()
    rfm = clv.rfm_summary(tx, observation_end="1997-09-30")
    srfm = clv.spark.rfm_summary(spark.createDataFrame(tx), observation_end="1997-09-30")
    return rfm, srfm


@pytest.fixture(scope="module")
def sim_pair(spark):
    channels = {
        "search": {"share": 0.5},
        "social": {"share": 0.3, "params": {"r": 0.5, "alpha": 6.0}},
        "email": {"share": 0.2, "params": {"a": 0.4, "b": 3.0}, "spend_params": {"v": 25.0}},
    }
    sim = clv.simulate(6000, seed=21, start="2023-01-01", end="2024-12-31", channels=channels)
    rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    srfm = clv.spark.rfm_summary(spark.createDataFrame(sim.transactions), observation_end="2024-12-31")
    return sim, rfm, srfm


def assert_params(got, expected) -> None:
    assert list(got.params_.index) == list(expected.params_.index)
    np.testing.assert_allclose(got.params_.to_numpy(), expected.params_.to_numpy(), **TOL)
    np.testing.assert_allclose(got.log_likelihood_, expected.log_likelihood_, rtol=1e-12)
    assert got.n_obs_ == expected.n_obs_


@pytest.mark.parametrize("model", [clv.BetaGeo, clv.ParetoNBD, clv.ModifiedBetaGeo, clv.GammaGamma])
def test_cdnow_fit_equals_pandas_and_published(cdnow_pair, model):
    rfm, srfm = cdnow_pair
    expected = model().fit(rfm)
    got = clv.spark.fit(model(), srfm)
    assert_params(got, expected)
    for name, value in PUBLISHED.get(model.__name__, {}).items():
        assert got.params_[name] == pytest.approx(value, rel=2e-3)
    if model is clv.GammaGamma:
        assert got.exclusions_ == expected.exclusions_
        assert got.result_.extra["exclusions"] == expected.exclusions_


def test_sufficient_statistics_are_small_and_count_everyone(cdnow_pair):
    rfm, srfm = cdnow_pair
    agg = clv.spark.sufficient_statistics(srfm)
    assert list(agg.columns) == ["frequency", "recency", "T", "count"]
    assert agg["count"].sum() == len(rfm) and len(agg) < len(rfm)
    assert not agg.duplicated(["frequency", "recency", "T"]).any()
    spend = clv.spark.sufficient_statistics(srfm.df, kind="spend")
    assert list(spend.columns) == ["frequency", "monetary_value", "count"] and spend["count"].sum() == len(rfm)
    assert not spend.duplicated(["frequency", "monetary_value"]).any()  # distinct pairs, as the pandas fit compresses them
    with pytest.raises(clv.DataError, match="kind must be"):
        clv.spark.sufficient_statistics(srfm, kind="both")


def test_cdnow_scores_equal_customer_value(cdnow_pair):
    rfm, srfm = cdnow_pair
    bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    settings = {"horizon": 52, "discount_rate": 0.1, "margin": 0.3, "period": 4.0}
    expected = clv.customer_value(bg, gg, rfm, time_unit="W", **settings)
    scores = clv.spark.score(srfm, bg, gg, **settings)
    got = scores.toPandas().set_index("customer_id").sort_index()
    assert scores.columns == ["customer_id", *expected.columns]
    assert got.index.equals(expected.index)
    for col in expected.columns:
        np.testing.assert_allclose(got[col].to_numpy(), expected[col].to_numpy(), **TOL, err_msg=col)


def test_simulated_fit_and_score_with_interval(sim_pair):
    _, rfm, srfm = sim_pair
    np.testing.assert_allclose(srfm.to_pandas().to_numpy(), rfm.to_numpy(), **TOL)
    pareto = clv.spark.fit(clv.ParetoNBD(), srfm)
    gg = clv.spark.fit(clv.GammaGamma(), srfm)
    assert_params(pareto, clv.ParetoNBD().fit(rfm))
    assert_params(gg, clv.GammaGamma().fit(rfm))
    settings = {"horizon": 26, "discount_rate": 0.08, "margin": 0.25, "interval": 0.8, "n_draws": 30, "seed": 4}
    expected = clv.customer_value(pareto, gg, rfm, **settings)
    got = clv.spark.score(srfm.df, pareto, gg, time_unit="W", **settings).toPandas().set_index("customer_id").sort_index()
    assert list(got.columns) == list(expected.columns) and "clv_upper" in got.columns
    for col in expected.columns:
        np.testing.assert_allclose(got[col].to_numpy(), expected[col].to_numpy(), **TOL, err_msg=col)


def test_fit_by_group_equals_per_group_pandas_fits(spark, sim_pair):
    sim, rfm, srfm = sim_pair
    channel = spark.createDataFrame(sim.acquisitions[["customer_id", "channel"]])
    with_channel = srfm.df.join(channel, "customer_id")
    fitted = clv.spark.fit(clv.BetaGeo(penalizer=0.0), with_channel, group="channel")
    assert sorted(fitted) == ["email", "search", "social"]
    joined = rfm.join(sim.customers["channel"])
    for name, model in fitted.items():
        assert_params(model, clv.BetaGeo().fit(joined[joined["channel"] == name]))
    spend = clv.spark.fit(clv.GammaGamma(), with_channel, group="channel")
    part = joined[joined["channel"] == "email"]
    assert spend["email"].exclusions_ == clv.GammaGamma().fit(part).exclusions_
    scores = clv.spark.score(with_channel, fitted["social"], spend["social"], horizon=10, discount_rate=0.1,
                             keep=("channel",))
    assert scores.columns[-1] == "channel"
    assert scores.filter("channel IS NULL").count() == 0


def test_group_with_missing_values_is_an_error(spark, sim_pair):
    _, _, srfm = sim_pair
    frame = srfm.df.withColumn("channel", srfm.df["customer_id"].cast("string"))
    frame = frame.withColumn("channel", __import__("pyspark.sql.functions", fromlist=["when"]).when(
        frame["customer_id"] == 1, None).otherwise(frame["channel"]))
    with pytest.raises(clv.DataError, match="column 'channel': empty group value"):
        clv.spark.sufficient_statistics(frame, group="channel")


def test_score_checks_settings_on_the_driver(cdnow_pair):
    rfm, srfm = cdnow_pair
    bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    with pytest.raises(clv.DataError, match="margin"):
        clv.spark.score(srfm, bg, gg, horizon=52, discount_rate=0.1, margin=3)
    with pytest.raises(clv.DataError, match="seed"):
        clv.spark.score(srfm, bg, gg, horizon=52, discount_rate=0.1, interval=0.9)
    with pytest.raises(clv.DataError, match="time_unit 'D' differs"):
        clv.spark.score(srfm, bg, gg, horizon=52, discount_rate=0.1, time_unit="D")
    with pytest.raises(clv.NotFittedError):
        clv.spark.score(srfm, clv.BetaGeo(), gg, horizon=52, discount_rate=0.1)
    with pytest.raises(clv.DataError, match="column 'segment': missing"):
        clv.spark.score(srfm, bg, gg, horizon=52, discount_rate=0.1, keep=("segment",))


def test_models_travel_as_json(cdnow_pair):
    rfm, _ = cdnow_pair
    bg = clv.BetaGeo().fit(rfm)
    rebuilt = clv.spark.model_from_json(json.dumps(bg.to_dict()))
    assert type(rebuilt) is clv.BetaGeo
    pd.testing.assert_series_equal(rebuilt.params_, bg.params_)
    pd.testing.assert_series_equal(rebuilt.probability_alive(rfm), bg.probability_alive(rfm))
    for text in ("{", json.dumps({"model": "os.system", "clv_format": 1}), json.dumps([1, 2])):
        with pytest.raises(clv.DataError, match="not a clv model description"):
            clv.spark.model_from_json(text)
