"""Lifecycle stages, RFM segments, value tiers and the churn-risk watchlist.

Business logic on score tables (the output of :func:`clv.customer_value`):
nothing here fits a model or draws. Where a rule needs a model quantity that a
score table does not hold (P(alive) as of the last purchase), the fitted
transaction model is passed in and only its public prediction methods are
called.

Two model quantities drive the lifecycle stage of a customer with history
``(x, t_x, T)``:

* ``p_alive``, P(alive | x, t_x, T) (Fader, Hardie & Lee 2005, eq. A.1 for
  BG/NBD; Fader & Hardie 2005, eq. 18 for Pareto/NBD);
* ``activity``, the expected purchases over the next ``window`` time units
  now, ``E[Y(w) | x, t_x, T]`` (FHL 2005, eq. 10), divided by the same
  expectation as it stood right after the last purchase, ``E[Y(w) | x, t_x,
  t_x]``. It is 1 just after a purchase and falls as the silence since then
  lowers both P(alive) and the posterior purchase rate. For a customer
  without repeat purchases it compares today's expectation with a freshly
  acquired customer's, which matters because BG/NBD gives such customers
  P(alive) = 1 however long they have been silent (a BG/NBD customer can only
  drop out after a repeat purchase).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from clv.data.rfm_checks import check_rfm
from clv.data.summary import purchase_history
from clv.errors import DataError

__all__ = [
    "DECLINE_P_ALIVE",
    "RFM_SEGMENT_RULES",
    "STAGES",
    "VALUE_TIERS",
    "churn_watchlist",
    "customer_segments",
    "lifecycle_mix",
    "lifecycle_stage",
    "rfm_segments",
    "stage_transitions",
    "value_at_risk",
    "value_tiers",
]

STAGES: tuple[str, ...] = ("new", "growing", "mature", "declining", "churned")
"""Lifecycle stages, from the start of a relationship to its end."""

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

_SCORE_COLUMNS = ("p_alive", "churn_probability", "clv")


# -- checks ----------------------------------------------------------------------
def _check_scores(scores: Any, columns: tuple[str, ...] = _SCORE_COLUMNS) -> pd.DataFrame:
    if not isinstance(scores, pd.DataFrame):
        raise DataError(f"expected a score table (see clv.customer_value), got {type(scores).__name__}")
    if scores.empty:
        raise DataError("the score table has no rows")
    for col in columns:
        if col not in scores.columns:
            raise DataError(f"column '{col}': missing from the score table; columns found: {list(scores.columns)}")
        values = pd.to_numeric(scores[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = scores.iloc[int(np.argmax(bad))]
            raise DataError(f"column '{col}': missing or non-finite value for customer {row.name!r}: {row.to_dict()}")
    if scores.index.has_duplicates:
        raise DataError(f"customer {scores.index[scores.index.duplicated()][0]!r} appears twice in the score table")
    return scores


def _align(frame: pd.DataFrame, index: pd.Index, what: str) -> pd.DataFrame:
    """``frame`` reordered to ``index``; every customer of ``index`` must be in it."""
    missing = index.difference(frame.index)
    if len(missing):
        raise DataError(
            f"customer {missing[0]!r}: in the score table but not in the {what} ({len(missing)} customers missing)"
        )
    if frame.index.has_duplicates:
        raise DataError(f"customer {frame.index[frame.index.duplicated()][0]!r} appears twice in the {what}")
    return frame if frame.index.equals(index) else frame.loc[index]


def _stage_series(stages: Any) -> pd.Series:
    if isinstance(stages, pd.DataFrame):
        if "stage" not in stages.columns:
            raise DataError(
                f"column 'stage': missing; pass the output of clv.lifecycle_stage; columns found: {list(stages.columns)}"
            )
        stages = stages["stage"]
    if not isinstance(stages, pd.Series):
        raise DataError(f"expected lifecycle stages (see clv.lifecycle_stage), got {type(stages).__name__}")
    unknown = ~stages.isin(STAGES)
    if unknown.any():
        i = int(np.argmax(unknown.to_numpy()))
        raise DataError(
            f"column 'stage': unknown stage {stages.iloc[i]!r} for customer {stages.index[i]!r}; expected one of {STAGES}"
        )
    return pd.Series(pd.Categorical(stages.astype(str), categories=STAGES, ordered=True), index=stages.index, name="stage")


def _check_fraction(value: float, name: str) -> float:
    if not np.isfinite(value) or not 0 <= value <= 1:
        raise DataError(f"{name} must lie between 0 and 1, got {value}")
    return float(value)


# -- lifecycle stage -------------------------------------------------------------
def _model_groups(model: Any, groups: pd.Series | None, index: pd.Index) -> list[tuple[np.ndarray, Any]]:
    """``[(row positions, model)]``: one model for everyone, or one per group of a ``{group: model}`` mapping."""
    if groups is None:
        if isinstance(model, Mapping):
            raise DataError("model is a mapping {group: model}: pass groups= (the group of each customer)")
        return [(np.arange(len(index)), model)]
    if not isinstance(model, Mapping):
        raise DataError(f"groups= needs model to be a mapping {{group: fitted model}}, got {type(model).__name__}")
    if not isinstance(groups, pd.Series):
        raise DataError(f"groups must be a pandas Series mapping customer_id to group, got {type(groups).__name__}")
    if groups.index.has_duplicates:
        raise DataError(f"customer {groups.index[groups.index.duplicated()][0]!r} appears twice in groups")
    key = groups.reindex(index).astype(object)
    key = key.where(key.isin(list(model.keys())), "*").to_numpy()
    if "*" in key and "*" not in model:
        i = int(np.argmax(key == "*"))
        raise DataError(f"customer {index[i]!r}: no model for its group {groups.get(index[i])!r} and no pooled model under '*'")
    out = []
    for name in pd.unique(key):
        out.append((np.flatnonzero(key == name), model[name]))
    return out


def lifecycle_stage(
    scores: pd.DataFrame,
    rfm: pd.DataFrame,
    model: Any,
    *,
    groups: pd.Series | None = None,
    churn_p_alive: float = 0.3,
    churn_activity: float = 0.2,
    decline_p_alive: float = 0.6,
    decline_activity: float = 0.5,
    mature_frequency: int = 3,
    mature_tenure: float = 0.0,
    window: float = 1.0,
) -> pd.DataFrame:
    """Assign each customer one of ``new, growing, mature, declining, churned``.

    The rule reads two model quantities (see the module notes): ``p_alive``
    from ``scores`` and ``activity``, the expected purchases over the next
    ``window`` time units now divided by the same expectation right after the
    customer's last purchase (``model.expected_purchases`` evaluated at
    ``(x, t_x, T)`` and at ``(x, t_x, t_x)``). The first matching line wins:

    1. **churned**: ``p_alive < churn_p_alive`` (the model thinks the customer
       has most likely left) or ``activity < churn_activity`` (the expected
       purchase rate has fallen below a fifth, by default, of what it was
       after the last purchase: for one-time buyers this is the "bought once,
       never came back" case that P(alive) cannot see under BG/NBD);
    2. **declining**: ``p_alive < decline_p_alive`` or
       ``activity < decline_activity``: the silence since the last purchase
       has cost a large part of the expected activity;
    3. **new**: no repeat purchase yet (``frequency == 0``), still active;
    4. **growing**: repeat purchases, but fewer than ``mature_frequency`` or a
       tenure ``T`` under ``mature_tenure``;
    5. **mature**: everyone else, an established and active repeat buyer.

    The defaults were chosen on CDNOW (calibration to 1997-09-30, holdout to
    1998-06-30, weeks): holdout purchases per customer were 4.2 (mature),
    1.2 (growing), 1.3 (declining) and 0.32 (churned) with BG/NBD (growing
    customers are lighter buyers; at equal repeat counts declining customers
    buy less than growing ones). See ``tests/segments`` for the validation,
    including precision and recall of ``churned`` against simulated deaths.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`clv.customer_value` (uses ``p_alive``).
    rfm : pandas.DataFrame
        The RFM frame the scores were computed from (``frequency, recency, T``).
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD, or a mapping
        The transaction model behind ``scores``; only
        ``expected_purchases(rfm, t)`` is called. With ``groups``, a mapping
        ``{group: fitted model}`` (e.g. one model per acquisition channel);
        customers whose group has no model use the one under ``"*"``.
    groups : pandas.Series, optional
        Group of each customer (index ``customer_id``), for a mapping ``model``.
    churn_p_alive, decline_p_alive : float
        P(alive) thresholds of the churned and declining stages.
    churn_activity, decline_activity : float
        Activity thresholds of the churned and declining stages.
    mature_frequency : int
        Repeat purchases needed to count as mature.
    mature_tenure : float
        Tenure ``T`` (time units of ``rfm``) needed to count as mature; 0
        means tenure does not matter.
    window : float
        Window (time units of ``rfm``) of the expected purchases whose ratio
        is ``activity``; short windows approximate the ratio of the current
        expected purchase rates.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``scores``: ``stage`` (ordered categorical over
        :data:`STAGES`), ``p_alive``, ``activity``, ``frequency``, ``T``.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> scores = clv.customer_value(bg, gg, rfm, horizon=52, discount_rate=0.1)
    >>> stages = clv.lifecycle_stage(scores, rfm, bg)
    >>> stages["stage"].value_counts().to_dict()
    {'churned': 1729, 'growing': 245, 'declining': 195, 'mature': 188, 'new': 0}
    """
    scores = _check_scores(scores, ("p_alive",))
    rfm = _align(check_rfm(rfm, ("frequency", "recency", "T")), scores.index, "RFM frame")
    for value, name in ((churn_p_alive, "churn_p_alive"), (churn_activity, "churn_activity"),
                        (decline_p_alive, "decline_p_alive"), (decline_activity, "decline_activity")):
        _check_fraction(value, name)
    if not np.isfinite(window) or window <= 0:
        raise DataError(f"window must be positive, got {window}")
    if mature_frequency < 1:
        raise DataError(f"mature_frequency must be at least 1, got {mature_frequency}")

    p_alive = scores["p_alive"].to_numpy(dtype=float)
    activity = np.empty(len(rfm))
    for rows, tm in _model_groups(model, groups, rfm.index):
        part = rfm.iloc[rows]
        now = tm.expected_purchases(part, window).to_numpy(dtype=float)
        at_last = tm.expected_purchases(part.assign(T=part["recency"]), window).to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            activity[rows] = np.where(at_last > 0, now / at_last, 0.0)
    activity = np.clip(activity, 0.0, 1.0)

    x = rfm["frequency"].to_numpy(dtype=float)
    tenure = rfm["T"].to_numpy(dtype=float)
    conditions = [
        (p_alive < churn_p_alive) | (activity < churn_activity),
        (p_alive < decline_p_alive) | (activity < decline_activity),
        x < 1,
        (x < mature_frequency) | (tenure < mature_tenure),
    ]
    codes = np.select(conditions, [STAGES.index(s) for s in ("churned", "declining", "new", "growing")],
                      default=STAGES.index("mature"))
    return pd.DataFrame(
        {
            "stage": pd.Categorical.from_codes(codes, categories=STAGES, ordered=True),
            "p_alive": p_alive,
            "activity": activity,
            "frequency": x,
            "T": tenure,
        },
        index=scores.index,
    )


# -- RFM scores, segments and value tiers ----------------------------------------
def _quantile_score(values: np.ndarray, bins: int) -> np.ndarray:
    """``1 + floor(bins * share of customers with a strictly lower value)``, capped at ``bins``."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    below = (np.cumsum(counts) - counts)[inverse.reshape(-1)] / len(values)
    return np.minimum(1 + np.floor(bins * below + 1e-12).astype(int), bins)


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
        values = _check_scores(values, ("clv",))["clv"]
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
    above = (len(v) - np.cumsum(counts))[inverse.reshape(-1)] / max(len(v), 1)
    tier = np.searchsorted(c, above, side="right")
    tiers = pd.Categorical.from_codes(tier, categories=VALUE_TIERS, ordered=True)
    return pd.Series(tiers, index=values.index, name="value_tier")


def rfm_segments(
    rfm: pd.DataFrame,
    scores: pd.DataFrame | None = None,
    *,
    bins: int = 5,
    tier_cuts: tuple[float, float, float] = (0.05, 0.20, 0.80),
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
        scores = _check_scores(scores, ("clv",))
        rfm = _align(rfm, scores.index, "RFM frame")
    gap = np.round(rfm["T"].to_numpy(dtype=float) - rfm["recency"].to_numpy(dtype=float), 9)
    r = _quantile_score(-gap, bins)
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
        out["value_tier"] = value_tiers(scores["clv"], cuts=tier_cuts).array
    return out


# -- value at risk and the watchlist ----------------------------------------------
def value_at_risk(scores: pd.DataFrame) -> pd.Series:
    """Expected value at risk: ``clv * churn_probability``.

    ``clv`` is already the value if alive weighted by P(alive), so this is
    ``P(alive) * (1 - P(alive)) * value if alive``: it is largest for valuable
    customers whose status the model doubts, and small both for safe
    customers (nothing at risk) and for customers who are almost surely gone
    (nothing left to save). Ranking by the value if alive times the churn
    probability instead would put long-lost heavy buyers at the top of a
    retention list.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`clv.customer_value` (uses ``clv`` and
        ``churn_probability``; ``p_alive`` is checked too).

    Returns
    -------
    pandas.Series
        ``value_at_risk`` per customer, indexed like ``scores``.

    Raises
    ------
    clv.DataError
        A missing or non-finite score column, or a customer listed twice.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> s = pd.DataFrame({"p_alive": [0.99, 0.5, 0.01], "churn_probability": [0.01, 0.5, 0.99], "clv": [99.0, 50.0, 1.0]})
    >>> clv.value_at_risk(s).round(2).tolist()
    [0.99, 25.0, 0.99]
    """
    scores = _check_scores(scores)
    return (scores["clv"] * scores["churn_probability"]).rename("value_at_risk")


def customer_segments(
    scores: pd.DataFrame,
    rfm: pd.DataFrame,
    model: Any,
    *,
    bins: int = 5,
    tier_cuts: tuple[float, float, float] = (0.05, 0.20, 0.80),
    **stage_options: Any,
) -> pd.DataFrame:
    """Everything per customer: scores, RFM, lifecycle stage, RFM segment, value tier, value at risk.

    Joins ``scores`` with the RFM columns, :func:`lifecycle_stage` (its
    ``stage`` and ``activity``; ``stage_options`` such as thresholds or
    ``groups=`` for a ``{group: model}`` mapping are passed on),
    :func:`rfm_segments` and :func:`value_at_risk`. The result can be handed
    to :func:`churn_watchlist` and :func:`lifecycle_mix` directly.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`clv.customer_value`.
    rfm : pandas.DataFrame
        The RFM frame the scores were computed from.
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD, or a mapping
        The transaction model behind ``scores`` (see :func:`lifecycle_stage`).
    bins : int
        Number of RFM score levels (see :func:`rfm_segments`).
    tier_cuts : tuple of three floats
        Passed to :func:`value_tiers`.
    **stage_options
        Passed to :func:`lifecycle_stage` (thresholds, ``groups=``).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``scores``: its columns, then ``frequency, recency, T,
        monetary_value, since_last_purchase, stage, activity, r_score,
        f_score, m_score, rfm_score, segment, value_tier, value_at_risk``.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> scores = clv.customer_value(bg, gg, rfm, horizon=52, discount_rate=0.1)
    >>> table = clv.customer_segments(scores, rfm, bg)
    >>> table[["stage", "segment", "value_tier"]].iloc[0].tolist()
    ['growing', 'champions', 'potential']
    """
    scores = _check_scores(scores)
    stages = lifecycle_stage(scores, rfm, model, **stage_options)
    segments = rfm_segments(rfm, scores, bins=bins, tier_cuts=tier_cuts)
    rfm = _align(rfm, scores.index, "RFM frame")
    out = scores.copy()
    for col in ("frequency", "recency", "T", "monetary_value"):
        out[col] = rfm[col].to_numpy(dtype=float)
    out["since_last_purchase"] = out["T"] - out["recency"]
    # all frames share the index of ``scores`` (checked above), so columns are copied by position
    out["stage"] = stages["stage"].array
    out["activity"] = stages["activity"].to_numpy()
    for col in ("r_score", "f_score", "m_score", "rfm_score", "segment", "value_tier"):
        out[col] = segments[col].array
    out["value_at_risk"] = value_at_risk(scores).to_numpy()
    return out


_WATCH_COLUMNS = (
    "rank", "channel", "stage", "qualifies", "last_purchase", "purchases", "aov", "clv", "p_alive", "value_at_risk",
    "value_tier", "segment", "since_last_purchase", "frequency", "monetary_value", "churn_probability", "activity",
    "expected_purchases",
)

UNASSIGNED = "(unassigned)"
"""Group of customers without a channel in mixes and on the watchlist."""

DECLINE_P_ALIVE = (0.3, 0.6)
"""Without lifecycle stages, the watchlist keeps customers with P(alive) in ``[0.3, 0.6)``: the P(alive) band of
the ``declining`` stage at :func:`lifecycle_stage`'s default thresholds."""


def _qualifying(table: pd.DataFrame, qualify: str, exclude_stages: tuple[str, ...] | None) -> tuple[pd.DataFrame, str]:
    """The customers the watchlist may list, and the rule in words."""
    has_stage = "stage" in table.columns
    if qualify == "declining":
        if exclude_stages is not None:
            raise DataError("exclude_stages applies to qualify='all'; qualify='declining' lists the declining stage only")
        if has_stage:
            return table[table["stage"] == "declining"], "declining stage"
        lo, hi = DECLINE_P_ALIVE
        keep = (table["p_alive"] >= lo) & (table["p_alive"] < hi)
        return table[keep], f"P(alive) {lo:g} to {hi:g}"
    if qualify != "all":
        raise DataError(f"qualify must be 'declining' or 'all', got {qualify!r}")
    if exclude_stages is None:
        exclude_stages = ("churned",) if has_stage else ()
    if not exclude_stages:
        return table, "all customers"
    unknown = [s for s in exclude_stages if s not in STAGES]
    if unknown:
        raise DataError(f"exclude_stages: unknown stage {unknown[0]!r}; expected some of {STAGES}")
    if not has_stage:
        raise DataError("exclude_stages needs lifecycle stages: pass stages= (see clv.lifecycle_stage)")
    return table[~table["stage"].isin(exclude_stages)], "not " + " or ".join(exclude_stages)


def churn_watchlist(
    scores: pd.DataFrame,
    *,
    top: int | None = 50,
    rfm: pd.DataFrame | None = None,
    stages: Any = None,
    tier_cuts: tuple[float, float, float] = (0.05, 0.20, 0.80),
    exclude_stages: tuple[str, ...] | None = None,
    qualify: str = "declining",
    transactions: pd.DataFrame | None = None,
    channel: pd.Series | None = None,
) -> pd.DataFrame:
    """Customers whose activity has dropped, ranked by expected value at risk, for a retention team.

    Who qualifies (``qualify="declining"``, the default): customers in the
    ``declining`` lifecycle stage when stages are known (``stages`` given or a
    ``stage`` column in ``scores``): P(alive) or activity has fallen below the
    declining thresholds but not yet to the churned ones (see
    :func:`lifecycle_stage`). Without stages, customers with P(alive) in
    :data:`DECLINE_P_ALIVE` (0.3 to 0.6). ``qualify="all"`` lists everyone
    except ``exclude_stages`` (default ``("churned",)`` when stages are known).
    The rule is in the ``qualifies`` column and in ``attrs["qualifies"]``.

    The ranking key is :func:`value_at_risk` (``clv * churn_probability``),
    ties broken by the order of ``scores``. Value tiers come from ``clv`` over
    *all* customers, before any filtering.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`clv.customer_value`, or of :func:`customer_segments`
        (then ``rfm`` and ``stages`` are not needed).
    top : int or None
        Length of the list; ``None`` keeps every qualifying customer.
    rfm : pandas.DataFrame, optional
        Adds ``since_last_purchase`` (``T - recency``, time units of the
        RFM frame), ``frequency`` and ``monetary_value``.
    stages : output of :func:`lifecycle_stage`, optional
        Adds ``stage`` (and ``activity``).
    tier_cuts : tuple of three floats
        Passed to :func:`value_tiers`.
    exclude_stages : tuple of str, optional
        With ``qualify="all"``: stages left off the list (``()`` keeps all).
    qualify : {"declining", "all"}
        Which customers may be listed (see above).
    transactions : pandas.DataFrame, optional
        The log behind the scores: adds the CRM columns ``last_purchase``
        (a date), ``purchases`` (first one included) and ``aov`` (average
        order value, first purchase included) from
        :func:`clv.data.purchase_history`, up to ``rfm.attrs["observation_end"]``
        when known. A ``scores`` table may also carry these columns already.
    channel : pandas.Series, optional
        Channel of each customer (index ``customer_id``).

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``, highest value at risk first; columns among
        ``rank, channel, stage, qualifies, last_purchase, purchases, aov, clv,
        p_alive, value_at_risk, value_tier, segment, since_last_purchase,
        frequency, monetary_value, churn_probability, activity,
        expected_purchases`` (those the inputs provide).

    Examples
    --------
    >>> import pandas as pd, clv
    >>> s = pd.DataFrame({"p_alive": [0.99, 0.5, 0.4, 0.01], "churn_probability": [0.01, 0.5, 0.6, 0.99],
    ...                   "clv": [99.0, 50.0, 10.0, 1.0]}, index=pd.Index(["a", "b", "c", "d"], name="customer_id"))
    >>> clv.churn_watchlist(s, top=2)[["rank", "qualifies", "value_at_risk"]]
                 rank            qualifies  value_at_risk
    customer_id
    b               1  P(alive) 0.3 to 0.6           25.0
    c               2  P(alive) 0.3 to 0.6            6.0
    >>> clv.churn_watchlist(s, top=2, qualify="all").index.tolist()
    ['b', 'c']
    """
    scores = _check_scores(scores)
    table = scores.copy()
    table["value_at_risk"] = value_at_risk(scores)
    if "value_tier" not in table.columns:
        table["value_tier"] = value_tiers(scores["clv"], cuts=tier_cuts)
    end = None
    if rfm is not None:
        end = rfm.attrs.get("observation_end")
        rfm = _align(check_rfm(rfm, ("frequency", "recency", "T", "monetary_value")), scores.index, "RFM frame")
        for col in ("frequency", "monetary_value"):
            table[col] = rfm[col].to_numpy(dtype=float)
        table["since_last_purchase"] = (rfm["T"] - rfm["recency"]).to_numpy(dtype=float)
    elif "since_last_purchase" not in table.columns and {"T", "recency"} <= set(table.columns):
        table["since_last_purchase"] = table["T"] - table["recency"]
    if stages is not None:
        stage = _align(_stage_series(stages).to_frame(), scores.index, "stage table")["stage"]
        table["stage"] = stage
        if isinstance(stages, pd.DataFrame) and "activity" in stages.columns:
            table["activity"] = stages["activity"].reindex(scores.index)
    if transactions is not None:
        history = purchase_history(transactions, observation_end=end).reindex(scores.index)
        for col in ("last_purchase", "purchases", "aov"):
            table[col] = history[col].to_numpy()
    if channel is not None:
        table["channel"] = channel.reindex(scores.index).to_numpy()
    if "channel" in table.columns:
        table["channel"] = table["channel"].astype(object).where(table["channel"].notna(), UNASSIGNED)
    table, rule = _qualifying(table, qualify, exclude_stages)
    if top is not None and (not isinstance(top, (int, np.integer)) or top < 1):
        raise DataError(f"top must be a positive whole number or None, got {top!r}")
    order = np.lexsort((np.arange(len(table)), -table["value_at_risk"].to_numpy(dtype=float)))
    table = table.iloc[order[:top] if top is not None else order].copy()
    table["rank"] = np.arange(1, len(table) + 1)
    table["qualifies"] = rule
    out = table[[c for c in _WATCH_COLUMNS if c in table.columns]]
    out.attrs["qualifies"] = rule
    return out


# -- validation view and mixes ----------------------------------------------------
def stage_transitions(stages: Any, holdout: pd.DataFrame, *, expected: Any = None, later: Any = None) -> pd.DataFrame:
    """How customers in each stage at calibration end behaved in the holdout.

    Validates the stages: stages computed at the end of a calibration period
    (from :func:`clv.calibration_holdout` and models fitted on it) against
    what the same customers did afterwards.

    Parameters
    ----------
    stages : output of :func:`lifecycle_stage` (or its ``stage`` column)
        Stages at calibration end.
    holdout : pandas.DataFrame
        Output of :func:`clv.calibration_holdout` (``frequency, T,
        holdout_frequency, duration_holdout``) for the same customers.
    expected : pandas.Series, optional
        Model-expected holdout purchases per customer (e.g.
        ``model.expected_purchases(holdout, duration)``); adds
        ``expected_per_customer`` so each stage's actual purchases can be read
        against what the model predicted for the same customers.
    later : output of :func:`lifecycle_stage`, optional
        Stages of the same customers at the end of the holdout (models
        refitted on the whole log); adds one ``to_<stage>`` count column per
        stage (the transition matrix).

    Returns
    -------
    pandas.DataFrame
        One row per stage (all of :data:`STAGES`, in order): ``customers``,
        ``share``, ``bought_again`` (customers with a holdout purchase),
        ``bought_again_share``, ``holdout_purchases``,
        ``purchases_per_customer`` and ``holdout_rate`` (purchases per
        customer per time unit). Rates of a stage without customers are NaN.

    Examples
    --------
    >>> import clv
    >>> ch = clv.calibration_holdout(clv.datasets.load_cdnow(), calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> bg, gg = clv.BetaGeo().fit(ch), clv.GammaGamma().fit(ch)
    >>> stages = clv.lifecycle_stage(clv.customer_value(bg, gg, ch, horizon=39, discount_rate=0.1), ch, bg)
    >>> clv.stage_transitions(stages, ch)["purchases_per_customer"].round(2).to_dict()
    {'new': nan, 'growing': 1.22, 'mature': 4.17, 'declining': 1.29, 'churned': 0.32}
    """
    stage = _stage_series(stages)
    if stage.index.has_duplicates:
        raise DataError(f"customer {stage.index[stage.index.duplicated()][0]!r} appears twice in the stage table")
    if not isinstance(holdout, pd.DataFrame):
        raise DataError(f"expected the output of clv.calibration_holdout, got {type(holdout).__name__}")
    check_rfm(holdout, ("holdout_frequency", "duration_holdout"))
    holdout = _align(holdout, stage.index, "holdout frame")
    bought = holdout["holdout_frequency"].to_numpy(dtype=float)
    duration = holdout["duration_holdout"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "stage": stage,
            "one": 1.0,
            "again": (bought > 0).astype(float),
            "bought": bought,
            "exposure": duration,
        },
        index=stage.index,
    )
    if expected is not None:
        if not isinstance(expected, pd.Series):
            raise DataError(f"expected must be a pandas Series of expected holdout purchases, got {type(expected).__name__}")
        values = _align(expected.to_frame("expected"), stage.index, "expected purchases")["expected"]
        values = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(values).all():
            i = int(np.argmax(~np.isfinite(values)))
            raise DataError(f"expected: missing or non-finite value for customer {stage.index[i]!r}")
        frame["expected"] = values
    sums = frame.groupby("stage", observed=False).sum().reindex(list(STAGES), fill_value=0.0)
    n = sums["one"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "customers": n.astype(int),
                "share": n / n.sum(),
                "bought_again": sums["again"].astype(int),
                "bought_again_share": sums["again"] / n,
                "holdout_purchases": sums["bought"],
                "purchases_per_customer": sums["bought"] / n,
                "holdout_rate": sums["bought"] / sums["exposure"],
            }
        )
        if expected is not None:
            out["expected_per_customer"] = sums["expected"] / n
    out.index.name = "stage"
    if later is not None:
        after = _align(_stage_series(later).to_frame(), stage.index, "later stage table")["stage"]
        matrix = pd.crosstab(stage, after, dropna=False).reindex(index=list(STAGES), columns=list(STAGES), fill_value=0)
        for col in STAGES:
            out[f"to_{col}"] = matrix[col].to_numpy().astype(int)
    return out


