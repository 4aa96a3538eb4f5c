"""share_new_paying_back: a new customer's first purchase is drawn at its own spend level, not valued at the mean spend."""

import numpy as np
import pandas as pd
import pytest
from scipy import special

import clv
from clv.channels.intervals import Valuation
from clv.channels.uncertainty import customer_level_columns


@pytest.fixture(scope="module")
def email():
    sim = clv.simulate(800, seed=7, start="2024-01-01", end="2025-01-01", channels={"email": {"share": 1.0}})
    rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    acq = clv.read_acquisitions(sim.acquisitions).assign(scored=True)
    return rfm, acq, clv.fit_channel_models(rfm, acq)


def _spend_model(email):
    models = email[2]
    return models.pair("email", models.point())[1]


def _share(email, cac, horizon, n_sims=2000):
    rfm, acq, models = email
    table = pd.DataFrame({"cac": [cac]}, index=pd.Index(["email"], name="channel"))
    customer_level_columns(table, acq, rfm, models, Valuation(52.0, 0.1, 0.3, "W", 1.0), payback_horizon=horizon,
                           interval=0.9, n_sims=n_sims, seed=3)
    return float(table["share_new_paying_back"].iloc[0])


def test_mean_spend_covering_cac_no_longer_means_everyone_pays_back(email):
    # Session 4: email showed 100% because the acquisition purchase was valued at the mean spend, which covers CAC.
    sm = _spend_model(email)
    cac = 0.9 * 0.3 * float(sm.population_mean_spend())
    share = _share(email, cac, 1e-9)
    assert 0.2 < share < 0.9


def test_without_repeat_purchases_the_share_is_the_first_purchase_law(email):
    # Horizon ~0: no repeat purchases, so the share is P(0.3 A >= CAC) with A = v X / Y, X ~ Gamma(p), Y ~ Gamma(q),
    # i.e. X / (X + Y) ~ Beta(p, q) (Fader & Hardie 2013's spend model); compared at the estimates, allowing for the
    # parameter draws and 2,000 simulations.
    sm = _spend_model(email)
    p, q, v = (float(sm.params_[k]) for k in ("p", "q", "v"))
    cac = 0.3 * float(sm.population_mean_spend())
    c = cac / 0.3 / v
    exact = special.betainc(q, p, 1.0 / (1.0 + c))  # P(B >= c / (1 + c)) = I_{1/(1+c)}(q, p)
    assert _share(email, cac, 1e-9) == pytest.approx(exact, abs=0.05)


def test_repeat_purchases_raise_the_share_and_it_is_seeded(email):
    sm = _spend_model(email)
    cac = 2.0 * 0.3 * float(sm.population_mean_spend())
    short, long = _share(email, cac, 1e-9), _share(email, cac, 52.0)
    assert long > short + 0.05
    assert _share(email, cac, 52.0) == long
    assert np.isfinite(long)
