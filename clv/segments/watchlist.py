"""Value at risk, the per-customer segment table and the churn-risk watchlist."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.checks import align, check_scores
from clv.data.rfm_checks import check_rfm
from clv.data.summary import purchase_history
from clv.errors import DataError
from clv.model_set import is_model_set
from clv.segments.lifecycle import STAGES, UNASSIGNED, lifecycle_stage, stage_series
from clv.segments.rfm import BaseRanks, rfm_segments, value_tiers

__all__ = ["DECLINE_P_ALIVE", "churn_watchlist", "customer_segments", "value_at_risk"]


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
    scores = check_scores(scores)
    return (scores["clv"] * scores["churn_probability"]).rename("value_at_risk")


def customer_segments(
    scores: pd.DataFrame,
    rfm: pd.DataFrame,
    model: Any,
    *,
    bins: int = 5,
    tier_cuts: tuple[float, float, float] = (0.05, 0.20, 0.80),
    ranks: BaseRanks | None = None,
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
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD, a mapping, or channel models
        The transaction model behind ``scores`` (see :func:`lifecycle_stage`);
        with channel models (and ``groups=``) the result starts with a
        ``channel`` column.
    bins : int
        Number of RFM score levels (see :func:`rfm_segments`).
    tier_cuts : tuple of three floats
        Passed to :func:`value_tiers`.
    ranks : clv.segments.rfm.BaseRanks, optional
        For a slice of a larger base (chunked scoring): the rows' standing
        in the whole base, passed to :func:`rfm_segments`.
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
    scores = check_scores(scores)
    stages = lifecycle_stage(scores, rfm, model, **stage_options)
    segments = rfm_segments(rfm, scores, bins=bins, tier_cuts=tier_cuts, ranks=ranks)
    rfm = align(rfm, scores.index, "RFM frame")
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
    groups = stage_options.get("groups")
    if is_model_set(model) and groups is not None and "channel" not in out.columns:
        out.insert(0, "channel", groups.reindex(out.index).to_numpy())
    return out


_WATCH_COLUMNS = (
    "rank", "channel", "stage", "qualifies", "last_purchase", "purchases", "aov", "clv", "p_alive", "value_at_risk",
    "value_tier", "segment", "since_last_purchase", "frequency", "monetary_value", "churn_probability", "activity",
    "expected_purchases",
)

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
    scores = check_scores(scores)
    table = scores.copy()
    table["value_at_risk"] = value_at_risk(scores)
    if "value_tier" not in table.columns:
        table["value_tier"] = value_tiers(scores["clv"], cuts=tier_cuts)
    end = None
    if rfm is not None:
        end = rfm.attrs.get("observation_end")
        rfm = align(check_rfm(rfm, ("frequency", "recency", "T", "monetary_value")), scores.index, "RFM frame")
        for col in ("frequency", "monetary_value"):
            table[col] = rfm[col].to_numpy(dtype=float)
        table["since_last_purchase"] = (rfm["T"] - rfm["recency"]).to_numpy(dtype=float)
    elif "since_last_purchase" not in table.columns and {"T", "recency"} <= set(table.columns):
        table["since_last_purchase"] = table["T"] - table["recency"]
    if stages is not None:
        stage = align(stage_series(stages).to_frame(), scores.index, "stage table")["stage"]
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
