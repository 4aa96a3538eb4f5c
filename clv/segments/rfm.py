"""Classic quantile RFM scores, named RFM segments and value tiers by predicted CLV."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clv.checks import align, check_scores
from clv.data.rfm_checks import check_rfm
from clv.errors import DataError

__all__ = ["RFM_SEGMENT_RULES", "VALUE_TIERS", "rfm_segments", "value_tiers"]

VALUE_TIERS: tuple[str, ...] = ("high-value", "potential", "regular", "low-value")
"""Value tiers by predicted CLV, best first."""

RFM_SEGMENT_RULES: tuple[tuple[str, tuple[int, int], tuple[int, int]], ...] = (
    ("champions", (4, 5), (4, 5)),
    ("loyal", (3, 5), (3, 5)),
    ("potential", (4, 5), (2, 3)),
    ("new", (4, 5), (1, 1)),
    ("need attention", (3, 3), (2, 3)),
    ("about to sleep", (3, 3), (1, 1)),
    ("cannot lose", (1, 2), (5, 5)),
    ("at risk", (1, 2), (3, 5)),
    ("hibernating", (2, 2), (1, 2)),
    ("lost", (1, 1), (1, 2)),
)
"""Named RFM segments on the recency x frequency grid (scores 1-5): ``(name,
(R low, R high), (F low, F high))``; the first matching rule wins and the
rules cover the whole 5 x 5 grid."""


@dataclass(frozen=True)
class BaseRanks:
    """Where each customer of a slice stands in the whole customer base, for scoring a base slice by slice.

    The quantile scores and value tiers depend on every customer; an engine
    that scores the base in chunks (:mod:`clv.duckdb`) counts these once over
    the whole base and passes them with each chunk, so the chunk's scores and
    tiers equal those of the whole frame.

    Attributes
    ----------
    total : int
        Customers in the whole base.
    r_below, f_below, m_below : numpy.ndarray
        Per row of the slice: customers of the base with a strictly longer
        time since the last purchase (rounded ``T - recency``, as
        :func:`rfm_segments`), strictly fewer repeat purchases, a strictly
        lower ``monetary_value``.
    clv_above : numpy.ndarray
        Customers of the base with a strictly higher ``clv``.
    """

    total: int
    r_below: np.ndarray
    f_below: np.ndarray
    m_below: np.ndarray
    clv_above: np.ndarray


def _counts_below(values: np.ndarray) -> np.ndarray:
    """Per value, the number of values strictly lower."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - counts)[inverse.reshape(-1)]


def _quantile_score(values: np.ndarray | None, bins: int, below: np.ndarray | None = None, total: int | None = None) -> np.ndarray:
    """``1 + floor(bins * share of customers with a strictly lower value)``, capped at ``bins`` (counts given or from ``values``)."""
    if below is None:
        below, total = _counts_below(np.asarray(values)), len(values)  # type: ignore[arg-type]
    share = np.asarray(below) / total
    return np.minimum(1 + np.floor(bins * share + 1e-12).astype(int), bins)


def _tier_codes(above: np.ndarray, total: int, cuts: np.ndarray) -> np.ndarray:
    """Tier code per customer from the number of customers with a strictly higher value."""
    return np.searchsorted(cuts, np.asarray(above) / max(total, 1), side="right")


def recency_gap(rfm: pd.DataFrame) -> np.ndarray:
    """``T - recency`` rounded to 9 decimals: the time since the last purchase that ``r_score`` ranks."""
    return np.round(rfm["T"].to_numpy(dtype=float) - rfm["recency"].to_numpy(dtype=float), 9)


def value_tiers(values: Any, *, cuts: tuple[float, float, float] = (0.05, 0.20, 0.80)) -> pd.Series:
    """Value tier of each customer from predicted CLV.

    A customer is ``high-value`` when fewer than ``cuts[0]`` of all customers
    have a strictly higher value (the top 5% by default), ``potential`` below
    ``cuts[1]`` (the next 15%), ``regular`` below ``cuts[2]`` (the middle 60%)
    and ``low-value`` otherwise (the bottom 20%). Ties share the better tier.

    Parameters
    ----------
    values : pandas.Series or score table
        CLV per customer, or a score table (its ``clv`` column is used).
    cuts : tuple of three floats
        Increasing cumulative shares from the top.

    Returns
    -------
    pandas.Series
        Ordered categorical over :data:`VALUE_TIERS`, named ``value_tier``.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> clv.value_tiers(pd.Series(range(20), dtype=float)).value_counts(sort=False).to_dict()
    {'high-value': 1, 'potential': 3, 'regular': 12, 'low-value': 4}
    """
    if isinstance(values, pd.DataFrame):
        values = check_scores(values, ("clv",))["clv"]
    if not isinstance(values, pd.Series):
        raise DataError(f"expected CLV values as a pandas Series, got {type(values).__name__}")
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"column 'clv': missing or non-finite value {values.iloc[i]!r} for customer {values.index[i]!r}")
    c = np.asarray(cuts, dtype=float)
    if c.shape != (3,) or not np.all(np.diff(c) > 0) or c[0] <= 0 or c[-1] > 1:
        raise DataError(f"cuts must be three increasing shares in (0, 1], got {cuts}")
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    tier = _tier_codes((len(v) - np.cumsum(counts))[inverse.reshape(-1)], len(v), c)
    tiers = pd.Categorical.from_codes(tier, categories=VALUE_TIERS, ordered=True)
    return pd.Series(tiers, index=values.index, name="value_tier")


