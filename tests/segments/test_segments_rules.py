"""The lifecycle-stage rule, input checks and numerical safety."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clv
from clv.segments import lifecycle_stage


class DecayModel:
    """Stand-in transaction model: expected purchases fall as exp(-gap / 10) with the time since the last purchase."""

    def expected_purchases(self, rfm: pd.DataFrame, t: float) -> pd.Series:
        return pd.Series(t * np.exp(-(rfm["T"] - rfm["recency"]) / 10.0), index=rfm.index)


def _frames(x, t_x, T, p_alive):
    index = pd.Index([f"c{i}" for i in range(len(x))], name="customer_id")
    rfm = pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "monetary_value": 10.0}, index=index)
    scores = pd.DataFrame({"p_alive": p_alive, "churn_probability": 1 - np.asarray(p_alive), "clv": 5.0}, index=index)
    return scores, rfm


def test_each_branch_of_the_rule():
    # activity = exp(-gap/10): gap 0 -> 1, gap 10 -> 0.37, gap 20 -> 0.14
    scores, rfm = _frames(
        x=[0, 1, 5, 5, 5, 5, 5, 0],
        t_x=[0, 10, 30, 30, 20, 10, 30, 0],
        T=[2, 10, 30, 30, 30, 30, 30, 30],
        p_alive=[1.0, 0.9, 0.9, 0.5, 0.9, 0.9, 0.2, 1.0],
    )
    stage = lifecycle_stage(scores, rfm, DecayModel(), window=1.0)
    assert stage["stage"].tolist() == ["new", "growing", "mature", "declining", "declining", "churned", "churned", "churned"]
    assert stage["activity"].iloc[4] == pytest.approx(np.exp(-1.0))
    assert list(stage.columns) == ["stage", "p_alive", "activity", "frequency", "T"]
    assert list(stage["stage"].cat.categories) == list(clv.STAGES)
    assert stage["stage"].cat.ordered


def test_mature_tenure_and_frequency_thresholds():
    scores, rfm = _frames(x=[3, 3, 2], t_x=[5, 30, 30], T=[5, 30, 30], p_alive=[0.9, 0.9, 0.9])
    default = lifecycle_stage(scores, rfm, DecayModel())["stage"].tolist()
    assert default == ["mature", "mature", "growing"]
    tenure = lifecycle_stage(scores, rfm, DecayModel(), mature_tenure=10)["stage"].tolist()
    assert tenure == ["growing", "mature", "growing"]
    assert lifecycle_stage(scores, rfm, DecayModel(), mature_frequency=2)["stage"].tolist() == ["mature"] * 3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.floats(0, 60), st.floats(0, 60), st.floats(0, 1)), min_size=1, max_size=30),
    st.floats(0.05, 0.5),
    st.floats(0.05, 0.5),
)
def test_rule_matches_its_documentation(rows, churn_p, churn_a):
    x = np.array([r[0] for r in rows], dtype=float)
    T = np.array([max(r[1], r[2]) for r in rows])
    t_x = np.where(x > 0, np.array([min(r[1], r[2]) for r in rows]), 0.0)
    p = np.array([r[3] for r in rows])
    scores, rfm = _frames(x, t_x, T, p)
    decline_p, decline_a = churn_p + 0.3, churn_a + 0.3
    out = lifecycle_stage(scores, rfm, DecayModel(), churn_p_alive=churn_p, churn_activity=churn_a,
                          decline_p_alive=decline_p, decline_activity=decline_a)
    activity = out["activity"].to_numpy()
    assert np.all((activity >= 0) & (activity <= 1))
    for i, stage in enumerate(out["stage"]):
        churned = p[i] < churn_p or activity[i] < churn_a
        declining = not churned and (p[i] < decline_p or activity[i] < decline_a)
        assert (stage == "churned") == churned
        assert (stage == "declining") == declining
        if not churned and not declining:
            assert stage == ("new" if x[i] == 0 else "growing" if x[i] < 3 else "mature")


def test_new_stage_for_recent_one_time_buyers(cdnow_split):
    bg = cdnow_split.model
    rfm = pd.DataFrame({"frequency": [0.0, 0.0, 0.0], "recency": [0.0, 0.0, 0.0], "T": [0.5, 3.0, 30.0],
                        "monetary_value": [0.0, 0.0, 0.0]}, index=pd.Index([1, 2, 3], name="customer_id"))
    scores = clv.customer_value(bg, cdnow_split.spend, rfm, horizon=52, discount_rate=0.1)
    stage = lifecycle_stage(scores, rfm, bg)
    assert stage["stage"].tolist() == ["new", "new", "churned"]
    assert (stage["p_alive"] == 1.0).all()  # BG/NBD: one-time buyers are "alive" however long they are silent


def test_heavy_buyers_and_long_tenures_stay_finite(cdnow_split):
    bg = cdnow_split.model
    rfm = pd.DataFrame(
        {"frequency": [10_000.0, 10_000.0, 5_000.0, 1.0], "recency": [500.0, 100.0, 4_999.0, 0.5],
         "T": [500.0, 5_000.0, 5_000.0, 10_000.0], "monetary_value": [20.0, 20.0, 20.0, 20.0]},
        index=pd.Index(list("abcd"), name="customer_id"),
    )
    scores = clv.customer_value(bg, cdnow_split.spend, rfm, horizon=52, discount_rate=0.1)
    stage = lifecycle_stage(scores, rfm, bg)
    assert np.isfinite(stage["activity"]).all()
    assert stage["stage"].tolist() == ["mature", "churned", "mature", "churned"]
    table = clv.customer_segments(scores, rfm, bg)
    assert np.isfinite(table.select_dtypes("number")).all().all()


def test_rows_are_matched_by_customer_id(cdnow_split):
    ch, scores = cdnow_split.holdout, cdnow_split.scores
    shuffled = ch.sample(frac=1.0, random_state=3)
    again = lifecycle_stage(scores, shuffled, cdnow_split.model)
    pd.testing.assert_frame_equal(again, cdnow_split.stages)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"churn_p_alive": 1.5}, "churn_p_alive must lie between 0 and 1"),
        ({"decline_activity": -0.1}, "decline_activity must lie between 0 and 1"),
        ({"window": 0.0}, "window must be positive"),
        ({"mature_frequency": 0}, "mature_frequency must be at least 1"),
    ],
)
def test_bad_settings(change, message):
    scores, rfm = _frames([1], [1.0], [2.0], [0.5])
    with pytest.raises(clv.DataError, match=message):
        lifecycle_stage(scores, rfm, DecayModel(), **change)


def test_bad_inputs_name_the_column_or_customer():
    scores, rfm = _frames([1, 2], [1.0, 2.0], [2.0, 3.0], [0.5, 0.6])
    with pytest.raises(clv.DataError, match="customer 'c1': in the score table but not in the RFM frame"):
        lifecycle_stage(scores, rfm.iloc[:1], DecayModel())
    with pytest.raises(clv.DataError, match="column 'p_alive': missing from the score table"):
        lifecycle_stage(scores.drop(columns="p_alive"), rfm, DecayModel())
    bad = scores.copy()
    bad.loc["c1", "p_alive"] = np.nan
    with pytest.raises(clv.DataError, match="column 'p_alive': missing or non-finite value for customer 'c1'"):
        lifecycle_stage(bad, rfm, DecayModel())
    with pytest.raises(clv.DataError, match="column 'recency'"):
        lifecycle_stage(scores, rfm.assign(recency=[5.0, 2.0]), DecayModel())
    with pytest.raises(clv.DataError, match="expected a score table"):
        lifecycle_stage(rfm.to_numpy(), rfm, DecayModel())
