"""Diagnostic plots (matplotlib, imported inside each function).

Every function draws a result computed elsewhere (:mod:`clv.holdout`,
:mod:`clv.diagnostics`) on the axes ``ax`` (a new figure when ``None``) and
returns the axes. Nothing here fits a model or evaluates one.

Examples
--------
>>> import clv
>>> tx = clv.datasets.load_cdnow()
>>> ch = clv.calibration_holdout(tx, calibration_end="1997-09-30", observation_end="1998-06-30")
>>> result = clv.validate(clv.BetaGeo().fit(ch), ch, transactions=tx)
>>> ax = clv.plotting.plot_cumulative_tracking(result.tracking)
>>> ax.get_ylabel()
'Cumulative repeat transactions'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "plot_alive_history",
    "plot_calibration_holdout",
    "plot_cumulative_tracking",
    "plot_frequency_recency_matrix",
    "plot_incremental_tracking",
    "plot_period_transactions",
    "plot_probability_alive_matrix",
]

_UNIT_NAMES = {"W": "weeks", "D": "days", "M": "months"}
_PERIOD_NAMES = {"W": ("week", "weekly"), "D": ("day", "daily"), "M": ("month", "monthly")}
_ACTUAL = {"color": "#222222"}
_MODEL = {"color": "#d1495b"}


def _finish(ax: Any, xlabel: str, ylabel: str, title: str, **legend: Any) -> Any:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(frameon=False, **legend)
    return ax


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4.5))
    return ax


def plot_period_transactions(table: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
    """Bar chart of customers by calibration repeat transactions, actual against model.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`clv.diagnostics.period_transactions`.
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, or the axes of a new figure.

    Examples
    --------
    >>> import clv
    >>> from matplotlib.figure import Figure
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> table = clv.period_transactions(clv.BetaGeo().fit(rfm), rfm)
    >>> ax = clv.plotting.plot_period_transactions(table, ax=Figure().subplots())
    >>> len(ax.patches), ax.get_title()
    (16, 'Frequency of repeat transactions')
    """
    ax = _axes(ax)
    pos = np.arange(len(table))
    width = 0.4
    ax.bar(pos - width / 2, table["actual"], width, label="Actual", **_ACTUAL)
    ax.bar(pos + width / 2, table["expected"], width, label="Model", **_MODEL)
    ax.set_xticks(pos, [str(i) for i in table.index])
    return _finish(ax, "Repeat transactions in calibration", "Customers", title or "Frequency of repeat transactions")


def plot_calibration_holdout(by_frequency: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Mean holdout purchases by calibration frequency, actual against model.

    Parameters
    ----------
    by_frequency : ValidationResult or pandas.DataFrame
        A :class:`clv.ValidationResult` or its ``by_frequency`` table.
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, or the axes of a new figure.

    Examples
    --------
    >>> import clv
    >>> from matplotlib.figure import Figure
    >>> tx = clv.datasets.load_cdnow()
    >>> ch = clv.calibration_holdout(tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> result = clv.validate(clv.BetaGeo().fit(ch), ch, transactions=tx)
    >>> ax = clv.plotting.plot_calibration_holdout(result, ax=Figure().subplots())
    >>> [line.get_label() for line in ax.get_lines()], ax.get_ylabel()
    (['Actual', 'Model'], 'Mean transactions in holdout')
    """
    table = getattr(by_frequency, "by_frequency", by_frequency)
    ax = _axes(ax)
    pos = np.arange(len(table))
    ax.plot(pos, table["actual"], marker="o", label="Actual", **_ACTUAL)
    ax.plot(pos, table["predicted"], marker="s", linestyle="--", label="Model", **_MODEL)
    ax.set_xticks(pos, [str(i) for i in table.index])
    title = title or "Conditional expectations: calibration vs holdout"
    return _finish(ax, "Repeat transactions in calibration", "Mean transactions in holdout", title)


def _plot_tracking(tracking: Any, column: str, ylabel: str, title: str, ax: Any) -> Any:
    ax = _axes(ax)
    table = tracking.table
    periods = table.index.to_numpy()
    ax.plot(periods, table[f"actual{column}"], label="Actual", **_ACTUAL)
    ax.plot(periods, table[f"expected{column}"], linestyle="--", label="Model", **_MODEL)
    ax.axvline(tracking.calibration_periods, color="grey", linestyle=":", linewidth=1, label="End of calibration")
    unit = _UNIT_NAMES.get(tracking.time_unit, tracking.time_unit)
    ax.set_xlim(periods[0] - 0.5, periods[-1] + 0.5)
    ax.set_ylim(bottom=0)
    return _finish(ax, f"Time since start of cohort ({unit})", ylabel, title)


