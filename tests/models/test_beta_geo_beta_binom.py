"""BG/BB (clv.BetaGeoBetaBinom): the published donations fit, agreement with lifetimes, Monte Carlo checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
from clv.kernels import bgbb
from tests.reference.sbg_bgbb import BGBB_ESTIMATES, DONATIONS


def simulate_bgbb(params: dict[str, float], n_periods: np.ndarray, seed: int) -> pd.DataFrame:
    """Histories from the BG/BB generative process: death at the start of an opportunity, then a purchase with p."""
    rng = np.random.default_rng(seed)
    size = len(n_periods)
    p = rng.beta(params["alpha"], params["beta"], size)
    theta = rng.beta(params["gamma"], params["delta"], size)
    death = rng.geometric(theta)  # opportunity at whose start the customer dies
    x = np.zeros(size)
    t_x = np.zeros(size)
    for t in range(1, int(n_periods.max()) + 1):
        buys = (t < death) & (t <= n_periods) & (rng.random(size) < p)
        x += buys
        t_x = np.where(buys, t, t_x)
    return pd.DataFrame({"frequency": x, "recency": t_x, "n_periods": n_periods.astype(float)})


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    return pd.DataFrame(DONATIONS, columns=["frequency", "recency", "n_periods", "weights"])


@pytest.fixture(scope="module")
def fitted(donations: pd.DataFrame) -> clv.BetaGeoBetaBinom:
    return clv.BetaGeoBetaBinom().fit(donations, weights="weights")


def test_published_donations_fit(fitted: clv.BetaGeoBetaBinom, donations: pd.DataFrame) -> None:
    """Fader, Hardie & Shang (2010): 1.204, 0.750, 0.657, 2.783, LL -33,225.6 (lifetimes 0.11.3: 1.2035, 0.7497, 0.6567, 2.7834)."""
    for name in bgbb.PARAMS:
        assert fitted.params_[name] == pytest.approx(BGBB_ESTIMATES[name], abs=5e-4)
    assert fitted.log_likelihood_ == pytest.approx(BGBB_ESTIMATES["log_likelihood"], abs=0.05)
    assert fitted.n_obs_ == 11104
    bundled = clv.datasets.load_donations()
    pd.testing.assert_frame_equal(bundled.astype(float), donations.astype(float))


def test_agrees_with_lifetimes_on_random_data() -> None:
    """Fit and every prediction lifetimes' BetaGeoBetaBinomFitter has, on simulated histories with varied n."""
    lifetimes = pytest.importorskip("lifetimes")
    truth = {"alpha": 0.8, "beta": 2.5, "gamma": 0.5, "delta": 3.0}
    rfm = simulate_bgbb(truth, np.random.default_rng(1).integers(3, 12, 3000), seed=2)
    agg = rfm.groupby(list(rfm.columns)).size().rename("w").reset_index()
    ours = clv.BetaGeoBetaBinom().fit(agg, weights="w")
    theirs = lifetimes.BetaGeoBetaBinomFitter().fit(agg["frequency"], agg["recency"], agg["n_periods"], weights=agg["w"])
    np.testing.assert_allclose(ours.params_.to_numpy(), theirs.params_.to_numpy(), rtol=2e-3)
    theirs.params_[:] = ours.params_.to_numpy()  # compare predictions at identical parameters
    x, t_x, n = (agg[c].to_numpy() for c in ("frequency", "recency", "n_periods"))
    ll = theirs._loglikelihood(ours.params_.to_numpy(), x, t_x, n)
    np.testing.assert_allclose(bgbb.loglik(*ours.params_, x, t_x, n), ll, rtol=1e-10)
    for m in (0, 1, 4, 10):
        np.testing.assert_allclose(ours.probability_alive(agg, at=m), theirs.conditional_probability_alive(m, x, t_x, n), rtol=1e-9)
    for m in (1, 4, 10):
        np.testing.assert_allclose(ours.expected_purchases(agg, m), theirs.conditional_expected_number_of_purchases_up_to_time(m, x, t_x, n),
                                   rtol=1e-9)
    counts = theirs.expected_number_of_transactions_in_first_n_periods(8)["model"]
    ours_counts = ours.probability_of_purchases(counts.index.to_numpy(), 8) * agg["w"].sum()
    np.testing.assert_allclose(ours_counts, counts.to_numpy(), rtol=1e-9)


