"""Fitting from DuckDB tuples, chunked scoring and channel sums equal the pandas path.

Reference numbers: CDNOW MLE in weeks, calibration end 1997-09-30 (Fader, Hardie & Lee 2005 for BG/NBD;
Fader & Hardie 2013 for Gamma-Gamma), as in tests/spark/test_fit_score.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
import clv.duckdb
from clv.datasets import data_path

pytest.importorskip("duckdb")

PUBLISHED = {"BetaGeo": {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259},
             "GammaGamma": {"p": 6.2496, "q": 3.7442, "v": 15.4435}}
END = "2025-12-31"
SETTINGS = {"horizon": 26.0, "discount_rate": 0.1, "margin": 0.3, "time_unit": "W", "period": 1.0}


@pytest.fixture(scope="module")
def cdnow_pair():
    drfm = clv.duckdb.rfm_summary(data_path("cdnow_sample.csv"), observation_end="1997-09-30")
    return clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30"), drfm


@pytest.fixture(scope="module")
def business():
    channels = {"search": {"share": 0.55}, "social": {"share": 0.3, "params": {"r": 0.5, "alpha": 6.0}},
                "email": {"share": 0.14, "params": {"a": 0.4, "b": 3.0}, "spend_params": {"v": 25.0}}, "tiny": {"share": 0.01}}
    sim = clv.simulate(3000, seed=33, start="2023-07-01", end=END, channels=channels)
    extra = pd.DataFrame({"customer_id": [900001, 900002, 900003], "channel": ["email", "search", "search"],
                          "acquired_at": pd.to_datetime(["2024-03-02", "2024-05-06", "2026-02-01"])})  # no purchases; one late
    acq = clv.read_acquisitions(pd.concat([sim.acquisitions.iloc[40:], extra], ignore_index=True))  # 40 without a row
    rfm = clv.rfm_summary(sim.transactions, observation_end=END)
    return {"tx": sim.transactions, "acq": acq, "rfm": rfm, "drfm": clv.duckdb.rfm_summary(sim.transactions, observation_end=END)}


@pytest.mark.parametrize("cls", [clv.BetaGeo, clv.ParetoNBD, clv.ModifiedBetaGeo, clv.GammaGamma])
def test_cdnow_fit_is_bit_identical(cdnow_pair, cls):
    rfm, drfm = cdnow_pair
    got, expected = clv.duckdb.fit(cls(), drfm), cls().fit(rfm)
    assert (got.params_.to_numpy() == expected.params_.to_numpy()).all()
    assert got.log_likelihood_ == expected.log_likelihood_ and got.n_obs_ == expected.n_obs_
    if cls.__name__ in PUBLISHED:
        np.testing.assert_allclose(got.params_.to_numpy(), list(PUBLISHED[cls.__name__].values()), rtol=2e-3)
    if cls is clv.GammaGamma:
        assert got.exclusions_ == expected.exclusions_


def test_sufficient_statistics_are_small(cdnow_pair):
    rfm, drfm = cdnow_pair
    agg = clv.duckdb.sufficient_statistics(drfm)
    assert int(agg["count"].sum()) == len(rfm) and len(agg) < len(rfm) / 2
    spend = clv.duckdb.sufficient_statistics(drfm, kind="spend")
    # Gamma-Gamma: the distinct (x, m) pairs with counts, not one row per repeat buyer.
    assert int(spend["count"].sum()) == len(rfm)
    assert len(spend) == len(rfm[["frequency", "monetary_value"]].drop_duplicates())
    assert len(spend) < int((rfm["frequency"] > 0).sum())


def test_chunked_scores_and_csv_equal_customer_value(cdnow_pair, tmp_path):
    rfm, drfm = cdnow_pair
    bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    kw = {"horizon": 52, "discount_rate": 0.1, "margin": 0.3, "interval": 0.9, "n_draws": 50, "seed": 4}
    expected = clv.customer_value(bg, gg, rfm, **kw)
    name = clv.duckdb.score(drfm, bg, gg, chunk_size=500, out_csv=tmp_path / "s.csv", **kw)
    got = drfm.con.execute(f"SELECT * FROM {name} ORDER BY customer_id").df().set_index("customer_id")
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    full = tmp_path / "full.csv"
    rfm.join(expected).to_csv(full)
    assert (tmp_path / "s.csv").read_bytes() == full.read_bytes()
    with pytest.raises(clv.DataError, match="time_unit"):
        clv.duckdb.score(drfm, bg, gg, horizon=52, discount_rate=0.1, time_unit="D")


def test_channel_models_scores_and_sums(business):
    b = business
    expected = clv.fit_channel_models(b["rfm"], b["acq"], min_customers=100)
    got = clv.duckdb.fit_channel_models(b["drfm"], b["acq"], min_customers=100)
    assert got.sources == expected.sources and got.sources["tiny"].startswith("pooled MLE (")
    for name in expected.transaction_models:
        for a, e in ((got.transaction_models[name], expected.transaction_models[name]),
                     (got.spend_models[name], expected.spend_models[name])):
            assert (a.params_.to_numpy() == e.params_.to_numpy()).all(), name
    channel_of = b["acq"].set_index("customer_id")["channel"].reindex(b["rfm"].index).fillna("(none)")
    want = expected.score(b["rfm"], channel_of, **{k: v for k, v in SETTINGS.items()})
    table = clv.duckdb.score_channels(b["drfm"], got, b["acq"], chunk_size=700, **SETTINGS)
    scores = b["drfm"].con.execute(f"SELECT * FROM {table} ORDER BY customer_id").df().set_index("customer_id")
    pd.testing.assert_frame_equal(scores, want, check_exact=True)

    sums = clv.duckdb.channel_aggregates(table, b["acq"], b["drfm"], margin=0.3)
    report = clv.channel_report(want, b["acq"], transactions=b["tx"], rfm=b["rfm"], margin=0.3, n_draws=0, **{
        k: v for k, v in SETTINGS.items() if k != "margin"})
    means = clv.engine_fit.channel_means(sums)
    table_p = report.table.loc[means.index]
    assert (means["customers"] == table_p["customers"]).all()
    assert (means["acquired_without_transactions"] == table_p["acquired_without_transactions"]).all()
    # Revenue: pandas adds raw rows (Kahan, file order), DuckDB the day totals: equal to a few ulps.
    for col in ("ltv_realized", "ltv_expected", "p_alive", "share_of_customers", "share_of_value"):
        np.testing.assert_allclose(means[col], table_p[col], rtol=1e-12, err_msg=col)
    for key, value in sums.attrs["reconciliation"].items():
        assert report.reconciliation[key] == pytest.approx(value, rel=1e-12), key


def test_disjoint_ids_are_an_error(business):
    acq = business["acq"].assign(customer_id=business["acq"]["customer_id"] + 10**8)
    with pytest.raises(clv.DataError, match="no customer of the transactions appears in the acquisitions"):
        clv.duckdb.fit_channel_models(business["drfm"], acq)
