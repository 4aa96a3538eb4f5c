"""Reading and validating acquisition tables and channel spend.

Two inputs describe how customers were bought:

* the acquisition table, one row per customer: ``customer_id, channel,
  acquired_at`` and optionally ``cost`` (what that customer cost, when the
  business knows it per customer);
* the channel spend table, one row per channel and period: ``channel,
  period, spend``. A period is a calendar month (``2024-03``, or the first
  day of a month such as ``2024-03-01``) or an inclusive date range
  (``2024-03-04/2024-03-17``).

Both go through the helpers of :mod:`clv.data.validation`, so a bad file
gives the same kind of one-line :class:`clv.DataError` as a bad transaction
log: the column, the problem and the first offending row.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from clv.data.dates import parse_date_values, parse_dates
from clv.data.transactions import customer_ids
from clv.data.validation import describe_row, load_table, parse_numbers, require_columns, require_present
from clv.errors import DataError

__all__ = ["ACQUISITION_COLUMNS", "SPEND_COLUMNS", "read_acquisitions", "read_channel_spend"]

ACQUISITION_COLUMNS = ("customer_id", "channel", "acquired_at", "cost")
SPEND_COLUMNS = ("channel", "period", "start", "end", "spend")

_MONTH = re.compile(r"^\d{4}-\d{1,2}$")


def _channel_names(frame: pd.DataFrame, column: str) -> pd.Series:
    require_present(frame, column)
    names = frame[column].astype(str).str.strip()
    blank = (names == "").to_numpy()
    if blank.any():
        raise DataError(f"column '{column}': blank channel name in {describe_row(frame, int(np.argmax(blank)))}")
    return names


def read_acquisitions(
    source: Any,
    *,
    customer: str = "customer_id",
    channel: str = "channel",
    acquired_at: str = "acquired_at",
    cost: str | None = None,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Read and validate the acquisition table (one row per customer).

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A CSV file, a Parquet file (``.parquet``/``.pq``) or a DataFrame.
    customer, channel, acquired_at : str
        Names of the customer identifier, acquisition channel and
        acquisition date columns in ``source``.
    cost : str, optional
        Name of a per-customer acquisition cost column. By default a column
        called ``cost`` is used when present. Empty cells mean "cost not known
        for this customer" (the channel spend, if given, is then allocated to
        them); text, infinite or negative costs are errors.
    date_format : str, optional
        A strftime pattern for ``acquired_at``; without it the column is
        read one way or refused, as in :func:`clv.read_transactions`.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id, channel, acquired_at, cost`` in input order;
        ``cost`` is NaN where unknown (all NaN without a cost column).
        Channel names keep their text exactly (after trimming spaces).

    Raises
    ------
    clv.DataError
        On a missing or empty file, duplicate header, missing column, empty
        customer id or channel, a customer listed twice, an unparseable or
        mixed-zone date, or a bad cost.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> raw = pd.DataFrame({"customer_id": ["1", "2"], "channel": ["email", " referral "],
    ...                     "acquired_at": ["2024-01-03", "2024-02-10"], "cost": ["4.5", ""]})
    >>> clv.read_acquisitions(raw)
       customer_id   channel acquired_at  cost
    0            1     email  2024-01-03   4.5
    1            2  referral  2024-02-10   NaN
    """
    frame = load_table(source, "acquisitions")
    if cost is None and "cost" in frame.columns:
        cost = "cost"
    columns = {"customer": customer, "channel": channel, "acquired_at": acquired_at}
    if cost is not None:
        columns["cost"] = cost
    require_columns(frame, columns, "acquisitions")
    require_present(frame, customer)
    ids = customer_ids(frame[customer])
    if _has_duplicates(ids):
        dup = ids.duplicated(keep=False).to_numpy()
        rows = np.flatnonzero(dup)
        first = int(rows[0])
        again = int(rows[(ids.iloc[rows] == ids.iloc[first]).to_numpy()][1])
        who = ids.iloc[first]
        who = who.item() if isinstance(who, np.generic) else who
        raise DataError(
            f"column '{customer}': customer {who!r} is listed twice (rows {first + 1} and {again + 1}); "
            f"each customer has one acquisition; {describe_row(frame, again)}"
        )
    out = pd.DataFrame(
        {
            "customer_id": ids,
            "channel": _channel_names(frame, channel),
            "acquired_at": parse_dates(frame, acquired_at, date_format=date_format),
        }
    )
    if cost is None:
        out["cost"] = np.nan
    else:
        known = (frame[cost].notna() & (frame[cost].astype(str).str.strip() != "")).to_numpy()
        values = np.full(len(frame), np.nan)
        if known.any():
            part = frame.loc[known].reset_index(drop=True)
            try:
                values[known] = parse_numbers(part, cost, allow_negative=False).to_numpy()
            except DataError as exc:  # report the row number of the full table, not of the subset
                raise DataError(_renumber(str(exc), np.flatnonzero(known), frame)) from None
        out["cost"] = values
    return out.reset_index(drop=True)


