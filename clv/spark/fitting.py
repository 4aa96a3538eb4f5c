"""Fitting on the driver from sufficient statistics aggregated in Spark.

The BG/NBD, MBG/NBD and Pareto/NBD likelihoods of a customer depend on the
data only through ``(x, t_x, T)``; customers with the same tuple contribute
identical terms, so the log-likelihood of the whole base is
``sum_k count_k * LL(theta; x_k, t_x_k, T_k)`` over the distinct tuples.
Spark counts the tuples (``groupBy(...).count()``), the driver collects only
them and fits with ``model.fit(agg, weights="count")``: the same function of
``theta`` as the per-customer fit, hence the same maximum.

The Gamma-Gamma likelihood depends on a customer only through ``(x, m)``,
``m`` the mean repeat spend; Spark counts the distinct pairs the same way
(``m`` is the same float as in pandas, so equal pairs are found exactly).
The pandas Gamma-Gamma fit compresses its customers to the same pairs, met in
customer order, so with the rows ordered by their first customer both paths
add the same terms in the same order: this matters because the optimum is so
flat along its ``(q, v)`` ridge that another order moves the estimates by up
to ~1e-8 on a few hundred customers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.engine_fit import SPEND_STATISTICS, TRANSACTION_STATISTICS, fit_channels, fit_statistics, order_statistics, statistics_kind
from clv.errors import DataError
from clv.models import GammaGamma
from clv.spark.session import functions
from clv.spark.summary import SparkRFM

__all__ = ["SPEND_STATISTICS", "TRANSACTION_STATISTICS", "fit", "sufficient_statistics"]



def _frame(rfm: Any) -> Any:
    return rfm.df if isinstance(rfm, SparkRFM) else rfm


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
        Pareto/NBD). ``"spend"``: ``frequency, monetary_value`` (Gamma-Gamma;
        see the module notes).
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
    columns = statistics_kind(kind)
    keys = ([group] if group else []) + list(columns)
    missing = [c for c in keys if c not in frame.columns]
    if missing:
        raise DataError(f"column '{missing[0]}': missing from the RFM frame; columns found: {frame.columns}")
    if group:
        nulls = frame.filter(F.col(group).isNull()).limit(1).collect()
        if nulls:
            raise DataError(f"column '{group}': empty group value for customer {nulls[0]['customer_id']!r}; "
                            "fill it (e.g. 'unknown') before fitting by group")
    return order_statistics(_collect(frame, keys))[[*keys, "count"]]


def _collect(frame: Any, keys: list[str]) -> pd.DataFrame:
    """``keys, count`` and ``_first`` (smallest customer id per tuple, when there is a ``customer_id``)."""
    F = functions()
    first = [F.min("customer_id").alias("_first")] if "customer_id" in frame.columns else []
    agg = frame.groupBy(*keys).agg(F.count(F.lit(1)).alias("count"), *first).toPandas()
    agg["count"] = agg["count"].astype(np.int64)
    return agg


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
        return fit_statistics(model, agg, kind)
    fitted = {}
    for value, part in agg.groupby(group, sort=True):
        fitted[value] = fit_statistics(type(model)(**model.get_params()), part.drop(columns=group).reset_index(drop=True), kind)
    return fitted


def fit_channel_models(
    rfm: SparkRFM,
    acquisitions: Any,
    *,
    transaction_model: str = "bgnbd",
    min_customers: int = 100,
    penalizer: float = 0.0,
    progress: Any = None,
) -> Any:
    """:func:`clv.channels.fit_channel_models` from statistics aggregated in Spark.

    The same rules (a pooled pair under ``"*"`` fitted on every customer; a
    pair per channel of ``acquisitions`` with at least ``min_customers``
    customers in ``rfm``; a channel whose fit fails falls back to the pooled
    pair, with the reason in ``sources``; no shared customer id at all is a
    :class:`clv.DataError`) and the same parameters, from two
    collected tables: per-channel ``(x, t_x, T)`` counts and per-channel
    ``(x, m)`` rows of repeat buyers.

    Parameters
    ----------
    rfm : SparkRFM
    acquisitions : pyspark.sql.DataFrame
        ``customer_id, channel`` (one row per customer).
    transaction_model : {"bgnbd", "mbgnbd", "paretonbd"}
    min_customers, penalizer, progress
        As in :func:`clv.channels.fit_channel_models`.

    Returns
    -------
    clv.ChannelModels

    Examples
    --------
    These need a Spark session (``pip install 'clv[spark]'`` and Java 17), so
    the doctests do not run them.

    >>> import clv, clv.spark
    >>> spark = clv.spark.get_session("local[2]")  # doctest: +SKIP
    >>> tx = spark.createDataFrame(clv.read_transactions(clv.datasets.data_path("demo/transactions.csv")))  # doctest: +SKIP
    >>> acq = clv.read_acquisitions(clv.datasets.data_path("demo/acquisitions.csv"))
    >>> acq_spark = spark.createDataFrame(acq[["customer_id", "channel", "acquired_at"]])  # doctest: +SKIP
    >>> rfm = clv.spark.rfm_summary(tx, observation_end="2025-12-31")  # doctest: +SKIP
    >>> models = clv.spark.fit_channel_models(rfm, acq_spark)  # doctest: +SKIP
    >>> models.sources == clv.fit_channel_models(rfm.to_pandas(), acq).sources  # doctest: +SKIP
    True
    """
    from clv.models import transaction_model_class

    F = functions()
    cls = transaction_model_class(transaction_model)
    acq = acquisitions.select("customer_id", F.col("channel").alias("_channel"))
    frame = _frame(rfm).join(acq, "customer_id", "left")
    stats = _collect(frame, ["_channel", *TRANSACTION_STATISTICS])
    spend = _collect(frame, ["_channel", *SPEND_STATISTICS])
    n_all = int(stats["count"].sum())
    if n_all and stats["_channel"].isna().all():
        example = acquisitions.select("customer_id").limit(1).collect()
        raise DataError(
            "column 'customer_id': no customer of the transactions appears in the acquisitions "
            f"(transaction ids like {stats['_first'].iloc[0]!r}, acquisition ids like "
            f"{example[0][0] if example else None!r}; types {_frame(rfm).schema['customer_id'].dataType.simpleString()} "
            f"and {acquisitions.schema['customer_id'].dataType.simpleString()})"
        )
    names = sorted(r[0] for r in acquisitions.select("channel").distinct().collect())
    return fit_channels(stats, spend, names, cls=cls, min_customers=min_customers, penalizer=penalizer, progress=progress)
