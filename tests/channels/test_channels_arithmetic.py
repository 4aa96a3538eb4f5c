"""CAC, LTV:CAC and payback on a tiny case computed by hand, and the reconciliation counts.

The case (margin 0.5, no discounting, horizon and payback horizon 52 weeks):

* search: customers 1, 2 (January, spend 300 -> 150 each), 3 and 7 (February,
  spend 60 -> 30 each; customer 7 never bought). CAC = (150+150+30+30)/4 = 90.
  Revenue 100, 200, 50, 0 -> realized margin 50, 100, 25, 0; future clv 30,
  60, 0, 0. LTV expected = (175 + 90) / 4 = 66.25; LTV:CAC = 66.25/90.
* email: customer 5 with its own cost 10; revenue 80 -> 40, clv 20 -> 60; ratio 6.
* organic: customer 4, spend row of 0 -> CAC 0, ratio n/a (never inf).
* tv: spend 500 in January, no customers.
* customer 6 bought but has no acquisition record; customer 8 was acquired
  after the observation end.

Channel-level models are stubs with ``E[X(t)] = 0.1 t`` repeat purchases and
mean spend 100, so a new customer's cumulative margin is ``50 + 5 t``:
payback of search's CAC 90 at t = 8 weeks, email pays back at acquisition,
new-customer LTV over 52 weeks = 50 + 260 = 310.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import clv
from clv.channels import ChannelModels, new_customer_curve, payback_period
from clv.valuation import discount_factors


class LinearPurchases:
    """Stub transaction model: a new customer makes 0.1 repeat purchases per week."""

    def expected_purchases_new(self, t):
        return 0.1 * np.asarray(t, dtype=float)


class FixedSpend:
    def population_mean_spend(self) -> float:
        return 100.0


@pytest.fixture(scope="module")
def case():
    tx = clv.read_transactions(pd.DataFrame({
        "customer_id": [1, 2, 3, 4, 5, 6, 6],
        "date": ["2024-01-05", "2024-01-20", "2024-02-10", "2024-01-07", "2024-01-09", "2024-01-02", "2024-04-01"],
        "amount": [100.0, 200.0, 50.0, 40.0, 80.0, 10.0, 10.0],
    }))
    acq = clv.read_acquisitions(pd.DataFrame({
        "customer_id": [1, 2, 3, 7, 4, 5, 8],
        "channel": ["search", "search", "search", "search", "organic", "email", "search"],
        "acquired_at": ["2024-01-05", "2024-01-20", "2024-02-10", "2024-02-15", "2024-01-07", "2024-01-09", "2024-09-01"],
        "cost": ["", "", "", "", "", "10", ""],
    }))
    spend = clv.read_channel_spend(pd.DataFrame({
        "channel": ["search", "search", "organic", "tv"],
        "period": ["2024-01", "2024-02", "2024-01", "2024-01"],
        "spend": [300.0, 60.0, 0.0, 500.0],
    }))
    scores = pd.DataFrame({"clv": [30.0, 60.0, 0.0, 5.0, 20.0, 7.0], "p_alive": [0.9, 0.8, 0.1, 0.5, 0.7, 0.2]},
                          index=pd.Index([1, 2, 3, 4, 5, 6], name="customer_id"))
    models = ChannelModels({"*": LinearPurchases()}, {"*": FixedSpend()})
    report = clv.channel_report(scores, acq, spend=spend, transactions=tx, models=models, horizon=52, discount_rate=0.0,
                                margin=0.5, n_draws=0, observation_end="2024-06-30")
    return report


def test_cac_ratio_and_ltv_by_hand(case) -> None:
    t = case.table
    assert t.loc["search", "customers"] == 4
    assert t.loc["search", "cac"] == pytest.approx(90.0)
    assert t.loc["search", "ltv_realized"] == pytest.approx(175 / 4)
    assert t.loc["search", "ltv_expected"] == pytest.approx(66.25)
    assert t.loc["search", "ltv_to_cac"] == pytest.approx(66.25 / 90)
    assert t.loc["email", "cac"] == pytest.approx(10.0)
    assert t.loc["email", "ltv_to_cac"] == pytest.approx(6.0)
    assert t.loc["search", "spend"] == pytest.approx(360.0)
    assert t.loc["search", "share_of_customers"] == pytest.approx(4 / 6)
    value = {"search": 265.0, "email": 60.0, "organic": 25.0}
    assert t.loc["email", "share_of_value"] == pytest.approx(60 / sum(value.values()))


def test_zero_cost_channel_ratio_is_not_applicable(case) -> None:
    row = case.table.loc["organic"]
    assert row["cac"] == 0.0
    assert math.isnan(row["ltv_to_cac"]) and math.isnan(row["prob_ltv_exceeds_cac"])
    assert row["payback_status"] == "no acquisition cost"
    assert not np.isinf(case.table.select_dtypes("number").to_numpy(dtype=float)).any()


def test_payback_by_hand(case) -> None:
    t = case.table
    assert t.loc["search", "payback_period"] == pytest.approx(8.0)
    assert t.loc["search", "payback_status"] == "paid back"
    assert t.loc["email", "payback_period"] == 0.0
    assert t.loc["email", "payback_status"] == "paid back at acquisition"
    assert t.loc["search", "ltv_new"] == pytest.approx(310.0)
    assert case.payback_curves.loc[0.0, "search"] == pytest.approx(50.0)
    assert case.payback_curves.loc[8.0, "search"] == pytest.approx(90.0)


def test_payback_not_within_horizon() -> None:
    assert payback_period([1, 2, 3], [51, 52, 53], 90.0, first=50.0) == (pytest.approx(float("nan"), nan_ok=True),
                                                                         "not within horizon")
    assert payback_period([1, 2], [60, 70], 65.0, first=50.0) == (1.5, "paid back")


def test_new_customer_curve_discounts_each_period() -> None:
    weeks = np.arange(1, 53, dtype=float)
    curve = new_customer_curve(LinearPurchases(), FixedSpend(), weeks, discount_rate=0.1, margin=0.5)
    by_hand = 0.5 * 100 * (1 + sum(0.1 * (1.1 ** (-w * 7 / 365.25)) for w in weeks))
    assert curve[-1] == pytest.approx(by_hand, rel=1e-12)
    assert np.allclose(discount_factors(np.array([52 / 7 * 365.25 / 52]), 0.1, "W"), 1 / 1.1)


def test_reconciliation_counts(case) -> None:
    r = case.reconciliation
    assert r["customers_without_acquisition"] == 1
    assert r["value_of_customers_without_acquisition"] == pytest.approx(7.0)
    assert r["acquisitions_without_transactions"] == 1
    assert r["acquisitions_without_transactions_by_channel"] == {"search": 1}
    assert r["acquisitions_after_observation_end"] == 1
    assert r["channels_with_spend_but_no_customers"] == ["tv"]
    assert r["spend_without_customers_total"] == pytest.approx(500.0)
    assert r["zero_cost_channels"] == ["organic"]
    assert r["customers_with_own_cost"] == 1
    assert case.table.loc["tv", "customers"] == 0
    assert case.table.loc["tv", "spend"] == pytest.approx(500.0)
    assert math.isnan(case.table.loc["tv", "cac"])


def test_ranking_and_cohorts(case) -> None:
    assert list(case.table.index[:2]) == ["email", "search"]
    c = case.cohorts.set_index(["channel", "cohort"])
    assert c.loc[("search", "2024-01"), "cac"] == pytest.approx(150.0)
    assert c.loc[("search", "2024-02"), "cac"] == pytest.approx(30.0)
    assert c.loc[("search", "2024-02"), "ltv_expected"] == pytest.approx(12.5)
    assert math.isnan(c.loc[("organic", "2024-01"), "ltv_to_cac"])


def test_summary_is_strict_json(case) -> None:
    text = json.dumps(case.to_dict(), allow_nan=False)
    data = json.loads(text)
    organic = next(r for r in data["channels"] if r["channel"] == "organic")
    assert organic["ltv_to_cac"] is None


def test_customers_without_cost_are_counted() -> None:
    acq = clv.read_acquisitions(pd.DataFrame({"customer_id": [1, 2], "channel": ["a", "a"],
                                              "acquired_at": ["2024-01-05", "2024-03-05"]}))
    spend = clv.read_channel_spend(pd.DataFrame({"channel": ["a"], "period": ["2024-01"], "spend": [10.0]}))
    scores = pd.DataFrame({"clv": [1.0, 1.0], "revenue_to_date": [5.0, 5.0]}, index=pd.Index([1, 2], name="customer_id"))
    report = clv.channel_report(scores, acq, spend=spend, margin=1.0, observation_end="2024-06-30")
    assert report.reconciliation["customers_without_cost"] == 1
    assert report.table.loc["a", "cac"] == pytest.approx(10.0)
    assert report.table.loc["a", "ltv_to_cac"] == pytest.approx(0.6)
