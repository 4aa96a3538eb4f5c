"""Contract (subscription) tables: one row per customer with renewals and churn status."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.data.validation import describe_row, load_table, parse_numbers, require_columns, require_present
from clv.errors import DataError

__all__ = ["check_contracts", "contracts_from_survivors"]

_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


def _churn_flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    require_present(frame, column)
    raw = frame[column]
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.to_numpy(dtype=bool)
    text = raw.astype(str).str.strip().str.lower()
    text = text.str.replace(r"\.0$", "", regex=True)
    bad = ~text.isin(_TRUE | _FALSE).to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"column '{column}': expected true/false or 1/0, got {raw.iloc[i]!r} in {describe_row(frame, i)}")
    return text.isin(_TRUE).to_numpy()


def check_contracts(
    contracts: Any, *, tenure: str = "tenure", churned: str = "churned", weight: str | None = None, group: str | None = None,
) -> dict[str, np.ndarray]:
    """Validate a contract table and return its columns as arrays.

    Parameters
    ----------
    contracts : pandas.DataFrame or path
        One row per customer (or per group of identical customers, with ``weight``).
    tenure, churned, weight, group : str
        Column names: renewals made (whole number >= 0), churn flag
        (true/false or 1/0), optional count of customers per row, optional
        group label (cohort, channel).

    Returns
    -------
    dict
        ``renewals`` (float), ``churned`` (bool), ``weights`` (float) and, with
        ``group``, ``group`` (object) arrays.

    Examples
    --------
    >>> import pandas as pd
    >>> from clv.data.contracts import check_contracts
    >>> check_contracts(pd.DataFrame({"tenure": [0, 3], "churned": [True, False]}))["renewals"]
    array([0., 3.])
    """
    frame = load_table(contracts, "contracts")
    names = {"tenure": tenure, "churned": churned}
    if weight is not None:
        names["weight"] = weight
    if group is not None:
        names["group"] = group
    require_columns(frame, names, "contracts")
    renewals = parse_numbers(frame, tenure, allow_negative=False).to_numpy()
    fractional = renewals != np.round(renewals)
    if fractional.any():
        raise DataError(f"column '{tenure}': renewals must be whole numbers in {describe_row(frame, int(np.argmax(fractional)))}")
    out = {"renewals": renewals, "churned": _churn_flags(frame, churned)}
    out["weights"] = np.ones(len(frame)) if weight is None else parse_numbers(frame, weight, allow_negative=False).to_numpy()
    if group is not None:
        require_present(frame, group)
        out["group"] = frame[group].astype(str).to_numpy(dtype=object)
    return out


def contracts_from_survivors(active: Any) -> pd.DataFrame:
    """Turn a cohort's counts of active customers at the start of periods 0, 1, ..., K into a weighted contract table.

    The customers lost between period ``t - 1`` and ``t`` churned after
    ``t - 1`` renewals; those still active at ``K`` are censored after ``K``
    renewals (the data layout of Fader & Hardie 2007, table 1).

    Parameters
    ----------
    active : sequence of int
        Non-increasing counts, starting with the cohort size.

    Returns
    -------
    pandas.DataFrame
        Columns ``tenure, churned, weight``: ``K`` churn rows and one active row.

    Examples
    --------
    >>> from clv.data.contracts import contracts_from_survivors
    >>> contracts_from_survivors([1000, 631, 468])
       tenure  churned  weight
    0       0     True   369.0
    1       1     True   163.0
    2       2    False   468.0
    """
    counts = np.asarray(active, dtype=float)
    if counts.ndim != 1 or len(counts) < 2 or np.any(np.diff(counts) > 0) or np.any(counts < 0):
        raise DataError("active counts must be a non-increasing sequence of at least two non-negative numbers")
    k = len(counts) - 1
    return pd.DataFrame({
        "tenure": np.arange(k + 1),
        "churned": np.r_[np.ones(k, dtype=bool), False],
        "weight": np.r_[counts[:-1] - counts[1:], counts[-1]],
    })
