"""Purchase-only logs: no amount column, purchase models only (issue 11, item 2)."""

from __future__ import annotations

import os

import pandas as pd
import pytest

import clv

LOG = pd.DataFrame({"customer_id": [1, 1, 1, 2, 3, 3], "date": ["2024-01-01", "2024-01-15", "2024-02-01", "2024-01-08",
                                                                 "2024-01-03", "2024-01-03"]})


def test_read_and_summarise_without_amounts() -> None:
    tx = clv.read_transactions(LOG, amount=None)
    assert list(tx.columns) == ["customer_id", "date"]
    rfm = clv.rfm_summary(tx, observation_end="2024-02-29", time_unit="D")
    assert list(rfm.columns) == ["frequency", "recency", "T"]
    assert rfm.loc[1].tolist() == [2.0, 31.0, 59.0]
    assert "non_positive_rows" not in rfm.attrs["exclusions"] and rfm.attrs["exclusions"]["rows_merged_same_day"] == 1
    ch = clv.calibration_holdout(tx, calibration_end="2024-01-20", observation_end="2024-02-29")
    assert "monetary_value" not in ch.columns and "holdout_monetary_value" not in ch.columns
    assert ch.loc[1, "holdout_frequency"] == 1.0


def test_default_amount_column_missing_says_how_to_fix() -> None:
    with pytest.raises(clv.DataError, match=r"column 'amount': missing .*columns found: \['customer_id', 'date'\].*amount=None"):
        clv.read_transactions(LOG)


def test_purchase_model_fits_and_valuation_refuses() -> None:
    tx = clv.datasets.load_cdnow().drop(columns="amount")
    rfm = clv.rfm_summary(tx, observation_end="1997-09-30")
    bg = clv.BetaGeo().fit(rfm)
    assert round(float(bg.params_["r"]), 4) == 0.2426  # the CDNOW estimate: amounts never entered the purchase model
    forecast = clv.purchase_forecast(bg, rfm, horizon=39)
    assert list(forecast.columns) == ["purchase_rate", "p_alive", "churn_probability", "expected_purchases"]
    with pytest.raises(clv.DataError, match="lifetime value needs purchase amounts"):
        clv.customer_value(bg, None, rfm, horizon=52, discount_rate=0.1)
    with pytest.raises(clv.DataError, match="column 'monetary_value': missing"):
        clv.GammaGamma().fit(rfm)


def lifetimes_example() -> str:
    lifetimes = pytest.importorskip("lifetimes")
    return os.path.join(os.path.dirname(lifetimes.__file__), "datasets", "example_transactions.csv")


def lifetimes_bgnbd(path: str) -> dict[str, float]:
    """lifetimes' own BG/NBD estimates on its example data (daily, observation end 2014-12-31)."""
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    summary = summary_data_from_transaction_data(pd.read_csv(path), "id", "date", observation_period_end="2014-12-31")
    fitted = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    return {k: float(v) for k, v in fitted.params_.items()}


def test_lifetimes_example_matches_lifetimes() -> None:
    path = lifetimes_example()
    tx = clv.read_transactions(path, customer="id", amount=None)
    rfm = clv.rfm_summary(tx, observation_end="2014-12-31", time_unit="D")
    ours = clv.BetaGeo().fit(rfm).params_
    for name, value in lifetimes_bgnbd(path).items():
        assert ours[name] == pytest.approx(value, rel=1e-5)
