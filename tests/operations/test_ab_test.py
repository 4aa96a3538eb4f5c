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
