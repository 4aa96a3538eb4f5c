"""Covariate mechanics of the MLE models: derivatives, encoding, errors, predictions, persistence."""

import numpy as np
import pandas as pd
import pytest

import clv
from clv.data.covariates import CovariateEncoding


@pytest.fixture(scope="module")
def rfm():
    rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    rng = np.random.default_rng(3)
    rfm["big"] = (rfm["monetary_value"] > 30).astype(int)
    rfm["region"] = rng.choice(["north", "east", "south"], size=len(rfm))
    rfm["score"] = rng.normal(size=len(rfm))
    return rfm


MODELS = [
    lambda: clv.BetaGeo(purchase_covariates=["big", "region"], dropout_covariates=["score"]),
    lambda: clv.BetaGeo(purchase_covariates=["big"], dropout_covariates=["big", "score"], dropout_form="unconstrained"),
    lambda: clv.ModifiedBetaGeo(purchase_covariates=["region"], dropout_covariates=["big"]),
    lambda: clv.ParetoNBD(purchase_covariates=["big", "score"], dropout_covariates=["region"]),
    lambda: clv.GammaGamma(spend_covariates=["big", "region"]),
]


def _fit_data(make, rfm):
    """A model, its fitting data and a point ``u = (log theta, g)`` away from the optimum."""
    model = make()
    model._learn_covariates(rfm)
    data = model._prepare(rfm, None)
    u = np.r_[np.log([0.5, 5.0, 0.8, 2.0][: len(model.param_names)]), np.linspace(-0.3, 0.3, len(model.coef_names_))]
    if isinstance(model, clv.GammaGamma):
        u[:3] = np.log([6.0, 3.7, 15.0])
    return model, data, u


@pytest.mark.parametrize("make", MODELS)
def test_gradient_matches_numerical(make, rfm):
    model, data, u = _fit_data(make, rfm)
    _, grad, _ = model._u_derivatives(u, data)
    numeric = model._numeric_gradient(u, data, h=1e-5)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-5 * np.abs(numeric).max())


@pytest.mark.parametrize("make", [MODELS[0], MODELS[4]])
def test_analytic_hessian_matches_differences_of_the_gradient(make, rfm):
    model, data, u = _fit_data(make, rfm)
    _, _, hess = model._u_derivatives(u, data, hessian=True)
    h = 1e-5
    numeric = np.array([(model._log_gradient(u + h * e, data) - model._log_gradient(u - h * e, data)) / (2 * h) for e in np.eye(len(u))])
    np.testing.assert_allclose(hess, numeric, rtol=1e-5, atol=1e-6 * np.abs(numeric).max())


def test_categorical_column_equals_its_indicators(rfm):
    frame = rfm.assign(**{"region=north": (rfm["region"] == "north").astype(float), "region=south": (rfm["region"] == "south").astype(float)})
    by_text = clv.BetaGeo(purchase_covariates=["region"]).fit(frame)
    by_hand = clv.BetaGeo(purchase_covariates=["region=north", "region=south"]).fit(frame)
    # 'east' is the reference level: first in sorted order.
    assert list(by_text.params_.index[4:]) == ["purchase:region=north", "purchase:region=south"]
    np.testing.assert_allclose(by_text.params_.to_numpy(), by_hand.params_.to_numpy(), rtol=1e-6)
    assert by_text.log_likelihood_ == pytest.approx(by_hand.log_likelihood_, abs=1e-8)


def test_covariates_raise_the_likelihood_and_keep_names(rfm):
    plain = clv.BetaGeo().fit(rfm)
    constrained = clv.BetaGeo(dropout_covariates=["big"]).fit(rfm)
    free = clv.BetaGeo(dropout_covariates=["big"], dropout_form="unconstrained").fit(rfm)
    assert plain.log_likelihood_ <= constrained.log_likelihood_ + 1e-6 <= free.log_likelihood_ + 2e-6
    assert list(free.params_.index) == ["r", "alpha", "a", "b", "dropout_a:big", "dropout_b:big"]
    assert list(constrained.summary().index) == ["r", "alpha", "a", "b", "dropout:big"]


@pytest.mark.parametrize(
    "change, column, text",
    [
        (lambda f: f.drop(columns="big"), "big", "missing"),
        (lambda f: f.assign(big=f["big"].where(f.index != 5)), "big", "row 5"),
        (lambda f: f.assign(region=f["region"].astype(object).where(f.index != 7, 3)), "region", "mixes numbers and text"),
        (lambda f: f.assign(big=np.where(f.index == 9, np.inf, f["big"])), "big", "row 9"),
    ],
)
def test_bad_covariates_raise_data_error(rfm, change, column, text):
    with pytest.raises(clv.DataError, match=f"column '{column}'.*{text}"):
        clv.BetaGeo(purchase_covariates=["big", "region"]).fit(change(rfm))


def test_unseen_level_at_prediction(rfm):
    bg = clv.BetaGeo(purchase_covariates=["region"]).fit(rfm)
    with pytest.raises(clv.DataError, match="column 'region': level 'west' was not seen"):
        bg.probability_alive(rfm.assign(region="west"))


