"""Issue 17: the headline is new-customer LTV / CAC, own costs replace spend shares, and the reconciliation totals the base.

Hand-computed case (margin 0.5, no discounting, horizon 52 weeks), with stub
channel models whose new customer is worth ``50 + 5 t`` (new-customer LTV 310):

* search: customers 1, 2, 3 acquired in January (spend 300 -> 100 each);
  customer 3 has its own cost 40, which replaces its share (100), so search's
  spend is 100 + 100 + 40 = 240 and CAC 80, never 300 + 40. Revenue 100, 200,
  0 -> realized 50, 100, 0; future clv 30, 60, 0; existing value 80 per customer,
  existing value:CAC 1.0; new-customer LTV:CAC 310 / 80.
* email: customer 5 with own cost 400: existing value 60 (ratio 0.15), new
  customer 310 / 400 = 0.775 (does not pay back).
* customer 6 bought (revenue 20 -> realized 10, future 7) but has no acquisition record.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_channels_arithmetic import FixedSpend, LinearPurchases  # the stub models of the hand-computed case

import clv
from clv.channels import ChannelModels
from clv.data import read_acquisitions, read_channel_spend


@pytest.fixture(scope="module")
def small():
    tx = clv.read_transactions(pd.DataFrame({
        "customer_id": [1, 2, 3, 5, 6, 6],
        "date": ["2024-01-05", "2024-01-20", "2024-01-22", "2024-01-09", "2024-01-02", "2024-04-01"],
        "amount": [100.0, 200.0, 0.0, 80.0, 10.0, 10.0],
    }))
    acq = clv.read_acquisitions(pd.DataFrame({
        "customer_id": [1, 2, 3, 5],
        "channel": ["search", "search", "search", "email"],
        "acquired_at": ["2024-01-05", "2024-01-20", "2024-01-22", "2024-01-09"],
        "cost": ["", "", "40", "400"],
    }))
    spend = clv.read_channel_spend(pd.DataFrame({"channel": ["search"], "period": ["2024-01"], "spend": [300.0]}))
    scores = pd.DataFrame({"clv": [30.0, 60.0, 0.0, 20.0, 7.0]}, index=pd.Index([1, 2, 3, 5, 6], name="customer_id"))
    models = ChannelModels({"*": LinearPurchases()}, {"*": FixedSpend()})
    return clv.channel_report(scores, acq, spend=spend, transactions=tx, models=models, horizon=52, discount_rate=0.0,
                              margin=0.5, n_draws=0, observation_end="2024-06-30")


def test_headline_is_new_customer_ltv_to_cac(small) -> None:
    t = small.table
    assert list(t.columns).index("ltv_new_to_cac") == list(t.columns).index("ltv_new") + 1
    assert t.loc["search", "ltv_new_to_cac"] == pytest.approx(310 / 80)
    assert t.loc["search", "ltv_to_cac"] == pytest.approx(1.0)
    assert t.loc["email", "ltv_new_to_cac"] == pytest.approx(310 / 400)
    assert small.settings["headline_ratio"] == "ltv_new_to_cac"
    assert list(t.index) == ["search", "email"]
    assert set(small.to_dict()["definitions"]) >= {"ltv_new", "ltv_new_to_cac", "ltv_expected", "ltv_to_cac"}


def test_own_cost_replaces_its_share_of_channel_spend(small) -> None:
    t, r = small.table, small.reconciliation
    assert t.loc["search", "spend"] == pytest.approx(240.0)
    assert t.loc["search", "cac"] == pytest.approx(80.0)
    assert r["spend_replaced_by_own_cost"] == {"search": pytest.approx(100.0)}
    assert small.customers.loc[[1, 2, 3], "cost"].tolist() == [100.0, 100.0, 40.0]


def test_reconciliation_totals_the_whole_base(small) -> None:
    rows = {row["group"].split()[0]: row for row in small.reconciliation["value_totals"]}
    assert rows["attributed"]["realized_value"] == pytest.approx(0.5 * 380)
    assert rows["attributed"]["future_value"] == pytest.approx(110.0)
    assert rows["unattributed"]["customers"] == 1
    assert rows["unattributed"]["realized_value"] == pytest.approx(10.0)
    assert rows["unattributed"]["future_value"] == pytest.approx(7.0)
    for key in ("customers", "realized_value", "future_value", "total_value"):
        assert rows["total"][key] == pytest.approx(rows["attributed"][key] + rows["unattributed"][key])
    assert rows["total"]["share_of_value"] == pytest.approx(1.0)


def test_report_verdict_uses_the_headline(small, tmp_path) -> None:
    from clv.reports import write_report

    out = write_report(small, tmp_path / "r")
    summary = json.loads((out / "summary.json").read_text())
    verdict = summary["sections"]["summary"]
    assert verdict["ratio"] == "ltv_new_to_cac"
    assert verdict["pays_back"] == ["search"] and verdict["does_not_pay_back"] == ["email"]
    recon = pd.read_csv(out / "reconciliation.csv")
    assert recon["group"].str.startswith("total").iloc[-1]
    html = (out / "index.html").read_text()
    assert "new-customer LTV:CAC" in html and 'title="Headline LTV:CAC' in html


def test_demo_acquisitions_with_own_costs_do_not_double_count() -> None:
    """The issue's case: own costs on part of paid search must not raise its spend above the spend table (339,925.34)."""
    from clv.datasets import data_path

    acq = read_acquisitions(str(data_path("demo/acquisitions.csv")))
    spend = read_channel_spend(str(data_path("demo/channel_spend.csv")))
    search = np.flatnonzero(acq["channel"].to_numpy() == "paid search")[:1000]
    acq.loc[search, "cost"] = 40.0
    scores = pd.DataFrame({"clv": 0.0, "revenue_to_date": 0.0}, index=pd.Index(acq["customer_id"], name="customer_id"))
    report = clv.channel_report(scores, acq, spend=spend, margin=0.3, n_draws=0, observation_end="2025-12-31")
    replaced = report.reconciliation["spend_replaced_by_own_cost"]["paid search"]
    total = report.table.loc["paid search", "spend"]
    assert replaced > 0
    assert total == pytest.approx(spend.loc[spend["channel"] == "paid search", "spend"].sum() - replaced + 1000 * 40.0)
    assert total < 339_925.34 + 1000 * 40.0 - 1.0
