"""Conditional probabilities of the continuous-time models against the generative process (Monte Carlo) and lifetimes.

The Monte Carlo draws each customer's latent rates from the prior, weights the
draws by the individual-level likelihood of the observed history (importance
sampling: exact for a continuous ``t_x`` where rejection is impossible), draws
whether the customer is still alive at ``T`` given the latents and the history,
and runs the purchase and dropout process forward over ``(T, T+t]``. None of
the population-level formulas under test is used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv

PARAMS = {
    "BetaGeo": {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259},
    "ModifiedBetaGeo": {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    "ParetoNBD": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
}
HISTORIES = pd.DataFrame({"frequency": [0, 1, 2, 5, 4], "recency": [0, 5.0, 30.0, 38.0, 10.0], "T": [39.0] * 5})
HORIZON = 26.0
DRAWS = 400_000


def _simulate(name: str, x: float, t_x: float, T: float, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Importance weights and, per draw, the forward outcomes: alive at T, alive at T+HORIZON, purchases in (T, T+HORIZON]."""
    p = PARAMS[name]
    lam = rng.gamma(p["r"], 1 / p["alpha"], DRAWS)
    if name == "ParetoNBD":
        mu = rng.gamma(p["s"], 1 / p["beta"], DRAWS)
        log_alive = x * np.log(lam) - (lam + mu) * T
        total = lam + mu
        log_dead = x * np.log(lam) + np.log(mu / total) - total * t_x + np.log(-np.expm1(-total * (T - t_x)))
    else:
        k = 1 if name == "ModifiedBetaGeo" else 0
        q = rng.beta(p["a"], p["b"], DRAWS)
        log_alive = (x + k) * np.log1p(-q) + x * np.log(lam) - lam * T
        log_dead = np.log(q) + (x + k - 1) * np.log1p(-q) + x * np.log(lam) - lam * t_x if x + k > 0 else np.full(DRAWS, -np.inf)
    log_w = np.logaddexp(log_alive, log_dead)
    weights = np.exp(log_w - log_w.max())
    alive_T = rng.random(DRAWS) < np.exp(log_alive - log_w)
    if name == "ParetoNBD":
        life = rng.exponential(1 / mu)
        purchases = rng.poisson(lam * np.minimum(life, HORIZON))
        alive_later = life > HORIZON
    else:
        potential = rng.poisson(lam * HORIZON)
        until_dropout = rng.geometric(q)  # the purchase after which the customer drops out
        purchases = np.minimum(potential, until_dropout)
        alive_later = until_dropout > potential
    return weights, {"alive": alive_T, "alive_later": alive_T & alive_later, "purchases": np.where(alive_T, purchases, 0)}


def _weighted(weights: np.ndarray, indicator: np.ndarray) -> tuple[float, float]:
    """Self-normalised importance-sampling estimate and its delta-method standard error."""
    total = weights.sum()
    estimate = float(weights @ indicator / total)
    return estimate, float(np.sqrt(np.sum(weights**2 * (indicator - estimate) ** 2)) / total)


@pytest.mark.parametrize("name", list(PARAMS))
def test_conditional_probabilities_match_the_generative_process(name: str) -> None:
    model = getattr(clv, name).from_params(PARAMS[name])
    exact = {
        "alive": model.probability_alive(HISTORIES).to_numpy(),
        "alive_later": model.probability_alive(HISTORIES, at=HORIZON).to_numpy(),
        **{n: model.conditional_pmf(HISTORIES, n, HORIZON).to_numpy() for n in range(4)},
    }
    np.testing.assert_allclose(model.probability_no_purchase(HISTORIES, HORIZON), exact[0], rtol=1e-12)
    rng = np.random.default_rng(11)
    for i, (x, t_x, T) in enumerate(HISTORIES.itertuples(index=False)):
        weights, outcome = _simulate(name, x, t_x, T, rng)
        checks = {"alive": outcome["alive"], "alive_later": outcome["alive_later"]}
        checks.update({n: outcome["purchases"] == n for n in range(4)})
        for key, indicator in checks.items():
            estimate, se = _weighted(weights, indicator.astype(float))
            assert abs(estimate - exact[key][i]) < 3 * max(se, 1e-4), (name, (x, t_x, T), key, estimate, exact[key][i], se)


@pytest.mark.parametrize("name", list(PARAMS))
def test_pmf_sums_to_one_and_matches_the_expectation(name: str) -> None:
    model = getattr(clv, name).from_params(PARAMS[name])
    rfm = pd.DataFrame({"frequency": [0, 3, 10, 2000], "recency": [0, 20.0, 38.0, 38.9], "T": [39.0] * 4})
    pmf = np.stack([model.conditional_pmf(rfm.iloc[:3], n, 39.0) for n in range(120)])
    np.testing.assert_allclose(pmf.sum(axis=0), 1.0, atol=1e-9)
    np.testing.assert_allclose((np.arange(120)[:, None] * pmf).sum(axis=0), model.expected_purchases(rfm.iloc[:3], 39.0), rtol=1e-8)
    # A heavy buyer stays finite, and P(alive later) never exceeds P(alive now).
    for values in (model.conditional_pmf(rfm, 1500, 39.0), model.probability_alive(rfm, at=100.0)):
        assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1))
    assert np.all(model.probability_alive(rfm, at=100.0) <= model.probability_alive(rfm) + 1e-12)


def test_pareto_pmf_matches_lifetimes() -> None:
    """lifetimes' ParetoNBDFitter.conditional_probability_of_n_purchases_up_to_time (the quantity lifetimes has)."""
    lifetimes = pytest.importorskip("lifetimes")
    p = PARAMS["ParetoNBD"]
    theirs = lifetimes.ParetoNBDFitter()
    theirs.params_ = pd.Series(p)
    model = clv.ParetoNBD.from_params(p)
    for n in (0, 1, 3):
        expected = [theirs.conditional_probability_of_n_purchases_up_to_time(n, HORIZON, x, t_x, T) for x, t_x, T in HISTORIES.to_numpy()]
        np.testing.assert_allclose(model.conditional_pmf(HISTORIES, n, HORIZON), np.asarray(expected, dtype=float), rtol=1e-6)


def test_bad_arguments() -> None:
    model = clv.BetaGeo.from_params(PARAMS["BetaGeo"])
    with pytest.raises(clv.DataError, match="n must be a whole number"):
        model.conditional_pmf(HISTORIES, 1.5, 10)
    with pytest.raises(clv.DataError, match="at must be a time >= 0"):
        model.probability_alive(HISTORIES, at=-1)
