"""Transaction log to per-customer RFM summaries.

Conventions (Fader, Hardie & Lee 2005):

* purchases by the same customer on the same calendar day are one transaction;
* ``frequency`` is the number of repeat transactions (distinct days - 1);
* ``recency`` is the time from the first to the last transaction, ``T`` the
  time from the first transaction to the end of observation, both continuous:
  whole days divided by the length of the time unit;
* ``monetary_value`` is the mean value of the repeat transactions only (the
  first is excluded), 0 for customers without repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clv.errors import DataError

__all__ = ["TIME_UNITS", "calibration_holdout", "exclusion_counts", "purchase_history", "rfm_in_time_unit", "rfm_summary",
           "summary_attrs", "time_unit_days"]

TIME_UNITS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 30.4375}
EPOCH = np.datetime64("1970-01-01", "D")  # day numbers count days since this date


def time_unit_days(time_unit: str) -> float:
    """Length of ``time_unit`` in days (``"D"`` 1, ``"W"`` 7, ``"M"`` 30.4375)."""
    try:
        return TIME_UNITS[time_unit]
    except KeyError:
        raise DataError(f"time_unit must be one of {sorted(TIME_UNITS)}, got {time_unit!r}") from None


_DURATIONS = ("recency", "T", "duration_holdout")  # RFM columns measured in time units


def rfm_in_time_unit(rfm: pd.DataFrame, time_unit: str) -> pd.DataFrame:
    """The RFM frame with its durations (``recency, T, duration_holdout``) in ``time_unit``.

    The conversion is exact: the summaries count whole days and divide by
    the unit's length. A frame that does not record its unit
    (``attrs["time_unit"]``) is taken to be in ``time_unit`` already and
    returned as it is.
    """
    time_unit_days(time_unit)
    current = rfm.attrs.get("time_unit")
    if current is None or current == time_unit:
        return rfm
    factor = time_unit_days(str(current)) / time_unit_days(time_unit)
    out = rfm.copy()
    for column in _DURATIONS:
        if column in out.columns:
            out[column] = out[column].to_numpy(dtype=float) * factor
    out.attrs = {**rfm.attrs, "time_unit": time_unit}
    return out


def day_number(value: Any, name: str) -> int:
    """Calendar day of ``value`` as days since :data:`EPOCH` (time of day and zone dropped).

    ``name`` is used in the error message when ``value`` is not a date.
    """
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise DataError(f"{name}: cannot parse {value!r} as a date") from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int((np.datetime64(stamp.date(), "D") - EPOCH).astype(np.int64))


def exclusion_counts(*, rows: int, rows_after: int, daily_rows: int, non_positive: int, customers_after: int,
                     late: int | None = None) -> dict[str, int]:
    """The ``attrs["exclusions"]`` dict of a summary, from the counts an engine gathered (``late`` for a holdout split).

    Examples
    --------
    >>> exclusion_counts(rows=10, rows_after=2, daily_rows=7, non_positive=0, customers_after=1)
    {'rows_after_observation_end': 2, 'customers_after_observation_end': 1, 'rows_merged_same_day': 1, 'non_positive_rows': 0}
    """
    out = {"rows_after_observation_end": int(rows_after), "customers_after_observation_end": int(customers_after)}
    if late is not None:
        out["customers_first_purchase_in_holdout"] = int(late)
    out["rows_merged_same_day"] = int(rows - rows_after - daily_rows)
    out["non_positive_rows"] = int(non_positive)
    return out


def summary_attrs(exclusions: dict[str, int], time_unit: str, observation_end: str, calibration_end: str | None = None) -> dict[str, Any]:
    """The ``attrs`` of a summary frame, in the order :func:`rfm_summary` / :func:`calibration_holdout` set them.

    Examples
    --------
    >>> summary_attrs({}, "W", "2024-12-31")
    {'exclusions': {}, 'time_unit': 'W', 'observation_end': '2024-12-31'}
    """
    out: dict[str, Any] = {"exclusions": dict(exclusions), "time_unit": time_unit}
    if calibration_end is not None:
        out["calibration_end"] = calibration_end
    out["observation_end"] = observation_end
    return out


@dataclass(frozen=True)
class DailyPurchases:
    """Transactions merged to one row per (customer, day), sorted by customer then day.

    The one implementation of the same-day merge; summaries, validation and
    diagnostics all build on it.
    """

    ids: pd.Index  # customer identifiers, position = customer code
    code: np.ndarray  # customer code per daily row
    day: np.ndarray  # days since epoch per daily row
    amount: np.ndarray  # summed amount per daily row
    rows: int  # transaction rows read
    rows_after_end: int  # rows dropped because they fall after the end
    non_positive_rows: int


def daily_purchases(tx: pd.DataFrame, end_day: int | None = None) -> DailyPurchases:
    """Merge a validated transaction log to purchase days, dropping (and counting) rows after ``end_day``."""
    _check_canonical(tx)
    days = _day_numbers(tx["date"].to_numpy())
    amount = tx["amount"].to_numpy(dtype=float) if "amount" in tx.columns else np.zeros(len(days))
    rows = len(days)
    after = 0
    if end_day is not None:
        keep = days <= end_day
        after = int(rows - keep.sum())
        if after:
            days, amount = days[keep], amount[keep]
            customers = tx["customer_id"].to_numpy()[keep]
        else:
            customers = tx["customer_id"].to_numpy()
    else:
        customers = tx["customer_id"].to_numpy()
    if len(days) == 0:
        return DailyPurchases(pd.Index(customers[:0]), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), rows, after, 0)
    lo = int(days.min())
    span = int(days.max()) - lo + 1
    key, n_codes, ids = _customer_codes(customers)
    key *= span  # one int64 per row: customer code first, then day (built in place: logs are large)
    key += days
    key -= lo
    ordered = amount
    if not _non_decreasing(key):  # logs exported by customer and date skip the sort
        key, ordered = _sort_rows(key, amount, n_codes, span)
    new = np.empty(len(key), bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    ukey = key[new]
    # Day totals add the rows in input order (the sort keeps it within a day), as np.bincount over the original rows does.
    summed = np.bincount(np.cumsum(new) - 1, weights=ordered, minlength=len(ukey))
    cust = ukey // span
    first = np.empty(len(cust), bool)
    first[0] = True
    np.not_equal(cust[1:], cust[:-1], out=first[1:])
    return DailyPurchases(
        ids=pd.Index(ids(cust[first]), name="customer_id"),
        code=np.cumsum(first) - 1,
        day=ukey - cust * span + lo,
        amount=summed,
        rows=rows,
        rows_after_end=after,
        non_positive_rows=int((amount <= 0).sum()),
    )


def _day_numbers(stamps: np.ndarray) -> np.ndarray:
    """Days since :data:`EPOCH` of naive datetime64 values, as ``astype("datetime64[D]")`` (floor) but without its slow cast."""
    unit, count = np.datetime_data(stamps.dtype)
    per_day = {"ns": 86_400_000_000_000, "us": 86_400_000_000, "ms": 86_400_000, "s": 86_400}.get(unit)
    if per_day is None or count != 1:
        return stamps.astype("datetime64[D]").astype(np.int64)
    return stamps.view(np.int64) // per_day


def _non_decreasing(values: np.ndarray) -> bool:
    return bool(len(values) < 2 or (values[1:] >= values[:-1]).all())


def _customer_codes(customers: np.ndarray) -> tuple[np.ndarray, int, Any]:
    """Non-negative int64 codes (a new array) that sort as the ids do, their bound, and the function from codes back to ids.

    Integer ids within a moderate range are their own codes (offset by the smallest), which skips
    hashing; other ids go through ``pd.factorize(sort=True)``.
    """
    if customers.dtype.kind == "i" or (customers.dtype.kind == "u" and customers.dtype.itemsize < 8):
        low, high = int(customers.min()), int(customers.max())
        if high - low < 4 * len(customers) + 1_000_000:
            dtype = customers.dtype
            codes = customers.astype(np.int64)
            codes -= low
            return codes, high - low + 1, lambda c: (c + low).astype(dtype)
    codes, uniques = pd.factorize(customers, sort=True)
    return codes.astype(np.int64), len(uniques), lambda c: uniques[c]


def _sort_rows(key: np.ndarray, amount: np.ndarray, n_codes: int, span: int) -> tuple[np.ndarray, np.ndarray]:
    """``key`` sorted, and ``amount`` in that order with ties kept in input order (a stable sort).

    When key and row number fit together in one int64, one value sort of ``key * rows + row``
    replaces the (several times slower) stable argsort.
    """
    rows = len(key)
    if n_codes * span * rows < 2**63:
        combined = key  # ``key`` is this function's to overwrite
        combined *= rows
        combined += np.arange(rows, dtype=np.int64)
        combined.sort()
        return combined // rows, amount[combined % rows]
    order = np.argsort(key, kind="stable")
    return key[order], amount[order]


def _check_canonical(tx: pd.DataFrame) -> None:
    missing = [c for c in ("customer_id", "date") if c not in tx.columns]
    if missing:
        raise DataError(
            f"column '{missing[0]}': missing; pass the output of clv.read_transactions (columns customer_id, date[, amount])"
        )
    if not pd.api.types.is_datetime64_any_dtype(tx["date"].dtype):
        raise DataError("column 'date': not parsed as dates; pass the output of clv.read_transactions")


def _per_customer(daily: DailyPurchases, end_day: int, unit: float) -> pd.DataFrame:
    n = len(daily.ids)
    starts = np.flatnonzero(np.r_[True, daily.code[1:] != daily.code[:-1]]) if n else np.empty(0, np.int64)
    ends = np.r_[starts[1:], len(daily.code)] - 1 if n else starts
    first = daily.day[starts]
    last = daily.day[ends]
    x = (ends - starts).astype(float)
    total = np.add.reduceat(daily.amount, starts) if n else np.empty(0)
    repeat_total = total - daily.amount[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(x > 0, repeat_total / np.maximum(x, 1.0), 0.0)
    return pd.DataFrame(
        {
            "frequency": x,
            "recency": (last - first) / unit,
            "T": (end_day - first) / unit,
            "monetary_value": monetary,
        },
        index=daily.ids,
    )


def summarise_days(daily: DailyPurchases, cal_day: int, end_day: int, unit: float, *, holdout: bool) -> pd.DataFrame:
    """Per-customer summary of merged purchase days: the one place the RFM (and holdout) arithmetic happens.

    The pandas summaries call it on the whole log; the DuckDB engine calls it on
    slices of whole customers streamed in (customer, day) order, which gives the
    same digits because every column is computed customer by customer.

    Parameters
    ----------
    daily : DailyPurchases
        Days on or before ``end_day``, sorted by customer then day.
    cal_day, end_day : int
        Last day of calibration and of observation (days since :data:`EPOCH`);
        equal without a holdout split.
    unit : float
        Days per time unit.
    holdout : bool
        Keep only customers whose first purchase is on or before ``cal_day``
        and add ``holdout_frequency``, ``holdout_monetary_value`` and
        ``duration_holdout``.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``: ``frequency, recency, T, monetary_value`` (the
        mean of the repeat days' totals, added by ``np.add.reduceat``) and,
        with ``holdout``, the three holdout columns (days after ``cal_day``,
        their totals added in day order).
    """
    if not holdout:
        return _per_customer(daily, end_day, unit)
    in_cal = daily.day <= cal_day
    cohort = np.unique(daily.code[in_cal])
    cal = DailyPurchases(daily.ids[cohort], np.searchsorted(cohort, daily.code[in_cal]), daily.day[in_cal],
                 daily.amount[in_cal], daily.rows, daily.rows_after_end, daily.non_positive_rows)
    out = _per_customer(cal, cal_day, unit)
    hold = ~in_cal & np.isin(daily.code, cohort)
    pos = np.searchsorted(cohort, daily.code[hold])
    h_freq = np.bincount(pos, minlength=len(cohort)).astype(float)
    h_total = np.bincount(pos, weights=daily.amount[hold], minlength=len(cohort))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["holdout_frequency"] = h_freq
        out["holdout_monetary_value"] = np.where(h_freq > 0, h_total / np.maximum(h_freq, 1.0), 0.0)
    out["duration_holdout"] = (end_day - cal_day) / unit
    return out


def rfm_summary(tx: pd.DataFrame, *, observation_end: Any = None, time_unit: str = "W") -> pd.DataFrame:
    """Summarise a validated transaction log to one row per customer.

    Parameters
    ----------
    tx : pandas.DataFrame
        Output of :func:`clv.read_transactions` (``customer_id, date, amount``,
        or ``customer_id, date`` for a purchase-only log).
    observation_end : date-like, optional
        Last day of observation (inclusive). Defaults to the last purchase
        day. Transactions after it are excluded and counted.
    time_unit : {"W", "D", "M"}
        ``"W"`` = days / 7, ``"D"`` = days, ``"M"`` = days / 30.4375.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``; columns ``frequency, recency, T,
        monetary_value`` (no ``monetary_value`` without an ``amount`` column).
        ``attrs["exclusions"]`` counts what was left out or
        merged: ``rows_after_observation_end``, ``customers_after_observation_end``
        (all their purchases fell after the end), ``rows_merged_same_day`` and
        ``non_positive_rows`` (kept as transactions; only with amounts).
        ``attrs["time_unit"]`` and ``attrs["observation_end"]`` record the
        settings; models fitted on the frame remember the time unit.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> tx = clv.read_transactions(pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2], "amount": [10.0, 5.0, 20.0, 8.0],
    ...     "date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"]}))
    >>> clv.rfm_summary(tx, observation_end="2024-01-29")
                 frequency  recency    T  monetary_value
    customer_id
    1                  1.0      2.0  4.0            20.0
    2                  0.0      0.0  3.0             0.0
    """
    unit = time_unit_days(time_unit)
    end_day = None if observation_end is None else day_number(observation_end, "observation_end")
    daily = daily_purchases(tx, end_day)
    if daily.code.size == 0:
        raise DataError(f"no transactions on or before observation_end {observation_end}")
    if end_day is None:
        end_day = int(daily.day.max())
    out = _per_customer(daily, end_day, unit)
    # With no row after the end every customer is in the summary; otherwise count the ids of the whole log.
    all_customers = len(out) if daily.rows_after_end == 0 else tx["customer_id"].nunique()
    out.attrs["exclusions"] = {
        "rows_after_observation_end": daily.rows_after_end,
        "customers_after_observation_end": int(all_customers - len(out)),
        "rows_merged_same_day": int(daily.rows - daily.rows_after_end - len(daily.code)),
        "non_positive_rows": daily.non_positive_rows,
    }
    if "amount" not in tx.columns:  # a purchase-only log: no money to summarise
        out = out.drop(columns="monetary_value")
        del out.attrs["exclusions"]["non_positive_rows"]
    out.attrs["time_unit"] = time_unit
    out.attrs["observation_end"] = str(EPOCH + np.timedelta64(end_day, "D"))
    return out


def calibration_holdout(
    tx: pd.DataFrame, *, calibration_end: Any, observation_end: Any, time_unit: str = "W"
) -> pd.DataFrame:
    """Split a transaction log into a calibration summary and holdout outcomes.

    The calibration part is :func:`rfm_summary` up to ``calibration_end``
    (customers who first buy later are not in the cohort and are counted in
    ``attrs["exclusions"]["customers_first_purchase_in_holdout"]``). Holdout
    columns use the same per-day basis: ``holdout_frequency`` counts distinct
    purchase days in ``(calibration_end, observation_end]`` and
    ``holdout_monetary_value`` is the mean of those days' totals (so it is
    comparable with ``monetary_value``; lifetimes issue 431 averages raw rows
    instead). ``duration_holdout`` is the holdout length in time units.

    Parameters
    ----------
    tx : pandas.DataFrame
        Output of :func:`clv.read_transactions`.
    calibration_end : date-like
        Last day of the calibration period (inclusive).
    observation_end : date-like
        Last day of the holdout period (inclusive); after ``calibration_end``.
    time_unit : {"W", "D", "M"}
        Unit of ``recency``, ``T`` and ``duration_holdout``.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``; the :func:`rfm_summary` columns at
        ``calibration_end`` plus ``holdout_frequency``,
        ``holdout_monetary_value`` and ``duration_holdout``. ``attrs`` holds
        ``exclusions``, ``time_unit``, ``calibration_end`` and
        ``observation_end``.

    Raises
    ------
    clv.DataError
        ``observation_end`` not after ``calibration_end``, or no transaction
        on or before ``calibration_end``.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> tx = clv.read_transactions(pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1], "amount": [10.0, 20.0, 3.0, 4.0],
    ...     "date": ["2024-01-01", "2024-01-08", "2024-01-20", "2024-01-20"]}))
    >>> ch = clv.calibration_holdout(tx, calibration_end="2024-01-15", observation_end="2024-01-29")
    >>> ch[["frequency", "holdout_frequency", "holdout_monetary_value", "duration_holdout"]]
                 frequency  holdout_frequency  holdout_monetary_value  duration_holdout
    customer_id
    1                  1.0                1.0                     7.0               2.0
    """
    unit = time_unit_days(time_unit)
    cal_day = day_number(calibration_end, "calibration_end")
    end_day = day_number(observation_end, "observation_end")
    if end_day <= cal_day:
        raise DataError(f"observation_end ({observation_end}) must be after calibration_end ({calibration_end})")
    daily = daily_purchases(tx, end_day)
    if not (daily.day <= cal_day).any():
        raise DataError(f"no transactions on or before calibration_end {calibration_end}")
    out = summarise_days(daily, cal_day, end_day, unit, holdout=True)
    all_customers = tx["customer_id"].nunique()
    late = len(daily.ids) - len(out)
    out.attrs["exclusions"] = {
        "rows_after_observation_end": daily.rows_after_end,
        "customers_after_observation_end": int(all_customers - len(daily.ids)),
        "customers_first_purchase_in_holdout": int(late),
        "rows_merged_same_day": int(daily.rows - daily.rows_after_end - len(daily.code)),
        "non_positive_rows": daily.non_positive_rows,
    }
    if "amount" not in tx.columns:  # a purchase-only log: no money to summarise
        out = out.drop(columns=["monetary_value", "holdout_monetary_value"])
        del out.attrs["exclusions"]["non_positive_rows"]
    out.attrs["time_unit"] = time_unit
    out.attrs["calibration_end"] = str(EPOCH + np.timedelta64(cal_day, "D"))
    out.attrs["observation_end"] = str(EPOCH + np.timedelta64(end_day, "D"))
    return out


def purchase_history(tx: pd.DataFrame, *, observation_end: Any = None) -> pd.DataFrame:
    """What a CRM team reads about each customer: purchase dates, purchases, revenue, average order value.

    Parameters
    ----------
    tx : pandas.DataFrame
        Output of :func:`clv.read_transactions`.
    observation_end : date-like, optional
        Transactions after this day are left out.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``; ``first_purchase`` and ``last_purchase``
        (dates), ``purchases`` (purchase days, the first one included, as in
        :func:`rfm_summary`), ``revenue`` (sum of amounts) and ``aov``
        (average order value, ``revenue / purchases``, first purchase included,
        unlike ``monetary_value``).

    Examples
    --------
    >>> import pandas as pd, clv
    >>> tx = clv.read_transactions(pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 5.0, 21.0, 8.0],
    ...     "date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"]}))
    >>> clv.data.purchase_history(tx)
                first_purchase last_purchase  purchases  revenue   aov
    customer_id
    1               2024-01-01    2024-01-15          2     36.0  18.0
    2               2024-01-08    2024-01-08          1      8.0   8.0
    """
    end_day = None if observation_end is None else day_number(observation_end, "observation_end")
    daily = daily_purchases(tx, end_day)
    starts = np.flatnonzero(np.r_[True, daily.code[1:] != daily.code[:-1]])
    ends = np.r_[starts[1:], len(daily.code)] - 1
    revenue = np.add.reduceat(daily.amount, starts) if len(starts) else np.empty(0)
    purchases = ends - starts + 1
    return pd.DataFrame(
        {
            "first_purchase": pd.to_datetime(EPOCH + daily.day[starts].astype("timedelta64[D]")),
            "last_purchase": pd.to_datetime(EPOCH + daily.day[ends].astype("timedelta64[D]")),
            "purchases": purchases,
            "revenue": revenue,
            "aov": revenue / np.maximum(purchases, 1),
        },
        index=daily.ids,
    )
