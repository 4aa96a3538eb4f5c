"""clv.backtest: the published CDNOW holdout figures, the summary sentence, channels, deciles."""

from __future__ import annotations

import pandas as pd
import pytest

import clv
from clv.errors import DataError
from clv.operations import default_holdout


@pytest.fixture(scope="module")
def cdnow_backtest():
    return clv.backtest(clv.datasets.load_cdnow(), holdout=39, observation_end="1998-06-30")


def test_cdnow_reproduces_published_holdout(cdnow_backtest):
    # Fader, Hardie & Lee (2005), section 4: 1,653.4 predicted vs 1,882 actual repeat purchases in weeks 40-78
    m = cdnow_backtest.validation.metrics
    assert round(m["predicted_total"], 1) == 1653.4
    assert m["actual_total"] == 1882
    assert cdnow_backtest.settings["calibration_end"] == "1997-09-30"
    tr = cdnow_backtest.tracking.table
    assert len(tr) == 78 and round(tr["expected_cumulative"].iloc[-1], 1) == 4160.6  # the paper's 4,160.6 at week 78
    # revenue: the holdout's actual revenue is every CDNOW purchase in (1997-09-30, 1998-06-30]
    tx = clv.datasets.load_cdnow()
    direct = tx.loc[(tx["date"] > "1997-09-30") & (tx["date"] <= "1998-06-30"), "amount"].sum()
    assert m["actual_revenue_total"] == pytest.approx(direct, rel=1e-12)
    total = cdnow_backtest.by_channel.loc["total"]
    assert total["predicted_purchases"] == pytest.approx(m["predicted_total"])


def test_summary_sentence(cdnow_backtest):
    assert cdnow_backtest.summary(currency="USD") == (
        "On your last 39 weeks (1997-10-01 to 1998-06-30) the method, fitted only on the data before them, "
        "predicted 1,653 repeat purchases against 1,882 actual (−12.1%) and USD 59,932 revenue against "
        "USD 70,976 actual (−15.6%)."
    )


def test_deciles_partition_customers(cdnow_backtest):
    d = cdnow_backtest.deciles
    assert list(d.index) == list(range(1, 11)) and d["n_customers"].sum() == 2357
    assert d["predicted_revenue"].is_monotonic_increasing
    # the model ranks customers: the top decile buys far more than the bottom one
    assert d["actual_purchases"].iloc[-1] > 5 * d["actual_purchases"].iloc[0]


def test_channels_and_default_holdout():
    channels = {"email": {"share": 0.6}, "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    sim = clv.simulate(1500, seed=4, start="2024-01-01", end="2025-07-01", channels=channels, acquisition_end="2025-05-01")
    acq = clv.read_acquisitions(sim.acquisitions)
    tx = sim.transactions
    assert default_holdout(tx, observation_end="2025-06-30") == 20  # 546 days / 4 = 19.5 weeks, rounded
    bt = clv.backtest(tx, acquisitions=acq, observation_end="2025-06-30", model=clv.ParetoNBD())
    rows = bt.by_channel
    assert list(rows.index) == ["email", "search", "total"]
    assert rows.loc["total", "n_customers"] == bt.settings["n_customers"]
    assert bt.settings["new_customers_in_holdout"] > 0  # acquired in the holdout: counted, not forecast
    assert {"actual_revenue", "predicted_revenue", "revenue_relative_bias"} <= set(rows.columns)
    assert bt.settings["model"] == "ParetoNBD per channel (2 own fits)"
    # per-channel models predict each channel better than one pooled model
    pooled = clv.backtest(tx, acquisitions=acq, observation_end="2025-06-30", model=clv.ParetoNBD(), per_channel=False)
    assert pooled.settings["model"].startswith("ParetoNBD(")
    own = (rows["purchases_relative_bias"].drop("total").abs()).mean()
    assert own < (pooled.by_channel["purchases_relative_bias"].drop("total").abs()).mean()
    # the summed per-channel tracking equals the per-customer predictions' cohort
    assert bt.tracking.n_customers == bt.settings["n_customers"]
    assert bt.tracking.table["actual"].sum() > 0


def test_too_short_is_refused():
    tx = clv.read_transactions(pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2024-01-01", "2024-02-01", "2024-03-01"],
                                             "amount": [1.0, 2.0, 3.0]}))
    with pytest.raises(DataError, match="backtest skipped"):
        clv.backtest(tx)
    with pytest.raises(DataError, match="holdout"):
        clv.backtest(tx, holdout=-1)
