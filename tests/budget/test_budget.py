"""Budgeting API: forecast of the existing base, new-customer value, maximum CAC.

Reference numbers (CDNOW 1/10th sample, weeks, calibration to 1997-09-30,
holdout to 1998-06-30), from Fader, Hardie & Lee (2005), "Counting your
customers the easy way", and its tracking chart, as recorded in
/work/shared/reference/cdnow_published.md:

* sum over customers of the conditional expected holdout purchases: 1,653.4;
* cumulative repeat transactions of the cohort at week 78, BG/NBD forecast
  about 4,160.6 (actual 4,339); 2,457 repeat transactions in calibration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv

HOLDOUT_CONDITIONAL = 1653.4
WEEK78_CUMULATIVE = 4160.6
CALIBRATION_REPEATS = 2457
HOLDOUT_ACTUAL = 1882


@pytest.fixture(scope="module")
def cdnow():
    ch = clv.calibration_holdout(clv.datasets.load_cdnow(), calibration_end="1997-09-30", observation_end="1998-06-30")
    return ch, clv.BetaGeo().fit(ch), clv.GammaGamma().fit(ch)


# -- forecast_base -------------------------------------------------------------------
def test_conditional_holdout_forecast_matches_paper(cdnow):
    ch, bg, gg = cdnow
    base = clv.forecast_base(bg, gg, ch, periods=39, period_length=1, discount_rate=0.0)
    assert base["expected_purchases"].sum() == pytest.approx(HOLDOUT_CONDITIONAL, abs=0.05)
    # cumulative since first purchase = observed calibration repeats + conditional forecast
    assert base.attrs["observed_repeat_purchases"] == CALIBRATION_REPEATS
    assert base["cumulative_repeat_purchases"].iloc[-1] == pytest.approx(CALIBRATION_REPEATS + HOLDOUT_CONDITIONAL, abs=0.05)


def test_unconditional_tracking_forecast_week78_matches_paper(cdnow):
    ch, bg, gg = cdnow
    tracking = clv.forecast_base(bg, gg, ch, periods=39, period_length=1, discount_rate=0.0, basis="unconditional")
    assert tracking["cumulative_repeat_purchases"].iloc[-1] == pytest.approx(WEEK78_CUMULATIVE, abs=0.05)
    assert str(tracking["end_date"].iloc[-1].date()) == "1998-06-30"  # week 78 of the cohort
    # holdout part of the tracking forecast = increments since the calibration end
    at_cal_end = tracking["cumulative_repeat_purchases"].iloc[-1] - tracking["expected_purchases"].sum()
    T = ch["T"].to_numpy()
    assert at_cal_end == pytest.approx(bg.expected_purchases_new(T).sum(), rel=1e-10)


def test_unconditional_basis_agrees_with_the_tracking_series(cdnow):
    """forecast_base's tracking basis and clv.tracking (calendar weeks of the cohort) give the same week-78 figure."""
    ch, bg, gg = cdnow
    series = clv.tracking(bg, clv.datasets.load_cdnow(), calibration_end="1997-09-30", observation_end="1998-06-30")
    forecast = clv.forecast_base(bg, gg, ch, periods=39, period_length=1, discount_rate=0.0, basis="unconditional")
    assert forecast["cumulative_repeat_purchases"].iloc[-1] == pytest.approx(series.at(78)["expected_cumulative"], abs=0.05)


def test_periods_are_differences_of_cumulative_expectations(cdnow):
    ch, bg, gg = cdnow
    q = clv.forecast_base(bg, gg, ch, periods=4, period_length=13, discount_rate=0.0)
    cum = np.array([bg.expected_purchases(ch, t).sum() for t in (13, 26, 39, 52)])
    np.testing.assert_allclose(q["expected_purchases"], np.diff(cum, prepend=0.0), rtol=1e-10)
    spend = gg.expected_spend(ch).to_numpy()
    rev = np.array([(spend * bg.expected_purchases(ch, t).to_numpy()).sum() for t in (13, 26, 39, 52)])
    np.testing.assert_allclose(q["expected_revenue"], np.diff(rev, prepend=0.0), rtol=1e-10)
    np.testing.assert_allclose(q["expected_margin"], q["expected_revenue"])  # margin defaults to 1


