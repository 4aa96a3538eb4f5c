"""Holdout validation, tracking and model comparison.

Reference numbers: /work/shared/reference/cdnow_published.md, from Fader, Hardie & Lee (2005),
"Counting your customers the easy way: an alternative to the Pareto/NBD model", Marketing Science
24(2), section 4 and figs. 2-4, and the accompanying BG/NBD spreadsheet (CDNOW 1/10th sample,
calibration to 1997-09-30, holdout to 1998-06-30, weeks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
from clv.kernels import bgnbd

# Fader, Hardie & Lee (2005), section 4 and the BG/NBD spreadsheet
HOLDOUT_ACTUAL = 1882
HOLDOUT_EXPECTED_SUM = 1653.4  # sum over customers of E[Y(39) | x, t_x, T]
CAL_REPEATS = 2457
WEEK78_ACTUAL = 4339
WEEK78_FORECAST = 4160.6  # cumulative tracking forecast at week 78 (fig. 2)
BG_FULL = {"r": 0.2425945, "alpha": 4.4136019, "a": 0.7929199, "b": 2.4258881}


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return clv.datasets.load_cdnow()


@pytest.fixture(scope="module")
def ch(tx: pd.DataFrame) -> pd.DataFrame:
    return clv.calibration_holdout(tx, calibration_end="1997-09-30", observation_end="1998-06-30")


@pytest.fixture(scope="module")
def bg(ch: pd.DataFrame) -> clv.BetaGeo:
    return clv.BetaGeo().fit(ch)


@pytest.fixture(scope="module")
def result(bg: clv.BetaGeo, ch: pd.DataFrame, tx: pd.DataFrame) -> clv.ValidationResult:
    return clv.validate(bg, ch, transactions=tx)


# -- published CDNOW figures ------------------------------------------------------------------


def test_holdout_sum_of_conditional_expectations(result: clv.ValidationResult) -> None:
    m = result.metrics
    assert m["actual_total"] == HOLDOUT_ACTUAL
    assert m["predicted_total"] == pytest.approx(HOLDOUT_EXPECTED_SUM, abs=0.05)
    assert m["relative_bias"] == pytest.approx(-0.121, abs=0.0005)  # "bias -12.1%"
    assert m["n_customers"] == 2357


def test_week78_cumulative_tracking(result: clv.ValidationResult) -> None:
    tr = result.tracking
    assert tr is not None
    assert tr.n_customers == 2357
    assert len(tr.table) == 78
    week78 = tr.at(78)
    assert week78["period_end"] == pd.Timestamp("1998-06-30")
    assert week78["actual_cumulative"] == WEEK78_ACTUAL
    assert week78["expected_cumulative"] == pytest.approx(WEEK78_FORECAST, abs=0.05)
    # end of calibration: week 39 ends on 1997-09-30 and holds the 2,457 calibration repeats
    assert tr.calibration_periods == 39
    assert tr.at(39)["period_end"] == pd.Timestamp("1997-09-30")
    assert tr.at(39)["actual_cumulative"] == CAL_REPEATS


def test_tracking_at_published_parameters_uses_each_customers_own_age(tx: pd.DataFrame, bg: clv.BetaGeo) -> None:
    """The forecast is sum_i E[X((end - first_i) / 7)], the same day-difference convention as T."""
    model = bg.with_params(list(BG_FULL.values()))
    tr = clv.tracking(model, tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    first = tx.groupby("customer_id")["date"].min()
    age = (pd.Timestamp("1998-06-30") - first).dt.days.to_numpy() / 7.0
    direct = bgnbd.expected_purchases_new(age, *BG_FULL.values()).sum()
    assert tr.at(78)["expected_cumulative"] == pytest.approx(direct, rel=1e-12)
    assert direct == pytest.approx(WEEK78_FORECAST, abs=0.05)


# -- internal consistency ------------------------------------------------------------------------


def test_customer_table_and_metrics(result: clv.ValidationResult, bg: clv.BetaGeo, ch: pd.DataFrame) -> None:
    cust = result.customers
    assert list(cust.columns) == ["frequency", "actual", "predicted", "error"]
    assert cust.index.equals(ch.index)
    np.testing.assert_allclose(cust["predicted"], bg.expected_purchases(ch, 39.0))
    np.testing.assert_array_equal(cust["actual"], ch["holdout_frequency"])
    err = cust["predicted"] - cust["actual"]
    m = result.metrics
    assert m["bias"] == pytest.approx(err.mean())
    assert m["mae"] == pytest.approx(err.abs().mean())
    assert m["rmse"] == pytest.approx(np.sqrt((err**2).mean()))
    assert m["correlation"] == pytest.approx(np.corrcoef(cust["actual"], cust["predicted"])[0, 1])
    assert 0.5 < m["correlation"] < 0.8


def test_frequency_buckets(result: clv.ValidationResult, ch: pd.DataFrame) -> None:
    table = result.by_frequency
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["n_customers"].sum() == 2357
    assert table.loc["0", "n_customers"] == 2357 - 946  # 946 repeat buyers
    heavy = ch["frequency"] >= 7
    assert table.loc["7+", "actual"] == pytest.approx(ch.loc[heavy, "holdout_frequency"].mean())
    # the weighted bucket means add back up to the totals
    assert (table["n_customers"] * table["predicted"]).sum() == pytest.approx(HOLDOUT_EXPECTED_SUM, abs=0.05)
    assert (table["n_customers"] * table["actual"]).sum() == pytest.approx(HOLDOUT_ACTUAL)
    # the model tracks the published fig. 4 shape: increasing in calibration frequency
    assert np.all(np.diff(table["predicted"].to_numpy()) > 0)


def test_frequency_buckets_keep_empty_buckets() -> None:
    table = clv.validation.frequency_buckets([0, 3], [0, 2], [0.5, 1.5], max_frequency=3)
    assert list(table["n_customers"]) == [1, 0, 0, 1]
    assert np.isnan(table.loc["1", "actual"])


def test_compare_models(ch: pd.DataFrame, bg: clv.BetaGeo) -> None:
    pareto = clv.ParetoNBD().fit(ch)
    mbg = clv.ModifiedBetaGeo().fit(ch)
    table = clv.compare_models([bg, mbg, pareto], ch)
    assert list(table.index) == ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"]
    for name, model in zip(table.index, (bg, mbg, pareto)):
        row = table.loc[name]
        assert row["log_likelihood"] == pytest.approx(model.log_likelihood_, abs=1e-6)
        assert row["aic"] == pytest.approx(model.result_.aic, abs=1e-5)
        assert row["bic"] == pytest.approx(model.result_.bic, abs=1e-5)
        assert row["predicted_total"] == pytest.approx(model.expected_purchases(ch, 39).sum())
    assert table.loc["ParetoNBD", "log_likelihood"] == pytest.approx(-9594.98, abs=0.01)
    assert table.loc["BetaGeo", "predicted_total"] == pytest.approx(HOLDOUT_EXPECTED_SUM, abs=0.05)
    assert (table["actual_total"] == HOLDOUT_ACTUAL).all()
    assert list(clv.compare_models([bg, bg], ch).index) == ["BetaGeo #1", "BetaGeo #2"]
    assert list(clv.compare_models([bg], ch, names=["bg"]).index) == ["bg"]


def test_tracking_other_models(tx: pd.DataFrame, ch: pd.DataFrame) -> None:
    for model in (clv.ParetoNBD().fit(ch), clv.ModifiedBetaGeo().fit(ch)):
        tr = clv.validate(model, ch, transactions=tx).tracking
        expected = tr.table["expected_cumulative"].to_numpy()
        assert np.all(np.isfinite(expected)) and np.all(np.diff(expected) >= 0)
        assert abs(expected[-1] / WEEK78_ACTUAL - 1) < 0.1


# -- hand-checked small cases --------------------------------------------------------------------


def _log(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return clv.read_transactions(pd.DataFrame({"customer_id": [c for c, _ in rows], "date": [d for _, d in rows], "amount": 1.0}))


def test_tracking_by_hand(bg: clv.BetaGeo) -> None:
    tx = _log([
        ("a", "2024-01-01"), ("a", "2024-01-01"), ("a", "2024-01-05"), ("a", "2024-01-20"),  # same-day pair merges
        ("b", "2024-01-10"), ("b", "2024-02-01"),
        ("c", "2024-01-30"),  # first purchase after calibration end: not in the cohort
        ("a", "2024-03-01"),  # after observation end: excluded
    ])
    tr = clv.tracking(bg, tx, calibration_end="2024-01-21", observation_end="2024-02-04")
    assert tr.n_customers == 2
    t = tr.table
    assert list(t.index) == [1, 2, 3, 4, 5]
    assert list(t["period_end"].dt.strftime("%m-%d")) == ["01-07", "01-14", "01-21", "01-28", "02-04"]
    assert list(t["actual"]) == [1.0, 0.0, 1.0, 0.0, 1.0]  # a on 01-05 and 01-20, b on 02-01
    ends = np.array([6, 13, 20, 27, 34])  # days after 2024-01-01
    expected = bg.expected_purchases_new(ends / 7) + bg.expected_purchases_new(np.maximum(ends - 9, 0) / 7)
    np.testing.assert_allclose(t["expected_cumulative"], expected, rtol=1e-12)
    assert tr.calibration_periods == 3


def test_tracking_partial_last_period_and_start(bg: clv.BetaGeo) -> None:
    tx = _log([("a", "2024-01-03"), ("a", "2024-01-12")])
    tr = clv.tracking(bg, tx, calibration_end="2024-01-10", observation_end="2024-01-16", start="2024-01-01")
    assert list(tr.table["period_end"].dt.strftime("%m-%d")) == ["01-07", "01-14", "01-16"]
    assert tr.table["expected_cumulative"].iloc[-1] == pytest.approx(bg.expected_purchases_new(13 / 7))
    with pytest.raises(clv.DataError, match="start"):
        clv.tracking(bg, tx, calibration_end="2024-01-10", observation_end="2024-01-16", start="2024-01-05")


def test_tracking_recovers_simulated_truth() -> None:
    """With the true parameters, expected tracking follows a simulated business."""
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.6, "b": 2.5}
    sim = clv.simulate(4000, params=truth, start="2023-01-01", end="2024-06-30", acquisition_end="2023-04-01", seed=7)
    ch = clv.calibration_holdout(sim.transactions, calibration_end="2023-09-30", observation_end="2024-06-30")
    model = clv.BetaGeo().fit(ch).with_params(list(truth.values()))
    res = clv.validate(model, ch, transactions=sim.transactions)
    last = res.tracking.table.iloc[-1]
    assert last["expected_cumulative"] == pytest.approx(last["actual_cumulative"], rel=0.06)
    assert res.metrics["relative_bias"] == pytest.approx(0.0, abs=0.08)


# -- bad input -----------------------------------------------------------------------------------


def test_bad_inputs(bg: clv.BetaGeo, ch: pd.DataFrame, tx: pd.DataFrame) -> None:
    with pytest.raises(clv.DataError, match="holdout_frequency"):
        clv.validate(bg, ch.drop(columns="holdout_frequency"))
    with pytest.raises(clv.DataError, match="calibration_holdout"):
        clv.validate(bg, "not a frame")
    with pytest.raises(TypeError, match="transaction model"):
        clv.validate(clv.GammaGamma(), ch)
    with pytest.raises(clv.DataError, match="must be after"):
        clv.tracking(bg, tx, calibration_end="1998-06-30", observation_end="1997-09-30")
    with pytest.raises(clv.DataError, match="cal_holdout has"):
        clv.validate(bg, ch, transactions=tx[tx["customer_id"] <= 100])
    with pytest.raises(clv.DataError, match="no customer"):
        clv.tracking(bg, tx, calibration_end="1996-01-01", observation_end="1998-06-30")
    with pytest.raises(ValueError, match="names"):
        clv.compare_models([bg], ch, names=["a", "b"])
