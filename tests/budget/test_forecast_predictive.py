"""forecast_base(uncertainty="predictive"): intervals of what the base will actually buy (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, clv.BetaGeo, clv.GammaGamma]:
    """CDNOW with its 39-week holdout and the BG/NBD and Gamma-Gamma fits of the calibration period."""
    data = clv.calibration_holdout(clv.datasets.load_cdnow(), calibration_end="1997-09-30", observation_end="1998-06-30")
    return data, clv.BetaGeo().fit(data), clv.GammaGamma().fit(data)


def test_predictive_interval_is_wider_and_keeps_the_point_forecast(fitted) -> None:
    cdnow, bg, gg = fitted
    settings = {"periods": 3, "period_length": 13, "discount_rate": 0.1, "interval": 0.9, "n_draws": 300, "seed": 4}
    params = clv.forecast_base(bg, gg, cdnow, **settings)
    full = clv.forecast_base(bg, gg, cdnow, uncertainty="predictive", **settings)
    point = [c for c in params.columns if not c.endswith(("_lower", "_upper"))]
    pd.testing.assert_frame_equal(params[point], full[point])
    assert full.attrs["uncertainty"] == "predictive" and params.attrs["uncertainty"] == "parameters"
    for name in ("expected_purchases", "expected_revenue", "discounted_margin", "cumulative_repeat_purchases"):
        assert np.all(full[f"{name}_lower"] <= full[name]) and np.all(full[name] <= full[f"{name}_upper"])
        width = full[f"{name}_upper"] - full[f"{name}_lower"]
        assert np.all(width > params[f"{name}_upper"] - params[f"{name}_lower"])  # customer randomness adds spread


def test_last_cumulative_interval_is_the_predictive_total(fitted) -> None:
    """The cumulative columns come from clv.predictive's paths: at the last period they equal its total over the horizon."""
    cdnow, bg, gg = fitted
    table = clv.forecast_base(bg, gg, cdnow, periods=3, period_length=13, discount_rate=0.0, interval=0.8, n_draws=200, seed=7,
                              uncertainty="predictive")
    pred = clv.predictive(bg, gg, cdnow, horizon=39, n_sims=200, seed=7, level=0.8, checkpoints=[13, 26, 39])
    totals = pred.totals()
    observed = cdnow["frequency"].sum()
    assert table["cumulative_repeat_purchases_upper"].iloc[-1] == pytest.approx(observed + totals["purchases_upper"].iloc[0])
    assert table["cumulative_repeat_purchases_lower"].iloc[-1] == pytest.approx(observed + totals["purchases_lower"].iloc[0])
    revenue = pred.cumulative["revenue"][:, 0, -1]
    assert np.quantile(revenue, 0.9) == pytest.approx(totals["revenue_upper"].iloc[0], rel=0.01)


def test_errors(fitted) -> None:
    cdnow, bg, gg = fitted
    with pytest.raises(clv.DataError, match="basis='conditional'"):
        clv.forecast_base(bg, gg, cdnow, periods=2, period_length=13, discount_rate=0.0, interval=0.9, seed=1, basis="unconditional",
                          uncertainty="predictive")
    with pytest.raises(clv.DataError, match="seed"):
        clv.forecast_base(bg, gg, cdnow, periods=2, period_length=13, discount_rate=0.0, interval=0.9, uncertainty="predictive")