def test_discounted_total_equals_sum_of_customer_values(cdnow):
    ch, bg, gg = cdnow
    base = clv.forecast_base(bg, gg, ch, periods=12, period_length=52 / 12, discount_rate=0.12, margin=0.3)
    scores = clv.customer_value(bg, gg, ch, horizon=52, discount_rate=0.12, margin=0.3, period=52 / 12)
    assert base["discounted_margin"].sum() == pytest.approx(scores["clv"].sum(), rel=1e-10)
    assert base["cumulative_discounted_margin"].iloc[-1] == pytest.approx(scores["clv"].sum(), rel=1e-10)
    assert base["discount_factor"].is_monotonic_decreasing
    np.testing.assert_allclose(base["discounted_margin"], 0.3 * base["expected_revenue"] * base["discount_factor"])


def test_duplicated_and_shuffled_customers_scale_the_forecast(cdnow):
    ch, bg, gg = cdnow
    one = clv.forecast_base(bg, gg, ch, periods=3, period_length=13, discount_rate=0.1)
    doubled = pd.concat([ch, ch]).sample(frac=1.0, random_state=0)
    doubled.attrs = dict(ch.attrs)
    two = clv.forecast_base(bg, gg, doubled, periods=3, period_length=13, discount_rate=0.1)
    for col in ("expected_purchases", "expected_revenue", "discounted_margin", "cumulative_repeat_purchases"):
        np.testing.assert_allclose(two[col], 2 * one[col], rtol=1e-10)


def test_dates_follow_the_rfm_anchor(cdnow):
    ch, bg, gg = cdnow
    q = clv.forecast_base(bg, gg, ch, periods=2, period_length=13, discount_rate=0.1)
    assert [str(d.date()) for d in q["start_date"]] == ["1997-09-30", "1997-12-30"]
    assert q.attrs["anchor_date"] == "1997-09-30"
    plain = ch.copy()
    plain.attrs = {}
    assert "start_date" not in clv.forecast_base(bg, gg, plain, periods=2, period_length=13, discount_rate=0.1).columns


def test_purchases_only_without_spend_model(cdnow):
    ch, bg, _ = cdnow
    base = clv.forecast_base(bg, None, ch[["frequency", "recency", "T"]], periods=2, period_length=13, discount_rate=0.1)
    assert "expected_revenue" not in base.columns
    assert base["expected_purchases"].gt(0).all()


def test_bootstrap_interval_brackets_point_and_is_reproducible(cdnow):
    ch, bg, gg = cdnow
    kw = dict(periods=4, period_length=13, discount_rate=0.1, margin=0.3, interval=0.9, n_draws=60, seed=7)
    a = clv.forecast_base(bg, gg, ch, **kw)
    b = clv.forecast_base(bg, gg, ch, **kw)
    pd.testing.assert_frame_equal(a, b)
    for col in ("expected_purchases", "discounted_margin", "cumulative_discounted_margin"):
        assert (a[f"{col}_lower"] < a[col]).all() and (a[col] < a[f"{col}_upper"]).all()
    c = clv.forecast_base(bg, gg, ch, **{**kw, "seed": 8})
    assert not np.allclose(a["expected_purchases_lower"], c["expected_purchases_lower"])


def test_unconditional_interval(cdnow):
    ch, bg, gg = cdnow
    t = clv.forecast_base(bg, gg, ch, periods=39, period_length=1, discount_rate=0.0, basis="unconditional",
                          interval=0.9, n_draws=50, seed=3)
    last = t.iloc[-1]
    assert last["cumulative_repeat_purchases_lower"] < WEEK78_CUMULATIVE < last["cumulative_repeat_purchases_upper"]


@pytest.mark.parametrize("model_cls", [clv.ParetoNBD, clv.ModifiedBetaGeo])
def test_other_transaction_models(cdnow, model_cls):
    ch, _, gg = cdnow
    model = model_cls().fit(ch)
    base = clv.forecast_base(model, gg, ch, periods=39, period_length=1, discount_rate=0.0)
    # every model in the family lands near the published BG/NBD figure on CDNOW and below the 1,882 actual
    assert 1500 < base["expected_purchases"].sum() < HOLDOUT_ACTUAL
    assert np.isfinite(base.to_numpy(dtype=float, na_value=np.nan)[:, 2:]).all()


