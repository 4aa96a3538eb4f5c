"""rfm_summary and calibration_holdout conventions."""

import numpy as np
import pandas as pd
import pytest

import clv


def tx_of(rows):
    return clv.read_transactions(pd.DataFrame(rows, columns=["customer_id", "date", "amount"]))


def test_same_day_merge_and_repeat_only_monetary():
    tx = tx_of([
        ("a", "2024-01-01 09:00", 10.0), ("a", "2024-01-01 18:00", 5.0),  # one transaction of 15 (first)
        ("a", "2024-01-08", 20.0), ("a", "2024-01-15", 40.0),
        ("b", "2024-01-10", 7.0),
    ])
    rfm = clv.rfm_summary(tx, observation_end="2024-01-29")
    assert rfm.loc["a"].tolist() == [2.0, 2.0, 4.0, 30.0]
    assert rfm.loc["b"].tolist() == [0.0, 0.0, pytest.approx(19 / 7), 0.0]
    assert rfm.attrs["exclusions"]["rows_merged_same_day"] == 1


@pytest.mark.parametrize(("unit", "days"), [("D", 1.0), ("W", 7.0), ("M", 30.4375)])
def test_time_units_are_continuous(unit, days):
    tx = tx_of([(1, "2024-01-01", 1.0), (1, "2024-01-11", 1.0)])
    rfm = clv.rfm_summary(tx, observation_end="2024-01-31", time_unit=unit)
    assert rfm.loc[1, "recency"] == pytest.approx(10 / days)
    assert rfm.loc[1, "T"] == pytest.approx(30 / days)


def test_rows_after_observation_end_are_excluded_and_counted():
    tx = tx_of([(1, "2024-01-01", 1.0), (1, "2024-03-01", 1.0), (2, "2024-04-01", 1.0)])
    rfm = clv.rfm_summary(tx, observation_end="2024-02-01")
    assert list(rfm.index) == [1]
    assert rfm.attrs["exclusions"]["rows_after_observation_end"] == 2
    assert rfm.attrs["exclusions"]["customers_after_observation_end"] == 1


def test_non_positive_amounts_are_kept_and_counted():
    tx = tx_of([(1, "2024-01-01", 10.0), (1, "2024-01-05", 0.0), (1, "2024-01-09", -4.0)])
    rfm = clv.rfm_summary(tx)
    assert rfm.loc[1, "frequency"] == 2
    assert rfm.loc[1, "monetary_value"] == -2.0
    assert rfm.attrs["exclusions"]["non_positive_rows"] == 2


def test_gamma_gamma_leaves_out_non_positive_spenders_and_says_so():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, 500).astype(float)
    m = rng.gamma(6.0 * x, 1 / rng.gamma(4.0, 1 / 15.0, 500)) / x
    rfm = pd.DataFrame({"frequency": np.r_[x, 2.0, 3.0, 0.0], "monetary_value": np.r_[m, -2.0, 0.0, 0.0]})
    gg = clv.GammaGamma().fit(rfm)
    assert gg.exclusions_ == {"customers_without_repeat_purchases": 1, "customers_with_non_positive_spend": 2}
    assert gg.summary().attrs["exclusions"] == gg.exclusions_
    assert gg.result_.n_obs == 500
    # Left-out customers still get a spend forecast: the population mean.
    assert gg.expected_spend(rfm).iloc[-3:].tolist() == pytest.approx([gg.population_mean_spend()] * 3)


def test_holdout_monetary_value_uses_per_day_basis():
    """lifetimes issue 431: holdout monetary value averaged raw rows, not purchase days."""
    tx = tx_of([
        (1, "2024-01-01", 10.0), (1, "2024-01-05", 20.0),
        (1, "2024-02-10", 30.0), (1, "2024-02-10", 10.0), (1, "2024-02-20", 20.0),
    ])
    ch = clv.calibration_holdout(tx, calibration_end="2024-01-31", observation_end="2024-03-01")
    assert ch.loc[1, "holdout_frequency"] == 2
    assert ch.loc[1, "holdout_monetary_value"] == 30.0  # (40 + 20) / 2 days, not 60 / 3 rows
    assert ch.loc[1, "monetary_value"] == 20.0
    assert ch.loc[1, "duration_holdout"] == pytest.approx(30 / 7)


def test_calibration_holdout_counts_late_customers():
    tx = tx_of([(1, "2024-01-01", 1.0), (2, "2024-02-15", 1.0), (1, "2024-05-01", 1.0)])
    ch = clv.calibration_holdout(tx, calibration_end="2024-01-31", observation_end="2024-03-01")
    assert list(ch.index) == [1]
    assert ch.attrs["exclusions"]["customers_first_purchase_in_holdout"] == 1
    assert ch.attrs["exclusions"]["rows_after_observation_end"] == 1


def test_calibration_part_equals_rfm_summary():
    tx = clv.datasets.load_cdnow()
    ch = clv.calibration_holdout(tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    rfm = clv.rfm_summary(tx, observation_end="1997-09-30")
    pd.testing.assert_frame_equal(ch[rfm.columns], rfm, check_like=True)


def test_bad_arguments():
    tx = tx_of([(1, "2024-01-01", 1.0)])
    with pytest.raises(clv.DataError, match="time_unit"):
        clv.rfm_summary(tx, time_unit="fortnight")
    with pytest.raises(clv.DataError, match="must be after"):
        clv.calibration_holdout(tx, calibration_end="2024-02-01", observation_end="2024-01-01")
    with pytest.raises(clv.DataError, match="column 'date'"):
        clv.rfm_summary(pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"], "amount": [1.0]}))
    with pytest.raises(clv.DataError, match="no transactions"):
        clv.rfm_summary(tx, observation_end="2023-01-01")


def test_rfm_frame_validation_at_model_boundary():
    bad = pd.DataFrame({"frequency": [1.0, 2.0], "recency": [5.0, 9.0], "T": [4.0, 10.0]})
    with pytest.raises(clv.DataError, match="column 'recency': must lie between 0 and T in row 1"):
        clv.BetaGeo().fit(bad)
    with pytest.raises(clv.DataError, match="column 'T': missing or non-finite"):
        clv.BetaGeo().fit(bad.assign(T=[np.nan, 10.0]))
    with pytest.raises(clv.DataError, match="column 'frequency': must be a whole number"):
        clv.BetaGeo().fit(bad.assign(frequency=[1.5, 2.0], recency=[1.0, 2.0]))
