"""Reading and validating the arms table of an experiment (one row per customer)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.data.dates import parse_dates
from clv.data.transactions import customer_ids
from clv.data.validation import describe_row, load_table, require_columns, require_present
from clv.errors import DataError

__all__ = ["read_arms"]


def read_arms(source: Any, *, customer: str = "customer_id", arm: str = "arm", assigned_at: str | None = None) -> pd.DataFrame:
    """Read and validate an experiment's arms table.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A CSV file, a Parquet file or a DataFrame.
    customer, arm : str
        Names of the customer identifier and arm columns.
    assigned_at : str, optional
        Name of the assignment date column; by default a column called
        ``assigned_at`` is used when present. Without one, each customer's
        first purchase is their assignment (see :func:`clv.operations.experiment_rfm`).

    Returns
    -------
    pandas.DataFrame
        ``customer_id, arm`` and, when given, ``assigned_at`` (timestamps).
        Arm names keep their text (after trimming spaces).

    Raises
    ------
    clv.DataError
        A missing column, an empty id or arm, a customer listed twice, or an
        unparseable date; the message shows the offending row.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> clv.data.read_arms(pd.DataFrame({"customer_id": ["1", "2"], "arm": [" A", "B "], "assigned_at": ["2024-03-01", "2024-03-02"]}))
       customer_id arm assigned_at
    0            1   A  2024-03-01
    1            2   B  2024-03-02
    """
    frame = load_table(source, "arms")
    if assigned_at is None and "assigned_at" in frame.columns:
        assigned_at = "assigned_at"
    columns = {"customer_id": customer, "arm": arm, **({"assigned_at": assigned_at} if assigned_at else {})}
    require_columns(frame, columns, "arms")
    require_present(frame, customer)
    require_present(frame, arm)
    ids = customer_ids(frame[customer])
    dup = ids.duplicated().to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        raise DataError(f"column '{customer}': customer {ids.iloc[i]!r} is in the arms table twice; {describe_row(frame, i)}")
    names = frame[arm].astype(str).str.strip()
    blank = (names == "").to_numpy()
    if blank.any():
        raise DataError(f"column '{arm}': blank arm name in {describe_row(frame, int(np.argmax(blank)))}")
    out = pd.DataFrame({"customer_id": ids, "arm": names})
    if assigned_at:
        out["assigned_at"] = parse_dates(frame, assigned_at)
    return out.reset_index(drop=True)
