"""Reading and validating transaction logs."""

from __future__ import annotations

from typing import Any

import pandas as pd

from clv.data.dates import parse_dates
from clv.data.validation import load_table, parse_numbers, require_columns, require_present
from clv.errors import DataError

__all__ = ["TRANSACTION_COLUMNS", "read_transactions"]

TRANSACTION_COLUMNS = ("customer_id", "date", "amount")


def read_transactions(
    source: Any,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    date_format: str | None = None,
) -> pd.DataFrame:
    """Read and validate a transaction log.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A CSV file, a Parquet file (``.parquet``/``.pq``) or a DataFrame.
    customer, date : str
        Names of the customer identifier and purchase date (or timestamp)
        columns in ``source``.
    amount : str or None
        Name of the purchase amount column; ``None`` reads a purchase-only
        log (``customer_id, date``): the purchase models need no money, and
        :func:`clv.rfm_summary` then leaves out ``monetary_value``.
    date_format : str, optional
        A strftime pattern (``"%d/%m/%Y"``) every date must match. Without
        it ISO 8601 is read, and numeric day/month dates are read day-first
        or month-first as decided once for the whole column; a column that
        never disambiguates, or contradicts itself, is refused (see
        :mod:`clv.data.dates`).

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id, date, amount`` (dates as naive timestamps,
        amounts as floats), in the input order; no ``amount`` with
        ``amount=None``. Non-positive amounts (refunds, free orders) are
        kept: they are transactions.

    Raises
    ------
    clv.DataError
        On a missing or empty file, duplicate header, missing column, empty
        customer id, unparseable date, mixed time zones, or a non-numeric,
        empty or infinite amount. The message names the column and shows the
        first offending row. Dates whose day/month order cannot be decided
        (or contradicts itself) are refused with the ``date_format=`` fix.

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

    Day-first dates are recognised from the values that can only be read
    one way (``30/01/2024``), and a purchase-only log needs ``amount=None``:

    >>> log = pd.DataFrame({"customer_id": [1, 1], "date": ["05/01/2024", "30/01/2024"]})
    >>> clv.read_transactions(log, amount=None)
       customer_id       date
    0            1 2024-01-05
    1            1 2024-01-30
    """
    frame = load_table(source, "transactions")
    columns = {"customer": customer, "date": date}
    if amount is not None:
        if amount not in frame.columns:
            raise DataError(
                f"column '{amount}': missing from the transactions table; columns found: {list(frame.columns)}; lifetime "
                f"value needs purchase amounts: name the amount column (amount='<column>', command line --amount-column), "
                f"or read a purchase-only log with amount=None for the purchase models alone"
            )
        columns["amount"] = amount
    require_columns(frame, columns, "transactions")
    require_present(frame, customer)
    out = pd.DataFrame({"customer_id": customer_ids(frame[customer]), "date": parse_dates(frame, date, date_format=date_format)})
    if amount is not None:
        out["amount"] = parse_numbers(frame, amount)
    return out.reset_index(drop=True)


def customer_ids(ids: pd.Series) -> pd.Series:
    """Keep identifiers as given, turning all-integer text (CSV input) into integers."""
    if ids.dtype == object or pd.api.types.is_string_dtype(ids.dtype):
        text = ids.astype(str).str.strip()
        as_int = pd.to_numeric(text, errors="coerce")
        if as_int.notna().all() and (as_int == as_int.round()).all() and not (text.str.startswith("0") & (text.str.len() > 1)).any():
            return as_int.astype("int64")
        return text
    return ids
