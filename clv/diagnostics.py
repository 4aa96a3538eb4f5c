"""Diagnostic computations behind the plots of :mod:`clv.plotting`.

Each function returns plain tables or small dataclasses of arrays; the
plotting functions only draw them. Every matrix is evaluated in one
vectorized kernel call over all its cells (lifetimes loops over cells; the
P(alive) matrix of PyMC-Marketing issue 2321 needed over 30 GB), so memory is
proportional to the number of cells and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clv.data.rfm_checks import check_rfm
from clv.data.summary import EPOCH, daily_purchases, day_number, time_unit_days
from clv.errors import DataError
from clv.holdout import bucket_index

__all__ = [
    "AliveHistory",
    "RFGrid",
    "alive_history",
    "frequency_recency_matrix",
    "period_transactions",
    "probability_alive_matrix",
]

_RFM = ("frequency", "recency", "T")


def period_transactions(model: Any, rfm: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Customers by number of repeat transactions in calibration, actual and expected.

    The expected count of customers with ``n`` repeat transactions is
    ``sum_i P(X(T_i) = n)`` over customers (Fader, Hardie & Lee 2005, fig. 1,
    using eq. 8 for BG/NBD); the last bucket ``"7+"`` holds
    ``1 - sum_{n<7} P(X(T_i) = n)``. The probabilities are evaluated once per
    distinct customer age ``T``.

    Parameters
    ----------
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD
    rfm : pandas.DataFrame
        The calibration RFM frame the model was fitted on.
    max_frequency : int
        Last bucket (``"7+"``).

    Returns
    -------
    pandas.DataFrame
        Index ``frequency`` (``"0", ..., "7+"``); columns ``actual`` and
        ``expected`` (numbers of customers).

    Examples
    --------
    CDNOW as in Fader, Hardie & Lee (2005), figure 1:

    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> clv.period_transactions(clv.BetaGeo().fit(rfm), rfm).round(1)
               actual  expected
    frequency
    0            1411    1407.7
    1             439     460.3
    2             214     192.5
    3             100     101.2
    4              62      59.8
    5              38      38.1
    6              29      25.5
    7+             64      71.9
    """
    check_rfm(rfm, _RFM)
    x = rfm["frequency"].to_numpy(dtype=float)
    T = rfm["T"].to_numpy(dtype=float)
    uT, counts = np.unique(T, return_counts=True)
    n = np.arange(max_frequency)
    prob = np.asarray(model.probability_of_purchases(n[:, None], uT[None, :]), dtype=float).reshape(len(n), len(uT))
    expected = prob @ counts
    expected = np.r_[expected, len(T) - expected.sum()]
    actual = np.bincount(np.minimum(x, max_frequency).astype(int), minlength=max_frequency + 1)
    return pd.DataFrame({"actual": actual, "expected": expected}, index=bucket_index(max_frequency))


@dataclass(frozen=True)
class RFGrid:
    """A model quantity over a grid of frequency and recency at one customer age ``T``.

    Attributes
    ----------
    frequency : numpy.ndarray
        Row values (repeat transactions), shape ``(n_f,)``.
    recency : numpy.ndarray
        Column values (time of the last purchase), shape ``(n_r,)``.
    values : numpy.ndarray
        Shape ``(n_f, n_r)``. Recency means nothing without repeat purchases,
        so the ``frequency == 0`` row repeats the value at recency 0.
    T : float
        Customer age at which the grid is evaluated.
    quantity : str
        ``"expected_purchases"`` or ``"p_alive"``.
    t : float or None
        Forecast horizon of ``"expected_purchases"``.
    time_unit : str or None
        Time unit of recency, ``T`` and ``t`` (from ``rfm.attrs`` when known).

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> grid = clv.frequency_recency_matrix(clv.BetaGeo().fit(rfm), rfm, t=52, max_frequency=2, n_recency=3)
    >>> grid.quantity, grid.t, grid.time_unit, grid.values.shape
    ('expected_purchases', 52.0, 'W', (3, 3))
    >>> grid.to_frame().round(3)
    recency    0.000000   19.428571  38.857143
    frequency
    0.0            0.252      0.252      0.252
    1.0            0.186      0.727      0.923
    2.0            0.054      1.140      1.742
    """

    frequency: np.ndarray
    recency: np.ndarray
    values: np.ndarray
    T: float
    quantity: str
    t: float | None = None
    time_unit: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """The grid as a DataFrame (index frequency, columns recency)."""
        return pd.DataFrame(
            self.values,
            index=pd.Index(self.frequency, name="frequency"),
            columns=pd.Index(self.recency, name="recency"),
        )


