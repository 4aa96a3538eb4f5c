"""Validation of RFM frames handed to the models (the models' input boundary)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.data.validation import describe_row
from clv.errors import DataError

__all__ = ["check_rfm", "resolve_weights"]


def check_rfm(rfm: Any, columns: tuple[str, ...]) -> pd.DataFrame:
    """Check that ``rfm`` is a DataFrame with finite, consistent ``columns``.

    Rules: every column present and finite; ``frequency`` a non-negative
    whole number; ``0 <= recency <= T``; ``recency == 0`` when
    ``frequency == 0``; ``T >= 0``.
    """
    if not isinstance(rfm, pd.DataFrame):
        raise DataError(f"expected an RFM DataFrame (see clv.rfm_summary), got {type(rfm).__name__}")
    if rfm.empty:
        raise DataError("the RFM frame has no rows")
    for col in columns:
        if col not in rfm.columns:
            raise DataError(f"column '{col}': missing from the RFM frame; columns found: {list(rfm.columns)}")
        values = pd.to_numeric(rfm[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            raise DataError(f"column '{col}': missing or non-finite value in {describe_row(rfm, int(np.argmax(bad)))}")
    if "frequency" in columns:
        x = rfm["frequency"].to_numpy(dtype=float)
        bad = (x < 0) | (x != np.round(x))
        if bad.any():
            raise DataError(f"column 'frequency': must be a whole number >= 0 in {describe_row(rfm, int(np.argmax(bad)))}")
    if "recency" in columns and "T" in columns:
        t_x = rfm["recency"].to_numpy(dtype=float)
        T = rfm["T"].to_numpy(dtype=float)
        for mask, text in (
            (T < 0, "column 'T': negative customer age"),
            ((t_x < 0) | (t_x > T + 1e-9), "column 'recency': must lie between 0 and T"),
            ((rfm["frequency"].to_numpy(dtype=float) == 0) & (t_x != 0), "column 'recency': must be 0 when frequency is 0"),
        ):
            if mask.any():
                raise DataError(f"{text} in {describe_row(rfm, int(np.argmax(mask)))}")
    return rfm


def resolve_weights(rfm: pd.DataFrame, weights: Any) -> np.ndarray:
    """Turn ``weights`` (None, a column name or an array) into a positive float array."""
    if weights is None:
        return np.ones(len(rfm))
    if isinstance(weights, str):
        if weights not in rfm.columns:
            raise DataError(f"column '{weights}': weights column missing from the RFM frame")
        w = pd.to_numeric(rfm[weights], errors="coerce").to_numpy(dtype=float)
        name = weights
    else:
        w = np.asarray(weights, dtype=float)
        name = "weights"
        if w.shape != (len(rfm),):
            raise DataError(f"{name}: expected {len(rfm)} values, got shape {w.shape}")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise DataError(f"column '{name}': weights must be finite and >= 0 in {describe_row(rfm, int(np.argmax(bad)))}")
    return w
