"""Issue 17, item 2: the lifetime horizon of new-customer value.

The new-customer DERT is checked against adaptive numerical integration of
``int_0^inf exp(-delta t) dE[X(t)] = delta int_0^inf exp(-delta t) E[X(t)] dt``
(integration by parts; ``E[X(0)] = 0``) with SciPy's ``quad``, and the
lifetime value against long finite horizons with short discounting periods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.integrate import quad

import clv
from clv.channels import new_customer_curve, new_customer_dert, new_customer_lifetime_value
from clv.cli import main
from clv.valuation import continuous_rate

# Parameters of the CDNOW fits (Fader, Hardie & Lee 2005, table 1 rounding) and a Gamma-Gamma of Fader & Hardie (2013).
MODELS = [
    clv.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
    clv.ModifiedBetaGeo.from_params({"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
    clv.ParetoNBD.from_params({"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}),
]
SPEND = clv.GammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.44})


def numerical_dert(model, delta: float) -> float:
    value, _ = quad(lambda t: np.exp(-delta * t) * model.expected_purchases_new(t), 0, np.inf, limit=500, epsabs=0, epsrel=1e-11)
    return delta * value


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("rate", [0.05, 0.1, 0.3])
def test_new_customer_dert_matches_numerical_integration(model, rate) -> None:
    delta = continuous_rate(rate, "W")
    assert new_customer_dert(model, discount_rate=rate) == pytest.approx(numerical_dert(model, delta), rel=1e-8)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_lifetime_value_is_the_limit_of_long_horizons(model) -> None:
    life = new_customer_lifetime_value(model, SPEND, discount_rate=0.1, margin=0.3)
    values = [new_customer_curve(model, SPEND, np.arange(1, years * 520 + 1) / 10, discount_rate=0.1, margin=0.3)[-1]
              for years in (5, 50, 200)]
    assert values[0] < values[1] < values[2] <= life * (1 + 1e-4)  # increasing towards the lifetime value
    assert values[2] == pytest.approx(life, rel=2e-4)  # tenth-of-a-week periods: discounting within a period is all that is left


def test_lifetime_without_a_dert_kernel_integrates_the_curve() -> None:
    class CurveOnly:  # a model with expected_purchases_new only (like a limit model): the exp-sinh fallback
        def __init__(self, model):
            self.model = model

        def expected_purchases_new(self, t):
            return self.model.expected_purchases_new(t)

    for model in MODELS:
        assert new_customer_dert(CurveOnly(model), discount_rate=0.1, time_unit="W") == pytest.approx(
            new_customer_dert(model, discount_rate=0.1), rel=1e-7)


def test_lifetime_needs_a_positive_discount_rate() -> None:
    with pytest.raises(clv.DataError, match="positive annual rate"):
        new_customer_lifetime_value(MODELS[0], SPEND, discount_rate=0.0)


@pytest.fixture(scope="module")
def shop():
    channels = {"email": {"share": 0.6}, "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    sim = clv.simulate(800, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    acq = clv.read_acquisitions(sim.acquisitions)
    models = clv.fit_channel_models(rfm, acq)
    spend = clv.read_channel_spend(pd.DataFrame({"channel": ["email", "search"], "spend": [6000.0, 8000.0],
                                                 "period": ["2024-01-01/2024-07-01"] * 2}))
    return sim, rfm, acq, models, spend


def _report(shop, horizon):
    sim, rfm, acq, models, spend = shop
    scores = models.score(rfm, acq.set_index("customer_id")["channel"], horizon=horizon, discount_rate=0.1, margin=0.3)
    return clv.channel_report(scores, acq, spend=spend, transactions=sim.transactions, rfm=rfm, models=models, horizon=horizon,
                              discount_rate=0.1, margin=0.3, n_draws=5, seed=1, draw_sample=50)


def test_channel_report_shows_52_weeks_and_lifetime_side_by_side(shop) -> None:
    year, life = _report(shop, 52), _report(shop, None)
    _, _, _, models, _ = shop
    for name in ("email", "search"):
        pair = models.pair(name, models.point())
        lifetime = new_customer_lifetime_value(*pair, discount_rate=0.1, margin=0.3)
        for report in (year, life):
            assert report.table.loc[name, "ltv_new_lifetime"] == pytest.approx(lifetime, rel=1e-12)
            assert report.table.loc[name, "ltv_new_52w"] == pytest.approx(year.table.loc[name, "ltv_new"], rel=1e-12)
        assert life.table.loc[name, "ltv_new"] == pytest.approx(lifetime, rel=1e-12)
        assert life.table.loc[name, "ltv_new_to_cac"] == pytest.approx(lifetime / life.table.loc[name, "cac"])
        assert life.table.loc[name, "ltv_new_lifetime"] > life.table.loc[name, "ltv_new_52w"]
        assert life.table.loc[name, "ltv_new_lower"] <= lifetime <= life.table.loc[name, "ltv_new_upper"]
    assert life.settings["horizon"] == "lifetime" and year.settings["horizon"] == 52.0
    assert life.settings["payback_horizon"] == 261.0  # five years of weeks
    assert life.payback_curves.index[-1] == 261.0


def test_cli_horizon_accepts_lifetime_only_as_a_word(tmp_path) -> None:
    result = CliRunner().invoke(main, ["report", "-t", "x.csv", "-a", "y.csv", "--out", str(tmp_path / "r"), "--horizon", "forever"])
    assert result.exit_code == 2 and "neither a number of time units nor 'lifetime'" in result.output
