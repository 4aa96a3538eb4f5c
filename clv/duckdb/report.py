"""Everything ``clv report --engine duckdb`` needs, computed in DuckDB.

:func:`report_inputs` runs the summary in SQL, fits per channel from the
collapsed statistics, scores chunk by chunk into a DuckDB table and sums by
channel and cohort there. It returns pandas objects shaped like those of the
pandas path (the RFM frame, :class:`clv.ChannelModels`, the per-customer
scores with ``revenue_to_date``), so :func:`clv.channel_report` and the
report writer run unchanged. The raw transactions never reach Python: what
is collected is one row per customer (the report's per-customer table needs
it) and the statistics the fits use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clv.data.acquisitions import read_acquisitions
from clv.duckdb.channels import channel_aggregates
from clv.duckdb.fitting import fit_channel_models
from clv.duckdb.scoring import DEFAULT_CHUNK, score_channels
from clv.duckdb.session import connect, quote
from clv.duckdb.summary import DuckRFM, canonical_view, rfm_summary

__all__ = ["MAX_COLLECTED_ROWS", "DuckInputs", "collect_transactions", "report_inputs"]

MAX_COLLECTED_ROWS = 5_000_000
"""Largest log :func:`collect_transactions` brings into memory (about 120 MB as a pandas frame, more in the sections that use it)."""


@dataclass
class DuckInputs:
    """What :func:`report_inputs` computed.

    Attributes
    ----------
    rfm : pandas.DataFrame or None
        The collected summary, as :func:`clv.rfm_summary` returns it; ``None``
        with ``collect=False``.
    scores : pandas.DataFrame or None
        Per-customer scores from each customer's channel models, plus
        ``revenue_to_date``; index ``customer_id`` in the order of ``rfm``.
    models : clv.ChannelModels
    acquisitions : pandas.DataFrame
        Output of :func:`clv.read_acquisitions`.
    channel_sums : pandas.DataFrame
        :func:`clv.duckdb.channel_aggregates`.
    duck_rfm : DuckRFM
    scores_table : str
        The scores in DuckDB (``duck_rfm.con``).

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> from clv.datasets import data_path
    >>> inputs = clv.duckdb.report_inputs(data_path("demo/transactions.csv"), data_path("demo/acquisitions.csv"),
    ...                                   observation_end="2025-12-31")
    >>> inputs.scores.index.equals(inputs.rfm.index), inputs.channel_sums.columns[:3].tolist()
    (True, ['channel', 'cohort', 'customers'])
    """

    rfm: pd.DataFrame | None
    scores: pd.DataFrame | None
    models: Any
    acquisitions: pd.DataFrame
    channel_sums: pd.DataFrame
    duck_rfm: DuckRFM
    scores_table: str


def report_inputs(
    transactions: Any,
    acquisitions: Any,
    *,
    con: Any = None,
    observation_end: Any = None,
    time_unit: str = "W",
    horizon: float = 52.0,
    discount_rate: float = 0.1,
    margin: float = 0.3,
    period: float = 1.0,
    transaction_model: str = "bgnbd",
    min_customers: int = 100,
    penalizer: float = 0.0,
    collect: bool = True,
    score_columns: tuple[str, ...] | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    progress: Any = None,
) -> DuckInputs:
    """Summarise, fit per channel and score in DuckDB; return the report's inputs as pandas objects.

    Parameters
    ----------
    transactions : anything :func:`clv.duckdb.read_source` reads
        Parquet/CSV file, glob or directory, DataFrame, or ``"view:NAME"``.
    acquisitions : str, pathlib.Path or pandas.DataFrame
        Anything :func:`clv.read_acquisitions` reads.
    con : duckdb.DuckDBPyConnection, optional
        Default: :func:`clv.duckdb.connect`.
    observation_end, time_unit
        As in :func:`clv.rfm_summary`.
    horizon, discount_rate, margin, period
        As in :func:`clv.customer_value`.
    transaction_model, min_customers, penalizer
        As in :func:`clv.channels.fit_channel_models`.
    collect : bool
        Collect the per-customer summary and scores (needed by
        :func:`clv.channel_report`).
    score_columns : tuple of str, optional
        Collect only these score columns (and ``revenue_to_date``); default
        all. The channel report reads ``clv``, ``p_alive`` and ``expected_revenue`` only, and each
        column left in DuckDB saves 8 bytes per customer.
    chunk_size : int
        Customers per scoring chunk.
    customer, date, amount : str
        Column names in ``transactions``.
    progress : callable, optional
        Called with a short text at each step.

    Returns
    -------
    DuckInputs

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> from clv.datasets import data_path
    >>> inputs = clv.duckdb.report_inputs(data_path("demo/transactions.csv"), data_path("demo/acquisitions.csv"),
    ...                                   observation_end="2025-12-31", margin=0.3)
    >>> report = clv.channel_report(inputs.scores, inputs.acquisitions, rfm=inputs.rfm, models=inputs.models,
    ...                             margin=0.3, n_draws=0)
    >>> len(report.table) == inputs.acquisitions["channel"].nunique()
    True
    """
    def say(text: str) -> None:
        if progress is not None:
            progress(text)

    con = con if con is not None else connect()
    validated = isinstance(acquisitions, pd.DataFrame) and list(acquisitions.columns) == ["customer_id", "channel", "acquired_at", "cost"]
    in_engine = hasattr(acquisitions, "table") and hasattr(acquisitions, "channels")  # a clv.duckdb.DuckAcquisitions of con
    acq = acquisitions if validated or in_engine else read_acquisitions(acquisitions)
    say("summarising the transactions in DuckDB")
    drfm = rfm_summary(transactions, observation_end=observation_end, time_unit=time_unit, customer=customer, date=date,
                       amount=amount, con=con)
    say(f"{drfm.customers:,} customers to {drfm.observation_end}; exclusions {drfm.exclusions}")
    models = fit_channel_models(drfm, acq, transaction_model=transaction_model, min_customers=min_customers,
                                penalizer=penalizer, progress=say)
    say("scoring customers with their channel's model, chunk by chunk")
    table = score_channels(drfm, models, acq, horizon=horizon, discount_rate=discount_rate, margin=margin,
                           time_unit=time_unit, period=period, chunk_size=chunk_size)
    sums = channel_aggregates(table, acq, drfm, margin=margin)
    rfm_pd = scores_pd = None
    if collect:
        say("collecting the per-customer summary and scores")
        rfm_pd = drfm.to_pandas()
        picked = "s.*" if score_columns is None else ", ".join(["customer_id", *(f"s.{quote(c)}" for c in score_columns)])
        scores_pd = con.execute(f"SELECT {picked}, r.revenue_to_date FROM {table} s JOIN {drfm.table} r USING (customer_id) "
                                "ORDER BY customer_id").df().set_index("customer_id")
    return DuckInputs(rfm_pd, scores_pd, models, acq, sums, drfm, table)


def collect_transactions(source: Any, *, con: Any = None, customer: str = "customer_id", date: str = "date",
                         amount: str | None = "amount", max_rows: int = MAX_COLLECTED_ROWS) -> pd.DataFrame | None:
    """The transaction log as :func:`clv.read_transactions` returns it, read by DuckDB, or ``None`` when it is too large.

    For the report sections that need every purchase in memory (retention by
    cohort, the backtest's refit): a log of at most ``max_rows`` rows comes
    back with the ids, calendar days and amounts the DuckDB summary reads, in
    the source's row order, so those sections give the pandas engine's
    numbers. Larger logs stay in the engine.

    Parameters
    ----------
    source : anything :func:`clv.duckdb.read_source` reads
    con : duckdb.DuckDBPyConnection, optional
    customer, date, amount : str
        Column names in ``source`` (``amount=None`` for a purchase-only log).
    max_rows : int
        Row limit.

    Returns
    -------
    pandas.DataFrame or None
        ``customer_id, date[, amount]`` (dates at midnight), or ``None`` above ``max_rows``.

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> from clv.datasets import data_path
    >>> tx = clv.duckdb.collect_transactions(data_path("cdnow_sample.csv"))
    >>> tx.equals(clv.read_transactions(data_path("cdnow_sample.csv")))
    True
    >>> clv.duckdb.collect_transactions(data_path("cdnow_sample.csv"), max_rows=100) is None
    True
    """
    con = con if con is not None else connect()
    raw = canonical_view(con, source, customer, date, amount)
    if con.execute(f"SELECT count(*) FROM {raw}").fetchone()[0] > max_rows:
        return None
    money = ", amount" if amount is not None else ""
    frame = con.execute(f"SELECT customer_id, day{money} FROM {raw}").df()
    days = frame.pop("day").to_numpy(dtype=np.int64)
    frame.insert(1, "date", days.astype("datetime64[D]").astype("datetime64[ns]"))
    return frame
