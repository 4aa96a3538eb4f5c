"""Channel models, channel scoring, channel sums and report inputs from Spark equal the pandas path."""

from __future__ import annotations

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
END = "2024-12-31"
SETTINGS = {"horizon": 26.0, "discount_rate": 0.1, "margin": 0.3, "time_unit": "W", "period": 1.0}


@pytest.fixture(scope="module")
def business(spark, tmp_path_factory):
    channels = {
        "search": {"share": 0.55},
        "social": {"share": 0.3, "params": {"r": 0.5, "alpha": 6.0}},
        "email": {"share": 0.14, "params": {"a": 0.4, "b": 3.0}, "spend_params": {"v": 25.0}},
        "tiny": {"share": 0.01},
    }
    sim = clv.simulate(5000, seed=33, start="2023-07-01", end=END, channels=channels)
    acq = sim.acquisitions.iloc[40:]  # 40 scored customers without an acquisition row
    extra = pd.DataFrame({"customer_id": [900001, 900002, 900003], "channel": ["email", "search", "search"],
                          "acquired_at": pd.to_datetime(["2024-03-02", "2024-05-06", "2025-02-01"])})  # no purchases; one late
    acq = clv.read_acquisitions(pd.concat([acq, extra], ignore_index=True))
    path = tmp_path_factory.mktemp("tx") / "tx.parquet"
    sim.transactions.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=True, index=False)
    tx = clv.read_transactions(path)
    rfm = clv.rfm_summary(tx, observation_end=END)
    srfm = clv.spark.rfm_summary(spark.read.parquet(str(path)), observation_end=END)
    return {"tx": tx, "acq": acq, "path": path, "rfm": rfm, "srfm": srfm,
            "acq_spark": spark.createDataFrame(acq[["customer_id", "channel", "acquired_at"]])}


def assert_models_equal(got, expected) -> None:
    assert got.sources == expected.sources
    assert sorted(got.transaction_models) == sorted(expected.transaction_models)
    for name in expected.transaction_models:
        for a, b in ((got.transaction_models[name], expected.transaction_models[name]),
                     (got.spend_models[name], expected.spend_models[name])):
            np.testing.assert_allclose(a.params_.to_numpy(), b.params_.to_numpy(), **TOL, err_msg=name)
        assert got.spend_models[name].exclusions_ == expected.spend_models[name].exclusions_


def test_channel_models_and_scores_equal_pandas(business):
    b = business
    expected = clv.channels.fit_channel_models(b["rfm"], b["acq"], min_customers=100)
    got = clv.spark.fit_channel_models(b["srfm"], b["acq_spark"], min_customers=100)
    assert got.sources["tiny"].startswith("pooled MLE (")
    assert_models_equal(got, expected)

    channel_of = b["acq"].set_index("customer_id")["channel"]
    want = expected.score(b["rfm"], channel_of, **SETTINGS)
    scores = clv.spark.score_channels(b["srfm"], got, b["acq_spark"], **SETTINGS)
    have = scores.toPandas().set_index("customer_id").sort_index()
    assert list(have.columns) == list(want.columns)
    for col in want.columns:
        np.testing.assert_allclose(have[col].to_numpy(), want[col].to_numpy(), **TOL, err_msg=col)


