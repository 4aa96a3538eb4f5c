"""The posterior-draws path of the channel report, fed by a stand-in that implements PosteriorDraws.

clv.bayes is built separately; this stand-in draws each channel's parameters
from its MLE's asymptotic normal and returns them in the documented long
format, so the report's Bayesian path is exercised end to end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
from clv.channels import PosteriorChannelModels, PosteriorDraws


class StandIn:
    def __init__(self, fits: dict[str, object]) -> None:
        self.fits = fits

    def group_param_draws(self, n_draws: int, *, seed: int) -> pd.DataFrame:
        # like clv.bayes: draw numbers are positions in this model's own sample, chosen with the seed
        numbers = np.sort(np.random.default_rng(seed).choice(1000, size=n_draws, replace=False))
        frames = []
        for i, (name, model) in enumerate(sorted(self.fits.items())):
            draws = model.result_.sample_params(n_draws, seed=seed + i)
            frames.append(draws.assign(draw=numbers, group=name))
        return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def small():
    sim = clv.simulate(3000, seed=5, start="2024-01-01", end="2025-06-30", channels={
        "good": {"share": 0.5, "params": {"r": 0.8, "alpha": 8.0, "a": 0.6, "b": 4.0}},
        "poor": {"share": 0.5, "params": {"r": 0.3, "alpha": 10.0, "a": 1.2, "b": 1.8}},
    })
    tx = sim.transactions
    acq = clv.read_acquisitions(sim.acquisitions.assign(cost=np.where(sim.acquisitions["channel"] == "good", 15.0, 40.0)))
    rfm = clv.rfm_summary(tx, observation_end="2025-06-30")
    mle = clv.fit_channel_models(rfm, acq)
    return tx, acq, rfm, mle


def test_posterior_path_end_to_end(small) -> None:
    tx, acq, rfm, mle = small
    tms = {c: m for c, m in mle.transaction_models.items()}
    sms = {c: m for c, m in mle.spend_models.items()}
    models = PosteriorChannelModels(StandIn(tms), StandIn(sms))
    assert isinstance(StandIn(tms), PosteriorDraws)
    scores = models.score(rfm, acq.set_index("customer_id")["channel"], horizon=52, discount_rate=0.1, margin=0.3,
                          n_draws=20, seed=3)
    report = clv.channel_report(scores, acq, transactions=tx, rfm=rfm, models=models, horizon=52, discount_rate=0.1,
                                margin=0.3, n_draws=20, seed=3)
    t = report.table
    assert report.settings["model"].startswith("posterior draws")
    assert t.loc["good", "ltv_to_cac"] > 1 > t.loc["poor", "ltv_to_cac"]
    assert t.loc["good", "prob_ltv_exceeds_cac"] > 0.9 and t.loc["poor", "prob_ltv_exceeds_cac"] < 0.1
    for name in ("good", "poor"):
        assert t.loc[name, "ltv_new_lower"] <= t.loc[name, "ltv_new"] <= t.loc[name, "ltv_new_upper"]
        assert t.loc[name, "ltv_lower"] < t.loc[name, "ltv_upper"]
    # posterior-mean figures agree with the MLE ones at these sample sizes
    point = clv.channel_report(mle.score(rfm, acq.set_index("customer_id")["channel"], horizon=52, discount_rate=0.1,
                                         margin=0.3), acq, transactions=tx, models=mle, horizon=52, discount_rate=0.1,
                               margin=0.3, n_draws=0)
    assert np.allclose(t.loc[["good", "poor"], "ltv_new"], point.table.loc[["good", "poor"], "ltv_new"], rtol=0.05)


def test_model_without_draws_is_refused(small) -> None:
    _, _, _, mle = small
    with pytest.raises(clv.DataError, match="does not provide group_param_draws"):
        PosteriorChannelModels(mle.transaction_models["*"], mle.spend_models["*"])


def test_posterior_needs_draws(small) -> None:
    tx, acq, rfm, mle = small
    models = PosteriorChannelModels(StandIn(dict(mle.transaction_models)), StandIn(dict(mle.spend_models)))
    scores = pd.DataFrame({"clv": 0.0}, index=rfm.index)
    with pytest.raises(clv.DataError, match="needs n_draws > 0"):
        clv.channel_report(scores, acq, transactions=tx, rfm=rfm, models=models, n_draws=0)


def test_bootstrap_is_reproducible(small) -> None:
    tx, acq, rfm, mle = small
    scores = mle.score(rfm, acq.set_index("customer_id")["channel"], horizon=26, discount_rate=0.1, margin=0.3)
    kw = dict(transactions=tx, rfm=rfm, models=mle, horizon=26, discount_rate=0.1, margin=0.3, n_draws=15)
    a = clv.channel_report(scores, acq, seed=4, **kw).table
    b = clv.channel_report(scores, acq, seed=4, **kw).table
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(clv.DataError, match="explicit seed"):
        clv.channel_report(scores, acq, **kw)