def test_heavy_buyers_stay_finite(cdnow):
    _, bg, gg = cdnow
    rfm = pd.DataFrame({"frequency": [0.0, 10_000.0, 5_000.0], "recency": [0.0, 499.0, 100.0], "T": [1.0, 500.0, 520.0],
                        "monetary_value": [0.0, 30.0, 1e5]}, index=pd.Index([1, 2, 3], name="customer_id"))
    base = clv.forecast_base(bg, gg, rfm, periods=12, period_length=4, discount_rate=0.1, interval=0.9, n_draws=20, seed=1)
    assert np.isfinite(base.drop(columns=["start", "end"]).to_numpy(dtype=float)).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"basis": "tracking"}, "basis must be"),
        ({"margin": 1.5}, "margin must lie between 0 and 1"),
        ({"periods": 0}, "periods must be a positive whole number"),
        ({"periods": 2.5}, "periods must be a positive whole number"),
        ({"period_length": -1.0}, "period_length must be positive"),
        ({"discount_rate": -2.0}, "discount_rate must be"),
        ({"interval": 0.9}, "needs an explicit seed"),
        ({"interval": 1.5, "seed": 1}, "interval must lie between 0 and 1"),
        ({"discount_rate": 10.0}, "did you mean 0.1"),
        ({"time_unit": "Y"}, "time_unit must be one of"),
    ],
)
def test_forecast_base_bad_arguments(cdnow, kwargs, message):
    ch, bg, gg = cdnow
    args = {"periods": 4, "period_length": 13, "discount_rate": 0.1, **kwargs}
    with pytest.raises(clv.DataError, match=message):
        clv.forecast_base(bg, gg, ch, **args)


def test_forecast_base_missing_column(cdnow):
    ch, bg, gg = cdnow
    with pytest.raises(clv.DataError, match="column 'monetary_value'"):
        clv.forecast_base(bg, gg, ch.drop(columns="monetary_value"), periods=2, period_length=1, discount_rate=0.1)
    with pytest.raises(clv.DataError, match="no customers"):
        clv.forecast_base(bg, gg, ch.iloc[:0], periods=2, period_length=1, discount_rate=0.1)


# -- new_customer_value ------------------------------------------------------------------
def test_new_customer_value_by_hand(cdnow):
    _, bg, gg = cdnow
    spend = gg.population_mean_spend()
    undiscounted = clv.new_customer_value(bg, gg, horizon=52, discount_rate=0.0, margin=0.3)
    row = undiscounted.loc["all"]
    assert row["expected_repeat_purchases"] == pytest.approx(bg.expected_purchases_new(52.0))
    assert row["ltv"] == pytest.approx(0.3 * spend * (1.0 + bg.expected_purchases_new(52.0)), rel=1e-12)
    assert row["first_purchase_margin"] == pytest.approx(0.3 * spend)

    # quarterly discounting at 10% a year: each quarter's purchases discounted from the quarter's end
    ends = np.array([13.0, 26.0, 39.0, 52.0])
    inc = np.diff(bg.expected_purchases_new(ends), prepend=0.0)
    factors = 1.1 ** -(ends * 7 / 365.25)
    expected = 0.3 * spend * (1.0 + inc @ factors)
    got = clv.new_customer_value(bg, gg, horizon=52, discount_rate=0.1, margin=0.3, period=13)
    assert got.loc["all", "ltv"] == pytest.approx(expected, rel=1e-12)

    repeat_only = clv.new_customer_value(bg, gg, horizon=52, discount_rate=0.1, margin=0.3, period=13, first_purchase_value=0)
    assert repeat_only.loc["all", "ltv"] == pytest.approx(expected - 0.3 * spend, rel=1e-12)
    custom = clv.new_customer_value(bg, gg, horizon=52, discount_rate=0.1, margin=0.3, period=13, first_purchase_value=50)
    assert custom.loc["all", "first_purchase_margin"] == pytest.approx(15.0)


def test_new_customer_value_grows_with_horizon_and_falls_with_discounting(cdnow):
    _, bg, gg = cdnow
    ltv = [clv.new_customer_value(bg, gg, horizon=h, discount_rate=0.1).loc["all", "ltv"] for h in (13, 52, 156)]
    assert ltv[0] < ltv[1] < ltv[2]
    low, high = (clv.new_customer_value(bg, gg, horizon=156, discount_rate=d).loc["all", "ltv"] for d in (0.0, 0.3))
    assert high < low


