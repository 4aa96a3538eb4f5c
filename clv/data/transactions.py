"""Reading and validating transaction logs."""

from __future__ import annotations

from typing import Any

import pandas as pd

from clv.data.validation import load_table, parse_dates, parse_numbers, require_columns, require_present

__all__ = ["TRANSACTION_COLUMNS", "read_transactions"]

TRANSACTION_COLUMNS = ("customer_id", "date", "amount")


def read_transactions(
    source: Any, *, customer: str = "customer_id", date: str = "date", amount: str = "amount"
) -> pd.DataFrame:
    """Read and validate a transaction log.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A CSV file, a Parquet file (``.parquet``/``.pq``) or a DataFrame.
    customer, date, amount : str
        Names of the customer identifier, purchase date (or timestamp) and
        purchase amount columns in ``source``.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id, date, amount`` (dates as naive timestamps,
        amounts as floats), in the input order. Non-positive amounts (refunds,
        free orders) are kept: they are transactions.

    Raises
    ------
    clv.DataError
        On a missing or empty file, duplicate header, missing column, empty
        customer id, unparseable date, mixed time zones, or a non-numeric,
        empty or infinite amount. The message names the column and shows the
        first offending row.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> raw = pd.DataFrame({"cust": ["a", "a", "b"], "day": ["2024-01-01", "2024-02-01", "2024-01-05"],
    ...                     "value": ["10", "12.5", "7"]})
    >>> clv.read_transactions(raw, customer="cust", date="day", amount="value")
      customer_id       date  amount
    0           a 2024-01-01    10.0
    1           a 2024-02-01    12.5
    2           b 2024-01-05     7.0
    """
    frame = load_table(source, "transactions")
    require_columns(frame, {"customer_id": customer, "date": date, "amount": amount}, "transactions")
    require_present(frame, customer)
    out = pd.DataFrame(
        {
            "customer_id": customer_ids(frame[customer]),
            "date": parse_dates(frame, date),
            "amount": parse_numbers(frame, amount),
        }
    )
    return out.reset_index(drop=True)


def customer_ids(ids: pd.Series) -> pd.Series:
    """Keep identifiers as given, turning all-integer text (CSV input) into integers."""
    if ids.dtype == object or pd.api.types.is_string_dtype(ids.dtype):
        text = ids.astype(str).str.strip()
        as_int = pd.to_numeric(text, errors="coerce")
        if as_int.notna().all() and (as_int == as_int.round()).all() and not text.str.startswith("0").any():
            return as_int.astype("int64")
        return text
    return ids
