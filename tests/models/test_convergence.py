"""Fits that cannot reach a valid optimum raise ConvergenceError with advice, never return silently."""

import pandas as pd
import pytest

import clv


def test_unidentified_dropout_gives_the_no_dropout_limit():
    # Everyone buys at a steady pace right up to the end: no sign of dropout at all, so the
    # dropout parameters run off to the edge of the parameter space. Since issue 11 the fit is the
    # limit model there (nobody drops out; one Poisson rate), no longer a ConvergenceError.
    rfm = pd.DataFrame({"frequency": [10.0] * 50 + [0.0] * 5, "recency": [50.0] * 50 + [0.0] * 5, "T": [50.0] * 55})
    model = clv.BetaGeo().fit(rfm)
    assert model.boundary_["kind"] == "poisson_no_dropout"
    assert model.params_["lam"] == pytest.approx(500 / (55 * 50))  # by hand: purchases over customer-time
    assert model.probability_alive(rfm).eq(1.0).all()


def test_edge_without_a_limit_raises(monkeypatch):
    # A runaway direction that no limit model covers is still a ConvergenceError with advice
    # (here: the same data with the limit models switched off).
    monkeypatch.setattr(clv.BetaGeo, "_limits", ())
    rfm = pd.DataFrame({"frequency": [10.0] * 50 + [0.0] * 5, "recency": [50.0] * 50 + [0.0] * 5, "T": [50.0] * 55})
    with pytest.raises(clv.ConvergenceError, match=r"ran off to the edge.*penalizer"):
        clv.BetaGeo().fit(rfm)


def test_weights_equal_repeated_rows():
    rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    counts = rfm.groupby(["frequency", "recency", "T"]).size().rename("count").reset_index()
    weighted = clv.BetaGeo().fit(counts, weights="count")
    plain = clv.BetaGeo().fit(rfm)
    pd.testing.assert_series_equal(weighted.params_, plain.params_, rtol=1e-8)
    assert weighted.log_likelihood_ == pytest.approx(plain.log_likelihood_, abs=1e-6)