def _has_duplicates(ids: pd.Series) -> bool:
    """Whether an id appears twice; integer ids by one sort (a third of the memory of pandas' hash table at 33M ids)."""
    values = ids.to_numpy()
    if values.dtype.kind in "iu":
        values = np.sort(values)
        return bool((values[1:] == values[:-1]).any())
    return not ids.is_unique


def _renumber(message: str, positions: np.ndarray, frame: pd.DataFrame) -> str:
    """Rewrite ``... in row N: {...}`` of a subset message to the row of the full table."""
    match = re.search(r" in row (\d+): ", message)
    if not match:
        return message
    full = int(positions[int(match.group(1)) - 1])
    return message[: match.start()] + f" in {describe_row(frame, full)}"


def _split_period(text: str) -> tuple[str, str, str] | None:
    """``(kind, first, last)`` of a period label: ``("month", "2024-03", "")``, ``("day", d, "")`` or ``("range", a, b)``.

    A range is two dates joined by ``/`` (or `` to ``); with slash dates
    (``01/03/2024/31/03/2024``) the middle slash joins them.
    """
    text = text.strip()
    if _MONTH.match(text):
        return "month", text, ""
    if " to " in text:
        a, b = text.split(" to ", 1)
        return "range", a.strip(), b.strip()
    slashes = [i for i, ch in enumerate(text) if ch == "/"]
    if len(slashes) % 2 == 1:
        k = slashes[len(slashes) // 2]
        return "range", text[:k].strip(), text[k + 1 :].strip()
    return ("day", text, "") if text else None


def _period_bounds(frame: pd.DataFrame, period: str, labels: pd.Series, date_format: str | None) -> tuple[list, list]:
    """First and last day of every period; all the dates in the column are read with one convention."""
    parts = []
    for i, text in enumerate(labels):
        split = _split_period(text)
        if split is None:
            raise DataError(
                f"column '{period}': cannot read {text!r} as a period (use a month like 2024-03 or an inclusive "
                f"date range like 2024-03-04/2024-03-17) in {describe_row(frame, i)}"
            )
        parts.append(split)
    rows = [i for i, p in enumerate(parts) if p[0] != "month" for _ in ((p[1],) if p[0] == "day" else (p[1], p[2]))]
    values = [v for p in parts if p[0] != "month" for v in ((p[1],) if p[0] == "day" else (p[1], p[2]))]
    days = iter(())
    if values:
        parsed = parse_date_values(pd.Series(values, dtype=object), period, date_format=date_format,
                                   describe=lambda j: describe_row(frame, rows[j]), what="a period (use a month like 2024-03 "
                                   "or an inclusive date range like 2024-03-04/2024-03-17)")
        days = iter(parsed.dt.normalize())
    starts, ends = [], []
    for i, (kind, first, _) in enumerate(parts):
        if kind == "month":
            start = pd.Timestamp(first + "-01")
            bounds = (start, start + pd.offsets.MonthEnd(0))
        elif kind == "range":
            bounds = (next(days), next(days))
        else:
            day = next(days)
            if day.day != 1:
                raise DataError(
                    f"column '{period}': cannot read {labels.iloc[i]!r} as a period: a single day other than the first of a "
                    f"month does not say which days the spend covers (use a month like 2024-03 or a range like 2024-03-04/2024-03-17) "
                    f"in {describe_row(frame, i)}"
                )
            bounds = (day, day + pd.offsets.MonthEnd(0))
        if bounds[1] < bounds[0]:
            raise DataError(f"column '{period}': range {labels.iloc[i]!r} ends before it starts in {describe_row(frame, i)}")
        starts.append(bounds[0])
        ends.append(bounds[1])
    return starts, ends


def read_channel_spend(
    source: Any, *, channel: str = "channel", period: str = "period", spend: str = "spend", date_format: str | None = None
) -> pd.DataFrame:
    """Read and validate acquisition spend per channel and period.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A CSV file, a Parquet file or a DataFrame.
    channel, period, spend : str
        Column names in ``source``. A period is a month (``2024-03`` or
        ``2024-03-01``, the first day of the month) or an inclusive date range
        ``start/end`` (``2024-03-04/2024-03-17``). Any other single date is an
        error, because it does not say which days the spend covers.
    date_format : str, optional
        A strftime pattern for the dates inside the periods (months written
        ``2024-03`` need none). Without it, all the dates of the column are
        read with one convention, as in :func:`clv.read_transactions`.

    Returns
    -------
    pandas.DataFrame
        Columns ``channel, period, start, end, spend``: ``period`` is the
        text as given (trimmed), ``start`` and ``end`` the first and last day
        covered (inclusive), ``spend`` a non-negative float. Zero spend is
        valid (an organic channel).

    Raises
    ------
    clv.DataError
        On a missing or empty file, missing column, blank channel, an
        unparseable period, a range that ends before it starts, overlapping
        periods of one channel, or a non-numeric, infinite or negative spend.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> raw = pd.DataFrame({"channel": ["email", "email"], "period": ["2024-01", "2024-02-01/2024-02-14"],
    ...                     "spend": ["100", "40.5"]})
    >>> clv.read_channel_spend(raw)
      channel                 period      start        end  spend
    0   email                2024-01 2024-01-01 2024-01-31  100.0
    1   email  2024-02-01/2024-02-14 2024-02-01 2024-02-14   40.5
    """
    frame = load_table(source, "channel spend")
    require_columns(frame, {"channel": channel, "period": period, "spend": spend}, "channel spend")
    names = _channel_names(frame, channel)
    require_present(frame, period)
    labels = frame[period].astype(str).str.strip()
    starts, ends = _period_bounds(frame, period, labels, date_format)
    out = pd.DataFrame(
        {
            "channel": names,
            "period": labels,
            "start": pd.DatetimeIndex(starts).astype("datetime64[ns]"),
            "end": pd.DatetimeIndex(ends).astype("datetime64[ns]"),
            "spend": parse_numbers(frame, spend, allow_negative=False),
        }
    )
    _check_overlaps(out, frame, period)
    return out.reset_index(drop=True)


def _check_overlaps(out: pd.DataFrame, frame: pd.DataFrame, period: str) -> None:
    """Raise when two periods of the same channel share a day (the spend would count twice)."""
    order = out.sort_values(["channel", "start", "end"], kind="stable")
    same = order["channel"].to_numpy()[1:] == order["channel"].to_numpy()[:-1]
    clash = same & (order["start"].to_numpy()[1:] <= order["end"].to_numpy()[:-1])
    if clash.any():
        k = int(np.argmax(clash))
        first, second = int(order.index[k]), int(order.index[k + 1])
        first, second = min(first, second), max(first, second)
        raise DataError(
            f"column '{period}': periods {out['period'].iloc[first]!r} (row {first + 1}) and "
            f"{out['period'].iloc[second]!r} of channel {out['channel'].iloc[first]!r} overlap; "
            f"{describe_row(frame, second)}"
        )
