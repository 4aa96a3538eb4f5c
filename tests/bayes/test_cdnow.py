"""Plain Bayesian BG/NBD (``group=None``) on CDNOW agrees with the maximum-likelihood fit.

Reference: the MLE on the CDNOW sample (2,357 customers, weeks, calibration
end 1997-09-30), Fader, Hardie & Lee (2005), Table 1 / Fader & Hardie's
note: r 0.2426, alpha 4.4136, a 0.7929, b 2.4259. With 2,357 customers and
weakly informative priors the posterior means must lie within 10% of these
(a and b are right-skewed, so their means sit a few percent above the mode),
with 4 chains, R-hat below 1.01 and no divergent transition.
"""

from __future__ import annotations

import pytest

import clv.bayes

MLE = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_rfm):
    return clv.bayes.HierarchicalBetaGeo(group=None).fit(cdnow_rfm, draws=500, tune=500, chains=4, random_seed=42)


@pytest.mark.slow
def test_posterior_means_within_ten_percent_of_mle(cdnow_fit):
    means = cdnow_fit.group_params().xs("all")["mean"]
    for name, value in MLE.items():
        assert means[name] == pytest.approx(value, rel=0.10), name


@pytest.mark.slow
def test_diagnostics_pass_with_four_chains(cdnow_fit):
    diag = cdnow_fit.diagnostics()
    assert diag.chains == 4
    assert diag.max_rhat < 1.01
    assert diag.divergences == 0
    assert diag.passed, diag


@pytest.mark.slow
def test_compression_to_distinct_tuples(cdnow_fit, cdnow_rfm):
    assert cdnow_fit.n_unique_ == len(cdnow_rfm[["frequency", "recency", "T"]].drop_duplicates())
    assert int(cdnow_fit.group_sizes_.sum()) == len(cdnow_rfm)


@pytest.mark.slow
def test_customer_level_posterior_near_mle_predictions(cdnow_fit, cdnow_rfm):
    mle = clv.BetaGeo().fit(cdnow_rfm)
    post = cdnow_fit.probability_alive(cdnow_rfm, n_draws=400, interval=0.9)
    point = mle.probability_alive(cdnow_rfm)
    assert (post["mean"] - point).abs().max() < 0.05
    inside = ((post["lower"] - 1e-9 <= point) & (point <= post["upper"] + 1e-9)).mean()
    assert inside > 0.95