def _grid_frame(
    rfm: pd.DataFrame | None, max_frequency: int | None, T: float | None, n_recency: int
) -> tuple[np.ndarray, np.ndarray, float, pd.DataFrame]:
    """Frequency and recency axes plus a flat RFM frame of every cell (recency forced to 0 on the x = 0 row)."""
    if rfm is not None:
        check_rfm(rfm, _RFM)
    if max_frequency is None or T is None:
        if rfm is None:
            raise DataError("pass rfm, or both max_frequency and T, to size the grid")
        max_frequency = int(rfm["frequency"].max()) if max_frequency is None else max_frequency
        T = float(rfm["T"].max()) if T is None else T
    if max_frequency < 0 or not np.isfinite(T) or T <= 0 or n_recency < 2:
        raise DataError(f"grid needs max_frequency >= 0, T > 0 and n_recency >= 2; got {max_frequency}, {T}, {n_recency}")
    frequency = np.arange(max_frequency + 1, dtype=float)
    recency = np.linspace(0.0, T, n_recency)
    f, r = np.meshgrid(frequency, recency, indexing="ij")
    r = np.where(f == 0, 0.0, r)
    cells = pd.DataFrame({"frequency": f.ravel(), "recency": r.ravel(), "T": np.full(f.size, T)})
    return frequency, recency, float(T), cells


def frequency_recency_matrix(
    model: Any, rfm: pd.DataFrame | None = None, *, t: float = 1.0, max_frequency: int | None = None,
    T: float | None = None, n_recency: int = 50,
) -> RFGrid:
    """Expected purchases in the next ``t`` time units over a frequency x recency grid.

    Parameters
    ----------
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD
    rfm : pandas.DataFrame, optional
        Sets the default extent: frequencies ``0..max(frequency)`` and age
        ``T = max(T)`` (the oldest customer), as in lifetimes.
    t : float
        Forecast horizon in time units.
    max_frequency : int, optional
        Largest frequency on the grid.
    T : float, optional
        Customer age at which every cell is evaluated; recency runs from 0
        to ``T``.
    n_recency : int
        Number of recency columns.

    Returns
    -------
    RFGrid
        ``quantity == "expected_purchases"``.

    Examples
    --------
    Expected purchases in the next year at the age of CDNOW's oldest
    customers (38.9 weeks), 30 frequencies by 50 recencies:

    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> grid = clv.frequency_recency_matrix(clv.BetaGeo().fit(rfm), rfm, t=52)
    >>> grid.values.shape, round(grid.T, 2)
    ((30, 50), 38.86)
    >>> round(float(grid.values[2, -1]), 3)
    1.742
    """
    frequency, recency, T, cells = _grid_frame(rfm, max_frequency, T, n_recency)
    values = model.expected_purchases(cells, t).to_numpy().reshape(len(frequency), len(recency))
    unit = None if rfm is None else rfm.attrs.get("time_unit")
    return RFGrid(frequency, recency, values, T, "expected_purchases", float(t), unit)


def probability_alive_matrix(
    model: Any, rfm: pd.DataFrame | None = None, *, max_frequency: int | None = None, T: float | None = None, n_recency: int = 50,
) -> RFGrid:
    """P(alive) over a frequency x recency grid at customer age ``T``.

    Parameters
    ----------
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD
    rfm : pandas.DataFrame, optional
        Sets the default extent, as for :func:`frequency_recency_matrix`.
    max_frequency : int, optional
        Largest frequency on the grid.
    T : float, optional
        Customer age at which every cell is evaluated.
    n_recency : int
        Number of recency columns.

    Returns
    -------
    RFGrid
        ``quantity == "p_alive"``, values between 0 and 1.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> grid = clv.probability_alive_matrix(clv.BetaGeo().fit(rfm), rfm, n_recency=5)
    >>> grid.values.shape, round(float(grid.values[5, -1]), 3)
    ((30, 5), 0.89)
    """
    frequency, recency, T, cells = _grid_frame(rfm, max_frequency, T, n_recency)
    values = model.probability_alive(cells).to_numpy().reshape(len(frequency), len(recency))
    return RFGrid(frequency, recency, values, T, "p_alive", None, None if rfm is None else rfm.attrs.get("time_unit"))