def test_predictions_equal_the_plain_model_at_each_profile(rfm):
    bg = clv.BetaGeo(purchase_covariates=["big", "region"], dropout_covariates=["big"]).fit(rfm)
    pnbd = clv.ParetoNBD(purchase_covariates=["region"], dropout_covariates=["big"]).fit(rfm)
    gg = clv.GammaGamma(spend_covariates=["big"]).fit(rfm)
    for model in (bg, pnbd):
        for (big, region), rows in rfm.groupby(["big", "region"]):
            plain = model.for_profile({"big": big, "region": region})
            assert not hasattr(plain, "links_") or plain.links_ is None
            np.testing.assert_allclose(model.probability_alive(rows), plain.probability_alive(rows), rtol=1e-12)
            np.testing.assert_allclose(model.expected_purchases(rows, 39), plain.expected_purchases(rows, 39), rtol=1e-12)
            np.testing.assert_allclose(model.expected_purchases_curve(rows, [13, 52]), plain.expected_purchases_curve(rows, [13, 52]), rtol=1e-12)
            np.testing.assert_allclose(model.probability_alive(rows, at=10), plain.probability_alive(rows, at=10), rtol=1e-12)
            np.testing.assert_allclose(model.conditional_pmf(rows, 1, 39), plain.conditional_pmf(rows, 1, 39), rtol=1e-12)
            dert = model.discounted_expected_transactions(rows, 0.002)
            np.testing.assert_allclose(dert, plain.discounted_expected_transactions(rows, 0.002), rtol=1e-12)
            profile = {"big": big, "region": region}
            assert model.expected_purchases_new(26, covariates=profile) == pytest.approx(plain.expected_purchases_new(26), rel=1e-12)
            assert model.probability_of_purchases(1, 26, covariates=profile) == pytest.approx(plain.probability_of_purchases(1, 26), rel=1e-12)
    for big, rows in rfm.groupby("big"):
        plain = gg.for_profile({"big": big})
        np.testing.assert_allclose(gg.expected_spend(rows), plain.expected_spend(rows), rtol=1e-12)
        assert gg.population_mean_spend(covariates={"big": big}) == pytest.approx(plain.population_mean_spend(), rel=1e-12)
    # A positive spend coefficient raises spend.
    assert gg.params_["spend:big"] > 0
    assert gg.population_mean_spend(covariates={"big": 1}) > gg.population_mean_spend(covariates={"big": 0})


def test_customer_value_honours_covariates(rfm):
    bg = clv.BetaGeo(purchase_covariates=["big"]).fit(rfm)
    gg = clv.GammaGamma(spend_covariates=["big"]).fit(rfm)
    value = clv.customer_value(bg, gg, rfm, horizon=52, time_unit="W", discount_rate=0.1)
    rows = rfm[rfm["big"] == 1]
    by_profile = clv.customer_value(bg.for_profile({"big": 1}), gg.for_profile({"big": 1}), rows, horizon=52, time_unit="W", discount_rate=0.1)
    np.testing.assert_allclose(value.loc[rows.index, "clv"], by_profile["clv"], rtol=1e-10)


@pytest.mark.parametrize("make", MODELS)
def test_save_and_load_round_trip(make, rfm, tmp_path):
    model = make().fit(rfm)
    loaded = clv.load_model(model.save(tmp_path / "model.json"))
    assert list(loaded.params_.index) == list(model.params_.index)
    pd.testing.assert_frame_equal(loaded.summary(), model.summary())
    if isinstance(model, clv.GammaGamma):
        pd.testing.assert_series_equal(loaded.expected_spend(rfm), model.expected_spend(rfm))
    else:
        pd.testing.assert_series_equal(loaded.probability_alive(rfm), model.probability_alive(rfm))
        pd.testing.assert_series_equal(loaded.expected_purchases(rfm, 39), model.expected_purchases(rfm, 39))


def test_interval_of_a_coefficient_is_symmetric(rfm):
    bg = clv.BetaGeo(purchase_covariates=["big"]).fit(rfm)
    row = bg.summary().loc["purchase:big"]
    assert row["estimate"] - row["lower 95%"] == pytest.approx(row["upper 95%"] - row["estimate"])
    draws = bg.result_.sample_params(4000, seed=0)
    assert draws["purchase:big"].std() == pytest.approx(row["std_err"], rel=0.05)
    at_draw = bg.with_params(draws.iloc[0].to_numpy())  # a parameter draw keeps the covariates
    assert at_draw.links_ is not None and list(at_draw.params_.index) == list(bg.params_.index)
    assert (draws["purchase:big"] < 0).any() or row["estimate"] - 4 * row["std_err"] > 0


def test_encoding_reference_levels():
    frame = pd.DataFrame({"tier": pd.Categorical(["gold", "basic", "gold"], categories=["gold", "basic"]), "vip": [True, False, True]})
    enc = CovariateEncoding.learn(frame, ["tier", "vip"])
    assert enc.names == ("tier=basic", "vip=True")  # a Categorical keeps its own order: 'gold' is the reference
    assert enc.transform(frame).tolist() == [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]


def test_attach_covariates_refuses_missing_customers(rfm):
    table = pd.DataFrame({"customer_id": rfm.index[:-1], "tier": "a"})
    with pytest.raises(clv.DataError, match="have no covariate row"):
        clv.attach_covariates(rfm[["frequency", "recency", "T"]], table, on="customer_id")