@pytest.fixture(scope="module")
def channels():
    sim = clv.simulate(
        3000, seed=11, start="2023-01-01", end="2024-12-31",
        channels={
            "search": {"share": 0.5, "params": {"r": 0.5, "alpha": 4.0, "a": 0.5, "b": 3.0}},
            "social": {"share": 0.3, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}},
            "email": {"share": 0.2},
        },
    )
    rfm = clv.rfm_summary(sim.transactions)
    channel = sim.customers["channel"].reindex(rfm.index)
    models = {c: clv.BetaGeo().fit(rfm[channel == c]) for c in ("search", "social", "email")}
    spend = {c: clv.GammaGamma().fit(rfm[channel == c]) for c in ("search", "social", "email")}
    return models, spend


def test_per_channel_models(channels):
    models, spend = channels
    table = clv.new_customer_value(models, spend, horizon=104, discount_rate=0.1, margin=0.4)
    assert list(table.index) == ["search", "social", "email"]
    assert table.index.name == "group"
    for name in table.index:
        single = clv.new_customer_value(models[name], spend[name], horizon=104, discount_rate=0.1, margin=0.4)
        assert table.loc[name, "ltv"] == pytest.approx(single.loc["all", "ltv"], rel=1e-12)
    # the search channel was simulated with the most purchasing and least dropout
    assert table["expected_repeat_purchases"].idxmax() == "search"
    assert table["expected_repeat_purchases"].idxmin() == "social"

    shared = clv.new_customer_value(models, spend["email"], horizon=104, discount_rate=0.1, group=["social", "email"])
    assert list(shared.index) == ["social", "email"]
    assert shared["mean_spend"].nunique() == 1
    assert list(clv.new_customer_value(models, spend, horizon=52, discount_rate=0.1, group="email").index) == ["email"]


def test_channel_models_object(channels):
    from clv.channels import ChannelModels

    models, spend = channels
    bundle = ChannelModels(dict(models), dict(spend))
    table = clv.new_customer_value(bundle, None, horizon=52, discount_rate=0.1)
    pd.testing.assert_frame_equal(table, clv.new_customer_value(models, spend, horizon=52, discount_rate=0.1))
    with pytest.raises(clv.DataError, match="pass spend_model=None"):
        clv.new_customer_value(bundle, spend, horizon=52, discount_rate=0.1)


def test_per_channel_interval(channels):
    models, spend = channels
    kw = dict(horizon=104, discount_rate=0.1, margin=0.4, interval=0.9, n_draws=40, seed=5)
    a = clv.new_customer_value(models, spend, **kw)
    pd.testing.assert_frame_equal(a, clv.new_customer_value(models, spend, **kw))
    assert ((a["ltv_lower"] < a["ltv"]) & (a["ltv"] < a["ltv_upper"])).all()


def test_new_customer_value_errors(cdnow, channels):
    _, bg, gg = cdnow
    models, spend = channels
    with pytest.raises(clv.DataError, match="group 'tv' not found"):
        clv.new_customer_value(models, spend, horizon=52, discount_rate=0.1, group="tv")
    with pytest.raises(clv.DataError, match="needs per-group models"):
        clv.new_customer_value(bg, gg, horizon=52, discount_rate=0.1, group="search")
    with pytest.raises(clv.DataError, match="no entry for group 'email'"):
        clv.new_customer_value(models, {"search": gg, "social": gg}, horizon=52, discount_rate=0.1)
    with pytest.raises(clv.DataError, match="dict of spend models needs a dict"):
        clv.new_customer_value(bg, spend, horizon=52, discount_rate=0.1)
    with pytest.raises(clv.DataError, match="first_purchase_value"):
        clv.new_customer_value(bg, gg, horizon=52, discount_rate=0.1, first_purchase_value=-1)
    with pytest.raises(clv.DataError, match="horizon must be positive"):
        clv.new_customer_value(bg, gg, horizon=0, discount_rate=0.1)
    with pytest.raises(clv.NotFittedError):
        clv.new_customer_value(clv.BetaGeo(), gg, horizon=52, discount_rate=0.1)


def test_bayesian_models_without_draws_are_refused_clearly(cdnow):
    ch, _, gg = cdnow
    fake = type("HierarchicalBetaGeo", (), {"__module__": "clv.bayes.beta_geo"})()
    with pytest.raises(TypeError, match=r"from clv\.bayes provides no group_param_draws"):
        clv.new_customer_value(fake, gg, horizon=52, discount_rate=0.1)
    with pytest.raises(TypeError, match="provides no group_param_draws"):
        clv.forecast_base(fake, gg, ch, periods=2, period_length=1, discount_rate=0.1)


