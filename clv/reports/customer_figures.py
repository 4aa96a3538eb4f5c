"""The figures of the report's Customers section, computed before anything is drawn.

:func:`value_histogram` (the value histogram: the 0.99-quantile cut, 50 bins
as matplotlib's ``hist`` draws them on the clipped values, the counts) and
:func:`p_alive_shares` (each channel's share of customers per P(alive) band)
take either the per-customer pandas frame of :attr:`clv.channels.ChannelReport.customers`
or a table that computes them itself (:class:`clv.duckdb.DuckRows`, in SQL, with
the same numbers). The charts in :mod:`clv.reports.charts` only draw them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["P_ALIVE_BANDS", "ValueHistogram", "band_labels", "linear_quantile", "p_alive_shares", "value_histogram"]

P_ALIVE_BANDS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class ValueHistogram:
    """A histogram of per-customer value: ``counts[i]`` values in ``[edges[i], edges[i + 1])`` (the last bin closed).

    Attributes
    ----------
    cut : float
        The ``clip`` quantile; larger values are counted in the last bin.
    edges : numpy.ndarray
        ``bins + 1`` bin edges, as :func:`numpy.histogram` makes them.
    counts : numpy.ndarray
        Customers per bin (int64).
    """

    cut: float
    edges: np.ndarray
    counts: np.ndarray


def band_labels() -> list[str]:
    """Labels of the P(alive) bands, ``"0.00-0.25"`` ... ``"0.75-1.00"``."""
    return [f"{lo:.2f}-{hi:.2f}" for lo, hi in pairwise(P_ALIVE_BANDS)]


def linear_quantile(below: float, above: float, n: int, q: float) -> float:
    """``numpy.quantile(values, q)`` (method ``linear``) from the two order statistics it interpolates.

    ``below`` and ``above`` are the sorted values at positions
    ``floor((n - 1) q)`` and the next one (the same when that is the last);
    the arithmetic is numpy's, so the result is the same to the last bit.

    Parameters
    ----------
    below, above : float
    n : int
        Number of values.
    q : float
        The quantile, in [0, 1].

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> values = np.sort(np.random.default_rng(0).lognormal(size=1001))
    >>> k = int(np.floor(1000 * 0.99))
    >>> bool(linear_quantile(values[k], values[k + 1], 1001, 0.99) == np.quantile(values, 0.99))
    True
    """
    virtual = (n - 1) * q
    if virtual >= n - 1:
        return float(above)
    gamma = virtual - math.floor(virtual)
    diff = above - below
    return float(above - diff * (1 - gamma)) if gamma >= 0.5 else float(below + diff * gamma)


def value_histogram(customers: Any, column: str = "ltv_expected", *, clip: float = 0.99, bins: int = 50) -> ValueHistogram:
    """Histogram of ``column`` over the customers with a finite value, cut at the ``clip`` quantile.

    Parameters
    ----------
    customers : pandas.DataFrame or clv.duckdb.DuckRows
        The per-customer table; a table with its own ``value_histogram``
        method computes it itself.
    column : str
    clip : float
        Values above this quantile are counted at it (in the last bin).
    bins : int

    Returns
    -------
    ValueHistogram
        The figures ``matplotlib``'s ``hist(np.minimum(values, cut), bins)`` draws.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> hist = value_histogram(pd.DataFrame({"ltv_expected": [1.0, 2.0, 2.5, np.nan, 100.0]}), bins=4)
    >>> round(hist.cut, 2), hist.counts.tolist()
    (97.07, [3, 0, 0, 1])
    """
    if not isinstance(customers, pd.DataFrame):
        return customers.value_histogram(column, clip=clip, bins=bins)
    values = customers[column].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    cut = float(np.quantile(values, clip)) if values.size else 1.0
    counts, edges = np.histogram(np.minimum(values, cut), bins=bins)
    return ValueHistogram(cut, edges, counts.astype(np.int64))


def p_alive_shares(customers: Any, order: list[Any]) -> pd.DataFrame:
    """Share of each channel's scored customers per P(alive) band (rows channels in ``order``, columns bands).

    A band ``"a-b"`` holds P(alive) in ``(a, b]`` (the first also holds 0);
    customers without a channel or a P(alive) are left out.

    Parameters
    ----------
    customers : pandas.DataFrame or clv.duckdb.DuckRows
        With columns ``channel`` and ``p_alive``; a table with its own
        ``p_alive_shares`` method computes it itself.
    order : list
        Channels in display order; channels without scored customers are left out.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"channel": ["a", "a", "b", None], "p_alive": [0.0, 0.9, 0.3, 0.5]})
    >>> p_alive_shares(frame, ["b", "a"]).to_dict("index")["a"]
    {'0.00-0.25': 0.5, '0.25-0.50': 0.0, '0.50-0.75': 0.0, '0.75-1.00': 0.5}
    """
    if not isinstance(customers, pd.DataFrame):
        return customers.p_alive_shares(order)
    scored = customers[customers["channel"].notna() & customers["p_alive"].notna()]
    labels = band_labels()
    band = pd.cut(scored["p_alive"], P_ALIVE_BANDS, labels=labels, include_lowest=True)
    shares = pd.crosstab(scored["channel"], band, normalize="index")
    return shares.reindex(index=[c for c in order if c in shares.index], columns=labels, fill_value=0.0)