def lifecycle_mix(segments: pd.DataFrame, by: Any = None) -> pd.DataFrame:
    """Share of customers in each lifecycle stage and value tier, per group.

    Parameters
    ----------
    segments : pandas.DataFrame
        Per-customer table with a ``stage`` column and optionally
        ``value_tier`` (e.g. :func:`customer_segments`).
    by : str, pandas.Series or None
        Grouping: a column of ``segments``, a Series mapping customer id to
        group (e.g. the acquisition channel), or ``None`` for one row.
        Customers without a group are counted under ``"(unassigned)"``.

    Returns
    -------
    pandas.DataFrame
        One row per group plus ``"all"``: ``customers``, one share column per
        stage (``new ... churned``), per tier (``high-value ... low-value``)
        when ``value_tier`` is present.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> seg = pd.DataFrame({"stage": ["new", "churned", "mature", "mature"], "channel": ["a", "a", "b", "b"]})
    >>> clv.lifecycle_mix(seg, by="channel")[["customers", "new", "mature", "churned"]]
             customers   new  mature  churned
    channel
    a                2  0.50     0.0     0.50
    b                2  0.00     1.0     0.00
    all              4  0.25     0.5     0.25
    """
    if not isinstance(segments, pd.DataFrame):
        raise DataError(f"expected a per-customer table with a 'stage' column, got {type(segments).__name__}")
    stage = _stage_series(segments)
    if by is None:
        group = pd.Series("all", index=segments.index, name="group")
    elif isinstance(by, str):
        if by not in segments.columns:
            raise DataError(f"column '{by}': missing from the segment table; columns found: {list(segments.columns)}")
        group = segments[by]
    elif isinstance(by, pd.Series):
        if by.index.has_duplicates:
            raise DataError(f"customer {by.index[by.index.duplicated()][0]!r} appears twice in the grouping")
        group = by.reindex(segments.index)
    else:
        raise DataError(f"by must be a column name, a pandas Series or None, got {type(by).__name__}")
    name = group.name if group.name is not None else "group"
    group = group.astype(object).where(group.notna(), UNASSIGNED).astype(str)

    parts = [pd.get_dummies(stage).reindex(columns=list(STAGES), fill_value=0).astype(float)]
    if "value_tier" in segments.columns:
        tier = pd.Series(pd.Categorical(segments["value_tier"].astype(str), categories=VALUE_TIERS), index=segments.index)
        parts.append(pd.get_dummies(tier).reindex(columns=list(VALUE_TIERS), fill_value=0).astype(float))
    flags = pd.concat(parts, axis=1)
    grouped = flags.groupby(group.to_numpy())
    out = pd.concat([grouped.size().rename("customers"), grouped.mean()], axis=1)
    if by is not None:
        out.loc["all"] = [len(flags), *flags.mean().to_numpy()]
    out["customers"] = out["customers"].astype(int)
    out.index.name = name if by is not None else None
    return out
