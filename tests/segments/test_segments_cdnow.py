"""Lifecycle stages validated on CDNOW's calibration/holdout split.

Data: the CDNOW 1/10th sample (Fader, Hardie & Lee 2005), calibration to
1997-09-30, holdout to 1998-06-30 (39 weeks), weeks. Stages at calibration
end come from BG/NBD (and, for the robustness test, Pareto/NBD and MBG/NBD)
with the default thresholds of :func:`clv.lifecycle_stage`.

Figures measured with this code (issue 6 report), BG/NBD: holdout purchases
per customer mature 4.17 (188 customers), growing 1.22 (245), declining 1.29
(195), churned 0.317 (1,729); share buying again 0.835 / 0.531 / 0.528 / 0.170.
"""

from __future__ import annotations

import pytest

import clv


def _rates(table):
    return table["purchases_per_customer"]


def test_holdout_rate_falls_from_mature_and_growing_to_declining_to_churned(cdnow_split):
    table = clv.stage_transitions(cdnow_split.stages, cdnow_split.holdout)
    rate = _rates(table)
    healthy = table.loc[["mature", "growing"], "holdout_purchases"].sum() / table.loc[["mature", "growing"], "customers"].sum()
    assert rate["mature"] > rate["declining"] > rate["churned"]
    assert healthy > rate["declining"]
    assert rate["growing"] > rate["churned"]
    # customers flagged churned buy at under a third of the rate of mature ones (in fact under a tenth)
    assert rate["churned"] < rate["mature"] / 3
    assert rate["churned"] < rate["mature"] / 10
    # the same ordering for the share of customers who buy again at all
    again = table["bought_again_share"]
    assert again["mature"] > again["declining"] > again["churned"]
    assert again["churned"] < 0.25


def test_measured_figures(cdnow_split):
    table = clv.stage_transitions(cdnow_split.stages, cdnow_split.holdout)
    assert table["customers"].to_dict() == {"new": 0, "growing": 245, "mature": 188, "declining": 195, "churned": 1729}
    assert _rates(table)[["growing", "mature", "declining", "churned"]].round(3).tolist() == [1.216, 4.17, 1.292, 0.317]


def test_declining_buys_less_than_healthy_customers_with_the_same_history_length(cdnow_split):
    """Declining customers are heavier buyers on average; compared at equal repeat count they buy less."""
    ch, stage = cdnow_split.holdout, cdnow_split.stages["stage"]
    for x in (1.0, 2.0):
        same = ch["frequency"] == x
        declining = ch.loc[same & (stage == "declining"), "holdout_frequency"].mean()
        growing = ch.loc[same & (stage == "growing"), "holdout_frequency"].mean()
        assert declining < growing


@pytest.mark.parametrize("model_cls", [clv.ParetoNBD, clv.ModifiedBetaGeo])
def test_ordering_holds_for_other_transaction_models(cdnow_split, model_cls):
    ch = cdnow_split.holdout
    model = model_cls().fit(ch)
    scores = clv.customer_value(model, cdnow_split.spend, ch, horizon=39, discount_rate=0.1)
    rate = _rates(clv.stage_transitions(clv.lifecycle_stage(scores, ch, model), ch))
    assert rate["mature"] > rate["declining"] > rate["churned"]
    assert rate["churned"] < rate["mature"] / 3


def test_transition_table_is_consistent(cdnow_split):
    ch = cdnow_split.holdout
    full = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1998-06-30").loc[ch.index]
    bg = clv.BetaGeo().fit(full)
    later = clv.lifecycle_stage(clv.customer_value(bg, clv.GammaGamma().fit(full), full, horizon=39, discount_rate=0.1), full, bg)
    expected = cdnow_split.model.expected_purchases(ch, 39.0)
    table = clv.stage_transitions(cdnow_split.stages, ch, expected=expected, later=later)
    assert list(table.index) == list(clv.STAGES)
    assert table["customers"].sum() == len(ch)
    assert table["share"].sum() == pytest.approx(1.0)
    assert (table["bought_again"] <= table["customers"]).all()
    assert table["holdout_purchases"].sum() == ch["holdout_frequency"].sum()
    moves = table[[f"to_{s}" for s in clv.STAGES]]
    assert (moves.sum(axis=1) == table["customers"]).all()
    # expected purchases pooled over stages equal the model's total forecast
    pooled = (table["expected_per_customer"].fillna(0) * table["customers"]).sum()
    assert pooled == pytest.approx(expected.sum())
    # churned customers mostly stay churned; nobody goes back to "new"
    assert table.loc["churned", "to_churned"] / table.loc["churned", "customers"] > 0.75
    assert moves["to_new"].sum() == 0
