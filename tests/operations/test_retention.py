"""clv.retention_table: exact against a direct pandas computation (CDNOW), model expectation against simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
from clv.errors import DataError


def _direct_pandas(tx: pd.DataFrame, end: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly cohorts from the first purchase month; share with >= 1 repeat purchase in each later month."""
    tx = tx[tx["date"] <= end]
    days = tx.assign(day=tx["date"].dt.normalize())[["customer_id", "day"]].drop_duplicates()
    first = days.groupby("customer_id")["day"].min().rename("first")
    days = days.join(first, on="customer_id")
    cohort = first.dt.to_period("M")
    size = cohort.value_counts()
    rep = days[days["day"] > days["first"]].copy()
    rep["cohort"] = rep["first"].dt.to_period("M")
    rep["k"] = (rep["day"].dt.to_period("M") - rep["cohort"]).apply(lambda off: off.n)
    share = rep.groupby(["cohort", "k"])["customer_id"].nunique().unstack(fill_value=0)
    share = share.div(size.reindex(share.index), axis=0)
    firstk = rep.groupby("customer_id").agg(cohort=("cohort", "first"), k=("k", "min"))
    cum = firstk.groupby(["cohort", "k"]).size().unstack(fill_value=0).cumsum(axis=1)
    cum = cum.div(size.reindex(cum.index), axis=0)
    return share, cum


def test_cdnow_matches_direct_pandas_exactly():
    tx = clv.datasets.load_cdnow()
    rt = clv.retention_table(tx, observation_end="1998-06-30")
    share, cum = _direct_pandas(tx, "1998-06-30")
    got = rt.matrix("share")
    got_cum = rt.matrix("cumulative")
    assert len(got) == 3 and got.shape[1] == 18  # CDNOW cohorts: Jan-Mar 1997, observed to June 1998
    for c in share.index:
        row = got.loc[str(c)].dropna()
        np.testing.assert_allclose(row.to_numpy(), share.loc[c].reindex(row.index, fill_value=0).to_numpy(), rtol=0, atol=1e-15)
        crow = got_cum.loc[str(c)].dropna()
        np.testing.assert_allclose(crow.to_numpy(), cum.loc[c].reindex(crow.index).ffill().fillna(0).to_numpy(), atol=1e-15)
    assert rt.table["n_customers"].groupby(rt.table["cohort"]).first().sum() == 2357


def test_simulated_expected_shares_within_three_standard_errors():
    params = {"r": 0.6, "alpha": 6.0, "a": 0.8, "b": 2.5}
    sim = clv.simulate(12_000, params=params, seed=11, start="2024-01-01", end="2025-01-01", acquisition_end="2024-04-01")
    model = clv.BetaGeo.from_params(params)
    rt = clv.retention_table(sim.transactions, model=model, observation_end="2024-12-31")
    t = rt.table
    for obs, exp in (("share", "expected_share"), ("cumulative", "expected_cumulative")):
        se = np.sqrt(t[exp] * (1 - t[exp]) / t["n_customers"])
        z = ((t[obs] - t[exp]) / se).to_numpy()
        assert np.all(np.abs(z) < 3), (obs, np.abs(z).max())


def test_channels_and_acquisitions():
    channels = {"email": {"share": 0.5}, "search": {"share": 0.5, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    sim = clv.simulate(800, seed=3, start="2024-01-01", end="2024-07-01", channels=channels)
    acq = clv.read_acquisitions(sim.acquisitions)
    bg = clv.BetaGeo().fit(clv.rfm_summary(sim.transactions))
    rt = clv.retention_table(sim.transactions, acq, by="channel", model={"*": bg}, observation_end="2024-06-30")
    assert set(rt.table["channel"]) == {"email", "search"}
    assert rt.exclusions["customers_without_acquisition"] == 0
    curves = rt.curves()
    assert set(curves.index.get_level_values(0)) == {"email", "search"}
    assert rt.matrix("share", group="email").shape[0] == 3
    with pytest.raises(DataError, match="acquisitions"):
        clv.retention_table(sim.transactions, by="channel")
    with pytest.raises(DataError, match="period"):
        clv.retention_table(sim.transactions, period="Y")
