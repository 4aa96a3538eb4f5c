"""RFM quantile scores, named segments and value tiers."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clv
from clv.segments import RFM_SEGMENT_RULES


def _rfm(frequency, gap, monetary):
    frequency = np.asarray(frequency, dtype=float)
    T = np.full(len(frequency), 100.0)
    recency = np.where(frequency > 0, T - np.asarray(gap, dtype=float), 0.0)
    return pd.DataFrame(
        {"frequency": frequency, "recency": recency, "T": np.where(frequency > 0, T, np.asarray(gap, dtype=float)),
         "monetary_value": np.where(frequency > 0, monetary, 0.0)},
        index=pd.Index(np.arange(len(frequency)), name="customer_id"),
    )


def test_segment_rules_cover_the_grid_once_in_order():
    for r, f in itertools.product(range(1, 6), repeat=2):
        names = [name for name, (rl, rh), (fl, fh) in RFM_SEGMENT_RULES if rl <= r <= rh and fl <= f <= fh]
        assert names, (r, f)
    named = {name for name, _, _ in RFM_SEGMENT_RULES}
    assert {"champions", "loyal", "potential", "new", "at risk", "hibernating", "lost"} <= named


def test_distinct_values_fill_quintiles():
    n = 100
    rfm = _rfm(np.arange(1, n + 1), np.linspace(1, 99, n), np.arange(n) + 1.0)
    seg = clv.rfm_segments(rfm)
    for col in ("r_score", "f_score", "m_score"):
        assert seg[col].value_counts().sort_index().tolist() == [20] * 5
    # frequency and monetary grow with the index, the gap too (so recency scores fall)
    assert seg["f_score"].is_monotonic_increasing and seg["m_score"].is_monotonic_increasing
    assert seg["r_score"].is_monotonic_decreasing
    assert seg.loc[0, "rfm_score"] == "511" and seg.loc[n - 1, "rfm_score"] == "155"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 8), min_size=2, max_size=60), st.integers(2, 10))
def test_quantile_scores_properties(values, bins):
    rfm = _rfm(values, np.full(len(values), 5.0), 10.0)
    seg = clv.rfm_segments(rfm, bins=bins)
    f = seg["f_score"].to_numpy()
    x = np.asarray(values)
    assert f.min() >= 1 and f.max() <= bins
    assert (f[x == x.min()] == 1).all()
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(f[order]) >= 0)  # monotone
    for v in np.unique(x):
        assert len(set(f[x == v])) == 1  # ties share a score


def test_cdnow_one_time_buyers(cdnow_split):
    ch = cdnow_split.holdout
    seg = clv.rfm_segments(ch, cdnow_split.scores)
    once = ch["frequency"] == 0
    assert (seg.loc[once, "f_score"] == 1).all() and (seg.loc[once, "m_score"] == 1).all()
    assert set(seg.loc[once, "segment"]) <= {"new", "about to sleep", "hibernating", "lost"}
    assert set(seg["segment"]) <= {name for name, _, _ in RFM_SEGMENT_RULES}
    assert list(seg.columns) == ["r_score", "f_score", "m_score", "rfm_score", "segment", "clv", "value_tier"]
    # champions buy far more in the holdout than lost customers
    rate = ch["holdout_frequency"].groupby(seg["segment"]).mean()
    assert rate["champions"] > 5 * rate["lost"]


def test_other_bin_counts_have_no_names():
    rfm = _rfm([1, 2, 3], [1, 2, 3], 5.0)
    assert set(clv.rfm_segments(rfm, bins=3)["segment"]) == {"unclassified"}
    with pytest.raises(clv.DataError, match="bins must be a whole number"):
        clv.rfm_segments(rfm, bins=1)


def test_value_tiers_shares_and_ties():
    values = pd.Series(np.arange(1000.0)[::-1])
    tiers = clv.value_tiers(values)
    assert tiers.value_counts(sort=False).tolist() == [50, 150, 600, 200]
    assert tiers.iloc[0] == "high-value" and tiers.iloc[-1] == "low-value"
    assert tiers.cat.ordered and list(tiers.cat.categories) == list(clv.VALUE_TIERS)
    tied = clv.value_tiers(pd.Series([5.0] * 10 + [1.0] * 10))
    assert tied.tolist() == ["high-value"] * 10 + ["regular"] * 10  # ties take the better tier
    custom = clv.value_tiers(values, cuts=(0.1, 0.5, 0.9))
    assert custom.value_counts(sort=False).tolist() == [100, 400, 400, 100]


def test_value_tiers_accept_a_score_table(cdnow_split):
    tiers = clv.value_tiers(cdnow_split.scores)
    by_tier = cdnow_split.scores["clv"].groupby(tiers, observed=True).min()
    assert by_tier.is_monotonic_decreasing


@pytest.mark.parametrize("cuts", [(0.2, 0.1, 0.8), (0.0, 0.2, 0.8), (0.05, 0.2, 1.5), (0.1, 0.2)])
def test_value_tiers_bad_cuts(cuts):
    with pytest.raises(clv.DataError, match="cuts must be three increasing shares"):
        clv.value_tiers(pd.Series([1.0, 2.0]), cuts=cuts)


def test_value_tiers_bad_values():
    with pytest.raises(clv.DataError, match="column 'clv': missing or non-finite value"):
        clv.value_tiers(pd.Series([1.0, np.inf], index=["a", "b"]))
    with pytest.raises(clv.DataError, match="column 'monetary_value'"):
        clv.rfm_segments(pd.DataFrame({"frequency": [1.0], "recency": [1.0], "T": [2.0]}))
