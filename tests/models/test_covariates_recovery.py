"""Covariate coefficients are recovered from data simulated with known effects (100,000 customers each).

The simulator (:func:`clv.simulate` with ``covariates=`` and ``coefficients=``) uses
the Fader & Hardie (2007) links the models fit, so the estimates should fall within
sampling error of the truth: 3.5 standard errors, as in tests/models/test_recovery.py.
"""

import numpy as np
import pandas as pd
import pytest

import clv

pytestmark = pytest.mark.slow

N = 100_000
COVARIATES = ["z1", "z2"]


def _covariates(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"z1": (rng.random(N) < 0.4).astype(float), "z2": rng.normal(size=N)})


def _day_grid(customers: pd.DataFrame) -> pd.DataFrame:
    """Exact statistics on a daily grid in weeks, as rfm_summary reports them (keeps the fit on few distinct values)."""
    out = customers.copy()
    out["T"] = np.floor(out["T"] * 7) / 7
    out["recency"] = np.minimum(np.ceil(out["recency"] * 7) / 7, out["T"])
    return out


def _within(model, truth, k=3.5):
    se = model.result_.std_err
    for name, value in truth.items():
        assert abs(model.params_[name] - value) < k * se[name], (name, model.params_[name], value, se[name])


def test_bgnbd_and_gamma_gamma_recover_coefficients():
    truth = {"purchase:z1": 0.5, "purchase:z2": -0.3, "dropout:z1": 0.4, "dropout:z2": 0.0}
    spend = {"spend:z1": 0.3, "spend:z2": -0.2}
    sim = clv.simulate(N, seed=11, start="2022-01-01", end="2023-12-31", params={"r": 0.3, "alpha": 5.0, "a": 0.8, "b": 2.5},
                       spend_params={"p": 6.0, "q": 4.0, "v": 15.0}, covariates=_covariates(1), coefficients={**truth, **spend})
    bg = clv.BetaGeo(purchase_covariates=COVARIATES, dropout_covariates=COVARIATES).fit(sim.customers)
    _within(bg, {"r": 0.3, "alpha": 5.0, "a": 0.8, "b": 2.5, **truth})

    tx = sim.transactions.sort_values(["customer_id", "date"])
    repeat = tx[tx.duplicated("customer_id")]
    spend_rfm = sim.customers[["frequency", *COVARIATES]].assign(
        monetary_value=repeat.groupby("customer_id")["amount"].mean()).fillna({"monetary_value": 0.0})
    gg = clv.GammaGamma(spend_covariates=COVARIATES).fit(spend_rfm)
    _within(gg, {"p": 6.0, "q": 4.0, "v": 15.0, **spend})


def test_pareto_nbd_recovers_coefficients():
    truth = {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0, "purchase:z1": 0.5, "purchase:z2": -0.3, "dropout:z1": 0.6, "dropout:z2": 0.2}
    sim = clv.simulate(N, seed=12, start="2022-01-01", end="2023-12-31", model="ParetoNBD",
                       params={k: truth[k] for k in ("r", "alpha", "s", "beta")}, covariates=_covariates(2),
                       coefficients={k: v for k, v in truth.items() if ":" in k})
    model = clv.ParetoNBD(purchase_covariates=COVARIATES, dropout_covariates=COVARIATES).fit(_day_grid(sim.customers))
    _within(model, truth)


def test_mbgnbd_recovers_coefficients():
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6, "purchase:z1": 0.4, "dropout:z1": -0.5}
    sim = clv.simulate(N, seed=13, start="2022-01-01", end="2023-12-31", model="ModifiedBetaGeo",
                       params={k: truth[k] for k in ("r", "alpha", "a", "b")}, covariates=_covariates(3),
                       coefficients={"purchase:z1": 0.4, "dropout:z1": -0.5})
    model = clv.ModifiedBetaGeo(purchase_covariates=["z1"], dropout_covariates=["z1"]).fit(sim.customers)
    _within(model, truth)
