"""Holdout validation of fitted transaction models.

A model fitted on the calibration part of :func:`clv.calibration_holdout` is
judged on the holdout it has not seen, the way Fader, Hardie & Lee (2005,
"Counting your customers the easy way", section 4) judge BG/NBD on CDNOW:

* per customer, the conditional expectation ``E[Y(T, T+t*) | x, t_x, T]``
  (eq. 10 of the paper for BG/NBD; the model's own kernel otherwise) against
  the purchases actually made in the holdout, with aggregate bias, MAE, RMSE
  and correlation;
* the mean of both by calibration frequency ``0, 1, ..., 7+`` (their fig. 4);
* the tracking plot (their figs. 2 and 3): repeat transactions of the whole
  cohort per period of calendar time, actual against expected, weekly and
  cumulative, across calibration and holdout.

Tracking convention
-------------------
Period ``k`` (1-based) covers the days ``start + (k-1) u`` to
``start + k u - 1`` where ``u`` is the time unit in days and ``start`` the
cohort's first purchase day. A customer whose first purchase was on day
``f`` is credited with the unconditional expectation ``E[X(a)]`` of a new
customer (eq. 7 for BG/NBD) at age ``a = (e_k - f) / u``, ``e_k`` being the
last day of period ``k``; this is the same day-difference convention that
gives ``T`` in :func:`clv.rfm_summary`. Summed over the 2,357 CDNOW customers
at the end of week 78 (1998-06-30, 545 days after 1997-01-01) it gives the
published 4,160.6 (against 4,339 actual); crediting whole weeks of age
instead gives 4,146.0 or 4,181.4, and an age measured to the end of the last
day gives 4,165.7, none of which match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from clv.data.summary import EPOCH, daily_purchases, day_number, time_unit_days
from clv.errors import DataError

__all__ = ["Tracking", "ValidationResult", "bucket_index", "compare_models", "frequency_buckets", "tracking", "validate"]


@dataclass(frozen=True)
class Tracking:
    """Repeat transactions of a cohort per period of calendar time, actual and expected.

    Attributes
    ----------
    table : pandas.DataFrame
        Index ``period`` (1, 2, ...); columns ``period_end`` (last day of the
        period), ``actual`` and ``expected`` (repeat transactions in the
        period) and ``actual_cumulative``, ``expected_cumulative``.
    calibration_periods : float
        Number of periods up to the calibration end (where the holdout
        starts on a tracking plot).
    time_unit : str
        Length of a period (``"W"``, ``"D"`` or ``"M"``).
    n_customers : int
        Size of the cohort (customers whose first purchase is on or before the
        calibration end).

    Examples
    --------
    >>> import clv
    >>> tx = clv.datasets.load_cdnow()
    >>> bg = clv.BetaGeo().fit(clv.rfm_summary(tx, observation_end="1997-09-30"))
    >>> tr = clv.tracking(bg, tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> tr.calibration_periods, tr.time_unit, tr.n_customers, len(tr.table)
    (39.0, 'W', 2357, 78)
    >>> tr.table.columns.tolist()
    ['period_end', 'actual', 'expected', 'actual_cumulative', 'expected_cumulative']
    """

    table: pd.DataFrame
    calibration_periods: float
    time_unit: str
    n_customers: int

    def at(self, period: int) -> pd.Series:
        """Row of :attr:`table` for ``period`` (1-based)."""
        return self.table.loc[period]


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of :func:`validate`.

    Attributes
    ----------
    customers : pandas.DataFrame
        Indexed like the calibration/holdout frame: ``frequency``
        (calibration), ``actual`` and ``predicted`` holdout purchases and
        ``error = predicted - actual``.
    metrics : pandas.Series
        ``n_customers, actual_total, predicted_total, relative_bias``
        (``predicted_total / actual_total - 1``), ``bias`` (mean error per
        customer), ``mae, rmse, correlation`` (Pearson, of per-customer
        actual and predicted).
    by_frequency : pandas.DataFrame
        See :func:`frequency_buckets`.
    tracking : Tracking or None
        The tracking series when :func:`validate` was given the transactions.
    model : str
        Class name of the validated model.

    Examples
    --------
    >>> import clv
    >>> tx = clv.datasets.load_cdnow()
    >>> ch = clv.calibration_holdout(tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> result = clv.validate(clv.BetaGeo().fit(ch), ch, transactions=tx)
    >>> result.model, result.customers.columns.tolist()
    ('BetaGeo', ['frequency', 'actual', 'predicted', 'error'])
    >>> result.metrics[["mae", "rmse", "correlation"]].round(3).to_dict()
    {'mae': 0.785, 'rmse': 1.608, 'correlation': 0.626}
    >>> result.by_frequency.head(3).round(2)
               n_customers  actual  predicted
    frequency
    0                 1411    0.24       0.23
    1                  439    0.70       0.52
    2                  214    1.39       1.04
    >>> round(float(result.tracking.at(78)["expected_cumulative"]), 1)
    4160.6
    """

    customers: pd.DataFrame
    metrics: pd.Series
    by_frequency: pd.DataFrame
    tracking: Tracking | None
    model: str


def _check_transaction_model(model: Any) -> None:
    if not all(hasattr(model, m) for m in ("expected_purchases", "expected_purchases_new", "loglik")):
        raise TypeError(f"expected a fitted transaction model (BetaGeo, ModifiedBetaGeo, ParetoNBD), got {type(model).__name__}")


def _check_holdout_frame(cal_holdout: Any) -> None:
    if not isinstance(cal_holdout, pd.DataFrame):
        raise DataError(f"expected the output of clv.calibration_holdout, got {type(cal_holdout).__name__}")
    for col in ("frequency", "holdout_frequency", "duration_holdout"):
        if col not in cal_holdout.columns:
            raise DataError(f"column '{col}': missing; pass the output of clv.calibration_holdout")


def _holdout_predictions(model: Any, cal_holdout: pd.DataFrame) -> pd.Series:
    """Conditional expected purchases over each customer's holdout length."""
    duration = cal_holdout["duration_holdout"].to_numpy(dtype=float)
    t = float(duration[0]) if np.all(duration == duration[0]) else duration
    return model.expected_purchases(cal_holdout, t)


def _error_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    error = predicted - actual
    varies = len(actual) > 1 and actual.std() > 0 and predicted.std() > 0
    corr = float(np.corrcoef(actual, predicted)[0, 1]) if varies else np.nan
    relative = float(predicted.sum() / actual.sum() - 1.0) if actual.sum() > 0 else np.nan
    return {
        "n_customers": float(len(actual)),
        "actual_total": float(actual.sum()),
        "predicted_total": float(predicted.sum()),
        "relative_bias": relative,
        "bias": float(error.mean()),
        "mae": float(np.abs(error).mean()),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "correlation": corr,
    }


def frequency_buckets(frequency: Any, actual: Any, predicted: Any, *, max_frequency: int = 7) -> pd.DataFrame:
    """Mean holdout purchases, actual and predicted, by calibration frequency.

    Parameters
    ----------
    frequency : array-like
        Calibration repeat transactions per customer.
    actual, predicted : array-like
        Holdout purchases per customer.
    max_frequency : int
        The last bucket holds every frequency ``>= max_frequency`` (``"7+"``).

    Returns
    -------
    pandas.DataFrame
        Index ``frequency`` with labels ``"0", "1", ..., "7+"`` (every bucket
        present, empty ones with ``n_customers`` 0 and NaN means); columns
        ``n_customers, actual, predicted``.

    Examples
    --------
    >>> frequency_buckets([0, 0, 1, 9], [0, 1, 2, 5], [0.2, 0.4, 1.5, 6.0], max_frequency=2)
               n_customers  actual  predicted
    frequency
    0                    2     0.5        0.3
    1                    1     2.0        1.5
    2+                   1     5.0        6.0
    """
    x = np.asarray(frequency, dtype=float)
    bucket = np.minimum(x, max_frequency).astype(int)
    n = np.bincount(bucket, minlength=max_frequency + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        act = np.bincount(bucket, weights=np.asarray(actual, dtype=float), minlength=max_frequency + 1) / n
        pred = np.bincount(bucket, weights=np.asarray(predicted, dtype=float), minlength=max_frequency + 1) / n
    return pd.DataFrame({"n_customers": n, "actual": act, "predicted": pred}, index=bucket_index(max_frequency))


def bucket_index(max_frequency: int) -> pd.Index:
    """Index ``frequency`` with labels ``"0", "1", ..., "{max_frequency}+"``."""
    return pd.Index([str(i) for i in range(max_frequency)] + [f"{max_frequency}+"], name="frequency")


def tracking(
    model: Any,
    transactions: pd.DataFrame,
    *,
    calibration_end: Any,
    observation_end: Any,
    time_unit: str = "W",
    start: Any = None,
) -> Tracking:
    """Actual and expected repeat transactions of the cohort per period of calendar time.

    The cohort is every customer whose first purchase falls on or before
    ``calibration_end`` (the customers of :func:`clv.calibration_holdout`
    with the same arguments). Expected transactions are summed
    unconditional expectations ``E[X(a)]`` of each customer from their own
    first purchase (see the module notes for the age convention); the
    computation groups customers by first-purchase day and evaluates the
    model once per distinct age, so it costs nothing per customer.

    Parameters
    ----------
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD
        Fitted in ``time_unit`` on the calibration period.
    transactions : pandas.DataFrame
        Output of :func:`clv.read_transactions`; same-day purchases count once.
    calibration_end, observation_end : date-like
        Inclusive last days of calibration and of the whole series.
    time_unit : {"W", "D", "M"}
        Time unit of the model and length of a period.
    start : date-like, optional
        First day of period 1; defaults to the cohort's first purchase day.

    Returns
    -------
    Tracking

    Examples
    --------
    >>> import clv
    >>> tx = clv.datasets.load_cdnow()
    >>> rfm = clv.rfm_summary(tx, observation_end="1997-09-30")
    >>> bg = clv.BetaGeo().fit(rfm)
    >>> tr = clv.tracking(bg, tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> tr.at(78)[["actual_cumulative", "expected_cumulative"]].astype(float).round(1).to_dict()
    {'actual_cumulative': 4339.0, 'expected_cumulative': 4160.6}
    """
    _check_transaction_model(model)
    unit = time_unit_days(time_unit)
    cal_day = day_number(calibration_end, "calibration_end")
    end_day = day_number(observation_end, "observation_end")
    if end_day <= cal_day:
        raise DataError(f"observation_end ({observation_end}) must be after calibration_end ({calibration_end})")
    daily = daily_purchases(transactions, end_day)
    if daily.code.size == 0:
        raise DataError(f"no transactions on or before observation_end {observation_end}")
    is_first = np.r_[True, daily.code[1:] != daily.code[:-1]]
    first_day = daily.day[is_first]  # one per customer, in code order
    in_cohort = first_day <= cal_day
    if not in_cohort.any():
        raise DataError(f"no customer makes a first purchase on or before calibration_end {calibration_end}")
    cohort_first = first_day[in_cohort]
    start_day = int(cohort_first.min()) if start is None else day_number(start, "start")
    if start_day > cohort_first.min():
        raise DataError(f"start ({start}) is after the first purchase of the cohort")

    n_periods = int(np.ceil((end_day - start_day + 1) / unit - 1e-9))
    period_end = np.minimum(start_day - 1 + unit * np.arange(1, n_periods + 1), end_day)

    # actual: repeat transactions of cohort customers, counted by period
    repeat = ~is_first & in_cohort[daily.code]
    period_of = np.floor((daily.day[repeat] - start_day) / unit).astype(np.int64)
    actual = np.bincount(period_of, minlength=n_periods)[:n_periods].astype(float)

    # expected: group customers by first-purchase day, evaluate once per distinct age
    days, counts = np.unique(cohort_first, return_counts=True)
    ages = np.maximum(period_end[None, :] - days[:, None], 0.0) / unit
    uages, inverse = np.unique(ages, return_inverse=True)
    curve = np.asarray(model.expected_purchases_new(uages), dtype=float)[inverse.reshape(ages.shape)]
    expected_cum = counts @ curve

    table = pd.DataFrame(
        {
            "period_end": EPOCH + np.floor(period_end).astype(np.int64).astype("timedelta64[D]"),
            "actual": actual,
            "expected": np.diff(expected_cum, prepend=0.0),
            "actual_cumulative": np.cumsum(actual),
            "expected_cumulative": expected_cum,
        },
        index=pd.RangeIndex(1, n_periods + 1, name="period"),
    )
    table["period_end"] = pd.to_datetime(table["period_end"])
    return Tracking(
        table=table,
        calibration_periods=float((cal_day - start_day + 1) / unit),
        time_unit=time_unit,
        n_customers=int(in_cohort.sum()),
    )


def validate(
    model: Any, cal_holdout: pd.DataFrame, *, transactions: pd.DataFrame | None = None, max_frequency: int = 7
) -> ValidationResult:
    """Compare a fitted model's holdout predictions with what customers actually did.

    Parameters
    ----------
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD
        Fitted on the calibration columns of ``cal_holdout``.
    cal_holdout : pandas.DataFrame
        Output of :func:`clv.calibration_holdout`.
    transactions : pandas.DataFrame, optional
        The transaction log ``cal_holdout`` was built from. When given, the
        result carries the tracking series (:func:`tracking`, with the
        calibration end, observation end and time unit recorded in
        ``cal_holdout.attrs``).
    max_frequency : int
        Last calibration-frequency bucket (``"7+"``).

    Returns
    -------
    ValidationResult

    Examples
    --------
    >>> import clv
    >>> tx = clv.datasets.load_cdnow()
    >>> ch = clv.calibration_holdout(tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> res = clv.validate(clv.BetaGeo().fit(ch), ch)
    >>> res.metrics[["actual_total", "predicted_total", "relative_bias"]].round(3).to_dict()
    {'actual_total': 1882.0, 'predicted_total': 1653.409, 'relative_bias': -0.121}
    """
    _check_transaction_model(model)
    _check_holdout_frame(cal_holdout)
    predicted = _holdout_predictions(model, cal_holdout).to_numpy()
    actual = cal_holdout["holdout_frequency"].to_numpy(dtype=float)
    frequency = cal_holdout["frequency"].to_numpy(dtype=float)
    customers = pd.DataFrame(
        {"frequency": frequency, "actual": actual, "predicted": predicted, "error": predicted - actual},
        index=cal_holdout.index,
    )
    track = None
    if transactions is not None:
        attrs = cal_holdout.attrs
        missing = [k for k in ("calibration_end", "observation_end") if k not in attrs]
        if missing:
            raise DataError(f"cal_holdout.attrs lacks {missing}: build it with clv.calibration_holdout to get tracking")
        track = tracking(
            model, transactions, calibration_end=attrs["calibration_end"], observation_end=attrs["observation_end"],
            time_unit=attrs.get("time_unit", "W"),
        )
        if track.n_customers != len(cal_holdout):
            raise DataError(
                f"transactions hold {track.n_customers} cohort customers but cal_holdout has {len(cal_holdout)} rows: "
                "pass the log cal_holdout was built from"
            )
    return ValidationResult(
        customers=customers,
        metrics=pd.Series(_error_metrics(actual, predicted), name=type(model).__name__),
        by_frequency=frequency_buckets(frequency, actual, predicted, max_frequency=max_frequency),
        tracking=track,
        model=type(model).__name__,
    )


def compare_models(models: Sequence[Any], cal_holdout: pd.DataFrame, *, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Fit statistics and holdout error of several fitted transaction models, side by side.

    The log-likelihood is recomputed on the calibration columns of
    ``cal_holdout`` for every model, so all rows refer to the same data
    (whatever each model was fitted on). AIC is ``2k - 2 LL`` and BIC
    ``k ln n - 2 LL`` with ``k`` parameters and ``n`` customers.

    Parameters
    ----------
    models : sequence of fitted BetaGeo, ModifiedBetaGeo or ParetoNBD
    cal_holdout : pandas.DataFrame
        Output of :func:`clv.calibration_holdout`.
    names : sequence of str, optional
        Row labels; default the class names (numbered when repeated).

    Returns
    -------
    pandas.DataFrame
        One row per model: ``n_params, log_likelihood, aic, bic`` and the
        holdout ``actual_total, predicted_total, relative_bias, mae, rmse,
        correlation`` (see :class:`ValidationResult`).

    Examples
    --------
    >>> import clv
    >>> tx = clv.datasets.load_cdnow()
    >>> ch = clv.calibration_holdout(tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> table = clv.compare_models([clv.BetaGeo().fit(ch), clv.ModifiedBetaGeo().fit(ch)], ch)
    >>> table[["log_likelihood", "predicted_total"]].round(1)
                     log_likelihood  predicted_total
    model
    BetaGeo                 -9582.4           1653.4
    ModifiedBetaGeo         -9582.1           1576.7
    """
    _check_holdout_frame(cal_holdout)
    if names is None:
        base = [type(m).__name__ for m in models]
        names = [b if base.count(b) == 1 else f"{b} #{base[:i + 1].count(b)}" for i, b in enumerate(base)]
    if len(names) != len(models):
        raise ValueError(f"got {len(names)} names for {len(models)} models")
    actual = cal_holdout["holdout_frequency"].to_numpy(dtype=float)
    n = len(cal_holdout)
    rows = []
    for model in models:
        _check_transaction_model(model)
        ll = float(model.loglik(cal_holdout).sum())
        k = len(model.params_)
        stats = _error_metrics(actual, _holdout_predictions(model, cal_holdout).to_numpy())
        rows.append(
            {"n_params": k, "log_likelihood": ll, "aic": 2 * k - 2 * ll, "bic": k * np.log(n) - 2 * ll,
             **{key: stats[key] for key in ("actual_total", "predicted_total", "relative_bias", "mae", "rmse", "correlation")}}
        )
    return pd.DataFrame(rows, index=pd.Index(list(names), name="model"))
