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


def _demo_channel_subset() -> pd.DataFrame:
    """Every 50th customer of the bundled demo, channel affiliate (60 customers): the Pareto/NBD hang of session 4."""
    from pathlib import Path

    demo = Path(__file__).resolve().parents[2] / "data" / "demo"
    tx = pd.read_csv(demo / "transactions.csv", parse_dates=["date"])
    acq = pd.read_csv(demo / "acquisitions.csv")
    ids = acq.loc[acq.index % 50 == 0].query("channel == 'affiliate'").customer_id
    return clv.rfm_summary(tx[tx.customer_id.isin(ids)], observation_end="2025-12-31")


def test_pareto_creeping_to_the_edge_stops_and_says_so(monkeypatch):
    # The Pareto/NBD likelihood of these 60 customers keeps rising towards s, beta -> inf at fixed s/beta
    # (one dropout rate for all). L-BFGS-B used to creep along that ridge for minutes (each step further out cost
    # more); now a far-out run of evaluations without gain ends the search with EdgeOfParameterSpace, which the
    # model sets answer with the pooled fallback.
    from clv.models import optimisation

    rfm = _demo_channel_subset()
    assert len(rfm) == 60
    calls = []
    original = optimisation.LikelihoodOptimiser._objective
    monkeypatch.setattr(optimisation.LikelihoodOptimiser, "_objective", lambda self, u, data: calls.append(1) or original(self, u, data))
    with pytest.raises(optimisation.EdgeOfParameterSpace, match=r"\['beta'\] stopped creeping towards the edge") as info:
        clv.ParetoNBD().fit(rfm)
    assert info.value.names == ["beta"] and info.value.extent > 10
    assert len(calls) < 200  # it took thousands before (bounded work, not a timing)


def test_hyp2f1_far_out_matches_a_long_series():
    # 2F1(1, s+1; r+s+x+1; z) near z = 1 with large s: SciPy returns NaN, and the direct series needs ~1/(1-z)
    # terms (200,000 were not enough for the first value). Reference: the same series summed to 5e7 terms.
    from clv.kernels.special import hyp2f1

    z1, z2 = (4e6 - 201.39) / 4e6, (1e8 - 201.39) / 1e8
    assert hyp2f1(1.0, 5e4 + 1, 0.5 + 5e4 + 1, z1) == pytest.approx(17201.74350748, rel=1e-10)
    assert hyp2f1(1.0, 1e6 + 1, 1.0 + 1e6 + 51, z2) == pytest.approx(19212.05122846, rel=1e-10)