def test_channel_sums_match_channel_report(business):
    b = business
    models = clv.channels.fit_channel_models(b["rfm"], b["acq"])
    channel_of = b["acq"].set_index("customer_id")["channel"]
    scores = models.score(b["rfm"], channel_of, **SETTINGS)
    report = clv.channel_report(scores, b["acq"], transactions=b["tx"], rfm=b["rfm"], n_draws=0,
                                **{k: v for k, v in SETTINGS.items()})
    spark_scores = clv.spark.score_channels(b["srfm"], clv.spark.fit_channel_models(b["srfm"], b["acq_spark"]),
                                            b["acq_spark"], **SETTINGS)
    sums = clv.spark.channel_aggregates(spark_scores, b["acq_spark"], b["srfm"], margin=SETTINGS["margin"])
    assert list(sums.columns[:2]) == ["channel", "cohort"] and sums["cohort"].str.match(r"^\d{4}-\d{2}$").all()
    means = clv.spark.channel_means(sums)
    table = report.table.loc[means.index]
    for col in ("customers", "acquired_without_transactions"):
        assert (means[col].to_numpy() == table[col].to_numpy()).all(), col
    for col in ("ltv_realized", "ltv_expected", "p_alive", "share_of_customers", "share_of_value"):
        np.testing.assert_allclose(means[col].to_numpy(), table[col].to_numpy(dtype=float), **TOL, err_msg=col)
    recon = sums.attrs["reconciliation"]
    for key, value in recon.items():
        assert report.reconciliation[key] == pytest.approx(value, rel=1e-9), key
    assert recon["customers_without_acquisition"] == 40 and recon["acquisitions_after_observation_end"] == 1
    cohorts = report.cohorts.set_index(["channel", "cohort"])
    mine = sums.set_index(["channel", "cohort"])
    assert (cohorts["customers"] == mine["customers"].reindex(cohorts.index)).all()
    np.testing.assert_allclose((mine["ltv_expected"] / mine["customers"]).reindex(cohorts.index),
                               cohorts["ltv_expected"], **TOL)


def test_report_inputs_feed_channel_report(spark, business):
    b = business
    inputs = clv.spark.report_inputs(b["path"], b["acq"], spark=spark, observation_end=END, **SETTINGS)
    pd.testing.assert_frame_equal(inputs.rfm, b["rfm"], rtol=1e-9, atol=1e-9)
    assert inputs.rfm.attrs == b["rfm"].attrs
    expected_models = clv.channels.fit_channel_models(b["rfm"], b["acq"])
    assert_models_equal(inputs.models, expected_models)
    channel_of = b["acq"].set_index("customer_id")["channel"]
    want = expected_models.score(b["rfm"], channel_of, **SETTINGS)
    assert inputs.scores.index.equals(want.index)
    report_kw = {"n_draws": 20, "seed": 3, **SETTINGS}
    expected = clv.channel_report(want, b["acq"], transactions=b["tx"], rfm=b["rfm"], models=expected_models, **report_kw)
    got = clv.channel_report(inputs.scores, inputs.acquisitions, rfm=inputs.rfm, models=inputs.models, **report_kw)
    numeric = expected.table.select_dtypes("number").columns
    np.testing.assert_allclose(got.table[numeric].to_numpy(dtype=float), expected.table[numeric].to_numpy(dtype=float),
                               **TOL)
    assert list(got.table.index) == list(expected.table.index)


def test_disjoint_customer_ids_are_an_error(spark, business):
    b = business
    other = b["acq_spark"].selectExpr("customer_id + 10000000 AS customer_id", "channel", "acquired_at")
    with pytest.raises(clv.DataError, match="no customer of the transactions appears in the acquisitions"):
        clv.spark.fit_channel_models(b["srfm"], other)


def test_csv_transactions_read_like_pandas(spark, tmp_path):
    raw = pd.DataFrame({"customer_id": ["1", "2", "2", "10"], "date": ["2024-01-01", "2024-01-02", "2024-01-20", "2024-01-05"],
                        "amount": ["5", "7.5", "2.5", "1"]})
    path = tmp_path / "tx.csv"
    raw.to_csv(path, index=False)
    got = clv.spark.rfm_summary(clv.spark.read_table(spark, path), observation_end="2024-01-31")
    expected = clv.rfm_summary(clv.read_transactions(path), observation_end="2024-01-31")
    pd.testing.assert_frame_equal(got.to_pandas(), expected)
    raw.assign(customer_id=["01", "2", "2", "10"]).to_csv(path, index=False)  # a leading zero keeps ids as text
    assert clv.spark.read_table(spark, path).schema["customer_id"].dataType.simpleString() == "string"
