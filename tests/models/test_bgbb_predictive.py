"""clv.predictive for BG/BB (discrete opportunities): the simulated distribution against the exact PMF (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

import clv


def test_bgbb_predictive_matches_the_exact_pmf_and_means() -> None:
    donations = clv.datasets.load_donations()
    model = clv.BetaGeoBetaBinom().fit(donations, weights="weights")
    base = donations.loc[donations.index.repeat(donations["weights"])].reset_index(drop=True)  # the 11,104 donors
    base["none"] = 0.0
    pred = clv.predictive(model, None, base, horizon=5, n_sims=4000, seed=3, parameter_uncertainty=False, observed="none",
                          checkpoints=[1, 3, 5])
    expected = model.expected_purchases(base, 5)
    np.testing.assert_allclose(pred.customers["purchases_mean"], expected, rtol=1e-12)
    # P(no purchase in the next 5 opportunities) per history: simulated vs the exact conditional PMF, within 4 SE.
    first = ~base.duplicated(["frequency", "recency", "n_periods"])
    simulated = pred.customers.loc[first, "purchases_cdf_at"].to_numpy()
    exact = model.conditional_pmf(base[first], 0, 5).to_numpy()
    se = np.sqrt(exact * (1 - exact) / 4000)
    assert np.all(np.abs(simulated - exact) < 4 * se + 1e-12)
    paths = pred.cumulative["purchases"][:, 0, :]
    for k, m in enumerate([1, 3, 5]):
        total = model.expected_purchases(base, m).sum()
        assert abs(paths[:, k].mean() - total) < 4 * paths[:, k].std() / np.sqrt(len(paths))
    with pytest.raises(clv.DataError, match="whole"):
        clv.predictive(model, None, base, horizon=2.5, n_sims=10, seed=1)
