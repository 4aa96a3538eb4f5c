"""Customers without a group are valued with the population level of the posterior (issue 18, item 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import clv


def test_population_draws_feed_the_pooled_group(small_models, small_rfm):
    bg, gg = small_models
    t = bg.population_param_draws(20, seed=1)
    s = gg.population_param_draws(20, seed=1)
    assert list(t.columns) == ["draw", "group", "r", "alpha", "a", "b"] and (t["group"] == "*").all()
    assert len(t) == 20 and np.isfinite(t[["r", "alpha", "a", "b"]].to_numpy()).all()
    assert np.isfinite(s[["p", "q", "v"]].to_numpy()).all()
    pd.testing.assert_frame_equal(t, bg.population_param_draws(20, seed=1))

    models = clv.PosteriorChannelModels(bg, gg)
    draws = models.draws(10, seed=2)
    assert all("*" in d for d in draws)
    channel = small_rfm["channel"].copy()
    channel.iloc[:5] = np.nan  # five customers without a channel
    scores = models.score(small_rfm, channel.dropna(), horizon=26, discount_rate=0.1, n_draws=10, seed=2)
    assert np.isfinite(scores["clv"]).all()
