"""Per-channel sums of realized and expected value, computed in Spark for the channel report."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.errors import DataError
from clv.spark.session import functions
from clv.spark.summary import SparkRFM

__all__ = ["channel_aggregates"]

_SUMMED = ("realized_revenue", "expected_purchases", "expected_revenue", "clv", "clv_lower", "clv_upper")


def channel_aggregates(
    scores: Any,
    acquisitions: Any,
    *,
    rfm: SparkRFM | None = None,
    cohort: str | None = None,
    channel: str = "channel",
    acquired_at: str = "acquired_at",
    customer: str = "customer_id",
) -> pd.DataFrame:
    """Sum customer scores and realized revenue by acquisition channel (and cohort) in Spark.

    Parameters
    ----------
    scores : pyspark.sql.DataFrame
        Output of :func:`clv.spark.score`.
    acquisitions : pyspark.sql.DataFrame
        One row per customer: ``customer``, ``channel`` and, for cohorts,
        ``acquired_at``.
    rfm : SparkRFM, optional
        The summary the scores came from; adds ``realized_revenue`` (every
        purchase up to its ``observation_end``, first purchase included).
    cohort : {"M", "Q", "Y"}, optional
        Also split by acquisition month, quarter or year (column ``cohort``,
        the first day of the period as ISO text).
    channel, acquired_at, customer : str
        Column names in ``acquisitions``.

    Returns
    -------
    pandas.DataFrame
        One row per channel (and cohort), sorted: ``customers`` and the sums
        ``realized_revenue, expected_purchases, expected_revenue, clv``
        (plus ``clv_lower, clv_upper`` sums when the scores have them; the
        sum of per-customer bounds is not an interval of the sum). Scored
        customers without an acquisition row form channel ``None`` when
        ``allow_unmatched``; ``attrs["exclusions"]`` counts
        ``customers_without_acquisition`` (scored, not in ``acquisitions``;
        they are left out of the table) and
        ``acquisitions_without_score`` (acquired, no transaction in the
        summary) and ``duplicate_acquisitions`` (extra rows for one
        customer: a customer must be acquired once).
    """
    F = functions()
    for col in (customer, channel) + ((acquired_at,) if cohort else ()):
        if col not in acquisitions.columns:
            raise DataError(f"column '{col}': missing from the acquisitions table; columns found: {acquisitions.columns}")
    if cohort not in (None, "M", "Q", "Y"):
        raise DataError(f"cohort must be 'M', 'Q', 'Y' or None, got {cohort!r}")
    acq_cols = [F.col(customer).alias("customer_id"), F.col(channel).alias("channel")]
    keys = ["channel"]
    if cohort:
        unit = {"M": "month", "Q": "quarter", "Y": "year"}[cohort]
        acq_cols.append(F.date_format(F.date_trunc(unit, F.col(acquired_at)), "yyyy-MM-dd").alias("cohort"))
        keys.append("cohort")
    acq = acquisitions.select(*acq_cols)

    dup = acq.groupBy("customer_id").count().filter("count > 1")
    duplicates = dup.agg(F.sum(F.col("count") - 1)).collect()[0][0] or 0
    if duplicates:
        example = dup.limit(1).collect()[0]["customer_id"]
        raise DataError(f"column '{customer}': customer {example!r} appears more than once in the acquisitions table "
                        f"({int(duplicates)} extra rows); each customer is acquired once")

    summed = [c for c in _SUMMED if c in scores.columns]
    base = scores.select("customer_id", *summed)
    if rfm is not None:
        base = base.join(rfm.realized_revenue(), "customer_id", "left")
        summed = ["realized_revenue", *summed]
    joined = base.withColumn("_scored", F.lit(1)).join(acq.withColumn("_acquired", F.lit(1)), "customer_id", "full")
    counts = joined.agg(
        F.sum(F.when(F.col("_acquired").isNull(), 1).otherwise(0)).alias("without_acquisition"),
        F.sum(F.when(F.col("_scored").isNull(), 1).otherwise(0)).alias("without_score"),
    ).collect()[0]
    matched = joined.filter(F.col("_scored").isNotNull() & F.col("_acquired").isNotNull())
    table = (
        matched.groupBy(*keys)
        .agg(F.count(F.lit(1)).alias("customers"), *[F.sum(c).alias(c) for c in summed])
        .toPandas()
        .sort_values(keys, ignore_index=True)
    )
    table["customers"] = table["customers"].astype(np.int64)
    table.attrs["exclusions"] = {
        "customers_without_acquisition": int(counts["without_acquisition"] or 0),
        "acquisitions_without_score": int(counts["without_score"] or 0),
    }
    return table