def rfm_segments(
    rfm: pd.DataFrame,
    scores: pd.DataFrame | None = None,
    *,
    bins: int = 5,
    tier_cuts: tuple[float, float, float] = (0.05, 0.20, 0.80),
    ranks: BaseRanks | None = None,
) -> pd.DataFrame:
    """Classic quantile RFM scores, named segments and (with scores) value tiers.

    * ``r_score`` ranks the time since the last purchase, ``T - recency``
      (shorter is better), ``f_score`` the repeat purchases ``frequency`` and
      ``m_score`` the average repeat spend ``monetary_value``.
      A value scores ``1 + floor(bins * share of customers strictly worse)``:
      the worst value always scores 1 and ties share a score, so the many
      one-time buyers of a typical log all get ``f_score`` 1 instead of being
      split arbitrarily across bins (some scores may then be unused).
    * ``segment`` names the cell of the recency x frequency grid
      (:data:`RFM_SEGMENT_RULES`, for ``bins=5``): champions, loyal, potential,
      new, need attention, about to sleep, cannot lose, at risk, hibernating,
      lost (a categorical; ``unclassified`` for other ``bins``).
    * with ``scores``, ``clv`` and ``value_tier`` (see :func:`value_tiers`).

    Parameters
    ----------
    rfm : pandas.DataFrame
        Output of :func:`clv.rfm_summary`.
    scores : pandas.DataFrame, optional
        Output of :func:`clv.customer_value` for the same customers.
    bins : int
        Number of score levels; named segments need the default 5.
    tier_cuts : tuple of three floats
        Passed to :func:`value_tiers`.
    ranks : BaseRanks, optional
        For a slice of a larger base: the rows' standing in the whole base,
        so that scores and tiers are those of the whole base.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``rfm`` (like ``scores`` when given): ``r_score,
        f_score, m_score, rfm_score`` (categorical, e.g. ``"545"``), ``segment`` and
        optionally ``clv, value_tier``.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> seg = clv.rfm_segments(rfm)
    >>> seg["segment"].value_counts().head(3).to_dict()
    {'champions': 481, 'lost': 458, 'hibernating': 416}
    """
    if not isinstance(bins, (int, np.integer)) or not 2 <= bins <= 10:
        raise DataError(f"bins must be a whole number between 2 and 10, got {bins}")
    rfm = check_rfm(rfm, ("frequency", "recency", "T", "monetary_value"))
    if scores is not None:
        scores = check_scores(scores, ("clv",))
        rfm = align(rfm, scores.index, "RFM frame")
    if ranks is not None:
        r, f, m = (_quantile_score(None, bins, below, ranks.total) for below in (ranks.r_below, ranks.f_below, ranks.m_below))
    else:
        r = _quantile_score(-recency_gap(rfm), bins)
        f = _quantile_score(rfm["frequency"].to_numpy(dtype=float), bins)
        m = _quantile_score(rfm["monetary_value"].to_numpy(dtype=float), bins)
    out = pd.DataFrame({"r_score": r, "f_score": f, "m_score": m}, index=rfm.index)
    cells = [f"{a}{b}{c}" for a in range(1, bins + 1) for b in range(1, bins + 1) for c in range(1, bins + 1)]
    out["rfm_score"] = pd.Categorical.from_codes(((r - 1) * bins + (f - 1)) * bins + (m - 1), categories=cells)
    names = [name for name, _, _ in RFM_SEGMENT_RULES]
    codes = np.full(len(out), len(names))
    if bins == 5:
        conditions = [(r >= rl) & (r <= rh) & (f >= fl) & (f <= fh) for _, (rl, rh), (fl, fh) in RFM_SEGMENT_RULES]
        codes = np.select(conditions, np.arange(len(names)), default=len(names))
    out["segment"] = pd.Categorical.from_codes(codes, categories=[*names, "unclassified"])
    if scores is not None:
        out["clv"] = scores["clv"].to_numpy(dtype=float)
        if ranks is None:
            out["value_tier"] = value_tiers(scores["clv"], cuts=tier_cuts).array
        else:
            codes = _tier_codes(ranks.clv_above, ranks.total, np.asarray(tier_cuts, dtype=float))
            out["value_tier"] = pd.Categorical.from_codes(codes, categories=VALUE_TIERS, ordered=True)
    return out
