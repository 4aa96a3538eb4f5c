"""Shared fixtures of the Bayesian tests: small data and short fits (reused across tests in a module)."""

from __future__ import annotations

import pandas as pd
import pytest

import clv

# Two channels with different BG/NBD and Gamma-Gamma parameters; small enough to sample in seconds.
SMALL_CHANNELS = {
    "email": {"share": 0.5, "params": {"r": 0.3, "alpha": 3.0, "a": 0.6, "b": 3.0}, "spend_params": {"p": 5.0, "q": 3.0, "v": 12.0}},
    "search": {"share": 0.5, "params": {"r": 0.25, "alpha": 5.0, "a": 0.9, "b": 2.0}, "spend_params": {"p": 6.0, "q": 4.0, "v": 20.0}},
}


@pytest.fixture(scope="session")
def cdnow_rfm() -> pd.DataFrame:
    return clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")


@pytest.fixture(scope="session")
def small_rfm() -> pd.DataFrame:
    sim = clv.simulate(600, seed=7, channels=SMALL_CHANNELS, start="2024-01-01", end="2025-06-30")
    rfm = clv.rfm_summary(sim.transactions, observation_end="2025-06-30")
    rfm["channel"] = sim.customers["channel"].reindex(rfm.index)
    return rfm


@pytest.fixture(scope="session")
def small_models(small_rfm: pd.DataFrame):
    """Short hierarchical fits (2 chains x 100 draws): for plumbing tests, not for inference."""
    import clv.bayes

    bg = clv.bayes.HierarchicalBetaGeo(group="channel").fit(small_rfm, draws=100, tune=150, chains=2, cores=1, random_seed=3)
    gg = clv.bayes.HierarchicalGammaGamma(group="channel").fit(small_rfm, draws=100, tune=150, chains=2, cores=1, random_seed=4)
    return bg, gg
