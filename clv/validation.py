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
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.data.summary import EPOCH, daily_purchases, day_number, time_unit_days
from clv.errors import DataError

__all__ = ["Tracking", "ValidationResult", "bucket_index", "compare_models", "frequency_buckets", "group_totals", "tracking", "validate"]


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
    by_group : pandas.DataFrame or None
        With ``groups``: per group (index ``group``) ``n_customers``,
        ``actual_purchases``, ``predicted_purchases``, ``purchases_relative_bias``
        and, with a spend model, ``actual_revenue``, ``predicted_revenue``,
        ``revenue_relative_bias``; a last row ``"total"``.

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
    by_group: pd.DataFrame | None = None


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
    model: Any, cal_holdout: pd.DataFrame, *, transactions: pd.DataFrame | None = None, max_frequency: int = 7,
    spend_model: Any = None, groups: pd.Series | None = None,
) -> ValidationResult:
    """Compare a fitted model's holdout predictions with what customers actually did.

    Parameters
    ----------
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD, or a mapping
        Fitted on the calibration columns of ``cal_holdout``; or
        ``{group: model}`` with ``groups=`` (one model per channel, the one
        under ``"*"`` for customers of other groups).
    cal_holdout : pandas.DataFrame
        Output of :func:`clv.calibration_holdout`.
    transactions : pandas.DataFrame, optional
        The transaction log ``cal_holdout`` was built from. When given, the
        result carries the tracking series (:func:`tracking`, with the
        calibration end, observation end and time unit recorded in
        ``cal_holdout.attrs``).
    max_frequency : int
        Last calibration-frequency bucket (``"7+"``).
    spend_model : fitted GammaGamma or mapping, optional
        Adds revenue: per customer ``actual_revenue`` (the holdout purchase
        days' totals, ``holdout_frequency * holdout_monetary_value``) and
        ``predicted_revenue`` (predicted purchases times the spend model's
        conditional expected spend at calibration), and the metrics
        ``actual_revenue_total, predicted_revenue_total, revenue_relative_bias``.
    groups : pandas.Series, optional
        Group (channel) of each customer, indexed by customer id; customers
        missing from it form the group ``"(no group)"``. Fills
        :attr:`ValidationResult.by_group`.

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

    In money, with the Gamma-Gamma spend model:

    >>> res = clv.validate(clv.BetaGeo().fit(ch), ch, spend_model=clv.GammaGamma().fit(ch))
    >>> res.metrics[["actual_revenue_total", "predicted_revenue_total"]].round(0).to_dict()
    {'actual_revenue_total': 70976.0, 'predicted_revenue_total': 59932.0}
    """
    _check_holdout_frame(cal_holdout)
    parts = _model_parts(model, groups, cal_holdout.index)
    predicted = np.empty(len(cal_holdout))
    spend = np.empty(len(cal_holdout))
    for rows, tm in parts:
        predicted[rows] = _holdout_predictions(tm, cal_holdout.iloc[rows]).to_numpy()
    actual = cal_holdout["holdout_frequency"].to_numpy(dtype=float)
    frequency = cal_holdout["frequency"].to_numpy(dtype=float)
    customers = pd.DataFrame(
        {"frequency": frequency, "actual": actual, "predicted": predicted, "error": predicted - actual},
        index=cal_holdout.index,
    )
    metrics = _error_metrics(actual, predicted)
    if spend_model is not None:
        for rows, sm in _model_parts(spend_model, groups, cal_holdout.index, check=False):
            if not hasattr(sm, "expected_spend"):
                raise TypeError(f"spend_model must be a fitted GammaGamma (or a mapping of them), got {type(sm).__name__}")
            spend[rows] = sm.expected_spend(cal_holdout.iloc[rows]).to_numpy(dtype=float)
        customers["actual_revenue"] = actual * cal_holdout["holdout_monetary_value"].to_numpy(dtype=float)
        customers["predicted_revenue"] = predicted * spend
        a_rev, p_rev = customers["actual_revenue"].sum(), customers["predicted_revenue"].sum()
        metrics.update(actual_revenue_total=float(a_rev), predicted_revenue_total=float(p_rev),
                       revenue_relative_bias=float(p_rev / a_rev - 1.0) if a_rev > 0 else np.nan)
    by_group = None if groups is None else group_totals(customers, groups)
    track = None if transactions is None else _grouped_tracking(parts, cal_holdout, transactions)
    name = type(parts[0][1]).__name__
    return ValidationResult(
        customers=customers,
        metrics=pd.Series(metrics, name=name),
        by_frequency=frequency_buckets(frequency, actual, predicted, max_frequency=max_frequency),
        tracking=track,
        model=name,
        by_group=by_group,
    )


