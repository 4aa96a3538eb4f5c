"""DERT with continuous discounting (Fader, Hardie & Lee 2005, "RFM and CLV") and customer_value(horizon=None)."""

from __future__ import annotations

from itertools import pairwise
from math import factorial

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

import clv
from clv.kernels import bgnbd, mbgnbd, paretonbd
from clv.kernels.special import gamma_inverse_moment

# CDNOW estimates (clv's own fits, see the model docstrings); rates are per week.
MODELS = {
    "bgnbd": (bgnbd, (0.2426, 4.4136, 0.7929, 2.4259)),
    "mbgnbd": (mbgnbd, (0.525, 6.183, 0.891, 1.614)),
    "paretonbd": (paretonbd, (0.553, 10.578, 0.606, 11.669)),
}
HISTORIES = [(0, 0, 5), (0, 0, 38), (1, 20, 38), (2, 30.43, 38.86), (10, 29, 30), (7, 3, 70), (120, 59, 60)]


def _integrated(kernel, params, delta, x, t_x, T) -> float:
    """delta * int_0^inf exp(-delta t) E[Y(t) | history] dt (integration by parts of int exp(-delta t) dE[Y(t)])."""
    f = lambda t: np.exp(-delta * t) * float(kernel.expected_purchases(t, *params, x, t_x, T))  # noqa: E731
    edges = [0.0, 10.0, 100.0, 1000.0, 10_000.0]
    total = sum(integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-11, limit=500)[0] for lo, hi in pairwise(edges))
    return delta * (total + integrate.quad(f, edges[-1], np.inf, epsabs=0, epsrel=1e-11, limit=500)[0])


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("annual", [0.03, 0.15])
def test_dert_matches_numerical_integration(name: str, annual: float) -> None:
    kernel, params = MODELS[name]
    delta = np.log1p(annual) / 52.0
    x, t_x, T = (np.array(v, dtype=float) for v in zip(*HISTORIES))
    dert = kernel.dert(delta, *params, x, t_x, T)
    reference = np.array([_integrated(kernel, params, delta, *h) for h in HISTORIES])
    np.testing.assert_allclose(dert, reference, rtol=1e-6)


@pytest.mark.parametrize("name", list(MODELS))
def test_dert_heavy_buyers_and_extreme_parameters_stay_finite(name: str) -> None:
    kernel, params = MODELS[name]
    x = np.array([0.0, 500, 10_000])
    t_x = np.array([0.0, 70, 78])
    T = np.array([78.0, 78, 78])
    for p in (params, tuple(v * f for v, f in zip(params, (100, 0.01, 20, 0.05)))):
        value = kernel.dert(0.002, *p, x, t_x, T)
        assert np.all(np.isfinite(value)) and np.all(value >= 0)
    # A heavy, recent buyer is alive; his DERT grows with his rate.
    assert kernel.dert(0.002, *params, 10_000.0, 78.0, 78.0) > kernel.dert(0.002, *params, 500.0, 78.0, 78.0)


@pytest.mark.parametrize("s", [0.05, 0.3, 0.999, 1.0, 2.5, 5.99, 6.0, 40.0, 1e4])
def test_gamma_inverse_moment(s: float) -> None:
    """E[1/(z+Y)], Y ~ Gamma(s): the series exp(z) [G(1-s) z^(s-1) - sum (-z)^k / (k! (1-s+k))] (non-integer s) or quadrature."""
    z = np.array([1e-6, 1e-3, 0.2, 1.0, 5.0, 80.0])
    value = gamma_inverse_moment(s, z)
    if s < 1:
        series = special.gamma(1 - s) * z ** (s - 1) - sum((-z) ** k / (factorial(k) * (1 - s + k)) for k in range(80))
        np.testing.assert_allclose(value[:4], np.exp(z[:4]) * series[:4], rtol=1e-10)
    quad = [integrate.quad(lambda t, zi=zi: np.exp(-zi * t) * (1 + t) ** -s, 0, np.inf, epsabs=0, epsrel=1e-12, limit=500)[0] for zi in z[2:]]
    np.testing.assert_allclose(value[2:], quad, rtol=1e-8)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")


@pytest.mark.parametrize("cls", [clv.BetaGeo, clv.ParetoNBD])
def test_lifetime_value_is_the_limit_of_long_horizons(cls, cdnow: pd.DataFrame) -> None:
    tm, gg = cls().fit(cdnow), clv.GammaGamma().fit(cdnow)
    rfm = cdnow.iloc[::120]
    lifetime = clv.customer_value(tm, gg, rfm, horizon=None, discount_rate=0.1)
    assert list(lifetime.columns) == ["purchase_rate", "p_alive", "churn_probability", "dert", "expected_spend", "clv"]
    # End-of-period discounting over periods of `period` weeks undervalues by at most (1.1)^(period/52.18) - 1.
    gaps = []
    for horizon in (520.0, 5218.0):
        finite = clv.customer_value(tm, gg, rfm, horizon=horizon, discount_rate=0.1, period=1.0)["clv"]
        gaps.append(np.max(np.abs(finite / lifetime["clv"] - 1)))
    assert gaps[1] < gaps[0]
    assert gaps[1] < 1.1 ** (1 / 52.18) - 1  # measured: 9.3e-4 for BG/NBD and Pareto/NBD, bound 1.8e-3
    delta = np.log(1.1) * 7 / 365.25
    np.testing.assert_allclose(lifetime["dert"], tm.discounted_expected_transactions(rfm, delta), rtol=1e-12)


def test_lifetime_value_interval_and_errors(cdnow: pd.DataFrame) -> None:
    bg, gg = clv.BetaGeo().fit(cdnow), clv.GammaGamma().fit(cdnow)
    rfm = cdnow.iloc[:40]
    out = clv.customer_value(bg, gg, rfm, horizon=None, discount_rate=0.1, interval=0.9, n_draws=20, seed=1)
    assert np.all(out["clv_lower"] <= out["clv"] * 1.05) and np.all(out["clv_upper"] >= out["clv"] * 0.95)
    with pytest.raises(clv.DataError, match="positive annual rate"):
        clv.customer_value(bg, gg, rfm, horizon=None, discount_rate=0.0)
    with pytest.raises(clv.DataError, match="delta must be a positive"):
        bg.discounted_expected_transactions(rfm, -1.0)