def plot_cumulative_tracking(tracking: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Cumulative repeat transactions of the cohort, actual against model, across calibration and holdout.

    Parameters
    ----------
    tracking : clv.Tracking
        Output of :func:`clv.tracking` (or ``clv.validate(...).tracking``).
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, or the axes of a new figure.

    Examples
    --------
    >>> import clv
    >>> from matplotlib.figure import Figure
    >>> tx = clv.datasets.load_cdnow()
    >>> ch = clv.calibration_holdout(tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> result = clv.validate(clv.BetaGeo().fit(ch), ch, transactions=tx)
    >>> ax = clv.plotting.plot_cumulative_tracking(result.tracking, ax=Figure().subplots())
    >>> [line.get_label() for line in ax.get_lines()]
    ['Actual', 'Model', 'End of calibration']
    >>> round(float(ax.get_lines()[1].get_ydata()[-1]), 1)
    4160.6
    """
    title = title or "Tracking cumulative repeat transactions"
    return _plot_tracking(tracking, "_cumulative", "Cumulative repeat transactions", title, ax)


def plot_incremental_tracking(tracking: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Repeat transactions of the cohort per period, actual against model.

    Parameters
    ----------
    tracking : clv.Tracking
        Output of :func:`clv.tracking` (or ``clv.validate(...).tracking``).
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, or the axes of a new figure.

    Examples
    --------
    >>> import clv
    >>> from matplotlib.figure import Figure
    >>> tx = clv.datasets.load_cdnow()
    >>> ch = clv.calibration_holdout(tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> result = clv.validate(clv.BetaGeo().fit(ch), ch, transactions=tx)
    >>> ax = clv.plotting.plot_incremental_tracking(result.tracking, ax=Figure().subplots())
    >>> ax.get_ylabel(), ax.get_title()
    ('Repeat transactions per week', 'Tracking weekly repeat transactions')
    """
    unit, adverb = _PERIOD_NAMES.get(tracking.time_unit, ("period", "per-period"))
    return _plot_tracking(tracking, "", f"Repeat transactions per {unit}", title or f"Tracking {adverb} repeat transactions", ax)


def _plot_grid(grid: Any, label: str, title: str, ax: Any, **kwargs: Any) -> Any:
    ax = _axes(ax)
    f = grid.frequency
    r = grid.recency
    # cell edges half a step either side of each grid value
    f_edges = np.r_[f[0] - 0.5, (f[:-1] + f[1:]) / 2, f[-1] + 0.5]
    r_edges = np.r_[r[0], (r[:-1] + r[1:]) / 2, r[-1]]
    mesh = ax.pcolormesh(r_edges, f_edges, grid.values, shading="flat", **kwargs)
    ax.figure.colorbar(mesh, ax=ax, label=label)
    unit = _UNIT_NAMES.get(grid.time_unit, "time units")
    ax.set_xlabel(f"Recency: {unit} from first to last purchase (age T = {grid.T:.4g})")
    ax.set_ylabel("Frequency: repeat transactions")
    ax.set_title(title)
    return ax


def plot_frequency_recency_matrix(grid: Any, *, ax: Any = None, title: str | None = None, cmap: str = "viridis") -> Any:
    """Heat map of expected purchases by frequency and recency.

    Parameters
    ----------
    grid : clv.RFGrid
        Output of :func:`clv.frequency_recency_matrix`.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    cmap : str
        Matplotlib colour map.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, or the axes of a new figure.

    Examples
    --------
    >>> import clv
    >>> from matplotlib.figure import Figure
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> grid = clv.frequency_recency_matrix(clv.BetaGeo().fit(rfm), rfm, t=52, n_recency=20)
    >>> ax = clv.plotting.plot_frequency_recency_matrix(grid, ax=Figure().subplots())
    >>> ax.get_xlabel()
    'Recency: weeks from first to last purchase (age T = 38.86)'
    """
    t = "" if grid.t is None else f" in the next {grid.t:.4g} {_UNIT_NAMES.get(grid.time_unit, 'time units')}"
    return _plot_grid(grid, f"Expected purchases{t}", title or "Expected purchases by frequency and recency", ax, cmap=cmap)


def plot_probability_alive_matrix(grid: Any, *, ax: Any = None, title: str | None = None, cmap: str = "viridis") -> Any:
    """Heat map of P(alive) by frequency and recency (colour scale fixed to 0..1).

    Parameters
    ----------
    grid : clv.RFGrid
        Output of :func:`clv.probability_alive_matrix`.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    cmap : str
        Matplotlib colour map.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, or the axes of a new figure.

    Examples
    --------
    >>> import clv
    >>> from matplotlib.figure import Figure
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> grid = clv.probability_alive_matrix(clv.BetaGeo().fit(rfm), rfm, n_recency=20)
    >>> ax = clv.plotting.plot_probability_alive_matrix(grid, ax=Figure().subplots())
    >>> ax.collections[0].get_clim(), ax.get_title()
    ((0.0, 1.0), 'Probability alive by frequency and recency')
    """
    return _plot_grid(grid, "P(alive)", title or "Probability alive by frequency and recency", ax, cmap=cmap, vmin=0.0, vmax=1.0)


def plot_alive_history(history: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """One customer's P(alive) through time, with the purchase days marked.

    Parameters
    ----------
    history : clv.AliveHistory
        Output of :func:`clv.alive_history`.
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, or the axes of a new figure.

    Examples
    --------
    >>> import clv
    >>> from matplotlib.figure import Figure
    >>> tx = clv.datasets.load_cdnow()
    >>> bg = clv.BetaGeo().fit(clv.rfm_summary(tx, observation_end="1997-09-30"))
    >>> history = clv.alive_history(bg, tx, 1, observation_end="1997-09-30")
    >>> ax = clv.plotting.plot_alive_history(history, ax=Figure().subplots())
    >>> ax.get_title(), len(ax.get_lines())
    ('P(alive) history of customer 1', 4)
    """
    ax = _axes(ax)
    curve = history.curve
    ax.plot(curve["date"], curve["p_alive"], label="P(alive)", **_MODEL)
    for i, day in enumerate(history.purchases):
        ax.axvline(day, color="grey", linestyle=":", linewidth=1, label="Purchase" if i == 0 else None)
    ax.set_ylim(0, 1.05)
    ax.figure.autofmt_xdate()
    return _finish(ax, "Date", "P(alive)", title or f"P(alive) history of customer {history.customer_id}", loc="lower left")