NO_GROUP = "(no group)"


def _model_parts(model: Any, groups: pd.Series | None, index: pd.Index, *, check: bool = True) -> list[tuple[np.ndarray, Any]]:
    """``(row positions, model)`` per group: one model for all, or ``{group: model}`` with ``"*"`` as fallback.

    ``check`` verifies transaction models (spend models are checked by the caller).
    """
    if not isinstance(model, Mapping):
        if check:
            _check_transaction_model(model)
        return [(np.arange(len(index)), model)]
    if groups is None:
        raise DataError("a mapping of models needs groups= (the group of each customer)")
    label = groups.reindex(index).astype(object).where(lambda g: g.notna(), NO_GROUP).to_numpy()
    out = []
    for name in pd.unique(label):
        fitted = model.get(name, model.get("*"))
        if fitted is None:
            raise DataError(f"no model for group {name!r} and no pooled model under '*'")
        if check:
            _check_transaction_model(fitted)
        out.append((np.flatnonzero(label == name), fitted))
    return out


def _grouped_tracking(parts: list[tuple[np.ndarray, Any]], cal_holdout: pd.DataFrame, transactions: pd.DataFrame) -> Tracking:
    """:func:`tracking` of each group with its own model, on one calendar grid, summed."""
    attrs = cal_holdout.attrs
    missing = [k for k in ("calibration_end", "observation_end") if k not in attrs]
    if missing:
        raise DataError(f"cal_holdout.attrs lacks {missing}: build it with clv.calibration_holdout to get tracking")
    settings = {"calibration_end": attrs["calibration_end"], "observation_end": attrs["observation_end"],
                "time_unit": attrs.get("time_unit", "W")}
    if len(parts) == 1:
        tracks = [tracking(parts[0][1], transactions, **settings)]
    else:
        start = transactions["date"].min()
        customer = transactions["customer_id"].to_numpy()
        tracks = [tracking(tm, transactions[np.isin(customer, cal_holdout.index[rows])], start=start, **settings)
                  for rows, tm in parts]
    n = sum(t.n_customers for t in tracks)
    if n != len(cal_holdout):
        raise DataError(f"transactions hold {n} cohort customers but cal_holdout has {len(cal_holdout)} rows: "
                        "pass the log cal_holdout was built from")
    if len(tracks) == 1:
        return tracks[0]
    table = tracks[0].table.copy()
    for col in ("actual", "expected"):
        table[col] = sum(t.table[col] for t in tracks)
        table[f"{col}_cumulative"] = table[col].cumsum()
    return Tracking(table=table, calibration_periods=tracks[0].calibration_periods, time_unit=tracks[0].time_unit, n_customers=n)


def group_totals(customers: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Holdout purchases (and revenue) per group, actual against predicted, with a ``"total"`` row.

    Parameters
    ----------
    customers : pandas.DataFrame
        :attr:`ValidationResult.customers` (``actual``, ``predicted`` and
        optionally ``actual_revenue``, ``predicted_revenue``).
    groups : pandas.Series
        Group of each customer, indexed by customer id; missing customers
        form the group ``"(no group)"``.

    Returns
    -------
    pandas.DataFrame
        See :attr:`ValidationResult.by_group`.

    Examples
    --------
    >>> import pandas as pd
    >>> cust = pd.DataFrame({"actual": [1.0, 0.0, 2.0], "predicted": [0.5, 0.5, 1.0]}, index=[1, 2, 3])
    >>> group_totals(cust, pd.Series({1: "a", 2: "a"}))[["n_customers", "actual_purchases", "predicted_purchases"]]
                n_customers  actual_purchases  predicted_purchases
    group
    a                     2               1.0                  1.0
    (no group)            1               2.0                  1.0
    total                 3               3.0                  2.0
    """
    group = groups.reindex(customers.index).astype(object).where(lambda g: g.notna(), "(no group)").rename("group")
    cols = {"actual": "actual_purchases", "predicted": "predicted_purchases"}
    if "actual_revenue" in customers.columns:
        cols.update(actual_revenue="actual_revenue", predicted_revenue="predicted_revenue")
    sums = customers[list(cols)].rename(columns=cols).groupby(group, sort=False).sum()
    sums.insert(0, "n_customers", group.groupby(group, sort=False).size())
    sums.loc["total"] = sums.sum()
    sums["n_customers"] = sums["n_customers"].astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        sums["purchases_relative_bias"] = sums["predicted_purchases"] / sums["actual_purchases"] - 1.0
        if "actual_revenue" in sums.columns:
            sums["revenue_relative_bias"] = sums["predicted_revenue"] / sums["actual_revenue"] - 1.0
    return sums.replace([np.inf, -np.inf], np.nan)


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
