"""Shared fits for the segment tests: CDNOW's calibration/holdout split and two simulated businesses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest

import clv

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"


@dataclass
class Split:
    holdout: pd.DataFrame
    model: Any
    spend: Any
    scores: pd.DataFrame
    stages: pd.DataFrame


@pytest.fixture(scope="session")
def cdnow_split() -> Split:
    """BG/NBD + Gamma-Gamma fitted on CDNOW to 1997-09-30 (weeks); stages at calibration end."""
    ch = clv.calibration_holdout(clv.datasets.load_cdnow(), calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END)
    bg, gg = clv.BetaGeo().fit(ch), clv.GammaGamma().fit(ch)
    scores = clv.customer_value(bg, gg, ch, horizon=39, discount_rate=0.1)
    return Split(ch, bg, gg, scores, clv.lifecycle_stage(scores, ch, bg))


@dataclass
class SimCase:
    rfm: pd.DataFrame
    truth: pd.DataFrame
    table: pd.DataFrame  # clv.customer_segments output


def _simulated(params: dict[str, float] | None, seed: int) -> SimCase:
    sim = clv.simulate(10_000, params=params, seed=seed, start="2024-01-01", end="2025-12-31")
    rfm = clv.rfm_summary(clv.read_transactions(sim.transactions), observation_end="2025-12-31")
    bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    scores = clv.customer_value(bg, gg, rfm, horizon=52, discount_rate=0.1)
    return SimCase(rfm, sim.customers.loc[rfm.index], clv.customer_segments(scores, rfm, bg))


@pytest.fixture(scope="session")
def sim_cdnow_like() -> SimCase:
    """CDNOW-like business (the simulator's default BG/NBD parameters): half the customers never repeat."""
    return _simulated(None, seed=11)


@pytest.fixture(scope="session")
def sim_frequent() -> SimCase:
    """Frequent buyers (about 13 purchases a year while alive, 8% dropout per purchase)."""
    return _simulated({"r": 2.0, "alpha": 8.0, "a": 0.5, "b": 6.0}, seed=12)

