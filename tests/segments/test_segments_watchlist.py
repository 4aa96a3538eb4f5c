"""The churn-risk watchlist, the per-customer table and the lifecycle mix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv


@pytest.fixture(scope="module")
def table(cdnow_split):
    return clv.customer_segments(cdnow_split.scores, cdnow_split.holdout, cdnow_split.model)


def test_customer_segments_columns(table, cdnow_split):
    for col in ("p_alive", "clv", "frequency", "since_last_purchase", "stage", "activity", "segment", "value_tier", "value_at_risk"):
        assert col in table.columns
    assert table.index.equals(cdnow_split.scores.index)
    assert np.allclose(table["since_last_purchase"], cdnow_split.holdout["T"] - cdnow_split.holdout["recency"])
    assert np.allclose(table["value_at_risk"], table["clv"] * table["churn_probability"])


def test_watchlist_order_and_columns(table):
    top = clv.churn_watchlist(table, top=25)
    assert len(top) == 25 and top["rank"].tolist() == list(range(1, 26))
    assert top["value_at_risk"].is_monotonic_decreasing
    assert list(top.columns) == [
        "rank", "stage", "qualifies", "clv", "p_alive", "value_at_risk", "value_tier", "segment", "since_last_purchase",
        "frequency", "monetary_value", "churn_probability", "activity", "expected_purchases",
    ]
    assert set(top["stage"]) == {"declining"}  # only customers whose activity has dropped, by default
    assert set(top["qualifies"]) == {"declining stage"} and top.attrs["qualifies"] == "declining stage"
    rest = table[table["stage"] == "declining"]
    assert top["value_at_risk"].iloc[-1] >= rest["value_at_risk"].drop(top.index).max()


def test_watchlist_from_scores_rfm_and_stages(cdnow_split, table):
    via_parts = clv.churn_watchlist(cdnow_split.scores, top=25, rfm=cdnow_split.holdout, stages=cdnow_split.stages)
    via_table = clv.churn_watchlist(table, top=25)
    assert via_parts.index.equals(via_table.index)
    cols = [c for c in via_parts.columns if c != "segment"]
    pd.testing.assert_frame_equal(via_parts[cols], via_table[cols], check_categorical=False)


def test_watchlist_from_scores_alone(cdnow_split):
    top = clv.churn_watchlist(cdnow_split.scores, top=10, qualify="all")
    assert "stage" not in top.columns and "value_tier" in top.columns
    everyone = clv.churn_watchlist(cdnow_split.scores, top=None, qualify="all")
    assert len(everyone) == len(cdnow_split.scores)  # nothing excluded without stages
    assert top.index.equals(everyone.index[:10])
    # without stages the default keeps the declining P(alive) band
    band = clv.churn_watchlist(cdnow_split.scores, top=None)
    assert band["p_alive"].between(0.3, 0.6, inclusive="left").all()
    assert len(band) == cdnow_split.scores["p_alive"].between(0.3, 0.6, inclusive="left").sum()


def test_watchlist_stage_filters(table):
    keep_all = clv.churn_watchlist(table, top=None, qualify="all", exclude_stages=())
    assert len(keep_all) == len(table)
    default = clv.churn_watchlist(table, top=None)
    assert len(default) == (table["stage"] == "declining").sum()
    not_churned = clv.churn_watchlist(table, top=None, qualify="all")
    assert len(not_churned) == (table["stage"] != "churned").sum()
    no_decline = clv.churn_watchlist(table, top=None, qualify="all", exclude_stages=("churned", "declining"))
    assert set(no_decline["stage"]) <= {"new", "growing", "mature"}
    # tiers are computed over all customers, before filtering
    assert (default["value_tier"] == table.loc[default.index, "value_tier"]).all()


def test_watchlist_ties_keep_input_order():
    scores = pd.DataFrame({"p_alive": [0.5] * 4, "churn_probability": [0.5] * 4, "clv": [10.0, 20.0, 10.0, 20.0]},
                          index=pd.Index(["d", "c", "b", "a"], name="customer_id"))
    assert clv.churn_watchlist(scores, top=None).index.tolist() == ["c", "a", "d", "b"]


def test_watchlist_crm_columns():
    tx = clv.read_transactions(pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3], "amount": [10.0, 30.0, 20.0, 5.0, 7.0, 100.0],
        "date": ["2024-01-01", "2024-02-01", "2024-02-01", "2024-01-10", "2024-03-01", "2024-03-05"]}))
    rfm = clv.rfm_summary(tx, observation_end="2024-03-31")
    scores = pd.DataFrame({"p_alive": [0.5, 0.4, 0.9], "churn_probability": [0.5, 0.6, 0.1], "clv": [40.0, 10.0, 80.0]},
                          index=rfm.index)
    watch = clv.churn_watchlist(scores, rfm=rfm, transactions=tx, channel=pd.Series({1: "email", 2: "search"}))
    assert watch.index.tolist() == [1, 2]  # customer 3 (P(alive) 0.9) does not qualify
    assert watch.loc[1, "last_purchase"] == pd.Timestamp("2024-02-01") and watch.loc[1, "purchases"] == 2
    assert watch.loc[1, "aov"] == 30.0  # (10 + 30 + 20) / 2 purchase days, the first purchase included
    assert watch.loc[1, "monetary_value"] == 50.0  # repeat purchases only
    assert watch["channel"].tolist() == ["email", "search"]
    assert list(watch.columns[:10]) == ["rank", "channel", "qualifies", "last_purchase", "purchases", "aov", "clv", "p_alive",
                                        "value_at_risk", "value_tier"]


def test_watchlist_bad_arguments(cdnow_split):
    scores = cdnow_split.scores
    with pytest.raises(clv.DataError, match="top must be a positive whole number"):
        clv.churn_watchlist(scores, top=0)
    with pytest.raises(clv.DataError, match="exclude_stages needs lifecycle stages"):
        clv.churn_watchlist(scores, qualify="all", exclude_stages=("churned",))
    with pytest.raises(clv.DataError, match="exclude_stages applies to qualify='all'"):
        clv.churn_watchlist(scores, exclude_stages=("churned",))
    with pytest.raises(clv.DataError, match="qualify must be"):
        clv.churn_watchlist(scores, qualify="some")
    with pytest.raises(clv.DataError, match="unknown stage 'gone'"):
        clv.churn_watchlist(scores, stages=cdnow_split.stages, qualify="all", exclude_stages=("gone",))
    with pytest.raises(clv.DataError, match="column 'clv': missing from the score table"):
        clv.churn_watchlist(scores.drop(columns="clv"))


def test_lifecycle_mix_per_channel(table):
    channel = pd.Series(np.where(table.index.to_numpy() % 3 == 0, "search", "social"), index=table.index, name="channel")
    channel = channel.iloc[:-5]  # five customers without a channel
    mix = clv.lifecycle_mix(table, by=channel)
    assert mix.index.tolist() == ["(unassigned)", "search", "social", "all"]
    assert mix.index.name == "channel"
    assert mix.loc["(unassigned)", "customers"] == 5
    assert mix.loc["all", "customers"] == len(table) == mix["customers"].iloc[:-1].sum()
    assert np.allclose(mix[list(clv.STAGES)].sum(axis=1), 1.0)
    assert np.allclose(mix[list(clv.VALUE_TIERS)].sum(axis=1), 1.0)
    overall = table["stage"].value_counts(normalize=True)
    assert mix.loc["all", "churned"] == pytest.approx(overall["churned"])
    single = clv.lifecycle_mix(table)
    assert single.index.tolist() == ["all"] and single.loc["all", "customers"] == len(table)


def test_lifecycle_mix_bad_inputs(table):
    with pytest.raises(clv.DataError, match="column 'region': missing"):
        clv.lifecycle_mix(table, by="region")
    with pytest.raises(clv.DataError, match="column 'stage': unknown stage 'gone'"):
        clv.lifecycle_mix(table.assign(stage="gone"))
    with pytest.raises(clv.DataError, match="column 'stage': missing"):
        clv.lifecycle_mix(table.drop(columns="stage"))
