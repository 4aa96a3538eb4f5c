"""Acquisition dates after the customer's first purchase are counted, and the cohort date is named (issue 11, item 5)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import clv
from clv.channels import ChannelModels


@pytest.fixture(scope="module")
def inputs():
    tx = clv.read_transactions(pd.DataFrame({
        "customer_id": [1, 2, 2, 3, 4],
        "date": ["2024-01-05", "2024-01-20", "2024-03-01", "2024-02-10", "2024-02-11 18:00"],
        "amount": [100.0, 200.0, 20.0, 50.0, 10.0],
    }))
    acq = clv.read_acquisitions(pd.DataFrame({
        "customer_id": [1, 2, 3, 4],
        "channel": ["search", "search", "email", "email"],
        # 1: before its first purchase; 2: twelve days after it; 3: the same day; 4: the next day
        "acquired_at": ["2024-01-01", "2024-02-01", "2024-02-10 23:00", "2024-02-12"],
    }))
    rfm = clv.rfm_summary(tx, observation_end="2024-06-30")
    scores = pd.DataFrame({"clv": [1.0, 2.0, 3.0, 4.0], "revenue_to_date": [100.0, 220.0, 50.0, 10.0]}, index=rfm.index)
    return tx, acq, rfm, scores


def _report(inputs, **kwargs):
    _, acq, _, scores = inputs
    models = ChannelModels({"*": clv.BetaGeo.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4})},
                           {"*": clv.GammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.44})})
    return clv.channel_report(scores, acq, models=models, horizon=52, discount_rate=0.0, margin=0.5, n_draws=0, **kwargs)


@pytest.mark.parametrize("source", ["transactions", "rfm"])
def test_count_from_transactions_or_rfm(inputs, source) -> None:
    tx, _, rfm, scores = inputs
    if source == "rfm":  # no log: first purchase = observation end - T
        inputs = (None, inputs[1], rfm, scores)
    report = _report(inputs, **({"transactions": tx} if source == "transactions" else {"rfm": rfm}))
    assert report.reconciliation["acquired_after_first_purchase"] == 2  # customers 2 and 4
    assert report.reconciliation["cohort_date"] == "acquired_at"
    cohorts = report.cohorts.set_index(["channel", "cohort"])["customers"]
    assert cohorts.loc[("search", "2024-02")] == 1  # customer 2 stays in its acquisition month


def test_unknown_without_purchase_dates(inputs) -> None:
    assert _report(inputs, observation_end="2024-06-30").reconciliation["acquired_after_first_purchase"] is None


def test_report_files_show_the_count_and_the_cohort_date(inputs, tmp_path) -> None:
    from clv.reports import write_report

    tx = inputs[0]
    write_report(_report(inputs, transactions=tx), tmp_path / "rep")
    summary = json.loads((tmp_path / "rep" / "summary.json").read_text())
    assert summary["reconciliation"]["acquired_after_first_purchase"] == 2
    assert summary["sections"]["reconciliation"]["counts"]["acquired_after_first_purchase"] == 2
    assert summary["sections"]["reconciliation"]["cohort_date"] == "acquired_at"
    text = (tmp_path / "rep" / "summary.md").read_text()
    assert "customers whose acquisition date is after their first purchase" in text and "month of: acquired\\_at" in text
