"""Diagnostic computations behind the plots: period transactions, RF matrices, P(alive) history.

Reference numbers from /work/shared/reference/cdnow_published.md (Fader, Hardie & Lee 2005, CDNOW
1/10th sample, calibration to 1997-09-30, weeks); lifetimes 0.11.3 as an oracle for the P(alive) matrix.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clv
from clv.kernels import bgnbd

CUSTOMER_1_P_ALIVE = 0.7266  # customer 1 (x=2, t_x=30.43, T=38.86) under BG/NBD at the paper's estimates
BG_FULL = (0.2425945, 4.4136019, 0.7929199, 2.4258881)


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return clv.datasets.load_cdnow()


@pytest.fixture(scope="module")
def rfm(tx: pd.DataFrame) -> pd.DataFrame:
    return clv.rfm_summary(tx, observation_end="1997-09-30")


@pytest.fixture(scope="module")
def models(rfm: pd.DataFrame) -> dict[str, object]:
    return {m.__name__: m().fit(rfm) for m in (clv.BetaGeo, clv.ModifiedBetaGeo, clv.ParetoNBD)}


def test_period_transactions_bgnbd(models: dict, rfm: pd.DataFrame) -> None:
    table = clv.period_transactions(models["BetaGeo"], rfm)
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert list(table["actual"][:3]) == [1411, 439, 214]
    assert table["actual"].sum() == 2357
    assert table["expected"].sum() == pytest.approx(2357)
    # expected zeros = sum_i P(X(T_i) = 0), eq. 8 of Fader, Hardie & Lee (2005), customer by customer
    p0 = bgnbd.probability_of_purchases(0, rfm["T"].to_numpy(), *models["BetaGeo"].params_)
    assert table.loc["0", "expected"] == pytest.approx(p0.sum(), rel=1e-12)
    assert np.all(np.abs(table["expected"] / table["actual"] - 1) < 0.15)


@pytest.mark.parametrize("name", ["ModifiedBetaGeo", "ParetoNBD"])
def test_period_transactions_other_models(models: dict, rfm: pd.DataFrame, name: str) -> None:
    table = clv.period_transactions(models[name], rfm, max_frequency=4)
    assert list(table.index) == ["0", "1", "2", "3", "4+"]
    assert table["expected"].sum() == pytest.approx(2357)
    assert np.all(table["expected"] > 0)
    assert table.loc["0", "expected"] == pytest.approx(1411, rel=0.03)


def test_matrices_equal_model_predictions(models: dict, rfm: pd.DataFrame) -> None:
    for model in models.values():
        grid = clv.frequency_recency_matrix(model, rfm, t=10, n_recency=7)
        alive = clv.probability_alive_matrix(model, rfm, n_recency=7)
        assert grid.values.shape == alive.values.shape == (30, 7)
        assert grid.T == alive.T == pytest.approx(rfm["T"].max())
        assert grid.time_unit == "W"
        f, r = 4, 3
        cell = pd.DataFrame({"frequency": [float(f)], "recency": [grid.recency[r]], "T": [grid.T]})
        assert grid.values[f, r] == pytest.approx(model.expected_purchases(cell, 10).iloc[0], rel=1e-12)
        assert alive.values[f, r] == pytest.approx(model.probability_alive(cell).iloc[0], rel=1e-12)
        # recency is undefined without repeats: row 0 repeats the x = 0 value
        assert np.all(alive.values[0] == alive.values[0, 0])
        assert np.all((alive.values >= 0) & (alive.values <= 1))
        frame = grid.to_frame()
        assert frame.index.name == "frequency" and frame.columns.name == "recency"


def test_probability_alive_matrix_matches_lifetimes(models: dict, rfm: pd.DataFrame) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    bg = models["BetaGeo"]
    oracle = lifetimes.BetaGeoFitter()
    oracle.params_ = pd.Series(bg.params_.to_dict())
    oracle.data = pd.DataFrame({"frequency": rfm["frequency"], "T": rfm["T"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = oracle.conditional_probability_alive_matrix(max_frequency=10, max_recency=38)  # [recency, frequency]
    ours = clv.probability_alive_matrix(bg, max_frequency=10, T=38.0, n_recency=39)
    np.testing.assert_allclose(ours.values[1:], expected.T[1:], rtol=1e-10)


def test_large_grid_is_one_vectorized_pass(models: dict) -> None:
    """A million cells evaluate without per-cell Python work (lifetimes loops cell by cell)."""
    grid = clv.probability_alive_matrix(models["BetaGeo"], max_frequency=999, T=100.0, n_recency=1000)
    assert grid.values.shape == (1000, 1000)
    assert np.all(np.isfinite(grid.values))


def test_grid_needs_an_extent(models: dict) -> None:
    with pytest.raises(clv.DataError, match="max_frequency"):
        clv.frequency_recency_matrix(models["BetaGeo"])
    with pytest.raises(clv.DataError, match="T > 0"):
        clv.probability_alive_matrix(models["BetaGeo"], max_frequency=3, T=-1.0)


def test_alive_history_customer_1(tx: pd.DataFrame, models: dict) -> None:
    bg = models["BetaGeo"].with_params(BG_FULL)
    hist = clv.alive_history(bg, tx, 1, observation_end="1998-06-30")
    curve = hist.curve.set_index("date")
    assert len(curve) == 546  # 1997-01-01 .. 1998-06-30
    assert list(hist.purchases.strftime("%Y-%m-%d")) == ["1997-01-01", "1997-01-18", "1997-08-02", "1997-12-12"]
    at_cal_end = curve.loc[pd.Timestamp("1997-09-30")]
    assert at_cal_end["frequency"] == 2
    assert at_cal_end["recency"] == pytest.approx(30.43, abs=0.005)
    assert at_cal_end["age"] == pytest.approx(38.86, abs=0.005)
    assert at_cal_end["p_alive"] == pytest.approx(CUSTOMER_1_P_ALIVE, abs=5e-5)
    assert curve["p_alive"].between(0, 1).all()


def test_alive_history_agrees_with_rfm_summary(tx: pd.DataFrame, rfm: pd.DataFrame, models: dict) -> None:
    model = models["ParetoNBD"]
    expected = model.probability_alive(rfm)
    for customer in (2, 18, 1000):
        curve = clv.alive_history(model, tx, customer, observation_end="1997-09-30").curve
        assert curve["p_alive"].iloc[-1] == pytest.approx(expected.loc[customer], rel=1e-12)


def test_alive_history_bad_customer(tx: pd.DataFrame, models: dict) -> None:
    with pytest.raises(clv.DataError, match="no transactions"):
        clv.alive_history(models["BetaGeo"], tx, 999999)
