"""clv.operations.ab_test_bayes: structure of the output and P(treatment better) on a large effect.

Short chains on small simulated arms (seeded): plumbing and direction, not inference quality. The
full-size comparison with the MLE path is in benchmarks/RESULTS.md (issue 15).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
from clv.operations import ab_test_bayes

BASE = {"r": 0.3, "alpha": 4.0, "a": 0.8, "b": 2.5}
SPEND = {"p": 6.0, "q": 4.0, "v": 15.0}


@pytest.fixture(scope="module")
def strong_effect() -> pd.DataFrame:
    # treatment buys 3x as often (alpha / 3) and drops out less (a/(a+b) 0.24 -> 0.11); spend unchanged
    treated = {"r": 0.3, "alpha": 4.0 / 3, "a": 0.4, "b": 3.2}
    arms = {"control": {"params": BASE}, "treatment": {"params": treated}}
    sim = clv.simulate(500, spend_params=SPEND, seed=21, start="2024-01-01", end="2025-01-01", acquisition_end="2024-01-29",
                       channels=arms)
    return clv.rfm_summary(sim.transactions, observation_end="2024-12-31").join(sim.customers["channel"].rename("arm"))


@pytest.mark.slow
def test_bayes_ab_structure_and_direction(strong_effect: pd.DataFrame) -> None:
    table = ab_test_bayes(strong_effect, control="control", margin=0.3, draws=60, tune=60, chains=1, seed=3)
    assert table.columns.tolist() == ["arm", "metric", "control", "treatment", "difference", "difference_lower",
                                      "difference_upper", "ratio", "p_treatment_better", "better"]
    assert table["arm"].eq("treatment").all()
    t = table.set_index("metric")
    assert t.index.tolist() == ["purchase_rate", "dropout", "p_alive", "spend", "ltv"]
    assert np.isfinite(t[["control", "treatment", "difference", "difference_lower", "difference_upper"]].to_numpy()).all()
    assert (t["difference_lower"] <= t["difference"]).all() and (t["difference"] <= t["difference_upper"]).all()
    assert t["p_treatment_better"].between(0, 1).all()
    # a threefold purchase rate: the posterior is sure the treatment buys more and is worth more
    assert t.loc["purchase_rate", "p_treatment_better"] > 0.95
    assert t.loc["ltv", "p_treatment_better"] > 0.95 and t.loc["ltv", "difference_lower"] > 0
    assert t.loc["purchase_rate", "ratio"] == pytest.approx(3.0, rel=0.4)
    assert t.loc["dropout", "better"] == "lower"
