"""The pandas-facing prediction wrappers live once (clv.models.customer_predictions, issue 12).

The MLE models and the posterior draws of clv.bayes predict through the same
methods; a draw with one parameter set per group predicts, for each group's
customers, exactly what the MLE model at that group's parameters predicts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
from clv.bayes.predictions import PosteriorDrawBetaGeo, PosteriorDrawGammaGamma
from clv.models.customer_predictions import CustomerPredictions, SpendPredictions, TransactionPredictions

GROUPS = {"email": {"r": 0.3, "alpha": 3.0, "a": 0.6, "b": 3.0}, "search": {"r": 0.25, "alpha": 5.0, "a": 0.9, "b": 2.0}}
SPEND = {"email": {"p": 5.0, "q": 3.0, "v": 12.0}, "search": {"p": 6.0, "q": 4.0, "v": 20.0}}


@pytest.fixture(scope="module")
def rfm() -> pd.DataFrame:
    frame = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30").iloc[:600].copy()
    frame["channel"] = np.where(frame.index.to_numpy() % 2 == 0, "email", "search")
    return frame


def _draw(cls: type, params: dict) -> CustomerPredictions:
    levels = sorted(params)
    names = list(next(iter(params.values())))
    return cls({k: np.array([params[g][k] for g in levels]) for k in names}, "channel", levels)


def test_one_home_for_the_wrappers() -> None:
    for name in ("purchase_rate", "probability_alive", "expected_purchases", "conditional_pmf", "discounted_purchases",
                 "discounted_expected_transactions", "expected_purchases_curve"):
        assert getattr(clv.BetaGeo, name) is getattr(PosteriorDrawBetaGeo, name) is getattr(TransactionPredictions, name)
    assert clv.GammaGamma.expected_spend is PosteriorDrawGammaGamma.expected_spend is SpendPredictions.expected_spend
    assert issubclass(clv.BetaGeoBetaBinom, CustomerPredictions)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_a_posterior_draw_predicts_what_the_mle_model_predicts(rfm: pd.DataFrame, group: str) -> None:
    draw = _draw(PosteriorDrawBetaGeo, GROUPS)
    mle = clv.BetaGeo.from_params(GROUPS[group])
    mine = (rfm["channel"] == group).to_numpy()
    sub = rfm[mine]
    calls = {
        "purchase_rate": lambda m, d: m.purchase_rate(d),
        "p_alive": lambda m, d: m.probability_alive(d),
        "p_alive_26": lambda m, d: m.probability_alive(d, at=26),
        "expected": lambda m, d: m.expected_purchases(d, 39),
        "pmf": lambda m, d: m.conditional_pmf(d, 2, 39),
        "no_purchase": lambda m, d: m.probability_no_purchase(d, 13),
        "dert": lambda m, d: m.discounted_expected_transactions(d, 0.002),
        "loglik": lambda m, d: m.loglik(d),
        "curve": lambda m, d: m.expected_purchases_curve(d, [4.0, 20.0, 52.0]),
        "discounted": lambda m, d: m.discounted_purchases(d, [4.0, 20.0, 52.0], [0.99, 0.97, 0.93])[0],
    }
    for name, call in calls.items():
        both = np.asarray(call(draw, rfm))[mine]
        np.testing.assert_array_equal(both, np.asarray(call(mle, sub)), err_msg=name)
    spend = _draw(PosteriorDrawGammaGamma, SPEND)
    np.testing.assert_array_equal(spend.expected_spend(rfm)[mine], clv.GammaGamma.from_params(SPEND[group]).expected_spend(sub))


def test_wrappers_check_the_frame_and_the_arguments(rfm: pd.DataFrame) -> None:
    draw = _draw(PosteriorDrawBetaGeo, GROUPS)
    with pytest.raises(clv.DataError, match="recency"):
        draw.purchase_rate(rfm.drop(columns="recency"))
    with pytest.raises(clv.DataError, match="at must be"):
        draw.probability_alive(rfm, at=-1)
    with pytest.raises(clv.DataError, match="group not seen"):
        draw.expected_purchases(rfm.assign(channel="radio"), 13)
    with pytest.raises(clv.DataError, match="monetary_value"):
        _draw(PosteriorDrawGammaGamma, SPEND).expected_spend(rfm.drop(columns="monetary_value"))
