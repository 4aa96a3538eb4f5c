"""clv.predictive with posterior draws as the parameter source (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv


def test_posterior_predictive_means_totals_and_groups(small_rfm: pd.DataFrame, small_models) -> None:
    bg, gg = small_models
    pred = clv.predictive(bg, gg, small_rfm, horizon=26, n_sims=400, seed=1, n_param_draws=200, group="channel")
    # With every posterior draw used, the per-customer mean is the posterior mean of E[Y(26) | history].
    expected = bg.expected_purchases(small_rfm, 26)
    expected = np.asarray(expected).reshape(-1, len(small_rfm)).mean(axis=0)
    np.testing.assert_allclose(pred.customers["purchases_mean"], expected, rtol=1e-9)
    assert list(pred.totals().index) == ["email", "search"]
    total = pred.purchases.sum(axis=1)
    assert abs(total.mean() - expected.sum()) < 4 * total.std() / np.sqrt(len(total))
    assert np.all(pred.customers["revenue_lower"] <= pred.customers["revenue_upper"])
    assert pred.revenue.sum(axis=1).mean() == pytest.approx(float(pred.customers["revenue_mean"].sum()), rel=0.05)
    fixed = clv.predictive(bg, gg, small_rfm, horizon=26, n_sims=400, seed=1, parameter_uncertainty=False)
    assert fixed.purchases["all"].std() < total.std()  # the posterior's spread widens the total


def test_posterior_needs_its_group_column(small_rfm: pd.DataFrame, small_models) -> None:
    bg, _ = small_models
    with pytest.raises(clv.DataError, match="group column"):
        clv.predictive(bg, None, small_rfm.drop(columns="channel"), horizon=26, n_sims=50, seed=1)


def test_forecast_base_predictive_interval_from_the_posterior(small_rfm: pd.DataFrame, small_models) -> None:
    bg, gg = small_models
    settings = {"periods": 2, "period_length": 13, "discount_rate": 0.0, "interval": 0.9, "n_draws": 100, "seed": 2}
    params = clv.forecast_base(bg, gg, small_rfm, **settings)
    full = clv.forecast_base(bg, gg, small_rfm, uncertainty="predictive", **settings)
    pd.testing.assert_series_equal(params["expected_purchases"], full["expected_purchases"])
    width = full["expected_revenue_upper"] - full["expected_revenue_lower"]
    assert np.all(width > params["expected_revenue_upper"] - params["expected_revenue_lower"])


def test_customers_of_unknown_or_no_group_get_the_population_level(small_rfm: pd.DataFrame, small_models) -> None:
    """Issue 18: a posterior values customers without a known group with its population level, as the report does."""
    from clv.kernels import bgnbd

    bg, gg = small_models
    rfm = small_rfm.copy()
    rfm["channel"] = rfm["channel"].astype(object)
    rfm.iloc[:5, rfm.columns.get_loc("channel")] = "partner"  # a channel the model was not fitted on
    rfm.iloc[5:8, rfm.columns.get_loc("channel")] = None  # no acquisition record
    pred = clv.predictive(bg, gg, rfm, horizon=26, n_sims=400, seed=1, n_param_draws=200)
    pop = bg.population_param_draws(200, seed=1)
    head = rfm.iloc[:8]
    expected = np.mean([bgnbd.expected_purchases(26, *row, head["frequency"], head["recency"], head["T"])
                        for row in pop[list(bgnbd.PARAMS)].to_numpy()], axis=0)
    np.testing.assert_allclose(pred.customers["purchases_mean"].iloc[:8], expected, rtol=1e-9)
    known = clv.predictive(bg, gg, small_rfm, horizon=26, n_sims=400, seed=1, n_param_draws=200)
    pd.testing.assert_series_equal(pred.customers["purchases_mean"].iloc[8:], known.customers["purchases_mean"].iloc[8:])
    assert np.isfinite(pred.customers["revenue_mean"].iloc[:8]).all()
