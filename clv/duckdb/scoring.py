"""Scoring a customer base chunk by chunk: :func:`clv.customer_value` on slices of the DuckDB summary.

The summary table is sorted by ``customer_id``; one query streams it (joined
once to the acquisitions for the channel models) in customer order, and each
batch of ``chunk_size`` rows is valued in pandas and appended to a DuckDB table
(for the channel sums, computed in SQL) and/or to a table of the CSV rows, which
DuckDB's ``COPY`` writes once at the end (:func:`clv.duckdb.copy_csv`: the
bytes pandas' ``to_csv`` wrote chunk by chunk). Memory holds one chunk, never
the whole base. Every output is a function of the customer's own row, so the
numbers equal :func:`clv.customer_value` on the whole frame.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from clv.duckdb.fitting import acquisitions_view
from clv.duckdb.rows import copy_csv
from clv.duckdb.session import quote
from clv.duckdb.summary import RFM_COLUMNS, DuckRFM
from clv.engine_fit import value_chunk
from clv.errors import DataError
from clv.output import write_text_atomic
from clv.valuation import purchase_forecast

__all__ = ["DEFAULT_CHUNK", "channels_table", "ordered", "score", "score_channels"]

DEFAULT_CHUNK = 250_000
_tables = itertools.count()


def _settings(rfm: DuckRFM, time_unit: str | None, **kwargs: Any) -> dict[str, Any]:
    if time_unit is not None and time_unit != rfm.time_unit:
        raise DataError(f"time_unit {time_unit!r} differs from the summary's {rfm.time_unit!r}")
    return {"time_unit": rfm.time_unit, **kwargs}


def _run(rfm: DuckRFM, pairs: dict[Any, tuple[Any, Any]], settings: dict[str, Any], *, acquisitions: str | None,
         out_csv: str | Path | None, table: bool, chunk_size: int, with_rfm: bool) -> str | None:
    """Value every slice; append to a DuckDB table (returned) and/or write a CSV atomically."""
    if chunk_size < 1:
        raise DataError(f"chunk_size must be at least 1, got {chunk_size}")
    probe = pd.DataFrame({"customer_id": [0], "frequency": [0.0], "recency": [0.0], "T": [1.0], "monetary_value": [0.0]})
    _value(probe, pairs, settings)  # bad settings fail here, before any work
    name = quote(f"clv_scores_{next(_tables)}") if table else None
    if out_csv is None:
        _chunks(rfm, pairs, settings, acquisitions, chunk_size, name, None, with_rfm)
        return name
    rows = quote(f"clv_csv_{next(_tables)}")  # the rows of the CSV file, written once at the end by DuckDB's COPY
    try:
        if _chunks(rfm, pairs, settings, acquisitions, chunk_size, name, rows, with_rfm):
            # a table scan keeps the insertion order (DuckDB's preserve_insertion_order, on by default): the chunks' order
            copy_csv(rfm.con, f"SELECT * FROM {rows}", out_csv, line_end="\n", money=False)  # the bytes of frame.to_csv
        else:
            write_text_atomic(out_csv, "")  # no customers: an empty file, as before
    finally:
        rfm.con.execute(f"DROP TABLE IF EXISTS {rows}")
    return name


def channels_table(scores_table: str) -> str:
    """Name of the table that :func:`score_channels` fills beside ``scores_table``: each scored customer's channel.

    One column, ``channel`` (``NULL`` for a customer without an acquisition
    row), one row per summary row in the summary's (customer) order, so it
    lines up with the summary and scores tables by position.

    Parameters
    ----------
    scores_table : str
        Quoted name returned by :func:`score_channels`.

    Returns
    -------
    str
        Quoted table name.

    Examples
    --------
    >>> from clv.duckdb.scoring import channels_table
    >>> channels_table('"clv_scores_0"')
    '"clv_scores_0_channels"'
    """
    return quote(scores_table.strip('"').replace('""', '"') + "_channels")


def ordered(con: Any) -> str:
    """`` ORDER BY customer_id`` unless ``con`` keeps insertion order, where a scan of a customer-sorted table is already sorted.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection

    Returns
    -------
    str
        SQL to append to a query over customer-sorted tables joined by position.

    Examples
    --------
    >>> import clv.duckdb
    >>> from clv.duckdb.scoring import ordered
    >>> ordered(clv.duckdb.connect())
    ''
    """
    keeps = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    return "" if str(keeps).lower() in ("true", "1") else " ORDER BY customer_id"


def _chunks(rfm: DuckRFM, pairs: dict[Any, tuple[Any, Any]], settings: dict[str, Any], acquisitions: str | None,
            chunk_size: int, name: str | None, rows: str | None, with_rfm: bool) -> int:
    """One pass over the summary in customer order, fetched ``chunk_size`` rows at a time, valued and appended.

    The summary table is sorted by ``customer_id``; with ``acquisitions`` it is
    joined to them once (one hash join and one spillable sort), never per chunk.
    The scores (and, with acquisitions, the channel of each customer, for
    :func:`channels_table`) and the CSV rows (table ``rows``) go in through a
    second cursor while the stream is open, so their tables are regular tables
    of the main schema. Returns the number of chunks.
    """
    import pyarrow as pa

    con = rfm.con
    names = [c for c in rfm.columns if c == "customer_id" or c in RFM_COLUMNS]  # no monetary_value without amounts
    cols = ", ".join(f"r.{quote(c)}" for c in names)
    if acquisitions:
        sql = (f"SELECT {cols}, CAST(a.channel AS VARCHAR) AS _channel FROM {rfm.table} r "
               f"LEFT JOIN {acquisitions} a USING (customer_id) ORDER BY r.customer_id")
    else:
        sql = f"SELECT {cols} FROM {rfm.table} r{ordered(con)}"
    reader = con.sql(sql).to_arrow_reader(int(chunk_size))
    writer = con.cursor()
    done = 0
    try:
        for batch in reader:
            if not batch.num_rows:
                continue
            pdf = batch.to_pandas()
            if acquisitions:
                pdf["_group"] = pdf.pop("_channel").fillna("*")
            scored = _value(pdf, pairs, settings)
            if name is not None:
                _append(writer, name, pa.Table.from_pandas(scored, preserve_index=False), done == 0)
                if acquisitions:
                    _append(writer, channels_table(name), pa.table({"channel": batch.column("_channel")}), done == 0)
            if rows is not None:
                _append(writer, rows, pdf[names].join(scored.drop(columns="customer_id")) if with_rfm else scored, done == 0)
            done += 1
    finally:
        writer.close()
    return done


def _append(writer: Any, table: str, rows: Any, create: bool) -> None:
    """Append an Arrow table or a DataFrame to ``table`` (created from it first, in the main schema)."""
    writer.register("clv_chunk", rows)
    verb = f"CREATE OR REPLACE TABLE {table} AS" if create else f"INSERT INTO {table}"
    writer.execute(f"{verb} SELECT * FROM clv_chunk")
    writer.unregister("clv_chunk")


def _value(pdf: pd.DataFrame, pairs: dict[Any, tuple[Any, Any]], settings: dict[str, Any]) -> pd.DataFrame:
    """Value one chunk; without a spend model (a purchase-only log) the purchase forecast, as ``clv score`` on pandas."""
    transactions_model, spend_model = pairs["*"]
    if spend_model is not None:
        return value_chunk(pdf, pairs, settings)
    rfm = pdf.drop(columns="monetary_value", errors="ignore").set_index("customer_id")
    forecast = purchase_forecast(transactions_model, rfm, horizon=settings["horizon"], time_unit=settings["time_unit"])
    return forecast.reset_index()


def score(
    rfm: DuckRFM,
    transactions_model: Any,
    spend_model: Any,
    *,
    horizon: float,
    discount_rate: float,
    margin: float = 1.0,
    time_unit: str | None = None,
    period: float = 1.0,
    interval: float | None = None,
    n_draws: int = 200,
    seed: int | None = None,
    out_csv: str | Path | None = None,
    table: bool = True,
    chunk_size: int = DEFAULT_CHUNK,
) -> str | None:
    """Per-customer purchase forecast and lifetime value, chunk by chunk.

    Parameters
    ----------
    rfm : DuckRFM
    transactions_model, spend_model : fitted ``clv`` MLE models
        ``spend_model=None`` (a purchase-only log) scores the purchase
        forecast of :func:`clv.purchase_forecast` instead of the value.
    horizon, discount_rate, margin, period, interval, n_draws, seed
        As in :func:`clv.customer_value`.
    time_unit : {"W", "D", "M"}, optional
        Defaults to the summary's; a different one is an error.
    out_csv : path, optional
        Also write ``customer_id``, the RFM columns and the scores here, one
        chunk at a time (atomically: a failure leaves no partial file).
    table : bool
        Keep the scores in a DuckDB table (its name is returned).
    chunk_size : int
        Customers per chunk.

    Returns
    -------
    str or None
        Quoted name of the DuckDB scores table (``customer_id`` and the
        columns of :func:`clv.customer_value`, in customer order), or ``None``
        with ``table=False``. A table of the connection's main schema, not a
        TEMP one (it is filled through a second cursor while the summary
        streams out of the connection), as the summary table is.

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> rfm = clv.duckdb.rfm_summary(clv.datasets.data_path("cdnow_sample.csv"), observation_end="1997-09-30")
    >>> bg, gg = clv.duckdb.fit(clv.BetaGeo(), rfm), clv.duckdb.fit(clv.GammaGamma(), rfm)
    >>> name = clv.duckdb.score(rfm, bg, gg, horizon=52, discount_rate=0.1, margin=0.3, chunk_size=1000)
    >>> got = rfm.con.execute(f"SELECT * FROM {name} ORDER BY customer_id").df().set_index("customer_id")
    >>> got.equals(clv.customer_value(bg, gg, rfm.to_pandas(), horizon=52, discount_rate=0.1, margin=0.3))
    True
    """
    settings = _settings(rfm, time_unit, horizon=horizon, discount_rate=discount_rate, margin=margin, period=period,
                         interval=interval, n_draws=n_draws, seed=seed)
    return _run(rfm, {"*": (transactions_model, spend_model)}, settings, acquisitions=None, out_csv=out_csv,
                table=table, chunk_size=chunk_size, with_rfm=True)


def score_channels(
    rfm: DuckRFM,
    models: Any,
    acquisitions: pd.DataFrame,
    *,
    horizon: float,
    discount_rate: float,
    margin: float = 1.0,
    time_unit: str | None = None,
    period: float = 1.0,
    out_csv: str | Path | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    keep: Sequence[str] = (),
) -> str:
    """Score every customer with the models of its acquisition channel, like ``ChannelModels.score``.

    Parameters
    ----------
    rfm : DuckRFM
    models : clv.ChannelModels
        Maximum-likelihood pairs with the pooled pair under ``"*"``;
        customers without an acquisition row, or of a channel without its
        own pair, use the pooled pair.
    acquisitions : pandas.DataFrame
        Output of :func:`clv.read_acquisitions`.
    horizon, discount_rate, margin, time_unit, period, out_csv, chunk_size
        As in :func:`score`.
    keep : sequence of str
        Unused; reserved for extra columns.

    Returns
    -------
    str
        Quoted name of the DuckDB scores table, as :func:`score` returns it;
        beside it, :func:`channels_table` gives each customer's channel in
        the same order.

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> from clv.datasets import data_path
    >>> rfm = clv.duckdb.rfm_summary(data_path("demo/transactions.csv"), observation_end="2025-12-31")
    >>> acq = clv.read_acquisitions(data_path("demo/acquisitions.csv"))
    >>> models = clv.duckdb.fit_channel_models(rfm, acq)
    >>> name = clv.duckdb.score_channels(rfm, models, acq, horizon=52, discount_rate=0.1, margin=0.3)
    >>> rfm.con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == rfm.customers
    True
    """
    point = models.point() if hasattr(models, "point") else None
    if not point:
        raise DataError("score_channels needs maximum-likelihood channel models (clv.ChannelModels)")
    settings = _settings(rfm, time_unit, horizon=horizon, discount_rate=discount_rate, margin=margin, period=period)
    acq = acquisitions_view(rfm.con, acquisitions)
    return _run(rfm, dict(point), settings, acquisitions=acq, out_csv=out_csv, table=True, chunk_size=chunk_size,
                with_rfm=True)
