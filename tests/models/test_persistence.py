"""JSON persistence: models load back exactly; no pickle anywhere."""

import json

import numpy as np
import pandas as pd
import pytest

import clv


@pytest.fixture(scope="module")
def rfm():
    return clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")


@pytest.mark.parametrize("cls", [clv.BetaGeo, clv.ModifiedBetaGeo, clv.ParetoNBD, clv.GammaGamma])
def test_round_trip_is_exact(tmp_path, rfm, cls):
    model = cls().fit(rfm)
    path = model.save(tmp_path / "model.json")
    assert json.loads(path.read_text())["model"] == cls.__name__
    loaded = clv.load_model(path)
    assert type(loaded) is cls
    pd.testing.assert_series_equal(loaded.params_, model.params_)
    assert loaded.log_likelihood_ == model.log_likelihood_
    pd.testing.assert_frame_equal(loaded.summary(), model.summary())
    if cls is clv.GammaGamma:
        pd.testing.assert_series_equal(loaded.expected_spend(rfm), model.expected_spend(rfm))
        assert loaded.exclusions_ == model.exclusions_
    else:
        pd.testing.assert_series_equal(loaded.expected_purchases(rfm, 52), model.expected_purchases(rfm, 52))


def test_not_fitted_and_bad_files(tmp_path):
    with pytest.raises(clv.NotFittedError):
        clv.BetaGeo().probability_alive(pd.DataFrame({"frequency": [0], "recency": [0], "T": [1]}))
    (tmp_path / "x.json").write_text('{"model": "Nope"}')
    with pytest.raises(clv.DataError, match="not a clv model file"):
        clv.load_model(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("not json")
    with pytest.raises(clv.DataError, match="cannot read model file"):
        clv.load_model(tmp_path / "y.json")


def test_with_params_and_sampling(rfm):
    bg = clv.BetaGeo().fit(rfm)
    draws = bg.result_.sample_params(500, seed=1)
    assert draws.shape == (500, 4) and (draws > 0).all().all()
    again = bg.result_.sample_params(500, seed=1)
    pd.testing.assert_frame_equal(draws, again)
    np.testing.assert_allclose(np.log(draws).std(), np.sqrt(np.diag(bg.result_.cov_log)), rtol=0.15)
    moved = bg.with_params(draws.iloc[0].to_numpy())
    assert moved.params_["r"] == draws.iloc[0]["r"] and bg.params_["r"] != moved.params_["r"]
