"""clv.bayes.HierarchicalShiftedBetaGeo: the two cohorts of Fader & Hardie (2007) pooled, with short chains (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clv.data.contracts import contracts_from_survivors

# ../shared/reference/sbg_bgbb_published.md: customers active at the start of years 0-7 (the fitting years).
ACTIVE = {"regular": [1000, 631, 468, 382, 326, 289, 262, 241], "high end": [1000, 869, 743, 653, 593, 551, 517, 491]}
PUBLISHED = {"regular": (0.704, 1.182), "high end": (0.668, 3.806)}  # Fader & Hardie (2007) MLE


@pytest.fixture(scope="module")
def contracts() -> pd.DataFrame:
    parts = []
    for cohort, active in ACTIVE.items():
        frame = contracts_from_survivors(active)
        frame = frame.loc[frame.index.repeat(frame["weight"].astype(int))].drop(columns="weight")
        parts.append(frame.assign(cohort=cohort))
    return pd.concat(parts, ignore_index=True)


@pytest.mark.slow
def test_pooled_cohorts_recover_the_published_fits(contracts: pd.DataFrame, tmp_path) -> None:
    import clv.bayes

    model = clv.bayes.HierarchicalShiftedBetaGeo(group="cohort").fit(contracts, draws=200, tune=200, chains=2, cores=1, random_seed=5)
    params = model.group_params()
    for cohort, (alpha, beta) in PUBLISHED.items():
        # 1,000 customers a cohort: the pooled posterior sits on the cohort's own MLE (mean churn to 0.02).
        churn = params.loc[(cohort, "churn"), "mean"]
        assert churn == pytest.approx(alpha / (alpha + beta), abs=0.02)
    curve = model.survival(12)
    assert list(curve.index.get_level_values("cohort").unique()) == ["high end", "regular"]
    for cohort, (alpha, beta) in PUBLISHED.items():
        mle = clv.ShiftedBetaGeo.from_params({"alpha": alpha, "beta": beta})
        rows = curve.loc[cohort]
        assert np.all(rows["lower"] <= rows["mean"]) and np.all(rows["mean"] <= rows["upper"])
        assert rows.loc[12, "mean"] == pytest.approx(float(np.asarray(mle.survival(12)).reshape(-1)[-1]), abs=0.03)
    path = model.save(tmp_path / "sbg.nc")
    again = clv.bayes.load(path)
    pd.testing.assert_frame_equal(again.survival(12), curve)


def test_weighted_rows_are_refused(contracts: pd.DataFrame) -> None:
    import clv.bayes

    with pytest.raises(clv.DataError, match="one row per customer"):
        clv.bayes.HierarchicalShiftedBetaGeo().build_model(contracts_from_survivors(ACTIVE["regular"]))
