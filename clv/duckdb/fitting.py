"""Fitting from sufficient statistics aggregated in DuckDB.

As in :mod:`clv.spark.fitting` (which explains why it is exact): DuckDB
collapses the customers to the distinct ``(x, t_x, T)`` tuples with counts
and hands only those to the fitter; Gamma-Gamma likewise gets the distinct
``(x, m)`` pairs with counts (``m`` is the same float in both engines, so
equal pairs are found exactly). Rows come in the order of the smallest
customer id carrying each tuple, the order the pandas fit's own compression
meets them, so the parameters agree to the last digits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.duckdb.session import quote
from clv.duckdb.summary import DuckRFM
from clv.engine_fit import (
    SPEND_STATISTICS,
    TRANSACTION_STATISTICS,
    fit_channels,
    fit_statistics,
    order_statistics,
    statistics_kind,
)
from clv.errors import DataError
from clv.models import GammaGamma, transaction_model_class

__all__ = ["acquisitions_view", "fit", "fit_channel_models", "sufficient_statistics"]


def _collect(con: Any, source: str, keys: list[str]) -> pd.DataFrame:
    cols = ", ".join(quote(k) for k in keys)
    agg = con.execute(f"SELECT {cols}, count(*) AS count, min(customer_id) AS _first FROM {source} GROUP BY ALL").df()
    agg["count"] = agg["count"].astype(np.int64)
    return agg


def sufficient_statistics(rfm: DuckRFM, *, kind: str = "transactions", group: str | None = None,
                          source: str | None = None) -> pd.DataFrame:
    """Distinct likelihood tuples with their customer counts, computed in DuckDB.

    Parameters
    ----------
    rfm : DuckRFM
        Output of :func:`clv.duckdb.rfm_summary` or :func:`clv.duckdb.calibration_holdout`.
    kind : {"transactions", "spend"}
        ``"transactions"``: ``frequency, recency, T`` (BG/NBD, MBG/NBD,
        Pareto/NBD). ``"spend"``: ``frequency, monetary_value`` (Gamma-Gamma).
    group : str, optional
        Column to keep apart; it must be in ``source``.
    source : str, optional
        A view or query (in parentheses) over ``rfm.table`` carrying
        ``group`` (default ``rfm.table``).

    Returns
    -------
    pandas.DataFrame
        ``[group,] <statistics>, count``, ordered by the smallest
        ``customer_id`` carrying each row. Fit with ``model.fit(agg, weights="count")``.

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> rfm = clv.duckdb.rfm_summary(clv.datasets.data_path("cdnow_sample.csv"), observation_end="1997-09-30")
    >>> agg = clv.duckdb.sufficient_statistics(rfm)
    >>> int(agg["count"].sum()), len(agg) < rfm.customers
    (2357, True)
    """
    columns = statistics_kind(kind)
    keys = ([group] if group else []) + list(columns)
    source = source or rfm.table
    if group:
        null = rfm.con.execute(f"SELECT customer_id FROM {source} WHERE {quote(group)} IS NULL LIMIT 1").fetchone()
        if null:
            raise DataError(f"column '{group}': empty group value for customer {null[0]!r}; "
                            "fill it (e.g. 'unknown') before fitting by group")
    return order_statistics(_collect(rfm.con, source, keys))[[*keys, "count"]]


def fit(model: Any, rfm: DuckRFM) -> Any:
    """Fit a ``clv`` model from statistics aggregated in DuckDB.

    Parameters
    ----------
    model : BetaGeo, ModifiedBetaGeo, ParetoNBD or GammaGamma
        Settings (``penalizer``, ``initial_params``, ...) are kept.
    rfm : DuckRFM

    Returns
    -------
    model
        Fitted; parameters equal those of ``model.fit(rfm.to_pandas())``.
        For Gamma-Gamma, ``exclusions_`` counts customers.

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> rfm = clv.duckdb.rfm_summary(clv.datasets.data_path("cdnow_sample.csv"), observation_end="1997-09-30")
    >>> bg = clv.duckdb.fit(clv.BetaGeo(), rfm)
    >>> bg.params_.round(4).to_dict()
    {'r': 0.2426, 'alpha': 4.4136, 'a': 0.7929, 'b': 2.4259}
    """
    kind = "spend" if isinstance(model, GammaGamma) else "transactions"
    return fit_statistics(model, sufficient_statistics(rfm, kind=kind), kind)


def acquisitions_view(con: Any, acquisitions: pd.DataFrame) -> str:
    """Register the output of :func:`clv.read_acquisitions` in ``con``; return the view name.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    acquisitions : pandas.DataFrame or clv.duckdb.DuckAcquisitions
        ``customer_id, channel, acquired_at`` (one row per customer); a
        :class:`clv.duckdb.DuckAcquisitions` is already a table of ``con``.

    Returns
    -------
    str

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> con = clv.duckdb.connect()
    >>> acq = clv.read_acquisitions(clv.datasets.data_path("demo/acquisitions.csv"))
    >>> view = clv.duckdb.acquisitions_view(con, acq)
    >>> con.execute(f"SELECT count(*) FROM {view}").fetchone()[0] == len(acq)
    True
    """
    if hasattr(acquisitions, "table") and hasattr(acquisitions, "channels"):  # a clv.duckdb.DuckAcquisitions: already in SQL
        if acquisitions.con is not con:
            raise DataError("the acquisitions were read on another DuckDB connection than the summary's; pass con= to both")
        return acquisitions.table
    name = f"clv_acq_{id(acquisitions)}"
    con.register(name, acquisitions[["customer_id", "channel", "acquired_at"]])
    return quote(name)


def fit_channel_models(
    rfm: DuckRFM,
    acquisitions: pd.DataFrame,
    *,
    transaction_model: str = "bgnbd",
    min_customers: int = 100,
    penalizer: float = 0.0,
    progress: Any = None,
) -> Any:
    """:func:`clv.channels.fit_channel_models` from statistics aggregated in DuckDB.

    Parameters
    ----------
    rfm : DuckRFM
    acquisitions : pandas.DataFrame or clv.duckdb.DuckAcquisitions
        Output of :func:`clv.read_acquisitions` or :func:`clv.duckdb.read_acquisitions`.
    transaction_model : {"bgnbd", "mbgnbd", "paretonbd"}
    min_customers, penalizer, progress
        As in :func:`clv.channels.fit_channel_models`.

    Returns
    -------
    clv.ChannelModels
        The same pairs and sources as the pandas function.

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> from clv.datasets import data_path
    >>> rfm = clv.duckdb.rfm_summary(data_path("demo/transactions.csv"), observation_end="2025-12-31")
    >>> acq = clv.read_acquisitions(data_path("demo/acquisitions.csv"))
    >>> models = clv.duckdb.fit_channel_models(rfm, acq)
    >>> models.sources == clv.fit_channel_models(rfm.to_pandas(), acq).sources
    True
    """
    cls = transaction_model_class(transaction_model)
    con = rfm.con
    acq = acquisitions_view(con, acquisitions)
    joined = f"(SELECT r.*, a.channel AS _channel FROM {rfm.table} r LEFT JOIN {acq} a USING (customer_id))"
    stats = _collect(con, joined, ["_channel", *TRANSACTION_STATISTICS])
    spend = _collect(con, joined, ["_channel", *SPEND_STATISTICS])
    if len(stats) and stats["_channel"].isna().all():
        first = con.execute(f"SELECT customer_id, typeof(customer_id) FROM {acq} LIMIT 1").fetchone() or (None, None)
        raise DataError(
            "column 'customer_id': no customer of the transactions appears in the acquisitions "
            f"(transaction ids like {stats['_first'].min()!r}, acquisition ids like {first[0]!r}; types "
            f"{con.execute(f'SELECT typeof(customer_id) FROM {rfm.table} LIMIT 1').fetchone()[0]} and {first[1]})"
        )
    names = [str(c) for c, in con.execute(f"SELECT DISTINCT CAST(channel AS VARCHAR) AS c FROM {acq} ORDER BY c").fetchall()]
    return fit_channels(stats, spend, names, cls=cls, min_customers=min_customers, penalizer=penalizer, progress=progress)