def test_pmf_mean_dert_are_consistent(fitted: clv.BetaGeoBetaBinom, donations: pd.DataFrame) -> None:
    for t in (1, 3, 7):
        pmf = np.stack([fitted.conditional_pmf(donations, k, t) for k in range(t + 1)])
        np.testing.assert_allclose(pmf.sum(axis=0), 1.0, atol=1e-12)
        np.testing.assert_allclose((np.arange(t + 1)[:, None] * pmf).sum(axis=0), fitted.expected_purchases(donations, t), rtol=1e-10)
    assert fitted.expected_purchases_new(6) == pytest.approx(np.dot(np.arange(7), fitted.probability_of_purchases(np.arange(7), 6)))
    curve = np.stack([fitted.expected_purchases(donations, j) for j in range(0, 400)])
    direct = (np.diff(curve, axis=0) / 1.1 ** np.arange(1, 400)[:, None]).sum(axis=0)
    np.testing.assert_allclose(fitted.discounted_expected_transactions(donations, 0.1), direct, rtol=1e-9)


def test_conditional_pmf_matches_monte_carlo() -> None:
    """P(X(n, n+t) = k | history) against the generative process run forward from each history's posterior, within 3 SE."""
    params = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}
    a, b, g, d = params.values()
    rng = np.random.default_rng(7)
    draws, t = 400_000, 4
    for x, t_x, n in [(0, 0, 6), (2, 3, 6), (5, 6, 6), (1, 1, 10)]:
        # Draw (p, theta) from the prior, simulate n + t opportunities, keep the runs whose first n reproduce the history.
        p = rng.beta(a, b, draws)
        theta = rng.beta(g, d, draws)
        death = rng.geometric(theta)
        buys = (np.arange(1, n + t + 1)[None, :] < death[:, None]) & (rng.random((draws, n + t)) < p[:, None])
        past, future = buys[:, :n], buys[:, n:]
        last = np.where(past.any(axis=1), n - np.argmax(past[:, ::-1], axis=1), 0)
        keep = (past.sum(axis=1) == x) & (last == t_x)
        counts = future[keep].sum(axis=1)
        for k in range(t + 1):
            freq = np.mean(counts == k)
            se = np.sqrt(max(freq * (1 - freq), 1e-4) / keep.sum())
            exact = bgbb.conditional_pmf(k, t, a, b, g, d, x, t_x, n)
            assert abs(freq - exact) < 3 * se, (x, t_x, n, k, freq, float(exact), se)


def test_json_round_trip(fitted: clv.BetaGeoBetaBinom, donations: pd.DataFrame, tmp_path) -> None:
    loaded = clv.load_model(fitted.save(tmp_path / "bgbb.json"))
    assert isinstance(loaded, clv.BetaGeoBetaBinom)
    pd.testing.assert_series_equal(loaded.expected_purchases(donations, 5), fitted.expected_purchases(donations, 5))
    pd.testing.assert_frame_equal(loaded.summary(), fitted.summary())


def test_heavy_and_long_histories_stay_finite(fitted: clv.BetaGeoBetaBinom) -> None:
    rfm = pd.DataFrame({"frequency": [0, 600, 2000, 1], "recency": [0, 1900, 2000, 1], "n_periods": [2000] * 4})
    for values in (fitted.probability_alive(rfm), fitted.expected_purchases(rfm, 52), fitted.discounted_expected_transactions(rfm, 0.01)):
        assert np.all(np.isfinite(values)) and np.all(values >= 0)
    assert fitted.probability_alive(rfm).iloc[2] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"frequency": [1], "recency": [3], "n_periods": [2]}), "column 'recency': must not exceed n_periods"),
        (pd.DataFrame({"frequency": [3], "recency": [2], "n_periods": [4]}), "column 'frequency': must not exceed recency"),
        (pd.DataFrame({"frequency": [0], "recency": [2], "n_periods": [4]}), "column 'recency': must be 0"),
        (pd.DataFrame({"frequency": [1.5], "recency": [2], "n_periods": [4]}), "column 'frequency': must be a whole number"),
        (pd.DataFrame({"frequency": [1], "recency": [2]}), "column 'n_periods': missing"),
    ],
)
def test_bad_input(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(clv.DataError, match=message):
        clv.BetaGeoBetaBinom().fit(frame)