@dataclass(frozen=True)
class AliveHistory:
    """One customer's P(alive) through time, from the first purchase to the end of observation.

    Attributes
    ----------
    customer_id : object
    curve : pandas.DataFrame
        One row per day: ``date``, ``age`` (time units since the first
        purchase), ``frequency`` and ``recency`` so far, ``p_alive``.
    purchases : pandas.DatetimeIndex
        Purchase days (same-day purchases merged), the first one included.
    time_unit : str

    Examples
    --------
    >>> import clv
    >>> tx = clv.datasets.load_cdnow()
    >>> bg = clv.BetaGeo().fit(clv.rfm_summary(tx, observation_end="1997-09-30"))
    >>> history = clv.alive_history(bg, tx, 1, observation_end="1997-09-30")
    >>> [str(day.date()) for day in history.purchases]
    ['1997-01-01', '1997-01-18', '1997-08-02']
    >>> history.curve.columns.tolist()
    ['date', 'age', 'frequency', 'recency', 'p_alive']
    """

    customer_id: Any
    curve: pd.DataFrame
    purchases: pd.DatetimeIndex
    time_unit: str


def alive_history(
    model: Any, transactions: pd.DataFrame, customer_id: Any, *, observation_end: Any = None, time_unit: str = "W"
) -> AliveHistory:
    """P(alive) of one customer on every day from their first purchase to ``observation_end``.

    On each day ``d`` the customer's history so far is summarised as in
    :func:`clv.rfm_summary` with ``observation_end = d`` (repeat purchases up
    to ``d``, recency of the last, age ``T``), and P(alive) is evaluated for
    all days in one vectorized call.

    Parameters
    ----------
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD
        Fitted in ``time_unit``.
    transactions : pandas.DataFrame
        Output of :func:`clv.read_transactions`.
    customer_id : object
        The customer to trace.
    observation_end : date-like, optional
        Last day of the curve; default the last day in ``transactions``.
    time_unit : {"W", "D", "M"}

    Returns
    -------
    AliveHistory

    Examples
    --------
    CDNOW customer 1 bought on 1 January, 18 January and 2 August 1997; at
    the calibration end their P(alive) equals that of
    ``bg.probability_alive(rfm)``:

    >>> import clv
    >>> tx = clv.datasets.load_cdnow()
    >>> bg = clv.BetaGeo().fit(clv.rfm_summary(tx, observation_end="1997-09-30"))
    >>> history = clv.alive_history(bg, tx, 1, observation_end="1997-09-30")
    >>> last = history.curve.iloc[-1]
    >>> str(last["date"].date()), last[["frequency", "recency", "p_alive"]].astype(float).round(3).tolist()
    ('1997-09-30', [2.0, 30.429, 0.727])
    """
    unit = time_unit_days(time_unit)
    end_day = None if observation_end is None else day_number(observation_end, "observation_end")
    if "customer_id" not in transactions.columns:
        raise DataError("column 'customer_id': missing; pass the output of clv.read_transactions")
    mine = transactions.loc[transactions["customer_id"] == customer_id]
    if mine.empty:
        raise DataError(f"column 'customer_id': customer {customer_id!r} has no transactions")
    if end_day is None:
        end_day = day_number(transactions["date"].max(), "date")
    daily = daily_purchases(mine, end_day)
    if daily.day.size == 0:
        raise DataError(f"customer {customer_id!r} has no transactions on or before observation_end {observation_end}")
    purchase_days = daily.day
    first = int(purchase_days[0])
    days = np.arange(first, end_day + 1)
    n_before = np.searchsorted(purchase_days, days, side="right")  # purchase days <= d
    last = purchase_days[n_before - 1]
    cells = pd.DataFrame(
        {"frequency": (n_before - 1).astype(float), "recency": (last - first) / unit, "T": (days - first) / unit}
    )
    p_alive = model.probability_alive(cells).to_numpy()
    curve = pd.DataFrame(
        {
            "date": pd.to_datetime(EPOCH + days.astype("timedelta64[D]")),
            "age": cells["T"].to_numpy(),
            "frequency": cells["frequency"].to_numpy(),
            "recency": cells["recency"].to_numpy(),
            "p_alive": p_alive,
        }
    )
    purchases = pd.DatetimeIndex(pd.to_datetime(EPOCH + purchase_days.astype("timedelta64[D]")), name="date")
    return AliveHistory(customer_id, curve, purchases, time_unit)
