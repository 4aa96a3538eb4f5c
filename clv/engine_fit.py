"""What the out-of-memory engines share once their statistics are collected: ordering, pooling, fitting.

:mod:`clv.spark` and :mod:`clv.duckdb` aggregate a customer base to the
distinct likelihood tuples with counts (see ``docs/engines.md``); from there
on the work is the same pandas code, kept here once:

* :func:`order_statistics` puts collected tuples in the order in which the
  pandas fit's own compression meets them (by the smallest customer id
  carrying each tuple), so both paths add the log-likelihood terms in the
  same order and agree to the last digit;
* :func:`pool_statistics` merges per-group statistics into pooled ones;
* :func:`fit_statistics` fits a model from them and counts Gamma-Gamma's
  exclusions in customers;
* :func:`fit_channels` fits the pooled and per-channel pairs through :func:`clv.model_set.fit_groups`
  (the one per-group loop and fallback policy every engine shares);
* :func:`value_chunk` values one chunk of customers, each with its group's pair;
* :func:`channel_means` turns per-channel-and-cohort sums into per-channel means.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from clv.errors import DataError
from clv.models import GammaGamma

__all__ = [
    "SPEND_STATISTICS",
    "TRANSACTION_STATISTICS",
    "channel_means",
    "fit_channels",
    "fit_statistics",
    "order_statistics",
    "pool_statistics",
    "statistics_kind",
    "value_chunk",
]

TRANSACTION_STATISTICS = ("frequency", "recency", "T")
SPEND_STATISTICS = ("frequency", "monetary_value")
_OPTIONAL = ("clv_lower", "clv_upper")


def statistics_kind(kind: str) -> tuple[str, ...]:
    """The statistic columns of ``kind`` (``"transactions"`` or ``"spend"``).

    Parameters
    ----------
    kind : {"transactions", "spend"}

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> from clv.engine_fit import statistics_kind
    >>> statistics_kind("spend")
    ('frequency', 'monetary_value')
    """
    if kind == "transactions":
        return TRANSACTION_STATISTICS
    if kind == "spend":
        return SPEND_STATISTICS
    raise DataError(f"kind must be 'transactions' or 'spend', got {kind!r}")


def order_statistics(agg: pd.DataFrame, keys: list[str] | None = None) -> pd.DataFrame:
    """Rows by ``_first`` (smallest customer id per tuple) when present, else by ``keys``.

    Parameters
    ----------
    agg : pandas.DataFrame
        Collected statistics, ``count`` and optionally ``_first``.
    keys : list of str, optional
        Sort keys without ``_first`` (default: every column but ``count``).

    Returns
    -------
    pandas.DataFrame
        Sorted, with a fresh index.

    Examples
    --------
    >>> import pandas as pd
    >>> from clv.engine_fit import order_statistics
    >>> order_statistics(pd.DataFrame({"frequency": [1.0, 0.0], "count": [2, 5], "_first": [7, 3]}))["_first"].tolist()
    [3, 7]
    """
    order = ["_first"] if "_first" in agg.columns else list(keys or [c for c in agg.columns if c != "count"])
    return agg.sort_values(order, ignore_index=True)


def pool_statistics(agg: pd.DataFrame, group: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """Statistics of all groups together, from the per-group statistics (same order rule).

    Parameters
    ----------
    agg : pandas.DataFrame
        ``group``, ``columns``, ``count`` and optionally ``_first``.
    group : str
        The group column (dropped).
    columns : tuple of str
        The statistic columns.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> from clv.engine_fit import pool_statistics
    >>> agg = pd.DataFrame({"g": ["a", "b"], "frequency": [0.0, 0.0], "count": [2, 3], "_first": [5, 1]})
    >>> pool_statistics(agg, "g", ("frequency",)).to_dict("records")
    [{'frequency': 0.0, 'count': 5, '_first': 1}]
    """
    agg = agg.drop(columns=group)
    rules = {"count": "sum", **({"_first": "min"} if "_first" in agg.columns else {})}
    return order_statistics(agg.groupby(list(columns), as_index=False, sort=False).agg(rules), list(columns))


def _spend_exclusions(agg: pd.DataFrame) -> dict[str, int]:
    """Customers the Gamma-Gamma fit leaves out, counted in customers (not in distinct rows)."""
    x, m, n = agg["frequency"].to_numpy(), agg["monetary_value"].to_numpy(), agg["count"].to_numpy()
    return {
        "customers_without_repeat_purchases": int(n[x <= 0].sum()),
        "customers_with_non_positive_spend": int(n[(x > 0) & (m <= 0)].sum()),
    }


def fit_statistics(model: Any, agg: pd.DataFrame, kind: str) -> Any:
    """``model.fit(agg, weights="count")``; for spend, exclusions counted in customers.

    Parameters
    ----------
    model : clv MLE model
    agg : pandas.DataFrame
        Statistics of ``kind`` with ``count``.
    kind : {"transactions", "spend"}

    Returns
    -------
    model
        Fitted.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> from clv.engine_fit import fit_statistics
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> agg = rfm.groupby(["frequency", "monetary_value"]).size().rename("count").reset_index()
    >>> gg = fit_statistics(clv.GammaGamma(), agg, "spend")
    >>> gg.exclusions_["customers_without_repeat_purchases"] == int((rfm["frequency"] == 0).sum())
    True
    """
    model.fit(agg, weights="count")
    if kind == "spend" and hasattr(model, "exclusions_"):
        # GammaGamma counts rows of the frame it is given; here a row stands for `count` customers.
        counts = _spend_exclusions(agg)
        model.exclusions_ = counts
        model.result_.extra["exclusions"] = dict(counts)
    return model


def fit_channels(stats: pd.DataFrame, spend: pd.DataFrame, names: list[Any], *, cls: type, min_customers: int,
                 penalizer: float, progress: Any = None) -> Any:
    """The rules of :func:`clv.channels.fit_channel_models` applied to collected statistics.

    Parameters
    ----------
    stats : pandas.DataFrame
        ``_channel, frequency, recency, T, count, _first`` (``_channel`` NaN
        for customers without an acquisition row).
    spend : pandas.DataFrame
        ``_channel, frequency, monetary_value, count, _first`` (distinct pairs
        per channel, or one row per repeat buyer as Spark collects them).
    names : list
        The acquisition channels, sorted.
    cls : type
        Transaction model class.
    min_customers : int
    penalizer : float
    progress : callable, optional

    Returns
    -------
    clv.ChannelModels

    Examples
    --------
    >>> import pandas as pd, clv
    >>> from clv.engine_fit import fit_channels
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30").reset_index()
    >>> rfm["_channel"], rfm["count"], rfm["_first"] = "web", 1, rfm["customer_id"]
    >>> spend = rfm[["_channel", "frequency", "monetary_value", "count", "_first"]]
    >>> models = fit_channels(rfm.drop(columns="monetary_value"), spend, ["web"], cls=clv.BetaGeo, min_customers=100,
    ...                       penalizer=0.0)
    >>> models.sources
    {'*': 'pooled MLE', 'web': 'channel MLE'}
    """
    from clv.channels import ChannelModels
    from clv.model_set import fit_groups

    parts = {name: order_statistics(stats[stats["_channel"] == name]) for name in names}

    def fit_pair(name: Any) -> tuple[Any, Any]:
        if name is None:
            return (fit_statistics(cls(penalizer=penalizer), pool_statistics(stats, "_channel", TRANSACTION_STATISTICS), "transactions"),
                    fit_statistics(GammaGamma(penalizer=penalizer),
                                   pool_statistics(spend, "_channel", SPEND_STATISTICS), "spend"))
        return (fit_statistics(cls(penalizer=penalizer), parts[name], "transactions"),
                fit_statistics(GammaGamma(penalizer=penalizer), order_statistics(spend[spend["_channel"] == name]), "spend"))

    sizes = {name: int(part["count"].sum()) for name, part in parts.items()}
    return fit_groups(names, sizes, fit_pair, label=f"{cls.__name__} + GammaGamma", n_all=int(stats["count"].sum()),
                      min_customers=min_customers, progress=progress, cls=ChannelModels)


def value_chunk(pdf: pd.DataFrame, pairs: dict[Any, tuple[Any, Any]], settings: dict[str, Any],
                keep: Sequence[str] = ()) -> pd.DataFrame:
    """:func:`clv.customer_value` of one chunk; with a ``_group`` column, each customer by the pair of its group.

    Every output is a function of the customer's own row (and of the seeded
    parameter draws), so valuing a base chunk by chunk gives the numbers of
    valuing it whole.

    Parameters
    ----------
    pdf : pandas.DataFrame
        ``customer_id, frequency, recency, T, monetary_value`` [``, _group``] and ``keep``.
    pairs : dict
        ``{group: (transaction model, spend model)}`` with the pooled pair
        under ``"*"`` (used for unknown groups).
    settings : dict
        Keyword arguments of :func:`clv.customer_value`.
    keep : sequence of str
        Columns of ``pdf`` copied to the output.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` then the columns of :func:`clv.customer_value`, then ``keep``.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> from clv.engine_fit import value_chunk
    >>> bg = clv.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> gg = clv.GammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.44})
    >>> pdf = pd.DataFrame({"customer_id": [1], "frequency": [2.0], "recency": [30.0], "T": [38.0], "monetary_value": [40.0]})
    >>> value_chunk(pdf, {"*": (bg, gg)}, {"horizon": 52, "discount_rate": 0.1})["p_alive"].round(3).tolist()
    [0.73]
    """
    from clv.valuation import customer_value

    rfm = pdf.set_index("customer_id")
    if "_group" not in rfm.columns:
        out = customer_value(*pairs["*"], rfm, **settings)
    else:
        parts = [customer_value(*pairs.get(name, pairs["*"]), members, **settings)
                 for name, members in rfm.groupby("_group", sort=False)]
        out = pd.concat(parts).reindex(rfm.index)
    for col in keep:
        out[col] = rfm[col]
    return out.reset_index()


def channel_means(aggregates: pd.DataFrame) -> pd.DataFrame:
    """Per-channel figures from per-channel-and-cohort sums: customers, shares and means per customer.

    Parameters
    ----------
    aggregates : pandas.DataFrame
        Output of :func:`clv.spark.channel_aggregates` or
        :func:`clv.duckdb.channel_aggregates` (one row per channel and
        cohort); its ``attrs`` are carried over.

    Returns
    -------
    pandas.DataFrame
        Index ``channel``: ``customers, acquired_without_transactions,
        ltv_realized, ltv_expected, p_alive`` (means over the channel's
        acquired customers, as in ``ChannelReport.table``),
        ``share_of_customers, share_of_value``, and ``clv_lower_mean,
        clv_upper_mean`` when present.

    Examples
    --------
    Pure pandas; here a hand-made table of sums:

    >>> import pandas as pd
    >>> from clv.engine_fit import channel_means
    >>> sums = pd.DataFrame({
    ...     "channel": ["email", "email", "search"], "cohort": ["2024-01", "2024-02", "2024-01"],
    ...     "customers": [100, 50, 50], "acquired_without_transactions": [0, 0, 5],
    ...     "revenue_to_date": [1000.0, 500.0, 200.0], "ltv_realized": [300.0, 150.0, 60.0],
    ...     "clv": [200.0, 100.0, 40.0], "ltv_expected": [500.0, 250.0, 100.0], "p_alive": [60.0, 40.0, 20.0]})
    >>> channel_means(sums).round(3)
             customers  acquired_without_transactions  ltv_realized  ltv_expected  p_alive  share_of_customers  share_of_value
    channel
    email          150                              0           3.0           5.0    0.667                0.75           0.882
    search          50                              5           1.2           2.0    0.400                0.25           0.118
    """
    sums = aggregates.drop(columns="cohort").groupby("channel", sort=True).sum()
    out = pd.DataFrame(index=sums.index)
    out["customers"] = sums["customers"].astype(np.int64)
    out["acquired_without_transactions"] = sums["acquired_without_transactions"].astype(np.int64)
    n = sums["customers"].to_numpy(dtype=float)
    for col in ("ltv_realized", "ltv_expected", "p_alive"):
        out[col] = sums[col].to_numpy() / n
    out["share_of_customers"] = n / max(n.sum(), 1.0)
    total = sums["ltv_expected"].sum()
    out["share_of_value"] = sums["ltv_expected"] / total if total > 0 else np.nan
    for col in _OPTIONAL:
        if col in sums.columns:
            out[f"{col}_mean"] = sums[col].to_numpy() / n
    out.attrs = dict(aggregates.attrs)
    return out
