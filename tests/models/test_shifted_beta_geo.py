"""sBG (clv.ShiftedBetaGeo): the published fits of Fader & Hardie (2007), DERL, persistence and input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
from clv.data.contracts import contracts_from_survivors
from clv.kernels import sbg
from tests.reference.sbg_bgbb import SBG_ACTIVE, SBG_ESTIMATES, SBG_FIT_YEARS


@pytest.fixture(scope="module")
def cohorts() -> clv.ShiftedBetaGeo:
    frames = []
    for name, active in SBG_ACTIVE.items():
        frame = contracts_from_survivors(active[: SBG_FIT_YEARS + 1])
        frames.append(frame.assign(cohort=name))
    return clv.ShiftedBetaGeo().fit(pd.concat(frames, ignore_index=True), weights="weight", group="cohort")


@pytest.mark.parametrize("name", list(SBG_ESTIMATES))
def test_published_estimates(cohorts: clv.ShiftedBetaGeo, name: str) -> None:
    """Fader & Hardie (2007): regular 0.704 / 1.182 / -1680.27, high end 0.668 / 3.806 / -1611.16."""
    model = cohorts.group_models_[name]
    ref = SBG_ESTIMATES[name]
    assert model.params_["alpha"] == pytest.approx(ref["alpha"], abs=5e-4)
    assert model.params_["beta"] == pytest.approx(ref["beta"], abs=5e-4)
    assert model.log_likelihood_ == pytest.approx(ref["log_likelihood"], abs=5e-3)
    assert model.result_.converged and np.all(np.isfinite(model.result_.std_err))


@pytest.mark.parametrize("name", list(SBG_ESTIMATES))
def test_projection_years_8_to_12(cohorts: clv.ShiftedBetaGeo, name: str) -> None:
    """Projected actives for years 8-12 track the table (measured: regular within 1.7%, high end within 4.1%, all below)."""
    projected = cohorts.projection(12, cohort_size=1000, group=name)["active"].to_numpy()[8:]
    actual = np.asarray(SBG_ACTIVE[name][8:], dtype=float)
    assert np.all(np.abs(projected / actual - 1) < 0.05)


def test_individual_rows_equal_weighted_rows() -> None:
    weighted = contracts_from_survivors([100, 60, 45, 40])
    individual = weighted.loc[weighted.index.repeat(weighted["weight"].astype(int))].drop(columns="weight")
    a = clv.ShiftedBetaGeo().fit(weighted, weights="weight").params_
    b = clv.ShiftedBetaGeo().fit(individual).params_
    np.testing.assert_allclose(a, b, rtol=1e-7)


def test_gradient_matches_differences() -> None:
    n = np.array([0.0, 1, 2, 5, 5])
    churned = np.array([True, True, False, True, False])
    w = np.array([3.0, 2, 1, 4, 7])
    params = np.array([0.8, 2.5])
    _, grad = sbg.loglik_grad(params, n, churned, w)
    h = 1e-6
    for i in range(2):
        step = np.eye(2)[i] * h
        numeric = (sbg.loglik_grad(params + step, n, churned, w)[0] - sbg.loglik_grad(params - step, n, churned, w)[0]) / (2 * h)
        assert grad[i] == pytest.approx(numeric, rel=1e-6)


def test_pmf_and_survival_are_consistent() -> None:
    alpha, beta = 0.7, 1.2
    t = np.arange(1, 400)
    pmf = np.exp(sbg.log_churn_pmf(t, alpha, beta))
    surv = np.exp(sbg.log_survival(t, alpha, beta))
    np.testing.assert_allclose(1 - np.cumsum(pmf), surv, atol=1e-12)
    np.testing.assert_allclose(surv[1:] / surv[:-1], sbg.retention_rate(t[1:], alpha, beta), rtol=1e-12)


@pytest.mark.parametrize(("alpha", "beta"), [(0.704, 1.182), (0.668, 3.806), (3.0, 8.0), (50.0, 0.3)])
def test_derl_equals_discounted_sum(alpha: float, beta: float) -> None:
    """DERL (Fader & Hardie 2010, eq. 6) equals sum_k S(n+1+k)/S(n)/(1+d)^k summed directly."""
    model = clv.ShiftedBetaGeo.from_params({"alpha": alpha, "beta": beta})
    k = np.arange(5000)
    for n in (0, 1, 4, 30):
        direct = np.sum(np.exp(sbg.log_survival(n + 1 + k, alpha, beta) - sbg.log_survival(n, alpha, beta)) / 1.1**k)
        assert model.derl(n, 0.1) == pytest.approx(direct, rel=1e-9)
    if alpha > 1:
        direct = np.sum(np.exp(sbg.log_survival(3 + np.arange(1, 2_000_000), alpha, beta) - sbg.log_survival(3, alpha, beta)))
        assert model.expected_residual_lifetime(3) == pytest.approx(direct, rel=1e-4)
    else:
        assert model.expected_residual_lifetime(3) == np.inf


def test_json_round_trip_keeps_groups(cohorts: clv.ShiftedBetaGeo, tmp_path) -> None:
    loaded = clv.load_model(cohorts.save(tmp_path / "sbg.json"))
    assert isinstance(loaded, clv.ShiftedBetaGeo)
    for name in SBG_ACTIVE:
        np.testing.assert_array_equal(loaded.survival(np.arange(13), group=name), cohorts.survival(np.arange(13), group=name))
        assert loaded.derl(3, 0.1, group=name) == cohorts.derl(3, 0.1, group=name)
    assert loaded.summary().equals(cohorts.summary())


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"tenure": [1, -1], "churned": [1, 0]}), "column 'tenure': negative"),
        (pd.DataFrame({"tenure": [1, 1.5], "churned": [1, 0]}), "column 'tenure': renewals must be whole"),
        (pd.DataFrame({"tenure": [1, 2], "churned": [1, "maybe"]}), "column 'churned': expected true/false"),
        (pd.DataFrame({"tenure": [1, 2], "churned": [0, 0]}), "no customer has churned"),
        (pd.DataFrame({"renewals": [1, 2], "churned": [1, 0]}), "column 'tenure': missing"),
    ],
)
def test_bad_input(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(clv.DataError, match=message):
        clv.ShiftedBetaGeo().fit(frame)


def test_unknown_group_and_bad_rate(cohorts: clv.ShiftedBetaGeo) -> None:
    with pytest.raises(clv.DataError, match="group 'vip' was not fitted"):
        cohorts.survival(3, group="vip")
    with pytest.raises(clv.DataError, match="discount_rate"):
        cohorts.derl(1, 0.0)
