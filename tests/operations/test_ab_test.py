"""clv.ab_test: arms compared on model quantities; time since assignment; a small calibration check.

The full calibration (200 experiments per scenario, 5,000 customers per arm) is
benchmarks/bench_ab_calibration.py; its figures are in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
from clv.errors import DataError
from clv.operations import experiment_rfm

BASE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW BG/NBD (Fader, Hardie & Lee 2005)


def _experiment(seed: int, n_per_arm: int, effect: float, **kwargs) -> pd.DataFrame:
    treated = {**BASE, "alpha": BASE["alpha"] / (1 + effect)}
    arms = {"control": {"params": BASE}, "treatment": {"params": treated}}
    sim = clv.simulate(2 * n_per_arm, seed=seed, start="2024-01-01", end="2025-01-01", acquisition_end="2024-01-29",
                       channels=arms, **kwargs)
    return clv.rfm_summary(sim.transactions, observation_end="2024-12-31").join(sim.customers["channel"].rename("arm"))


def test_small_calibration():
    null = [clv.ab_test(_experiment(s, 600, 0.0), control="control", n_draws=40, seed=s).tests.loc["purchase_model", "p_value"]
            for s in range(8)]
    assert sum(p < 0.05 for p in null) <= 2
    strong = clv.ab_test(_experiment(99, 1500, 0.6), control="control", margin=0.3, n_draws=100, seed=1)
    t = strong.table.set_index("metric")
    assert strong.tests.loc["purchase_model", "p_value"] < 0.01
    assert t.loc["purchase_rate", "ratio"] == pytest.approx(1.6, rel=0.25)
    assert t.loc["ltv", "p_treatment_better"] > 0.95 and t.loc["ltv", "difference_lower"] > 0
    assert t.loc["dropout", "better"] == "lower"
    assert set(strong.models) == {"control", "treatment", "*"}


def test_time_since_assignment_makes_late_arm_comparable():
    # same behaviour, but arm "late" is assigned (acquired) 30 weeks after arm "early"
    early = clv.simulate(1500, params=BASE, seed=7, start="2024-01-01", end="2025-01-01", acquisition_end="2024-01-15")
    late = clv.simulate(1500, params=BASE, seed=8, start="2024-07-29", end="2025-01-01", acquisition_end="2024-08-12")
    tx = pd.concat([early.transactions, late.transactions.assign(customer_id=late.transactions["customer_id"] + 10_000)])
    arms = pd.DataFrame({"customer_id": np.r_[early.customers.index, late.customers.index + 10_000],
                         "arm": ["early"] * 1500 + ["late"] * 1500})
    rfm = experiment_rfm(clv.read_transactions(tx), arms, observation_end="2024-12-31")
    per_customer = rfm.groupby("arm")["frequency"].mean()
    assert per_customer["early"] > 1.5 * per_customer["late"]  # raw counts would call "late" much worse
    res = clv.ab_test(rfm, control="early", n_draws=100, seed=3)
    assert res.tests.loc["purchase_model", "p_value"] > 0.05
    assert res.table.set_index("metric").loc["purchase_rate", "p_value"] > 0.05
    assert res.arms.loc["late", "mean_T"] < res.arms.loc["early", "mean_T"] - 25


def test_assigned_at_starts_the_clock():
    tx = clv.read_transactions(pd.DataFrame({"customer_id": [1, 1, 1, 2, 3], "amount": [5.0, 8.0, 4.0, 3.0, 1.0],
                                             "date": ["2024-01-01", "2024-01-29", "2024-02-19", "2024-01-10", "2024-01-02"]}))
    arms = pd.DataFrame({"customer_id": [1, 2, 4], "arm": ["A", "B", "B"],
                         "assigned_at": pd.to_datetime(["2024-01-29", "2024-02-12", "2024-03-30"])})
    rfm = experiment_rfm(tx, arms, observation_end="2024-02-26")
    assert rfm.loc[1, "frequency"] == 1  # the assignment-day purchase is time 0, not counted
    assert rfm.loc[1, "T"] == 4 and rfm.loc[2, "T"] == 2
    assert rfm.attrs["exclusions"]["customers_assigned_after_observation_end"] == 1
    assert rfm.attrs["exclusions"]["transactions_not_in_arms"] == 1


def test_input_errors():
    rfm = _experiment(1, 200, 0.0)
    with pytest.raises(DataError, match="column 'group'"):
        clv.ab_test(rfm, arm="group")
    with pytest.raises(DataError, match="control='x'"):
        clv.ab_test(rfm, control="x")
    with pytest.raises(DataError, match="two arms"):
        clv.ab_test(rfm.assign(arm="a"))


def test_focused_tests_are_the_rows_p_values():
    res = clv.ab_test(_experiment(99, 1500, 0.6), control="control", n_draws=60, seed=1)
    t, tests = res.table.set_index("metric"), res.tests
    assert tests.index.tolist() == ["purchase_model", "spend_model", "purchase_rate: treatment", "dropout: treatment",
                                    "spend: treatment"]
    for metric in ("purchase_rate", "dropout", "spend"):
        row = tests.loc[f"{metric}: treatment"]
        assert row["df"] == 1 and t.loc[metric, "test"] == "likelihood ratio, 1 df"
        assert t.loc[metric, "p_value"] == row["p_value"]
        assert row["loglik_pooled"] <= row["loglik_arms"] + 1e-6  # the constrained maximum cannot beat the free one
        assert row["loglik_arms"] == pytest.approx(tests.loc["purchase_model" if metric != "spend" else "spend_model", "loglik_arms"],
                                                   abs=1e-4)
    assert t.loc["ltv", "test"] == "Wald (bootstrap)" and t.loc["ltv", "p_value"] == t.loc["ltv", "p_value_wald"]
    # P(alive): per-customer values under the pooled fit, arms compared by permutation (clv.operations.ab_permutation)
    assert t.loc["p_alive", "test"].startswith("permutation of Welch t, 2,000 relabellings")
    rfm = _experiment(99, 1500, 0.6)
    p_alive = res.models["*"][0].probability_alive(rfm).groupby(rfm["arm"]).mean()
    assert t.loc["p_alive", ["control", "treatment"]].tolist() == pytest.approx([p_alive["control"], p_alive["treatment"]], rel=1e-12)
    assert t.loc["p_alive", "difference_lower"] < t.loc["p_alive", "difference"] < t.loc["p_alive", "difference_upper"]
    assert t.loc["purchase_rate", "p_value"] < 1e-4
    # asymptotically the focused LR and the Wald test of the same quantity agree
    assert np.log10(t.loc["purchase_rate", "p_value"]) == pytest.approx(np.log10(t.loc["purchase_rate", "p_value_wald"]), rel=0.5)
    assert "mean purchase rate x1.6" in res.summary() or "mean purchase rate x1.5" in res.summary()


def test_focused_test_is_the_profile_likelihood_maximum():
    from scipy import optimize

    from clv.kernels import bgnbd
    from clv.operations.focused_tests import arm_pair_test, transaction_data

    rfm = _experiment(5, 800, 0.0)
    c, t = rfm[rfm["arm"] == "control"], rfm[rfm["arm"] == "treatment"]
    fits = [clv.BetaGeo().fit(f) for f in (c, t, rfm)]
    out = arm_pair_test("purchase_rate", *fits, c, t)
    dc, dt = transaction_data(c), transaction_data(t)

    def negll(u):  # independent parametrisation of H0: the treatment's alpha from r_t and the control's r/alpha
        th_c = np.exp(u[:4])
        r_t, a_t, b_t = np.exp(u[4:])
        th_t = np.array([r_t, r_t * th_c[1] / th_c[0], a_t, b_t])
        return -(bgnbd.loglik_grad(th_c, *dc[:3], dc[3])[0] + bgnbd.loglik_grad(th_t, *dt[:3], dt[3])[0])

    p = fits[2].params_
    best = optimize.minimize(negll, np.log([p["r"], p["alpha"], p["a"], p["b"], p["r"], p["a"], p["b"]]), method="Nelder-Mead",
                             options={"maxiter": 20000, "xatol": 1e-9, "fatol": 1e-9})
    assert out["loglik_constrained"] == pytest.approx(-best.fun, abs=1e-3)
    assert out["loglik_arms"] == pytest.approx(fits[0].log_likelihood_ + fits[1].log_likelihood_, abs=1e-6)


def test_focused_test_without_a_constraint_is_nan():
    from clv.operations.focused_tests import arm_pair_test

    rfm = _experiment(3, 300, 0.0)
    fit = clv.BetaGeo().fit(rfm)
    out = arm_pair_test("spend", fit, fit, fit, rfm, rfm)  # a transaction model has no spend constraint
    assert out["df"] == 0 and np.isnan(out["p_value"])
