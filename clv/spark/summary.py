"""Transaction log to per-customer RFM summaries, as Spark DataFrame operations.

The conventions are those of :mod:`clv.data.summary`, to the last detail:

* purchases by the same customer on the same calendar day are one transaction
  (the day of a ``DATE`` column, of a ``TIMESTAMP_NTZ`` column as written, of
  a ``TIMESTAMP`` column in the session time zone);
* ``frequency`` = distinct purchase days - 1; ``recency`` and ``T`` are whole
  days divided by the length of the time unit (7 for ``"W"``);
* ``monetary_value`` is the mean of the repeat days' totals (the first day is
  excluded), 0 without repeats;
* what is left out or merged is counted, never silently dropped.

Two Spark jobs run eagerly: one pass over the transactions (checks, date range,
row counts) and the per-customer aggregation, which is persisted because the
exclusion counts, fitting and scoring all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clv.data.summary import day_number, exclusion_counts, summary_attrs, time_unit_days
from clv.errors import DataError
from clv.spark.session import functions, types

__all__ = ["HOLDOUT_COLUMNS", "RFM_COLUMNS", "SparkRFM", "calibration_holdout", "rfm_summary"]

RFM_COLUMNS = ("frequency", "recency", "T", "monetary_value")
HOLDOUT_COLUMNS = ("holdout_frequency", "holdout_monetary_value", "duration_holdout")


def _date_text(day: int) -> str:
    return str(np.datetime64(day, "D"))


@dataclass(frozen=True)
class SparkRFM:
    """Per-customer summary held in Spark, with what the pandas version keeps in ``attrs``.

    Attributes
    ----------
    df : pyspark.sql.DataFrame
        Column ``customer_id`` (the input's type) and the columns of
        :func:`clv.rfm_summary` (``frequency, recency, T, monetary_value``,
        doubles), plus ``holdout_frequency, holdout_monetary_value,
        duration_holdout`` from :func:`calibration_holdout`. One row per
        customer, in no particular order; ``customer_id`` plays the role of
        the pandas index.
    exclusions : dict
        The same counts as ``attrs["exclusions"]`` of the pandas version.
    time_unit : str
    observation_end : str
        ISO date, inclusive.
    calibration_end : str or None
        ISO date, inclusive; set by :func:`calibration_holdout`.

    Examples
    --------
    These need a Spark session (``pip install 'clv[spark]'`` and Java 17), so
    the doctests do not run them.

    >>> import clv, clv.spark
    >>> spark = clv.spark.get_session("local[2]")  # doctest: +SKIP
    >>> tx = spark.createDataFrame(clv.datasets.load_cdnow())  # doctest: +SKIP
    >>> rfm = clv.spark.rfm_summary(tx, observation_end="1997-09-30")  # doctest: +SKIP
    >>> rfm.df.columns, rfm.time_unit, rfm.observation_end  # doctest: +SKIP
    (['customer_id', 'frequency', 'recency', 'T', 'monetary_value'], 'W', '1997-09-30')
    >>> rfm.to_pandas().shape  # doctest: +SKIP
    (2357, 4)
    >>> rfm.realized_revenue().columns  # doctest: +SKIP
    ['customer_id', 'realized_revenue']
    """

    df: Any
    exclusions: dict[str, int]
    time_unit: str
    observation_end: str
    calibration_end: str | None = None
    customers: Any = field(default=None, repr=False)

    @property
    def attrs(self) -> dict[str, Any]:
        """The ``attrs`` dict the pandas version carries (``exclusions``, ``time_unit``, dates)."""
        return summary_attrs(self.exclusions, self.time_unit, self.observation_end, self.calibration_end)

    def to_pandas(self) -> pd.DataFrame:
        """Collect to the driver: the frame :func:`clv.rfm_summary` returns (index ``customer_id``, sorted).

        Only for summaries that fit in the driver's memory (tests, samples).
        """
        frame = self.df.toPandas().set_index("customer_id").sort_index()
        frame.attrs.update(self.attrs)
        return frame

    def realized_revenue(self) -> Any:
        """Spark DataFrame ``customer_id, realized_revenue``: every purchase up to ``observation_end``.

        Includes the first purchase and, after :func:`calibration_holdout`,
        the holdout purchases (revenue to date), for the customers in ``df``.
        """
        F = functions()
        return self.customers.filter(F.col("_n") > 0).select("customer_id", F.col("_revenue").alias("realized_revenue"))

    def unpersist(self) -> None:
        """Release the cached per-customer table."""
        self.customers.unpersist()


def _day_column(df: Any, name: str) -> Any:
    F, T = functions(), types()
    kind = df.schema[name].dataType
    col = F.col(f"`{name}`")
    if isinstance(kind, T.DateType):
        return F.unix_date(col)
    if isinstance(kind, (T.TimestampType, T.TimestampNTZType)):
        return F.unix_date(F.to_date(col))
    if isinstance(kind, T.StringType):
        return F.unix_date(F.to_date(F.expr(f"try_to_timestamp(`{name}`)")))
    raise DataError(f"column '{name}': expected dates or timestamps, got Spark type {kind.simpleString()}")


def _amount_column(df: Any, name: str) -> Any:
    F, T = functions(), types()
    kind = df.schema[name].dataType
    if isinstance(kind, T.NumericType):
        return F.col(f"`{name}`").cast("double")
    if isinstance(kind, T.StringType):
        return F.expr(f"try_cast(trim(`{name}`) AS DOUBLE)")
    raise DataError(f"column '{name}': expected numbers, got Spark type {kind.simpleString()}")


def _canonical(df: Any, customer: str, date: str, amount: str) -> Any:
    """Select ``customer_id, day`` (days since 1970-01-01) ``, amount`` (double), keeping the raw columns for messages."""
    missing = [c for c in (customer, date, amount) if c not in df.columns]
    if missing:
        raise DataError(f"column '{missing[0]}': missing from the transactions table; columns found: {df.columns}")
    F = functions()
    return df.select(
        F.col(f"`{customer}`").alias("customer_id"),
        _day_column(df, date).alias("day"),
        _amount_column(df, amount).alias("amount"),
        F.col(f"`{date}`").alias("_raw_date"),
        F.col(f"`{amount}`").alias("_raw_amount"),
    )


def _scan(raw: Any, cal_day: int | None, end_day: int | None) -> dict[str, Any]:
    """One pass over the transactions: row counts, bad values, date range, rows after the end."""
    F = functions()
    day, amount = F.col("day"), F.col("amount")

    def count(cond: Any) -> Any:
        return F.sum(F.when(cond, 1).otherwise(0))

    within = day <= end_day if end_day is not None else F.lit(True)
    aggs = {
        "rows": F.count(F.lit(1)),
        "null_customer": count(F.col("customer_id").isNull()),
        "bad_date": count(day.isNull()),
        "bad_amount": count(amount.isNull()),
        "inf_amount": count(F.isnan(amount) | (F.abs(amount) == float("inf"))),
        "max_day": F.max(day),
        "rows_after": count(~within),
        "non_positive": count(within & (amount <= 0)),
    }
    if cal_day is not None:
        aggs["rows_calibration"] = count(day <= cal_day)
    row = raw.agg(*[v.alias(k) for k, v in aggs.items()]).collect()[0].asDict()
    return {k: (0 if v is None and k != "max_day" else v) for k, v in row.items()}


def _example(raw: Any, cond: Any) -> str:
    rows = raw.filter(cond).limit(1).collect()
    if not rows:
        return "row: (not found)"
    rec = rows[0].asDict()
    return "row: " + str({"customer_id": rec["customer_id"], "date": rec["_raw_date"], "amount": rec["_raw_amount"]})


def _check(raw: Any, stats: dict[str, Any], date: str, amount: str, customer: str) -> None:
    F = functions()
    if stats["rows"] == 0:
        raise DataError("the transactions table has no data rows")
    checks = (
        ("null_customer", F.col("customer_id").isNull(), f"column '{customer}': empty value"),
        ("bad_date", F.col("day").isNull(), f"column '{date}': empty or unparseable date"),
        ("bad_amount", F.col("amount").isNull(), f"column '{amount}': empty value or not a number"),
        ("inf_amount", F.isnan("amount") | (F.abs("amount") == float("inf")), f"column '{amount}': infinite or NaN value"),
    )
    for key, cond, text in checks:
        if stats[key]:
            raise DataError(f"{text} in {stats[key]} rows, e.g. {_example(raw, cond)}")


def _customers(raw: Any, cal_day: int, end_day: int, holdout: bool) -> Any:
    """Merge to days, then one row per customer (also those whose purchases all fall after the end)."""
    F = functions()
    # One shuffle by customer serves both aggregations (a (customer, day) grouping is clustered by customer).
    daily = raw.repartition("customer_id").groupBy("customer_id", "day").agg(F.sum("amount").alias("amount"))
    day, amount = F.col("day"), F.col("amount")
    in_end, in_cal = day <= end_day, day <= cal_day

    def count(cond: Any) -> Any:
        return F.sum(F.when(cond, 1).otherwise(0))

    aggs = [
        count(in_end).alias("_n_end"),
        count(in_cal).alias("_n"),
        F.min(F.when(in_cal, day)).alias("_first"),
        F.max(F.when(in_cal, day)).alias("_last"),
        F.sum(F.when(in_end, amount)).alias("_revenue"),
        # Day totals in day order, to add money in the order the pandas path does (identical digits).
        F.array_sort(F.collect_list(F.when(in_end, F.struct(day.alias("d"), amount.alias("a"))))).alias("_days"),
    ]
    per_customer = daily.groupBy("customer_id").agg(*aggs)
    cal = F.transform(F.filter("_days", lambda s: s["d"] <= cal_day), lambda s: s["a"])
    first = F.get(cal, 0)  # NULL (not an error) when empty
    columns = [
        "customer_id", "_n_end", "_n", "_first", "_last", "_revenue",
        (first + _numpy_sum(F.filter(cal, lambda v, i: i > 0))).alias("_total"),
        first.alias("_first_amount"),
    ]
    if holdout:
        hold = F.transform(F.filter("_days", lambda s: s["d"] > cal_day), lambda s: s["a"])
        columns += [F.size(hold).alias("_h_n"), _sequential_sum(hold).alias("_h_total")]
    return per_customer.select(*columns)


def _sequential_sum(values: Any, start: Any = None) -> Any:
    """``start + v[0] + v[1] + ...`` added left to right (``numpy.bincount``'s order)."""
    F = functions()
    return F.aggregate(values, F.lit(0.0) if start is None else start, lambda acc, v: acc + v)


def _numpy_sum(values: Any, depth: int = 1) -> Any:
    """The sum of an array of doubles in the order NumPy's pairwise summation uses.

    The pandas summary totals a customer's days with ``np.add.reduceat``:
    ``v0 + pairwise(rest)``. NumPy's ``pairwise`` adds fewer than 8 values
    left to right from 0; 8 to 128 values in 8 running sums (one per index
    mod 8) combined as ``((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))``, then the
    remainder left to right; more than 128 values as the pairwise sums of two
    halves split at a multiple of 8. Following that order gives the same
    digits. The halving is unrolled ``depth`` times (``depth=1``: exact up to
    256 values; each level doubles the expression, and deeper trees make
    Spark's planner crawl); past that the last level keeps the 8-sum scheme
    and the result can differ in the last bit.
    """
    F = functions()
    m = F.size(values)
    lim = m - m % 8

    def lane(j: int) -> Any:
        return lambda v, i: (i % 8 == j) & (i < lim)

    lanes = [_sequential_sum(F.filter(values, lane(j))) for j in range(8)]
    block = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
    blocked = _sequential_sum(F.filter(values, lambda v, i: i >= lim), block)
    small = F.when(m < 8, _sequential_sum(values)).otherwise(blocked)
    if depth == 0:
        return small
    half = F.floor(m / 2).cast("int")
    split = half - half % 8
    left = _numpy_sum(F.filter(values, lambda v, i: i < split), depth - 1)
    right = _numpy_sum(F.filter(values, lambda v, i: i >= split), depth - 1)
    return F.when(m <= 128, small).otherwise(left + right)


def _rfm_columns(cal_day: int, unit: float) -> list[Any]:
    F = functions()
    x = (F.col("_n") - 1).cast("double")
    return [
        x.alias("frequency"),
        ((F.col("_last") - F.col("_first")) / F.lit(unit)).alias("recency"),
        ((F.lit(cal_day) - F.col("_first")) / F.lit(unit)).alias("T"),
        F.when(x > 0, (F.col("_total") - F.col("_first_amount")) / F.greatest(x, F.lit(1.0))).otherwise(0.0).alias("monetary_value"),
    ]


def _count_customers(customers: Any) -> dict[str, int]:
    F = functions()

    def count(cond: Any) -> Any:
        return F.sum(F.when(cond, 1).otherwise(0))

    row = customers.agg(
        count(F.col("_n_end") == 0).alias("after"),
        count((F.col("_n_end") > 0) & (F.col("_n") == 0)).alias("late"),
        count(F.col("_n") > 0).alias("cohort"),
        F.sum("_n_end").alias("daily_rows"),
    ).collect()[0]
    return {k: int(v or 0) for k, v in row.asDict().items()}


def _persisted(frame: Any) -> Any:
    from pyspark import StorageLevel

    return frame.persist(StorageLevel.MEMORY_AND_DISK)


def rfm_summary(
    df: Any,
    *,
    observation_end: Any = None,
    time_unit: str = "W",
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
) -> SparkRFM:
    """Summarise a Spark DataFrame of transactions to one row per customer, like :func:`clv.rfm_summary`.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        One row per purchase. ``date`` may be a ``DATE``, ``TIMESTAMP``,
        ``TIMESTAMP_NTZ`` or ISO text column; ``amount`` numeric or numeric
        text. Other columns are ignored.
    observation_end : date-like, optional
        Last day of observation (inclusive); defaults to the last purchase
        day. Rows after it are excluded and counted.
    time_unit : {"W", "D", "M"}
    customer, date, amount : str
        Column names in ``df``.

    Returns
    -------
    SparkRFM
        ``.df`` holds ``customer_id, frequency, recency, T,
        monetary_value``; ``.exclusions`` holds the counts of
        ``attrs["exclusions"]`` (``rows_after_observation_end``,
        ``customers_after_observation_end``, ``rows_merged_same_day``,
        ``non_positive_rows``); ``.to_pandas()`` equals
        ``clv.rfm_summary(tx_pandas, ...)``.

    Raises
    ------
    clv.DataError
        Missing column, empty customer id, unparseable date, non-numeric or
        infinite amount (one line naming the column, with an example row), an
        empty table, or no transaction on or before ``observation_end``.

    Examples
    --------
    >>> import clv.spark
    >>> spark = clv.spark.get_session("local[2]")  # doctest: +SKIP
    >>> rfm = clv.spark.rfm_summary(spark.read.parquet("tx.parquet"), observation_end="1997-09-30")  # doctest: +SKIP
    >>> rfm.exclusions  # doctest: +SKIP
    {'rows_after_observation_end': 0, 'customers_after_observation_end': 0, 'rows_merged_same_day': 12, ...}
    """
    unit = time_unit_days(time_unit)
    end_day = None if observation_end is None else day_number(observation_end, "observation_end")
    raw = _canonical(df, customer, date, amount)
    stats = _scan(raw, None, end_day)
    _check(raw, stats, date, amount, customer)
    if stats["rows"] == stats["rows_after"]:
        raise DataError(f"no transactions on or before observation_end {observation_end}")
    if end_day is None:
        end_day = int(stats["max_day"])
    customers = _persisted(_customers(raw, end_day, end_day, holdout=False))
    counts = _count_customers(customers)
    out = customers.filter("_n > 0").select("customer_id", *_rfm_columns(end_day, unit))
    exclusions = exclusion_counts(rows=stats["rows"], rows_after=stats["rows_after"], daily_rows=counts["daily_rows"],
                                  non_positive=stats["non_positive"], customers_after=counts["after"])
    return SparkRFM(out, exclusions, time_unit, _date_text(end_day), None, customers)


def calibration_holdout(
    df: Any,
    *,
    calibration_end: Any,
    observation_end: Any,
    time_unit: str = "W",
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
) -> SparkRFM:
    """Calibration summary and holdout outcomes in Spark, like :func:`clv.calibration_holdout`.

    The calibration columns are :func:`rfm_summary` up to ``calibration_end``
    for the customers whose first purchase is on or before it (the others are
    counted in ``exclusions["customers_first_purchase_in_holdout"]``).
    ``holdout_frequency`` counts distinct purchase days in
    ``(calibration_end, observation_end]``, ``holdout_monetary_value`` is the
    mean of those days' totals (0 without holdout purchases) and
    ``duration_holdout`` the holdout length in time units.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        One row per purchase, as for :func:`rfm_summary`.
    calibration_end : date-like
        Last day of the calibration period (inclusive).
    observation_end : date-like
        Last day of the holdout period (inclusive); after ``calibration_end``.
    time_unit : {"W", "D", "M"}
    customer, date, amount : str
        Column names in ``df``.

    Returns
    -------
    SparkRFM
        ``.df`` holds ``customer_id``, the four RFM columns and the three
        holdout columns; ``.exclusions`` the five counts of the pandas
        version.

    Raises
    ------
    clv.DataError
        As :func:`rfm_summary`, and when ``observation_end`` is not after
        ``calibration_end``.

    Examples
    --------
    These need a Spark session (``pip install 'clv[spark]'`` and Java 17), so
    the doctests do not run them.

    >>> import clv, clv.spark
    >>> spark = clv.spark.get_session("local[2]")  # doctest: +SKIP
    >>> tx = spark.createDataFrame(clv.datasets.load_cdnow())  # doctest: +SKIP
    >>> ch = clv.spark.calibration_holdout(tx, calibration_end="1997-09-30", observation_end="1998-06-30")  # doctest: +SKIP
    >>> ch.df.columns[-3:], ch.calibration_end  # doctest: +SKIP
    (['holdout_frequency', 'holdout_monetary_value', 'duration_holdout'], '1997-09-30')
    """
    unit = time_unit_days(time_unit)
    cal_day = day_number(calibration_end, "calibration_end")
    end_day = day_number(observation_end, "observation_end")
    if end_day <= cal_day:
        raise DataError(f"observation_end ({observation_end}) must be after calibration_end ({calibration_end})")
    raw = _canonical(df, customer, date, amount)
    stats = _scan(raw, cal_day, end_day)
    _check(raw, stats, date, amount, customer)
    if stats["rows_calibration"] == 0:
        raise DataError(f"no transactions on or before calibration_end {calibration_end}")
    customers = _persisted(_customers(raw, cal_day, end_day, holdout=True))
    counts = _count_customers(customers)
    F = functions()
    h_n = F.col("_h_n").cast("double")
    out = customers.filter("_n > 0").select(
        "customer_id",
        *_rfm_columns(cal_day, unit),
        h_n.alias("holdout_frequency"),
        F.when(h_n > 0, F.col("_h_total") / F.greatest(h_n, F.lit(1.0))).otherwise(0.0).alias("holdout_monetary_value"),
        F.lit((end_day - cal_day) / unit).alias("duration_holdout"),
    )
    exclusions = exclusion_counts(rows=stats["rows"], rows_after=stats["rows_after"], daily_rows=counts["daily_rows"],
                                  non_positive=stats["non_positive"], customers_after=counts["after"], late=counts["late"])
    return SparkRFM(out, exclusions, time_unit, _date_text(end_day), _date_text(cal_day), customers)
