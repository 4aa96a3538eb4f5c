"""The channel-total future-margin interval at scale: totals-only simulation and the sampled, scaled-up total (issue 16).

* :func:`clv.predictive.predictive_totals` draws the same totals as :func:`clv.predictive` (same bits), and its
  parameter-driven part sums the customers' exact conditional means.
* :func:`clv.channels.uncertainty.future_margin_draws` is the full simulation up to ``sample`` customers, and above it
  a seeded sample scaled up; the scaled total's mean and spread match the full simulation's (measured at 350k
  customers in benchmarks/RESULTS.md, "Session 6: report at scale"; here a small group, loose tolerances).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
from clv.channels.intervals import Valuation
from clv.channels.uncertainty import customer_level_columns, future_margin_draws
from clv.predictive import predictive_totals


@pytest.fixture(scope="module")
def fitted():
    sim = clv.simulate(6000, seed=11, start="2024-01-01", end="2025-06-30")
    rfm = clv.rfm_summary(sim.transactions, observation_end="2025-06-30")
    bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    scores = clv.customer_value(bg, gg, rfm, horizon=52, discount_rate=0.1, margin=0.3)
    return sim, rfm, bg, gg, scores["expected_revenue"].to_numpy(), scores["clv"].to_numpy()


def test_totals_only_draws_the_same_totals(fitted):
    _, rfm, bg, gg, _, _ = fitted
    full = clv.predictive(bg, gg, rfm, 26.0, n_sims=60, seed=4, group=(rfm["frequency"] > 1).to_numpy())
    only = predictive_totals(bg, gg, rfm, 26.0, n_sims=60, seed=4, group=(rfm["frequency"] > 1).to_numpy())
    pd.testing.assert_frame_equal(only.purchases, full.purchases, check_exact=True)
    pd.testing.assert_frame_equal(only.revenue, full.revenue, check_exact=True)
    # the parameter-driven part is the sum of the customers' exact conditional means (averaged over the simulations)
    assert only.purchases_mean.mean().sum() == pytest.approx(full.customers["purchases_mean"].sum(), rel=1e-9)
    assert only.revenue_mean.mean().sum() == pytest.approx(full.customers["revenue_mean"].sum(), rel=1e-9)


def test_small_groups_are_simulated_whole(fitted):
    _, rfm, bg, gg, score, _ = fitted
    got = future_margin_draws((bg, gg), rfm, score, 52.0, n_sims=50, seed=2, sample=len(rfm))
    pd.testing.assert_series_equal(got, clv.predictive(bg, gg, rfm, 52.0, n_sims=50, seed=2).revenue["all"], check_exact=True)


def test_sampled_total_matches_the_full_simulation(fitted):
    _, rfm, bg, gg, expected, value = fitted
    full = future_margin_draws((bg, gg), rfm, expected, 52.0, n_sims=200, seed=3, sample=len(rfm))
    part = future_margin_draws((bg, gg), rfm, expected, 52.0, n_sims=200, seed=3, sample=2000)
    again = future_margin_draws((bg, gg), rfm, expected, 52.0, n_sims=200, seed=3, sample=2000)
    pd.testing.assert_series_equal(part, again)  # seeded
    # the mean is the closed-form total times the sample's average change under the parameter draws
    assert part.mean() == pytest.approx(full.mean(), rel=0.005)
    assert part.std() == pytest.approx(full.std(), rel=0.2)
    # the discounted clv as auxiliary variable, and none (the plain expansion N / n), are less accurate
    assert future_margin_draws((bg, gg), rfm, value, 52.0, n_sims=200, seed=3, sample=2000).mean() == pytest.approx(full.mean(), rel=0.02)
    assert future_margin_draws((bg, gg), rfm, np.ones(len(rfm)), 52.0, n_sims=200, seed=3, sample=2000).mean() == pytest.approx(
        full.mean(), rel=0.1)


def test_channel_columns_use_the_sample_above_the_limit(fitted):
    sim, rfm, _, _, _, _ = fitted
    acq = clv.read_acquisitions(sim.acquisitions)
    models = clv.fit_channel_models(rfm, acq)
    scores = models.score(rfm, acq.set_index("customer_id")["channel"], horizon=52, discount_rate=0.1, margin=0.3)
    acq = acq.assign(scored=acq["customer_id"].isin(rfm.index), clv=scores["clv"].reindex(acq["customer_id"]).fillna(0.0).to_numpy())
    names = sorted(acq["channel"].unique())
    columns = {}
    for sample, expected in ((10**6, None), (1500, None), (1500, scores["expected_revenue"])):
        table = pd.DataFrame({"cac": np.full(len(names), 10.0)}, index=pd.Index(names, name="channel"))
        customer_level_columns(table, acq, rfm, models, Valuation(52.0, 0.1, 0.3, "W", 1.0), payback_horizon=52.0,
                               interval=0.9, n_sims=200, seed=5, sample=sample, expected_revenue=expected)
        columns[sample, expected is None] = table
    whole, sampled = columns[10**6, True], columns[1500, False]
    np.testing.assert_allclose(columns[1500, True]["future_margin_total"], whole["future_margin_total"], rtol=0.05)
    assert (sampled["future_margin_lower"] < sampled["future_margin_total"]).all()
    assert (sampled["future_margin_total"] < sampled["future_margin_upper"]).all()
    np.testing.assert_allclose(sampled["future_margin_total"], whole["future_margin_total"], rtol=0.05)
    pd.testing.assert_series_equal(sampled["share_new_paying_back"], whole["share_new_paying_back"])
