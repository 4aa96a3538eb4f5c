"""Discrete-time purchase histories (BG/BB): frequency, recency and number of opportunities per customer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.data.validation import describe_row
from clv.errors import DataError

__all__ = ["DISCRETE_RFM", "check_discrete_rfm"]

DISCRETE_RFM = ("frequency", "recency", "n_periods")


def check_discrete_rfm(rfm: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a discrete-time RFM frame and return ``(x, t_x, n)`` as float arrays.

    Rules: the columns ``frequency, recency, n_periods`` are present, finite
    whole numbers; ``frequency <= recency <= n_periods`` (each purchase
    occupies one opportunity, the last at ``recency``); ``recency == 0``
    when ``frequency == 0``.

    Parameters
    ----------
    rfm : pandas.DataFrame
        One row per customer (or per distinct history, with weights).

    Returns
    -------
    tuple of numpy.ndarray
        ``frequency, recency, n_periods``.

    Examples
    --------
    >>> import pandas as pd
    >>> from clv.data.discrete import check_discrete_rfm
    >>> check_discrete_rfm(pd.DataFrame({"frequency": [0, 2], "recency": [0, 5], "n_periods": [6, 6]}))[1]
    array([0., 5.])
    """
    if not isinstance(rfm, pd.DataFrame):
        raise DataError(f"expected a DataFrame with columns {list(DISCRETE_RFM)}, got {type(rfm).__name__}")
    if rfm.empty:
        raise DataError("the RFM frame has no rows")
    arrays = []
    for col in DISCRETE_RFM:
        if col not in rfm.columns:
            raise DataError(f"column '{col}': missing from the RFM frame; columns found: {list(rfm.columns)}")
        values = pd.to_numeric(rfm[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
        if bad.any():
            raise DataError(f"column '{col}': must be a whole number >= 0 in {describe_row(rfm, int(np.argmax(bad)))}")
        arrays.append(values)
    x, t_x, n = arrays
    for mask, text in (
        (t_x > n, "column 'recency': must not exceed n_periods"),
        (x > t_x, "column 'frequency': must not exceed recency (one purchase per opportunity)"),
        ((x == 0) & (t_x != 0), "column 'recency': must be 0 when frequency is 0"),
    ):
        if mask.any():
            raise DataError(f"{text} in {describe_row(rfm, int(np.argmax(mask)))}")
    return x, t_x, n
