"""Per-channel and per-cohort sums for the channel report, computed in Spark.

:func:`clv.channel_report` works on per-customer pandas frames. For a base
too large to collect, :func:`channel_aggregates` computes its point figures
in Spark with the same membership rules (see :mod:`clv.channels`):
acquisitions after the observation end are left out and counted; acquired
customers without transactions count as zero value; scored customers without
an acquisition row are counted, with their value, but belong to no channel.
Means per customer are the sums divided by ``customers``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.engine_fit import channel_means
from clv.errors import DataError
from clv.spark.session import functions
from clv.spark.summary import SparkRFM

__all__ = ["channel_aggregates", "channel_means"]

_OPTIONAL = ("clv_lower", "clv_upper")


def channel_aggregates(
    scores: Any,
    acquisitions: Any,
    rfm: SparkRFM,
    *,
    margin: float,
    channel: str = "channel",
    acquired_at: str = "acquired_at",
    customer: str = "customer_id",
) -> pd.DataFrame:
    """Sums of realized and expected value per acquisition channel and cohort month, computed in Spark.

    Parameters
    ----------
    scores : pyspark.sql.DataFrame
        Output of :func:`clv.spark.score` or :func:`clv.spark.score_channels`
        (``customer_id``, ``clv``, ``p_alive``, optional ``clv_lower``,
        ``clv_upper``).
    acquisitions : pyspark.sql.DataFrame
        One row per customer: ``customer``, ``channel``, ``acquired_at``.
    rfm : SparkRFM
        The summary behind the scores: its ``observation_end`` and the
        revenue to date of every customer (every purchase up to that day,
        the first included).
    margin : float
        Share of revenue kept; ``ltv_realized = margin * revenue_to_date``.
    channel, acquired_at, customer : str
        Column names in ``acquisitions``.

    Returns
    -------
    pandas.DataFrame
        One row per ``channel, cohort`` (cohort = acquisition month as
        ``"YYYY-MM"``), sorted: ``customers``,
        ``acquired_without_transactions`` and the sums ``revenue_to_date,
        ltv_realized, clv, ltv_expected, p_alive`` (plus ``clv_lower,
        clv_upper`` when the scores have them; unscored customers add 0).
        ``attrs["reconciliation"]`` holds ``acquisitions_after_observation_end``,
        ``customers_scored``, ``customers_in_acquisitions``,
        ``customers_without_acquisition``,
        ``value_of_customers_without_acquisition`` and
        ``acquisitions_without_transactions``, named as in
        ``ChannelReport.reconciliation``. :func:`channel_means` turns the
        table into per-channel means.

    Raises
    ------
    clv.DataError
        A missing column or a customer listed twice in ``acquisitions``.

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
    >>> scores = clv.spark.score_channels(rfm, models, acq_spark, horizon=52, discount_rate=0.1, margin=0.3)  # doctest: +SKIP
    >>> sums = clv.spark.channel_aggregates(scores, acq_spark, rfm, margin=0.3)  # doctest: +SKIP
    >>> sums.columns.tolist()  # doctest: +SKIP
    ['channel', 'cohort', 'customers', 'acquired_without_transactions', 'revenue_to_date', 'ltv_realized', 'clv', 'ltv_expected', 'p_alive']
    >>> int(sums["customers"].sum()) == len(acq)  # doctest: +SKIP
    True
    """
    F = functions()
    for col in (customer, channel, acquired_at):
        if col not in acquisitions.columns:
            raise DataError(f"column '{col}': missing from the acquisitions table; columns found: {acquisitions.columns}")
    if not 0 <= margin <= 1:
        raise DataError(f"margin must lie between 0 and 1, got {margin}")
    end_day = int((np.datetime64(rfm.observation_end, "D") - np.datetime64(0, "D")).astype(int))
    acq_all = acquisitions.select(
        F.col(customer).alias("customer_id"),
        F.col(channel).cast("string").alias("channel"),
        F.date_format(F.col(acquired_at), "yyyy-MM").alias("cohort"),
        (F.unix_date(F.to_date(F.col(acquired_at))) > end_day).alias("_late"),
    )
    dup = acq_all.groupBy("customer_id").count().filter("count > 1").limit(1).collect()
    if dup:
        raise DataError(f"column '{customer}': customer {dup[0]['customer_id']!r} is listed twice in the acquisitions")

    summed = ["clv", "p_alive", *[c for c in _OPTIONAL if c in scores.columns]]
    missing = [c for c in ("customer_id", "clv", "p_alive") if c not in scores.columns]
    if missing:
        raise DataError(f"column '{missing[0]}': missing from scores (pass the output of clv.spark.score)")
    scored = (scores.select("customer_id", *summed)
              .join(rfm.realized_revenue().withColumnRenamed("realized_revenue", "revenue_to_date"), "customer_id", "left")
              .withColumn("_scored", F.lit(True)))
    joined = scored.join(acq_all.withColumn("_acquired", F.lit(True)), "customer_id", "full")
    is_scored, is_acq = F.col("_scored").isNotNull(), F.col("_acquired").isNotNull()
    late = F.coalesce(F.col("_late"), F.lit(False))

    def count(cond: Any) -> Any:
        return F.sum(F.when(cond, 1).otherwise(0))

    recon = joined.agg(
        count(is_acq & late).alias("acquisitions_after_observation_end"),
        count(is_scored).alias("customers_scored"),
        count(is_acq & ~late).alias("customers_in_acquisitions"),
        count(is_scored & ~(is_acq & ~late)).alias("customers_without_acquisition"),
        F.sum(F.when(is_scored & ~(is_acq & ~late), F.col("clv")).otherwise(0.0)).alias("value_of_customers_without_acquisition"),
        count(is_acq & ~late & ~is_scored).alias("acquisitions_without_transactions"),
    ).collect()[0].asDict()

    members = joined.filter(is_acq & ~late)
    revenue = F.coalesce(F.col("revenue_to_date"), F.lit(0.0))
    value = {c: F.coalesce(F.col(c), F.lit(0.0)) for c in summed}
    table = (
        members.groupBy("channel", "cohort")
        .agg(
            F.count(F.lit(1)).alias("customers"),
            count(~is_scored).alias("acquired_without_transactions"),
            F.sum(revenue).alias("revenue_to_date"),
            F.sum(revenue * F.lit(float(margin))).alias("ltv_realized"),
            F.sum(value["clv"]).alias("clv"),
            F.sum(revenue * F.lit(float(margin)) + value["clv"]).alias("ltv_expected"),
            *[F.sum(value[c]).alias(c) for c in summed if c != "clv"],
        )
        .toPandas()
        .sort_values(["channel", "cohort"], ignore_index=True)
    )
    for col in ("customers", "acquired_without_transactions"):
        table[col] = table[col].astype(np.int64)
    table.attrs["reconciliation"] = {k: (float(v or 0.0) if k.startswith("value") else int(v or 0)) for k, v in recon.items()}
    return table
