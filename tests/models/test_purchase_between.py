"""probability_purchase_between: P(>= 1 repeat purchase in (t0, t1]) for a new customer."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

import clv
from clv.kernels import bgnbd, mbgnbd, paretonbd

BG = (0.243, 4.414, 0.793, 2.426)  # CDNOW BG/NBD, Fader, Hardie & Lee (2005)
PNBD = (0.55, 10.58, 0.61, 11.67)  # CDNOW Pareto/NBD, Fader & Hardie (2005)


@pytest.mark.parametrize(("kernel", "params"), [(bgnbd, BG), (mbgnbd, BG), (paretonbd, PNBD)])
def test_from_zero_is_one_minus_no_purchase(kernel, params):
    t = np.array([0.5, 4.0, 13.0, 39.0, 200.0])
    got = kernel.probability_purchase_between(np.zeros_like(t), t, *params)
    np.testing.assert_allclose(got, 1 - kernel.probability_of_purchases(np.zeros(5, int), t, *params), rtol=1e-9)


def test_bgnbd_against_monte_carlo_and_pareto_against_quadrature():
    rng = np.random.default_rng(0)
    n = 400_000
    r, alpha, a, b = BG
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    t0, t1 = 20.0, 24.0
    alive = rng.random(n) < np.exp(-lam * p * t0)  # dropout is a Poisson(lambda p) event
    buys = alive & (rng.random(n) < -np.expm1(-lam * (t1 - t0)))
    se = np.sqrt(buys.mean() * (1 - buys.mean()) / n)
    assert abs(buys.mean() - bgnbd.probability_purchase_between(t0, t1, *BG)) < 3 * se
    r, alpha, s, beta = PNBD
    exact = integrate.quad(lambda u: r * alpha**r * (alpha + u) ** -(r + 1) * (beta / (beta + t0 + u)) ** s, 0, t1 - t0)[0]
    assert paretonbd.probability_purchase_between(t0, t1, *PNBD) == pytest.approx(exact, rel=1e-10)


@pytest.mark.parametrize("model", [clv.BetaGeo.from_params(dict(zip("r alpha a b".split(), BG))),
                                   clv.ModifiedBetaGeo.from_params(dict(zip("r alpha a b".split(), BG))),
                                   clv.ParetoNBD.from_params(dict(zip("r alpha s beta".split(), PNBD)))])
def test_periods_are_finite_and_bounded(model):
    edges = np.r_[0.0, np.geomspace(0.1, 1e5, 40)]
    p = model.probability_purchase_between(edges[:-1], edges[1:])
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    assert model.probability_purchase_between(5.0, 5.0) == 0.0
    with pytest.raises(ValueError):
        model.probability_purchase_between(3.0, 2.0)
