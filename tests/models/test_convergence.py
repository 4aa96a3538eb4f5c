"""Fits that cannot reach a valid optimum raise ConvergenceError with advice, never return silently."""

import pandas as pd
import pytest

import clv


def test_unidentified_dropout_raises():
    # Everyone buys at a steady pace right up to the end: no sign of dropout at all, so the
    # dropout parameters run off to the edge of the parameter space.
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
