"""Plumbing of clv.bayes on short fits: predictions, tables, persistence, valuation, errors.

The fits here are far too short for inference (2 chains x 100 draws); the
statistical checks live in test_cdnow.py and test_hierarchical_recovery.py.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import clv
import clv.bayes
from clv.bayes import predictions
from clv.errors import DataError, NotFittedError


def test_import_clv_does_not_import_pymc():
    code = "import sys, clv; assert 'pymc' not in sys.modules and 'pytensor' not in sys.modules, 'pymc imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_prediction_shapes_and_summaries(small_models, small_rfm):
    bg, gg = small_models
    rfm = small_rfm.iloc[:50]
    for da in (bg.purchase_rate(rfm), bg.probability_alive(rfm), bg.expected_purchases(rfm, 10.0, n_draws=40), gg.expected_spend(rfm)):
        assert isinstance(da, xr.DataArray)
        assert da.dims == ("chain", "draw", "customer_id")
        assert list(da["customer_id"].values) == list(rfm.index)
        assert np.all(np.isfinite(da.values))
    assert bg.purchase_rate(rfm).sizes["draw"] == 100
    thin = bg.probability_alive(rfm, n_draws=20)
    assert thin.sizes["chain"] * thin.sizes["draw"] == 20
    full = bg.probability_alive(rfm)
    table = bg.probability_alive(rfm, interval=0.8)
    np.testing.assert_allclose(table.to_numpy(), clv.bayes.summarize(full, 0.8).to_numpy(), rtol=1e-12)
    assert (table["lower"] <= table["mean"]).all() and (table["mean"] <= table["upper"]).all()
    assert ((full >= 0) & (full <= 1)).all()


def test_chunked_reduction_equals_one_pass(small_models, small_rfm, monkeypatch):
    bg, _ = small_models
    whole = bg.expected_purchases(small_rfm, 26.0, n_draws=30, interval=0.9)
    monkeypatch.setattr(predictions, "_CHUNK_ELEMENTS", 97)
    chunked = bg.expected_purchases(small_rfm, 26.0, n_draws=30, interval=0.9)
    pd.testing.assert_frame_equal(whole, chunked)


def test_memory_guard_points_to_interval(small_models, small_rfm, monkeypatch):
    bg, _ = small_models
    monkeypatch.setattr(predictions, "MAX_PREDICTION_BYTES", 1000)
    with pytest.raises(ValueError, match="interval="):
        bg.purchase_rate(small_rfm)
    assert len(bg.purchase_rate(small_rfm, interval=0.9)) == len(small_rfm)


def test_draw_predictions_are_the_mle_kernels(small_models, small_rfm):
    """A posterior draw predicts exactly what clv.BetaGeo / clv.GammaGamma predict at the same parameters."""
    bg, gg = small_models
    t_draw, s_draw = bg.draw_models(5)[3], gg.draw_models(5)[3]
    for g, level in enumerate(bg.groups_):
        sub = small_rfm[small_rfm["channel"] == level]
        mle = clv.BetaGeo().fit(sub).with_params([t_draw.params[k][g] for k in ("r", "alpha", "a", "b")])
        np.testing.assert_allclose(t_draw.probability_alive(sub), mle.probability_alive(sub), rtol=1e-12)
        np.testing.assert_allclose(t_draw.purchase_rate(sub), mle.purchase_rate(sub), rtol=1e-12)
        np.testing.assert_allclose(t_draw.expected_purchases(sub, 13.0), mle.expected_purchases(sub, 13.0), rtol=1e-10)
        np.testing.assert_allclose(
            t_draw.expected_purchases_curve(sub, [4.0, 20.0]), mle.expected_purchases_curve(sub, [4.0, 20.0]), rtol=1e-10
        )
        spend = clv.GammaGamma().fit(sub).with_params([s_draw.params[k][g] for k in ("p", "q", "v")])
        np.testing.assert_allclose(s_draw.expected_spend(sub), spend.expected_spend(sub), rtol=1e-12)


def test_group_params_table(small_models):
    bg, gg = small_models
    table = bg.group_params(0.9)
    assert list(table.columns) == ["mean", "sd", "lower", "upper"]
    assert set(table.index.get_level_values(0)) == {"email", "search"}
    quantities = set(table.index.get_level_values(1))
    assert quantities == {"r", "alpha", "a", "b", "purchase_rate", "dropout_probability"}
    row = table.loc[("email", "purchase_rate")]
    assert row["lower"] <= row["mean"] <= row["upper"]
    assert table.attrs["n_customers"] == bg.group_sizes_.to_dict()
    assert "mean_spend" in set(gg.group_params().index.get_level_values(1))


def test_group_param_draws_long_form(small_models):
    bg, _ = small_models
    draws = bg.group_param_draws(25, seed=1)
    assert list(draws.columns) == ["draw", "group", "r", "alpha", "a", "b"]
    assert len(draws) == 50 and draws.groupby("draw").size().eq(2).all()
    pd.testing.assert_frame_equal(draws, bg.group_param_draws(25, seed=1))


def test_population_param_draws_value_customers_without_a_channel(small_models, small_rfm):
    bg, gg = small_models
    pop = bg.population_param_draws(30, seed=2)
    assert list(pop.columns) == ["draw", "group", "r", "alpha", "a", "b"]
    assert len(pop) == 30 and set(pop["group"]) == {"*"} and (pop[["r", "alpha", "a", "b"]] > 0).all().all()
    pd.testing.assert_frame_equal(pop, bg.population_param_draws(30, seed=2))
    # The Gamma-Gamma sampled coordinates map back consistently: p v / (q - 1) is the sampled mean spend.
    spend = gg.population_param_draws(30, seed=3)
    assert (spend["q"] > 1).all()
    # A new group's draws spread at least as widely as the population mean's.
    mu = np.exp(bg.idata.posterior["mu_log_r"].values.ravel())
    assert np.std(np.log(pop["r"])) > 0.5 * np.std(np.log(mu))
    models = clv.PosteriorChannelModels(bg, gg)
    rfm = small_rfm.iloc[:40]
    channel = rfm["channel"].astype(object).copy()
    channel.iloc[:5] = None  # no acquisition record
    scores = models.score(rfm.drop(columns="channel"), channel.dropna(), horizon=26, discount_rate=0.1, n_draws=20, seed=1)
    assert np.all(np.isfinite(scores["clv"].to_numpy())) and len(scores) == 40


def test_summary_and_diagnostics(small_models):
    bg, _ = small_models
    summary = bg.summary()
    assert "r_hat" in summary.columns and "r[email]" in summary.index
    diag = bg.diagnostics()
    assert isinstance(diag, clv.bayes.Diagnostics)
    assert diag.chains == 2 and diag.draws == 100
    assert set(diag.to_dict()) >= {"max_rhat", "min_ess_bulk", "min_ess_tail", "divergences", "passed"}


def test_customer_value_with_posterior_models(small_models, small_rfm):
    bg, gg = small_models
    rfm = small_rfm.iloc[:80]
    scores = clv.customer_value(bg, gg, rfm, horizon=26, discount_rate=0.1, n_draws=40)
    expected = ["purchase_rate", "p_alive", "churn_probability", "expected_purchases", "expected_spend", "expected_revenue", "clv",
                "clv_lower", "clv_upper"]
    assert list(scores.columns) == expected
    assert (scores["clv_lower"] <= scores["clv_upper"]).all()
    assert np.all(np.isfinite(scores.to_numpy()))
    # The point columns are posterior means of the per-draw predictions.
    np.testing.assert_allclose(scores["p_alive"], bg.probability_alive(rfm, n_draws=40).mean(("chain", "draw")), rtol=1e-10)
    # No discounting and a one-period horizon: CLV is spend x purchases, draw by draw.
    flat = clv.customer_value(bg, gg, rfm, horizon=26, period=26, discount_rate=0.0, n_draws=40)
    np.testing.assert_allclose(flat["clv"], flat["expected_revenue"], rtol=1e-10)


def test_save_load_round_trip(small_models, small_rfm, tmp_path):
    bg, gg = small_models
    for model in (bg, gg):
        path = model.save(tmp_path / f"{type(model).__name__}.nc")
        loaded = clv.bayes.load(path)
        assert type(loaded) is type(model)
        assert loaded.get_params() == model.get_params()
        assert loaded.data_hash_ == model.data_hash_ == model.data_hash(small_rfm)
        assert list(loaded.groups_) == list(model.groups_)
        pd.testing.assert_series_equal(loaded.group_sizes_, model.group_sizes_)
        for name in model.param_names:
            np.testing.assert_array_equal(loaded.idata.posterior[name].values, model.idata.posterior[name].values)
        pd.testing.assert_frame_equal(loaded.group_params(), model.group_params())
    assert bg.data_hash(small_rfm.assign(T=small_rfm["T"] + 1)) != bg.data_hash_


def test_errors(small_models, small_rfm):
    bg, _ = small_models
    with pytest.raises(NotFittedError):
        clv.bayes.HierarchicalBetaGeo(group="channel").probability_alive(small_rfm)
    with pytest.raises(DataError, match="channel"):
        bg.probability_alive(small_rfm.drop(columns="channel"))
    with pytest.raises(DataError, match="not seen when fitting"):
        bg.probability_alive(small_rfm.assign(channel="tv"))
    with pytest.raises(DataError, match="missing group"):
        clv.bayes.HierarchicalBetaGeo(group="channel").build_model(small_rfm.assign(channel=None))
    with pytest.raises(ValueError, match="unknown parameter"):
        clv.bayes.HierarchicalBetaGeo(priors={"beta": {"loc": 0.0}}).build_model(small_rfm)
    with pytest.raises(ValueError, match="sampler"):
        clv.bayes.HierarchicalBetaGeo(sampler="stan").fit(small_rfm, random_seed=1)
    with pytest.raises(ValueError, match="interval"):
        bg.purchase_rate(small_rfm, interval=1.5)


def test_priors_override_changes_the_model(small_rfm):
    import pymc as pm

    model = clv.bayes.HierarchicalBetaGeo(group=None, priors={"r": {"loc": 2.0, "scale": 0.1}}).build_model(small_rfm)
    log_r = model["log_r"]  # r is sampled on the log scale under its own name
    assert float(pm.draw(log_r, random_seed=1, draws=2000).mean()) == pytest.approx(2.0, abs=0.02)
    assert clv.bayes.BETA_GEO_PRIORS["r"]["loc"] == 0.0  # the defaults are not mutated


def test_nutpie_sampler_when_installed(small_rfm):
    pytest.importorskip("nutpie")
    model = clv.bayes.HierarchicalBetaGeo(group=None, sampler="nutpie").fit(small_rfm, draws=50, tune=50, chains=2, random_seed=5)
    assert model.idata.posterior.sizes["draw"] == 50


def test_clv_bayes_is_reachable_lazily_from_clv():
    code = (
        "import sys, clv; assert 'clv.bayes' not in sys.modules; "
        "assert clv.bayes.HierarchicalBetaGeo.__name__ == 'HierarchicalBetaGeo'; assert 'pymc' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_centering_table(small_rfm):
    auto = clv.bayes.HierarchicalBetaGeo(group="channel").centering(small_rfm)
    assert list(auto.columns) == list(clv.bayes.priors.BETA_GEO_LINKS) and list(auto.index) == ["email", "search"]
    assert auto.dtypes.eq(float).all() and ((auto >= 0) & (auto <= 1)).all().all()
    assert set(auto.attrs["spread"]) == set(auto.columns) and all(s > 0 for s in auto.attrs["spread"].values())
    assert not clv.bayes.HierarchicalBetaGeo(group="channel", centered_from=None).centering(small_rfm).to_numpy().any()
    by_size = clv.bayes.HierarchicalBetaGeo(group="channel", centered_from=1).centering(small_rfm)
    assert (by_size.to_numpy() == 1.0).all()
    with pytest.raises(ValueError, match="hierarchical"):
        clv.bayes.HierarchicalBetaGeo(group=None).centering(small_rfm)


def test_time_resolution_bins_to_midpoints_and_keeps_repeat_buyers_recent(small_rfm):
    model = clv.bayes.HierarchicalBetaGeo(group="channel")
    exact = model._prepare(small_rfm)
    coarse = model._prepare(small_rfm, time_resolution=2.0)
    assert len(coarse["weights"]) < len(exact["weights"])
    assert coarse["weights"].sum() == exact["weights"].sum() == len(small_rfm)
    x, rec, T = (coarse["columns"][c] for c in ("frequency", "recency", "T"))
    assert np.all(rec[x > 0] > 0) and np.all(rec[x == 0] == 0) and np.all(rec <= T)
    assert set(np.round(np.mod(T, 2.0), 9)) == {1.0}  # midpoints of 2-week bins
    with pytest.raises(ValueError, match="time_resolution"):
        model._prepare(small_rfm, time_resolution=0.0)
    with pytest.raises(ValueError, match="no time columns"):
        clv.bayes.HierarchicalGammaGamma(group="channel")._prepare(small_rfm, time_resolution=1.0)


def test_sampler_section_names_failed_quantities(small_models):
    from clv.reports.sampler_section import SamplerSection, failure_text, sampler_extra
    from clv.reports.sections import ReportContext

    bg, gg = small_models
    extra = sampler_extra(clv.PosteriorChannelModels(bg, gg))
    data = extra["sampler"]
    assert {"BG/NBD", "Gamma-Gamma"} == set(data["table"]["model"]) and "r_hat" in data["table"].columns
    assert any(k.startswith("BG/NBD: mu_") for k in data["traces"])
    # 2 x 100 draws cannot reach ESS 400: the failure names the quantity.
    assert data["failures"] and any("ESS" in f for f in data["failures"])
    text = failure_text(extra)
    assert text.startswith("Sampler diagnostics failed") and data["failures"][0] in text
    ctx = ReportContext(channels=None, extra=extra)
    section = SamplerSection()
    html = section.html(ctx)
    assert 'class="bad"' in html and "data:image/png;base64" in html and "R-hat" in html
    assert "Sampler diagnostics failed" in section.markdown(ctx)
    assert section.summary(ctx)["passed"] is False and "sampler_diagnostics" in section.tables(ctx)
    assert failure_text({}) is None
    stats = section.summary(ctx)["models"]["BG/NBD"]
    assert stats["chains"] == bg.idata.posterior.sizes["chain"] and stats["grad_evals_per_draw"] >= 1
    assert len(stats["step_size"]) == stats["chains"] and all(v > 0 for v in stats["step_size"])
    assert "gradient evaluations per draw" in html and "gradient evaluations per draw" in section.markdown(ctx)
