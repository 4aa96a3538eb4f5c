"""Units and rates cannot be mixed up silently (issue 11, item 6)."""

from __future__ import annotations

import inspect

import pytest

import clv
from clv.valuation import DEFAULT_MARGIN

MONTH_IN_WEEKS = 30.4375 / 7


@pytest.fixture(scope="module")
def cdnow():
    tx = clv.datasets.load_cdnow()
    weekly = clv.rfm_summary(tx, observation_end="1997-09-30")
    monthly = clv.rfm_summary(tx, observation_end="1997-09-30", time_unit="M")
    return weekly, monthly, clv.BetaGeo().fit(weekly), clv.BetaGeo().fit(monthly), clv.GammaGamma().fit(weekly)


def test_models_record_save_and_load_their_unit(cdnow, tmp_path) -> None:
    _weekly, _monthly, bg, bg_m, gg = cdnow
    assert (bg.time_unit_, bg_m.time_unit_, gg.time_unit_) == ("W", "M", "W")
    assert clv.load_model(bg_m.save(tmp_path / "m.json")).time_unit_ == "M"
    assert clv.BetaGeo.from_params(dict(bg.params_)).time_unit_ is None
    # The conversion is the MLE of the other unit: alpha scales with the unit, r, a, b do not.
    converted = bg.in_time_unit("M")
    for name in bg.param_names:
        assert converted.params_[name] == pytest.approx(bg_m.params_[name], rel=1e-6)
    pnbd = clv.ParetoNBD.from_params({"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}, time_unit="W").in_time_unit("D")
    assert pnbd.params_.to_dict() == pytest.approx({"r": 0.55, "alpha": 74.2, "s": 0.61, "beta": 81.9})


def test_weekly_fit_valued_in_months(cdnow) -> None:
    """The issue's example: a weekly CDNOW fit valued with time_unit="M".

    ``new_customer_value(bg, gg, horizon=52, discount_rate=0.1, margin=0.3)`` is 25.19 (52 weeks). Asked for 12
    months, the weekly model used to return 15.59: the horizon was read as 12 weeks of purchases, discounted as
    if they were months. Now the model's rates are converted: 12 months give 25.18 (52.18 weeks, discounted monthly).
    """
    _weekly, _monthly, bg, bg_m, gg = cdnow
    ask = {"discount_rate": 0.1, "margin": 0.3}
    weeks52 = clv.new_customer_value(bg, gg, horizon=52, **ask)["ltv"].item()
    months12 = clv.new_customer_value(bg, gg, horizon=12, time_unit="M", **ask)["ltv"].item()
    assert round(weeks52, 2) == 25.19
    assert round(months12, 2) == 25.18 != 15.59
    assert months12 == pytest.approx(clv.new_customer_value(bg_m, gg, horizon=12, **ask)["ltv"].item(), rel=1e-9)
    in_weeks = clv.new_customer_value(bg, gg, horizon=12 * MONTH_IN_WEEKS, period=MONTH_IN_WEEKS, **ask)["ltv"].item()
    assert months12 == pytest.approx(in_weeks, rel=1e-9)

    caps = clv.max_cac(bg, gg, target_ratio=3, horizon=36, payback=6, time_unit="M", **ask)
    same = clv.max_cac(bg_m, gg, target_ratio=3, horizon=36, payback=6, **ask)
    assert caps["max_cac"].item() == pytest.approx(same["max_cac"].item(), rel=1e-9)


def test_customer_value_and_forecast_convert_model_and_frame(cdnow) -> None:
    weekly, monthly, bg, bg_m, gg = cdnow
    ask = {"horizon": 12, "discount_rate": 0.1, "time_unit": "M"}
    truth = clv.customer_value(bg_m, gg, monthly, **ask)
    for model, frame in ((bg, weekly), (bg, monthly), (bg_m, weekly)):
        got = clv.customer_value(model, gg, frame, **ask)
        assert (got - truth).abs().max().max() < 1e-8
    # Without time_unit, the model's own unit is used.
    default = clv.customer_value(bg, gg, weekly, horizon=52, discount_rate=0.1)
    assert (default - clv.customer_value(bg, gg, weekly, horizon=52, discount_rate=0.1, time_unit="W")).abs().max().max() == 0
    base_m = clv.forecast_base(bg, gg, weekly, periods=4, period_length=3, discount_rate=0.1, time_unit="M")
    truth_m = clv.forecast_base(bg_m, gg, monthly, periods=4, period_length=3, discount_rate=0.1)
    assert base_m["discounted_margin"].to_numpy() == pytest.approx(truth_m["discounted_margin"].to_numpy(), rel=1e-8)


@pytest.mark.parametrize("rate", [10.0, 1.5])
def test_annual_rates_above_one_are_refused(cdnow, rate) -> None:
    weekly, _, bg, _, gg = cdnow
    with pytest.raises(clv.DataError, match=f"did you mean {rate / 100:g}"):
        clv.customer_value(bg, gg, weekly, horizon=52, discount_rate=rate)
    with pytest.raises(clv.DataError, match="more than 100% a year"):
        clv.new_customer_value(bg, gg, horizon=52, discount_rate=rate)


def test_one_margin_default_everywhere() -> None:
    import clv.spark
    from clv.cli import main

    functions = [clv.customer_value, clv.new_customer_value, clv.max_cac, clv.forecast_base, clv.channel_report,
                 clv.spark.report_inputs, clv.spark.score]
    defaults = {f.__name__: inspect.signature(f).parameters["margin"].default for f in functions}
    assert set(defaults.values()) == {DEFAULT_MARGIN} == {1.0}, defaults
    for command in ("score", "report"):
        option = next(p for p in main.commands[command].params if p.name == "margin")
        assert option.default == DEFAULT_MARGIN


def test_a_model_that_cannot_convert_is_refused_in_another_unit() -> None:
    from clv.valuation import in_time_unit

    class Posterior:  # like clv.bayes models: records its unit, has no in_time_unit
        time_unit_ = "W"

    model = Posterior()
    assert in_time_unit(model, "W", "customer_value") is model
    with pytest.raises(clv.DataError, match="fitted with time_unit 'W' and cannot be converted to 'M'; pass time_unit='W'"):
        in_time_unit(model, "M", "customer_value")