# -- max_cac -----------------------------------------------------------------------------
def test_max_cac_ratio_and_payback(cdnow):
    _, bg, gg = cdnow
    kw = dict(discount_rate=0.1, margin=0.3)
    ltv3y = clv.new_customer_value(bg, gg, horizon=156, **kw).loc["all", "ltv"]
    ltv6m = clv.new_customer_value(bg, gg, horizon=26, **kw).loc["all", "ltv"]
    caps = clv.max_cac(bg, gg, target_ratio=3, horizon=156, payback=26, **kw)
    assert caps.loc["all", "max_cac_ratio"] == pytest.approx(ltv3y / 3)
    assert caps.loc["all", "max_cac_payback"] == pytest.approx(ltv6m)
    assert caps.loc["all", "max_cac"] == pytest.approx(min(ltv3y / 3, ltv6m))
    assert caps.loc["all", "binding"] == ("ratio" if ltv3y / 3 < ltv6m else "payback")
    # a lax ratio lets the payback target bind
    lax = clv.max_cac(bg, gg, target_ratio=1, horizon=156, payback=26, **kw)
    assert lax.loc["all", "binding"] == "payback"
    only_payback = clv.max_cac(bg, gg, payback=52, **kw)
    assert list(only_payback.columns) == ["channel", "max_cac_payback", "max_cac", "binding"]  # issue 12: a channel column


def test_max_cac_per_channel_with_interval(channels):
    models, spend = channels
    caps = clv.max_cac(models, spend, discount_rate=0.1, margin=0.4, target_ratio=3, horizon=104, payback=52,
                       interval=0.9, n_draws=40, seed=2)
    assert list(caps.index) == ["search", "social", "email"]
    assert ((caps["max_cac_lower"] <= caps["max_cac"]) & (caps["max_cac"] <= caps["max_cac_upper"])).all()
    assert set(caps["binding"]) <= {"ratio", "payback"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs target_ratio"),
        ({"target_ratio": 3}, "target_ratio needs horizon"),
        ({"target_ratio": 0, "horizon": 52}, "target_ratio must be a positive number"),
        ({"payback": 26, "margin": -0.1}, "margin must lie between 0 and 1"),
        ({"payback": 26, "interval": 0.9}, "needs an explicit seed"),
    ],
)
def test_max_cac_errors(cdnow, kwargs, message):
    _, bg, gg = cdnow
    with pytest.raises(clv.DataError, match=message):
        clv.max_cac(bg, gg, discount_rate=0.1, **kwargs)


def test_public_names():
    for name in ("forecast_base", "new_customer_value", "max_cac"):
        assert name in clv.__all__
        assert callable(getattr(clv, name))


def test_failed_bootstrap_draws_are_counted_and_left_out():
    from clv.budget.groups import drop_failed as _drop_failed
    from clv.budget.groups import quantiles as _quantiles

    draws = np.array([[1.0, 2.0], [np.nan, 3.0], [3.0, 4.0], [2.0, np.inf]])
    with pytest.warns(clv.ClvWarning, match="2 of 4 parameter draws"):
        kept, failed = _drop_failed(draws)
    assert failed == 2
    lower, upper = _quantiles(kept, 0.5)
    np.testing.assert_allclose([lower, upper], [[1.5, 2.5], [2.5, 3.5]])  # quantiles of the two finite draws only
    with pytest.raises(clv.DataError, match="all 2 parameter draws"):
        _drop_failed(np.full((2, 3), np.nan))


def test_interval_without_standard_errors_is_refused(cdnow):
    ch, bg, gg = cdnow
    data = bg.to_dict()
    data["result"]["cov_log"] = [[float("nan")] * 4 for _ in range(4)]
    no_se = clv.BetaGeo._from_dict(data)
    with pytest.raises(clv.DataError, match="standard errors are not available"):
        clv.forecast_base(no_se, gg, ch, periods=2, period_length=1, discount_rate=0.1, interval=0.9, seed=1)
    # the point forecast needs no standard errors
    point = clv.forecast_base(no_se, gg, ch, periods=2, period_length=1, discount_rate=0.1)
    assert point["expected_purchases"].gt(0).all()
