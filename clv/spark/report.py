"""Everything ``clv report --engine spark`` needs, computed on a Spark session.

:func:`report_inputs` runs summary, per-channel fitting and per-channel
scoring in Spark and returns pandas objects shaped exactly like those the
pandas path of the CLI builds (the RFM frame, :class:`clv.ChannelModels`, the
per-customer scores), so :func:`clv.channel_report`, the lifecycle section
and the report writer run unchanged. The scores carry ``revenue_to_date``, so
``channel_report`` needs no transaction log. The raw transactions never reach
the driver: what is collected is one row per customer (the summary and the
scores, which the report's per-customer CSV holds anyway) and the collapsed
statistics the fits use. ``channel_sums`` (from :func:`channel_aggregates`)
gives the channel point figures without collecting customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from clv.data.acquisitions import read_acquisitions
from clv.errors import DataError
from clv.spark.channels import channel_aggregates
from clv.spark.fitting import fit_channel_models
from clv.spark.scoring import score_channels
from clv.spark.session import get_session
from clv.spark.summary import SparkRFM, rfm_summary
from clv.valuation import DEFAULT_MARGIN

__all__ = ["ReportInputs", "read_table", "report_inputs"]


@dataclass
class ReportInputs:
    """What :func:`report_inputs` computed.

    Attributes
    ----------
    rfm : pandas.DataFrame or None
        The collected summary, as :func:`clv.rfm_summary` returns it (index
        ``customer_id``, ``attrs`` with exclusions and dates); ``None`` with
        ``collect=False``.
    scores : pandas.DataFrame or None
        Per-customer :func:`clv.customer_value` columns from each customer's
        channel models, plus ``revenue_to_date``; index ``customer_id`` in
        the order of ``rfm``.
    models : clv.ChannelModels
        Pooled and per-channel maximum-likelihood pairs.
    acquisitions : pandas.DataFrame
        Output of :func:`clv.read_acquisitions`.
    channel_sums : pandas.DataFrame
        :func:`clv.spark.channel_aggregates` (per channel and cohort month).
    spark_rfm : SparkRFM
    spark_scores : pyspark.sql.DataFrame
        The scores, lazy, in Spark (write them with ``.write.parquet``).

    Examples
    --------
    These need a Spark session (``pip install 'clv[spark]'`` and Java 17), so
    the doctests do not run them.

    >>> import clv, clv.spark
    >>> from clv.datasets import data_path
    >>> inputs = clv.spark.report_inputs(str(data_path("demo/transactions.csv")), data_path("demo/acquisitions.csv"),
    ...                                  master="local[2]", observation_end="2025-12-31")  # doctest: +SKIP
    >>> inputs.rfm.columns.tolist(), inputs.channel_sums.columns[:3].tolist()  # doctest: +SKIP
    (['frequency', 'recency', 'T', 'monetary_value'], ['channel', 'cohort', 'customers'])
    >>> inputs.scores.index.equals(inputs.rfm.index)  # doctest: +SKIP
    True
    """

    rfm: pd.DataFrame | None
    scores: pd.DataFrame | None
    models: Any
    acquisitions: pd.DataFrame
    channel_sums: pd.DataFrame
    spark_rfm: SparkRFM
    spark_scores: Any


def read_table(spark: Any, source: Any, customer: str = "customer_id") -> Any:
    """A Spark DataFrame from a Parquet path (file or directory), a CSV path, or a Spark DataFrame.

    CSV is read with a header and every column as text (the summary parses
    dates and amounts and reports bad rows); a ``customer`` column of
    all-integer text without leading zeros becomes integers, as
    :func:`clv.read_transactions` does, so ids join with the acquisitions.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
        Used to read files (ignored when ``source`` is already a DataFrame).
    source : str, pathlib.Path or pyspark.sql.DataFrame
        A ``.parquet``/``.pq`` file or a directory (read as Parquet), any
        other file (read as CSV), or a Spark DataFrame (returned as is).
    customer : str
        Name of the customer id column (for the CSV id rule).

    Returns
    -------
    pyspark.sql.DataFrame

    Raises
    ------
    clv.DataError
        The path does not exist (checked before Spark is touched).

    Examples
    --------
    >>> import clv.spark
    >>> clv.spark.read_table(None, "no/such/transactions.parquet")
    Traceback (most recent call last):
    ...
    clv.errors.DataError: transactions file 'no/such/transactions.parquet' does not exist

    Reading a file needs a Spark session, so this is not run:

    >>> spark = clv.spark.get_session("local[2]")  # doctest: +SKIP
    >>> clv.spark.read_table(spark, str(clv.datasets.data_path("cdnow_sample.csv"))).columns  # doctest: +SKIP
    ['customer_id', 'date', 'cds', 'amount']
    """
    if hasattr(source, "schema") and hasattr(source, "columns"):
        return source
    path = Path(source)
    if not path.exists():
        raise DataError(f"transactions file '{path}' does not exist")
    if path.suffix.lower() in {".parquet", ".pq"} or path.is_dir():
        return spark.read.parquet(str(path))
    return _integer_ids(spark.read.option("header", "true").csv(str(path)), customer)


def _integer_ids(df: Any, customer: str) -> Any:
    """All-integer text ids (no leading zero) become integers, as :func:`clv.read_transactions` does for CSV."""
    from pyspark.sql import functions as F

    if customer not in df.columns:
        return df
    text = F.trim(F.col(customer))
    if df.filter(F.col(customer).isNotNull() & ~text.rlike(r"^-?[1-9][0-9]{0,17}$")).limit(1).count():
        return df
    return df.withColumn(customer, text.cast("bigint"))


def report_inputs(
    transactions: Any,
    acquisitions: Any,
    *,
    spark: Any = None,
    master: str = "local[*]",
    observation_end: Any = None,
    time_unit: str = "W",
    horizon: float = 52.0,
    discount_rate: float = 0.1,
    margin: float = DEFAULT_MARGIN,
    period: float = 1.0,
    transaction_model: str = "bgnbd",
    min_customers: int = 100,
    penalizer: float = 0.0,
    collect: bool = True,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    progress: Any = None,
) -> ReportInputs:
    """Summarise, fit per channel and score in Spark; return the report's inputs as pandas objects.

    Parameters
    ----------
    transactions : str, pathlib.Path or pyspark.sql.DataFrame
        Parquet file or directory (or CSV) of ``customer, date, amount``.
    acquisitions : str, pathlib.Path or pandas.DataFrame
        Anything :func:`clv.read_acquisitions` reads (one row per customer).
    spark : SparkSession, optional
        Defaults to :func:`clv.spark.get_session` with ``master``.
    master : str
        Spark master when no session is given (``local[*]``, ``spark://...``, ``yarn``).
    observation_end, time_unit
        As in :func:`clv.rfm_summary`.
    horizon, discount_rate, margin, period
        As in :func:`clv.customer_value`.
    transaction_model, min_customers, penalizer
        As in :func:`clv.channels.fit_channel_models`.
    collect : bool
        Collect the per-customer summary and scores to the driver (needed by
        :func:`clv.channel_report`); ``False`` keeps them in Spark and
        returns only the models and ``channel_sums``.
    customer, date, amount : str
        Column names in ``transactions``.
    progress : callable, optional
        Called with a short text at each step (the CLI prints it).

    Returns
    -------
    ReportInputs

    Examples
    --------
    These need a Spark session (``pip install 'clv[spark]'`` and Java 17), so
    the doctests do not run them.

    >>> import clv, clv.spark
    >>> from clv.datasets import data_path
    >>> inputs = clv.spark.report_inputs(str(data_path("demo/transactions.csv")), data_path("demo/acquisitions.csv"),
    ...                                  master="local[2]", observation_end="2025-12-31", margin=0.3)  # doctest: +SKIP
    >>> report = clv.channel_report(inputs.scores, inputs.acquisitions, rfm=inputs.rfm, models=inputs.models,
    ...                             margin=0.3, n_draws=50, seed=1)  # doctest: +SKIP
    >>> report.table.index.name, len(report.table) == inputs.acquisitions["channel"].nunique()  # doctest: +SKIP
    ('channel', True)
    """
    def say(text: str) -> None:
        if progress is not None:
            progress(text)

    spark = spark if spark is not None else get_session(master)
    validated = isinstance(acquisitions, pd.DataFrame) and list(acquisitions.columns) == ["customer_id", "channel", "acquired_at", "cost"]
    acq = acquisitions if validated else read_acquisitions(acquisitions)  # the output of read_acquisitions passes as is
    say(f"summarising {transactions} in Spark ({spark.sparkContext.master})")
    srfm = rfm_summary(read_table(spark, transactions, customer), observation_end=observation_end, time_unit=time_unit,
                       customer=customer, date=date, amount=amount)
    say(f"summary to {srfm.observation_end}; exclusions {srfm.exclusions}")
    acq_spark = spark.createDataFrame(acq[["customer_id", "channel", "acquired_at"]])
    models = fit_channel_models(srfm, acq_spark, transaction_model=transaction_model, min_customers=min_customers,
                                penalizer=penalizer, progress=say)
    scores = score_channels(srfm, models, acq_spark, horizon=horizon, discount_rate=discount_rate, margin=margin,
                            time_unit=time_unit, period=period)
    from pyspark import StorageLevel

    scores = scores.persist(StorageLevel.MEMORY_AND_DISK)
    say("scoring customers with their channel's model and summing by channel")
    sums = channel_aggregates(scores, acq_spark, srfm, margin=margin)
    rfm_pd = scores_pd = None
    if collect:
        say("collecting the per-customer summary and scores")
        rfm_pd = srfm.to_pandas()
        revenue = srfm.realized_revenue().withColumnRenamed("realized_revenue", "revenue_to_date")
        scores_pd = scores.join(revenue, "customer_id", "left").toPandas().set_index("customer_id").reindex(rfm_pd.index)
    return ReportInputs(rfm_pd, scores_pd, models, acq, sums, srfm, scores)
