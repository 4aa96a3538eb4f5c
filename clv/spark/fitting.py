"""Fitting on the driver from sufficient statistics aggregated in Spark.

The BG/NBD, MBG/NBD and Pareto/NBD likelihoods of a customer depend on the
data only through ``(x, t_x, T)``; customers with the same tuple contribute
identical terms, so the log-likelihood of the whole base is
``sum_k count_k * LL(theta; x_k, t_x_k, T_k)`` over the distinct tuples.
Spark counts the tuples (``groupBy(...).count()``), the driver collects only
them and fits with ``model.fit(agg, weights="count")``: the same function of
``theta`` as the per-customer fit, hence the same maximum.

The Gamma-Gamma likelihood depends on ``(x, m)`` with ``m`` the continuous
mean repeat spend, and ``log(v + m x)`` does not split into sums of
functions of ``m``, so no fixed-size statistic exists: the distinct
``(x, m)`` pairs of the customers are collected with their counts (one row per
repeat buyer at most, about a third of the base for CDNOW-like data).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.errors import DataError
from clv.models import GammaGamma
from clv.spark.session import functions
from clv.spark.summary import SparkRFM

__all__ = ["SPEND_STATISTICS", "TRANSACTION_STATISTICS", "fit", "sufficient_statistics"]

TRANSACTION_STATISTICS = ("frequency", "recency", "T")
SPEND_STATISTICS = ("frequency", "monetary_value")


def _frame(rfm: Any) -> Any:
    return rfm.df if isinstance(rfm, SparkRFM) else rfm


def _kind_columns(kind: str) -> tuple[str, ...]:
    if kind == "transactions":
        return TRANSACTION_STATISTICS
    if kind == "spend":
        return SPEND_STATISTICS
    raise DataError(f"kind must be 'transactions' or 'spend', got {kind!r}")


def sufficient_statistics(rfm: Any, *, kind: str = "transactions", group: str | None = None) -> pd.DataFrame:
    """Distinct likelihood tuples with their customer counts, computed in Spark and collected.

    Parameters
    ----------
    rfm : SparkRFM or pyspark.sql.DataFrame
        Per-customer summary (:func:`clv.spark.rfm_summary`); with ``group``
        it must carry that column too (join the acquisition channel on
        ``customer_id`` first).
    kind : {"transactions", "spend"}
        ``"transactions"``: ``frequency, recency, T`` (BG/NBD, MBG/NBD,
        Pareto/NBD). ``"spend"``: ``frequency, monetary_value`` (Gamma-Gamma).
    group : str, optional
        Column to keep apart (e.g. ``"channel"``), for per-group or pooled
        fits.

    Returns
    -------
    pandas.DataFrame
        ``[group,] <statistics>, count``. Rows are ordered by the smallest
        ``customer_id`` carrying each tuple (by the keys when there is no
        ``customer_id`` column): a deterministic order, and the one in which
        the pandas fit's own compression meets the tuples, so both paths add
        the log-likelihood terms in the same order and agree to the last
        digit (in exact arithmetic the order is immaterial). Fit any model
        with ``model.fit(agg, weights="count")``.

    Examples
    --------
    >>> agg = clv.spark.sufficient_statistics(rfm)  # doctest: +SKIP
    >>> clv.BetaGeo().fit(agg, weights="count")  # doctest: +SKIP
    """
    F = functions()
    frame = _frame(rfm)
    columns = _kind_columns(kind)
    keys = ([group] if group else []) + list(columns)
    missing = [c for c in keys if c not in frame.columns]
    if missing:
        raise DataError(f"column '{missing[0]}': missing from the RFM frame; columns found: {frame.columns}")
    if group:
        nulls = frame.filter(F.col(group).isNull()).limit(1).collect()
        if nulls:
            raise DataError(f"column '{group}': empty group value for customer {nulls[0]['customer_id']!r}; "
                            "fill it (e.g. 'unknown') before fitting by group")
    if "customer_id" not in frame.columns:
        agg = frame.groupBy(*keys).agg(F.count(F.lit(1)).alias("count")).toPandas()
        order = keys
    else:
        agg = frame.groupBy(*keys).agg(F.count(F.lit(1)).alias("count"), F.min("customer_id").alias("_first")).toPandas()
        order = ["_first"]
    agg["count"] = agg["count"].astype(np.int64)
    return agg.sort_values(order, ignore_index=True)[[*keys, "count"]]


def _spend_exclusions(agg: pd.DataFrame) -> dict[str, int]:
    """Customers the Gamma-Gamma fit leaves out, counted in customers (not in distinct rows)."""
    x, m, n = agg["frequency"].to_numpy(), agg["monetary_value"].to_numpy(), agg["count"].to_numpy()
    return {
        "customers_without_repeat_purchases": int(n[x <= 0].sum()),
        "customers_with_non_positive_spend": int(n[(x > 0) & (m <= 0)].sum()),
    }


def _fit_one(model: Any, agg: pd.DataFrame, kind: str) -> Any:
    model.fit(agg, weights="count")
    if kind == "spend" and hasattr(model, "exclusions_"):
        # GammaGamma counts rows of the frame it is given; here a row stands for `count` customers.
        counts = _spend_exclusions(agg)
        model.exclusions_ = counts
        model.result_.extra["exclusions"] = dict(counts)
    return model


def fit(model: Any, rfm: Any, *, group: str | None = None) -> Any:
    """Fit a ``clv`` model on the driver from statistics aggregated in Spark.

    Parameters
    ----------
    model : BetaGeo, ModifiedBetaGeo, ParetoNBD or GammaGamma (unfitted or not)
        Settings (``penalizer``, ``initial_params``, ...) are kept.
    rfm : SparkRFM or pyspark.sql.DataFrame
        Output of :func:`clv.spark.rfm_summary` or
        :func:`clv.spark.calibration_holdout`.
    group : str, optional
        Fit one model per value of this column (e.g. ``"channel"``): copies
        of ``model`` with the same settings.

    Returns
    -------
    model or dict
        ``model`` itself, fitted (parameters equal those of
        ``model.fit(rfm.to_pandas())``), or ``{group value: fitted copy}``.
        For Gamma-Gamma, ``exclusions_`` counts customers as the per-customer
        fit does.

    Examples
    --------
    >>> bg = clv.spark.fit(clv.BetaGeo(), rfm)  # doctest: +SKIP
    >>> per_channel = clv.spark.fit(clv.BetaGeo(), rfm_with_channel, group="channel")  # doctest: +SKIP
    """
    kind = "spend" if isinstance(model, GammaGamma) else "transactions"
    agg = sufficient_statistics(rfm, kind=kind, group=group)
    if group is None:
        return _fit_one(model, agg, kind)
    fitted = {}
    for value, part in agg.groupby(group, sort=True):
        fitted[value] = _fit_one(type(model)(**model.get_params()), part.drop(columns=group).reset_index(drop=True), kind)
    return fitted
